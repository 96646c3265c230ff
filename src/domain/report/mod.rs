//! Supervision figures for a period (arts. 23, 24): per responsible party (the office for the
//! forward stage, each section for the reply stage), how many stages were handled, on time or
//! late, what is still open and overdue, extensions, suspensions and missing written notices;
//! and the list of late and overdue cases. Pure: cases, rules and a calendar in, figures out; no
//! database, no clock, no I/O (the writers are in [`crate::output`]).
//!
//! # Which stages a period counts
//!
//! A period is the dates `from..=to`. Each case is first seen **as it stood at the end of the
//! period** ([`as_of`]): acts recorded after `to` (a forwarding, a reply, an extension, a
//! suspension, a resumption, a written notice, a closure) are left out, so a report on a past
//! month gives the same figures whenever it is run. Then, per stage (domain.md, "The two
//! stages"):
//!
//! - **answered** (办结): the stage's act (the forwarding, art. 19; the reply, arts. 19–20) falls
//!   in the period. It is **on time** when on or before the stage's deadline (which includes the
//!   granted extensions, art. 20, and skips suspended working days, art. 21), else **late**, by
//!   the working days `d` with `due < d <= act`.
//! - **open and overdue** (超期未办结): at `to` the stage is not done, the case not closed, and
//!   `to > due`, whatever period the deadline fell in: an overdue stage stays on every report
//!   until it is done. A suspended stage (an open suspension) has no deadline and is not
//!   overdue; but a suspension that began after the deadline had passed stops no clock
//!   (domain.md: flagged late), so that stage stays overdue.
//! - **handled** (应办结件数) = answered + open stages whose deadline fell in the period and had
//!   passed by `to` (`from <= due < to`). A stage due on `to` itself and not yet done is not
//!   counted yet: it is not late, and it is counted in the period where it is done.
//! - **on-time rate** (按期办结率) = on time / handled; none when nothing was handled. So a stage
//!   overdue at the end of one month counts against that month, and, when answered late in a
//!   later month, against that month too: both missed. (domain.md is silent here; this is our
//!   choice, and it never rewards leaving a case unanswered.)
//! - **extensions** (延期): approved in the period (art. 20), with their working days and how many
//!   were approved after the deadline they extend had passed (late extensions, art. 20). They
//!   belong to the section.
//! - **suspensions** (中止): those starting in the period (art. 21), of them those that began
//!   after the deadline had passed (late, domain.md: they stop no clock), and the working days of the
//!   period that any suspension covered (`from <= d < until`; an open one up to `to`, or to
//!   the answer or closure when earlier). A
//!   suspension belongs to the stage running when it began: the reply stage when the case was
//!   forwarded on or before its first day, else the forward stage.
//! - **written notices missing** (书面告知缺失): notices (arts. 20, 21) whose time
//!   (`rules.notice_within` working days after the event) ran out in the period (`from <= due <
//!   to`) and that were not recorded by `to`, attributed like suspensions (extension notices to
//!   the section). Once a case is answered no notice can be recorded for it, so a notice missed
//!   counts in the period it was missed, not again on every later report.
//! - **red cards** (红牌): the notifications of the highest overdue grade (issue 17) recorded
//!   in the period that reached the responsible party (its address, for its own stage), each
//!   (case, stage, deadline) once however often it was repeated. They come from duewatch's
//!   record of what it told, not from the case, so a report run again later gives the same
//!   count only while those records are kept; the caller adds them ([`Report::add_red_card`]).
//!
//! - **returns** (退回): a section that gave a case back as not its own (退回) answers for the
//!   time it held it: the return counts for that section in the period it falls in, with the
//!   working days from its forwarding to the return (`forwarded_on < d <= returned_on`). The
//!   extensions approved and the suspensions begun while it held the case are its own, as are
//!   their written notices. The forward stage, open again until the office forwards the case
//!   anew (改派), stays the office's, and the reply stage is the new section's.
//!
//! Cases answered on the spot have no stages; cases closed by other means (withdrawn, merged) on
//! or before `to` count only for what was done before the closure.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::{Calendar, OutOfRange};
use crate::domain::case::{Case, SectionCode};
use crate::domain::deadline::{self, Responsible, Rules, Stage, State};

/// A report's period: the dates `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

impl Period {
    /// The dates `from..=to`.
    ///
    /// # Errors
    /// `to` before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, String> {
        if to < from {
            return Err(format!(
                "the period ends ({to}) before it starts ({from}): --to must be on or after --from"
            ));
        }
        Ok(Period { from, to })
    }

    /// The calendar month before the one `today` is in (the monthly report's period).
    pub fn month_before(today: NaiveDate) -> Period {
        use chrono::Datelike;
        let first_of_this = today.with_day(1).unwrap_or(today);
        let to = first_of_this.pred_opt().unwrap_or(first_of_this);
        let from = to.with_day(1).unwrap_or(to);
        Period { from, to }
    }

    /// The first day.
    pub fn from(self) -> NaiveDate {
        self.from
    }

    /// The last day (included).
    pub fn to(self) -> NaiveDate {
        self.to
    }

    /// The earliest answer or closure date of a case that can still count in this period:
    /// readers may leave out the cases answered or closed before it ([`crate::store::Store::period_cursor`]).
    ///
    /// A finished case counts only by what it did in the period (its answer, an extension, a
    /// suspension: all on or before the answer or closure) or by a written notice whose time ran
    /// out in it (arts. 20, 21), `rules.notice_within` working days after an act of the case.
    /// `n` working days span at most `n` weeks' weekends and the longest break of the year
    /// (Spring Festival, National Day: 8–9 rest days in a row), so `2n + 21` calendar days before
    /// the period is a safe margin without a calendar; the test
    /// `a_case_finished_before_the_reading_margin_counts_in_nothing` checks it on the real
    /// calendars.
    pub fn counts_cases_finished_since(self, rules: &Rules) -> NaiveDate {
        let margin = 2 * u64::from(rules.notice_within) + 21;
        self.from
            .checked_sub_days(chrono::Days::new(margin))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Whether `d` is one of the period's dates.
    pub fn contains(self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
}

/// The figures of one responsible party (or of all, as the total).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Stages counted in the period: answered + open ones whose deadline passed in it.
    pub handled: u32,
    /// Answered in the period on or before the deadline.
    pub on_time: u32,
    /// Answered in the period after the deadline.
    pub late: u32,
    /// Working days late, summed over the late ones.
    pub late_days_total: u32,
    /// Working days late, the most of one.
    pub late_days_max: u32,
    /// Not done at the end of the period and past the deadline (whenever it fell).
    pub open_overdue: u32,
    /// Extensions approved in the period (art. 20).
    pub extensions: u32,
    /// Working days those extensions granted.
    pub extension_days: u32,
    /// Of those, approved after the deadline they extend had passed.
    pub late_extensions: u32,
    /// Suspensions starting in the period (art. 21).
    pub suspensions: u32,
    /// Working days of the period covered by a suspension.
    pub suspended_days: u32,
    /// Of the suspensions starting in the period, those that began after the deadline had
    /// passed (they stop no clock; domain.md).
    pub late_suspensions: u32,
    /// Written notices (arts. 20, 21) whose time ran out in the period, not recorded by its end.
    pub notices_missing: u32,
    /// Red cards received in the period (issue 17): notifications of the highest overdue grade
    /// (`[[escalation.grades]]`' last) that reached the party as the one responsible, each
    /// (case, stage, deadline) once. Counted from the notifications duewatch recorded, not
    /// from the cases ([`Report::add_red_card`]); 0 without grades.
    pub red_cards: u32,
    /// Cases the section gave back in the period as not its own (退回).
    pub returns: u32,
    /// Working days it had held them, from its forwarding to the return.
    pub returned_days: u32,
}

impl Figures {
    /// On time / handled, from 0 to 1; `None` when nothing was handled.
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.handled > 0).then(|| f64::from(self.on_time) / f64::from(self.handled))
    }

    fn add(&mut self, o: &Figures) {
        self.handled += o.handled;
        self.on_time += o.on_time;
        self.late += o.late;
        self.late_days_total += o.late_days_total;
        self.late_days_max = self.late_days_max.max(o.late_days_max);
        self.open_overdue += o.open_overdue;
        self.extensions += o.extensions;
        self.extension_days += o.extension_days;
        self.late_extensions += o.late_extensions;
        self.suspensions += o.suspensions;
        self.suspended_days += o.suspended_days;
        self.late_suspensions += o.late_suspensions;
        self.notices_missing += o.notices_missing;
        self.red_cards += o.red_cards;
        self.returns += o.returns;
        self.returned_days += o.returned_days;
    }
}

/// Whether a listed case was answered late or is still open past its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lateness {
    /// Answered in the period, after the deadline.
    Late,
    /// Not done at the end of the period, past the deadline.
    Overdue,
}

impl Lateness {
    /// The Chinese label used in the outputs.
    pub fn label(self) -> &'static str {
        match self {
            Lateness::Late => "逾期办结",
            Lateness::Overdue => "超期未办结",
        }
    }
}

/// One late or overdue stage, for the list of cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseLine {
    /// The case.
    pub reference: String,
    /// What was asked.
    pub subject: Option<String>,
    /// Which stage.
    pub stage: Stage,
    /// Who had to act.
    pub responsible: Responsible,
    /// The day counting started after.
    pub start: NaiveDate,
    /// The deadline.
    pub due: NaiveDate,
    /// The act's day, when answered late.
    pub done_on: Option<NaiveDate>,
    /// Working days late (answered) or overdue at the end of the period (open).
    pub working_days: u32,
    /// Late or overdue.
    pub lateness: Lateness,
    /// Whether a year without a loaded calendar was involved.
    pub provisional: bool,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The period.
    pub period: Period,
    /// Figures per responsible party, office first, then sections by code.
    pub rows: BTreeMap<Responsible, Figures>,
    /// Late and overdue stages, by reference then stage.
    pub cases: Vec<CaseLine>,
    /// Whether any figure rests on a year without a loaded calendar.
    pub provisional: bool,
}

impl Report {
    /// An empty report for `period`; add cases with [`Report::add`].
    pub fn new(period: Period) -> Report {
        Report {
            period,
            rows: BTreeMap::new(),
            cases: Vec::new(),
            provisional: false,
        }
    }

    /// The figures of every party added up.
    pub fn total(&self) -> Figures {
        let mut t = Figures::default();
        for f in self.rows.values() {
            t.add(f);
        }
        t
    }

    /// Counts `case` in the report (cases received after the period are ignored). Call
    /// [`Report::finish`] once all are added.
    ///
    /// # Errors
    /// [`OutOfRange`] when a date of the case lies outside the calendar's range.
    pub fn add(&mut self, case: &Case, rules: &Rules, cal: &Calendar) -> Result<(), OutOfRange> {
        let period = self.period;
        let Some(case) = as_of(case, period.to) else {
            return Ok(());
        };
        let status = deadline::evaluate(&case, rules, cal, period.to)?;
        let section_party = case
            .section
            .clone()
            .map_or(Responsible::Office, Responsible::Section);
        // The party running the case on `day`: the section once it was forwarded (art. 19), or
        // the section that held it then and later gave it back (退回).
        let party_on = |day: NaiveDate| {
            if let Some(r) = case
                .returns
                .iter()
                .find(|r| r.forwarded_on <= day && day < r.returned_on)
            {
                return Responsible::Section(r.section.clone());
            }
            match case.forwarded_on {
                Some(f) if f <= day => section_party.clone(),
                _ => Responsible::Office,
            }
        };

        for s in &status.stages {
            let row = self.rows.entry(s.responsible.clone()).or_default();
            let done_on = match s.stage {
                Stage::Forward => case.forwarded_on,
                Stage::Reply => case.replied_on,
            };
            self.provisional |= s.provisional;
            match (done_on, s.state, s.due) {
                // An answer while a suspension was still open has no deadline and is on time
                // (art. 21: the clock stood still).
                (Some(done), State::DoneOnTime, _) if period.contains(done) => {
                    row.handled += 1;
                    row.on_time += 1;
                }
                (Some(done), State::DoneLate { by }, Some(due)) if period.contains(done) => {
                    row.handled += 1;
                    row.late += 1;
                    row.late_days_total += by;
                    row.late_days_max = row.late_days_max.max(by);
                    self.cases
                        .push(line(&case, s, due, Some(done), by, Lateness::Late));
                }
                (None, State::Running, Some(due))
                    if case.closed_on.is_none() && period.to > due =>
                {
                    let by = s.overdue_by.unwrap_or(0);
                    row.open_overdue += 1;
                    if due >= period.from {
                        row.handled += 1;
                    }
                    self.cases
                        .push(line(&case, s, due, None, by, Lateness::Overdue));
                }
                // Suspended (no deadline), not yet due, closed, or done in another period.
                _ => {}
            }
        }

        // art. 20: extensions belong to the section that held the case when they were approved
        // (the one forwarded to, or one that gave it back since); lateness is known of the
        // reply stage now running.
        if let Some(reply) = status.stages.iter().find(|s| s.stage == Stage::Reply) {
            for (i, e) in case.extensions.iter().enumerate() {
                if period.contains(e.approved_on) {
                    let row = self.rows.entry(party_on(e.approved_on)).or_default();
                    row.extensions += 1;
                    row.extension_days += e.days;
                    if reply.late_extensions.contains(&i) {
                        row.late_extensions += 1;
                    }
                }
            }
        }

        // 退回: the section that gave the case back answers for the time it held it.
        for r in case
            .returns
            .iter()
            .filter(|r| period.contains(r.returned_on))
        {
            let (held, y) = cal
                .working_days_between(r.forwarded_on, r.returned_on)?
                .into_parts();
            self.provisional |= y.is_some();
            let row = self
                .rows
                .entry(Responsible::Section(r.section.clone()))
                .or_default();
            row.returns += 1;
            row.returned_days += held;
        }

        // art. 21: suspensions, by the stage running when they began.
        for (i, sp) in case.suspensions.iter().enumerate() {
            let party = party_on(sp.from);
            let lo = sp.from.max(period.from);
            // An open suspension stands until the end of the period, or until the case was
            // answered or closed, if earlier.
            let finished = case.replied_on.or(case.closed_on).unwrap_or(period.to);
            let end = sp
                .until
                .map_or(finished.min(period.to), |u| u.pred_opt().unwrap_or(u));
            let hi = end.min(period.to);
            let days = if hi >= lo {
                let (n, y) = cal
                    .working_days_between(lo.pred_opt().unwrap_or(lo), hi)?
                    .into_parts();
                self.provisional |= y.is_some();
                n
            } else {
                0
            };
            let row = self.rows.entry(party).or_default();
            row.suspended_days += days;
            if period.contains(sp.from) {
                row.suspensions += 1;
                if status
                    .stages
                    .iter()
                    .any(|s| s.late_suspensions.contains(&i))
                {
                    row.late_suspensions += 1;
                }
            }
        }

        // arts. 20, 21: written notices whose time ran out by `to`.
        // Counted in the period their time ran out in, like deadlines: a notice can no longer be
        // recorded once the case is answered, so counting every missing one on every later
        // report would only grow.
        for n in status
            .notices
            .iter()
            .filter(|n| n.missing && n.due >= period.from)
        {
            // Extension notices to the section that held the case at the approval (art. 20),
            // suspension and resumption notices by the stage running then (art. 21).
            let party = party_on(n.event_on);
            self.rows.entry(party).or_default().notices_missing += 1;
        }
        Ok(())
    }

    /// Orders the list of cases (by reference, then stage).
    pub fn finish(&mut self) {
        self.cases
            .sort_by(|a, b| (&a.reference, a.stage).cmp(&(&b.reference, b.stage)));
    }

    /// Counts a red card `party` received in the period (issue 17; the caller reads them from
    /// the notifications and knows whose address was told).
    pub fn add_red_card(&mut self, party: Responsible) {
        self.rows.entry(party).or_default().red_cards += 1;
    }

    /// The sections of the report, by code, in the configured order first, then any others.
    pub fn parties<'a>(&'a self, configured: &[SectionCode]) -> Vec<&'a Responsible> {
        let mut out: Vec<&Responsible> = Vec::new();
        if let Some((office, _)) = self.rows.get_key_value(&Responsible::Office) {
            out.push(office);
        }
        for code in configured {
            if let Some((r, _)) = self.rows.get_key_value(&Responsible::Section(code.clone())) {
                out.push(r);
            }
        }
        for r in self.rows.keys() {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }
}

fn line(
    case: &Case,
    s: &deadline::StageStatus,
    due: NaiveDate,
    done_on: Option<NaiveDate>,
    working_days: u32,
    lateness: Lateness,
) -> CaseLine {
    CaseLine {
        reference: case.reference.to_string(),
        subject: case.subject.as_deref().map(str::to_owned),
        stage: s.stage,
        responsible: s.responsible.clone(),
        start: s.start,
        due,
        done_on,
        working_days,
        lateness,
        provisional: s.provisional,
    }
}

/// The case as it stood at the end of `day`: what was recorded as happening later is left
/// out. `None` when it was received after `day`.
pub fn as_of(case: &Case, day: NaiveDate) -> Option<Case> {
    if case.received_on > day {
        return None;
    }
    let after = |d: Option<NaiveDate>| d.filter(|d| *d <= day);
    let mut c = case.clone();
    // A return (退回) after `day`: the case was still at that section then (or at the office,
    // if forwarded to it after `day`); what came later is left out.
    if let Some(i) = c.returns.iter().position(|r| r.returned_on > day) {
        let r = c.returns[i].clone();
        c.returns.truncate(i);
        (c.forwarded_on, c.section) = if r.forwarded_on <= day {
            (Some(r.forwarded_on), Some(r.section))
        } else {
            (None, None)
        };
    }
    if c.forwarded_on.is_some_and(|f| f > day) {
        c.forwarded_on = None;
        c.section = None;
    }
    c.replied_on = after(c.replied_on);
    if c.closed_on.is_some_and(|d| d > day) {
        c.closed_on = None;
        c.close_reason = None;
    }
    c.extensions.retain(|e| e.approved_on <= day);
    for e in &mut c.extensions {
        e.notice_on = after(e.notice_on);
    }
    c.suspensions.retain(|s| s.from <= day);
    for s in &mut c.suspensions {
        s.until = after(s.until);
        s.notice_on = after(s.notice_on);
        s.resumption_notice_on = after(s.resumption_notice_on);
    }
    Some(c)
}

#[cfg(test)]
mod tests;
