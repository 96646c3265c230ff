//! `GET /cases?party=CODE&level=LEVEL&q=TEXT&due=DATE&page=N[&format=csv][&print=1]`: the open
//! cases, most urgent first, from the snapshot; 50 a page; a print view (A4, every case up to
//! [`PRINT_MAX`]) and a CSV download of every case the filter holds. The rows shown are read
//! fresh for their explanation (the snapshot keeps none).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Serialize;

use super::auth::Viewer;
use super::board::{Board, Column, Row};
use super::error::WebError;
use super::names::{as_of, columns, party_view};
use super::query::Params;
use super::{Console, render};
use crate::domain::case::Reference;
use crate::domain::deadline::{self, Level};
use crate::domain::escalation;

/// Cases on one page.
pub(crate) const PAGE_SIZE: usize = 50;

/// The most cases one print view lists (the most urgent; the page says so, and points to the
/// CSV for all): each is read fresh for its explanation.
pub(crate) const PRINT_MAX: usize = 500;

/// A row's explanation when its case cannot be read (the log says why, in full).
const UNREADABLE: &str = "此案件暂时无法读取，详见日志";

/// A row's explanation when its deadlines cannot be counted (the log says why).
const UNCOUNTABLE: &str = "期限无法计算（日期超出日历范围等），详见 duewatch status";

/// What `/cases` takes.
const PARAMETERS: &[&str] = &["party", "level", "q", "due", "page", "format", "print"];

/// A parsed filter: which rows of the snapshot the list holds.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    /// Index into the snapshot's parties.
    party: Option<u16>,
    /// The party's code as given.
    party_code: Option<String>,
    column: Option<Column>,
    /// The text searched for, as typed (shown back in the box, the heading and the links).
    q: Option<String>,
    /// The same in lower case, matched against the lower-cased reference and subject.
    q_lower: Option<String>,
    due: Option<chrono::NaiveDate>,
}

impl Filter {
    /// Parses the filter's parameters against `board`.
    ///
    /// # Errors
    /// A party the snapshot and the config do not know, a level that is not a column, a bad
    /// date.
    pub(crate) fn parse(
        params: &Params,
        board: &Board,
        console: &Console,
    ) -> Result<Filter, WebError> {
        let mut filter = Filter::default();
        if let Some(code) = params.get("party") {
            let at = board
                .parties
                .iter()
                .position(|p| party_view(console, p).code == code);
            let Some(at) = at else {
                let known: Vec<String> = board
                    .parties
                    .iter()
                    .map(|p| party_view(console, p).code)
                    .collect();
                return Err(WebError::bad_request(format!(
                    "参数“party”：没有承办方“{code}”。可选：{}（office 为办公室的转办环节，其余为科室代码）",
                    known.join("、")
                )));
            };
            filter.party = u16::try_from(at).ok();
            filter.party_code = Some(code.to_owned());
        }
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.as_str()).collect();
        filter.column = params.choice("level", &names)?.and_then(Column::parse);
        filter.q = params.get("q").map(str::to_owned);
        filter.q_lower = params.get("q").map(str::to_lowercase);
        filter.due = params.date("due")?;
        Ok(filter)
    }

    /// Whether `row` is in the list.
    pub(crate) fn holds(&self, board: &Board, row: &Row) -> bool {
        self.party
            .is_none_or(|p| row.party == p && row.stage.is_some())
            && self
                .column
                .is_none_or(|c| row.stage.is_some() && board.counts(row, c))
            && self.due.is_none_or(|d| row.due == Some(d))
            && self.q_lower.as_deref().is_none_or(|q| {
                row.reference.to_lowercase().contains(q)
                    || row
                        .subject
                        .as_deref()
                        .is_some_and(|s| s.to_lowercase().contains(q))
            })
    }

    /// The query string of this filter with `extra` appended.
    fn link(&self, extra: &[(&str, String)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if let Some(p) = &self.party_code {
            s.append_pair("party", p);
        }
        if let Some(c) = self.column {
            s.append_pair("level", c.as_str());
        }
        if let Some(q) = &self.q {
            s.append_pair("q", q);
        }
        if let Some(d) = self.due {
            s.append_pair("due", &d.to_string());
        }
        for (k, v) in extra {
            s.append_pair(k, v);
        }
        let q = s.finish();
        if q.is_empty() {
            "/cases".to_owned()
        } else {
            format!("/cases?{q}")
        }
    }
}

/// A row as the list shows it.
#[derive(Debug, Serialize)]
struct RowView {
    reference: String,
    subject: Option<String>,
    stage_name: &'static str,
    party_name: String,
    due: Option<String>,
    statutory_due: Option<String>,
    statutory_fault: bool,
    provisional: bool,
    level: Option<&'static str>,
    state: String,
    explanation: String,
    flags: Vec<String>,
}

/// What a row's state reads as; an overdue row with the grade it has reached (issue 17).
fn state_text(row: &Row, grades: &[escalation::Grade]) -> String {
    match (row.suspended, row.level, row.overdue_by, row.remaining) {
        (true, _, _, _) => "已中止（期限暂停计算）".to_owned(),
        (_, Some(Level::Overdue), Some(by), _) => match escalation::grade_for(grades, by) {
            Some((_, g)) => format!("{}：已逾期 {by} 个工作日", g.name),
            None => format!("已逾期 {by} 个工作日"),
        },
        (_, Some(Level::DueToday), _, _) => "今日到期".to_owned(),
        (_, _, _, Some(left)) => format!("剩余 {left} 个工作日"),
        _ => "无法计算".to_owned(),
    }
}

/// `GET /cases`.
pub(crate) async fn page(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = Params::parse(raw.as_deref(), PARAMETERS)?;
    let format = params.choice("format", &["html", "csv"])?;
    let print = params.choice("print", &["1"])?.is_some();
    let page = params.page()?;
    // The print view is the first PRINT_MAX cases of the filter, on one sheet: it has no pages
    // and no other format.
    if print {
        for name in ["page", "format"] {
            if params.get(name).is_some() {
                return Err(WebError::bad_request(format!(
                    "打印版（print=1）不分页、只有网页格式，不能同时给参数“{name}”：\
                     它列出筛选条件下最紧急的至多 {PRINT_MAX} 件；全部案件请下载 CSV（format=csv）"
                )));
            }
        }
    }
    let board = console.board_for(console.ctx.now()).await?;
    let filter = Filter::parse(&params, &board, &console)?;
    let scope = viewer.scope();
    if let (Some(own), Some(asked)) = (scope, filter.party_code.as_deref())
        && own.as_str() != asked
    {
        return Err(WebError::with_status(
            axum::http::StatusCode::FORBIDDEN,
            format!("只能查看本股室（{}）的案件。", own.as_str()),
        ));
    }
    let held: Vec<&Row> = board
        .rows
        .iter()
        .filter(|r| board.in_scope(r, scope) && filter.holds(&board, r))
        .collect();
    // The CSV and the print view read many cases: a turn among the few such requests at once.
    let _turn = if print || format == Some("csv") {
        Some(console.heavy.acquire().await.map_err(anyhow::Error::from)?)
    } else {
        None
    };
    if format == Some("csv") {
        return Ok(csv(&console, &board, &held)?);
    }
    let pages = held.len().div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Err(WebError::bad_request(format!(
            "参数“page”：没有第 {page} 页，此列表共 {pages} 页"
        )));
    }
    let shown: &[&Row] = if print {
        &held[..held.len().min(PRINT_MAX)]
    } else {
        let from = (page - 1) * PAGE_SIZE;
        &held[from..held.len().min(from + PAGE_SIZE)]
    };
    let mut rows = Vec::with_capacity(shown.len());
    for row in shown {
        rows.push(view(&console, &board, row).await);
    }
    let heading = heading(&console, &board, &filter);
    let html = render::page(
        "cases.html",
        context! {
            heading,
            print,
            rows => render::value(rows),
            total => held.len(),
            truncated => print && held.len() > PRINT_MAX,
            print_max => PRINT_MAX,
            page,
            pages,
            as_of => as_of(&board),
            parties => board
                .parties
                .iter()
                .filter(|p| scope.is_none_or(|code| p.as_str() == code.as_str()))
                .map(|p| render::value(party_view(&console, p)))
                .collect::<Vec<_>>(),
            columns => columns(),
            party => filter.party_code.clone().unwrap_or_default(),
            level => filter.column.map(Column::as_str).unwrap_or_default(),
            q => filter.q.clone().unwrap_or_default(),
            due => filter.due.map(|d| d.to_string()),
            csv_link => filter.link(&[("format", "csv".to_owned())]),
            print_link => filter.link(&[("print", "1".to_owned())]),
            prev_link => (page > 1).then(|| filter.link(&[("page", (page - 1).to_string())])),
            next_link => (page < pages).then(|| filter.link(&[("page", (page + 1).to_string())])),
        },
    )?;
    Ok(html.into_response())
}

/// The list's heading: what it holds.
fn heading(console: &Console, board: &Board, filter: &Filter) -> String {
    let mut parts = Vec::new();
    if let Some(p) = filter.party.and_then(|p| board.parties.get(usize::from(p))) {
        parts.push(party_view(console, p).name);
    }
    if let Some(c) = filter.column {
        parts.push(c.title().to_owned());
    }
    if let Some(d) = filter.due {
        parts.push(format!("{d} 到期"));
    }
    if let Some(q) = &filter.q {
        parts.push(format!("含“{q}”"));
    }
    if parts.is_empty() {
        "全部未办结案件".to_owned()
    } else {
        format!("未办结案件：{}", parts.join(" · "))
    }
}

/// A row with its explanation, read fresh (a case changed or gone since the snapshot says so).
async fn view(console: &Console, board: &Board, row: &Row) -> RowView {
    let mut flags = Vec::new();
    let explanation = match Reference::parse(&row.reference) {
        Ok(reference) => match console.ctx.source.get(&reference).await {
            Ok(Some((case, _))) => {
                let cal = console.ctx.calendar();
                match deadline::evaluate(&case, &console.ctx.config.rules, &cal, board.today) {
                    Ok(status) => {
                        if let Some(stage) = status
                            .current
                            .and_then(|c| status.stages.iter().find(|s| s.stage == c))
                        {
                            flags = escalation::flags(stage);
                            escalation::explain(&case, stage)
                        } else {
                            "此案件在数据截至时间之后已办结".to_owned()
                        }
                    }
                    Err(e) => {
                        tracing::warn!(case = %reference, "console: the deadlines cannot be counted: {e}");
                        UNCOUNTABLE.to_owned()
                    }
                }
            }
            Ok(None) => "此案件在数据截至时间之后已被删除".to_owned(),
            Err(e) => {
                tracing::warn!(
                    case = %reference,
                    "console: the case cannot be read for the list: {}",
                    crate::error::chain(&anyhow::Error::from(e))
                );
                UNREADABLE.to_owned()
            }
        },
        Err(e) => {
            tracing::warn!(case = %row.reference.escape_debug(), "console: {e}");
            UNREADABLE.to_owned()
        }
    };
    RowView {
        reference: row.reference.to_string(),
        subject: row.subject.as_deref().map(str::to_owned),
        stage_name: row.stage.map_or("—", escalation::stage_name),
        party_name: party_view(console, board.party(row)).name,
        due: row.due.map(|d| d.to_string()),
        statutory_due: row.statutory_due.map(|d| d.to_string()),
        statutory_fault: row.statutory_fault,
        provisional: row.provisional,
        level: row.level.map(Level::as_str),
        state: state_text(row, &console.ctx.config.escalation.grades),
        explanation,
        flags,
    }
}

/// Every row the filter holds as CSV (UTF-8 with a byte-order mark, for Excel).
fn csv(console: &Console, board: &Board, rows: &[&Row]) -> anyhow::Result<Response> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = ::csv::Writer::from_writer(&mut out);
        w.write_record([
            "编号",
            "申请内容",
            "环节",
            "承办方",
            "期限",
            "暂定",
            "剩余工作日",
            "逾期工作日",
            "状态",
        ])?;
        for row in rows {
            w.write_record([
                crate::output::inert(row.reference.to_string()),
                crate::output::inert(row.subject.as_deref().unwrap_or("").to_owned()),
                row.stage.map_or("", escalation::stage_name).to_owned(),
                crate::output::inert(party_view(console, board.party(row)).name),
                row.due.map(|d| d.to_string()).unwrap_or_default(),
                if row.provisional { "暂定" } else { "" }.to_owned(),
                row.remaining.map(|n| n.to_string()).unwrap_or_default(),
                row.overdue_by.map(|n| n.to_string()).unwrap_or_default(),
                state_text(row, &console.ctx.config.escalation.grades),
            ])?;
        }
        w.flush()?;
    }
    let name = format!("cases-{}.csv", board.today);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        out,
    )
        .into_response())
}
