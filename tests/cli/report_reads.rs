//! A report reads only the cases that can count in its period (`src/store/period.rs`), on both
//! backends: the open cases and those finished since the margin, no more and no fewer; and the
//! figures are those of every case.

use duewatch::store::Store;

use crate::accounts_store::on_store;
use crate::helpers::{Backend, Setup};

fn ok(s: &Setup, args: &[&str]) {
    s.duewatch(args).assert().success();
}

fn csv(s: &Setup, from: &str, to: &str) -> String {
    let out = s
        .duewatch(&["report", "--from", from, "--to", to, "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("UTF-8")
}

/// Adds a case received on `received`, forwarded to ss the next day, answered on `replied`.
fn answered(s: &Setup, r: &str, received: &str, forwarded: &str, replied: Option<&str>) {
    ok(
        s,
        &[
            "case",
            "add",
            "--ref",
            r,
            "--received",
            received,
            "--allow-old",
        ],
    );
    ok(
        s,
        &[
            "case",
            "forward",
            r,
            "--section",
            "ss",
            "--on",
            forwarded,
            "--allow-old",
        ],
    );
    if let Some(on) = replied {
        ok(s, &["case", "reply", r, "--on", on, "--allow-old"]);
    }
}

on_both_backends! {
    a_report_reads_the_open_cases_and_those_finished_near_its_period_and_counts_as_before => |backend| {
        let s = Setup::with_store(backend);
        // Answered late in January 2026 (forwarded Jan 5, due Jan 19, answered Jan 30).
        answered(&s, "2026-OLD", "2026-01-04", "2026-01-05", Some("2026-01-30"));
        // Answered on time in October, in November, and still open.
        answered(&s, "2026-OCT", "2026-10-09", "2026-10-12", Some("2026-10-20"));
        answered(&s, "2026-NOV", "2026-11-02", "2026-11-03", Some("2026-11-10"));
        answered(&s, "2026-OPEN", "2026-11-02", "2026-11-03", None);
        ok(&s, &["case", "add", "--ref", "2026-GONE", "--received", "2025-12-01", "--allow-old"]);
        ok(&s, &["case", "close", "2026-GONE", "--on", "2025-12-02", "--reason", "withdrawn", "--allow-old"]);

        // November 2026 with notice_within = 2: the margin is 25 days, so the cursor starts on
        // 2026-10-07 and holds OCT, NOV and OPEN; OLD and GONE are not read.
        let since = chrono::NaiveDate::from_ymd_opt(2026, 10, 7).expect("a date");
        let held = on_store(&s, async |store: &Store| {
            let mut cursor = store.period_cursor(since).await.expect("a cursor");
            let mut refs = Vec::new();
            while let Some(batch) = cursor.next_batch().await.expect("a batch") {
                refs.extend(batch.into_iter().map(|c| c.expect("decodes").reference.to_string()));
            }
            cursor.finish().await.expect("ended");
            refs.sort();
            refs
        });
        assert_eq!(held, ["2026-NOV", "2026-OCT", "2026-OPEN"]);

        // January counts OLD as late; November does not see it, and counts NOV and OPEN.
        let january = csv(&s, "2026-01-01", "2026-01-31");
        assert!(january.contains("2026-OLD"), "{january}");
        let november = csv(&s, "2026-11-01", "2026-11-30");
        assert!(!november.contains("2026-OLD"), "{november}");
        // The same figures as when only the cases that count are in the store.
        let fresh = Setup::with_store(backend);
        answered(&fresh, "2026-NOV", "2026-11-02", "2026-11-03", Some("2026-11-10"));
        answered(&fresh, "2026-OPEN", "2026-11-02", "2026-11-03", None);
        assert_eq!(november, csv(&fresh, "2026-11-01", "2026-11-30"));
    };
}
