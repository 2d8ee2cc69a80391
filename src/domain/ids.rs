//! Row ids. A database keys its rows by integers (refcodes' own schema, PhoenixKit before V40) or by UUIDs
//! (PhoenixKit from V40): [`Key`] holds either, and the id types wrap it so signatures say what they name.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A row's key as the database keeps it. JSON shows it as the database does: a number or a UUID string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    Int(i64),
    Uuid(Uuid),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(n) => n.fmt(f),
            Key::Uuid(u) => u.fmt(f),
        }
    }
}

impl FromStr for Key {
    type Err = String;

    /// A number or a UUID, as people type them.
    fn from_str(s: &str) -> Result<Key, String> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Ok(Key::Int(n));
        }
        Uuid::try_parse(s)
            .map(Key::Uuid)
            .map_err(|_| format!("{} is neither a number nor a UUID", super::error::shown(s)))
    }
}

impl Key {
    /// The number of an integer key.
    pub fn int(self) -> Option<i64> {
        match self {
            Key::Int(n) => Some(n),
            Key::Uuid(_) => None,
        }
    }
}

impl From<i64> for Key {
    fn from(n: i64) -> Key {
        Key::Int(n)
    }
}

impl From<Uuid> for Key {
    fn from(u: Uuid) -> Key {
        Key::Uuid(u)
    }
}

macro_rules! id_type {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Key);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(n: i64) -> $name {
                $name(Key::Int(n))
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> $name {
                $name(Key::Uuid(u))
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<$name, String> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(CodeId, "The id of a referral code.");
id_type!(UserId, "The id of a user in `phoenix_kit_users`.");
id_type!(UsageId, "The id of a usage record.");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_and_show_as_the_database_keeps_them() {
        assert_eq!("42".parse::<Key>(), Ok(Key::Int(42)));
        let uuid = "0199191a-a280-77fe-8626-4a675b4da0cb";
        assert_eq!(uuid.parse::<Key>().unwrap().to_string(), uuid);
        assert!("bob@example.com".parse::<Key>().is_err());
        assert_eq!(serde_json::to_string(&CodeId::from(7)).unwrap(), "7");
        assert_eq!(serde_json::to_string(&UserId(uuid.parse().unwrap())).unwrap(), format!("\"{uuid}\""));
    }
}
