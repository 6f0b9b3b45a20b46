//! Synthetic leads at benchmark scale (a million leads, ten million stage
//! moves), written with set-based SQL as `rapport_customers::synthetic` does:
//! through the domain functions it would take hours. Not audited: this is
//! test data for a database that holds no real leads, not history.
//!
//! Lead `n` has id [`lead_id`]`(n)`; its owner is `owners[(n / 10) %
//! owners.len()]` (blocks of ten, so each owner gets every status: with
//! `n % owners.len()` the status, taken from `n % 10`, would be the same for
//! all of an owner's leads), so a load generator signed in as `owners[0]`
//! sees `count / owners.len()` leads of its own, like everyone else's
//! mix. One lead in ten is won, two are lost, the rest are open
//! across the open stages with a next follow-up spread over the fifteen days
//! either side of `now` (so about half are overdue). Each lead has
//! [`MOVES_PER_LEAD`] history rows: it walks the open stages (wrapping round,
//! so some moves go backwards) and its last move enters its current stage.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::{Error, Result};

/// History rows per synthetic lead.
pub const MOVES_PER_LEAD: u64 = 10;
/// Leads written per statement.
const CHUNK: u64 = 20_000;
/// The synthetic pipeline's stages: (name, kind, win probability, follow-up minutes).
const STAGES: [(&str, &str, i32, Option<i32>); 7] = [
    ("New inquiry", "open", 10, Some(60 * 24)),
    ("Contacted", "open", 20, Some(60 * 48)),
    ("Qualified", "open", 40, Some(60 * 72)),
    ("Test drive / Quotation", "open", 60, Some(60 * 72)),
    ("Negotiation", "open", 80, Some(60 * 48)),
    ("Invoiced", "won", 100, None),
    ("Lost", "lost", 0, None),
];
const OPEN_STAGES: u64 = 5;

/// Where the synthetic leads go.
#[derive(Debug)]
pub struct Setup<'a> {
    /// Their division.
    pub division_id: &'a str,
    /// Branches of that division, used in turn (none: no branch).
    pub branch_ids: &'a [String],
    /// Owners, used in turn; at least one.
    pub owner_ids: &'a [String],
    /// "Now" for creation dates and follow-ups.
    pub now: NaiveDateTime,
}

/// The id of synthetic lead `n`.
pub fn lead_id(n: u64) -> String {
    format!("00000000-0000-7000-8004-{n:012}")
}

/// The synthetic pipeline's id (one per database).
pub const PIPELINE_ID: &str = "00000000-0000-7000-8006-000000000000";

/// Writes the synthetic pipeline (once) and `count` leads with their stage
/// history, in chunks of [`CHUNK`] leads per transaction.
pub fn generate(conn: &mut Conn, setup: &Setup<'_>, count: u64) -> Result<()> {
    if setup.owner_ids.is_empty() {
        return Err(Error::Internal("synthetic leads need at least one owner".to_owned()));
    }
    let postgres = matches!(conn, Conn::Postgres(_));
    conn.transaction(|conn| pipeline(conn, postgres, setup))?;
    let mut start = 0;
    while start < count {
        let end = (start + CHUNK).min(count);
        conn.transaction(|conn| {
            for statement in statements(postgres, setup, start, end) {
                diesel::sql_query(statement).execute(conn)?;
            }
            Ok::<_, Error>(())
        })?;
        rapport_core::db::truncate_wal(conn)?;
        tracing::info!(leads = end, of = count, "synthetic leads written");
        start = end;
    }
    Ok(())
}

fn stage_id(i: usize) -> String {
    format!("00000000-0000-7000-8007-{i:012}")
}

const LOST_REASON_ID: &str = "00000000-0000-7000-8008-000000000000";

fn stamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The pipeline, its stages and a lost reason, unless written already.
fn pipeline(conn: &mut Conn, postgres: bool, setup: &Setup<'_>) -> Result<()> {
    let now = stamp(setup.now);
    let ignore = if postgres { ("INSERT", " ON CONFLICT DO NOTHING") } else { ("INSERT OR IGNORE", "") };
    let (insert, on_conflict) = ignore;
    diesel::sql_query(format!(
        "{insert} INTO pipelines (id, division_id, name, version, created_at, updated_at) \
         VALUES ('{PIPELINE_ID}', '{}', 'Synthetic pipeline', 1, '{now}', '{now}'){on_conflict}",
        setup.division_id
    ))
    .execute(conn)?;
    for (i, (name, kind, probability, follow_up)) in STAGES.iter().enumerate() {
        let follow_up = follow_up.map_or_else(|| "NULL".to_owned(), |m| m.to_string());
        diesel::sql_query(format!(
            "{insert} INTO pipeline_stages (id, pipeline_id, position, name, kind, win_probability, \
             follow_up_minutes, created_at, updated_at) \
             VALUES ('{}', '{PIPELINE_ID}', {i}, '{}', '{kind}', {probability}, {follow_up}, '{now}', '{now}'){on_conflict}",
            stage_id(i),
            name.replace('\'', "''"),
        ))
        .execute(conn)?;
    }
    diesel::sql_query(format!(
        "{insert} INTO lost_reasons (id, name, position, version, created_at, updated_at) \
         VALUES ('{LOST_REASON_ID}', 'Price (synthetic)', 99, 1, '{now}', '{now}'){on_conflict}"
    ))
    .execute(conn)?;
    Ok(())
}

/// `CASE expr WHEN 0 THEN 'a' WHEN 1 THEN 'b' … END` over `values`.
fn pick(expr: &str, values: &[String]) -> String {
    if values.is_empty() {
        return "NULL".to_owned();
    }
    let arms: String = values.iter().enumerate().map(|(i, v)| format!(" WHEN {i} THEN '{v}'")).collect();
    format!("(CASE ({expr}) % {}{arms} END)", values.len())
}

/// The statements for leads `start..end`.
fn statements(postgres: bool, setup: &Setup<'_>, start: u64, end: u64) -> Vec<String> {
    let series = |from: u64, to: u64| {
        if postgres {
            // BIGINT: `n * 104729` (the follow-up spread) overflows a 32-bit
            // integer from n = 20,506 on, and generate_series of two integer
            // literals yields INTEGER.
            format!("SELECT n FROM generate_series(CAST({from} AS BIGINT), {}) AS s(n)", to - 1)
        } else {
            format!(
                "WITH RECURSIVE s(n) AS (SELECT {from} UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {to}) SELECT n FROM s"
            )
        }
    };
    let pad = |expr: &str, width: u32| {
        if postgres {
            format!("lpad(CAST({expr} AS TEXT), {width}, '0')")
        } else {
            format!("printf('%0{width}d', {expr})")
        }
    };
    // `base` plus `minutes` (an SQL expression), as a timestamp.
    let at = |base: NaiveDateTime, minutes: &str| {
        if postgres {
            format!("(TIMESTAMP '{}' + ({minutes}) * INTERVAL '1 minute')", stamp(base))
        } else {
            format!("datetime('{}', '+' || ({minutes}) || ' minutes')", stamp(base))
        }
    };
    let year_ago = setup.now - Duration::days(365);
    let lead = format!("'00000000-0000-7000-8004-' || {}", pad("n", 12));
    let owner = pick("n / 10", setup.owner_ids);
    let branch = pick("n", setup.branch_ids);
    let stages: Vec<String> = (0..STAGES.len()).map(stage_id).collect();
    let open_stages = &stages[..OPEN_STAGES as usize];
    // n % 10: 0 won, 1–2 lost, else open in stage n % 5.
    let stage = format!(
        "(CASE WHEN n % 10 = 0 THEN '{}' WHEN n % 10 IN (1, 2) THEN '{}' ELSE {} END)",
        stages[5],
        stages[6],
        pick("n", open_stages)
    );
    let status = "(CASE WHEN n % 10 = 0 THEN 'won' WHEN n % 10 IN (1, 2) THEN 'lost' ELSE 'open' END)";
    // Spread over the year before `now`, minute by minute.
    let created_minutes = "(n * 7919) % 525000";
    let created = at(year_ago, created_minutes);
    // Six hours per move; the last move enters the current stage.
    let closed = at(year_ago, &format!("{created_minutes} + {}", (MOVES_PER_LEAD - 1) * 360));
    let follow_up = at(setup.now - Duration::days(15), "(n * 104729) % 43200");
    let source = "(CASE n % 9 WHEN 0 THEN 'walk_in' WHEN 1 THEN 'phone' WHEN 2 THEN 'whatsapp' WHEN 3 THEN 'instagram' \
                  WHEN 4 THEN 'website' WHEN 5 THEN 'referral' WHEN 6 THEN 'event' WHEN 7 THEN 'erp' ELSE 'other' END)";
    let model = "(CASE n % 4 WHEN 0 THEN 'Hilux' WHEN 1 THEN 'Corolla' WHEN 2 THEN 'Land Cruiser' ELSE 'RAV4' END)";
    let leads = format!(
        "INSERT INTO leads (id, prospect_name, prospect_phone, prospect_email, source, division_id, branch_id, \
         product_interest, currency, expected_value_minor, owner_id, created_by, pipeline_id, stage_id, status, \
         lost_reason_id, score, next_follow_up_at, closed_at, version, created_at, updated_at) \
         SELECT {lead}, 'Prospect ' || CAST(n AS TEXT), '+23490' || {}, 'prospect' || CAST(n AS TEXT) || '@synthetic.test', \
         {source}, '{}', {branch}, {model}, 'NGN', (5000000 + n % 30000000) * 100, {owner}, {owner}, '{PIPELINE_ID}', \
         {stage}, {status}, (CASE WHEN n % 10 IN (1, 2) THEN '{LOST_REASON_ID}' END), n % 101, \
         (CASE WHEN n % 10 > 2 THEN {follow_up} END), (CASE WHEN n % 10 <= 2 THEN {closed} END), 1, {created}, {created} \
         FROM ({}) AS r",
        pad("n", 8),
        setup.division_id,
        series(start, end)
    );
    // Move k of lead n: k < 9 walks the open stages (k % 5, so moves 5 and
    // onwards go back to the start), move 9 enters the current stage.
    let moves: Vec<String> = (0..MOVES_PER_LEAD).map(|k| format!("SELECT {k} AS k")).collect();
    let walked = |k: &str| pick(k, open_stages);
    let to_stage = format!("(CASE WHEN k = {} THEN {stage} ELSE {} END)", MOVES_PER_LEAD - 1, walked("k"));
    let from_stage = format!("(CASE WHEN k = 0 THEN NULL ELSE {} END)", walked("k + 4"));
    let entered = at(year_ago, &format!("{created_minutes} + k * 360"));
    let left = format!(
        "(CASE WHEN k < {} THEN {} END)",
        MOVES_PER_LEAD - 1,
        at(year_ago, &format!("{created_minutes} + (k + 1) * 360"))
    );
    let history = format!(
        "INSERT INTO lead_stage_history (id, lead_id, from_stage_id, to_stage_id, moved_by, entered_at, left_at) \
         SELECT '00000000-0000-7000-8005-' || {}, {lead}, {from_stage}, {to_stage}, {owner}, {entered}, {left} \
         FROM ({}) AS r CROSS JOIN ({}) AS m",
        pad(&format!("n * {MOVES_PER_LEAD} + k"), 12),
        series(start, end),
        moves.join(" UNION ALL ")
    );
    vec![leads, history]
}
