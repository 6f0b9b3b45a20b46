//! Demo routing for Motors: a round-robin lead assignment rule over the demo
//! reps, the ticket categories, company-wide SLA policies (resolution in 1–5
//! business days, the plan's 3–5 for normal work) and an after-sales queue
//! every Motors ticket is routed to. Each piece is created only when absent.

use rapport_auth::users::store as users;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::principal::Reach;
use rapport_core::{Error, Result};
use rapport_leads::AssignmentMode;
use rapport_leads::routing::api::{AssignmentRuleListQuery, CreateAssignmentRule};
use rapport_leads::routing::rules as lead_rules;
use rapport_tickets::category::{self, CreateTicketCategory, TicketCategoryListQuery};
use rapport_tickets::queue::api::{Assignment, CreateQueue, CreateRoutingRule, Member, MemberRole, QueueListQuery};
use rapport_tickets::queue::{rules as routing, store as queues};
use rapport_tickets::sla::policy::{self, CreateSlaPolicy, SlaPolicyListQuery};
use rapport_tickets::{CategoryKind, Priority};

pub(super) const QUEUE: &str = "Motors after-sales";

fn user(conn: &mut Conn, email: &str) -> Result<String> {
    users::find_by_email(conn, email)?
        .map(|u| u.id)
        .ok_or_else(|| Error::Internal(format!("demo user {email} missing")))
}

/// Seeds the demo routing of leads and tickets in the Motors division.
pub(super) fn demo_desk(conn: &mut Conn, ctx: &WriteContext, motors: &str) -> Result<()> {
    let everything = Reach::everything();
    let query = AssignmentRuleListQuery { division_id: Some(motors.to_owned()), active: None };
    if lead_rules::list(conn, &everything, &query)?.is_empty() {
        let mut member_ids = Vec::new();
        for email in ["sales@demo.rapport.test", "sales.vi@demo.rapport.test", "sales.ikeja@demo.rapport.test"] {
            member_ids.push(user(conn, email)?);
        }
        let rule = CreateAssignmentRule {
            division_id: motors.to_owned(),
            branch_id: None,
            mode: AssignmentMode::RoundRobin,
            user_id: None,
            member_ids,
            active: None,
        };
        lead_rules::create(conn, ctx, &everything, rule)?;
    }

    let existing = category::list(conn, &TicketCategoryListQuery { include_archived: Some(true) })?;
    for (position, (name, kind)) in [
        ("Sales inquiry", CategoryKind::Sales),
        ("After-sales", CategoryKind::AfterSales),
        ("Service booking", CategoryKind::ServiceBooking),
        ("Complaint", CategoryKind::Complaint),
        ("Billing", CategoryKind::Billing),
        ("General", CategoryKind::General),
    ]
    .into_iter()
    .enumerate()
    {
        if !existing.iter().any(|c| c.name == name) {
            let input =
                CreateTicketCategory { name: name.to_owned(), kind, position: i32::try_from(position).unwrap_or(0) };
            category::create(conn, ctx, input)?;
        }
    }

    let policies = policy::list(conn, &SlaPolicyListQuery::default())?;
    // (priority, first response, resolution) in business minutes; a Lagos day is 9 hours.
    for (priority, response, resolution) in [
        (Priority::Urgent, 60, 9 * 60),
        (Priority::High, 120, 3 * 9 * 60),
        (Priority::Normal, 240, 5 * 9 * 60),
        (Priority::Low, 480, 5 * 9 * 60),
    ] {
        if !policies.iter().any(|p| p.priority == priority && p.division_id.is_none()) {
            let input = CreateSlaPolicy {
                division_id: None,
                priority,
                first_response_minutes: response,
                resolution_minutes: resolution,
                warn_percent: None,
                active: None,
            };
            policy::create(conn, ctx, &everything, input)?;
        }
    }

    let queues_now = queues::list(conn, &everything, &QueueListQuery { division_id: Some(motors.to_owned()) })?;
    if !queues_now.iter().any(|q| q.name == QUEUE) {
        let mut members = Vec::new();
        for email in ["service@demo.rapport.test", "service.ikeja@demo.rapport.test", "service.desk@demo.rapport.test"]
        {
            members.push(Member { user_id: user(conn, email)?, role: MemberRole::Agent, active: true });
        }
        members.push(Member {
            user_id: user(conn, "manager@demo.rapport.test")?,
            role: MemberRole::Manager,
            active: true,
        });
        let input = CreateQueue {
            division_id: motors.to_owned(),
            name: QUEUE.to_owned(),
            assignment: Assignment::RoundRobin,
            members,
        };
        let queue = queues::create(conn, ctx, &everything, input)?;
        let rule = CreateRoutingRule {
            division_id: motors.to_owned(),
            category_id: None,
            channel: None,
            queue_id: queue.id,
            position: 0,
        };
        routing::create(conn, ctx, &everything, rule)?;
    }
    Ok(())
}
