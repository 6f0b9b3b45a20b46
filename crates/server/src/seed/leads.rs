//! The demo Motors pipeline and its leads (`rapport_leads::demo`), owned by
//! the demo Motors sales reps and partly linked to the demo customers.

use rapport_auth::users::store as users;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::principal::Reach;
use rapport_core::{Error, Result};
use rapport_customers::customer::api::{CustomerKind, CustomerListQuery};
use rapport_customers::customer::store as customers;
use rapport_leads::demo::{self, DemoCustomer, DemoRep, Setup};

/// The demo reps who own leads, and their relative share: the rep the
/// README signs in as holds the biggest book.
const REPS: &[(&str, u64)] =
    &[("sales@demo.rapport.test", 2), ("sales.vi@demo.rapport.test", 1), ("sales.ikeja@demo.rapport.test", 1)];

/// Seeds the demo pipeline and leads in the Motors division unless present.
pub(super) fn demo_leads(conn: &mut Conn, ctx: &WriteContext, motors: &str) -> Result<()> {
    let mut reps = Vec::with_capacity(REPS.len());
    for &(email, share) in REPS {
        let user =
            users::find_by_email(conn, email)?.ok_or_else(|| Error::Internal(format!("demo user {email} missing")))?;
        reps.push(DemoRep { user_id: user.id, branch_id: user.branch_id, share });
    }
    let setup =
        Setup { division_id: motors, reps: &reps, customers: &demo_customers(conn)?, now: rapport_core::time::now() };
    demo::seed(conn, ctx, &setup)
}

/// The demo customers in the order they were created (ids are UUIDv7), so
/// which lead links to which customer is the same on every run.
pub(super) fn demo_customers(conn: &mut Conn) -> Result<Vec<DemoCustomer>> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let query = CustomerListQuery {
            source: Some(super::customers::DEMO_SOURCE.to_owned()),
            limit: Some(200),
            cursor,
            ..Default::default()
        };
        let page = customers::list(conn, &Reach::everything(), &query, &[])?;
        out.extend(
            page.items.into_iter().map(|c| DemoCustomer { company: matches!(c.kind, CustomerKind::Company), id: c.id }),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}
