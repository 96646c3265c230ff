//! A case system's rows made into [`Case`]s. The rows are decoded by column name into the
//! `Raw…` structs (`#[derive(sqlx::FromRow)]`, one per query of the view contract, fields named
//! after its columns); then each value is parsed (Chinese spellings of channels, close and
//! suspension reasons accepted, a section by its code or its configured name) and the case
//! replayed through the rules of the commands ([`crate::domain::casework::replay`]). A row that
//! fails, or a reference on more than one row of a batch, is a [`StoreError::BadRow`] naming the
//! case. Pure: nothing here runs a query ([`super::sql`] does).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::domain::case::text::cleaned;
use crate::domain::case::{
    Case, Extension, Reference, Return, Subject, Suspension, SuspensionReason,
};
use crate::domain::deadline::Rules;
use crate::domain::outcome::{Applicant, Outcome};
use crate::domain::parties::{Section, section_named, sections_listed};
use crate::store::StoreError;

/// The `reference` column of a row of any of the three queries, read first and on its own: a
/// row without one is skipped, and a row whose other columns cannot be decoded is still an error
/// that names its case.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RowReference {
    pub(super) reference: Option<String>,
}

/// A case row as the case system holds it, before any rule is applied. The fields are decoded
/// in the order they are declared (the first that fails is the one reported).
#[derive(Debug, Default, sqlx::FromRow)]
pub(super) struct RawCase {
    /// Not decoded with the others: taken from the row's [`RowReference`].
    #[sqlx(skip)]
    pub(super) reference: String,
    pub(super) subject: Option<String>,
    pub(super) channel: Option<String>,
    pub(super) received_on: Option<NaiveDate>,
    pub(super) forwarded_on: Option<NaiveDate>,
    pub(super) section: Option<String>,
    pub(super) replied_on: Option<NaiveDate>,
    pub(super) closed_on: Option<NaiveDate>,
    pub(super) close_reason: Option<String>,
    pub(super) outcome: Option<String>,
    pub(super) applicant: Option<String>,
}

/// An extension row (`cases.extensions_query`), before any rule is applied.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RawExtension {
    pub(super) days: Option<i64>,
    pub(super) approved_on: Option<NaiveDate>,
    pub(super) approved_by: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) notice_on: Option<NaiveDate>,
}

/// A suspension row (`cases.suspensions_query`), before any rule is applied.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RawSuspension {
    pub(super) from_on: Option<NaiveDate>,
    pub(super) until_on: Option<NaiveDate>,
    pub(super) reason: Option<String>,
    pub(super) note: Option<String>,
    pub(super) notice_on: Option<NaiveDate>,
    pub(super) resumption_notice_on: Option<NaiveDate>,
}

/// A return row (`cases.returns_query`), before any rule is applied.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RawReturn {
    pub(super) returned_on: Option<NaiveDate>,
    pub(super) section: Option<String>,
    pub(super) forwarded_on: Option<NaiveDate>,
    pub(super) reason: Option<String>,
}

/// A batch's children (extensions, suspensions or returns) by their case's reference: each row as read,
/// or why it cannot be read.
pub(super) type ByReference<C> = HashMap<String, Vec<Result<C, String>>>;

/// A suspension reason as duewatch spells it, or in Chinese.
fn suspension_reason(v: &str) -> Result<SuspensionReason, String> {
    match v {
        "不可抗力" => Ok(SuspensionReason::ForceMajeure),
        "第三方" | "征求第三方意见" => Ok(SuspensionReason::ThirdParty),
        "补正" => Ok(SuspensionReason::Correction),
        "其他" => Ok(SuspensionReason::Other),
        _ => SuspensionReason::parse(v),
    }
}

/// A case system's free text, mended rather than refused (the case stays watched): one line,
/// control characters shown as U+FFFD, cut at `text::MAX_CHARS` ([`cleaned`]). `None` when
/// nothing is left.
fn mended(text: Option<String>) -> Option<String> {
    text.map(|t| cleaned(&t)).filter(|t| !t.is_empty())
}

fn required<T>(value: Option<T>, column: &str, what: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("{column} is empty ({what})"))
}

/// Parses a row and its children (no returns) into a case and replays it through the rules.
#[cfg(test)]
pub(super) fn to_case(
    sections: &[Section],
    rules: &Rules,
    raw: RawCase,
    extensions: Vec<Result<RawExtension, String>>,
    suspensions: Vec<Result<RawSuspension, String>>,
) -> Result<Case, StoreError> {
    let reference = raw.reference.clone();
    parse_case(sections, rules, raw, extensions, suspensions, Vec::new())
        .map_err(|problem| StoreError::BadRow { reference, problem })
}

/// A batch's rows made into cases (`references[i]` is the reference of `raws[i]`), each with its
/// children.
pub(super) fn cases_of(
    sections: &[Section],
    rules: &Rules,
    raws: Vec<Result<RawCase, StoreError>>,
    references: &[String],
    mut extensions: ByReference<RawExtension>,
    mut suspensions: ByReference<RawSuspension>,
    mut returns: ByReference<RawReturn>,
) -> Vec<Result<Case, StoreError>> {
    // A reference on several rows is one bad case, reported once; none of its rows is watched
    // (which of them would be right is the case system's to say).
    let mut rows_of: HashMap<&str, usize> = HashMap::with_capacity(references.len());
    for r in references {
        *rows_of.entry(r.as_str()).or_default() += 1;
    }
    let mut refused = HashSet::new();
    raws.into_iter()
        .zip(references)
        .filter_map(|(raw, reference)| {
            if rows_of.get(reference.as_str()).is_some_and(|n| *n > 1) {
                return refused.insert(reference.as_str()).then(|| {
                    Err(StoreError::BadRow {
                        reference: reference.clone(),
                        problem: "the reference is on more than one row of cases.cases_query; \
                                  references must be unique"
                            .to_owned(),
                    })
                });
            }
            Some(raw.and_then(|raw| {
                let ext = extensions.remove(&raw.reference).unwrap_or_default();
                let sus = suspensions.remove(&raw.reference).unwrap_or_default();
                let ret = returns.remove(&raw.reference).unwrap_or_default();
                let reference = raw.reference.clone();
                parse_case(sections, rules, raw, ext, sus, ret)
                    .map_err(|problem| StoreError::BadRow { reference, problem })
            }))
        })
        .collect()
}

/// A section's code from its code or configured name (a case system may write either).
fn section_code(sections: &[Section], s: &str) -> Result<crate::domain::case::SectionCode, String> {
    let known = section_named(sections, s).ok_or_else(|| {
        if let Some(codes) = crate::domain::parties::ambiguous(sections, s) {
            return format!(
                "section \"{s}\" is the name of sections {codes}: write the code, or give \
                 every section its own name (config check refuses the same name twice)"
            );
        }
        format!(
            "section \"{s}\" is not configured; use a code or name of [[sections]]: {}",
            if sections.is_empty() {
                "none is configured".to_owned()
            } else {
                sections_listed(sections)
            }
        )
    })?;
    Ok(known.code.clone())
}

fn parse_case(
    sections: &[Section],
    rules: &Rules,
    raw: RawCase,
    extensions: Vec<Result<RawExtension, String>>,
    suspensions: Vec<Result<RawSuspension, String>>,
    returns: Vec<Result<RawReturn, String>>,
) -> Result<Case, String> {
    let mut case = Case::received(
        Reference::parse(&raw.reference)?,
        required(
            raw.received_on,
            "received_on",
            "every case has a day of receipt",
        )?,
    );
    case.subject = raw.subject.as_deref().and_then(Subject::mended);
    case.channel = raw
        .channel
        .as_deref()
        .map(crate::domain::case::spelling::channel)
        .transpose()
        .map_err(|e| format!("channel: {e}"))?;
    case.forwarded_on = raw.forwarded_on;
    case.replied_on = raw.replied_on;
    case.closed_on = raw.closed_on;
    case.close_reason = raw
        .close_reason
        .as_deref()
        .map(crate::domain::case::spelling::close_reason)
        .transpose()
        .map_err(|e| format!("close_reason: {e}"))?;
    // The annual report's categories (Regulations art. 50), in Chinese or as codes. An outcome
    // counts only once the case is finished: a case system may fill it in early (a draft
    // decision), and such a case stays watched, its outcome read once it is answered or closed
    // (the commands refuse it instead: duewatch's own cases are recorded act by act).
    let text = |v: Option<String>| v.filter(|t| !t.trim().is_empty());
    let outcome = text(raw.outcome)
        .map(|t| Outcome::parse(&t))
        .transpose()
        .map_err(|e| format!("outcome: {e}"))?;
    case.outcome = outcome.filter(|_| raw.replied_on.is_some() || raw.closed_on.is_some());
    case.applicant = text(raw.applicant)
        .map(|t| Applicant::parse(&t))
        .transpose()
        .map_err(|e| format!("applicant: {e}"))?;
    // A section's code or configured name maps to its code; any other is refused.
    if let Some(s) = raw
        .section
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        case.section = Some(section_code(sections, s)?);
    }
    for r in returns {
        let r = r?;
        let section = required(
            r.section
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
            "returns: section",
            "the section that gave it back",
        )?;
        case.returns.push(Return {
            returned_on: required(
                r.returned_on,
                "returns: returned_on",
                "the day it was given back",
            )?,
            section: section_code(sections, section).map_err(|e| format!("returns: {e}"))?,
            forwarded_on: required(
                r.forwarded_on,
                "returns: forwarded_on",
                "the day it had been forwarded to that section",
            )?,
            // The case system may not say why; the return still counts.
            reason: mended(r.reason).unwrap_or_else(|| "（案件系统未记录理由）".to_owned()),
        });
    }
    for e in extensions {
        let e = e?;
        let days = required(e.days, "extensions: days", "working days granted")?;
        let days = u32::try_from(days)
            .ok()
            .filter(|d| *d >= 1)
            .ok_or_else(|| format!("an extension of {days} days: at least 1 working day"))?;
        case.extensions.push(Extension {
            days,
            approved_on: required(e.approved_on, "extensions: approved_on", "the approval day")?,
            approved_by: required(
                mended(e.approved_by),
                "extensions: approved_by",
                "who approved",
            )?,
            reason: mended(e.reason),
            notice_on: e.notice_on,
        });
    }
    for s in suspensions {
        let s = s?;
        let reason = required(s.reason, "suspensions: reason", "why the clock stopped")?;
        case.suspensions.push(Suspension {
            from: required(
                s.from_on,
                "suspensions: from_on",
                "the first day it stood still",
            )?,
            until: s.until_on,
            reason: suspension_reason(&reason).map_err(|e| format!("suspensions: reason: {e}"))?,
            note: mended(s.note),
            notice_on: s.notice_on,
            resumption_notice_on: s.resumption_notice_on,
        });
    }
    crate::domain::casework::replay(&case, |_| true, rules).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::address::EmailAddress;
    use crate::domain::case::SectionCode;

    fn date(s: &str) -> Option<NaiveDate> {
        Some(s.parse().expect("a test date"))
    }

    fn sections() -> Vec<Section> {
        vec![Section {
            code: SectionCode::parse("ss").expect("a code"),
            name: "社会保险股".to_owned(),
            emails: vec![EmailAddress::parse("ss@bureau.example").expect("an address")],
            channels: Vec::new(),
            mobiles: Vec::new(),
        }]
    }

    fn raw() -> RawCase {
        RawCase {
            reference: "2026-0042".to_owned(),
            channel: Some("网络".to_owned()),
            received_on: date("2026-11-02"),
            forwarded_on: date("2026-11-04"),
            section: Some("社会保险股".to_owned()),
            ..RawCase::default()
        }
    }

    #[test]
    fn chinese_spellings_and_a_section_name_are_understood() {
        let suspension = RawSuspension {
            from_on: date("2026-11-10"),
            until_on: None,
            reason: Some("不可抗力".to_owned()),
            note: None,
            notice_on: None,
            resumption_notice_on: None,
        };
        let case = to_case(
            &sections(),
            &Rules::default(),
            raw(),
            vec![],
            vec![Ok(suspension)],
        )
        .expect("a good row");
        assert_eq!(case.section.as_ref().map(SectionCode::as_str), Some("ss"));
        assert_eq!(case.channel, Some(crate::domain::case::Channel::Online));
        assert_eq!(case.suspensions[0].reason, SuspensionReason::ForceMajeure);
    }

    #[test]
    fn a_case_systems_free_text_is_mended_and_the_case_kept() {
        let mut odd = raw();
        odd.subject = Some(format!("养老\r\n保险\u{1b}[2J{}", "长".repeat(300)));
        let extension = RawExtension {
            days: Some(5),
            approved_on: date("2026-11-05"),
            approved_by: Some("局长\n（代）\u{202E}".to_owned()),
            reason: Some("\r\n".to_owned()),
            notice_on: None,
        };
        let case = to_case(
            &sections(),
            &Rules::default(),
            odd,
            vec![Ok(extension)],
            vec![],
        )
        .expect("odd text does not stop the case");
        let subject = case.subject.expect("a subject");
        assert!(subject.starts_with("养老 保险\u{FFFD}[2J长"), "{subject}");
        assert_eq!(
            subject.chars().count(),
            crate::domain::case::text::MAX_CHARS
        );
        assert_eq!(case.extensions[0].approved_by, "局长 （代）\u{FFFD}");
        assert_eq!(
            case.extensions[0].reason, None,
            "nothing but line breaks is no reason"
        );
    }

    #[test]
    fn a_section_name_two_sections_have_is_refused_not_guessed() {
        let mut two = sections();
        two.push(Section {
            code: SectionCode::parse("bg").expect("a code"),
            name: "社会保险股".to_owned(),
            emails: vec![EmailAddress::parse("bg@bureau.example").expect("an address")],
            channels: Vec::new(),
            mobiles: Vec::new(),
        });
        let e =
            to_case(&two, &Rules::default(), raw(), vec![], vec![]).expect_err("an ambiguous name");
        assert!(
            e.to_string().contains(
                "section \"社会保险股\" is the name of sections ss and bg: write the code"
            ),
            "{e}"
        );
        let mut by_code = raw();
        by_code.section = Some("bg".to_owned());
        let case = to_case(&two, &Rules::default(), by_code, vec![], vec![]).expect("by code");
        assert_eq!(case.section.as_ref().map(SectionCode::as_str), Some("bg"));
    }

    #[test]
    fn a_bad_value_names_the_case_and_the_column() {
        let mut bad = raw();
        bad.channel = Some("电话".to_owned());
        let e = to_case(&sections(), &Rules::default(), bad, vec![], vec![])
            .expect_err("an unknown channel");
        let text = e.to_string();
        assert!(
            text.starts_with("case 2026-0042 in the case system (cases.url): channel: \"电话\""),
            "{text}"
        );

        let extension = RawExtension {
            days: Some(0),
            approved_on: date("2026-11-05"),
            approved_by: Some("局长".to_owned()),
            reason: None,
            notice_on: None,
        };
        let e = to_case(
            &sections(),
            &Rules::default(),
            raw(),
            vec![Ok(extension)],
            vec![],
        )
        .expect_err("an extension of 0 days");
        assert!(
            e.to_string()
                .contains("an extension of 0 days: at least 1 working day"),
            "{e}"
        );

        let mut missing = raw();
        missing.received_on = None;
        let e = to_case(&sections(), &Rules::default(), missing, vec![], vec![])
            .expect_err("no day of receipt");
        assert!(e.to_string().contains("received_on is empty"), "{e}");
    }

    #[test]
    fn the_annual_reports_categories_are_read_in_chinese_or_as_codes() {
        let mut answered = raw();
        answered.replied_on = date("2026-11-13");
        answered.outcome = Some("不予公开：属于国家秘密".to_owned());
        answered.applicant = Some("法律服务机构".to_owned());
        let case =
            to_case(&sections(), &Rules::default(), answered, vec![], vec![]).expect("a good row");
        assert_eq!(case.outcome, Some(Outcome::StateSecret));
        assert_eq!(case.applicant, Some(Applicant::LegalService));

        // An open case's outcome (a draft decision) waits for the reply; the case stays watched.
        let mut open = raw();
        open.outcome = Some("disclosed".to_owned());
        open.applicant = Some("natural_person".to_owned());
        let case =
            to_case(&sections(), &Rules::default(), open, vec![], vec![]).expect("still watched");
        assert_eq!(case.outcome, None);
        assert_eq!(case.applicant, Some(Applicant::NaturalPerson));

        let mut unknown = raw();
        unknown.applicant = Some("张三".to_owned());
        let e = to_case(&sections(), &Rules::default(), unknown, vec![], vec![])
            .expect_err("a name is no category");
        assert!(
            e.to_string().starts_with(
                "case 2026-0042 in the case system (cases.url): applicant: \"张三\" is not an \
                 applicant category"
            ),
            "{e}"
        );
    }
}
