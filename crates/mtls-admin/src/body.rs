//! Request bodies by content type: JSON, form-urlencoded, multipart (file parts as their
//! text), and raw YAML for `POST /config`; anything else is Kong's 415.

use hyper::StatusCode;
use serde_json::Value;

use crate::error::ApiError;
use mtls_kong_config::form::{self as args, ArgsError};

/// A request body, decoded.
#[derive(Debug)]
pub(crate) enum Body {
    /// No body.
    Empty,
    /// `application/json`.
    Json(Value),
    /// Form or multipart: a record of strings (typed later by the schema).
    Form(Value),
    /// `application/yaml` / `text/yaml` (accepted by `POST /config` only).
    Yaml(String),
}

impl Body {
    /// Whether the values are strings to be typed by the schema.
    pub(crate) fn is_form(&self) -> bool {
        matches!(self, Self::Form(_))
    }

    /// The body as a JSON value (`{}` when empty); `None` for YAML.
    pub(crate) fn into_value(self) -> Option<Value> {
        match self {
            Self::Empty => Some(Value::Object(serde_json::Map::new())),
            Self::Json(v) | Self::Form(v) => Some(v),
            Self::Yaml(_) => None,
        }
    }
}

fn unsupported() -> ApiError {
    ApiError::message(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
}

fn args_error(e: ArgsError) -> ApiError {
    ApiError::message(StatusCode::BAD_REQUEST, e.to_string())
}

/// Decodes `bytes` by `content_type`.
pub(crate) async fn decode(content_type: Option<&str>, bytes: &[u8]) -> Result<Body, ApiError> {
    let Some(content_type) = content_type else {
        return if bytes.is_empty() {
            Ok(Body::Empty)
        } else {
            Err(unsupported())
        };
    };
    let lower = content_type.to_ascii_lowercase();
    if lower.starts_with("application/json") {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body::Empty);
        }
        return serde_json::from_slice(bytes)
            .map(Body::Json)
            .map_err(|_| ApiError::message(StatusCode::BAD_REQUEST, "Cannot parse JSON body"));
    }
    if lower.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(bytes).into_owned().collect();
        return args::decode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map(Body::Form)
            .map_err(args_error);
    }
    if lower.starts_with("multipart/form-data") {
        return multipart(content_type, bytes).await.map(Body::Form);
    }
    if lower.starts_with("application/yaml") || lower.starts_with("text/yaml") {
        return std::str::from_utf8(bytes)
            .map(|s| Body::Yaml(s.to_owned()))
            .map_err(|_| ApiError::message(StatusCode::BAD_REQUEST, "the body is not UTF-8"));
    }
    Err(unsupported())
}

async fn multipart(content_type: &str, bytes: &[u8]) -> Result<Value, ApiError> {
    let bad = |m: String| ApiError::message(StatusCode::BAD_REQUEST, m);
    let boundary =
        multer::parse_boundary(content_type).map_err(|e| bad(format!("invalid multipart: {e}")))?;
    let reader = std::io::Cursor::new(bytes.to_vec());
    let mut form = multer::Multipart::with_reader(reader, boundary);
    let mut pairs: Vec<(String, String)> = Vec::new();
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| bad(format!("invalid multipart: {e}")))?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or_default().to_owned();
        let data = field
            .bytes()
            .await
            .map_err(|e| bad(format!("invalid multipart: {e}")))?;
        let text = String::from_utf8(data.to_vec())
            .map_err(|_| bad(format!("multipart field {name:?} is not UTF-8 text")))?;
        if pairs.len() >= args::MAX_PAIRS {
            return Err(args_error(ArgsError::TooMany));
        }
        pairs.push((name, text));
    }
    args::decode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(args_error)
}
