//! Runs background jobs (`rapport_core::jobs`) in the server: each worker
//! loop leases a batch, runs every job in a transaction with its fenced
//! completion, and records failures for a retry with backoff. Any number
//! of replicas run these loops against one database; none runs a job twice.

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

use crate::automation::{Automation, DomainEffects};

use crate::state::write_transaction;

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

/// Runs one job's effects. Every kind a domain enqueues is dispatched here.
fn dispatch(conn: &mut Conn, channels: &Channels, job: &LeasedJob) -> Result<()> {
    match job.kind.as_str() {
        rapport_tasks::reminders::JOB_KIND => rapport_tasks::reminders::remind(conn, &job.payload).map(|_| ()),
        DELIVERY_JOB => delivery::deliver(conn, channels, &job.payload).map(|_| ()),
        automation::run::JOB_KIND => automation::run::run(conn, &DomainEffects, &job.payload).map(|_| ()),
        automation::messages::DELIVERY_JOB => delivery::deliver_customer(conn, channels, &job.payload).map(|_| ()),
        other => Err(Error::Internal(format!("no handler for job kind {other}"))),
    }
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
/// or fall together, but the batch pays one commit instead of one per job (the commit, a WAL flush, bounded throughput on
/// PostgreSQL: docs/benchmarks.md, "Jobs"). Jobs that reach outside
/// (deliveries) run in a transaction each, so a slow mail server never
/// holds the database's writer.
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
                dispatch(conn, channels, job)?;
            }
            if jobs::complete_all(conn, &inside, worker)? { Ok(()) } else { Err(Error::Internal(LEASE_LOST.into())) }
        });
        if together.is_err() {
            write_transaction(&mut conn, |conn| {
                for job in &inside {
                    let ran = conn.transaction(|conn| run_one(conn, channels, job, worker));
                    settle(conn, job, worker, ran)?;
                }
                Ok(())
            })?;
        }
    }
    for job in outside {
        let mut conn = db.write()?;
        let ran = write_transaction(&mut conn, |conn| run_one(conn, channels, job, worker));
        write_transaction(&mut conn, |conn| settle(conn, job, worker, ran))?;
    }
    Ok(leased.len())
}

/// Jobs that send something out of the building.
fn reaches_outside(kind: &str) -> bool {
    kind == DELIVERY_JOB || kind == automation::messages::DELIVERY_JOB
}

/// A job's effects and its fenced completion.
fn run_one(conn: &mut Conn, channels: &Channels, job: &LeasedJob, worker: &str) -> Result<()> {
    dispatch(conn, channels, job)?;
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

/// A worker loop, for as long as the server runs: batches back to back
/// while jobs are due, then a poll every `settings.idle`.
pub async fn run_forever(
    db: Db,
    settings: JobSettings,
    channels: Arc<Channels>,
    automation: Arc<Automation>,
    worker: String,
) {
    loop {
        let (step_db, step) = (db.clone(), automation.clone());
        match actix_web::web::block(move || step.step(&step_db)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "automation step failed"),
            Err(e) => tracing::warn!(error = %e, "automation step could not run"),
        }
        let (db, settings_now, name, channels) = (db.clone(), settings.clone(), worker.clone(), channels.clone());
        let leased = actix_web::web::block(move || run_batch(&db, &name, &settings_now, &channels)).await;
        match leased {
            Ok(Ok(n)) if n as i64 >= settings.batch => continue,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "job batch failed"),
            Err(e) => tracing::warn!(error = %e, "job batch could not run"),
        }
        actix_web::rt::time::sleep(settings.idle).await;
    }
}
