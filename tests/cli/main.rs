//! Tests of what administrators see: the `duewatch` binary, run as a user would run it.

#[macro_use]
mod helpers;
mod access;
mod accounts;
mod accounts_store;
mod actor;
mod annual;
mod api_write;
mod bad_input;
mod browser;
mod browser_acts;
mod case;
mod channels;
mod chat;
mod config;
mod console;
mod daemon;
mod faults;
mod feeds;
mod jobs;
mod ladder;
mod lines_store;
mod mail;
mod recording;
mod report;
mod report_reads;
mod security;
mod smtp;
mod source;
mod statutory;
mod upgrade;
mod web;
mod web_case;
mod web_pages;
mod wedge;

use helpers::{Setup, YEAR_2027, duewatch, holiday_cn};
use predicates::prelude::*;
use predicates::str::contains;

#[test]
fn calendar_due_prints_the_deadline_alone() {
    let s = Setup::new();
    s.duewatch(&["calendar", "due", "2026-11-27", "5"])
        .assert()
        .success()
        .stdout("2026-12-04\n")
        .stderr("");
    s.duewatch(&["calendar", "due", "2026-11-29", "5"])
        .assert()
        .success()
        .stdout("2026-12-04\n");
}

#[test]
fn a_provisional_deadline_says_which_year_is_not_covered() {
    let s = Setup::new();
    s.duewatch(&["calendar", "due", "2026-12-25", "10"])
        .assert()
        .success()
        .stdout("2027-01-08\n")
        .stderr(contains("provisional: 2027 is not covered"));
}

#[test]
fn a_year_file_in_the_calendar_directory_covers_a_new_year() {
    let s = Setup::new();
    s.write_calendar("2027.toml", YEAR_2027);
    // 2027-01-01 is now a rest day of 元旦 (and 01-02, 01-03 a weekend): one day later than
    // the weekends-only answer, and certain.
    s.duewatch(&["calendar", "due", "2026-12-25", "10"])
        .assert()
        .success()
        .stdout("2027-01-11\n")
        .stderr("");
}

#[test]
fn a_year_file_in_the_directory_replaces_the_shipped_one() {
    let s = Setup::new();
    let replaced = "year = 2026\n[[notices]]\nnumber = \"test\"\n[[holidays]]\nname = \"X\"\n\
                    rest = [\"2026-11-30\"]\n";
    s.write_calendar("2026.toml", replaced);
    // With the replacement, National Day is an ordinary week and 11-30 a rest day.
    s.duewatch(&["calendar", "due", "2026-09-30", "1"])
        .assert()
        .success()
        .stdout("2026-10-01\n");
    s.duewatch(&["calendar", "due", "2026-11-27", "1"])
        .assert()
        .success()
        .stdout("2026-12-01\n");
}

#[test]
fn the_local_overlay_closes_and_reopens_days() {
    let s = Setup::new();
    s.write_calendar(
        "local.toml",
        "[[closures]]\ndates = \"2026-12-01..2026-12-02\"\nreason = \"台风停工\"\n\n\
         [[reopenings]]\ndates = \"2026-12-05\"\nreason = \"补办积压申请\"\n",
    );
    // Mon 11-30 (1), 12-01 and 12-02 closed, Thu 12-03 (2), Fri 12-04 (3), Sat 12-05 reopened (4).
    s.duewatch(&["calendar", "due", "2026-11-27", "4"])
        .assert()
        .success()
        .stdout("2026-12-05\n");
    s.duewatch(&["calendar", "explain", "2026-11-27", "4"])
        .assert()
        .success()
        .stdout(contains("2026-12-01 Tue  rest     local closure: 台风停工"))
        .stdout(contains(
            "2026-12-05 Sat  day 4    local reopening: 补办积压申请",
        ));
    s.duewatch(&["calendar", "show", "2026"])
        .assert()
        .success()
        .stdout(contains("2026-12-01 Tue  closed: 台风停工"));
}

#[test]
fn calendar_count_prints_working_days_after_from_up_to_to() {
    let s = Setup::new();
    // Oct 1-7 2026 are 国庆节; 10-08, 10-09 and the make-up Saturday 10-10 count.
    s.duewatch(&["calendar", "count", "2026-09-30", "2026-10-10"])
        .assert()
        .success()
        .stdout("3\n");
    s.duewatch(&["calendar", "count", "2026-10-10", "2026-09-30"])
        .assert()
        .success()
        .stdout("0\n");
}

#[test]
fn calendar_explain_shows_each_day_and_why() {
    let s = Setup::new();
    let expected = "\
2026-09-30 Wed  start: does not count
2026-10-01 Thu  rest     public holiday: 国庆节
2026-10-02 Fri  rest     public holiday: 国庆节
2026-10-03 Sat  rest     public holiday: 国庆节
2026-10-04 Sun  rest     public holiday: 国庆节
2026-10-05 Mon  rest     public holiday: 国庆节
2026-10-06 Tue  rest     public holiday: 国庆节
2026-10-07 Wed  rest     public holiday: 国庆节
2026-10-08 Thu  day 1    working day
2026-10-09 Fri  day 2    working day
2026-10-10 Sat  day 3    make-up working day for 国庆节
due 2026-10-10: the 3rd working day after 2026-09-30
";
    s.duewatch(&["calendar", "explain", "2026-09-30", "3"])
        .assert()
        .success()
        .stdout(expected);
    s.duewatch(&["calendar", "explain", "2026-12-30", "3"])
        .assert()
        .success()
        .stdout(contains(
            "2027-01-01 Fri  day 2    working day  (2027 not covered: weekends only)",
        ))
        .stdout(contains("(provisional)"));
}

#[test]
fn calendar_check_fails_from_november_while_next_year_is_missing() {
    let s = Setup::new();
    s.duewatch(&["calendar", "check", "--as-of", "2026-06-01"])
        .assert()
        .success()
        .stdout(contains("2026  shipped  notice: https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm"));
    s.duewatch(&["calendar", "check", "--as-of", "2026-11-01"])
        .assert()
        .code(1)
        .stderr(contains("error: 2027 is not covered"));
    s.write_calendar("2027.toml", YEAR_2027);
    s.duewatch(&["calendar", "check", "--as-of", "2026-11-01"])
        .assert()
        .success()
        .stdout(contains(format!(
            "2027  {}",
            s.calendars().join("2027.toml").display()
        )));
}

#[test]
fn calendar_check_fails_when_the_current_year_is_missing() {
    let s = Setup::new();
    s.duewatch(&["calendar", "check", "--as-of", "2027-03-01"])
        .assert()
        .code(1)
        .stderr(contains("error: 2027 is not covered"));
}

#[test]
fn calendar_show_lists_holidays_and_make_up_days() {
    let s = Setup::new();
    s.duewatch(&["calendar", "show", "2026"])
        .assert()
        .success()
        .stdout(contains("春节\n  rest (9 days): 2026-02-15 Sun to 2026-02-23 Mon\n  make-up working days: 2026-02-14 Sat, 2026-02-28 Sat"));
    s.duewatch(&["calendar", "show", "2027"])
        .assert()
        .code(1)
        .stderr(contains("2027 is not covered"));
}

#[test]
fn bad_arguments_get_a_clear_message_and_exit_2() {
    let s = Setup::new();
    let cases: &[(&[&str], &str)] = &[
        (
            &["calendar", "due", "2026-02-30", "5"],
            "2026-02-30 does not exist",
        ),
        (
            &["calendar", "due", "2026-11-27", "-1"],
            "a count of working days is a whole number",
        ),
        (&["calendar", "due", "2026-11-27", "five"], "not \"five\""),
        (
            &["calendar", "count", "27/11/2026", "2026-12-01"],
            "is not a date of the form YYYY-MM-DD",
        ),
        (
            &["calendar", "check", "--as-of", "2026-13-01"],
            "does not exist",
        ),
        (&["calendar", "frobnicate"], "unrecognized subcommand"),
        (&["calendar", "import", "x.json"], "--from"),
    ];
    for (args, words) in cases {
        s.duewatch(args).assert().code(2).stderr(contains(*words));
    }
}

#[test]
fn dates_beyond_the_counted_range_are_refused() {
    let s = Setup::new();
    s.duewatch(&["calendar", "due", "2099-12-30", "10"])
        .assert()
        .code(1)
        .stderr(contains("outside the dates duewatch counts on"));
}

#[test]
fn a_bad_calendar_file_stops_the_load_naming_file_and_line() {
    let s = Setup::new();
    s.write_calendar(
        "2027.toml",
        &YEAR_2027.replace(
            "[\"2027-01-01..2027-01-03\"]",
            "[\"2027-01-01..2027-01-03\"]\nwork = [\"2027-01-04\"]",
        ),
    );
    s.write_calendar(
        "local.toml",
        "[[closures]]\ndates = \"2026-02-30\"\nreason = \"x\"\n",
    );
    let path = s.calendars().join("2027.toml");
    s.duewatch(&["calendar", "due", "2026-11-27", "5"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("the calendar was not loaded (2 problems)"))
        .stderr(contains(format!(
            "{}:9:9: 2027-01-04 is a Mon",
            path.display()
        )))
        .stderr(contains("local.toml:2:9: 2026-02-30 does not exist"));
}

#[test]
fn an_unexpected_toml_file_in_the_calendar_directory_is_refused() {
    let s = Setup::new();
    s.write_calendar("holidays-2027.toml", YEAR_2027);
    s.write_calendar("README.txt", "not a calendar");
    s.duewatch(&["calendar", "due", "2026-11-27", "5"])
        .assert()
        .code(1)
        .stderr(contains("holidays-2027.toml: not a calendar file name"));
}

#[test]
fn import_writes_year_files_that_match_the_shipped_ones() {
    let s = Setup::new();
    let out = s.dir.path().join("imported");
    let inputs: Vec<String> = (2019..=2026)
        .map(|y| holiday_cn(&format!("{y}.json")).display().to_string())
        .collect();
    let mut args = vec![
        "calendar",
        "import",
        "--from",
        "holiday-cn",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(inputs.iter().map(String::as_str));
    s.duewatch(&args)
        .assert()
        .success()
        .stderr(contains("2020-02-03 (Mon) is marked a working day"));
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/calendars");
    for y in 2019..=2026 {
        let name = format!("{y}.toml");
        assert_eq!(
            std::fs::read_to_string(out.join(&name)).unwrap(),
            std::fs::read_to_string(shipped.join(&name)).unwrap(),
            "{name}"
        );
    }
    // Again: nothing changes.
    s.duewatch(&args)
        .assert()
        .success()
        .stdout(contains("2026.toml unchanged"));
}

#[test]
fn import_does_not_overwrite_an_edited_file_without_force() {
    let s = Setup::new();
    let out = s.calendars();
    std::fs::write(out.join("2026.toml"), "# edited by hand\n").unwrap();
    let input = holiday_cn("2026.json");
    let args = [
        "calendar",
        "import",
        "--from",
        "holiday-cn",
        input.to_str().unwrap(),
    ];
    s.duewatch(&args).assert().code(1).stderr(contains(
        "2026.toml exists with other content; nothing was written",
    ));
    assert_eq!(
        std::fs::read_to_string(out.join("2026.toml")).unwrap(),
        "# edited by hand\n"
    );
    let mut forced = args.to_vec();
    forced.insert(4, "--force");
    s.duewatch(&forced)
        .assert()
        .success()
        .stdout(contains("2026.toml written"));
    assert!(
        std::fs::read_to_string(out.join("2026.toml"))
            .unwrap()
            .contains("year = 2026")
    );
}

#[test]
fn import_of_an_unpublished_year_writes_nothing_and_a_bad_file_stops_all() {
    let s = Setup::new();
    let unpublished = s.dir.path().join("2027.json");
    std::fs::write(&unpublished, r#"{"year": 2027, "papers": [], "days": []}"#).unwrap();
    s.duewatch(&[
        "calendar",
        "import",
        "--from",
        "holiday-cn",
        unpublished.to_str().unwrap(),
    ])
    .assert()
    .success()
    .stderr(contains("the 2027 notice is not published"));
    assert!(!s.calendars().join("2027.toml").exists());

    let bad = s.dir.path().join("bad.json");
    std::fs::write(&bad, "{\"year\": 2025, \"papers\": [\"u\"],\n \"days\": 7}").unwrap();
    let good = holiday_cn("2026.json");
    s.duewatch(&[
        "calendar",
        "import",
        "--from",
        "holiday-cn",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ])
    .assert()
    .code(1)
    .stderr(contains("bad.json:2:"))
    .stderr(contains("nothing was written"));
    assert!(
        !s.calendars().join("2026.toml").exists(),
        "the good file was not written either"
    );
}

#[test]
fn an_unknown_config_key_is_refused_naming_it() {
    let s = Setup::new();
    s.write_config("[calendar]\ndirectory = \"/tmp\"\n");
    s.duewatch(&["calendar", "due", "2026-11-27", "5"])
        .assert()
        .code(1)
        .stderr(contains("unknown field `directory`"))
        .stderr(contains("remove the key or correct its spelling"));
}

#[test]
fn environment_variables_override_the_file_and_are_checked_too() {
    let s = Setup::new();
    let other = s.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("2027.toml"), YEAR_2027).unwrap();
    s.duewatch(&["calendar", "due", "2026-12-25", "10"])
        .env("DUEWATCH__CALENDAR__DIR", &other)
        .assert()
        .success()
        .stdout("2027-01-11\n");
    s.duewatch(&["calendar", "due", "2026-12-25", "10"])
        .env("DUEWATCH__CALENDAR__DIRR", &other)
        .assert()
        .code(1)
        .stderr(contains("unknown field `dirr`"));
}

#[test]
fn a_bad_time_zone_and_a_missing_config_file_are_named() {
    let s = Setup::new();
    s.write_config("timezone = \"Asia/Beijing\"\n");
    s.duewatch(&["calendar", "check"])
        .assert()
        .code(1)
        .stderr(contains("unknown time zone \"Asia/Beijing\""));
    duewatch()
        .args([
            "--config",
            "/nonexistent/duewatch.toml",
            "calendar",
            "due",
            "2026-11-27",
            "5",
        ])
        .assert()
        .code(1)
        .stderr(contains(
            "config file /nonexistent/duewatch.toml does not exist",
        ));
}

#[test]
fn help_is_available_everywhere() {
    for args in [
        &["--help"][..],
        &["calendar", "--help"],
        &["calendar", "due", "--help"],
        &["calendar", "import", "--help"],
    ] {
        duewatch()
            .args(args)
            .assert()
            .success()
            .stdout(contains("Usage: duewatch"));
    }
    duewatch()
        .args(["calendar", "due", "--help"])
        .assert()
        .stdout(predicate::str::contains("START never counts"));
}

#[test]
fn the_example_config_is_accepted() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/duewatch.example.toml");
    duewatch()
        .arg("--config")
        .arg(example)
        .args(["calendar", "due", "2026-11-27", "5"])
        .assert()
        .success()
        .stdout("2026-12-04\n");
}
