//! Value checks shared by the schemas (Kong's typedefs): names, hosts, SNIs, header names,
//! paths, methods, numbers.

use serde_json::Value;

/// Kong's `utf8_name`: letters, digits and `.`, `-`, `_`, `~`.
pub(crate) fn utf8_name(value: &Value) -> Result<(), String> {
    let name = value.as_str().unwrap_or_default();
    if name.is_empty() {
        return Err("length must be at least 1".into());
    }
    if name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '~'))
    {
        Ok(())
    } else {
        Err(format!(
            "invalid value '{name}': the only accepted ascii characters are alphanumerics or \
             ., -, _, and ~"
        ))
    }
}

/// A host name or IP address (Kong's `typedefs.host`, loosely: no port, no spaces).
pub fn is_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Kong's `typedefs.host`.
pub(crate) fn hostname(value: &Value) -> Result<(), String> {
    if is_host(value.as_str().unwrap_or_default()) {
        Ok(())
    } else {
        Err("invalid hostname".into())
    }
}

/// A string of at least one character.
pub(crate) fn non_empty(value: &Value) -> Result<(), String> {
    match value.as_str() {
        Some("") => Err("length must be at least 1".into()),
        _ => Ok(()),
    }
}

/// A string that must not be empty, where empty counts as missing.
pub(crate) fn present(value: &Value) -> Result<(), String> {
    match value.as_str() {
        Some("") => Err("required field missing".into()),
        _ => Ok(()),
    }
}

/// A number that is finite and not negative.
pub(crate) fn non_negative(value: &Value) -> Result<(), String> {
    match value.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(()),
        _ => Err("must be a non-negative number".into()),
    }
}

/// An HTTP header name (RFC 9110 token).
pub(crate) fn header_name(value: &Value) -> Result<(), String> {
    if mtls_header::is_header_name(value.as_str().unwrap_or_default()) {
        Ok(())
    } else {
        Err("bad header name".into())
    }
}

/// A route's SNI or a certificate's SNI name: mtls-sni's rules.
pub(crate) fn sni(value: &Value) -> Result<(), String> {
    mtls_sni::SniPattern::parse(value.as_str().unwrap_or_default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A route's host: at most one wildcard, as the whole leftmost or rightmost label; an optional
/// port.
pub(crate) fn route_host(value: &Value) -> Result<(), String> {
    let host = value.as_str().unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.parse::<u16>().is_ok() => name,
        _ => host,
    };
    if name.is_empty() {
        return Err("length must be at least 1".into());
    }
    match name.matches('*').count() {
        0 => {}
        1 if name.starts_with("*.") || name.ends_with(".*") => return Ok(()),
        1 => return Err("invalid wildcard: must be placed at leftmost or rightmost label".into()),
        _ => return Err("invalid wildcard: must have at most one wildcard".into()),
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
        Err("invalid hostname".into())
    }
}

/// A route's method: upper-case letters.
pub(crate) fn method(value: &Value) -> Result<(), String> {
    let method = value.as_str().unwrap_or_default();
    if !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!("invalid value: {method}"))
    }
}

/// A route's path: a prefix starting with `/` (normalised, as Kong requires), or a regex
/// starting with `~/` that compiles as the router compiles it.
pub(crate) fn route_path(value: &Value) -> Result<(), String> {
    let path = value.as_str().unwrap_or_default();
    if !(path.starts_with('/') || path.starts_with("~/")) {
        return Err("should start with: / (fixed path) or ~/ (regex path)".into());
    }
    crate::patterns::validate_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hosts_paths_names() {
        assert!(route_host(&json!("*.example.com")).is_ok());
        assert!(route_host(&json!("example.*")).is_ok());
        assert!(route_host(&json!("api.example.com:8443")).is_ok());
        assert!(route_host(&json!("a.*.com")).is_err());
        assert!(route_host(&json!("*.*.com")).is_err());
        assert!(route_path(&json!("~/users/\\d+")).is_ok());
        assert!(route_path(&json!("~/users/(\\d+")).is_err());
        assert!(route_path(&json!("users")).is_err());
        assert!(route_path(&json!("/a/../b")).is_err());
        assert!(utf8_name(&json!("a.b-c_d~e")).is_ok());
        assert!(utf8_name(&json!("a b")).is_err());
        assert!(is_host("proxy.internal") && is_host("::1") && !is_host("a:80"));
        assert!(header_name(&json!("X-Client-Cert")).is_ok());
        assert!(header_name(&json!("X Client")).is_err());
    }
}
