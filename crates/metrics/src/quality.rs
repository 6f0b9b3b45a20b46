//! Data-quality reports over the live customers, now (`docs/metrics.md`,
//! "Data quality"): how complete their profiles are, which share a phone
//! or an email with another, and which stored phones and emails are not
//! well formed.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use rapport_core::Result;
use rapport_core::db::{Backend, Conn};

use crate::Kpi;
use crate::assemble::Assembly;
use crate::customers::LIVE;
use crate::filters::Filters;
use crate::report::{BreakdownRow, Measure, Report};
use crate::sql::{CountRow, Sql, count_if};

const NO_CUSTOMERS: &str = "no live customers";

/// `FROM customers c WHERE` the customer conditions.
fn customers_where(sql: &mut Sql, filters: &Filters) {
    sql.push(" FROM customers c WHERE 1 = 1");
    customer_conditions(sql, filters);
}

/// `AND` customer `c` is live, with the filters: the owner, and a division
/// the customer deals with (`customer_divisions`).
fn customer_conditions(sql: &mut Sql, filters: &Filters) {
    sql.push(" AND ").push(LIVE);
    sql.eq_opt("c.owner_id", filters.user_id.as_deref());
    if let Some(division) = filters.division_id.as_deref() {
        sql.push(" AND EXISTS (SELECT 1 FROM customer_divisions cd WHERE cd.customer_id = c.id AND cd.division_id = ");
        sql.text(division).push(")");
    }
    if filters.branch_id.is_some() {
        // Only a branch scope gets here (the parameter is refused):
        // customers belong to no branch, so it sees none.
        sql.push(" AND 1 = 0");
    }
}

/// `<column>` holds more than blanks.
fn filled(column: &str) -> String {
    format!("COALESCE(TRIM({column}), '') <> ''")
}

/// The fields measured, in display order: key, label, condition on `c`.
fn fields() -> [(&'static str, &'static str, String); 7] {
    [
        (
            "name",
            "Name (first and last; a company's name)",
            format!(
                "((c.kind = 'person' AND {} AND {}) OR (c.kind = 'company' AND {}))",
                filled("c.first_name"),
                filled("c.last_name"),
                filled("c.company_name")
            ),
        ),
        ("primary_email", "Primary email", filled("c.primary_email")),
        ("primary_phone", "Primary phone", filled("c.primary_phone")),
        ("address", "Address (line and city)", format!("({} AND {})", filled("c.address_line"), filled("c.city"))),
        ("source", "Source", filled("c.source")),
        ("owner", "Owner", "c.owner_id IS NOT NULL".to_owned()),
        (
            "division",
            "At least one division",
            "EXISTS (SELECT 1 FROM customer_divisions d WHERE d.customer_id = c.id)".to_owned(),
        ),
    ]
}

/// The data-quality counts the database keeps (`customer_quality_counts`,
/// migration 000026), summed over the scope.
#[derive(Debug, Default, QueryableByName)]
struct KeptQuality {
    #[diesel(sql_type = BigInt)]
    customers: i64,
    #[diesel(sql_type = BigInt)]
    complete: i64,
    #[diesel(sql_type = BigInt)]
    name: i64,
    #[diesel(sql_type = BigInt)]
    primary_email: i64,
    #[diesel(sql_type = BigInt)]
    primary_phone: i64,
    #[diesel(sql_type = BigInt)]
    address: i64,
    #[diesel(sql_type = BigInt)]
    source: i64,
    #[diesel(sql_type = BigInt)]
    owner: i64,
    #[diesel(sql_type = BigInt)]
    division: i64,
    #[diesel(sql_type = BigInt)]
    phones: i64,
    #[diesel(sql_type = BigInt)]
    phones_invalid: i64,
    #[diesel(sql_type = BigInt)]
    emails: i64,
    #[diesel(sql_type = BigInt)]
    emails_invalid: i64,
}

/// The measures of `customer_quality_counts` (and of its facts).
pub(crate) const KEPT_MEASURES: [&str; 13] = [
    "customers",
    "complete",
    "name",
    "primary_email",
    "primary_phone",
    "address",
    "source",
    "owner",
    "division",
    "phones",
    "phones_invalid",
    "emails",
    "emails_invalid",
];

/// The kept counts for the report's scope: the whole base or one division
/// the customers deal with (`division_key`), one owner or all. Customers
/// belong to no branch, so a branch scope sees none.
fn kept(conn: &mut Conn, filters: &Filters) -> Result<KeptQuality> {
    if filters.branch_id.is_some() {
        return Ok(KeptQuality::default());
    }
    let sums: Vec<String> =
        KEPT_MEASURES.iter().map(|c| format!("CAST(COALESCE(SUM(q.{c}), 0) AS BIGINT) AS {c}")).collect();
    let mut sql = Sql::new(conn);
    sql.push(&format!("SELECT {} FROM customer_quality_counts q WHERE q.division_key = ", sums.join(", ")));
    sql.text(filters.division_id.as_deref().unwrap_or(""));
    sql.eq_opt("q.owner_id", filters.user_id.as_deref());
    Ok(sql.load::<KeptQuality>(conn)?.into_iter().next().unwrap_or_default())
}

#[derive(Debug, QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// From the customers themselves: the live customers in scope, those
/// complete, then each field's count, in `fields`' order.
fn counted_fields(conn: &mut Conn, filters: &Filters, fields: &[(&str, &str, String)]) -> Result<Vec<i64>> {
    // One pass: the count, each field's count and the all-fields count,
    // as one row per measure so the row type stays fixed.
    let mut sql = Sql::new(conn);
    let all: Vec<&str> = fields.iter().map(|f| f.2.as_str()).collect();
    let mut columns = vec!["COUNT(*)".to_owned(), count_if(&all.join(" AND "))];
    columns.extend(fields.iter().map(|f| count_if(&f.2)));
    sql.push("WITH t AS (SELECT ");
    let named: Vec<String> = columns.iter().enumerate().map(|(i, c)| format!("{c} AS v{i}")).collect();
    sql.push(&named.join(", "));
    customers_where(&mut sql, filters);
    sql.push(") ");
    let selects: Vec<String> =
        (0..columns.len()).map(|i| format!("SELECT {i} AS i, CAST(t.v{i} AS BIGINT) AS n FROM t")).collect();
    sql.push(&format!("SELECT x.n AS n FROM ({}) x ORDER BY x.i", selects.join(" UNION ALL ")));
    Ok(sql.load::<Counted>(conn)?.into_iter().map(|c| c.n).collect())
}

/// Per field, the share of live customers who have it; and the share who
/// have them all.
pub(crate) fn completeness(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let fields = fields();
    let counts: Vec<i64> = if filters.counts_kept {
        let k = kept(conn, filters)?;
        vec![
            k.customers,
            k.complete,
            k.name,
            k.primary_email,
            k.primary_phone,
            k.address,
            k.source,
            k.owner,
            k.division,
        ]
    } else {
        counted_fields(conn, filters, &fields)?
    };
    let at = |i: usize| counts.get(i).copied().unwrap_or(0);
    let customers = at(0);
    let mut a = Assembly::new(Kpi::Completeness, "Profile completeness of live customers (now)", filters, None);
    a.measures = vec![
        Measure::count("customers", customers),
        Measure::count("complete", at(1)),
        Measure::rate("complete_rate", at(1), customers, NO_CUSTOMERS),
    ];
    for (i, (key, label, _)) in fields.iter().enumerate() {
        let n = at(i + 2);
        a.breakdown.push(BreakdownRow {
            dimension: "field".into(),
            key: (*key).into(),
            label: (*label).into(),
            measures: vec![Measure::count("present", n), Measure::rate("rate", n, customers, NO_CUSTOMERS)],
        });
    }
    Ok(a.finish())
}

#[derive(Debug, QueryableByName)]
struct DuplicateRow {
    #[diesel(sql_type = BigInt)]
    phone_groups: i64,
    #[diesel(sql_type = BigInt)]
    phone_customers: i64,
    #[diesel(sql_type = BigInt)]
    email_groups: i64,
    #[diesel(sql_type = BigInt)]
    email_customers: i64,
    #[diesel(sql_type = BigInt)]
    involved: i64,
}

/// Live customers sharing a stored phone (E.164) or email with another
/// live customer in scope: the groups (one per shared value) and the
/// customers in them, by the matching columns of duplicate detection.
pub(crate) fn duplicates(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    // Only a value stored twice or more in the whole table can be shared
    // in a scope, and only those values' rows are checked against the
    // customers. The values are kept (`shared_contact_values`, migration
    // 000032) or, when the kept counts are not read, found from the value
    // index (no join, no sort; 0.3 s per million rows on PostgreSQL here).
    let shared = |sql: &mut Sql, kind: &str, table: &str, column: &str| {
        let twice = if filters.counts_kept {
            format!("(SELECT s.value AS v FROM shared_contact_values s WHERE s.kind = '{kind}')")
        } else {
            format!("(SELECT y.{column} AS v FROM {table} y GROUP BY y.{column} HAVING COUNT(*) > 1)")
        };
        sql.push(&format!(
            "SELECT x.{column} AS v, x.customer_id AS customer_id FROM {twice} twice \
             JOIN {table} x ON x.{column} = twice.v JOIN customers c ON c.id = x.customer_id WHERE 1 = 1"
        ));
        customer_conditions(sql, filters);
    };
    let mut sql = Sql::new(conn);
    sql.push("WITH ph AS (");
    shared(&mut sql, "phone", "customer_phones", "e164");
    sql.push("), em AS (");
    shared(&mut sql, "email", "customer_emails", "email");
    sql.push(
        "), sp AS (SELECT ph.v AS v FROM ph GROUP BY ph.v HAVING COUNT(*) > 1), \
         se AS (SELECT em.v AS v FROM em GROUP BY em.v HAVING COUNT(*) > 1), \
         dp AS (SELECT DISTINCT ph.customer_id AS customer_id FROM ph WHERE ph.v IN (SELECT sp.v FROM sp)), \
         de AS (SELECT DISTINCT em.customer_id AS customer_id FROM em WHERE em.v IN (SELECT se.v FROM se)) \
         SELECT CAST((SELECT COUNT(*) FROM sp) AS BIGINT) AS phone_groups, \
                CAST((SELECT COUNT(*) FROM dp) AS BIGINT) AS phone_customers, \
                CAST((SELECT COUNT(*) FROM se) AS BIGINT) AS email_groups, \
                CAST((SELECT COUNT(*) FROM de) AS BIGINT) AS email_customers, \
                CAST((SELECT COUNT(*) FROM (SELECT dp.customer_id FROM dp UNION SELECT de.customer_id FROM de) u) AS BIGINT) \
                  AS involved",
    );
    let rows: Vec<DuplicateRow> = sql.load(conn)?;
    let r = rows.first();
    let get = |f: fn(&DuplicateRow) -> i64| r.map_or(0, f);
    let customers = if filters.counts_kept {
        kept(conn, filters)?.customers
    } else {
        let mut sql = Sql::new(conn);
        sql.push("SELECT COUNT(*) AS n");
        customers_where(&mut sql, filters);
        sql.load::<Counted>(conn)?.first().map_or(0, |c| c.n)
    };
    let involved = get(|r| r.involved);
    let mut a = Assembly::new(Kpi::Duplicates, "Duplicate candidates by phone or email (now)", filters, None);
    a.measures = vec![
        Measure::count("customers", customers),
        Measure::count("groups", get(|r| r.phone_groups) + get(|r| r.email_groups)),
        Measure::count("duplicate_customers", involved),
        Measure::rate("duplicate_rate", involved, customers, NO_CUSTOMERS),
    ];
    for (key, label, groups, n) in [
        ("phone", "Same phone", get(|r| r.phone_groups), get(|r| r.phone_customers)),
        ("email", "Same email", get(|r| r.email_groups), get(|r| r.email_customers)),
    ] {
        a.breakdown.push(BreakdownRow {
            dimension: "match".into(),
            key: key.into(),
            label: label.into(),
            measures: vec![
                Measure::count("groups", groups),
                Measure::count("customers", n),
                Measure::rate("share", n, customers, NO_CUSTOMERS),
            ],
        });
    }
    Ok(a.finish())
}

/// The characters a well-formed email holds none of (space, tab, line
/// breaks), as SQL text.
const BLANKS: &str = " \t\r\n";

/// `<column>` is E.164: `+`, then 8 to 15 digits, the first not 0.
fn valid_phone(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Postgres => format!("{column} ~ '^[+][1-9][0-9]{{7,14}}$'"),
        Backend::Sqlite => format!(
            "({column} GLOB '+[1-9]*' AND length({column}) BETWEEN 9 AND 16 \
             AND substr({column}, 2) NOT GLOB '*[^0-9]*')"
        ),
    }
}

/// `<column>` looks like an email, by the rule addresses are checked with
/// when written (`rapport_core::validate::email`, without its length cap):
/// one `@` with something before it, a domain holding a dot but neither
/// starting nor ending with one, no blanks.
fn valid_email(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Postgres => {
            let (any, edge) = (format!("[^@{BLANKS}]"), format!("[^@.{BLANKS}]"));
            format!("{column} ~ '^{any}+@{edge}{any}*[.]{any}*{edge}$'")
        }
        Backend::Sqlite => format!(
            "({column} GLOB '?*@*.*' AND {column} NOT GLOB '*@*@*' AND {column} NOT GLOB '*@.*' \
             AND {column} NOT GLOB '*.' AND {column} NOT GLOB '*[{BLANKS}]*')"
        ),
    }
}

/// Stored phones not in E.164 and emails not shaped like one, of live
/// customers in scope: invalid ÷ stored, overall and per kind.
pub(crate) fn invalid_contacts(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let count = |conn: &mut Conn, table: &str, column: &str, valid: fn(Backend, &str) -> String| {
        let mut sql = Sql::new(conn);
        let invalid = count_if(&format!("NOT {}", valid(sql.backend(), column)));
        sql.push(&format!(
            "SELECT CAST('total' AS TEXT) AS bucket, COUNT(*) AS n, {invalid} AS hits \
             FROM {table} x JOIN customers c ON c.id = x.customer_id WHERE 1 = 1"
        ));
        customer_conditions(&mut sql, filters);
        let rows: Vec<CountRow> = sql.load(conn)?;
        Ok::<_, rapport_core::Error>(rows.first().map_or((0, 0), |r| (r.n, r.hits)))
    };
    let (phones, emails) = if filters.counts_kept {
        let k = kept(conn, filters)?;
        ((k.phones, k.phones_invalid), (k.emails, k.emails_invalid))
    } else {
        (
            count(conn, "customer_phones", "x.e164", valid_phone)?,
            count(conn, "customer_emails", "x.email", valid_email)?,
        )
    };
    let (stored, invalid) = (phones.0 + emails.0, phones.1 + emails.1);
    let mut a = Assembly::new(Kpi::InvalidContacts, "Invalid phones and emails (now)", filters, None);
    a.measures = vec![
        Measure::count("stored", stored),
        Measure::count("invalid", invalid),
        Measure::rate("rate", invalid, stored, "no phones or emails stored"),
    ];
    for (key, label, (n, bad), empty) in [
        ("phones", "Phones not in E.164", phones, "no phones stored"),
        ("emails", "Emails not shaped like one", emails, "no emails stored"),
    ] {
        a.breakdown.push(BreakdownRow {
            dimension: "contact".into(),
            key: key.into(),
            label: label.into(),
            measures: vec![
                Measure::count("stored", n),
                Measure::count("invalid", bad),
                Measure::rate("rate", bad, n, empty),
            ],
        });
    }
    Ok(a.finish())
}
