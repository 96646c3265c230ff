//! `duewatch run`: the long-running daemon.
//!
//! Design:
//! - **Jobs** are registered in one place, [`crate::config::Schedule::jobs`], and run by
//!   tokio-cron-scheduler in `timezone` (`Job::new_async_tz`; the plain constructor is UTC).
//!   The scheduler spawns every tick without waiting for the last one, so each job holds its own
//!   lock: a tick that finds the previous run still going is skipped and logged, never run
//!   twice at once. The scheduler drops a job's errors; [`Daemon::run_job`] logs them, counts
//!   them and records every run in the `runs` table, where `duewatch health` reads them. Runs
//!   the database cannot record (it is unreachable or locked) are kept in memory and written as
//!   one failed run once it answers, so `health` tells of an outage afterwards.
//! - **Passes reconcile from the database**, so a missed tick (downtime) or an extra one (a
//!   clock jump) does no harm ([`crate::jobs::poll`]).
//! - **Calendar files are watched** at every poll by a fingerprint of `calendar.dir` (names,
//!   sizes, modification times). A good edit is put in force for the next pass, and the
//!   administrators are told which open cases' deadlines moved; a bad edit keeps the last good
//!   calendar and tells them why, once per edit.
//! - **systemd**: `READY=1` once the database is migrated, the calendar and templates loaded and
//!   the jobs scheduled (not after SMTP: an outage must queue mail, not restart us);
//!   `WATCHDOG=1` after each successful poll only, so a wedged poll loop is restarted.
//! - **Reloading** (SIGHUP): the templates and the calendar files are re-read by a poll started
//!   at once; bad templates are refused and the ones in use stay. SIGHUP never stops the daemon.
//! - **The SQLite file** is checked before every run: deleted or replaced, the daemon stops with
//!   an error instead of splitting its state between two files.
//! - **Stopping** (SIGTERM, SIGINT): no new ticks, running passes stop claiming mail, the daemon
//!   waits up to `daemon.shutdown_grace_secs` for them, gives back any claim it still holds, and
//!   exits 0.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::calendar::Calendar;
use crate::config::Config;
use crate::domain::deadline;
use crate::jobs::poll::{self, Context, Report};

mod files;
pub mod health;
pub mod http;
pub mod samples;
mod signals;

use files::CalendarRead;
use signals::{Signal, Signals};

/// The running daemon's state, shared by its jobs.
#[derive(Debug)]
pub struct Daemon {
    /// What passes need.
    pub ctx: Context,
    /// One lock per job: runs of a job never overlap.
    locks: HashMap<&'static str, Mutex<()>>,
    /// The calendar directory as last loaded.
    fingerprint: std::sync::Mutex<Vec<(String, u64, Option<SystemTime>)>>,
    /// Job runs that failed, since start.
    pub errors: AtomicU64,
    /// Ticks skipped because the previous run was still going, since start.
    pub skipped: AtomicU64,
    /// What the last poll that read the cases saw (not one outside the window), for `/metrics`.
    pub last_poll: std::sync::Mutex<Option<Report>>,
    /// Runs the database could not record (it was unreachable), by job: written to `runs` as
    /// one failed run once it can be, so that `health` tells of the outage afterwards.
    unrecorded: std::sync::Mutex<HashMap<&'static str, Unrecorded>>,
    /// Set by SIGHUP: the next poll re-reads the templates and the calendar first.
    reload_requested: AtomicBool,
    /// The SQLite database file and its identity when the daemon opened it (PostgreSQL: none).
    database_file: Option<(std::path::PathBuf, crate::store::FileIdentity)>,
    /// Why the daemon must stop on its own (its database file was replaced), once known.
    fatal: std::sync::Mutex<Option<String>>,
    /// Wakes the main loop when `fatal` is set.
    fatal_set: tokio::sync::Notify,
    /// A read of the calendar files that took longer than [`files::CALENDAR_READ_LIMIT`] and
    /// is still under way (a hung file system): polls go on meanwhile and start no second one.
    calendar_read: std::sync::Mutex<Option<CalendarRead>>,
}

/// Runs of a job that could not be recorded.
#[derive(Debug)]
struct Unrecorded {
    runs: u64,
    /// Local time of the first and the last.
    first: chrono::NaiveDateTime,
    last: chrono::NaiveDateTime,
    /// The latest error.
    error: String,
}

/// The calendar directory's `*.toml` files: names, sizes, modification times.
fn fingerprint(dir: &Path) -> Vec<(String, u64, Option<SystemTime>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .map(|e| {
            let meta = e.metadata().ok();
            (
                e.file_name().to_string_lossy().into_owned(),
                meta.as_ref().map_or(0, std::fs::Metadata::len),
                meta.and_then(|m| m.modified().ok()),
            )
        })
        .collect();
    files.sort();
    files
}

/// A case whose current deadline a calendar change moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The case.
    pub reference: String,
    /// Its current stage.
    pub stage: &'static str,
    /// The deadline before.
    pub before: Option<chrono::NaiveDate>,
    /// The deadline after.
    pub after: Option<chrono::NaiveDate>,
}

/// The open cases whose current deadline differs between `old` and `new`, as of `today`.
///
/// # Errors
/// A database failure.
pub async fn moved_deadlines(
    source: &crate::source::Source,
    config: &Config,
    old: &Calendar,
    new: &Calendar,
    today: chrono::NaiveDate,
) -> anyhow::Result<Vec<Moved>> {
    let mut moved = Vec::new();
    let current_due = |case: &crate::domain::case::Case, cal: &Calendar| {
        let status = deadline::evaluate(case, &config.rules, cal, today).ok()?;
        let stage = status.current?;
        let s = status.stages.iter().find(|s| s.stage == stage)?;
        Some((stage.as_str(), s.due))
    };
    source
        .scan(true, |case| {
            let Ok(case) = case else { return Ok(()) };
            let (before, after) = (current_due(&case, old), current_due(&case, new));
            if before != after
                && let Some((stage, _)) = before.or(after)
            {
                moved.push(Moved {
                    reference: case.reference.to_string(),
                    stage,
                    before: before.and_then(|b| b.1),
                    after: after.and_then(|a| a.1),
                });
            }
            Ok(())
        })
        .await?;
    Ok(moved)
}

fn show_date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "（中止中，无期限）".to_owned(), |d| d.to_string())
}

impl Daemon {
    /// Loads everything; nothing is scheduled yet.
    ///
    /// # Errors
    /// What cannot be loaded, named.
    pub async fn load(config: Config) -> anyhow::Result<Daemon> {
        let dir = config.calendar.dir.clone();
        let ctx = Context::load(config).await?;
        // Not a daemon whose every poll fails: a database it cannot write stops the start.
        ctx.store
            .check_writable(&ctx.config.database.url.to_string())
            .await?;
        let database_file = match ctx.store.sqlite_file() {
            None => None,
            Some((path, identity)) => Some((
                path.clone(),
                identity.with_context(|| format!("examining {}", path.display()))?,
            )),
        };
        let locks = ctx
            .config
            .schedule
            .jobs()
            .iter()
            .map(|(name, _)| (*name, Mutex::new(())))
            .collect();
        Ok(Daemon {
            ctx,
            locks,
            fingerprint: std::sync::Mutex::new(fingerprint(&dir)),
            errors: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            last_poll: std::sync::Mutex::new(None),
            unrecorded: std::sync::Mutex::new(HashMap::new()),
            reload_requested: AtomicBool::new(false),
            calendar_read: std::sync::Mutex::new(None),
            database_file,
            fatal: std::sync::Mutex::new(None),
            fatal_set: tokio::sync::Notify::new(),
        })
    }

    /// Runs job `name` once, unless its previous run is still going; records and logs it.
    pub async fn run_job(&self, name: &'static str) {
        use tracing::Instrument;
        let Some(lock) = self.locks.get(name) else {
            return;
        };
        let Ok(_guard) = lock.try_lock() else {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                job = name,
                "the previous run is still going; this tick is skipped"
            );
            return;
        };
        if let Err(why) = self.check_database_file() {
            tracing::error!(job = name, "{why}");
            let mut fatal = self
                .fatal
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            fatal.get_or_insert(why);
            self.fatal_set.notify_one();
            return;
        }
        self.run_locked(name)
            .instrument(tracing::info_span!("run", job = name))
            .await;
    }

    async fn run_locked(&self, name: &'static str) {
        let store = &self.ctx.store;
        let mut unrecorded: Option<String> = None;
        let id = match store.run_started(name, &self.ctx.worker).await {
            Ok(id) => {
                self.record_unrecorded(name).await;
                Some(id)
            }
            Err(e) => {
                tracing::error!("cannot record the run: {}", crate::error::chain(&e));
                unrecorded = Some(crate::error::chain(&e));
                None
            }
        };
        let mut report = Report::default();
        let result = match name {
            "poll" => {
                let r = self.poll(&mut report).await;
                // Only a poll that read the cases replaces the figures /metrics shows.
                if r.is_ok() && report.counted {
                    let mut last = self
                        .last_poll
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    *last = Some(report.clone());
                }
                r
            }
            "calendar_check" => self.calendar_check().await,
            "housekeeping" => self.housekeeping().await,
            "monthly_report" => self.monthly_report(&mut report).await,
            _ => Ok(()),
        };
        let error = result.as_ref().err().map(crate::error::chain);
        match &error {
            None => {
                tracing::info!(
                    cases = report.cases,
                    digests = report.digests,
                    sent = report.sent,
                    retried = report.retried,
                    dead = report.dead,
                    "done"
                );
            }
            Some(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!("failed: {e}");
            }
        }
        // The watchdog hears only of polls that made progress: all of it, or at least the
        // delivery of what is queued (a case system that is down must not get duewatch killed
        // and restarted in a loop while its own mail waits; `health` reports the failed polls).
        if name == "poll" && (error.is_none() || report.delivered) {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
        }
        if let Some(id) = id
            && let Err(e) = store
                .run_finished(id, &report.figures(), error.as_deref())
                .await
        {
            tracing::error!(
                "cannot record the end of the run: {}",
                crate::error::chain(&e)
            );
            unrecorded = Some(crate::error::chain(&e));
        }
        if let Some(recording) = unrecorded {
            self.remember_unrecorded(name, error.unwrap_or(recording));
        }
    }

    /// Keeps a run the database could not record, to record it later.
    fn remember_unrecorded(&self, name: &'static str, error: String) {
        let now = self.ctx.now();
        let mut all = self
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = all.entry(name).or_insert_with(|| Unrecorded {
            runs: 0,
            first: now,
            last: now,
            error: String::new(),
        });
        entry.runs += 1;
        entry.last = now;
        entry.error = error;
    }

    /// Writes the runs of `name` that could not be recorded as one failed run, now that the
    /// database answers; keeps them for later if it fails again.
    async fn record_unrecorded(&self, name: &'static str) {
        let taken = self
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
        let Some(u) = taken else { return };
        let error = format!(
            "{} run(s) from {} to {} could not be recorded (the database did not answer); \
             the latest error: {}",
            u.runs,
            u.first.format("%Y-%m-%d %H:%M:%S"),
            u.last.format("%Y-%m-%d %H:%M:%S"),
            u.error
        );
        tracing::warn!("{error}");
        let store = &self.ctx.store;
        let recorded = match store.run_started(name, &self.ctx.worker).await {
            Ok(id) => store
                .run_finished(id, &Report::default().figures(), Some(&error))
                .await
                .is_ok(),
            Err(_) => false,
        };
        if !recorded {
            self.unrecorded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(name)
                .or_insert(u);
        }
    }

    async fn poll(&self, report: &mut Report) -> anyhow::Result<()> {
        let requested = self.reload_requested.swap(false, Ordering::SeqCst);
        if requested {
            self.reload_templates().await;
        }
        if let Err(e) = self.reload_calendar(requested).await {
            if requested {
                // The database failed while the calendar was compared: the next poll again.
                self.reload_requested.store(true, Ordering::SeqCst);
            }
            return Err(e);
        }
        poll::run(&self.ctx, self.ctx.now(), report).await
    }

    /// Asks for the templates and the calendar to be re-read (SIGHUP), by the next poll, and
    /// starts one now (skipped, and the request kept for the next tick, if a poll is running).
    fn request_reload(self: &Arc<Self>) {
        self.reload_requested.store(true, Ordering::SeqCst);
        let shared = Arc::clone(self);
        tokio::spawn(async move { shared.run_job("poll").await });
    }

    /// Puts an edited calendar in force, or keeps the last good one and says why; `force`
    /// (SIGHUP) reads the files even if their names, sizes and times look unchanged.
    async fn reload_calendar(&self, force: bool) -> anyhow::Result<()> {
        let dir = &self.ctx.config.calendar.dir;
        let now = fingerprint(dir);
        let unchanged = *self
            .fingerprint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            == now;
        if unchanged && !force {
            return Ok(());
        }
        // The fingerprint is taken as handled only once the edit is in force or its refusal
        // is queued: a database failure in between means the next poll tries again.
        let handled = || {
            *self
                .fingerprint
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = now.clone();
        };
        let edit = format!("{:x}", fxhash(&now));
        let today = self.ctx.now().date();
        let Some(loaded) = self.read_calendar().await else {
            return Ok(());
        };
        match loaded {
            Ok(loaded) => {
                let old = self.ctx.calendar();
                let moved = moved_deadlines(
                    &self.ctx.source,
                    &self.ctx.config,
                    &old,
                    &loaded.calendar,
                    today,
                )
                .await?;
                self.ctx.set_calendar(loaded.calendar);
                handled();
                tracing::info!(
                    moved = moved.len(),
                    "{}; the new calendar is in force",
                    if force {
                        "SIGHUP: the calendar files were re-read"
                    } else {
                        "calendar files changed"
                    }
                );
                if !moved.is_empty() {
                    let lines: Vec<String> = moved
                        .iter()
                        .map(|m| {
                            format!(
                                "{} {}：{} → {}",
                                m.reference,
                                m.stage,
                                show_date(m.before),
                                show_date(m.after)
                            )
                        })
                        .collect();
                    let title = format!("节假日安排变更，{} 件申请的期限随之改变", moved.len());
                    self.notice("calendar_moved", &edit, &title, &lines).await?;
                }
            }
            Err(e) => {
                tracing::error!(
                    "the edited calendar files are refused; the last good calendar stays in force:\n{e}"
                );
                let lines: Vec<String> = e.to_string().lines().map(str::to_owned).collect();
                let title = "节假日文件有误，已拒绝载入，仍使用上一份有效日历".to_owned();
                self.notice("calendar_refused", &edit, &title, &lines)
                    .await?;
            }
        }
        Ok(())
    }

    /// Daily: last month's report, from the month's first working day on, once
    /// ([`crate::jobs::feeds::monthly_report`]); then delivered at once.
    async fn monthly_report(&self, report: &mut Report) -> anyhow::Result<()> {
        let now = self.ctx.now();
        let done = crate::jobs::feeds::monthly_report(&self.ctx, now).await?;
        tracing::info!(?done, "monthly report");
        if matches!(done, crate::jobs::feeds::Monthly::Queued(_)) {
            poll::deliver(&self.ctx, now, report).await?;
        }
        Ok(())
    }

    /// Daily: forget what can never matter again.
    async fn housekeeping(&self) -> anyhow::Result<()> {
        let today = self.ctx.now().date();
        let forgotten = self.ctx.store.forget_past_repeats(today).await?;
        tracing::info!(forgotten, "keys of past days' repeated notices forgotten");
        Ok(())
    }

    /// Daily: this year's calendar, and from 1 November next year's, must be loaded.
    async fn calendar_check(&self) -> anyhow::Result<()> {
        let today = self.ctx.now().date();
        let missing = self.ctx.calendar().missing_years(today);
        if missing.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = missing
            .iter()
            .map(|y| {
                format!(
                    "{y} 年节假日安排未载入：跨入 {y} 年的期限只按周末推算（暂定）。国务院办公厅通知发布后，\
                     请把 {y}.toml 放入日历目录（duewatch calendar import，或见 README“Calendar files”）。"
                )
            })
            .collect();
        for y in &missing {
            tracing::warn!(
                year = y,
                "the calendar for this year is missing: deadlines into it are provisional"
            );
        }
        let title = format!(
            "{} 年节假日安排尚未载入",
            missing
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join("、")
        );
        // Once a day while the year is missing.
        self.notice("calendar_missing", &today.to_string(), &title, &lines)
            .await
    }

    /// Queues a notice to `mail.admins`, once per (`key`, `occurrence`) and day.
    async fn notice(
        &self,
        key: &str,
        occurrence: &str,
        title: &str,
        lines: &[String],
    ) -> anyhow::Result<()> {
        let admins = &self.ctx.config.mail.admins;
        if admins.is_empty() {
            tracing::warn!("mail.admins is empty: \"{title}\" is in this log only");
            return Ok(());
        }
        let now = self.ctx.now();
        let rendered =
            self.ctx
                .templates()
                .notice(&now.format("%Y-%m-%d %H:%M").to_string(), title, lines)?;
        self.ctx
            .store
            .record_notice(
                key,
                now.date(),
                occurrence,
                &admins.iter().map(ToString::to_string).collect::<Vec<_>>(),
                &rendered,
                &self.ctx.config.mail.from,
            )
            .await?;
        Ok(())
    }
}

/// A stable hash of a fingerprint (FNV-1a), to name an edit in notice keys.
fn fxhash(files: &[(String, u64, Option<SystemTime>)]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (name, len, modified) in files {
        eat(name.as_bytes());
        eat(&len.to_le_bytes());
        let nanos = modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        eat(&nanos.to_le_bytes());
    }
    h
}

/// Runs the daemon until SIGTERM or SIGINT.
///
/// # Errors
/// What stops the start (each named); a failure to schedule the jobs.
pub async fn run(config: Config) -> anyhow::Result<()> {
    // Listening from the start: SIGHUP's default action would end the process.
    let mut signals = Signals::listen()?;
    let daemon = Arc::new(Daemon::load(config).await?);
    if daemon.ctx.config.daemon.samples {
        crate::daemon::samples::ensure(&daemon.ctx).await?;
    }
    let tz = daemon.ctx.config.timezone.tz();
    let mut scheduler = JobScheduler::new()
        .await
        .context("starting the scheduler")?;
    for (name, cron) in daemon.ctx.config.schedule.jobs() {
        let shared = Arc::clone(&daemon);
        let job = Job::new_async_tz(cron, tz, move |_, _| {
            let shared = Arc::clone(&shared);
            Box::pin(async move { shared.run_job(name).await })
        })
        .map_err(|e| anyhow::anyhow!("schedule.{name}: \"{cron}\": {e:?}"))?;
        scheduler
            .add(job)
            .await
            .with_context(|| format!("scheduling {name}"))?;
    }
    scheduler.start().await.context("starting the scheduler")?;
    if daemon.ctx.config.http.listen.is_some() {
        crate::daemon::http::spawn(Arc::clone(&daemon)).await?;
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    tracing::info!(worker = %daemon.ctx.worker, "duewatch is running");
    // The first poll now, not at the first tick: a fresh start shows its work at once.
    {
        let shared = Arc::clone(&daemon);
        tokio::spawn(async move { shared.run_job("poll").await });
    }

    let fatal = loop {
        tokio::select! {
            signal = signals.next() => match signal {
                Signal::Stop => break None,
                Signal::Reload => {
                    tracing::info!(
                        "SIGHUP: re-reading the calendar and the mail templates, then polling"
                    );
                    daemon.request_reload();
                }
            },
            () = daemon.fatal_set.notified() => break daemon.fatal(),
        }
    };
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    tracing::info!("stopping: no new runs; waiting for the running ones");
    daemon.ctx.stop();
    scheduler
        .shutdown()
        .await
        .context("stopping the scheduler")?;
    let grace = Duration::from_secs(daemon.ctx.config.daemon.shutdown_grace_secs);
    let drained = tokio::time::timeout(grace, async {
        for lock in daemon.locks.values() {
            let _ = lock.lock().await;
        }
    })
    .await;
    if let Some(why) = fatal {
        // Nothing more is written: which file would it go to?
        anyhow::bail!("{why}");
    }
    if drained.is_err() {
        // A send may still be under way: its claims run out with their lease instead, so that
        // no other instance sends the same mail meanwhile.
        tracing::warn!(
            "a run did not finish within daemon.shutdown_grace_secs; its claims expire with their lease"
        );
        return Ok(());
    }
    let released = daemon.ctx.store.release(&daemon.ctx.worker).await?;
    tracing::info!(released, "stopped");
    Ok(())
}
