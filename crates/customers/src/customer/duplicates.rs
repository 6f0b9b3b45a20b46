//! Duplicate candidates: pairs of live customers sharing a phone number, an
//! email address or their name (case-insensitive), listed pair by pair in a
//! stable order so the list pages like any other.

use std::collections::BTreeMap;

use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{customer_divisions, customer_emails, customer_phones, customers};
use rapport_core::page::{Direction, Page, PageRequest, SortKey};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Why two customers may be the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// They share a phone number (after normalisation to E.164).
    Phone,
    /// They share an email address.
    Email,
    /// Their names are the same, ignoring case.
    Name,
}

/// Query parameters for duplicate candidates.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DuplicateListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Only pairs found for this reason.
    pub reason: Option<Reason>,
}

/// One side of a candidate pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerSummary {
    /// Id.
    pub id: String,
    /// Name.
    pub display_name: String,
    /// Primary email.
    pub primary_email: Option<String>,
    /// Primary phone.
    pub primary_phone: Option<String>,
}

/// Two customers that may be one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DuplicatePair {
    /// The customers, the older id first (a merge usually keeps the first).
    pub customers: Vec<CustomerSummary>,
    /// Every reason that matched, strongest first.
    pub reasons: Vec<Reason>,
}

/// The only order: by the pair of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairSort {
    /// By (first id, second id).
    Pair,
}

impl SortKey for PairSort {
    const ALL: &'static [(&'static str, Self)] = &[("pair", Self::Pair)];
    const DEFAULT: (Self, Direction) = (Self::Pair, Direction::Asc);
}

type Pair = (String, String);

/// One page of candidate pairs among the customers within `reach`.
pub fn list(conn: &mut Conn, reach: &Reach, query: &DuplicateListQuery) -> Result<Page<DuplicatePair>> {
    let page = PageRequest::<PairSort>::parse(query.limit, None, query.cursor.as_deref())?;
    let after = page.after_text();
    let fetch = page.fetch_limit();
    let mut found: BTreeMap<Pair, Vec<Reason>> = BTreeMap::new();
    let wanted = |r: Reason| query.reason.is_none_or(|q| q == r);
    if wanted(Reason::Phone) {
        for pair in by_phone(conn, reach, after.as_ref(), fetch)? {
            found.entry(pair).or_default().push(Reason::Phone);
        }
    }
    if wanted(Reason::Email) {
        for pair in by_email(conn, reach, after.as_ref(), fetch)? {
            found.entry(pair).or_default().push(Reason::Email);
        }
    }
    if wanted(Reason::Name) {
        for pair in by_name(conn, reach, after.as_ref(), fetch)? {
            found.entry(pair).or_default().push(Reason::Name);
        }
    }
    // Each source gave its first `fetch` pairs in order, so the first
    // `fetch` of their union are exactly the next pairs overall.
    let pairs: Vec<(Pair, Vec<Reason>)> =
        found.into_iter().take(usize::try_from(fetch).unwrap_or(usize::MAX)).collect();
    let page = page.finish(pairs, |((a, b), _)| (a.clone(), b.clone()));
    let ids: Vec<&str> = page.items.iter().flat_map(|((a, b), _)| [a.as_str(), b.as_str()]).collect();
    let summaries: BTreeMap<String, CustomerSummary> = customers::table
        .filter(customers::id.eq_any(&ids))
        .select((customers::id, customers::display_name, customers::primary_email, customers::primary_phone))
        .load::<(String, String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, display_name, primary_email, primary_phone)| {
            (id.clone(), CustomerSummary { id, display_name, primary_email, primary_phone })
        })
        .collect();
    let items = page
        .items
        .into_iter()
        .map(|((a, b), mut reasons)| {
            reasons.sort();
            let side =
                |id: &str| summaries.get(id).cloned().ok_or_else(|| Error::Internal(format!("customer {id} vanished")));
            Ok(DuplicatePair { customers: vec![side(&a)?, side(&b)?], reasons })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Pairs of rows of `$table` whose `$owner`s differ and share `$value`,
/// both owners live customers within the reach, after the cursor, in order.
/// (A macro because diesel's aliases give every table its own types, and a
/// boxed subquery cannot sit inside a query on the multi-backend connection.)
macro_rules! pairs_sharing {
    ($conn:expr, $reach:expr, $after:expr, $limit:expr, $table:ident, $owner:ident, $value:ident) => {{
        let (left, right) = diesel::alias!($table as left, $table as right);
        let live = || {
            customers::table
                .filter(customers::merged_into_id.is_null())
                .filter(customers::archived_at.is_null())
                .filter(customers::erased_at.is_null())
                .select(customers::id)
        };
        let mut q = left
            .inner_join(
                right.on(right
                    .field($table::$value)
                    .eq(left.field($table::$value))
                    .and(right.field($table::$owner).gt(left.field($table::$owner)))),
            )
            .filter(left.field($table::$owner).eq_any(live()))
            .filter(right.field($table::$owner).eq_any(live()))
            .select((left.field($table::$owner), right.field($table::$owner)))
            .distinct()
            .into_boxed();
        match $reach.scope {
            Scope::All => {}
            Scope::Division => {
                let division = $reach.own_division().to_owned();
                let dealing = || {
                    customer_divisions::table
                        .filter(customer_divisions::division_id.eq(division.clone()))
                        .select(customer_divisions::customer_id)
                };
                q = q
                    .filter(left.field($table::$owner).eq_any(dealing()))
                    .filter(right.field($table::$owner).eq_any(dealing()));
            }
            Scope::Own => {
                let owned =
                    || customers::table.filter(customers::owner_id.eq($reach.user_id.clone())).select(customers::id);
                q = q
                    .filter(left.field($table::$owner).eq_any(owned()))
                    .filter(right.field($table::$owner).eq_any(owned()));
            }
            Scope::Branch => q = q.filter(left.field($table::$owner).eq("")),
        }
        if let Some((a, b)) = $after.cloned() {
            q = q.filter(
                left.field($table::$owner)
                    .gt(a.clone())
                    .or(left.field($table::$owner).eq(a).and(right.field($table::$owner).gt(b))),
            );
        }
        q.order((left.field($table::$owner), right.field($table::$owner))).limit($limit).load::<Pair>($conn)
    }};
}

fn by_phone(conn: &mut Conn, reach: &Reach, after: Option<&Pair>, limit: i64) -> Result<Vec<Pair>> {
    Ok(pairs_sharing!(conn, reach, after, limit, customer_phones, customer_id, e164)?)
}

fn by_email(conn: &mut Conn, reach: &Reach, after: Option<&Pair>, limit: i64) -> Result<Vec<Pair>> {
    Ok(pairs_sharing!(conn, reach, after, limit, customer_emails, customer_id, email)?)
}

fn by_name(conn: &mut Conn, reach: &Reach, after: Option<&Pair>, limit: i64) -> Result<Vec<Pair>> {
    Ok(pairs_sharing!(conn, reach, after, limit, customers, id, search_name)?)
}
