//! Kong's JSON shapes for the typed entities: foreign keys as `{"id": ...}`, protocols by
//! name, empty lists written as null (Kong's Admin API writes unset arrays as `null`).

use mtls_sni::Protocol;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Every protocol, for parsing Kong's names.
pub(crate) const PROTOCOLS: [Protocol; 10] = [
    Protocol::Http,
    Protocol::Https,
    Protocol::Grpc,
    Protocol::Grpcs,
    Protocol::Tcp,
    Protocol::Tls,
    Protocol::TlsPassthrough,
    Protocol::Udp,
    Protocol::Ws,
    Protocol::Wss,
];

/// Parses Kong's protocol name.
pub fn parse_protocol(name: &str) -> Option<Protocol> {
    PROTOCOLS.into_iter().find(|p| p.as_str() == name)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ForeignIn {
    Id(Uuid),
    Object { id: Uuid },
}

#[derive(Serialize)]
struct ForeignOut {
    id: Uuid,
}

/// An optional foreign key: `null` or `{"id": ...}` (a bare id also reads).
pub(crate) mod foreign {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(id: &Option<Uuid>, s: S) -> Result<S::Ok, S::Error> {
        id.map(|id| ForeignOut { id }).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Uuid>, D::Error> {
        Ok(Option::<ForeignIn>::deserialize(d)?.map(|f| match f {
            ForeignIn::Id(id) | ForeignIn::Object { id } => id,
        }))
    }
}

/// A required foreign key: `{"id": ...}` (a bare id also reads).
pub(crate) mod required_foreign {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(id: &Uuid, s: S) -> Result<S::Ok, S::Error> {
        ForeignOut { id: *id }.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
        Ok(match ForeignIn::deserialize(d)? {
            ForeignIn::Id(id) | ForeignIn::Object { id } => id,
        })
    }
}

/// A list written as `null` when empty; `null` or absent reads as empty.
pub(crate) mod list {
    use super::*;

    pub(crate) fn serialize<T: Serialize, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        if v.is_empty() {
            s.serialize_none()
        } else {
            v.serialize(s)
        }
    }

    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }
}

/// Protocols by Kong's names.
pub(crate) mod protocols {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[Protocol], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|p| p.as_str()))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Protocol>, D::Error> {
        let names = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
        names
            .iter()
            .map(|n| {
                parse_protocol(n)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown protocol {n:?}")))
            })
            .collect()
    }
}

/// Optional protocols by Kong's names (`null`: the default), read only.
pub(crate) mod optional_protocols {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<Protocol>>, D::Error> {
        let Some(names) = Option::<Vec<String>>::deserialize(d)? else {
            return Ok(None);
        };
        names
            .iter()
            .map(|n| {
                parse_protocol(n)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown protocol {n:?}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// One protocol by Kong's name.
pub(crate) mod protocol {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Protocol, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.as_str())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Protocol, D::Error> {
        let name = String::deserialize(d)?;
        parse_protocol(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown protocol {name:?}")))
    }
}

/// A number written as an integer when it has no fraction (Kong's `60`, not `60.0`).
pub(crate) mod number {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            s.serialize_i64(*v as i64)
        } else {
            s.serialize_f64(*v)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}

/// A string where `null` reads as empty (a field computed when absent).
pub(crate) mod null_string {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
    }
}
