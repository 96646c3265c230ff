//! `duewatch run --once --job JOB`: every job of the daemon, run once by hand, does what the
//! daemon's run of it does (the same function), on SQLite.

use predicates::str::contains;

use crate::helpers::{Backend, Setup};

const ADMIN: &str = "it@bureau.example";

/// A store, the office and the leadership, `mail.admins`, mail written to files.
fn setup() -> Setup {
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(&format!(
        "[office]\nname = \"办公室\"\nemails = [\"office@bureau.example\"]\n\
         [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\n\
         [mail]\nadmins = [\"{ADMIN}\"]\n\
         [mail.file]\ndir = \"{}\"\n",
        s.dir.path().join("mail").display()
    ));
    s
}

/// The count `query` (one `$1`, bound to `arg`) returns on the test's SQLite database.
fn count(s: &Setup, query: &'static str, arg: &str) -> i64 {
    s.sqlite_count(query, arg)
}

fn stdout(s: &Setup, args: &[&str]) -> String {
    let out = s
        .duewatch(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("UTF-8")
}

const REPEATS_OF_DAY: &str = "SELECT count(*) FROM repeats WHERE day = $1";
const NOTICES_TO: &str = "SELECT count(*) FROM outbox WHERE recipient = $1 AND subject LIKE '%2027 年节假日安排尚未载入%'";

#[test]
fn run_once_job_housekeeping_forgets_the_repeats_of_more_than_a_month_ago() {
    let s = setup();
    s.duewatch(&[
        "case",
        "add",
        "--ref",
        "2026-0001",
        "--received",
        "2026-08-03",
    ])
    .assert()
    .success();
    // Overdue on both days: each day's repeat, to the office and the leadership.
    for now in ["2026-10-12T09:00", "2026-11-24T09:00"] {
        stdout(&s, &["run", "--once", "--job", "poll", "--now", now]);
    }
    assert_eq!(count(&s, REPEATS_OF_DAY, "2026-10-12"), 2);
    assert_eq!(count(&s, REPEATS_OF_DAY, "2026-11-24"), 2);

    let said = stdout(
        &s,
        &[
            "run",
            "--once",
            "--job",
            "housekeeping",
            "--now",
            "2026-11-25T03:30",
        ],
    );
    assert_eq!(
        said,
        "2026-11-25 03:30: housekeeping: 2 key(s) of past days' repeated notices forgotten\n"
    );
    assert_eq!(count(&s, REPEATS_OF_DAY, "2026-10-12"), 0, "forgotten");
    assert_eq!(count(&s, REPEATS_OF_DAY, "2026-11-24"), 2, "kept");
    let again = stdout(
        &s,
        &[
            "run",
            "--once",
            "--job",
            "housekeeping",
            "--now",
            "2026-11-25T03:30",
        ],
    );
    assert!(again.contains("housekeeping: 0 key(s)"), "{again}");
}

#[test]
fn run_once_job_calendar_check_tells_the_admins_of_next_years_missing_calendar_once_a_day() {
    let s = setup();
    // Before November only this year's calendar is needed, and 2026 is shipped.
    let june = stdout(
        &s,
        &[
            "run",
            "--once",
            "--job",
            "calendar_check",
            "--now",
            "2026-06-01T08:00",
        ],
    );
    assert_eq!(
        june,
        "2026-06-01 08:00: calendar check: every calendar needed is loaded\n"
    );
    assert_eq!(count(&s, NOTICES_TO, ADMIN), 0);

    for now in ["2026-11-02T08:00", "2026-11-02T15:00"] {
        let said = stdout(
            &s,
            &["run", "--once", "--job", "calendar_check", "--now", now],
        );
        assert!(
            said.contains(
                "calendar check: no calendar for 2027: deadlines into it are provisional"
            ),
            "{said}"
        );
    }
    assert_eq!(count(&s, NOTICES_TO, ADMIN), 1, "once on 11-02");
    stdout(
        &s,
        &[
            "run",
            "--once",
            "--job",
            "calendar_check",
            "--now",
            "2026-11-03T08:00",
        ],
    );
    assert_eq!(count(&s, NOTICES_TO, ADMIN), 2, "and again on 11-03");
    // Installed, it is not missing any more.
    s.write_calendar("2027.toml", crate::helpers::YEAR_2027);
    let installed = stdout(
        &s,
        &[
            "run",
            "--once",
            "--job",
            "calendar_check",
            "--now",
            "2026-11-04T08:00",
        ],
    );
    assert!(
        installed.contains("every calendar needed is loaded"),
        "{installed}"
    );
    assert_eq!(count(&s, NOTICES_TO, ADMIN), 2);
}

#[test]
fn run_help_lists_every_job_and_a_typo_is_refused() {
    let s = setup();
    let help = stdout(&s, &["run", "--help"]);
    for job in ["poll", "calendar_check", "housekeeping", "monthly_report"] {
        assert!(help.contains(job), "{job} in {help}");
    }
    s.duewatch(&["run", "--once", "--job", "houskeeping"])
        .assert()
        .code(2)
        .stderr(contains("invalid value 'houskeeping'"));
    s.duewatch(&["run", "--once", "--job", "housekeeping", "--dry-run"])
        .assert()
        .code(1)
        .stderr(contains("--dry-run goes with the poll job only"));
}

const NAMING_THE_CASE: &str = "SELECT count(*) FROM outbox WHERE recipient = $1 \
     AND subject LIKE '%年度报告表三%' AND body_text LIKE '%2025-0001%without an outcome%'";
const ANNUAL_NOTICES_TO: &str = "SELECT count(*) FROM outbox WHERE recipient = $1 AND subject LIKE '%2025 年度报告表三尚不完整%'";

#[test]
fn run_once_job_calendar_check_reminds_the_admins_of_an_incomplete_annual_report_once_a_day_from_2_january()
 {
    let s = setup();
    for args in [
        &[
            "case",
            "add",
            "--ref",
            "2025-0001",
            "--received",
            "2025-11-03",
            "--applicant",
            "自然人",
            "--allow-old",
        ][..],
        &[
            "case",
            "forward",
            "2025-0001",
            "--section",
            "ss",
            "--on",
            "2025-11-04",
            "--allow-old",
        ],
        &[
            "case",
            "reply",
            "2025-0001",
            "--on",
            "2025-11-14",
            "--allow-old",
        ],
    ] {
        s.duewatch(args).assert().success();
    }
    let check = |now: &str| {
        stdout(
            &s,
            &["run", "--once", "--job", "calendar_check", "--now", now],
        )
    };
    // 1 January: the books are still being closed.
    let said = check("2026-01-01T08:00");
    assert!(!said.contains("annual report"), "{said}");
    assert_eq!(count(&s, ANNUAL_NOTICES_TO, ADMIN), 0);
    for now in ["2026-01-02T08:00", "2026-01-02T15:00"] {
        let said = check(now);
        assert!(
            said.contains(
                "calendar check: the annual report of 2025 is incomplete: 1 case(s) to fix"
            ),
            "{said}"
        );
    }
    assert_eq!(count(&s, ANNUAL_NOTICES_TO, ADMIN), 1, "once on 01-02");
    assert_eq!(
        count(&s, NAMING_THE_CASE, ADMIN),
        1,
        "the reminder (queued for the next pass) names the case"
    );
    check("2026-01-05T08:00");
    assert_eq!(
        count(&s, ANNUAL_NOTICES_TO, ADMIN),
        2,
        "and again on another day"
    );
    // Recorded, the table is complete: no more reminders.
    s.duewatch(&["case", "outcome", "2025-0001", "--outcome", "disclosed"])
        .assert()
        .success();
    let said = check("2026-01-06T08:00");
    assert!(!said.contains("annual report"), "{said}");
    assert_eq!(count(&s, ANNUAL_NOTICES_TO, ADMIN), 2);
}
