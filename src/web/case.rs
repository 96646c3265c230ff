//! `GET /cases/{reference}[?days=1]`: one case as `duewatch case show` shows it, read fresh from
//! the case source (duewatch's store or the case system) and evaluated as of the snapshot's day:
//! each stage's party, deadline and how it was reached, its state, extensions and suspensions,
//! written notices owed, the history; with `days=1` each stage's count day by day ([`days`]);
//! and **who was told what, when**: the notifications recorded for the case and the mail each
//! went out in, with its delivery state (duewatch's own store, whatever the source).
//!
//! An invalid reference is a 400, an unknown one a 404. No applicant data: cases hold none.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Html;
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::context;
use serde::Serialize;

use super::auth::Viewer;
use super::error::WebError;
use super::names::party_view;
use super::query::Params;
use super::record;
use super::{Console, render};
use crate::domain::case::{
    Case, Channel, CloseReason, NoticeKind, Reference, SuspensionReason, text,
};
use crate::domain::deadline::{self, Stage, StageStatus, State as StageState};
use crate::domain::escalation;
use crate::store::told::Told;

mod days;

/// What the page takes.
const PARAMETERS: &[&str] = &["days"];

/// The most notifications the page lists (newest first; it says when there are more).
const TOLD_MAX: usize = 200;

/// A stage as the page shows it.
#[derive(Debug, Serialize)]
struct StageView {
    name: &'static str,
    party: String,
    start: String,
    limit: u32,
    due: Option<String>,
    provisional: bool,
    level: Option<&'static str>,
    state: String,
    summary: String,
    explanation: Vec<String>,
    flags: Vec<String>,
    days: Option<Vec<days::DayLine>>,
    days_more: bool,
}

/// A notification and its mail as the page shows them.
#[derive(Debug, Serialize)]
struct ToldView {
    level: String,
    stage: String,
    deadline: String,
    recipient: String,
    recorded: String,
    mail: Option<i64>,
    subject: Option<String>,
    state: &'static str,
    delivery: String,
}

/// `GET /cases/{reference}`.
pub async fn page(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, WebError> {
    let params = Params::parse(raw.as_deref(), PARAMETERS)?;
    let by_day = params.choice("days", &["1"])?.is_some();
    let Path(given) =
        path.map_err(|_| WebError::bad_request("案件编号不是有效的 UTF-8 文本".to_owned()))?;
    let reference = reference(&given)?;
    show(&console, &viewer, &reference, by_day, None).await
}

/// The reference a path names.
///
/// # Errors
/// 400 when it is not one.
pub(super) fn reference(given: &str) -> Result<Reference, WebError> {
    Reference::parse(given).map_err(|_| {
        WebError::bad_request(format!(
            "“{}”不是案件编号：编号为 1 至 64 个字母、数字或 - _ / .，如 2026-0042",
            text::escaped(&given.chars().take(80).collect::<String>(), false)
        ))
    })
}

/// The 404 of a case that does not exist, or that the viewer may not read: the same page, so
/// that nobody learns another section's case exists.
pub(super) fn missing(reference: &Reference) -> WebError {
    WebError::not_found(format!(
        "没有编号为“{reference}”的案件。请在案件列表中查找，或检查编号。"
    ))
}

/// The case `reference` with its history, read fresh, if `viewer` may read it.
///
/// # Errors
/// 404 when there is no such case or the viewer may not read it; 500 when the source fails.
pub(super) async fn readable(
    console: &Console,
    viewer: &Viewer,
    reference: &Reference,
) -> Result<(Case, Vec<crate::store::HistoryLine>), WebError> {
    let found = console
        .ctx
        .source
        .get(reference)
        .await
        .map_err(anyhow::Error::from)?;
    match found {
        Some((case, history)) if viewer.may_read(&case) => Ok((case, history)),
        _ => Err(missing(reference)),
    }
}

/// The page of `reference` for `viewer`; with `by_day`, each stage's count day by day; with
/// `typed`, a refused form shown again ([`record`](super::record)).
///
/// # Errors
/// 404 (no such case, or one the viewer may not read), 500.
pub(super) async fn show(
    console: &Console,
    viewer: &Viewer,
    reference: &Reference,
    by_day: bool,
    typed: Option<&record::Typed>,
) -> Result<Html<String>, WebError> {
    let now = console.ctx.now();
    // The snapshot's day: the lists and this page agree on every level.
    let today = console.board_for(now).await?.today;
    let (case, history) = readable(console, viewer, reference).await?;
    let forms = record::forms(console, viewer, &case, typed);
    let cal = console.ctx.calendar();
    let (stages, notices, statutory, problem) = match deadline::evaluate(
        &case,
        &console.ctx.config.rules,
        &cal,
        today,
    ) {
        Ok(status) => {
            let mut stages = Vec::with_capacity(status.stages.len());
            for s in &status.stages {
                stages.push(stage_view(console, &case, s, today, by_day)?);
            }
            let notices: Vec<_> = status
                .notices
                .iter()
                .map(|n| {
                    context! {
                        kind => escalation::notice_name(n.kind),
                        event_on => n.event_on.to_string(),
                        due => n.due.to_string(),
                        missing => n.missing,
                    }
                })
                .collect();
            (
                stages,
                notices,
                statutory_view(status.statutory.as_ref()),
                None,
            )
        }
        Err(e) => {
            tracing::warn!(case = %case.reference, "console: its deadlines cannot be counted: {e}");
            (
                Vec::new(),
                Vec::new(),
                None,
                Some("期限无法计算（日期超出日历范围等），详见 duewatch case show".to_owned()),
            )
        }
    };
    let mut told = console
        .ctx
        .store
        .told(
            reference.as_str(),
            i64::try_from(TOLD_MAX + 1).unwrap_or(i64::MAX),
        )
        .await?;
    let told_more = told.len() > TOLD_MAX;
    told.truncate(TOLD_MAX);
    let tz = console.ctx.config.timezone.tz();
    // The relay's error texts and the digests' subjects are the outbox's, for supervisors: a
    // section sees that its case was told, to whom and whether it arrived.
    let supervises = viewer.role.supervises();
    let told: Vec<ToldView> = told
        .iter()
        .map(|t| {
            let mut view = told_view(t, tz, &console.ctx.config.escalation.grades);
            if !supervises {
                view.subject = None;
                view.delivery = match view.state {
                    "dead" => "无法投递（详情见发件箱，由办公室处理）".to_owned(),
                    "retrying" => "发送失败，重试中".to_owned(),
                    _ => view.delivery,
                };
            }
            view
        })
        .collect();
    let extensions: Vec<_> = case
        .extensions
        .iter()
        .map(|e| {
            context! {
                days => e.days,
                approved_on => e.approved_on.to_string(),
                approved_by => e.approved_by.clone(),
                reason => e.reason.clone(),
                notice_on => e.notice_on.map(|d| d.to_string()),
            }
        })
        .collect();
    let suspensions: Vec<_> = case
        .suspensions
        .iter()
        .map(|s| {
            context! {
                from => s.from.to_string(),
                until => s.until.map(|d| d.to_string()),
                reason => suspension_reason(s.reason),
                note => s.note.clone(),
                notice_on => s.notice_on.map(|d| d.to_string()),
                resumption_notice_on => s.resumption_notice_on.map(|d| d.to_string()),
            }
        })
        .collect();
    let returns: Vec<_> = case
        .returns
        .iter()
        .map(|r| {
            context! {
                returned_on => r.returned_on.to_string(),
                section => party_view(console, &deadline::Responsible::Section(r.section.clone())).name,
                forwarded_on => r.forwarded_on.to_string(),
                reason => r.reason.clone(),
            }
        })
        .collect();
    // History written before text was checked at input may hold anything: escaped for display
    // as `case show` does (and minijinja escapes the HTML).
    let history: Vec<_> = history
        .iter()
        .map(|h| {
            context! {
                at => text::escaped(&local_time(&h.at, tz), false).into_owned(),
                command => text::escaped(&h.command, false).into_owned(),
                change => text::escaped(&h.change, false).into_owned(),
                actor => h.actor.as_deref().map(|a| text::escaped(&actor_name(a), false).into_owned()),
            }
        })
        .collect();
    let section = case
        .section
        .as_ref()
        .map(|code| party_view(console, &deadline::Responsible::Section(code.clone())).name);
    let link = format!("/cases/{}", render::segment(reference.as_str()));
    Ok(render::page(
        "case.html",
        context! {
            reference => reference.to_string(),
            subject => case.subject.as_ref().map(|s| s.to_string()),
            received => case.received_on.to_string(),
            channel => case.channel.map(channel_name),
            forwarded => case.forwarded_on.map(|d| d.to_string()),
            section,
            replied => case.replied_on.map(|d| d.to_string()),
            closed => case.closed_on.map(|d| d.to_string()),
            close_reason => case.close_reason.map(close_reason),
            outcome => case.outcome.map(|o| o.full_name()),
            applicant => case.applicant.map(|a| a.full_name()),
            problem,
            stages => render::value(stages),
            statutory,
            returns,
            notices,
            extensions,
            suspensions,
            history,
            builtin => console.ctx.source.is_builtin(),
            told => render::value(told),
            told_more,
            told_max => TOLD_MAX,
            by_day,
            days_link => format!("{link}?days=1#stages"),
            plain_link => link,
            forms => render::value(forms),
            csrf => viewer.csrf.clone(),
            today => today.to_string(),
            as_of => super::names::local_time(now),
        },
    )?)
}

/// The Regulations' clock as the page shows it (Regulations arts. 30, 32, 33): the deadline
/// beside the rulebook's, its summary, its warnings and reminders.
fn statutory_view(law: Option<&deadline::Statutory>) -> Option<minijinja::Value> {
    let law = law?;
    Some(context! {
        due => law.due.map(|d| d.to_string()),
        summary => law.summary_zh(),
        overdue => law.overdue_by.is_some(),
        provisional => law.provisional,
        faults => law.faults.iter().map(deadline::Fault::zh).collect::<Vec<_>>(),
        reminders => law
            .reminders
            .iter()
            .map(|r| context! { text => r.zh(), due => r.due.to_string(), missing => r.missing })
            .collect::<Vec<_>>(),
    })
}

/// A stage's view; with `by_day`, its count day by day.
fn stage_view(
    console: &Console,
    case: &Case,
    s: &StageStatus,
    today: NaiveDate,
    by_day: bool,
) -> Result<StageView, WebError> {
    let (days, days_more) = if by_day {
        let (lines, more) = days::count(
            &console.ctx.calendar(),
            s.start,
            s.due.unwrap_or(today),
            &stopping(case, s),
        )
        .map_err(|e| anyhow::anyhow!("the count of {} day by day: {e}", case.reference))?;
        (Some(lines), more)
    } else {
        (None, false)
    };
    Ok(StageView {
        name: escalation::stage_name(s.stage),
        party: party_view(console, &s.responsible).name,
        start: s.start.to_string(),
        limit: s.limit,
        due: s.due.map(|d| d.to_string()),
        provisional: s.provisional,
        level: s.level.map(deadline::Level::as_str),
        state: state_text(s, &console.ctx.config.escalation.grades),
        summary: escalation::explain(case, s),
        // The engine's lines in Chinese (the command line prints them in English).
        explanation: s
            .explanation
            .iter()
            .map(|l| text::escaped(&l.zh(), false).into_owned())
            .collect(),
        flags: escalation::flags(s),
        days,
        days_more,
    })
}

/// The suspensions that stop `s`'s clock (art. 21), as the engine counts them: those that began
/// before the stage was done and not after its deadline had passed (a late one stops nothing).
fn stopping(case: &Case, s: &StageStatus) -> Vec<(NaiveDate, Option<NaiveDate>)> {
    let done_on = match s.stage {
        Stage::Forward => case.forwarded_on,
        Stage::Reply => case.replied_on,
    };
    case.suspensions
        .iter()
        .enumerate()
        .filter(|(i, x)| {
            !s.late_suspensions.contains(i) && done_on.is_none_or(|done| x.from < done)
        })
        .map(|(_, x)| (x.from, x.until))
        .collect()
}

/// Where a stage stands, in words; an overdue stage with the grade it has reached (issue 17).
fn state_text(s: &StageStatus, grades: &[escalation::Grade]) -> String {
    match s.state {
        StageState::Running => match (s.level, s.overdue_by, s.remaining) {
            (Some(deadline::Level::Overdue), Some(by), _) => {
                match escalation::grade_for(grades, by) {
                    Some((_, g)) => format!("办理中，{}：已逾期 {by} 个工作日", g.name),
                    None => format!("办理中，已逾期 {by} 个工作日"),
                }
            }
            (Some(deadline::Level::DueToday), _, _) => "办理中，今日到期".to_owned(),
            (_, _, Some(left)) => format!("办理中，剩余 {left} 个工作日"),
            _ => "办理中".to_owned(),
        },
        // art. 21: the clock stands still while the obstacle lasts.
        StageState::Suspended {
            since,
            working_days,
        } => format!("已中止：自 {since} 起，已 {working_days} 个工作日，期限暂停计算"),
        StageState::DoneOnTime => "已按期办结".to_owned(),
        StageState::DoneLate { by } => format!("已办结，逾期 {by} 个工作日"),
    }
}

/// Who made a history line's change, as the console shows it: a console user's name as it is,
/// the command line's `cli:NAME` as 命令行（NAME）.
fn actor_name(actor: &str) -> String {
    match actor.strip_prefix("cli:") {
        Some(login) => format!("命令行（{login}）"),
        None => actor.to_owned(),
    }
}

/// A history line's time (RFC 3339 on SQLite, `2026-11-03 08:12:34.5+00` on PostgreSQL) in
/// local time `tz` as `YYYY-MM-DD HH:MM`; text that is neither (a case system's own) as stored.
fn local_time(at: &str, tz: chrono_tz::Tz) -> String {
    DateTime::parse_from_rfc3339(at)
        .or_else(|_| DateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S%.f%#z"))
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| at.to_owned())
}

/// A notification and its mail, times in local time `tz`.
fn told_view(t: &Told, tz: chrono_tz::Tz, grades: &[escalation::Grade]) -> ToldView {
    let local = |at: DateTime<Utc>| {
        at.with_timezone(&tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let error = || {
        t.last_error
            .as_deref()
            .map(|e| text::escaped(e, false).into_owned())
    };
    let (state, delivery) = match (t.outbox_id, t.state.as_deref()) {
        (None, _) => (
            "unmailed",
            "已记录，尚未放入邮件（下次巡查时发出）".to_owned(),
        ),
        (Some(_), Some("sent")) => (
            "sent",
            format!("已发送 {}", t.sent_at.map(local).unwrap_or_default()),
        ),
        (Some(_), Some("dead")) => ("dead", format!("无法投递：{}", error().unwrap_or_default())),
        (Some(_), Some("pending")) => match error() {
            None => ("waiting", "等待发送".to_owned()),
            Some(e) => (
                "retrying",
                format!(
                    "发送失败，重试中（已尝试 {} 次，下次不早于 {}）：{e}",
                    t.attempts.unwrap_or_default(),
                    t.next_attempt_at.map(local).unwrap_or_default()
                ),
            ),
        },
        (Some(_), other) => ("unknown", format!("状态“{}”", other.unwrap_or(""))),
    };
    ToldView {
        // Issue 17: with its reminder point or its grade (红牌).
        level: escalation::level_key_name(&t.level, grades),
        stage: stage_key_name(&t.stage),
        deadline: t.deadline.to_string(),
        // A chat channel (issue 17) by its name and party; an address as it is.
        recipient: match crate::domain::channel::ChannelRecipient::parse(&t.recipient) {
            Some(c) => format!("群消息 {}（{}）", c.channel, c.party),
            None => t.recipient.clone(),
        },
        recorded: local(t.recorded_at),
        mail: t.outbox_id,
        subject: t.subject.clone(),
        state,
        delivery,
    }
}

/// A notification's stage key (`forward`, `reply`, `notice:KIND:EVENT-DATE`,
/// `law:KIND:DATE`) in words.
fn stage_key_name(key: &str) -> String {
    match key {
        "forward" => escalation::stage_name(Stage::Forward).to_owned(),
        "reply" => escalation::stage_name(Stage::Reply).to_owned(),
        _ => match key.split(':').collect::<Vec<_>>().as_slice() {
            ["notice", kind, on] => match NoticeKind::parse(kind) {
                Ok(kind) => format!("{}书面告知（{on}）", escalation::notice_name(kind)),
                Err(_) => key.to_owned(),
            },
            // Regulations arts. 30, 32, 33: the law's own clock (escalation/law.rs).
            ["law", kind, on] => format!("《条例》法定期限：{kind}（{on}）"),
            _ => key.to_owned(),
        },
    }
}

pub(super) fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::InPerson => "当面",
        Channel::Mail => "信函",
        Channel::Online => "网络",
        Channel::Fax => "传真",
    }
}

pub(super) fn close_reason(r: CloseReason) -> &'static str {
    match r {
        CloseReason::Withdrawn => "撤回",
        CloseReason::Merged => "合并",
        CloseReason::AnsweredOnSpot => "当场答复（第十九条）",
    }
}

pub(super) fn suspension_reason(r: SuspensionReason) -> &'static str {
    match r {
        SuspensionReason::ForceMajeure => "不可抗力",
        SuspensionReason::ThirdParty => "征求第三方意见",
        SuspensionReason::Correction => "补正",
        SuspensionReason::Other => "其他",
    }
}

#[cfg(test)]
mod tests;
