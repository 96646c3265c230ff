//! `GET /outbox` 发件箱: the mail waiting, the mail whose last attempt failed and is tried again
//! (attempts, next try, last error), and the dead letters (the error; `duewatch outbox retry ID`
//! sends one again), each with recipient, subject and when it was made, in local time; the
//! count of each group at the top. Bounded: the newest [`SHOWN`] of each group, and how many
//! more there are.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Html;
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::Serialize;

use super::error::WebError;
use super::names::local_time;
use super::query::Params;
use super::{Console, render};
use crate::domain::case::text;
use crate::store::told::{Mail, MailGroup};

/// The most messages listed per group (the newest).
pub(crate) const SHOWN: i64 = 50;

/// A message as the page lists it.
#[derive(Debug, Serialize)]
struct MailView {
    id: i64,
    kind: &'static str,
    recipient: String,
    subject: String,
    created: String,
    attempts: i32,
    next_attempt: String,
    error: Option<String>,
}

/// `GET /outbox`.
pub(crate) async fn page(
    State(console): State<Arc<Console>>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, WebError> {
    Params::parse(raw.as_deref(), &[])?;
    let now = console.ctx.now();
    let store = &console.ctx.store;
    let counts = store.mail_counts().await?;
    let tz = console.ctx.config.timezone.tz();
    let local = |at: DateTime<Utc>| local_time(at.with_timezone(&tz).naive_local());
    let view = |m: &Mail| MailView {
        id: m.id,
        kind: match m.kind.as_str() {
            "digest" => "提醒",
            "admin" => "管理员通知",
            "test" => "测试",
            _ => "其他",
        },
        recipient: m.recipient.clone(),
        // Text from a relay (and, stored, any field) is shown as text: control characters
        // escaped, and minijinja escapes the HTML.
        subject: text::escaped(&m.subject, false).into_owned(),
        created: local(m.created_at),
        attempts: m.attempts,
        next_attempt: local(m.next_attempt_at),
        error: m
            .last_error
            .as_deref()
            .map(|e| text::escaped(e, false).into_owned()),
    };
    let mut groups = Vec::new();
    for (group, count) in [
        (MailGroup::Waiting, counts.waiting),
        (MailGroup::Failing, counts.failing),
        (MailGroup::Dead, counts.dead),
    ] {
        let rows: Vec<MailView> = store
            .mail_of(group, SHOWN)
            .await?
            .iter()
            .map(view)
            .collect();
        let more = count - i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let (id, title, empty) = match group {
            MailGroup::Waiting => ("waiting", "等待发送", "没有等待发送的邮件。"),
            MailGroup::Failing => ("failed", "发送失败、等待重试", "没有发送失败的邮件。"),
            MailGroup::Dead => ("dead", "无法投递", "没有无法投递的邮件。"),
        };
        groups.push(render::value(GroupView {
            id,
            title,
            empty,
            count,
            more: more.max(0),
            rows,
        }));
    }
    Ok(render::page(
        "outbox.html",
        context! {
            counts => context! {
                waiting => counts.waiting,
                failing => counts.failing,
                dead => counts.dead,
                sent => counts.sent,
            },
            groups,
            as_of => local_time(now),
        },
    )?)
}

/// One group of mail (waiting, failing, dead) as the page lists it.
#[derive(Serialize)]
struct GroupView {
    id: &'static str,
    title: &'static str,
    empty: &'static str,
    count: i64,
    more: i64,
    rows: Vec<MailView>,
}
