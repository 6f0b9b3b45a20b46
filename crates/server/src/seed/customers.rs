//! Demo customers for the Motors division: a few hundred people and
//! companies with contacts, consent, vehicles, purchases, service history
//! and interactions, written through the domain functions (so they are
//! validated and audited like anything entered through the API).

use chrono::{Days, NaiveDate};
use rapport_core::Result;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::money::Money;
use rapport_core::principal::Reach;
use rapport_customers::asset::api::{AssetKind, CreateAsset};
use rapport_customers::asset::rule_api::CreateServiceRule;
use rapport_customers::asset::{rules, store as assets};
use rapport_customers::customer::api::{
    Channel, ConsentInput, CreateCustomer, CustomerKind, CustomerListQuery, EmailAddress, ExternalId, PhoneInput,
    Purpose,
};
use rapport_customers::customer::contacts::{self, CreateContact};
use rapport_customers::customer::store as customers;
use rapport_customers::interaction::api::{CreateInteraction, InteractionChannel, InteractionDirection};
use rapport_customers::interaction::category_api::{CreateCategory, CreateRule};
use rapport_customers::interaction::{Author, categories, rules as categorisation, store as interactions};
use rapport_customers::purchase::api::{CreatePurchase, PurchaseLine, PurchaseStatus};
use rapport_customers::purchase::store as purchases;
use rapport_customers::service::api::{CreateServiceRecord, ServiceKind};
use rapport_customers::service::store as service_records;

/// How many demo customers there are.
pub const DEMO_CUSTOMERS: u64 = 300;
/// The `source` that marks demo customers (and makes seeding idempotent).
pub(super) const DEMO_SOURCE: &str = "demo";

const FIRST: &[&str] = &[
    "Ada", "Chidi", "Emeka", "Funke", "Ibrahim", "Ngozi", "Tunde", "Zainab", "Bola", "Kemi", "Musa", "Obinna", "Segun",
    "Halima", "Yemi", "Uche",
];
const LAST: &[&str] = &[
    "Okafor", "Bello", "Adeyemi", "Eze", "Musa", "Okonkwo", "Balogun", "Abubakar", "Nwosu", "Ogunleye", "Danjuma",
    "Afolabi",
];
const COMPANIES: &[&str] = &[
    "Lagos Logistics",
    "Eko Haulage",
    "Ikeja Cabs",
    "Lekki Fleet Services",
    "Apapa Freight",
    "Surulere Motors Club",
    "Victoria Courier",
    "Yaba Tech Hub",
    "Ajah Construction",
    "Ikoyi Executive Cars",
];
/// (model, price in naira).
pub(super) const MODELS: &[(&str, i64)] = &[
    ("Corolla", 24_500_000),
    ("Hilux", 38_500_000),
    ("Land Cruiser", 95_000_000),
    ("RAV4", 41_000_000),
    ("Camry", 33_000_000),
];

/// A tiny deterministic generator, so the demo data is the same on every machine.
pub(super) struct Dice(u64);

impl Dice {
    pub(super) fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407))
    }

    pub(super) fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % sides.max(1)
    }

    pub(super) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.roll(items.len() as u64)).unwrap_or(0)]
    }
}

/// Where the demo customers buy and service their vehicles.
pub(super) struct DemoPlaces<'a> {
    /// The Motors division.
    pub motors: &'a str,
    /// Victoria Island: sales.
    pub sales_branch: &'a str,
    /// Ikeja: after-sales.
    pub service_branch: &'a str,
    /// The day the demo data is written.
    pub today: NaiveDate,
    /// The demo sales rep (Victoria Island) and service agent (Ikeja).
    pub sales_user: &'a str,
    /// The demo service agent.
    pub service_user: &'a str,
}

/// Creates the demo customers with their vehicles, purchases and service
/// history and conversations, unless they exist.
pub(super) fn demo_customers(conn: &mut Conn, ctx: &WriteContext, places: &DemoPlaces) -> Result<()> {
    let (motors, today) = (places.motors, places.today);
    let reach = Reach::everything();
    let existing = customers::list(
        conn,
        &reach,
        &CustomerListQuery { source: Some(DEMO_SOURCE.to_owned()), limit: Some(1), ..Default::default() },
        &[],
    )?;
    if !existing.items.is_empty() {
        return Ok(());
    }
    demo_service_rules(conn, ctx)?;
    demo_categories(conn, ctx)?;
    for index in 0..DEMO_CUSTOMERS {
        let mut dice = Dice::new(index);
        let company = index % 8 == 7;
        let (first, last) = (dice.pick(FIRST), dice.pick(LAST));
        let input = CreateCustomer {
            kind: if company { CustomerKind::Company } else { CustomerKind::Person },
            first_name: (!company).then(|| first.to_owned()),
            last_name: (!company).then(|| last.to_owned()),
            company_name: company.then(|| format!("{} {}", dice.pick(COMPANIES), index / 8)),
            emails: (dice.roll(10) < 7)
                .then(|| EmailAddress {
                    email: format!("{}.{}{index}@example.com", first.to_lowercase(), last.to_lowercase()),
                    label: None,
                    primary: true,
                })
                .into_iter()
                .collect(),
            phones: vec![PhoneInput {
                number: format!("080{} {:03} {:04}", 2 + index % 8, 100 + dice.roll(900), index),
                label: Some("mobile".to_owned()),
                primary: true,
                whatsapp: dice.roll(10) < 8,
            }],
            address_line: Some(format!("{} {} Street", 1 + dice.roll(120), dice.pick(LAST))),
            city: Some(dice.pick(&["Lagos", "Lagos", "Lagos", "Ikeja", "Lekki", "Abuja"]).to_owned()),
            state: Some("Lagos".to_owned()),
            country_code: None,
            source: Some(DEMO_SOURCE.to_owned()),
            owner_id: None,
            tags: if dice.roll(10) == 0 { vec!["vip".to_owned()] } else { Vec::new() },
            division_ids: vec![motors.to_owned()],
            external_ids: vec![ExternalId {
                source: "oracle_erp".to_owned(),
                external_id: format!("C-{:06}", 4000 + index),
            }],
            consents: consents(&mut dice),
            preferred_channel: Some(if dice.roll(2) == 0 { Channel::Whatsapp } else { Channel::Sms }),
            preferred_language: Some("en".to_owned()),
            notes: None,
            custom_fields: Default::default(),
        };
        let customer = customers::create(conn, ctx, &reach, input, None)?;
        if company {
            for (name, title, primary) in [("Tunde Bakare", "Fleet Manager", true), ("Amaka Eze", "Accounts", false)] {
                let contact = CreateContact {
                    name: format!("{name} ({index})"),
                    title: Some(title.to_owned()),
                    role: Some(if primary { "decision_maker" } else { "billing" }.to_owned()),
                    email: None,
                    phone: None,
                    primary,
                    person_id: None,
                };
                contacts::create(conn, ctx, &reach, &customer.id, contact)?;
            }
        }
        // Most demo customers bought a vehicle at Victoria Island in the last three years.
        if dice.roll(10) < 8 {
            let (model, price) = MODELS[usize::try_from(dice.roll(MODELS.len() as u64)).unwrap_or(0)];
            let purchased_on = today - Days::new(30 + dice.roll(1000));
            let asset = vehicle(conn, ctx, &reach, &customer.id, places, &mut dice, index, model, purchased_on)?;
            let purchase = CreatePurchase {
                customer_id: customer.id.clone(),
                division_id: motors.to_owned(),
                branch_id: Some(places.sales_branch.to_owned()),
                source: Some("oracle_erp".to_owned()),
                invoice_number: format!("VI-{:06}", 10_000 + index),
                purchased_on,
                amount: None,
                lines: vec![PurchaseLine {
                    description: format!("Toyota {model}"),
                    sku: Some(model.to_uppercase().replace(' ', "-")),
                    quantity: 1.into(),
                    unit_price: Money::from_minor(price * 100, "NGN"),
                    total: None,
                }],
                status: Some(if dice.roll(10) == 0 { PurchaseStatus::Invoiced } else { PurchaseStatus::Paid }),
                asset_id: Some(asset),
                notes: None,
            };
            purchases::create(conn, ctx, &reach, &reach, purchase)?;
        }
        demo_interactions(conn, ctx, places, &customer.id, &mut dice)?;
    }
    Ok(())
}

/// Toyota's intervals: every 10,000 km or 12 months; the Land Cruiser every
/// 5,000 km or 6 months.
fn demo_service_rules(conn: &mut Conn, ctx: &WriteContext) -> Result<()> {
    for (model, usage, months) in [(None, 10_000, 12), (Some("Land Cruiser"), 5_000, 6)] {
        let rule = CreateServiceRule {
            asset_kind: AssetKind::Vehicle,
            make: "Toyota".to_owned(),
            model: model.map(str::to_owned),
            interval_usage: Some(usage),
            interval_months: Some(months),
            due_soon_days: Some(30),
            due_soon_usage: None,
        };
        rules::create(conn, ctx, rule)?;
    }
    Ok(())
}

/// A vehicle bought on `purchased_on`, driven since, and serviced at Ikeja
/// every ~10,000 km (some owners skip their last service, so some vehicles
/// are due or overdue). Returns the asset id.
#[expect(clippy::too_many_arguments, reason = "one demo vehicle's every detail")]
fn vehicle(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    customer_id: &str,
    places: &DemoPlaces,
    dice: &mut Dice,
    index: u64,
    model: &str,
    purchased_on: NaiveDate,
) -> Result<String> {
    let days_owned = (places.today - purchased_on).num_days().max(1);
    let km_per_day = 20 + i64::try_from(dice.roll(60)).unwrap_or(0);
    let asset = CreateAsset {
        customer_id: customer_id.to_owned(),
        division_id: Some(places.motors.to_owned()),
        kind: AssetKind::Vehicle,
        make: Some("Toyota".to_owned()),
        model: Some(model.to_owned()),
        model_year: Some(chrono::Datelike::year(&purchased_on)),
        serial: Some(format!("JTD{:014}", 52_000_000 + index)),
        plate: Some(format!(
            "LAG {:03} {}{}",
            100 + index,
            dice.pick(&["A", "B", "K", "X"]),
            dice.pick(&["E", "L", "T", "Y"])
        )),
        purchase_date: Some(purchased_on),
        warranty_end: purchased_on.checked_add_months(chrono::Months::new(36)),
        usage_unit: None,
        last_usage: None,
        last_usage_at: None,
        custom_fields: Default::default(),
        external_source: None,
        external_id: None,
    };
    let asset = assets::create(conn, ctx, reach, asset)?;
    let services = (days_owned * km_per_day) / 10_000;
    let skipped = i64::from(dice.roll(3) == 0);
    for n in 1..=(services - skipped).max(0) {
        let usage = n * 10_000 + i64::try_from(dice.roll(800)).unwrap_or(0);
        let day = purchased_on + Days::new(u64::try_from(usage / km_per_day).unwrap_or(0));
        if day >= places.today {
            break;
        }
        let record = CreateServiceRecord {
            asset_id: asset.id.clone(),
            branch_id: Some(places.service_branch.to_owned()),
            performed_on: day,
            kind: ServiceKind::ScheduledService,
            usage: Some(usage),
            work_done: format!("{} km service: oil and filter, brakes checked", n * 10),
            amount: Some(Money::from_minor((85_000 + 5_000 * n) * 100, "NGN")),
            ticket_id: None,
            external_source: None,
            external_id: None,
        };
        service_records::create(conn, ctx, reach, record)?;
    }
    Ok(asset.id)
}

/// The categories the call centre files interactions under, and the
/// keywords that file them when nobody chose one.
fn demo_categories(conn: &mut Conn, ctx: &WriteContext) -> Result<()> {
    let groups: [(&str, &str, &[&str]); 4] = [
        ("sales_inquiry", "Sales inquiry", &["price", "quote", "test drive", "brochure"]),
        ("service_booking", "Service booking", &["book", "service", "appointment"]),
        ("complaint", "Complaint", &["complain", "faulty", "refund", "unhappy"]),
        ("follow_up", "Follow-up", &["follow up", "call back"]),
    ];
    for (priority, (code, name, keywords)) in (10..).step_by(10).zip(groups) {
        let category = categories::create(conn, ctx, CreateCategory { code: code.to_owned(), name: name.to_owned() })?;
        let rule = CreateRule {
            category_id: category.id,
            channel: None,
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            priority: Some(priority),
            active: Some(true),
        };
        categorisation::create(conn, ctx, rule)?;
    }
    Ok(())
}

/// One to four conversations over the last year; the categorisation rules
/// file them.
fn demo_interactions(
    conn: &mut Conn,
    ctx: &WriteContext,
    places: &DemoPlaces,
    customer_id: &str,
    dice: &mut Dice,
) -> Result<()> {
    const TOPICS: &[(&str, &str, bool)] = &[
        ("Price of the new Hilux", "Asked for a quote and a test drive at Victoria Island.", true),
        ("Book a service", "Wants to book the 10,000 km service at Ikeja next week.", false),
        ("Faulty air conditioning", "Complains the AC is faulty since the last visit; unhappy.", false),
        ("Follow up on quote", "Call back about the Corolla quote; still deciding.", true),
        ("Reminder reply", "Replied to the service reminder on WhatsApp.", false),
    ];
    let channels =
        [InteractionChannel::Call, InteractionChannel::Whatsapp, InteractionChannel::Visit, InteractionChannel::Email];
    for _ in 0..=dice.roll(4) {
        let (subject, summary, sales) = TOPICS[usize::try_from(dice.roll(TOPICS.len() as u64)).unwrap_or(0)];
        let channel = channels[usize::try_from(dice.roll(channels.len() as u64)).unwrap_or(0)];
        let user = if sales { places.sales_user } else { places.service_user };
        let days_ago = 1 + dice.roll(365);
        let occurred_at =
            (places.today - Days::new(days_ago)).and_hms_opt(9 + u32::try_from(dice.roll(8)).unwrap_or(0), 15, 0);
        let input = CreateInteraction {
            channel,
            direction: if dice.roll(3) == 0 { InteractionDirection::Outbound } else { InteractionDirection::Inbound },
            category_id: None,
            subject: Some(subject.to_owned()),
            summary: Some(summary.to_owned()),
            occurred_at: occurred_at.map_or_else(chrono::Utc::now, |t| t.and_utc()),
            duration_seconds: matches!(channel, InteractionChannel::Call)
                .then(|| 60 + i64::try_from(dice.roll(600)).unwrap_or(0)),
            outcome: Some(if dice.roll(2) == 0 { "resolved" } else { "follow_up_needed" }.to_owned()),
            user_id: Some(user.to_owned()),
            customer_id: Some(customer_id.to_owned()),
            lead_id: None,
            ticket_id: None,
            division_id: Some(places.motors.to_owned()),
            external_source: None,
            external_id: None,
        };
        let author = Author { reach: Reach::everything(), customer_reach: Reach::everything(), default_user_id: None };
        interactions::create(conn, ctx, &author, input)?;
    }
    Ok(())
}

/// Service reminders are welcome far more often than marketing.
fn consents(dice: &mut Dice) -> Vec<ConsentInput> {
    let mut out = vec![ConsentInput {
        channel: Channel::Whatsapp,
        purpose: Purpose::Reminders,
        granted: dice.roll(10) < 9,
        method: "signed form".to_owned(),
        note: None,
        recorded_at: None,
    }];
    out.push(ConsentInput {
        channel: Channel::Sms,
        purpose: Purpose::Marketing,
        granted: dice.roll(10) < 3,
        method: "signed form".to_owned(),
        note: None,
        recorded_at: None,
    });
    out
}
