//! The rules engine's hands in the other domains ([`Effects`]), and the
//! step every job-runner loop takes before leasing: fan new changes out to
//! webhook deliveries, queue the rule runs they set off and, every so
//! often, the runs whose time has come.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use rapport_core::Result;
use rapport_core::audit::WriteContext;
use rapport_core::db::{Conn, Db};
use rapport_core::principal::Reach;
use rapport_customers::customer::api::UpdateCustomer;
use rapport_customers::customer::store::{self as customers, Found};
use rapport_leads::lead::api::UpdateLead;
use rapport_tasks::automation::{Effects, Subject, SubjectType, dispatch, scan};
use rapport_tickets::ticket::api::UpdateTicket;

use rapport_core::db::write_transaction;

/// Changes other domains' records for rules, as the system, through each
/// domain's own update (validation, audit, notifications included).
pub struct DomainEffects;

impl Effects for DomainEffects {
    fn change_owner(&self, conn: &mut Conn, subject: &Subject, user_id: &str) -> Result<()> {
        let (ctx, all) = (WriteContext::system(), Reach::everything());
        match subject.kind {
            SubjectType::Lead => {
                let lead = rapport_leads::lead::store::get(conn, &all, &subject.id)?;
                let changes = UpdateLead { owner_id: Some(Some(user_id.to_owned())), ..UpdateLead::default() };
                rapport_leads::lead::update(conn, &ctx, &all, Some(&all), &subject.id, lead.version, changes)?;
            }
            SubjectType::Ticket => {
                let ticket = rapport_tickets::ticket::store::get(conn, &all, &subject.id)?;
                let changes = UpdateTicket { assignee_id: Some(Some(user_id.to_owned())), ..UpdateTicket::default() };
                rapport_tickets::ticket::store::update(
                    conn,
                    &ctx,
                    &all,
                    Some(&all),
                    &subject.id,
                    ticket.version,
                    changes,
                )?;
            }
            other => {
                return Err(rapport_core::Error::invalid(
                    "type",
                    "not_allowed",
                    format!("a {} has no owner to change", other.as_str()),
                ));
            }
        }
        Ok(())
    }

    fn add_tag(&self, conn: &mut Conn, customer_id: &str, tag: &str) -> Result<bool> {
        let all = Reach::everything();
        let Found::Customer(customer) = customers::get(conn, &all, customer_id)? else { return Ok(false) };
        if customer.tags.iter().any(|t| t == tag) {
            return Ok(false);
        }
        let mut tags = customer.tags.clone();
        tags.push(tag.to_owned());
        let changes = UpdateCustomer { tags: Some(tags), ..UpdateCustomer::default() };
        customers::update(conn, &WriteContext::system(), &all, customer_id, customer.version, changes)?;
        Ok(true)
    }
}

/// Dispatch passes per step.
const MAX_PASSES: usize = 20;

/// How often a process reads the change feed for rules: often enough that
/// a rule acts within a second, rarely enough that job workers draining a
/// queue do not pay a feed read per batch.
pub const DISPATCH_EVERY: Duration = Duration::from_millis(500);

/// How often the timed triggers are scanned.
pub const SCAN_EVERY: Duration = Duration::from_secs(30);

/// One process's automation step: dispatch on every call, scan at most
/// every `scan_every` (the last scan is kept per process; replicas scanning
/// at once take different rules).
pub struct Automation {
    tz: Tz,
    scan_every: Duration,
    dispatch_every: Duration,
    last_scan: Mutex<Option<Instant>>,
    last_dispatch: Mutex<Option<Instant>>,
}

/// Whether `every` has passed since `last`, and if so, marks now.
fn due(last: &Mutex<Option<Instant>>, every: Duration) -> bool {
    let mut last = last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let due = last.is_none_or(|at| at.elapsed() >= every);
    if due {
        *last = Some(Instant::now());
    }
    due
}

impl Automation {
    /// Days and times of day in `tz`; the feed is read at most every
    /// [`DISPATCH_EVERY`] (zero in tests: every step).
    pub fn new(tz: Tz, scan_every: Duration) -> Self {
        let dispatch_every = DISPATCH_EVERY.min(scan_every);
        Automation { tz, scan_every, dispatch_every, last_scan: Mutex::new(None), last_dispatch: Mutex::new(None) }
    }

    /// Queues what is due; returns the runs queued. Failures are the
    /// caller's to log: the next step tries again from the same place.
    pub fn step(&self, db: &Db) -> Result<usize> {
        let mut queued = 0;
        let passes = if due(&self.last_dispatch, self.dispatch_every) { MAX_PASSES } else { 0 };
        if passes > 0 {
            // Webhooks read the same feed with their own cursor; a failure
            // there must not keep the rules from running.
            if let Err(e) = crate::job_runner::fan_out(db) {
                tracing::warn!(error = %e, "webhook fan-out failed");
            }
        }
        // Bounded, so a long backlog (the first start over an old feed)
        // does not keep this worker from its jobs.
        for _ in 0..passes {
            let mut conn = db.write()?;
            let pass = write_transaction(&mut conn, dispatch::dispatch)?;
            queued += pass.runs;
            if pass.busy || pass.events < dispatch::BATCH as usize {
                break;
            }
        }
        if due(&self.last_scan, self.scan_every) {
            let mut conn = db.write()?;
            let scanned = write_transaction(&mut conn, |conn| scan::scan(conn, self.tz, chrono::Utc::now()))?;
            queued += scanned.runs;
        }
        Ok(queued)
    }
}
