//! Counts the database keeps for the reports, so that a year of a million
//! leads is a few thousand rows to sum (`docs/decisions/0008-metric-rollups.md`).
//!
//! Triggers keep `lead_daily_counts` in the transaction of every lead write
//! (migration `000021`; summed per division in `lead_division_daily_counts`,
//! `000028`), `lead_follow_up_counts` in that of every lead and
//! contact write (`000022`), `lead_stay_counts` in that of every stage
//! move and lead re-attribution (`000025`) and `ticket_daily_counts`, through each
//! ticket's `ticket_metric_facts`, in that of every write to a ticket, its
//! SLA row, status history or surveys (`000024`), keyed by local day of
//! the company time zone; and `customer_quality_counts`, through each
//! customer's `customer_quality_facts`, in that of every write to a
//! customer, its divisions, phones or emails (`000026`); and
//! `customer_purchase_counts`, through each purchaser's
//! `customer_purchase_facts`, in that of every write to a purchase or to a
//! customer's owner, merge or archive columns (`000031`; the customer
//! reports read the facts too), and `customer_rfm_counts` from those facts
//! (`000034`); and `asset_service_counts`, through each
//! customer's `asset_service_facts`, in that of every write to an asset or
//! to a customer's owner, merge, erasure or archive columns (`000033`).
//! The customer counts have no days, so a zone change leaves them be.
//! SQLite has no time zones, so the zone's days are a table,
//! `metric_local_days`, written for the zone `metric_settings` names:
//! [`prepare`] rewrites it, and rebuilds the counts, when the server starts
//! with another zone. A report reads the counts only when they are kept for
//! its own zone and its period lies inside the table ([`counts_apply`]);
//! otherwise it sums the rows themselves, the reference the counts must
//! equal ([`differences`] checks that they do).

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection as _, QueryableByName};
use rapport_core::db::{Backend, Conn};
use rapport_core::{Error, Result, time};

use crate::period::Period;
use crate::sql::Sql;

/// The first local day of `metric_local_days`; earlier instants count on it.
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a valid date");
/// The last local day of `metric_local_days`; later instants count on it.
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2199, 12, 31).expect("a valid date");
/// Days written per statement.
const DAYS_PER_STATEMENT: usize = 2_000;

/// The key and measures of `lead_daily_counts`, for the rebuild and the check.
const LEAD_KEY: &str = "basis, day, division_id, branch_id, owner_id, status, currency";
/// The key of `lead_follow_up_counts`.
const FOLLOW_UP_KEY: &str = "day, division_id, branch_id, owner_id";
/// The key of `lead_stay_counts`.
const STAY_KEY: &str = "day, stage_id, division_id, branch_id, owner_id, band";
/// A family of counts the database keeps by triggers. A bulk load may
/// suspend the triggers and rebuild the counts once after it, on PostgreSQL
/// ([`with_counts_rebuilt_after`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeptCounts {
    /// `lead_daily_counts`, `lead_division_daily_counts`,
    /// `lead_follow_up_counts` and `lead_stay_counts` (migrations 000021,
    /// 000022, 000025, 000028), kept from the rows directly.
    Leads,
    /// `ticket_daily_counts`, summed from `ticket_metric_facts` (000024).
    Tickets,
    /// `customer_quality_counts`, summed from `customer_quality_facts` (000026),
    /// and `shared_contact_values` (000032).
    CustomerQuality,
    /// `customer_purchase_counts`, summed from `customer_purchase_facts`,
    /// which the customer reports also read (000031), and
    /// `customer_rfm_counts`, kept from the same facts (000034).
    CustomerPurchases,
    /// `asset_service_counts`, summed from `asset_service_facts` (000033).
    AssetService,
}

/// The PostgreSQL triggers that keep the lead counts, as (table, trigger);
/// the ones that keep lead data (the follow-up log) stay on in a bulk load.
const LEAD_COUNT_TRIGGERS: [(&str, &str); 5] = [
    ("leads", "lead_daily_counts_follow"),
    ("leads", "lead_stay_counts_lead_follow"),
    ("lead_stage_history", "lead_stay_counts_follow"),
    ("lead_follow_ups", "lead_follow_up_counts_follow"),
    ("lead_daily_counts", "lead_division_daily_counts_follow"),
];

/// The PostgreSQL triggers that keep `shared_contact_values` (migration
/// 000032), part of the data-quality family: each takes an advisory lock
/// per value, so a load of many phones in one transaction would run out of
/// lock slots ("out of shared memory") with them on.
const SHARED_VALUE_TRIGGERS: [(&str, &str); 6] = [
    ("customer_phones", "customer_phones_shared_insert"),
    ("customer_phones", "customer_phones_shared_update"),
    ("customer_phones", "customer_phones_shared_delete"),
    ("customer_emails", "customer_emails_shared_insert"),
    ("customer_emails", "customer_emails_shared_update"),
    ("customer_emails", "customer_emails_shared_delete"),
];

/// The phone and email values two or more rows hold: what
/// `shared_contact_values` keeps.
const SHARED_VALUES_RECOUNT: &str = "SELECT CAST('phone' AS TEXT) AS kind, e164 AS value FROM customer_phones \
     GROUP BY e164 HAVING COUNT(*) > 1 \
     UNION ALL SELECT CAST('email' AS TEXT), email FROM customer_emails GROUP BY email HAVING COUNT(*) > 1";

/// The key of `customer_rfm_counts` (migration 000034), kept from the
/// purchase facts by the trigger `customer_rfm_counts_follow`.
const RFM_KEY: &str = "division_key, owner_id, last_on, frequency, currency, band";

/// `customer_rfm_counts` recounted from the purchase facts.
fn rfm_recount() -> String {
    format!(
        "SELECT {RFM_KEY}, SUM(customers) AS customers, SUM(amount_minor) AS amount_minor \
         FROM customer_rfm_contributions GROUP BY {RFM_KEY}"
    )
}

/// The operations a source table's triggers follow, when it is all of them.
const ALL_WRITES: &[&str] = &["insert", "update", "delete"];

/// Where counts kept from facts live: the facts table and the view of what the
/// rows contribute now (same columns), the counts table with its key and
/// measures, the tables whose writes refresh the facts (by triggers
/// `{source}_{stem}_{operation}`, for the operations listed) and the
/// trigger on the facts that keeps the counts.
struct FactsTables {
    facts: &'static str,
    view: &'static str,
    columns: &'static str,
    counts: &'static str,
    key: &'static str,
    measures: &'static [&'static str],
    sources: &'static [(&'static str, &'static [&'static str])],
    stem: &'static str,
    follow: &'static str,
}

const TICKET_FACTS: FactsTables = FactsTables {
    facts: "ticket_metric_facts",
    view: "ticket_metric_contributions",
    columns: "ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, \
              tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5",
    counts: "ticket_daily_counts",
    key: "basis, day, division_id, branch_id, queue_id, assignee_id",
    measures: &[
        "tickets",
        "hits",
        "timed",
        "time_sum",
        "sla",
        "resolution_met",
        "response_met",
        "r1",
        "r2",
        "r3",
        "r4",
        "r5",
    ],
    sources: &[
        ("tickets", ALL_WRITES),
        ("ticket_slas", ALL_WRITES),
        ("ticket_status_history", ALL_WRITES),
        ("csat_surveys", ALL_WRITES),
    ],
    stem: "metric_facts",
    follow: "ticket_daily_counts_follow",
};

const QUALITY_FACTS: FactsTables = FactsTables {
    facts: "customer_quality_facts",
    view: "customer_quality_contributions",
    columns: "customer_id, division_key, owner_id, customers, complete, name, primary_email, \
              primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid",
    counts: "customer_quality_counts",
    key: "division_key, owner_id",
    measures: &crate::quality::KEPT_MEASURES,
    sources: &[
        ("customers", ALL_WRITES),
        ("customer_divisions", ALL_WRITES),
        ("customer_phones", ALL_WRITES),
        ("customer_emails", ALL_WRITES),
    ],
    stem: "quality_facts",
    follow: "customer_quality_counts_follow",
};

const PURCHASE_FACTS: FactsTables = FactsTables {
    facts: "customer_purchase_facts",
    view: "customer_purchase_contributions",
    columns: "division_key, customer_id, currency, owner_id, holders, customers, purchases, amount_minor, first_on, \
              last_on, customer_purchases, customer_first_on, customer_last_on, currencies, divisions",
    counts: "customer_purchase_counts",
    key: "division_key, owner_id, currency",
    measures: &["holders", "customers", "purchases", "amount_minor"],
    sources: &[("purchases", ALL_WRITES), ("customers", ALL_WRITES)],
    stem: "purchase_facts",
    follow: "customer_purchase_counts_follow",
};

const SERVICE_FACTS: FactsTables = FactsTables {
    facts: "asset_service_facts",
    view: "asset_service_contributions",
    columns: "division_key, customer_id, unknown, overdue_from, due_soon_from, owner_id, assets, customers",
    counts: "asset_service_counts",
    key: "division_key, owner_id, unknown, overdue_from, due_soon_from",
    measures: &["assets", "customers"],
    // A customer just inserted has no assets.
    sources: &[("assets", ALL_WRITES), ("customers", &["update", "delete"])],
    stem: "service_facts",
    follow: "asset_service_counts_follow",
};

impl KeptCounts {
    const ALL: [KeptCounts; 5] = [
        KeptCounts::Leads,
        KeptCounts::Tickets,
        KeptCounts::CustomerQuality,
        KeptCounts::CustomerPurchases,
        KeptCounts::AssetService,
    ];

    /// The facts the counts are summed from, if they are.
    fn facts(self) -> Option<&'static FactsTables> {
        match self {
            KeptCounts::Leads => None,
            KeptCounts::Tickets => Some(&TICKET_FACTS),
            KeptCounts::CustomerQuality => Some(&QUALITY_FACTS),
            KeptCounts::CustomerPurchases => Some(&PURCHASE_FACTS),
            KeptCounts::AssetService => Some(&SERVICE_FACTS),
        }
    }

    /// The PostgreSQL triggers that keep the counts (and their facts), as
    /// (table, trigger).
    fn triggers(self) -> Vec<(&'static str, String)> {
        let Some(t) = self.facts() else {
            return LEAD_COUNT_TRIGGERS.iter().map(|&(table, trigger)| (table, trigger.to_owned())).collect();
        };
        let mut triggers: Vec<(&'static str, String)> = t
            .sources
            .iter()
            .flat_map(|&(table, operations)| {
                operations.iter().map(move |op| (table, format!("{table}_{}_{op}", t.stem)))
            })
            .collect();
        triggers.push((t.facts, t.follow.to_owned()));
        match self {
            KeptCounts::CustomerQuality => {
                triggers.extend(SHARED_VALUE_TRIGGERS.iter().map(|&(table, trigger)| (table, trigger.to_owned())));
            }
            KeptCounts::CustomerPurchases => {
                triggers.push((PURCHASE_FACTS.facts, "customer_rfm_counts_follow".to_owned()));
            }
            _ => {}
        }
        triggers
    }

    /// The statements that recompute the counts (and their facts) from the
    /// rows, all in shard 0, with the triggers off.
    fn rebuilt(self) -> Vec<String> {
        let Some(FactsTables { facts, view, columns, counts, key, measures, .. }) = self.facts() else {
            return lead_counts_rebuilt();
        };
        let sums: Vec<String> = measures.iter().map(|m| format!("SUM({m})")).collect();
        let mut statements = vec![
            format!("DELETE FROM {facts}"),
            format!("DELETE FROM {counts}"),
            format!("INSERT INTO {facts} ({columns}) SELECT {columns} FROM {view}"),
            format!(
                "INSERT INTO {counts} ({key}, shard, {}) SELECT {key}, 0, {} FROM {facts} GROUP BY {key}",
                measures.join(", "),
                sums.join(", ")
            ),
        ];
        match self {
            KeptCounts::CustomerQuality => {
                statements.push("DELETE FROM shared_contact_values".to_owned());
                statements.push(format!("INSERT INTO shared_contact_values (kind, value) {SHARED_VALUES_RECOUNT}"));
            }
            KeptCounts::CustomerPurchases => {
                statements.push("DELETE FROM customer_rfm_counts".to_owned());
                statements.push(format!(
                    "INSERT INTO customer_rfm_counts ({RFM_KEY}, shard, customers, amount_minor) \
                     SELECT {RFM_KEY}, 0, customers, amount_minor FROM ({}) r",
                    rfm_recount()
                ));
            }
            _ => {}
        }
        statements
    }
}

/// The statements that recompute the lead counts from the rows (the
/// contribution views), all in shard 0; the per-division counts last, from
/// the finer ones. Correct with the triggers on or off.
fn lead_counts_rebuilt() -> Vec<String> {
    let division_key = "basis, day, division_id, status, currency";
    let lead_measures = "leads, cycle_seconds, value_minor";
    vec![
        "DELETE FROM lead_daily_counts".to_owned(),
        format!(
            "INSERT INTO lead_daily_counts ({LEAD_KEY}, shard, {lead_measures}) \
             SELECT {LEAD_KEY}, 0, SUM(leads), SUM(cycle_seconds), SUM(value_minor) \
             FROM lead_daily_contributions GROUP BY {LEAD_KEY}"
        ),
        "DELETE FROM lead_division_daily_counts".to_owned(),
        format!(
            "INSERT INTO lead_division_daily_counts ({division_key}, shard, {lead_measures}) \
             SELECT {division_key}, 0, SUM(leads), SUM(cycle_seconds), SUM(value_minor) \
             FROM lead_daily_counts GROUP BY {division_key}"
        ),
        "DELETE FROM lead_follow_up_counts".to_owned(),
        format!(
            "INSERT INTO lead_follow_up_counts ({FOLLOW_UP_KEY}, shard, due, met) \
             SELECT {FOLLOW_UP_KEY}, 0, SUM(due), SUM(met) \
             FROM lead_follow_up_contributions GROUP BY {FOLLOW_UP_KEY}"
        ),
        "DELETE FROM lead_stay_counts".to_owned(),
        format!(
            "INSERT INTO lead_stay_counts ({STAY_KEY}, shard, stays, seconds) \
             SELECT {STAY_KEY}, 0, SUM(stays), SUM(seconds) \
             FROM lead_stay_contributions GROUP BY {STAY_KEY}"
        ),
    ]
}

#[derive(QueryableByName)]
struct ZoneRow {
    #[diesel(sql_type = Text)]
    time_zone: String,
}

#[derive(QueryableByName)]
struct CountOnly {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The zone the kept counts are measured in.
fn kept_zone(conn: &mut Conn) -> Result<Option<String>> {
    let rows: Vec<ZoneRow> = Sql::new(conn).push("SELECT time_zone FROM metric_settings WHERE id = 1").load(conn)?;
    Ok(rows.into_iter().next().map(|r| r.time_zone))
}

/// Makes the kept counts measure days in `tz`: when they were kept for
/// another zone, rewrites the local days and rebuilds every count from the
/// rows, in one transaction. Returns whether it rebuilt. Run at start-up,
/// before the server takes requests (a rebuild reads every lead). First
/// rebuilds the kept facts and counts a bulk load left suspended
/// ([`with_counts_rebuilt_after`]).
pub fn prepare(conn: &mut Conn, tz: Tz) -> Result<bool> {
    for kept in KeptCounts::ALL {
        if suspended(conn, kept)? {
            rebuild(conn, kept)?;
        }
    }
    if kept_zone(conn)?.as_deref() == Some(tz.name()) {
        return Ok(false);
    }
    conn.transaction(|conn| {
        Sql::new(conn).push("DELETE FROM metric_local_days").execute(conn)?;
        let days: Vec<NaiveDate> = FIRST_DAY.iter_days().take_while(|d| *d <= LAST_DAY).collect();
        for chunk in days.chunks(DAYS_PER_STATEMENT) {
            // Dates and instants this function computed: no user text.
            let values: Vec<String> = chunk
                .iter()
                .map(|day| format!("('{day}', '{}')", time::local_midnight(tz, *day).format("%Y-%m-%d %H:%M:%S")))
                .collect();
            let statement = format!("INSERT INTO metric_local_days (day, starts_at) VALUES {}", values.join(", "));
            Sql::new(conn).push(&statement).execute(conn)?;
        }
        rebuild_counts(conn)?;
        Sql::new(conn)
            .push("UPDATE metric_settings SET time_zone = ")
            .text(tz.name())
            .push(" WHERE id = 1")
            .execute(conn)?;
        Ok::<_, Error>(())
    })?;
    Ok(true)
}

/// Runs `load`, a bulk load that commits as it goes, with each of the
/// `kept` counts (and their facts) rebuilt from the rows once after it instead of
/// kept row by row, on PostgreSQL. Row by row, a load pays a refresh per row
/// written (≈ 0.3–1 ms each: every customer, division, phone and email;
/// every ticket, SLA clock, status change and survey; every stage move:
/// the first chunk of 20,000 synthetic leads and their 200,000 moves ran
/// over ten minutes), and rows that share
/// a key of the counts (customers without an owner, a queue's tickets of a
/// day) put every fact on the same few rows: PostgreSQL keeps each
/// superseded version of a row until its transaction ends, and the next
/// upsert of the row walks them all, so the load turns quadratic (the
/// synthetic seed's first 50,000 customers did not finish in nine minutes;
/// its first chunk of tickets ran over six). A load cut short leaves the
/// triggers off; [`prepare`] rebuilds and turns them back on at the next
/// start. Not for a server taking writes meanwhile.
pub fn with_counts_rebuilt_after<T>(
    conn: &mut Conn,
    kept: &[KeptCounts],
    load: impl FnOnce(&mut Conn) -> Result<T>,
) -> Result<T> {
    if !matches!(conn, Conn::Postgres(_)) {
        return load(conn);
    }
    for (table, trigger) in kept.iter().flat_map(|k| k.triggers()) {
        Sql::new(conn).push(&format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}")).execute(conn)?;
    }
    let loaded = load(conn);
    for &k in kept {
        rebuild(conn, k)?;
    }
    loaded
}

/// Whether [`with_counts_rebuilt_after`] left any trigger of `kept` off.
fn suspended(conn: &mut Conn, kept: KeptCounts) -> Result<bool> {
    if !matches!(conn, Conn::Postgres(_)) {
        return Ok(false);
    }
    let names: Vec<String> = kept.triggers().into_iter().map(|(_, trigger)| format!("'{trigger}'")).collect();
    let rows: Vec<CountOnly> = Sql::new(conn)
        .push(&format!(
            "SELECT COUNT(*) AS n FROM pg_trigger WHERE tgenabled = 'D' AND tgname IN ({})",
            names.join(", ")
        ))
        .load(conn)?;
    Ok(rows.first().is_some_and(|r| r.n > 0))
}

/// Rebuilds the `kept` counts (and their facts) from the rows and turns
/// their triggers back on, in one transaction (all off while it writes,
/// however many a load left off). The tables just loaded are analysed
/// first: with the statistics of the empty tables, the planner checked each
/// resolved ticket for a later reopening by scanning every reopening after
/// it (the rebuild of 200,000 tickets ran over six minutes; analysed, the
/// check is one probe of the ticket's history).
fn rebuild(conn: &mut Conn, kept: KeptCounts) -> Result<()> {
    let mut tables: Vec<&str> = kept.triggers().into_iter().map(|(table, _)| table).collect();
    tables.sort_unstable();
    tables.dedup();
    let mut statements: Vec<String> = tables.into_iter().map(|table| format!("ANALYZE {table}")).collect();
    statements.extend(
        kept.triggers().into_iter().map(|(table, trigger)| format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}")),
    );
    statements.extend(kept.rebuilt());
    statements.extend(
        kept.triggers().into_iter().map(|(table, trigger)| format!("ALTER TABLE {table} ENABLE TRIGGER {trigger}")),
    );
    conn.transaction(|conn| {
        for statement in &statements {
            Sql::new(conn).push(statement).execute(conn)?;
        }
        Ok(())
    })
}

/// The daily counts PostgreSQL's triggers keep in shards, as (table, key,
/// measures), in the order they fold: `lead_daily_counts` first, whose own
/// trigger moves the folded sums in `lead_division_daily_counts` to their
/// shard 0 too.
const SHARDED_DAILY_COUNTS: [(&str, &str, &[&str]); 5] = [
    ("lead_daily_counts", LEAD_KEY, &["leads", "cycle_seconds", "value_minor"]),
    (
        "lead_division_daily_counts",
        "basis, day, division_id, status, currency",
        &["leads", "cycle_seconds", "value_minor"],
    ),
    ("lead_follow_up_counts", FOLLOW_UP_KEY, &["due", "met"]),
    ("lead_stay_counts", STAY_KEY, &["stays", "seconds"]),
    ("ticket_daily_counts", TICKET_FACTS.key, TICKET_FACTS.measures),
];

/// How long a fold waits for a row a writer holds before it gives up (and
/// is tried again at the next pass), so that a write never waits on it for
/// long or deadlocks with it for the detector's second.
const FOLD_LOCK_TIMEOUT: &str = "500ms";

/// Folds the shards of the daily counts' days before `before` into shard 0,
/// on PostgreSQL (SQLite's single writer keeps everything in shard 0);
/// returns the rows folded away. The triggers spread the writes of a key
/// over eight shards, picked at random per write, so that concurrent writers
/// of one day do not queue on one row; once a day is past, its writes are
/// rare and the shards only multiply what a report sums (up to eight rows
/// per key: the stage durations of a year read 1.46M rows for 189k keys on
/// the benchmark data, 343 ms; folded, 96–144 ms). Each table folds in its
/// own transaction, as one statement: the rows deleted from the shards are
/// the rows summed into shard 0, so a write that commits before it is
/// folded and one after it lands on a shard again. Run by the sweeper and
/// at the end of a seed.
pub fn fold_shards(conn: &mut Conn, before: NaiveDate) -> Result<u64> {
    if !matches!(conn, Conn::Postgres(_)) {
        return Ok(0);
    }
    let mut folded = 0;
    for (table, key, measures) in SHARDED_DAILY_COUNTS {
        let sums: Vec<String> = measures.iter().map(|m| format!("SUM({m})")).collect();
        let any: Vec<String> = measures.iter().map(|m| format!("SUM({m}) <> 0")).collect();
        let adds: Vec<String> = measures.iter().map(|m| format!("{m} = c.{m} + excluded.{m}")).collect();
        let rest = format!(
            " RETURNING *), \
             kept AS (INSERT INTO {table} AS c ({key}, shard, {measures}) \
                      SELECT {key}, 0, {sums} FROM gone GROUP BY {key} HAVING {any} ORDER BY {key} \
                      ON CONFLICT ({key}, shard) DO UPDATE SET {adds} RETURNING 1) \
             SELECT COUNT(*) AS n FROM gone",
            measures = measures.join(", "),
            sums = sums.join(", "),
            any = any.join(" OR "),
            adds = adds.join(", "),
        );
        let rows: Vec<CountOnly> = conn.transaction(|conn| {
            Sql::new(conn).push(&format!("SET LOCAL lock_timeout = '{FOLD_LOCK_TIMEOUT}'")).execute(conn)?;
            Sql::new(conn)
                .push(&format!("WITH gone AS (DELETE FROM {table} WHERE shard <> 0 AND day < "))
                .date(before)
                .push(&rest)
                .load(conn)
        })?;
        folded += rows.first().map_or(0, |r| u64::try_from(r.n).unwrap_or(0));
    }
    Ok(folded)
}

/// Recomputes the kept counts from the rows. The follow-ups' `met_at`
/// compares local days, so it is recomputed first. The ticket facts are
/// replaced through their triggers (the counts are emptied in between, so
/// they end as the sums of the new facts).
fn rebuild_counts(conn: &mut Conn) -> Result<()> {
    let mut sql = Sql::new(conn);
    let met_at = met_at_of_f(sql.backend());
    sql.push(&format!("UPDATE lead_follow_ups AS f SET met_at = {met_at}")).execute(conn)?;
    let mut statements = lead_counts_rebuilt();
    statements.extend([
        "DELETE FROM ticket_metric_facts".to_owned(),
        "DELETE FROM ticket_daily_counts".to_owned(),
        format!(
            "INSERT INTO ticket_metric_facts ({columns}) SELECT {columns} FROM ticket_metric_contributions",
            columns = TICKET_FACTS.columns
        ),
    ]);
    for statement in &statements {
        Sql::new(conn).push(statement).execute(conn)?;
    }
    Ok(())
}

/// How many kept values differ from their recomputation from the rows: 0
/// when the triggers kept them right. Counts keys of `lead_daily_counts`,
/// `lead_division_daily_counts`,
/// `lead_follow_up_counts`, `lead_stay_counts`, `ticket_daily_counts` and
/// `customer_quality_counts`, `customer_purchase_counts`,
/// `customer_rfm_counts` and `asset_service_counts` that are wrong or missing, ticket, customer and
/// asset facts that differ from their
/// contributions now, phone and email values kept as shared (or not) wrongly
/// (`shared_contact_values`), and
/// follow-ups whose lead attributes or `met_at` differ from their lead's
/// and its contacts'. An operator's check, and the tests' proof.
pub fn differences(conn: &mut Conn) -> Result<i64> {
    let lead_measures = "SUM(leads) AS leads, SUM(cycle_seconds) AS cycle_seconds, SUM(value_minor) AS value_minor";
    let lead_counts = keyed_differences(
        &format!(
            "SELECT {LEAD_KEY}, {lead_measures} FROM lead_daily_counts GROUP BY {LEAD_KEY} \
             HAVING SUM(leads) <> 0 OR SUM(cycle_seconds) <> 0 OR SUM(value_minor) <> 0"
        ),
        &format!("SELECT {LEAD_KEY}, {lead_measures} FROM lead_daily_contributions GROUP BY {LEAD_KEY}"),
    );
    // The per-division counts are the finer counts summed (000028).
    let division_key = "basis, day, division_id, status, currency";
    let division_counts = keyed_differences(
        &format!(
            "SELECT {division_key}, {lead_measures} FROM lead_division_daily_counts GROUP BY {division_key} \
             HAVING SUM(leads) <> 0 OR SUM(cycle_seconds) <> 0 OR SUM(value_minor) <> 0"
        ),
        &format!(
            "SELECT {division_key}, {lead_measures} FROM lead_daily_counts GROUP BY {division_key} \
             HAVING SUM(leads) <> 0 OR SUM(cycle_seconds) <> 0 OR SUM(value_minor) <> 0"
        ),
    );
    let follow_up_counts = keyed_differences(
        &format!(
            "SELECT {FOLLOW_UP_KEY}, SUM(due) AS due, SUM(met) AS met FROM lead_follow_up_counts \
             GROUP BY {FOLLOW_UP_KEY} HAVING SUM(due) <> 0 OR SUM(met) <> 0"
        ),
        &format!(
            "SELECT {FOLLOW_UP_KEY}, SUM(due) AS due, SUM(met) AS met FROM lead_follow_up_contributions \
             GROUP BY {FOLLOW_UP_KEY}"
        ),
    );
    let stay_measures = "SUM(stays) AS stays, SUM(seconds) AS seconds";
    let stay_counts = keyed_differences(
        &format!(
            "SELECT {STAY_KEY}, {stay_measures} FROM lead_stay_counts GROUP BY {STAY_KEY} \
             HAVING SUM(stays) <> 0 OR SUM(seconds) <> 0"
        ),
        &format!("SELECT {STAY_KEY}, {stay_measures} FROM lead_stay_contributions GROUP BY {STAY_KEY}"),
    );
    let (ticket_counts, ticket_facts) = fact_differences(&TICKET_FACTS);
    let (quality_counts, quality_facts) = fact_differences(&QUALITY_FACTS);
    let (purchase_counts, purchase_facts) = fact_differences(&PURCHASE_FACTS);
    let (service_counts, service_facts) = fact_differences(&SERVICE_FACTS);
    let shared_values = keyed_differences("SELECT kind, value FROM shared_contact_values", SHARED_VALUES_RECOUNT);
    let rfm_counts = keyed_differences(
        &format!(
            "SELECT {RFM_KEY}, SUM(customers) AS customers, SUM(amount_minor) AS amount_minor \
             FROM customer_rfm_counts GROUP BY {RFM_KEY} HAVING SUM(customers) <> 0 OR SUM(amount_minor) <> 0"
        ),
        &rfm_recount(),
    );
    let mut sql = Sql::new(conn);
    let met_at = met_at_of_f(sql.backend());
    let follow_ups = format!(
        "(SELECT COUNT(*) FROM lead_follow_ups f JOIN leads l ON l.id = f.lead_id \
          WHERE f.division_id <> l.division_id OR f.branch_id <> COALESCE(l.branch_id, '') \
             OR f.owner_id <> COALESCE(l.owner_id, '') OR f.lead_live <> (l.archived_at IS NULL) \
             OR COALESCE(f.met_at, '1900-01-01') <> COALESCE({met_at}, '1900-01-01'))"
    );
    let rows: Vec<CountOnly> = sql
        .push(&format!("SELECT CAST({lead_counts} + {division_counts} + {follow_up_counts} + {follow_ups} + {stay_counts} + {ticket_counts} + {ticket_facts} \
             + {quality_counts} + {quality_facts} + {purchase_counts} + {purchase_facts} + {service_counts} + {service_facts} + {rfm_counts} + {shared_values} AS BIGINT) AS n"))
        .load(conn)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// The first contact meeting follow-up `f` (as the triggers of migration
/// 000022 compute it): after it was set, before the local day after its
/// due day starts.
fn met_at_of_f(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "lead_follow_up_met_at(f)",
        Backend::Sqlite => {
            "(SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = f.lead_id \
             AND i.occurred_at > f.scheduled_at \
             AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > f.due_at))"
        }
    }
}

/// For counts kept from facts: the counts that differ from the facts
/// summed, and the facts that differ from the contributions the view
/// computes now, as SQL expressions.
fn fact_differences(facts: &FactsTables) -> (String, String) {
    let FactsTables { facts: table, view, columns, counts, key, measures, .. } = facts;
    let sums: Vec<String> = measures.iter().map(|m| format!("SUM({m}) AS {m}")).collect();
    let any: Vec<String> = measures.iter().map(|m| format!("SUM({m}) <> 0")).collect();
    let kept_counts = keyed_differences(
        &format!("SELECT {key}, {} FROM {counts} GROUP BY {key} HAVING {}", sums.join(", "), any.join(" OR ")),
        &format!("SELECT {key}, {} FROM {table} GROUP BY {key}", sums.join(", ")),
    );
    let kept_facts =
        keyed_differences(&format!("SELECT {columns} FROM {table}"), &format!("SELECT {columns} FROM {view}"));
    (kept_counts, kept_facts)
}

/// `(rows of kept not in recomputed) + (rows of recomputed not in kept)`,
/// as an SQL expression.
fn keyed_differences(kept: &str, recomputed: &str) -> String {
    format!(
        "((SELECT COUNT(*) FROM (SELECT * FROM ({kept}) k EXCEPT SELECT * FROM ({recomputed}) r) a) \
         + (SELECT COUNT(*) FROM (SELECT * FROM ({recomputed}) r EXCEPT SELECT * FROM ({kept}) k) b))"
    )
}

/// Whether a report over `period` may read the kept counts: they are kept
/// for its zone, and its days lie inside the local-day table (so no
/// instant outside the table was counted on them).
pub(crate) fn counts_apply(conn: &mut Conn, period: &Period) -> Result<bool> {
    let inside = period.from > FIRST_DAY && period.to.checked_add_days(Days::new(1)).is_some_and(|d| d < LAST_DAY);
    Ok(inside && kept_zone(conn)?.as_deref() == Some(period.tz.name()))
}
