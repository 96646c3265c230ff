//! The report as an xlsx workbook: sheet 统计 (the figures) and sheet 案件 (the late and overdue
//! cases, written row by row in constant memory), Chinese headers, dates as real dates.

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

use super::{CASE_HEADERS, FIGURE_HEADERS, note, numbers, party_name, rows, stage_name};
use crate::config::Config;
use crate::domain::report::Report;

/// At most the characters an xlsx cell holds (32,767), so that one long subject cannot stop the
/// whole workbook (and the monthly report).
fn cell_text(text: &str) -> &str {
    const MAX: usize = 32_767;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => &text[..at],
        None => text,
    }
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
        // The rate and the note are the last two columns.
        let rate_col = FIGURE_HEADERS.len() as u16 - 2;
        match f.on_time_rate() {
            Some(r) => sheet.write_number_with_format(row, rate_col, r, &percent)?,
            None => sheet.write_string(row, rate_col, "-")?,
        };
        sheet.write_string(row, rate_col + 1, note(report))?;
    }
    sheet.set_column_width(0, 28)?;
    for col in 2..FIGURE_HEADERS.len() as u16 - 1 {
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
    use super::cell_text;

    #[test]
    fn an_xlsx_cell_holds_at_most_32767_characters() {
        let long = "养".repeat(40_000);
        assert_eq!(cell_text(&long).chars().count(), 32_767);
        assert_eq!(cell_text("短"), "短");
    }
}
