use super::*;
use crate::domain::case::{Channel, CloseReason};

fn reference() -> Reference {
    Reference::parse("2026-0042").expect("a reference")
}

fn day(text: &str) -> NaiveDate {
    parse_date(text).expect("a date")
}

/// A form's fields, every value text.
fn form<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, Raw<'a>)> {
    pairs.iter().map(|(n, v)| (*n, Raw::Text(v))).collect()
}

/// Form fields as (name, value).
type Pairs = Vec<(&'static str, &'static str)>;

fn on_case(act: Act, pairs: &[(&str, &str)]) -> Result<(acts::Act, bool), FieldError> {
    parse(act, Some(&reference()), &form(pairs), &["csrf"])
}

#[test]
fn each_act_reads_its_fields_as_the_command_line_names_them() {
    let r = reference;
    let table: Vec<(Act, Pairs, acts::Act)> = vec![
        (
            Act::Forward,
            vec![("section", "ss"), ("on", "2026-11-03")],
            acts::Act::Forward {
                reference: r(),
                section: SectionCode::parse("ss").expect("a code"),
                on: day("2026-11-03"),
            },
        ),
        (
            Act::Extend,
            vec![
                ("days", "10"),
                ("approved_by", "张局长"),
                ("on", "2026-11-20"),
                ("reason", ""),
            ],
            acts::Act::Extend {
                reference: r(),
                days: 10,
                approved_by: "张局长".to_owned(),
                on: day("2026-11-20"),
                reason: None,
            },
        ),
        (
            Act::Suspend,
            vec![
                ("from", "2026-11-05"),
                ("reason", "third_party"),
                ("note", "征求意见"),
            ],
            acts::Act::Suspend {
                reference: r(),
                from: day("2026-11-05"),
                reason: SuspensionReason::ThirdParty,
                note: Some("征求意见".to_owned()),
            },
        ),
        (
            Act::Resume,
            vec![("on", " 2026-11-09 ")],
            acts::Act::Resume {
                reference: r(),
                on: day("2026-11-09"),
            },
        ),
        (
            Act::Notice,
            vec![("kind", "suspension"), ("on", "2026-11-06")],
            acts::Act::Notice {
                reference: r(),
                kind: NoticeKind::Suspension,
                on: day("2026-11-06"),
            },
        ),
        (
            Act::Correct,
            vec![("received", "2026-11-04")],
            acts::Act::Correct {
                reference: r(),
                received: day("2026-11-04"),
            },
        ),
        (
            Act::Reply,
            vec![("on", "2026-11-30")],
            acts::Act::Reply {
                reference: r(),
                on: day("2026-11-30"),
                outcome: None,
                applicant: None,
            },
        ),
        (
            Act::Reply,
            vec![
                ("on", "2026-11-30"),
                ("outcome", "不予公开：属于国家秘密"),
                ("applicant", "法律服务机构"),
            ],
            acts::Act::Reply {
                reference: r(),
                on: day("2026-11-30"),
                outcome: Some(Outcome::StateSecret),
                applicant: Some(Applicant::LegalService),
            },
        ),
        (
            Act::Close,
            vec![
                ("on", "2026-11-30"),
                ("reason", "撤回"),
                ("outcome", "other.other"),
            ],
            acts::Act::Close {
                reference: r(),
                on: day("2026-11-30"),
                reason: CloseReason::Withdrawn,
                outcome: Some(Outcome::OtherHandling),
                applicant: None,
            },
        ),
        (
            Act::Outcome,
            vec![
                ("outcome", "partly_disclosed"),
                ("applicant", "natural_person"),
            ],
            acts::Act::Outcome {
                reference: r(),
                outcome: Some(Outcome::PartlyDisclosed),
                applicant: Some(Applicant::NaturalPerson),
            },
        ),
    ];
    for (act, pairs, expected) in table {
        let mut with_token = pairs.clone();
        with_token.push(("csrf", "token"));
        assert_eq!(
            on_case(act, &with_token),
            Ok((expected, false)),
            "{act:?} {pairs:?}"
        );
    }
}

#[test]
fn a_new_case_takes_its_reference_from_its_fields_and_old_dates_when_confirmed() {
    let given = form(&[
        ("reference", "2026/0043"),
        ("received_on", "2025-01-02"),
        ("subject", "<b>预算</b>"),
        ("channel", "网络"),
        ("allow_old", "on"),
    ]);
    let (act, allow_old) = parse(Act::Add, None, &given, &[]).expect("parsed");
    assert!(allow_old);
    assert_eq!(
        act,
        acts::Act::Add {
            reference: Reference::parse("2026/0043").expect("a reference"),
            received: day("2025-01-02"),
            subject: Some(Subject::parse("<b>预算</b>").expect("a subject")),
            channel: Some(Channel::Online),
            applicant: None,
        }
    );
}

#[test]
fn json_values_are_read_by_their_kind() {
    let body: serde_json::Value = serde_json::json!({
        "days": 5, "approved_by": "李", "on": "2026-11-20", "reason": null, "allow_old": true
    });
    let map = body.as_object().expect("an object");
    let given: Vec<_> = map
        .iter()
        .map(|(k, v)| (k.as_str(), Raw::json(v)))
        .collect();
    let (act, allow_old) = parse(Act::Extend, Some(&reference()), &given, &[]).expect("parsed");
    assert!(allow_old);
    assert!(
        matches!(
            act,
            acts::Act::Extend {
                days: 5,
                reason: None,
                ..
            }
        ),
        "{act:?}"
    );

    for (days, shown) in [
        (serde_json::json!(-1), "not -1"),
        (serde_json::json!(2.5), "not 2.5"),
        (serde_json::json!(4_294_967_296_u64), "not 4294967296"),
        (serde_json::json!([1]), "not a list"),
    ] {
        let given = [
            ("days", Raw::json(&days)),
            ("approved_by", Raw::Text("李")),
            ("on", Raw::Text("2026-11-20")),
        ];
        let e = parse(Act::Extend, Some(&reference()), &given, &[]).expect_err("refused");
        assert_eq!(e.field, "days");
        assert!(e.message.contains(shown), "{e}");
    }
    let on = serde_json::json!(20261120);
    let given = [("on", Raw::json(&on))];
    let e = parse(Act::Reply, Some(&reference()), &given, &[]).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "field \"on\": give text (a JSON string), not a number"
    );
}

#[test]
fn a_field_that_is_unknown_missing_twice_or_bad_is_named() {
    let cases: Vec<(Act, Pairs, &str, &str)> = vec![
        (
            Act::Reply,
            vec![("on", "2026-11-30"), ("by", "x")],
            "by",
            "it takes: on, outcome, applicant, allow_old",
        ),
        (Act::Reply, vec![("csrf", "t")], "on", "missing"),
        (Act::Reply, vec![("on", "")], "on", "missing"),
        (
            Act::Reply,
            vec![("on", "2026-02-30")],
            "on",
            "does not exist in the calendar",
        ),
        (Act::Reply, vec![("on", "30.11.2026")], "on", "YYYY-MM-DD"),
        (
            Act::Reply,
            vec![("on", "2026-11-30"), ("on", "2026-11-30")],
            "on",
            "given twice",
        ),
        (
            Act::Forward,
            vec![("section", "S S"), ("on", "2026-11-30")],
            "section",
            "S S",
        ),
        (
            Act::Notice,
            vec![("kind", "reply"), ("on", "2026-11-30")],
            "kind",
            "extension, suspension, resumption",
        ),
        (
            Act::Close,
            vec![("on", "2026-11-30"), ("reason", "lost")],
            "reason",
            "withdrawn",
        ),
        (
            Act::Reply,
            vec![("on", "2026-11-30"), ("allow_old", "maybe")],
            "allow_old",
            "true or false",
        ),
        (Act::Extend, vec![("days", "ten")], "days", "whole number"),
        (
            Act::Extend,
            vec![("days", "5"), ("on", "2026-11-30")],
            "approved_by",
            "missing",
        ),
    ];
    for (act, pairs, field, says) in cases {
        let e = on_case(act, &pairs).expect_err("refused");
        assert_eq!(e.field, field, "{pairs:?}: {e}");
        assert!(e.message.contains(says), "{pairs:?}: {e}");
    }
    let e = parse(
        Act::Add,
        None,
        &form(&[("reference", "a b"), ("received_on", "2026-11-02")]),
        &[],
    )
    .expect_err("refused");
    assert_eq!(
        (e.field.as_str(), e.label.as_str()),
        ("reference", "案件编号")
    );
    let e = parse(
        Act::Add,
        None,
        &form(&[
            ("reference", "R-1"),
            ("received_on", "2026-11-02"),
            ("subject", "a\nb"),
        ]),
        &[],
    )
    .expect_err("refused");
    assert!(
        e.message.contains("one line of at most 200 characters"),
        "{e}"
    );
    // csrf is a field only where the caller says so (a form, not the API).
    assert!(
        parse(
            Act::Reply,
            Some(&reference()),
            &form(&[("on", "2026-11-30"), ("csrf", "t")]),
            &[]
        )
        .is_err()
    );
}
