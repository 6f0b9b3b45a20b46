//! Loading a calendar: windows as stored, holidays own and inherited. On
//! SQLite always, on PostgreSQL when `TEST_DATABASE_URL` is set.

use chrono::Duration;
use chrono_tz::Tz;
use diesel::{Connection as _, PgConnection, RunQueryDsl as _};
use rapport_core::Error;
use rapport_core::audit::WriteContext;
use rapport_core::calendar::business::BusinessCalendar;
use rapport_core::calendar::{CreateCalendar, Holiday, Weekday, WorkingWindow, store};
use rapport_core::db::{DatabaseUrl, Db, PoolOptions};

use super::{date, local};

fn holiday(raw: &str, name: &str) -> Holiday {
    Holiday { date: date(raw), name: name.into() }
}

fn window(weekday: Weekday, start: &str, end: &str) -> WorkingWindow {
    WorkingWindow { weekday, start: start.into(), end: end.into() }
}

#[test]
fn loads_windows_and_inherited_holidays_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    loads_windows_and_inherited_holidays(&DatabaseUrl::Sqlite(dir.path().join("b.db")));
}

#[test]
fn loads_windows_and_inherited_holidays_on_postgres() {
    let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
        return;
    };
    if !admin.starts_with("postgres") {
        return;
    }
    let name = format!("rapport_bt_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::establish(&admin).expect("connect");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create");
    let (base, _) = admin.rsplit_once('/').expect("url with a database");
    loads_windows_and_inherited_holidays(&DatabaseUrl::Postgres(format!("{base}/{name}")));
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn).expect("drop");
}

fn loads_windows_and_inherited_holidays(url: &DatabaseUrl) {
    let db = Db::open(url, &PoolOptions::default()).expect("open");
    db.migrate().expect("migrate");
    let mut conn = db.write().expect("conn");
    let ctx = WriteContext::system();
    let nigeria = store::create(
        &mut conn,
        &ctx,
        CreateCalendar {
            name: "Nigeria".into(),
            time_zone: "Africa/Lagos".into(),
            holidays_from_id: None,
            working_hours: vec![],
            holidays: vec![holiday("2026-10-01", "Independence Day")],
        },
    )
    .expect("parent");
    let branch = store::create(
        &mut conn,
        &ctx,
        CreateCalendar {
            name: "Ikeja branch".into(),
            time_zone: "Africa/Lagos".into(),
            holidays_from_id: Some(nigeria.id.clone()),
            working_hours: vec![
                window(Weekday::Wednesday, "08:00", "12:00"),
                window(Weekday::Wednesday, "13:00", "17:00"),
                window(Weekday::Friday, "08:00", "17:00"),
                window(Weekday::Sunday, "10:00", "24:00"),
            ],
            holidays: vec![holiday("2026-10-02", "Branch anniversary")],
        },
    )
    .expect("branch");

    let cal = BusinessCalendar::load(&mut conn, &branch.id).expect("load");
    assert_eq!(cal.time_zone(), Tz::Africa__Lagos);
    assert_eq!(cal.weekly_total(), Duration::hours(8 + 9 + 14));
    assert_eq!(cal.holiday(date("2026-10-01")), Some("Independence Day"));
    assert_eq!(cal.holiday(date("2026-10-02")), Some("Branch anniversary"));
    // Wednesday 30 September 16:00: 1 h, then Thursday has no windows and
    // Thursday–Friday are holidays, so Sunday 4 October from 10:00.
    let due = cal.add(local(Tz::Africa__Lagos, "2026-09-30 16:00"), Duration::hours(2));
    assert_eq!(due, Some(local(Tz::Africa__Lagos, "2026-10-04 11:00")));

    let parent = BusinessCalendar::load(&mut conn, &nigeria.id).expect("load parent");
    assert_eq!(parent.weekly_total(), Duration::zero());

    let missing = BusinessCalendar::load(&mut conn, "0190b3c0-0000-7000-8000-000000000000");
    assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
}
