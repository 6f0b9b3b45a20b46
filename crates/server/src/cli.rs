//! The command line: `serve`, `migrate`, `seed`, `openapi`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rapport_core::db::{DatabaseUrl, Db, PoolOptions};
use tracing_subscriber::EnvFilter;

use crate::config::{DatabaseArgs, LogFormat, ServeArgs};
use crate::state::AppState;
use crate::{build_app, seed};

/// Rapport: an API-first CRM backend.
#[derive(Debug, Parser)]
#[command(name = "rapport", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the HTTP API.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate(DatabaseArgs),
    /// Load data: the demo organisation, or synthetic data for benchmarks.
    Seed {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The demo data (Motors division, Victoria Island and Ikeja branches,
        /// Lagos calendar with Nigerian public holidays). Safe to run again.
        #[arg(long)]
        demo: bool,
        /// This many synthetic branches (in divisions of 50), for benchmarks.
        #[arg(long, value_name = "N")]
        synthetic_branches: Option<u32>,
    },
    /// Print the OpenAPI document.
    Openapi,
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Migrate(args) => {
            init_logging(LogFormat::Pretty, "info");
            open(&args).map(|_| ())
        }
        Command::Seed {
            database,
            demo,
            synthetic_branches,
        } => {
            init_logging(LogFormat::Pretty, "info");
            seed_command(&database, demo, synthetic_branches)
        }
        Command::Openapi => match openapi_json() {
            Ok(json) => {
                println!("{json}");
                Ok(())
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rapport: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The OpenAPI document as pretty JSON, as checked in at `api-spec/openapi.json`.
pub fn openapi_json() -> Result<String, String> {
    crate::openapi_spec()
        .to_pretty_json()
        .map_err(|e| e.to_string())
}

fn seed_command(
    database: &DatabaseArgs,
    demo: bool,
    synthetic_branches: Option<u32>,
) -> Result<(), String> {
    if !demo && synthetic_branches.is_none() {
        return Err("nothing to seed: pass --demo and/or --synthetic-branches N".to_owned());
    }
    let db = open(database)?;
    if demo {
        seed::demo(&db).map_err(|e| format!("demo data: {e}"))?;
        tracing::info!("demo data loaded");
    }
    if let Some(n) = synthetic_branches {
        seed::synthetic_branches(&db, n).map_err(|e| format!("synthetic data: {e}"))?;
        tracing::info!(branches = n, "synthetic data loaded");
    }
    Ok(())
}

/// Opens the database named by `args` and applies pending migrations.
fn open(args: &DatabaseArgs) -> Result<Db, String> {
    let url = DatabaseUrl::parse(&args.database_url).map_err(|e| describe(&e))?;
    let is_new = url.is_new_sqlite_file();
    let options = PoolOptions {
        max_connections: args.db_pool_size,
        ..PoolOptions::default()
    };
    let db = Db::open(&url, &options).map_err(|e| describe(&e))?;
    if is_new {
        tracing::warn!(database = %url.redacted(), "created a new, empty SQLite database");
    }
    let applied = db.migrate().map_err(|e| describe(&e))?;
    tracing::info!(database = %url.redacted(), applied = applied.len(), "database ready");
    Ok(db)
}

fn describe(err: &rapport_core::Error) -> String {
    match err {
        rapport_core::Error::Validation(errors) => errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    init_logging(args.log_format, &args.log);
    let db = open(&args.database)?;
    if args.demo {
        seed::demo(&db).map_err(|e| format!("demo data: {e}"))?;
        tracing::info!("demo data loaded");
    }
    let state = AppState {
        db,
        config: std::sync::Arc::new(args.http_config()),
    };
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    tracing::info!(bind = %args.bind, workers, docs = %format!("http://{}/docs/", args.bind), "serving");
    let pool_size = usize::try_from(args.database.db_pool_size).unwrap_or(8);
    actix_web::rt::System::new()
        .block_on(async move {
            actix_web::HttpServer::new(move || build_app(state.clone()))
                .workers(workers)
                // More blocking threads than connections only queue on the pool.
                .worker_max_blocking_threads(pool_size.max(2))
                .shutdown_timeout(args.shutdown_timeout().as_secs())
                .bind(args.bind)?
                .run()
                .await
        })
        .map_err(|e| format!("server: {e}"))
}

fn init_logging(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
