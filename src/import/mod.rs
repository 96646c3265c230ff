//! `duewatch case import FILE.csv`: cases from a spreadsheet, all or nothing.
//!
//! Design: the file is decoded whole (UTF-8 with or without BOM, or GBK, which is what Excel
//! writes as "CSV" on a Chinese Windows machine), then every row is checked; a row becomes a
//! [`Case`] by the same transitions as the case commands ([`crate::domain::casework`]), so an import can
//! record nothing the commands would refuse. Only when every row is good does the store write
//! them, in one transaction. Otherwise every bad row is reported with its line number and the
//! database is left as it was.
//!
//! Columns are named in the header row, in English or in Chinese (see [`COLUMNS`]); their order is
//! free and optional columns may be left out. An unknown column is refused rather than ignored,
//! so that a misspelt header cannot silently drop data.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::config::Config;
use crate::domain::case::text::{self, Breaks};
use crate::domain::case::{
    Case, Channel, CloseReason, NoticeKind, Reference, SectionCode, Subject,
};
use crate::domain::casework;
use crate::domain::entry::Entering;

/// How the file's bytes are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// UTF-8 when the bytes are valid UTF-8, else GBK.
    Auto,
    /// UTF-8, with or without a byte-order mark.
    #[value(name = "utf-8")]
    Utf8,
    /// GBK (GB18030), Excel's "CSV" on a Chinese Windows machine.
    Gbk,
}

/// Decodes the file's bytes.
///
/// # Errors
/// Bytes that are not text in the chosen (or any supported) encoding, with what to do.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF");
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(
            "the file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" \
                    or \"CSV (comma delimited)\" instead"
                .to_owned(),
        );
    }
    let utf8 = || {
        String::from_utf8(without_bom.unwrap_or(bytes).to_vec()).map_err(|e| {
            format!(
                "the file is not valid UTF-8 (byte {}); save it as \"CSV UTF-8\", or pass \
                 --encoding gbk",
                e.utf8_error().valid_up_to()
            )
        })
    };
    let gbk = || {
        let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(bytes);
        if had_errors {
            Err("the file is neither UTF-8 nor GBK; save it from Excel as \"CSV UTF-8\"".to_owned())
        } else {
            Ok(text.into_owned())
        }
    };
    // Text that is valid UTF-8 and not plain ASCII is next to never GBK: GBK's two-byte
    // characters rarely line up as UTF-8 sequences. Decoding it as GBK would garble every
    // Chinese character (or fail as "neither"); say what it is instead.
    let looks_utf8 =
        without_bom.is_some() || (!bytes.is_ascii() && std::str::from_utf8(bytes).is_ok());
    match encoding {
        Encoding::Utf8 => utf8(),
        Encoding::Gbk if looks_utf8 => Err(
            "the file looks like UTF-8, not GBK (--encoding gbk)\n  help: leave out --encoding \
             (or pass --encoding utf-8) to read it as UTF-8"
                .to_owned(),
        ),
        Encoding::Gbk => gbk(),
        Encoding::Auto if without_bom.is_some() => utf8(),
        Encoding::Auto => utf8().or_else(|_| gbk()),
    }
}

/// A column of the import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Reference,
    ReceivedOn,
    Subject,
    Channel,
    ForwardedOn,
    Section,
    ExtensionDays,
    ExtensionApprovedOn,
    ExtensionApprovedBy,
    ExtensionNoticeOn,
    RepliedOn,
    ClosedOn,
    CloseReason,
}

/// Every column: its name, the Chinese names accepted for it, whether it is required, and what
/// it holds. The README's table is this one.
pub const COLUMNS: &[(&str, &[&str], bool, &str)] = &[
    (
        "reference",
        &["编号", "受理编号"],
        true,
        "the unique reference, e.g. 2026-0042",
    ),
    (
        "received_on",
        &["收到日期", "受理日期"],
        true,
        "receipt by the office",
    ),
    (
        "subject",
        &["申请内容", "事项"],
        false,
        "what is asked (no personal data)",
    ),
    (
        "channel",
        &["申请方式"],
        false,
        "in_person|mail|online|fax (当面|信函|网络|传真)",
    ),
    (
        "forwarded_on",
        &["转办日期"],
        false,
        "forwarded to the section (needs section)",
    ),
    (
        "section",
        &["承办股室", "承办科室"],
        false,
        "section code or name from [[sections]]",
    ),
    (
        "extension_days",
        &["延期天数"],
        false,
        "working days granted (art. 20)",
    ),
    (
        "extension_approved_on",
        &["延期批准日期"],
        false,
        "the leadership's approval",
    ),
    (
        "extension_approved_by",
        &["延期批准人"],
        false,
        "who approved",
    ),
    (
        "extension_notice_on",
        &["延期告知日期"],
        false,
        "written notice of the extension",
    ),
    ("replied_on", &["答复日期"], false, "the section's answer"),
    (
        "closed_on",
        &["终止日期"],
        false,
        "closed by other means (needs close_reason)",
    ),
    (
        "close_reason",
        &["终止原因"],
        false,
        "withdrawn|merged|answered_on_spot (撤回|合并|当场答复)",
    ),
];

const ORDER: [Column; 13] = [
    Column::Reference,
    Column::ReceivedOn,
    Column::Subject,
    Column::Channel,
    Column::ForwardedOn,
    Column::Section,
    Column::ExtensionDays,
    Column::ExtensionApprovedOn,
    Column::ExtensionApprovedBy,
    Column::ExtensionNoticeOn,
    Column::RepliedOn,
    Column::ClosedOn,
    Column::CloseReason,
];

fn column(header: &str) -> Option<Column> {
    let h = header.trim();
    COLUMNS
        .iter()
        .zip(ORDER)
        .find(|((name, chinese, _, _), _)| name.eq_ignore_ascii_case(h) || chinese.contains(&h))
        .map(|(_, c)| c)
}

/// A row that is good: the case it makes and what the history will say.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line of the file where the row starts.
    pub line: u64,
    /// The case, as the commands would have recorded it.
    pub case: Case,
    /// The history line.
    pub said: String,
}

/// What is wrong with the file or one of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line of the file (1 = the header).
    pub line: u64,
    /// What is wrong and what to do.
    pub message: String,
}

/// Checks every row of `text`: the good rows, and the problems of the header and of each bad
/// row, in line order. The file is good when there are no problems.
pub fn parse(text: &str, config: &Config) -> (Vec<Row>, Vec<Problem>) {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let problem = |line: u64, message: String| Problem { line, message };
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return (
                Vec::new(),
                vec![problem(1, format!("the header row cannot be read: {e}"))],
            );
        }
    };
    let mut index: HashMap<Column, usize> = HashMap::new();
    let mut problems = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        match column(h) {
            Some(c) => {
                if index.insert(c, i).is_some() {
                    problems.push(problem(1, format!("column \"{h}\" appears twice")));
                }
            }
            None if h.is_empty() => {}
            None => problems.push(problem(
                1,
                format!(
                    "unknown column \"{h}\"\n  help: the columns are {}",
                    COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    for ((name, _, required, _), c) in COLUMNS.iter().zip(ORDER) {
        if *required && !index.contains_key(&c) {
            problems.push(problem(
                1,
                format!("the required column \"{name}\" is missing"),
            ));
        }
    }
    if !problems.is_empty() {
        return (Vec::new(), problems);
    }

    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "the row has {len} fields, the header {expected_len}\n  help: \
                         quote a value that contains a comma, e.g. \"a, b\""
                    ),
                    _ => format!("the row cannot be read: {e}"),
                };
                problems.push(problem(line, message));
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let field = |c: Column| {
            index
                .get(&c)
                .and_then(|&i| record.get(i))
                .filter(|v| !v.is_empty())
        };
        match row(&field, config) {
            Ok((case, said)) => {
                if let Some(first) = seen.insert(case.reference.to_string(), line) {
                    problems.push(problem(
                        line,
                        format!(
                            "case {}: the reference is on line {first} already; references are unique",
                            case.reference
                        ),
                    ));
                } else {
                    rows.push(Row { line, case, said });
                }
            }
            Err(message) => problems.push(problem(line, message)),
        }
    }
    (rows, problems)
}

/// The rows that cannot be counted or carry an implausible date ([`Entering::check_case`]), by
/// line.
pub(crate) fn entry_problems(rows: &[Row], entering: &Entering, allow_old: bool) -> Vec<Problem> {
    rows.iter()
        .filter_map(|row| {
            entering
                .check_case(&row.case, allow_old)
                .err()
                .map(|message| Problem {
                    line: row.line,
                    message: format!("case {}: {message}", row.case.reference),
                })
        })
        .collect()
}

/// One row: every field parsed (all field problems reported together), then the transitions.
fn row<'r>(
    field: &dyn Fn(Column) -> Option<&'r str>,
    config: &Config,
) -> Result<(Case, String), String> {
    let mut errors = Vec::new();
    let mut get = |c: Column, name: &str, parse: &dyn Fn(&str) -> Result<(), String>| {
        if let Some(v) = field(c)
            && let Err(e) = visible(c, v).and_then(|()| parse(v))
        {
            errors.push(format!("{name}: {e}"));
        }
    };
    // Parse every field once, remembering problems; the values are taken below.
    for (c, name) in ORDER.iter().zip(COLUMNS.iter().map(|c| c.0)) {
        match c {
            Column::Reference => get(*c, name, &|v| Reference::parse(v).map(drop)),
            Column::ReceivedOn
            | Column::ForwardedOn
            | Column::ExtensionApprovedOn
            | Column::ExtensionNoticeOn
            | Column::RepliedOn
            | Column::ClosedOn => get(*c, name, &|v| date(v).map(drop)),
            Column::Channel => get(*c, name, &|v| channel(v).map(drop)),
            Column::CloseReason => get(*c, name, &|v| close_reason(v).map(drop)),
            Column::Section => get(*c, name, &|v| section(v, config).map(drop)),
            Column::ExtensionDays => get(*c, name, &|v| days(v).map(drop)),
            Column::Subject => get(*c, name, &|v| {
                Subject::from_cell(v).map(drop).map_err(|e| e.to_string())
            }),
            Column::ExtensionApprovedBy => get(*c, name, &|v| cell_line(v).map(drop)),
        }
    }
    let reference = field(Column::Reference).map(Reference::parse);
    let named = |rest: String| match &reference {
        Some(Ok(r)) => format!("case {r}: {rest}"),
        _ => rest,
    };
    if field(Column::Reference).is_none() {
        errors.insert(0, "reference is empty".to_owned());
    }
    if field(Column::ReceivedOn).is_none() {
        errors.push("received_on is empty".to_owned());
    }
    if !errors.is_empty() {
        return Err(named(errors.join("; ")));
    }
    // Every present field parses now; the `?`s below cannot fail but keep the code honest.
    let d = |c: Column| field(c).map(date).transpose();
    let reference = Reference::parse(field(Column::Reference).unwrap_or_default())?;
    let received = d(Column::ReceivedOn)?.unwrap_or_default();
    let mut case = Case::received(reference, received);
    case.subject = field(Column::Subject)
        .map(Subject::from_cell)
        .transpose()
        .map_err(|e| named(format!("subject {e}")))?;
    case.channel = field(Column::Channel).map(channel).transpose()?;
    let mut said = vec![format!("received on {received}")];

    match (d(Column::ForwardedOn)?, field(Column::Section)) {
        (Some(on), Some(s)) => {
            let code = section(s, config)?;
            said.push(
                casework::forward(&mut case, code, on, true).map_err(|e| named(e.to_string()))?,
            );
        }
        (None, None) => {}
        (Some(_), None) => return Err(named("forwarded_on needs a section".to_owned())),
        (None, Some(_)) => return Err(named("section needs forwarded_on".to_owned())),
    }
    let extension = (
        field(Column::ExtensionDays).map(days).transpose()?,
        d(Column::ExtensionApprovedOn)?,
        field(Column::ExtensionApprovedBy),
    );
    match extension {
        (Some(n), Some(on), Some(by)) => {
            let by = cell_line(by).map_err(named)?;
            said.push(
                casework::extend(&mut case, n, &by, on, None, &config.rules)
                    .map_err(|e| named(e.to_string()))?,
            );
            if let Some(notice) = d(Column::ExtensionNoticeOn)? {
                said.push(
                    casework::notice(&mut case, NoticeKind::Extension, notice)
                        .map_err(|e| named(e.to_string()))?,
                );
            }
        }
        (None, None, None) if field(Column::ExtensionNoticeOn).is_none() => {}
        _ => {
            return Err(named(
                "an extension needs extension_days, extension_approved_on and \
                 extension_approved_by together"
                    .to_owned(),
            ));
        }
    }
    if let Some(on) = d(Column::RepliedOn)? {
        said.push(casework::reply(&mut case, on).map_err(|e| named(e.to_string()))?);
    }
    match (d(Column::ClosedOn)?, field(Column::CloseReason)) {
        (Some(on), Some(why)) => {
            said.push(
                casework::close(&mut case, on, close_reason(why)?)
                    .map_err(|e| named(e.to_string()))?,
            );
        }
        (None, None) => {}
        _ => {
            return Err(named("closed_on and close_reason go together".to_owned()));
        }
    }
    Ok((case, said.join("; ")))
}

/// Text of a cell that must be one line: its line breaks (Alt+Enter in Excel) become spaces.
fn cell_line(v: &str) -> Result<String, String> {
    text::one_line(v, Breaks::Fold).map_err(|e| e.to_string())
}

/// Every cell: no control or format character (a NUL byte, ESC, a bidi override), which no
/// column needs and which would reach the database (PostgreSQL refuses a NUL in text, naming a
/// line of its own), mails and terminals. Text columns may hold line breaks (they are folded).
fn visible(c: Column, v: &str) -> Result<(), String> {
    if matches!(c, Column::Subject | Column::ExtensionApprovedBy) {
        // Checked by their own parsers, which fold line breaks first.
        return Ok(());
    }
    match v.chars().enumerate().find(|&(_, ch)| text::is_hidden(ch)) {
        Some((at, ch)) => Err(text::TextError::Control { ch, at: at + 1 }.to_string()),
        None => Ok(()),
    }
}

/// A date as spreadsheets write it: 2026-11-27, 2026/11/27, 2026-1-5, 2026年1月5日.
fn date(v: &str) -> Result<NaiveDate, String> {
    let normal: String = v
        .trim_end_matches('日')
        .chars()
        .map(|c| match c {
            '/' | '年' | '月' | '.' => '-',
            c => c,
        })
        .collect();
    let parts: Vec<&str> = normal.split('-').collect();
    let parsed = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => match (y.parse(), m.parse(), d.parse()) {
            (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d),
            _ => None,
        },
        _ => None,
    };
    parsed.ok_or_else(|| format!("\"{v}\" is not a date; write YYYY-MM-DD, e.g. 2026-11-27"))
}

fn days(v: &str) -> Result<u32, String> {
    v.parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("\"{v}\" is not a number of working days from 1"))
}

pub(crate) fn channel(v: &str) -> Result<Channel, String> {
    match v {
        "当面" => Ok(Channel::InPerson),
        "信函" => Ok(Channel::Mail),
        "网络" => Ok(Channel::Online),
        "传真" => Ok(Channel::Fax),
        _ => Channel::parse(v),
    }
}

pub(crate) fn close_reason(v: &str) -> Result<CloseReason, String> {
    match v {
        "撤回" => Ok(CloseReason::Withdrawn),
        "合并" => Ok(CloseReason::Merged),
        "当场答复" => Ok(CloseReason::AnsweredOnSpot),
        _ => CloseReason::parse(v),
    }
}

/// A section by its code or its configured name.
pub(crate) fn section(v: &str, config: &Config) -> Result<SectionCode, String> {
    crate::domain::parties::section_named(&config.sections, v)
        .map(|s| s.code.clone())
        .ok_or_else(|| {
            if let Some(codes) = crate::domain::parties::ambiguous(&config.sections, v) {
                return format!(
                    "section \"{v}\" is the name of sections {codes}\n  help: write the code, \
                     and give every section its own name (config check refuses the same name twice)"
                );
            }
            format!(
                "section \"{v}\" is not configured\n  help: use a code or name of [[sections]]: {}",
                crate::domain::parties::sections_listed(&config.sections)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::input_properties::{bounded, edits, mutate};
    use proptest::prelude::*;

    #[test]
    fn dates_as_spreadsheets_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 5);
        for v in [
            "2026-01-05",
            "2026/1/5",
            "2026-1-5",
            "2026年1月5日",
            "2026.01.05",
        ] {
            assert_eq!(date(v).ok(), d, "{v}");
        }
        for v in [
            "05/01/2026",
            "2026-13-01",
            "2026-02-30",
            "yesterday",
            "26-1-5",
        ] {
            assert!(date(v).is_err(), "{v}");
        }
    }

    #[test]
    fn encodings() {
        let text = "reference,received_on\n2026-0001,2026-11-27\n";
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom, Encoding::Auto).as_deref(), Ok(text));
        let (gbk, _, _) = encoding_rs::GBK.encode("编号,收到日期\n");
        assert_eq!(
            decode(&gbk, Encoding::Auto).as_deref(),
            Ok("编号,收到日期\n")
        );
        assert!(decode(&gbk, Encoding::Utf8).is_err());
        assert!(decode(b"\xFF\xFEr\x00", Encoding::Auto).is_err_and(|e| e.contains("UTF-16")));
    }

    #[test]
    fn a_utf8_file_read_as_gbk_is_named_utf8() {
        let text = "编号,收到日期\n2026-0001,2026-11-27\n";
        let e = decode(text.as_bytes(), Encoding::Gbk).expect_err("UTF-8 is not GBK");
        assert!(e.contains("looks like UTF-8, not GBK"), "{e}");
        assert!(e.contains("leave out --encoding"), "{e}");
        // Plain ASCII is the same in both.
        assert!(decode(b"reference,received_on\n", Encoding::Gbk).is_ok());
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode(&gbk, Encoding::Gbk).as_deref(), Ok(text));
    }

    #[test]
    fn control_characters_in_any_cell_are_refused_and_line_breaks_in_text_cells_folded() {
        let config = test_config();
        let (rows, problems) = parse(
            "reference,received_on,subject,channel\n\
             2026-0001,2026-11-27,\"a\r\nb\",online\n\
             2026-0002,2026-11-27,a\0b,\n\
             2026-0003,2026-11-27,,online\u{7}\n\
             2026-0004,2026-11-27,\u{202E}x,\n",
            &config,
        );
        assert_eq!(rows.len(), 1, "{problems:?}");
        assert_eq!(rows[0].case.subject.as_deref(), Some("a b"));
        let lines: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0].0, 4);
        assert!(
            lines[0]
                .1
                .starts_with("case 2026-0002: subject: holds the invisible character U+0000 (NUL)"),
            "{}",
            lines[0].1
        );
        assert!(
            lines[1].1.starts_with(
                "case 2026-0003: channel: holds the invisible character U+0007 (bell)"
            ),
            "{}",
            lines[1].1
        );
        assert!(
            lines[2].1.contains("U+202E (a bidi override)"),
            "{}",
            lines[2].1
        );
    }

    fn test_config() -> Config {
        crate::config::from_toml(
            "[[sections]]\ncode = \"ss\"\nname = \"社会保险股\"\nemails = []\n\
             [[sections]]\ncode = \"zc\"\nname = \"政策法规股\"\nemails = []\n",
        )
    }

    /// Decodes with every encoding and parses what decodes, within the bound; checks what the
    /// import would accept.
    fn check(bytes: Vec<u8>) -> Result<(), TestCaseError> {
        let outcomes = bounded(move || {
            let config = test_config();
            [Encoding::Auto, Encoding::Utf8, Encoding::Gbk]
                .into_iter()
                .filter_map(|e| decode(&bytes, e).ok())
                .map(|text| {
                    let (rows, problems) = parse(&text, &config);
                    (text, rows, problems)
                })
                .collect::<Vec<_>>()
        });
        for (text, rows, problems) in outcomes {
            let lines = text.split('\n').count() as u64;
            let mut references = std::collections::HashSet::new();
            for row in &rows {
                prop_assert!(
                    row.line >= 2 && row.line <= lines,
                    "row on line {}",
                    row.line
                );
                prop_assert!(
                    references.insert(row.case.reference.clone()),
                    "{} twice",
                    row.case.reference
                );
                if let Some(forwarded) = row.case.forwarded_on {
                    prop_assert!(forwarded >= row.case.received_on);
                    prop_assert!(row.case.section.is_some());
                }
            }
            for p in &problems {
                prop_assert!(
                    p.line >= 1 && p.line <= lines.max(1),
                    "line {} of {lines}: {}",
                    p.line,
                    p.message
                );
                prop_assert!(!p.message.is_empty());
            }
        }
        Ok(())
    }

    /// Bytes a GBK file is made of: two-byte characters, ASCII, separators and line breaks.
    fn gbk_ish() -> impl Strategy<Value = Vec<u8>> {
        let unit = prop_oneof![
            (0x81_u8..=0xFE, 0x40_u8..=0xFE).prop_map(|(a, b)| vec![a, b]),
            prop::sample::select(b",\n\r\"0123456789-/ abc".to_vec()).prop_map(|b| vec![b]),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        prop::collection::vec(unit, 0..400).prop_map(|units| units.concat())
    }

    /// A spreadsheet from parts: a header of known (English or Chinese), misspelt or missing
    /// columns, rows of plausible and implausible values, then mutated.
    fn sheet() -> impl Strategy<Value = String> {
        let names: Vec<&'static str> = COLUMNS
            .iter()
            .flat_map(|(name, chinese, _, _)| std::iter::once(*name).chain(chinese.iter().copied()))
            .chain(["recieved_on", ""])
            .collect();
        let value = prop_oneof![
            Just(String::new()),
            (2025_i32..2028, 1_u32..13, 1_u32..29)
                .prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
            (2025_i32..2028, 1_u32..13, 1_u32..29).prop_map(|(y, m, d)| format!("{y}年{m}月{d}日")),
            "2026-0[0-9]{3}",
            prop::sample::select(vec![
                "ss",
                "zc",
                "社会保险股",
                "xx",
                "online",
                "网络",
                "withdrawn",
                "撤回",
                "5",
                "16",
                "0",
                "局长"
            ])
            .prop_map(str::to_owned),
            "[\"a-z0-9 ,\n]{0,10}",
            any::<String>(),
        ];
        (
            prop::collection::vec(prop::sample::select(names), 1..8),
            prop::collection::vec(prop::collection::vec(value, 0..9), 0..8),
            edits(),
        )
            .prop_map(|(header, rows, edits)| {
                let quote = |v: &str| {
                    if v.contains([',', '"', '\n']) {
                        format!("\"{}\"", v.replace('"', "\"\""))
                    } else {
                        v.to_owned()
                    }
                };
                let mut text = header.join(",");
                text.push('\n');
                for row in rows {
                    text.push_str(&row.iter().map(|v| quote(v)).collect::<Vec<_>>().join(","));
                    text.push('\n');
                }
                mutate(&text, &edits)
            })
    }

    proptest! {
        #[test]
        fn an_import_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            check(bytes)?;
        }

        #[test]
        fn an_import_of_gbk_ish_bytes_never_panics(bytes in gbk_ish()) {
            check(bytes)?;
        }

        #[test]
        fn an_import_of_a_mutated_spreadsheet_accepts_only_good_rows(text in sheet(), gbk in any::<bool>()) {
            let bytes = if gbk {
                encoding_rs::GBK.encode(&text).0.into_owned()
            } else {
                text.into_bytes()
            };
            check(bytes)?;
        }

        #[test]
        fn the_sample_import_mutated_accepts_only_good_rows(edits in edits()) {
            check(mutate(include_str!("../../config/samples/cases.csv"), &edits).into_bytes())?;
        }
    }
}
