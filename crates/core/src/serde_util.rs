//! Serde helpers for request types.

use serde::{Deserialize, Deserializer};

/// For PATCH fields that may be cleared: absent → `None` (leave as is),
/// `null` → `Some(None)` (clear), a value → `Some(Some(v))`. Use with
/// `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
