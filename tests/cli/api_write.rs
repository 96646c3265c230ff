//! The write API (issue 16) against the running daemon on both backends: every act through
//! `POST /api/v1/cases[/{reference}/{act}]` records what the command line records and answers the
//! case as `GET /api/v1/cases/{reference}` and `case show --json` give it; each refusal has its
//! status, says the command line's words and writes nothing.

use serde_json::{Value, json};

use crate::console::Answer;
use crate::helpers::{Backend, Setup};
use crate::recording::{ago, cli_refusal, life, object, office_actor, shown, start, token};

on_both_backends! {
    the_write_api_records_every_act_and_answers_the_case_as_case_show_prints_it => |backend| {
        let s = Setup::with_store(backend);
        let console = start(&s);
        // Another system, with the office's token (no session, no CSRF token).
        let mut api = console.client();
        api.headers.push(("authorization".to_owned(), format!("Bearer {}", token(&s, "office1"))));

        let answer = api.post_json("/api/v1/cases", &json!({
            "reference": "2026/A1", "received_on": ago(30), "subject": "养老保险", "channel": "网络",
        }));
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.content_type, "application/json");
        let get = api.get("/api/v1/cases/2026%2FA1");
        assert_eq!(get.status, 200, "{}", get.body);
        assert_eq!(answer.body, get.body, "the answer is the case as GET gives it");
        let cli = s.duewatch(&["case", "show", "2026/A1", "--json"]).output().expect("case show");
        assert_eq!(get.body, String::from_utf8_lossy(&cli.stdout), "the bytes case show --json prints");
        let case: Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(case["case"]["channel"], json!("online"), "{case}");

        for (word, fields) in life() {
            let answer = api.post_json(&format!("/api/v1/cases/2026%2FA1/{word}"), &object(&fields));
            assert_eq!(answer.status, 200, "{word}: {}", answer.body);
            let case: Value = serde_json::from_str(&answer.body).expect("JSON");
            let last = case["history"].as_array().and_then(|h| h.last()).expect("a line");
            assert_eq!(last["command"], json!(format!("case {word}")), "{case}");
            assert_eq!(last["actor"], office_actor(), "{case}");
        }
        let done: Value = serde_json::from_str(&api.get("/api/v1/cases/2026%2FA1").body).expect("JSON");
        assert_eq!(done["case"]["replied_on"], json!(ago(5)), "{done}");
        assert_eq!(done["case"]["extensions"][0]["notice_on"], json!(ago(19)), "{done}");
        assert_eq!(done["case"]["suspensions"][0]["until"], json!(ago(10)), "{done}");

        // An old receipt, confirmed.
        let old = ago(400);
        let answer = api.post_json("/api/v1/cases", &json!({"reference": "A2", "received_on": old}));
        assert_eq!(answer.status, 422, "{}", answer.body);
        assert!(answer.body.contains("give --allow-old"), "{}", answer.body);
        let answer = api.post_json("/api/v1/cases", &json!({"reference": "A2", "received_on": old, "allow_old": true}));
        assert_eq!(answer.status, 200, "{}", answer.body);
    };

    each_refusal_of_the_write_api_has_its_status_and_writes_nothing => |backend| {
        let s = Setup::with_store(backend);
        s.duewatch_on_the_clock(&["case", "add", "--ref", "B1", "--received", &ago(10)])
            .assert()
            .success();
        let console = start(&s);
        let mut api = console.client();
        api.headers.push(("authorization".to_owned(), format!("Bearer {}", token(&s, "office1"))));
        let before = shown(&s, "B1");
        let error = |a: &Answer| -> String {
            assert_eq!(a.content_type, "application/json", "{a:?}");
            let v: Value = serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("{e}: {}", a.body));
            v["error"].as_str().unwrap_or_else(|| panic!("no error: {v}")).to_owned()
        };

        // 400: not JSON, not an object, a field unknown, of the wrong kind, missing or bad.
        let a = api.send("POST", "/api/v1/cases/B1/reply", &[], Some(("application/json", b"on=2026".to_vec())));
        assert_eq!(a.status, 400, "{}", a.body);
        assert!(error(&a).contains("not a JSON object") && error(&a).contains("fields of reply: on, outcome, applicant, allow_old"), "{}", a.body);
        for (body, says) in [
            (json!(["on"]), "not a JSON object"),
            (json!({"on": ago(1), "by": "me"}), "field \"by\": this act takes no such field; it takes: on, outcome, applicant, allow_old"),
            (json!({"on": 20_261_120}), "field \"on\": give text (a JSON string), not a number"),
            (json!({}), "field \"on\": missing"),
            (json!({"on": "2026-13-01"}), "field \"on\": 2026-13-01 does not exist"),
            (json!({"on": ago(1), "allow_old": "yes"}), "field \"allow_old\""),
        ] {
            let a = api.post_json("/api/v1/cases/B1/reply", &body);
            assert_eq!(a.status, 400, "{body}: {}", a.body);
            assert!(error(&a).contains(says), "{body}: {}", a.body);
        }
        let a = api.post_json("/api/v1/cases/B1/extend", &json!({"days": "many", "approved_by": "x", "on": ago(1)}));
        assert_eq!(a.status, 400, "{}", a.body);
        assert!(error(&a).starts_with("field \"days\": "), "{}", a.body);

        // 404: no such case, no such act.
        let a = api.post_json("/api/v1/cases/NOPE/reply", &json!({"on": ago(1)}));
        assert_eq!(a.status, 404, "{}", a.body);
        assert!(error(&a).contains("NOPE"), "{}", a.body);
        assert_eq!(api.post_json("/api/v1/cases/B1/delete", &json!({})).status, 404);
        assert_eq!(api.get("/api/v1/cases/NOPE").status, 404);

        // 422: a rule, in the command line's words (a reply before the forwarding, art. 19).
        let said = cli_refusal(&s, &["case", "reply", "B1", "--on", &ago(1)]);
        let a = api.post_json("/api/v1/cases/B1/reply", &json!({"on": ago(1)}));
        assert_eq!(a.status, 422, "{}", a.body);
        assert_eq!(error(&a), said);
        let said = cli_refusal(&s, &["case", "extend", "B1", "--days", "20", "--approved-by", "x", "--on", &ago(1)]);
        let a = api.post_json("/api/v1/cases/B1/extend", &json!({"days": 20, "approved_by": "x", "on": ago(1)}));
        assert_eq!((a.status, error(&a)), (422, said));
        let a = api.post_json("/api/v1/cases", &json!({"reference": "B1", "received_on": ago(1)}));
        assert_eq!(a.status, 422, "{}", a.body);
        assert!(error(&a).contains("case B1 exists already"), "{}", a.body);

        assert_eq!(shown(&s, "B1"), before, "nothing was written");
    };
}
