//! Attaching an inquiry to the open lead it matched: no new lead. The
//! inquiry is appended to the lead's notes (who wrote, how to reach them,
//! what they asked) and the lead's next follow-up becomes due now unless it
//! already is, so its owner calls back. Audited as an update of the lead.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::leads;
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::{Error, Result, time};
use rapport_customers::custom_field::{self, Entity};

use super::capture::Inquiry;
use super::key::IntakeSource;
use crate::lead::store as lead_store;

/// Notes grow to at most this many characters; beyond, the oldest text goes.
const NOTES_CAP: usize = 20_000;
/// Tries when the lead changes between reading and writing it.
const ATTEMPTS: usize = 3;

/// Records `inquiry` on the open lead `lead_id`.
pub(crate) fn record(
    conn: &mut Conn,
    ctx: &WriteContext,
    source: &IntakeSource,
    lead_id: &str,
    inquiry: &Inquiry,
) -> Result<()> {
    // Checked like any input, but not applied: the values the lead's owner
    // keeps win; the note lists what was sent.
    let division = [source.division_id.clone()];
    custom_field::validate(conn, Entity::Lead, &division, &inquiry.custom_fields, false)?;
    let now = time::now();
    let entry = entry(source, inquiry, now);
    for _ in 0..ATTEMPTS {
        let before = lead_store::reload(conn, lead_id)?;
        let notes = appended(before.notes.as_deref(), &entry);
        let due = before.next_follow_up_at.map_or(now, |d| time::stored(d).min(now));
        let written =
            diesel::update(leads::table.filter(leads::id.eq(lead_id)).filter(leads::version.eq(before.version)))
                .set((
                    leads::notes.eq(notes),
                    leads::next_follow_up_at.eq(due),
                    leads::version.eq(before.version + 1),
                    leads::updated_at.eq(now),
                ))
                .cached()
                .execute(conn)?;
        if written == 1 {
            let after = lead_store::reload(conn, lead_id)?;
            audit::record(conn, ctx, lead_store::ENTITY, lead_id, Action::Updated, Some(&before), Some(&after))?;
            return Ok(());
        }
    }
    Err(Error::Internal(format!("lead {lead_id} kept changing while an inquiry was attached")))
}

/// The note for one inquiry.
fn entry(source: &IntakeSource, inquiry: &Inquiry, at: NaiveDateTime) -> String {
    let mut who = vec![inquiry.name.clone()];
    who.extend(inquiry.phone.clone());
    who.extend(inquiry.email.clone());
    if let Some(product) = &inquiry.product_interest {
        who.push(format!("interested in {product}"));
    }
    who.extend(inquiry.custom_fields.iter().map(|(k, v)| format!("{k}: {v}")));
    let mut entry =
        format!("[{} UTC] New inquiry via {}: {}", at.format("%Y-%m-%d %H:%M"), source.name, who.join(" · "));
    if let Some(message) = &inquiry.message {
        entry.push('\n');
        entry.push_str(message);
    }
    entry
}

/// `notes` with `entry` appended, cut from the front to [`NOTES_CAP`].
fn appended(notes: Option<&str>, entry: &str) -> String {
    let all = match notes {
        Some(n) if !n.is_empty() => format!("{n}\n\n{entry}"),
        _ => entry.to_owned(),
    };
    let excess = all.chars().count().saturating_sub(NOTES_CAP);
    if excess == 0 {
        return all;
    }
    // Drop one character more than the excess to make room for the ellipsis.
    let cut = all.char_indices().nth(excess + 1).map_or(all.len(), |(i, _)| i);
    format!("…{}", &all[cut..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_caps_from_the_front() {
        assert_eq!(appended(None, "b"), "b");
        assert_eq!(appended(Some("a"), "b"), "a\n\nb");
        let long = "x".repeat(NOTES_CAP);
        let capped = appended(Some(&long), "new");
        assert_eq!(capped.chars().count(), NOTES_CAP);
        assert!(capped.starts_with('…') && capped.ends_with("\n\nnew"));
    }
}
