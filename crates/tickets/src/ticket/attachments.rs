//! Attachments on a ticket, as metadata: name, type, size and the key the
//! bytes are stored under in object storage. Rapport never holds the bytes
//! (`docs/tickets.md`, "Attachments"): the client uploads them to storage,
//! then registers them here; reading them back is the storage's business,
//! with the key Rapport shows only to those who can read the ticket.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{ticket_attachments, ticket_comments};
use rapport_core::principal::Reach;
use rapport_core::{Problems, Result, ids, time, validate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{actor, find_row};

/// The largest file a ticket takes: 25 MiB, what mail servers commonly pass.
pub const MAX_SIZE_BYTES: i64 = 25 * 1024 * 1024;

/// An attachment to register.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"file_name": "job-card.pdf", "content_type": "application/pdf", "size_bytes": 182044,
    "storage_key": "tickets/0192f7c2-7b1e-7c53-9f7a-5d2b8e0c1a44/job-card.pdf"}))]
pub struct CreateAttachment {
    /// The file's name as the user sees it, without a path (at most 255 characters).
    pub file_name: String,
    /// Its media type, e.g. `application/pdf`, `image/jpeg`.
    pub content_type: String,
    /// Its size in bytes, at most 25 MiB.
    pub size_bytes: i64,
    /// Where the bytes are in object storage (at most 512 characters;
    /// unique: one stored object, one attachment).
    pub storage_key: String,
    /// The comment it came with, on the same ticket.
    pub comment_id: Option<String>,
}

/// An attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentResponse {
    /// Id.
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// The comment it came with.
    pub comment_id: Option<String>,
    /// File name.
    pub file_name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Object-storage key.
    pub storage_key: String,
    /// Who registered it (none: an integration).
    pub uploaded_by: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_attachments)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct AttachmentRow {
    id: String,
    ticket_id: String,
    comment_id: Option<String>,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    storage_key: String,
    uploaded_by: Option<String>,
    created_at: chrono::NaiveDateTime,
}

fn response(row: AttachmentRow) -> AttachmentResponse {
    AttachmentResponse {
        id: row.id,
        ticket_id: row.ticket_id,
        comment_id: row.comment_id,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        storage_key: row.storage_key,
        uploaded_by: row.uploaded_by,
        created_at: time::utc(row.created_at),
    }
}

/// `type/subtype` with the characters RFC 6838 allows, parameters cut off.
fn media_type(p: &mut Problems, raw: &str) -> String {
    let value = raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token = |s: &str| {
        !s.is_empty() && s.len() <= 127 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match value.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => value,
        _ => {
            p.push("content_type", "invalid_format", "a media type such as application/pdf or image/jpeg");
            value
        }
    }
}

/// Registers an attachment on ticket `id` within `reach`.
pub fn add(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    input: CreateAttachment,
) -> Result<AttachmentResponse> {
    find_row(conn, reach, id)?;
    let mut p = Problems::new();
    let file_name = validate::required_text(&mut p, "file_name", &input.file_name, 255);
    if file_name.contains(['/', '\\']) || file_name.chars().any(char::is_control) {
        p.push("file_name", "invalid_format", "a file name without a path or control characters");
    }
    let content_type = media_type(&mut p, &input.content_type);
    if !(0..=MAX_SIZE_BYTES).contains(&input.size_bytes) {
        p.push("size_bytes", "out_of_range", format!("size_bytes must be between 0 and {MAX_SIZE_BYTES}"));
    }
    let storage_key = validate::required_text(&mut p, "storage_key", &input.storage_key, 512);
    let comment_id = input.comment_id.as_deref().map(|c| validate::id_ref(&mut p, "comment_id", c));
    p.into_result(())?;
    let mut p = Problems::new();
    if let Some(comment_id) = &comment_id {
        let on_ticket: Option<String> = ticket_comments::table
            .filter(ticket_comments::id.eq(comment_id))
            .filter(ticket_comments::ticket_id.eq(id))
            .select(ticket_comments::id)
            .first(conn)
            .optional()?;
        if on_ticket.is_none() {
            p.push("comment_id", "not_found", "no such comment on this ticket");
        }
    }
    p.into_result(())?;
    let taken: Option<String> = ticket_attachments::table
        .filter(ticket_attachments::storage_key.eq(&storage_key))
        .select(ticket_attachments::id)
        .first(conn)
        .optional()?;
    if taken.is_some() {
        let mut p = Problems::new();
        p.push("storage_key", "duplicate", "another attachment already uses this storage key");
        p.into_duplicate_result()?;
    }
    let row = AttachmentRow {
        id: ids::new_id(),
        ticket_id: id.to_owned(),
        comment_id,
        file_name,
        content_type,
        size_bytes: input.size_bytes,
        storage_key,
        uploaded_by: actor(reach),
        created_at: time::now(),
    };
    diesel::insert_into(ticket_attachments::table).values(&row).execute(conn)?;
    let created = response(row);
    audit::record(conn, ctx, "ticket_attachment", &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Every attachment of ticket `id` within `reach`, oldest first (at most
/// 1,000: a ticket's files are read whole).
pub fn list(conn: &mut Conn, reach: &Reach, id: &str) -> Result<Vec<AttachmentResponse>> {
    find_row(conn, reach, id)?;
    let rows: Vec<AttachmentRow> = ticket_attachments::table
        .filter(ticket_attachments::ticket_id.eq(id))
        .order((ticket_attachments::created_at.asc(), ticket_attachments::id.asc()))
        .select(AttachmentRow::as_select())
        .limit(1_000)
        .load(conn)?;
    Ok(rows.into_iter().map(response).collect())
}
