//! Request and response types for pipelines and their stages.

use chrono::{DateTime, Utc};
use rapport_core::money::Money;
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::StageKind;

/// A stage to add to a pipeline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Test drive", "kind": "open", "win_probability": 40, "follow_up_minutes": 2880}))]
pub struct NewStage {
    /// Name, unique in the pipeline, at most 100 characters.
    pub name: String,
    /// `open`, `won` or `lost`.
    pub kind: StageKind,
    /// Default win probability of leads in the stage, 0-100 (default: 0 for
    /// lost, 100 for won, 10 for open stages).
    #[serde(default)]
    pub win_probability: Option<i32>,
    /// Minutes from entering the stage to the next follow-up (1 to 525,600);
    /// none: leads in the stage have no follow-up cadence.
    #[serde(default)]
    pub follow_up_minutes: Option<i32>,
    /// 0-based place on the board (adding a stage only); default: last.
    #[serde(default)]
    pub position: Option<i32>,
}

/// A new pipeline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12",
    "name": "Motors sales",
    "stages": [
        {"name": "New inquiry", "kind": "open", "follow_up_minutes": 240},
        {"name": "Invoiced", "kind": "won"},
        {"name": "Lost", "kind": "lost"}
    ]
}))]
pub struct CreatePipeline {
    /// The division it serves.
    pub division_id: String,
    /// Name, unique in the division, at most 100 characters.
    pub name: String,
    /// Its stages in board order, at most 30. A pipeline takes leads once it
    /// has an open, a won and a lost stage.
    #[serde(default)]
    pub stages: Vec<NewStage>,
}

/// Changes to a pipeline; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Motors retail", "version": 2}))]
pub struct UpdatePipeline {
    /// New name.
    pub name: Option<String>,
    /// `true` archives (no new leads), `false` restores.
    pub archived: Option<bool>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// Changes to a stage; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Quotation sent", "follow_up_minutes": 1440, "version": 3}))]
pub struct UpdateStage {
    /// New name.
    pub name: Option<String>,
    /// New kind; refused while leads are in the stage.
    pub kind: Option<StageKind>,
    /// New default win probability, 0-100.
    pub win_probability: Option<i32>,
    /// New follow-up interval in minutes; `null` removes the cadence.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i32>)]
    pub follow_up_minutes: Option<Option<i32>>,
    /// The pipeline's version (or send `If-Match`).
    pub version: Option<i64>,
}

/// A new order for a pipeline's stages.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stage_ids": ["0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a21", "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a22"], "version": 4}))]
pub struct ReorderStages {
    /// Every live stage of the pipeline, each once, in the new order.
    pub stage_ids: Vec<String>,
    /// The pipeline's version (or send `If-Match`).
    pub version: Option<i64>,
}

/// One stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StageResponse {
    /// Stage id.
    pub id: String,
    /// 0-based place on the board.
    pub position: i32,
    /// Name.
    pub name: String,
    /// `open`, `won` or `lost`.
    pub kind: StageKind,
    /// Default win probability, 0-100.
    pub win_probability: i32,
    /// Minutes from entering the stage to the next follow-up, if any.
    pub follow_up_minutes: Option<i32>,
}

/// A pipeline with its live stages in board order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PipelineResponse {
    /// Pipeline id.
    pub id: String,
    /// Its division.
    pub division_id: String,
    /// Name.
    pub name: String,
    /// Live stages in board order (deleted stages that leads passed through
    /// are kept, archived, for their history, and not shown).
    pub stages: Vec<StageResponse>,
    /// Whether it has an open, a won and a lost stage and is not archived.
    pub accepts_leads: bool,
    /// When it was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Version; changes to stages bump it too.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing pipelines.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PipelineListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `name` (default) or `created_at`, `-` for descending.
    pub sort: Option<String>,
    /// Only this division's pipelines.
    pub division_id: Option<String>,
    /// Include archived pipelines (default false).
    pub include_archived: Option<bool>,
}

/// Sort keys for pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipelineSort {
    /// By name.
    Name,
    /// By creation.
    CreatedAt,
}

impl SortKey for PipelineSort {
    const ALL: &'static [(&'static str, Self)] = &[("name", Self::Name), ("created_at", Self::CreatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Name, Direction::Asc);
}

/// One column of the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BoardColumn {
    /// The stage.
    pub stage: StageResponse,
    /// Leads in the stage (within your scope; archived leads not counted).
    pub count: i64,
    /// Sum of their expected values, one entry per currency; leads without
    /// an expected value count but add nothing.
    pub expected_value: Vec<Money>,
}

/// A pipeline's board: count and expected value per stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BoardResponse {
    /// The pipeline.
    pub pipeline_id: String,
    /// Columns in board order.
    pub columns: Vec<BoardColumn>,
}
