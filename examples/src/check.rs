//! `mtls check`: what the gateway would decide for one request, without starting anything.
//!
//! The configuration is loaded and compiled exactly as `mtls serve` does (minus the server
//! certificate: no handshake happens), then the request is routed, the handshake's choice is
//! explained from the SNI map, and the route's plugins decide. The result is one JSON object
//! (a public interface, kept stable):
//!
//! ```text
//! {"route", "service", "request_client_certificate", "ca_hints", "status", "body",
//!  "consumer", "anonymous", "authenticated_groups", "upstream_headers", "removed_headers",
//!  "reason"}
//! ```
//!
//! Exit 0 when allowed, 1 when refused (including no matching route), 2 on a usage or
//! configuration error (every configuration error on stderr, one per line).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_consumer::FoundBy;
use mtls_gateway::{CompileOptions, Connection, Plan, RequestHead, Snapshot, TlsInfo};
use mtls_kong_config::{Config, LoadError, Loader};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use uuid::Uuid;

/// The request's scheme.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Scheme {
    /// TLS: the SNI and the client certificate take part.
    Https,
    /// Plain HTTP: no SNI, no client certificate.
    Http,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Self::Https => "https",
            Self::Http => "http",
        }
    }
}

/// Arguments of `mtls check`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The gateway configuration (Kong's declarative format, YAML or JSON).
    #[arg(long)]
    config: PathBuf,
    /// The TLS server name the client sends (none: no SNI).
    #[arg(long)]
    sni: Option<String>,
    /// The Host header (default: the SNI).
    #[arg(long)]
    host: Option<String>,
    /// The request path.
    #[arg(long, default_value = "/")]
    path: String,
    /// The request method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// The request scheme.
    #[arg(long, value_enum, default_value = "https")]
    scheme: Scheme,
    /// The certificate chain the client presents, leaf first (PEM or DER).
    #[arg(long)]
    cert: Option<PathBuf>,
    /// A request header, "Name: value" (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The directly connected peer's address.
    #[arg(long, default_value = "127.0.0.1")]
    remote_ip: IpAddr,
    /// The gateway-wide trusted IPs for header-cert-auth (comma-separated IPs or CIDRs).
    #[arg(long, value_delimiter = ',')]
    trusted_ips: Vec<String>,
    /// The time to decide at (RFC 3339); default now.
    #[arg(long)]
    at: Option<String>,
    /// A CRL file (DER or PEM) consulted before OCSP and CRL fetching (repeatable).
    #[arg(long = "crl", value_name = "FILE")]
    crls: Vec<PathBuf>,
}

/// The consumer, as printed.
#[derive(Serialize)]
struct ConsumerOut {
    id: Uuid,
    username: Option<String>,
    custom_id: Option<String>,
}

/// Header fields in order, serialised as a JSON object.
struct HeaderMap(Vec<(String, String)>);

impl Serialize for HeaderMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The printed verdict; the field order is the interface's.
#[derive(Serialize)]
struct Report {
    route: Option<String>,
    service: Option<String>,
    request_client_certificate: bool,
    ca_hints: Vec<String>,
    status: u16,
    body: Option<Value>,
    consumer: Option<ConsumerOut>,
    anonymous: bool,
    authenticated_groups: Vec<String>,
    upstream_headers: HeaderMap,
    removed_headers: Vec<String>,
    reason: String,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("mtls check: {message}");
    ExitCode::from(2)
}

/// The Host header without its port (`[::1]:8443` is `[::1]`).
fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').and_then(|i| host.get(..=i)).unwrap_or(host);
    }
    match host.split_once(':') {
        Some((name, port)) if !port.contains(':') => name,
        _ => host,
    }
}

/// Parses `--header "Name: value"`.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("--header {text:?}: expected \"Name: value\""))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("--header {text:?}: invalid header name {name:?}"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// Prints a load failure: each configuration error on its own line.
fn load_failure(error: &LoadError) -> ExitCode {
    match error.config_errors() {
        Some(errors) => {
            eprintln!(
                "mtls check: invalid configuration ({} error{}):",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            for e in errors.errors() {
                eprintln!("{e}");
            }
        }
        None => eprintln!("mtls check: {error}"),
    }
    ExitCode::from(2)
}

/// The SNI map's explanation on one line, with route names beside route ids.
fn explain_sni(snapshot: &Snapshot, config: &Config, sni: Option<&str>) -> String {
    let text = snapshot.handshake().sni_map().explain(sni).to_string();
    let mut line = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    for route in config.routes() {
        if let Some(name) = &route.name {
            let id = route.id.hyphenated().to_string();
            line = line.replace(&format!("route {id}"), &format!("route {id} ({name:?})"));
        }
    }
    line
}

/// `"a; a; b"` as `"a; b"`: the internal reason may repeat its context.
fn without_repeats(reason: &str) -> String {
    let mut parts: Vec<&str> = reason.split("; ").collect();
    parts.dedup();
    parts.join("; ")
}

/// How the consumer of an allowed request was found, in words.
fn consumer_found_by(
    config: &Config,
    allow: &mtls_gateway::Allow,
    anonymous: bool,
    leaf_names: &[String],
) -> String {
    let Some(consumer) = &allow.consumer else {
        return if allow.authenticated_groups.is_empty() {
            "no consumer".to_owned()
        } else {
            format!(
                "no consumer lookup (skip_consumer_lookup); authenticated groups {:?}",
                allow.authenticated_groups
            )
        };
    };
    let who = format!(
        "consumer {} (id {})",
        consumer
            .username
            .as_deref()
            .or(consumer.custom_id.as_deref())
            .unwrap_or("without username"),
        consumer.id
    );
    if anonymous {
        return format!("{who}: the anonymous consumer, as authentication failed");
    }
    if let Some(id) = allow.credential {
        let found = config
            .mtls_auth_credentials()
            .map(|c| ("mtls_auth_credentials", c))
            .chain(
                config
                    .header_cert_auth_credentials()
                    .map(|c| ("header_cert_auth_credentials", c)),
            )
            .find(|(_, c)| c.id == id);
        return match found {
            Some((table, c)) => format!(
                "{who}, found by the {table} mapping {} (subject_name {:?}{})",
                c.id,
                c.subject_name,
                c.ca_certificate
                    .map(|ca| format!(", ca_certificate {ca}"))
                    .unwrap_or_default()
            ),
            None => format!("{who}, found by credential {id}"),
        };
    }
    match allow.found_by {
        Some(FoundBy::Username { name_index }) => format!(
            "{who}, found by its username equal to certificate name {} (consumer_by)",
            name_at(leaf_names, name_index)
        ),
        Some(FoundBy::CustomId { name_index }) => format!(
            "{who}, found by its custom_id equal to certificate name {} (consumer_by)",
            name_at(leaf_names, name_index)
        ),
        Some(FoundBy::DefaultConsumer) => {
            format!("{who}: the default_consumer, as the valid certificate matched no consumer")
        }
        _ => format!("{who}, identified by the route's authentication plugin"),
    }
}

/// The certificate name at `index`, quoted, for messages.
fn name_at(names: &[String], index: usize) -> String {
    names
        .get(index)
        .map_or_else(|| format!("#{index}"), |n| format!("{n:?}"))
}

/// Runs `mtls check`.
pub(crate) fn run(args: &Args) -> ExitCode {
    let at = match args
        .at
        .as_deref()
        .map(crate::verify::parse_time)
        .transpose()
    {
        Ok(t) => t.unwrap_or_else(UnixTime::now),
        Err(e) => return usage(e),
    };
    let trusted = match mtls_header::TrustedIps::parse(&args.trusted_ips) {
        Ok(t) => t,
        Err(e) => return usage(format_args!("--trusted-ips: {e}")),
    };
    let mut headers = Vec::with_capacity(args.headers.len());
    for text in &args.headers {
        match parse_header(text) {
            Ok(h) => headers.push(h),
            Err(e) => return usage(e),
        }
    }
    let tls = args.scheme == Scheme::Https;
    let presented: Option<Vec<CertificateDer<'static>>> = match &args.cert {
        None => None,
        Some(path) => {
            let certs = match crate::read_file(path)
                .and_then(|b| mtls_cert::parse_any(&b).map_err(|e| e.to_string()))
            {
                Ok(c) => c,
                Err(e) => return usage(format_args!("--cert {}: {e}", path.display())),
            };
            if certs.is_empty() {
                return usage(format_args!("--cert {}: no certificate", path.display()));
            }
            Some(certs.iter().map(|c| c.der().clone()).collect())
        }
    };
    let leaf_names: Vec<String> = presented
        .as_ref()
        .and_then(|p| p.first())
        .and_then(|d| mtls_cert::Certificate::from_der(d).ok())
        .map(|c| {
            c.subject_names()
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();

    let (config, warnings) = match Loader::new()
        .trusted_ips(trusted)
        .now(at)
        .load_file(&args.config)
    {
        Ok(loaded) => loaded,
        Err(e) => return load_failure(&e),
    };
    for warning in &warnings {
        eprintln!("mtls check: warning: {warning}");
    }
    let mut options = CompileOptions::new(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    options.validation_cache_capacity = 16;
    options.crls = match crate::crl_files::load(&args.crls, &config) {
        Ok(crls) => crls,
        Err(e) => return usage(format_args!("--crl: {e}")),
    };
    let snapshot = match Snapshot::compile(&config, 1, &options) {
        Ok(s) => s,
        Err(e) => return usage(format_args!("{}: {e}", args.config.display())),
    };

    let sni = if tls { args.sni.as_deref() } else { None };
    let host_header = args.host.as_deref().or(args.sni.as_deref()).unwrap_or("");
    let host = host_without_port(host_header);
    let method = args.method.to_ascii_uppercase();
    let mut reason = Vec::new();
    let request_text = format!(
        "{method} {}://{host}{} (SNI {}, from {})",
        args.scheme.as_str(),
        args.path,
        sni.map_or_else(|| "none".to_owned(), |s| format!("{s:?}")),
        args.remote_ip
    );

    // The handshake: whether a certificate is requested, and with which CA names.
    let selected = tls.then(|| snapshot.handshake().select(sni));
    let (request_client_certificate, ca_hints) = if tls {
        let decision = snapshot.handshake().sni_map().lookup(sni);
        let hints = decision
            .ca_ids()
            .iter()
            .map(|id| {
                config
                    .trust_store()
                    .iter()
                    .find(|ca| ca.id() == *id)
                    .map_or_else(
                        || format!("(unknown CA {id})"),
                        |ca| ca.certificate().subject_dn().to_owned(),
                    )
            })
            .collect();
        reason.push(format!(
            "TLS handshake: {}",
            explain_sni(&snapshot, &config, sni)
        ));
        (decision.requests_certificate(), hints)
    } else {
        reason.push("plain HTTP: no TLS handshake, so no SNI and no client certificate".to_owned());
        (false, Vec::new())
    };
    let peer_certificates = if tls { presented.as_deref() } else { None };
    match (tls, &presented, peer_certificates) {
        (false, Some(_), _) => reason.push("--cert ignored over plain HTTP".to_owned()),
        (true, _, Some(chain)) => {
            let leaf = chain
                .first()
                .and_then(|d| mtls_cert::Certificate::from_der(d).ok());
            let described = leaf.map_or_else(
                || "unparsable".to_owned(),
                |l| format!("subject {:?}, issuer {:?}", l.subject_dn(), l.issuer_dn()),
            );
            let note = if request_client_certificate {
                ""
            } else {
                " (the gateway would not ask for it on this SNI; a client sends one only when asked)"
            };
            reason.push(format!(
                "client certificate presented: {} certificate{}, leaf {described}{note}",
                chain.len(),
                if chain.len() == 1 { "" } else { "s" }
            ));
        }
        _ => reason.push("no client certificate presented".to_owned()),
    }

    // The request as the gateway would receive it, planned as `serve` plans it.
    let mut header_map = http::HeaderMap::new();
    if !host_header.is_empty() {
        match http::HeaderValue::from_str(host_header) {
            Ok(v) => {
                header_map.insert(http::header::HOST, v);
            }
            Err(_) => return usage(format_args!("--host {host_header:?} is not a valid Host")),
        }
    }
    for (name, value) in &headers {
        match (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                header_map.append(n, v);
            }
            _ => return usage(format_args!("--header {name}: not a valid header field")),
        }
    }
    let uri: http::Uri = match args.path.parse() {
        Ok(u) => u,
        Err(e) => return usage(format_args!("--path {:?}: {e}", args.path)),
    };
    let method_value = match http::Method::from_bytes(method.as_bytes()) {
        Ok(m) => m,
        Err(e) => return usage(format_args!("--method {method:?}: {e}")),
    };
    let tls_info = selected.map(|s| TlsInfo {
        sni: sni.map(str::to_owned),
        peer_certificates: peer_certificates.map(<[_]>::to_vec),
        client_auth: s.client_auth,
    });
    let conn = Connection {
        peer: std::net::SocketAddr::new(args.remote_ip, 40000),
        local_port: if tls { 443 } else { 80 },
        tls: tls_info.as_ref(),
    };
    let head = RequestHead {
        method: &method_value,
        uri: &uri,
        version: http::Version::HTTP_11,
        headers: &header_map,
    };
    let plan = match snapshot.plan(&conn, &head, at) {
        // Revocation needs the network (OCSP, CRL): only then is a runtime started.
        Plan::Pending(_) => match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(mtls_gateway::drive(&snapshot, &conn, &head, at)),
            Err(e) => return usage(format_args!("cannot start the async runtime: {e}")),
        },
        done => done,
    };
    let route_info = match &plan {
        Plan::Proxy(p) => Some(std::sync::Arc::clone(&p.route)),
        Plan::Respond(r) => r.route.clone(),
        Plan::Pending(_) => None,
    };
    if let Some(route) = &route_info {
        reason.insert(
            0,
            format!(
                "route {:?} (id {}){} matches {request_text}; its plugins: {}",
                &*route.label,
                route.id,
                route
                    .service
                    .as_ref()
                    .map(|s| format!(" of service {:?}", &**s))
                    .unwrap_or_default(),
                if route.plugins.is_empty() {
                    "none".to_owned()
                } else {
                    route.plugins.join(", ")
                }
            ),
        );
    }
    let route_name = route_info.as_ref().map(|r| r.label.to_string());
    let service = route_info
        .as_ref()
        .and_then(|r| r.service.as_ref())
        .map(|s| s.to_string());
    let (report, code) = match plan {
        Plan::Proxy(proxy) => {
            let allow = proxy.allow;
            let anonymous = allow.set.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("X-Anonymous-Consumer") && v.eq_ignore_ascii_case("true")
            });
            if let Some(revocation) = &allow.revocation {
                reason.push(revocation.to_string());
            }
            reason.push(format!(
                "allowed: {}",
                consumer_found_by(&config, &allow, anonymous, &leaf_names)
            ));
            (
                Report {
                    route: route_name,
                    service,
                    request_client_certificate,
                    ca_hints,
                    status: 200,
                    body: None,
                    consumer: allow.consumer.as_ref().map(|c| ConsumerOut {
                        id: c.id,
                        username: c.username.clone(),
                        custom_id: c.custom_id.clone(),
                    }),
                    anonymous,
                    authenticated_groups: allow.authenticated_groups,
                    upstream_headers: HeaderMap(allow.set),
                    removed_headers: allow.remove,
                    reason: reason.join("; "),
                },
                ExitCode::SUCCESS,
            )
        }
        Plan::Respond(respond) => {
            let body = match serde_json::from_str::<Value>(&respond.body) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ if respond.body.is_empty() => None,
                _ => Some(serde_json::json!({ "message": respond.body })),
            };
            let status = respond.status.as_u16();
            match respond.refused_by {
                Some(plugin) => reason.push(format!(
                    "refused by {plugin} with {status}: {}",
                    without_repeats(&respond.reason)
                )),
                None if route_info.is_none() && status == 404 => {
                    reason.insert(0, format!("no route matches {request_text}"));
                }
                None if status == 426 => reason.insert(
                    0,
                    format!("{request_text} matches a route over HTTPS only (Kong: 426)"),
                ),
                None => reason.push(format!(
                    "answered {status} by the gateway: {}",
                    respond.reason
                )),
            }
            (
                Report {
                    route: if status == 426 { None } else { route_name },
                    service: if status == 426 { None } else { service },
                    request_client_certificate,
                    ca_hints,
                    status,
                    body,
                    consumer: None,
                    anonymous: false,
                    authenticated_groups: Vec::new(),
                    upstream_headers: HeaderMap(Vec::new()),
                    removed_headers: Vec::new(),
                    reason: reason.join("; "),
                },
                ExitCode::from(1),
            )
        }
        Plan::Pending(_) => return usage("the decision kept asking for revocation answers"),
    };
    print(&report, code)
}

fn print(report: &Report, code: ExitCode) -> ExitCode {
    match serde_json::to_string_pretty(report) {
        Ok(text) => {
            println!("{text}");
            code
        }
        Err(e) => usage(format_args!("cannot write the result: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_headers() {
        assert_eq!(host_without_port("example.com:8443"), "example.com");
        assert_eq!(host_without_port("example.com"), "example.com");
        assert_eq!(host_without_port("[::1]:8443"), "[::1]");
        assert_eq!(host_without_port("::1"), "::1");
        assert_eq!(
            parse_header("X-A:  b: c "),
            Ok(("X-A".to_owned(), "b: c".to_owned()))
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header(": v").is_err());
        assert!(parse_header("a b: v").is_err());
        assert_eq!(without_repeats("x; x; y"), "x; y");
    }
}
