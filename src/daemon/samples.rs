//! Sample cases for the development config (`daemon.samples = true`): made on the first start
//! with an empty store, marked `is_sample`, dated relative to today so that every escalation
//! level has a case at once: a forward stage overdue, one due today, one with two working days
//! left, a reply due today, and an extended reply overdue whose written notice is missing.

use chrono::NaiveDate;

use crate::calendar::Calendar;
use crate::domain::case::{Case, Reference};
use crate::domain::casework;
use crate::jobs::Context;

/// `n` working days before `day` (by weekday where the calendar has no data).
fn working_days_before(cal: &Calendar, day: NaiveDate, n: u32) -> NaiveDate {
    let mut d = day;
    let mut left = n;
    while left > 0 {
        d = d.pred_opt().unwrap_or(d);
        if cal.is_working_day(d).is_ok_and(|w| w.into_parts().0) {
            left -= 1;
        }
    }
    d
}

/// Makes the samples unless the store holds cases already. Returns how many were made.
///
/// # Errors
/// A database failure, or a sample the rules refuse (a bug).
pub async fn ensure(ctx: &Context) -> anyhow::Result<usize> {
    if !ctx.source.is_builtin() {
        tracing::warn!(
            "daemon.samples is ignored: the cases are read from the case system (cases.source = \"sql\")"
        );
        return Ok(0);
    }
    if ctx.store.has_cases().await? {
        return Ok(0);
    }
    let cal = ctx.calendar();
    let today = ctx.now().date();
    let back = |n| working_days_before(&cal, today, n);
    let reference = |n: u32| Reference::parse(&format!("DEMO-{n:04}"));
    let mut cases = Vec::new();
    for (n, received, subject) in [
        (1, back(7), "（样例）2025年度养老保险基金收支情况"),
        (2, back(5), "（样例）工伤认定办理流程"),
        (3, back(3), "（样例）社保卡补办网点名单"),
    ] {
        let mut case = Case::received(reference(n).map_err(anyhow::Error::msg)?, received);
        case.subject = crate::domain::case::Subject::mended(subject);
        cases.push(case);
    }
    if let Some(section) = ctx.config.sections.first() {
        let rules = &ctx.config.rules;
        let mut reply_today = Case::received(reference(4).map_err(anyhow::Error::msg)?, back(11));
        reply_today.subject = crate::domain::case::Subject::mended("（样例）失业保险金申领条件");
        casework::forward(&mut reply_today, section.code.clone(), back(10), true)
            .map_err(anyhow::Error::msg)?;
        cases.push(reply_today);
        let mut extended = Case::received(reference(5).map_err(anyhow::Error::msg)?, back(17));
        extended.subject = crate::domain::case::Subject::mended("（样例）医疗保险异地就医备案");
        casework::forward(&mut extended, section.code.clone(), back(16), true)
            .map_err(anyhow::Error::msg)?;
        casework::extend(&mut extended, 3, "局长（样例）", back(12), None, rules)
            .map_err(anyhow::Error::msg)?;
        cases.push(extended);
    }
    let entries: Vec<(&Case, &str)> = cases
        .iter()
        .map(|c| (c, "sample case (daemon.samples)"))
        .collect();
    ctx.store.add_all(&entries, None, "samples").await?;
    ctx.store
        .mark_samples(cases.iter().map(|c| &c.reference))
        .await?;
    tracing::info!(
        count = cases.len(),
        "sample cases made (daemon.samples = true)"
    );
    Ok(cases.len())
}
