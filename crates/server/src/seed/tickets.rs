//! The demo service desk's tickets (`rapport_tickets::demo`): a year of
//! Motors after-sales cases at Ikeja for the demo customers and their
//! vehicles, in the after-sales queue.

use rapport_auth::users::store as users;
use rapport_core::db::Conn;
use rapport_core::principal::Reach;
use rapport_core::{Error, Result};
use rapport_customers::asset::api::AssetListQuery;
use rapport_customers::asset::list as assets;
use rapport_tickets::demo::{self, DemoAsset, DemoCustomer, Setup};
use rapport_tickets::queue::api::QueueListQuery;
use rapport_tickets::queue::store as queues;

/// Seeds the demo tickets unless the division has tickets.
pub(super) fn demo_tickets(conn: &mut Conn, motors: &str, service_branch: &str) -> Result<()> {
    let everything = Reach::everything();
    let queue = queues::list(conn, &everything, &QueueListQuery { division_id: Some(motors.to_owned()) })?
        .into_iter()
        .find(|q| q.name == super::desk::QUEUE)
        .ok_or_else(|| Error::Internal("demo queue missing".to_owned()))?;
    let call_centre = users::find_by_email(conn, "callcenter@demo.rapport.test")?.map(|u| u.id);
    let customers = customers_with_vehicles(conn, motors)?;
    let setup = Setup {
        division_id: motors,
        branch_id: service_branch,
        queue_id: &queue.id,
        logged_by: call_centre.as_deref(),
        customers: &customers,
        now: rapport_core::time::now(),
    };
    demo::seed(conn, &setup)
}

/// The demo customers (in creation order, so the tickets are the same on
/// every run) with their Motors vehicles.
fn customers_with_vehicles(conn: &mut Conn, motors: &str) -> Result<Vec<DemoCustomer>> {
    let mut customers: Vec<DemoCustomer> = super::leads::demo_customers(conn)?
        .into_iter()
        .map(|c| DemoCustomer { id: c.id, company: c.company, assets: Vec::new() })
        .collect();
    let mut cursor = None;
    loop {
        let query =
            AssetListQuery { division_id: Some(motors.to_owned()), limit: Some(200), cursor, ..Default::default() };
        let page = assets::list(conn, &Reach::everything(), &query, &[])?;
        for asset in page.items {
            let Some(owner) = customers.iter_mut().find(|c| c.id == asset.customer_id) else { continue };
            let name = [asset.make.as_deref(), asset.model.as_deref(), asset.plate.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            owner.assets.push(DemoAsset { id: asset.id, label: name, purchased_on: asset.purchase_date });
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    for c in &mut customers {
        c.assets.sort_by(|a, b| a.id.cmp(&b.id));
    }
    Ok(customers)
}
