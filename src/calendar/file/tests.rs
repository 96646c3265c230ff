//! The calendar files' parser: good files, and each mistake named with its file:line.

use super::*;

const GOOD: &str = r#"year = 2026

[[notices]]
title = "国务院办公厅关于2026年部分节假日安排的通知"

[[holidays]]
name = "国庆节"
rest = ["2026-10-01..2026-10-07"]
work = ["2026-09-20", "2026-10-10"]
"#;

fn year_errors(text: &str, expected: Option<i32>) -> Vec<FileError> {
    parse_year(text, &Source::Shipped, "2026.toml", expected)
        .expect_err("the file is bad")
        .0
}

#[test]
fn a_good_year_file_reads_like_the_notice() {
    let year = parse_year(GOOD, &Source::Shipped, "2026.toml", Some(2026)).unwrap();
    assert_eq!(year.year, 2026);
    assert_eq!(year.days.len(), 9);
    assert_eq!(
        year.notices[0].title.as_deref(),
        Some("国务院办公厅关于2026年部分节假日安排的通知")
    );
    let holidays = year.holidays();
    assert_eq!(holidays[0].0, "国庆节");
    assert_eq!(holidays[0].1.len(), 7);
    assert_eq!(holidays[0].2.len(), 2);
}

/// Each validation rule: the file, the line it must name, and words the message must carry.
#[test]
fn each_bad_year_file_is_refused_with_its_line_and_what_to_do() {
    let table: &[(&str, &str, usize, &str)] = &[
        (
            "a date given two meanings",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrest = [\"2026-10-01\"]\n[[holidays]]\nname = \"B\"\nwork = [\"2026-10-03\"]\nrest = [\"2026-10-01\"]\n",
            10,
            "2026-10-01 is given twice: a rest day of A (line 6)",
        ),
        (
            "a make-up working day on a weekday",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nwork = [\"2026-10-08\"]\n",
            6,
            "must be a Saturday or Sunday",
        ),
        (
            "a date outside the file's year",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrest = [\"2027-01-01\"]\n",
            6,
            "2027-01-01 is outside 2026",
        ),
        (
            "a date in November of the year before",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrest = [\"2025-11-30\"]\n",
            6,
            "2025-11-30 is outside 2026",
        ),
        (
            "an unknown key",
            "year = 2026\nyaer = 2026\n[[notices]]\nurl = \"u\"\n",
            2,
            "unknown field `yaer`",
        ),
        (
            "an unknown key in a holiday",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrests = [\"2026-10-01\"]\n",
            6,
            "unknown field `rests`",
        ),
        (
            "an impossible date",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrest = [\"2026-02-30\"]\n",
            6,
            "2026-02-30 does not exist",
        ),
        (
            "a date not written YYYY-MM-DD",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrest = [\"2026/10/01\"]\n",
            6,
            "not a date of the form YYYY-MM-DD",
        ),
        (
            "a reversed range",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrest = [\"2026-10-07..2026-10-01\"]\n",
            6,
            "ends before it starts",
        ),
        (
            "a range of months",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrest = [\"2026-01-01..2026-12-31\"]\n",
            6,
            "the range covers 365 days",
        ),
        (
            "an unquoted date",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\nrest = [2026-10-01]\n",
            6,
            "",
        ),
        (
            "no notice",
            "year = 2026\n[[holidays]]\nname = \"A\"\nrest = [\"2026-10-01\"]\n",
            1,
            "cites no State Council notice",
        ),
        (
            "an empty notice",
            "year = 2026\n[[notices]]\ntitle = \"\"\n[[holidays]]\nname = \"A\"\nrest = [\"2026-10-01\"]\n",
            2,
            "no title, number or url",
        ),
        (
            "no holidays",
            "year = 2026\n[[notices]]\nurl = \"u\"\n",
            1,
            "names no holidays",
        ),
        (
            "an empty holiday name",
            "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \" \"\nrest = [\"2026-10-01\"]\n",
            5,
            "empty name",
        ),
        ("broken TOML", "year = 2026\n[[notices]\n", 2, ""),
        (
            "a year out of range",
            "year = 1900\n",
            1,
            "year 1900 is out of range",
        ),
    ];
    for (what, text, line, words) in table {
        let errors = year_errors(text, None);
        let first = &errors[0];
        assert_eq!(first.line, *line, "{what}: {first}");
        assert!(first.message.contains(words), "{what}: {first}");
        assert!(!first.help.is_empty(), "{what}: no help in {first}");
        assert!(
            first.to_string().starts_with(&format!("2026.toml:{line}:")),
            "{what}: {first}"
        );
    }
}

#[test]
fn a_year_that_disagrees_with_the_file_name_is_refused() {
    let errors = year_errors(GOOD, Some(2027));
    assert!(
        errors[0].message.contains("its name says 2027"),
        "{}",
        errors[0]
    );
}

#[test]
fn late_december_of_the_year_before_is_allowed() {
    let text = "year = 2019\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"元旦\"\n\
                rest = [\"2018-12-30..2019-01-01\"]\nwork = [\"2018-12-29\"]\n";
    let year = parse_year(text, &Source::Shipped, "2019.toml", Some(2019)).unwrap();
    assert_eq!(year.days.len(), 4);
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let text = "year = 2026\n[[notices]]\nurl = \"u\"\n[[holidays]]\nname = \"A\"\n\
                rest = [\"2026-02-30\", \"2027-01-01\"]\nwork = [\"2026-10-08\"]\n";
    assert_eq!(year_errors(text, None).len(), 3);
}

#[test]
fn bad_overlays_are_refused_with_their_line() {
    let table: &[(&str, &str, usize, &str)] = &[
        (
            "an empty reason",
            "[[closures]]\ndates = \"2026-09-24\"\nreason = \"\"\n",
            3,
            "reason is empty",
        ),
        (
            "a date closed and reopened",
            "[[closures]]\ndates = \"2026-09-24\"\nreason = \"r\"\n[[reopenings]]\ndates = \"2026-09-20..2026-09-24\"\nreason = \"r\"\n",
            5,
            "2026-09-24 is given twice (first on line 2)",
        ),
        (
            "an impossible date",
            "[[closures]]\ndates = \"2026-13-01\"\nreason = \"r\"\n",
            2,
            "does not exist",
        ),
        (
            "a missing reason",
            "[[closures]]\ndates = \"2026-09-24\"\n",
            1,
            "missing field `reason`",
        ),
        (
            "an unknown key",
            "[[closure]]\ndates = \"2026-09-24\"\nreason = \"r\"\n",
            1,
            "unknown field `closure`",
        ),
        (
            "a date beyond the range",
            "[[closures]]\ndates = \"2100-01-01\"\nreason = \"r\"\n",
            2,
            "outside the dates",
        ),
    ];
    for (what, text, line, words) in table {
        let errors = parse_overlay(text, &Source::Shipped, "local.toml")
            .expect_err(what)
            .0;
        assert_eq!(errors[0].line, *line, "{what}: {}", errors[0]);
        assert!(errors[0].message.contains(words), "{what}: {}", errors[0]);
    }
}

#[test]
fn line_and_column_count_characters_not_bytes() {
    assert_eq!(line_and_column("a\n春节x", 8), (2, 3));
    assert_eq!(line_and_column("abc", 0), (1, 1));
}
