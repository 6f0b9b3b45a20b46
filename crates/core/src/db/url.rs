//! Parsing and checking the database URL, so that a typo is refused with a
//! clear message instead of quietly creating a new, empty database.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A parsed database location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://path`, `sqlite:path` or a bare file path.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, passed to libpq as given.
    Postgres(String),
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl DatabaseUrl {
    /// Parses a URL or path. Accepts `postgres://`, `postgresql://`,
    /// `sqlite://path`, `sqlite:path` and a plain file path; anything else
    /// with a scheme is refused.
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(config_error("the database URL is empty"));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = if let Some(rest) = raw.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = raw.strip_prefix("sqlite:") {
            rest
        } else if let Some((scheme, _)) = raw.split_once("://") {
            return Err(config_error(&format!(
                "unsupported database URL scheme `{scheme}://`: use postgres://, postgresql:// or sqlite://<path>"
            )));
        } else {
            raw
        };
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" || path.starts_with("file:") {
            return Err(config_error(
                "the SQLite database must be a file path (in-memory databases are not shared between connections)",
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// Which backend this URL names.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password replaced, for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => redact_password(url),
        }
    }

    /// Refuses a SQLite path that cannot be what the operator meant: a parent
    /// directory that does not exist, a directory, or a file that is not a
    /// SQLite database. A missing file in an existing directory is created on
    /// first connect (and the server logs that it did so).
    pub fn check(&self) -> Result<()> {
        let Self::Sqlite(path) = self else {
            return Ok(());
        };
        if path.is_dir() {
            return Err(config_error(&format!("{} is a directory, not a database file", path.display())));
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(config_error(&format!(
                "directory {} does not exist (database path {}): create it first or fix the path",
                parent.display(),
                path.display()
            )));
        }
        if path.exists() && !is_sqlite_file(path)? {
            return Err(config_error(&format!("{} exists but is not a SQLite database", path.display())));
        }
        Ok(())
    }

    /// Whether this is a SQLite file that does not exist yet.
    pub fn is_new_sqlite_file(&self) -> bool {
        matches!(self, Self::Sqlite(path) if !path.exists())
    }
}

fn is_sqlite_file(path: &Path) -> Result<bool> {
    let mut file =
        std::fs::File::open(path).map_err(|e| config_error(&format!("cannot open {}: {e}", path.display())))?;
    let mut header = [0_u8; 16];
    match file.read_exact(&mut header) {
        Ok(()) => Ok(&header == SQLITE_HEADER),
        // SQLite itself creates a zero-length file before the first write.
        Err(_) => Ok(file.metadata().map(|m| m.len() == 0).unwrap_or(false)),
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

fn config_error(message: &str) -> Error {
    Error::invalid("database_url", "invalid_database_url", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_accepted_forms() {
        assert_eq!(DatabaseUrl::parse("rapport.db").ok(), Some(DatabaseUrl::Sqlite("rapport.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:///tmp/x.db").ok(), Some(DatabaseUrl::Sqlite("/tmp/x.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:data/x.db").ok(), Some(DatabaseUrl::Sqlite("data/x.db".into())));
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").ok(),
            Some(DatabaseUrl::Postgres("postgresql://u@h/db".into()))
        );
    }

    #[test]
    fn refuses_mistyped_schemes_and_memory() {
        for bad in ["postgress://h/db", "mysql://h/db", "", "  ", ":memory:", "sqlite::memory:"] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn refuses_missing_directories_and_foreign_files() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let missing = DatabaseUrl::Sqlite(dir.path().join("no-such-dir/x.db"));
        assert!(missing.check().is_err());
        let foreign = dir.path().join("notes.txt");
        std::fs::write(&foreign, "hello, this is not a database").map_err(|e| Error::Internal(e.to_string()))?;
        assert!(DatabaseUrl::Sqlite(foreign).check().is_err());
        assert!(DatabaseUrl::Sqlite(dir.path().to_path_buf()).check().is_err());
        assert!(DatabaseUrl::Sqlite(dir.path().join("new.db")).check().is_ok());
        Ok(())
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_password("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
    }
}
