//! The monthly report job (`schedule.monthly_report`, default daily at 09:00): a cron expression
//! cannot say "the first working day of the month" (a holiday calendar decides it), so the job
//! looks every day and acts **on or after the month's first working day** when last month's
//! report has not been queued yet. It is queued once per month and recipient by the outbox's
//! notice key (`monthly_report:YYYY-MM`, occurrence `once`, unique in the database): two
//! instances, a restart or a run by hand never send it twice, and a daemon that was down on the
//! first working day sends it at its first run after. The figures are
//! [`crate::output::feeds::collect`]'s, the workbook [`crate::output::xlsx`]'s.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::{Context, Failed, Report};
use crate::calendar::Calendar;
use crate::domain::report::Period;
use crate::mail::Attachment;

/// The monthly report job at local time `now`: last month's report queued if due
/// ([`monthly_report`]) and, when it was just queued, delivered at once
/// ([`super::deliver::deliver`]); on the other days the job sends nothing (the poll delivers).
///
/// # Errors
/// A database failure, a template or workbook failure (with what the run did).
pub async fn run(ctx: &Context, now: NaiveDateTime) -> Result<Report, Failed> {
    let done = monthly_report(ctx, now).await?;
    tracing::info!(?done, "monthly report");
    let queued = matches!(done, Monthly::Queued(_));
    let mut report = Report {
        monthly: Some(done),
        ..Report::default()
    };
    if !queued {
        return Ok(report);
    }
    match super::deliver::deliver(ctx, now, &mut report).await {
        Ok(()) => Ok(report),
        Err(error) => Err(Failed { error, report }),
    }
}

/// The first working day of `day`'s month (the first day of the month when the calendar cannot
/// say).
pub fn first_working_day(cal: &Calendar, day: NaiveDate) -> NaiveDate {
    let first = day.with_day(1).unwrap_or(day);
    first
        .pred_opt()
        .and_then(|eve| cal.add_working_days(eve, 1).ok())
        .map_or(first, |d| d.into_parts().0)
}

/// What the monthly report job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Monthly {
    /// Before the month's first working day: nothing to do yet.
    NotYet {
        /// The day it becomes due.
        due: NaiveDate,
    },
    /// Queued already (by this or another instance).
    AlreadyQueued,
    /// No recipient is configured.
    NoRecipients,
    /// Queued now, to this many recipients.
    Queued(usize),
}

/// Last month's report: from the first working day of a month on, last month's report is
/// queued once to `[report] recipients`, the workbook attached.
///
/// # Errors
/// A database failure, a template or workbook failure.
pub async fn monthly_report(ctx: &Context, now: NaiveDateTime) -> anyhow::Result<Monthly> {
    let today = now.date();
    let cal = ctx.calendar();
    let due = first_working_day(&cal, today);
    if today < due {
        return Ok(Monthly::NotYet { due });
    }
    let period = Period::month_before(today);
    let month = format!("{:04}-{:02}", period.from().year(), period.from().month());
    let key = format!("monthly_report:{month}");
    let recipients = ctx.config.report_recipients();
    if recipients.is_empty() {
        tracing::warn!(
            "the monthly report for {month} has no recipient: set [report] recipients or leadership.emails"
        );
        return Ok(Monthly::NoRecipients);
    }
    let recipients = ctx.store.notice_not_queued(&key, &recipients).await?;
    if recipients.is_empty() {
        return Ok(Monthly::AlreadyQueued);
    }
    let (report, bad) =
        crate::output::feeds::collect(&ctx.store, &ctx.source, &ctx.config, &cal, period).await?;
    for b in &bad {
        tracing::error!("left out of the monthly report: {b}");
    }
    let workbook = crate::output::xlsx(&report, &ctx.config)
        .map_err(|e| anyhow::anyhow!("writing the {month} workbook: {e}"))?;
    let total = report.total();
    let mut lines = vec![
        format!(
            "统计期间：{} 至 {}（各项口径见 docs/administrator.md“Reports and calendar feeds”）",
            period.from(),
            period.to()
        ),
        format!(
            "全局：办理 {} 件，按期办结 {} 件，逾期办结 {} 件，超期未办结 {} 件，按期办结率 {}。",
            total.handled,
            total.on_time,
            total.late,
            total.open_overdue,
            total
                .on_time_rate()
                .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
        ),
    ];
    let codes: Vec<_> = ctx.config.sections.iter().map(|s| s.code.clone()).collect();
    for party in report.parties(&codes) {
        let f = report.rows.get(party).cloned().unwrap_or_default();
        lines.push(format!(
            "{}：办理 {}，按期 {}，逾期办结 {}，超期未办结 {}，延期 {}，中止 {}，书面告知缺失 {}{}",
            crate::output::party_name(&ctx.config, party),
            f.handled,
            f.on_time,
            f.late,
            f.open_overdue,
            f.extensions,
            f.suspensions,
            f.notices_missing,
            // Issue 17: with grades configured, the red cards the party received.
            if ctx.config.escalation.grades.is_empty() {
                String::new()
            } else {
                format!("，红牌 {}", f.red_cards)
            }
        ));
    }
    if !bad.is_empty() {
        lines.push(format!(
            "另有 {} 件案件无法计算，未计入（见日志）。",
            bad.len()
        ));
    }
    lines.push("逾期及超期案件明细见附件“案件”表。".to_owned());
    let title = format!(
        "{}年{}月政府信息公开申请办理情况月报",
        period.from().year(),
        period.from().month()
    );
    let mut rendered =
        ctx.templates()
            .notice(&now.format("%Y-%m-%d %H:%M").to_string(), &title, &lines)?;
    rendered.attachments.push(Attachment {
        filename: format!("duewatch-report-{month}.xlsx"),
        content_type: crate::mail::XLSX.to_owned(),
        content: workbook,
    });
    let queued = ctx
        .store
        .record_notice(
            &key,
            due,
            "once",
            &recipients,
            &rendered,
            &ctx.config.mail.from,
        )
        .await?;
    tracing::info!(month = %month, queued, "monthly report queued");
    Ok(if queued == 0 {
        Monthly::AlreadyQueued
    } else {
        Monthly::Queued(queued)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{LocalOverlay, shipped};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test dates are valid")
    }

    #[test]
    fn the_first_working_day_of_a_month_follows_the_holiday_calendar() {
        let cal = Calendar::new(
            shipped::years().expect("shipped calendars"),
            LocalOverlay::default(),
        )
        .expect("a calendar");
        let table = [
            ("2026-12-15", "2026-12-01"), // a Tuesday
            ("2026-10-20", "2026-10-08"), // National Day: Oct 1-7 rest
            ("2026-02-10", "2026-02-02"), // Feb 1 is a Sunday
            ("2026-01-31", "2026-01-04"), // New Year: Jan 1-3 rest, Sun Jan 4 a make-up day
            ("2026-11-01", "2026-11-02"), // Nov 1 is a Sunday
        ];
        for (day, first) in table {
            assert_eq!(first_working_day(&cal, d(day)), d(first), "{day}");
        }
    }
}
