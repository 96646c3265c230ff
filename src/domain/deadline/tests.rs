//! Table tests of the engine on the shipped 2025/2026 calendars (November 2026 has no public
//! holiday: its working days are the 21 weekdays).

use super::*;
use crate::calendar::{LocalOverlay, shipped};
use crate::domain::case::{CloseReason, Extension, Reference, Suspension, SuspensionReason};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn cal() -> Calendar {
    Calendar::new(shipped::years().unwrap(), LocalOverlay::default()).unwrap()
}

fn case(received: &str) -> Case {
    Case::received(Reference::parse("2026-0042").unwrap(), d(received))
}

fn forwarded(received: &str, on: &str) -> Case {
    let mut c = case(received);
    c.forwarded_on = Some(d(on));
    c.section = Some(SectionCode::parse("ss").unwrap());
    c
}

fn at(c: &Case, today: &str) -> CaseStatus {
    evaluate(c, &Rules::default(), &cal(), d(today)).unwrap()
}

#[test]
fn the_forward_stage_escalates_as_domain_md_says() {
    let c = case("2026-11-27");
    let table = [
        ("2026-11-30", Some(4), None, None),
        ("2026-12-02", Some(2), None, Some(Level::Reminder)),
        ("2026-12-03", Some(1), None, Some(Level::Reminder)),
        ("2026-12-04", Some(0), None, Some(Level::DueToday)),
        ("2026-12-05", Some(0), Some(0), Some(Level::Overdue)),
        ("2026-12-07", Some(0), Some(1), Some(Level::Overdue)),
    ];
    for (today, remaining, overdue_by, level) in table {
        let s = &at(&c, today).stages[0];
        assert_eq!(s.due, Some(d("2026-12-04")), "{today}");
        assert_eq!(
            (s.remaining, s.overdue_by, s.level),
            (remaining, overdue_by, level),
            "{today}"
        );
        assert_eq!(s.responsible, Responsible::Office);
    }
}

#[test]
fn a_reply_deadline_can_fall_on_a_make_up_saturday() {
    // Forwarded on the make-up Sunday 2026-09-20: day 1 is 09-21; 中秋节 and 国庆节 are
    // skipped; day 10 is the make-up Saturday 2026-10-10.
    let c = forwarded("2026-09-15", "2026-09-20");
    let status = at(&c, "2026-10-09");
    let reply = &status.stages[1];
    assert_eq!(reply.due, Some(d("2026-10-10")));
    assert_eq!(reply.level, Some(Level::Reminder));
    assert_eq!(status.current, Some(Stage::Reply));
    assert_eq!(status.stages[0].state, State::DoneOnTime);
}

#[test]
fn a_suspension_across_a_holiday_skips_only_its_working_days() {
    let mut c = forwarded("2026-09-18", "2026-09-21");
    assert_eq!(at(&c, "2026-09-22").stages[1].due, Some(d("2026-10-12")));
    c.suspensions.push(Suspension {
        from: d("2026-09-29"),
        until: Some(d("2026-10-09")),
        reason: SuspensionReason::ForceMajeure,
        note: None,
        notice_on: Some(d("2026-09-29")),
        resumption_notice_on: Some(d("2026-10-09")),
    });
    // 09-29, 09-30 and 10-08 do not count (the holiday was not counted anyway).
    let reply = &at(&c, "2026-10-09").stages[1];
    assert_eq!(reply.due, Some(d("2026-10-15")));
    assert!(
        reply
            .explanation
            .iter()
            .any(|l| l.contains("suspended working days skipped"))
    );
}

#[test]
fn an_open_suspension_has_no_deadline_and_no_escalation() {
    let mut c = forwarded("2026-11-02", "2026-11-03");
    c.suspensions.push(Suspension {
        from: d("2026-11-10"),
        until: None,
        reason: SuspensionReason::ThirdParty,
        note: None,
        notice_on: None,
        resumption_notice_on: None,
    });
    let status = at(&c, "2026-11-30");
    let reply = &status.stages[1];
    assert_eq!(reply.due, None);
    assert_eq!(reply.level, None);
    // Working days from 11-10 to 11-30 inclusive: 15.
    assert_eq!(
        reply.state,
        State::Suspended {
            since: d("2026-11-10"),
            working_days: 15
        }
    );
    assert_eq!(status.current, Some(Stage::Reply));
    // art. 21: the suspension notice is owed and missing.
    assert_eq!(status.notices.len(), 1);
    assert!(status.notices[0].missing);
}

fn suspended(mut c: Case, from: &str, until: Option<&str>) -> Case {
    c.suspensions.push(Suspension {
        from: d(from),
        until: until.map(d),
        reason: SuspensionReason::ThirdParty,
        note: None,
        notice_on: Some(d(from)),
        resumption_notice_on: until.map(d),
    });
    c
}

/// What a table row expects of one stage: due, state, level, late suspensions.
type Expect = (Option<&'static str>, State, Option<Level>, &'static [usize]);

#[test]
fn a_suspension_changes_only_the_days_it_covers() {
    // November 2026 has no holiday. Received Mon 11-02: forward due 11-09. Forwarded Tue
    // 11-03: reply due 11-17.
    let running = State::Running;
    let since = |from: &str, working_days| State::Suspended {
        since: d(from),
        working_days,
    };
    let table: Vec<(&str, Case, &str, usize, Expect)> = vec![
        (
            "issue 13 (a): forwarded late, then suspended with no end: the forward stage \
             stays late",
            suspended(forwarded("2026-11-02", "2026-11-12"), "2026-11-13", None),
            "2026-11-20",
            0,
            (Some("2026-11-09"), State::DoneLate { by: 3 }, None, &[]),
        ),
        (
            "issue 13 (a): the reply stage it covers is suspended",
            suspended(forwarded("2026-11-02", "2026-11-12"), "2026-11-13", None),
            "2026-11-20",
            1,
            (None, since("2026-11-13", 6), None, &[]),
        ),
        (
            "forwarded on time, then suspended: the forward stage keeps its deadline",
            suspended(forwarded("2026-11-02", "2026-11-05"), "2026-11-06", None),
            "2026-11-20",
            0,
            (Some("2026-11-09"), State::DoneOnTime, None, &[]),
        ),
        (
            "issue 13 (b): suspended after the reply deadline passed: still overdue, the \
             suspension is late",
            suspended(forwarded("2026-11-02", "2026-11-03"), "2026-11-20", None),
            "2026-11-24",
            1,
            (Some("2026-11-17"), running, Some(Level::Overdue), &[0]),
        ),
        (
            "issue 13 (b) after resume: unchanged",
            suspended(
                forwarded("2026-11-02", "2026-11-03"),
                "2026-11-20",
                Some("2026-11-25"),
            ),
            "2026-11-26",
            1,
            (Some("2026-11-17"), running, Some(Level::Overdue), &[0]),
        ),
        (
            "a closed suspension that starts after the deadline passed moves nothing",
            suspended(
                forwarded("2026-11-02", "2026-11-03"),
                "2026-11-19",
                Some("2026-11-23"),
            ),
            "2026-11-24",
            1,
            (Some("2026-11-17"), running, Some(Level::Overdue), &[0]),
        ),
        (
            "suspended from the due date itself: that day is within time, the clock stops",
            suspended(forwarded("2026-11-02", "2026-11-03"), "2026-11-17", None),
            "2026-11-24",
            1,
            (None, since("2026-11-17", 6), None, &[]),
        ),
        (
            "suspended from the due date and resumed: the days it covered are added",
            suspended(
                forwarded("2026-11-02", "2026-11-03"),
                "2026-11-17",
                Some("2026-11-20"),
            ),
            "2026-11-19",
            1,
            (Some("2026-11-20"), running, Some(Level::Reminder), &[]),
        ),
        (
            "the forward stage overdue, then suspended: still overdue, the suspension late",
            suspended(case("2026-11-02"), "2026-11-11", None),
            "2026-11-13",
            0,
            (Some("2026-11-09"), running, Some(Level::Overdue), &[0]),
        ),
        (
            "suspended within the forward stage, forwarded while suspended: on time",
            suspended(forwarded("2026-11-02", "2026-11-10"), "2026-11-05", None),
            "2026-11-20",
            0,
            (None, State::DoneOnTime, None, &[]),
        ),
        (
            "suspended within the forward stage, forwarded while suspended: the reply waits",
            suspended(forwarded("2026-11-02", "2026-11-10"), "2026-11-05", None),
            "2026-11-20",
            1,
            (None, since("2026-11-05", 12), None, &[]),
        ),
        (
            "suspended within the forward stage and resumed, forwarded a day late",
            suspended(
                forwarded("2026-11-02", "2026-11-12"),
                "2026-11-05",
                Some("2026-11-09"),
            ),
            "2026-11-20",
            0,
            (Some("2026-11-11"), State::DoneLate { by: 1 }, None, &[]),
        ),
        (
            "a suspension that ended before forwarding leaves the reply period whole",
            suspended(
                forwarded("2026-11-02", "2026-11-12"),
                "2026-11-05",
                Some("2026-11-09"),
            ),
            "2026-11-20",
            1,
            (Some("2026-11-26"), running, None, &[]),
        ),
    ];
    for (name, c, today, stage, (due, state, level, late)) in table {
        let s = &at(&c, today).stages[stage];
        assert_eq!(s.due, due.map(d), "{name}: due");
        assert_eq!(s.state, state, "{name}: state");
        assert_eq!(s.level, level, "{name}: level");
        assert_eq!(s.late_suspensions, late, "{name}: late suspensions");
    }
}

#[test]
fn a_late_suspension_says_so_in_the_explanation() {
    let c = suspended(forwarded("2026-11-02", "2026-11-03"), "2026-11-20", None);
    let reply = &at(&c, "2026-11-24").stages[1];
    assert_eq!(reply.overdue_by, Some(5));
    assert!(
        reply.explanation.iter().any(|l| l
            == "the suspension from 2026-11-20 came after the deadline (2026-11-17) had \
                passed: the clock cannot be stopped after it ran out (art. 21)"),
        "{:?}",
        reply.explanation
    );
}

#[test]
fn extensions_add_to_the_reply_period_and_a_late_one_is_flagged() {
    let mut c = forwarded("2026-10-30", "2026-11-02");
    assert_eq!(at(&c, "2026-11-03").stages[1].due, Some(d("2026-11-16")));
    c.extensions.push(Extension {
        days: 5,
        approved_on: d("2026-11-10"),
        approved_by: "局长".into(),
        reason: None,
        notice_on: None,
    });
    let status = at(&c, "2026-11-13");
    assert_eq!(status.stages[1].due, Some(d("2026-11-23")));
    assert!(status.stages[1].late_extensions.is_empty());
    // art. 20: notice due 2 working days after approval (11-12), so missing on 11-13.
    assert_eq!(status.notices[0].due, d("2026-11-12"));
    assert!(status.notices[0].missing);

    c.extensions.push(Extension {
        days: 3,
        approved_on: d("2026-11-24"),
        approved_by: "局长".into(),
        reason: None,
        notice_on: Some(d("2026-11-24")),
    });
    let status = at(&c, "2026-11-24");
    assert_eq!(status.stages[1].due, Some(d("2026-11-26")));
    assert_eq!(status.stages[1].late_extensions, vec![1]);
}

#[test]
fn a_late_reply_is_done_late_by_working_days() {
    let mut c = forwarded("2026-10-30", "2026-11-02");
    c.replied_on = Some(d("2026-11-18"));
    let status = at(&c, "2026-11-20");
    assert_eq!(status.stages[1].state, State::DoneLate { by: 2 });
    assert_eq!(status.stages[1].level, None);
    assert_eq!(status.current, None);
}

#[test]
fn receipt_on_a_rest_day_is_strict_by_default_and_can_move_a_day() {
    let c = case("2026-11-29"); // a Sunday
    assert_eq!(at(&c, "2026-11-30").stages[0].due, Some(d("2026-12-04")));
    let rules = Rules {
        rest_day_receipt: RestDayReceipt::NextWorkingDay,
        ..Rules::default()
    };
    let s = evaluate(&c, &rules, &cal(), d("2026-11-30")).unwrap();
    assert_eq!(s.stages[0].due, Some(d("2026-12-07")));
    assert!(
        s.stages[0].explanation[0]
            .contains("counted as received on the next working day 2026-11-30")
    );
}

#[test]
fn a_deadline_in_an_uncovered_year_is_provisional() {
    let s = &at(&case("2026-12-28"), "2026-12-28").stages[0];
    assert_eq!(s.due, Some(d("2027-01-04")));
    assert!(s.provisional);
    assert_eq!(s.uncovered_year, Some(2027));
}

#[test]
fn answered_on_the_spot_has_no_stages_and_closed_cases_stop_reminders() {
    let mut c = case("2026-11-27");
    c.closed_on = Some(d("2026-11-27"));
    c.close_reason = Some(CloseReason::AnsweredOnSpot);
    assert!(at(&c, "2026-12-10").stages.is_empty());
    c.close_reason = Some(CloseReason::Withdrawn);
    let s = at(&c, "2026-12-10");
    assert_eq!(s.current, None);
    assert_eq!(s.stages[0].level, None);
}
