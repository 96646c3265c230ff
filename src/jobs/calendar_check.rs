//! The calendar check (`schedule.calendar_check`, default daily at 08:00): this year's calendar,
//! and from 1 November next year's, must be loaded. While one is missing, deadlines reaching
//! into that year are counted over weekends only (provisional), so `mail.admins` are told once a
//! day (the notice key `calendar_missing`, occurrence the day) until the file is in place.
//!
//! It also watches last year's annual report (Regulations art. 50, published by 31 January):
//! from 2 January, while table 3 of last year is incomplete (a case finished without an outcome,
//! one without an applicant category, 一 + 二 ≠ 三 + 四: [`crate::domain::annual`]),
//! `mail.admins` are told once a day at most (the notice key `annual_incomplete`, occurrence the
//! day), naming the cases, until the office has recorded them. The table is read as `duewatch
//! report annual` reads it (by date range, streamed).

use chrono::{Datelike, NaiveDateTime};

use super::{Context, Report};

/// At most this many cases are named in one reminder; the rest are counted
/// (`duewatch report annual YEAR` names them all).
const NAMED_AT_MOST: usize = 50;

/// Checks the calendar in force at local time `now`; the missing years are in the report's
/// `missing_years`.
///
/// # Errors
/// A database failure, or a template that fails.
pub async fn run(ctx: &Context, now: NaiveDateTime) -> anyhow::Result<Report> {
    let today = now.date();
    let missing = ctx.calendar().missing_years(today);
    let mut report = Report {
        missing_years: missing.clone(),
        ..Report::default()
    };
    report.annual_incomplete = annual_reminder(ctx, now).await?;
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

/// From 2 January: last year's table 3, and a reminder to `mail.admins` (once a day) while it is
/// incomplete. The year and how many cases (and unreadable rows) keep it so; `None` on 1
/// January or when it is complete.
///
/// # Errors
/// A database failure, or a template that fails.
async fn annual_reminder(
    ctx: &Context,
    now: NaiveDateTime,
) -> anyhow::Result<Option<(i32, usize)>> {
    let today = now.date();
    // The office closes the year's books on 1 January; the report is due by 31 January.
    if today.ordinal() < 2 {
        return Ok(None);
    }
    let year = today.year() - 1;
    let (table, bad) = crate::output::annual::collect(&ctx.source, year).await?;
    if table.is_complete() && bad.is_empty() {
        return Ok(None);
    }
    let problems = table.problems();
    let count = problems.len() + bad.len();
    tracing::warn!(
        year,
        cases = count,
        "last year's annual report is incomplete"
    );
    let mut lines = vec![format!(
        "{year} 年政府信息公开工作年度报告表三（收到和处理政府信息公开申请情况）尚不完整：以下申请\
         缺少办理结果或申请人类别，请在 1 月 31 日前补录（duewatch case outcome 编号 --outcome 类别 \
         --applicant 类别，或在控制台案件页“办理结果与申请人类别”），再运行 duewatch report annual {year}。"
    )];
    for (reference, problem) in problems.iter().take(NAMED_AT_MOST) {
        let first = problem.to_string();
        let first = first.lines().next().unwrap_or_default().to_owned();
        lines.push(format!("{reference}：{first}"));
    }
    if problems.len() > NAMED_AT_MOST {
        lines.push(format!(
            "……另有 {} 件（duewatch report annual {year} 逐件列出）",
            problems.len() - NAMED_AT_MOST
        ));
    }
    lines.extend(
        crate::output::annual::imbalances(&table)
            .into_iter()
            .map(|l| format!("勾稽关系不符（第一项加第二项 ≠ 第三项加第四项）：{l}")),
    );
    lines.extend(
        bad.iter()
            .take(NAMED_AT_MOST)
            .map(|b| format!("无法读取：{b}")),
    );
    let title = format!("{year} 年度报告表三尚不完整：{count} 件申请待补录");
    // Once a day at most, until complete.
    super::problems::notice(
        ctx,
        now,
        "annual_incomplete",
        &today.to_string(),
        &title,
        &lines,
    )
    .await?;
    Ok(Some((year, count)))
}
