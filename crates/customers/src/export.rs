//! A data-subject export: everything held on one customer, in one JSON
//! document, in the same shapes the API returns. Every list is read to the
//! end (an export is never capped), page by page.

use chrono::{DateTime, Utc};
use rapport_core::audit::{self, Action, AuditEntryResponse, AuditListQuery, WriteContext};
use rapport_core::db::Conn;
use rapport_core::page::{MAX_LIMIT, Page};
use rapport_core::principal::Reach;
use rapport_core::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::asset::api::{AssetListQuery, AssetResponse, ReadingListQuery, ReadingResponse};
use crate::customer::api::CustomerResponse;
use crate::customer::contacts::{self, ContactListQuery, ContactResponse};
use crate::customer::store::{self as customers, Found};
use crate::interaction::api::{InteractionListQuery, InteractionResponse};
use crate::purchase::api::{PurchaseListQuery, PurchaseResponse};
use crate::service::api::{ServiceRecordListQuery, ServiceRecordResponse};

/// An asset with its usage readings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExportedAsset {
    /// The asset.
    pub asset: AssetResponse,
    /// Every reading, newest first.
    pub readings: Vec<ReadingResponse>,
}

/// Everything held on a customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerExport {
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The customer, with contact details, consent and custom fields.
    pub customer: CustomerResponse,
    /// A company's contacts.
    pub contacts: Vec<ContactResponse>,
    /// Assets (archived ones too) with their readings.
    pub assets: Vec<ExportedAsset>,
    /// Purchases with their lines.
    pub purchases: Vec<PurchaseResponse>,
    /// Service records.
    pub service_records: Vec<ServiceRecordResponse>,
    /// Interactions.
    pub interactions: Vec<InteractionResponse>,
    /// The audit trail of the customer record.
    pub history: Vec<AuditEntryResponse>,
}

/// Reads every page of a list.
fn all<T>(mut page: impl FnMut(Option<String>) -> Result<Page<T>>) -> Result<Vec<T>> {
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let next = page(cursor)?;
        items.extend(next.items);
        match next.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(items),
        }
    }
}

/// Everything held on customer `id`; the export itself is audited.
pub fn export(conn: &mut Conn, ctx: &WriteContext, id: &str) -> Result<CustomerExport> {
    let reach = Reach::everything();
    let customer = match customers::get(conn, &reach, id)? {
        Found::Customer(c) => *c,
        Found::Merged { .. } => return Err(Error::NotFound { entity: "customer" }),
    };
    let limit = Some(MAX_LIMIT);
    let contacts = if customer.kind == crate::customer::api::CustomerKind::Company {
        all(|cursor| contacts::list(conn, &reach, id, &ContactListQuery { limit, cursor, sort: None }))?
    } else {
        Vec::new()
    };
    let asset_list = all(|cursor| {
        let query = AssetListQuery {
            customer_id: Some(id.to_owned()),
            include_archived: Some(true),
            limit,
            cursor,
            ..Default::default()
        };
        crate::asset::list::list(conn, &reach, &query, &[])
    })?;
    let mut assets = Vec::with_capacity(asset_list.len());
    for asset in asset_list {
        let readings = all(|cursor| {
            crate::asset::readings::list(conn, &reach, &asset.id, &ReadingListQuery { limit, cursor, sort: None })
        })?;
        assets.push(ExportedAsset { asset, readings });
    }
    let purchases = all(|cursor| {
        let query = PurchaseListQuery { customer_id: Some(id.to_owned()), limit, cursor, ..Default::default() };
        crate::purchase::store::list(conn, &reach, &query)
    })?;
    let service_records = all(|cursor| {
        let query = ServiceRecordListQuery { customer_id: Some(id.to_owned()), limit, cursor, ..Default::default() };
        crate::service::store::list(conn, &reach, &query)
    })?;
    let interactions = all(|cursor| {
        let query = InteractionListQuery { customer_id: Some(id.to_owned()), limit, cursor, ..Default::default() };
        crate::interaction::store::list(conn, &reach, &query)
    })?;
    let history = all(|cursor| {
        let query = AuditListQuery {
            entity_type: Some("customer".to_owned()),
            entity_id: Some(id.to_owned()),
            sort: Some("occurred_at".to_owned()),
            limit,
            cursor,
            ..Default::default()
        };
        audit::list(conn, &query)
    })?;
    audit::record_event(conn, ctx, "customer", id, Action::Exported, serde_json::json!({"exported": true}))?;
    Ok(CustomerExport {
        exported_at: Utc::now(),
        customer,
        contacts,
        assets,
        purchases,
        service_records,
        interactions,
        history,
    })
}
