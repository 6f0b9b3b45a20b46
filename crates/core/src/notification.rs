//! Notification records: what a user should be told (a lead or task
//! assigned to them, a hand-over, SLA warnings, due tasks). Any domain
//! writes them in the transaction of the change they announce. The inbox
//! is the in-app channel; for each other channel the user keeps on
//! ([`preferences`]: e-mail by default, SMS and WhatsApp when chosen) the
//! same transaction enqueues a [`DELIVERY_JOB`], which the tasks crate's
//! delivery runs (`rapport_tasks::delivery`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{notification_channels, notifications};
use crate::db::{CacheStatement, Conn};
use crate::jobs::{self, NewJob};
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
    let wanted = preferences(conn, &row.user_id)?;
    for channel in wanted.enabled() {
        jobs::enqueue(
            conn,
            NewJob {
                kind: DELIVERY_JOB,
                payload: serde_json::json!({ "notification_id": row.id, "channel": channel.as_str() }),
                run_at: row.created_at,
                dedupe_key: Some(format!("{DELIVERY_JOB}:{}:{}", row.id, channel.as_str())),
                max_attempts: jobs::DEFAULT_MAX_ATTEMPTS,
            },
        )?;
    }
    Ok(())
}

/// The job that delivers one notification on one channel.
pub const DELIVERY_JOB: &str = "deliver_notification";

crate::text_enum! {
    /// A channel besides the in-app inbox (which every notification reaches).
    DeliveryChannel {
        /// To the user's e-mail address (SMTP).
        Email => "email",
        /// To the user's phone by text message.
        Sms => "sms",
        /// To the user's phone by WhatsApp.
        Whatsapp => "whatsapp",
    }
}

/// The channels a user wants notifications on, besides the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationPreferences {
    /// E-mail (default on).
    pub email: bool,
    /// Text message to the user's phone (default off).
    pub sms: bool,
    /// WhatsApp to the user's phone (default off).
    pub whatsapp: bool,
}

impl NotificationPreferences {
    /// The defaults: e-mail only.
    pub const DEFAULT: NotificationPreferences = NotificationPreferences { email: true, sms: false, whatsapp: false };

    fn get(&self, channel: DeliveryChannel) -> bool {
        match channel {
            DeliveryChannel::Email => self.email,
            DeliveryChannel::Sms => self.sms,
            DeliveryChannel::Whatsapp => self.whatsapp,
        }
    }

    fn set(&mut self, channel: DeliveryChannel, on: bool) {
        match channel {
            DeliveryChannel::Email => self.email = on,
            DeliveryChannel::Sms => self.sms = on,
            DeliveryChannel::Whatsapp => self.whatsapp = on,
        }
    }

    /// The channels switched on.
    pub fn enabled(self) -> impl Iterator<Item = DeliveryChannel> {
        DeliveryChannel::ALL.iter().copied().filter(move |c| self.get(*c))
    }
}

/// Changes to a user's channels; absent ones stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": false, "whatsapp": true}))]
pub struct UpdatePreferences {
    /// E-mail on or off.
    pub email: Option<bool>,
    /// Text messages on or off.
    pub sms: Option<bool>,
    /// WhatsApp on or off.
    pub whatsapp: Option<bool>,
}

/// `user_id`'s channels.
pub fn preferences(conn: &mut Conn, user_id: &str) -> Result<NotificationPreferences> {
    let stored: Vec<(String, bool)> = notification_channels::table
        .filter(notification_channels::user_id.eq(user_id))
        .select((notification_channels::channel, notification_channels::enabled))
        .load(conn)?;
    let mut preferences = NotificationPreferences::DEFAULT;
    for (channel, on) in stored {
        if let Some(channel) = DeliveryChannel::parse(&channel) {
            preferences.set(channel, on);
        }
    }
    Ok(preferences)
}

/// Changes `user_id`'s channels; returns them all.
pub fn set_preferences(conn: &mut Conn, user_id: &str, changes: &UpdatePreferences) -> Result<NotificationPreferences> {
    let now = time::now();
    for (channel, on) in [
        (DeliveryChannel::Email, changes.email),
        (DeliveryChannel::Sms, changes.sms),
        (DeliveryChannel::Whatsapp, changes.whatsapp),
    ] {
        let Some(on) = on else { continue };
        let mine = notification_channels::table
            .filter(notification_channels::user_id.eq(user_id))
            .filter(notification_channels::channel.eq(channel.as_str()));
        let changed = diesel::update(mine)
            .set((notification_channels::enabled.eq(on), notification_channels::updated_at.eq(now)))
            .cached()
            .execute(conn)?;
        if changed == 0 {
            diesel::insert_into(notification_channels::table)
                .values((
                    notification_channels::user_id.eq(user_id),
                    notification_channels::channel.eq(channel.as_str()),
                    notification_channels::enabled.eq(on),
                    notification_channels::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    preferences(conn, user_id)
}

/// What a delivery needs of one notification: its content and its user's
/// addresses.
#[derive(Debug, Clone)]
pub struct ToDeliver {
    /// Its user.
    pub user_id: String,
    /// The notification.
    pub notification: NotificationResponse,
    /// The user's name.
    pub name: String,
    /// The user's e-mail address.
    pub email: String,
    /// The user's phone (E.164), if any.
    pub phone: Option<String>,
    /// Whether the user is active (inactive users are told nothing more).
    pub active: bool,
}

/// Notification `id` with its user's addresses, for a delivery.
pub fn to_deliver(conn: &mut Conn, id: &str) -> Result<ToDeliver> {
    use crate::db::schema::users;
    let (row, (name, email, phone, active)): (NotificationRow, (String, String, Option<String>, bool)) =
        notifications::table
            .inner_join(users::table.on(users::id.eq(notifications::user_id)))
            .filter(notifications::id.eq(id))
            .select((NotificationRow::as_select(), (users::name, users::email, users::phone, users::active)))
            .first(conn)
            .optional()?
            .ok_or(Error::NotFound { entity: "notification" })?;
    let user_id = row.user_id.clone();
    Ok(ToDeliver { user_id, notification: response(row)?, name, email, phone, active })
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
        .cached()
        .execute(conn)?;
    let row = mine.select(NotificationRow::as_select()).first(conn).optional()?.ok_or_else(not_found)?;
    response(row)
}
