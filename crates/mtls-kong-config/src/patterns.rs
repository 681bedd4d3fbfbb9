//! Route patterns as Kong's `traditional_compatible` router reads them: regex paths (`~`) and
//! regex header values (`~*`), compiled here for the router and checked here for the loader,
//! so a pattern the loader accepts is one the router can build.

use crate::path;

/// The regex Kong builds from a `~` path: `^` in front (the traditional router's anchoring)
/// and `(?<` written `(?P<`. `None` for a prefix path.
pub fn regex_source(path: &str) -> Option<String> {
    let pattern = path.strip_prefix('~')?;
    Some(format!("^{}", pattern.replace("?<", "?P<")))
}

/// The first line of a regex error that says what is wrong (the regex crate's syntax errors
/// draw the pattern over several lines).
fn regex_reason(pattern: &str, error: &regex::Error) -> String {
    let text = error.to_string();
    let what = text
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or(text.trim());
    format!("invalid regex {pattern:?}: {what}")
}

/// Compiles a `~` path (`None` for a prefix path).
pub fn compile_path_regex(path: &str) -> Result<Option<regex::Regex>, String> {
    let Some(source) = regex_source(path) else {
        return Ok(None);
    };
    regex::Regex::new(&source)
        .map(Some)
        .map_err(|e| regex_reason(path, &e))
}

/// The regex of a `~*` header value: lower-cased (Kong lower-cases the value before it
/// compiles it) and unanchored. `None` for a plain value.
pub fn compile_header_regex(value: &str) -> Result<Option<regex::bytes::Regex>, String> {
    let Some(pattern) = value.strip_prefix("~*") else {
        return Ok(None);
    };
    regex::bytes::Regex::new(&pattern.to_ascii_lowercase())
        .map(Some)
        .map_err(|e| regex_reason(value, &e))
}

/// Checks one entry of a route's `paths` as the router will read it: a `~` path must be a
/// valid regex (with Kong's anchoring), a prefix path must be normalised (Kong's schema
/// refuses one that is not: a normalised request path could never match it).
///
/// ```
/// use mtls_kong_config::patterns::validate_path;
/// assert!(validate_path(r"~/users/\d+").is_ok());
/// assert!(validate_path("/endel%2Fst").is_ok());
/// let err = validate_path("~/users/(").unwrap_err();
/// assert!(err.starts_with("invalid regex \"~/users/(\": "), "{err}");
/// assert_eq!(validate_path("/a/./b").unwrap_err(), "non-normalized path, consider use '/a/b' instead");
/// ```
pub fn validate_path(route_path: &str) -> Result<(), String> {
    if route_path.starts_with('~') {
        return compile_path_regex(route_path).map(|_| ());
    }
    match path::normalize(route_path) {
        Ok(normal) if normal.as_str() == route_path => Ok(()),
        Ok(normal) => Err(format!(
            "non-normalized path, consider use '{}' instead",
            normal.as_str()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks one value of a route's `headers`: a `~*` value must be a valid regex.
pub fn validate_header_value(value: &str) -> Result<(), String> {
    compile_header_regex(value).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_checks() {
        assert!(validate_path(r"~/a/(?<id>\d+)").is_ok());
        let err = validate_path("~/a/[").unwrap_err();
        assert!(err.contains("unclosed character class"), "{err}");
        assert!(validate_path("~/(").is_err());
        assert!(validate_header_value("~*(").is_err());
        assert!(validate_header_value("(").is_ok(), "not a regex without ~*");
        assert!(validate_path("/a%2Fb").is_ok());
        assert_eq!(
            validate_path("/a/../b").unwrap_err(),
            "non-normalized path, consider use '/b' instead"
        );
        assert_eq!(
            validate_path("/f%6fo").unwrap_err(),
            "non-normalized path, consider use '/foo' instead"
        );
    }
}
