//! Webhook subscriptions: where to deliver which events, signed with which
//! secret. Only admins (and integration keys with `webhooks:*`) manage
//! them, over every division, so there is no reach to apply here.

use chrono::TimeDelta;
use diesel::prelude::*;
use rapport_core::audit::{self, Action, Actor, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::webhook_subscriptions as s;
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::removal::{Removal, Target, delete_or_archive};
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};

use super::api::{
    CreateWebhook, RotateWebhookSecret, UpdateWebhook, WebhookListQuery, WebhookResponse, WebhookSort,
    WebhookWithSecret,
};
use super::patterns;
use super::rows::SubscriptionRow;

/// The audit entity type of subscriptions.
pub const ENTITY: &str = "webhook_subscription";
/// Attempts per delivery when a create names none.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;
const MAX_ATTEMPTS: i32 = 20;
/// How long a rotated-out secret keeps signing when the rotation names no period.
pub const DEFAULT_GRACE: TimeDelta = TimeDelta::hours(24);
/// The longest grace period.
pub const MAX_GRACE: TimeDelta = TimeDelta::days(7);
/// What every signing secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";

pub(crate) fn find_row(conn: &mut Conn, id: &str) -> Result<SubscriptionRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    s::table
        .filter(s::id.eq(id))
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// The stored patterns of a subscription.
pub(crate) fn stored_patterns(row: &SubscriptionRow) -> Result<Vec<String>> {
    serde_json::from_str(&row.event_types)
        .map_err(|e| Error::Internal(format!("webhook {} has bad event types: {e}", row.id)))
}

fn response(row: SubscriptionRow) -> Result<WebhookResponse> {
    let event_types = stored_patterns(&row)?;
    let now = time::now();
    Ok(WebhookResponse {
        id: row.id,
        name: row.name,
        url: row.url,
        event_types,
        description: row.description,
        active: row.active,
        max_attempts: row.max_attempts,
        previous_secret_expires_at: row.previous_secret_expires_at.filter(|at| *at > now).map(time::utc),
        created_by: row.created_by,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

fn max_attempts(problems: &mut Problems, value: i32) -> i32 {
    if !(1..=MAX_ATTEMPTS).contains(&value) {
        problems.push("max_attempts", "out_of_range", format!("must be between 1 and {MAX_ATTEMPTS}"));
    }
    value
}

fn patterns_text(patterns: &[String]) -> Result<String> {
    serde_json::to_string(patterns).map_err(|e| Error::Internal(format!("event types: {e}")))
}

/// One page of subscriptions.
pub fn list(conn: &mut Conn, query: &WebhookListQuery) -> Result<Page<WebhookResponse>> {
    let page = PageRequest::<WebhookSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = s::table.select(SubscriptionRow::as_select()).into_boxed();
    if let Some(active) = query.active {
        q = q.filter(s::active.eq(active));
    }
    if let Some(event_type) = query.event_type.as_deref() {
        let event_type = event_type.trim();
        patterns::check_event_type(event_type)
            .map_err(|message| Error::InvalidQuery(vec![FieldError::new("event_type", "unknown_value", message)]))?;
        // Stored as a JSON array of strings: match each quoted pattern.
        let [exact, entity, all] =
            patterns::patterns_taking(event_type).map(|p| validate::contains_pattern(&format!("\"{p}\"")));
        q = q.filter(
            s::event_types
                .like(exact)
                .escape('\\')
                .or(s::event_types.like(entity).escape('\\'))
                .or(s::event_types.like(all).escape('\\')),
        );
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        WebhookSort::Name => rapport_core::keyset!(q, s::name, s::id, direction, page.after_text()),
        WebhookSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, s::created_at, s::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<SubscriptionRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            WebhookSort::Name => row.name.clone(),
            WebhookSort::CreatedAt => instant_value(row.created_at),
        };
        (value, row.id.clone())
    });
    let items = page.items.into_iter().map(response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Subscription `id`.
pub fn get(conn: &mut Conn, id: &str) -> Result<WebhookResponse> {
    find_row(conn, id).and_then(response)
}

/// Creates a subscription with a new secret, returned only now.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateWebhook) -> Result<WebhookWithSecret> {
    let mut p = Problems::new();
    let name = validate::required_text(&mut p, "name", &input.name, 100);
    let url = patterns::url(&mut p, &input.url);
    let event_types = patterns::parse(&mut p, &input.event_types);
    let description = validate::optional_text(&mut p, "description", input.description.as_deref(), 500);
    let max_attempts = max_attempts(&mut p, input.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS));
    p.into_result(())?;
    let secret = new_secret();
    let now = time::now();
    let created_by = match &ctx.actor {
        Actor::User(id) => Some(id.clone()),
        _ => None,
    };
    let row = SubscriptionRow {
        id: ids::new_id(),
        name,
        url,
        event_types: patterns_text(&event_types)?,
        description,
        active: input.active.unwrap_or(true),
        max_attempts,
        secret: secret.clone(),
        previous_secret: None,
        previous_secret_expires_at: None,
        created_by,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(s::table).values(&row).execute(conn)?;
    let webhook = response(row)?;
    audit::record(conn, ctx, ENTITY, &webhook.id, Action::Created, None, Some(&webhook))?;
    Ok(WebhookWithSecret { secret, webhook })
}

/// A new signing secret: `whsec_` and 32 random bytes in URL-safe base64.
fn new_secret() -> String {
    rapport_auth::tokens::random_secret(SECRET_PREFIX)
}

/// Changes name, URL, event types, description, active or max attempts.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    version: i64,
    changes: UpdateWebhook,
) -> Result<WebhookResponse> {
    let row = find_row(conn, id)?;
    let mut p = Problems::new();
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut p, "name", n, 100));
    let url = changes.url.as_deref().map(|u| patterns::url(&mut p, u));
    let event_types = changes.event_types.as_deref().map(|e| patterns::parse(&mut p, e));
    let description = changes.description.map(|d| validate::optional_text(&mut p, "description", d.as_deref(), 500));
    let attempts = changes.max_attempts.map(|m| max_attempts(&mut p, m));
    p.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = response(row.clone())?;
    let event_types = match event_types {
        Some(e) => patterns_text(&e)?,
        None => row.event_types,
    };
    let updated = diesel::update(s::table.filter(s::id.eq(id)).filter(s::version.eq(version)))
        .set((
            s::name.eq(name.unwrap_or(row.name)),
            s::url.eq(url.unwrap_or(row.url)),
            s::event_types.eq(event_types),
            s::description.eq(description.unwrap_or(row.description)),
            s::active.eq(changes.active.unwrap_or(row.active)),
            s::max_attempts.eq(attempts.unwrap_or(row.max_attempts)),
            s::version.eq(version + 1),
            s::updated_at.eq(time::now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// Gives a subscription a new secret, returned only now. The old one keeps
/// signing too (a second `v1=`) for the grace period, so a receiver can
/// switch without losing deliveries. `expected_version`, when given, must
/// be current.
pub fn rotate_secret(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
    input: RotateWebhookSecret,
) -> Result<WebhookWithSecret> {
    let grace = match input.grace_period_seconds {
        None => DEFAULT_GRACE,
        Some(seconds) if (0..=MAX_GRACE.num_seconds()).contains(&seconds) => TimeDelta::seconds(seconds),
        Some(_) => {
            return Err(Error::InvalidQuery(vec![FieldError::new(
                "grace_period_seconds",
                "out_of_range",
                format!("must be between 0 and {} (7 days)", MAX_GRACE.num_seconds()),
            )]));
        }
    };
    let row = find_row(conn, id)?;
    if expected_version.is_some_and(|v| v != row.version) {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = response(row.clone())?;
    let secret = new_secret();
    let now = time::now();
    let (previous, expires) =
        if grace > TimeDelta::zero() { (Some(row.secret), Some(now + grace)) } else { (None, None) };
    let updated = diesel::update(s::table.filter(s::id.eq(id)).filter(s::version.eq(row.version)))
        .set((
            s::secret.eq(&secret),
            s::previous_secret.eq(previous),
            s::previous_secret_expires_at.eq(expires),
            s::version.eq(row.version + 1),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let webhook = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&webhook))?;
    Ok(WebhookWithSecret { secret, webhook })
}

/// Deletes a subscription that never had a delivery; one that did is
/// deactivated instead (archived) and kept with its delivery log.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<WebhookResponse>> {
    let row = find_row(conn, id)?;
    let target = Target { entity: ENTITY, id, before: response(row.clone())?, version: row.version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(s::table.filter(s::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            diesel::update(s::table.filter(s::id.eq(id)))
                .set((s::active.eq(false), s::version.eq(row.version + 1), s::updated_at.eq(time::now())))
                .execute(conn)?;
            get(conn, id)
        },
    )
}

/// The secrets that sign a delivery now: the current one, and the previous
/// one while its grace period lasts.
pub(crate) fn signing_secrets(row: &SubscriptionRow, now: chrono::NaiveDateTime) -> Vec<String> {
    let mut secrets = vec![row.secret.clone()];
    if let (Some(previous), Some(until)) = (&row.previous_secret, row.previous_secret_expires_at) {
        if until > now {
            secrets.push(previous.clone());
        }
    }
    secrets
}
