//! From records as written to a validated [`Config`]: ids given or derived, foreign keys
//! resolved (inherited from the enclosing entity, or written as an id, a name or `{id: ...}`),
//! every entity decoded and checked, uniqueness across entities enforced, every problem
//! collected with its path. One generic pass per kind, in [`Kind::ALL`] order.

use std::collections::HashMap;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::UnixTime;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::config::{Config, Entities};
use crate::declarative::FormatVersion;
use crate::entities::{
    AclGroup, AnyEntity, CaCertificate, Certificate, Consumer, Context, Credential, Entity, Kind,
    PluginInstance, Route, Service, Sni,
};
use crate::error::{ConfigErrors, Errors, join};
use crate::schema::Type;

/// The namespace of derived (v5) ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x6d74_6c73_2d67_5b77_8a79_2d63_6f6e_6669);

/// The entity a nested one was written in, and the foreign key that nesting sets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parent {
    /// The enclosing entity's kind.
    pub(crate) kind: Kind,
    /// Its position among the records of its kind.
    pub(crate) position: usize,
    /// The field of the nested entity that refers to it (`service`, `consumer`).
    pub(crate) field: &'static str,
}

/// One record as read with its schema, with where it was written.
#[derive(Debug)]
pub(crate) struct Written {
    pub(crate) path: String,
    pub(crate) record: Map<String, Value>,
    pub(crate) parent: Option<Parent>,
}

/// Every record of a document, per kind (in [`Kind::ALL`] order).
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub(crate) kinds: [Vec<Written>; 10],
}

impl Records {
    pub(crate) fn push(&mut self, kind: Kind, written: Written) -> usize {
        let list = &mut self.kinds[kind.position()];
        list.push(written);
        list.len() - 1
    }
}

/// What resolution needs besides the records.
pub(crate) struct Options<'a> {
    pub(crate) now: UnixTime,
    pub(crate) format_version: FormatVersion,
    pub(crate) provider: &'a CryptoProvider,
    pub(crate) trusted_ips: mtls_header::TrustedIps,
    pub(crate) stored: bool,
}

/// The ids, keys and paths of one kind, for references and duplicate checks. Every record
/// gets a slot, also one that failed its checks, so references to it do not fail twice.
#[derive(Debug, Default)]
pub(crate) struct Table {
    ids: Vec<Option<Uuid>>,
    paths: Vec<String>,
    by_id: HashMap<Uuid, usize>,
    by_key: HashMap<String, usize>,
    derived: std::collections::HashSet<String>,
}

impl Table {
    fn id(&self, position: usize) -> Option<Uuid> {
        self.ids.get(position).copied().flatten()
    }

    fn path(&self, position: usize) -> &str {
        self.paths.get(position).map_or("", String::as_str)
    }

    pub(crate) fn contains(&self, id: Uuid) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Resolves a normalised reference (`{"id"}` or `{"name"}`): by id, then (for an id
    /// that is some entity's name, as Kong allows) by key.
    fn resolve(&self, reference: &Value) -> Option<Uuid> {
        if let Some(id) = reference.get("id").and_then(Value::as_str) {
            let parsed = mtls_consumer::parse_kong_uuid(id)?;
            if self.by_id.contains_key(&parsed) {
                return Some(parsed);
            }
            return self.by_key.get(id).and_then(|p| self.id(*p));
        }
        let name = reference.get("name").and_then(Value::as_str)?;
        self.by_key.get(name).and_then(|p| self.id(*p))
    }
}

/// How a reference is shown in "no service with id or name ..." messages.
fn describe(reference: &Value) -> String {
    match (
        reference.get("id").and_then(Value::as_str),
        reference.get("name").and_then(Value::as_str),
    ) {
        (Some(id), _) => id.to_owned(),
        (None, Some(name)) => format!("{name:?}"),
        _ => reference.to_string(),
    }
}

/// Resolves and checks every record; the [`Config`], or every problem found (with those
/// reading already found in `errors`).
pub(crate) fn resolve(
    mut records: Records,
    options: &Options<'_>,
    mut errors: Errors,
) -> Result<Config, ConfigErrors> {
    let mut tables: [Table; 10] = Default::default();
    let mut out = Entities::default();
    for kind in Kind::ALL {
        let written = std::mem::take(&mut records.kinds[kind.position()]);
        let (done, rest) = tables.split_at_mut(kind.position());
        let Some(table) = rest.first_mut() else {
            continue;
        };
        let exists = |k: Kind, id: Uuid| done.get(k.position()).is_some_and(|t| t.contains(id));
        let ctx = Context {
            now: options.now,
            format_version: options.format_version,
            provider: options.provider,
            exists: &exists,
            stored: options.stored,
        };
        let mut pass = Pass {
            kind,
            done,
            table,
            ctx: &ctx,
            errors: &mut errors,
        };
        match kind {
            Kind::CaCertificate => out.ca_certificates = pass.run::<CaCertificate>(written),
            Kind::Certificate => out.certificates = pass.run::<Certificate>(written),
            Kind::Sni => out.snis = pass.run::<Sni>(written),
            Kind::Service => out.services = pass.run::<Service>(written),
            Kind::Route => out.routes = pass.run::<Route>(written),
            Kind::Consumer => out.consumers = pass.run::<Consumer>(written),
            Kind::MtlsAuthCredential => out.mtls_auth_credentials = pass.run::<Credential>(written),
            Kind::HeaderCertAuthCredential => {
                out.header_cert_auth_credentials = pass.run::<Credential>(written);
            }
            Kind::Acl => out.acls = pass.run::<AclGroup>(written),
            Kind::Plugin => out.plugins = pass.run::<PluginInstance>(written),
        }
    }
    let config = crate::assemble::assemble(
        out,
        options.format_version,
        &options.trusted_ips,
        &mut errors,
    );
    match config {
        Some(config) => errors.finish(config),
        None => Err(errors.into_failure("consumers", "the consumer store could not be built")),
    }
}

/// One kind's resolution.
struct Pass<'a, 'c> {
    kind: Kind,
    done: &'a [Table],
    table: &'a mut Table,
    ctx: &'a Context<'c>,
    errors: &'a mut Errors,
}

impl Pass<'_, '_> {
    /// Resolves every record of this kind: the entities that passed, with their paths.
    fn run<T: Entity>(&mut self, written: Vec<Written>) -> Vec<(T, String)> {
        let mut out = Vec::with_capacity(written.len());
        for w in written {
            let position = self.table.ids.len();
            self.table.paths.push(w.path.clone());
            self.table.ids.push(None);
            if let Some(entity) = self.one::<T>(w, position) {
                out.push(entity);
            }
        }
        out
    }

    fn one<T: Entity>(&mut self, w: Written, position: usize) -> Option<(T, String)> {
        let Written {
            path,
            mut record,
            parent,
        } = w;
        let references_ok = self.foreign_keys(&mut record, parent, &path);
        let given = record
            .get("id")
            .and_then(Value::as_str)
            .and_then(mtls_consumer::parse_kong_uuid);
        if given.is_none() {
            record.insert("id".into(), Value::String(Uuid::nil().to_string()));
        }
        let decoded = serde_json::from_value::<T>(Value::Object(record));
        let mut entity = match decoded {
            Ok(entity) => Some(entity),
            Err(e) => {
                // Only when nothing was reported about it yet (a value the schema refused
                // was read as its default).
                if references_ok && !self.errors.has_under(&path) {
                    self.errors.push(&path, format!("cannot be read: {e}"));
                }
                None
            }
        };
        if let Some(entity) = entity.as_mut() {
            entity.check(&path, self.ctx, self.errors);
        }
        let id = self.assign_id(given, entity.as_ref(), &path, position);
        let mut entity = entity?;
        entity.set_id(id);
        if let Some(key) = entity.endpoint_key() {
            self.register_key(&key, position, &path);
        }
        references_ok.then_some((entity, path))
    }

    /// The given id (a duplicate is an error), or one derived from the natural key (from the
    /// path when there is none, or when two entities share it).
    fn assign_id<T: Entity>(
        &mut self,
        given: Option<Uuid>,
        entity: Option<&T>,
        path: &str,
        position: usize,
    ) -> Uuid {
        let id = match given {
            Some(id) => {
                if let Some(&first) = self.table.by_id.get(&id) {
                    self.errors.push(
                        join(path, "id"),
                        format!(
                            "duplicate id {id}: already used by {}",
                            self.table.path(first)
                        ),
                    );
                }
                id
            }
            None => {
                let key = match entity.and_then(Entity::natural_key) {
                    Some(key) if self.table.derived.insert(key.clone()) => key,
                    _ => format!("path:{path}"),
                };
                Uuid::new_v5(
                    &NAMESPACE,
                    format!("{}\0{key}", self.kind.table()).as_bytes(),
                )
            }
        };
        self.table.by_id.entry(id).or_insert(position);
        if let Some(slot) = self.table.ids.get_mut(position) {
            *slot = Some(id);
        }
        id
    }

    fn register_key(&mut self, key: &str, position: usize, path: &str) {
        if let Some(&first) = self.table.by_key.get(key) {
            // Usernames are the consumer store's to report (with its own message).
            if self.kind == Kind::Consumer {
                return;
            }
            let field = self.kind.schema().endpoint_key.unwrap_or("name");
            let first_path = self.table.path(first).to_owned();
            self.errors.push(
                join(path, field),
                format!("duplicate {field} {key:?}: already used by {first_path}"),
            );
            return;
        }
        self.table.by_key.insert(key.to_owned(), position);
    }

    /// Resolves every foreign key of `record` in place to `{"id": ...}`; `false` when one
    /// could not be (reported).
    fn foreign_keys(
        &mut self,
        record: &mut Map<String, Value>,
        parent: Option<Parent>,
        path: &str,
    ) -> bool {
        let mut ok = true;
        let mut failed: Vec<&'static str> = Vec::new();
        for field in self.kind.schema().fields {
            let Type::Foreign(target) = field.ty else {
                continue;
            };
            let Some(target_kind) = Kind::from_table(target) else {
                continue;
            };
            let Some(target_table) = self.done.get(target_kind.position()) else {
                continue;
            };
            let written = record.get(field.name).filter(|v| !v.is_null()).cloned();
            let inherited = parent.filter(|p| p.field == field.name);
            let field_path = join(path, field.name);
            let resolved = match (inherited, written) {
                (Some(_), Some(_)) => {
                    self.errors.push(
                        field_path,
                        format!(
                            "must not be set in a nested entity (it is the enclosing {})",
                            target_kind.schema().singular
                        ),
                    );
                    ok = false;
                    failed.push(field.name);
                    continue;
                }
                (Some(p), None) => target_table.id(p.position),
                (None, Some(reference)) => {
                    if target_kind == Kind::CaCertificate
                        && let Some(name) = reference.get("name").and_then(Value::as_str)
                    {
                        self.errors.push(
                            field_path,
                            format!("expected a ca_certificate id, got {name:?}"),
                        );
                        ok = false;
                        failed.push(field.name);
                        continue;
                    }
                    let found = target_table.resolve(&reference);
                    if found.is_none() {
                        self.errors.push(
                            field_path,
                            format!(
                                "no {} with id or name {}",
                                target_kind.schema().singular,
                                describe(&reference)
                            ),
                        );
                        ok = false;
                        failed.push(field.name);
                        continue;
                    }
                    found
                }
                (None, None) => {
                    if self.required_foreign(field.name) {
                        self.errors.push(field_path, "required field missing");
                        ok = false;
                        failed.push(field.name);
                    }
                    continue;
                }
            };
            match resolved {
                Some(id) => {
                    let mut map = Map::new();
                    map.insert("id".into(), Value::String(id.to_string()));
                    record.insert(field.name.to_owned(), Value::Object(map));
                }
                // The enclosing entity failed its own checks (already reported).
                None => {
                    ok = false;
                    failed.push(field.name);
                }
            }
        }
        // A reference that failed reads as the nil id, so the entity is still decoded and
        // checked (and then left out).
        for name in failed {
            record.insert(name.to_owned(), serde_json::json!({ "id": Uuid::nil() }));
        }
        ok
    }

    /// Foreign keys an entity cannot do without (Kong marks them required; nesting sets them).
    fn required_foreign(&self, field: &str) -> bool {
        matches!(
            (self.kind, field),
            (Kind::Sni, "certificate")
                | (
                    Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential | Kind::Acl,
                    "consumer"
                )
        )
    }
}

/// The table of one kind of an existing configuration: its ids and endpoint keys, for
/// resolving references to it.
fn table_of(config: &Config, kind: Kind) -> Table {
    let mut table = Table::default();
    let mut add = |id: Uuid, key: Option<String>| {
        let position = table.ids.len();
        table.ids.push(Some(id));
        table.paths.push(format!("{}[{id}]", kind.table()));
        table.by_id.insert(id, position);
        if let Some(key) = key {
            table.by_key.entry(key).or_insert(position);
        }
    };
    match kind {
        Kind::CaCertificate => config
            .ca_certificates()
            .iter()
            .for_each(|c| add(c.id, None)),
        Kind::Certificate => config.certificates().iter().for_each(|c| add(c.id, None)),
        Kind::Sni => config
            .snis()
            .iter()
            .for_each(|s| add(s.id, s.endpoint_key())),
        Kind::Service => config
            .services()
            .iter()
            .for_each(|s| add(s.id, s.name.clone())),
        Kind::Route => config
            .routes()
            .iter()
            .for_each(|r| add(r.id, r.name.clone())),
        Kind::Consumer => config
            .consumers()
            .for_each(|c| add(c.id, c.username.clone())),
        Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential | Kind::Acl | Kind::Plugin => {}
    }
    table
}

/// Reads and checks one flat record against an existing configuration, as
/// [`resolve`] would among every record: its references resolved against `config`, its
/// checks run with `config`'s entities as the earlier kinds. The rules across entities of
/// the same kind (uniqueness) are [`Config::apply`]'s.
pub(crate) fn check_one(
    kind: Kind,
    written: Written,
    config: &Config,
    options: &Options<'_>,
    mut errors: Errors,
) -> Result<AnyEntity, ConfigErrors> {
    let mut tables: [Table; 10] = Default::default();
    for field in kind.schema().fields {
        if let Type::Foreign(target) = field.ty
            && let Some(target) = Kind::from_table(target)
            && target.position() < kind.position()
            && let Some(slot) = tables.get_mut(target.position())
        {
            *slot = table_of(config, target);
        }
    }
    let (done, rest) = tables.split_at_mut(kind.position());
    let Some(table) = rest.first_mut() else {
        return Err(errors.into_failure(&written.path, "unknown kind"));
    };
    let exists = |k: Kind, id: Uuid| config.contains(k, id);
    let ctx = Context {
        now: options.now,
        format_version: options.format_version,
        provider: options.provider,
        exists: &exists,
        stored: options.stored,
    };
    let path = written.path.clone();
    table.paths.push(path.clone());
    table.ids.push(None);
    let mut pass = Pass {
        kind,
        done,
        table,
        ctx: &ctx,
        errors: &mut errors,
    };
    let entity = match kind {
        Kind::CaCertificate => pass
            .one::<CaCertificate>(written, 0)
            .map(|(e, _)| AnyEntity::CaCertificate(e)),
        Kind::Certificate => pass
            .one::<Certificate>(written, 0)
            .map(|(e, _)| AnyEntity::Certificate(e)),
        Kind::Sni => pass.one::<Sni>(written, 0).map(|(e, _)| AnyEntity::Sni(e)),
        Kind::Service => pass
            .one::<Service>(written, 0)
            .map(|(e, _)| AnyEntity::Service(e)),
        Kind::Route => pass
            .one::<Route>(written, 0)
            .map(|(e, _)| AnyEntity::Route(e)),
        Kind::Consumer => pass
            .one::<Consumer>(written, 0)
            .map(|(e, _)| AnyEntity::Consumer(e)),
        Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential => {
            let credential_kind = kind.credential_kind();
            pass.one::<Credential>(written, 0)
                .and_then(|(e, _)| credential_kind.map(|k| AnyEntity::Credential(k, e)))
        }
        Kind::Acl => pass
            .one::<AclGroup>(written, 0)
            .map(|(e, _)| AnyEntity::Acl(e)),
        Kind::Plugin => pass
            .one::<PluginInstance>(written, 0)
            .map(|(e, _)| AnyEntity::Plugin(e)),
    };
    match entity {
        Some(entity) => errors.finish(entity),
        None => Err(errors.into_failure(&path, "invalid entity")),
    }
}
