//! Reading row keys: an integer column of any width, or a UUID column, becomes a [`Key`] (and so an id).

use crate::domain::ids::{CodeId, Key, UsageId, UserId};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Postgres, Sqlite, Type, TypeInfo, ValueRef};
use uuid::Uuid;

impl Type<Postgres> for Key {
    fn type_info() -> PgTypeInfo {
        <i64 as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        // PhoenixKit's integer-era references are `integer` beside `bigint` keys.
        matches!(ty.name(), "INT2" | "INT4" | "INT8") || <Uuid as Type<Postgres>>::compatible(ty)
    }
}

impl Decode<'_, Postgres> for Key {
    fn decode(value: PgValueRef<'_>) -> Result<Key, BoxDynError> {
        if value.type_info().name() == "UUID" {
            Ok(Key::Uuid(<Uuid as Decode<Postgres>>::decode(value)?))
        } else {
            Ok(Key::Int(<i64 as Decode<Postgres>>::decode(value)?))
        }
    }
}

impl Type<Sqlite> for Key {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Decode<'_, Sqlite> for Key {
    fn decode(value: SqliteValueRef<'_>) -> Result<Key, BoxDynError> {
        Ok(Key::Int(<i64 as Decode<Sqlite>>::decode(value)?))
    }
}

/// The id types read as the key they wrap.
macro_rules! key_backed {
    ($($id:ident),*) => {$(
        impl<DB: sqlx::Database> Type<DB> for $id
        where
            Key: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <Key as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <Key as Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> Decode<'r, DB> for $id
        where
            Key: Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<$id, BoxDynError> {
                Ok($id(<Key as Decode<'r, DB>>::decode(value)?))
            }
        }
    )*};
}

key_backed!(CodeId, UserId, UsageId);
