//! Parsing lead inputs: contact details, money, score, external ids, and
//! the pipeline and stage a lead may be in.

use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{leads, pipeline_stages, pipelines};
use rapport_core::money::{self, Money};
use rapport_core::{Error, FieldError, Problems, Result, validate};

use crate::kinds::StageKind;
use crate::lost_reason;
use crate::pipeline::stages::{self, StageInPipeline};

/// An optional id reference.
pub(crate) fn id_ref(problems: &mut Problems, field: &str, value: Option<&str>) -> Option<String> {
    value.map(|v| validate::id_ref(problems, field, v.trim()))
}

/// The prospect's phone in E.164.
pub(crate) fn phone(problems: &mut Problems, raw: Option<&str>) -> Option<String> {
    raw.map(str::trim).filter(|p| !p.is_empty()).map(|p| validate::phone(problems, "prospect_phone", p))
}

/// The prospect's email, lower-cased.
pub(crate) fn email(problems: &mut Problems, raw: Option<&str>) -> Option<String> {
    raw.map(str::trim).filter(|e| !e.is_empty()).map(|e| validate::email(problems, "prospect_email", e))
}

/// A lead names a customer, or a prospect with a name and a phone or email.
pub(crate) fn check_contact(
    problems: &mut Problems,
    customer_id: Option<&str>,
    name: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
) {
    if customer_id.is_some() {
        return;
    }
    if name.is_none() {
        problems.push("prospect_name", "required", "prospect_name is required when no customer_id is given");
    }
    if phone.is_none() && email.is_none() {
        problems.push(
            "prospect_phone",
            "required",
            "a prospect_phone or prospect_email is required when no customer_id is given",
        );
    }
}

/// `(currency, minor units)` of an expected value.
pub(crate) fn expected_value(problems: &mut Problems, value: Option<&Money>) -> (Option<String>, Option<i64>) {
    match value {
        Some(m) => {
            let (currency, minor) = money::parse(problems, "expected_value", m, false);
            (Some(currency), Some(minor))
        }
        None => (None, None),
    }
}

/// A score of 0-100.
pub(crate) fn score(problems: &mut Problems, value: Option<i32>) -> Option<i32> {
    let value = value?;
    if !(0..=100).contains(&value) {
        problems.push("score", "out_of_range", "score must be between 0 and 100");
    }
    Some(value)
}

/// An external source and id: both or neither; the source lower-cased.
pub(crate) fn external(
    problems: &mut Problems,
    source: Option<&str>,
    id: Option<&str>,
) -> (Option<String>, Option<String>) {
    let source = validate::optional_text(problems, "external_source", source, 60).map(|s| s.to_ascii_lowercase());
    let id = validate::optional_text(problems, "external_id", id, 100);
    if source.is_some() != id.is_some() {
        problems.push("external_id", "incomplete", "external_source and external_id are given together");
    }
    (source, id)
}

/// No other lead holds the external id.
pub(crate) fn ensure_external_free(
    conn: &mut Conn,
    source: Option<&str>,
    id: Option<&str>,
    except: Option<&str>,
) -> Result<()> {
    let (Some(source), Some(id)) = (source, id) else { return Ok(()) };
    let holder: Option<String> = leads::table
        .filter(leads::external_source.eq(source))
        .filter(leads::external_id.eq(id))
        .select(leads::id)
        .first(conn)
        .optional()?;
    match holder {
        Some(h) if Some(h.as_str()) != except => Err(Error::Duplicate(vec![FieldError::new(
            "external_id",
            "duplicate",
            format!("{source} id {id} already belongs to lead {h}"),
        )])),
        _ => Ok(()),
    }
}

/// The stage a new lead of `division_id` starts in: `stage_id` when given
/// (it must be of `pipeline_id`), else the pipeline's first open stage.
pub(crate) fn starting_stage(
    conn: &mut Conn,
    division_id: &str,
    pipeline_id: &str,
    stage_id: Option<&str>,
) -> Result<StageInPipeline> {
    let pipeline: Option<(String, bool)> = pipelines::table
        .filter(pipelines::id.eq(pipeline_id))
        .select((pipelines::division_id, pipelines::archived_at.is_not_null()))
        .get_result(conn)
        .optional()?;
    match pipeline {
        None => {
            return Err(Error::invalid("pipeline_id", "not_found", format!("pipeline {pipeline_id} does not exist")));
        }
        Some((d, _)) if d != division_id => {
            return Err(Error::invalid(
                "pipeline_id",
                "wrong_division",
                format!("pipeline {pipeline_id} belongs to another division than the lead's"),
            ));
        }
        Some((_, true)) => {
            return Err(Error::invalid("pipeline_id", "pipeline_archived", "the pipeline is archived"));
        }
        Some(_) => {}
    }
    let stage_id = match stage_id {
        Some(s) => s.to_owned(),
        None => pipeline_stages::table
            .filter(pipeline_stages::pipeline_id.eq(pipeline_id))
            .filter(pipeline_stages::archived_at.is_null())
            .filter(pipeline_stages::kind.eq(StageKind::Open.as_str()))
            .order((pipeline_stages::position, pipeline_stages::id))
            .select(pipeline_stages::id)
            // The first row, without a `LIMIT ?` (docs/decisions/0010).
            .get_result(conn)
            .optional()?
            .ok_or_else(|| {
                Error::invalid(
                    "pipeline_id",
                    "pipeline_incomplete",
                    "the pipeline needs an open, a won and a lost stage before it takes leads",
                )
            })?,
    };
    let stage = stages::enterable(conn, "stage_id", &stage_id, division_id)?;
    if stage.pipeline_id != pipeline_id {
        return Err(Error::invalid(
            "stage_id",
            "wrong_pipeline",
            format!("stage {stage_id} is not a stage of pipeline {pipeline_id}"),
        ));
    }
    Ok(stage)
}

/// A lost stage needs a live lost reason; other stages take none.
pub(crate) fn lost_reason_for(
    conn: &mut Conn,
    kind: StageKind,
    reason: Option<&str>,
    field: &str,
) -> Result<Option<String>> {
    match (kind, reason) {
        (StageKind::Lost, None) => {
            Err(Error::invalid(field, "required", "a lost reason is required to mark a lead lost"))
        }
        (StageKind::Lost, Some(id)) => {
            lost_reason::ensure_live(conn, field, id)?;
            Ok(Some(id.to_owned()))
        }
        (_, Some(_)) => Err(Error::invalid(field, "only_when_lost", "only a lost lead has a lost reason")),
        (_, None) => Ok(None),
    }
}
