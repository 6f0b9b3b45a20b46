//! Runs background jobs (`rapport_core::jobs`) in the server: each worker
//! loop takes the automation step (rules and webhook fan-out from the
//! change feed, timed rules; `crate::automation`), leases a batch, runs
//! every job with its fenced completion, and records failures for a retry
//! with backoff. Any number of replicas run these loops against one
//! database; none runs a job twice.
//!
//! Worker loops run on their own OS threads ([`spawn`]), never on actix's
//! blocking pool, which request handlers need for their database work.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use diesel::Connection as _;
use rapport_core::db::{Conn, Db};
use rapport_core::jobs::{self, LeasedJob};
use rapport_core::notification::DELIVERY_JOB;
use rapport_core::{Error, Result};
use rapport_tasks::automation;
use rapport_tasks::delivery::{self, Channels};
use rapport_tasks::webhooks::{self, sender};

use crate::automation::{Automation, DomainEffects};
use rapport_core::db::write_transaction;

/// How the runner works.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Jobs leased at once.
    pub batch: i64,
    /// How long a lease lasts before another worker may take the job over.
    pub lease: TimeDelta,
    /// Pause between polls when nothing is due.
    pub idle: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings { batch: 50, lease: TimeDelta::seconds(60), idle: Duration::from_secs(1) }
    }
}

/// A name no other worker anywhere has: host, process and a fresh id.
pub fn worker_name(loop_number: usize) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "rapport".to_owned());
    format!("{host}:{}:{loop_number}:{}", std::process::id(), rapport_core::ids::new_id())
}

/// Runs one in-database job's effects. Every kind a domain enqueues that
/// only writes to the database is dispatched here; kinds that reach outside
/// go through [`prepare`] instead.
fn dispatch(conn: &mut Conn, job: &LeasedJob) -> Result<()> {
    match job.kind.as_str() {
        rapport_tasks::reminders::JOB_KIND => rapport_tasks::reminders::remind(conn, &job.payload).map(|_| ()),
        automation::run::JOB_KIND => automation::run::run(conn, &DomainEffects, &job.payload).map(|_| ()),
        other => Err(Error::Internal(format!("no handler for job kind {other}"))),
    }
}

/// Whether a job reaches outside the database (SMTP, a messaging
/// provider, a webhook receiver).
fn reaches_outside(kind: &str) -> bool {
    kind == DELIVERY_JOB || kind == webhooks::JOB_KIND || kind == automation::messages::DELIVERY_JOB
}

/// The lease was lost between leasing and completing: another worker owns
/// the job now, so this one's effects are rolled back.
const LEASE_LOST: &str = "lease lost";

/// Leases one batch for `worker` and runs it; returns how many jobs it
/// leased (0: nothing was due).
///
/// Jobs that only write to the database run together in one transaction
/// with one fenced completion for all of them (falling back to a savepoint
/// per job when one fails): a job's effects and its completion still stand
/// or fall together, but the batch pays one commit instead of one per job
/// (the commit, a WAL flush, bounded throughput on PostgreSQL:
/// docs/benchmarks.md, "Jobs"). Jobs that reach outside (e-mail, customer
/// messages, webhooks) are prepared with a read, sent with no connection
/// held, and recorded in a short write transaction each (see
/// [`run_outside`]), so a slow receiver never holds the database's writer.
pub fn run_batch(db: &Db, worker: &str, settings: &JobSettings, channels: &Channels) -> Result<usize> {
    let leased = {
        let mut conn = db.write()?;
        write_transaction(&mut conn, |conn| {
            jobs::lease(conn, worker, settings.batch, settings.lease, chrono::Utc::now())
        })?
    };
    let (outside, inside): (Vec<&LeasedJob>, Vec<&LeasedJob>) =
        leased.iter().partition(|job| reaches_outside(&job.kind));
    if !inside.is_empty() {
        let mut conn = db.write()?;
        // The common case first: every job succeeds, all effects and one
        // fenced completion of the whole batch commit together. Should any
        // job fail (or a lease be lost), that transaction rolls back, undoing
        // every effect, and the batch runs again job by job, each in a
        // savepoint, so one failure is recorded without undoing the others.
        let together = write_transaction(&mut conn, |conn| {
            for job in &inside {
                dispatch(conn, job)?;
            }
            if jobs::complete_all(conn, &inside, worker)? { Ok(()) } else { Err(Error::Internal(LEASE_LOST.into())) }
        });
        if together.is_err() {
            write_transaction(&mut conn, |conn| {
                for job in &inside {
                    let ran = conn.transaction(|conn| run_one(conn, job, worker));
                    settle(conn, job, worker, ran)?;
                }
                Ok(())
            })?;
        }
    }
    for job in outside {
        run_outside(db, channels, job, worker)?;
    }
    Ok(leased.len())
}

/// One webhook fan-out pass (see `rapport_tasks::webhooks::fan_out`).
pub fn fan_out(db: &Db) -> Result<()> {
    let mut conn = db.write()?;
    write_transaction(&mut conn, webhooks::fan_out::fan_out)?;
    Ok(())
}

/// An in-database job's effects and its fenced completion.
fn run_one(conn: &mut Conn, job: &LeasedJob, worker: &str) -> Result<()> {
    dispatch(conn, job)?;
    fenced_complete(conn, job, worker)
}

fn fenced_complete(conn: &mut Conn, job: &LeasedJob, worker: &str) -> Result<()> {
    if jobs::complete(conn, job, worker)? { Ok(()) } else { Err(Error::Internal(LEASE_LOST.into())) }
}

/// After a job ran (its effects committed or rolled back): a failure is
/// recorded for a retry with back-off; a lost lease is left to its owner.
fn settle(conn: &mut Conn, job: &LeasedJob, worker: &str, ran: Result<()>) -> Result<()> {
    match ran {
        Ok(()) => {}
        Err(Error::Internal(message)) if message == LEASE_LOST => {
            tracing::warn!(job = %job.id, kind = %job.kind, "job lease lost; left to its new owner");
        }
        Err(error) => {
            let message = error.to_string();
            let status = jobs::fail(conn, job, worker, &message)?;
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempt, error = %message,
                status = ?status, "job failed");
        }
    }
    Ok(())
}

/// What an outside job will send, read before sending.
enum Prepared {
    /// Nothing to send (the user switched the channel off, no SMTP…): done.
    Nothing,
    /// A notification on one channel.
    Notification(delivery::Prepared),
    /// A webhook delivery.
    Webhook(sender::Prepared),
    /// A webhook delivery whose subscription was deactivated.
    WebhookInactive(String),
    /// A message to a customer.
    CustomerMessage(delivery::CustomerPrepared),
    /// A customer message to mark skipped, unsent, and why.
    CustomerSkip(String, &'static str),
}

/// How the send went.
enum Sent {
    /// Nothing was sent.
    Nothing,
    /// A notification went out, or failed with this error.
    Notification(Result<()>),
    /// A webhook attempt.
    Webhook(String, sender::Attempt),
    /// A webhook delivery to mark dead, unsent.
    WebhookInactive(String),
    /// A customer message went out, or failed with this error.
    CustomerMessage(String, Result<()>),
    /// A customer message to mark skipped.
    CustomerSkip(String, &'static str),
}

fn prepare(conn: &mut Conn, channels: &Channels, job: &LeasedJob) -> Result<Prepared> {
    if job.kind == DELIVERY_JOB {
        return Ok(delivery::prepare(conn, channels, &job.payload)?.map_or(Prepared::Nothing, Prepared::Notification));
    }
    if job.kind == automation::messages::DELIVERY_JOB {
        return Ok(match delivery::prepare_customer(conn, channels, &job.payload)? {
            delivery::CustomerPreparation::Send(p) => Prepared::CustomerMessage(p),
            delivery::CustomerPreparation::Skip { message_id, why } => Prepared::CustomerSkip(message_id, why),
            delivery::CustomerPreparation::Nothing => Prepared::Nothing,
        });
    }
    Ok(match sender::prepare(conn, &job.payload)? {
        sender::Preparation::Send(prepared) => Prepared::Webhook(prepared),
        sender::Preparation::Inactive { delivery_id } => Prepared::WebhookInactive(delivery_id),
    })
}

fn send(channels: &Channels, prepared: Prepared) -> Sent {
    match prepared {
        Prepared::Nothing => Sent::Nothing,
        Prepared::Notification(p) => Sent::Notification(delivery::send(channels, &p).map(|_| ())),
        Prepared::Webhook(p) => {
            let attempt = channels.webhooks.send(&p);
            Sent::Webhook(p.delivery_id, attempt)
        }
        Prepared::WebhookInactive(id) => Sent::WebhookInactive(id),
        Prepared::CustomerMessage(p) => {
            let sent = delivery::send_customer(channels, &p);
            Sent::CustomerMessage(p.message_id, sent)
        }
        Prepared::CustomerSkip(id, why) => Sent::CustomerSkip(id, why),
    }
}

/// Records what was sent and completes (or fails) the job, fenced, in one
/// transaction; rolls everything back when the lease was lost.
fn record(conn: &mut Conn, job: &LeasedJob, worker: &str, sent: Sent) -> Result<()> {
    let failure = match sent {
        Sent::Nothing | Sent::Notification(Ok(())) => None,
        Sent::Notification(Err(e)) => Some(e.to_string()),
        Sent::Webhook(delivery_id, attempt) => {
            let last = job.attempt >= job.max_attempts;
            sender::record(conn, &delivery_id, &attempt, last)?;
            attempt.error
        }
        Sent::WebhookInactive(delivery_id) => {
            sender::record_inactive(conn, &delivery_id)?;
            None
        }
        Sent::CustomerMessage(message_id, Ok(())) => {
            automation::messages::settle(conn, &message_id, None)?;
            None
        }
        Sent::CustomerMessage(_, Err(e)) => Some(e.to_string()),
        Sent::CustomerSkip(message_id, why) => {
            automation::messages::settle(conn, &message_id, Some(why))?;
            None
        }
    };
    match failure {
        None => fenced_complete(conn, job, worker),
        Some(message) => match jobs::fail(conn, job, worker, &message)? {
            Some(status) => {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempt, error = %message,
                    status = ?status, "job failed");
                Ok(())
            }
            None => Err(Error::Internal(LEASE_LOST.into())),
        },
    }
}

/// Runs a job that reaches outside in three steps:
/// 1. *prepare*: read what to send, on a read connection;
/// 2. *send*, with no database connection held: a receiver that answers
///    slowly or not at all holds only this worker thread;
/// 3. *record* the result with the fenced `jobs::complete` / `jobs::fail`
///    in one short write transaction.
///
/// A crash between 2 and 3 leaves the job leased; when its lease runs out
/// another worker sends again. Delivery is at least once: receivers
/// deduplicate by the notification's `Message-ID` or the webhook's
/// `Rapport-Webhook-Id`.
fn run_outside(db: &Db, channels: &Channels, job: &LeasedJob, worker: &str) -> Result<()> {
    let prepared = {
        let mut conn = db.read()?;
        prepare(&mut conn, channels, job)
    };
    let sent = match prepared {
        Ok(prepared) => Ok(send(channels, prepared)),
        Err(e) => Err(e),
    };
    let mut conn = db.write()?;
    match sent {
        Ok(sent) => {
            let recorded = write_transaction(&mut conn, |conn| record(conn, job, worker, sent));
            match recorded {
                Err(Error::Internal(message)) if message == LEASE_LOST => {
                    tracing::warn!(job = %job.id, kind = %job.kind, "job lease lost; left to its new owner");
                    Ok(())
                }
                other => other,
            }
        }
        Err(e) => write_transaction(&mut conn, |conn| settle(conn, job, worker, Err(e))),
    }
}

/// A worker loop, for as long as the process runs: batches back to back
/// while jobs are due, then a poll every `settings.idle`. Blocking: run it
/// on a thread of its own ([`spawn`]).
pub fn run_forever(db: &Db, settings: &JobSettings, channels: &Channels, automation: &Automation, worker: &str) {
    loop {
        if let Err(e) = automation.step(db) {
            tracing::warn!(error = %e, "automation step failed");
        }
        match run_batch(db, worker, settings, channels) {
            Ok(n) if n as i64 >= settings.batch => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "job batch failed"),
        }
        std::thread::sleep(settings.idle);
    }
}

/// Starts a worker loop on a dedicated OS thread named after `worker`, so
/// job work never takes one of the blocking-pool threads request handlers
/// use (that pool is capped to the database pool's size).
pub fn spawn(
    db: Db,
    settings: JobSettings,
    channels: Arc<Channels>,
    automation: Arc<Automation>,
    worker: String,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("rapport-jobs-{}", worker.split(':').nth(2).unwrap_or("0")))
        .spawn(move || run_forever(&db, &settings, &channels, &automation, &worker))
        .map(|_| ())
}
