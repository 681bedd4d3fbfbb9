//! What can go wrong with the database, said so that an operator can act on it.

use mtls_kong_config::{ConfigErrors, Kind};
use uuid::Uuid;

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one this store opens.
    #[error("invalid database URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another process holds the database's write lock for longer than the busy timeout.
    #[error("the database {location} is locked by another process (waited {waited_ms} ms)")]
    Locked {
        /// The file or server.
        location: String,
        /// How long the store waited for the lock.
        waited_ms: u64,
    },
    /// The database can be read but not written (file permissions, read-only mount).
    #[error("the database {location} is read-only: {detail}")]
    ReadOnly {
        /// The file or server.
        location: String,
        /// The engine's message.
        detail: String,
    },
    /// The file is not a database, or its content is damaged.
    #[error("the database {location} is corrupt or not a database: {detail}")]
    Corrupt {
        /// The file.
        location: String,
        /// The engine's message.
        detail: String,
    },
    /// The database was migrated by a newer version of this program.
    #[error(
        "the database {location} has schema version {found}, newer than the {supported} this \
         program knows: use the newer program, or a copy of the database from before the upgrade"
    )]
    NewerSchema {
        /// The file or server.
        location: String,
        /// The version found in the database.
        found: i64,
        /// The newest version this program migrates to.
        supported: i64,
    },
    /// The database server cannot be reached (or the file cannot be opened).
    #[error("the database {location} cannot be reached: {detail}")]
    Unreachable {
        /// The file or server.
        location: String,
        /// The engine's message.
        detail: String,
    },
    /// A unique column already holds this value (Kong's 409).
    #[error("UNIQUE violation on {table}: {detail}")]
    Unique {
        /// The table.
        table: &'static str,
        /// The engine's message.
        detail: String,
    },
    /// A row refers to one that does not exist, or is still referred to (Kong's code 4).
    #[error("foreign key violation on {table}: {detail}")]
    ForeignKey {
        /// The table.
        table: &'static str,
        /// The engine's message.
        detail: String,
    },
    /// A stored row does not decode as its entity.
    #[error("the stored {kind:?} {id} cannot be read: {detail}")]
    BadRow {
        /// Its kind.
        kind: Kind,
        /// Its id.
        id: String,
        /// What is wrong.
        detail: String,
    },
    /// The stored entities do not form a valid configuration.
    #[error("the stored entities are not a valid configuration:\n{0}")]
    Invalid(ConfigErrors),
    /// Any other database error, with what was being done.
    #[error("database error while {context}: {source}")]
    Database {
        /// What the store was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

impl StoreError {
    /// Whether the database could not be reached at all (Kong answers 503 / 500 and keeps
    /// serving its snapshot), as opposed to refusing one write.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::Locked { .. } | Self::ReadOnly { .. }
        )
    }

    /// Classifies a driver error for `table` at `location`.
    pub(crate) fn from_sqlx(
        error: sqlx::Error,
        context: &'static str,
        table: &'static str,
        location: &str,
        waited_ms: u64,
    ) -> Self {
        use sqlx::error::ErrorKind;
        let location = location.to_owned();
        match &error {
            sqlx::Error::Database(db) => {
                let detail = db.message().to_owned();
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                match db.kind() {
                    ErrorKind::UniqueViolation => return Self::Unique { table, detail },
                    ErrorKind::ForeignKeyViolation => return Self::ForeignKey { table, detail },
                    _ => {}
                }
                // SQLite primary result codes (the low byte of the extended code);
                // PostgreSQL's SQLSTATEs are five characters and never parse as these.
                let primary = (code.len() < 5)
                    .then(|| code.parse::<i64>().ok())
                    .flatten()
                    .map(|c| c & 0xff);
                match (primary, code.as_str()) {
                    (Some(19), _) if detail.contains("FOREIGN KEY") => {
                        Self::ForeignKey { table, detail }
                    }
                    (Some(19), _) if detail.contains("UNIQUE") => Self::Unique { table, detail },
                    (Some(5 | 6), _) => Self::Locked {
                        location,
                        waited_ms,
                    },
                    (Some(8), _) | (_, "25006") => Self::ReadOnly { location, detail },
                    (Some(11 | 26), _) => Self::Corrupt { location, detail },
                    (Some(14), _) => Self::Unreachable { location, detail },
                    _ => Self::Database {
                        context,
                        source: error,
                    },
                }
            }
            sqlx::Error::Io(e) => Self::Unreachable {
                location,
                detail: e.to_string(),
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Self::Unreachable {
                location,
                detail: error.to_string(),
            },
            sqlx::Error::Tls(e) => Self::Unreachable {
                location,
                detail: e.to_string(),
            },
            _ => Self::Database {
                context,
                source: error,
            },
        }
    }

    pub(crate) fn bad_row(kind: Kind, id: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::BadRow {
            kind,
            id: id.into(),
            detail: detail.into(),
        }
    }
}

/// Parses a stored id.
pub(crate) fn parse_id(kind: Kind, text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::bad_row(kind, text, e.to_string()))
}
