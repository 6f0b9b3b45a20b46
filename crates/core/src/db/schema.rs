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

diesel::allow_tables_to_appear_in_same_query!(
    calendars,
    calendar_windows,
    calendar_holidays,
    divisions,
    branches,
    audit_log,
    change_events,
    idempotency_keys,
);
