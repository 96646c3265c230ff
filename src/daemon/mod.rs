//! `duewatch run`: the long-running daemon.
//!
//! The daemon decides *when* the jobs run and what surrounds a run; what each job does is in
//! [`crate::jobs`]. Its rooms: `scheduler.rs` (the one place the jobs are registered),
//! `calendar.rs` (the calendar files watched), `moved.rs` (deadlines a calendar change moves),
//! `files.rs` (bounded re-reads, the SQLite file's identity), `signals.rs`, [`samples`]. The console and
//! `/healthz`, `/metrics` are [`crate::web`]'s; the daemon starts it and tells it of each poll.
//!
//! Design:
//! - **Jobs** ([`crate::jobs::Job`]) are registered in one place (`scheduler.rs`) and run by
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
//!   at once (or as soon as the running poll ends: a SIGHUP's poll waits, it is not skipped); bad templates are refused and the ones in use stay. SIGHUP never stops the daemon.
//! - **The SQLite file** is checked before every run: deleted or replaced, the daemon stops with
//!   an error instead of splitting its state between two files.
//! - **Stopping** (SIGTERM, SIGINT): no new ticks, running passes stop claiming mail, the daemon
//!   waits up to `daemon.shutdown_grace_secs` for them, gives back any claim it still holds, and
//!   exits 0.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::Mutex;

use crate::config::Config;
use crate::jobs::{Context, Failed, Job, Report};

mod calendar;
mod files;
mod moved;
pub mod samples;
mod scheduler;
mod signals;

pub use moved::{Moved, moved_deadlines};

use calendar::{Fingerprint, fingerprint};
use files::CalendarRead;
use signals::{Signal, Signals};

/// The running daemon's state, shared by its jobs.
#[derive(Debug)]
pub struct Daemon {
    /// What passes need (shared with the health and metrics listener).
    pub ctx: Arc<Context>,
    /// One lock per job: runs of a job never overlap.
    locks: HashMap<Job, Mutex<()>>,
    /// The calendar directory as last loaded.
    fingerprint: std::sync::Mutex<Fingerprint>,
    /// Failed runs, skipped ticks, the last poll's figures: for `/metrics`.
    pub metrics: Arc<crate::web::Metrics>,
    /// The console on `http.listen` (none when it is not set): told when a poll is done.
    console: std::sync::OnceLock<Arc<crate::web::Console>>,
    /// Runs the database could not record (it was unreachable), by job: written to `runs` as
    /// one failed run once it can be, so that `health` tells of the outage afterwards.
    unrecorded: std::sync::Mutex<HashMap<Job, Unrecorded>>,
    /// Set by SIGHUP: the next poll re-reads the templates and the calendar first.
    reload_requested: AtomicBool,
    /// A poll asked for by SIGHUP is waiting for the running one to end.
    reload_waiting: AtomicBool,
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

impl Daemon {
    /// Loads everything; nothing is scheduled yet.
    ///
    /// # Errors
    /// What cannot be loaded, named.
    pub async fn load(config: Config) -> anyhow::Result<Daemon> {
        let dir = config.calendar.dir.clone();
        let ctx = Arc::new(Context::load(config).await?);
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
            .map(|(job, _)| (job, Mutex::new(())))
            .collect();
        Ok(Daemon {
            ctx,
            locks,
            fingerprint: std::sync::Mutex::new(fingerprint(&dir)),
            metrics: Arc::default(),
            console: std::sync::OnceLock::new(),
            unrecorded: std::sync::Mutex::new(HashMap::new()),
            reload_requested: AtomicBool::new(false),
            reload_waiting: AtomicBool::new(false),
            calendar_read: std::sync::Mutex::new(None),
            database_file,
            fatal: std::sync::Mutex::new(None),
            fatal_set: tokio::sync::Notify::new(),
        })
    }

    /// Runs `job` once, unless its previous run is still going; records and logs it.
    pub async fn run_job(&self, job: Job) {
        let name = job.name();
        let Some(lock) = self.locks.get(&job) else {
            return;
        };
        let Ok(guard) = lock.try_lock() else {
            self.metrics.skipped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                job = name,
                "the previous run is still going; this tick is skipped"
            );
            return;
        };
        self.run_guarded(job, guard).await;
    }

    /// Runs `job` holding its lock `_guard`: checks the database file first, then records the run.
    async fn run_guarded(&self, job: Job, _guard: tokio::sync::MutexGuard<'_, ()>) {
        use tracing::Instrument;
        let name = job.name();
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
        self.run_locked(job)
            .instrument(tracing::info_span!("run", job = name))
            .await;
    }

    async fn run_locked(&self, job: Job) {
        let name = job.name();
        let store = &self.ctx.store;
        let mut unrecorded: Option<String> = None;
        let id = match store.run_started(name, &self.ctx.worker).await {
            Ok(id) => {
                self.record_unrecorded(job).await;
                Some(id)
            }
            Err(e) => {
                tracing::error!("cannot record the run: {}", crate::error::chain(&e));
                unrecorded = Some(crate::error::chain(&e));
                None
            }
        };
        let ran = match self.before(job).await {
            Ok(()) => crate::jobs::run(job, &self.ctx, self.ctx.now()).await,
            Err(e) => Err(Failed::from(e)),
        };
        let (report, error) = match ran {
            Ok(report) => {
                // Only a poll that read the cases replaces the figures /metrics shows.
                if job == Job::Poll && report.counted {
                    let mut last = self
                        .metrics
                        .last_poll
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    *last = Some(report.clone());
                }
                if job == Job::Poll
                    && let Some(console) = self.console.get()
                {
                    console.poll_done();
                }
                (report, None)
            }
            Err(Failed { error, report }) => (report, Some(crate::error::chain(&error))),
        };
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
                self.metrics.errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!("failed: {e}");
            }
        }
        // The watchdog hears only of polls that made progress: all of it, or at least the
        // delivery of what is queued (a case system that is down must not get duewatch killed
        // and restarted in a loop while its own mail waits; `health` reports the failed polls).
        if job == Job::Poll && (error.is_none() || report.delivered) {
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
            self.remember_unrecorded(job, error.unwrap_or(recording));
        }
    }

    /// Keeps a run the database could not record, to record it later.
    fn remember_unrecorded(&self, job: Job, error: String) {
        let now = self.ctx.now();
        let mut all = self
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = all.entry(job).or_insert_with(|| Unrecorded {
            runs: 0,
            first: now,
            last: now,
            error: String::new(),
        });
        entry.runs += 1;
        entry.last = now;
        entry.error = error;
    }

    /// Writes the runs of `job` that could not be recorded as one failed run, now that the
    /// database answers; keeps them for later if it fails again.
    async fn record_unrecorded(&self, job: Job) {
        let taken = self
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&job);
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
        let recorded = match store.run_started(job.name(), &self.ctx.worker).await {
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
                .entry(job)
                .or_insert(u);
        }
    }

    /// What the daemon does before a run of `job`: before a poll, the templates (on SIGHUP) and
    /// the calendar files (when edited, or on SIGHUP) are read again.
    ///
    /// # Errors
    /// A database failure while the moved deadlines are worked out.
    async fn before(&self, job: Job) -> anyhow::Result<()> {
        if job != Job::Poll {
            return Ok(());
        }
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
        Ok(())
    }

    /// Asks for the templates and the calendar to be re-read (SIGHUP), by the next poll, and
    /// starts one now, or, when a poll is running, as soon as it ends: a SIGHUP is never left
    /// waiting for the next tick (which may be hours away). Several SIGHUPs during one poll make
    /// one poll after it, not several.
    fn request_reload(self: &Arc<Self>) {
        self.reload_requested.store(true, Ordering::SeqCst);
        if self.reload_waiting.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            let Some(lock) = shared.locks.get(&Job::Poll) else {
                shared.reload_waiting.store(false, Ordering::SeqCst);
                return;
            };
            let guard = lock.lock().await;
            // A SIGHUP from now on was not seen by this poll: it waits for this one.
            shared.reload_waiting.store(false, Ordering::SeqCst);
            if shared.ctx.is_stopping() {
                return;
            }
            shared.run_guarded(Job::Poll, guard).await;
        });
    }
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
    let mut scheduler = scheduler::start(&daemon).await?;
    if daemon.ctx.config.http.listen.is_some() {
        let console = Arc::new(crate::web::Console::new(
            Arc::clone(&daemon.ctx),
            Arc::clone(&daemon.metrics),
        ));
        crate::web::spawn(Arc::clone(&console)).await?;
        let _ = daemon.console.set(console);
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    tracing::info!(worker = %daemon.ctx.worker, "duewatch is running");
    // The first poll now, not at the first tick: a fresh start shows its work at once.
    {
        let shared = Arc::clone(&daemon);
        tokio::spawn(async move { shared.run_job(Job::Poll).await });
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
