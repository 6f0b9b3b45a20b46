//! Automation rules as admins define them: create, read, change, delete.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{automation_rules, automation_runs, branches, divisions, users, webhook_subscriptions};
use rapport_core::page::{Direction, Page, PageRequest, SortKey, instant_value};
use rapport_core::{Error, Problems, Result, ids, time, validate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::action::{self, RuleAction};
use super::trigger::{TriggerKind, TriggerParams};

/// The entity type in the audit log and the change feed.
pub const ENTITY: &str = "automation_rule";

/// A rule to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Welcome call after a vehicle purchase",
    "trigger": "purchase_recorded",
    "conditions": {"asset_kind": ["vehicle"]},
    "actions": [{"type": "create_task", "title": "Welcome call", "kind": "follow_up_call",
        "assign_to": {"to": "owner"}, "due_in_minutes": 1440}],
    "delay_minutes": 0
}))]
pub struct CreateRule {
    /// Its name, at most 200 characters.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// What sets it off.
    pub trigger: TriggerKind,
    /// Settings of the trigger (`days_before`, or a schedule's `at`, `weekdays`, `division_id`).
    #[serde(default)]
    pub trigger_params: TriggerParams,
    /// Field to allowed values; every field named must match (see the
    /// trigger's fields in docs/automation.md). Empty: always.
    #[serde(default)]
    pub conditions: BTreeMap<String, Vec<String>>,
    /// What it does, in order (1-10).
    pub actions: Vec<RuleAction>,
    /// Run the actions this many minutes after the occurrence (0-525600).
    #[serde(default)]
    pub delay_minutes: i64,
    /// Default true. Only occurrences after it is enabled fire it.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Changes to a rule; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": false, "version": 2}))]
pub struct UpdateRule {
    /// New name.
    pub name: Option<String>,
    /// New description (`null` clears it).
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// New trigger settings.
    pub trigger_params: Option<TriggerParams>,
    /// New conditions (replace the old ones).
    pub conditions: Option<BTreeMap<String, Vec<String>>>,
    /// New actions (replace the old ones).
    pub actions: Option<Vec<RuleAction>>,
    /// New delay.
    pub delay_minutes: Option<i64>,
    /// Switch it on or off.
    pub enabled: Option<bool>,
    /// The version being changed (or `If-Match`).
    pub version: Option<i64>,
}

/// A rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleResponse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Set on the built-in defaults, e.g. `lead_follow_up`.
    pub builtin_key: Option<String>,
    /// What sets it off.
    pub trigger: TriggerKind,
    /// Trigger settings.
    pub trigger_params: TriggerParams,
    /// Field to allowed values.
    pub conditions: BTreeMap<String, Vec<String>>,
    /// What it does.
    pub actions: Vec<RuleAction>,
    /// Minutes between the occurrence and the actions.
    pub delay_minutes: i64,
    /// Whether it fires.
    pub enabled: bool,
    /// Occurrences from this instant on fire it.
    pub enabled_at: Option<DateTime<Utc>>,
    /// Who created it (none for built-ins).
    pub created_by: Option<String>,
    /// Version, for `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was archived (deleted after it had run).
    pub archived_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = automation_rules)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct RuleRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub builtin_key: Option<String>,
    pub trigger_kind: String,
    pub trigger_params: String,
    pub conditions: String,
    pub actions: String,
    pub delay_minutes: i32,
    pub enabled: bool,
    pub enabled_at: Option<NaiveDateTime>,
    pub scanned_until: Option<NaiveDateTime>,
    pub created_by: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub archived_at: Option<NaiveDateTime>,
}

/// A stored rule, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub trigger: TriggerKind,
    pub params: TriggerParams,
    pub conditions: BTreeMap<String, Vec<String>>,
    pub actions: Vec<RuleAction>,
    pub delay_minutes: i64,
    pub enabled_at: Option<NaiveDateTime>,
    pub scanned_until: Option<NaiveDateTime>,
}

fn corrupt(id: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("automation rule {id} has a bad {what}: {e}"))
}

impl RuleRow {
    pub(crate) fn parse(&self) -> Result<Rule> {
        let trigger =
            TriggerKind::parse(&self.trigger_kind).ok_or_else(|| corrupt(&self.id, "trigger", &self.trigger_kind))?;
        Ok(Rule {
            id: self.id.clone(),
            trigger,
            params: serde_json::from_str(&self.trigger_params).map_err(|e| corrupt(&self.id, "trigger_params", e))?,
            conditions: serde_json::from_str(&self.conditions).map_err(|e| corrupt(&self.id, "conditions", e))?,
            actions: serde_json::from_str(&self.actions).map_err(|e| corrupt(&self.id, "actions", e))?,
            delay_minutes: i64::from(self.delay_minutes),
            enabled_at: self.enabled_at,
            scanned_until: self.scanned_until,
        })
    }

    fn response(&self) -> Result<RuleResponse> {
        let rule = self.parse()?;
        Ok(RuleResponse {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            builtin_key: self.builtin_key.clone(),
            trigger: rule.trigger,
            trigger_params: rule.params,
            conditions: rule.conditions,
            actions: rule.actions,
            delay_minutes: rule.delay_minutes,
            enabled: self.enabled,
            enabled_at: self.enabled_at.map(time::utc),
            created_by: self.created_by.clone(),
            version: self.version,
            created_at: time::utc(self.created_at),
            updated_at: time::utc(self.updated_at),
            archived_at: self.archived_at.map(time::utc),
        })
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))
}

/// Checks everything about a rule's definition, the database included.
fn check_definition(
    conn: &mut Conn,
    problems: &mut Problems,
    trigger: TriggerKind,
    params: &TriggerParams,
    conditions: &BTreeMap<String, Vec<String>>,
    actions: &[RuleAction],
    delay_minutes: i64,
) -> Result<()> {
    params.check(trigger, problems);
    let fields = trigger.condition_fields();
    for (field, values) in conditions {
        let name = format!("conditions.{field}");
        if !fields.contains(&field.as_str()) {
            let allowed = if fields.is_empty() { "none".to_owned() } else { fields.join(", ") };
            problems.push(
                name,
                "unknown_field",
                format!("trigger {} has no field {field}; it has {allowed}", trigger.as_str()),
            );
        } else if values.is_empty() || values.len() > 100 || values.iter().any(|v| v.trim().is_empty() || v.len() > 200)
        {
            problems.push(name, "invalid", "list 1-100 non-blank values");
        } else if field == "division_id" {
            check_ids(conn, problems, &name, values, Lookup::Division)?;
        } else if field == "branch_id" {
            check_ids(conn, problems, &name, values, Lookup::Branch)?;
        }
    }
    if let Some(d) = &params.division_id {
        check_ids(conn, problems, "trigger_params.division_id", std::slice::from_ref(d), Lookup::Division)?;
    }
    action::check(trigger, actions, problems);
    for (field, user) in action::named_users(actions) {
        check_ids(conn, problems, &field, &[user.to_owned()], Lookup::ActiveUser)?;
    }
    for (field, subscription) in action::named_subscriptions(actions) {
        check_ids(conn, problems, &field, &[subscription.to_owned()], Lookup::WebhookSubscription)?;
    }
    if !(0..=525_600).contains(&delay_minutes) {
        problems.push("delay_minutes", "out_of_range", "delay_minutes must be 0-525600");
    }
    Ok(())
}

enum Lookup {
    Division,
    Branch,
    ActiveUser,
    WebhookSubscription,
}

fn check_ids(conn: &mut Conn, problems: &mut Problems, field: &str, values: &[String], lookup: Lookup) -> Result<()> {
    for value in values {
        let found: i64 = if !ids::is_valid_id(value) {
            0
        } else {
            match lookup {
                Lookup::Division => divisions::table.filter(divisions::id.eq(value)).count().get_result(conn)?,
                Lookup::Branch => branches::table.filter(branches::id.eq(value)).count().get_result(conn)?,
                Lookup::ActiveUser => {
                    users::table.filter(users::id.eq(value)).filter(users::active.eq(true)).count().get_result(conn)?
                }
                Lookup::WebhookSubscription => {
                    webhook_subscriptions::table.filter(webhook_subscriptions::id.eq(value)).count().get_result(conn)?
                }
            }
        };
        if found == 0 {
            let what = match lookup {
                Lookup::Division => "division",
                Lookup::Branch => "branch",
                Lookup::ActiveUser => "active user",
                Lookup::WebhookSubscription => "webhook subscription",
            };
            problems.push(field, "not_found", format!("no {what} {value}"));
        }
    }
    Ok(())
}

/// A rule as the system defines it (the built-in defaults).
pub(crate) struct Builtin<'a> {
    pub key: &'a str,
    pub input: CreateRule,
}

/// Creates a rule.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateRule) -> Result<RuleResponse> {
    insert(conn, ctx, input, None)
}

pub(crate) fn insert(
    conn: &mut Conn,
    ctx: &WriteContext,
    input: CreateRule,
    builtin_key: Option<&str>,
) -> Result<RuleResponse> {
    let mut problems = Problems::new();
    let name = validate::required_text(&mut problems, "name", &input.name, 200);
    let description = validate::optional_text(&mut problems, "description", input.description.as_deref(), 2000);
    check_definition(
        conn,
        &mut problems,
        input.trigger,
        &input.trigger_params,
        &input.conditions,
        &input.actions,
        input.delay_minutes,
    )?;
    problems.into_result(())?;
    let now = time::now();
    let enabled = input.enabled.unwrap_or(true);
    let row = RuleRow {
        id: ids::new_id(),
        name,
        description,
        builtin_key: builtin_key.map(str::to_owned),
        trigger_kind: input.trigger.as_str().to_owned(),
        trigger_params: to_json(&input.trigger_params)?,
        conditions: to_json(&input.conditions)?,
        actions: to_json(&input.actions)?,
        delay_minutes: i32::try_from(input.delay_minutes).unwrap_or(0),
        enabled,
        enabled_at: enabled.then_some(now),
        scanned_until: None,
        created_by: ctx.actor.id().filter(|_| ctx.actor.kind() == "user").map(str::to_owned),
        version: 1,
        created_at: now,
        updated_at: now,
        archived_at: None,
    };
    diesel::insert_into(automation_rules::table).values(&row).execute(conn)?;
    let created = row.response()?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

fn find_row(conn: &mut Conn, id: &str) -> Result<RuleRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    automation_rules::table
        .filter(automation_rules::id.eq(id))
        .select(RuleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// Rule `id` (archived ones too).
pub fn get(conn: &mut Conn, id: &str) -> Result<RuleResponse> {
    find_row(conn, id)?.response()
}

/// Applies `changes` to rule `id` at `version`. Switching a rule on starts
/// it afresh: occurrences while it was off do not fire it.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    version: i64,
    changes: UpdateRule,
) -> Result<RuleResponse> {
    let row = find_row(conn, id)?;
    if row.archived_at.is_some() {
        return Err(Error::NotFound { entity: ENTITY });
    }
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = row.response()?;
    let current = row.parse()?;
    let mut problems = Problems::new();
    let mut next = row.clone();
    if let Some(name) = &changes.name {
        next.name = validate::required_text(&mut problems, "name", name, 200);
    }
    if let Some(description) = &changes.description {
        next.description = validate::optional_text(&mut problems, "description", description.as_deref(), 2000);
    }
    let params = changes.trigger_params.unwrap_or(current.params);
    let conditions = changes.conditions.unwrap_or(current.conditions);
    let actions = changes.actions.unwrap_or(current.actions);
    let delay = changes.delay_minutes.unwrap_or(current.delay_minutes);
    check_definition(conn, &mut problems, current.trigger, &params, &conditions, &actions, delay)?;
    problems.into_result(())?;
    let now = time::now();
    next.trigger_params = to_json(&params)?;
    next.conditions = to_json(&conditions)?;
    next.actions = to_json(&actions)?;
    next.delay_minutes = i32::try_from(delay).unwrap_or(0);
    if let Some(enabled) = changes.enabled {
        if enabled && !row.enabled {
            next.enabled_at = Some(now);
            next.scanned_until = None;
        }
        next.enabled = enabled;
    }
    next.version = row.version + 1;
    next.updated_at = now;
    let changed = diesel::update(
        automation_rules::table.filter(automation_rules::id.eq(id)).filter(automation_rules::version.eq(version)),
    )
    .set(&next)
    .execute(conn)?;
    if changed == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let after = next.response()?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes rule `id`; one that has run is archived instead (its runs
/// explain tasks that exist) and returned.
pub fn delete(conn: &mut Conn, ctx: &WriteContext, id: &str, version: Option<i64>) -> Result<Option<RuleResponse>> {
    let row = find_row(conn, id)?;
    if row.archived_at.is_some() {
        return Err(Error::NotFound { entity: ENTITY });
    }
    if let Some(v) = version
        && v != row.version
    {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = row.response()?;
    let runs: i64 = automation_runs::table.filter(automation_runs::rule_id.eq(id)).count().get_result(conn)?;
    if runs == 0 {
        diesel::delete(automation_rules::table.filter(automation_rules::id.eq(id))).execute(conn)?;
        audit::record(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None)?;
        return Ok(None);
    }
    let now = time::now();
    diesel::update(automation_rules::table.filter(automation_rules::id.eq(id)))
        .set((
            automation_rules::archived_at.eq(now),
            automation_rules::enabled.eq(false),
            automation_rules::version.eq(row.version + 1),
            automation_rules::updated_at.eq(now),
        ))
        .execute(conn)?;
    let after = find_row(conn, id)?.response()?;
    audit::record(conn, ctx, ENTITY, id, Action::Archived, Some(&before), Some(&after))?;
    Ok(Some(after))
}

/// Query parameters for the rule list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RuleListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `created_at` (default) or `-created_at`.
    pub sort: Option<String>,
    /// Only rules with this trigger.
    pub trigger: Option<TriggerKind>,
    /// Only enabled (`true`) or disabled (`false`) rules.
    pub enabled: Option<bool>,
    /// Include archived rules (default false).
    pub include_archived: Option<bool>,
}

/// Sort keys of the rule list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSort {
    /// By creation.
    CreatedAt,
}

impl SortKey for RuleSort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", Self::CreatedAt)];
    const DEFAULT: (Self, Direction) = (Self::CreatedAt, Direction::Asc);
}

/// One page of rules.
pub fn list(conn: &mut Conn, query: &RuleListQuery) -> Result<Page<RuleResponse>> {
    let page = PageRequest::<RuleSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = automation_rules::table.select(RuleRow::as_select()).into_boxed();
    if let Some(t) = query.trigger {
        q = q.filter(automation_rules::trigger_kind.eq(t.as_str()));
    }
    if let Some(e) = query.enabled {
        q = q.filter(automation_rules::enabled.eq(e));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(automation_rules::archived_at.is_null());
    }
    let after = page.after_instant()?;
    let q = rapport_core::keyset!(q, automation_rules::created_at, automation_rules::id, page.sort.direction, after);
    let rows = q.limit(page.fetch_limit()).load::<RuleRow>(conn)?;
    let page = page.finish(rows, |row| (instant_value(row.created_at), row.id.clone()));
    let items = page.items.iter().map(RuleRow::response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Installs the built-in rules missing from the database, switched off
/// (the demo switches them on); returns how many were added.
pub(crate) fn install(conn: &mut Conn, builtins: Vec<Builtin<'_>>) -> Result<usize> {
    let mut added = 0;
    for builtin in builtins {
        let exists: i64 =
            automation_rules::table.filter(automation_rules::builtin_key.eq(builtin.key)).count().get_result(conn)?;
        if exists == 0 {
            // Replicas starting together race to install: the loser's insert
            // breaks the unique key, which means installed (a savepoint keeps
            // the surrounding transaction usable on PostgreSQL).
            match conn.transaction(|conn| insert(conn, &WriteContext::system(), builtin.input, Some(builtin.key))) {
                Ok(_) => added += 1,
                Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(added)
}

/// The id of the built-in rule `key`, once installed.
pub fn builtin_id(conn: &mut Conn, key: &str) -> Result<Option<String>> {
    Ok(automation_rules::table
        .filter(automation_rules::builtin_key.eq(key))
        .select(automation_rules::id)
        .first(conn)
        .optional()?)
}
