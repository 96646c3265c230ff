//! The report as CSV for spreadsheets: UTF-8 with a byte-order mark (so that Excel on a Chinese
//! Windows machine reads it as UTF-8, not GBK), the figures, then the late and overdue cases;
//! a cell that a spreadsheet would run as a formula is made text.

use std::io::Write;

use super::{CASE_HEADERS, FIGURE_HEADERS, note, numbers, party_name, rate_text, rows, stage_name};
use crate::config::Config;
use crate::domain::report::{CaseLine, Report};

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
pub(crate) fn inert(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// A late or overdue case's cells, in [`CASE_HEADERS`]' order (also the console's report page).
pub(crate) fn case_texts(c: &CaseLine, config: &Config) -> [String; 10] {
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

#[cfg(test)]
mod tests {
    use super::inert;

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
}
