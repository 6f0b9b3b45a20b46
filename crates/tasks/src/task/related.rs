//! The record a task is about, looked up as a foreign key would check it:
//! whether it exists, and the division, branch and customer it gives the
//! task.

use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{assets, customer_divisions, customers, leads, tickets};
use rapport_core::{Error, Result};

use crate::kinds::RelatedType;

/// What a related record tells about the task.
#[derive(Debug, Clone, Default)]
pub(crate) struct Related {
    /// The record's division; none for a customer dealing with several
    /// (the task must then name one of them).
    pub division_id: Option<String>,
    /// The customer's divisions (for a customer), to check a named one.
    pub customer_divisions: Vec<String>,
    pub branch_id: Option<String>,
    pub customer_id: Option<String>,
}

fn not_found(kind: RelatedType, id: &str) -> Error {
    Error::invalid("related_id", "not_found", format!("{} {id} does not exist", kind.as_str()))
}

/// Looks up `kind` `id`; a missing (or, for customers, merged or erased)
/// record is a 422 on `related_id`.
pub(crate) fn lookup(conn: &mut Conn, kind: RelatedType, id: &str) -> Result<Related> {
    if !rapport_core::ids::is_valid_id(id) {
        return Err(not_found(kind, id));
    }
    let found = match kind {
        RelatedType::Lead => leads::table
            .filter(leads::id.eq(id))
            .select((leads::division_id, leads::branch_id, leads::customer_id))
            .first::<(String, Option<String>, Option<String>)>(conn)
            .optional()?
            .map(|(d, b, c)| Related { division_id: Some(d), branch_id: b, customer_id: c, ..Related::default() }),
        RelatedType::Ticket => tickets::table
            .filter(tickets::id.eq(id))
            .select((tickets::division_id, tickets::branch_id, tickets::customer_id))
            .first::<(String, Option<String>, Option<String>)>(conn)
            .optional()?
            .map(|(d, b, c)| Related { division_id: Some(d), branch_id: b, customer_id: c, ..Related::default() }),
        RelatedType::Asset => assets::table
            .filter(assets::id.eq(id))
            .select((assets::division_id, assets::customer_id))
            .first::<(String, String)>(conn)
            .optional()?
            .map(|(d, c)| Related { division_id: Some(d), customer_id: Some(c), ..Related::default() }),
        RelatedType::Customer => {
            let live: Option<String> = customers::table
                .filter(customers::id.eq(id))
                .filter(customers::merged_into_id.is_null())
                .filter(customers::erased_at.is_null())
                .select(customers::id)
                .first(conn)
                .optional()?;
            match live {
                None => None,
                Some(customer_id) => {
                    let divisions: Vec<String> = customer_divisions::table
                        .filter(customer_divisions::customer_id.eq(&customer_id))
                        .select(customer_divisions::division_id)
                        .order(customer_divisions::division_id)
                        .load(conn)?;
                    let only = if divisions.len() == 1 { divisions.first().cloned() } else { None };
                    Some(Related {
                        division_id: only,
                        customer_divisions: divisions,
                        branch_id: None,
                        customer_id: Some(customer_id),
                    })
                }
            }
        }
    };
    found.ok_or_else(|| not_found(kind, id))
}
