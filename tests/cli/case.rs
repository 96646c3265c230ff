//! The case commands and `status`, on SQLite and on PostgreSQL: each test runs on both.

use predicates::str::contains;
use serde_json::Value;

use crate::helpers::{Backend, Setup};

fn ok(s: &Setup, args: &[&str]) {
    s.duewatch(args).assert().success();
}

fn json(s: &Setup, args: &[&str]) -> Value {
    let out = s
        .duewatch(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("JSON on stdout")
}

fn history_len(s: &Setup, reference: &str) -> usize {
    json(
        s,
        &["case", "show", reference, "--json", "--as-of", "2026-12-01"],
    )["history"]
        .as_array()
        .expect("history")
        .len()
}

on_both_backends! {
    a_case_is_recorded_from_receipt_to_reply => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0042", "--received", "2026-11-27", "--subject", "养老保险缴费记录", "--channel", "online"]);
        let status = json(&s, &["status", "--as-of", "2026-12-02", "--json"]);
        assert_eq!(status[0]["stage"], "forward");
        assert_eq!(status[0]["responsible"], "office");
        assert_eq!(status[0]["due"], "2026-12-04");
        assert_eq!(status[0]["remaining"], 2);
        assert_eq!(status[0]["level"], "reminder");
        ok(&s, &["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-12-01"]);
        ok(&s, &["case", "extend", "2026-0042", "--days", "5", "--approved-by", "局长", "--on", "2026-12-08", "--reason", "需调档"]);
        ok(&s, &["case", "notice", "2026-0042", "--kind", "extension", "--on", "2026-12-09"]);
        let status = json(&s, &["status", "--as-of", "2026-12-21", "--json"]);
        assert_eq!(status[0]["stage"], "reply");
        assert_eq!(status[0]["responsible"], "ss");
        assert_eq!(status[0]["due"], "2026-12-22", "10 + 5 working days after 2026-12-01");
        assert_eq!(status[0]["remaining"], 1);
        assert_eq!(status[0]["notices_missing"], 0);
        ok(&s, &["case", "reply", "2026-0042", "--on", "2026-12-18"]);
        assert_eq!(json(&s, &["status", "--as-of", "2026-12-21", "--json"]), serde_json::json!([]));
        let shown = json(&s, &["case", "show", "2026-0042", "--json", "--as-of", "2026-12-21"]);
        assert_eq!(shown["status"]["stages"][1]["state"]["state"], "done_on_time");
        let commands: Vec<&str> = shown["history"].as_array().unwrap().iter().map(|h| h["command"].as_str().unwrap()).collect();
        assert_eq!(commands, ["case add", "case forward", "case extend", "case notice", "case reply"]);
        s.duewatch(&["case", "show", "2026-0042", "--as-of", "2026-12-21"])
            .assert()
            .success()
            .stdout(contains("reply (ss): done on time, due 2026-12-22"))
            .stdout(contains("+ 5 extended (art. 20: 5 approved 2026-12-08 by 局长)"));
    };

    every_refusal_names_the_case_and_rule_and_writes_nothing => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0042", "--received", "2026-11-27"]);
        ok(&s, &["case", "add", "--ref", "2026-0050", "--received", "2026-11-27"]);
        let refusals: &[(&[&str], &str)] = &[
            (&["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-11-26"], "is before receipt on 2026-11-27"),
            (&["case", "forward", "2026-0042", "--section", "xx", "--on", "2026-11-30"], "section \"xx\" is not configured"),
            (&["case", "add", "--ref", "2026-0042", "--received", "2026-11-28"], "case 2026-0042 exists already"),
            (&["case", "reply", "2026-0042", "--on", "2026-11-30"], "not forwarded to a section yet"),
            (&["case", "forward", "2026-9999", "--section", "ss", "--on", "2026-11-30"], "case 2026-9999 does not exist"),
        ];
        for (args, words) in refusals {
            s.duewatch(args).assert().code(1).stderr(contains(*words));
        }
        assert_eq!(history_len(&s, "2026-0042"), 1, "nothing was written");

        ok(&s, &["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-11-30"]);
        ok(&s, &["case", "extend", "2026-0042", "--days", "10", "--approved-by", "局长", "--on", "2026-12-02"]);
        ok(&s, &["case", "suspend", "2026-0042", "--from", "2026-12-03", "--reason", "force_majeure"]);
        let before = history_len(&s, "2026-0042");
        let refusals: &[(&[&str], &str)] = &[
            (&["case", "extend", "2026-0042", "--days", "6", "--approved-by", "局长", "--on", "2026-12-02"], "art. 20 allows at most 15"),
            (&["case", "suspend", "2026-0042", "--from", "2026-12-04", "--reason", "other"], "overlaps the one from 2026-12-03"),
            (&["case", "resume", "2026-0042", "--on", "2026-12-02"], "must come after the suspension began"),
        ];
        for (args, words) in refusals {
            s.duewatch(args).assert().code(1).stderr(contains("case 2026-0042:")).stderr(contains(*words));
        }
        assert_eq!(history_len(&s, "2026-0042"), before, "nothing was written");

        ok(&s, &["case", "close", "2026-0050", "--on", "2026-11-30", "--reason", "withdrawn"]);
        s.duewatch(&["case", "forward", "2026-0050", "--section", "ss", "--on", "2026-11-30"])
            .assert()
            .code(1)
            .stderr(contains("a closed case cannot be changed"));
        // The other case is untouched by all of this.
        assert_eq!(history_len(&s, "2026-0050"), 2);
    };

    a_suspended_case_has_no_deadline_until_it_resumes => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0101", "--received", "2026-09-18"]);
        ok(&s, &["case", "forward", "2026-0101", "--section", "zc", "--on", "2026-09-21"]);
        ok(&s, &["case", "suspend", "2026-0101", "--from", "2026-09-29", "--reason", "force_majeure", "--note", "台风"]);
        let status = json(&s, &["status", "--as-of", "2026-10-08", "--json"]);
        assert_eq!(status[0]["due"], Value::Null);
        assert_eq!(status[0]["suspended"], true);
        assert_eq!(status[0]["level"], Value::Null);
        ok(&s, &["case", "resume", "2026-0101", "--on", "2026-10-09"]);
        let status = json(&s, &["status", "--as-of", "2026-10-14", "--json"]);
        assert_eq!(status[0]["due"], "2026-10-15", "the suspension across 国庆节 skipped 3 working days");
        assert_eq!(status[0]["level"], "reminder");
        assert_eq!(status[0]["notices_missing"], 2, "suspension and resumption notices (art. 21)");
    };

    a_late_extension_is_recorded_and_flagged => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0200", "--received", "2026-10-30"]);
        ok(&s, &["case", "forward", "2026-0200", "--section", "ss", "--on", "2026-11-02"]);
        ok(&s, &["case", "extend", "2026-0200", "--days", "3", "--approved-by", "局长", "--on", "2026-11-18"]);
        let status = json(&s, &["status", "--as-of", "2026-11-18", "--json"]);
        assert_eq!(status[0]["late_extension"], true);
        assert_eq!(status[0]["due"], "2026-11-19");
        s.duewatch(&["case", "show", "2026-0200", "--as-of", "2026-11-18"])
            .assert()
            .success()
            .stdout(contains("late extension: approved after the deadline it extends (art. 20)"));
    };

    a_reply_deadline_on_a_make_up_saturday_is_listed => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0300", "--received", "2026-09-15"]);
        ok(&s, &["case", "forward", "2026-0300", "--section", "ss", "--on", "2026-09-20"]);
        ok(&s, &["case", "add", "--ref", "2026-0301", "--received", "2026-09-15"]);
        let all = json(&s, &["case", "list", "--json", "--as-of", "2026-10-10"]);
        assert_eq!(all.as_array().unwrap().len(), 2);
        let ss = json(&s, &["case", "list", "--section", "ss", "--json", "--as-of", "2026-10-10"]);
        assert_eq!(ss[0]["reference"], "2026-0300");
        assert_eq!(ss[0]["due"], "2026-10-10");
        assert_eq!(ss[0]["level"], "due_today");
        assert_eq!(ss.as_array().unwrap().len(), 1);
    };
}

/// A CSV file in `s`'s folder.
fn csv(s: &Setup, name: &str, bytes: &[u8]) -> String {
    let path = s.dir.path().join(name);
    std::fs::write(&path, bytes).expect("writing the CSV file");
    path.display().to_string()
}

fn sample() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/samples/cases.csv"
    ))
    .expect("the sample file")
}

on_both_backends! {
    the_sample_file_imports_and_every_case_is_watched => |backend| {
        let s = Setup::with_store(backend);
        let file = csv(&s, "cases.csv", &sample());
        s.duewatch(&["case", "import", &file, "--dry-run"])
            .assert()
            .success()
            .stdout(contains("3 case(s) are good; nothing recorded"));
        assert_eq!(json(&s, &["case", "list", "--json"]), serde_json::json!([]), "--dry-run records nothing");
        s.duewatch(&["case", "import", &file]).assert().success().stdout(contains("3 case(s) imported"));
        let status = json(&s, &["status", "--as-of", "2026-12-07", "--json"]);
        let refs: Vec<&str> = status.as_array().unwrap().iter().map(|r| r["reference"].as_str().unwrap()).collect();
        assert_eq!(refs, ["2026-0102", "2026-0103"], "2026-0101 was answered");
        assert_eq!(status[0]["responsible"], "ss", "the section given by its name");
        assert_eq!(status[0]["due"], "2026-12-09", "10 + 5 working days after 2026-11-18");
        assert_eq!(status[0]["notices_missing"], 0);
        assert_eq!(status[1]["stage"], "forward");
        assert_eq!(status[1]["due"], "2026-12-02", "2026/11/25 read as a date");
        assert_eq!(status[1]["overdue_by"], 3);
        let shown = json(&s, &["case", "show", "2026-0102", "--json", "--as-of", "2026-12-07"]);
        assert_eq!(shown["case"]["channel"], "mail");
        let change = shown["history"][0]["change"].as_str().unwrap();
        assert!(change.contains("cases.csv:3: received on 2026-11-16; forwarded on 2026-11-18 to ss; extended by 5"), "{change}");
    };

    a_gbk_file_from_excel_imports => |backend| {
        let s = Setup::with_store(backend);
        let text = String::from_utf8(sample()).unwrap();
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
        assert!(!unmappable);
        let file = csv(&s, "excel.csv", &gbk);
        s.duewatch(&["case", "import", &file]).assert().success();
        let shown = json(&s, &["case", "show", "2026-0101", "--json", "--as-of", "2026-12-07"]);
        assert_eq!(shown["case"]["subject"], "2025年度养老保险基金收支情况");
    };

    a_file_with_bad_rows_is_refused_whole_with_every_line_named => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0001", "--received", "2026-11-02"]);
        let file = csv(&s, "bad.csv", "\u{feff}reference,received_on,forwarded_on,section,extension_days,extension_approved_on,extension_approved_by\n\
            2026-0002,2026-11-02,,,,,\n\
            2026-0001,2026-11-02,,,,,\n\
            2026-0003,2026-11-31,,,,,\n\
            2026-0004,2026-11-02,2026-11-03,xx,,,\n\
            2026-0005,2026-11-02,2026-11-03,ss,16,2026-11-04,局长\n\
            2026-0006,2026-11-05,2026-11-03,ss,,,\n\
            2026-0002,2026-11-03,,,,,\n\
            2026-0007,2026-11-02,,\n\
            2026-0008,2026-11-02,2026-11-03,,,,\n".as_bytes());
        let out = s.duewatch(&["case", "import", &file]).assert().code(1).get_output().stderr.clone();
        let err = String::from_utf8(out).unwrap();
        for line in [
            "bad.csv:3: case 2026-0001 exists already",
            "bad.csv:4: case 2026-0003: received_on: \"2026-11-31\" is not a date",
            "bad.csv:5: case 2026-0004: section: section \"xx\" is not configured",
            "bad.csv:6: case 2026-0005: extending by 16 would bring the extensions to 16 working days; art. 20 allows at most 15",
            "bad.csv:7: case 2026-0006: forwarding on 2026-11-03 is before receipt on 2026-11-05",
            "bad.csv:8: case 2026-0002: the reference is on line 2 already",
            "bad.csv:9: the row has 4 fields, the header 7",
            "bad.csv:10: case 2026-0008: forwarded_on needs a section",
            "8 problem(s); nothing was imported",
        ] {
            assert!(err.contains(line), "missing {line:?} in:\n{err}");
        }
        assert!(!err.contains("bad.csv:2:"), "line 2 is good:\n{err}");
        let all = json(&s, &["case", "list", "--json"]);
        assert_eq!(all.as_array().unwrap().len(), 1, "nothing was imported");
    };

    a_file_without_required_columns_or_with_unknown_ones_is_refused => |backend| {
        let s = Setup::with_store(backend);
        let file = csv(&s, "cols.csv", b"reference,recieved_on\n2026-0002,2026-11-02\n");
        s.duewatch(&["case", "import", &file])
            .assert()
            .code(1)
            .stderr(contains("cols.csv:1: unknown column \"recieved_on\""))
            .stderr(contains("cols.csv:1: the required column \"received_on\" is missing"));
        let file = csv(&s, "latin1.csv", b"reference,received_on\n2026-0002,2026-11-02\n\xff\xff,\n");
        s.duewatch(&["case", "import", &file])
            .assert()
            .code(1)
            .stderr(contains("latin1.csv: the file is neither UTF-8 nor GBK"));
        assert_eq!(json(&s, &["case", "list", "--json"]), serde_json::json!([]));
    };

    status_lists_every_open_case_across_batches => |backend| {
        let s = Setup::with_store(backend);
        let mut text = String::from("reference,received_on,replied_on,forwarded_on,section\n");
        for i in (1..=2600).rev() {
            // Every third case is answered, so open and finished cases interleave.
            if i % 3 == 0 {
                text.push_str(&format!("2025-{i:05},2025-11-03,2025-11-10,2025-11-04,zc\n"));
            } else {
                text.push_str(&format!("2025-{i:05},2025-11-03,,,\n"));
            }
        }
        let file = csv(&s, "many.csv", text.as_bytes());
        // Received 2025-11-03, more than a year before the tests' today: a backlog, confirmed.
        s.duewatch(&["case", "import", &file, "--allow-old"]).assert().success();
        let status = json(&s, &["status", "--as-of", "2025-11-05", "--json"]);
        let refs: Vec<String> = status.as_array().unwrap().iter().map(|r| r["reference"].as_str().unwrap().to_owned()).collect();
        let expected: Vec<String> = (1..=2600).filter(|i| i % 3 != 0).map(|i| format!("2025-{i:05}")).collect();
        assert_eq!(refs, expected, "each open case once, in reference order");
        assert!(status.as_array().unwrap().iter().all(|r| r["remaining"] == 3));
        let all = json(&s, &["case", "list", "--json", "--as-of", "2025-11-05"]);
        assert_eq!(all.as_array().unwrap().len(), 2600);
    };

    a_correction_restarts_the_forward_stage => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0400", "--received", "2026-11-02"]);
        let status = json(&s, &["status", "--as-of", "2026-11-09", "--json"]);
        assert_eq!(status[0]["due"], "2026-11-09");
        s.duewatch(&["case", "correct", "2026-0400", "--received", "2026-10-30"])
            .assert()
            .code(1)
            .stderr(contains("case 2026-0400: the completed request on 2026-10-30 cannot precede the first receipt on 2026-11-02"));
        ok(&s, &["case", "correct", "2026-0400", "--received", "2026-11-06"]);
        let status = json(&s, &["status", "--as-of", "2026-11-09", "--json"]);
        assert_eq!(status[0]["due"], "2026-11-13", "5 working days from the completed request");
        assert_eq!(status[0]["level"], Value::Null);
        ok(&s, &["case", "forward", "2026-0400", "--section", "ss", "--on", "2026-11-10"]);
        s.duewatch(&["case", "correct", "2026-0400", "--received", "2026-11-09"])
            .assert()
            .code(1)
            .stderr(contains("the case was forwarded already"));
        assert_eq!(history_len(&s, "2026-0400"), 3);
    };

    a_suspension_changes_only_what_it_covers_in_show_status_mail_and_report => |backend| {
        let server = crate::smtp::SmtpServer::start();
        let s = Setup::with_store(backend);
        s.append_config(&format!(
            "[office]\nname = \"办公室\"\nemails = [\"office@bureau.example\"]\n\
             [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\n\
             [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 2\n",
            server.port
        ));
        // issue 13 (a): forward due Mon 11-09, forwarded Thu 11-12, suspended from 11-13, no end.
        ok(&s, &["case", "add", "--ref", "2026-0500", "--received", "2026-11-02"]);
        ok(&s, &["case", "forward", "2026-0500", "--section", "ss", "--on", "2026-11-12"]);
        ok(&s, &["case", "suspend", "2026-0500", "--from", "2026-11-13", "--reason", "third_party"]);
        // issue 13 (b): reply due Tue 11-17, suspended from Fri 11-20, no end.
        ok(&s, &["case", "add", "--ref", "2026-0501", "--received", "2026-11-02"]);
        ok(&s, &["case", "forward", "2026-0501", "--section", "ss", "--on", "2026-11-03"]);
        ok(&s, &["case", "suspend", "2026-0501", "--from", "2026-11-20", "--reason", "third_party"]);

        let shown = s
            .duewatch(&["case", "show", "2026-0500", "--as-of", "2026-11-24"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let shown = String::from_utf8(shown).expect("UTF-8");
        assert!(shown.contains("forward (office): done late by 3 working days, due 2026-11-09"), "{shown}");
        assert!(shown.contains("reply (ss): suspended since 2026-11-13 (8 working days)"), "{shown}");
        assert!(!shown.contains("done on time"), "{shown}");

        let status = json(&s, &["status", "--as-of", "2026-11-24", "--json"]);
        let b = &status[1];
        assert_eq!(b["reference"], "2026-0501");
        assert_eq!(b["due"], "2026-11-17", "the deadline had passed before the suspension began");
        assert_eq!(b["level"], "overdue");
        assert_eq!(b["overdue_by"], 5);
        assert_eq!(b["suspended"], false);
        assert_eq!(b["late_suspension"], true);
        assert_eq!(status[0]["late_suspension"], false);
        s.duewatch(&["status", "--as-of", "2026-11-24"])
            .assert()
            .success()
            .stdout(contains("late suspension"));
        s.duewatch(&["case", "show", "2026-0501", "--as-of", "2026-11-24"])
            .assert()
            .success()
            .stdout(contains("reply (ss): running, due 2026-11-17, overdue"))
            .stdout(contains("late suspension: began after the deadline had passed; the clock was not stopped (art. 21)"));

        // The escalation runs: the leadership is told 2026-0501 is overdue.
        s.duewatch(&["run", "--once", "--now", "2026-11-24T09:00"])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .success();
        let leaders = server.to("leaders@bureau.example");
        assert_eq!(leaders.len(), 1, "one overdue digest for the leadership");
        assert!(leaders[0].subject().contains("逾期"), "{}", leaders[0].subject());
        assert!(leaders[0].text().contains("2026-0501"), "{}", leaders[0].text());
        assert!(!leaders[0].text().contains("2026-0500"), "{}", leaders[0].text());
        assert!(
            leaders[0].text().contains("逾期中止：中止开始时期限已过，期限不因此顺延（第二十一条）"),
            "the mail says the suspension came too late: {}",
            leaders[0].text()
        );
        assert!(!leaders[0].text().contains("中止 1 次"), "{}", leaders[0].text());

        // The report counts the late forwarding late and lists the overdue reply.
        let table = s
            .duewatch(&["report", "--from", "2026-11-01", "--to", "2026-11-30"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let table = String::from_utf8(table).expect("UTF-8");
        assert!(table.contains("late and overdue: 2"), "{table}");
        let listed = |reference: &str| {
            table
                .lines()
                .find(|l| l.starts_with(reference))
                .unwrap_or_else(|| panic!("{reference} not listed in\n{table}"))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(listed("2026-0500"), "2026-0500 forward office due 2026-11-09 done 2026-11-12 3 working day(s) late");
        assert_eq!(listed("2026-0501"), "2026-0501 reply ss due 2026-11-17 open 9 working day(s) overdue");
        let office_row = table.lines().find(|l| l.starts_with("office")).expect("an office row");
        assert_eq!(office_row.split_whitespace().take(4).collect::<Vec<_>>(), ["office", "2", "1", "1"], "{table}");

        // Resumed: unchanged.
        ok(&s, &["case", "resume", "2026-0501", "--on", "2026-11-25"]);
        let status = json(&s, &["status", "--as-of", "2026-11-26", "--json"]);
        assert_eq!(status[1]["due"], "2026-11-17");
        assert_eq!(status[1]["overdue_by"], 7);
        assert_eq!(status[1]["late_suspension"], true);
    };

    an_extension_whose_deadline_falls_past_2099_is_refused_and_an_old_date_needs_allow_old => |backend| {
        let s = Setup::with_store(backend);
        let at_end = |args: &[&str]| {
            let mut cmd = s.duewatch(args);
            cmd.env("DUEWATCH_TODAY", "2099-12-31");
            cmd
        };
        // Forwarded Tue 2099-12-01: reply due 2099-12-15 (2099 has no calendar: weekends only).
        at_end(&["case", "add", "--ref", "2099-0001", "--received", "2099-11-30"]).assert().success();
        at_end(&["case", "forward", "2099-0001", "--section", "ss", "--on", "2099-12-01"]).assert().success();
        at_end(&["case", "extend", "2099-0001", "--days", "15", "--approved-by", "局长", "--on", "2099-12-02"])
            .assert()
            .code(1)
            .stderr(contains("case 2099-0001: its deadlines cannot be counted: 25 working days after 2099-12-01 fall after 2099-12-31"))
            .stderr(contains("help: duewatch counts deadlines from 2000-01-01 to 2099-12-31"));
        let shown = json(&s, &["case", "show", "2099-0001", "--json", "--as-of", "2099-12-02"]);
        assert_eq!(shown["case"]["extensions"], serde_json::json!([]), "nothing was written");
        assert_eq!(shown["status"]["stages"][1]["due"], "2099-12-15");

        // A year and more before the tests' today (2026-12-31) needs --allow-old; then it counts.
        s.duewatch(&["case", "add", "--ref", "2025-0001", "--received", "2025-12-30"])
            .assert()
            .code(1)
            .stderr(contains("case 2025-0001: the receipt on 2025-12-30 is more than a year before today (2026-12-31)"))
            .stderr(contains("give --allow-old"));
        ok(&s, &["case", "add", "--ref", "2025-0001", "--received", "2025-12-30", "--allow-old"]);
        ok(&s, &["case", "add", "--ref", "2025-0002", "--received", "2025-12-31"]);
        let listed = json(&s, &["case", "list", "--json", "--as-of", "2026-01-05"]);
        assert_eq!(listed.as_array().map(Vec::len), Some(3));
    };
}

on_both_backends! {
    a_stored_case_that_cannot_be_counted_can_still_be_replied_forwarded_and_closed => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0042", "--received", "2026-11-23"]);
        ok(&s, &["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-11-24"]);
        ok(&s, &["case", "add", "--ref", "2026-0043", "--received", "2026-11-23"]);
        // Stored before the entry checks (or by hand): a receipt the engine cannot count.
        s.sql(&["UPDATE cases SET received_on = '1999-12-31'"]);
        s.duewatch(&["status", "--as-of", "2026-12-01"])
            .assert()
            .code(1)
            .stderr(contains("case 2026-0043: its deadlines cannot be counted: 1999-12-31 is outside the dates"))
            .stderr(contains("duewatch case close 2026-0043 --on DATE --reason withdrawn"));
        // The changes that finish such a case go through; so does one that leaves it as it was.
        ok(&s, &["case", "reply", "2026-0042", "--on", "2026-12-01"]);
        ok(&s, &["case", "forward", "2026-0043", "--section", "ss", "--on", "2026-12-01"]);
        ok(&s, &["case", "close", "2026-0043", "--on", "2026-12-02", "--reason", "withdrawn"]);
        let listed = json(&s, &["status", "--as-of", "2026-12-03", "--json"]);
        assert_eq!(listed, serde_json::json!([]), "both finished");
        // A correction cannot move the receipt earlier (补正 replaces it by a later date): the
        // refusal says what to do instead.
        ok(&s, &["case", "add", "--ref", "2026-0044", "--received", "2026-12-01"]);
        s.sql(&["UPDATE cases SET received_on = '2099-12-31' WHERE reference = '2026-0044'"]);
        s.duewatch(&["case", "correct", "2026-0044", "--received", "2026-12-01"])
            .assert()
            .code(1)
            .stderr(contains("cannot precede the first receipt on 2099-12-31"))
            .stderr(contains("duewatch case close 2026-0044 --on DATE --reason withdrawn"));
        // A change that makes a countable case uncountable is still refused (see also
        // an_extension_whose_deadline_falls_past_2099_is_refused_and_an_old_date_needs_allow_old).
        let at_end = |args: &[&str]| {
            let mut cmd = s.duewatch(args);
            cmd.env("DUEWATCH_TODAY", "2099-12-31");
            cmd
        };
        at_end(&["case", "add", "--ref", "2099-0001", "--received", "2099-11-30"]).assert().success();
        at_end(&["case", "forward", "2099-0001", "--section", "ss", "--on", "2099-12-01"]).assert().success();
        at_end(&["case", "extend", "2099-0001", "--days", "15", "--approved-by", "局长", "--on", "2099-12-02"])
            .assert()
            .code(1)
            .stderr(contains("case 2099-0001: its deadlines cannot be counted: 25 working days after 2099-12-01"));
    };

    a_resumption_may_be_dated_the_next_working_day_after_today => |backend| {
        let s = Setup::with_store(backend);
        // Friday 2026-11-27: the obstacle ended after hours, the clock runs again on Monday.
        let on_friday = |args: &[&str]| {
            let mut cmd = s.duewatch(args);
            cmd.env("DUEWATCH_TODAY", "2026-11-27");
            cmd
        };
        for reference in ["2026-0042", "2026-0043"] {
            on_friday(&["case", "add", "--ref", reference, "--received", "2026-11-23"]).assert().success();
            on_friday(&["case", "suspend", reference, "--from", "2026-11-25", "--reason", "third_party"]).assert().success();
        }
        on_friday(&["case", "resume", "2026-0042", "--on", "2026-11-30"]).assert().success();
        on_friday(&["case", "resume", "2026-0043", "--on", "2026-12-01"])
            .assert()
            .code(1)
            .stderr(contains("case 2026-0043: the resumption on 2026-12-01 is after the next working day (2026-11-30)"));
        let shown = json(&s, &["case", "show", "2026-0043", "--json", "--as-of", "2026-11-27"]);
        assert_eq!(shown["case"]["suspensions"][0]["until"], serde_json::Value::Null, "nothing was written");
    };

    a_line_break_in_a_csv_cell_becomes_a_space_and_the_subject_stays_one_line => |backend| {
        let s = Setup::with_store(backend);
        let file = s.dir.path().join("cases.csv");
        // Excel writes a cell with Alt+Enter line breaks as a quoted field over several lines.
        std::fs::write(
            &file,
            "reference,received_on,subject,forwarded_on,section,extension_days,extension_approved_on,extension_approved_by\n\
             2026-0100,2026-11-23,\"养老保险\r\n答复期限：2027-01-01\",2026-11-24,ss,5,2026-11-25,\"局长\n（代）\"\n",
        )
        .expect("a CSV file");
        s.duewatch(&["case", "import", file.to_str().expect("a path")])
            .assert()
            .success();
        let shown = json(&s, &["case", "show", "2026-0100", "--json", "--as-of", "2026-11-26"]);
        assert_eq!(shown["case"]["subject"], "养老保险 答复期限：2027-01-01");
        assert_eq!(shown["case"]["extensions"][0]["approved_by"], "局长 （代）");
    };

    text_stored_before_the_checks_never_reaches_the_terminal_raw => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0042", "--received", "2026-11-23"]);
        ok(&s, &["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-11-24"]);
        ok(&s, &["case", "extend", "2026-0042", "--days", "5", "--approved-by", "局长", "--on", "2026-11-25"]);
        // Rows an older duewatch wrote, before text was checked at input.
        let chr = |n: u32| match backend {
            Backend::Sqlite => format!("char({n})"),
            Backend::Postgres => format!("chr({n})"),
        };
        let (esc, rlo, nl, bel) = (chr(27), chr(0x202E), chr(10), chr(7));
        s.sql(&[
            &format!("UPDATE cases SET subject = 'a' || {esc} || '[2J' || {rlo} || 'b' || {nl} || 'c'"),
            &format!("UPDATE extensions SET approved_by = '局长' || {esc} || ']0;title' || {bel}"),
            &format!("UPDATE history SET change = change || {esc} || '[31m'"),
        ]);
        for args in [
            &["case", "show", "2026-0042", "--as-of", "2026-11-26"][..],
            &["case", "show", "2026-0042", "--as-of", "2026-11-26", "--json"],
            &["status", "--as-of", "2026-11-26"],
            &["case", "list"],
        ] {
            let out = s.duewatch(args).output().expect("the binary runs");
            let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(
                !all.chars().any(|c| (c.is_control() && c != '\n') || ('\u{202A}'..='\u{202E}').contains(&c)),
                "{args:?} printed a raw control character: {all:?}"
            );
            assert!(out.status.success(), "{args:?}: {all}");
        }
        s.duewatch(&["case", "show", "2026-0042", "--as-of", "2026-11-26"])
            .assert()
            .stdout(contains("case 2026-0042  a\u{FFFD}[2J\u{FFFD}b c\n"))
            .stdout(contains("by 局长\u{FFFD}]0;title\u{FFFD}"))
            .stdout(contains("\\u{1b}[31m"));
    };
}

on_both_backends! {
    a_nul_byte_in_a_csv_cell_is_refused_at_the_check_naming_the_line_and_the_case => |backend| {
        let s = Setup::with_store(backend);
        let file = s.dir.path().join("cases.csv");
        std::fs::write(
            &file,
            b"reference,received_on,subject,extension_approved_by\n\
              2026-0100,2026-11-23,ok,\n\
              2026-0101,2026-11-23,\"a\0b\",\n",
        )
        .expect("a CSV file");
        let out = s
            .duewatch(&["case", "import", file.to_str().expect("a path")])
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("cases.csv:3: case 2026-0101: subject: holds the invisible character U+0000 (NUL) at character 2"),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was imported"), "{stderr}");
        assert!(!stderr.contains('\0'), "the byte itself is not echoed");
        s.duewatch(&["case", "show", "2026-0100"]).assert().code(1);
    };
}

/// SQLite keeps any value in any column: a row written by hand may hold what duewatch cannot
/// read. Each such case is named with its column, and the other cases are read and mailed.
#[test]
fn a_stored_value_that_cannot_be_read_names_its_case_and_column_and_the_others_go_on() {
    let s = Setup::with_store(Backend::Sqlite);
    for (reference, received) in [
        ("2026-0201", "2026-11-02"),
        ("2026-0202", "2026-11-02"),
        ("2026-0203", "2026-11-02"),
        ("2026-0204", "2026-11-02"),
    ] {
        ok(
            &s,
            &["case", "add", "--ref", reference, "--received", received],
        );
    }
    ok(
        &s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0205",
            "--received",
            "2026-11-02",
            "--subject",
            "它's, 含逗号",
        ],
    );
    ok(
        &s,
        &[
            "case",
            "forward",
            "2026-0205",
            "--section",
            "ss",
            "--on",
            "2026-11-03",
        ],
    );
    s.sql(&[
        "UPDATE cases SET received_on = 'last Monday' WHERE reference = '2026-0201'",
        "UPDATE cases SET subject = X'00ff' WHERE reference = '2026-0202'",
        "UPDATE cases SET forwarded_on = 20261103 WHERE reference = '2026-0203'",
    ]);
    let out = s
        .duewatch(&["status", "--as-of", "2026-11-09", "--json"])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for (reference, column) in [
        ("2026-0201", "received_on"),
        ("2026-0202", "subject"),
        ("2026-0203", "forwarded_on"),
    ] {
        assert!(
            stderr.contains(&format!(
                "case {reference}: the stored {column} cannot be read"
            )),
            "{reference} {column}: {stderr}"
        );
    }
    let listed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let references: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["reference"].as_str())
        .collect();
    assert_eq!(references, ["2026-0204", "2026-0205"], "{listed}");
    // The scan hands the subject over whole: its quote and comma are the packing's own marks.
    let ics = s
        .duewatch(&["ics", "--section", "ss", "--as-of", "2026-11-09"])
        .output()
        .expect("the binary runs");
    let ics = String::from_utf8_lossy(&ics.stdout);
    assert!(ics.contains("它's\\, 含逗号"), "{ics}");
}
