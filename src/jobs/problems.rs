//! What the administrators (`mail.admins`) are told of, each problem once: the case system's rows
//! that break the rules, lines a role with no address did not get, cases whose deadlines cannot
//! be counted (all found by a reconcile), and the daemon's notices (a missing or edited
//! calendar). Each goes through the outbox, keyed so that a problem is told once (a changed
//! problem again); with no `mail.admins` it is in the log only.

use chrono::NaiveDateTime;

use super::{Context, Report};

/// Tells `mail.admins` of the problems a reconcile found in `report`: bad rows of the case
/// system, lines a role with no address did not get, cases that cannot be counted.
///
/// # Errors
/// A database failure, or a template that fails.
pub(crate) async fn report_cases(
    ctx: &Context,
    now: NaiveDateTime,
    report: &Report,
) -> anyhow::Result<()> {
    report_bad_rows(ctx, now, &report.bad_rows).await?;
    report_unaddressed(ctx, now, &report.unaddressed).await?;
    report_unevaluable(ctx, now, &report.unevaluable).await
}

/// Queues a notice to `mail.admins` at local time `now`, once per (`key`, `occurrence`) and
/// day.
///
/// # Errors
/// A database failure, or a template that fails.
pub async fn notice(
    ctx: &Context,
    now: NaiveDateTime,
    key: &str,
    occurrence: &str,
    title: &str,
    lines: &[String],
) -> anyhow::Result<()> {
    let admins = &ctx.config.mail.admins;
    if admins.is_empty() {
        tracing::warn!("mail.admins is empty: \"{title}\" is in this log only");
        return Ok(());
    }
    let rendered =
        ctx.templates()
            .notice(&now.format("%Y-%m-%d %H:%M").to_string(), title, lines)?;
    ctx.store
        .record_notice(
            key,
            now.date(),
            occurrence,
            admins,
            &rendered,
            &ctx.config.mail.from,
        )
        .await?;
    Ok(())
}

/// A kind of problem the administrators hear about, each problem once (the outbox keys it by
/// kind, reference and a hash of the problem: a changed problem is told again).
struct Problems<'a> {
    /// The outbox's kind of row: `source_row`, `unaddressed`, `unevaluable`.
    kind: &'static str,
    /// Logged when `mail.admins` is empty (`None`: nothing).
    no_admins: Option<&'a str>,
    /// Logged when new problems were told (`None`: nothing).
    told: Option<&'a str>,
}

/// Tells `mail.admins` of `lines` (reference, problem) in one notice whose title `title` makes
/// from the number of lines new to the outbox.
///
/// # Errors
/// A database failure, or a template that fails.
async fn report_problems(
    ctx: &Context,
    now: NaiveDateTime,
    problems: Problems<'_>,
    lines: &[(String, String)],
    title: impl Fn(usize) -> String,
) -> anyhow::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let admins = &ctx.config.mail.admins;
    if admins.is_empty() {
        if let Some(message) = problems.no_admins {
            tracing::warn!(count = lines.len(), "{message}");
        }
        return Ok(());
    }
    let when = now.format("%Y-%m-%d %H:%M").to_string();
    let new = ctx
        .store
        .record_problem_lines(
            problems.kind,
            lines,
            admins,
            &ctx.config.mail.from,
            |lines| ctx.templates().notice(&when, &title(lines.len()), lines),
        )
        .await?;
    if new > 0
        && let Some(message) = problems.told
    {
        tracing::warn!(new, "{message}");
    }
    Ok(())
}

/// Tells `mail.admins` of the case system's rows that break the rules.
///
/// # Errors
/// A database failure, or a template that fails.
pub(crate) async fn report_bad_rows(
    ctx: &Context,
    now: NaiveDateTime,
    bad_rows: &[(String, String)],
) -> anyhow::Result<()> {
    let problems = Problems {
        kind: "source_row",
        no_admins: Some("mail.admins is empty: the case system's bad rows are in this log only"),
        told: Some("the case system's bad rows reported to mail.admins"),
    };
    report_problems(ctx, now, problems, bad_rows, |n| {
        format!("案件系统中 {n} 件申请的记录有误，duewatch 未能监控，请在案件系统中更正")
    })
    .await
}

/// Warns of the lines that a role with no address did not get (once per pass, with their number) and tells
/// `mail.admins` of each once.
///
/// # Errors
/// A database failure, or a template that fails.
pub(crate) async fn report_unaddressed(
    ctx: &Context,
    now: NaiveDateTime,
    unaddressed: &[(String, String)],
) -> anyhow::Result<()> {
    let Some((reference, problem)) = unaddressed.first() else {
        return Ok(());
    };
    tracing::warn!(
        lines = unaddressed.len(),
        "lines a role with no address did not get (each says whether others got it), e.g. {reference}: {problem}; run duewatch config check"
    );
    let problems = Problems {
        kind: "unaddressed",
        no_admins: None,
        told: None,
    };
    report_problems(ctx, now, problems, unaddressed, |n| {
        format!(
            "{n} 条提醒有收件角色没有地址，该角色未收到（各条注明已发给谁，或未发给任何人），\
             请在配置中补充地址（duewatch config check）"
        )
    })
    .await
}

/// Tells `mail.admins` of the cases whose deadlines cannot be counted: such a case is not
/// watched until its dates are corrected.
///
/// # Errors
/// A database failure, or a template that fails.
pub(crate) async fn report_unevaluable(
    ctx: &Context,
    now: NaiveDateTime,
    cases: &[(String, String)],
) -> anyhow::Result<()> {
    let where_to_fix = if ctx.config.cases.source == crate::config::CaseSource::Builtin {
        "其日期有误的，请用 duewatch case close 编号 --on 日期 --reason withdrawn 结案，并以正确日期重新登记"
    } else {
        "请在案件系统中更正其日期"
    };
    let problems = Problems {
        kind: "unevaluable",
        no_admins: Some(
            "mail.admins is empty: the cases that cannot be counted are in this log only",
        ),
        told: Some("the cases that cannot be counted reported to mail.admins"),
    };
    report_problems(ctx, now, problems, cases, |n| {
        format!(
            "{} 件申请的期限无法计算（日期超出 {} 至 {}），duewatch 未能监控，{where_to_fix}",
            n,
            crate::calendar::FIRST_DAY,
            crate::calendar::LAST_DAY
        )
    })
    .await
}
