//! The national calendars built into the binary, so that a bare `duewatch calendar due ...`
//! works anywhere. They are the files in `config/calendars/`, produced by duewatch's own
//! importer from holiday-cn's data (`tests/data/holiday-cn/`, checked by a test that re-imports
//! them). Files in the configured calendar directory add years or replace these.

use super::data::{NationalYear, Source};
use super::file::{FileErrors, parse_year};

/// Each shipped year and its file text.
pub const FILES: &[(i32, &str)] = &[
    (2019, include_str!("../../config/calendars/2019.toml")),
    (2020, include_str!("../../config/calendars/2020.toml")),
    (2021, include_str!("../../config/calendars/2021.toml")),
    (2022, include_str!("../../config/calendars/2022.toml")),
    (2023, include_str!("../../config/calendars/2023.toml")),
    (2024, include_str!("../../config/calendars/2024.toml")),
    (2025, include_str!("../../config/calendars/2025.toml")),
    (2026, include_str!("../../config/calendars/2026.toml")),
];

/// The shipped years, parsed.
///
/// # Errors
/// Only if a shipped file is broken, which a test rules out; reported rather than panicking.
pub fn years() -> Result<Vec<NationalYear>, FileErrors> {
    FILES
        .iter()
        .map(|(year, text)| {
            parse_year(
                text,
                &Source::Shipped,
                &format!("shipped:{year}.toml"),
                Some(*year),
            )
        })
        .collect()
}
