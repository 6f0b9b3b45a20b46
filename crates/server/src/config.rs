//! Configuration, from flags or `RAPPORT_*` environment variables. No
//! globals: tests build their own.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};
use rapport_tickets::DeskSettings;

/// The database to use.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// SQLite file path (`rapport.db`, `sqlite://path`) or `postgres://user@host/db`.
    #[arg(long, env = "RAPPORT_DATABASE_URL", default_value = "rapport.db")]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[arg(long, env = "RAPPORT_DB_POOL_SIZE", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub db_pool_size: u32,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `rapport serve` settings.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "RAPPORT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Log format.
    #[arg(long, env = "RAPPORT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `rapport_server=debug,info`.
    #[arg(long, env = "RAPPORT_LOG", default_value = "info")]
    pub log: String,
    /// Origins allowed to call the API from a browser, comma-separated
    /// (e.g. `https://crm.example.com`). Empty: no cross-origin access.
    #[arg(long, env = "RAPPORT_CORS_ORIGINS", value_delimiter = ',', default_value = "")]
    pub cors_origins: Vec<String>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "RAPPORT_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "RAPPORT_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long, env = "RAPPORT_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
    /// Secret for signing access tokens (at least 32 bytes). Without it, a
    /// generated one is kept in `<database file>.jwt-key` (SQLite only).
    #[arg(long, env = "RAPPORT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Access-token lifetime in seconds.
    #[arg(long, env = "RAPPORT_ACCESS_TOKEN_TTL", default_value_t = 900, value_parser = clap::value_parser!(i64).range(60..=86_400))]
    pub access_token_ttl: i64,
    /// Refresh-token lifetime in days.
    #[arg(long, env = "RAPPORT_REFRESH_TOKEN_DAYS", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=365))]
    pub refresh_token_days: i64,
    /// Take the client address from `X-Forwarded-For`/`Forwarded` (only
    /// behind a proxy that sets them; otherwise clients could forge it).
    #[arg(long, env = "RAPPORT_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// The company's IANA time zone: where a day starts for the follow-up
    /// lists (overdue, due today, upcoming) and the metrics (a change
    /// rebuilds the metrics' kept counts at start-up).
    #[arg(long, env = "RAPPORT_COMPANY_TIME_ZONE", default_value = "Africa/Lagos")]
    pub company_time_zone: chrono_tz::Tz,
    /// Load the demo data (idempotent) before serving.
    #[arg(long, env = "RAPPORT_DEMO")]
    pub demo: bool,
    /// Service-desk settings.
    #[command(flatten)]
    pub desk: DeskArgs,
    /// Seconds between passes of the desk sweep (SLA warnings and breach
    /// notices, closing resolved tickets); 0: do not sweep in this process
    /// (run `rapport sweep` from a scheduler instead). Replicas may all
    /// sweep: each notice is claimed once.
    #[arg(long, env = "RAPPORT_SWEEP_INTERVAL", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub sweep_interval: u64,
    /// Background job settings.
    #[command(flatten)]
    pub jobs: JobArgs,
}

/// Background job runner settings (`rapport serve`).
#[derive(Debug, Clone, Args)]
pub struct JobArgs {
    /// Job worker loops in this process; 0: run no jobs here. Replicas may
    /// all run them: a job is leased to one worker at a time.
    #[arg(long, env = "RAPPORT_JOB_WORKERS", default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=16))]
    pub job_workers: u64,
    /// Jobs one worker leases at once.
    #[arg(long, env = "RAPPORT_JOB_BATCH", default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub job_batch: i64,
    /// Seconds a lease lasts; a job whose worker vanished runs again after it.
    #[arg(long, env = "RAPPORT_JOB_LEASE_SECS", default_value_t = 60, value_parser = clap::value_parser!(i64).range(5..=3600))]
    pub job_lease_secs: i64,
    /// Milliseconds between polls when no job is due.
    #[arg(long, env = "RAPPORT_JOB_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub job_poll_ms: u64,
    /// SMTP server for notification e-mails, e.g. `smtp://mail.example.com:587?tls=required`
    /// or `smtps://user:password@mail.example.com`. Without it, e-mails are skipped.
    #[arg(long, env = "RAPPORT_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of notification e-mails.
    #[arg(long, env = "RAPPORT_SMTP_FROM", default_value = "Rapport <rapport@localhost>")]
    pub smtp_from: String,
}

impl JobArgs {
    /// The delivery channels: e-mail over SMTP when configured, the log
    /// for SMS and WhatsApp.
    pub fn channels(&self) -> Result<rapport_tasks::delivery::Channels, String> {
        let email = match &self.smtp_url {
            Some(url) => Some(Box::new(rapport_tasks::delivery::EmailChannel::new(url, &self.smtp_from)?)
                as Box<dyn rapport_tasks::delivery::Channel>),
            None => None,
        };
        Ok(rapport_tasks::delivery::Channels::with_email(email))
    }

    /// The runner's settings.
    pub fn settings(&self) -> crate::job_runner::JobSettings {
        crate::job_runner::JobSettings {
            batch: self.job_batch,
            lease: chrono::TimeDelta::seconds(self.job_lease_secs),
            idle: std::time::Duration::from_millis(self.job_poll_ms),
        }
    }
}

/// Service-desk settings, shared by `serve` and `sweep`.
#[derive(Debug, Clone, Args)]
pub struct DeskArgs {
    /// Days a CSAT survey link works.
    #[arg(long, env = "RAPPORT_CSAT_VALIDITY_DAYS", default_value_t = 14, value_parser = clap::value_parser!(i64).range(1..=90))]
    pub csat_validity_days: i64,
    /// Days after which a resolved ticket closes by itself; 0: never.
    #[arg(long, env = "RAPPORT_TICKET_AUTO_CLOSE_DAYS", default_value_t = 7, value_parser = clap::value_parser!(i64).range(0..=365))]
    pub ticket_auto_close_days: i64,
}

impl DeskArgs {
    /// The settings the tickets crate takes.
    pub fn settings(&self) -> DeskSettings {
        DeskSettings {
            csat_validity: chrono::Duration::days(self.csat_validity_days),
            auto_close_after: (self.ticket_auto_close_days > 0)
                .then(|| chrono::Duration::days(self.ticket_auto_close_days)),
        }
    }
}

/// The settings handlers and middleware read at run time.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Allowed CORS origins.
    pub cors_origins: Vec<String>,
    /// Whether to believe forwarding headers for the client address.
    pub trust_proxy: bool,
    /// The company's time zone, where follow-up days start.
    pub company_time_zone: chrono_tz::Tz,
    /// Service-desk settings (CSAT validity, auto-close).
    pub desk: DeskSettings,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1_048_576,
            cors_origins: Vec::new(),
            trust_proxy: false,
            company_time_zone: chrono_tz::Africa::Lagos,
            desk: DeskSettings::default(),
        }
    }
}

impl ServeArgs {
    /// The run-time HTTP settings.
    pub fn http_config(&self) -> HttpConfig {
        HttpConfig {
            max_body_bytes: self.max_body_bytes,
            cors_origins: self.cors_origins.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect(),
            trust_proxy: self.trust_proxy,
            company_time_zone: self.company_time_zone,
            desk: self.desk.settings(),
        }
    }

    /// Grace period for shutdown.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout)
    }
}
