//! The clock of a stage (art. 21): the N-th **counted** working day after its start, skipping
//! the working days a suspension covers, or the open suspension that stops it. Pure, like the
//! rest of the engine; [`super::evaluate`] turns its answer into a stage's standing.

use chrono::NaiveDate;

use crate::calendar::{Calendar, OutOfRange, Reckoned};
use crate::domain::case::{Case, Suspension};

/// Whether a suspension stops the clock of a stage done on `done_on` (not done: `None`).
///
/// domain.md: a suspension changes only what it covers. A stage done before the suspension's
/// first day keeps its deadline and its verdict; so does a stage done on that day itself (the
/// act fell on a day the clock still ran up to, so the verdict cannot change, and the suspension
/// is the next stage's).
pub(super) fn stops(s: &Suspension, done_on: Option<NaiveDate>) -> bool {
    done_on.is_none_or(|done| s.from < done)
}

/// The N-th counted working day after `start`, for a stage done on `done_on` (art. 21): working
/// days a suspension covers (`from <= d < until`) are skipped, counting only suspensions that
/// began before the stage was done ([`stops`]). [`Counted::Stopped`], with that suspension, when
/// the count reaches a suspension that has no end yet: the clock stands still, so there is no
/// deadline for now. A deadline reached before an open suspension's first day stands: the clock
/// ran out before it could be stopped.
pub(super) fn counted_due<'a>(
    start: NaiveDate,
    n: u32,
    case: &'a Case,
    done_on: Option<NaiveDate>,
    cal: &Calendar,
) -> Result<Counted<'a>, OutOfRange> {
    let stopping: Vec<&Suspension> = case
        .suspensions
        .iter()
        .filter(|s| stops(s, done_on))
        .collect();
    counted_due_among(start, n, &stopping, cal)
}

/// As [`counted_due`], over the suspensions given (`stopping`: those that stop this clock; the
/// Regulations' clock lets only some reasons stop it, `statutory.rs`).
pub(super) fn counted_due_among<'a>(
    start: NaiveDate,
    n: u32,
    stopping: &[&'a Suspension],
    cal: &Calendar,
) -> Result<Counted<'a>, OutOfRange> {
    // Skipping suspended days pushes the deadline later, which can reach further suspended
    // days; repeat until the count of skipped days is stable (it only grows, so this ends).
    let mut extra = 0u32;
    loop {
        let due = cal.add_working_days(start, n.saturating_add(extra))?;
        let (date, _) = due.into_parts();
        // The candidate only moves later: once an open suspension has begun by it, the n-th
        // counted day lies beyond that suspension's unknown end.
        if let Some(open) = stopping
            .iter()
            .find(|s| s.until.is_none() && s.from <= date)
        {
            return Ok(Counted::Stopped(open));
        }
        let mut skipped = Reckoned::Certain(0u32);
        for s in stopping {
            // An open suspension here begins after `date`: it covers none of these days.
            let Some(until) = s.until else { continue };
            let days = suspended_working_days(start, date, s.from, until, cal)?;
            skipped = skipped.and_then(|acc| days.map(|x| acc + x));
        }
        let (count, _) = skipped.into_parts();
        if count == extra {
            return Ok(Counted::Due(due.and_then(|d| skipped.map(|_| d))));
        }
        extra = count;
    }
}

/// Working days `d` with `start < d <= end` and `from <= d < until`.
fn suspended_working_days(
    start: NaiveDate,
    end: NaiveDate,
    from: NaiveDate,
    until: NaiveDate,
    cal: &Calendar,
) -> Result<Reckoned<u32>, OutOfRange> {
    let lo = start.max(from.pred_opt().unwrap_or(from));
    let hi = end.min(until.pred_opt().unwrap_or(until));
    cal.working_days_between(lo, hi)
}

/// What [`counted_due`] found: the deadline, or the open suspension that stops the clock (so a
/// stage without a deadline always has the suspension that explains it: the invariant is in the
/// type, it cannot silently leave the stage running).
pub(super) enum Counted<'a> {
    /// The deadline.
    Due(Reckoned<NaiveDate>),
    /// The open suspension that stops the clock.
    Stopped(&'a Suspension),
}
