//! Readable names for the ids a breakdown groups by, one query per report.

use std::collections::HashMap;

use diesel::QueryableByName;
use diesel::sql_types::Text;
use rapport_core::Result;
use rapport_core::db::Conn;

use crate::sql::Sql;

#[derive(Debug, QueryableByName)]
struct Labelled {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    label: String,
}

fn load(conn: &mut Conn, select: &str, ids: &[&str], order: &str) -> Result<Vec<(String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(conn);
    sql.push(select).push(" IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.text(id);
    }
    sql.push(")").push(order);
    let rows: Vec<Labelled> = sql.load(conn)?;
    Ok(rows.into_iter().map(|r| (r.id, r.label)).collect())
}

/// Users' names by id.
pub(crate) fn users<'a>(conn: &mut Conn, ids: impl Iterator<Item = &'a str>) -> Result<HashMap<String, String>> {
    let ids: Vec<&str> = ids.collect();
    Ok(load(conn, "SELECT u.id AS id, u.name AS label FROM users u WHERE u.id", &ids, "")?.into_iter().collect())
}

/// "Pipeline / Stage" for each stage id, in board order.
pub(crate) fn stages<'a>(conn: &mut Conn, ids: impl Iterator<Item = &'a str>) -> Result<Vec<(String, String)>> {
    let ids: Vec<&str> = ids.collect();
    load(
        conn,
        "SELECT s.id AS id, p.name || ' / ' || s.name AS label FROM pipeline_stages s \
         JOIN pipelines p ON p.id = s.pipeline_id WHERE s.id",
        &ids,
        " ORDER BY p.name, s.position",
    )
}

/// Divisions' names by id.
pub(crate) fn divisions<'a>(conn: &mut Conn, ids: impl Iterator<Item = &'a str>) -> Result<HashMap<String, String>> {
    let mut ids: Vec<&str> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(load(conn, "SELECT d.id AS id, d.name AS label FROM divisions d WHERE d.id", &ids, "")?.into_iter().collect())
}
