//! The routing of levels to addresses: a role without one is found by `config check` and, at
//! run time, reported rather than dropped.

use chrono::NaiveDate;

use super::*;
use crate::calendar::{LocalOverlay, shipped};
use crate::domain::case::{Reference, SectionCode};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn cal() -> Calendar {
    Calendar::new(
        shipped::years().expect("shipped years"),
        LocalOverlay::default(),
    )
    .expect("a calendar")
}

const SECTIONS: &str = r#"
[office]
emails = ["office@bureau.example"]
[leadership]
emails = ["leaders@bureau.example"]
[[sections]]
code = "ss"
name = "社会保险股"
emails = ["head@bureau.example"]
[[sections]]
code = "bg"
name = "办公股"
emails = []
"#;

#[test]
fn a_line_for_a_role_without_an_address_is_reported_not_dropped() {
    // Unchecked on purpose: what a pass meets if a configuration escaped `config check`.
    let config = crate::config::from_toml(SECTIONS);
    let mut case = Case::received(Reference::parse("2026-0042").expect("ref"), d("2026-11-02"));
    case.forwarded_on = Some(d("2026-11-03"));
    case.section = Some(SectionCode::parse("bg").expect("code"));
    let status = crate::domain::deadline::evaluate(&case, &config.rules, &cal(), d("2026-11-18"))
        .expect("evaluated");
    let (items, unaddressed) = items_for(&case, &status, &config.escalation, &config.parties());
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
    let config = crate::config::from_toml(&format!(
        "{SECTIONS}\n[escalation.recipients]\noverdue = [\"responsible\"]\n"
    ));
    let mut case = Case::received(Reference::parse("2026-0042").expect("ref"), d("2026-11-02"));
    case.forwarded_on = Some(d("2026-11-03"));
    case.section = Some(SectionCode::parse("bg").expect("code"));
    let status = crate::domain::deadline::evaluate(&case, &config.rules, &cal(), d("2026-11-18"))
        .expect("evaluated");
    let (items, unaddressed) = items_for(&case, &status, &config.escalation, &config.parties());
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(
        unaddressed,
        ["答复 overdue：responsible 无收件地址，此条提醒未发给任何人\
             （escalation.recipients.overdue）"]
    );
}
