//! Report figures and section calendars streamed from the cases (the built-in store or the case
//! system of `cases.source`) into the formats of [`crate::output`]: a [`Report`] over every case
//! for a period ([`collect`], for `duewatch report` and the monthly report), and a section's open
//! deadlines as iCalendar text ([`section_ics`], [`sections_ics`], for `duewatch ics` and the
//! digests' attachments). The figures and the file formats are in the pure modules
//! ([`crate::domain::report`], [`crate::output::ics`]); this file only reads the cases into
//! them, and writes nothing.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::calendar::Calendar;
use crate::config::Config;
use crate::domain::case::SectionCode;
use crate::domain::deadline::{self, Responsible};
use crate::domain::report::{Period, Report};
use crate::source::Source;

/// A report over the cases (of the store or the case system) that can count in `period`, and the cases that could not be read or
/// evaluated (named, one a line; the others are counted).
///
/// # Errors
/// A database failure.
pub async fn collect(
    store: &crate::store::Store,
    source: &Source,
    config: &Config,
    cal: &Calendar,
    period: Period,
) -> anyhow::Result<(Report, Vec<String>)> {
    let mut report = Report::new(period);
    let mut bad = Vec::new();
    // Finished cases too (a reply in the period is on a finished case), but not those finished
    // too long before the period to count in it.
    let since = period.counts_cases_finished_since(&config.rules);
    source
        .scan_for_period(since, |case| {
            match case {
                Ok(case) => {
                    if let Err(e) = report.add(&case, &config.rules, cal) {
                        bad.push(format!("case {}: {e}", case.reference));
                    }
                }
                Err(e) => bad.push(e.to_string()),
            }
            Ok(())
        })
        .await?;
    red_cards(store, config, period, &mut report).await?;
    report.finish();
    Ok((report, bad))
}

/// The red cards of the period, per party (issue 17): the notifications of the highest grade
/// recorded on a local date of `period` (in `timezone`) and sent to the responsible party's
/// address: a forward stage's to the office's, a reply stage's to a section's; each (case,
/// stage, deadline) once per party. Nothing without grades.
///
/// # Errors
/// A database failure.
async fn red_cards(
    store: &crate::store::Store,
    config: &Config,
    period: Period,
    report: &mut Report,
) -> anyhow::Result<()> {
    let Some(red) = config.escalation.grades.last() else {
        return Ok(());
    };
    let tz = config.timezone.tz();
    let mut seen = std::collections::HashSet::new();
    for n in store.grade_mailed(&format!("overdue:{}", red.code)).await? {
        if !period.contains(n.created_at.with_timezone(&tz).date_naive()) {
            continue;
        }
        let to = n.recipient.as_str();
        let party = match n.stage.as_str() {
            "forward" if config.office.emails.iter().any(|e| e == to) => Responsible::Office,
            "reply" => match config
                .sections
                .iter()
                .find(|s| s.emails.iter().any(|e| e == to))
            {
                Some(s) => Responsible::Section(s.code.clone()),
                None => continue,
            },
            _ => continue,
        };
        if seen.insert((party.clone(), n.case_reference, n.stage, n.deadline)) {
            report.add_red_card(party);
        }
    }
    Ok(())
}

/// The iCalendar file of `section`'s open deadlines as of `today` (DTSTAMP `stamp`, UTC), and
/// how many events it holds.
///
/// # Errors
/// A database failure.
pub async fn section_ics(
    source: &Source,
    config: &Config,
    cal: &Calendar,
    section: &SectionCode,
    today: NaiveDate,
    stamp: NaiveDateTime,
) -> anyhow::Result<(String, usize)> {
    let mut all = sections_ics(
        source,
        config,
        cal,
        std::slice::from_ref(section),
        today,
        stamp,
    )
    .await?;
    Ok(all.remove(section).unwrap_or_default())
}

/// The iCalendar files of several sections, in one read of the open cases.
///
/// # Errors
/// A database failure.
pub async fn sections_ics(
    source: &Source,
    config: &Config,
    cal: &Calendar,
    sections: &[SectionCode],
    today: NaiveDate,
    stamp: NaiveDateTime,
) -> anyhow::Result<BTreeMap<SectionCode, (String, usize)>> {
    let mut events: BTreeMap<SectionCode, Vec<crate::output::ics::Event>> =
        sections.iter().map(|s| (s.clone(), Vec::new())).collect();
    source
        .scan(true, |case| {
            // A case that cannot be read or evaluated is left out here; `status` names it.
            let Ok(case) = case else { return Ok(()) };
            let Some(list) = case.section.as_ref().and_then(|s| events.get_mut(s)) else {
                return Ok(());
            };
            if let Ok(status) = deadline::evaluate(&case, &config.rules, cal, today)
                && let Some(event) = crate::output::ics::event(&case, &status)
            {
                list.push(event);
            }
            Ok(())
        })
        .await?;
    Ok(events
        .into_iter()
        .map(|(code, list)| {
            let name = config
                .section(&code)
                .map_or_else(|| code.to_string(), |s| s.name.clone());
            let text =
                crate::output::ics::write(&format!("{name} 政府信息公开申请期限"), &list, stamp);
            (code, (text, list.len()))
        })
        .collect())
}

/// `now` (local, in `timezone`) in UTC, for DTSTAMP.
pub fn utc(config: &Config, now: NaiveDateTime) -> NaiveDateTime {
    use chrono::TimeZone as _;
    config
        .timezone
        .tz()
        .from_local_datetime(&now)
        .earliest()
        .map_or(now, |t| t.naive_utc())
}
