//! Demo and synthetic data, written through the same domain functions as
//! the API (so audit entries and change events are recorded too).

mod customers;
mod desk;
mod leads;
mod tickets;

use chrono::NaiveDate;
use diesel::Connection as _;
use rapport_auth::org::api::{BranchListQuery, CreateBranch, CreateDivision, DivisionListQuery};
use rapport_auth::org::{branches, divisions};
use rapport_auth::password;
use rapport_auth::users::api::CreateUser;
use rapport_auth::users::store as users;
use rapport_core::audit::WriteContext;
use rapport_core::calendar::{CalendarListQuery, CreateCalendar, Holiday, Weekday, WorkingWindow, store as calendars};
use rapport_core::db::{Conn, Db};
use rapport_core::principal::Role;
use rapport_core::{Error, Result};
use rapport_metrics::rollups::KeptCounts;

/// The password of every demo user. The password policy refuses it for
/// any account created through the API or the CLI.
pub const DEMO_PASSWORD: &str = "Rapport-Demo-2026!";

/// Demo users: (email, name, role, placed in the Motors division, branch code).
const DEMO_USERS: &[(&str, &str, Role, bool, Option<&str>)] = &[
    ("admin@demo.rapport.test", "Demo Admin", Role::Admin, false, None),
    ("supervisor@demo.rapport.test", "Demo Supervisor", Role::Supervisor, false, None),
    ("manager@demo.rapport.test", "Demo Motors Manager", Role::Manager, true, None),
    ("sales@demo.rapport.test", "Demo Sales Rep", Role::SalesRep, true, Some("MOT-VI")),
    ("sales.vi@demo.rapport.test", "Demo Sales Rep (Victoria Island)", Role::SalesRep, true, Some("MOT-VI")),
    ("sales.ikeja@demo.rapport.test", "Demo Sales Rep (Ikeja)", Role::SalesRep, true, Some("MOT-IK")),
    ("service@demo.rapport.test", "Demo Service Agent", Role::ServiceAgent, true, Some("MOT-IK")),
    ("service.ikeja@demo.rapport.test", "Demo Service Agent (Ikeja)", Role::ServiceAgent, true, Some("MOT-IK")),
    ("service.desk@demo.rapport.test", "Demo Service Agent (desk)", Role::ServiceAgent, true, Some("MOT-IK")),
    ("callcenter@demo.rapport.test", "Demo Call Centre Agent", Role::CallCenterAgent, false, None),
    ("analyst@demo.rapport.test", "Demo Analyst", Role::Analyst, false, None),
    ("erp@demo.rapport.test", "Oracle ERP integration", Role::Integration, false, None),
];

/// Company-wide calendar that carries the public holidays.
pub const HOLIDAY_CALENDAR: &str = "Nigeria public holidays";
/// Working calendar of the Lagos branches.
pub const LAGOS_CALENDAR: &str = "Lagos branches";

/// Nigerian public holidays for 2026 and 2027. Islamic holidays follow the
/// moon and are declared by the Federal Government shortly before; these
/// dates are the expected ones and may need a correction through the API.
const NIGERIAN_HOLIDAYS: &[(i32, u32, u32, &str)] = &[
    (2026, 1, 1, "New Year's Day"),
    (2026, 3, 20, "Eid al-Fitr"),
    (2026, 3, 21, "Eid al-Fitr holiday"),
    (2026, 4, 3, "Good Friday"),
    (2026, 4, 6, "Easter Monday"),
    (2026, 5, 1, "Workers' Day"),
    (2026, 5, 27, "Eid al-Adha"),
    (2026, 5, 28, "Eid al-Adha holiday"),
    (2026, 6, 12, "Democracy Day"),
    (2026, 8, 26, "Eid al-Mawlid"),
    (2026, 10, 1, "Independence Day"),
    (2026, 12, 25, "Christmas Day"),
    (2026, 12, 26, "Boxing Day"),
    (2027, 1, 1, "New Year's Day"),
    (2027, 3, 10, "Eid al-Fitr"),
    (2027, 3, 11, "Eid al-Fitr holiday"),
    (2027, 3, 26, "Good Friday"),
    (2027, 3, 29, "Easter Monday"),
    (2027, 5, 1, "Workers' Day"),
    (2027, 5, 17, "Eid al-Adha"),
    (2027, 5, 18, "Eid al-Adha holiday"),
    (2027, 6, 14, "Democracy Day (observed)"),
    (2027, 8, 15, "Eid al-Mawlid"),
    (2027, 10, 1, "Independence Day"),
    (2027, 12, 27, "Christmas Day (observed)"),
    (2027, 12, 28, "Boxing Day (observed)"),
];

/// Loads the demo organisation; running it again changes nothing.
pub fn demo(db: &Db) -> Result<()> {
    let mut conn = db.write()?;
    conn.transaction(|conn| {
        let ctx = WriteContext::system();
        let holidays = find_or_create_calendar(conn, &ctx, HOLIDAY_CALENDAR, || {
            Ok(CreateCalendar {
                name: HOLIDAY_CALENDAR.to_owned(),
                time_zone: "Africa/Lagos".to_owned(),
                holidays_from_id: None,
                working_hours: Vec::new(),
                holidays: nigerian_holidays()?,
            })
        })?;
        let lagos = find_or_create_calendar(conn, &ctx, LAGOS_CALENDAR, || {
            let weekdays = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];
            let mut working_hours: Vec<WorkingWindow> =
                weekdays.iter().map(|&weekday| window(weekday, "08:00", "17:00")).collect();
            working_hours.push(window(Weekday::Saturday, "09:00", "13:00"));
            Ok(CreateCalendar {
                name: LAGOS_CALENDAR.to_owned(),
                time_zone: "Africa/Lagos".to_owned(),
                holidays_from_id: Some(holidays.clone()),
                working_hours,
                holidays: Vec::new(),
            })
        })?;
        let query =
            DivisionListQuery { code: Some("MOT".to_owned()), include_archived: Some(true), ..Default::default() };
        let motors = match divisions::list(conn, &query)?.items.into_iter().next() {
            Some(existing) => existing.id,
            None => {
                let input = CreateDivision { code: "MOT".into(), name: "Motors".into(), calendar_id: Some(lagos) };
                divisions::create(conn, &ctx, input)?.id
            }
        };
        for (code, name, address) in
            [("MOT-VI", "Victoria Island", "Plot 1, Adeola Odeku Street"), ("MOT-IK", "Ikeja", "Obafemi Awolowo Way")]
        {
            let query =
                BranchListQuery { q: Some(code.to_owned()), include_archived: Some(true), ..Default::default() };
            if branches::list(conn, &query)?.items.iter().any(|b| b.code == code) {
                continue;
            }
            let input = CreateBranch {
                division_id: motors.clone(),
                code: code.to_owned(),
                name: name.to_owned(),
                address: Some(address.to_owned()),
                city: Some("Lagos".to_owned()),
                state: Some("Lagos".to_owned()),
                country_code: Some("NG".to_owned()),
                calendar_id: None,
            };
            branches::create(conn, &ctx, input)?;
        }
        demo_users(conn, &ctx, &motors)?;
        let branch_id = |conn: &mut Conn, code: &str| -> Result<String> {
            let query = BranchListQuery { q: Some(code.to_owned()), ..Default::default() };
            branches::list(conn, &query)?
                .items
                .into_iter()
                .find(|b| b.code == code)
                .map(|b| b.id)
                .ok_or_else(|| Error::Internal(format!("demo branch {code} missing")))
        };
        let sales_branch = branch_id(conn, "MOT-VI")?;
        let service_branch = branch_id(conn, "MOT-IK")?;
        let user_id = |conn: &mut Conn, email: &str| -> Result<String> {
            users::find_by_email(conn, email)?
                .map(|u| u.id)
                .ok_or_else(|| Error::Internal(format!("demo user {email} missing")))
        };
        let sales_user = user_id(conn, "sales@demo.rapport.test")?;
        let service_user = user_id(conn, "service@demo.rapport.test")?;
        let places = customers::DemoPlaces {
            sales_user: &sales_user,
            service_user: &service_user,
            motors: &motors,
            sales_branch: &sales_branch,
            service_branch: &service_branch,
            today: chrono::Utc::now().date_naive(),
        };
        customers::demo_customers(conn, &ctx, &places)?;
        leads::demo_leads(conn, &ctx, &motors)?;
        desk::demo_desk(conn, &ctx, &motors)?;
        tickets::demo_tickets(conn, &motors, &service_branch)?;
        // Last, so the history just written does not set them off.
        rapport_tasks::automation::defaults::enable_all(conn, &ctx)?;
        Ok(())
    })
}

fn demo_users(conn: &mut Conn, ctx: &WriteContext, motors: &str) -> Result<()> {
    for &(email, name, role, in_motors, branch_code) in DEMO_USERS {
        if users::find_by_email(conn, email)?.is_some() {
            continue;
        }
        let branch_id = match branch_code {
            Some(code) => {
                let query = BranchListQuery { q: Some(code.to_owned()), ..Default::default() };
                branches::list(conn, &query)?.items.into_iter().find(|b| b.code == code).map(|b| b.id)
            }
            None => None,
        };
        let hash = (role != Role::Integration).then(|| password::hash(DEMO_PASSWORD)).transpose()?;
        let input = CreateUser {
            email: email.to_owned(),
            name: name.to_owned(),
            phone: None,
            role,
            division_id: in_motors.then(|| motors.to_owned()),
            branch_id,
            password: None,
        };
        users::create(conn, ctx, input, hash)?;
    }
    Ok(())
}

/// Creates `count` synthetic customers (with phones, emails, vehicles,
/// purchases and interactions) in a `SYNCUST` division, for benchmarks.
pub fn synthetic_customers(db: &Db, count: u64) -> Result<()> {
    let mut conn = db.write()?;
    let ctx = WriteContext::system();
    let existing =
        divisions::list(&mut conn, &DivisionListQuery { code: Some("SYNCUST".to_owned()), ..Default::default() })?;
    let division_id = match existing.items.into_iter().next() {
        Some(d) => d.id,
        None => {
            let input = CreateDivision {
                code: "SYNCUST".to_owned(),
                name: "Synthetic customers".to_owned(),
                calendar_id: None,
            };
            conn.transaction(|conn| divisions::create(conn, &ctx, input))?.id
        }
    };
    let kept = [KeptCounts::CustomerQuality, KeptCounts::CustomerPurchases, KeptCounts::AssetService];
    rapport_metrics::rollups::with_counts_rebuilt_after(&mut conn, &kept, |conn| {
        rapport_customers::synthetic::generate(conn, &division_id, count)
    })
}

/// Synthetic sales reps owning synthetic leads, besides the demo rep.
const SYNTHETIC_REPS: usize = 49;

/// Creates `count` synthetic leads (with ten stage moves each) in the demo
/// Motors division, on a synthetic pipeline, owned in turn by the demo sales
/// rep and [`SYNTHETIC_REPS`] synthetic reps (who cannot sign in), for
/// benchmarks. Needs the demo data.
pub fn synthetic_leads(db: &Db, count: u64) -> Result<()> {
    let mut conn = db.write()?;
    let ctx = WriteContext::system();
    let query = DivisionListQuery { code: Some("MOT".to_owned()), ..Default::default() };
    let motors = divisions::list(&mut conn, &query)?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("synthetic leads go into the demo Motors division: seed --demo too".into()))?
        .id;
    let branch_query = BranchListQuery { division_id: Some(motors.clone()), ..Default::default() };
    let branch_ids: Vec<String> = branches::list(&mut conn, &branch_query)?.items.into_iter().map(|b| b.id).collect();
    let demo_rep = users::find_by_email(&mut conn, "sales@demo.rapport.test")?
        .ok_or_else(|| Error::Internal("demo sales rep missing: seed --demo too".into()))?;
    let mut owner_ids = vec![demo_rep.id];
    for i in 1..=SYNTHETIC_REPS {
        let email = format!("rep{i}@synthetic.rapport.test");
        let id = match users::find_by_email(&mut conn, &email)? {
            Some(user) => user.id,
            None => {
                let input = CreateUser {
                    email,
                    name: format!("Synthetic Rep {i}"),
                    phone: None,
                    role: Role::SalesRep,
                    division_id: Some(motors.clone()),
                    branch_id: branch_ids.get(i % branch_ids.len().max(1)).cloned(),
                    password: None,
                };
                conn.transaction(|conn| users::create(conn, &ctx, input, None))?.id
            }
        };
        owner_ids.push(id);
    }
    let setup = rapport_leads::synthetic::Setup {
        division_id: &motors,
        branch_ids: &branch_ids,
        owner_ids: &owner_ids,
        now: chrono::Utc::now().naive_utc(),
    };
    rapport_metrics::rollups::with_counts_rebuilt_after(&mut conn, &[KeptCounts::Leads], |conn| {
        rapport_leads::synthetic::generate(conn, &setup, count)
    })
}

/// Creates `count` synthetic tickets (five comments, a status history and
/// an SLA clock each) in the demo Motors division at Ikeja, in the demo
/// after-sales queue, assigned in turn to its agents, for benchmarks. Needs
/// the demo data.
pub fn synthetic_tickets(db: &Db, count: u64) -> Result<()> {
    let mut conn = db.write()?;
    let needs_demo = |what: &str| Error::Internal(format!("synthetic tickets need the demo {what}: seed --demo too"));
    let query = DivisionListQuery { code: Some("MOT".to_owned()), ..Default::default() };
    let motors = divisions::list(&mut conn, &query)?.items.into_iter().next().ok_or_else(|| needs_demo("division"))?.id;
    let branch_query = BranchListQuery { q: Some("MOT-IK".to_owned()), ..Default::default() };
    let branch = branches::list(&mut conn, &branch_query)?
        .items
        .into_iter()
        .find(|b| b.code == "MOT-IK")
        .ok_or_else(|| needs_demo("branch"))?
        .id;
    let queue = rapport_tickets::queue::store::list(
        &mut conn,
        &rapport_core::principal::Reach::everything(),
        &rapport_tickets::queue::api::QueueListQuery { division_id: Some(motors.clone()) },
    )?
    .into_iter()
    .find(|q| q.name == desk::QUEUE)
    .ok_or_else(|| needs_demo("queue"))?;
    let agent_ids: Vec<String> = queue
        .members
        .iter()
        .filter(|m| m.active && m.role == rapport_tickets::queue::api::MemberRole::Agent)
        .map(|m| m.user_id.clone())
        .collect();
    let categories = rapport_tickets::category::list(
        &mut conn,
        &rapport_tickets::category::TicketCategoryListQuery { include_archived: Some(false) },
    )?;
    let category_ids: Vec<String> = categories.into_iter().map(|c| c.id).collect();
    let setup = rapport_tickets::synthetic::Setup {
        division_id: &motors,
        branch_id: &branch,
        queue_id: &queue.id,
        agent_ids: &agent_ids,
        category_ids: &category_ids,
        now: chrono::Utc::now().naive_utc(),
    };
    rapport_metrics::rollups::with_counts_rebuilt_after(&mut conn, &[KeptCounts::Tickets], |conn| {
        rapport_tickets::synthetic::generate(conn, &setup, count, |written| {
            tracing::info!(tickets = written, of = count, "synthetic tickets written");
        })
    })
}

/// Creates `count` synthetic branches in divisions of 50, for benchmarks.
pub fn synthetic_branches(db: &Db, count: u32) -> Result<()> {
    let mut conn = db.write()?;
    let ctx = WriteContext::system();
    for chunk_start in (0..count).step_by(50) {
        conn.transaction(|conn| {
            let n = chunk_start / 50;
            let division = divisions::create(
                conn,
                &ctx,
                CreateDivision {
                    code: format!("SYN{n:05}"),
                    name: format!("Synthetic division {n}"),
                    calendar_id: None,
                },
            )?;
            for i in chunk_start..(chunk_start + 50).min(count) {
                branches::create(
                    conn,
                    &ctx,
                    CreateBranch {
                        division_id: division.id.clone(),
                        code: format!("B{i:07}"),
                        name: format!("Branch {i}"),
                        address: Some(format!("{i} Synthetic Road")),
                        city: Some(["Lagos", "Abuja", "Kano", "Ibadan", "Port Harcourt"][i as usize % 5].to_owned()),
                        state: None,
                        country_code: Some("NG".to_owned()),
                        calendar_id: None,
                    },
                )?;
            }
            Ok::<_, Error>(())
        })?;
    }
    Ok(())
}

fn find_or_create_calendar(
    conn: &mut Conn,
    ctx: &WriteContext,
    name: &str,
    input: impl FnOnce() -> Result<CreateCalendar>,
) -> Result<String> {
    let query = CalendarListQuery { q: Some(name.to_owned()), include_archived: Some(true), ..Default::default() };
    if let Some(existing) = calendars::list(conn, &query)?.items.into_iter().find(|c| c.name == name) {
        return Ok(existing.id);
    }
    Ok(calendars::create(conn, ctx, input()?)?.id)
}

fn window(weekday: Weekday, start: &str, end: &str) -> WorkingWindow {
    WorkingWindow { weekday, start: start.to_owned(), end: end.to_owned() }
}

fn nigerian_holidays() -> Result<Vec<Holiday>> {
    NIGERIAN_HOLIDAYS
        .iter()
        .map(|&(y, m, d, name)| {
            NaiveDate::from_ymd_opt(y, m, d)
                .map(|date| Holiday { date, name: name.to_owned() })
                .ok_or_else(|| Error::Internal(format!("bad holiday date {y}-{m}-{d}")))
        })
        .collect()
}
