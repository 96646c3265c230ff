//! The ladder (issue 17) on real dates of the shipped 2025 and 2026 calendars: reminder points
//! `[5, 2]` each notified once and only the point reached, overdue grades at 1 and 5 working
//! days with National Day in between, the red card reaching the supervision office, a long
//! suspension told to the office once, and the defaults unchanged.

use super::*;
use crate::domain::deadline::ReminderPoints;

/// Forwarded on `forwarded` to `ss` (received two days before).
fn reply_case(reference: &str, forwarded: &str) -> Case {
    let on = d(forwarded);
    let mut case = Case::received(
        Reference::parse(reference).expect("ref"),
        on - chrono::Days::new(2),
    );
    case.forwarded_on = Some(on);
    case.section = Some(SectionCode::parse("ss").expect("code"));
    case
}

fn rules(points: Vec<u32>) -> Rules {
    Rules {
        reminder_at: ReminderPoints::new(points),
        ..Rules::default()
    }
}

fn items_at(case: &Case, today: &str, rules: &Rules, policy: &EscalationConfig) -> Vec<Item> {
    let status = deadline::evaluate(case, rules, &cal(), d(today)).expect("evaluated");
    items_for(case, &status, policy, &bureau().parties()).0
}

/// The keys' levels of the lines, once each, in order.
fn keys(items: &[Item]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.iter().any(|k| k == &*i.level_key) {
            out.push(i.level_key.to_string());
        }
    }
    out
}

/// Yellow at 1 working day overdue to the section and the leadership, red at 5 also to the
/// supervision office.
fn graded() -> EscalationConfig {
    let card = |name: &str, code: &str, at: u32, recipients: Vec<Role>| Grade {
        name: name.to_owned(),
        code: GradeCode::parse(code).expect("a code"),
        at,
        recipients,
    };
    EscalationConfig {
        grades: vec![
            card(
                "黄牌",
                "yellow",
                1,
                vec![Role::Responsible, Role::Leadership],
            ),
            card(
                "红牌",
                "red",
                5,
                vec![Role::Responsible, Role::Leadership, Role::Supervision],
            ),
        ],
        ..policy()
    }
}

#[test]
fn each_reminder_point_is_its_own_notification_around_a_plain_week_of_2026() {
    // Forwarded Tue 2026-11-03: reply due Tue 11-17.
    let case = reply_case("2026-0101", "2026-11-03");
    let rules = rules(vec![5, 2]);
    let status = deadline::evaluate(&case, &rules, &cal(), d("2026-11-10")).expect("evaluated");
    assert_eq!(status.stages[1].due, Some(d("2026-11-17")));
    for (today, key) in [
        ("2026-11-09", None),               // 6 working days left: no reminder yet
        ("2026-11-10", Some("reminder:5")), // 5 left: the first point
        ("2026-11-12", Some("reminder:5")), // 3 left: still the first point, the same key
        ("2026-11-13", Some("reminder")),   // 2 left: the last point, the key single points used
        ("2026-11-16", Some("reminder")),   // 1 left
        ("2026-11-17", Some("due_today")),
    ] {
        let items = items_at(&case, today, &rules, &policy());
        assert_eq!(
            keys(&items).first().map(String::as_str),
            key,
            "{today}: {items:?}"
        );
    }
}

#[test]
fn a_stage_first_seen_past_the_first_point_gets_only_the_point_it_has_reached() {
    // Forwarded Thu 2025-09-18: reply due Thu 2025-10-09, National Day (10-01..10-08) and the
    // make-up Sunday 09-28 between.
    let case = reply_case("2025-0101", "2025-09-18");
    let rules = rules(vec![5, 2]);
    let status = deadline::evaluate(&case, &rules, &cal(), d("2025-09-30")).expect("evaluated");
    assert_eq!(status.stages[1].due, Some(d("2025-10-09")));
    // Thu 09-25: 26, 28 (make-up Sunday), 29, 30, 10-09 left: 5, the first point.
    assert_eq!(
        keys(&items_at(&case, "2025-09-25", &rules, &policy())),
        ["reminder:5"]
    );
    // Tue 09-30, one working day left (the holiday between does not count): the 2-point
    // reminder only, not a late 5-point one as well.
    let items = items_at(&case, "2025-09-30", &rules, &policy());
    assert_eq!(keys(&items), ["reminder"]);
    assert_eq!(items[0].line.remaining, Some(1));
    // During the holiday, the same point and key: nothing new to tell.
    assert_eq!(
        keys(&items_at(&case, "2025-10-03", &rules, &policy())),
        ["reminder"]
    );
    // One point as before issue 17: the key is `reminder`, exactly as it was.
    assert_eq!(
        keys(&items_at(&case, "2025-09-30", &Rules::default(), &policy())),
        ["reminder"]
    );
}

#[test]
fn overdue_grades_count_working_days_overdue_across_national_day_2026() {
    // Forwarded Wed 2026-09-16: reply due Wed 09-30 (the make-up Sunday 09-20 counts, the
    // Mid-Autumn rest 09-25..27 does not). National Day 10-01..10-07, make-up Saturday 10-10.
    let case = reply_case("2026-0102", "2026-09-16");
    let status =
        deadline::evaluate(&case, &Rules::default(), &cal(), d("2026-10-07")).expect("evaluated");
    assert_eq!(status.stages[1].due, Some(d("2026-09-30")));
    let head = ("head@bureau.example", "社会保险股", Role::Responsible);
    let leaders = ("leaders@bureau.example", "局领导", Role::Leadership);
    let supervision = ("jijian@bureau.example", "纪检监察室", Role::Supervision);
    // (day, overdue by, key, grade shown, told)
    for (today, by, key, grade, to) in [
        // Overdue since 10-01 but by 0 working days: below the first grade, plain overdue.
        ("2026-10-07", 0, "overdue", None, vec![head, leaders]),
        (
            "2026-10-08",
            1,
            "overdue:yellow",
            Some("黄牌"),
            vec![head, leaders],
        ),
        (
            "2026-10-10",
            3,
            "overdue:yellow",
            Some("黄牌"),
            vec![head, leaders],
        ),
        (
            "2026-10-12",
            4,
            "overdue:yellow",
            Some("黄牌"),
            vec![head, leaders],
        ),
        // Five working days after the deadline, not five days after the holiday began.
        (
            "2026-10-13",
            5,
            "overdue:red",
            Some("红牌"),
            vec![head, leaders, supervision],
        ),
        (
            "2026-10-20",
            10,
            "overdue:red",
            Some("红牌"),
            vec![head, leaders, supervision],
        ),
    ] {
        let items = items_at(&case, today, &Rules::default(), &graded());
        assert_eq!(keys(&items), [key], "{today}");
        assert_eq!(told(&items), to, "{today}");
        assert_eq!(items[0].line.overdue_by, Some(by), "{today}");
        assert_eq!(items[0].line.grade.as_deref(), grade, "{today}");
        assert!(
            items.iter().all(|i| i.repeat),
            "{today}: graded lines repeat daily"
        );
        assert!(items[0].level.is_overdue());
    }
    // The red card sorts before a yellow one, and both before plain overdue.
    let red = items_at(&case, "2026-10-13", &Rules::default(), &graded());
    let yellow = items_at(&case, "2026-10-08", &Rules::default(), &graded());
    let plain = items_at(&case, "2026-10-07", &Rules::default(), &graded());
    assert!(red[0].level < yellow[0].level && yellow[0].level < plain[0].level);
}

#[test]
fn without_grades_overdue_is_told_as_before() {
    let case = reply_case("2026-0102", "2026-09-16");
    let items = items_at(&case, "2026-10-13", &Rules::default(), &policy());
    assert_eq!(keys(&items), ["overdue"]);
    assert_eq!(items[0].level, ItemLevel::Overdue);
    assert_eq!(items[0].line.grade, None);
    assert_eq!(
        told(&items),
        [
            ("head@bureau.example", "社会保险股", Role::Responsible),
            ("leaders@bureau.example", "局领导", Role::Leadership)
        ]
    );
}

#[test]
fn a_suspension_open_past_fifteen_working_days_is_told_to_the_office_once() {
    // Forwarded Tue 2026-09-01; suspended from Mon 09-07 (third party), still open.
    let mut case = reply_case("2026-0103", "2026-09-01");
    case.suspensions.push(Suspension {
        from: d("2026-09-07"),
        until: None,
        reason: SuspensionReason::ThirdParty,
        note: None,
        notice_on: Some(d("2026-09-07")),
        resumption_notice_on: None,
    });
    let office = (
        "office@bureau.example",
        "政务公开工作领导小组办公室",
        Role::Office,
    );
    // On Thu 09-24 it has stood 15 working days (the make-up Sunday 09-20 counts): not yet
    // past 15. The next working day, Mon 09-28 (09-25..27 is the Mid-Autumn rest), is the 16th.
    assert!(items_at(&case, "2026-09-24", &Rules::default(), &policy()).is_empty());
    for today in ["2026-09-28", "2026-10-12"] {
        let mut items = items_at(&case, today, &Rules::default(), &policy());
        // By 10-12 the third party's 15 working days of the Regulations (art. 32) have run out
        // too: that is a line of the law's clock (escalation/law.rs, tested there), not this one.
        items.retain(|i| !i.stage.starts_with("law:"));
        assert_eq!(told(&items), [office], "{today}");
        let item = &items[0];
        assert_eq!(item.level, ItemLevel::LongSuspension);
        assert_eq!(
            (&*item.level_key, item.stage.as_str(), item.deadline),
            ("long_suspension", "reply", d("2026-09-07")),
            "one key per suspension: the same on every day it stands"
        );
        assert!(!item.repeat, "told once, not repeated daily");
        assert!(
            item.line
                .explanation
                .starts_with("2026-09-07 起中止（征求第三方意见），至今已 "),
            "{}",
            item.line.explanation
        );
    }
    let days = |today: &str| {
        items_at(&case, today, &Rules::default(), &policy())[0]
            .line
            .suspended_days
    };
    assert_eq!(days("2026-09-28"), Some(16));
    // 09-29, 09-30, then 10-08, 10-09, the make-up Saturday 10-10 and 10-12 after National Day.
    assert_eq!(days("2026-10-12"), Some(22));
    // A shorter threshold tells earlier; a resumed suspension is not told.
    let short = Rules {
        suspension_alert_after: 5,
        ..Rules::default()
    };
    assert_eq!(items_at(&case, "2026-09-14", &short, &policy()).len(), 1);
    case.suspensions[0].until = Some(d("2026-09-29"));
    assert!(
        items_at(&case, "2026-09-29", &Rules::default(), &policy())
            .iter()
            .all(|i| i.level != ItemLevel::LongSuspension)
    );
}
