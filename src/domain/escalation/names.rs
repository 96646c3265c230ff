//! A stored notification's level (the key's `level`, [`super::Item::level_key`]) in words, for
//! the record of who was told what (the case page; issue 17's record shows the grade). Pure.

use super::Grade;

/// `level_key` in Chinese: `reminder` 即将到期提醒, `reminder:5` 即将到期提醒（剩余 5 个工作日）,
/// `due_today`, `overdue` 逾期通报, `overdue:red` the grade's configured name (红牌) with 逾期通报,
/// `notice_missing`, `long_suspension`, `admin`; a grade no longer configured by its code, and
/// anything else as it is stored.
pub fn level_key_name(level_key: &str, grades: &[Grade]) -> String {
    match level_key {
        "reminder" => return "即将到期提醒".to_owned(),
        "due_today" => return "今日到期提醒".to_owned(),
        "overdue" => return "逾期通报".to_owned(),
        "notice_missing" => return "书面告知未登记".to_owned(),
        "long_suspension" => return "中止过久通报".to_owned(),
        "admin" => return "管理员通知".to_owned(),
        _ => {}
    }
    match level_key.split_once(':') {
        Some(("reminder", point)) => format!("即将到期提醒（剩余 {point} 个工作日）"),
        Some(("overdue", code)) => match grades.iter().find(|g| g.code.as_str() == code) {
            Some(g) => format!("{}（逾期通报）", g.name),
            None => format!("逾期通报（{code}）"),
        },
        _ => level_key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::escalation::{GradeCode, Role};

    #[test]
    fn a_level_key_reads_with_its_point_or_its_grade() {
        let red = Grade {
            name: "红牌".to_owned(),
            code: GradeCode::parse("red").expect("a code"),
            at: 5,
            recipients: vec![Role::Supervision],
        };
        let grades = [red];
        assert_eq!(level_key_name("reminder", &grades), "即将到期提醒");
        assert_eq!(
            level_key_name("reminder:5", &grades),
            "即将到期提醒（剩余 5 个工作日）"
        );
        assert_eq!(level_key_name("overdue:red", &grades), "红牌（逾期通报）");
        assert_eq!(
            level_key_name("overdue:yellow", &grades),
            "逾期通报（yellow）"
        );
        assert_eq!(level_key_name("overdue", &[]), "逾期通报");
        assert_eq!(level_key_name("long_suspension", &[]), "中止过久通报");
    }
}
