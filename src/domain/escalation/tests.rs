//! The escalation policy, without the binary: roles to addresses (each once, the first role
//! wins, a role without one reported rather than dropped), a removed section, the written
//! notices owed (arts. 20, 21), the daily repeat flag, the digest's order, and the sending
//! window on real dates of the shipped 2026 calendar.
//!
//! The parties, the policy and the rules are built here as domain values ([`bureau`],
//! [`policy`]), not read from a configuration: the domain does not use `crate::config`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::calendar::Calendar;

use super::*;
use crate::calendar::{LocalOverlay, shipped};
use crate::domain::address::EmailAddress;
use crate::domain::case::{Extension, Reference, SectionCode, Suspension, SuspensionReason};
use crate::domain::deadline::{self, Rules};
use crate::domain::parties::{Party, Section};

mod ladder;

pub(super) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("a date and time")
}

pub(super) fn cal() -> Calendar {
    Calendar::new(
        shipped::years().expect("shipped years"),
        LocalOverlay::default(),
    )
    .expect("a calendar")
}

/// The office, the leadership and the sections, owned (a [`Parties`] borrows them).
pub(super) struct Bureau {
    pub(super) office: Party,
    pub(super) leadership: Party,
    pub(super) sections: Vec<Section>,
    pub(super) supervision: Party,
}

impl Bureau {
    fn parties(&self) -> Parties<'_> {
        Parties {
            office: &self.office,
            leadership: &self.leadership,
            sections: &self.sections,
            supervision: &self.supervision,
        }
    }

    fn section_mut(&mut self, code: &str) -> &mut Section {
        self.sections
            .iter_mut()
            .find(|s| s.code.as_str() == code)
            .expect("a section of the fixture")
    }
}

/// Addresses as the parties hold them: the one place that makes one from text, so a change of
/// the address type is a change here.
fn emails(list: &[&str]) -> Vec<EmailAddress> {
    list.iter()
        .map(|e| EmailAddress::parse(e).expect("an address"))
        .collect()
}

/// The names are the shipped defaults'; `ss` has one address, `bg` none.
pub(super) fn bureau() -> Bureau {
    let section = |code: &str, name: &str, list: &[&str]| Section {
        code: SectionCode::parse(code).expect("a code"),
        name: name.to_owned(),
        emails: emails(list),
        channels: Vec::new(),
        mobiles: Vec::new(),
    };
    Bureau {
        office: Party {
            name: "政务公开工作领导小组办公室".to_owned(),
            emails: emails(&["office@bureau.example"]),
            channels: Vec::new(),
            mobiles: Vec::new(),
        },
        leadership: Party {
            name: "局领导".to_owned(),
            emails: emails(&["leaders@bureau.example"]),
            channels: Vec::new(),
            mobiles: Vec::new(),
        },
        sections: vec![
            section("ss", "社会保险股", &["head@bureau.example"]),
            section("bg", "办公股", &[]),
        ],
        supervision: Party {
            name: "纪检监察室".to_owned(),
            emails: emails(&["jijian@bureau.example"]),
            channels: Vec::new(),
            mobiles: Vec::new(),
        },
    }
}

/// The shipped `[escalation]`: reminders to the responsible party, due today to it and the
/// office, overdue to it and the leadership (daily), notices owed to it.
pub(crate) fn policy() -> EscalationConfig {
    EscalationConfig {
        overdue_repeat: Repeat::Daily,
        notices: true,
        recipients: Recipients {
            reminder: vec![Role::Responsible],
            due_today: vec![Role::Responsible, Role::Office],
            overdue: vec![Role::Responsible, Role::Leadership],
            notice_missing: vec![Role::Responsible],
            long_suspension: vec![Role::Office],
        },
        grades: Vec::new(),
    }
}

/// The shipped `[window]`: working days, 08:30 to 17:30.
pub(crate) fn window() -> Window {
    Window {
        from: NaiveTime::from_hms_opt(8, 30, 0).expect("a time"),
        to: NaiveTime::from_hms_opt(17, 30, 0).expect("a time"),
        every_day: false,
    }
}

/// Received Mon 2026-11-02: forward due Mon 11-09.
pub(super) fn received(reference: &str) -> Case {
    Case::received(Reference::parse(reference).expect("ref"), d("2026-11-02"))
}

/// Also forwarded Tue 11-03 to `section`: reply due Tue 11-17 (overdue by 1 on 11-18).
pub(super) fn forwarded(reference: &str, section: &str) -> Case {
    let mut case = received(reference);
    case.forwarded_on = Some(d("2026-11-03"));
    case.section = Some(SectionCode::parse(section).expect("code"));
    case
}

fn run(
    case: &Case,
    today: &str,
    policy: &EscalationConfig,
    bureau: &Bureau,
) -> (Vec<Item>, Vec<String>) {
    let status = deadline::evaluate(case, &Rules::default(), &cal(), d(today)).expect("evaluated");
    items_for(case, &status, policy, &bureau.parties())
}

/// Each item as (recipient, whose, role).
pub(super) fn told(items: &[Item]) -> Vec<(&str, &str, Role)> {
    items
        .iter()
        .map(|i| (&*i.recipient, &*i.recipient_name, i.role))
        .collect()
}

// --- roles to addresses ---

#[test]
fn a_line_for_a_role_without_an_address_is_reported_not_dropped() {
    // What a pass meets if a configuration escaped `config check`: `bg` has no address.
    let (items, unaddressed) = run(
        &forwarded("2026-0042", "bg"),
        "2026-11-18",
        &policy(),
        &bureau(),
    );
    assert_eq!(
        items.iter().map(|i| &*i.recipient).collect::<Vec<_>>(),
        ["leaders@bureau.example"],
        "overdue: the leadership is told"
    );
    assert_eq!(
        unaddressed,
        [
            "答复 overdue：responsible 无收件地址，未收到此条提醒；已发给 leadership\
             （escalation.recipients.overdue）"
        ],
        "the line reached the leadership: the notice must not say it was not sent"
    );
}

#[test]
fn a_line_that_no_role_receives_is_reported_as_sent_to_no_one() {
    let mut policy = policy();
    policy.recipients.overdue = vec![Role::Responsible];
    let (items, unaddressed) = run(
        &forwarded("2026-0042", "bg"),
        "2026-11-18",
        &policy,
        &bureau(),
    );
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(
        unaddressed,
        ["答复 overdue：responsible 无收件地址，此条提醒未发给任何人\
             （escalation.recipients.overdue）"]
    );
}

#[test]
fn each_level_goes_to_the_roles_of_its_recipients_list() {
    let bureau = bureau();
    let case = forwarded("2026-0042", "ss");
    let head = ("head@bureau.example", "社会保险股", Role::Responsible);
    // Reply due Tue 11-17: two working days left on Fri 11-13 (reminder_at = 2).
    let (items, none) = run(&case, "2026-11-13", &policy(), &bureau);
    assert_eq!(told(&items), [head]);
    assert_eq!(items[0].level, ItemLevel::Reminder);
    assert!(none.is_empty(), "{none:?}");
    // Three working days left on Thu 11-12: no line yet.
    assert!(run(&case, "2026-11-12", &policy(), &bureau).0.is_empty());
    let (items, _) = run(&case, "2026-11-17", &policy(), &bureau);
    assert_eq!(
        told(&items),
        [
            head,
            (
                "office@bureau.example",
                "政务公开工作领导小组办公室",
                Role::Office
            )
        ]
    );
    assert!(items.iter().all(|i| i.level == ItemLevel::DueToday));
    let (items, _) = run(&case, "2026-11-18", &policy(), &bureau);
    assert_eq!(
        told(&items),
        [head, ("leaders@bureau.example", "局领导", Role::Leadership)]
    );
    assert!(items.iter().all(|i| i.level == ItemLevel::Overdue));
    assert!(
        items.iter().all(|i| i.stage == "reply"
            && i.deadline == d("2026-11-17")
            && i.reference == "2026-0042"),
        "{items:?}"
    );
}

#[test]
fn an_address_named_by_two_roles_is_told_once_as_the_first_role() {
    let bureau = bureau();
    // Not forwarded: the forward stage's responsible party is the office, due Mon 11-09.
    let case = received("2026-0042");
    let office = "office@bureau.example";
    let (items, none) = run(&case, "2026-11-09", &policy(), &bureau);
    assert_eq!(
        told(&items),
        [(office, "政务公开工作领导小组办公室", Role::Responsible)],
        "due_today = [responsible, office]: one line, as the responsible party"
    );
    assert!(none.is_empty(), "{none:?}");
    let mut office_first = policy();
    office_first.recipients.due_today = vec![Role::Office, Role::Responsible];
    let (items, _) = run(&case, "2026-11-09", &office_first, &bureau);
    assert_eq!(
        told(&items),
        [(office, "政务公开工作领导小组办公室", Role::Office)],
        "the first role that names the address wins"
    );
}

#[test]
fn addresses_are_compared_without_regard_to_case_and_each_of_a_partys_addresses_is_told() {
    let mut bureau = bureau();
    bureau.section_mut("ss").emails = emails(&["head@bureau.example", "deputy@bureau.example"]);
    bureau.leadership.emails = emails(&["Head@Bureau.example", "leaders@bureau.example"]);
    let (items, _) = run(
        &forwarded("2026-0042", "ss"),
        "2026-11-18",
        &policy(),
        &bureau,
    );
    assert_eq!(
        told(&items),
        [
            ("head@bureau.example", "社会保险股", Role::Responsible),
            ("deputy@bureau.example", "社会保险股", Role::Responsible),
            ("leaders@bureau.example", "局领导", Role::Leadership),
        ],
        "Head@Bureau.example is head@bureau.example, told already as the section's"
    );
    // One line shared by the recipients.
    assert!(Arc::ptr_eq(&items[0].line, &items[2].line));
}

#[test]
fn the_cases_of_a_removed_section_fall_to_the_office() {
    // `zz` was configured when the case was forwarded, and is no longer.
    let case = forwarded("2026-0042", "zz");
    let (items, none) = run(&case, "2026-11-13", &policy(), &bureau());
    assert_eq!(
        told(&items),
        [(
            "office@bureau.example",
            "政务公开工作领导小组办公室",
            Role::Responsible
        )],
        "the reminder goes to the office, not to no one"
    );
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(
        items[0].line.responsible_name, "zz",
        "the line still names the code"
    );
    let (items, _) = run(&case, "2026-11-18", &policy(), &bureau());
    assert_eq!(
        told(&items),
        [
            (
                "office@bureau.example",
                "政务公开工作领导小组办公室",
                Role::Responsible
            ),
            ("leaders@bureau.example", "局领导", Role::Leadership),
        ]
    );
}

// --- written notices owed (arts. 20, 21) ---

/// Forwarded to `section`, extended by 5 on Tue 11-10 (reply due Tue 11-24): the written
/// notice is due Thu 11-12 (rules.notice_within = 2) and missing from Fri 11-13.
fn extended(section: &str) -> Case {
    let mut case = forwarded("2026-0042", section);
    case.extensions.push(Extension {
        days: 5,
        approved_on: d("2026-11-10"),
        approved_by: "局长".to_owned(),
        reason: None,
        notice_on: None,
    });
    case
}

#[test]
fn a_written_notice_of_an_extension_not_recorded_in_time_is_owed_by_the_section() {
    let (items, none) = run(&extended("ss"), "2026-11-13", &policy(), &bureau());
    assert_eq!(
        told(&items),
        [("head@bureau.example", "社会保险股", Role::Responsible)]
    );
    assert!(none.is_empty(), "{none:?}");
    let item = &items[0];
    assert_eq!(item.level, ItemLevel::NoticeMissing);
    assert_eq!(item.stage, "notice:extension:2026-11-10");
    assert_eq!(item.deadline, d("2026-11-12"));
    // Late, like an overdue stage (issue 17): it says by how much, and is repeated daily.
    assert!(
        item.repeat,
        "a notice owed is repeated daily as overdue lines are"
    );
    assert_eq!((item.line.remaining, item.line.overdue_by), (None, Some(1)));
    // Wed 11-18: Fri 13, Mon 16, Tue 17, Wed 18 past its day.
    let later = run(&extended("ss"), "2026-11-18", &policy(), &bureau()).0;
    assert_eq!(later[0].line.overdue_by, Some(4));
    let once = EscalationConfig {
        overdue_repeat: Repeat::Once,
        ..policy()
    };
    assert!(!run(&extended("ss"), "2026-11-18", &once, &bureau()).0[0].repeat);
    assert_eq!(item.line.stage_name, "延期书面告知");
    assert_eq!(
        item.line.explanation,
        "2026-11-10 批准延期，应于 2026-11-12 前书面告知申请人（第二十条），尚未登记"
    );
    // On its due day it is not owed yet; recorded, it is not owed at all.
    assert!(
        run(&extended("ss"), "2026-11-12", &policy(), &bureau())
            .0
            .is_empty()
    );
    let mut recorded = extended("ss");
    recorded.extensions[0].notice_on = Some(d("2026-11-11"));
    assert!(
        run(&recorded, "2026-11-13", &policy(), &bureau())
            .0
            .is_empty()
    );
}

#[test]
fn a_written_notice_of_a_suspension_cites_article_21() {
    let mut case = forwarded("2026-0042", "ss");
    // Suspended from Thu 11-05, still open: the reply has no deadline; notice due Mon 11-09.
    case.suspensions.push(Suspension {
        from: d("2026-11-05"),
        until: None,
        reason: SuspensionReason::ThirdParty,
        note: None,
        notice_on: None,
        resumption_notice_on: None,
    });
    let (items, _) = run(&case, "2026-11-10", &policy(), &bureau());
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].stage, "notice:suspension:2026-11-05");
    assert_eq!(items[0].line.stage_name, "中止书面告知");
    assert_eq!(
        items[0].line.explanation,
        "2026-11-05 期限中止，应于 2026-11-09 前书面告知申请人（第二十一条），尚未登记"
    );
}

#[test]
fn with_notices_off_no_notice_is_reminded() {
    let mut off = policy();
    off.notices = false;
    let (items, none) = run(&extended("ss"), "2026-11-13", &off, &bureau());
    assert!(items.is_empty(), "{items:?}");
    assert!(none.is_empty(), "{none:?}");
    // The stage's own lines still go out: reply due 11-24, overdue on 11-25.
    let (items, _) = run(&extended("ss"), "2026-11-25", &off, &bureau());
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|i| i.level == ItemLevel::Overdue),
        "{items:?}"
    );
}

#[test]
fn a_notice_owed_by_a_section_without_an_address_is_reported() {
    let (items, none) = run(&extended("bg"), "2026-11-13", &policy(), &bureau());
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(
        none,
        [
            "延期书面告知 notice_missing：responsible 无收件地址，此条提醒未发给任何人\
          （escalation.recipients.notice_missing）"
        ]
    );
}

// --- the daily repeat flag ---

#[test]
fn only_an_overdue_line_repeats_and_only_with_overdue_repeat_daily() {
    let bureau = bureau();
    let case = forwarded("2026-0042", "ss");
    let mut once = policy();
    once.overdue_repeat = Repeat::Once;
    for (today, policy, repeat) in [
        ("2026-11-18", policy(), true),
        ("2026-11-18", once.clone(), false),
        ("2026-11-17", policy(), false),
        ("2026-11-13", policy(), false),
    ] {
        let (items, _) = run(&case, today, &policy, &bureau);
        assert!(!items.is_empty(), "{today}");
        assert!(
            items.iter().all(|i| i.repeat == repeat),
            "{today}, {:?}: {items:?}",
            policy.overdue_repeat
        );
    }
}

// --- the digest's order ---

#[test]
fn the_digest_lists_the_most_urgent_first() {
    let bureau = bureau();
    let today = "2026-11-18";
    let mut cases = Vec::new();
    // Reply due 11-17: overdue by 1.
    cases.push(forwarded("2026-0001", "ss"));
    // Forward due 11-09: overdue by 7.
    cases.push(received("2026-0002"));
    // Received Wed 11-11, forward due Wed 11-18: due today.
    let mut due_today = received("2026-0003");
    due_today.received_on = d("2026-11-11");
    cases.push(due_today);
    // Received Thu 11-12, forward due Thu 11-19: one working day left.
    let mut one_left = received("2026-0004");
    one_left.received_on = d("2026-11-12");
    cases.push(one_left);
    // Received Fri 11-13, forward due Fri 11-20: two working days left.
    let mut two_left = received("2026-0005");
    two_left.received_on = d("2026-11-13");
    cases.push(two_left);
    // Extended on 11-10, its notice owed since 11-13 (reply due 11-24: no stage line).
    let mut notice = extended("ss");
    notice.reference = Reference::parse("2026-0000").expect("ref");
    cases.push(notice);
    let mut items: Vec<Item> = cases
        .iter()
        .flat_map(|c| run(c, today, &policy(), &bureau).0)
        .filter(|i| i.role == Role::Responsible)
        .collect();
    items.reverse();
    items.sort_by(|a, b| a.urgency().cmp(&b.urgency()));
    assert_eq!(
        items
            .iter()
            .map(|i| (
                i.reference.as_str(),
                i.level,
                i.line.overdue_by,
                i.line.remaining
            ))
            .collect::<Vec<_>>(),
        [
            ("2026-0002", ItemLevel::Overdue, Some(7), Some(0)),
            ("2026-0001", ItemLevel::Overdue, Some(1), Some(0)),
            ("2026-0003", ItemLevel::DueToday, None, Some(0)),
            ("2026-0004", ItemLevel::Reminder, None, Some(1)),
            ("2026-0005", ItemLevel::Reminder, None, Some(2)),
            ("2026-0000", ItemLevel::NoticeMissing, Some(4), None),
        ]
    );
}

// --- the sending window ---

#[test]
fn the_window_is_open_on_working_days_make_up_saturdays_included() {
    let cal = cal();
    let table = [
        // A plain working day (Tue).
        ("2026-11-17 10:00:00", true),
        // Make-up working Saturdays (调休上班日) of 2026: 国庆节, 劳动节, 春节.
        ("2026-10-10 10:00:00", true),
        ("2026-05-09 10:00:00", true),
        ("2026-02-14 10:00:00", true),
        // ... and a make-up Sunday (元旦; 国庆节's 09-20).
        ("2026-01-04 10:00:00", true),
        ("2026-09-20 10:00:00", true),
        // Public holidays on weekdays: National Day (Thu), Labour Day (Fri).
        ("2026-10-01 10:00:00", false),
        ("2026-05-01 10:00:00", false),
        // Plain Saturday and Sunday.
        ("2026-10-17 10:00:00", false),
        ("2026-11-22 10:00:00", false),
    ];
    for (now, open) in table {
        assert_eq!(window().is_open(&cal, at(now)), open, "{now}");
    }
}

#[test]
fn the_window_opens_at_from_and_is_closed_from_to_on() {
    let cal = cal();
    // `from` belongs to the window; `to` does not (the window is [from, to)).
    let table = [
        ("2026-10-10 08:29:59", false),
        ("2026-10-10 08:30:00", true),
        ("2026-10-10 17:29:59", true),
        ("2026-10-10 17:30:00", false),
        ("2026-10-10 23:59:59", false),
        ("2026-10-10 00:00:00", false),
    ];
    for (now, open) in table {
        assert_eq!(window().is_open(&cal, at(now)), open, "{now}");
    }
}

#[test]
fn with_every_day_rest_days_are_open_but_the_hours_still_count() {
    let cal = cal();
    let every_day = Window {
        every_day: true,
        ..window()
    };
    assert!(
        every_day.is_open(&cal, at("2026-10-01 10:00:00")),
        "a holiday"
    );
    assert!(
        every_day.is_open(&cal, at("2026-10-17 10:00:00")),
        "a Saturday"
    );
    assert!(
        !every_day.is_open(&cal, at("2026-10-17 17:30:00")),
        "after hours"
    );
    assert!(
        !every_day.is_open(&cal, at("2026-10-17 08:00:00")),
        "before hours"
    );
}

#[test]
fn a_year_the_calendar_does_not_cover_counts_by_weekday() {
    let cal = cal();
    // 2027 is not shipped: Fri 2027-01-01 (元旦, unknown here) counts as a working day.
    assert!(window().is_open(&cal, at("2027-01-01 10:00:00")));
    assert!(
        !window().is_open(&cal, at("2027-01-02 10:00:00")),
        "a Saturday"
    );
}
