//! Table 3 of the annual report (收到和处理政府信息公开申请情况, [`crate::domain::annual`]) read
//! from the cases and written as aligned text ([`table`]), CSV ([`csv`], UTF-8 with a BOM) or an
//! xlsx workbook ([`xlsx`]: sheet 表三 laid out as the format prints it, sheet 待补正 the cases to
//! fix). The counting is the domain's; [`collect`] only reads the cases into it: the built-in
//! store by date range ([`crate::store::Store::annual_entries`]), a case system in its batches
//! (its cases are replayed through the rules, so they are read whole, one batch at a time).

use std::io::Write;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::domain::annual::{
    AnnualTable, CHECK_NOTE, Entry, FINISHED_HEADING, Imbalance, Row, TITLE, column_headers,
};
use crate::domain::outcome::{Applicant, OutcomeGroup};
use crate::source::Source;

/// The table of `year` over every case of `source`, and the cases that could not be read
/// (named, one a line; they are left out).
///
/// # Errors
/// A database failure.
pub async fn collect(source: &Source, year: i32) -> anyhow::Result<(AnnualTable, Vec<String>)> {
    let mut table = AnnualTable::new(year);
    let mut bad = Vec::new();
    match source {
        Source::Builtin(store) => {
            store
                .annual_entries(year, |entry| match entry {
                    Ok(entry) => table.add(&entry),
                    Err(e) => bad.push(e),
                })
                .await?;
        }
        Source::Sql(_) => {
            source
                .scan(false, |case| {
                    match case {
                        Ok(case) => table.add(&Entry {
                            finished_on: case.finished_on(),
                            received_on: case.received_on,
                            outcome: case.outcome,
                            applicant: case.applicant,
                            reference: case.reference,
                        }),
                        Err(e) => bad.push(e.to_string()),
                    }
                    Ok(())
                })
                .await?;
        }
    }
    Ok((table, bad))
}

/// A row's cells after its label: the categories' figures and 总计, or none for a heading.
fn cells(table: &AnnualTable, row: Row) -> Option<[u64; 7]> {
    let (cols, total) = table.figures(row)?;
    let mut out = [0; 7];
    out[..6].copy_from_slice(&cols);
    out[6] = total;
    Some(out)
}

/// The rows as printed: section 三's heading before its first group, then every row.
fn printed_rows() -> Vec<Option<Row>> {
    let mut out = Vec::new();
    for row in Row::all() {
        if matches!(row, Row::Outcome(o) if o.group() == OutcomeGroup::Disclosed) {
            out.push(None);
        }
        out.push(Some(row));
    }
    out
}

/// The label of a printed row (`None`: section 三's heading).
fn label(row: Option<Row>) -> String {
    row.map_or_else(|| FINISHED_HEADING.to_owned(), Row::label)
}

/// How wide `text` is on a terminal: CJK characters take two columns.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// The check's failures in words, one a line: `商业企业: 一 + 二 = 3, 三 + 四 = 2`.
pub fn imbalances(table: &AnnualTable) -> Vec<String> {
    table
        .check()
        .iter()
        .map(
            |Imbalance {
                 applicant,
                 left,
                 right,
             }| {
                format!(
                    "{}: 一 + 二 = {left}, 三 + 四 = {right}",
                    applicant.map_or("总计", Applicant::zh)
                )
            },
        )
        .collect()
}

/// Writes the table as aligned text: the title, then one line per row, the figures first (in
/// columns as wide as their headers) and the row's label last.
///
/// # Errors
/// A write failure.
pub fn table(out: &mut dyn Write, table: &AnnualTable) -> std::io::Result<()> {
    writeln!(out, "{}年 {TITLE}", table.year())?;
    writeln!(out, "{CHECK_NOTE}")?;
    let headers = column_headers();
    let widths: Vec<usize> = headers.iter().map(|h| display_width(h).max(4)).collect();
    let mut line = String::new();
    for (h, w) in headers.iter().zip(&widths) {
        line.push_str(&" ".repeat(w - display_width(h) + 2));
        line.push_str(h);
    }
    writeln!(out, "{line}  申请人情况")?;
    for row in printed_rows() {
        let mut line = String::new();
        match row.and_then(|r| cells(table, r)) {
            Some(figures) => {
                for (n, w) in figures.iter().zip(&widths) {
                    line.push_str(&format!("{n:>width$}", width = w + 2));
                }
            }
            None => line.push_str(&" ".repeat(widths.iter().map(|w| w + 2).sum())),
        }
        writeln!(out, "{line}  {}", label(row))?;
    }
    Ok(())
}

/// Writes the table as CSV: a byte-order mark, the title, the two header rows of the format
/// (自然人, 法人或其他组织 over its five categories, 总计), then a row per row of the format: its
/// label and seven figures (none for a heading).
///
/// # Errors
/// A write failure.
pub fn csv(out: &mut dyn Write, table: &AnnualTable) -> anyhow::Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(&mut *out);
    w.write_record([format!("{}年 {TITLE}", table.year()), CHECK_NOTE.to_owned()])?;
    w.write_record([
        "申请人情况",
        "自然人",
        "法人或其他组织",
        "",
        "",
        "",
        "",
        "总计",
    ])?;
    let mut second = vec!["", ""];
    second.extend(Applicant::ALL[1..].iter().map(|a| a.zh()));
    second.push("");
    w.write_record(&second)?;
    for row in printed_rows() {
        let mut record = vec![label(row)];
        if let Some(figures) = row.and_then(|r| cells(table, r)) {
            record.extend(figures.iter().map(u64::to_string));
        }
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

/// The first row of the figures in sheet 表三 (0-based): after the title, the note and the two
/// header rows.
pub const XLSX_FIRST_ROW: u32 = 4;

/// The table as an xlsx workbook. Sheet 表三: row 1 the title, row 2 the check's note, rows 3–4
/// the headers as the format merges them (申请人情况; 自然人; 法人或其他组织 over 商业企业 … 其他;
/// 总计), then from row 5 one row per row of the format: its label in column A, the figures in
/// B–H as numbers. Sheet 待补正: the cases that break the check or cannot be placed, and the
/// columns whose check fails.
///
/// # Errors
/// The workbook library's failure.
pub fn xlsx(table: &AnnualTable) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let sheet = book.add_worksheet();
    sheet.set_name("表三")?;
    sheet.write_string_with_format(0, 0, format!("{}年 {TITLE}", table.year()), &bold)?;
    sheet.write_string(1, 0, CHECK_NOTE)?;
    sheet.merge_range(2, 0, 3, 0, "申请人情况", &head)?;
    sheet.merge_range(2, 1, 3, 1, Applicant::NaturalPerson.zh(), &head)?;
    sheet.merge_range(2, 2, 2, 6, "法人或其他组织", &head)?;
    for (col, a) in (2u16..).zip(&Applicant::ALL[1..]) {
        sheet.write_string_with_format(3, col, a.zh(), &head)?;
    }
    sheet.merge_range(2, 7, 3, 7, "总计", &head)?;
    for (r, row) in (XLSX_FIRST_ROW..).zip(printed_rows()) {
        sheet.write_string_with_format(r, 0, label(row), &cell)?;
        match row.and_then(|x| cells(table, x)) {
            Some(figures) => {
                for (col, n) in (1u16..).zip(figures) {
                    // Counts of requests: far below 2^53, exact as an f64.
                    sheet.write_number_with_format(r, col, n as f64, &cell)?;
                }
            }
            None => {
                for col in 1..8 {
                    sheet.write_blank(r, col, &cell)?;
                }
            }
        }
    }
    sheet.set_column_width(0, 60)?;
    for col in 1..8 {
        sheet.set_column_width(col, 12)?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name("待补正")?;
    sheet.write_string_with_format(0, 0, "编号", &bold)?;
    sheet.write_string_with_format(0, 1, "问题", &bold)?;
    let mut r = 1;
    for (reference, problem) in table.problems() {
        sheet.write_string(r, 0, reference.as_str())?;
        sheet.write_string(r, 1, problem.to_string())?;
        r += 1;
    }
    for line in imbalances(table) {
        sheet.write_string(r, 0, "勾稽关系")?;
        sheet.write_string(r, 1, line)?;
        r += 1;
    }
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(1, 90)?;
    book.save_to_buffer()
}
