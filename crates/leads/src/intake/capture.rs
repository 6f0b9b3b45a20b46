//! Capturing an inquiry: validate it, replay a retry, then attach it to the
//! open lead it matches or create a lead (for the matched customer, or a
//! prospect). Never creates a customer. Runs in the caller's transaction.

use std::collections::BTreeMap;

use diesel::prelude::*;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::db::schema::{divisions, intake_captures, leads};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, ids, time, validate};
use rapport_customers::refs;

use super::api::{IntakeLead, IntakeOutcome, IntakeResult};
use super::attach;
use super::key::IntakeSource;
use super::matching::{self, Match};
use super::rows::CaptureRow;
use crate::lead::api::CreateLead;
use crate::lead::store as lead_store;

/// An inquiry, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Inquiry {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub message: Option<String>,
    pub product_interest: Option<String>,
    pub branch_id: Option<String>,
    pub external_id: Option<String>,
    pub custom_fields: BTreeMap<String, serde_json::Value>,
}

/// The outcome of a capture.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The answer for the caller.
    pub result: IntakeResult,
    /// The lead to route: set only when this capture created a lead (not on
    /// an attachment or a replay). Capture leaves its owner empty; the
    /// routing step (`rapport_leads::routing`) assigns one.
    pub lead_to_route: Option<String>,
}

fn parse(input: IntakeLead) -> Result<Inquiry> {
    let mut p = Problems::new();
    let name = match input.name.as_deref() {
        Some(n) => validate::required_text(&mut p, "name", n, 200),
        None => {
            p.push("name", "required", "name is required");
            String::new()
        }
    };
    let phone =
        input.phone.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| validate::phone(&mut p, "phone", v));
    let email =
        input.email.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| validate::email(&mut p, "email", v));
    if phone.is_none() && email.is_none() {
        p.push("phone", "required", "a phone or an email is required");
    }
    let message = validate::optional_text(&mut p, "message", input.message.as_deref(), 2000);
    let product_interest = validate::optional_text(&mut p, "product_interest", input.product_interest.as_deref(), 200);
    let branch_id = input.branch_id.as_deref().map(|b| validate::id_ref(&mut p, "branch_id", b.trim()));
    let external_id = validate::optional_text(&mut p, "external_id", input.external_id.as_deref(), 100);
    p.into_result(Inquiry {
        name,
        phone,
        email,
        message,
        product_interest,
        branch_id,
        external_id,
        custom_fields: input.custom_fields,
    })
}

/// Captures `input` from `source`: one write, all or nothing.
pub fn capture(conn: &mut Conn, ctx: &WriteContext, source: &IntakeSource, input: IntakeLead) -> Result<Captured> {
    let inquiry = parse(input)?;
    serialise_division(conn, &source.division_id)?;
    if let Some(external_id) = &inquiry.external_id
        && let Some(result) = replay(conn, &source.id, external_id)?
    {
        return Ok(Captured { result, lead_to_route: None });
    }
    let branch_id = branch(conn, source, inquiry.branch_id.as_deref())?;
    let found = matching::find(conn, &source.division_id, inquiry.phone.as_deref(), inquiry.email.as_deref())?;
    let (outcome, lead_id, customer_id) = match found {
        Match::Lead { id, customer_id } => {
            attach::record(conn, ctx, source, &id, &inquiry)?;
            (IntakeOutcome::AttachedToLead, id, customer_id)
        }
        Match::Customer(customer_id) => {
            let id = create(conn, ctx, source, branch_id, Some(customer_id.clone()), inquiry.clone())?;
            (IntakeOutcome::CreatedForCustomer, id, Some(customer_id))
        }
        Match::Nobody => (IntakeOutcome::Created, create(conn, ctx, source, branch_id, None, inquiry.clone())?, None),
    };
    let row = CaptureRow {
        id: ids::new_id(),
        source_id: source.id.clone(),
        external_id: inquiry.external_id,
        lead_id: lead_id.clone(),
        outcome: outcome.as_str().to_owned(),
        created_at: time::now(),
    };
    diesel::insert_into(intake_captures::table).values(&row).execute(conn)?;
    let lead_to_route = outcome.created().then(|| lead_id.clone());
    Ok(Captured { result: IntakeResult { outcome, lead_id, customer_id, replayed: false }, lead_to_route })
}

/// On PostgreSQL, holds the division's row until the transaction ends, so
/// two inquiries from the same person arriving at once (from any replica)
/// are matched one after the other and cannot both create a lead. The lock
/// does not block inserts that merely refer to the division. SQLite has a
/// single writer, which serialises them already.
fn serialise_division(conn: &mut Conn, division_id: &str) -> Result<()> {
    if let Conn::Postgres(c) = conn {
        divisions::table
            .filter(divisions::id.eq(division_id))
            .select(divisions::id)
            .for_no_key_update()
            .first::<String>(c)
            .optional()?;
    }
    Ok(())
}

/// The first outcome of the submission `external_id` of `source_id`, if any.
fn replay(conn: &mut Conn, source_id: &str, external_id: &str) -> Result<Option<IntakeResult>> {
    let earlier: Option<(String, String, Option<String>)> = intake_captures::table
        .inner_join(leads::table)
        .filter(intake_captures::source_id.eq(source_id))
        .filter(intake_captures::external_id.eq(external_id))
        .select((intake_captures::outcome, intake_captures::lead_id, leads::customer_id))
        .first(conn)
        .optional()?;
    earlier
        .map(|(outcome, lead_id, customer_id)| {
            let outcome = IntakeOutcome::parse(&outcome)
                .ok_or_else(|| Error::Internal(format!("stored intake outcome {outcome}")))?;
            Ok(IntakeResult { outcome, lead_id, customer_id, replayed: true })
        })
        .transpose()
}

/// The inquiry's branch: the one it names (of the source's division), else
/// the source's own while that is still a live branch of the division.
fn branch(conn: &mut Conn, source: &IntakeSource, named: Option<&str>) -> Result<Option<String>> {
    if let Some(named) = named {
        refs::ensure_branch(conn, "branch_id", named, &source.division_id)?;
        return Ok(Some(named.to_owned()));
    }
    let Some(own) = &source.branch_id else { return Ok(None) };
    match refs::ensure_branch(conn, "branch_id", own, &source.division_id) {
        Ok(()) => Ok(Some(own.clone())),
        Err(Error::Validation(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The pipeline new intake leads of `division_id` go to: its oldest live
/// pipeline that takes leads (an open, a won and a lost stage).
fn intake_pipeline(conn: &mut Conn, division_id: &str) -> Result<String> {
    crate::pipeline::store::default_for_division(conn, division_id)?.ok_or_else(|| Error::Conflict {
        code: "no_lead_pipeline",
        message: "the intake source's division has no pipeline that takes leads (an open, a won and a lost stage)"
            .to_owned(),
    })
}

/// Creates the lead for an inquiry, unassigned, in the intake pipeline's
/// first open stage; returns its id.
fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    source: &IntakeSource,
    branch_id: Option<String>,
    customer_id: Option<String>,
    inquiry: Inquiry,
) -> Result<String> {
    let input = CreateLead {
        customer_id,
        prospect_name: Some(inquiry.name),
        prospect_phone: inquiry.phone,
        prospect_email: inquiry.email,
        source: source.lead_source,
        division_id: source.division_id.clone(),
        branch_id,
        product_interest: inquiry.product_interest,
        expected_value: None,
        expected_close_on: None,
        owner_id: None,
        pipeline_id: intake_pipeline(conn, &source.division_id)?,
        stage_id: None,
        lost_reason_id: None,
        lost_note: None,
        score: None,
        notes: inquiry.message,
        follow_up_minutes: None,
        next_follow_up_at: None,
        external_source: None,
        external_id: None,
        custom_fields: inquiry.custom_fields,
    };
    let everything = Reach::everything();
    Ok(lead_store::create(conn, ctx, &everything, Some(&everything), input, None)?.id)
}
