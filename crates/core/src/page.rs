//! Keyset (cursor) pagination and the `sort` grammar shared by every list.
//!
//! A list is ordered by one sort key plus the record id as tie-breaker. The
//! cursor carries the last row's sort value and id, so the next page starts
//! strictly after it: rows inserted between pages never shift or repeat
//! earlier rows. Out-of-range limits are refused, never silently capped.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldError, Result};

/// Page size when the caller gives none.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest page a caller may ask for.
pub const MAX_LIMIT: i64 = 200;

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first (`sort=-key`).
    Desc,
}

/// The sort keys one resource accepts.
pub trait SortKey: Copy + Eq + 'static {
    /// Every accepted key with its query-string name.
    const ALL: &'static [(&'static str, Self)];
    /// The order used when the caller gives none.
    const DEFAULT: (Self, Direction);

    /// The key's query-string name.
    fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, k)| *k == self).map_or("?", |(n, _)| n)
    }
}

/// A parsed `sort` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<K> {
    /// The column.
    pub key: K,
    /// The direction.
    pub direction: Direction,
}

impl<K: SortKey> Sort<K> {
    /// Parses `key` or `-key`; an unknown key is an error naming the accepted ones.
    pub fn parse(raw: Option<&str>) -> std::result::Result<Self, FieldError> {
        let Some(raw) = raw else {
            let (key, direction) = K::DEFAULT;
            return Ok(Self { key, direction });
        };
        let (direction, name) = match raw.strip_prefix('-') {
            Some(name) => (Direction::Desc, name),
            None => (Direction::Asc, raw),
        };
        K::ALL.iter().find(|(n, _)| *n == name).map(|(_, key)| Self { key: *key, direction }).ok_or_else(|| {
            let accepted: Vec<&str> = K::ALL.iter().map(|(n, _)| *n).collect();
            FieldError::new(
                "sort",
                "unknown_sort_key",
                format!("unknown sort key `{name}`; accepted: {} (prefix - for descending)", accepted.join(", ")),
            )
        })
    }

    /// The canonical text form, e.g. `-created_at`.
    pub fn to_param(self) -> String {
        match self.direction {
            Direction::Asc => self.key.name().to_owned(),
            Direction::Desc => format!("-{}", self.key.name()),
        }
    }
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort the cursor was made for; a cursor is only valid with it.
    #[serde(rename = "s")]
    pub sort: String,
    /// The last row's sort value, as text.
    #[serde(rename = "v")]
    pub value: String,
    /// The last row's id.
    #[serde(rename = "i")]
    pub id: String,
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The last row's sort value as a stored instant.
    pub fn value_as_instant(&self) -> Result<NaiveDateTime> {
        NaiveDateTime::parse_from_str(&self.value, INSTANT_FORMAT).map_err(|_| bad_cursor())
    }
}

/// How instants are written into cursors: exact to the microsecond.
const INSTANT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// A date as a cursor value.
pub fn date_value(value: chrono::NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

/// An instant as a cursor value.
pub fn instant_value(value: NaiveDateTime) -> String {
    value.format(INSTANT_FORMAT).to_string()
}

/// A validated request for one page.
#[derive(Debug, Clone)]
pub struct PageRequest<K> {
    /// Rows wanted, 1..=[`MAX_LIMIT`].
    pub limit: i64,
    /// The order.
    pub sort: Sort<K>,
    /// Start strictly after this row.
    pub after: Option<Cursor>,
}

impl<K: SortKey> PageRequest<K> {
    /// Validates `limit`, `sort` and `cursor` together, reporting every problem.
    pub fn parse(limit: Option<i64>, sort: Option<&str>, cursor: Option<&str>) -> Result<Self> {
        let mut errors = Vec::new();
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                "out_of_range",
                format!("limit must be between 1 and {MAX_LIMIT}, got {limit}"),
            ));
        }
        let sort = Sort::<K>::parse(sort).map_err(|e| errors.push(e)).ok();
        let after = match (cursor, sort) {
            (Some(raw), Some(sort)) => match decode_cursor(raw) {
                Some(c) if c.sort == sort.to_param() => Some(c),
                Some(_) => {
                    errors.push(FieldError::new(
                        "cursor",
                        "cursor_sort_mismatch",
                        "the cursor was made for a different sort; pass the same sort as the first page",
                    ));
                    None
                }
                None => {
                    errors.push(FieldError::new("cursor", "invalid_cursor", "the cursor is not one this API issued"));
                    None
                }
            },
            _ => None,
        };
        match sort {
            Some(sort) if errors.is_empty() => Ok(Self { limit, sort, after }),
            _ => Err(Error::InvalidQuery(errors)),
        }
    }

    /// The cursor's position for a text sort column: (value, id).
    pub fn after_text(&self) -> Option<(String, String)> {
        self.after.clone().map(|c| (c.value, c.id))
    }

    /// The cursor's position for an instant sort column: (value, id).
    pub fn after_instant(&self) -> Result<Option<(NaiveDateTime, String)>> {
        self.after.as_ref().map(|c| c.value_as_instant().map(|v| (v, c.id.clone()))).transpose()
    }

    /// The cursor's position for a date sort column: (value, id).
    pub fn after_date(&self) -> Result<Option<(chrono::NaiveDate, String)>> {
        self.after
            .as_ref()
            .map(|c| {
                chrono::NaiveDate::parse_from_str(&c.value, "%Y-%m-%d")
                    .map(|d| (d, c.id.clone()))
                    .map_err(|_| bad_cursor())
            })
            .transpose()
    }

    /// Rows to fetch: one more than the limit, to learn whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }

    /// Cuts the fetched rows to the page and makes the next cursor from the
    /// last row kept. `key` gives a row's sort value (as cursor text) and id.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> (String, String)) -> Page<T> {
        let has_more = rows.len() as i64 > self.limit;
        rows.truncate(usize::try_from(self.limit).unwrap_or(usize::MAX));
        let next_cursor = if has_more {
            rows.last().map(|row| {
                let (value, id) = key(row);
                Cursor { sort: self.sort.to_param(), value, id }.encode()
            })
        } else {
            None
        };
        Page { items: rows, next_cursor }
    }
}

fn decode_cursor(raw: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn bad_cursor() -> Error {
    Error::InvalidQuery(vec![FieldError::new("cursor", "invalid_cursor", "the cursor is not one this API issued")])
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, in order.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Converts every row, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// Applies keyset ordering and the "strictly after the cursor" condition to a
/// boxed diesel query, for one sort column. `$value` is the cursor's sort
/// value already converted to the column's Rust type.
#[macro_export]
macro_rules! keyset {
    ($query:expr, $column:expr, $id:expr, $direction:expr, $after:expr) => {{
        use diesel::{BoolExpressionMethods as _, ExpressionMethods as _, QueryDsl as _};
        let query = $query;
        match ($direction, $after) {
            ($crate::page::Direction::Asc, Some((value, id))) => query
                .filter($column.gt(value.clone()).or($column.eq(value).and($id.gt(id))))
                .order(($column.asc(), $id.asc())),
            ($crate::page::Direction::Desc, Some((value, id))) => query
                .filter($column.lt(value.clone()).or($column.eq(value).and($id.lt(id))))
                .order(($column.desc(), $id.desc())),
            ($crate::page::Direction::Asc, None) => query.order(($column.asc(), $id.asc())),
            ($crate::page::Direction::Desc, None) => query.order(($column.desc(), $id.desc())),
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Key {
        Name,
        CreatedAt,
    }
    impl SortKey for Key {
        const ALL: &'static [(&'static str, Self)] = &[("name", Key::Name), ("created_at", Key::CreatedAt)];
        const DEFAULT: (Self, Direction) = (Key::CreatedAt, Direction::Asc);
    }

    #[test]
    fn parses_sort_with_direction() {
        assert_eq!(Sort::<Key>::parse(Some("-name")), Ok(Sort { key: Key::Name, direction: Direction::Desc }));
        assert_eq!(Sort::<Key>::parse(None), Ok(Sort { key: Key::CreatedAt, direction: Direction::Asc }));
        let err = Sort::<Key>::parse(Some("colour")).err();
        assert!(err.is_some_and(|e| e.field == "sort" && e.message.contains("`colour`")));
    }

    #[test]
    fn refuses_out_of_range_limits_instead_of_capping() {
        for bad in [0, -1, MAX_LIMIT + 1] {
            assert!(PageRequest::<Key>::parse(Some(bad), None, None).is_err(), "limit {bad}");
        }
        assert!(PageRequest::<Key>::parse(Some(MAX_LIMIT), None, None).is_ok());
    }

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_sort() -> Result<()> {
        let page = PageRequest::<Key>::parse(Some(2), Some("-name"), None)?;
        let out = page.finish(vec!["c", "b", "a"], |s| ((*s).to_owned(), format!("id-{s}")));
        assert_eq!(out.items, vec!["c", "b"]);
        let cursor = out.next_cursor.ok_or(Error::Internal("no cursor".into()))?;
        let next = PageRequest::<Key>::parse(Some(2), Some("-name"), Some(&cursor))?;
        assert_eq!(next.after_text(), Some(("b".to_owned(), "id-b".to_owned())));
        assert!(PageRequest::<Key>::parse(Some(2), Some("name"), Some(&cursor)).is_err());
        assert!(PageRequest::<Key>::parse(Some(2), Some("-name"), Some("garbage!")).is_err());
        Ok(())
    }

    #[test]
    fn last_page_has_no_cursor() -> Result<()> {
        let page = PageRequest::<Key>::parse(Some(3), None, None)?;
        assert_eq!(page.finish(vec![1, 2, 3], |n| (n.to_string(), n.to_string())).next_cursor, None);
        Ok(())
    }
}
