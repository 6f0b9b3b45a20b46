//! The demo Motors sales pipeline: its stages, a list of lost reasons, and
//! [`DEMO_LEADS`] leads spread over the past year with their stage
//! histories, wins and losses.
//!
//! The pipeline and the lost reasons are created through the domain
//! functions (validated and audited like anything an admin enters). The
//! leads and their histories are written as rows: the API-level create and
//! move stamp "now", and creating through them and then backdating would
//! leave ~15,000 audit entries and change events claiming that every lead
//! was created and moved at seeding time, contradicting the histories, and
//! would take tens of seconds. So, like [`crate::synthetic`], the demo leads
//! are not audited; the rows obey the same rules the domain functions
//! enforce (status is the stage's kind, lost leads have a reason, closed
//! leads a `closed_at`, open leads a follow-up, gap-free histories).

mod journey;
mod leads;

use rapport_core::Result;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::principal::Reach;

use crate::kinds::StageKind;
use crate::lost_reason::{self, CreateLostReason, LostReasonListQuery};
use crate::pipeline::api::{CreatePipeline, NewStage, PipelineListQuery};
use crate::pipeline::store as pipelines;

pub use leads::{DemoCustomer, DemoRep, Setup};

/// The demo pipeline's name (in the Motors division).
pub const DEMO_PIPELINE: &str = "Motors sales";
/// How many demo leads there are.
pub const DEMO_LEADS: u64 = 3000;

/// The stages: (name, kind, win probability, follow-up minutes). A new
/// inquiry is answered within four hours; later stages every one to two
/// days, as a showroom's sales desk works.
pub const STAGES: [(&str, StageKind, i32, Option<i32>); 7] = [
    ("New inquiry", StageKind::Open, 10, Some(4 * 60)),
    ("Contacted", StageKind::Open, 20, Some(24 * 60)),
    ("Qualified", StageKind::Open, 40, Some(2 * 24 * 60)),
    ("Test drive / Quotation", StageKind::Open, 60, Some(2 * 24 * 60)),
    ("Negotiation", StageKind::Open, 80, Some(24 * 60)),
    ("Invoiced", StageKind::Won, 100, None),
    ("Lost", StageKind::Lost, 0, None),
];

/// The demo lost reasons, in display order (indices used by the journeys).
pub const LOST_REASONS: [&str; 7] = [
    "Price too high",
    "Bought elsewhere",
    "Financing declined",
    "No response",
    "Purchase postponed",
    "Vehicle not in stock",
    "Chose a used vehicle",
];

/// Creates the demo pipeline with its leads, and the lost reasons they
/// use, unless the pipeline exists: running it again changes nothing (and
/// leaves alone a demo pipeline an admin has edited since).
pub fn seed(conn: &mut Conn, ctx: &WriteContext, setup: &Setup<'_>) -> Result<()> {
    let query = PipelineListQuery {
        division_id: Some(setup.division_id.to_owned()),
        include_archived: Some(true),
        limit: Some(200),
        ..Default::default()
    };
    if pipelines::list(conn, &query)?.items.iter().any(|p| p.name == DEMO_PIPELINE) {
        return Ok(());
    }
    let reason_ids = lost_reasons(conn, ctx)?;
    let input = CreatePipeline {
        division_id: setup.division_id.to_owned(),
        name: DEMO_PIPELINE.to_owned(),
        stages: STAGES
            .iter()
            .map(|&(name, kind, probability, follow_up)| NewStage {
                name: name.to_owned(),
                kind,
                win_probability: Some(probability),
                follow_up_minutes: follow_up,
                position: None,
            })
            .collect(),
    };
    let pipeline = pipelines::create(conn, ctx, &Reach::everything(), input)?;
    let stage_ids: Vec<String> = pipeline.stages.into_iter().map(|s| s.id).collect();
    leads::write(conn, setup, &pipeline.id, &stage_ids, &reason_ids)
}

/// The ids of [`LOST_REASONS`], creating the missing ones.
fn lost_reasons(conn: &mut Conn, ctx: &WriteContext) -> Result<Vec<String>> {
    let existing = lost_reason::list(conn, &LostReasonListQuery { include_archived: Some(true) })?;
    let mut ids = Vec::with_capacity(LOST_REASONS.len());
    for (position, name) in (1..).zip(LOST_REASONS) {
        let id = match existing.iter().find(|r| r.name == name) {
            Some(r) => r.id.clone(),
            None => lost_reason::create(conn, ctx, CreateLostReason { name: name.to_owned(), position })?.id,
        };
        ids.push(id);
    }
    Ok(ids)
}
