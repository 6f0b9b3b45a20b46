//! What the demo tickets say: subjects and descriptions per category, and
//! the replies, notes and survey comments of their threads. `{v}` stands
//! for the vehicle ("Toyota Corolla LAG 123 AE") or "my vehicle".

use super::story::Dice;
use crate::kinds::CategoryKind;

/// (subject, description) per category kind.
fn cases(kind: CategoryKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        CategoryKind::ServiceBooking => &[
            ("Book the 10,000 km service", "Would like to book the routine service for {v} next week."),
            ("Service reminder: booking", "Got the service reminder on WhatsApp; please book {v} for a Saturday."),
            ("Oil change and inspection", "Please book {v} for an oil change and general inspection."),
            ("Pre-trip inspection", "Travelling to Abuja by road; wants {v} checked before the trip."),
        ],
        CategoryKind::AfterSales => &[
            ("Air conditioning not cooling", "The AC in {v} blows warm air after a few minutes."),
            ("Brake noise", "Squealing from the front brakes of {v} when stopping."),
            ("Warning light on dashboard", "Check-engine light came on in {v}; still drives normally."),
            ("Battery keeps draining", "{v} will not start in the morning; battery replaced in March."),
            ("Rattle from the dashboard", "A rattle from the passenger side of the dashboard in {v}."),
            ("Spare part availability", "Needs a replacement side mirror for {v}; is it in stock?"),
        ],
        CategoryKind::Complaint => &[
            ("Vehicle not ready as promised", "{v} was promised for Tuesday and is still not ready."),
            ("Same fault after repair", "The fault on {v} came back two days after it was repaired."),
            ("Rude service advisor", "Unhappy with how I was spoken to when I collected {v}."),
            ("Scratch after service", "Found a scratch on the rear door of {v} after the last service."),
        ],
        CategoryKind::Billing => &[
            ("Invoice query", "The invoice for {v}'s last service lists parts that were not replaced."),
            ("Warranty coverage of repair", "Was charged for a repair on {v} that should be under warranty."),
            ("Payment not reflected", "Paid by transfer for {v}'s service; the receipt still shows unpaid."),
            ("Request for proforma invoice", "The company needs a proforma invoice for {v}'s next service."),
        ],
        CategoryKind::General => &[
            ("Opening hours on public holidays", "Is the Ikeja workshop open on the Eid holiday?"),
            ("Change of phone number", "Please update my phone number on the account."),
            ("Vehicle documents", "Where do I collect the registration papers for {v}?"),
        ],
        CategoryKind::Sales => &[
            ("Trade-in value", "Would like a trade-in offer for {v} against a new Hilux."),
            ("Fleet quotation", "Our company wants a quotation for three more vehicles."),
        ],
    }
}

/// A subject and description for a ticket of `kind` about `vehicle`.
pub(crate) fn case(dice: &mut Dice, kind: CategoryKind, vehicle: Option<&str>) -> (String, String) {
    let options = cases(kind);
    let (subject, description) = options[dice.index(options.len())];
    (subject.to_owned(), description.replace("{v}", vehicle.unwrap_or("my vehicle")))
}

const FIRST_REPLIES: &[&str] = &[
    "Thank you for contacting Motors Ikeja. We have logged your request and will get back to you shortly.",
    "Good day, thank you for reaching out. Could you send a photo of the issue and your preferred date?",
    "Thanks for your message. Please confirm the current mileage so we can prepare the right parts.",
    "We are sorry for the inconvenience. A service advisor is looking into this now.",
];
const ANSWERS: &[&str] = &[
    "Thank you, we have what we need. We will update you once the workshop has checked it.",
    "Noted. The parts have been ordered; we expect them within two working days.",
    "Thanks. The technician will call you to agree a time to bring the vehicle in.",
];
const DONE: &[&str] = &[
    "Your vehicle is ready for collection. Thank you for choosing Motors Ikeja.",
    "The issue has been fixed and tested on the road. Please let us know if it comes back.",
    "You are booked in; the advisor will meet you at reception. We will close this ticket now.",
    "The corrected invoice has been sent to your e-mail address.",
];
const CUSTOMER: &[&str] = &[
    "Thank you. The photos are attached; Thursday morning works for me.",
    "Mileage is about 42,000 km. Please call before 2pm.",
    "Any update? I need the car by the weekend.",
    "The noise is back since yesterday, please check again.",
];
const NOTES: &[&str] = &[
    "Parts requested from the central warehouse (Apapa).",
    "Customer is a fleet account; keep the fleet manager in copy.",
    "Checked the service history: last visit eight months ago.",
    "Escalated to the workshop supervisor for a second opinion.",
];
const SURVEY_COMMENTS: [&[&str]; 5] = [
    &["Still not fixed.", "Nobody called me back."],
    &["Took too long.", "Had to chase several times."],
    &["Okay, but slow.", ""],
    &["Good service.", "Fixed, thank you."],
    &["Excellent, very professional!", "Quick and friendly, thanks."],
];

/// The first public reply.
pub(crate) fn first_reply(dice: &mut Dice) -> &'static str {
    FIRST_REPLIES[dice.index(FIRST_REPLIES.len())]
}

/// A later reply that answers the customer.
pub(crate) fn answer(dice: &mut Dice) -> &'static str {
    ANSWERS[dice.index(ANSWERS.len())]
}

/// The reply that resolves the case.
pub(crate) fn done(dice: &mut Dice) -> &'static str {
    DONE[dice.index(DONE.len())]
}

/// A customer's message.
pub(crate) fn customer(dice: &mut Dice, reopening: bool) -> &'static str {
    if reopening { CUSTOMER[3] } else { CUSTOMER[dice.index(3)] }
}

/// An internal note.
pub(crate) fn note(dice: &mut Dice) -> &'static str {
    NOTES[dice.index(NOTES.len())]
}

/// A survey comment for `rating` (1-5), or none.
pub(crate) fn survey_comment(dice: &mut Dice, rating: i32) -> Option<&'static str> {
    let options = SURVEY_COMMENTS[usize::try_from(rating - 1).unwrap_or(0).min(4)];
    Some(options[dice.index(options.len())]).filter(|c| !c.is_empty() && dice.chance(60))
}
