//! Purchases: invoices from the ERP or entered by hand.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{purchase_lines, purchases};
use rapport_core::money::{self, Money};
use rapport_core::page::{Page, PageRequest, date_value, instant_value};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, Problems, Result, ids, time, upsert, validate};
use rust_decimal::Decimal;

use super::api::{
    CreatePurchase, PurchaseLine, PurchaseListQuery, PurchaseResponse, PurchaseSort, PurchaseStatus, UpdatePurchase,
};
use crate::customer::{link_division, store as customers};
use crate::refs;

const ENTITY: &str = "purchase";
const MAX_LINES: usize = 200;
/// The source of purchases entered by hand.
pub const MANUAL: &str = "manual";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purchases)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct PurchaseRow {
    pub id: String,
    pub customer_id: String,
    pub division_id: String,
    pub branch_id: Option<String>,
    pub source: String,
    pub invoice_number: String,
    pub purchased_on: NaiveDate,
    pub currency: String,
    pub amount_minor: i64,
    pub status: String,
    pub asset_id: Option<String>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purchase_lines)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct LineRow {
    purchase_id: String,
    line_no: i32,
    description: String,
    sku: Option<String>,
    quantity: String,
    unit_price_minor: i64,
    total_minor: i64,
}

type BoxedPurchases<'a> = purchases::BoxedQuery<
    'a,
    rapport_core::db::MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<PurchaseRow, rapport_core::db::MultiBackend>>,
>;

/// Purchases within `reach`: a division-scoped caller sees their division's.
fn reachable<'a>(reach: &Reach) -> BoxedPurchases<'a> {
    let q = purchases::table.select(PurchaseRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(purchases::division_id.eq(reach.own_division().to_owned())),
        Scope::Branch | Scope::Own => q.filter(purchases::id.eq("")),
    }
}

fn find(conn: &mut Conn, reach: &Reach, id: &str) -> Result<PurchaseRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach)
        .filter(purchases::id.eq(id.to_owned()))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// One purchase within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<PurchaseResponse> {
    let row = find(conn, reach, id)?;
    one(conn, row)
}

fn one(conn: &mut Conn, row: PurchaseRow) -> Result<PurchaseResponse> {
    responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("purchase vanished".to_owned()))
}

/// The API form of `rows`, with their lines loaded in one query.
pub(crate) fn responses(conn: &mut Conn, rows: Vec<PurchaseRow>) -> Result<Vec<PurchaseResponse>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut lines: Vec<LineRow> = purchase_lines::table
        .filter(purchase_lines::purchase_id.eq_any(&ids))
        .order((purchase_lines::purchase_id, purchase_lines::line_no))
        .select(LineRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let (mine, rest): (Vec<LineRow>, Vec<LineRow>) = lines.drain(..).partition(|l| l.purchase_id == row.id);
            lines = rest;
            to_response(row, mine)
        })
        .collect()
}

/// Records a purchase. The customer is linked to the selling division.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    customer_reach: &Reach,
    input: CreatePurchase,
) -> Result<PurchaseResponse> {
    let id = ids::new_id();
    let now = time::now();
    let mut problems = Problems::new();
    let customer_id = validate::id_ref(&mut problems, "customer_id", &input.customer_id);
    let division_id = validate::id_ref(&mut problems, "division_id", &input.division_id);
    let branch_id = input.branch_id.as_deref().map(|b| validate::id_ref(&mut problems, "branch_id", b));
    let source = match input.source.as_deref() {
        Some(s) => crate::customer::source_name(&mut problems, "source", s),
        None => MANUAL.to_owned(),
    };
    let invoice_number = validate::required_text(&mut problems, "invoice_number", &input.invoice_number, 60);
    check_date(&mut problems, input.purchased_on, now);
    let (currency, amount_minor, lines) = amounts(&mut problems, &id, input.amount.as_ref(), &input.lines);
    let asset_id = input.asset_id.as_deref().map(|a| validate::id_ref(&mut problems, "asset_id", a));
    let notes = validate::optional_text(&mut problems, "notes", input.notes.as_deref(), 2000);
    problems.into_result(())?;
    refs::ensure_division_in_reach(reach, "division_id", &division_id)?;
    let customer_id = customers::ensure_reachable(conn, customer_reach, "customer_id", &customer_id)?;
    refs::ensure_division(conn, "division_id", &division_id)?;
    if let Some(branch_id) = &branch_id {
        refs::ensure_branch(conn, "branch_id", branch_id, &division_id)?;
    }
    if let Some(asset_id) = &asset_id {
        refs::ensure_customer_asset(conn, asset_id, &customer_id)?;
    }
    ensure_invoice_free(conn, &source, &invoice_number, None)?;
    let row = PurchaseRow {
        id: id.clone(),
        customer_id: customer_id.clone(),
        division_id: division_id.clone(),
        branch_id,
        source,
        invoice_number,
        purchased_on: input.purchased_on,
        currency,
        amount_minor,
        status: input.status.unwrap_or(PurchaseStatus::Invoiced).as_str().to_owned(),
        asset_id,
        notes,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(purchases::table).values(&row).execute(conn)?;
    for line in &lines {
        diesel::insert_into(purchase_lines::table).values(line).execute(conn)?;
    }
    link_division(conn, &customer_id, &division_id)?;
    let created = get(conn, &Reach::everything(), &id)?;
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One page of purchases within `reach`.
pub fn list(conn: &mut Conn, reach: &Reach, query: &PurchaseListQuery) -> Result<Page<PurchaseResponse>> {
    let page = PageRequest::<PurchaseSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = reachable(reach);
    if let Some(v) = &query.customer_id {
        q = q.filter(purchases::customer_id.eq(v.clone()));
    }
    if let Some(v) = &query.division_id {
        q = q.filter(purchases::division_id.eq(v.clone()));
    }
    if let Some(v) = &query.branch_id {
        q = q.filter(purchases::branch_id.eq(v.clone()));
    }
    if let Some(v) = &query.asset_id {
        q = q.filter(purchases::asset_id.eq(v.clone()));
    }
    if let Some(v) = query.status {
        q = q.filter(purchases::status.eq(v.as_str()));
    }
    if let Some(v) = &query.source {
        q = q.filter(purchases::source.eq(v.trim().to_ascii_lowercase()));
    }
    if let Some(v) = &query.invoice_number {
        q = q.filter(purchases::invoice_number.eq(v.trim().to_owned()));
    }
    if let Some(v) = query.purchased_from {
        q = q.filter(purchases::purchased_on.ge(v));
    }
    if let Some(v) = query.purchased_to {
        q = q.filter(purchases::purchased_on.le(v));
    }
    if let Some(since) = query.updated_since {
        q = q.filter(purchases::updated_at.ge(time::stored(since)));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        PurchaseSort::PurchasedOn => {
            let after = page.after_date()?;
            rapport_core::keyset!(q, purchases::purchased_on, purchases::id, direction, after)
        }
        PurchaseSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, purchases::created_at, purchases::id, direction, after)
        }
        PurchaseSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, purchases::updated_at, purchases::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<PurchaseRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            PurchaseSort::PurchasedOn => date_value(row.purchased_on),
            PurchaseSort::CreatedAt => instant_value(row.created_at),
            PurchaseSort::UpdatedAt => instant_value(row.updated_at),
        };
        (value, row.id.clone())
    });
    Ok(Page { items: responses(conn, page.items)?, next_cursor: page.next_cursor })
}

/// Applies `changes` if the purchase is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: i64,
    changes: UpdatePurchase,
) -> Result<PurchaseResponse> {
    let row = find(conn, reach, id)?;
    if row.version != expected_version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = one(conn, row.clone())?;
    apply(conn, ctx, row, before, changes)
}

fn apply(
    conn: &mut Conn,
    ctx: &WriteContext,
    row: PurchaseRow,
    before: PurchaseResponse,
    changes: UpdatePurchase,
) -> Result<PurchaseResponse> {
    if before.status == PurchaseStatus::Cancelled {
        return Err(Error::invalid("status", "cancelled_is_final", "a cancelled purchase cannot change"));
    }
    let now = time::now();
    let mut problems = Problems::new();
    let branch_id = match changes.branch_id {
        Some(b) => b.map(|b| validate::id_ref(&mut problems, "branch_id", &b)),
        None => row.branch_id.clone(),
    };
    let purchased_on = changes.purchased_on.unwrap_or(row.purchased_on);
    check_date(&mut problems, purchased_on, now);
    let asset_id = match changes.asset_id {
        Some(a) => a.map(|a| validate::id_ref(&mut problems, "asset_id", &a)),
        None => row.asset_id.clone(),
    };
    let notes = match changes.notes {
        Some(n) => validate::optional_text(&mut problems, "notes", n.as_deref(), 2000),
        None => row.notes.clone(),
    };
    let new_amounts = match (&changes.amount, &changes.lines) {
        (None, None) => None,
        (amount, Some(lines)) => Some(amounts(&mut problems, &row.id, amount.as_ref(), lines)),
        (Some(amount), None) if before.lines.is_empty() => Some(amounts(&mut problems, &row.id, Some(amount), &[])),
        (Some(_), None) => {
            problems.push("amount", "lines_decide", "this purchase has lines: send new lines to change the total");
            None
        }
    };
    problems.into_result(())?;
    if let Some(branch_id) = branch_id.as_deref().filter(|b| Some(*b) != row.branch_id.as_deref()) {
        refs::ensure_branch(conn, "branch_id", branch_id, &row.division_id)?;
    }
    if let Some(asset_id) = asset_id.as_deref().filter(|a| Some(*a) != row.asset_id.as_deref()) {
        refs::ensure_customer_asset(conn, asset_id, &row.customer_id)?;
    }
    let status = changes.status.unwrap_or(before.status);
    let (currency, amount_minor) = match &new_amounts {
        Some((currency, minor, _)) => (currency.clone(), *minor),
        None => (row.currency.clone(), row.amount_minor),
    };
    let updated =
        diesel::update(purchases::table.filter(purchases::id.eq(&row.id)).filter(purchases::version.eq(row.version)))
            .set((
                purchases::branch_id.eq(&branch_id),
                purchases::purchased_on.eq(purchased_on),
                purchases::currency.eq(&currency),
                purchases::amount_minor.eq(amount_minor),
                purchases::status.eq(status.as_str()),
                purchases::asset_id.eq(&asset_id),
                purchases::notes.eq(&notes),
                purchases::version.eq(row.version + 1),
                purchases::updated_at.eq(now),
            ))
            .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: get(conn, &Reach::everything(), &row.id)?.version });
    }
    if let Some((_, _, lines)) = &new_amounts {
        diesel::delete(purchase_lines::table.filter(purchase_lines::purchase_id.eq(&row.id))).execute(conn)?;
        for line in lines {
            diesel::insert_into(purchase_lines::table).values(line).execute(conn)?;
        }
    }
    let after = get(conn, &Reach::everything(), &row.id)?;
    audit::record(conn, ctx, ENTITY, &row.id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// Creates or updates the purchase with `invoice_number` from `source`
/// (PUT semantics). A repeat with the same body changes nothing. Returns
/// the purchase and whether it was created.
pub fn upsert_by_invoice(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    customer_reach: &Reach,
    source: &str,
    invoice_number: &str,
    mut input: CreatePurchase,
) -> Result<(PurchaseResponse, bool)> {
    let mut problems = Problems::new();
    let source = crate::customer::source_name(&mut problems, "source", source);
    let invoice_number = validate::required_text(&mut problems, "invoice_number", invoice_number, 60);
    if input.source.as_deref().is_some_and(|s| !s.trim().eq_ignore_ascii_case(&source)) {
        problems.push("source", "mismatch", "the body's source differs from the path's");
    }
    if input.invoice_number.trim() != invoice_number {
        problems.push("invoice_number", "mismatch", "the body's invoice_number differs from the path's");
    }
    problems.into_result(())?;
    input.source = Some(source.clone());
    let existing: Option<String> = purchases::table
        .filter(purchases::source.eq(&source))
        .filter(purchases::invoice_number.eq(&invoice_number))
        .select(purchases::id)
        .first(conn)
        .optional()?;
    let Some(existing) = existing else {
        return create(conn, ctx, reach, customer_reach, input).map(|created| (created, true));
    };
    let row = find(conn, reach, &existing)?;
    let before = one(conn, row.clone())?;
    if before.customer_id != input.customer_id || before.division_id != input.division_id {
        return Err(Error::invalid(
            "customer_id",
            "immutable",
            "an invoice's customer and division cannot change; cancel it and issue another",
        ));
    }
    let changes = UpdatePurchase {
        status: Some(input.status.unwrap_or(PurchaseStatus::Invoiced)),
        branch_id: Some(input.branch_id),
        purchased_on: Some(input.purchased_on),
        amount: input.amount,
        lines: Some(input.lines),
        asset_id: Some(input.asset_id),
        notes: Some(input.notes),
        version: None,
    };
    if before.status == PurchaseStatus::Cancelled && changes.status == Some(PurchaseStatus::Cancelled) {
        return Ok((before, false));
    }
    let same = |a: &PurchaseResponse, b: &PurchaseResponse| {
        PurchaseResponse { version: a.version, updated_at: a.updated_at, ..b.clone() } == *a
    };
    let (after, _) =
        upsert::unless_unchanged(conn, &before, |conn| apply(conn, ctx, row, before.clone(), changes), same)?;
    Ok((after, false))
}

/// Deletes a purchase (entered in error); cancelling is the usual way out.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<()> {
    let before = get(conn, reach, id)?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::StaleVersion { current: before.version });
    }
    diesel::delete(purchases::table.filter(purchases::id.eq(id))).execute(conn)?;
    audit::record(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None)?;
    Ok(())
}

fn check_date(problems: &mut Problems, date: NaiveDate, now: NaiveDateTime) {
    // A day of slack: an invoice dated "today" in Lagos may be tomorrow in UTC terms.
    if date > now.date() + chrono::Days::new(1) {
        problems.push("purchased_on", "in_future", "purchased_on must not be in the future");
    }
}

/// The currency, total in minor units and line rows of a purchase. With
/// lines the total is their sum (a given amount must match it); without, the
/// amount is required.
fn amounts(
    problems: &mut Problems,
    purchase_id: &str,
    amount: Option<&Money>,
    lines: &[PurchaseLine],
) -> (String, i64, Vec<LineRow>) {
    if lines.len() > MAX_LINES {
        problems.push("lines", "too_many", format!("at most {MAX_LINES} lines"));
    }
    let given = amount.map(|a| money::parse(problems, "amount", a, false));
    let mut currency = given.as_ref().map(|(c, _)| c.clone());
    let mut rows = Vec::with_capacity(lines.len());
    let mut sum: i64 = 0;
    for (i, line) in lines.iter().enumerate() {
        let field = format!("lines[{i}]");
        let description = validate::required_text(problems, &format!("{field}.description"), &line.description, 300);
        let sku = validate::optional_text(problems, &format!("{field}.sku"), line.sku.as_deref(), 60);
        if line.quantity <= Decimal::ZERO {
            problems.push(format!("{field}.quantity"), "not_positive", "quantity must be greater than zero");
        }
        let (line_currency, unit_minor) =
            money::parse(problems, &format!("{field}.unit_price"), &line.unit_price, false);
        match &currency {
            Some(c) if *c != line_currency => problems.push(
                format!("{field}.unit_price.currency"),
                "currency_mismatch",
                format!("every line must be in {c}"),
            ),
            Some(_) => {}
            None => currency = Some(line_currency),
        }
        let total = line_total(line.quantity, unit_minor).unwrap_or_else(|| {
            problems.push(format!("{field}.quantity"), "too_large", "quantity × unit price is too large");
            0
        });
        sum = sum.checked_add(total).unwrap_or_else(|| {
            problems.push("lines", "too_large", "the lines' total is too large");
            0
        });
        rows.push(LineRow {
            purchase_id: purchase_id.to_owned(),
            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            description,
            sku,
            quantity: line.quantity.normalize().to_string(),
            unit_price_minor: unit_minor,
            total_minor: total,
        });
    }
    let total = match (given, lines.is_empty()) {
        (Some((_, minor)), true) => minor,
        (Some((_, minor)), false) => {
            if minor != sum {
                problems.push("amount", "amount_mismatch", "amount must equal the sum of the lines (or be left out)");
            }
            sum
        }
        (None, false) => sum,
        (None, true) => {
            problems.push("amount", "required", "a purchase without lines needs an amount");
            0
        }
    };
    (currency.unwrap_or_else(|| "NGN".to_owned()), total, rows)
}

/// quantity × unit price in minor units, rounded half away from zero.
fn line_total(quantity: Decimal, unit_minor: i64) -> Option<i64> {
    let total = quantity.checked_mul(Decimal::from(unit_minor))?;
    i64::try_from(total.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)).ok()
}

fn ensure_invoice_free(conn: &mut Conn, source: &str, invoice_number: &str, except: Option<&str>) -> Result<()> {
    let taken = diesel::select(diesel::dsl::exists(
        purchases::table
            .filter(purchases::source.eq(source))
            .filter(purchases::invoice_number.eq(invoice_number))
            .filter(purchases::id.ne(except.unwrap_or_default())),
    ))
    .get_result::<bool>(conn)?;
    let mut problems = Problems::new();
    if taken {
        problems.push(
            "invoice_number",
            "duplicate",
            format!("invoice {invoice_number} from {source} is already recorded"),
        );
    }
    problems.into_duplicate_result()
}

fn to_response(row: PurchaseRow, lines: Vec<LineRow>) -> Result<PurchaseResponse> {
    let status = PurchaseStatus::parse(&row.status)
        .ok_or_else(|| Error::Internal(format!("unexpected stored status {}", row.status)))?;
    let lines = lines
        .into_iter()
        .map(|l| {
            let quantity =
                l.quantity.parse::<Decimal>().map_err(|e| Error::Internal(format!("stored quantity: {e}")))?;
            Ok(PurchaseLine {
                description: l.description,
                sku: l.sku,
                quantity,
                unit_price: Money::from_minor(l.unit_price_minor, &row.currency),
                total: Some(Money::from_minor(l.total_minor, &row.currency)),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PurchaseResponse {
        amount: Money::from_minor(row.amount_minor, &row.currency),
        id: row.id,
        customer_id: row.customer_id,
        division_id: row.division_id,
        branch_id: row.branch_id,
        source: row.source,
        invoice_number: row.invoice_number,
        purchased_on: row.purchased_on,
        status,
        asset_id: row.asset_id,
        notes: row.notes,
        lines,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: &str, amount: &str) -> PurchaseLine {
        PurchaseLine {
            description: "Oil".into(),
            sku: None,
            quantity: quantity.parse().expect("decimal"),
            unit_price: Money { amount: amount.parse().expect("decimal"), currency: "NGN".into() },
            total: None,
        }
    }

    #[test]
    fn totals_are_summed_in_minor_units() {
        let mut problems = Problems::new();
        let (currency, total, rows) = amounts(&mut problems, "p", None, &[line("4.5", "3500.00"), line("1", "0.01")]);
        assert!(problems.is_empty());
        assert_eq!((currency.as_str(), total), ("NGN", 1_575_001));
        assert_eq!(rows[0].total_minor, 1_575_000);
        assert_eq!(rows[0].quantity, "4.5");
    }

    #[test]
    fn a_given_total_must_match_the_lines() {
        let mut problems = Problems::new();
        let wrong = Money { amount: "100".parse().expect("decimal"), currency: "NGN".into() };
        amounts(&mut problems, "p", Some(&wrong), &[line("2", "60")]);
        let Err(Error::Validation(errors)) = problems.into_result(()) else { panic!("expected errors") };
        assert_eq!(errors[0].code, "amount_mismatch");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(line_total("0.5".parse().expect("decimal"), 3), Some(2));
        assert_eq!(line_total("0.333".parse().expect("decimal"), 100), Some(33));
    }
}
