//! Both migration folders hold the same migrations, and every migration runs
//! up → down → up: on SQLite always, on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::collections::BTreeSet;
use std::path::PathBuf;

use diesel::{Connection as _, PgConnection, RunQueryDsl as _};
use rapport_core::db::{self, DatabaseUrl, Db, PoolOptions};

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(backend);
    std::fs::read_dir(&dir)
        .expect("migration folder")
        .map(|e| {
            let path = e.expect("entry").path();
            assert!(path.join("up.sql").is_file() && path.join("down.sql").is_file(), "{path:?} lacks up/down");
            path.file_name().expect("name").to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}

fn up_down_up(url: &DatabaseUrl) {
    let db = Db::open(url, &PoolOptions::default()).expect("open");
    let applied = db.migrate().expect("up");
    assert_eq!(applied.len(), migration_names("sqlite").len());
    assert!(db.migrations_current().expect("check"));
    let mut conn = db.write().expect("conn");
    let reverted = db::revert_all_migrations(&mut conn).expect("down");
    assert_eq!(reverted.len(), applied.len());
    drop(conn);
    assert!(!db.migrations_current().expect("check"));
    assert_eq!(db.migrate().expect("up again").len(), applied.len());
    assert!(db.migrations_current().expect("check"));
}

#[test]
fn sqlite_migrations_run_up_down_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    up_down_up(&DatabaseUrl::Sqlite(dir.path().join("m.db")));
}

#[test]
fn postgres_migrations_run_up_down_up() {
    let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
        return;
    };
    if !admin.starts_with("postgres") {
        return;
    }
    let name = format!("rapport_m_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::establish(&admin).expect("connect");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create");
    let (base, _) = admin.rsplit_once('/').expect("url with a database");
    up_down_up(&DatabaseUrl::Postgres(format!("{base}/{name}")));
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn).expect("drop");
}
