//! Reading and writing users. Password hashing happens before these are
//! called (off the request workers and outside the transaction): they take
//! the finished hash.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{branches, refresh_tokens, users};
use rapport_core::db::{Conn, lower};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::{Credential, Principal, Role, Scope};
use rapport_core::{Error, Problems, Result, ids, time, validate};

use super::api::{CreateUser, UpdateUser, UserListQuery, UserResponse, UserSort};
use super::rows::UserRow;
use crate::org::divisions::ensure_usable as ensure_division_usable;
use crate::password;

const ENTITY: &str = "user";

/// Validates a new user's password against the policy and returns it for
/// hashing; `None` for integration accounts, which have no password.
pub fn password_to_hash(input: &CreateUser) -> Result<Option<String>> {
    let mut problems = Problems::new();
    let result = match (&input.password, input.role) {
        (Some(_), Role::Integration) => {
            problems.push("password", "not_allowed", "integration accounts sign in with API keys only");
            None
        }
        (Some(p), _) => {
            password::check_policy(&mut problems, "password", p, input.email.trim());
            Some(p.clone())
        }
        (None, Role::Integration) => None,
        (None, _) => {
            problems.push("password", "required", "password is required");
            None
        }
    };
    problems.into_result(result)
}

/// Creates a user; `password_hash` comes from [`password_to_hash`] and
/// [`crate::password::hash`].
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    input: CreateUser,
    password_hash: Option<String>,
) -> Result<UserResponse> {
    let mut problems = Problems::new();
    let email = parse_email(&mut problems, &input.email);
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    let phone = parse_phone(&mut problems, input.phone.as_deref());
    let division_id = input.division_id.as_deref().map(|d| validate::id_ref(&mut problems, "division_id", d));
    let branch_id = input.branch_id.as_deref().map(|b| validate::id_ref(&mut problems, "branch_id", b));
    problems.into_result(())?;
    check_placement(conn, input.role, division_id.as_deref(), branch_id.as_deref())?;
    ensure_unique_email(conn, &email, None)?;
    let now = time::now();
    let row = UserRow {
        id: ids::new_id(),
        email,
        name,
        phone,
        role: input.role.as_str().to_owned(),
        division_id,
        branch_id,
        active: true,
        password_changed_at: password_hash.as_ref().map(|_| now),
        password_hash,
        last_login_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(users::table).values(&row).execute(conn)?;
    let created = to_response(row)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One user regardless of scope (for the caller's own profile and token responses).
pub fn get_unscoped(conn: &mut Conn, id: &str) -> Result<UserResponse> {
    find_row(conn, id).and_then(to_response)
}

/// One user within `scope` of `viewer`.
pub fn get(conn: &mut Conn, viewer: &Principal, scope: Scope, id: &str) -> Result<UserResponse> {
    find_visible(conn, viewer, scope, id).and_then(to_response)
}

/// One page of the users within `scope` of `viewer`.
pub fn list(conn: &mut Conn, viewer: &Principal, scope: Scope, query: &UserListQuery) -> Result<Page<UserResponse>> {
    let page = PageRequest::<UserSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = scoped(viewer, scope);
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = validate::contains_pattern(needle);
        q = q.filter(lower(users::name).like(pattern.clone()).escape('\\').or(users::email.like(pattern).escape('\\')));
    }
    if let Some(role) = query.role {
        q = q.filter(users::role.eq(role.as_str()));
    }
    if let Some(division_id) = &query.division_id {
        q = q.filter(users::division_id.eq(division_id.clone()));
    }
    if let Some(branch_id) = &query.branch_id {
        q = q.filter(users::branch_id.eq(branch_id.clone()));
    }
    if let Some(active) = query.active {
        q = q.filter(users::active.eq(active));
    }
    if let Some(since) = query.updated_since {
        q = q.filter(users::updated_at.ge(time::stored(since)));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        UserSort::Name => rapport_core::keyset!(q, users::name, users::id, direction, page.after_text()),
        UserSort::Email => rapport_core::keyset!(q, users::email, users::id, direction, page.after_text()),
        UserSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, users::created_at, users::id, direction, after)
        }
        UserSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, users::updated_at, users::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<UserRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            UserSort::Name => row.name.clone(),
            UserSort::Email => row.email.clone(),
            UserSort::CreatedAt => instant_value(row.created_at),
            UserSort::UpdatedAt => instant_value(row.updated_at),
        };
        (value, row.id.clone())
    });
    let items = page.items.into_iter().map(to_response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Validates an administrator's password reset and returns it for hashing.
pub fn reset_password_to_hash(conn: &mut Conn, id: &str, changes: &UpdateUser) -> Result<Option<String>> {
    let Some(new) = &changes.password else { return Ok(None) };
    let row = find_row(conn, id)?;
    if row.role == Role::Integration.as_str() {
        return Err(Error::invalid("password", "not_allowed", "integration accounts sign in with API keys only"));
    }
    let mut problems = Problems::new();
    password::check_policy(&mut problems, "password", new, &row.email);
    problems.into_result(Some(new.clone()))
}

/// Applies `changes` if the user is still at `expected_version`. A change of
/// role, division, branch, active flag or password revokes the user's
/// refresh tokens.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: i64,
    changes: UpdateUser,
    new_password_hash: Option<String>,
) -> Result<UserResponse> {
    let before = find_row(conn, id)?;
    if before.version != expected_version {
        return Err(Error::StaleVersion { current: before.version });
    }
    let mut problems = Problems::new();
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut problems, "name", n, 100));
    let phone = changes.phone.map(|p| parse_phone(&mut problems, p.as_deref()));
    let division_id = changes.division_id.map(|d| d.map(|d| validate::id_ref(&mut problems, "division_id", &d)));
    let branch_id = changes.branch_id.map(|b| b.map(|b| validate::id_ref(&mut problems, "branch_id", &b)));
    problems.into_result(())?;
    let now = time::now();
    let after = UserRow {
        name: name.unwrap_or_else(|| before.name.clone()),
        phone: phone.unwrap_or_else(|| before.phone.clone()),
        role: changes.role.map_or_else(|| before.role.clone(), |r| r.as_str().to_owned()),
        division_id: division_id.unwrap_or_else(|| before.division_id.clone()),
        branch_id: branch_id.unwrap_or_else(|| before.branch_id.clone()),
        active: changes.active.unwrap_or(before.active),
        password_changed_at: if new_password_hash.is_some() { Some(now) } else { before.password_changed_at },
        password_hash: new_password_hash.or_else(|| before.password_hash.clone()),
        version: expected_version + 1,
        updated_at: now,
        ..before.clone()
    };
    let role = Role::parse(&after.role).ok_or_else(|| Error::Internal(format!("stored role {}", after.role)))?;
    if after.division_id != before.division_id || after.branch_id != before.branch_id || after.role != before.role {
        check_placement(conn, role, after.division_id.as_deref(), after.branch_id.as_deref())?;
    }
    let updated = diesel::update(users::table.filter(users::id.eq(id)).filter(users::version.eq(expected_version)))
        .set((
            users::name.eq(&after.name),
            users::phone.eq(&after.phone),
            users::role.eq(&after.role),
            users::division_id.eq(&after.division_id),
            users::branch_id.eq(&after.branch_id),
            users::active.eq(after.active),
            users::password_hash.eq(&after.password_hash),
            users::password_changed_at.eq(after.password_changed_at),
            users::version.eq(after.version),
            users::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let access_changed = after.role != before.role
        || after.division_id != before.division_id
        || after.branch_id != before.branch_id
        || after.active != before.active
        || after.password_hash != before.password_hash;
    if access_changed {
        revoke_all_refresh_tokens(conn, id)?;
    }
    let (before, after) = (to_response(before)?, to_response(after)?);
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// The principal for an access token's subject, if the user exists and is active.
pub fn load_principal(conn: &mut Conn, user_id: &str) -> Result<Option<Principal>> {
    let row = users::table
        .filter(users::id.eq(user_id))
        .filter(users::active.eq(true))
        .select((users::role, users::division_id, users::branch_id))
        .first::<(String, Option<String>, Option<String>)>(conn)
        .optional()?;
    row.map(|(role, division_id, branch_id)| {
        let role = Role::parse(&role).ok_or_else(|| Error::Internal(format!("stored role {role}")))?;
        Ok(Principal { user_id: user_id.to_owned(), role, division_id, branch_id, credential: Credential::AccessToken })
    })
    .transpose()
}

/// Whether any user exists (for the bootstrap hint).
pub fn any_exist(conn: &mut Conn) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)?)
}

/// A user by email (for the CLI and seeding).
pub fn find_by_email(conn: &mut Conn, email: &str) -> Result<Option<UserResponse>> {
    users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(to_response)
        .transpose()
}

pub(crate) fn revoke_all_refresh_tokens(conn: &mut Conn, user_id: &str) -> Result<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(time::now()))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn find_row(conn: &mut Conn, id: &str) -> Result<UserRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

fn find_visible(conn: &mut Conn, viewer: &Principal, scope: Scope, id: &str) -> Result<UserRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    scoped(viewer, scope)
        .filter(users::id.eq(id.to_owned()))
        .first::<UserRow>(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

type BoxedUsers<'a> = users::BoxedQuery<
    'a,
    rapport_core::db::MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<UserRow, rapport_core::db::MultiBackend>>,
>;

/// Users `viewer` may see with `scope`, filtered in the query itself.
fn scoped<'a>(viewer: &Principal, scope: Scope) -> BoxedUsers<'a> {
    let q = users::table.select(UserRow::as_select()).into_boxed();
    // No id matches the empty string: a scope the viewer cannot satisfy sees nothing.
    match scope {
        Scope::All => q,
        Scope::Division => q.filter(users::division_id.eq(viewer.division_id.clone().unwrap_or_default())),
        Scope::Branch => q.filter(users::branch_id.eq(viewer.branch_id.clone().unwrap_or_default())),
        Scope::Own => q.filter(users::id.eq(viewer.user_id.clone())),
    }
}

/// Roles that work inside one division must have one; a branch must belong
/// to the user's division; both must be active.
fn check_placement(conn: &mut Conn, role: Role, division_id: Option<&str>, branch_id: Option<&str>) -> Result<()> {
    let needs_division = matches!(role, Role::Manager | Role::SalesRep | Role::ServiceAgent);
    match division_id {
        None if needs_division => {
            return Err(Error::invalid(
                "division_id",
                "required",
                format!("a {} must belong to a division", role.as_str()),
            ));
        }
        None if branch_id.is_some() => {
            return Err(Error::invalid("division_id", "required", "a user with a branch must have its division"));
        }
        None => return Ok(()),
        Some(division_id) => ensure_division_usable(conn, "division_id", division_id)?,
    }
    if let Some(branch_id) = branch_id {
        let found = branches::table
            .filter(branches::id.eq(branch_id))
            .filter(branches::archived_at.is_null())
            .select(branches::division_id)
            .first::<String>(conn)
            .optional()?;
        match found {
            None => return Err(Error::invalid("branch_id", "not_found", format!("branch {branch_id} does not exist"))),
            Some(d) if Some(d.as_str()) != division_id => {
                return Err(Error::invalid("branch_id", "wrong_division", "the branch belongs to another division"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn ensure_unique_email(conn: &mut Conn, email: &str, except: Option<&str>) -> Result<()> {
    let taken = diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(email)).filter(users::id.ne(except.unwrap_or_default())),
    ))
    .get_result::<bool>(conn)?;
    let mut problems = Problems::new();
    if taken {
        problems.push("email", "duplicate", format!("a user with email {email} already exists"));
    }
    problems.into_duplicate_result()
}

fn parse_email(problems: &mut Problems, raw: &str) -> String {
    validate::email(problems, "email", raw)
}

fn parse_phone(problems: &mut Problems, raw: Option<&str>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    Some(validate::phone(problems, "phone", raw))
}

fn to_response(row: UserRow) -> Result<UserResponse> {
    let role = Role::parse(&row.role).ok_or_else(|| Error::Internal(format!("stored role {}", row.role)))?;
    Ok(UserResponse {
        id: row.id,
        email: row.email,
        name: row.name,
        phone: row.phone,
        role,
        division_id: row.division_id,
        branch_id: row.branch_id,
        active: row.active,
        last_login_at: row.last_login_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}
