//! Reading: one entity by id or endpoint key (under its parent when nested), and pages of a
//! collection with Kong's `size` / `offset` / `next`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mtls_kong_config::{AnyEntity, Config, Kind};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::admin::{Admin, Current};
use crate::error::{ApiError, codes};
use crate::lookup;
use crate::path::{self, Parent};

/// The default page size.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest page size.
pub const MAX_PAGE_SIZE: usize = 1000;

/// The query's arguments, decoded.
fn query_args(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn page_size(args: &[(String, String)]) -> Result<usize, ApiError> {
    let Some((_, size)) = args.iter().find(|(k, _)| k == "size") else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    let invalid = |m: String| ApiError::bad_request(codes::INVALID_SIZE, "invalid size", m);
    let number: f64 = size
        .parse()
        .map_err(|_| invalid("size must be a number".into()))?;
    if number.fract() != 0.0 || !(1.0..=MAX_PAGE_SIZE as f64).contains(&number) {
        return Err(invalid(format!(
            "size must be an integer between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    Ok(number as usize)
}

fn offset(args: &[(String, String)]) -> Result<Option<Uuid>, ApiError> {
    let Some((_, offset)) = args.iter().find(|(k, _)| k == "offset") else {
        return Ok(None);
    };
    let invalid = |why: &str| {
        ApiError::bad_request(
            codes::INVALID_OFFSET,
            "invalid offset",
            format!("'{offset}' is not a valid offset: {why}"),
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(offset)
        .map_err(|_| invalid("bad base64 encoding"))?;
    let text = String::from_utf8(bytes).map_err(|_| invalid("bad base64 encoding"))?;
    Uuid::parse_str(&text)
        .map(Some)
        .map_err(|_| invalid("not an offset of this collection"))
}

fn encode_offset(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.to_string())
}

impl Admin {
    /// The parent's id, or 404.
    pub(crate) fn parent_id(&self, config: &Config, parent: &Parent) -> Result<Uuid, ApiError> {
        lookup::resolve(config, parent.kind, &parent.key, None).ok_or_else(ApiError::not_found)
    }

    /// The entity `key` names (under `parent` when nested), or Kong's 404.
    pub(crate) fn find(
        &self,
        config: &Config,
        kind: Kind,
        key: &str,
        parent: Option<&Parent>,
    ) -> Result<AnyEntity, ApiError> {
        let parent_id = parent.map(|p| self.parent_id(config, p)).transpose()?;
        let consumer = parent.filter(|p| p.kind == Kind::Consumer).and(parent_id);
        let not_found = || {
            if kind == Kind::Certificate && mtls_consumer::parse_kong_uuid(key).is_none() {
                ApiError::message(hyper::StatusCode::NOT_FOUND, "SNI not found")
            } else {
                ApiError::not_found()
            }
        };
        let id = lookup::resolve(config, kind, key, consumer).ok_or_else(not_found)?;
        let entity = lookup::by_id(config, kind, id).ok_or_else(not_found)?;
        if let (Some(p), Some(pid)) = (parent, parent_id)
            && !lookup::belongs(&entity, p.field, pid)
        {
            return Err(ApiError::not_found());
        }
        Ok(entity)
    }

    /// One page of a collection.
    pub(crate) fn page(
        &self,
        current: &Current,
        kind: Kind,
        parent: Option<&Parent>,
        query: &str,
    ) -> Result<Value, ApiError> {
        let config = &current.config;
        let args = query_args(query);
        let size = page_size(&args)?;
        let after = offset(&args)?;
        let mut ids = match parent {
            Some(p) => {
                let pid = self.parent_id(config, p)?;
                lookup::children(config, kind, p.field, pid)
            }
            None => lookup::ids(config, kind),
        };
        if kind == Kind::Consumer
            && let Some((_, custom_id)) = args.iter().find(|(k, _)| k == "custom_id")
        {
            if custom_id.is_empty() {
                return Err(ApiError::message(
                    hyper::StatusCode::BAD_REQUEST,
                    "custom_id must not be empty",
                ));
            }
            let found = mtls_consumer::ConsumerStore::consumer_by_custom_id(
                &**config.consumer_store(),
                custom_id,
            )
            .ok()
            .flatten();
            ids.retain(|id| found.as_ref().is_some_and(|c| c.id == *id));
        }
        ids.sort_unstable();
        let start = after.map_or(0, |a| ids.partition_point(|id| *id < a));
        let rest = ids.get(start..).unwrap_or_default();
        let page = &rest[..rest.len().min(size)];
        let data: Vec<Value> = page
            .iter()
            .filter_map(|id| lookup::by_id(config, kind, *id))
            .map(|e| self.entity_json(&e))
            .collect();
        let Some(next_id) = rest.get(size) else {
            return Ok(json!({ "data": data, "next": null }));
        };
        let token = encode_offset(*next_id);
        let base = match parent {
            Some(p) => format!(
                "/{}/{}/{}",
                path::collection(p.kind),
                p.key,
                nested_name(kind)
            ),
            None => format!("/{}", path::collection(kind)),
        };
        let size_arg = args
            .iter()
            .find(|(k, _)| k == "size")
            .map(|(_, s)| format!("&size={s}"))
            .unwrap_or_default();
        Ok(json!({
            "data": data,
            "offset": token,
            "next": format!("{base}?offset={token}{size_arg}"),
        }))
    }
}

/// The name a kind is nested under (`/consumers/{c}/mtls-auth`).
fn nested_name(kind: Kind) -> &'static str {
    match kind {
        Kind::MtlsAuthCredential => "mtls-auth",
        Kind::HeaderCertAuthCredential => "header-cert-auth",
        other => other.table(),
    }
}
