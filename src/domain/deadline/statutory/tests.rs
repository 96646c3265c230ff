//! Worked scenarios of the Regulations' clock on the shipped 2026 calendar, each date counted by
//! hand in the comment. November 2026 has no public holiday: Nov 2 is a Monday, its working
//! days are the weekdays 2–6, 9–13, 16–20, 23–27, 30; December's are 1–4, 7–11, 14–18, 21–25,
//! 28–31.

use super::super::{Rules, State, evaluate};
use super::*;
use crate::calendar::{LocalOverlay, shipped};
use crate::domain::case::{Extension, Reference, Return, SectionCode, Suspension};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn cal() -> Calendar {
    Calendar::new(shipped::years().unwrap(), LocalOverlay::default()).unwrap()
}

fn received(on: &str) -> Case {
    Case::received(Reference::parse("2026-0042").unwrap(), d(on))
}

fn forwarded(received_on: &str, on: &str) -> Case {
    let mut c = received(received_on);
    c.forwarded_on = Some(d(on));
    c.section = Some(SectionCode::parse("ss").unwrap());
    c
}

fn extension(days: u32, approved: &str, notice: Option<&str>) -> Extension {
    Extension {
        days,
        approved_on: d(approved),
        approved_by: "局长".to_owned(),
        reason: None,
        notice_on: notice.map(d),
    }
}

fn suspension(from: &str, until: Option<&str>, reason: SuspensionReason) -> Suspension {
    Suspension {
        from: d(from),
        until: until.map(d),
        reason,
        note: None,
        notice_on: None,
        resumption_notice_on: None,
    }
}

fn at_with(c: &Case, rules: &Rules, today: &str) -> (super::super::CaseStatus, Statutory) {
    let status = evaluate(c, rules, &cal(), d(today)).unwrap();
    let statutory = status.statutory.clone().expect("a statutory standing");
    (status, statutory)
}

fn at(c: &Case, today: &str) -> (super::super::CaseStatus, Statutory) {
    at_with(c, &Rules::default(), today)
}

#[test]
fn the_statutory_due_is_the_twentieth_working_day_after_receipt() {
    // Received Mon Nov 2: Nov 3–6 are days 1–4, 9–13 5–9, 16–20 10–14, 23–27 15–19, Mon Nov 30
    // is day 20.
    let (_, s) = at(&received("2026-11-02"), "2026-11-03");
    assert_eq!(s.due, Some(d("2026-11-30")));
    // On Nov 3 (day 1), Nov 4 … Nov 30 remain: 19.
    assert_eq!(s.remaining, Some(19));
    assert_eq!(s.state, State::Running);
    assert!(s.faults.is_empty(), "{:?}", s.faults);
}

#[test]
fn a_fifteen_day_extension_moves_both_clocks_and_the_rulebook_still_binds_when_forwarded_in_time() {
    // Received Mon Nov 2, forwarded Mon Nov 9 (day 5, on time), extended by 15 on Nov 20,
    // notice the same day.
    // Rulebook: 10 + 15 = 25 working days after Nov 9: Nov 10–13 (4), 16–20 (9), 23–27 (14),
    // 30 (15), Dec 1–4 (19), 7–11 (24), Mon Dec 14 (25).
    // Regulations: 20 + 15 = 35 after Nov 2: Nov 30 is day 20, Dec 1–4 (24), 7–11 (29), 14–18
    // (34), Mon Dec 21 (35). So 5 + 10 + 15 = 30 counted days stay within 20 + 15 = 35.
    let mut c = forwarded("2026-11-02", "2026-11-09");
    c.extensions
        .push(extension(15, "2026-11-20", Some("2026-11-20")));
    let (status, s) = at(&c, "2026-11-23");
    assert_eq!(status.stages[1].due, Some(d("2026-12-14")));
    assert_eq!((s.extended, s.due), (15, Some(d("2026-12-21"))));
    assert!(s.faults.is_empty(), "{:?}", s.faults);
}

#[test]
fn a_late_forwarding_puts_the_rulebook_deadline_past_the_statutory_one() {
    // Received Mon Nov 2, forwarded Tue Nov 17 (the office's 5 days ended Nov 9): 10 working
    // days after Nov 17 are Nov 18–20 (3), 23–27 (8), 30 (9), Tue Dec 1 (10); the law's
    // deadline is Mon Nov 30.
    let c = forwarded("2026-11-02", "2026-11-17");
    let (status, s) = at(&c, "2026-11-18");
    assert_eq!(status.stages[1].due, Some(d("2026-12-01")));
    assert_eq!(s.due, Some(d("2026-11-30")));
    assert_eq!(
        s.faults,
        vec![Fault::RulebookPastStatutory {
            rulebook_due: Some(d("2026-12-01")),
            statutory_due: d("2026-11-30"),
        }]
    );
    assert!(s.faults[0].to_string().contains("answer by 2026-11-30"));
    // With 15 days more on both: rulebook Nov 17 + 25 = Tue Dec 22; law Nov 2 + 35 = Mon Dec 21.
    let mut c = c;
    c.extensions
        .push(extension(15, "2026-11-18", Some("2026-11-18")));
    let (status, s) = at(&c, "2026-11-18");
    assert_eq!(status.stages[1].due, Some(d("2026-12-22")));
    assert_eq!(s.due, Some(d("2026-12-21")));
    assert_eq!(s.faults.len(), 1, "{:?}", s.faults);
    // Answered on Dec 22: on time by the rulebook, a day late by the law.
    c.replied_on = Some(d("2026-12-22"));
    let (status, s) = at(&c, "2026-12-23");
    assert_eq!(status.stages[1].state, State::DoneOnTime);
    assert_eq!(s.state, State::DoneLate { by: 1 });
    assert!(s.faults.is_empty(), "answered: {:?}", s.faults);
}

#[test]
fn an_extension_notice_not_recorded_before_the_statutory_period_ran_out_is_a_fault() {
    // Received Mon Nov 2; the 20 days end Mon Nov 30. An extension approved Fri Nov 20.
    let mut c = forwarded("2026-11-02", "2026-11-04");
    c.extensions.push(extension(10, "2026-11-20", None));
    let (_, s) = at(&c, "2026-11-30");
    assert!(s.faults.is_empty(), "not yet run out: {:?}", s.faults);
    let (_, s) = at(&c, "2026-12-01");
    assert_eq!(
        s.faults,
        vec![Fault::ExtensionNoticeLate {
            approved_on: d("2026-11-20"),
            period_end: d("2026-11-30"),
            notice_on: None,
        }]
    );
    c.extensions[0].notice_on = Some(d("2026-12-01"));
    let (_, s) = at(&c, "2026-12-02");
    assert!(
        s.faults[0]
            .to_string()
            .contains("recorded 2026-12-01, after the period it extends ran out on 2026-11-30"),
        "{}",
        s.faults[0]
    );
    c.extensions[0].notice_on = Some(d("2026-11-30"));
    let (_, s) = at(&c, "2026-12-02");
    assert!(s.faults.is_empty(), "{:?}", s.faults);
}

#[test]
fn a_correction_restarts_the_statutory_period_from_the_completed_request() {
    // Received Mon Nov 2; correction asked Wed Nov 4 (within 7 working days: Nov 3–6, 9–11, so
    // by Wed Nov 11); the completed request came Mon Nov 16.
    let mut c = received("2026-11-02");
    c.suspensions
        .push(suspension("2026-11-04", None, SuspensionReason::Correction));
    // While it is awaited: no statutory due; the correction notice is owed by Nov 11.
    let (_, s) = at(&c, "2026-11-05");
    assert_eq!(s.due, None);
    assert!(matches!(s.state, State::Suspended { .. }), "{:?}", s.state);
    assert_eq!(
        s.reminders,
        vec![LawReminder {
            kind: LawReminderKind::CorrectionNotice,
            event_on: d("2026-11-02"),
            due: d("2026-11-11"),
            missing: false,
        }]
    );
    let (_, s) = at(&c, "2026-11-12");
    assert!(s.reminders[0].missing);
    c.suspensions[0].notice_on = Some(d("2026-11-04"));
    let (_, s) = at(&c, "2026-11-12");
    assert!(s.reminders.is_empty(), "{:?}", s.reminders);
    // Completed on Mon Nov 16: 20 working days after it are Nov 17–20 (4), 23–27 (9), 30 (10),
    // Dec 1–4 (14), 7–11 (19), Mon Dec 14 (20).
    c.suspensions[0].until = Some(d("2026-11-16"));
    let (status, s) = at(&c, "2026-11-17");
    assert_eq!((s.start, s.due), (d("2026-11-16"), Some(d("2026-12-14"))));
    // The rulebook skips Nov 4–13: its 5 days after Nov 2 are Nov 3, 16, 17, 18, Thu Nov 19.
    assert_eq!(status.stages[0].due, Some(d("2026-11-19")));
    assert!(s.faults.is_empty(), "{:?}", s.faults);
}

#[test]
fn a_correction_asked_after_seven_working_days_is_a_fault() {
    // Received Mon Nov 2: the 7th working day is Wed Nov 11; asked Thu Nov 12.
    let mut c = received("2026-11-02");
    c.suspensions.push(suspension(
        "2026-11-12",
        Some("2026-11-16"),
        SuspensionReason::Correction,
    ));
    let (_, s) = at(&c, "2026-11-17");
    assert_eq!(
        s.faults,
        vec![Fault::CorrectionAskedLate {
            asked_on: d("2026-11-12"),
            due: d("2026-11-11"),
        }]
    );
}

#[test]
fn a_third_party_consultation_does_not_count_and_its_fifteen_days_are_reminded() {
    // Received Mon Nov 2, forwarded Wed Nov 4; a third party consulted from Mon Nov 9.
    let mut c = forwarded("2026-11-02", "2026-11-04");
    c.suspensions
        .push(suspension("2026-11-09", None, SuspensionReason::ThirdParty));
    // Its 15 working days after Nov 9: Nov 10–13 (4), 16–20 (9), 23–27 (14), Mon Nov 30 (15).
    let (_, s) = at(&c, "2026-11-30");
    assert_eq!(s.due, None);
    assert_eq!(
        s.reminders,
        vec![LawReminder {
            kind: LawReminderKind::ThirdPartyAnswer,
            event_on: d("2026-11-09"),
            due: d("2026-11-30"),
            missing: false,
        }]
    );
    let (_, s) = at(&c, "2026-12-01");
    assert!(s.reminders[0].missing);
    // Resumed Mon Nov 23: Nov 9–20 (10 working days) do not count. The law: Nov 3–6 (4), 23–27
    // (9), 30 (10), Dec 1–4 (14), 7–11 (19), Mon Dec 14 (20). The rulebook's reply: Nov 5, 6
    // (2), 23–27 (7), 30 (8), Dec 1 (9), Wed Dec 2 (10).
    c.suspensions[0].until = Some(d("2026-11-23"));
    let (status, s) = at(&c, "2026-11-24");
    assert_eq!(s.due, Some(d("2026-12-14")));
    assert_eq!(status.stages[1].due, Some(d("2026-12-02")));
    assert!(s.reminders.is_empty());
    assert!(s.faults.is_empty(), "{:?}", s.faults);
}

#[test]
fn force_majeure_stops_the_rulebook_but_not_the_law() {
    // The same case suspended for force majeure from Mon Nov 9.
    let mut c = forwarded("2026-11-02", "2026-11-04");
    c.suspensions.push(suspension(
        "2026-11-09",
        None,
        SuspensionReason::ForceMajeure,
    ));
    // The law runs on: Mon Nov 30 (20 after Nov 2); the rulebook has no deadline for now.
    let (status, s) = at(&c, "2026-11-20");
    assert_eq!(status.stages[1].due, None);
    assert_eq!(s.due, Some(d("2026-11-30")));
    assert_eq!(
        s.faults,
        vec![Fault::RulebookPastStatutory {
            rulebook_due: None,
            statutory_due: d("2026-11-30"),
        }]
    );
    // Resumed Mon Nov 23: the rulebook's reply is due Wed Dec 2 (as above), past the law's.
    c.suspensions[0].until = Some(d("2026-11-23"));
    let (status, s) = at(&c, "2026-11-24");
    assert_eq!(status.stages[1].due, Some(d("2026-12-02")));
    assert_eq!(
        s.faults,
        vec![Fault::RulebookPastStatutory {
            rulebook_due: Some(d("2026-12-02")),
            statutory_due: d("2026-11-30"),
        }]
    );
}

#[test]
fn a_return_keeps_the_forward_clock_running_from_receipt_unless_configured_to_restart() {
    // Received Mon Nov 2, forwarded Wed Nov 4 to ss, returned by ss Fri Nov 6, forwarded again
    // Tue Nov 10 to yb.
    let mut c = received("2026-11-02");
    c.returns.push(Return {
        returned_on: d("2026-11-06"),
        section: SectionCode::parse("ss").unwrap(),
        forwarded_on: d("2026-11-04"),
        reason: "非本股室职责".to_owned(),
    });
    c.forwarded_on = Some(d("2026-11-10"));
    c.section = Some(SectionCode::parse("yb").unwrap());
    // Strictly: the office's 5 days after Nov 2 ended Mon Nov 9; forwarded Nov 10, a day late.
    // The reply starts afresh: 10 working days after Nov 10 are Nov 11–13 (3), 16–20 (8),
    // 23, Tue Nov 24 (10).
    let (status, s) = at(&c, "2026-11-11");
    assert_eq!(status.stages[0].due, Some(d("2026-11-09")));
    assert_eq!(status.stages[0].state, State::DoneLate { by: 1 });
    assert!(status.stages[0].explanation[1].contains("runs on from receipt"));
    assert_eq!(status.stages[1].due, Some(d("2026-11-24")));
    // The law is not moved by a return: Mon Nov 30.
    assert_eq!(s.due, Some(d("2026-11-30")));
    // Restarting: 5 working days after the return on Fri Nov 6 are Nov 9–12, Fri Nov 13.
    let rules = Rules {
        return_restarts_forward: true,
        ..Rules::default()
    };
    let (status, _) = at_with(&c, &rules, "2026-11-11");
    assert_eq!(status.stages[0].due, Some(d("2026-11-13")));
    assert_eq!(status.stages[0].state, State::DoneOnTime);
}

#[test]
fn the_extension_granted_to_the_section_that_gave_the_case_back_is_not_the_new_sections() {
    let mut c = received("2026-11-02");
    c.extensions
        .push(extension(5, "2026-11-05", Some("2026-11-05")));
    c.returns.push(Return {
        returned_on: d("2026-11-06"),
        section: SectionCode::parse("ss").unwrap(),
        forwarded_on: d("2026-11-04"),
        reason: "非本股室职责".to_owned(),
    });
    c.forwarded_on = Some(d("2026-11-10"));
    c.section = Some(SectionCode::parse("yb").unwrap());
    let (status, s) = at(&c, "2026-11-11");
    // The reply: 10 days after Nov 10, Tue Nov 24, as without the extension.
    assert_eq!(status.stages[1].due, Some(d("2026-11-24")));
    // The law counts it: 25 after Nov 2 = Nov 30 (20), Dec 1–4, Mon Dec 7 (25).
    assert_eq!(s.due, Some(d("2026-12-07")));
}
