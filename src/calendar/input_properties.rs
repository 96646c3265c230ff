//! Property tests of the calendar's input parsers (year files, the local overlay, the holiday-cn
//! importer) on hostile input: arbitrary text, arbitrary bytes, and valid-ish files built from
//! parts and then mutated (bytes cut, junk inserted, the text truncated). Each must return
//! without panicking and within a bound, and what it accepts must obey the file rules.
//!
//! 256 cases per property by default; `PROPTEST_CASES=100000 cargo test --lib input_properties`
//! runs a long session (RELIABILITY.md records the runs).

use std::collections::HashSet;
use std::time::Duration;

use chrono::{Datelike, Weekday};
use proptest::prelude::*;

use super::data::{Declared, Source};
use super::file::{FileError, parse_overlay, parse_year};
use super::holiday_cn::{Input, import};
use super::{FIRST_DAY, LAST_DAY};

/// The most one parse may take; far above what any input here needs (well under a millisecond).
const BOUND: Duration = Duration::from_secs(10);

/// Runs `f` on its own thread and fails the case if it does not return within [`BOUND`] (a hang
/// would otherwise stop the run instead of failing it). A panic in `f` fails the case too.
pub(crate) fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = send.send(f());
    });
    match receive.recv_timeout(BOUND) {
        Ok(value) => value,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the parser took more than {BOUND:?}: a hang")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            let panic = worker
                .join()
                .expect_err("the worker ended without an answer");
            std::panic::resume_unwind(panic)
        }
    }
}

/// Cuts, inserts and truncates at character positions chosen by `edits`.
pub(crate) fn mutate(text: &str, edits: &[(usize, u8, String)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, op, junk) in edits {
        let at = if chars.is_empty() {
            0
        } else {
            at % (chars.len() + 1)
        };
        match op % 4 {
            0 => {
                let end = (at + junk.chars().count().max(1)).min(chars.len());
                chars.drain(at..end);
            }
            1 => {
                chars.splice(at..at, junk.chars());
            }
            2 => chars.truncate(at),
            _ => {
                // Repeat a slice: duplicated keys, entries, lines.
                let end = (at + 40).min(chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
        }
    }
    chars.into_iter().collect()
}

pub(crate) fn edits() -> impl Strategy<Value = Vec<(usize, u8, String)>> {
    prop::collection::vec((any::<usize>(), any::<u8>(), junk()), 0..4)
}

/// Short text that is likely to matter to a parser: quotes, brackets, separators, digits,
/// line breaks, CJK, control characters, and anything else.
fn junk() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\"'\\[\\]{}=,.:\\-/0-9\r\n\t 年月日元旦]{0,12}",
        any::<String>(),
        Just("\u{0}".to_owned()),
        Just("..".to_owned()),
    ]
}

/// A date, a range, or something that looks like one.
fn date_text() -> impl Strategy<Value = String> {
    let ymd = (1999_i32..2102, 0_u32..14, 0_u32..33)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
    prop_oneof![
        4 => ymd.clone(),
        3 => (ymd.clone(), ymd).prop_map(|(a, b)| format!("{a}..{b}")),
        1 => "[0-9./\\- ]{0,24}",
        1 => any::<String>(),
    ]
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn year_file() -> impl Strategy<Value = (Option<i32>, String)> {
    let notice = (
        prop::option::of(any::<String>()),
        prop::option::of("[a-z:/.]{0,20}"),
    );
    let holiday = (
        prop_oneof![
            Just("元旦".to_owned()),
            Just("国庆节".to_owned()),
            any::<String>()
        ],
        prop::collection::vec(date_text(), 0..4),
        prop::collection::vec(date_text(), 0..3),
    );
    (
        prop_oneof![4 => 2018_i64..2030, 1 => any::<i64>()],
        prop::option::of(2018_i32..2030),
        prop::collection::vec(notice, 0..3),
        prop::collection::vec(holiday, 0..5),
        edits(),
    )
        .prop_map(|(year, expected, notices, holidays, edits)| {
            let mut text = format!("year = {year}\n");
            for (title, url) in notices {
                text.push_str("\n[[notices]]\n");
                if let Some(t) = title {
                    text.push_str(&format!("title = {}\n", quoted(&t)));
                }
                if let Some(u) = url {
                    text.push_str(&format!("url = {}\n", quoted(&u)));
                }
            }
            for (name, rest, work) in holidays {
                let list =
                    |v: &[String]| v.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(", ");
                text.push_str(&format!(
                    "\n[[holidays]]\nname = {}\nrest = [{}]\nwork = [{}]\n",
                    quoted(&name),
                    list(&rest),
                    list(&work)
                ));
            }
            (expected, mutate(&text, &edits))
        })
}

fn overlay_file() -> impl Strategy<Value = String> {
    let entry = (
        any::<bool>(),
        date_text(),
        prop_oneof![Just("台风停工".to_owned()), any::<String>()],
    );
    (prop::collection::vec(entry, 0..5), edits()).prop_map(|(entries, edits)| {
        let mut text = String::new();
        for (closure, dates, reason) in entries {
            text.push_str(if closure {
                "[[closures]]\n"
            } else {
                "[[reopenings]]\n"
            });
            text.push_str(&format!(
                "dates = {}\nreason = {}\n",
                quoted(&dates),
                quoted(&reason)
            ));
        }
        mutate(&text, &edits)
    })
}

/// Every reported problem points into the file and says what to do.
fn well_placed(text: &str, errors: &[FileError]) -> Result<(), TestCaseError> {
    let lines = text.split('\n').count();
    prop_assert!(!errors.is_empty());
    for e in errors {
        prop_assert!(
            e.line >= 1 && e.line <= lines.max(1),
            "{e} (the file has {lines} lines)"
        );
        prop_assert!(e.column >= 1, "{e}");
        prop_assert!(!e.message.is_empty(), "{e}");
        prop_assert!(!e.help.is_empty(), "{e}");
    }
    Ok(())
}

/// A year file's rules hold for what `parse_year` accepted.
fn check_year(text: String, expected: Option<i32>) -> Result<(), TestCaseError> {
    let shown = text.clone();
    let result = bounded(move || parse_year(&text, &Source::Shipped, "2026.toml", expected));
    match result {
        Ok(year) => {
            if let Some(expected) = expected {
                prop_assert_eq!(year.year, expected);
            }
            prop_assert!(!year.notices.is_empty());
            let mut seen = HashSet::new();
            for day in &year.days {
                let d = day.date;
                prop_assert!(
                    d.year() == year.year || (d.year() == year.year - 1 && d.month() == 12),
                    "{d} accepted in a {} file",
                    year.year
                );
                if day.declared == Declared::Work {
                    prop_assert!(matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "{d}");
                }
                prop_assert!(seen.insert(d), "{d} twice");
            }
        }
        Err(errors) => well_placed(&shown, &errors.0)?,
    }
    Ok(())
}

fn check_overlay(text: String) -> Result<(), TestCaseError> {
    let shown = text.clone();
    let result = bounded(move || parse_overlay(&text, &Source::Shipped, "local.toml"));
    match result {
        Ok(overlay) => {
            let mut seen = HashSet::new();
            for day in &overlay.days {
                prop_assert!(
                    day.date >= FIRST_DAY && day.date <= LAST_DAY,
                    "{}",
                    day.date
                );
                prop_assert!(!day.reason.trim().is_empty());
                prop_assert!(seen.insert(day.date), "{} twice", day.date);
            }
        }
        Err(errors) => well_placed(&shown, &errors.0)?,
    }
    Ok(())
}

/// A holiday-cn file built from parts, as JSON.
fn holiday_cn_file() -> impl Strategy<Value = String> {
    let day = (
        prop_oneof![
            Just("元旦".to_owned()),
            Just("春节".to_owned()),
            any::<String>()
        ],
        date_text(),
        any::<bool>(),
    );
    (
        prop_oneof![4 => (2018_i64..2030).prop_map(serde_json::Value::from), 1 => any::<i64>().prop_map(serde_json::Value::from), 1 => any::<String>().prop_map(serde_json::Value::from)],
        prop::collection::vec("[a-z:/.]{0,20}", 0..3),
        prop::collection::vec(day, 0..12),
        edits(),
    )
        .prop_map(|(year, papers, days, edits)| {
            let days: Vec<serde_json::Value> = days
                .into_iter()
                .map(|(name, date, off)| serde_json::json!({"name": name, "date": date, "isOffDay": off}))
                .collect();
            let text = serde_json::json!({"year": year, "papers": papers, "days": days}).to_string();
            mutate(&text, &edits)
        })
}

/// What the importer writes is a year file the loader accepts; what it refuses is placed.
fn check_import(texts: Vec<String>) -> Result<(), TestCaseError> {
    let shown = texts.clone();
    let result = bounded(move || {
        let names: Vec<String> = (0..texts.len()).map(|i| format!("{i}.json")).collect();
        let inputs: Vec<Input<'_>> = texts
            .iter()
            .zip(&names)
            .map(|(text, name)| Input {
                origin: name,
                file_name: name,
                text,
            })
            .collect();
        import(&inputs)
    });
    match result {
        Ok(imported) => {
            for (year, text) in &imported.years {
                let parsed = parse_year(text, &Source::Shipped, "imported", Some(*year));
                prop_assert!(parsed.is_ok(), "{parsed:?}\n{text}");
            }
        }
        Err(errors) => {
            prop_assert!(!errors.is_empty());
            for e in &errors {
                // A file the importer made itself and then refused would be its own bug.
                prop_assert!(!e.origin.ends_with("(as imported)"), "{e}");
                prop_assert!(
                    e.line >= 1 && !e.message.is_empty() && !e.help.is_empty(),
                    "{e}"
                );
                if let Some(i) = e
                    .origin
                    .strip_suffix(".json")
                    .and_then(|i| i.parse::<usize>().ok())
                {
                    let lines = shown[i].split('\n').count();
                    prop_assert!(e.line <= lines, "{e} (the file has {lines} lines)");
                }
            }
        }
    }
    Ok(())
}

const SHIPPED_2026: &str = include_str!("../../config/calendars/2026.toml");
const HOLIDAY_CN_2026: &str = include_str!("../../tests/data/holiday-cn/2026.json");
const HOLIDAY_CN_2019: &str = include_str!("../../tests/data/holiday-cn/2019.json");

proptest! {
    #[test]
    fn a_year_file_of_arbitrary_text_never_panics(text in any::<String>(), expected in prop::option::of(2018_i32..2030)) {
        check_year(text, expected)?;
    }

    #[test]
    fn a_year_file_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_year(String::from_utf8_lossy(&bytes).into_owned(), None)?;
    }

    #[test]
    fn a_year_file_built_from_parts_and_mutated_obeys_the_rules_or_is_refused_in_place((expected, text) in year_file()) {
        check_year(text, expected)?;
    }

    #[test]
    fn the_shipped_2026_file_mutated_obeys_the_rules_or_is_refused_in_place(edits in edits()) {
        check_year(mutate(SHIPPED_2026, &edits), Some(2026))?;
    }

    #[test]
    fn a_local_overlay_of_arbitrary_text_never_panics(text in any::<String>()) {
        check_overlay(text)?;
    }

    #[test]
    fn a_local_overlay_built_from_parts_and_mutated_obeys_the_rules_or_is_refused_in_place(text in overlay_file()) {
        check_overlay(text)?;
    }

    #[test]
    fn a_holiday_cn_import_of_arbitrary_text_never_panics(texts in prop::collection::vec(any::<String>(), 1..3)) {
        check_import(texts)?;
    }

    #[test]
    fn a_holiday_cn_import_of_files_built_from_parts_and_mutated_writes_only_loadable_files(texts in prop::collection::vec(holiday_cn_file(), 1..4)) {
        check_import(texts)?;
    }

    #[test]
    fn the_real_holiday_cn_files_mutated_write_only_loadable_files(a in edits(), b in edits()) {
        check_import(vec![mutate(HOLIDAY_CN_2026, &a), mutate(HOLIDAY_CN_2019, &b)])?;
    }
}

#[test]
fn the_mutations_do_change_the_files() {
    // The generators above are only worth their cases if the edits reach the parsers' errors.
    // Unmutated, the seeds are good files, so mutations start from the accepting paths.
    assert!(parse_year(SHIPPED_2026, &Source::Shipped, "2026.toml", Some(2026)).is_ok());
    let seeds = [
        Input {
            origin: "2026.json",
            file_name: "2026.json",
            text: HOLIDAY_CN_2026,
        },
        Input {
            origin: "2019.json",
            file_name: "2019.json",
            text: HOLIDAY_CN_2019,
        },
    ];
    assert!(import(&seeds).is_ok());
    let cut = mutate(SHIPPED_2026, &[(3, 2, String::new())]);
    assert_eq!(cut, "# N");
    assert!(parse_year(&cut, &Source::Shipped, "2026.toml", Some(2026)).is_err());
    let inserted = mutate("abc", &[(1, 1, "X".to_owned())]);
    assert_eq!(inserted, "aXbc");
}
