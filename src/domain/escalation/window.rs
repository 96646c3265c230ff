//! `[window]`: when mail may go out (working days only, make-up days included, between two local
//! times). The caller checks it: outside it nothing is worked out. Pure: the calendar decides
//! what a working day is.

use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;

/// `[window]`: when mail may go out (working days only, make-up days included).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Start, local time `HH:MM`.
    #[serde(with = "hhmm")]
    pub from: NaiveTime,
    /// End (exclusive), local time `HH:MM`.
    #[serde(with = "hhmm")]
    pub to: NaiveTime,
    /// Every day, rest days too (for development); default working days only.
    pub every_day: bool,
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        NaiveTime::parse_from_str(&s, "%H:%M").map_err(|_| {
            serde::de::Error::custom(format!(
                "\"{s}\" is not a time of day; write HH:MM, e.g. \"08:30\""
            ))
        })
    }

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }
}

impl Window {
    /// Whether mail may go out at local time `now`: a working day of `cal` (a make-up Saturday
    /// is one), between `from` and `to`. A day the calendar does not cover counts by weekday.
    pub fn is_open(&self, cal: &Calendar, now: NaiveDateTime) -> bool {
        let time = now.time();
        let working = cal
            .is_working_day(now.date())
            .is_ok_and(|w| w.into_parts().0);
        (working || self.every_day) && self.from <= time && time < self.to
    }
}
