//! A pipeline's board: how many leads sit in each stage and their expected
//! value per currency, within the caller's scope, counted in one grouped query.

use std::collections::HashMap;

use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use rapport_core::Result;
use rapport_core::db::Conn;
use rapport_core::db::schema::{lead_board_totals, leads};
use rapport_core::money::Money;
use rapport_core::principal::{Reach, Scope};

use super::api::{BoardColumn, BoardResponse};
use super::store::{find_row, live_stages, stage_response};

/// The board of pipeline `id` as `reach` sees it: live stages in order,
/// each with its count of unarchived leads and their expected value. Read
/// from `lead_board_totals`, which triggers keep in every lead write's
/// transaction: a few rows per stage, whatever the number of leads.
pub fn board(conn: &mut Conn, reach: &Reach, id: &str) -> Result<BoardResponse> {
    let pipeline = find_row(conn, id)?;
    let stages = live_stages(conn, &[id])?;
    let mut q = lead_board_totals::table
        .filter(lead_board_totals::division_id.eq(pipeline.division_id))
        .filter(lead_board_totals::pipeline_id.eq(id.to_owned()))
        .group_by((lead_board_totals::stage_id, lead_board_totals::currency))
        .select((
            lead_board_totals::stage_id,
            lead_board_totals::currency,
            sql::<BigInt>("CAST(SUM(lead_board_totals.lead_count) AS BIGINT)"),
            sql::<BigInt>("CAST(SUM(lead_board_totals.value_minor) AS BIGINT)"),
        ))
        .into_boxed();
    // '' is "none" in the totals' key columns, so a scope with no branch
    // (or no user) must match nothing rather than the leads without one;
    // shards are never negative.
    let nothing = lead_board_totals::shard.lt(0);
    q = match (reach.scope, reach.branch_id.clone()) {
        (Scope::All, _) => q,
        (Scope::Division, _) => q.filter(lead_board_totals::division_id.eq(reach.own_division().to_owned())),
        (Scope::Branch, Some(branch)) if !branch.is_empty() => q.filter(lead_board_totals::branch_id.eq(branch)),
        (Scope::Own, _) if !reach.user_id.is_empty() => q.filter(
            lead_board_totals::owner_id
                .eq(reach.user_id.clone())
                .or(lead_board_totals::created_by.eq(reach.user_id.clone())),
        ),
        (Scope::Branch | Scope::Own, _) => q.filter(nothing),
    };
    let sums: Vec<(String, String, i64, i64)> = q.load(conn)?;
    let sums = sums
        .into_iter()
        .filter(|(_, _, count, _)| *count != 0)
        .map(|(stage, currency, count, value)| (stage, Some(currency).filter(|c| !c.is_empty()), count, Some(value)))
        .collect();
    assemble(id, &stages, sums)
}

/// The same board summed from the leads themselves: the reference the
/// maintained totals are tested against (and a check an operator can run).
pub fn board_recounted(conn: &mut Conn, reach: &Reach, id: &str) -> Result<BoardResponse> {
    let pipeline = find_row(conn, id)?;
    let stages = live_stages(conn, &[id])?;
    // A pipeline's leads are all in its division (creates and moves enforce
    // it); saying so lets the board index (division, pipeline, stage, …)
    // answer with two equalities.
    let mut q = leads::table
        .filter(leads::division_id.eq(pipeline.division_id))
        .filter(leads::pipeline_id.eq(id.to_owned()))
        .filter(leads::archived_at.is_null())
        .group_by((leads::stage_id, leads::currency))
        .select((
            leads::stage_id,
            leads::currency,
            count_star(),
            sql::<Nullable<BigInt>>("CAST(SUM(leads.expected_value_minor) AS BIGINT)"),
        ))
        .into_boxed();
    q = match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(leads::division_id.eq(reach.own_division().to_owned())),
        Scope::Branch => q.filter(leads::branch_id.eq(reach.branch_id.clone().unwrap_or_default())),
        Scope::Own => {
            q.filter(leads::owner_id.eq(reach.user_id.clone()).or(leads::created_by.eq(reach.user_id.clone())))
        }
    };
    let sums: Vec<(String, Option<String>, i64, Option<i64>)> = q.load(conn)?;
    assemble(id, &stages, sums)
}

/// The board's columns from per (stage, currency) counts and sums.
fn assemble(
    id: &str,
    stages: &[super::rows::StageRow],
    sums: Vec<(String, Option<String>, i64, Option<i64>)>,
) -> Result<BoardResponse> {
    let mut by_stage: HashMap<String, (i64, Vec<Money>)> = HashMap::new();
    for (stage_id, currency, count, sum) in sums {
        let entry = by_stage.entry(stage_id).or_default();
        entry.0 += count;
        if let (Some(currency), Some(sum)) = (currency, sum) {
            entry.1.push(Money::from_minor(sum, &currency));
        }
    }
    let columns = stages
        .iter()
        .map(|stage| {
            let (count, mut expected_value) = by_stage.remove(&stage.id).unwrap_or_default();
            expected_value.sort_by(|a, b| a.currency.cmp(&b.currency));
            Ok(BoardColumn { stage: stage_response(stage)?, count, expected_value })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(BoardResponse { pipeline_id: id.to_owned(), columns })
}
