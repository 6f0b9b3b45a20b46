//! The enumerations stored as text.

use rapport_core::text_enum;

text_enum! {
    /// Where a ticket stands.
    TicketStatus {
        /// Logged, nobody has worked it yet.
        New => "new",
        /// Being worked.
        Open => "open",
        /// Waiting on the customer; the SLA clock is paused.
        Pending => "pending",
        /// Solved; closes by itself after the configured days unless reopened.
        Resolved => "resolved",
        /// Final (a reopen is still possible).
        Closed => "closed",
    }
}

impl TicketStatus {
    /// Whether a change from `self` to `to` is allowed: forward through the
    /// flow, between open and pending, and a reopen from resolved or closed.
    pub fn may_become(self, to: TicketStatus) -> bool {
        use TicketStatus::{Closed, New, Open, Pending, Resolved};
        matches!(
            (self, to),
            (New, Open | Pending | Resolved)
                | (Open, Pending | Resolved)
                | (Pending, Open | Resolved)
                | (Resolved, Closed | Open)
                | (Closed, Open)
        )
    }

    /// Whether the ticket still awaits resolution.
    pub fn unresolved(self) -> bool {
        matches!(self, TicketStatus::New | TicketStatus::Open | TicketStatus::Pending)
    }
}

text_enum! {
    /// How urgent a ticket is; SLA targets are set per priority.
    Priority {
        /// Low.
        Low => "low",
        /// Normal.
        Normal => "normal",
        /// High.
        High => "high",
        /// Urgent.
        Urgent => "urgent",
    }
}

text_enum! {
    /// How the inquiry came in.
    TicketChannel {
        /// A phone call.
        Call => "call",
        /// E-mail.
        Email => "email",
        /// A meeting.
        Meeting => "meeting",
        /// WhatsApp.
        Whatsapp => "whatsapp",
        /// SMS.
        Sms => "sms",
        /// A visit by staff.
        Visit => "visit",
        /// Social media.
        Social => "social",
        /// A web form.
        Web => "web",
        /// The customer walked in.
        WalkIn => "walk_in",
    }
}

text_enum! {
    /// What a ticket category is for: the call centre triages sales versus
    /// after-sales.
    CategoryKind {
        /// A sales inquiry (may be handed to the pipeline).
        Sales => "sales",
        /// After-sales: parts, warranty, questions about a purchase.
        AfterSales => "after_sales",
        /// Booking a service.
        ServiceBooking => "service_booking",
        /// A complaint.
        Complaint => "complaint",
        /// Invoices and payments.
        Billing => "billing",
        /// Anything else.
        General => "general",
    }
}

#[cfg(test)]
mod tests {
    use super::TicketStatus::{self, Closed, New, Open, Pending, Resolved};

    #[test]
    fn the_flow_goes_forward_pauses_and_reopens_but_never_skips_resolution() {
        let allowed: Vec<(TicketStatus, TicketStatus)> = TicketStatus::ALL
            .iter()
            .flat_map(|&from| TicketStatus::ALL.iter().map(move |&to| (from, to)))
            .filter(|(from, to)| from.may_become(*to))
            .collect();
        assert_eq!(
            allowed,
            [
                (New, Open),
                (New, Pending),
                (New, Resolved),
                (Open, Pending),
                (Open, Resolved),
                (Pending, Open),
                (Pending, Resolved),
                (Resolved, Open),
                (Resolved, Closed),
                (Closed, Open),
            ]
        );
    }
}
