//! DB-less mode's `/config`: `GET` returns the configuration as YAML, `POST` replaces it
//! whole (atomically: loaded, compiled, swapped, or nothing), `check_hash` answers 304 when
//! it is the one being served.

use std::sync::Arc;

use hyper::StatusCode;
use mtls_kong_config::{Config, LoadError};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::admin::{Admin, Current, Mode};
use crate::body::Body;
use crate::error::{ApiError, codes, fields_tree};

/// Kong's `configuration_hash`: 32 hex digits identifying the configuration's content.
pub fn hash(config: &Config) -> String {
    let digest = Sha256::digest(config.to_document().to_string().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn flag(query: &str, name: &str) -> bool {
    form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == name && matches!(v.as_ref(), "1" | "true" | "on" | "yes"))
}

impl Admin {
    /// `GET /config`: `{"config": "<yaml>"}` (DB-less only; 404 with a database, as Kong).
    pub(crate) fn get_config(&self, current: &Current) -> Result<Value, ApiError> {
        if !matches!(self.inner.mode, Mode::DbLess) {
            return Err(ApiError::message(
                StatusCode::BAD_REQUEST,
                "this endpoint is only available when Kong is configured to not use a database",
            ));
        }
        let yaml = serde_norway::to_string(&current.config.to_document())
            .map_err(|e| ApiError::internal(format!("cannot write the configuration: {e}")))?;
        Ok(json!({ "config": yaml }))
    }

    /// `POST /config`.
    pub(crate) async fn post_config(
        &self,
        body: Body,
        query: &str,
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        if !matches!(self.inner.mode, Mode::DbLess) {
            return Err(ApiError::message(
                StatusCode::BAD_REQUEST,
                "this endpoint is only available when Kong is configured to not use a database",
            ));
        }
        let text = match body {
            Body::Yaml(text) => text,
            Body::Json(Value::Object(mut map))
                if map.get("config").is_some_and(Value::is_string) =>
            {
                match map.remove("config") {
                    Some(Value::String(text)) => text,
                    _ => String::new(),
                }
            }
            Body::Json(document) => document.to_string(),
            Body::Form(Value::Object(mut map)) => match map.remove("config") {
                Some(Value::String(text)) => text,
                _ => {
                    return Err(declarative_error(
                        json!({"config": "expected a declarative configuration"}),
                        query,
                    ));
                }
            },
            Body::Form(_) | Body::Empty => {
                return Err(declarative_error(
                    json!({"config": "expected a declarative configuration"}),
                    query,
                ));
            }
        };
        let _serialised = self.inner.write_lock.lock().await;
        let config = match self.inner.loader.load_str(&text) {
            Ok((config, _warnings)) => config,
            Err(LoadError::Invalid(errors)) => {
                return Err(declarative_error(fields_tree(&errors), query));
            }
            Err(other) => {
                return Err(declarative_error(
                    json!({"error": other.to_string()}),
                    query,
                ));
            }
        };
        let new_hash = hash(&config);
        let current = self.inner.current.load_full();
        if flag(query, "check_hash") && current.hash.as_deref() == Some(new_hash.as_str()) {
            return Ok((StatusCode::NOT_MODIFIED, None));
        }
        let document = config.to_document();
        self.swap_declarative(config, new_hash).await?;
        tracing::info!("declarative configuration replaced through POST /config");
        Ok((StatusCode::CREATED, Some(document)))
    }

    /// Replaces the whole declarative configuration (DB-less mode), as `POST /config` does:
    /// compiled by the node and swapped in, or nothing changes and the node's reason is the
    /// error. For a node that re-reads its configuration file (SIGHUP, a watched file), so
    /// the Admin API shows what is served. Whether anything changed (an identical
    /// configuration is not compiled again).
    pub async fn replace_declarative(&self, config: Config) -> Result<bool, ApiError> {
        if !matches!(self.inner.mode, Mode::DbLess) {
            return Err(ApiError::internal(
                "a declarative configuration replaces nothing in database mode",
            ));
        }
        let _serialised = self.inner.write_lock.lock().await;
        let new_hash = hash(&config);
        if self.inner.current.load().hash.as_deref() == Some(new_hash.as_str()) {
            return Ok(false);
        }
        self.swap_declarative(config, new_hash).await?;
        Ok(true)
    }

    /// Compiles, swaps and records `config` (the write lock is held).
    async fn swap_declarative(&self, config: Config, new_hash: String) -> Result<(), ApiError> {
        let prepared = self.prepare(&config).await?;
        self.inner.node.swap(prepared);
        if let Ok(mut times) = self.inner.times.write() {
            times.clear();
        }
        self.inner
            .loaded_at
            .store(mtls_store::unix_now(), std::sync::atomic::Ordering::Relaxed);
        self.inner.current.store(Arc::new(Current {
            config,
            seq: 0,
            hash: Some(new_hash),
        }));
        Ok(())
    }
}

/// Kong's 400 code 14, with the errors nested or (`flatten_errors=1`) as a list.
fn declarative_error(fields: Value, query: &str) -> ApiError {
    let message = format!("declarative config is invalid: {fields}");
    if flag(query, "flatten_errors") {
        let mut flat = Vec::new();
        flatten("", &fields, &mut flat);
        return ApiError::Coded {
            status: StatusCode::BAD_REQUEST,
            code: codes::DECLARATIVE_CONFIG,
            name: "invalid declarative configuration",
            message,
            fields: Some(json!({ "flattened_errors": flat })),
        };
    }
    ApiError::Coded {
        status: StatusCode::BAD_REQUEST,
        code: codes::DECLARATIVE_CONFIG,
        name: "invalid declarative configuration",
        message,
        fields: Some(fields),
    }
}

fn flatten(path: &str, value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(&p, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), v, out);
            }
        }
        Value::String(message) => out.push(json!({ "field": path, "message": message })),
        _ => {}
    }
}
