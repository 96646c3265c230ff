//! `GET /reports?from=DATE&to=DATE[&format=csv|xlsx]` 报表: the supervision report of a period
//! (arts. 23, 24) on the page, and its downloads, whose bytes are those of `duewatch report
//! --format csv|xlsx` for the same period. The figures are read fresh from every case
//! ([`crate::output::feeds::collect`], as the command does), laid out with the rows and columns
//! the report's formats share ([`crate::output`]). Without a period the page is the form,
//! filled in with the monthly report's period (the month before this one); `duewatch report`
//! itself has no default and needs both dates.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use minijinja::context;
use serde::Serialize;

use super::error::WebError;
use super::query::Params;
use super::{Console, render};
use crate::calendar::{FIRST_DAY, LAST_DAY};
use crate::domain::report::{Period, Report};
use crate::output::{self, CASE_HEADERS, FIGURE_HEADERS};

/// What `/reports` takes.
const PARAMETERS: &[&str] = &["from", "to", "format"];

/// The most late and overdue cases the page lists (the downloads hold every one).
pub(crate) const CASES_MAX: usize = 1000;

/// The xlsx media type.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A date parameter within the dates duewatch counts on.
fn date_in_range(params: &Params, name: &str) -> Result<Option<NaiveDate>, WebError> {
    match params.date(name)? {
        Some(d) if !(FIRST_DAY..=LAST_DAY).contains(&d) => Err(WebError::bad_request(format!(
            "参数“{name}”应在 {FIRST_DAY} 至 {LAST_DAY} 之间（duewatch 计算期限的日期范围），收到“{d}”"
        ))),
        d => Ok(d),
    }
}

/// The period asked for, `None` when neither date is given.
///
/// # Errors
/// A bad date, one date without the other, or `to` before `from`.
fn period(params: &Params) -> Result<Option<Period>, WebError> {
    let from = date_in_range(params, "from")?;
    let to = date_in_range(params, "to")?;
    match (from, to) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(WebError::bad_request(
            "缺少参数“to”：统计期间的最后一天（含），格式 YYYY-MM-DD",
        )),
        (None, Some(_)) => Err(WebError::bad_request(
            "缺少参数“from”：统计期间的第一天，格式 YYYY-MM-DD",
        )),
        (Some(from), Some(to)) => Period::new(from, to).map(Some).map_err(|_| {
            WebError::bad_request(format!(
                "参数“to”（{to}）早于参数“from”（{from}）：期间的最后一天应不早于第一天"
            ))
        }),
    }
}

/// A party's line of the figures.
#[derive(Debug, Serialize)]
struct FigureRow {
    name: String,
    code: String,
    numbers: [u32; 16],
    rate: String,
    note: &'static str,
}

/// `GET /reports`.
pub(crate) async fn page(
    State(console): State<Arc<Console>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = Params::parse(raw.as_deref(), PARAMETERS)?;
    let format = params.choice("format", &["html", "csv", "xlsx"])?;
    let asked = period(&params)?;
    let config = &console.ctx.config;
    let Some(period) = asked else {
        if let Some(f) = format.filter(|f| *f != "html") {
            return Err(WebError::bad_request(format!(
                "下载 {f} 需要统计期间：请给出参数“from”和“to”（YYYY-MM-DD）"
            )));
        }
        let default = Period::month_before(console.ctx.now().date());
        return Ok(form_only(default)?.into_response());
    };
    // Every case is read: a turn among the few such requests at once.
    let _turn = console.heavy.acquire().await.map_err(anyhow::Error::from)?;
    let cal = console.ctx.calendar();
    let (report, bad) = output::feeds::collect(
        &console.ctx.store,
        &console.ctx.source,
        config,
        &cal,
        period,
    )
    .await?;
    if !bad.is_empty() {
        tracing::warn!(
            "report {} .. {}: {} case(s) could not be counted and are left out (duewatch report names them)",
            period.from(),
            period.to(),
            bad.len()
        );
    }
    let name = |ext: &str| format!("report-{}-{}.{ext}", period.from(), period.to());
    match format {
        Some("csv") => {
            let mut bytes = Vec::new();
            output::csv(&mut bytes, &report, config)?;
            Ok(download("text/csv; charset=utf-8", &name("csv"), bytes))
        }
        Some("xlsx") => {
            let bytes = output::xlsx(&report, config)
                .map_err(|e| anyhow::anyhow!("writing the workbook: {e}"))?;
            Ok(download(XLSX, &name("xlsx"), bytes))
        }
        _ => Ok(shown(&console, &report, bad.len())?.into_response()),
    }
}

/// A download: its type and file name.
fn download(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The download link of this period in `format`.
fn link(period: Period, format: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("from", &period.from().to_string());
    s.append_pair("to", &period.to().to_string());
    s.append_pair("format", format);
    format!("/reports?{}", s.finish())
}

/// The page with the form only, filled in with `default`.
fn form_only(default: Period) -> anyhow::Result<axum::response::Html<String>> {
    render::page(
        "reports.html",
        context! {
            shown => false,
            from => default.from().to_string(),
            to => default.to().to_string(),
        },
    )
}

/// The page with the report.
fn shown(
    console: &Console,
    report: &Report,
    bad: usize,
) -> anyhow::Result<axum::response::Html<String>> {
    let config = &console.ctx.config;
    let figures: Vec<FigureRow> = output::rows(report, config)
        .into_iter()
        .map(|(name, code, f)| FigureRow {
            numbers: output::numbers(&f),
            rate: output::rate_text(&f),
            note: output::note(report),
            name,
            code,
        })
        .collect();
    let cases: Vec<[String; 10]> = report
        .cases
        .iter()
        .take(CASES_MAX)
        .map(|c| output::case_texts(c, config))
        .collect();
    let p = report.period;
    render::page(
        "reports.html",
        context! {
            shown => true,
            from => p.from().to_string(),
            to => p.to().to_string(),
            figure_headers => FIGURE_HEADERS,
            case_headers => CASE_HEADERS,
            figures => render::value(figures),
            cases,
            cases_total => report.cases.len(),
            truncated => report.cases.len() > CASES_MAX,
            provisional => report.provisional,
            bad,
            csv_link => link(p, "csv"),
            xlsx_link => link(p, "xlsx"),
        },
    )
}
