//! The references interactions make (categories, users, customers,
//! divisions, leads, tickets, external ids), looked up for a whole request at once: one
//! query per kind however many interactions it carries, so a bulk request of
//! 1,000 items costs a handful of queries, not thousands.

use std::collections::{BTreeSet, HashMap, HashSet};

use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{
    customer_divisions, customers, divisions, interaction_categories, interactions, leads, tickets, users,
};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Problems, Result};

use super::categorise::Rules;
use super::rules;

/// A customer an interaction may be linked to.
#[derive(Debug, Clone)]
pub(crate) struct LiveCustomer {
    /// The live customer (the survivor when the one asked for was merged).
    pub id: String,
    /// The divisions it deals with.
    pub divisions: Vec<String>,
}

/// Why a customer cannot be linked.
#[derive(Debug, Clone, Copy)]
enum Refused {
    NotFound,
    Archived,
}

/// What one request refers to, loaded in one go.
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    /// The active rules, for interactions without a category.
    pub rules: Rules,
    categories: HashMap<String, bool>,
    users: HashMap<String, bool>,
    divisions: HashMap<String, bool>,
    customers: HashMap<String, std::result::Result<LiveCustomer, Refused>>,
    /// Leads and tickets named that exist (whoever may see them: a link
    /// target, as a foreign key would check).
    leads: HashSet<String>,
    tickets: HashSet<String>,
}

/// The ids a request refers to.
#[derive(Debug, Default)]
pub(crate) struct Wanted {
    pub categories: BTreeSet<String>,
    pub users: BTreeSet<String>,
    pub customers: BTreeSet<String>,
    pub leads: BTreeSet<String>,
    pub tickets: BTreeSet<String>,
}

impl Lookups {
    /// Loads everything in `wanted`; customers as `customer_reach` sees them.
    pub fn load(conn: &mut Conn, customer_reach: &Reach, wanted: &Wanted) -> Result<Self> {
        let categories = interaction_categories::table
            .filter(interaction_categories::id.eq_any(&wanted.categories))
            .select((interaction_categories::id, interaction_categories::archived_at.is_not_null()))
            .load::<(String, bool)>(conn)?
            .into_iter()
            .collect();
        let users = users::table
            .filter(users::id.eq_any(&wanted.users))
            .select((users::id, users::active))
            .load::<(String, bool)>(conn)?
            .into_iter()
            .collect();
        // Divisions are few; all of them are needed when a default is taken
        // from a customer.
        let divisions = divisions::table
            .select((divisions::id, divisions::archived_at.is_not_null()))
            .load::<(String, bool)>(conn)?
            .into_iter()
            .collect();
        let customers = load_customers(conn, customer_reach, &wanted.customers)?;
        let leads = if wanted.leads.is_empty() {
            HashSet::new()
        } else {
            leads::table
                .filter(leads::id.eq_any(&wanted.leads))
                .select(leads::id)
                .load::<String>(conn)?
                .into_iter()
                .collect()
        };
        let tickets = if wanted.tickets.is_empty() {
            HashSet::new()
        } else {
            tickets::table
                .filter(tickets::id.eq_any(&wanted.tickets))
                .select(tickets::id)
                .load::<String>(conn)?
                .into_iter()
                .collect()
        };
        Ok(Self { rules: rules::active(conn)?, categories, users, divisions, customers, leads, tickets })
    }

    /// Records a problem unless lead `id` exists.
    pub fn check_lead(&self, problems: &mut Problems, id: &str) {
        if !self.leads.contains(id) {
            problems.push("lead_id", "not_found", format!("lead {id} does not exist"));
        }
    }

    /// Records a problem unless ticket `id` exists.
    pub fn check_ticket(&self, problems: &mut Problems, id: &str) {
        if !self.tickets.contains(id) {
            problems.push("ticket_id", "not_found", format!("ticket {id} does not exist"));
        }
    }

    /// Records a problem unless `id` is an active category.
    pub fn check_category(&self, problems: &mut Problems, id: &str) {
        match self.categories.get(id) {
            None => problems.push("category_id", "not_found", format!("category {id} does not exist")),
            Some(true) => problems.push("category_id", "archived", format!("category {id} is archived")),
            Some(false) => {}
        }
    }

    /// Records a problem unless `id` is an active user.
    pub fn check_user(&self, problems: &mut Problems, id: &str) {
        match self.users.get(id) {
            None => problems.push("user_id", "not_found", format!("user {id} does not exist")),
            Some(false) => problems.push("user_id", "inactive", format!("user {id} is deactivated")),
            Some(true) => {}
        }
    }

    /// The live customer `id` stands for, or a problem.
    pub fn customer(&self, problems: &mut Problems, id: &str) -> Option<&LiveCustomer> {
        match self.customers.get(id) {
            Some(Ok(live)) => Some(live),
            Some(Err(Refused::Archived)) => {
                problems.push("customer_id", "archived", format!("customer {id} is archived"));
                None
            }
            None | Some(Err(Refused::NotFound)) => {
                problems.push("customer_id", "not_found", format!("customer {id} does not exist"));
                None
            }
        }
    }

    /// Records a problem unless `id` is an active division the writer may use.
    pub fn check_division(&self, problems: &mut Problems, reach: &Reach, id: &str) {
        match self.divisions.get(id) {
            None => problems.push("division_id", "not_found", format!("division {id} does not exist")),
            Some(true) => problems.push("division_id", "archived", format!("division {id} is archived")),
            Some(false) if reach.scope == Scope::Division && !reach.covers(Some(id), None) => {
                problems.push("division_id", "outside_scope", "you may only write records of your own division");
            }
            Some(false) => {}
        }
    }
}

/// Each asked id → the live customer, following merges, as
/// `customer::store::ensure_reachable` decides one at a time: the id asked
/// for must be within reach; its survivor need not be; an archived live
/// customer is refused.
fn load_customers(
    conn: &mut Conn,
    reach: &Reach,
    asked: &BTreeSet<String>,
) -> Result<HashMap<String, std::result::Result<LiveCustomer, Refused>>> {
    if asked.is_empty() {
        return Ok(HashMap::new());
    }
    type Row = (String, Option<String>, Option<String>, bool);
    let select = (customers::id, customers::owner_id, customers::merged_into_id, customers::archived_at.is_not_null());
    let rows: Vec<Row> = customers::table.filter(customers::id.eq_any(asked)).select(select).load(conn)?;
    let merged_into: BTreeSet<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
    let survivors: Vec<Row> = if merged_into.is_empty() {
        Vec::new()
    } else {
        customers::table.filter(customers::id.eq_any(&merged_into)).select(select).load(conn)?
    };
    let mut ids: BTreeSet<&String> = rows.iter().map(|r| &r.0).collect();
    ids.extend(survivors.iter().map(|r| &r.0));
    let mut dealing: HashMap<String, Vec<String>> = HashMap::new();
    for (customer_id, division_id) in customer_divisions::table
        .filter(customer_divisions::customer_id.eq_any(ids))
        .select((customer_divisions::customer_id, customer_divisions::division_id))
        .order((customer_divisions::customer_id, customer_divisions::division_id))
        .load::<(String, String)>(conn)?
    {
        dealing.entry(customer_id).or_default().push(division_id);
    }
    let archived: HashSet<&String> = rows.iter().chain(&survivors).filter(|r| r.3).map(|r| &r.0).collect();
    let mut out = HashMap::with_capacity(rows.len());
    for (id, owner_id, merged_into_id, _) in &rows {
        let divisions = dealing.get(id).map(Vec::as_slice).unwrap_or_default();
        let reachable = match reach.scope {
            Scope::All => true,
            Scope::Division => divisions.iter().any(|d| d == reach.own_division()),
            Scope::Own => owner_id.as_deref() == Some(reach.user_id.as_str()),
            Scope::Branch => false,
        };
        let live = merged_into_id.clone().unwrap_or_else(|| id.clone());
        let exists = merged_into_id.is_none() || survivors.iter().any(|s| s.0 == live);
        let outcome = if !reachable || !exists {
            Err(Refused::NotFound)
        } else if archived.contains(&live) {
            Err(Refused::Archived)
        } else {
            Ok(LiveCustomer { divisions: dealing.get(&live).cloned().unwrap_or_default(), id: live })
        };
        out.insert(id.clone(), outcome);
    }
    Ok(out)
}

/// Which of `pairs` (source, external id) are stored already, with the
/// interaction holding each.
pub(crate) fn existing_external_ids(
    conn: &mut Conn,
    pairs: &BTreeSet<(String, String)>,
) -> Result<HashMap<(String, String), String>> {
    let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
    for (source, id) in pairs {
        by_source.entry(source).or_default().push(id);
    }
    let mut found = HashMap::new();
    // Usually one source per request, so one query.
    for (source, ids) in by_source {
        let rows: Vec<(Option<String>, String)> = interactions::table
            .filter(interactions::external_source.eq(source))
            .filter(interactions::external_id.eq_any(ids))
            .select((interactions::external_id, interactions::id))
            .load(conn)?;
        for (external_id, id) in rows {
            if let Some(external_id) = external_id {
                found.insert((source.to_owned(), external_id), id);
            }
        }
    }
    Ok(found)
}
