//! Issue 18, the law's own clock and a misrouted case, as an administrator meets them: the
//! Regulations' deadline beside the rulebook's in `case show`, `status --json`, the digests and
//! the console; `case return` (退回) and the forwarding again (改派); their refusals. Both
//! backends. Every date is counted by hand in the comments, on the real 2026 calendar: November
//! 2026 has no public holiday (Nov 2 is a Monday; its working days are the weekdays 2–6, 9–13,
//! 16–20, 23–27, 30), December's are 1–4, 7–11, 14–18, 21–25.

use std::time::Duration;

use predicates::str::contains;
use serde_json::{Value, json};

use crate::helpers::{Backend, Setup};
use crate::smtp::SmtpServer;

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

fn text(s: &Setup, args: &[&str]) -> String {
    let out = s
        .duewatch(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("UTF-8")
}

/// The refusal's message (stderr), after checking that `args` exit 1.
fn refused(s: &Setup, args: &[&str]) -> String {
    let out = s.duewatch(args).output().expect("duewatch runs");
    assert_eq!(out.status.code(), Some(1), "{args:?} should be refused");
    String::from_utf8(out.stderr).expect("UTF-8")
}

/// The case's history and its returns as stored: what a refusal must leave alone.
fn recorded(s: &Setup, reference: &str) -> (Value, Value) {
    let shown = json(
        s,
        &["case", "show", reference, "--json", "--as-of", "2026-12-01"],
    );
    (shown["history"].clone(), shown["case"].clone())
}

/// Received Mon 2026-11-02 as `reference`.
fn received(s: &Setup, reference: &str) {
    ok(
        s,
        &[
            "case",
            "add",
            "--ref",
            reference,
            "--received",
            "2026-11-02",
            "--subject",
            "养老保险缴费记录",
        ],
    );
}

on_both_backends! {
    the_statutory_due_stands_beside_the_rulebooks_in_case_show_and_status => |backend| {
        let s = Setup::with_store(backend);
        received(&s, "2026-0042");
        // Forwarded Tue Nov 17, late (the office's 5 days ended Mon Nov 9). The section's 10
        // working days after Nov 17: Nov 18–20 (3), 23–27 (8), 30 (9), Tue Dec 1 (10). The law's
        // 20 after Nov 2: Nov 3–6 (4), 9–13 (9), 16–20 (14), 23–27 (19), Mon Nov 30 (20).
        ok(&s, &["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-11-17"]);
        let status = json(&s, &["status", "--as-of", "2026-11-18", "--json"]);
        assert_eq!(status[0]["stage"], "reply");
        assert_eq!(status[0]["due"], "2026-12-01");
        assert_eq!(status[0]["statutory_due"], "2026-11-30");
        assert_eq!(status[0]["statutory_faults"], 1);
        assert_eq!(status[0]["statutory_overdue_by"], Value::Null);
        let listed = text(&s, &["status", "--as-of", "2026-11-18"]);
        assert!(listed.contains("law 2026-11-30") && listed.contains("statutory fault"), "{listed}");

        // On Nov 18, Nov 19, 20, 23–27, 30 remain: 8.
        let shown = text(&s, &["case", "show", "2026-0042", "--as-of", "2026-11-18"]);
        assert!(shown.contains("statutory: by the Regulations (art. 33): 20 working days from 2026-11-02, due 2026-11-30, 8 working day(s) left\n"), "{shown}");
        assert!(shown.contains("  WARNING: the rulebook's deadline 2026-12-01 falls after the statutory one 2026-11-30: answer by 2026-11-30 (Regulations art. 33)\n"), "{shown}");
        let shown = json(&s, &["case", "show", "2026-0042", "--as-of", "2026-11-18", "--json"]);
        assert_eq!(shown["status"]["statutory"]["due"], "2026-11-30");
        assert_eq!(shown["status"]["statutory"]["faults"][0]["kind"], "rulebook_past_statutory");

        // 15 days more on both clocks (the rulebook's extension is the statutory one too): the
        // section's 25 after Nov 17 end Tue Dec 22 (Dec 1 is its 10th, Dec 2–4, 7–11, 14–18,
        // 21, 22 the 11th to 25th); the law's 35 after Nov 2 end Mon Dec 21 (Nov 30 its 20th, Dec
        // 1–4, 7–11, 14–18, 21 the 21st to 35th): still a day past.
        ok(&s, &["case", "extend", "2026-0042", "--days", "15", "--approved-by", "局长", "--on", "2026-11-18"]);
        ok(&s, &["case", "notice", "2026-0042", "--kind", "extension", "--on", "2026-11-18"]);
        let status = json(&s, &["status", "--as-of", "2026-11-18", "--json"]);
        assert_eq!((status[0]["due"].as_str(), status[0]["statutory_due"].as_str()), (Some("2026-12-22"), Some("2026-12-21")));
        assert_eq!(status[0]["statutory_faults"], 1);

        // Forwarded in time, the rulebook binds: received Nov 2, forwarded Mon Nov 9, 15 days
        // extended: 5 + 10 + 15 = 30 counted days end Mon Dec 14 (Nov 10–13, 16–20, 23–27, 30,
        // Dec 1–4, 7–11, 14), the law's 20 + 15 = 35 Mon Dec 21.
        received(&s, "2026-0043");
        ok(&s, &["case", "forward", "2026-0043", "--section", "ss", "--on", "2026-11-09"]);
        ok(&s, &["case", "extend", "2026-0043", "--days", "15", "--approved-by", "局长", "--on", "2026-11-20"]);
        let status = json(&s, &["status", "--as-of", "2026-11-30", "--json"]);
        let row = status.as_array().unwrap().iter().find(|r| r["reference"] == "2026-0043").expect("listed");
        assert_eq!((row["due"].as_str(), row["statutory_due"].as_str()), (Some("2026-12-14"), Some("2026-12-21")));
        assert_eq!(row["statutory_faults"], 0, "the notice is owed until Nov 30, the end of the 20 days");
        // Its written notice not recorded by Mon Nov 30, when the 20 days it extends ran out: a
        // procedural fault (Regulations art. 33).
        let shown = text(&s, &["case", "show", "2026-0043", "--as-of", "2026-12-01"]);
        assert!(shown.contains("  WARNING: the written notice of the extension approved 2026-11-20 was not recorded before the period it extends ran out on 2026-11-30: a procedural fault (Regulations art. 33)\n"), "{shown}");
    };

    a_third_party_consultation_stops_only_the_law_s_clock_for_its_time_and_its_fifteen_days_are_reminded => |backend| {
        let s = Setup::with_store(backend);
        received(&s, "2026-0050");
        ok(&s, &["case", "forward", "2026-0050", "--section", "ss", "--on", "2026-11-04"]);
        ok(&s, &["case", "suspend", "2026-0050", "--from", "2026-11-09", "--reason", "third_party"]);
        // The third party's 15 working days after Mon Nov 9: Nov 10–13 (4), 16–20 (9), 23–27
        // (14), Mon Nov 30 (15). While it is consulted the law's clock stands still.
        let shown = text(&s, &["case", "show", "2026-0050", "--as-of", "2026-11-30"]);
        assert!(shown.contains("  third party consulted from 2026-11-09 (Regulations art. 32): its answer pending (due 2026-11-30)\n"), "{shown}");
        let shown = text(&s, &["case", "show", "2026-0050", "--as-of", "2026-12-01"]);
        assert!(shown.contains("its answer is overdue: decide and resume (due 2026-11-30)"), "{shown}");
        assert_eq!(json(&s, &["status", "--as-of", "2026-12-01", "--json"])[0]["statutory_due"], Value::Null);
        // Resumed Mon Nov 23: Nov 9–20 do not count. The law: Nov 3–6 (4), 23–27 (9), 30 (10),
        // Dec 1–4 (14), 7–11 (19), Mon Dec 14 (20). The section: Nov 5, 6 (2), 23–27 (7), 30 (8),
        // Dec 1 (9), Wed Dec 2 (10).
        ok(&s, &["case", "resume", "2026-0050", "--on", "2026-11-23"]);
        let status = json(&s, &["status", "--as-of", "2026-11-24", "--json"]);
        assert_eq!((status[0]["due"].as_str(), status[0]["statutory_due"].as_str()), (Some("2026-12-02"), Some("2026-12-14")));
    };

    a_correction_restarts_the_law_s_clock_and_its_seven_day_notice_is_reminded => |backend| {
        let s = Setup::with_store(backend);
        received(&s, "2026-0060");
        // Asked for a correction Wed Nov 4; the 7 working days after Nov 2 end Wed Nov 11 (Nov
        // 3–6, 9–11).
        ok(&s, &["case", "suspend", "2026-0060", "--from", "2026-11-04", "--reason", "correction"]);
        let shown = text(&s, &["case", "show", "2026-0060", "--as-of", "2026-11-12"]);
        assert!(shown.contains("  correction notice (Regulations art. 30) for the receipt of 2026-11-02: MISSING (due 2026-11-11)\n"), "{shown}");
        assert!(shown.contains("stopped (a correction or a consultation), no due for now"), "{shown}");
        // The completed request came Mon Nov 16: the law's 20 days run from it (Nov 17–20 (4),
        // 23–27 (9), 30 (10), Dec 1–4 (14), 7–11 (19), Mon Dec 14 (20)); the rulebook's forward
        // stage skips Nov 4–13: Nov 3, 16, 17, 18, Thu Nov 19.
        ok(&s, &["case", "resume", "2026-0060", "--on", "2026-11-16"]);
        let status = json(&s, &["status", "--as-of", "2026-11-17", "--json"]);
        assert_eq!((status[0]["due"].as_str(), status[0]["statutory_due"].as_str()), (Some("2026-11-19"), Some("2026-12-14")));
    };

    a_case_given_back_is_forwarded_again_and_its_reply_starts_afresh => |backend| {
        let s = Setup::with_store(backend);
        received(&s, "2026-0070");
        ok(&s, &["case", "forward", "2026-0070", "--section", "ss", "--on", "2026-11-04"]);
        s.duewatch(&["case", "return", "2026-0070", "--on", "2026-11-06", "--reason", "非本股室职责，应由政策法规股办理"])
            .assert()
            .success()
            .stdout("2026-0070: return recorded\n");
        // The forward stage is open again, its clock running from receipt (the strict reading):
        // due Mon Nov 9, as before.
        let status = json(&s, &["status", "--as-of", "2026-11-09", "--json"]);
        assert_eq!((status[0]["stage"].as_str(), status[0]["responsible"].as_str()), (Some("forward"), Some("office")));
        assert_eq!((status[0]["due"].as_str(), status[0]["level"].as_str()), (Some("2026-11-09"), Some("due_today")));
        let shown = text(&s, &["case", "show", "2026-0070", "--as-of", "2026-11-09"]);
        assert!(shown.contains("returned 2026-11-06 by ss (forwarded to it 2026-11-04): 非本股室职责，应由政策法规股办理\n"), "{shown}");
        assert!(shown.contains("  returned 2026-11-06 (Fri) by ss as not its own; the forward stage runs on from receipt (rules.return_restarts_forward = false)\n"), "{shown}");
        assert_eq!(s.column("SELECT CAST(section AS TEXT) FROM returns"), [Some("ss".to_owned())]);

        // Forwarded again (改派) Tue Nov 10 to zc: the office a day late; zc's 10 days after Nov
        // 10 end Tue Nov 24 (Nov 11–13, 16–20, 23, 24); the law's deadline stays Mon Nov 30.
        ok(&s, &["case", "forward", "2026-0070", "--section", "zc", "--on", "2026-11-10"]);
        let shown = json(&s, &["case", "show", "2026-0070", "--as-of", "2026-11-11", "--json"]);
        assert_eq!(shown["status"]["stages"][0]["state"], json!({"state": "done_late", "by": 1}));
        assert_eq!(shown["status"]["stages"][1]["responsible"], "zc");
        assert_eq!(shown["status"]["stages"][1]["due"], "2026-11-24");
        assert_eq!(shown["status"]["statutory"]["due"], "2026-11-30");
        assert_eq!(shown["case"]["returns"], json!([{"returned_on": "2026-11-06", "section": "ss", "forwarded_on": "2026-11-04", "reason": "非本股室职责，应由政策法规股办理"}]));
        let commands: Vec<&str> = shown["history"].as_array().unwrap().iter().map(|h| h["command"].as_str().unwrap()).collect();
        assert_eq!(commands, ["case add", "case forward", "case return", "case forward"]);

        // Configured to restart, the office's 5 days count from the return on Fri Nov 6: Nov
        // 9–12, Fri Nov 13; forwarded on Nov 10, on time.
        s.append_config("[rules]\nreturn_restarts_forward = true\n");
        let shown = json(&s, &["case", "show", "2026-0070", "--as-of", "2026-11-11", "--json"]);
        assert_eq!(shown["status"]["stages"][0]["due"], "2026-11-13");
        assert_eq!(shown["status"]["stages"][0]["state"], json!({"state": "done_on_time"}));
    };

    a_return_of_a_case_not_forwarded_answered_or_before_its_forwarding_is_refused_and_writes_nothing => |backend| {
        let s = Setup::with_store(backend);
        received(&s, "R-1");
        let before = recorded(&s, "R-1");
        let e = refused(&s, &["case", "return", "R-1", "--on", "2026-11-05", "--reason", "不是本股室的"]);
        assert!(e.contains("case R-1: the case is not forwarded to a section, so no section can give it back\n  help:"), "{e}");
        assert_eq!(recorded(&s, "R-1"), before);

        ok(&s, &["case", "forward", "R-1", "--section", "ss", "--on", "2026-11-04"]);
        let before = recorded(&s, "R-1");
        let e = refused(&s, &["case", "return", "R-1", "--on", "2026-11-03", "--reason", "不是本股室的"]);
        assert!(e.contains("case R-1: a return on 2026-11-03 cannot precede the forwarding on 2026-11-04"), "{e}");
        let e = refused(&s, &["case", "return", "R-1", "--on", "2026-11-05", "--reason", " "]);
        assert!(e.contains("case R-1: say why the case is not the section's (--reason)"), "{e}");
        assert_eq!(recorded(&s, "R-1"), before);

        ok(&s, &["case", "return", "R-1", "--on", "2026-11-06", "--reason", "不是本股室的"]);
        let before = recorded(&s, "R-1");
        let e = refused(&s, &["case", "forward", "R-1", "--section", "zc", "--on", "2026-11-05"]);
        assert!(e.contains("case R-1: forwarding on 2026-11-05 is before the case was given back on 2026-11-06"), "{e}");
        let e = refused(&s, &["case", "extend", "R-1", "--days", "5", "--approved-by", "局长", "--on", "2026-11-09"]);
        assert!(e.contains("forward the case first"), "not forwarded now: {e}");
        assert_eq!(recorded(&s, "R-1"), before);

        ok(&s, &["case", "forward", "R-1", "--section", "zc", "--on", "2026-11-09"]);
        ok(&s, &["case", "reply", "R-1", "--on", "2026-11-12"]);
        let before = recorded(&s, "R-1");
        let e = refused(&s, &["case", "return", "R-1", "--on", "2026-11-13", "--reason", "不是本股室的"]);
        assert!(e.contains("case R-1: the case was answered on 2026-11-12; an answered case cannot be changed"), "{e}");
        assert_eq!(recorded(&s, "R-1"), before);
        assert_eq!(s.column("SELECT CAST(returned_on AS TEXT) FROM returns"), [Some("2026-11-06".to_owned())]);
    };

    the_law_s_faults_are_mailed_once_to_the_section_and_the_office => |backend| {
        let server = SmtpServer::start();
        let s = Setup::with_store(backend);
        s.append_config(&format!(
            "{}[mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 2\n",
            crate::helpers::ADDRESSES,
            server.port
        ));
        received(&s, "2026-0080");
        // Forwarded late (Tue Nov 17): the section's deadline Tue Dec 1 is past the law's Mon
        // Nov 30 (as counted above). On Nov 18 no stage is near its deadline: the law's line is
        // the only one, to the section that must answer and to the office.
        ok(&s, &["case", "forward", "2026-0080", "--section", "ss", "--on", "2026-11-17"]);
        let run = |now: &str| {
            s.duewatch(&["run", "--once", "--now", now]).timeout(Duration::from_secs(60)).assert().success();
        };
        run("2026-11-18T09:00");
        for to in ["head@bureau.example", "office@bureau.example"] {
            let mails = server.to(to);
            assert_eq!(mails.len(), 1, "{to}");
            let body = mails[0].text().replace("\r\n", "\n");
            assert!(body.contains("2026-0080"), "{body}");
            assert!(body.contains("按本局制度的期限 2026-12-01 晚于《条例》法定期限 2026-11-30"), "{to}: {body}");
        }
        run("2026-11-19T09:00");
        assert_eq!(server.received().len(), 2, "told once");
    };

    the_console_shows_both_dues_and_a_section_gives_a_case_back_through_the_api => |backend| {
        let s = Setup::with_store(backend);
        received(&s, "2026-0090");
        ok(&s, &["case", "forward", "2026-0090", "--section", "ss", "--on", "2026-11-17"]);
        let console = crate::recording::start(&s);
        let mut office = crate::recording::office(&console);
        let page = office.get("/cases/2026-0090");
        assert_eq!(page.status, 200, "{}", page.body);
        let stages = &page.body[page.body.find(r#"id="stages""#).expect("the stages")..];
        assert!(stages.contains(r#"<dd class="due">2026-12-01"#), "the rulebook's: {stages}");
        let statutory = &stages[stages.find(r#"id="statutory""#).expect("the law's clock")..];
        assert!(statutory.contains(r#"<dd class="due">2026-11-30"#), "the law's: {statutory}");
        assert!(statutory.contains("按本局制度的期限 2026-12-01 晚于《条例》法定期限 2026-11-30"), "{statutory}");
        // The list shows the law's deadline under the rulebook's, marked when at fault.
        let list = office.get("/cases");
        let row = &list.body[list.body.find(r#"data-reference="2026-0090""#).expect("listed")..];
        assert!(row.contains(r#"2026-12-01<br><span class="statutory warn">法定 2026-11-30</span>"#), "{row}");

        // The section that holds it gives it back through the write API (its own token); it
        // is answered the case as the return left it, and reads it no more.
        let mut ss = console.client();
        ss.headers.push(("authorization".to_owned(), format!("Bearer {}", crate::recording::token(&s, "ss1"))));
        let on = crate::recording::ago(1);
        let answer = ss.post_json("/api/v1/cases/2026-0090/return", &json!({"on": on, "reason": "非本股室职责"}));
        assert_eq!(answer.status, 200, "{}", answer.body);
        let case: Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(case["case"]["forwarded_on"], Value::Null, "{case}");
        assert_eq!(case["case"]["returns"][0]["section"], "ss", "{case}");
        assert_eq!(case["history"].as_array().and_then(|h| h.last()).map(|l| l["actor"].clone()), Some(json!("ss1")));
        assert_eq!(ss.get("/api/v1/cases/2026-0090").status, 404);
        // The office sees the return on the page, with the form to forward it again.
        let page = office.get("/cases/2026-0090");
        assert!(page.body.contains(r#"id="returns""#) && page.body.contains("非本股室职责"), "{}", page.body);
        assert!(page.body.contains(r#"id="act-forward""#), "{}", page.body);
    };
}

#[test]
fn case_add_help_says_which_day_of_receipt_to_enter_per_channel() {
    let s = Setup::new();
    s.duewatch(&["case", "add", "--help"])
        .assert()
        .success()
        .stdout(contains("Regulations art. 31"))
        .stdout(contains("registered mail"))
        .stdout(contains("the day the office signed for it"))
        .stdout(contains("confirmed receipt"));
}
