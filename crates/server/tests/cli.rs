//! The `rapport` binary refuses database locations that cannot be what the
//! operator meant, with a message, and creates nothing.

use std::process::Command;

fn migrate(database_url: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["migrate", "--database-url", database_url])
        .env_remove("RAPPORT_DATABASE_URL")
        .output()
        .expect("run rapport");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn mistyped_database_urls_are_refused_with_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing_dir = dir.path().join("no-such-dir/rapport.db");
    let not_sqlite = dir.path().join("notes.txt");
    std::fs::write(&not_sqlite, "not a database, just notes").expect("write");
    for (url, expected) in [
        ("postgress://localhost/rapport".to_owned(), "unsupported database URL scheme"),
        ("sqlite::memory:".to_owned(), "must be a file path"),
        (missing_dir.to_string_lossy().into_owned(), "does not exist"),
        (not_sqlite.to_string_lossy().into_owned(), "not a SQLite database"),
        (dir.path().to_string_lossy().into_owned(), "is a directory"),
    ] {
        let (ok, stderr) = migrate(&url);
        assert!(!ok, "{url} was accepted");
        assert!(stderr.contains(expected), "{url}: {stderr}");
    }
    assert!(!missing_dir.parent().expect("parent").exists(), "nothing may be created");
    assert_eq!(std::fs::read_to_string(&not_sqlite).expect("read"), "not a database, just notes");
}

#[test]
fn a_new_sqlite_file_is_created_and_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fresh.db");
    let (ok, stderr) = migrate(&path.to_string_lossy());
    assert!(ok, "{stderr}");
    assert!(stderr.contains("created a new, empty SQLite database"), "{stderr}");
    let (again, stderr) = migrate(&format!("sqlite://{}", path.display()));
    assert!(again, "{stderr}");
    assert!(!stderr.contains("created a new"), "{stderr}");
}
