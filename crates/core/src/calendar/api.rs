//! Request and response types for calendars.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::page::{Direction, SortKey};

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    const ALL: [Self; 7] =
        [Self::Monday, Self::Tuesday, Self::Wednesday, Self::Thursday, Self::Friday, Self::Saturday, Self::Sunday];

    /// ISO number: Monday 1 … Sunday 7.
    pub fn number(self) -> i32 {
        self as i32 + 1
    }

    /// From the ISO number.
    pub fn from_number(n: i32) -> Option<Self> {
        usize::try_from(n - 1).ok().and_then(|i| Self::ALL.get(i).copied())
    }
}

/// One span of working time on a weekday, in the calendar's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingWindow {
    /// The weekday.
    pub weekday: Weekday,
    /// Start, `HH:MM` (24-hour clock).
    #[schema(example = "08:00")]
    pub start: String,
    /// End, `HH:MM`, after `start`; `24:00` means midnight at the end of the day.
    #[schema(example = "17:00")]
    pub end: String,
}

/// A public holiday: no working time that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// The date, in the calendar's time zone.
    #[schema(example = "2026-10-01")]
    pub date: NaiveDate,
    /// What it is.
    #[schema(example = "Independence Day")]
    pub name: String,
}

/// A new calendar.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Lagos branches",
    "time_zone": "Africa/Lagos",
    "working_hours": [
        {"weekday": "monday", "start": "08:00", "end": "17:00"},
        {"weekday": "saturday", "start": "09:00", "end": "13:00"}
    ],
    "holidays": [{"date": "2026-10-01", "name": "Independence Day"}]
}))]
pub struct CreateCalendar {
    /// Unique name (case-insensitive), at most 100 characters.
    pub name: String,
    /// IANA time zone, e.g. `Africa/Lagos`.
    pub time_zone: String,
    /// A calendar whose holidays (and, through it, its own parent's) also apply here.
    #[serde(default)]
    pub holidays_from_id: Option<String>,
    /// Working windows; windows on the same weekday must not overlap. May be
    /// empty for a calendar that only carries holidays.
    #[serde(default)]
    pub working_hours: Vec<WorkingWindow>,
    /// This calendar's own holidays, one per date.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// Changes to a calendar; absent fields stay as they are. `working_hours` and
/// `holidays`, when present, replace the whole list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCalendar {
    /// New name.
    pub name: Option<String>,
    /// New IANA time zone.
    pub time_zone: Option<String>,
    /// New holiday source; `null` stops inheriting.
    #[serde(default, deserialize_with = "crate::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub holidays_from_id: Option<Option<String>>,
    /// Replaces all working windows.
    pub working_hours: Option<Vec<WorkingWindow>>,
    /// Replaces all of this calendar's own holidays.
    pub holidays: Option<Vec<Holiday>>,
    /// `true` archives, `false` restores.
    pub archived: Option<bool>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CalendarResponse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// The calendar whose holidays also apply here.
    pub holidays_from_id: Option<String>,
    /// Working windows, by weekday then start.
    pub working_hours: Vec<WorkingWindow>,
    /// This calendar's own holidays, by date.
    pub holidays: Vec<Holiday>,
    /// Holidays that apply through `holidays_from_id` (and its own parents), by date.
    pub inherited_holidays: Vec<Holiday>,
    /// When it was archived; archived calendars are hidden from lists by default.
    pub archived_at: Option<DateTime<Utc>>,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing calendars.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `name`, `created_at` or `updated_at`; prefix `-` for descending. Default `name`.
    pub sort: Option<String>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    /// Exact IANA time zone.
    pub time_zone: Option<String>,
    /// Only calendars changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Include archived calendars (default false).
    pub include_archived: Option<bool>,
}

/// Sort keys for calendars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarSort {
    /// By name.
    Name,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for CalendarSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("name", Self::Name), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Name, Direction::Asc);
}
