//! Runs the service desk's sweep (`rapport_tickets::sweep`) and folds the
//! kept metric counts' past shards (`rapport_metrics::rollups::fold_shards`)
//! in the server, every `--sweep-interval` seconds, and once from
//! `rapport sweep`.

use std::time::{Duration, Instant};

use rapport_core::db::Db;
use rapport_tickets::DeskSettings;
use rapport_tickets::sweep::{self, SweepReport};

/// How a sweep shares the writer while it has a backlog to work through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Pass after pass: `rapport sweep`, which nothing waits on.
    Flat,
    /// After each full pass, rest as long as it took: a server that was down,
    /// or a bulk import of old tickets, leaves thousands of tickets to close
    /// and breaches to announce, and back-to-back passes would hold SQLite's
    /// one writer nearly all the time (API creates fell from hundreds to
    /// about ten a second behind such a backlog). This keeps at least half
    /// of the writer's time for the API.
    Yielding,
}

/// Sweeps until nothing is left as of now: passes of bounded batches, each
/// in its own write transaction (queued with the API's writes, see
/// [`Db::transact`]) so that SQLite's one writer is never held long.
pub fn sweep_all(db: &Db, settings: &DeskSettings, pace: Pace) -> rapport_core::Result<SweepReport> {
    let mut total = SweepReport::default();
    loop {
        let started = Instant::now();
        let pass_settings = settings.clone();
        let pass = db.transact(move |conn| sweep::run(conn, &pass_settings, chrono::Utc::now()))?;
        total.closed += pass.closed;
        total.warnings += pass.warnings;
        total.breaches += pass.breaches;
        if !pass.more {
            return Ok(total);
        }
        if pace == Pace::Yielding {
            std::thread::sleep(started.elapsed());
        }
    }
}

/// Folds the shards of the kept daily counts of days before yesterday (UTC;
/// a day of the company zone a few hours younger folds a pass later) into
/// shard 0; returns the rows folded away. Writes to older days are rare, so
/// the shards there only slow the reports.
pub fn fold_count_shards(db: &Db) -> rapport_core::Result<u64> {
    let before = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let mut conn = db.write()?;
    rapport_metrics::rollups::fold_shards(&mut conn, before)
}

/// Sweeps and folds every `interval`, for as long as the server runs. A
/// failed pass is logged and retried at the next tick.
pub async fn run_every(db: Db, settings: DeskSettings, interval: Duration) {
    let mut ticker = actix_web::rt::time::interval(interval);
    loop {
        ticker.tick().await;
        let (desk_db, settings) = (db.clone(), settings.clone());
        match actix_web::web::block(move || sweep_all(&desk_db, &settings, Pace::Yielding)).await {
            Ok(Ok(report)) if report != SweepReport::default() => tracing::info!(
                closed = report.closed,
                warnings = report.warnings,
                breaches = report.breaches,
                "desk sweep"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "desk sweep failed"),
            Err(e) => tracing::warn!(error = %e, "desk sweep could not run"),
        }
        let metrics_db = db.clone();
        match actix_web::web::block(move || fold_count_shards(&metrics_db)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(folded)) => tracing::info!(folded, "kept count shards folded"),
            Ok(Err(e)) => tracing::warn!(error = %e, "folding kept count shards failed"),
            Err(e) => tracing::warn!(error = %e, "folding kept count shards could not run"),
        }
    }
}
