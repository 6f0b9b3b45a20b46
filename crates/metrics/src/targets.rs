//! KPI targets: the plan's ranges by default, overridden group-wide or per
//! division, and where a report's headline stands against them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{divisions, metric_targets};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, FieldError, Result, ids, time};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Kpi;
use crate::kpi::Direction;
use crate::report::Report;

const ENTITY: &str = "metric_target";

/// The plan's targets (`../shared/seeds`): conversion 5–8 %, resolution
/// within 3–5 business days, CSAT 60–70 %; in hundredths.
const PLAN: [(Kpi, i64, i64); 3] =
    [(Kpi::Conversion, 500, 800), (Kpi::ResolutionTime, 300, 500), (Kpi::Csat, 6_000, 7_000)];

/// Where a value stands against its target range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Under the range's lower bound.
    Below,
    /// Inside the range, bounds included.
    Within,
    /// Over the upper bound.
    Above,
}

/// Where a target comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetSource {
    /// The business plan's default.
    Plan,
    /// Set for the whole group.
    Group,
    /// Set for one division.
    Division,
}

/// A KPI target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Target {
    /// Id; none for the plan's defaults.
    pub id: Option<String>,
    /// The report whose headline measure it applies to.
    pub kpi: Kpi,
    /// The headline measure.
    #[schema(example = "cohort_rate")]
    pub measure: String,
    /// The division it applies to; none: the whole group.
    pub division_id: Option<String>,
    /// Lower bound, in the measure's unit.
    #[schema(value_type = String, example = "5")]
    pub min: Decimal,
    /// Upper bound.
    #[schema(value_type = String, example = "8")]
    pub max: Decimal,
    /// Which way is better.
    pub direction: Direction,
    /// Where it comes from.
    pub source: TargetSource,
    /// Version (none for the plan's defaults).
    pub version: Option<i64>,
    /// Last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// A report's headline against its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TargetStatus {
    /// The target that applies.
    pub target: Target,
    /// Where the value stands; none when the value is null.
    pub status: Option<Standing>,
}

/// Sets a target (creating or replacing the one for its KPI and division).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kpi": "conversion", "division_id": null, "min": "5", "max": "8"}))]
pub struct SetTarget {
    /// The report.
    pub kpi: Kpi,
    /// A division, or none for the whole group.
    pub division_id: Option<String>,
    /// Lower bound (0 or more, at most 2 decimal places).
    #[schema(value_type = String)]
    pub min: Decimal,
    /// Upper bound (at least `min`; at most 100 for a percentage).
    #[schema(value_type = String)]
    pub max: Decimal,
    /// The version being replaced, when one exists (or send `If-Match`).
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = metric_targets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct TargetRow {
    id: String,
    division_id: Option<String>,
    kpi: String,
    min_centi: i64,
    max_centi: i64,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn centi(v: i64) -> Decimal {
    Decimal::new(v, 2).normalize()
}

impl TargetRow {
    fn response(self) -> Result<Target> {
        let kpi = Kpi::parse(&self.kpi).ok_or_else(|| Error::Internal(format!("stored kpi {}", self.kpi)))?;
        let (measure, direction) = kpi.headline();
        Ok(Target {
            source: if self.division_id.is_some() { TargetSource::Division } else { TargetSource::Group },
            id: Some(self.id),
            kpi,
            measure: measure.to_owned(),
            division_id: self.division_id,
            min: centi(self.min_centi),
            max: centi(self.max_centi),
            direction,
            version: Some(self.version),
            updated_at: Some(time::utc(self.updated_at)),
        })
    }
}

fn plan(kpi: Kpi) -> Option<Target> {
    let (_, min, max) = PLAN.iter().find(|(k, _, _)| *k == kpi)?;
    let (measure, direction) = kpi.headline();
    Some(Target {
        id: None,
        kpi,
        measure: measure.to_owned(),
        division_id: None,
        min: centi(*min),
        max: centi(*max),
        direction,
        source: TargetSource::Plan,
        version: None,
        updated_at: None,
    })
}

/// The target for `kpi` in `division_id` (or group-wide): the division's,
/// else the group's, else the plan's.
pub fn effective(conn: &mut Conn, kpi: Kpi, division_id: Option<&str>) -> Result<Option<Target>> {
    let rows: Vec<TargetRow> = metric_targets::table
        .filter(metric_targets::kpi.eq(kpi.as_str()))
        .filter(
            metric_targets::division_id.is_null().or(metric_targets::division_id.eq(division_id.unwrap_or_default())),
        )
        .select(TargetRow::as_select())
        .load(conn)?;
    let pick =
        rows.iter().position(|r| r.division_id.is_some()).or_else(|| rows.iter().position(|r| r.division_id.is_none()));
    match pick {
        Some(i) => Ok(Some(rows[i].clone().response()?)),
        None => Ok(plan(kpi)),
    }
}

/// Where `report`'s headline stands against the target that applies.
pub(crate) fn status(
    conn: &mut Conn,
    kpi: Kpi,
    division_id: Option<&str>,
    report: &Report,
) -> Result<Option<TargetStatus>> {
    let Some(target) = effective(conn, kpi, division_id)? else { return Ok(None) };
    let value = report.measure(&target.measure).and_then(|m| m.value);
    let status = value.map(|v| {
        if v < target.min {
            Standing::Below
        } else if v > target.max {
            Standing::Above
        } else {
            Standing::Within
        }
    });
    Ok(Some(TargetStatus { target, status }))
}

/// Every target the caller may read: the plan's defaults (unless the
/// group overrides them), the group's and the divisions' (a caller whose
/// read scope is narrower than all: the group's and their division's).
pub fn list(conn: &mut Conn, reach: &Reach) -> Result<Vec<Target>> {
    let mut q = metric_targets::table.select(TargetRow::as_select()).into_boxed();
    if reach.scope != Scope::All {
        q = q.filter(
            metric_targets::division_id.is_null().or(metric_targets::division_id.eq(reach.own_division().to_owned())),
        );
    }
    let rows: Vec<TargetRow> = q.order((metric_targets::kpi.asc(), metric_targets::division_id.asc())).load(conn)?;
    let mut targets: Vec<Target> = Kpi::ALL
        .into_iter()
        .filter(|k| !rows.iter().any(|r| r.kpi == k.as_str() && r.division_id.is_none()))
        .filter_map(plan)
        .collect();
    for row in rows {
        targets.push(row.response()?);
    }
    targets.sort_by(|a, b| {
        let pos = |k: Kpi| Kpi::ALL.iter().position(|x| *x == k);
        pos(a.kpi).cmp(&pos(b.kpi)).then_with(|| a.division_id.cmp(&b.division_id))
    });
    Ok(targets)
}

fn validate(conn: &mut Conn, reach: &Reach, input: &SetTarget) -> Result<(i64, i64)> {
    if let Some(division) = &input.division_id {
        let n: i64 = divisions::table.filter(divisions::id.eq(division)).count().get_result(conn)?;
        if n == 0 || (reach.scope != Scope::All && reach.own_division() != division) {
            return Err(Error::NotFound { entity: "division" });
        }
    } else if reach.scope != Scope::All {
        return Err(Error::NotFound { entity: "division" });
    }
    let mut errors = Vec::new();
    let to_centi = |field: &str, v: Decimal, errors: &mut Vec<FieldError>| -> i64 {
        let scaled = v * Decimal::ONE_HUNDRED;
        if v.is_sign_negative() {
            errors.push(FieldError::new(field, "out_of_range", format!("{field} must not be negative")));
        } else if scaled.fract() != Decimal::ZERO {
            errors.push(FieldError::new(field, "too_precise", format!("{field} has at most 2 decimal places")));
        } else if scaled > Decimal::from(1_000_000_000_i64) {
            errors.push(FieldError::new(field, "out_of_range", format!("{field} is at most 10000000")));
        }
        scaled.trunc().to_i64().unwrap_or(0)
    };
    let min = to_centi("min", input.min, &mut errors);
    let max = to_centi("max", input.max, &mut errors);
    if errors.is_empty() && max < min {
        errors.push(FieldError::new("max", "invalid_range", "max must not be less than min"));
    }
    let (measure, _) = input.kpi.headline();
    let percent = input.kpi.headline_is_percent();
    if errors.is_empty() && percent && max > 10_000 {
        errors.push(FieldError::new("max", "out_of_range", format!("{measure} is a percentage: at most 100")));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok((min, max))
}

/// Sets the target for `input.kpi` and division, replacing the existing
/// one at `version` (stale: 412); audited.
pub fn set(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    input: SetTarget,
    version: Option<i64>,
) -> Result<Target> {
    let (min, max) = validate(conn, reach, &input)?;
    let mut existing = metric_targets::table.filter(metric_targets::kpi.eq(input.kpi.as_str())).into_boxed();
    existing = match &input.division_id {
        Some(d) => existing.filter(metric_targets::division_id.eq(d.clone())),
        None => existing.filter(metric_targets::division_id.is_null()),
    };
    let existing: Option<TargetRow> = existing.select(TargetRow::as_select()).first(conn).optional()?;
    let now = time::now();
    let version = version.or(input.version);
    match existing {
        Some(row) => {
            if version.is_some_and(|v| v != row.version) {
                return Err(Error::StaleVersion { current: row.version });
            }
            let before = row.clone().response()?;
            let updated = diesel::update(
                metric_targets::table
                    .filter(metric_targets::id.eq(&row.id))
                    .filter(metric_targets::version.eq(row.version)),
            )
            .set((
                metric_targets::min_centi.eq(min),
                metric_targets::max_centi.eq(max),
                metric_targets::version.eq(row.version + 1),
                metric_targets::updated_at.eq(now),
            ))
            .execute(conn)?;
            if updated == 0 {
                return Err(Error::StaleVersion { current: row.version });
            }
            let after = TargetRow { min_centi: min, max_centi: max, version: row.version + 1, updated_at: now, ..row }
                .response()?;
            audit::record(
                conn,
                ctx,
                ENTITY,
                after.id.as_deref().unwrap_or_default(),
                Action::Updated,
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        }
        None => {
            let row = TargetRow {
                id: ids::new_id(),
                division_id: input.division_id,
                kpi: input.kpi.as_str().to_owned(),
                min_centi: min,
                max_centi: max,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            diesel::insert_into(metric_targets::table).values(&row).execute(conn)?;
            let after = row.response()?;
            audit::record(
                conn,
                ctx,
                ENTITY,
                after.id.as_deref().unwrap_or_default(),
                Action::Created,
                None,
                Some(&after),
            )?;
            Ok(after)
        }
    }
}

/// Removes target `id` (the plan's default, or the group's, applies
/// again); audited.
pub fn remove(conn: &mut Conn, ctx: &WriteContext, reach: &Reach, id: &str) -> Result<()> {
    let row: TargetRow = metric_targets::table
        .filter(metric_targets::id.eq(id))
        .select(TargetRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: "target" })?;
    let reachable = reach.scope == Scope::All || row.division_id.as_deref() == Some(reach.own_division());
    if !reachable {
        return Err(Error::NotFound { entity: "target" });
    }
    diesel::delete(metric_targets::table.filter(metric_targets::id.eq(id))).execute(conn)?;
    let before = row.response()?;
    audit::record(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None)?;
    Ok(())
}
