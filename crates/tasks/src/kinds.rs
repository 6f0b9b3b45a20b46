//! The enumerations stored as text.

use rapport_core::text_enum;

text_enum! {
    /// What the task is.
    TaskKind {
        /// Call the customer or prospect back about a lead.
        FollowUpCall => "follow_up_call",
        /// Remind the customer of a service due.
        ServiceReminder => "service_reminder",
        /// Return a call the customer asked for.
        Callback => "callback",
        /// Meet the customer (showroom, site, workshop).
        Visit => "visit",
        /// Anything else.
        Other => "other",
    }
}

impl TaskKind {
    /// Whether completing it means the customer was contacted, so the
    /// contact belongs on the timeline (and moves a lead's next follow-up).
    pub fn is_contact(self) -> bool {
        matches!(self, TaskKind::FollowUpCall | TaskKind::Callback | TaskKind::Visit | TaskKind::ServiceReminder)
    }
}

text_enum! {
    /// How urgent a task is.
    TaskPriority {
        /// Low.
        Low => "low",
        /// Normal (the default).
        Normal => "normal",
        /// High.
        High => "high",
        /// Urgent.
        Urgent => "urgent",
    }
}

text_enum! {
    /// Where a task stands.
    TaskStatus {
        /// To do.
        Open => "open",
        /// Done, with an outcome.
        Done => "done",
        /// Not needed any more.
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// The kind of record a task is about.
    RelatedType {
        /// A customer.
        Customer => "customer",
        /// A lead.
        Lead => "lead",
        /// A ticket.
        Ticket => "ticket",
        /// An asset (vehicle, generator…).
        Asset => "asset",
    }
}
