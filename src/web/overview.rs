//! `GET /` 总览: as of when, the last successful poll, the calendar's coverage, mail waiting and
//! dead letters, and the matrix of parties × columns from the snapshot, every number a link to
//! the list behind it.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Html;
use minijinja::context;
use serde::Serialize;

use super::board::{Board, Column};
use super::error::WebError;
use super::query::Params;
use super::{Console, render};
use crate::domain::deadline::Responsible;

/// A party as the pages name it: its code in URLs (`office` or the section code), its name, and
/// a note when the config does not know it.
#[derive(Debug, Serialize)]
pub struct PartyView {
    pub code: String,
    pub name: String,
    pub note: Option<&'static str>,
}

/// How the pages name `who`.
pub fn party_view(console: &Console, who: &Responsible) -> PartyView {
    let config = &console.ctx.config;
    match who {
        Responsible::Office => PartyView {
            code: "office".to_owned(),
            name: format!("{}（转办）", config.office.name),
            note: None,
        },
        Responsible::Section(code) => match config.section(code) {
            Some(s) => PartyView {
                code: code.to_string(),
                name: s.name.clone(),
                note: None,
            },
            None => PartyView {
                code: code.to_string(),
                name: code.to_string(),
                note: Some("配置中没有此科室：邮件发往办公室"),
            },
        },
    }
}

/// The columns as the templates name them.
pub fn columns() -> Vec<minijinja::Value> {
    Column::ALL
        .into_iter()
        .map(|c| {
            render::value(ColumnView {
                code: c.as_str(),
                title: c.title(),
            })
        })
        .collect()
}

#[derive(Serialize)]
struct ColumnView {
    code: &'static str,
    title: &'static str,
}

/// `YYYY-MM-DD HH:MM:SS` of a snapshot, or `None` before the first.
pub fn as_of(board: &Board) -> Option<String> {
    board
        .built_at
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A line about the calendar's coverage; `warn` when deadlines are provisional because of it.
#[derive(Debug, Serialize)]
struct Coverage {
    text: String,
    warn: bool,
}

/// `GET /`.
pub async fn page(
    State(console): State<Arc<Console>>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, WebError> {
    Params::parse(raw.as_deref(), &[])?;
    let now = console.ctx.now();
    let board = console.board_for(now).await?;
    let health = console.ctx.store.health().await?;
    let calendar = console.ctx.calendar();
    let (per, totals) = board.matrix();
    let parties: Vec<minijinja::Value> = board
        .parties
        .iter()
        .zip(per)
        .map(|(who, counts)| {
            let view = party_view(&console, who);
            render::value(context_party(view, counts))
        })
        .collect();
    let mut coverage = Vec::new();
    if let Some(last) = calendar.years().keys().next_back() {
        coverage.push(Coverage {
            text: format!("已载入至 {last} 年"),
            warn: false,
        });
    }
    let missing: BTreeSet<i32> = calendar
        .missing_years(now.date())
        .into_iter()
        .chain(board.uncovered_years.iter().copied())
        .collect();
    for year in missing {
        coverage.push(Coverage {
            text: format!("{year} 年节假日安排未载入：涉及 {year} 年的期限为暂定"),
            warn: true,
        });
    }
    let last_poll = health.last_ok_poll_age_secs.and_then(|age| {
        let age = chrono::Duration::milliseconds((age * 1000.0) as i64);
        now.checked_sub_signed(age)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
    });
    Ok(render::page(
        "overview.html",
        context! {
            as_of => as_of(&board),
            last_poll,
            coverage => render::value(coverage),
            pending => health.pending,
            dead => health.dead_letters,
            unreadable => board.unreadable,
            columns => columns(),
            parties,
            totals,
            office_name => console.ctx.config.office.name.clone(),
            reminder_at => console.ctx.config.rules.reminder_at,
            week_end => board.week_end.to_string(),
        },
    )?)
}

#[derive(Serialize)]
struct PartyRow {
    code: String,
    name: String,
    note: Option<&'static str>,
    counts: [u64; 6],
}

fn context_party(view: PartyView, counts: [u64; 6]) -> PartyRow {
    PartyRow {
        code: view.code,
        name: view.name,
        note: view.note,
        counts,
    }
}
