//! Notification records: what a user should be told (a lead assigned to
//! them, a hand-over, later SLA warnings and due tasks). Any domain writes
//! them in the transaction of the change they announce; delivery (e-mail,
//! messaging) comes with the tasks issue and reads the same table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::Conn;
use crate::db::schema::notifications;
use crate::page::{Direction, Page, PageRequest, SortKey, instant_value};
use crate::{Error, Result, ids, time};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct NotificationRow {
    id: String,
    user_id: String,
    kind: String,
    entity_type: String,
    entity_id: String,
    payload: String,
    created_at: chrono::NaiveDateTime,
    read_at: Option<chrono::NaiveDateTime>,
}

/// A notification to be written.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    /// Who is told.
    pub user_id: &'a str,
    /// What happened, snake_case, e.g. `lead_assigned`.
    pub kind: &'static str,
    /// The record it is about, e.g. `lead`.
    pub entity_type: &'static str,
    /// That record's id.
    pub entity_id: &'a str,
    /// Details for the message (a JSON object).
    pub payload: serde_json::Value,
}

/// Records a notification.
pub fn record(conn: &mut Conn, new: NewNotification<'_>) -> Result<()> {
    let row = NotificationRow {
        id: ids::new_id(),
        user_id: new.user_id.to_owned(),
        kind: new.kind.to_owned(),
        entity_type: new.entity_type.to_owned(),
        entity_id: new.entity_id.to_owned(),
        payload: new.payload.to_string(),
        created_at: time::now(),
        read_at: None,
    };
    diesel::insert_into(notifications::table).values(&row).execute(conn)?;
    Ok(())
}

/// A notification as its user sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NotificationResponse {
    /// Id.
    pub id: String,
    /// What happened, e.g. `lead_assigned`, `lead_handed_over`.
    pub kind: String,
    /// The record it is about, e.g. `lead`.
    pub entity_type: String,
    /// That record's id.
    pub entity_id: String,
    /// Details (depends on `kind`).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When the user marked it read.
    pub read_at: Option<DateTime<Utc>>,
}

/// Query parameters for the inbox.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationListQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The one sort of the inbox: newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InboxSort {
    CreatedAt,
}

impl SortKey for InboxSort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", InboxSort::CreatedAt)];
    const DEFAULT: (Self, Direction) = (InboxSort::CreatedAt, Direction::Desc);
}

fn response(row: NotificationRow) -> Result<NotificationResponse> {
    let payload = serde_json::from_str(&row.payload)
        .map_err(|e| Error::Internal(format!("stored notification payload {}: {e}", row.id)))?;
    Ok(NotificationResponse {
        id: row.id,
        kind: row.kind,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        payload,
        created_at: time::utc(row.created_at),
        read_at: row.read_at.map(time::utc),
    })
}

/// One page of `user_id`'s notifications, newest first.
pub fn inbox(conn: &mut Conn, user_id: &str, query: &NotificationListQuery) -> Result<Page<NotificationResponse>> {
    let page = PageRequest::<InboxSort>::parse(query.limit, None, query.cursor.as_deref())?;
    let mut q = notifications::table
        .filter(notifications::user_id.eq(user_id.to_owned()))
        .select(NotificationRow::as_select())
        .into_boxed();
    if query.unread == Some(true) {
        q = q.filter(notifications::read_at.is_null());
    }
    let after = page.after_instant()?;
    let q = crate::keyset!(q, notifications::created_at, notifications::id, page.sort.direction, after);
    let rows: Vec<NotificationRow> = q.limit(page.fetch_limit()).load(conn)?;
    let page = page.finish(rows, |row| (instant_value(row.created_at), row.id.clone()));
    let items = page.items.into_iter().map(response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Marks `user_id`'s notification `id` read (again: no change) and returns it.
pub fn mark_read(conn: &mut Conn, user_id: &str, id: &str) -> Result<NotificationResponse> {
    let not_found = || Error::NotFound { entity: "notification" };
    if !ids::is_valid_id(id) {
        return Err(not_found());
    }
    let mine = notifications::table.filter(notifications::id.eq(id)).filter(notifications::user_id.eq(user_id));
    diesel::update(mine.filter(notifications::read_at.is_null()))
        .set(notifications::read_at.eq(time::now()))
        .execute(conn)?;
    let row = mine.select(NotificationRow::as_select()).first(conn).optional()?.ok_or_else(not_found)?;
    response(row)
}
