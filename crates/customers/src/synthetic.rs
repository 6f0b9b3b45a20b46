//! Synthetic customers at benchmark scale, written with set-based SQL (a
//! million customers through the domain functions would take hours). Not
//! audited: this is test data for an empty database, not history.
//!
//! Ids and values are derived from the row number, so a load generator can
//! address any of them without a lookup: customer `i` has id
//! [`customer_id`]`(i)` and phone [`phone`]`(i)`.

use diesel::prelude::*;
use rapport_core::Result;
use rapport_core::db::Conn;

/// Interactions per synthetic customer.
pub const INTERACTIONS_PER_CUSTOMER: u64 = 5;
/// Rows written per statement.
const CHUNK: u64 = 50_000;

/// The id of synthetic record `i` of kind `kind` (0 customers, 1 assets,
/// 2 purchases, 3 interactions), a well-formed UUID.
pub fn synthetic_id(kind: u8, i: u64) -> String {
    format!("00000000-0000-7000-800{kind}-{i:012}")
}

/// The id of synthetic customer `i`.
pub fn customer_id(i: u64) -> String {
    synthetic_id(0, i)
}

/// The phone of synthetic customer `i`, in E.164.
pub fn phone(i: u64) -> String {
    format!("+23480{i:08}")
}

/// Writes `count` customers dealing with `division_id`, each with a phone,
/// an email, an asset (a vehicle), a purchase and five interactions, in
/// chunks of [`CHUNK`] rows per statement.
pub fn generate(conn: &mut Conn, division_id: &str, count: u64) -> Result<()> {
    let postgres = matches!(conn, Conn::Postgres(_));
    let mut start = 0;
    while start < count {
        let end = (start + CHUNK).min(count);
        conn.transaction(|conn| {
            for statement in statements(postgres, division_id, start, end) {
                diesel::sql_query(statement).execute(conn)?;
            }
            Ok::<_, rapport_core::Error>(())
        })?;
        rapport_core::db::truncate_wal(conn)?;
        tracing::info!(customers = end, of = count, "synthetic customers written");
        start = end;
    }
    Ok(())
}

/// The statements for customers `start..end`. `{n}` is the row number,
/// `{id:K}` the synthetic id of kind K for row `{n}`.
fn statements(postgres: bool, division_id: &str, start: u64, end: u64) -> Vec<String> {
    let rows = |from: u64, to: u64| {
        if postgres {
            format!("SELECT n FROM generate_series({from}, {} ) AS s(n)", to - 1)
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
    let id = |kind: u8, expr: &str| format!("'00000000-0000-7000-800{kind}-' || {}", pad(expr, 12));
    let now = "'2026-01-01 00:00:00'";
    let first = "(CASE n % 8 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Chidi' WHEN 2 THEN 'Emeka' WHEN 3 THEN 'Funke' \
                 WHEN 4 THEN 'Ibrahim' WHEN 5 THEN 'Ngozi' WHEN 6 THEN 'Tunde' ELSE 'Zainab' END)";
    let last = "(CASE n % 7 WHEN 0 THEN 'Okafor' WHEN 1 THEN 'Bello' WHEN 2 THEN 'Adeyemi' WHEN 3 THEN 'Eze' \
                WHEN 4 THEN 'Musa' WHEN 5 THEN 'Okonkwo' ELSE 'Balogun' END)";
    let name = format!("{first} || ' ' || {last} || ' ' || CAST(n AS TEXT)");
    let customer = id(0, "n");
    let asset = id(1, "n");
    let purchase = id(2, "n");
    let interaction = id(3, "n");
    let owner_of_interaction =
        format!("'00000000-0000-7000-8000-' || {}", pad(&format!("n / {INTERACTIONS_PER_CUSTOMER}"), 12));
    let days = |expr: &str| {
        if postgres {
            format!("CAST(DATE '2024-01-01' + CAST({expr} AS INTEGER) AS DATE)")
        } else {
            format!("date('2024-01-01', '+' || ({expr}) || ' days')")
        }
    };
    let instant = |expr: &str| {
        if postgres {
            format!("TIMESTAMP '2025-01-01 00:00:00' + ({expr}) * INTERVAL '1 minute'")
        } else {
            format!("datetime('2025-01-01 00:00:00', '+' || ({expr}) || ' minutes')")
        }
    };
    let (istart, iend) = (start * INTERACTIONS_PER_CUSTOMER, end * INTERACTIONS_PER_CUSTOMER);
    vec![
        format!(
            "INSERT INTO customers (id, kind, first_name, last_name, display_name, search_name, primary_email, \
             primary_phone, city, country_code, source, version, created_at, updated_at) \
             SELECT {customer}, 'person', {first}, {last}, {name}, lower({name}), \
             'customer' || CAST(n AS TEXT) || '@synthetic.test', '+23480' || {}, 'Lagos', 'NG', 'synthetic', 1, {now}, {now} \
             FROM ({}) AS r",
            pad("n", 8),
            rows(start, end)
        ),
        format!(
            "INSERT INTO customer_phones (customer_id, e164, is_primary, whatsapp) \
             SELECT {customer}, '+23480' || {}, TRUE, n % 2 = 0 FROM ({}) AS r",
            pad("n", 8),
            rows(start, end)
        ),
        format!(
            "INSERT INTO customer_emails (customer_id, email, is_primary) \
             SELECT {customer}, 'customer' || CAST(n AS TEXT) || '@synthetic.test', TRUE FROM ({}) AS r",
            rows(start, end)
        ),
        format!(
            "INSERT INTO customer_divisions (customer_id, division_id, since) \
             SELECT {customer}, '{division_id}', {now} FROM ({}) AS r",
            rows(start, end)
        ),
        format!(
            "INSERT INTO assets (id, customer_id, division_id, kind, make, model, model_year, serial, plate, \
             purchase_date, usage_unit, last_usage, next_service_due_on, service_due_soon_on, \
             next_service_due_usage, service_due_soon_usage, version, created_at, updated_at) \
             SELECT {asset}, {customer}, '{division_id}', 'vehicle', 'Toyota', \
             (CASE n % 3 WHEN 0 THEN 'Hilux' WHEN 1 THEN 'Corolla' ELSE 'Land Cruiser' END), 2018 + n % 8, \
             'SYNVIN' || {}, 'LAG' || {}, {}, 'km', 1000 + n % 90000, {}, {}, \
             1000 + n % 90000 + 9000 - n % 11000, 1000 + n % 90000 + 8000 - n % 11000, 1, {now}, {now} FROM ({}) AS r",
            pad("n", 11),
            pad("n", 7),
            days("n % 700"),
            // Service projections spread over three years around the
            // benchmarks' today, a sixth of them passed by mileage.
            days("365 + n % 1100"),
            days("335 + n % 1100"),
            rows(start, end)
        ),
        format!(
            "INSERT INTO purchases (id, customer_id, division_id, source, invoice_number, purchased_on, currency, \
             amount_minor, status, asset_id, version, created_at, updated_at) \
             SELECT {purchase}, {customer}, '{division_id}', 'synthetic', 'SYN-' || CAST(n AS TEXT), {}, 'NGN', \
             (1500000 + n % 40000000) * 100, (CASE WHEN n % 10 = 0 THEN 'invoiced' ELSE 'paid' END), {asset}, 1, {now}, {now} \
             FROM ({}) AS r",
            days("n % 700"),
            rows(start, end)
        ),
        format!(
            "INSERT INTO interactions (id, customer_id, division_id, channel, direction, subject, summary, occurred_at, \
             duration_seconds, outcome, version, created_at, updated_at) \
             SELECT {interaction}, {owner_of_interaction}, '{division_id}', \
             (CASE n % 4 WHEN 0 THEN 'call' WHEN 1 THEN 'whatsapp' WHEN 2 THEN 'email' ELSE 'visit' END), \
             (CASE WHEN n % 3 = 0 THEN 'outbound' ELSE 'inbound' END), 'Synthetic interaction', \
             'Asked about service booking', {}, 60 + n % 900, 'resolved', 1, {now}, {now} FROM ({}) AS r",
            instant("n % 500000"),
            rows(istart, iend)
        ),
    ]
}
