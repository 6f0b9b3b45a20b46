//! The command line: `serve`, `migrate`, `seed`, `openapi`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rapport_core::db::{DatabaseUrl, Db, PoolOptions};
use tracing_subscriber::EnvFilter;

use crate::config::{DatabaseArgs, DeskArgs, LogFormat, ServeArgs};
use crate::state::AppState;
use crate::{build_app, job_runner, seed, sweeper};
use diesel::Connection as _;
use rapport_auth::org::api::DivisionListQuery;
use rapport_auth::org::divisions;
use rapport_auth::password;
use rapport_auth::tokens::{self, TokenKeys};
use rapport_auth::users::api::CreateUser;
use rapport_auth::users::store as users;
use rapport_core::audit::WriteContext;
use rapport_core::principal::Role;

/// Tickets measured per batch by the start-up backfill of business times:
/// short writes, so SQLite's one writer is never held long.
const BACKFILL_BATCH: i64 = 1_000;

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
        /// This many synthetic customers, each with a phone, an email, a
        /// vehicle, a purchase and five interactions, for benchmarks.
        #[arg(long, value_name = "N")]
        synthetic_customers: Option<u64>,
        /// This many synthetic leads with ten stage moves each, in the demo
        /// Motors division (needs --demo), for benchmarks.
        #[arg(long, value_name = "N")]
        synthetic_leads: Option<u64>,
        /// This many synthetic tickets with five comments, a status history
        /// and an SLA clock each, in the demo after-sales queue (needs
        /// --demo), for benchmarks.
        #[arg(long, value_name = "N")]
        synthetic_tickets: Option<u64>,
    },
    /// Run the service desk's sweep once (SLA warnings and breach notices,
    /// closing resolved tickets) and fold the kept metric counts of past
    /// days into one shard, for a scheduler when servers run with
    /// `--sweep-interval 0`.
    Sweep {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        desk: DeskArgs,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage users from the command line (e.g. the first admin).
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password comes from RAPPORT_USER_PASSWORD or a prompt.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Email (the sign-in name).
        #[arg(long)]
        email: String,
        /// Full name.
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Role: admin, supervisor, manager, sales_rep, service_agent, call_center_agent, analyst, integration.
        #[arg(long, default_value = "admin")]
        role: String,
        /// Division code (e.g. MOT), for roles that work in one division.
        #[arg(long)]
        division: Option<String>,
    },
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
            synthetic_customers,
            synthetic_leads,
            synthetic_tickets,
        } => {
            init_logging(LogFormat::Pretty, "info");
            let synthetic = Synthetic {
                branches: synthetic_branches,
                customers: synthetic_customers,
                leads: synthetic_leads,
                tickets: synthetic_tickets,
            };
            seed_command(&database, demo, &synthetic)
        }
        Command::User(UserCommand::Create { database, email, name, role, division }) => {
            init_logging(LogFormat::Pretty, "warn");
            create_user(&database, email, name, &role, division)
        }
        Command::Sweep { database, desk } => {
            init_logging(LogFormat::Pretty, "info");
            open(&database).and_then(|db| {
                let report =
                    sweeper::sweep_all(&db, &desk.settings(), sweeper::Pace::Flat).map_err(|e| describe(&e))?;
                let folded = sweeper::fold_count_shards(&db).map_err(|e| describe(&e))?;
                println!(
                    "closed {} tickets; sent {} SLA warnings and {} breach notices; folded {folded} kept count rows",
                    report.closed, report.warnings, report.breaches
                );
                Ok(())
            })
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
    crate::openapi_spec().to_pretty_json().map_err(|e| e.to_string())
}

/// How much synthetic data `seed` writes.
struct Synthetic {
    branches: Option<u32>,
    customers: Option<u64>,
    leads: Option<u64>,
    tickets: Option<u64>,
}

fn seed_command(database: &DatabaseArgs, demo: bool, synthetic: &Synthetic) -> Result<(), String> {
    let Synthetic { branches, customers, leads, tickets } = *synthetic;
    if !demo && branches.is_none() && customers.is_none() && leads.is_none() && tickets.is_none() {
        return Err("nothing to seed: pass --demo, --synthetic-branches N, --synthetic-customers N, \
                    --synthetic-leads N and/or --synthetic-tickets N"
            .to_owned());
    }
    let db = open(database)?;
    if demo {
        seed::demo(&db).map_err(|e| format!("demo data: {e}"))?;
        tracing::info!("demo data loaded");
    }
    if let Some(n) = branches {
        seed::synthetic_branches(&db, n).map_err(|e| format!("synthetic data: {e}"))?;
        tracing::info!(branches = n, "synthetic data loaded");
    }
    if let Some(n) = customers {
        seed::synthetic_customers(&db, n).map_err(|e| format!("synthetic customers: {e}"))?;
        tracing::info!(customers = n, "synthetic customers loaded");
    }
    if let Some(n) = leads {
        seed::synthetic_leads(&db, n).map_err(|e| format!("synthetic leads: {e}"))?;
        tracing::info!(leads = n, "synthetic leads loaded");
    }
    if let Some(n) = tickets {
        seed::synthetic_tickets(&db, n).map_err(|e| format!("synthetic tickets: {e}"))?;
        tracing::info!(tickets = n, "synthetic tickets loaded");
    }
    // What the sweeper folds at its first pass, so that a benchmark reads
    // the counts as a running server keeps them.
    let folded = sweeper::fold_count_shards(&db).map_err(|e| format!("folding kept counts: {e}"))?;
    tracing::info!(folded, "kept count shards folded");
    Ok(())
}

/// Opens the database named by `args` and applies pending migrations.
fn open(args: &DatabaseArgs) -> Result<Db, String> {
    let url = DatabaseUrl::parse(&args.database_url).map_err(|e| describe(&e))?;
    let is_new = url.is_new_sqlite_file();
    let options = PoolOptions { max_connections: args.db_pool_size, ..PoolOptions::default() };
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
        rapport_core::Error::Validation(errors) | rapport_core::Error::Duplicate(errors) => {
            errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    init_logging(args.log_format, &args.log);
    let url = DatabaseUrl::parse(&args.database.database_url).map_err(|e| describe(&e))?;
    let db = open(&args.database)?;
    if args.demo {
        seed::demo(&db).map_err(|e| format!("demo data: {e}"))?;
        tracing::info!("demo data loaded; demo users sign in with password {}", seed::DEMO_PASSWORD);
    }
    {
        let mut conn = db.write().map_err(|e| describe(&e))?;
        rapport_core::db::write_transaction(&mut conn, rapport_tasks::automation::defaults::install)
            .map_err(|e| format!("built-in automation rules: {e}"))?;
        // Tickets logged before their business times were stored; one
        // indexed probe once they all are. Commits batch by batch.
        let measured = rapport_tickets::backfill_business_times(&mut conn, BACKFILL_BATCH)
            .map_err(|e| format!("ticket business times: {e}"))?;
        if measured > 0 {
            tracing::info!(tickets = measured, "ticket business times backfilled");
        }
        // The metrics' kept counts measure days in the company time zone;
        // rebuilt when the zone changed since they were kept.
        if rapport_metrics::rollups::prepare(&mut conn, args.company_time_zone)
            .map_err(|e| format!("metric counts: {e}"))?
        {
            tracing::info!(time_zone = %args.company_time_zone, "metric counts rebuilt for the time zone");
        }
    }
    let secret = signing_secret(args.jwt_secret.as_deref(), &url)?;
    let keys = TokenKeys::new(
        &secret,
        chrono::Duration::seconds(args.access_token_ttl),
        chrono::Duration::days(args.refresh_token_days),
    )
    .map_err(|e| describe(&e))?;
    let mut conn = db.read().map_err(|e| describe(&e))?;
    if !users::any_exist(&mut conn).map_err(|e| describe(&e))? {
        tracing::warn!(
            "no users yet: create the first admin with `rapport user create --email you@example.com --role admin` \
             (password from RAPPORT_USER_PASSWORD or a prompt), or start with --demo"
        );
    }
    drop(conn);
    let state = AppState::new(db, args.http_config(), keys);
    let workers = args.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    tracing::info!(bind = %args.bind, workers, docs = %format!("http://{}/docs/", args.bind), "serving");
    let pool_size = usize::try_from(args.database.db_pool_size).unwrap_or(8);
    let sweep = (args.sweep_interval > 0)
        .then(|| (state.db.clone(), state.config.desk.clone(), std::time::Duration::from_secs(args.sweep_interval)));
    let job_db = state.db.clone();
    let (job_workers, job_settings) = (args.jobs.job_workers, args.jobs.settings());
    let channels = std::sync::Arc::new(args.jobs.channels()?);
    let automation = std::sync::Arc::new(crate::automation::Automation::new(
        state.config.company_time_zone,
        crate::automation::SCAN_EVERY,
    ));
    actix_web::rt::System::new()
        .block_on(async move {
            if let Some((db, settings, interval)) = sweep {
                actix_web::rt::spawn(sweeper::run_every(db, settings, interval));
            }
            for n in 0..job_workers {
                let worker = job_runner::worker_name(usize::try_from(n).unwrap_or_default());
                job_runner::spawn(job_db.clone(), job_settings.clone(), channels.clone(), automation.clone(), worker)?;
            }
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

/// The token signing secret: from configuration, else (SQLite only) the
/// key file beside the database, generated on first start.
fn signing_secret(configured: Option<&str>, url: &DatabaseUrl) -> Result<Vec<u8>, String> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    let DatabaseUrl::Sqlite(path) = url else {
        return Err(
            "set RAPPORT_JWT_SECRET (at least 32 bytes, the same on every replica) when using PostgreSQL".into()
        );
    };
    let mut key_path = path.clone().into_os_string();
    key_path.push(".jwt-key");
    let key_path = std::path::PathBuf::from(key_path);
    if let Ok(existing) = std::fs::read_to_string(&key_path) {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    let secret = tokens::random_secret("");
    write_private(&key_path, &secret).map_err(|e| format!("cannot write {}: {e}", key_path.display()))?;
    tracing::warn!(
        path = %key_path.display(),
        "no RAPPORT_JWT_SECRET: generated a token signing key and saved it beside the database; \
         keep it private, and set RAPPORT_JWT_SECRET in production"
    );
    Ok(secret.into_bytes())
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

fn create_user(
    database: &DatabaseArgs,
    email: String,
    name: String,
    role: &str,
    division: Option<String>,
) -> Result<(), String> {
    let role = Role::parse(role).ok_or_else(|| format!("unknown role `{role}`"))?;
    let db = open(database)?;
    let password = if role == Role::Integration {
        None
    } else {
        Some(match std::env::var("RAPPORT_USER_PASSWORD") {
            Ok(p) if !p.is_empty() => p,
            _ => rpassword::prompt_password(format!("Password for {email}: ")).map_err(|e| format!("password: {e}"))?,
        })
    };
    let mut conn = db.write().map_err(|e| describe(&e))?;
    let division_id = match division {
        None => None,
        Some(code) => {
            let query = DivisionListQuery { code: Some(code.clone()), ..Default::default() };
            let found = divisions::list(&mut conn, &query).map_err(|e| describe(&e))?.items.into_iter().next();
            Some(found.ok_or_else(|| format!("no active division with code {code}"))?.id)
        }
    };
    let input = CreateUser { email, name, phone: None, role, division_id, branch_id: None, password };
    let hash = match users::password_to_hash(&input).map_err(|e| describe(&e))? {
        Some(plain) => Some(password::hash(&plain).map_err(|e| describe(&e))?),
        None => None,
    };
    let created =
        conn.transaction(|c| users::create(c, &WriteContext::system(), input, hash)).map_err(|e| describe(&e))?;
    println!("created {} {} ({})", created.role.as_str(), created.email, created.id);
    Ok(())
}

fn init_logging(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
