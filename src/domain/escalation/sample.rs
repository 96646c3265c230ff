//! Sample lines of every level, for rendering the mail templates once at load (so that a broken
//! edit is found by `config check`, not by the first overdue case). No real case's data.

use std::sync::Arc;

use chrono::NaiveDate;

use super::{GradeRank, Item, ItemLevel, LATE_EXTENSION, Line, Role};

/// One item of each level (and an overdue grade), for rendering the templates once at load.
pub fn sample_items() -> Vec<Item> {
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
    let red = Some("红牌".to_owned());
    let levels = [
        (ItemLevel::Overdue, "overdue", None, Some(2), None),
        (ItemLevel::DueToday, "due_today", Some(0), None, None),
        (ItemLevel::Reminder, "reminder", Some(2), None, None),
        (
            ItemLevel::NoticeMissing,
            "notice_missing",
            None,
            Some(3),
            None,
        ),
        (
            ItemLevel::Graded(GradeRank::of_index(1)),
            "overdue:red",
            None,
            Some(6),
            red,
        ),
        (
            ItemLevel::LongSuspension,
            "long_suspension",
            None,
            None,
            None,
        ),
    ];
    levels
        .into_iter()
        .enumerate()
        .map(|(i, (level, key, remaining, overdue_by, grade))| Item {
            // The notice owed (3) is of the case due today (1): a case with two lines.
            reference: format!("2026-900{}", if i == 3 { 1 } else { i }),
            stage: "reply".to_owned(),
            level,
            level_key: Arc::from(key),
            deadline: day(25 + i as u32),
            repeat: false,
            recipient: Arc::from("head@bureau.example"),
            recipient_name: Arc::from("社会保险股"),
            role: if i == 0 {
                Role::Responsible
            } else {
                Role::Office
            },
            line: Arc::new(Line {
                subject: (i != 1).then(|| "养老保险缴费记录 <样例>".to_owned()),
                stage_name: "答复".to_owned(),
                responsible_name: "社会保险股".to_owned(),
                remaining,
                overdue_by,
                provisional: i == 2,
                explanation: "2026-11-13 转办，答复期限 10 个工作日".to_owned(),
                flags: if i == 0 {
                    vec![LATE_EXTENSION.to_owned()]
                } else {
                    Vec::new()
                },
                grade,
                suspended_days: (level == ItemLevel::LongSuspension).then_some(18),
            }),
        })
        .collect()
}
