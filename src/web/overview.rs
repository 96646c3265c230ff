//! `GET /` 总览: as of when, the last successful poll, the calendar's coverage, mail waiting and
//! dead letters, and the matrix of parties × columns from the snapshot, every number a link to
//! the list behind it.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Html;
use minijinja::context;
use serde::Serialize;

use super::auth::Viewer;
use super::error::WebError;
use super::names::{as_of, columns, local_time, party_view};
use super::query::Params;
use super::{Console, render};

/// A line about the calendar's coverage; `warn` when deadlines are provisional because of it.
#[derive(Debug, Serialize)]
struct Coverage {
    text: String,
    warn: bool,
}

/// `GET /`.
pub(crate) async fn page(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, WebError> {
    Params::parse(raw.as_deref(), &[])?;
    let now = console.ctx.now();
    let board = console.board_for(now).await?;
    let health = console.ctx.store.health().await?;
    let calendar = console.ctx.calendar();
    let (per, mut totals) = board.matrix();
    // A section sees its own row only, and its own figures as the total.
    let scope = viewer.scope().map(|c| c.as_str().to_owned());
    let mine: Vec<_> = board
        .parties
        .iter()
        .zip(per)
        .filter(|(who, _)| scope.as_deref().is_none_or(|code| who.as_str() == code))
        .collect();
    if scope.is_some() {
        totals = mine.iter().map(|(_, c)| *c).next().unwrap_or([0; 6]);
    }
    let parties: Vec<minijinja::Value> = mine
        .into_iter()
        .map(|(who, counts)| {
            let view = party_view(&console, who);
            render::value(PartyRow {
                code: view.code,
                name: view.name,
                note: view.note,
                counts,
            })
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
        now.checked_sub_signed(age).map(local_time)
    });
    Ok(render::page(
        "overview.html",
        context! {
            as_of => as_of(&board),
            last_poll,
            coverage => render::value(coverage),
            pending => health.pending,
            dead => health.dead_letters,
            // Counted over every case: a section is not told of others'.
            unreadable => if scope.is_some() { 0 } else { board.unreadable },
            columns => columns(),
            parties,
            totals,
            office_name => console.ctx.config.office.name.clone(),
            reminder_at => console.ctx.config.rules.reminder_at.first().unwrap_or(0),
            week_end => board.week_end.to_string(),
        },
    )?)
}

/// A row of the matrix: the party and its six counts.
#[derive(Serialize)]
struct PartyRow {
    code: String,
    name: String,
    note: Option<&'static str>,
    counts: [u64; 6],
}
