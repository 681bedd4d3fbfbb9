//! # mtls-admin
//!
//! Kong's Admin API for the mtls gateway, on hyper: the entities of the mutual-TLS family
//! (services, routes, certificates and SNIs, CA certificates, consumers, mtls-auth and
//! header-cert-auth credentials, ACL groups, plugins) with Kong's endpoints, bodies (JSON,
//! form-urlencoded, multipart), response shapes, pagination and errors. See
//! docs/ADMIN_API.md for the endpoint-by-endpoint table.
//!
//! Two modes ([`Mode`]): over a database ([`mtls_store::Store`]), where every write is
//! validated, compiled by the [`Node`], committed with its change record and swapped in
//! before the answer is sent (or not done at all); and Kong's DB-less mode over a
//! declarative configuration, read-only except `POST /config`.
//!
//! [`serve`] runs it on a listener, plain or TLS, optionally requiring a client certificate
//! validated by mtls-cert. The example on [`Admin`] shows a write.
#![forbid(unsafe_code)]

mod admin;
mod body;
mod cascade;
mod dbless;
pub mod error;
mod follow;
mod info;
mod lookup;
mod node;
pub mod path;
mod plan;
mod read;
mod server;
pub mod tls;
mod unique;
mod write;

pub use admin::{Admin, AdminSettings, Mode, StartError};
pub use dbless::hash as configuration_hash;
pub use error::ApiError;
pub use follow::FollowSettings;
pub use node::{Node, NodeStatus, Prepared};
pub use read::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use server::{AdminTls, serve};
