//! Authorization in one place: which role may perform which operation on
//! which resource, and on which records ([`Scope`]).
//!
//! [`MATRIX`] is the policy; `docs/security.md` shows the same table and a
//! test fails when the two differ. Handlers call [`authorize`] before they
//! touch a resource; store functions apply the returned scope in their queries,
//! so out-of-scope records are never loaded (and answer 404).

use rapport_core::principal::{Credential, Principal, Role, Scope};
use rapport_core::{Error, Result};

/// Something a caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `/divisions`.
    Divisions,
    /// `/branches`.
    Branches,
    /// `/calendars`.
    Calendars,
    /// `/users`.
    Users,
    /// `/api-keys`.
    ApiKeys,
    /// `/audit`.
    Audit,
    /// `/customers` and their contacts and consent.
    Customers,
    /// Merging duplicate customers.
    CustomerMerges,
    /// A customer's data export (read) and erasure (delete).
    CustomerPrivacy,
    /// `/assets` and their readings.
    Assets,
    /// `/service-rules`: service intervals per make and model.
    ServiceRules,
    /// `/service-records`.
    ServiceRecords,
    /// `/purchases`.
    Purchases,
    /// `/interactions`: the timeline.
    Interactions,
    /// `/interaction-categories`.
    InteractionCategories,
    /// `/categorisation-rules`.
    CategorisationRules,
    /// `/custom-fields`: definitions.
    CustomFields,
    /// `/leads`: leads, their stage moves and history.
    Leads,
    /// `/pipelines`: pipelines, their stages and boards.
    Pipelines,
    /// `/lost-reasons`.
    LostReasons,
    /// `/lead-assignment-rules`: who gets routed leads.
    LeadAssignmentRules,
    /// Qualifying and routing inquiries (`/leads/{id}/qualify`, the
    /// unassigned queue).
    LeadQualification,
    /// `/intake-sources`: web forms and messaging integrations posting leads.
    IntakeSources,
    /// `/tickets`: tickets, their status changes and comments.
    Tickets,
    /// `/ticket-categories`.
    TicketCategories,
    /// `/sla-policies`.
    SlaPolicies,
    /// `/ticket-queues` and `/ticket-routing-rules`.
    TicketQueues,
    /// `/events`: the change feed (every record of every division).
    Events,
    /// `/tasks`: follow-up tasks.
    Tasks,
    /// `/jobs`: background jobs (read: the admin view; update: retry).
    Jobs,
    /// `/automation/rules`: automation rules.
    AutomationRules,
    /// `/automation/runs`: what each rule run did (why a task exists).
    AutomationRuns,
    /// `/webhooks` and `/webhook-deliveries`: subscriptions, their
    /// secrets, the delivery log and redelivery.
    Webhooks,
    /// `/metrics` reports and the dashboard, and `/exports` (raw rows).
    Metrics,
    /// `/metrics/targets`: KPI targets per division.
    MetricTargets,
}

impl Resource {
    /// Every resource, in table order.
    pub const ALL: [Resource; 35] = [
        Resource::Divisions,
        Resource::Branches,
        Resource::Calendars,
        Resource::Users,
        Resource::ApiKeys,
        Resource::Audit,
        Resource::Customers,
        Resource::CustomerMerges,
        Resource::CustomerPrivacy,
        Resource::Assets,
        Resource::ServiceRules,
        Resource::ServiceRecords,
        Resource::Purchases,
        Resource::Interactions,
        Resource::InteractionCategories,
        Resource::CategorisationRules,
        Resource::CustomFields,
        Resource::Leads,
        Resource::Pipelines,
        Resource::LostReasons,
        Resource::LeadAssignmentRules,
        Resource::LeadQualification,
        Resource::IntakeSources,
        Resource::Tickets,
        Resource::TicketCategories,
        Resource::SlaPolicies,
        Resource::TicketQueues,
        Resource::Events,
        Resource::Tasks,
        Resource::Jobs,
        Resource::AutomationRules,
        Resource::AutomationRuns,
        Resource::Webhooks,
        Resource::Metrics,
        Resource::MetricTargets,
    ];

    /// The name used in `docs/security.md`.
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Divisions => "divisions",
            Resource::Branches => "branches",
            Resource::Calendars => "calendars",
            Resource::Users => "users",
            Resource::ApiKeys => "api_keys",
            Resource::Audit => "audit",
            Resource::Customers => "customers",
            Resource::CustomerMerges => "customer_merges",
            Resource::CustomerPrivacy => "customer_privacy",
            Resource::Assets => "assets",
            Resource::ServiceRules => "service_rules",
            Resource::ServiceRecords => "service_records",
            Resource::Purchases => "purchases",
            Resource::Interactions => "interactions",
            Resource::InteractionCategories => "interaction_categories",
            Resource::CategorisationRules => "categorisation_rules",
            Resource::CustomFields => "custom_fields",
            Resource::Leads => "leads",
            Resource::Pipelines => "pipelines",
            Resource::LostReasons => "lost_reasons",
            Resource::LeadAssignmentRules => "lead_assignment_rules",
            Resource::LeadQualification => "lead_qualification",
            Resource::IntakeSources => "intake_sources",
            Resource::Tickets => "tickets",
            Resource::TicketCategories => "ticket_categories",
            Resource::SlaPolicies => "sla_policies",
            Resource::TicketQueues => "ticket_queues",
            Resource::Events => "events",
            Resource::Tasks => "tasks",
            Resource::Jobs => "jobs",
            Resource::AutomationRules => "automation_rules",
            Resource::AutomationRuns => "automation_runs",
            Resource::Webhooks => "webhooks",
            Resource::Metrics => "metrics",
            Resource::MetricTargets => "metric_targets",
        }
    }

    /// The API-key scope area that grants access, e.g. `org` for `org:read`.
    fn key_area(self) -> &'static str {
        match self {
            Resource::Divisions | Resource::Branches | Resource::Calendars => "org",
            Resource::Users => "users",
            Resource::ApiKeys => "api_keys",
            Resource::Audit => "audit",
            Resource::Customers | Resource::CustomerMerges | Resource::CustomerPrivacy | Resource::CustomFields => {
                "customers"
            }
            Resource::Assets | Resource::ServiceRules | Resource::ServiceRecords => "assets",
            Resource::Purchases => "purchases",
            Resource::Interactions | Resource::InteractionCategories | Resource::CategorisationRules => "interactions",
            Resource::Leads
            | Resource::Pipelines
            | Resource::LostReasons
            | Resource::LeadAssignmentRules
            | Resource::LeadQualification
            | Resource::IntakeSources => "leads",
            Resource::Tickets | Resource::TicketCategories | Resource::SlaPolicies | Resource::TicketQueues => {
                "tickets"
            }
            Resource::Events => "events",
            Resource::Tasks => "tasks",
            Resource::Jobs => "jobs",
            Resource::AutomationRules | Resource::AutomationRuns => "automation",
            Resource::Webhooks => "webhooks",
            Resource::Metrics | Resource::MetricTargets => "metrics",
        }
    }
}

/// What a caller does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Get one or list.
    Read,
    /// Create.
    Create,
    /// Change.
    Update,
    /// Delete or archive.
    Delete,
}

impl Operation {
    /// Every operation, in table order.
    pub const ALL: [Operation; 4] = [Operation::Read, Operation::Create, Operation::Update, Operation::Delete];

    /// The name used in `docs/security.md`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// One row of the policy: for `resource` and `operation`, the scope each role
/// gets, in the order of [`Role::ALL`] (`None`: forbidden).
pub type Rule = (Resource, Operation, [Option<Scope>; 8]);

const A: Option<Scope> = Some(Scope::All);
const D: Option<Scope> = Some(Scope::Division);
const O: Option<Scope> = Some(Scope::Own);
const N: Option<Scope> = None;

/// The policy. Columns: admin, supervisor, manager, sales_rep, service_agent,
/// call_center_agent, analyst, integration.
#[rustfmt::skip]
pub const MATRIX: &[Rule] = &[
    (Resource::Divisions, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::Divisions, Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::Divisions, Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::Divisions, Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::Branches,  Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::Branches,  Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::Branches,  Operation::Update, [A, A, D, N, N, N, N, N]),
    (Resource::Branches,  Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::Calendars, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::Calendars, Operation::Create, [A, A, N, N, N, N, N, N]),
    (Resource::Calendars, Operation::Update, [A, A, N, N, N, N, N, N]),
    (Resource::Calendars, Operation::Delete, [A, A, N, N, N, N, N, N]),
    (Resource::Users,     Operation::Read,   [A, A, D, O, O, O, O, O]),
    (Resource::Users,     Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::Users,     Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::ApiKeys,   Operation::Read,   [A, N, N, N, N, N, N, N]),
    (Resource::ApiKeys,   Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::ApiKeys,   Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::Audit,     Operation::Read,   [A, A, N, N, N, N, N, N]),
    (Resource::Customers, Operation::Read,   [A, A, D, D, D, A, A, A]),
    (Resource::Customers, Operation::Create, [A, A, D, D, D, A, N, A]),
    (Resource::Customers, Operation::Update, [A, A, D, D, D, A, N, A]),
    (Resource::Customers, Operation::Delete, [A, A, N, N, N, N, N, N]),
    (Resource::CustomerMerges, Operation::Create, [A, A, D, N, N, N, N, N]),
    (Resource::CustomerPrivacy, Operation::Read,   [A, A, N, N, N, N, N, N]),
    (Resource::CustomerPrivacy, Operation::Delete, [A, A, N, N, N, N, N, N]),
    (Resource::Assets,    Operation::Read,   [A, A, D, D, D, A, A, A]),
    (Resource::Assets,    Operation::Create, [A, A, D, D, D, N, N, A]),
    (Resource::Assets,    Operation::Update, [A, A, D, D, D, N, N, A]),
    (Resource::Assets,    Operation::Delete, [A, A, D, N, N, N, N, N]),
    (Resource::ServiceRules, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::ServiceRules, Operation::Create, [A, A, N, N, N, N, N, N]),
    (Resource::ServiceRules, Operation::Update, [A, A, N, N, N, N, N, N]),
    (Resource::ServiceRules, Operation::Delete, [A, A, N, N, N, N, N, N]),
    (Resource::ServiceRecords, Operation::Read,   [A, A, D, D, D, A, A, A]),
    (Resource::ServiceRecords, Operation::Create, [A, A, D, N, D, N, N, A]),
    (Resource::ServiceRecords, Operation::Update, [A, A, D, N, D, N, N, A]),
    (Resource::ServiceRecords, Operation::Delete, [A, A, N, N, N, N, N, N]),
    (Resource::Purchases, Operation::Read,   [A, A, D, D, D, A, A, A]),
    (Resource::Purchases, Operation::Create, [A, A, D, D, N, N, N, A]),
    (Resource::Purchases, Operation::Update, [A, A, D, D, N, N, N, A]),
    (Resource::Purchases, Operation::Delete, [A, A, N, N, N, N, N, N]),
    (Resource::Interactions, Operation::Read,   [A, A, D, D, D, A, A, A]),
    (Resource::Interactions, Operation::Create, [A, A, D, D, D, A, N, A]),
    (Resource::Interactions, Operation::Update, [A, A, D, O, O, O, N, A]),
    (Resource::Interactions, Operation::Delete, [A, A, D, O, O, O, N, N]),
    (Resource::InteractionCategories, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::InteractionCategories, Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::InteractionCategories, Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::InteractionCategories, Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::CategorisationRules, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::CategorisationRules, Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::CategorisationRules, Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::CategorisationRules, Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::CustomFields, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::CustomFields, Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::CustomFields, Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::CustomFields, Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::Leads,     Operation::Read,   [A, A, D, O, N, O, A, A]),
    (Resource::Leads,     Operation::Create, [A, A, D, O, N, O, N, A]),
    (Resource::Leads,     Operation::Update, [A, A, D, O, N, O, N, A]),
    (Resource::Leads,     Operation::Delete, [A, A, D, N, N, N, N, N]),
    (Resource::Pipelines, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::Pipelines, Operation::Create, [A, N, D, N, N, N, N, N]),
    (Resource::Pipelines, Operation::Update, [A, N, D, N, N, N, N, N]),
    (Resource::Pipelines, Operation::Delete, [A, N, D, N, N, N, N, N]),
    (Resource::LostReasons, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::LostReasons, Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::LostReasons, Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::LostReasons, Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::LeadAssignmentRules, Operation::Read,   [A, A, D, D, N, A, A, A]),
    (Resource::LeadAssignmentRules, Operation::Create, [A, N, D, N, N, N, N, N]),
    (Resource::LeadAssignmentRules, Operation::Update, [A, N, D, N, N, N, N, N]),
    (Resource::LeadAssignmentRules, Operation::Delete, [A, N, D, N, N, N, N, N]),
    (Resource::LeadQualification, Operation::Read,   [A, A, D, O, N, A, A, A]),
    (Resource::LeadQualification, Operation::Update, [A, A, D, O, N, A, N, A]),
    (Resource::IntakeSources, Operation::Read,   [A, N, D, N, N, N, N, N]),
    (Resource::IntakeSources, Operation::Create, [A, N, D, N, N, N, N, N]),
    (Resource::IntakeSources, Operation::Update, [A, N, D, N, N, N, N, N]),
    (Resource::IntakeSources, Operation::Delete, [A, N, D, N, N, N, N, N]),
    (Resource::Tickets,   Operation::Read,   [A, A, D, O, D, A, A, A]),
    (Resource::Tickets,   Operation::Create, [A, A, D, O, D, A, N, A]),
    (Resource::Tickets,   Operation::Update, [A, A, D, O, D, A, N, A]),
    (Resource::TicketCategories, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::TicketCategories, Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::TicketCategories, Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::TicketCategories, Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::SlaPolicies, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::SlaPolicies, Operation::Create, [A, N, D, N, N, N, N, N]),
    (Resource::SlaPolicies, Operation::Update, [A, N, D, N, N, N, N, N]),
    (Resource::SlaPolicies, Operation::Delete, [A, N, D, N, N, N, N, N]),
    (Resource::TicketQueues, Operation::Read,   [A, A, D, N, D, A, A, A]),
    (Resource::TicketQueues, Operation::Create, [A, N, D, N, N, N, N, N]),
    (Resource::TicketQueues, Operation::Update, [A, N, D, N, N, N, N, N]),
    (Resource::TicketQueues, Operation::Delete, [A, N, D, N, N, N, N, N]),
    (Resource::Events,    Operation::Read,   [A, A, N, N, N, N, A, A]),
    (Resource::Tasks,     Operation::Read,   [A, A, D, O, O, O, A, A]),
    (Resource::Tasks,     Operation::Create, [A, A, D, O, O, O, N, A]),
    (Resource::Tasks,     Operation::Update, [A, A, D, O, O, O, N, A]),
    (Resource::Jobs,      Operation::Read,   [A, A, N, N, N, N, N, N]),
    (Resource::Jobs,      Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::AutomationRules, Operation::Read,   [A, A, A, N, N, N, A, A]),
    (Resource::AutomationRules, Operation::Create, [A, N, N, N, N, N, N, N]),
    (Resource::AutomationRules, Operation::Update, [A, N, N, N, N, N, N, N]),
    (Resource::AutomationRules, Operation::Delete, [A, N, N, N, N, N, N, N]),
    (Resource::AutomationRuns,  Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::Webhooks,  Operation::Read,   [A, N, N, N, N, N, N, A]),
    (Resource::Webhooks,  Operation::Create, [A, N, N, N, N, N, N, A]),
    (Resource::Webhooks,  Operation::Update, [A, N, N, N, N, N, N, A]),
    (Resource::Webhooks,  Operation::Delete, [A, N, N, N, N, N, N, A]),
    (Resource::Metrics,   Operation::Read,   [A, A, D, O, O, O, A, A]),
    (Resource::MetricTargets, Operation::Read,   [A, A, A, A, A, A, A, A]),
    (Resource::MetricTargets, Operation::Update, [A, A, D, N, N, N, N, N]),
    (Resource::MetricTargets, Operation::Delete, [A, A, D, N, N, N, N, N]),
];

/// The scope `role` has for `operation` on `resource`, if any.
pub fn rule(role: Role, resource: Resource, operation: Operation) -> Option<Scope> {
    let column = Role::ALL.iter().position(|r| *r == role)?;
    MATRIX.iter().find(|(res, op, _)| *res == resource && *op == operation).and_then(|(_, _, scopes)| scopes[column])
}

/// The API-key scope an integration needs for this, e.g. `org:read`.
pub fn key_scope(resource: Resource, operation: Operation) -> String {
    let verb = if operation == Operation::Read { "read" } else { "write" };
    format!("{}:{verb}", resource.key_area())
}

/// Every API-key scope an admin may grant.
pub const KEY_SCOPES: &[&str] = &[
    "org:read",
    "org:write",
    "users:read",
    "customers:read",
    "customers:write",
    "purchases:read",
    "purchases:write",
    "assets:read",
    "assets:write",
    "interactions:read",
    "interactions:write",
    "leads:read",
    "leads:write",
    "tickets:read",
    "tickets:write",
    "tasks:read",
    "tasks:write",
    "events:read",
    "automation:read",
    "webhooks:read",
    "webhooks:write",
    "metrics:read",
];

/// May `principal` perform `operation` on `resource`? Returns the scope of
/// records it may do it on, or [`Error::Forbidden`]. An API key must also
/// carry the matching key scope.
pub fn authorize(principal: &Principal, resource: Resource, operation: Operation) -> Result<Scope> {
    let forbidden = || {
        Error::Forbidden(format!(
            "role {} may not {} {}",
            principal.role.as_str(),
            operation.as_str(),
            resource.as_str()
        ))
    };
    let scope = rule(principal.role, resource, operation).ok_or_else(forbidden)?;
    if let Credential::ApiKey { scopes, .. } = &principal.credential {
        let needed = key_scope(resource, operation);
        if !scopes.contains(&needed) {
            return Err(Error::Forbidden(format!("this API key lacks the `{needed}` scope")));
        }
    }
    Ok(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/security.md shows the same matrix; the docs are the contract.
    #[test]
    fn the_documented_matrix_is_the_enforced_one() {
        let doc = include_str!("../../../docs/security.md");
        let mut rows = 0;
        for line in doc.lines().filter(|l| l.starts_with("| ") && !l.contains("---")) {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let Some(resource) = Resource::ALL.into_iter().find(|r| format!("`{}`", r.as_str()) == cells[0]) else {
                continue;
            };
            let operation = Operation::ALL
                .into_iter()
                .find(|o| o.as_str() == cells[1])
                .unwrap_or_else(|| panic!("unknown operation in {line}"));
            for (i, role) in Role::ALL.into_iter().enumerate() {
                let documented = match cells[2 + i] {
                    "all" => Some(Scope::All),
                    "division" => Some(Scope::Division),
                    "branch" => Some(Scope::Branch),
                    "own" => Some(Scope::Own),
                    "—" => None,
                    other => panic!("unknown cell {other:?} in {line}"),
                };
                assert_eq!(rule(role, resource, operation), documented, "{line}: {}", role.as_str());
            }
            rows += 1;
        }
        assert_eq!(rows, MATRIX.len(), "docs/security.md and MATRIX have different rows");
    }

    #[test]
    fn keys_need_their_scope() {
        let principal = |scopes: &[&str]| Principal {
            user_id: "u".into(),
            role: Role::Integration,
            division_id: None,
            branch_id: None,
            credential: Credential::ApiKey {
                key_id: "k".into(),
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            },
        };
        assert!(authorize(&principal(&["org:read"]), Resource::Branches, Operation::Read).is_ok());
        assert!(authorize(&principal(&["customers:read"]), Resource::Branches, Operation::Read).is_err());
        assert!(authorize(&principal(&["org:write"]), Resource::Branches, Operation::Update).is_err());
    }
}
