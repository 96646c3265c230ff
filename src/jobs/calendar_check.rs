//! The calendar check (`schedule.calendar_check`, default daily at 08:00): this year's calendar,
//! and from 1 November next year's, must be loaded. While one is missing, deadlines reaching
//! into that year are counted over weekends only (provisional), so `mail.admins` are told once a
//! day (the notice key `calendar_missing`, occurrence the day) until the file is in place.

use chrono::NaiveDateTime;

use super::{Context, Report};

/// Checks the calendar in force at local time `now`; the missing years are in the report's
/// `missing_years`.
///
/// # Errors
/// A database failure, or a template that fails.
pub async fn run(ctx: &Context, now: NaiveDateTime) -> anyhow::Result<Report> {
    let today = now.date();
    let missing = ctx.calendar().missing_years(today);
    let report = Report {
        missing_years: missing.clone(),
        ..Report::default()
    };
    if missing.is_empty() {
        return Ok(report);
    }
    let lines: Vec<String> = missing
        .iter()
        .map(|y| {
            format!(
                "{y} 年节假日安排未载入：跨入 {y} 年的期限只按周末推算（暂定）。国务院办公厅通知发布后，\
                 请把 {y}.toml 放入日历目录（duewatch calendar import，或见 docs/administrator.md“Calendar files”）。"
            )
        })
        .collect();
    for y in &missing {
        tracing::warn!(
            year = y,
            "the calendar for this year is missing: deadlines into it are provisional"
        );
    }
    let title = format!(
        "{} 年节假日安排尚未载入",
        missing
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join("、")
    );
    // Once a day while the year is missing.
    super::problems::notice(
        ctx,
        now,
        "calendar_missing",
        &today.to_string(),
        &title,
        &lines,
    )
    .await?;
    Ok(report)
}
