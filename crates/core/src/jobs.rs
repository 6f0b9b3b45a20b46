//! Background jobs leased from the database, so any number of `rapport`
//! replicas can share one queue and never run a job twice.
//!
//! A job is `queued` until its `run_at`; a worker *leases* a batch
//! (`running`, with its name and a lease deadline, one attempt counted),
//! then runs each job and *completes* it in one transaction with the job's
//! own writes. Completion is fenced: it only succeeds while the job is
//! still leased to that worker, so a worker whose lease ran out (a paused
//! or killed process) cannot commit effects another worker is also
//! producing. A lease that runs out puts the job back in the queue (or
//! dead, when its attempts are spent). A failure is retried after an
//! exponential backoff, up to `max_attempts`, then the job is `dead` until
//! an admin retries it.
//!
//! On PostgreSQL the lease picks rows with `FOR UPDATE SKIP LOCKED`, so
//! concurrent workers take disjoint batches without waiting on each other;
//! SQLite has one writer, which serialises leases by itself.
//!
//! A job may carry a `dedupe_key`, unique across the table: enqueueing the
//! same occurrence twice (a rule firing again, a restart) adds nothing.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::jobs;
use crate::db::{CacheStatement, Conn};
use crate::page::{Direction, Page, PageRequest, SortKey, instant_value};
use crate::{Error, Result, ids, time};

crate::text_enum! {
    /// Where a job stands.
    JobStatus {
        /// Waiting for its `run_at`, or for a retry.
        Queued => "queued",
        /// Leased by a worker.
        Running => "running",
        /// Ran successfully.
        Done => "done",
        /// Failed `max_attempts` times; waits for an admin.
        Dead => "dead",
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What to run, e.g. `task_reminder`.
    pub kind: &'static str,
    /// Its input (a JSON object).
    pub payload: serde_json::Value,
    /// Not before.
    pub run_at: NaiveDateTime,
    /// One job per occurrence: a second enqueue with the same key adds nothing.
    pub dedupe_key: Option<String>,
    /// Attempts before the job is dead.
    pub max_attempts: i32,
}

/// The default number of attempts.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, QueryableByName)]
#[diesel(table_name = jobs)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct JobRow {
    id: String,
    kind: String,
    payload: String,
    dedupe_key: Option<String>,
    status: String,
    run_at: NaiveDateTime,
    attempts: i32,
    max_attempts: i32,
    lease_owner: Option<String>,
    lease_until: Option<NaiveDateTime>,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
}

/// Adds a job; returns its id, or `None` when a job with the same
/// `dedupe_key` exists already.
pub fn enqueue(conn: &mut Conn, job: NewJob) -> Result<Option<String>> {
    if let Some(key) = &job.dedupe_key {
        let taken: Option<String> =
            jobs::table.filter(jobs::dedupe_key.eq(key)).select(jobs::id).get_result(conn).optional()?;
        if taken.is_some() {
            return Ok(None);
        }
    }
    let now = time::now();
    let row = JobRow {
        id: ids::new_id(),
        kind: job.kind.to_owned(),
        payload: job.payload.to_string(),
        dedupe_key: job.dedupe_key,
        status: JobStatus::Queued.as_str().to_owned(),
        run_at: job.run_at,
        attempts: 0,
        max_attempts: job.max_attempts,
        lease_owner: None,
        lease_until: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    // A concurrent enqueue of the same key may pass the check above; the
    // unique index then refuses one of the two, which is the intent.
    let inserted = crate::per_backend!(conn, c => diesel::insert_into(jobs::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok((inserted == 1).then_some(row.id))
}

/// A job leased to a worker.
#[derive(Debug, Clone)]
pub struct LeasedJob {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Input.
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// Attempts before it is dead.
    pub max_attempts: i32,
}

#[derive(QueryableByName)]
struct Leased {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    payload: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Integer)]
    max_attempts: i32,
}

/// Leases up to `limit` due jobs to `worker` until `now + lease_for`,
/// first returning expired leases to the queue. Call it in a transaction
/// of its own, committed before the jobs run.
pub fn lease(
    conn: &mut Conn,
    worker: &str,
    limit: i64,
    lease_for: TimeDelta,
    now: DateTime<Utc>,
) -> Result<Vec<LeasedJob>> {
    let now = time::stored(now);
    recover_expired(conn, now)?;
    let until = now + lease_for;
    let rows: Vec<Leased> = match conn {
        Conn::Postgres(c) => diesel::sql_query(
            "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1, \
             updated_at = $3 WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $3 \
             ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, payload, attempts, max_attempts",
        )
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(c)?,
        Conn::Sqlite(c) => diesel::sql_query(
            "UPDATE jobs SET status = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, \
             updated_at = ? WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ? \
             ORDER BY run_at, id LIMIT ?) \
             RETURNING id, kind, payload, attempts, max_attempts",
        )
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(c)?,
    };
    rows.into_iter()
        .map(|r| {
            let payload = serde_json::from_str(&r.payload)
                .map_err(|e| Error::Internal(format!("job {} has a bad payload: {e}", r.id)))?;
            Ok(LeasedJob { id: r.id, kind: r.kind, payload, attempt: r.attempts, max_attempts: r.max_attempts })
        })
        .collect()
}

/// Jobs whose worker vanished: back to the queue, or dead when that was
/// their last attempt.
fn recover_expired(conn: &mut Conn, now: NaiveDateTime) -> Result<()> {
    let expired = jobs::table.filter(jobs::status.eq(JobStatus::Running.as_str())).filter(jobs::lease_until.lt(now));
    // Almost always nothing has expired: one probe down the partial lease
    // index (ordered by lease_until, so the planner takes that index) costs
    // less than the two UPDATEs, which the planner runs from the status
    // index over every running job (docs/benchmarks.md, jobs).
    let any: Option<String> = expired.order(jobs::lease_until).select(jobs::id).first(conn).optional()?;
    if any.is_none() {
        return Ok(());
    }
    diesel::update(expired.filter(jobs::attempts.lt(jobs::max_attempts)))
        .set((
            jobs::status.eq(JobStatus::Queued.as_str()),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(Some("the worker's lease ran out")),
            jobs::updated_at.eq(now),
        ))
        .cached()
        .execute(conn)?;
    diesel::update(expired)
        .set((
            jobs::status.eq(JobStatus::Dead.as_str()),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(Some("the worker's lease ran out on the last attempt")),
            jobs::updated_at.eq(now),
            jobs::finished_at.eq(Some(now)),
        ))
        .cached()
        .execute(conn)?;
    Ok(())
}

/// Marks `job` done, if it is still leased to `worker`. Call it in the
/// transaction of the job's effects and roll back when it returns false:
/// the lease was lost and another worker owns the job.
pub fn complete(conn: &mut Conn, job: &LeasedJob, worker: &str) -> Result<bool> {
    let now = time::now();
    let changed = diesel::update(
        jobs::table
            .filter(jobs::id.eq(&job.id))
            .filter(jobs::status.eq(JobStatus::Running.as_str()))
            .filter(jobs::lease_owner.eq(worker)),
    )
    .set((
        jobs::status.eq(JobStatus::Done.as_str()),
        jobs::lease_until.eq(None::<NaiveDateTime>),
        jobs::last_error.eq(None::<String>),
        jobs::updated_at.eq(now),
        jobs::finished_at.eq(Some(now)),
    ))
    .cached()
    .execute(conn)?;
    Ok(changed == 1)
}

/// Marks every job of `batch` done, if all are still leased to `worker`;
/// returns false (and changes nothing the caller keeps: roll back) when
/// any lease was lost. One statement for a batch whose jobs all succeeded.
pub fn complete_all(conn: &mut Conn, batch: &[&LeasedJob], worker: &str) -> Result<bool> {
    let now = time::now();
    let ids: Vec<&str> = batch.iter().map(|job| job.id.as_str()).collect();
    let changed = diesel::update(
        jobs::table
            .filter(jobs::id.eq_any(&ids))
            .filter(jobs::status.eq(JobStatus::Running.as_str()))
            .filter(jobs::lease_owner.eq(worker)),
    )
    .set((
        jobs::status.eq(JobStatus::Done.as_str()),
        jobs::lease_until.eq(None::<NaiveDateTime>),
        jobs::last_error.eq(None::<String>),
        jobs::updated_at.eq(now),
        jobs::finished_at.eq(Some(now)),
    ))
    .cached_for_short_list(ids.len())
    .execute(conn)?;
    Ok(changed == ids.len())
}

/// How long before attempt `attempt + 1` after attempt `attempt` failed:
/// 10 s, 20 s, 40 s… doubling, at most an hour.
pub fn backoff(attempt: i32) -> TimeDelta {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    let seconds = 10_i64.saturating_mul(1_i64 << doublings);
    TimeDelta::seconds(seconds.min(3600))
}

/// Records a failed attempt by `worker`: queued again after [`backoff`],
/// or dead when the attempts are spent. Returns the new status (none when
/// the lease had been lost).
pub fn fail(conn: &mut Conn, job: &LeasedJob, worker: &str, error: &str) -> Result<Option<JobStatus>> {
    let now = time::now();
    let mine = jobs::table
        .filter(jobs::id.eq(&job.id))
        .filter(jobs::status.eq(JobStatus::Running.as_str()))
        .filter(jobs::lease_owner.eq(worker));
    let error: String = error.chars().take(2000).collect();
    let (status, run_at, finished_at) = if job.attempt >= job.max_attempts {
        (JobStatus::Dead, None, Some(now))
    } else {
        (JobStatus::Queued, Some(now + backoff(job.attempt)), None)
    };
    let changed = match run_at {
        Some(run_at) => diesel::update(mine)
            .set((
                jobs::status.eq(status.as_str()),
                jobs::run_at.eq(run_at),
                jobs::lease_owner.eq(None::<String>),
                jobs::lease_until.eq(None::<NaiveDateTime>),
                jobs::last_error.eq(Some(&error)),
                jobs::updated_at.eq(now),
            ))
            .cached()
            .execute(conn)?,
        None => diesel::update(mine)
            .set((
                jobs::status.eq(status.as_str()),
                jobs::lease_owner.eq(None::<String>),
                jobs::lease_until.eq(None::<NaiveDateTime>),
                jobs::last_error.eq(Some(&error)),
                jobs::updated_at.eq(now),
                jobs::finished_at.eq(finished_at),
            ))
            .cached()
            .execute(conn)?,
    };
    Ok((changed == 1).then_some(status))
}

/// A job as the admin view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobResponse {
    /// Id.
    pub id: String,
    /// What it runs.
    pub kind: String,
    /// Its input.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// The occurrence it stands for, when deduplicated.
    pub dedupe_key: Option<String>,
    /// `queued`, `running`, `done` or `dead`.
    pub status: JobStatus,
    /// Not before (for a retry: after its backoff).
    pub run_at: DateTime<Utc>,
    /// Attempts made.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// The worker holding it (running).
    pub lease_owner: Option<String>,
    /// Its lease's end (running).
    pub lease_until: Option<DateTime<Utc>>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Enqueued.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Done or dead.
    pub finished_at: Option<DateTime<Utc>>,
}

fn response(row: JobRow) -> Result<JobResponse> {
    let payload = serde_json::from_str(&row.payload)
        .map_err(|e| Error::Internal(format!("job {} has a bad payload: {e}", row.id)))?;
    let status = JobStatus::parse(&row.status)
        .ok_or_else(|| Error::Internal(format!("job {} has an unknown status", row.id)))?;
    Ok(JobResponse {
        id: row.id,
        kind: row.kind,
        payload,
        dedupe_key: row.dedupe_key,
        status,
        run_at: time::utc(row.run_at),
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        lease_owner: row.lease_owner,
        lease_until: row.lease_until.map(time::utc),
        last_error: row.last_error,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
        finished_at: row.finished_at.map(time::utc),
    })
}

/// Query parameters of the admin view.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    /// Only this status.
    pub status: Option<JobStatus>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The one order of the admin view: newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobSort {
    CreatedAt,
}

impl SortKey for JobSort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", JobSort::CreatedAt)];
    const DEFAULT: (Self, Direction) = (JobSort::CreatedAt, Direction::Desc);
}

/// One page of jobs, newest first.
pub fn list(conn: &mut Conn, query: &JobListQuery) -> Result<Page<JobResponse>> {
    let page = PageRequest::<JobSort>::parse(query.limit, None, query.cursor.as_deref())?;
    let mut q = jobs::table.select(JobRow::as_select()).into_boxed();
    if let Some(status) = query.status {
        q = q.filter(jobs::status.eq(status.as_str()));
    }
    if let Some(kind) = &query.kind {
        q = q.filter(jobs::kind.eq(kind.clone()));
    }
    let after = page.after_instant()?;
    let q = crate::keyset!(q, jobs::created_at, jobs::id, page.sort.direction, after);
    let rows: Vec<JobRow> = q.limit(page.fetch_limit()).load(conn)?;
    let page = page.finish(rows, |row| (instant_value(row.created_at), row.id.clone()));
    let items = page.items.into_iter().map(response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Job `id`.
pub fn get(conn: &mut Conn, id: &str) -> Result<JobResponse> {
    find(conn, id).and_then(response)
}

fn find(conn: &mut Conn, id: &str) -> Result<JobRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: "job" });
    }
    jobs::table
        .filter(jobs::id.eq(id))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: "job" })
}

/// Puts a dead job back in the queue with a fresh set of attempts (an
/// admin's redelivery). Other states are a 409 `not_dead`.
pub fn retry(conn: &mut Conn, id: &str) -> Result<JobResponse> {
    let row = find(conn, id)?;
    if row.status != JobStatus::Dead.as_str() {
        return Err(Error::Conflict {
            code: "not_dead",
            message: format!("the job is {}; only dead jobs are retried", row.status),
        });
    }
    let now = time::now();
    diesel::update(jobs::table.filter(jobs::id.eq(id)).filter(jobs::status.eq(JobStatus::Dead.as_str())))
        .set((
            jobs::status.eq(JobStatus::Queued.as_str()),
            jobs::run_at.eq(now),
            jobs::attempts.eq(0),
            jobs::finished_at.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(now),
        ))
        .cached()
        .execute(conn)?;
    get(conn, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_up_to_an_hour() {
        let seconds: Vec<i64> = (1..=11).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(seconds, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
        assert_eq!(backoff(0).num_seconds(), 10);
        assert_eq!(backoff(i32::MAX).num_seconds(), 3600);
    }
}
