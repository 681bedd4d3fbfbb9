//! The Admin API's URL space: collections, entities by id or endpoint key, the endpoints
//! nested per foreign key, and the node endpoints.

use mtls_kong_config::Kind;

/// The collection a kind is served under (`/mtls-auths` for `mtls_auth_credentials`).
pub fn collection(kind: Kind) -> &'static str {
    match kind {
        Kind::MtlsAuthCredential => "mtls-auths",
        Kind::HeaderCertAuthCredential => "header-cert-auths",
        other => other.table(),
    }
}

fn kind_of_collection(name: &str) -> Option<Kind> {
    match name {
        "mtls-auths" => Some(Kind::MtlsAuthCredential),
        "header-cert-auths" => Some(Kind::HeaderCertAuthCredential),
        "mtls_auth_credentials" | "header_cert_auth_credentials" => None,
        other => Kind::from_table(other),
    }
}

/// What nests under an entity of `parent`: the child's kind and the child's field that
/// refers to the parent.
fn nested(parent: Kind, name: &str) -> Option<(Kind, &'static str)> {
    Some(match (parent, name) {
        (Kind::Service, "routes") => (Kind::Route, "service"),
        (Kind::Service, "plugins") => (Kind::Plugin, "service"),
        (Kind::Route, "plugins") => (Kind::Plugin, "route"),
        (Kind::Consumer, "plugins") => (Kind::Plugin, "consumer"),
        (Kind::Consumer, "mtls-auth") => (Kind::MtlsAuthCredential, "consumer"),
        (Kind::Consumer, "header-cert-auth") => (Kind::HeaderCertAuthCredential, "consumer"),
        (Kind::Consumer, "acls") => (Kind::Acl, "consumer"),
        (Kind::Certificate, "snis") => (Kind::Sni, "certificate"),
        _ => return None,
    })
}

/// The entity a child names in `field` (`/routes/{r}/service`).
fn owner(child: Kind, name: &str) -> Option<(&'static str, Kind)> {
    Some(match (child, name) {
        (Kind::Route, "service") => ("service", Kind::Service),
        (Kind::Sni, "certificate") => ("certificate", Kind::Certificate),
        (Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential | Kind::Acl, "consumer") => {
            ("consumer", Kind::Consumer)
        }
        _ => return None,
    })
}

/// The entity a nested URL sits under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    /// The parent's kind.
    pub kind: Kind,
    /// Its id or endpoint key, as written in the URL.
    pub key: String,
    /// The child's field referring to it.
    pub field: &'static str,
}

/// What a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// `/`.
    Root,
    /// `/status`.
    Status,
    /// `/config` (DB-less).
    Config,
    /// `/plugins/enabled`.
    EnabledPlugins,
    /// A collection, maybe nested.
    Collection {
        /// The kind.
        kind: Kind,
        /// The entity it is nested under.
        parent: Option<Parent>,
    },
    /// One entity, maybe nested.
    Entity {
        /// The kind.
        kind: Kind,
        /// Its id or endpoint key, as written.
        key: String,
        /// The entity it is nested under.
        parent: Option<Parent>,
    },
    /// The entity another names (`/routes/{r}/service`).
    Owner {
        /// The owner's kind.
        kind: Kind,
        /// The child's kind.
        child: Kind,
        /// The child's id or key.
        key: String,
        /// The child's field naming the owner.
        field: &'static str,
    },
}

/// Percent-decodes one path segment.
fn decode(segment: &str) -> String {
    form_urlencoded::parse(format!("k={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The target of a request path (without the query); `None`: Kong's 404.
pub fn route(path: &str) -> Option<Target> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    Some(match s.as_slice() {
        [] => Target::Root,
        ["status"] => Target::Status,
        ["config"] => Target::Config,
        ["plugins", "enabled"] => Target::EnabledPlugins,
        [name] => Target::Collection {
            kind: kind_of_collection(name)?,
            parent: None,
        },
        [name, key] => Target::Entity {
            kind: kind_of_collection(name)?,
            key: (*key).to_owned(),
            parent: None,
        },
        [name, key, sub] => {
            let parent_kind = kind_of_collection(name)?;
            if let Some((child, field)) = nested(parent_kind, sub) {
                Target::Collection {
                    kind: child,
                    parent: Some(Parent {
                        kind: parent_kind,
                        key: (*key).to_owned(),
                        field,
                    }),
                }
            } else {
                let (field, kind) = owner(parent_kind, sub)?;
                Target::Owner {
                    kind,
                    child: parent_kind,
                    key: (*key).to_owned(),
                    field,
                }
            }
        }
        [name, key, sub, child_key] => {
            let parent_kind = kind_of_collection(name)?;
            let (child, field) = nested(parent_kind, sub)?;
            Target::Entity {
                kind: child,
                key: (*child_key).to_owned(),
                parent: Some(Parent {
                    kind: parent_kind,
                    key: (*key).to_owned(),
                    field,
                }),
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kong_urls() {
        assert_eq!(route("/"), Some(Target::Root));
        assert_eq!(
            route("/services/mtls-service/routes"),
            Some(Target::Collection {
                kind: Kind::Route,
                parent: Some(Parent {
                    kind: Kind::Service,
                    key: "mtls-service".into(),
                    field: "service"
                })
            })
        );
        assert_eq!(
            route("/consumers/alice/mtls-auth/x"),
            Some(Target::Entity {
                kind: Kind::MtlsAuthCredential,
                key: "x".into(),
                parent: Some(Parent {
                    kind: Kind::Consumer,
                    key: "alice".into(),
                    field: "consumer"
                })
            })
        );
        assert!(matches!(
            route("/routes/r/service"),
            Some(Target::Owner {
                kind: Kind::Service,
                ..
            })
        ));
        assert_eq!(
            route("/consumers/a%40b"),
            Some(Target::Entity {
                kind: Kind::Consumer,
                key: "a@b".into(),
                parent: None
            })
        );
        assert_eq!(route("/upstreams"), None);
        assert_eq!(route("/mtls_auth_credentials"), None);
        assert_eq!(route("/a/b/c/d/e"), None);
    }
}
