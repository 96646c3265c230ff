//! The case commands and `status`, on SQLite and on PostgreSQL: each test runs on both.

use predicates::str::contains;
use serde_json::Value;

use crate::helpers::{Backend, Setup};

macro_rules! on_both_backends {
    ($($name:ident => $body:expr;)+) => {$(
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                ($body)(Backend::Sqlite);
            }
            #[test]
            fn postgres() {
                ($body)(Backend::Postgres);
            }
        }
    )+};
}

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
