//! Writing a [`Report`]: a text table for the terminal, CSV for spreadsheets (UTF-8 with a
//! byte-order mark, so that Excel on a Chinese Windows machine reads it as UTF-8, not GBK), and
//! an xlsx workbook (sheet 统计: the figures; sheet 案件: the late and overdue cases; Chinese
//! headers, dates as real dates). The figures are computed in [`crate::domain::report`]; this module
//! only lays them out.

pub mod feeds;
pub mod ics;
use std::io::Write;

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

use crate::config::Config;
use crate::domain::deadline::{Responsible, Stage};
use crate::domain::report::{CaseLine, Figures, Report};

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
pub const FIGURE_HEADERS: [&str; 17] = [
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

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Forward => "转办",
        Stage::Reply => "答复",
    }
}

/// The rows in print order: office, sections as configured, others; then the total.
fn rows(report: &Report, config: &Config) -> Vec<(String, String, Figures)> {
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

fn numbers(f: &Figures) -> [u32; 13] {
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
    ]
}

fn rate_text(f: &Figures) -> String {
    f.on_time_rate()
        .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn note(report: &Report) -> &'static str {
    if report.provisional {
        "含暂定期限（节假日安排未载入）"
    } else {
        ""
    }
}

/// Writes the report as aligned text.
///
/// # Errors
/// A write failure.
pub fn table(out: &mut dyn Write, report: &Report, config: &Config) -> std::io::Result<()> {
    let p = report.period;
    writeln!(out, "report {} .. {}", p.from(), p.to())?;
    writeln!(
        out,
        "{:<10} {:>7} {:>7} {:>4} {:>9} {:>7} {:>10} {:>11} {:>7} {:>6}  name",
        "party",
        "handled",
        "on_time",
        "late",
        "late_days",
        "overdue",
        "extensions",
        "suspensions",
        "notices",
        "rate"
    )?;
    writeln!(
        out,
        "{:<10} {:>7} {:>7} {:>4} {:>9} {:>7} {:>10} {:>11} {:>7} {:>6}",
        "", "", "", "", "total/max", "open", "n/days/late", "n/days/late", "missing", ""
    )?;
    for (name, code, f) in rows(report, config) {
        writeln!(
            out,
            "{:<10} {:>7} {:>7} {:>4} {:>9} {:>7} {:>10} {:>11} {:>7} {:>6}  {}",
            if code.is_empty() { "total" } else { &code },
            f.handled,
            f.on_time,
            f.late,
            format!("{}/{}", f.late_days_total, f.late_days_max),
            f.open_overdue,
            format!(
                "{}/{}/{}",
                f.extensions, f.extension_days, f.late_extensions
            ),
            format!(
                "{}/{}/{}",
                f.suspensions, f.suspended_days, f.late_suspensions
            ),
            f.notices_missing,
            rate_text(&f),
            name
        )?;
    }
    if report.provisional {
        writeln!(
            out,
            "provisional: some deadlines fall in a year whose calendar is not loaded"
        )?;
    }
    writeln!(out)?;
    writeln!(out, "late and overdue: {}", report.cases.len())?;
    for c in &report.cases {
        writeln!(
            out,
            "{:<12} {:<7} {:<8} due {}  {:<10} {} working day(s) {}{}",
            c.reference,
            c.stage.as_str(),
            c.responsible.as_str(),
            c.due,
            c.done_on
                .map_or_else(|| "open".to_owned(), |d| format!("done {d}")),
            c.working_days,
            match c.lateness {
                crate::domain::report::Lateness::Late => "late",
                crate::domain::report::Lateness::Overdue => "overdue",
            },
            if c.provisional { " provisional" } else { "" }
        )?;
    }
    Ok(())
}

/// Writes the report as CSV: a byte-order mark, the figures (a header and a row per party, then
/// the total), an empty line, then the late and overdue cases.
///
/// # Errors
/// A write failure.
pub fn csv(out: &mut dyn Write, report: &Report, config: &Config) -> anyhow::Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    {
        let mut w = ::csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut *out);
        w.write_record(FIGURE_HEADERS)?;
        for (name, code, f) in rows(report, config) {
            let mut record = vec![name, code];
            record.extend(numbers(&f).iter().map(u32::to_string));
            record.push(rate_text(&f));
            record.push(note(report).to_owned());
            w.write_record(&record)?;
        }
        w.write_record([""])?;
        w.write_record(CASE_HEADERS)?;
        for c in &report.cases {
            w.write_record(case_texts(c, config).map(inert))?;
        }
        w.flush()?;
    }
    Ok(())
}

/// A CSV cell that a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (a formula to Excel) gets a leading `'`. A subject is typed by the public.
fn inert(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// At most the characters an xlsx cell holds (32,767), so that one long subject cannot stop the
/// whole workbook (and the monthly report).
fn cell_text(text: &str) -> &str {
    const MAX: usize = 32_767;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

fn case_texts(c: &CaseLine, config: &Config) -> [String; 10] {
    [
        c.reference.clone(),
        c.subject.clone().unwrap_or_default(),
        stage_name(c.stage).to_owned(),
        party_name(config, &c.responsible),
        c.start.to_string(),
        c.due.to_string(),
        c.done_on.map(|d| d.to_string()).unwrap_or_default(),
        c.working_days.to_string(),
        c.lateness.label().to_owned(),
        if c.provisional { "是" } else { "" }.to_owned(),
    ]
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    // Dates are checked to lie in 2000-2099 by the calendar before they get here.
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)
}

/// The report as an xlsx workbook: sheet 统计 (row 1 the period, row 2 the headers, then a row
/// per party and the total) and sheet 案件 (headers, then one row per late or overdue stage).
///
/// # Errors
/// The workbook library's failure.
pub fn xlsx(report: &Report, config: &Config) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new()
        .set_num_format("yyyy-mm-dd")
        .set_align(FormatAlign::Left);
    let percent = Format::new().set_num_format("0.0%");
    let p = report.period;

    let sheet = book.add_worksheet();
    sheet.set_name("统计")?;
    sheet.write_string_with_format(
        0,
        0,
        format!("政府信息公开申请办理情况统计 {} 至 {}", p.from(), p.to()),
        &bold,
    )?;
    for (col, h) in (0u16..).zip(FIGURE_HEADERS) {
        sheet.write_string_with_format(1, col, h, &bold)?;
    }
    for (row, (name, code, f)) in (2u32..).zip(rows(report, config)) {
        sheet.write_string(row, 0, name)?;
        sheet.write_string(row, 1, code)?;
        for (col, n) in (2u16..).zip(numbers(&f)) {
            sheet.write_number(row, col, n)?;
        }
        match f.on_time_rate() {
            Some(r) => sheet.write_number_with_format(row, 15, r, &percent)?,
            None => sheet.write_string(row, 15, "-")?,
        };
        sheet.write_string(row, 16, note(report))?;
    }
    sheet.set_column_width(0, 28)?;
    for col in 2..16 {
        sheet.set_column_width(col, 12)?;
    }
    sheet.set_freeze_panes(2, 1)?;

    // Row by row to a temporary file (rust_xlsxwriter's constant-memory mode): the case list
    // can be long, and the figures sheet is small.
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("案件")?;
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 30)?;
    sheet.set_column_width(3, 28)?;
    for col in 4..7 {
        sheet.set_column_width(col, 12)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (col, h) in (0u16..).zip(CASE_HEADERS) {
        sheet.write_string_with_format(0, col, h, &bold)?;
    }
    for (row, c) in (1u32..).zip(&report.cases) {
        sheet.write_string(row, 0, &c.reference)?;
        sheet.write_string(row, 1, cell_text(c.subject.as_deref().unwrap_or("")))?;
        sheet.write_string(row, 2, stage_name(c.stage))?;
        sheet.write_string(row, 3, party_name(config, &c.responsible))?;
        sheet.write_datetime_with_format(row, 4, excel_date(c.start)?, &date)?;
        sheet.write_datetime_with_format(row, 5, excel_date(c.due)?, &date)?;
        if let Some(done) = c.done_on {
            sheet.write_datetime_with_format(row, 6, excel_date(done)?, &date)?;
        }
        sheet.write_number(row, 7, c.working_days)?;
        sheet.write_string(row, 8, c.lateness.label())?;
        sheet.write_string(row, 9, if c.provisional { "是" } else { "" })?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::{cell_text, inert};

    #[test]
    fn a_cell_that_a_spreadsheet_would_run_is_made_text() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(inert(formula.to_owned()), format!("'{formula}"));
        }
        assert_eq!(inert("2026-0001".to_owned()), "2026-0001");
        assert_eq!(inert("养老保险 = 缴费".to_owned()), "养老保险 = 缴费");
    }

    #[test]
    fn an_xlsx_cell_holds_at_most_32767_characters() {
        let long = "养".repeat(40_000);
        assert_eq!(cell_text(&long).chars().count(), 32_767);
        assert_eq!(cell_text("短"), "短");
    }
}
