//! Reading each kind of entity from the document into its spec, with nested entities.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Reading, list, plugin_config};
use crate::config::error::{Errors, index, join};
use crate::config::flat::PluginParent;
use crate::config::reader::{Record, as_string};
use crate::config::spec::{
    AclGroupSpec, CaCertificateSpec, CertificateSpec, ConsumerSpec, CredentialSpec, PluginSpec,
    RouteSpec, ServiceSpec, SniSpec,
};

/// Kong fields every entity may carry that this project does not use.
const TIMESTAMPS: [&str; 2] = ["created_at", "updated_at"];

/// Credential kinds of Kong's other auth plugins, skipped with a warning when nested in a
/// consumer.
const OTHER_CREDENTIALS: [&str; 8] = [
    "keyauth_credentials",
    "keyauth_enc_credentials",
    "basicauth_credentials",
    "hmacauth_credentials",
    "jwt_secrets",
    "oauth2_credentials",
    "consumer_groups",
    "groups",
];

fn tags(record: &mut Record<'_>, errors: &mut Errors) -> Vec<String> {
    record.strings("tags", errors).unwrap_or_default()
}

pub(super) fn ca_certificate(
    value: &Value,
    path: String,
    reading: &mut Reading,
    errors: &mut Errors,
) {
    let Some(mut r) = Record::new(value, &path, errors) else {
        return;
    };
    let spec = CaCertificateSpec {
        id: r.uuid("id", errors),
        cert: r.string("cert", errors).unwrap_or_default(),
        cert_digest: r.string("cert_digest", errors),
        tags: tags(&mut r, errors),
    };
    r.ignore(&TIMESTAMPS);
    r.finish(errors);
    reading.flat.add_ca_certificate(path, spec);
}

pub(super) fn certificate(value: &Value, path: String, reading: &mut Reading, errors: &mut Errors) {
    let Some(mut r) = Record::new(value, &path, errors) else {
        return;
    };
    let spec = CertificateSpec {
        id: r.uuid("id", errors),
        cert: r.string("cert", errors).unwrap_or_default(),
        key: r.string("key", errors).unwrap_or_default(),
        cert_alt: r.string("cert_alt", errors),
        key_alt: r.string("key_alt", errors),
        tags: tags(&mut r, errors),
        snis: Vec::new(),
    };
    let snis = r.raw("snis");
    r.ignore(&TIMESTAMPS);
    r.finish(errors);
    let position = reading.flat.certificates.len();
    reading.flat.add_certificate(path.clone(), spec);
    if let Some(items) = snis.and_then(|v| list(v, &join(&path, "snis"), errors)) {
        for (i, item) in items.iter().enumerate() {
            let sni_path = index(&join(&path, "snis"), i);
            sni(item, sni_path, Some(position), reading, errors);
        }
    }
}

pub(super) fn sni(
    value: &Value,
    path: String,
    parent: Option<usize>,
    reading: &mut Reading,
    errors: &mut Errors,
) {
    // Kong accepts a nested SNI written as a bare name.
    let spec = if let Value::String(name) = value {
        SniSpec::new(name.clone())
    } else {
        let Some(mut r) = Record::new(value, &path, errors) else {
            return;
        };
        let spec = SniSpec {
            id: r.uuid("id", errors),
            name: r.string("name", errors).unwrap_or_default(),
            certificate: r.reference("certificate", errors),
            tags: tags(&mut r, errors),
        };
        r.ignore(&TIMESTAMPS);
        r.finish(errors);
        spec
    };
    reading
        .flat
        .snis
        .push(crate::config::flat::Located { path, spec, parent });
}

pub(super) fn service(value: &Value, path: String, reading: &mut Reading, errors: &mut Errors) {
    let Some(mut r) = Record::new(value, &path, errors) else {
        return;
    };
    let spec = ServiceSpec {
        id: r.uuid("id", errors),
        name: r.string("name", errors),
        url: r.string("url", errors),
        protocol: r.string("protocol", errors),
        host: r.string("host", errors),
        port: r.port("port", errors),
        path: r.string("path", errors),
        client_certificate: r.reference("client_certificate", errors),
        tls_verify: r.bool("tls_verify", errors),
        tls_verify_depth: r
            .integer("tls_verify_depth", 0, 64, errors)
            .and_then(|n| u8::try_from(n).ok()),
        ca_certificates: r.uuids("ca_certificates", errors).unwrap_or_default(),
        enabled: r.bool_or("enabled", true, errors),
        tags: tags(&mut r, errors),
        routes: Vec::new(),
        plugins: Vec::new(),
    };
    let routes = r.raw("routes");
    let plugins = r.raw("plugins");
    r.ignore(&TIMESTAMPS);
    r.ignore(&[
        "retries",
        "connect_timeout",
        "write_timeout",
        "read_timeout",
        "tls_sans",
    ]);
    r.finish(errors);
    let position = reading.flat.services.len();
    reading.flat.add_service(path.clone(), spec);
    if let Some(items) = routes.and_then(|v| list(v, &join(&path, "routes"), errors)) {
        for (i, item) in items.iter().enumerate() {
            route(
                item,
                index(&join(&path, "routes"), i),
                Some(position),
                reading,
                errors,
            );
        }
    }
    nested_plugins(
        plugins,
        &path,
        PluginParent::Service(position),
        reading,
        errors,
    );
}

pub(super) fn route(
    value: &Value,
    path: String,
    parent: Option<usize>,
    reading: &mut Reading,
    errors: &mut Errors,
) {
    let Some(mut r) = Record::new(value, &path, errors) else {
        return;
    };
    let defaults = RouteSpec::default();
    let spec = RouteSpec {
        id: r.uuid("id", errors),
        name: r.string("name", errors),
        service: r.reference("service", errors),
        protocols: r.strings("protocols", errors),
        hosts: r.strings("hosts", errors).unwrap_or_default(),
        paths: r.strings("paths", errors).unwrap_or_default(),
        methods: r.strings("methods", errors).unwrap_or_default(),
        headers: headers(&mut r, errors),
        snis: r.strings("snis", errors).unwrap_or_default(),
        strip_path: r.bool_or("strip_path", defaults.strip_path, errors),
        preserve_host: r.bool_or("preserve_host", defaults.preserve_host, errors),
        regex_priority: r
            .integer(
                "regex_priority",
                i64::from(i32::MIN),
                i64::from(i32::MAX),
                errors,
            )
            .unwrap_or(0),
        tags: tags(&mut r, errors),
        plugins: Vec::new(),
    };
    let plugins = r.raw("plugins");
    r.ignore(&TIMESTAMPS);
    r.ignore(&[
        "https_redirect_status_code",
        "path_handling",
        "request_buffering",
        "response_buffering",
        "sources",
        "destinations",
        "expression",
        "priority",
    ]);
    r.finish(errors);
    let position = reading.flat.routes.len();
    reading.flat.add_route(path.clone(), spec, parent);
    nested_plugins(
        plugins,
        &path,
        PluginParent::Route(position),
        reading,
        errors,
    );
}

fn headers(r: &mut Record<'_>, errors: &mut Errors) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let path = r.field_path("headers");
    let Some(value) = r.get("headers") else {
        return out;
    };
    let Value::Object(map) = value else {
        errors.push(path, "expected a map");
        return out;
    };
    for (name, values) in map {
        let header_path = join(&path, name);
        let values = match values {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| as_string(v, &index(&header_path, i), errors))
                .collect(),
            _ => {
                errors.push(header_path, "expected an array");
                continue;
            }
        };
        out.insert(name.clone(), values);
    }
    out
}

pub(super) fn consumer(value: &Value, path: String, reading: &mut Reading, errors: &mut Errors) {
    let Some(mut r) = Record::new(value, &path, errors) else {
        return;
    };
    let spec = ConsumerSpec {
        id: r.uuid("id", errors),
        username: r.string("username", errors),
        custom_id: r.string("custom_id", errors),
        tags: tags(&mut r, errors),
        ..ConsumerSpec::default()
    };
    let nested: Vec<(&str, Option<&Value>)> = [
        "mtls_auth_credentials",
        "header_cert_auth_credentials",
        "acls",
        "plugins",
    ]
    .into_iter()
    .map(|k| (k, r.raw(k)))
    .collect();
    for key in OTHER_CREDENTIALS {
        if r.raw(key).is_some() {
            reading.ignored.push(join(&path, key));
        }
    }
    r.ignore(&TIMESTAMPS);
    r.finish(errors);
    let position = reading.flat.consumers.len();
    reading.flat.add_consumer(path.clone(), spec);
    for (key, value) in nested {
        let Some(items) = value.and_then(|v| list(v, &join(&path, key), errors)) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let item_path = index(&join(&path, key), i);
            match key {
                "acls" => acl(item, item_path, Some(position), reading, errors),
                "plugins" => plugin(
                    item,
                    item_path,
                    Some(PluginParent::Consumer(position)),
                    reading,
                    errors,
                ),
                _ => credential(key, item, item_path, Some(position), reading, errors),
            }
        }
    }
}

pub(super) fn credential(
    kind: &str,
    value: &Value,
    path: String,
    parent: Option<usize>,
    reading: &mut Reading,
    errors: &mut Errors,
) {
    let Some(mut r) = Record::new(value, &path, errors) else {
        return;
    };
    let spec = CredentialSpec {
        id: r.uuid("id", errors),
        consumer: r.reference("consumer", errors),
        subject_name: r.string("subject_name", errors).unwrap_or_default(),
        ca_certificate: r.reference("ca_certificate", errors),
        tags: tags(&mut r, errors),
    };
    r.ignore(&TIMESTAMPS);
    r.finish(errors);
    let located = crate::config::flat::Located { path, spec, parent };
    if kind == "header_cert_auth_credentials" {
        reading.flat.header_cert_auth_credentials.push(located);
    } else {
        reading.flat.mtls_auth_credentials.push(located);
    }
}

pub(super) fn acl(
    value: &Value,
    path: String,
    parent: Option<usize>,
    reading: &mut Reading,
    errors: &mut Errors,
) {
    let Some(mut r) = Record::new(value, &path, errors) else {
        return;
    };
    let spec = AclGroupSpec {
        id: r.uuid("id", errors),
        consumer: r.reference("consumer", errors),
        group: r.string("group", errors).unwrap_or_default(),
        tags: tags(&mut r, errors),
    };
    r.ignore(&TIMESTAMPS);
    r.finish(errors);
    reading
        .flat
        .acls
        .push(crate::config::flat::Located { path, spec, parent });
}

fn nested_plugins(
    value: Option<&Value>,
    parent_path: &str,
    parent: PluginParent,
    reading: &mut Reading,
    errors: &mut Errors,
) {
    let path = join(parent_path, "plugins");
    let Some(items) = value.and_then(|v| list(v, &path, errors)) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        plugin(item, index(&path, i), Some(parent), reading, errors);
    }
}

pub(super) fn plugin(
    value: &Value,
    path: String,
    parent: Option<PluginParent>,
    reading: &mut Reading,
    errors: &mut Errors,
) {
    let Some(mut r) = Record::new(value, &path, errors) else {
        return;
    };
    let name_path = r.field_path("name");
    let Some(name) = r.get("name").and_then(|v| as_string(v, &name_path, errors)) else {
        if !r.has("name") {
            errors.push(name_path, "required field missing");
        }
        return;
    };
    if !crate::config::PLUGIN_NAMES.contains(&name.as_str()) {
        *reading.unsupported_plugins.entry(name).or_default() += 1;
        return;
    }
    let id = r.uuid("id", errors);
    let instance_name = r.string("instance_name", errors);
    let enabled = r.bool_or("enabled", true, errors);
    let service = r.reference("service", errors);
    let route = r.reference("route", errors);
    let consumer = r.reference("consumer", errors);
    let protocols = r.strings("protocols", errors);
    let tags = tags(&mut r, errors);
    let config_path = r.field_path("config");
    let config = r.get("config");
    r.ignore(&TIMESTAMPS);
    r.ignore(&["ordering", "consumer_group", "partials"]);
    r.finish(errors);
    let Some(config) = plugin_config::read(&name, config, &config_path, errors) else {
        return;
    };
    let mut spec = PluginSpec::new(config);
    spec.id = id;
    spec.instance_name = instance_name;
    spec.enabled = enabled;
    spec.service = service;
    spec.route = route;
    spec.consumer = consumer;
    spec.protocols = protocols;
    spec.tags = tags;
    reading.flat.add_plugin(path, spec, parent);
}
