//! `GET /calendar/{YYYY}/{MM}` 日历: one month, Monday first, a row per week, each day a cell
//! (`data-date`) with its kind from the calendar in force: public holidays and make-up working
//! days (调休上班日) with their names from the calendar files, the bureau's local closures and
//! reopenings with their reasons, weekends, and days of a year the calendar does not cover
//! (暂定: counted by weekends only); and each day's deadlines, the open cases of the snapshot
//! whose current stage is due that day, linking to `/cases?due=DATE`. `GET /calendar` sends to
//! the current month (303).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use serde::Serialize;

use super::error::WebError;
use super::names::as_of;
use super::query::Params;
use super::{Console, render};
use crate::calendar::{DayKind, FIRST_DAY, LAST_DAY, date_runs};

/// `GET /calendar`: 303 to this month.
pub(crate) async fn current(
    State(console): State<Arc<Console>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    Params::parse(raw.as_deref(), &[])?;
    let today = console.ctx.now().date();
    Ok(Redirect::to(&month_link(today)).into_response())
}

/// `/calendar/YYYY/MM` of the month `date` is in.
fn month_link(date: NaiveDate) -> String {
    format!("/calendar/{:04}/{:02}", date.year(), date.month())
}

/// `[YYYY, MM]` of the month `date` is in, for links in the template (which writes the slashes:
/// a value's `/` would be escaped).
fn month_of(date: NaiveDate) -> [String; 2] {
    [
        format!("{:04}", date.year()),
        format!("{:02}", date.month()),
    ]
}

/// The first day of the month `/calendar/{year}/{month}` names.
///
/// # Errors
/// Not a year of the calendar's range or not a month 01–12: the 400 says what is allowed.
fn parse_month(year: &str, month: &str) -> Result<NaiveDate, WebError> {
    let (first, last) = (FIRST_DAY.year(), LAST_DAY.year());
    let y = Some(year)
        .filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (first..=last).contains(y))
        .ok_or_else(|| {
            WebError::bad_request(format!(
                "年份应为 {first} 至 {last} 之间的四位数字（duewatch 计算期限的范围），收到“{year}”。\
                 地址形如 /calendar/2026/10"
            ))
        })?;
    let m = Some(month)
        .filter(|m| (1..=2).contains(&m.len()) && m.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|m| m.parse::<u32>().ok())
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| {
            WebError::bad_request(format!(
                "月份应为 01 至 12，收到“{month}”。地址形如 /calendar/2026/10"
            ))
        })?;
    NaiveDate::from_ymd_opt(y, m, 1)
        .ok_or_else(|| WebError::bad_request(format!("没有 {year} 年 {month} 月")))
}

/// A day as the grid shows it.
#[derive(Debug, Serialize)]
struct DayCell {
    date: String,
    day: u32,
    /// `workday`, `weekend`, `holiday`, `makeup`, `closure` or `reopening`; then `provisional`
    /// and `today` when they apply.
    class: String,
    /// 国庆节, 上班, 本局休息, …
    label: Option<String>,
    /// The holiday a make-up day is for, a closure's reason.
    note: Option<String>,
    provisional: bool,
    /// Open cases whose current deadline is this day.
    due: usize,
}

/// `GET /calendar/{YYYY}/{MM}`.
pub(crate) async fn month(
    State(console): State<Arc<Console>>,
    viewer: super::auth::Viewer,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, WebError> {
    Params::parse(raw.as_deref(), &[])?;
    let Path((year, month)) = path.map_err(|_| {
        WebError::bad_request("年份和月份应为数字，地址形如 /calendar/2026/10".to_owned())
    })?;
    let first = parse_month(&year, &month)?;
    let now = console.ctx.now();
    let board = console.board_for(now).await?;
    let cal = console.ctx.calendar();
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| d.month() == first.month())
        .collect();
    let last = *days.last().unwrap_or(&first);
    let mut due: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for row in board
        .rows
        .iter()
        .filter(|r| board.in_scope(r, viewer.scope()))
    {
        if let Some(d) = row.due.filter(|d| (first..=last).contains(d)) {
            *due.entry(d).or_default() += 1;
        }
    }
    // Marked days by what they are, for the list under the grid: (kind, name) → dates.
    let mut marked: Vec<((&'static str, String), Vec<NaiveDate>)> = Vec::new();
    let mut cells = Vec::with_capacity(days.len());
    for &date in &days {
        // parse_month keeps the month within the calendar's range: this cannot fail.
        let day = cal.day(date).map_err(|e| anyhow::anyhow!("{date}: {e}"))?;
        let (class, label, note) = match day.kind {
            DayKind::Weekday => ("workday", None, None),
            DayKind::Weekend => ("weekend", None, None),
            DayKind::Holiday(name) => ("holiday", Some(name.to_owned()), None),
            DayKind::MakeUpWorkday(name) => (
                "makeup",
                Some("上班".to_owned()),
                Some(format!("{name}调休")),
            ),
            DayKind::LocalClosure(reason) => {
                ("closure", Some("本局休息".to_owned()), reason_text(reason))
            }
            DayKind::LocalReopening(reason) => (
                "reopening",
                Some("本局上班".to_owned()),
                reason_text(reason),
            ),
        };
        if let Some(name) = match day.kind {
            DayKind::Holiday(n) | DayKind::MakeUpWorkday(n) => Some(n),
            DayKind::LocalClosure(r) | DayKind::LocalReopening(r) => Some(r),
            _ => None,
        } {
            let key = (class, name.to_owned());
            match marked.iter_mut().find(|(k, _)| *k == key) {
                Some((_, dates)) => dates.push(date),
                None => marked.push((key, vec![date])),
            }
        }
        let mut classes = class.to_owned();
        if !day.covered {
            classes.push_str(" provisional");
        }
        if date == now.date() {
            classes.push_str(" today");
        }
        cells.push(DayCell {
            date: date.to_string(),
            day: date.day(),
            class: classes,
            label,
            note,
            provisional: !day.covered,
            due: due.get(&date).copied().unwrap_or(0),
        });
    }
    // Monday first: blanks before the 1st and after the last day fill the weeks.
    let lead = first.weekday().num_days_from_monday() as usize;
    let mut slots: Vec<Option<DayCell>> = (0..lead).map(|_| None).collect();
    slots.extend(cells.into_iter().map(Some));
    while !slots.len().is_multiple_of(7) {
        slots.push(None);
    }
    let mut weeks: Vec<Vec<minijinja::Value>> = Vec::new();
    let mut week = Vec::with_capacity(7);
    for slot in slots {
        week.push(render::value(slot));
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
    }
    let covered = cal.covers(first.year());
    let notices: Vec<String> = cal
        .years()
        .get(&first.year())
        .map(|y| y.notices.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let prev = first.pred_opt().filter(|d| *d >= FIRST_DAY).map(month_of);
    let next = last.succ_opt().filter(|d| *d <= LAST_DAY).map(month_of);
    let total: usize = due.values().sum();
    Ok(render::page(
        "calendar.html",
        context! {
            year => first.year(),
            month => first.month(),
            weeks,
            covered,
            notices,
            marks => marked.iter().map(|((class, name), dates)| mark_text(class, name, dates)).collect::<Vec<_>>(),
            total,
            prev,
            next,
            this_month => month_of(now.date()),
            as_of => as_of(&board),
        },
    )?)
}

/// A local day's reason, when given.
fn reason_text(reason: &str) -> Option<String> {
    Some(reason.trim())
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

/// One line of the list under the grid: what is marked on which dates.
fn mark_text(class: &str, name: &str, dates: &[NaiveDate]) -> String {
    let runs: Vec<String> = date_runs(dates)
        .into_iter()
        .map(|(a, b)| {
            if a == b {
                format!("{} 日", a.day())
            } else {
                format!("{} 日至 {} 日", a.day(), b.day())
            }
        })
        .collect();
    let runs = runs.join("、");
    let why = if name.is_empty() {
        String::new()
    } else {
        format!("（{name}）")
    };
    match class {
        "holiday" => format!("{name}：{runs}放假"),
        "makeup" => format!("{name}调休：{runs}上班"),
        "closure" => format!("本局休息：{runs}{why}"),
        _ => format!("本局上班：{runs}{why}"),
    }
}
