//! The enumerations stored as text: stage kinds, lead statuses and sources.

use rapport_core::text_enum;

text_enum! {
    /// What reaching a stage means for a lead.
    StageKind {
        /// Still being worked.
        Open => "open",
        /// The deal was made.
        Won => "won",
        /// The deal is off; a lost reason is required.
        Lost => "lost",
    }
}

text_enum! {
    /// Where a lead stands: the kind of its current stage.
    LeadStatus {
        /// In an open stage.
        Open => "open",
        /// In a won stage.
        Won => "won",
        /// In a lost stage.
        Lost => "lost",
    }
}

text_enum! {
    /// How the lead reached us.
    LeadSource {
        /// Walked into a branch.
        WalkIn => "walk_in",
        /// Phoned.
        Phone => "phone",
        /// WhatsApp.
        Whatsapp => "whatsapp",
        /// Instagram.
        Instagram => "instagram",
        /// A website form.
        Website => "website",
        /// Referred by someone.
        Referral => "referral",
        /// At an event.
        Event => "event",
        /// Pushed by the ERP.
        Erp => "erp",
        /// Anything else.
        Other => "other",
    }
}

impl From<StageKind> for LeadStatus {
    fn from(kind: StageKind) -> Self {
        match kind {
            StageKind::Open => LeadStatus::Open,
            StageKind::Won => LeadStatus::Won,
            StageKind::Lost => LeadStatus::Lost,
        }
    }
}

text_enum! {
    /// How an assignment rule picks the owner of a lead it routes.
    AssignmentMode {
        /// Always the rule's named rep.
        Named => "named",
        /// The rule's members in turn.
        RoundRobin => "round_robin",
        /// The member with the fewest open leads (ties: the first listed).
        FewestOpen => "fewest_open",
    }
}
