//! `services` (upstream address and TLS settings) and `routes` (matching fields, SNIs).

use mtls_sni::{Protocol, SniPattern};

use super::{Table, check_name, foreign};
use crate::config::entities::{Route, Service, parse_protocol};
use crate::config::error::{Errors, index, join};
use crate::config::flat::{FormatVersion, Located};
use crate::config::plugins::is_host;
use crate::config::spec::{RouteSpec, ServiceSpec};

const PROTOCOL_LIST: &str = "grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss";

pub(super) struct Services {
    pub(super) table: Table,
    pub(super) entities: Vec<Service>,
}

/// The upstream address of a service: `url` or protocol / host / port / path.
struct Address {
    protocol: Protocol,
    host: String,
    port: u16,
    path: Option<String>,
}

pub(super) fn services(
    items: Vec<Located<ServiceSpec>>,
    ca_certificates: &Table,
    certificates: &Table,
    errors: &mut Errors,
) -> Services {
    let mut table = Table::new("services");
    let mut entities = Vec::with_capacity(items.len());
    for Located { path, spec, .. } in items {
        let (position, id) = table.add(spec.id, spec.name.as_deref(), &path, errors);
        if let Some(name) = &spec.name {
            let name_path = join(&path, "name");
            check_name(name, &name_path, errors);
            table.add_name(name, position, &name_path, errors);
        }
        let address = address(&spec, &path, errors);
        let client_certificate = spec
            .client_certificate
            .as_ref()
            .and_then(|r| certificates.resolve(r, &join(&path, "client_certificate"), errors));
        if let Some(depth) = spec.tls_verify_depth
            && depth > 64
        {
            errors.push(
                join(&path, "tls_verify_depth"),
                "value should be between 0 and 64",
            );
        }
        for (i, ca) in spec.ca_certificates.iter().enumerate() {
            if !ca_certificates.contains(*ca) {
                errors.push(
                    index(&join(&path, "ca_certificates"), i),
                    format!("no ca_certificate with id {ca}"),
                );
            }
        }
        let Some(address) = address else { continue };
        let tls_upstream = matches!(
            address.protocol,
            Protocol::Https | Protocol::Grpcs | Protocol::Tls | Protocol::Wss
        );
        if !tls_upstream {
            for (field, set) in [
                ("client_certificate", spec.client_certificate.is_some()),
                ("tls_verify", spec.tls_verify.is_some()),
                ("tls_verify_depth", spec.tls_verify_depth.is_some()),
                ("ca_certificates", !spec.ca_certificates.is_empty()),
            ] {
                if set {
                    errors.push(
                        join(&path, field),
                        format!(
                            "value must be null when 'protocol' is '{}' (it needs https, grpcs, \
                             tls or wss)",
                            address.protocol
                        ),
                    );
                }
            }
        }
        entities.push(Service {
            id,
            name: spec.name,
            protocol: address.protocol,
            host: address.host,
            port: address.port,
            path: address.path,
            client_certificate,
            tls_verify: spec.tls_verify,
            tls_verify_depth: spec.tls_verify_depth,
            ca_certificates: spec.ca_certificates,
            enabled: spec.enabled,
            tags: spec.tags,
        });
    }
    Services { table, entities }
}

fn address(spec: &ServiceSpec, path: &str, errors: &mut Errors) -> Option<Address> {
    if let Some(url) = &spec.url {
        let url_path = join(path, "url");
        for (field, set) in [
            ("protocol", spec.protocol.is_some()),
            ("host", spec.host.is_some()),
            ("port", spec.port.is_some()),
            ("path", spec.path.is_some()),
        ] {
            if set {
                errors.push(
                    join(path, field),
                    "must not be set together with 'url' (the url gives it)",
                );
            }
        }
        return match parse_url(url) {
            Ok(address) => check_path(address, &url_path, errors),
            Err(message) => {
                errors.push(url_path, message);
                None
            }
        };
    }
    let protocol = match &spec.protocol {
        None => Some(Protocol::Http),
        Some(p) => parse_protocol(p).or_else(|| {
            errors.push(
                join(path, "protocol"),
                format!("expected one of: {PROTOCOL_LIST}"),
            );
            None
        }),
    };
    let host = match &spec.host {
        None => {
            errors.push(join(path, "host"), "required field missing");
            None
        }
        Some(h) if !is_host(h) => {
            errors.push(join(path, "host"), "invalid hostname");
            None
        }
        Some(h) => Some(h.clone()),
    };
    let address = Address {
        protocol: protocol?,
        host: host?,
        port: spec.port.unwrap_or(80),
        path: spec.path.clone(),
    };
    check_path(address, &join(path, "path"), errors)
}

fn check_path(address: Address, path: &str, errors: &mut Errors) -> Option<Address> {
    if let Some(p) = &address.path {
        if !p.starts_with('/') {
            errors.push(path, "should start with: /");
            return None;
        }
        if matches!(
            address.protocol,
            Protocol::Tcp | Protocol::Tls | Protocol::TlsPassthrough | Protocol::Udp
        ) {
            errors.push(
                path,
                format!(
                    "value must be null when 'protocol' is '{}'",
                    address.protocol
                ),
            );
            return None;
        }
    }
    Some(address)
}

/// `scheme://host[:port][/path]`; IPv6 hosts in brackets.
fn parse_url(url: &str) -> Result<Address, String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("missing scheme in url {url:?}"));
    };
    let protocol = parse_protocol(&scheme.to_ascii_lowercase()).ok_or_else(|| {
        format!("unsupported scheme {scheme:?}: expected one of: {PROTOCOL_LIST}")
    })?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in url {url:?}"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || !is_host(host) {
        return Err(format!("invalid host {host:?} in url"));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("invalid port {p:?} in url"))?,
        None => match protocol {
            Protocol::Https | Protocol::Grpcs | Protocol::Wss | Protocol::Tls => 443,
            _ => 80,
        },
    };
    Ok(Address {
        protocol,
        host: host.to_owned(),
        port,
        path: (!path.is_empty()).then(|| path.to_owned()),
    })
}

pub(super) struct Routes {
    pub(super) table: Table,
    pub(super) entities: Vec<Route>,
}

pub(super) fn routes(
    items: Vec<Located<RouteSpec>>,
    services: &Table,
    version: FormatVersion,
    errors: &mut Errors,
) -> Routes {
    let mut table = Table::new("routes");
    let mut entities = Vec::with_capacity(items.len());
    for Located { path, spec, parent } in items {
        let (position, id) = table.add(spec.id, spec.name.as_deref(), &path, errors);
        if let Some(name) = &spec.name {
            let name_path = join(&path, "name");
            check_name(name, &name_path, errors);
            table.add_name(name, position, &name_path, errors);
        }
        let service = foreign(
            parent,
            spec.service.as_ref(),
            services,
            &path,
            "service",
            errors,
        );
        let protocols = protocols(spec.protocols.as_deref(), &path, errors)
            .unwrap_or_else(|| vec![Protocol::Http, Protocol::Https]);
        let paths: Vec<String> = spec
            .paths
            .iter()
            .map(|p| match version {
                FormatVersion::V2_1 => migrate_regex_path(p),
                FormatVersion::V3_0 => p.clone(),
            })
            .collect();
        check_route_fields(&spec, &paths, &protocols, &path, errors);
        entities.push(Route {
            id,
            name: spec.name,
            service,
            protocols,
            hosts: spec.hosts,
            paths,
            methods: spec.methods,
            headers: spec.headers,
            snis: spec.snis,
            strip_path: spec.strip_path,
            preserve_host: spec.preserve_host,
            regex_priority: spec.regex_priority,
            tags: spec.tags,
        });
    }
    Routes { table, entities }
}

/// Kong's route protocols; `None` when absent or invalid (reported).
pub(super) fn protocols(
    names: Option<&[String]>,
    path: &str,
    errors: &mut Errors,
) -> Option<Vec<Protocol>> {
    let names = names?;
    let field = join(path, "protocols");
    if names.is_empty() {
        errors.push(&field, "length must be at least 1");
        return None;
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        match parse_protocol(name) {
            Some(p) => out.push(p),
            None => errors.push(
                index(&field, i),
                format!("expected one of: {PROTOCOL_LIST}"),
            ),
        }
    }
    (out.len() == names.len()).then_some(out)
}

fn check_route_fields(
    spec: &RouteSpec,
    paths: &[String],
    protocols: &[Protocol],
    path: &str,
    errors: &mut Errors,
) {
    for (i, sni) in spec.snis.iter().enumerate() {
        if let Err(e) = SniPattern::parse(sni) {
            errors.push(index(&join(path, "snis"), i), e.to_string());
        }
    }
    if !spec.snis.is_empty() && !protocols.iter().any(|p| p.allows_snis()) {
        errors.push(
            join(path, "snis"),
            "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or \
             'tls_passthrough'",
        );
    }
    for (i, host) in spec.hosts.iter().enumerate() {
        if let Err(message) = check_host(host) {
            errors.push(index(&join(path, "hosts"), i), message);
        }
    }
    for (i, p) in paths.iter().enumerate() {
        if !(p.starts_with('/') || p.starts_with("~/")) {
            errors.push(
                index(&join(path, "paths"), i),
                "should start with: / (fixed path) or ~/ (regex path)",
            );
        }
    }
    for (i, method) in spec.methods.iter().enumerate() {
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(
                index(&join(path, "methods"), i),
                format!("invalid value: {method}"),
            );
        }
    }
    let http = protocols.iter().find(|p| {
        matches!(
            p,
            Protocol::Http
                | Protocol::Https
                | Protocol::Grpc
                | Protocol::Grpcs
                | Protocol::Ws
                | Protocol::Wss
        )
    });
    if let Some(protocol) = http
        && spec.methods.is_empty()
        && spec.hosts.is_empty()
        && spec.headers.is_empty()
        && spec.paths.is_empty()
        && spec.snis.is_empty()
    {
        errors.push(
            path,
            format!(
                "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when \
                 'protocols' is '{protocol}'"
            ),
        );
    }
}

/// Kong's host rules: at most one wildcard, as the whole leftmost or rightmost label; an
/// optional port.
fn check_host(host: &str) -> Result<(), &'static str> {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.parse::<u16>().is_ok() => name,
        _ => host,
    };
    if name.is_empty() {
        return Err("length must be at least 1");
    }
    match name.matches('*').count() {
        0 => {}
        1 if name.starts_with("*.") || name.ends_with(".*") => return Ok(()),
        1 => return Err("invalid wildcard: must be placed at leftmost or rightmost label"),
        _ => return Err("invalid wildcard: must have at most one wildcard"),
    }
    if is_host(name)
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::Ipv6Addr>()
            .is_ok()
    {
        Ok(())
    } else {
        Err("invalid hostname")
    }
}

/// Kong 3's reading of a 2.x path: a path with characters outside the plain set is a regex
/// and gets the `~` prefix.
fn migrate_regex_path(path: &str) -> String {
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b'/' | b'%'));
    if plain || path.starts_with('~') {
        path.to_owned()
    } else {
        format!("~{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let a = parse_url("https://billing.internal:8443/v1").ok();
        let a = a
            .as_ref()
            .map(|a| (a.protocol, a.host.as_str(), a.port, a.path.as_deref()));
        assert_eq!(
            a,
            Some((Protocol::Https, "billing.internal", 8443, Some("/v1")))
        );
        let b = parse_url("http://[::1]").ok().map(|a| (a.host, a.port));
        assert_eq!(b, Some(("::1".to_owned(), 80)));
        assert!(parse_url("billing.internal").is_err());
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("http://x:99999").is_err());
    }

    #[test]
    fn hosts_and_paths() {
        assert!(check_host("*.example.com").is_ok());
        assert!(check_host("example.*").is_ok());
        assert!(check_host("api.example.com:8443").is_ok());
        assert!(check_host("a.*.com").is_err());
        assert!(check_host("*.*.com").is_err());
        assert_eq!(migrate_regex_path("/users/\\d+"), "~/users/\\d+");
        assert_eq!(migrate_regex_path("/users"), "/users");
    }
}
