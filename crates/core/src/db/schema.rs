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
        changed -> Nullable<Text>,
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

diesel::table! {
    customers (id) {
        id -> Text,
        kind -> Text,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        company_name -> Nullable<Text>,
        display_name -> Text,
        search_name -> Text,
        primary_email -> Nullable<Text>,
        primary_phone -> Nullable<Text>,
        address_line -> Nullable<Text>,
        city -> Nullable<Text>,
        state -> Nullable<Text>,
        country_code -> Text,
        source -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        preferred_channel -> Nullable<Text>,
        preferred_language -> Nullable<Text>,
        notes -> Nullable<Text>,
        merged_into_id -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    customer_emails (customer_id, email) {
        customer_id -> Text,
        email -> Text,
        label -> Nullable<Text>,
        is_primary -> Bool,
    }
}

diesel::table! {
    customer_phones (customer_id, e164) {
        customer_id -> Text,
        e164 -> Text,
        label -> Nullable<Text>,
        is_primary -> Bool,
        whatsapp -> Bool,
    }
}

diesel::table! {
    customer_divisions (customer_id, division_id) {
        customer_id -> Text,
        division_id -> Text,
        since -> Timestamp,
    }
}

diesel::table! {
    customer_tags (customer_id, tag) {
        customer_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    customer_external_ids (source, external_id) {
        source -> Text,
        external_id -> Text,
        customer_id -> Text,
    }
}

diesel::table! {
    customer_consents (customer_id, channel, purpose) {
        customer_id -> Text,
        channel -> Text,
        purpose -> Text,
        granted -> Bool,
        recorded_at -> Timestamp,
        method -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    customer_contacts (id) {
        id -> Text,
        company_id -> Text,
        person_id -> Nullable<Text>,
        name -> Text,
        title -> Nullable<Text>,
        role -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        is_primary -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_rules (id) {
        id -> Text,
        asset_kind -> Text,
        make -> Text,
        model -> Nullable<Text>,
        make_key -> Text,
        model_key -> Text,
        interval_usage -> Nullable<BigInt>,
        interval_months -> Nullable<Integer>,
        due_soon_days -> Integer,
        due_soon_usage -> Nullable<BigInt>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assets (id) {
        id -> Text,
        customer_id -> Text,
        division_id -> Text,
        kind -> Text,
        make -> Nullable<Text>,
        model -> Nullable<Text>,
        model_year -> Nullable<Integer>,
        serial -> Nullable<Text>,
        plate -> Nullable<Text>,
        purchase_date -> Nullable<Date>,
        warranty_end -> Nullable<Date>,
        usage_unit -> Text,
        last_usage -> Nullable<BigInt>,
        last_usage_at -> Nullable<Timestamp>,
        last_service_on -> Nullable<Date>,
        last_service_usage -> Nullable<BigInt>,
        next_service_due_on -> Nullable<Date>,
        next_service_due_usage -> Nullable<BigInt>,
        service_due_soon_on -> Nullable<Date>,
        service_due_soon_usage -> Nullable<BigInt>,
        external_source -> Nullable<Text>,
        external_id -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    asset_readings (id) {
        id -> Text,
        asset_id -> Text,
        read_at -> Timestamp,
        usage -> BigInt,
        source -> Text,
        recorded_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    purchases (id) {
        id -> Text,
        customer_id -> Text,
        division_id -> Text,
        branch_id -> Nullable<Text>,
        source -> Text,
        invoice_number -> Text,
        purchased_on -> Date,
        currency -> Text,
        amount_minor -> BigInt,
        status -> Text,
        asset_id -> Nullable<Text>,
        notes -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    purchase_lines (purchase_id, line_no) {
        purchase_id -> Text,
        line_no -> Integer,
        description -> Text,
        sku -> Nullable<Text>,
        quantity -> Text,
        unit_price_minor -> BigInt,
        total_minor -> BigInt,
    }
}

diesel::table! {
    service_records (id) {
        id -> Text,
        asset_id -> Text,
        customer_id -> Text,
        division_id -> Text,
        branch_id -> Nullable<Text>,
        performed_on -> Date,
        kind -> Text,
        usage -> Nullable<BigInt>,
        work_done -> Text,
        currency -> Nullable<Text>,
        amount_minor -> Nullable<BigInt>,
        ticket_id -> Nullable<Text>,
        external_source -> Nullable<Text>,
        external_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    interaction_categories (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    categorisation_rules (id) {
        id -> Text,
        category_id -> Text,
        channel -> Nullable<Text>,
        keywords -> Text,
        priority -> Integer,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    interactions (id) {
        id -> Text,
        customer_id -> Nullable<Text>,
        lead_id -> Nullable<Text>,
        ticket_id -> Nullable<Text>,
        division_id -> Text,
        channel -> Text,
        direction -> Text,
        category_id -> Nullable<Text>,
        category_origin -> Nullable<Text>,
        subject -> Nullable<Text>,
        summary -> Nullable<Text>,
        occurred_at -> Timestamp,
        duration_seconds -> Nullable<Integer>,
        outcome -> Nullable<Text>,
        user_id -> Nullable<Text>,
        external_source -> Nullable<Text>,
        external_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    custom_fields (id) {
        id -> Text,
        entity -> Text,
        division_id -> Nullable<Text>,
        field_key -> Text,
        label -> Text,
        field_type -> Text,
        required -> Bool,
        options -> Nullable<Text>,
        position -> Integer,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    custom_field_values (record_id, field_id, ordinal) {
        field_id -> Text,
        record_id -> Text,
        ordinal -> Integer,
        value -> Text,
    }
}

diesel::table! {
    pipelines (id) {
        id -> Text,
        division_id -> Text,
        name -> Text,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pipeline_stages (id) {
        id -> Text,
        pipeline_id -> Text,
        position -> Integer,
        name -> Text,
        kind -> Text,
        win_probability -> Integer,
        follow_up_minutes -> Nullable<Integer>,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lost_reasons (id) {
        id -> Text,
        name -> Text,
        position -> Integer,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    metric_targets (id) {
        id -> Text,
        division_id -> Nullable<Text>,
        kpi -> Text,
        min_centi -> BigInt,
        max_centi -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    leads (id) {
        id -> Text,
        customer_id -> Nullable<Text>,
        prospect_name -> Nullable<Text>,
        prospect_phone -> Nullable<Text>,
        prospect_email -> Nullable<Text>,
        source -> Text,
        division_id -> Text,
        branch_id -> Nullable<Text>,
        product_interest -> Nullable<Text>,
        currency -> Nullable<Text>,
        expected_value_minor -> Nullable<BigInt>,
        expected_close_on -> Nullable<Date>,
        owner_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        pipeline_id -> Text,
        stage_id -> Text,
        status -> Text,
        lost_reason_id -> Nullable<Text>,
        lost_note -> Nullable<Text>,
        score -> Nullable<Integer>,
        notes -> Nullable<Text>,
        next_follow_up_at -> Nullable<Timestamp>,
        follow_up_minutes -> Nullable<Integer>,
        external_source -> Nullable<Text>,
        external_id -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    lead_conversions (lead_id) {
        lead_id -> Text,
        customer_id -> Text,
        purchase_id -> Nullable<Text>,
        asset_id -> Nullable<Text>,
        converted_by -> Nullable<Text>,
        converted_at -> Timestamp,
    }
}

diesel::table! {
    lead_stage_history (id) {
        id -> Text,
        lead_id -> Text,
        from_stage_id -> Nullable<Text>,
        to_stage_id -> Text,
        moved_by -> Nullable<Text>,
        entered_at -> Timestamp,
        left_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    lead_assignment_rules (id) {
        id -> Text,
        division_id -> Text,
        branch_id -> Nullable<Text>,
        mode -> Text,
        user_id -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lead_assignment_members (rule_id, user_id) {
        rule_id -> Text,
        user_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    lead_assignment_cursors (rule_id) {
        rule_id -> Text,
        last_position -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        entity_type -> Text,
        entity_id -> Text,
        payload -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    intake_sources (id) {
        id -> Text,
        name -> Text,
        division_id -> Text,
        branch_id -> Nullable<Text>,
        lead_source -> Text,
        key_prefix -> Text,
        key_hash -> Text,
        rate_limit_per_minute -> Integer,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    intake_captures (id) {
        id -> Text,
        source_id -> Text,
        external_id -> Nullable<Text>,
        lead_id -> Text,
        outcome -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    intake_rate_windows (source_id, window_start) {
        source_id -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    ticket_categories (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        position -> Integer,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_queues (id) {
        id -> Text,
        division_id -> Text,
        name -> Text,
        assignment -> Text,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_queue_members (queue_id, user_id) {
        queue_id -> Text,
        user_id -> Text,
        position -> Integer,
        role -> Text,
        active -> Bool,
    }
}

diesel::table! {
    ticket_queue_cursors (queue_id) {
        queue_id -> Text,
        last_position -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_routing_rules (id) {
        id -> Text,
        division_id -> Text,
        category_id -> Nullable<Text>,
        channel -> Nullable<Text>,
        queue_id -> Text,
        position -> Integer,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sla_policies (id) {
        id -> Text,
        division_id -> Nullable<Text>,
        priority -> Text,
        first_response_minutes -> Integer,
        resolution_minutes -> Integer,
        warn_percent -> Integer,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_counters (division_id) {
        division_id -> Text,
        last_number -> BigInt,
    }
}

diesel::table! {
    tickets (id) {
        id -> Text,
        number -> Text,
        division_id -> Text,
        branch_id -> Nullable<Text>,
        queue_id -> Nullable<Text>,
        customer_id -> Nullable<Text>,
        asset_id -> Nullable<Text>,
        lead_id -> Nullable<Text>,
        category_id -> Text,
        priority -> Text,
        channel -> Text,
        subject -> Text,
        description -> Nullable<Text>,
        status -> Text,
        assignee_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        first_responded_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        reopen_count -> Integer,
        agent_touches -> Integer,
        first_contact_resolution -> Nullable<Bool>,
        external_source -> Nullable<Text>,
        external_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        archived_at -> Nullable<Timestamp>,
        calendar_id -> Nullable<Text>,
        business_day_seconds -> Nullable<Integer>,
        first_response_business_seconds -> Nullable<BigInt>,
        resolution_business_seconds -> Nullable<BigInt>,
    }
}

diesel::table! {
    lead_board_totals (division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency, shard) {
        division_id -> Text,
        pipeline_id -> Text,
        stage_id -> Text,
        branch_id -> Text,
        owner_id -> Text,
        created_by -> Text,
        currency -> Text,
        shard -> Integer,
        lead_count -> BigInt,
        value_minor -> BigInt,
    }
}

diesel::table! {
    ticket_slas (ticket_id) {
        ticket_id -> Text,
        sla_policy_id -> Text,
        calendar_id -> Nullable<Text>,
        first_response_minutes -> Integer,
        resolution_minutes -> Integer,
        warn_percent -> Integer,
        clock -> Text,
        response_started_at -> Timestamp,
        response_met_at -> Nullable<Timestamp>,
        first_response_due_at -> Nullable<Timestamp>,
        resolution_due_at -> Nullable<Timestamp>,
        response_breached -> Bool,
        resolution_breached -> Bool,
        response_warned_at -> Nullable<Timestamp>,
        resolution_warned_at -> Nullable<Timestamp>,
        response_warn_at -> Nullable<Timestamp>,
        resolution_warn_at -> Nullable<Timestamp>,
        response_breach_notified_at -> Nullable<Timestamp>,
        resolution_breach_notified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_status_history (id) {
        id -> Text,
        ticket_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        changed_by -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    ticket_comments (id) {
        id -> Text,
        ticket_id -> Text,
        author_id -> Nullable<Text>,
        visibility -> Text,
        author_kind -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_attachments (id) {
        id -> Text,
        ticket_id -> Text,
        comment_id -> Nullable<Text>,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        storage_key -> Text,
        uploaded_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    csat_surveys (id) {
        id -> Text,
        ticket_id -> Text,
        token_hash -> Text,
        sent_at -> Timestamp,
        expires_at -> Timestamp,
        rating -> Nullable<Integer>,
        comment -> Nullable<Text>,
        responded_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(branches -> divisions (division_id));
diesel::joinable!(calendar_windows -> calendars (calendar_id));
diesel::joinable!(calendar_holidays -> calendars (calendar_id));

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(api_keys -> users (user_id));

diesel::joinable!(customer_emails -> customers (customer_id));
diesel::joinable!(customer_phones -> customers (customer_id));
diesel::joinable!(customer_divisions -> customers (customer_id));
diesel::joinable!(customer_tags -> customers (customer_id));
diesel::joinable!(customer_external_ids -> customers (customer_id));
diesel::joinable!(customer_consents -> customers (customer_id));
diesel::joinable!(customer_contacts -> customers (company_id));
diesel::joinable!(assets -> customers (customer_id));
diesel::joinable!(assets -> divisions (division_id));
diesel::joinable!(asset_readings -> assets (asset_id));
diesel::joinable!(purchases -> customers (customer_id));
diesel::joinable!(purchase_lines -> purchases (purchase_id));
diesel::joinable!(service_records -> assets (asset_id));
diesel::joinable!(interactions -> customers (customer_id));
diesel::joinable!(interactions -> interaction_categories (category_id));
diesel::joinable!(categorisation_rules -> interaction_categories (category_id));
diesel::joinable!(custom_field_values -> custom_fields (field_id));
diesel::joinable!(pipelines -> divisions (division_id));
diesel::joinable!(pipeline_stages -> pipelines (pipeline_id));
diesel::joinable!(leads -> pipeline_stages (stage_id));
diesel::joinable!(leads -> pipelines (pipeline_id));
diesel::joinable!(leads -> customers (customer_id));
diesel::joinable!(leads -> lost_reasons (lost_reason_id));
diesel::joinable!(lead_conversions -> leads (lead_id));
diesel::joinable!(lead_stage_history -> leads (lead_id));
diesel::joinable!(lead_assignment_members -> lead_assignment_rules (rule_id));
diesel::joinable!(lead_assignment_cursors -> lead_assignment_rules (rule_id));
diesel::joinable!(intake_sources -> divisions (division_id));
diesel::joinable!(intake_captures -> intake_sources (source_id));
diesel::joinable!(intake_captures -> leads (lead_id));
diesel::joinable!(intake_rate_windows -> intake_sources (source_id));

diesel::joinable!(ticket_queue_members -> ticket_queues (queue_id));
diesel::joinable!(ticket_queue_cursors -> ticket_queues (queue_id));
diesel::joinable!(ticket_routing_rules -> ticket_queues (queue_id));
diesel::table! {
    tasks (id) {
        id -> Text,
        title -> Text,
        kind -> Text,
        priority -> Text,
        status -> Text,
        related_type -> Nullable<Text>,
        related_id -> Nullable<Text>,
        customer_id -> Nullable<Text>,
        division_id -> Text,
        branch_id -> Nullable<Text>,
        assignee_id -> Text,
        due_at -> Timestamp,
        remind_at -> Nullable<Timestamp>,
        notes -> Nullable<Text>,
        outcome -> Nullable<Text>,
        created_by -> Nullable<Text>,
        rule_id -> Nullable<Text>,
        rule_run_id -> Nullable<Text>,
        completed_at -> Nullable<Timestamp>,
        completed_by -> Nullable<Text>,
        interaction_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        payload -> Text,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        run_at -> Timestamp,
        attempts -> Integer,
        max_attempts -> Integer,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_channels (user_id, channel) {
        user_id -> Text,
        channel -> Text,
        enabled -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    automation_rules (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        builtin_key -> Nullable<Text>,
        trigger_kind -> Text,
        trigger_params -> Text,
        conditions -> Text,
        actions -> Text,
        delay_minutes -> Integer,
        enabled -> Bool,
        enabled_at -> Nullable<Timestamp>,
        scanned_until -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    automation_runs (id) {
        id -> Text,
        rule_id -> Text,
        trigger_kind -> Text,
        occurrence -> Text,
        subject_type -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        occurred_at -> Timestamp,
        ran_at -> Timestamp,
        results -> Text,
    }
}

diesel::table! {
    customer_messages (id) {
        id -> Text,
        customer_id -> Text,
        channel -> Text,
        purpose -> Text,
        address -> Text,
        body -> Text,
        status -> Text,
        detail -> Nullable<Text>,
        rule_run_id -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    feed_consumers (name) {
        name -> Text,
        cursor -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        name -> Text,
        url -> Text,
        event_types -> Text,
        description -> Nullable<Text>,
        active -> Bool,
        max_attempts -> Integer,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        subscription_id -> Text,
        event_id -> Text,
        event_type -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        attempt -> Integer,
        started_at -> Timestamp,
        duration_ms -> BigInt,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        response_excerpt -> Nullable<Text>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(tickets -> ticket_categories (category_id));
diesel::joinable!(tickets -> divisions (division_id));
diesel::joinable!(ticket_slas -> tickets (ticket_id));
diesel::joinable!(ticket_status_history -> tickets (ticket_id));
diesel::joinable!(ticket_comments -> tickets (ticket_id));
diesel::joinable!(ticket_attachments -> tickets (ticket_id));
diesel::joinable!(csat_surveys -> tickets (ticket_id));

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
    customers,
    customer_emails,
    customer_phones,
    customer_divisions,
    customer_tags,
    customer_external_ids,
    customer_consents,
    customer_contacts,
    service_rules,
    assets,
    asset_readings,
    purchases,
    purchase_lines,
    service_records,
    interaction_categories,
    categorisation_rules,
    interactions,
    custom_fields,
    custom_field_values,
    pipelines,
    pipeline_stages,
    lost_reasons,
    leads,
    lead_conversions,
    lead_stage_history,
    lead_assignment_rules,
    lead_assignment_members,
    lead_assignment_cursors,
    notifications,
    intake_sources,
    intake_captures,
    intake_rate_windows,
    ticket_categories,
    ticket_queues,
    ticket_queue_members,
    ticket_queue_cursors,
    ticket_routing_rules,
    sla_policies,
    ticket_counters,
    tickets,
    ticket_slas,
    ticket_status_history,
    ticket_comments,
    ticket_attachments,
    csat_surveys,
    tasks,
    jobs,
    notification_channels,
    feed_consumers,
    automation_rules,
    automation_runs,
    customer_messages,
    webhook_subscriptions,
    webhook_deliveries,
    webhook_attempts,
);
