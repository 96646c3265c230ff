//! The rules of the changes, case by case: replays, refusals and their messages.

use super::*;
use crate::domain::case::Reference;

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a test date")
}

fn rules() -> Rules {
    Rules::default()
}

fn recorded() -> Case {
    let mut c = Case::received(
        Reference::parse("2026-0042").expect("a reference"),
        date("2026-11-02"),
    );
    c.forwarded_on = Some(date("2026-11-04"));
    c.section = Some(SectionCode::parse("ss").expect("a code"));
    c
}

#[test]
fn a_consistent_recorded_case_replays_to_itself() {
    let mut c = recorded();
    c.extensions.push(Extension {
        days: 5,
        approved_on: date("2026-11-10"),
        approved_by: "局长".to_owned(),
        reason: None,
        notice_on: Some(date("2026-11-11")),
    });
    c.suspensions.push(Suspension {
        from: date("2026-11-12"),
        until: Some(date("2026-11-16")),
        reason: SuspensionReason::ForceMajeure,
        note: None,
        notice_on: Some(date("2026-11-12")),
        resumption_notice_on: None,
    });
    assert_eq!(replay(&c, |_| true, &rules()), Ok(c));
}

#[test]
fn forwarding_before_receipt_an_unknown_section_and_too_long_extensions_are_refused() {
    let mut early = recorded();
    early.forwarded_on = Some(date("2026-11-01"));
    let e = replay(&early, |_| true, &rules())
        .expect_err("forwarded before receipt")
        .to_string();
    assert!(e.contains("before receipt on 2026-11-02"), "{e}");

    let e = replay(&recorded(), |_| false, &rules())
        .expect_err("unknown section")
        .to_string();
    assert!(e.contains("section \"ss\" is not configured"), "{e}");

    let mut long = recorded();
    for (days, on) in [(10, "2026-11-05"), (6, "2026-11-06")] {
        long.extensions.push(Extension {
            days,
            approved_on: date(on),
            approved_by: "局长".to_owned(),
            reason: None,
            notice_on: None,
        });
    }
    let e = replay(&long, |_| true, &rules())
        .expect_err("16 days of extension")
        .to_string();
    assert!(e.contains("art. 20 allows at most 15"), "{e}");
}

#[test]
fn a_reply_before_receipt_is_refused() {
    let mut c = recorded();
    c.forwarded_on = None;
    c.section = None;
    c.replied_on = Some(date("2026-10-30"));
    let e = replay(&c, |_| true, &rules())
        .expect_err("a reply without forwarding")
        .to_string();
    assert!(e.contains("not forwarded"), "{e}");
}

#[test]
fn a_refusal_names_its_rule_and_reads_as_the_message_of_before() {
    let mut c = recorded();
    c.extensions.push(Extension {
        days: 10,
        approved_on: date("2026-11-05"),
        approved_by: "局长".to_owned(),
        reason: None,
        notice_on: None,
    });
    let e = extend(
        &mut c.clone(),
        6,
        "局长",
        date("2026-11-06"),
        None,
        &rules(),
    )
    .expect_err("16 days in all");
    assert_eq!(
        e,
        Refusal::ExtensionTooLong {
            days: 6,
            total: 16,
            max: 15
        }
    );
    assert_eq!(
        e.to_string(),
        "extending by 6 would bring the extensions to 16 working days; art. 20 allows at \
         most 15 (rules.max_extension)"
    );
    let e = extend(&mut c.clone(), 1, " ", date("2026-11-06"), None, &rules())
        .expect_err("no approver");
    assert_eq!(e, Refusal::NoApprover);
    let e = extend(&mut c, 1, "局长\n", date("2026-11-06"), None, &rules()).expect_err("two lines");
    assert!(
        matches!(
            e,
            Refusal::Text {
                field: "approved_by",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().starts_with("approved_by "), "{e}");

    let mut s = recorded();
    suspend(&mut s, date("2026-11-05"), SuspensionReason::Other, None).expect("suspended");
    let e = suspend(
        &mut s.clone(),
        date("2026-11-06"),
        SuspensionReason::Other,
        None,
    )
    .expect_err("overlaps");
    assert_eq!(
        e.to_string(),
        "a suspension from 2026-11-06 overlaps the one from 2026-11-05 (still open); \
         suspensions of a case may not overlap"
    );
    resume(&mut s, date("2026-11-09")).expect("resumed");
    let e =
        suspend(&mut s, date("2026-11-06"), SuspensionReason::Other, None).expect_err("overlaps");
    assert_eq!(
        e.to_string(),
        "a suspension from 2026-11-06 overlaps the one from 2026-11-05 until 2026-11-09; \
         suspensions of a case may not overlap"
    );

    let mut fresh = Case::received(
        Reference::parse("2026-0042").expect("a reference"),
        date("2026-11-02"),
    );
    let e = correct(&mut fresh, date("2026-11-01")).expect_err("earlier");
    assert_eq!(
        e.to_string(),
        "the completed request on 2026-11-01 cannot precede the first receipt on 2026-11-02\n  \
         help: a correction (补正) replaces the receipt by a later date; if the receipt was \
         recorded with a wrong date, close it with `duewatch case close 2026-0042 --on DATE \
         --reason withdrawn` and record it anew with the right dates under a new reference \
         (`duewatch case add`)"
    );
    let e = forward(
        &mut fresh,
        SectionCode::parse("zz").expect("a code"),
        date("2026-11-03"),
        false,
    )
    .expect_err("unknown");
    assert_eq!(
        e.to_string(),
        "section \"zz\" is not configured\n  help: use a code of [[sections]] in the config"
    );
    let mut closed = recorded();
    closed.closed_on = Some(date("2026-11-05"));
    assert_eq!(
        reply(&mut closed, date("2026-11-06")),
        Err(Refusal::Closed(date("2026-11-05")))
    );
}
