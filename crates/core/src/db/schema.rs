//! The one diesel schema shared by SQLite and PostgreSQL.
//!
//! Written by hand (not `diesel print-schema`) because it must describe both
//! backends at once; every column uses a type that maps the same way on each.

diesel::table! {
    calendars (id) {
        id -> Text,
        name -> Text,
        time_zone -> Text,
        holidays_from_id -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_windows (calendar_id, weekday, start_minute) {
        calendar_id -> Text,
        weekday -> Integer,
        start_minute -> Integer,
        end_minute -> Integer,
    }
}

diesel::table! {
    calendar_holidays (calendar_id, on_date) {
        calendar_id -> Text,
        on_date -> Date,
        name -> Text,
    }
}

diesel::table! {
    divisions (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        calendar_id -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    branches (id) {
        id -> Text,
        division_id -> Text,
        code -> Text,
        name -> Text,
        address -> Nullable<Text>,
        city -> Nullable<Text>,
        state -> Nullable<Text>,
        country_code -> Text,
        calendar_id -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        changes -> Text,
        client_addr -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        phone -> Nullable<Text>,
        role -> Text,
        division_id -> Nullable<Text>,
        branch_id -> Nullable<Text>,
        active -> Bool,
        password_hash -> Nullable<Text>,
        password_changed_at -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        scopes -> Text,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (subject) {
        subject -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    change_events (seq) {
        seq -> BigInt,
        id -> Text,
        occurred_at -> Timestamp,
        entity_type -> Text,
        entity_id -> Text,
        action -> Text,
        payload -> Text,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (principal, idempotency_key) {
        principal -> Text,
        idempotency_key -> Text,
        method -> Text,
        path -> Text,
        request_hash -> Text,
        status -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Binary>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(branches -> divisions (division_id));
diesel::joinable!(calendar_windows -> calendars (calendar_id));
diesel::joinable!(calendar_holidays -> calendars (calendar_id));

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(api_keys -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    api_keys,
    login_throttle,
    calendars,
    calendar_windows,
    calendar_holidays,
    divisions,
    branches,
    audit_log,
    change_events,
    idempotency_keys,
);
