//! Hand-computed scenarios on the shipped 2026 calendar. November 2026 has no public holiday:
//! its working days are the 21 weekdays (Nov 1 is a Sunday).

use super::*;
use crate::calendar::{LocalOverlay, shipped};
use crate::domain::case::{CloseReason, Extension, Reference, Suspension, SuspensionReason};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test dates are valid")
}

fn cal() -> Calendar {
    Calendar::new(
        shipped::years().expect("shipped calendars load"),
        LocalOverlay::default(),
    )
    .expect("shipped calendars build")
}

fn ss() -> SectionCode {
    SectionCode::parse("ss").expect("a valid code")
}

fn case(r: &str, received: &str, forwarded: Option<&str>, replied: Option<&str>) -> Case {
    let mut c = Case::received(Reference::parse(r).expect("a valid reference"), d(received));
    if let Some(f) = forwarded {
        c.forwarded_on = Some(d(f));
        c.section = Some(ss());
    }
    c.replied_on = replied.map(d);
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

fn suspension(from: &str, until: Option<&str>, notices: bool) -> Suspension {
    Suspension {
        from: d(from),
        until: until.map(d),
        reason: SuspensionReason::ForceMajeure,
        note: None,
        notice_on: notices.then(|| d(from)),
        resumption_notice_on: if notices { until.map(d) } else { None },
    }
}

fn november(cases: &[Case]) -> Report {
    let mut r = Report::new(Period::new(d("2026-11-01"), d("2026-11-30")).expect("a period"));
    for c in cases {
        r.add(c, &Rules::default(), &cal()).expect("in range");
    }
    r.finish();
    r
}

fn section(r: &Report) -> Figures {
    r.rows
        .get(&Responsible::Section(ss()))
        .cloned()
        .unwrap_or_default()
}

fn office(r: &Report) -> Figures {
    r.rows
        .get(&Responsible::Office)
        .cloned()
        .unwrap_or_default()
}

#[test]
fn forwarded_and_answered_in_time_count_as_on_time() {
    // Forward due 5 working days after Mon Nov 2: Nov 9. Reply due 10 after Wed Nov 4: Nov 18.
    let r = november(&[case(
        "A",
        "2026-11-02",
        Some("2026-11-04"),
        Some("2026-11-13"),
    )]);
    let expected = Figures {
        handled: 1,
        on_time: 1,
        ..Figures::default()
    };
    assert_eq!(office(&r), expected);
    assert_eq!(section(&r), expected);
    assert_eq!(section(&r).on_time_rate(), Some(1.0));
    assert!(r.cases.is_empty());
}

#[test]
fn a_late_forwarding_and_a_late_reply_count_their_working_days() {
    // Forward due Nov 9, forwarded Wed Nov 11: late by Nov 10, 11 = 2. Reply due 10 working
    // days after Nov 11: Nov 25; replied Fri Nov 27: late by Nov 26, 27 = 2.
    let r = november(&[case(
        "B",
        "2026-11-02",
        Some("2026-11-11"),
        Some("2026-11-27"),
    )]);
    let late = Figures {
        handled: 1,
        late: 1,
        late_days_total: 2,
        late_days_max: 2,
        ..Figures::default()
    };
    assert_eq!(office(&r), late);
    assert_eq!(section(&r), late);
    assert_eq!(section(&r).on_time_rate(), Some(0.0));
    let listed: Vec<_> = r
        .cases
        .iter()
        .map(|l| (l.stage, l.due, l.done_on, l.working_days, l.lateness))
        .collect();
    assert_eq!(
        listed,
        [
            (
                Stage::Forward,
                d("2026-11-09"),
                Some(d("2026-11-11")),
                2,
                Lateness::Late
            ),
            (
                Stage::Reply,
                d("2026-11-25"),
                Some(d("2026-11-27")),
                2,
                Lateness::Late
            ),
        ]
    );
}

#[test]
fn an_extension_granted_in_time_moves_the_deadline_and_is_counted() {
    // Forwarded Tue Nov 3: base reply deadline Nov 17; 5 more (art. 20) give Nov 24.
    let mut c = case("C", "2026-11-02", Some("2026-11-03"), Some("2026-11-24"));
    c.extensions
        .push(extension(5, "2026-11-16", Some("2026-11-17")));
    let r = november(&[c]);
    assert_eq!(
        section(&r),
        Figures {
            handled: 1,
            on_time: 1,
            extensions: 1,
            extension_days: 5,
            ..Figures::default()
        }
    );
}

#[test]
fn a_late_extension_without_notice_is_flagged_and_the_case_is_overdue() {
    // Base deadline Nov 17; 3 days approved Nov 18 (after it: late, art. 20): due Nov 20. No
    // written notice by Nov 20 (2 working days after approval): missing at Nov 30. Not answered:
    // overdue at Nov 30 by Nov 23, 24, 25, 26, 27, 30 = 6.
    let mut c = case("D", "2026-11-02", Some("2026-11-03"), None);
    c.extensions.push(extension(3, "2026-11-18", None));
    let r = november(&[c]);
    assert_eq!(
        section(&r),
        Figures {
            handled: 1,
            open_overdue: 1,
            extensions: 1,
            extension_days: 3,
            late_extensions: 1,
            notices_missing: 1,
            ..Figures::default()
        }
    );
    assert_eq!(r.cases[0].lateness, Lateness::Overdue);
    assert_eq!(r.cases[0].due, d("2026-11-20"));
    assert_eq!(r.cases[0].working_days, 6);
}

#[test]
fn a_closed_suspension_skips_its_working_days() {
    // Suspended Mon Nov 9 until Thu Nov 12: Nov 9, 10, 11 do not count (art. 21). Base deadline
    // Nov 17 + 3 = Nov 20; replied Nov 19: on time.
    let mut c = case("E", "2026-11-02", Some("2026-11-03"), Some("2026-11-19"));
    c.suspensions
        .push(suspension("2026-11-09", Some("2026-11-12"), true));
    let r = november(&[c]);
    assert_eq!(
        section(&r),
        Figures {
            handled: 1,
            on_time: 1,
            suspensions: 1,
            suspended_days: 3,
            ..Figures::default()
        }
    );
}

#[test]
fn a_case_still_suspended_is_never_overdue_and_its_days_count_to_the_end() {
    // Forwarded Mon Nov 16: reply due Nov 30. Suspended from Thu Nov 26 (in time), no end:
    // Nov 26, 27, 30 = 3 days. Its notice is due Nov 30, so at Nov 30 it is not missing yet.
    let mut c = case("F", "2026-11-13", Some("2026-11-16"), None);
    c.suspensions.push(suspension("2026-11-26", None, false));
    let r = november(&[c]);
    assert_eq!(
        section(&r),
        Figures {
            suspensions: 1,
            suspended_days: 3,
            ..Figures::default()
        }
    );
    assert!(r.cases.is_empty());
}

#[test]
fn what_happened_after_the_period_is_not_seen() {
    // Replied Dec 10 and a resumption Dec 2: at Nov 30 the reply (due Nov 17) is overdue by 9
    // (Nov 18, 19, 20, 23, 24, 25, 26, 27, 30). A case received Dec 1 is not in November.
    let g = case("G", "2026-11-02", Some("2026-11-03"), Some("2026-12-10"));
    let h = case("H", "2026-12-01", Some("2026-12-02"), Some("2026-12-03"));
    let r = november(&[g, h]);
    assert_eq!(section(&r).open_overdue, 1);
    assert_eq!(section(&r).handled, 1);
    assert_eq!(r.cases.len(), 1);
    assert_eq!(r.cases[0].working_days, 9);
    assert_eq!(r.cases[0].done_on, None);
}

#[test]
fn an_overdue_case_from_an_earlier_month_is_listed_but_not_handled_again() {
    // Forwarded Tue Oct 13: reply due Oct 27. At Nov 30 overdue by Oct 28, 29, 30 and the 21
    // working days of November = 24. Its deadline was in October: not in November's handled.
    let r = november(&[case("I", "2026-10-12", Some("2026-10-13"), None)]);
    assert_eq!(
        section(&r),
        Figures {
            open_overdue: 1,
            ..Figures::default()
        }
    );
    assert_eq!(section(&r).on_time_rate(), None);
    assert_eq!(r.cases[0].working_days, 24);
    // The forwarding was in October: nothing for the office in November.
    assert_eq!(office(&r), Figures::default());
}

#[test]
fn the_office_answers_for_an_unforwarded_request_and_closed_cases_stop_counting() {
    // Received Mon Nov 16, not forwarded: due Nov 23, overdue at Nov 30 by 5.
    let j = case("J", "2026-11-16", None, None);
    let mut k = case("K", "2026-11-02", None, None);
    k.closed_on = Some(d("2026-11-05"));
    k.close_reason = Some(CloseReason::Withdrawn);
    let r = november(&[j, k]);
    assert_eq!(
        office(&r),
        Figures {
            handled: 1,
            open_overdue: 1,
            ..Figures::default()
        }
    );
    assert_eq!(r.cases.len(), 1);
    assert_eq!(
        (r.cases[0].stage, r.cases[0].working_days),
        (Stage::Forward, 5)
    );
}

#[test]
fn a_suspension_over_the_national_day_holiday_counts_only_working_days() {
    // October 2026: Oct 1-7 rest, Sat Oct 10 a make-up working day. Suspended Sep 30 until
    // Oct 12; in an October report it covers Oct 8, 9, 10 (Saturday, working) = 3 days.
    let mut c = case("L", "2026-09-28", Some("2026-09-29"), Some("2026-10-20"));
    c.suspensions
        .push(suspension("2026-09-30", Some("2026-10-12"), true));
    let mut r = Report::new(Period::new(d("2026-10-01"), d("2026-10-31")).expect("a period"));
    r.add(&c, &Rules::default(), &cal()).expect("in range");
    let f = section(&r);
    assert_eq!((f.suspensions, f.suspended_days), (0, 3));
    // Sep 30 and Oct 8, 9, 10 are suspended, Oct 1-7 and 11 rest: counting from Oct 12, the
    // 10th counted working day after Sep 29 is Oct 23; replied Oct 20.
    assert_eq!((f.on_time, f.late), (1, 0));
}

#[test]
fn totals_add_the_parties_up() {
    let r = november(&[
        case("A", "2026-11-02", Some("2026-11-04"), Some("2026-11-13")),
        case("B", "2026-11-02", Some("2026-11-11"), Some("2026-11-27")),
        case("J", "2026-11-16", None, None),
    ]);
    let t = r.total();
    assert_eq!((t.handled, t.on_time, t.late, t.open_overdue), (5, 2, 2, 1));
    assert_eq!(t.late_days_total, 4);
    assert_eq!(t.on_time_rate(), Some(0.4));
}

#[test]
fn a_period_must_not_end_before_it_starts_and_months_are_whole() {
    assert!(Period::new(d("2026-11-30"), d("2026-11-01")).is_err());
    let p = Period::month_before(d("2026-12-01"));
    assert_eq!((p.from(), p.to()), (d("2026-11-01"), d("2026-11-30")));
    let p = Period::month_before(d("2026-01-05"));
    assert_eq!((p.from(), p.to()), (d("2025-12-01"), d("2025-12-31")));
}

#[test]
fn an_answer_while_still_suspended_is_on_time() {
    // Suspended from Nov 9 with no resumption recorded, answered Nov 20: no deadline ran.
    let mut c = case("S", "2026-11-02", Some("2026-11-03"), Some("2026-11-20"));
    c.suspensions.push(suspension("2026-11-09", None, true));
    let r = november(&[c]);
    let f = section(&r);
    assert_eq!((f.handled, f.on_time, f.late, f.open_overdue), (1, 1, 0, 0));
    // The clock stood still from Nov 9 to the answer on Nov 20: 10 working days.
    assert_eq!((f.suspensions, f.suspended_days), (1, 10));
}

#[test]
fn a_deadline_in_a_year_without_a_calendar_makes_the_report_provisional() {
    // Received Mon 2026-12-28: the 5th working day after it lies in 2027, which is not
    // shipped: weekends only, Dec 29, 30, 31, Jan 1, Jan 4 (provisional). Open at Jan 8.
    let c = case("P", "2026-12-28", None, None);
    let mut r = Report::new(Period::new(d("2027-01-01"), d("2027-01-08")).expect("a period"));
    r.add(&c, &Rules::default(), &cal()).expect("in range");
    assert!(r.provisional);
    assert_eq!(r.cases.len(), 1);
    assert_eq!(r.cases[0].due, d("2027-01-04"));
    assert!(r.cases[0].provisional);
    assert_eq!(office(&r).open_overdue, 1);
}

#[test]
fn a_missed_notice_counts_in_the_period_it_was_missed_only() {
    // Extension approved Mon Nov 16, no notice: due Wed Nov 18, missing from Nov 19. Counted in
    // November; in December (still missing, the case answered Nov 24) not again.
    let mut c = case("N", "2026-11-02", Some("2026-11-03"), Some("2026-11-24"));
    c.extensions.push(extension(5, "2026-11-16", None));
    assert_eq!(
        section(&november(std::slice::from_ref(&c))).notices_missing,
        1
    );
    let mut december =
        Report::new(Period::new(d("2026-12-01"), d("2026-12-31")).expect("a period"));
    december
        .add(&c, &Rules::default(), &cal())
        .expect("in range");
    assert_eq!(section(&december).notices_missing, 0);
}

#[test]
fn a_stage_forwarded_late_before_an_open_suspension_counts_late() {
    // issue 13 (a): forward due Mon Nov 9, forwarded Thu Nov 12 (late by 10, 11, 12 = 3), then
    // suspended from Nov 13 with no end. The suspension covers the reply stage only.
    let mut c = case("F", "2026-11-02", Some("2026-11-12"), None);
    c.suspensions.push(suspension("2026-11-13", None, true));
    let r = november(&[c]);
    assert_eq!(
        office(&r),
        Figures {
            handled: 1,
            late: 1,
            late_days_total: 3,
            late_days_max: 3,
            ..Figures::default()
        }
    );
    let listed: Vec<_> = r
        .cases
        .iter()
        .map(|l| (l.stage, l.due, l.done_on, l.working_days, l.lateness))
        .collect();
    assert_eq!(
        listed,
        [(
            Stage::Forward,
            d("2026-11-09"),
            Some(d("2026-11-12")),
            3,
            Lateness::Late
        )]
    );
    // The reply stage is suspended: no deadline, not overdue; Nov 13..30 is 12 working days.
    assert_eq!(section(&r).open_overdue, 0);
    assert_eq!(section(&r).suspended_days, 12);
}

#[test]
fn a_suspension_after_the_deadline_passed_leaves_the_stage_overdue() {
    // issue 13 (b): reply due Tue Nov 17, suspended from Fri Nov 20 with no end: at Nov 30 the
    // stage is still overdue by Nov 18, 19, 20, 23..27, 30 = 9, on the late list.
    let mut c = case("G", "2026-11-02", Some("2026-11-03"), None);
    c.suspensions.push(suspension("2026-11-20", None, true));
    let r = november(&[c.clone()]);
    let s = section(&r);
    assert_eq!((s.handled, s.open_overdue), (1, 1));
    assert_eq!((s.suspensions, s.late_suspensions), (1, 1));
    assert_eq!(r.cases.len(), 1);
    assert_eq!(
        (r.cases[0].due, r.cases[0].working_days, r.cases[0].lateness),
        (d("2026-11-17"), 9, Lateness::Overdue)
    );
    // Resumed on Nov 25: the same.
    c.suspensions[0].until = Some(d("2026-11-25"));
    let resumed = november(&[c]);
    assert_eq!(resumed.cases, r.cases);
}

/// `Period::counts_cases_finished_since` lets readers skip finished cases: check on the real
/// 2025–2026 calendars that a case answered or closed before it adds nothing to any month's
/// report, whatever it did (an extension or a suspension without its written notice on its last
/// day, a suspension still open at the answer), for a short and the longest `notice_within`,
/// and that the margin is not so wide that it reads far more than a month's cases.
#[test]
fn a_case_finished_before_the_reading_margin_counts_in_nothing() {
    let cal = cal();
    let mut checked = 0;
    for notice_within in [1, 2, 30] {
        let rules = Rules {
            notice_within,
            ..Rules::default()
        };
        for month in 1..=12 {
            let from = NaiveDate::from_ymd_opt(2026, month, 1).expect("a month");
            let to = Period::month_before(from + chrono::Days::new(40)).to();
            let period = Period::new(from, to).expect("a period");
            let since = period.counts_cases_finished_since(&rules);
            assert!(
                from - since <= chrono::TimeDelta::days(81),
                "{since} for {from}"
            );
            // Cases finished on each of the 120 days before `since`, every shape.
            for back in 1..=120 {
                let finished = since - chrono::Days::new(back);
                let received = finished - chrono::Days::new(20);
                let forwarded = received + chrono::Days::new(3);
                let text = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
                let answered = |shape: u8| {
                    let mut c = case(
                        "2026-0001",
                        &text(received),
                        Some(&text(forwarded)),
                        Some(&text(finished)),
                    );
                    match shape {
                        0 => c.extensions.push(extension(5, &text(finished), None)),
                        1 => c.suspensions.push(suspension(&text(finished), None, false)),
                        2 => {
                            c.suspensions
                                .push(suspension(&text(forwarded), None, false));
                            c.extensions.push(extension(15, &text(forwarded), None));
                        }
                        _ => {
                            c.replied_on = None;
                            c.closed_on = Some(finished);
                            c.close_reason = Some(CloseReason::Withdrawn);
                            c.suspensions.push(suspension(&text(finished), None, false));
                        }
                    }
                    c
                };
                for shape in 0..4 {
                    let mut r = Report::new(period);
                    r.add(&answered(shape), &rules, &cal).expect("in range");
                    r.finish();
                    assert!(
                        r.cases.is_empty() && r.rows.values().all(|f| *f == Figures::default()),
                        "finished {finished}, shape {shape}, notice_within {notice_within}: \
                         counts in {from}..{to}: {:?}",
                        r.rows
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 3 * 12 * 120 * 4);
}

#[test]
fn a_section_that_gave_a_case_back_answers_for_the_time_it_held_it() {
    // Received Mon Nov 2, forwarded to zc Wed Nov 4, extended by 5 (approved Thu Nov 5) and
    // given back Fri Nov 13: zc held it Nov 5, 6, 9–13, 7 working days. Forwarded again to ss on
    // Mon Nov 16 (the office's 5 days ended Mon Nov 9: late by Nov 10–13, 16 = 5), answered Mon
    // Nov 23 (ss's 10 days after Nov 16 end Mon Nov 30: on time).
    let zc = SectionCode::parse("zc").expect("a valid code");
    let mut c = case("R-1", "2026-11-02", Some("2026-11-16"), Some("2026-11-23"));
    c.extensions
        .push(extension(5, "2026-11-05", Some("2026-11-05")));
    c.returns.push(crate::domain::case::Return {
        returned_on: d("2026-11-13"),
        section: zc.clone(),
        forwarded_on: d("2026-11-04"),
        reason: "非本股室职责".to_owned(),
    });
    let r = november(&[c.clone()]);
    let zc_row = &r.rows[&Responsible::Section(zc.clone())];
    assert_eq!((zc_row.returns, zc_row.returned_days), (1, 7));
    assert_eq!((zc_row.extensions, zc_row.extension_days), (1, 5));
    assert_eq!(zc_row.handled, 0, "zc answered nothing");
    let ss_row = &r.rows[&Responsible::Section(ss())];
    assert_eq!(
        (ss_row.handled, ss_row.on_time, ss_row.extensions),
        (1, 1, 0)
    );
    let office = &r.rows[&Responsible::Office];
    assert_eq!(
        (office.handled, office.late, office.late_days_max),
        (1, 1, 5)
    );

    // As it stood on Nov 10, the case was still at zc: its reply stage running, nothing
    // returned yet.
    let then = as_of(&c, d("2026-11-10")).expect("received by then");
    assert_eq!(then.section, Some(zc));
    assert_eq!(then.forwarded_on, Some(d("2026-11-04")));
    assert!(then.returns.is_empty() && then.replied_on.is_none());
}
