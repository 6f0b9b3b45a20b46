//! A pipeline's board: how many leads sit in each stage and their expected
//! value per currency, within the caller's scope, counted in one grouped query.

use std::collections::HashMap;

use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use rapport_core::Result;
use rapport_core::db::Conn;
use rapport_core::db::schema::leads;
use rapport_core::money::Money;
use rapport_core::principal::{Reach, Scope};

use super::api::{BoardColumn, BoardResponse};
use super::store::{find_row, live_stages, stage_response};

/// The board of pipeline `id` as `reach` sees it: live stages in order,
/// each with its count of unarchived leads and their expected value.
pub fn board(conn: &mut Conn, reach: &Reach, id: &str) -> Result<BoardResponse> {
    let pipeline = find_row(conn, id)?;
    let stages = live_stages(conn, &[id])?;
    // A pipeline's leads are all in its division (creates and moves enforce
    // it); saying so lets the board index (division, pipeline, stage, …)
    // answer with two equalities, where a manager's scope filter alone made
    // SQLite pick the division index and read every lead of the division.
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
