//! Categorisation rules: create, read, list, update, delete; and loading
//! the active ones for [`categorise`](super::categorise).

use std::collections::BTreeSet;

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{categorisation_rules as rules, interaction_categories as categories};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};

use super::api::InteractionChannel;
use super::categories::ensure_usable as ensure_category_usable;
use super::categorise::{self, Rule, Rules};
use super::category_api::{CreateRule, RuleListQuery, RuleResponse, RuleSort, UpdateRule};
use super::rows::RuleRow;

const ENTITY: &str = "categorisation_rule";
const MAX_KEYWORDS: usize = 20;
const DEFAULT_PRIORITY: i32 = 100;
const PRIORITY_LIMIT: i32 = 1_000_000;

/// Creates a rule.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateRule) -> Result<RuleResponse> {
    let mut problems = Problems::new();
    let category_id = validate::id_ref(&mut problems, "category_id", &input.category_id);
    let keywords = keywords(&mut problems, &input.keywords);
    let priority = priority(&mut problems, input.priority.unwrap_or(DEFAULT_PRIORITY));
    problems.into_result(())?;
    ensure_category_usable(conn, "category_id", &category_id)?;
    let now = time::now();
    let row = RuleRow {
        id: ids::new_id(),
        category_id,
        channel: input.channel.map(|c| c.as_str().to_owned()),
        keywords: keywords_json(&keywords)?,
        priority,
        active: input.active.unwrap_or(true),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(rules::table).values(&row).execute(conn)?;
    let created = to_response(row)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One rule.
pub fn get(conn: &mut Conn, id: &str) -> Result<RuleResponse> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    let row = rules::table
        .filter(rules::id.eq(id))
        .select(RuleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })?;
    to_response(row)
}

/// One page of rules.
pub fn list(conn: &mut Conn, query: &RuleListQuery) -> Result<Page<RuleResponse>> {
    let page = PageRequest::<RuleSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = rules::table.select(RuleRow::as_select()).into_boxed();
    if let Some(category_id) = &query.category_id {
        q = q.filter(rules::category_id.eq(category_id.clone()));
    }
    if let Some(channel) = query.channel {
        q = q.filter(rules::channel.eq(channel.as_str()));
    }
    if let Some(active) = query.active {
        q = q.filter(rules::active.eq(active));
    }
    if let Some(since) = query.updated_since {
        q = q.filter(rules::updated_at.ge(time::stored(since)));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        RuleSort::Priority => {
            let after =
                page.after_text().map(|(v, id)| v.parse::<i32>().map(|v| (v, id))).transpose().map_err(|_| {
                    Error::InvalidQuery(vec![FieldError::new("cursor", "invalid_cursor", "bad cursor")])
                })?;
            rapport_core::keyset!(q, rules::priority, rules::id, direction, after)
        }
        RuleSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, rules::created_at, rules::id, direction, after)
        }
        RuleSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, rules::updated_at, rules::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<RuleRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            RuleSort::Priority => row.priority.to_string(),
            RuleSort::CreatedAt => instant_value(row.created_at),
            RuleSort::UpdatedAt => instant_value(row.updated_at),
        };
        (value, row.id.clone())
    });
    let items = page.items.into_iter().map(to_response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Applies `changes` if the rule is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: i64,
    changes: UpdateRule,
) -> Result<RuleResponse> {
    let before = get(conn, id)?;
    if before.version != expected_version {
        return Err(Error::StaleVersion { current: before.version });
    }
    let mut problems = Problems::new();
    let category_id = changes.category_id.as_deref().map(|c| validate::id_ref(&mut problems, "category_id", c));
    let keywords = changes.keywords.as_deref().map(|k| keywords(&mut problems, k));
    let priority = changes.priority.map(|p| priority(&mut problems, p));
    problems.into_result(())?;
    if let Some(category_id) = category_id.as_deref().filter(|c| *c != before.category_id) {
        ensure_category_usable(conn, "category_id", category_id)?;
    }
    let channel = changes.channel.unwrap_or(before.channel);
    let now = time::now();
    let updated = diesel::update(rules::table.filter(rules::id.eq(id)).filter(rules::version.eq(expected_version)))
        .set((
            rules::category_id.eq(category_id.unwrap_or_else(|| before.category_id.clone())),
            rules::channel.eq(channel.map(InteractionChannel::as_str)),
            rules::keywords.eq(keywords_json(keywords.as_deref().unwrap_or(&before.keywords))?),
            rules::priority.eq(priority.unwrap_or(before.priority)),
            rules::active.eq(changes.active.unwrap_or(before.active)),
            rules::version.eq(expected_version + 1),
            rules::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: get(conn, id)?.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes the rule (nothing refers to rules, so there is nothing to archive;
/// to keep a rule but stop it, set `active` to false).
pub fn delete(conn: &mut Conn, ctx: &WriteContext, id: &str, expected_version: Option<i64>) -> Result<()> {
    let before = get(conn, id)?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::StaleVersion { current: before.version });
    }
    diesel::delete(rules::table.filter(rules::id.eq(id))).execute(conn)?;
    audit::record(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None::<&RuleResponse>)
}

/// The active rules of active categories, ready to apply.
pub fn active(conn: &mut Conn) -> Result<Rules> {
    let rows: Vec<RuleRow> = rules::table
        .inner_join(categories::table)
        .filter(rules::active.eq(true))
        .filter(categories::archived_at.is_null())
        .select(RuleRow::as_select())
        .load(conn)?;
    let mut ready = Vec::with_capacity(rows.len());
    for row in rows {
        let channel = row.channel.as_deref().map(parse_channel).transpose()?;
        let keywords = parse_keywords(&row.keywords)?;
        ready.push(Rule::new(row.id, row.category_id, channel, row.priority, &keywords));
    }
    Ok(Rules::new(ready))
}

/// 1-20 distinct, non-blank keywords of at most 100 characters, lower-cased
/// with inner runs of spaces collapsed; order kept.
fn keywords(problems: &mut Problems, input: &[String]) -> Vec<String> {
    if input.is_empty() || input.len() > MAX_KEYWORDS {
        problems.push("keywords", "out_of_range", format!("keywords must hold 1-{MAX_KEYWORDS} entries"));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(input.len());
    for (i, raw) in input.iter().enumerate() {
        let keyword = raw.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        let field = format!("keywords[{i}]");
        if keyword.is_empty() {
            problems.push(field, "required", "a keyword must not be blank");
        } else if keyword.chars().count() > 100 {
            problems.push(field, "too_long", "a keyword must be at most 100 characters");
        } else if categorise::words(&keyword).is_empty() {
            problems.push(field, "invalid_keyword", "a keyword needs at least one letter or digit");
        } else if seen.insert(keyword.clone()) {
            out.push(keyword);
        }
    }
    out
}

fn priority(problems: &mut Problems, value: i32) -> i32 {
    if !(-PRIORITY_LIMIT..=PRIORITY_LIMIT).contains(&value) {
        problems.push(
            "priority",
            "out_of_range",
            format!("priority must be between -{PRIORITY_LIMIT} and {PRIORITY_LIMIT}"),
        );
    }
    value
}

fn keywords_json(keywords: &[String]) -> Result<String> {
    serde_json::to_string(keywords).map_err(|e| Error::Internal(format!("keywords: {e}")))
}

fn parse_keywords(stored: &str) -> Result<Vec<String>> {
    serde_json::from_str(stored).map_err(|e| Error::Internal(format!("stored keywords are not a JSON array: {e}")))
}

fn parse_channel(stored: &str) -> Result<InteractionChannel> {
    InteractionChannel::parse(stored).ok_or_else(|| Error::Internal(format!("unknown stored channel {stored}")))
}

fn to_response(row: RuleRow) -> Result<RuleResponse> {
    Ok(RuleResponse {
        channel: row.channel.as_deref().map(parse_channel).transpose()?,
        keywords: parse_keywords(&row.keywords)?,
        id: row.id,
        category_id: row.category_id,
        priority: row.priority,
        active: row.active,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_normalised_deduplicated_and_checked() {
        let mut p = Problems::new();
        let input = ["  Oil   Change ", "oil change", "REFUND"].map(str::to_owned);
        assert_eq!(keywords(&mut p, &input), ["oil change", "refund"]);
        assert!(p.is_empty());
        for bad in
            [vec![], vec![" ".to_owned()], vec!["--".to_owned()], vec!["x".repeat(101)], vec!["k".to_owned(); 21]]
        {
            let mut p = Problems::new();
            keywords(&mut p, &bad);
            assert!(!p.is_empty(), "{bad:?}");
        }
    }
}
