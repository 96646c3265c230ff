//! Writing a [`Report`]: a text table for the terminal ([`table()`]), CSV for spreadsheets
//! ([`csv()`]: UTF-8 with a byte-order mark, so that Excel on a Chinese Windows machine reads it
//! as UTF-8, not GBK), and an xlsx workbook ([`xlsx()`]: sheet 统计: the figures; sheet 案件: the
//! late and overdue cases; Chinese headers, dates as real dates); and a section's deadlines as
//! an iCalendar file ([`ics`]); the case listing of `status` ([`status`]); one case as JSON
//! ([`case`], `case show --json` and the API); a case's notifications and their delivery
//! ([`record`], issue 17); table 3 of the annual report ([`annual`]: read, and written in the
//! three formats). The figures are
//! computed in [`crate::domain::report`]; these files only lay them out, and [`feeds`] streams the cases from the source into them.
//!
//! This file holds what the report's formats share: [`OutputFormat`], the Chinese column
//! headers, a party's name, and the rows in print order; each format is in its own file
//! (`table.rs`, `csv.rs`, `xlsx.rs`, `ics.rs`).

pub mod annual;
pub mod case;
mod csv;
pub mod feeds;
pub mod ics;
pub mod record;
pub mod status;
mod table;
mod xlsx;

pub use self::csv::csv;
pub(crate) use self::csv::{case_texts, inert};
pub use table::table;
pub use xlsx::xlsx;

use crate::config::Config;
use crate::domain::deadline::Responsible;
use crate::domain::report::{Figures, Report};

/// The output formats of `duewatch report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned text for the terminal.
    Table,
    /// CSV, UTF-8 with BOM.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

/// The figures' column headers, in order (xlsx and CSV).
pub const FIGURE_HEADERS: [&str; 20] = [
    "责任方",
    "代码",
    "办理件数",
    "按期办结",
    "逾期办结",
    "逾期工作日合计",
    "单件最长逾期工作日",
    "超期未办结",
    "延期件数",
    "延期工作日",
    "逾期后延期",
    "中止次数",
    "中止工作日",
    "逾期后中止",
    "书面告知缺失",
    "红牌",
    "退回件数",
    "退回前承办工作日",
    "按期办结率",
    "备注",
];

/// The case list's column headers, in order (xlsx and CSV).
pub const CASE_HEADERS: [&str; 10] = [
    "编号",
    "申请内容",
    "环节",
    "责任方",
    "起算日",
    "期限",
    "办结日期",
    "逾期工作日",
    "情况",
    "暂定",
];

/// The name a party goes by: the office's with its stage, a section's from the configuration
/// (its code when it is no longer configured).
pub fn party_name(config: &Config, party: &Responsible) -> String {
    match party {
        Responsible::Office => format!("{}（转办）", config.office.name),
        Responsible::Section(code) => config
            .section(code)
            .map_or_else(|| code.to_string(), |s| s.name.clone()),
    }
}

/// A stage's name in the report (转办, 答复), as everywhere else.
pub(crate) use crate::domain::escalation::stage_name;

/// The rows in print order: office, sections as configured, others; then the total.
pub(crate) fn rows(report: &Report, config: &Config) -> Vec<(String, String, Figures)> {
    let codes: Vec<_> = config.sections.iter().map(|s| s.code.clone()).collect();
    let mut out: Vec<(String, String, Figures)> = report
        .parties(&codes)
        .into_iter()
        .map(|p| {
            (
                party_name(config, p),
                p.as_str().to_owned(),
                report.rows.get(p).cloned().unwrap_or_default(),
            )
        })
        .collect();
    out.push(("合计".to_owned(), String::new(), report.total()));
    out
}

/// A party's figures in [`FIGURE_HEADERS`]' order, from 办理件数 to 退回前承办工作日.
pub(crate) fn numbers(f: &Figures) -> [u32; 16] {
    [
        f.handled,
        f.on_time,
        f.late,
        f.late_days_total,
        f.late_days_max,
        f.open_overdue,
        f.extensions,
        f.extension_days,
        f.late_extensions,
        f.suspensions,
        f.suspended_days,
        f.late_suspensions,
        f.notices_missing,
        f.red_cards,
        f.returns,
        f.returned_days,
    ]
}

/// The on-time rate as text (`66.7%`, `-` when nothing was handled).
pub(crate) fn rate_text(f: &Figures) -> String {
    f.on_time_rate()
        .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// The 备注 of every row: whether figures are provisional.
pub(crate) fn note(report: &Report) -> &'static str {
    if report.provisional {
        "含暂定期限（节假日安排未载入）"
    } else {
        ""
    }
}
