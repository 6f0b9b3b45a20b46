//! Customer satisfaction surveys. Resolving a ticket issues one: a link
//! with a single-use token of 256 random bits that is valid for a window
//! (`DeskSettings::csat_validity`). Only the token's SHA-256 is stored, so
//! the token is shown once, to whoever issued it (the resolving call, or
//! `POST /tickets/{id}/csat-survey` for middleware that sends it on); a
//! new survey retires the ticket's unanswered ones. The customer answers
//! without logging in: a rating 1–5 and an optional comment, once.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_auth::tokens;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{csat_surveys, tickets};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, ids, time, validate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::kinds::TicketStatus;
use crate::ticket::store::find_row;

const ENTITY: &str = "csat_survey";
/// Prefix of survey tokens: tells a leaked string's origin at a glance.
const TOKEN_PREFIX: &str = "csat_";

/// A survey just issued: the only time its token is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IssuedSurvey {
    /// Survey id.
    pub id: String,
    /// The single-use token for `POST /api/v1/public/csat/{token}`; stored
    /// hashed, never shown again.
    pub token: String,
    /// Path of the public survey, to put behind the customer-facing link.
    pub path: String,
    /// The token works until then.
    pub expires_at: DateTime<Utc>,
}

/// Where a survey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyState {
    /// Sent, not answered, still valid.
    Waiting,
    /// Answered.
    Answered,
    /// Not answered in time, or retired by a newer survey.
    Expired,
}

/// A survey as staff see it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SurveyResponse {
    /// Id.
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// Where it stands.
    pub state: SurveyState,
    /// When it was issued.
    pub sent_at: DateTime<Utc>,
    /// When the token stops (or stopped) working.
    pub expires_at: DateTime<Utc>,
    /// 1 (very unhappy) to 5 (very happy), once answered.
    pub rating: Option<i32>,
    /// The customer's words.
    pub comment: Option<String>,
    /// When it was answered.
    pub responded_at: Option<DateTime<Utc>>,
}

/// What the public survey page shows: enough to recognise the ticket,
/// nothing about the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicSurvey {
    /// The ticket's number, e.g. `MOT-000123`.
    pub ticket_number: String,
    /// The ticket's subject.
    pub subject: String,
    /// Whether it can still be answered.
    pub state: SurveyState,
    /// Until when.
    pub expires_at: DateTime<Utc>,
    /// The rating given, once answered.
    pub rating: Option<i32>,
}

/// A customer's answer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": 4, "comment": "Quick and friendly."}))]
pub struct SurveyAnswer {
    /// 1 (very unhappy) to 5 (very happy).
    pub rating: i64,
    /// Optional words, at most 2,000 characters.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = csat_surveys)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct SurveyRow {
    id: String,
    ticket_id: String,
    token_hash: String,
    sent_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    rating: Option<i32>,
    comment: Option<String>,
    responded_at: Option<NaiveDateTime>,
}

impl SurveyRow {
    fn state(&self, now: NaiveDateTime) -> SurveyState {
        if self.responded_at.is_some() {
            SurveyState::Answered
        } else if self.expires_at <= now {
            SurveyState::Expired
        } else {
            SurveyState::Waiting
        }
    }

    fn response(self, now: NaiveDateTime) -> SurveyResponse {
        SurveyResponse {
            state: self.state(now),
            id: self.id,
            ticket_id: self.ticket_id,
            sent_at: time::utc(self.sent_at),
            expires_at: time::utc(self.expires_at),
            rating: self.rating,
            comment: self.comment,
            responded_at: self.responded_at.map(time::utc),
        }
    }
}

/// Issues a survey for ticket `ticket_id` at `now`, valid for `validity`,
/// retiring its unanswered ones. Called in the resolving transaction.
pub(crate) fn issue(conn: &mut Conn, ticket_id: &str, now: NaiveDateTime, validity: Duration) -> Result<IssuedSurvey> {
    diesel::update(
        csat_surveys::table
            .filter(csat_surveys::ticket_id.eq(ticket_id))
            .filter(csat_surveys::responded_at.is_null())
            .filter(csat_surveys::expires_at.gt(now)),
    )
    .set(csat_surveys::expires_at.eq(now))
    .cached()
    .execute(conn)?;
    let token = tokens::random_secret(TOKEN_PREFIX);
    let row = SurveyRow {
        id: ids::new_id(),
        ticket_id: ticket_id.to_owned(),
        token_hash: tokens::digest(&token),
        sent_at: now,
        expires_at: now + validity,
        rating: None,
        comment: None,
        responded_at: None,
    };
    diesel::insert_into(csat_surveys::table).values(&row).execute(conn)?;
    Ok(IssuedSurvey {
        path: format!("/api/v1/public/csat/{token}"),
        token,
        id: row.id,
        expires_at: time::utc(row.expires_at),
    })
}

/// Issues a fresh survey for resolved (or closed) ticket `id` within
/// `reach`, e.g. when the first link was lost; the unanswered ones stop
/// working. A ticket not yet resolved is a 422 `not_resolved`.
pub fn reissue(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    validity: Duration,
) -> Result<IssuedSurvey> {
    let ticket = find_row(conn, reach, id)?;
    if !matches!(TicketStatus::parse(&ticket.status), Some(TicketStatus::Resolved | TicketStatus::Closed)) {
        return Err(Error::invalid("status", "not_resolved", "a survey is sent once the ticket is resolved"));
    }
    let issued = issue(conn, id, time::now(), validity)?;
    let audited = serde_json::json!({"ticket_id": id, "expires_at": issued.expires_at});
    audit::record(conn, ctx, ENTITY, &issued.id, Action::Created, None, Some(&audited))?;
    Ok(issued)
}

/// Every survey of ticket `id` within `reach`, newest first.
pub fn list(conn: &mut Conn, reach: &Reach, id: &str) -> Result<Vec<SurveyResponse>> {
    find_row(conn, reach, id)?;
    let now = time::now();
    let rows: Vec<SurveyRow> = csat_surveys::table
        .filter(csat_surveys::ticket_id.eq(id))
        .order((csat_surveys::sent_at.desc(), csat_surveys::id.desc()))
        .select(SurveyRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|r| r.response(now)).collect())
}

/// The survey behind `token`; anything not a live token's digest is
/// "not found", whatever its shape.
fn by_token(conn: &mut Conn, token: &str) -> Result<SurveyRow> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 100 {
        return Err(Error::NotFound { entity: ENTITY });
    }
    csat_surveys::table
        .filter(csat_surveys::token_hash.eq(tokens::digest(token)))
        .select(SurveyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

fn public(conn: &mut Conn, row: &SurveyRow, now: NaiveDateTime) -> Result<PublicSurvey> {
    let (ticket_number, subject): (String, String) = tickets::table
        .filter(tickets::id.eq(&row.ticket_id))
        .select((tickets::number, tickets::subject))
        .first(conn)?;
    Ok(PublicSurvey {
        ticket_number,
        subject,
        state: row.state(now),
        expires_at: time::utc(row.expires_at),
        rating: row.rating,
    })
}

/// The public view of the survey behind `token` (404 for an unknown token).
pub fn show(conn: &mut Conn, token: &str) -> Result<PublicSurvey> {
    let row = by_token(conn, token)?;
    public(conn, &row, time::now())
}

/// Records the answer to the survey behind `token`: 404 for an unknown
/// token, 410 `survey_expired` after its window, 409 `already_answered`
/// the second time, 422 for a rating outside 1–5.
pub fn answer(conn: &mut Conn, ctx: &WriteContext, token: &str, input: SurveyAnswer) -> Result<PublicSurvey> {
    let mut p = Problems::new();
    if !(1..=5).contains(&input.rating) {
        p.push("rating", "out_of_range", "the rating is a whole number from 1 to 5");
    }
    let comment = validate::optional_text(&mut p, "comment", input.comment.as_deref(), 2_000);
    let row = by_token(conn, token)?;
    p.into_result(())?;
    let now = time::now();
    match row.state(now) {
        SurveyState::Answered => {
            return Err(Error::Conflict {
                code: "already_answered",
                message: "this survey was already answered".into(),
            });
        }
        SurveyState::Expired => {
            return Err(Error::Gone { code: "survey_expired", message: "this survey link has expired".into() });
        }
        SurveyState::Waiting => {}
    }
    let rating = i32::try_from(input.rating).map_err(|_| Error::Internal("rating checked above".into()))?;
    // Conditional on still being unanswered: of two racing answers one wins.
    let updated = diesel::update(
        csat_surveys::table.filter(csat_surveys::id.eq(&row.id)).filter(csat_surveys::responded_at.is_null()),
    )
    .set((
        csat_surveys::rating.eq(Some(rating)),
        csat_surveys::comment.eq(&comment),
        csat_surveys::responded_at.eq(Some(now)),
    ))
    .cached()
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::Conflict { code: "already_answered", message: "this survey was already answered".into() });
    }
    let answered = SurveyRow { rating: Some(rating), comment, responded_at: Some(now), ..row };
    let audited = answered.clone().response(now);
    audit::record(conn, ctx, ENTITY, &answered.id, Action::Updated, None, Some(&audited))?;
    public(conn, &answered, now)
}
