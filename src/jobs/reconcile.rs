//! Reconcile: work out, as of a time, what every open case calls for, record each line's key in
//! the outbox as it goes, and make each recipient's digest of the lines still in no mail
//! ([`super::digest`]).
//!
//! A crash between recording and mailing loses nothing: a recorded line that is in no mail is
//! found again by the next pass (its case still calls for it) and mailed then. A line's key is
//! unique in the database; the keys this process found mailed are only a shortcut.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use super::digest::{Digest, attached_feeds};
use super::known::KnownKeys;
use super::pending::{Pending, PendingLine};
use super::{Context, Report};
use crate::calendar::Calendar;
use crate::domain::case::Case;
use crate::domain::deadline;
use crate::domain::escalation::{self, Item, LineKey, Sink};
use crate::store::StoreError;

/// Offers the digest lines one case calls for at `today` to `sink`, counted into `report`; none
/// when the case cannot be read or evaluated (logged and counted: the other cases carry on).
fn case_items(
    ctx: &Context,
    calendar: &Calendar,
    case: Result<Case, StoreError>,
    today: chrono::NaiveDate,
    report: &mut Report,
    sink: &mut dyn Sink,
) {
    report.cases += 1;
    let case = match case {
        Ok(c) => c,
        Err(e) => {
            report.bad_cases += 1;
            tracing::error!("{e}");
            if let StoreError::BadRow { reference, problem } = e {
                report.bad_rows.push((reference, problem));
            }
            return;
        }
    };
    // One span per case (at debug level: free when not logged), inside the run's span.
    let _span = tracing::debug_span!("case", reference = %case.reference).entered();
    let status = match deadline::evaluate(&case, &ctx.config.rules, calendar, today) {
        Ok(status) => status,
        Err(e) => {
            report.bad_cases += 1;
            tracing::error!(case = %case.reference, "cannot be evaluated: {e}");
            report
                .unevaluable
                .push((case.reference.to_string(), e.to_string()));
            return;
        }
    };
    if let Some(stage) = status
        .current
        .and_then(|c| status.stages.iter().find(|s| s.stage == c))
    {
        let state = match (stage.state, stage.level) {
            (deadline::State::Suspended { .. }, _) => "suspended",
            (_, Some(deadline::Level::Overdue)) => "overdue",
            _ => "running",
        };
        *report
            .open
            .entry((state.to_owned(), stage.responsible.as_str().to_owned()))
            .or_default() += 1;
    }
    if let Some(code) = &case.section
        && status.current.is_some()
        && ctx.config.section(code).is_none()
    {
        tracing::warn!(
            case = %case.reference,
            "section \"{code}\" is not configured: the case's mail goes to the office; add a \
             [[sections]] entry with this code back to the config"
        );
    }
    let mut counted = Counted { sink, lines: 0 };
    let unaddressed = escalation::offer_items(
        &case,
        &status,
        &ctx.config.escalation,
        &ctx.config.parties(),
        &mut counted,
    );
    for problem in unaddressed {
        report
            .unaddressed
            .push((case.reference.to_string(), problem));
    }
    report.items += counted.lines;
}

/// A sink that counts the lines offered to it, kept or not.
struct Counted<'a> {
    sink: &'a mut dyn Sink,
    lines: usize,
}

impl Sink for Counted<'_> {
    fn offer(&mut self, key: &LineKey<'_>, make: &mut dyn FnMut() -> Item) {
        self.lines += 1;
        self.sink.offer(key, make);
    }
}

/// Every digest line of every open case at local time `now`, by recipient, whether notified
/// before or not (for `run --dry-run`).
///
/// # Errors
/// A database failure.
pub async fn due_items(
    ctx: &Context,
    now: NaiveDateTime,
    report: &mut Report,
) -> anyhow::Result<BTreeMap<Arc<str>, Vec<Item>>> {
    let today = now.date();
    let calendar = ctx.calendar();
    let mut by_recipient: BTreeMap<Arc<str>, Vec<Item>> = BTreeMap::new();
    let mut cursor = ctx.source.cursor(true).await?;
    let mut items: Vec<Item> = Vec::new();
    while let Some(batch) = cursor.next_batch().await? {
        for case in batch {
            case_items(ctx, &calendar, case, today, report, &mut items);
            for item in items.drain(..) {
                by_recipient
                    .entry(Arc::clone(&item.recipient))
                    .or_default()
                    .push(item);
            }
        }
    }
    cursor.finish().await?;
    Ok(by_recipient)
}

/// Whether a line (repeated while overdue: `repeat`) is one of the overdue lines repeated
/// today for `recipient`, and today's repeat for them is not made yet (by an earlier pass or
/// another instance).
fn wants_repeat(repeated: &HashSet<String>, repeat: bool, recipient: &str) -> bool {
    repeat && !repeated.contains(recipient)
}

/// A reconcile's state across the batches of open cases.
struct Digests<'a> {
    /// The keys found mailed by this process's last pass.
    known: &'a KnownKeys,
    /// Where in `known` the next line's key is looked for first ([`KnownKeys::contains_at`]).
    cursor: usize,
    /// Whose overdue lines are repeated today already.
    repeated: &'a HashSet<String>,
    /// `mail.digest_max_lines`.
    max_lines: usize,
    /// Each recipient's digest in the making.
    pending: BTreeMap<Arc<str>, Pending>,
    /// Keys found mailed, by an earlier pass or by this one; remembered at the end.
    mailed: Vec<u128>,
    /// Batches to go before [`set_aside_mailed`] asks the database again: after a batch none of
    /// whose new lines were mailed (a first poll: everything falls due at once) asking would only
    /// cost, so it waits [`ASK_AGAIN_AFTER`] batches.
    skip_asking: usize,
}

/// See [`Digests::skip_asking`].
const ASK_AGAIN_AFTER: usize = 9;

/// Reconcile: works out every open case's lines, batch by batch, records each line's key as it
/// goes (`ON CONFLICT`: a key recorded before and already mailed is skipped), then makes each
/// recipient's digest of the lines still unmailed, in one transaction with their assignment.
///
/// A crash between recording and mailing loses nothing: a recorded line that is in no mail is
/// found again by the next pass (its case still calls for it) and mailed then.
///
/// # Errors
/// A database failure, or a template that fails (that recipient's lines stay unmailed and are
/// tried again next pass).
pub async fn reconcile(
    ctx: &Context,
    now: NaiveDateTime,
    report: &mut Report,
) -> anyhow::Result<()> {
    report.window_open = ctx.config.window.is_open(&ctx.calendar(), now);
    if !report.window_open {
        return Ok(());
    }
    let today = now.date();
    let calendar = ctx.calendar();
    let known = ctx.known();
    let max_lines = ctx.config.mail.digest_max_lines;
    let repeated = ctx.store.repeated_on(today).await?;
    let mut digests = Digests {
        known: &known,
        repeated: &repeated,
        max_lines,
        pending: BTreeMap::new(),
        mailed: Vec::with_capacity(known.len()),
        skip_asking: 0,
        cursor: 0,
    };
    let mut cursor = ctx.source.cursor(true).await?;
    while let Some(batch) = cursor.next_batch().await? {
        let new = sort_batch(ctx, &calendar, batch, today, &mut digests, report);
        record(ctx, new, &mut digests).await?;
    }
    cursor.finish().await?;
    super::problems::report_cases(ctx, now, report).await?;

    let Digests {
        pending,
        mut mailed,
        ..
    } = digests;
    // Every pending line's key may join these: room for them at once, not by doubling.
    mailed.reserve(pending.values().map(|p| p.lines.len()).sum());
    let feeds = attached_feeds(ctx, &calendar, pending.keys(), now).await?;
    let mut failed: Option<anyhow::Error> = None;
    for (recipient, mut p) in pending {
        p.trim(max_lines);
        let digest = Digest {
            recipient: &recipient,
            pending: &p,
            day: today,
            feeds: &feeds,
        };
        let made = match digest.queue(ctx, &repeated).await {
            Ok(made) => made,
            Err(e) => {
                // This recipient's lines stay unmailed for the next pass; the others go on.
                tracing::error!(recipient = %recipient, "digest not made: {}", crate::error::chain(&e));
                failed.get_or_insert(e);
                continue;
            }
        };
        // Mailed now, by this pass or by another instance meanwhile.
        mailed.extend(p.lines.iter().map(PendingLine::key));
        if let Some(id) = made {
            report.digests += 1;
            tracing::info!(outbox = id, recipient = %recipient, lines = p.lines.len(), "digest queued");
        }
    }
    drop(known);
    ctx.remember(mailed);
    failed.map_or(Ok(()), Err)
}

/// One batch of open cases, worked out: the lines this process knows to be mailed go to their
/// digest only if today's repeat lists them (and are not even made otherwise: [`Sink`]); the
/// others are returned, by recipient, to be recorded.
fn sort_batch(
    ctx: &Context,
    calendar: &Calendar,
    batch: Vec<Result<Case, StoreError>>,
    today: NaiveDate,
    digests: &mut Digests<'_>,
    report: &mut Report,
) -> BTreeMap<Arc<str>, Vec<(Item, u128)>> {
    let mut sorted = Sorted {
        digests,
        new: BTreeMap::new(),
    };
    for case in batch {
        case_items(ctx, calendar, case, today, report, &mut sorted);
    }
    sorted.new
}

/// [`sort_batch`]'s sink: a line is known by its key before it is made.
struct Sorted<'a, 'd> {
    digests: &'a mut Digests<'d>,
    /// The lines not known to be mailed, by recipient, with their keys' digests.
    new: BTreeMap<Arc<str>, Vec<(Item, u128)>>,
}

impl Sink for Sorted<'_, '_> {
    fn offer(&mut self, line: &LineKey<'_>, make: &mut dyn FnMut() -> Item) {
        let key = line.hash();
        let digests = &mut *self.digests;
        // Recorded and mailed in an earlier pass of this process: only today's repeat may
        // still list it.
        if digests.known.contains_at(key, &mut digests.cursor) {
            digests.mailed.push(key);
            if wants_repeat(digests.repeated, line.repeat, line.recipient) {
                let item = make();
                digests
                    .pending
                    .entry(Arc::clone(&item.recipient))
                    .or_default()
                    .add(None, item, key, digests.max_lines);
            }
            return;
        }
        let item = make();
        match self.new.get_mut(line.recipient) {
            Some(items) => items.push((item, key)),
            None => {
                self.new
                    .insert(Arc::clone(&item.recipient), vec![(item, key)]);
            }
        }
    }
}

/// Records the keys of a batch's lines (one transaction), and adds those still in no mail, and
/// those today's repeat lists, to their recipient's digest.
///
/// # Errors
/// A database failure.
async fn record(
    ctx: &Context,
    mut by_recipient: BTreeMap<Arc<str>, Vec<(Item, u128)>>,
    digests: &mut Digests<'_>,
) -> anyhow::Result<()> {
    set_aside_mailed(ctx, &mut by_recipient, digests).await?;
    if by_recipient.is_empty() {
        // Nothing to record (a usual poll: every line known): no write transaction either.
        return Ok(());
    }
    let lines: Vec<(&str, Vec<&Item>)> = by_recipient
        .iter()
        .map(|(recipient, items)| (&**recipient, items.iter().map(|(i, _)| i).collect()))
        .collect();
    let unmailed = ctx.store.record_lines(&lines).await?;
    drop(lines);
    for ((recipient, items), unmailed) in by_recipient.into_iter().zip(unmailed) {
        let mut is_unmailed = vec![None; items.len()];
        for (id, index) in unmailed {
            is_unmailed[index] = Some(id);
        }
        let entry = digests.pending.entry(recipient).or_default();
        for ((item, key), id) in items.into_iter().zip(is_unmailed) {
            if id.is_none() {
                digests.mailed.push(key);
            }
            if id.is_some() || wants_repeat(digests.repeated, item.repeat, &item.recipient) {
                entry.add(id, item, key, digests.max_lines);
            }
        }
    }
    Ok(())
}

/// Takes the lines of a batch that are mailed already out of `by_recipient` (one read for
/// the batch's cases, [`crate::store::Store::mailed_keys`]): they are remembered as mailed and
/// go to their digest only if today's repeat lists them, as when `record` finds them mailed, but
/// without a write. Most lines are mailed on any poll but the first after they fall due; a fresh
/// process (`run --once`, the daemon's first poll) does not know which. Recording a key that is
/// there already is a write (PostgreSQL: `ON CONFLICT … DO UPDATE … WHERE` that updates nothing
/// still locks its row; SQLite: the insert that does nothing, then the look-up of which keys
/// are unmailed), while asking is one read a batch: it halved a usual `run --once` on both
/// (docs/performance.md). After an answer that finds nothing (a first poll: everything falls
/// due at once) the next [`ASK_AGAIN_AFTER`] batches are not asked about.
///
/// # Errors
/// A database failure.
async fn set_aside_mailed(
    ctx: &Context,
    by_recipient: &mut BTreeMap<Arc<str>, Vec<(Item, u128)>>,
    digests: &mut Digests<'_>,
) -> anyhow::Result<()> {
    if digests.skip_asking > 0 {
        digests.skip_asking -= 1;
        return Ok(());
    }
    let mut references: Vec<&str> = by_recipient
        .values()
        .flatten()
        .map(|(item, _)| item.reference.as_str())
        .collect();
    references.sort_unstable();
    references.dedup();
    let mailed = KnownKeys::new(ctx.store.mailed_keys(&references).await?);
    drop(references);
    if mailed.is_empty() {
        digests.skip_asking = ASK_AGAIN_AFTER;
        return Ok(());
    }
    for (recipient, items) in by_recipient.iter_mut() {
        for (item, key) in std::mem::take(items) {
            if !mailed.contains(key) {
                items.push((item, key));
                continue;
            }
            digests.mailed.push(key);
            if wants_repeat(digests.repeated, item.repeat, &item.recipient) {
                digests
                    .pending
                    .entry(Arc::clone(recipient))
                    .or_default()
                    .add(None, item, key, digests.max_lines);
            }
        }
    }
    by_recipient.retain(|_, items| !items.is_empty());
    Ok(())
}
