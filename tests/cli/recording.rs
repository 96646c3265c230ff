//! Recording from the browser and through the write API (issue 16), against the running daemon
//! on both backends: every act through the console's forms and through the JSON API records
//! what the command line records (the same case, the same history lines), a refusal says the
//! command line's words and writes nothing, a refused form keeps what was typed, and each
//! answer has its status.

use chrono::Days;
use serde_json::{Value, json};

use crate::access::PASSWORD;
use crate::console::{Answer, Client, Console, unescaped};
use crate::helpers::{Backend, Setup, clock_today};

/// The day `days` before today (the daemon checks acts against the real clock).
pub(crate) fn ago(days: u64) -> String {
    clock_today()
        .checked_sub_days(Days::new(days))
        .expect("a date")
        .to_string()
}

/// An act: its word and its fields, named as the command line's flags.
pub(crate) type Step = (&'static str, Vec<(&'static str, String)>);

/// A case's life after its receipt 30 days ago: forwarded, extended, suspended and resumed,
/// each with its written notice (arts. 19–21), then answered.
pub(crate) fn life() -> Vec<Step> {
    let s = |v: &str| v.to_owned();
    vec![
        ("forward", vec![("section", s("ss")), ("on", ago(28))]),
        (
            "extend",
            vec![
                ("days", s("5")),
                ("approved_by", s("张局长")),
                ("on", ago(20)),
                ("reason", s("需要会商")),
            ],
        ),
        ("notice", vec![("kind", s("extension")), ("on", ago(19))]),
        (
            "suspend",
            vec![
                ("from", ago(15)),
                ("reason", s("force_majeure")),
                ("note", s("台风")),
            ],
        ),
        ("notice", vec![("kind", s("suspension")), ("on", ago(14))]),
        ("resume", vec![("on", ago(10))]),
        ("notice", vec![("kind", s("resumption")), ("on", ago(9))]),
        ("reply", vec![("on", ago(5))]),
    ]
}

/// Records `step` on `reference` with the command line.
fn by_the_command_line(s: &Setup, reference: &str, (word, fields): &Step) {
    let mut args = vec!["case".to_owned(), (*word).to_owned(), reference.to_owned()];
    for (name, value) in fields {
        args.push(format!("--{}", name.replace('_', "-")));
        args.push(value.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    s.duewatch_on_the_clock(&args).assert().success();
}

/// `case show REFERENCE --json`, parsed.
pub(crate) fn shown(s: &Setup, reference: &str) -> Value {
    let out = s
        .duewatch(&["case", "show", reference, "--json"])
        .output()
        .expect("case show");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The message the command line gives when it refuses `args` (its stderr, without `error: `).
pub(crate) fn cli_refusal(s: &Setup, args: &[&str]) -> String {
    let out = s.duewatch_on_the_clock(args).output().expect("duewatch");
    assert_eq!(out.status.code(), Some(1), "{args:?} should be refused");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    stderr
        .strip_prefix("error: ")
        .unwrap_or(&stderr)
        .trim_end()
        .to_owned()
}

/// The form of `act` on a page (from its `<details>` to its end).
fn form<'a>(page: &'a str, act: &str) -> &'a str {
    let at = page
        .find(&format!(r#"id="act-{act}""#))
        .unwrap_or_else(|| panic!("no form of {act}: {page}"));
    let end = page[at..].find("</details>").expect("the form's end");
    &page[at..at + end]
}

/// The fields of a step as `(name, value)` for a form.
pub(crate) fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// The fields of a step as a JSON object (`days` a number).
pub(crate) fn object(fields: &[(&'static str, String)]) -> Value {
    let mut map = serde_json::Map::new();
    for (name, value) in fields {
        let value = match *name {
            "days" => json!(value.parse::<u32>().expect("a count")),
            _ => json!(value),
        };
        map.insert((*name).to_owned(), value);
    }
    Value::Object(map)
}

/// Makes the test accounts (an administrator, the office, the leadership and the section
/// `ss`: [`crate::access::ACCOUNTS`]) and starts the console with the login page.
pub(crate) fn start(s: &Setup) -> Console {
    for (name, role) in crate::access::ACCOUNTS {
        crate::access::add_user(s, name, role);
    }
    s.append_config("[web]\nauth = \"password\"\n");
    Console::start_logged_out(s)
}

/// The office's browser, logged in.
pub(crate) fn office(console: &Console) -> Client<'_> {
    console.login("office1", PASSWORD)
}

/// The history's actor of what the office records through the console.
pub(crate) fn office_actor() -> Value {
    json!("office1")
}

/// A bearer token of `name`'s (`duewatch token add`).
pub(crate) fn token(s: &Setup, name: &str) -> String {
    let out = s
        .duewatch(&["token", "add", name])
        .output()
        .expect("duewatch runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("a token in {text}"))
        .to_owned()
}

/// A case's recorded state without its reference, to compare two cases.
fn recorded_state(shown: &Value) -> Value {
    let mut case = shown["case"].clone();
    case.as_object_mut().expect("an object").remove("reference");
    case
}

/// The history's (command, change) lines.
pub(crate) fn history(shown: &Value) -> Vec<(String, String)> {
    shown["history"]
        .as_array()
        .expect("a history")
        .iter()
        .map(|h| {
            (
                h["command"].as_str().expect("a command").to_owned(),
                h["change"].as_str().expect("a change").to_owned(),
            )
        })
        .collect()
}

pub(crate) fn assert_redirected_to(answer: &Answer, to: &str) {
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.location.as_deref(), Some(to), "{answer:?}");
}

on_both_backends! {
    every_act_recorded_through_the_forms_is_recorded_as_the_command_line_records_it => |backend| {
        let s = Setup::with_store(backend);
        let console = start(&s);
        let mut browser = office(&console);
        let subject = "<script>alert(1)</script>2025年度预算";

        let page = browser.get("/cases/new");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(r#"<form method="post" action="/cases/new">"#), "{}", page.body);
        let received = ago(30);
        let answer = browser.post_form("/cases/new", &[
            ("reference", "2026/W1"),
            ("received_on", &received),
            ("subject", subject),
            ("channel", "online"),
        ]);
        assert_redirected_to(&answer, "/cases/2026%2FW1");
        for (word, fields) in life() {
            let answer = browser.post_form(&format!("/cases/2026%2FW1/{word}"), &pairs(&fields));
            assert_redirected_to(&answer, "/cases/2026%2FW1");
        }

        // The same acts by the command line on another case.
        s.duewatch_on_the_clock(&[
            "case", "add", "--ref", "C1", "--received", &received, "--subject", subject,
            "--channel", "online",
        ])
        .assert()
        .success();
        for step in life() {
            by_the_command_line(&s, "C1", &step);
        }
        let (web, cli) = (shown(&s, "2026/W1"), shown(&s, "C1"));
        assert_eq!(recorded_state(&web), recorded_state(&cli));
        assert_eq!(history(&web), history(&cli));
        assert_eq!(history(&web).len(), 9, "{web}");
        for line in web["history"].as_array().expect("a history") {
            assert_eq!(line["actor"], office_actor(), "{line}");
        }
        for line in cli["history"].as_array().expect("a history") {
            assert!(line["actor"].as_str().is_some_and(|a| a.starts_with("cli:")), "{line}");
        }

        // The page shows the case as recorded, the subject as text; a replied case still has
        // its forms (a closure, a late notice), each refused by the rules when it may not be.
        let page = browser.get("/cases/2026%2FW1");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;2025年度预算"), "{}", page.body);
        assert!(!page.body.contains("<script>"), "{}", page.body);
        assert!(page.body.contains("张局长") && page.body.contains("台风"), "{}", page.body);
        for word in ["forward", "extend", "suspend", "resume", "notice", "correct", "reply", "close"] {
            let f = form(&page.body, word);
            assert!(
                f.contains(&format!(r#"action="/cases/2026%2FW1/{word}""#)),
                "{f}"
            );
        }
        let notice = form(&page.body, "notice");
        assert!(notice.contains(r#"<option value="suspension">中止告知</option>"#), "{notice}");
        let forward = form(&page.body, "forward");
        assert!(forward.contains(r#"<option value="ss">社会保险股（ss）</option>"#), "{forward}");
        assert!(forward.contains(r#"type="date" name="on""#), "{forward}");

        // Correction and closure, the two acts the life above has not.
        let answer = browser.post_form("/cases/new", &[("reference", "W2"), ("received_on", &ago(30))]);
        assert_redirected_to(&answer, "/cases/W2");
        let answer = browser.post_form("/cases/W2/correct", &[("received", &ago(25))]);
        assert_redirected_to(&answer, "/cases/W2");
        let answer = browser.post_form("/cases/W2/close", &[("on", &ago(3)), ("reason", "withdrawn")]);
        assert_redirected_to(&answer, "/cases/W2");
        let w2 = shown(&s, "W2");
        assert_eq!(w2["case"]["received_on"], json!(ago(25)), "{w2}");
        assert_eq!(w2["case"]["closed_on"], json!(ago(3)), "{w2}");
        assert_eq!(w2["case"]["close_reason"], json!("withdrawn"), "{w2}");
        let commands: Vec<_> = history(&w2).into_iter().map(|(c, _)| c).collect();
        assert_eq!(commands, ["case add", "case correct", "case close"]);
    };

    a_refused_form_says_what_the_command_line_says_keeps_what_was_typed_and_writes_nothing => |backend| {
        let s = Setup::with_store(backend);
        s.duewatch_on_the_clock(&["case", "add", "--ref", "R1", "--received", &ago(10), "--subject", "工伤认定"])
            .assert()
            .success();
        let console = start(&s);
        let mut browser = office(&console);
        let before = shown(&s, "R1");

        // A rule: a forwarding before the receipt (art. 19).
        let early = ago(12);
        let said = cli_refusal(&s, &["case", "forward", "R1", "--section", "zc", "--on", &early]);
        assert!(said.starts_with("case R1: "), "{said}");
        let page = browser.post_form("/cases/R1/forward", &[("section", "zc"), ("on", &early)]);
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
        let f = form(&page.body, "forward");
        assert!(f.starts_with(r#"id="act-forward" open"#), "{f}");
        assert!(unescaped(f).contains(&said), "{said} in {f}");
        assert!(f.contains(&format!(r#"name="on" value="{early}""#)), "{f}");
        assert!(f.contains(r#"<option value="zc" selected>"#), "{f}");
        assert!(!form(&page.body, "reply").contains(" open"), "only the refused form is open");

        // A date that is no date: the field is named, what was typed kept.
        let page = browser.post_form("/cases/R1/extend", &[
            ("days", "5"), ("approved_by", "张局长"), ("on", "2026-02-30"), ("reason", "会商"),
        ]);
        assert_eq!(page.status, 422, "{}", page.body);
        let f = unescaped(form(&page.body, "extend"));
        assert!(f.contains("批准日期：2026-02-30 does not exist in the calendar"), "{f}");
        assert!(f.contains(r#"name="on" value="2026-02-30" placeholder="YYYY-MM-DD" required aria-invalid="true""#), "{f}");
        assert!(f.contains(r#"name="approved_by" value="张局长""#) && f.contains(r#"name="reason" value="会商""#), "{f}");

        // An act after today, with the entry check's words.
        let tomorrow = clock_today().succ_opt().expect("a date").to_string();
        let page = browser.post_form("/cases/R1/forward", &[("section", "ss"), ("on", &tomorrow)]);
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(unescaped(&page.body).contains("is after today"), "{}", page.body);

        // A reference that is taken: the new case page again, the subject kept, as text.
        let hostile = "重复\"><img src=x onerror=alert(1)>";
        let page = browser.post_form("/cases/new", &[
            ("reference", "R1"), ("received_on", &ago(1)), ("subject", hostile),
        ]);
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(!page.body.contains("<img"), "{}", page.body);
        assert!(page.body.contains(r#"value="重复&quot;&gt;&lt;img src=x onerror=alert(1)&gt;""#), "{}", page.body);
        let text = unescaped(&page.body);
        assert!(text.contains("case R1 exists already"), "{text}");

        // No such act, no such case.
        assert_eq!(browser.post_form("/cases/R1/delete", &[]).status, 404);
        assert_eq!(browser.post_form("/cases/NOPE/reply", &[("on", &ago(1))]).status, 404);
        assert_eq!(browser.post_form("/cases/R1/add", &[]).status, 404);

        assert_eq!(shown(&s, "R1"), before, "nothing was written");
    };
}

#[test]
fn with_a_case_system_no_form_is_shown_and_every_write_is_a_409() {
    let s = Setup::with_store(Backend::Sqlite);
    let system = crate::web::CaseSystemDb::new();
    system.exec(&[
        "CREATE TABLE shenqing (bianhao VARCHAR(32) PRIMARY KEY, shoudao DATE NOT NULL)",
        "CREATE VIEW v_cases AS SELECT bianhao AS reference, CAST(NULL AS VARCHAR(200)) AS subject, \
         shoudao AS received_on, CAST(NULL AS DATE) AS forwarded_on, \
         CAST(NULL AS VARCHAR(50)) AS section, CAST(NULL AS DATE) AS replied_on, \
         CAST(NULL AS DATE) AS closed_on FROM shenqing",
        &format!("INSERT INTO shenqing VALUES ('2026-V001', '{}')", ago(3)),
    ]);
    s.append_config(&format!(
        "[cases]\nsource = \"sql\"\nurl = \"{}\"\ncases_query = \"SELECT * FROM v_cases\"\n",
        system.url
    ));
    let console = start(&s);
    let mut browser = office(&console);
    let page = browser.get("/cases/2026-V001");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains("id=\"acts\"") && !page.body.contains("<details class=\"act\""),
        "{}",
        page.body
    );

    let a = browser.post_form(
        "/cases/2026-V001/forward",
        &[("section", "ss"), ("on", &ago(1))],
    );
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.body.contains("cases.source"), "{}", a.body);
    assert_eq!(browser.get("/cases/new").status, 409);
    assert_eq!(
        browser
            .post_form(
                "/cases/new",
                &[("reference", "X"), ("received_on", &ago(1))]
            )
            .status,
        409
    );
    for (path, body) in [
        (
            "/api/v1/cases/2026-V001/forward",
            json!({"section": "ss", "on": ago(1)}),
        ),
        (
            "/api/v1/cases",
            json!({"reference": "X", "received_on": ago(1)}),
        ),
    ] {
        let a = browser.post_json(path, &body);
        assert_eq!(a.status, 409, "{path}: {}", a.body);
        assert!(a.body.starts_with("{\"error\":"), "{}", a.body);
    }
    // Reading still works: the case as the case system has it.
    let a = browser.get("/api/v1/cases/2026-V001");
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.body.contains("\"reference\": \"2026-V001\""),
        "{}",
        a.body
    );
}

on_both_backends! {
    each_role_records_what_it_may_and_learns_nothing_of_other_sections_cases => |backend| {
        let s = Setup::with_store(backend);
        for (reference, section) in [("T-OFF", None), ("T-SS", Some("ss")), ("T-ZC", Some("zc"))] {
            s.duewatch_on_the_clock(&["case", "add", "--ref", reference, "--received", &ago(6)])
                .assert()
                .success();
            if let Some(section) = section {
                s.duewatch_on_the_clock(&["case", "forward", reference, "--section", section, "--on", &ago(5)])
                    .assert()
                    .success();
            }
        }
        let console = start(&s);
        let cases = ["T-OFF", "T-SS", "T-ZC"];
        // The cases as recorded: without their notifications, which the console's own poll may
        // be recording and mailing meanwhile (a snapshot taken between the two, then one after
        // the mail, differed only there: seen once on PostgreSQL).
        let recorded = |reference: &str| {
            let mut case = shown(&s, reference);
            case.as_object_mut().expect("an object").remove("notifications");
            case
        };
        let before: Vec<Value> = cases.iter().map(|r| recorded(r)).collect();
        let reply = [("on", ago(1))];
        let reply_form = pairs(&reply);
        let reply_json = object(&reply);
        let new_case = json!({"reference": "T-NEW", "received_on": ago(1)});

        // Nobody: the API says 401, a form 401 (a POST is not sent on to the login page).
        let mut nobody = console.client();
        let a = nobody.post_json("/api/v1/cases/T-SS/reply", &reply_json);
        assert_eq!(a.status, 401, "{}", a.body);
        assert!(a.body.starts_with("{\"error\":"), "{}", a.body);
        assert_eq!(nobody.post_json("/api/v1/cases", &new_case).status, 401);
        assert_eq!(nobody.get("/api/v1/cases/T-SS").status, 401);
        assert_eq!(nobody.post_form("/cases/T-SS/reply", &reply_form).status, 401);

        // The leadership reads every case and records nothing: no form, 403 everywhere.
        let mut lead = console.login("lead1", PASSWORD);
        let page = lead.get("/cases/T-SS");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(!page.body.contains(r#"id="acts""#), "{}", page.body);
        assert_eq!(lead.get("/api/v1/cases/T-ZC").status, 200);
        let a = lead.post_form("/cases/T-SS/reply", &reply_form);
        assert_eq!(a.status, 403, "{}", a.body);
        assert!(a.body.contains("局领导"), "{}", a.body);
        let a = lead.post_json("/api/v1/cases/T-SS/reply", &reply_json);
        assert_eq!(a.status, 403, "{}", a.body);
        assert!(a.body.contains("the role leadership may not record"), "{}", a.body);
        assert_eq!(lead.get("/cases/new").status, 403);
        assert_eq!(lead.post_form("/cases/new", &[("reference", "T-NEW"), ("received_on", &ago(1))]).status, 403);
        assert_eq!(lead.post_json("/api/v1/cases", &new_case).status, 403);

        // A section: its own case shows the reply, the written notices (art. 20) and the
        // return of a case that is not its own (退回); it may not forward or close; another
        // section's case, or one at the office, is a 404.
        let mut ss = console.login("ss1", PASSWORD);
        let page = ss.get("/cases/T-SS");
        assert_eq!(page.status, 200, "{}", page.body);
        let shown_forms: Vec<&str> = page.body.split(r#"<details class="act" id="act-"#).skip(1)
            .map(|f| f.split('"').next().expect("an id"))
            .collect();
        assert_eq!(shown_forms, ["notice", "reply", "return", "outcome"]);
        let a = ss.post_form("/cases/T-SS/close", &[("on", &ago(1)), ("reason", "withdrawn")]);
        assert_eq!(a.status, 403, "{}", a.body);
        assert_eq!(ss.post_json("/api/v1/cases/T-SS/forward", &json!({"section": "zc", "on": ago(1)})).status, 403);
        for other in ["T-ZC", "T-OFF"] {
            let form = ss.post_form(&format!("/cases/{other}/reply"), &reply_form);
            let api = ss.post_json(&format!("/api/v1/cases/{other}/reply"), &reply_json);
            let get = ss.get(&format!("/api/v1/cases/{other}"));
            let missing = ss.post_json("/api/v1/cases/T-NONE/reply", &reply_json);
            assert_eq!((form.status, api.status, get.status), (404, 404, 404), "{other}");
            // As a case that does not exist: the same words.
            assert_eq!(
                api.body.replace(other, "X"),
                missing.body.replace("T-NONE", "X"),
                "{other}"
            );
        }
        assert_eq!(ss.get("/cases/new").status, 403);
        assert_eq!(ss.post_json("/api/v1/cases", &new_case).status, 403);

        // A form without its CSRF token is refused before it is read (the gate).
        let mut office = office(&console);
        let a = office.post_form("/cases/T-OFF/forward", &[("csrf", ""), ("section", "ss"), ("on", &ago(1))]);
        assert_eq!(a.status, 403, "{}", a.body);

        let after: Vec<Value> = cases.iter().map(|r| recorded(r)).collect();
        assert_eq!(after, before, "no refusal wrote anything");

        // What each may do lands in the history with its name.
        let a = ss.post_form("/cases/T-SS/reply", &reply_form);
        assert_redirected_to(&a, "/cases/T-SS");
        let a = office.post_form("/cases/T-OFF/forward", &[("section", "zc"), ("on", &ago(1))]);
        assert_redirected_to(&a, "/cases/T-OFF");
        let mut admin = console.login("admin1", PASSWORD);
        assert_eq!(admin.post_json("/api/v1/cases", &new_case).status, 200);
        for (reference, actor) in [("T-SS", "ss1"), ("T-OFF", "office1"), ("T-NEW", "admin1")] {
            let case = shown(&s, reference);
            let last = case["history"].as_array().and_then(|h| h.last()).expect("a line").clone();
            assert_eq!(last["actor"], json!(actor), "{case}");
        }
        // The page names them.
        let page = office.get("/cases/T-SS");
        assert!(page.body.contains("ss1"), "{}", page.body);
    };
}
