//! A section's open deadlines as an iCalendar file (RFC 5545), for the section head's calendar
//! app. Pure: cases and their evaluated stages in, text out.
//!
//! - One all-day event per open stage with a deadline: `DTSTART;VALUE=DATE` is the deadline,
//!   `DTEND;VALUE=DATE` the day after (RFC 5545 3.6.1: DTEND is exclusive).
//! - `UID` is `REFERENCE-STAGE@duewatch`, the same on every export, so importing a newer file
//!   updates the event instead of adding a second one. `SEQUENCE` counts the recorded changes
//!   that move a deadline (each extension, each suspension and each resumption, arts. 20, 21),
//!   so it only grows and a calendar app takes the newer version; `LAST-MODIFIED` is the day
//!   of the latest of those changes (or of the forwarding). A deadline moved by an edit of the
//!   holiday calendar keeps its SEQUENCE: apps that compare DTSTAMP (which is the export time)
//!   still update it.
//! - A suspended stage has no deadline (art. 21) and is left out, as are answered stages.
//! - Lines end in CRLF and are folded at 75 octets, never inside a UTF-8 character; text
//!   values escape `\`, `;`, `,` and newlines.
//!
//! Written by hand rather than with a crate: the subset needed is small (VCALENDAR, VEVENT,
//! a dozen properties), and the folding and escaping rules are a few lines that the tests here
//! pin down, where the iCalendar crates bring builders and dependencies for much more.

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::case::Case;
use crate::domain::deadline::{CaseStatus, Stage, State};

/// One all-day event: a stage's deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `REFERENCE-STAGE@duewatch`.
    pub uid: String,
    /// Changes that moved the deadline so far.
    pub sequence: u32,
    /// The day of the latest such change.
    pub last_modified: NaiveDate,
    /// The deadline.
    pub due: NaiveDate,
    /// One line.
    pub summary: String,
    /// How the deadline was reached.
    pub description: String,
}

/// The event of `case`'s open stage, when it has a deadline (not suspended, not done).
pub fn event(case: &Case, status: &CaseStatus) -> Option<Event> {
    let current = status.current?;
    let s = status.stages.iter().find(|s| s.stage == current)?;
    if s.state != State::Running || case.closed_on.is_some() {
        return None;
    }
    let due = s.due?;
    let what = match s.stage {
        Stage::Forward => "转办期限",
        Stage::Reply => "答复期限",
    };
    let mut changes: Vec<NaiveDate> = vec![case.received_on];
    changes.extend(case.forwarded_on);
    changes.extend(case.extensions.iter().map(|e| e.approved_on));
    for sp in &case.suspensions {
        changes.push(sp.from);
        changes.extend(sp.until);
    }
    let sequence = case.extensions.len()
        + case
            .suspensions
            .iter()
            .map(|sp| 1 + usize::from(sp.until.is_some()))
            .sum::<usize>();
    // In Chinese, as the summary: section heads read it in their calendar app.
    let mut description = s
        .explanation
        .iter()
        .map(crate::domain::deadline::Step::zh)
        .collect::<Vec<_>>()
        .join("\n");
    if s.provisional {
        description.push_str("\n暂定：所涉年份的节假日安排尚未载入，期限可能变动。");
    }
    Some(Event {
        uid: format!("{}-{}@duewatch", case.reference, s.stage.as_str()),
        sequence: u32::try_from(sequence).unwrap_or(u32::MAX),
        last_modified: changes.into_iter().max().unwrap_or(case.received_on),
        due,
        summary: format!(
            "【{what}】{}{}{}",
            case.reference,
            case.subject
                .as_deref()
                .map(|x| format!(" {x}"))
                .unwrap_or_default(),
            if s.provisional { "（暂定）" } else { "" }
        ),
        description,
    })
}

/// The calendar file: `name` as the calendar's name, `stamp` (UTC) as every event's DTSTAMP.
pub fn write(name: &str, events: &[Event], stamp: NaiveDateTime) -> String {
    let mut out = String::new();
    let stamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    let mut line = |s: &str| fold_into(&mut out, s);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//duewatch//disclosure request deadlines//ZH");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line(&format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", escape(&e.uid)));
        line(&format!("DTSTAMP:{stamp}"));
        line(&format!("SEQUENCE:{}", e.sequence));
        line(&format!(
            "LAST-MODIFIED:{}",
            e.last_modified.format("%Y%m%dT000000Z")
        ));
        line(&format!("DTSTART;VALUE=DATE:{}", e.due.format("%Y%m%d")));
        let end = e.due.succ_opt().unwrap_or(e.due);
        line(&format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
        line(&format!("SUMMARY:{}", escape(&e.summary)));
        line(&format!("DESCRIPTION:{}", escape(&e.description)));
        line("TRANSP:TRANSPARENT");
        line("STATUS:CONFIRMED");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

/// Escapes a TEXT value (RFC 5545 3.3.11).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets (RFC 5545 3.1): a continuation line starts
/// with a space, and no UTF-8 character is split.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    let _ = out.write_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_folded_at_75_octets_between_characters() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "养老保险缴费记录".repeat(6));
        fold_into(&mut out, &long);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, long);
        assert!(out.lines().count() > 1);
    }

    #[test]
    fn a_stage_overdue_before_its_suspension_keeps_its_event_and_one_suspended_in_time_has_none() {
        use crate::calendar::{Calendar, LocalOverlay, shipped};
        use crate::domain::case::{Reference, SectionCode, Suspension, SuspensionReason};
        use crate::domain::deadline::{Rules, evaluate};
        let d = |s: &str| s.parse::<NaiveDate>().expect("a test date");
        let cal = Calendar::new(
            shipped::years().expect("shipped years"),
            LocalOverlay::default(),
        )
        .expect("a calendar");
        // Forwarded Tue 2026-11-03: reply due 11-17.
        let suspended_from = |from: &str| {
            let mut c =
                Case::received(Reference::parse("2026-0042").expect("ref"), d("2026-11-02"));
            c.forwarded_on = Some(d("2026-11-03"));
            c.section = Some(SectionCode::parse("ss").expect("code"));
            c.suspensions.push(Suspension {
                from: d(from),
                until: None,
                reason: SuspensionReason::ThirdParty,
                note: None,
                notice_on: None,
                resumption_notice_on: None,
            });
            c
        };
        let event_at = |c: &Case| {
            let status = evaluate(c, &Rules::default(), &cal, d("2026-11-24")).expect("in range");
            event(c, &status)
        };
        // Suspended after the deadline passed: the clock was not stopped, the event stays.
        let late = event_at(&suspended_from("2026-11-20")).expect("an event");
        assert_eq!(late.due, d("2026-11-17"));
        assert!(
            late.description.contains("晚于期限（2026-11-17）届满"),
            "{}",
            late.description
        );
        // Suspended on the due date itself: in time, no deadline, no event.
        assert_eq!(event_at(&suspended_from("2026-11-17")), None);
    }

    #[test]
    fn text_values_escape_commas_semicolons_backslashes_and_newlines() {
        assert_eq!(escape("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
