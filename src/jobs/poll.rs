//! One pass of duewatch's job: **reconcile** (work out, as of a time, what every open case calls
//! for, and record what is new in the outbox) and **deliver** (send what is due). `duewatch run
//! --once` is one pass; the daemon repeats it on its schedule.
//!
//! Each pass starts from the database, never from memory of earlier passes: a pass after
//! downtime finds what fell due meanwhile (each notification once, by its key), and a missed or
//! doubled tick does no harm. Outside the sending window (a rest day, or outside `window.from` to
//! `window.to`) nothing is reconciled and no digest is sent, so what falls due then waits for the
//! window; administrators' reports go out at any time.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::calendar::Calendar;
use crate::config::Config;
use crate::domain::deadline;
use crate::domain::escalation::{self, Item};
use crate::mail::render::Templates;
use crate::mail::transport::{SendError, Transport};
use crate::source::Source;
use crate::store::Store;
use crate::store::{Claimed, RunFigures};

/// What a pass needs, loaded once.
#[derive(Debug)]
pub struct Context {
    /// The configuration.
    pub config: Config,
    /// duewatch's own database: outbox, notifications, runs (and its cases when built in).
    pub store: Store,
    /// Where the watched cases are read (`cases.source`).
    pub source: Source,
    /// The calendar; the daemon swaps in a new one when its files change.
    pub calendar: std::sync::RwLock<Arc<Calendar>>,
    /// The mail templates; the daemon swaps in new ones on SIGHUP.
    pub templates: std::sync::RwLock<Arc<Templates>>,
    /// Where mail goes.
    pub transport: Transport,
    /// This worker's name in claims: host, process and a random part.
    pub worker: String,
    /// Set by a clean shutdown: deliver no more.
    pub stopping: AtomicBool,
    /// The keys the last pass found in a mail (128-bit digests, sorted): the next pass skips
    /// them without asking the database. Only ever a shortcut: the database's unique key
    /// decides. Replaced by each pass, so it holds only the lines open cases call for now; a
    /// sorted array, not a hash set, for memory (16 bytes a key).
    known: std::sync::Mutex<Arc<Vec<u128>>>,
}

impl Context {
    /// Loads everything a pass needs: the database (migrated), the calendar, the templates and
    /// the transport.
    ///
    /// # Errors
    /// Whatever cannot be loaded, named.
    pub async fn load(config: Config) -> anyhow::Result<Context> {
        let store = Store::connect(&config.database.url).await?;
        store.migrate().await?;
        let source = Source::open(&config, &store).await?;
        let calendar = crate::calendar::load::load(&config.calendar.dir)?.calendar;
        let templates = Templates::load(&config.mail.templates)?;
        let transport = Transport::new(&config.mail)?;
        Ok(Context {
            config,
            store,
            source,
            calendar: std::sync::RwLock::new(Arc::new(calendar)),
            templates: std::sync::RwLock::new(Arc::new(templates)),
            transport,
            worker: worker_name(),
            stopping: AtomicBool::new(false),
            known: std::sync::Mutex::new(Arc::default()),
        })
    }

    /// The keys known to be mailed: a shared snapshot, not a copy.
    fn known(&self) -> Arc<Vec<u128>> {
        let known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(&known)
    }

    /// Replaces the known keys by those a whole pass found mailed.
    fn remember(&self, mut keys: Vec<u128>) {
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        let mut known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *known = Arc::new(keys);
    }

    /// The calendar in force now.
    pub fn calendar(&self) -> Arc<Calendar> {
        match self.calendar.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The mail templates in use now.
    pub fn templates(&self) -> Arc<Templates> {
        match self.templates.read() {
            Ok(t) => Arc::clone(&t),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts `templates` in use for the next mails.
    pub fn set_templates(&self, templates: Templates) {
        let fresh = Arc::new(templates);
        match self.templates.write() {
            Ok(mut t) => *t = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// Puts `calendar` in force for the next passes.
    pub fn set_calendar(&self, calendar: Calendar) {
        let fresh = Arc::new(calendar);
        match self.calendar.write() {
            Ok(mut c) => *c = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// Asks running passes to stop claiming mail (a clean shutdown).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Local time now, in `timezone`.
    pub fn now(&self) -> NaiveDateTime {
        chrono::Utc::now()
            .with_timezone(&self.config.timezone.tz())
            .naive_local()
    }
}

/// A name for this process's claims.
pub fn worker_name() -> String {
    // /proc/sys is hidden under the unit's ProcSubset=pid; /etc/hostname is still readable.
    let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &random[..8])
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Whether the sending window was open.
    pub window_open: bool,
    /// Open cases read.
    pub cases: u64,
    /// Cases that could not be read or evaluated (named in the log).
    pub bad_cases: u64,
    /// Whether this pass read every open case (the window was open and reading did not fail):
    /// only then are `bad_cases`, `unevaluable` and `open` figures of the cases. A pass that did
    /// not count records no figure, so `health` and `/metrics` keep the last counted ones.
    #[serde(skip)]
    pub counted: bool,
    /// Digest lines worked out (new or not).
    pub items: usize,
    /// Digests made (one per recipient with new lines).
    pub digests: usize,
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed and will be retried.
    pub retried: usize,
    /// Messages given up as dead letters.
    pub dead: usize,
    /// Claims this worker found taken over (it stalled past its lease).
    pub lost: usize,
    /// Dead or stuck messages reported to the administrators.
    pub reported: usize,
    /// Whether the delivery step got through (duewatch's own database answered), even if
    /// reading the cases failed: the daemon is alive and sending what is queued.
    #[serde(skip)]
    pub delivered: bool,
    /// Cases of the case system (`cases.source = "sql"`) that break the rules: (reference as the
    /// case system spells it, what is wrong). Reported to `mail.admins` once per problem.
    #[serde(skip)]
    pub bad_rows: Vec<(String, String)>,
    /// Lines a role with no address did not get: (case reference, the level, the role with no
    /// address, and whether the line went to the other roles or to no one).
    /// `config check` refuses such a configuration; a pass that meets one anyway warns and
    /// reports it to `mail.admins` once per problem.
    #[serde(skip)]
    pub unaddressed: Vec<(String, String)>,
    /// Cases whose deadlines cannot be counted (a date outside the calendar's range): (reference,
    /// what is out of range). Named by `run --dry-run`, reported to `mail.admins` once per
    /// problem, counted in `bad_cases` (so in `health` and `/metrics`).
    #[serde(skip)]
    pub unevaluable: Vec<(String, String)>,
    #[serde(skip)]
    /// Open cases by (state of the current stage, responsible): `running`, `suspended`,
    /// `overdue`; the office or a section code.
    pub open: BTreeMap<(String, String), u64>,
}

impl Report {
    /// What the run records in `runs`: the cases' figures only when it counted them.
    pub fn figures(&self) -> RunFigures {
        RunFigures {
            cases: self.cases,
            digests: self.digests,
            sent: self.sent,
            failed: self.retried + self.dead,
            bad_cases: self.counted.then_some(self.bad_cases),
            uncountable: self.counted.then_some(self.unevaluable.len()),
        }
    }
}

/// The digest lines one case calls for at `today`, counted into `report`; `None` when the case
/// cannot be read or evaluated (logged and counted: the other cases carry on).
fn case_items(
    ctx: &Context,
    calendar: &crate::calendar::Calendar,
    case: Result<crate::domain::case::Case, crate::store::StoreError>,
    today: chrono::NaiveDate,
    report: &mut Report,
) -> Option<Vec<Item>> {
    report.cases += 1;
    let case = match case {
        Ok(c) => c,
        Err(e) => {
            report.bad_cases += 1;
            tracing::error!("{e}");
            if let crate::store::StoreError::BadRow { reference, problem } = e {
                report.bad_rows.push((reference, problem));
            }
            return None;
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
            return None;
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
    let (items, unaddressed) = escalation::items_for(
        &case,
        &status,
        &ctx.config.escalation,
        &ctx.config.parties(),
    );
    for problem in unaddressed {
        report
            .unaddressed
            .push((case.reference.to_string(), problem));
    }
    report.items += items.len();
    Some(items)
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
    while let Some(batch) = cursor.next_batch().await? {
        for case in batch {
            for item in case_items(ctx, &calendar, case, today, report)
                .into_iter()
                .flatten()
            {
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

/// One recipient's lines for this pass's digest: those recorded and not yet in a mail (their
/// id, level, key and case), the still-overdue lines already mailed before that only today's
/// repeat lists (their case and level, whether today's repeat turns out to be made or not), and
/// the items to list. Every line costs one small fixed-size entry (no text), so that the digest
/// can count cases by level; the full items, with their text, are bounded by the list (trimmed
/// to the `digest_max_lines` most urgent new and as many repeat-only ones whenever it reaches
/// four times that).
#[derive(Debug, Default)]
struct Pending {
    name: Option<Arc<str>>,
    lines: Vec<PendingLine>,
    /// Lines mailed before that only today's repeat lists: their case and level.
    repeat_only: Vec<(u64, escalation::ItemLevel)>,
    listed: Vec<(Option<i64>, Item)>,
}

#[derive(Debug)]
struct PendingLine {
    /// The recorded key's id: it is in no mail yet.
    id: i64,
    level: escalation::ItemLevel,
    key: u128,
    /// Part of today's repeat of the overdue lines.
    repeat: bool,
    /// The case (a hash of its reference): a digest counts requests, not lines.
    case: u64,
}

/// A hash of a case reference, to count a digest's cases without keeping their references.
fn case_hash(reference: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    reference.hash(&mut h);
    h.finish()
}

/// The number of cases of each level among `lines` (case, level): a case counts once, under
/// its most urgent level (the group its lines are listed in).
fn cases_by_level(
    lines: impl Iterator<Item = (u64, escalation::ItemLevel)>,
) -> BTreeMap<escalation::ItemLevel, usize> {
    let mut most_urgent: std::collections::HashMap<u64, escalation::ItemLevel> =
        std::collections::HashMap::new();
    for (case, level) in lines {
        most_urgent
            .entry(case)
            .and_modify(|l| *l = (*l).min(level))
            .or_insert(level);
    }
    let mut counts = BTreeMap::new();
    for level in most_urgent.into_values() {
        *counts.entry(level).or_insert(0) += 1;
    }
    counts
}

impl Pending {
    fn add(&mut self, id: Option<i64>, item: Item, key: u128, max: usize) {
        self.name
            .get_or_insert_with(|| Arc::clone(&item.recipient_name));
        match id {
            Some(id) => self.lines.push(PendingLine {
                id,
                level: item.level,
                key,
                repeat: item.repeat,
                case: case_hash(&item.reference),
            }),
            None => self
                .repeat_only
                .push((case_hash(&item.reference), item.level)),
        }
        self.listed.push((id, item));
        if self.listed.len() >= 4 * max.max(1) {
            self.trim(max);
        }
    }

    /// Whether a line goes in the digest: it is still in no mail, or the digest repeats it.
    fn shown(id: Option<i64>, repeat: bool, still: &HashSet<i64>, repeating: bool) -> bool {
        (repeating && repeat) || id.is_some_and(|id| still.contains(&id))
    }

    /// Keeps the `max` most urgent new lines and the `max` most urgent repeat-only ones: which
    /// of them the digest shows is known only when it is made (another instance may have made
    /// today's repeat meanwhile), so neither kind may crowd out the other.
    fn trim(&mut self, max: usize) {
        let (mut new, mut repeat): (Vec<_>, Vec<_>) = std::mem::take(&mut self.listed)
            .into_iter()
            .partition(|(id, _)| id.is_some());
        for list in [&mut new, &mut repeat] {
            list.sort_by(|(_, a), (_, b)| a.urgency().cmp(&b.urgency()));
            list.truncate(max.max(1));
        }
        new.append(&mut repeat);
        self.listed = new;
    }
}

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
    // Whose overdue lines are repeated today already (by an earlier pass or another instance).
    let repeated = ctx.store.repeated_on(today).await?;
    let wants_repeat = |item: &Item| item.repeat && !repeated.contains(&*item.recipient);
    let mut pending: BTreeMap<Arc<str>, Pending> = BTreeMap::new();
    // Keys found mailed, by an earlier pass or by this one; remembered at the end.
    let mut mailed: Vec<u128> = Vec::with_capacity(known.len());
    let mut cursor = ctx.source.cursor(true).await?;
    while let Some(batch) = cursor.next_batch().await? {
        let mut by_recipient: BTreeMap<Arc<str>, Vec<(Item, u128)>> = BTreeMap::new();
        for case in batch {
            for item in case_items(ctx, &calendar, case, today, report)
                .into_iter()
                .flatten()
            {
                let key = item.key_hash();
                // Recorded and mailed in an earlier pass of this process: only today's repeat
                // may still list it.
                if known.binary_search(&key).is_ok() {
                    mailed.push(key);
                    if wants_repeat(&item) {
                        pending
                            .entry(Arc::clone(&item.recipient))
                            .or_default()
                            .add(None, item, key, max_lines);
                    }
                    continue;
                }
                by_recipient
                    .entry(Arc::clone(&item.recipient))
                    .or_default()
                    .push((item, key));
            }
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
            let entry = pending.entry(recipient).or_default();
            for ((item, key), id) in items.into_iter().zip(is_unmailed) {
                if id.is_none() {
                    mailed.push(key);
                }
                if id.is_some() || wants_repeat(&item) {
                    entry.add(id, item, key, max_lines);
                }
            }
        }
    }
    cursor.finish().await?;
    report_bad_rows(ctx, now, &report.bad_rows).await?;
    report_unaddressed(ctx, now, &report.unaddressed).await?;
    report_unevaluable(ctx, now, &report.unevaluable).await?;

    let day = today.to_string();
    let mut failed: Option<anyhow::Error> = None;
    // mail.attach_ics: each section's open deadlines go with the digests to its addresses; all
    // the sections that get a digest now, in one more read of the open cases.
    let sections_of = |recipient: &str| -> Vec<crate::domain::case::SectionCode> {
        ctx.config
            .sections
            .iter()
            .filter(|s| s.emails.iter().any(|e| e == recipient))
            .map(|s| s.code.clone())
            .collect()
    };
    let feeds = if ctx.config.mail.attach_ics {
        let mut wanted: Vec<_> = pending.keys().flat_map(|r| sections_of(r)).collect();
        wanted.sort();
        wanted.dedup();
        let stamp = crate::jobs::feeds::utc(&ctx.config, now);
        crate::jobs::feeds::sections_ics(&ctx.source, &ctx.config, &calendar, &wanted, today, stamp)
            .await?
    } else {
        BTreeMap::new()
    };
    for (recipient, mut p) in pending {
        p.trim(max_lines);
        let name = p.name.clone().unwrap_or_else(|| Arc::clone(&recipient));
        let candidates: Vec<i64> = p.lines.iter().map(|l| l.id).collect();
        let repeats = p.lines.iter().filter(|l| l.repeat).count() + p.repeat_only.len();
        let repeat = (repeats > 0 && !repeated.contains(&*recipient)).then_some((today, repeats));
        let (lines, listed, repeat_only) = (&p.lines, &p.listed, &p.repeat_only);
        let made = match ctx
            .store
            .mail_lines(
                &recipient,
                &candidates,
                repeat,
                &ctx.config.mail.from,
                |still, repeating| {
                    let repeated = repeat_only.iter().filter(|_| repeating).copied();
                    let new = lines
                        .iter()
                        .filter(|l| Pending::shown(Some(l.id), l.repeat, still, repeating))
                        .map(|l| (l.case, l.level));
                    let counts = cases_by_level(repeated.chain(new));
                    let mut shown: Vec<&Item> = listed
                        .iter()
                        .filter(|(id, item)| Pending::shown(*id, item.repeat, still, repeating))
                        .map(|(_, item)| item)
                        .collect();
                    shown.sort_by(|a, b| a.urgency().cmp(&b.urgency()));
                    shown.truncate(max_lines.max(1));
                    let mut rendered = ctx.templates().digest(
                        &recipient,
                        &name,
                        &ctx.config.office.name,
                        &day,
                        &shown,
                        &counts,
                    )?;
                    // One file per section the address serves: deadlines.ics, or, for an
                    // address of several sections, deadlines-CODE.ics each.
                    let mine = sections_of(&recipient);
                    for code in &mine {
                        if let Some((ics, _)) = feeds.get(code) {
                            rendered.attachments.push(crate::mail::Attachment {
                                filename: if mine.len() == 1 {
                                    "deadlines.ics".to_owned()
                                } else {
                                    format!("deadlines-{code}.ics")
                                },
                                content_type: crate::mail::ICS.to_owned(),
                                content: ics.clone().into_bytes(),
                            });
                        }
                    }
                    Ok(rendered)
                },
            )
            .await
        {
            Ok(made) => made,
            Err(e) => {
                // This recipient's lines stay unmailed for the next pass; the others go on.
                tracing::error!(recipient = %recipient, "digest not made: {}", crate::error::chain(&e));
                failed.get_or_insert(e);
                continue;
            }
        };
        // Mailed now, by this pass or by another instance meanwhile.
        mailed.extend(p.lines.iter().map(|l| l.key));
        if let Some(id) = made {
            report.digests += 1;
            tracing::info!(outbox = id, recipient = %recipient, lines = p.lines.len(), "digest queued");
        }
    }
    drop(known);
    ctx.remember(mailed);
    failed.map_or(Ok(()), Err)
}

/// A kind of problem the administrators hear about, each problem once (the outbox keys it by
/// kind, reference and a hash of the problem: a changed problem is told again).
struct Problems<'a> {
    /// The outbox's kind of row: `source_row`, `unaddressed`, `unevaluable`.
    kind: &'static str,
    /// Logged when `mail.admins` is empty (`None`: nothing).
    no_admins: Option<&'a str>,
    /// Logged when new problems were told (`None`: nothing).
    told: Option<&'a str>,
}

/// Tells `mail.admins` of `lines` (reference, problem) in one notice whose title `title` makes
/// from the number of lines new to the outbox.
///
/// # Errors
/// A database failure, or a template that fails.
async fn report_problems(
    ctx: &Context,
    now: NaiveDateTime,
    problems: Problems<'_>,
    lines: &[(String, String)],
    title: impl Fn(usize) -> String,
) -> anyhow::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let admins = &ctx.config.mail.admins;
    if admins.is_empty() {
        if let Some(message) = problems.no_admins {
            tracing::warn!(count = lines.len(), "{message}");
        }
        return Ok(());
    }
    let when = now.format("%Y-%m-%d %H:%M").to_string();
    let new = ctx
        .store
        .record_problem_lines(
            problems.kind,
            lines,
            admins,
            &ctx.config.mail.from,
            |lines| ctx.templates().notice(&when, &title(lines.len()), lines),
        )
        .await?;
    if new > 0
        && let Some(message) = problems.told
    {
        tracing::warn!(new, "{message}");
    }
    Ok(())
}

/// Tells `mail.admins` of the case system's rows that break the rules.
///
/// # Errors
/// A database failure, or a template that fails.
async fn report_bad_rows(
    ctx: &Context,
    now: NaiveDateTime,
    bad_rows: &[(String, String)],
) -> anyhow::Result<()> {
    let problems = Problems {
        kind: "source_row",
        no_admins: Some("mail.admins is empty: the case system's bad rows are in this log only"),
        told: Some("the case system's bad rows reported to mail.admins"),
    };
    report_problems(ctx, now, problems, bad_rows, |n| {
        format!("案件系统中 {n} 件申请的记录有误，duewatch 未能监控，请在案件系统中更正")
    })
    .await
}

/// Warns of the lines that a role with no address did not get (once per pass, with their number) and tells
/// `mail.admins` of each once.
///
/// # Errors
/// A database failure, or a template that fails.
async fn report_unaddressed(
    ctx: &Context,
    now: NaiveDateTime,
    unaddressed: &[(String, String)],
) -> anyhow::Result<()> {
    let Some((reference, problem)) = unaddressed.first() else {
        return Ok(());
    };
    tracing::warn!(
        lines = unaddressed.len(),
        "lines a role with no address did not get (each says whether others got it), e.g. {reference}: {problem}; run duewatch config check"
    );
    let problems = Problems {
        kind: "unaddressed",
        no_admins: None,
        told: None,
    };
    report_problems(ctx, now, problems, unaddressed, |n| {
        format!(
            "{n} 条提醒有收件角色没有地址，该角色未收到（各条注明已发给谁，或未发给任何人），\
             请在配置中补充地址（duewatch config check）"
        )
    })
    .await
}

/// Tells `mail.admins` of the cases whose deadlines cannot be counted: such a case is not
/// watched until its dates are corrected.
///
/// # Errors
/// A database failure, or a template that fails.
async fn report_unevaluable(
    ctx: &Context,
    now: NaiveDateTime,
    cases: &[(String, String)],
) -> anyhow::Result<()> {
    let where_to_fix = if ctx.config.cases.source == crate::config::CaseSource::Builtin {
        "其日期有误的，请用 duewatch case close 编号 --on 日期 --reason withdrawn 结案，并以正确日期重新登记"
    } else {
        "请在案件系统中更正其日期"
    };
    let problems = Problems {
        kind: "unevaluable",
        no_admins: Some(
            "mail.admins is empty: the cases that cannot be counted are in this log only",
        ),
        told: Some("the cases that cannot be counted reported to mail.admins"),
    };
    report_problems(ctx, now, problems, cases, |n| {
        format!(
            "{} 件申请的期限无法计算（日期超出 {} 至 {}），duewatch 未能监控，{where_to_fix}",
            n,
            crate::calendar::FIRST_DAY,
            crate::calendar::LAST_DAY
        )
    })
    .await
}

/// Deliver: sends every due message (digests only while the window is open), then reports
/// dead and stuck mail to the administrators.
///
/// # Errors
/// A database failure.
pub async fn deliver(ctx: &Context, now: NaiveDateTime, report: &mut Report) -> anyhow::Result<()> {
    let window_open = ctx.config.window.is_open(&ctx.calendar(), now);
    // A message is attempted at most once per pass, however short its backoff.
    let mut attempted = std::collections::HashSet::new();
    send_due(ctx, window_open, &mut attempted, report).await?;
    let admins = &ctx.config.mail.admins;
    let stuck_after = u64::from(ctx.config.mail.stuck_after_mins) * 60;
    let problems = ctx
        .store
        .report_problems(stuck_after, &ctx.config.mail.from, |(dead, stuck)| {
            for p in dead {
                tracing::error!(outbox = p.id, recipient = %p.recipient, error = %p.last_error, "dead letter: mail refused for good");
            }
            for p in stuck {
                tracing::warn!(outbox = p.id, recipient = %p.recipient, error = %p.last_error, "mail still not delivered after mail.stuck_after_mins");
            }
            if admins.is_empty() {
                tracing::warn!("mail.admins is empty: undeliverable mail is reported in this log only");
            }
            let now = now.format("%Y-%m-%d %H:%M").to_string();
            let rendered = ctx.templates().admin(&now, dead, stuck)?;
            Ok(admins.iter().map(|a| (a.clone(), rendered.clone())).collect())
        })
        .await?;
    report.reported = problems.0.len() + problems.1.len();
    if report.reported > 0 {
        // The administrators' mail just queued goes out in this pass too, by the same rules.
        send_due(ctx, false, &mut attempted, report).await?;
    }
    Ok(())
}

/// Claims and sends due messages (digests only when `digests`) until none is left that this
/// pass has not attempted, never starting a send that could outlast its claim, and stopping
/// when the daemon stops.
async fn send_due(
    ctx: &Context,
    digests: bool,
    attempted: &mut std::collections::HashSet<i64>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let retry = &ctx.config.mail.retry;
    let lease = Duration::from_secs(retry.lease_secs.max(1));
    let timeout = Duration::from_secs(ctx.config.mail.smtp.timeout_secs.max(1));
    while !ctx.is_stopping() {
        let claimed_at = Instant::now();
        let batch = ctx
            .store
            .claim(&ctx.worker, retry.lease_secs.max(1), 16, digests)
            .await?;
        let mut progressed = false;
        for c in &batch {
            // Never start a send that could outlast the claim: another worker could take the
            // row meanwhile and send it too.
            if ctx.is_stopping()
                || attempted.contains(&c.id)
                || claimed_at.elapsed() + timeout >= lease
            {
                ctx.store.release_one(c).await?;
                continue;
            }
            attempted.insert(c.id);
            progressed = true;
            send_one(ctx, c, report).await?;
        }
        if !progressed {
            break;
        }
    }
    Ok(())
}

async fn send_one(ctx: &Context, c: &Claimed, report: &mut Report) -> anyhow::Result<()> {
    let mut mail = c.mail.clone();
    mail.from = ctx.config.mail.from.clone();
    let outcome = ctx.transport.send(&mail).await;
    let kept = match &outcome {
        Ok(()) => {
            report.sent += 1;
            ctx.store.mark_sent(c).await?
        }
        Err(SendError::Permanent(e)) => {
            report.dead += 1;
            tracing::error!(outbox = c.id, recipient = %mail.to, "dead letter: {e}");
            ctx.store.mark_dead(c, e).await?
        }
        Err(e @ (SendError::Transient(_) | SendError::Uncertain(_))) => {
            report.retried += 1;
            let delay = ctx
                .config
                .mail
                .retry
                .delay(u32::try_from(c.attempts).unwrap_or(1));
            tracing::warn!(outbox = c.id, recipient = %mail.to, attempt = c.attempts, retry_in_secs = delay.as_secs_f64(), "{e}");
            let uncertain = matches!(e, SendError::Uncertain(_));
            ctx.store
                .mark_retry(c, &e.to_string(), delay, uncertain)
                .await?
        }
    };
    if !kept {
        report.lost += 1;
        tracing::warn!(
            outbox = c.id,
            "the claim was taken over by another worker; its outcome stands"
        );
    }
    Ok(())
}

/// One whole pass at `now`.
///
/// # Errors
/// A database failure.
pub async fn run_once(ctx: &Context, now: NaiveDateTime) -> anyhow::Result<Report> {
    let mut report = Report::default();
    run(ctx, now, &mut report).await?;
    Ok(report)
}

/// Reconcile, then deliver, even when reconciling failed: what is queued (retries, other
/// recipients' digests, the administrators' reports) goes out regardless. The first error is
/// returned.
///
/// # Errors
/// The first failure of either step.
pub async fn run(ctx: &Context, now: NaiveDateTime, report: &mut Report) -> anyhow::Result<()> {
    let reconciled = reconcile(ctx, now, report).await;
    // Outside the window no case was read; a failed reconcile may have read only some.
    report.counted = report.window_open && reconciled.is_ok();
    if let Err(e) = &reconciled {
        tracing::error!(
            "reconcile failed; delivering what is queued: {}",
            crate::error::chain(e)
        );
    }
    let delivered = deliver(ctx, now, report).await;
    report.delivered = delivered.is_ok();
    reconciled.and(delivered)
}
