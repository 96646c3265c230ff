//! The import file's columns ([`COLUMNS`]: English and Chinese names, required or not, what each
//! holds), the header's names mapped to them, and how a cell of each is read: dates as
//! spreadsheets write them, counts of working days, one-line text, sections by code or name,
//! and the refusal of invisible characters in any cell. The Chinese spellings of channels and
//! close reasons are the domain's ([`crate::domain::case::spelling`]).

use chrono::NaiveDate;

use crate::config::Config;
use crate::domain::case::SectionCode;
use crate::domain::case::text::{self, Breaks};

/// A column of the import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Column {
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
    Outcome,
    Applicant,
}

/// Every column: its name, the Chinese names accepted for it, whether it is required, and what
/// it holds. The table in docs/administrator.md, "Importing cases", is this one.
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
    (
        "outcome",
        &["办理结果", "处理结果"],
        false,
        "how it ended, for the annual report: a code or Chinese name of table 3 (disclosed, 予以公开, withheld.state_secret, 不予公开：属于国家秘密, …); needs replied_on or closed_on",
    ),
    (
        "applicant",
        &["申请人类别", "申请人情况"],
        false,
        "who asked: natural_person|business|research|public_interest|legal_service|other_organisation (自然人|商业企业|科研机构|社会公益组织|法律服务机构|其他)",
    ),
];

pub(super) const ORDER: [Column; 15] = [
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
    Column::Outcome,
    Column::Applicant,
];

pub(super) fn column(header: &str) -> Option<Column> {
    let h = header.trim();
    COLUMNS
        .iter()
        .zip(ORDER)
        .find(|((name, chinese, _, _), _)| name.eq_ignore_ascii_case(h) || chinese.contains(&h))
        .map(|(_, c)| c)
}

/// Text of a cell that must be one line: its line breaks (Alt+Enter in Excel) become spaces.
pub(super) fn cell_line(v: &str) -> Result<String, String> {
    text::one_line(v, Breaks::Fold).map_err(|e| e.to_string())
}

/// Every cell: no control or format character (a NUL byte, ESC, a bidi override), which no
/// column needs and which would reach the database (PostgreSQL refuses a NUL in text, naming a
/// line of its own), mails and terminals. Text columns may hold line breaks (they are folded).
pub(super) fn visible(c: Column, v: &str) -> Result<(), String> {
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
pub(super) fn date(v: &str) -> Result<NaiveDate, String> {
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

pub(super) fn days(v: &str) -> Result<u32, String> {
    v.parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("\"{v}\" is not a number of working days from 1"))
}

/// A section by its code or its configured name.
pub(super) fn section(v: &str, config: &Config) -> Result<SectionCode, String> {
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
