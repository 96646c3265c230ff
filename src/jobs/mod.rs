//! The daemon's jobs, each a plain `async fn run(ctx, now)` in its own file that returns what it
//! did. The daemon ([`crate::daemon`]) only decides *when* a job runs; `run --once --job`, the
//! tests and the daemon call the same [`run`].
//!
//! - [`poll`]: one pass, `reconcile.rs` (what every open case calls for, recorded in the
//!   outbox, digests made; `pending.rs`: a digest in the making) then `deliver.rs` (send what
//!   is due); `channels.rs`: the same lines posted to the parties' chat channels (issue 17);
//!   `problems.rs`: what the administrators are told of (bad rows, unaddressed lines,
//!   uncountable cases, the daemon's notices);
//! - [`calendar_check`]: is this year's (from 1 November next year's) calendar loaded;
//! - [`housekeeping`]: forget what can never matter again;
//! - [`health`]: is duewatch doing its job (the verdict of `duewatch health` and `/healthz`);
//! - [`monthly_report`]: last month's report, once, from the month's first working day.
//!
//! [`Job`] (the list of them) lives in [`crate::config`], whose `[schedule]` names them; it is
//! re-exported here. This room may use the store, the source, mail and output; never the
//! daemon or the command line.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDateTime;

use crate::calendar::Calendar;
use crate::config::Config;
use crate::mail::render::Templates;
use crate::mail::transport::Transport;
use crate::source::Source;
use crate::store::RunFigures;
use crate::store::Store;

pub mod calendar_check;
mod channels;
mod deliver;
mod digest;
pub mod health;
pub mod housekeeping;
mod known;
pub mod monthly_report;
mod pending;
pub mod poll;
pub(crate) mod problems;
mod reconcile;

pub use crate::config::Job;

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
    /// The keys the last pass found in a mail (128-bit digests, in the order met): the next
    /// pass skips them without asking the database. Only ever a shortcut: the database's unique
    /// key decides. Replaced by each pass, so it holds only the lines open cases call for now;
    /// an array with a small index, not a hash set, for memory (20 bytes a key and 4 bytes per
    /// four keys: [`known::KnownKeys`]).
    known: std::sync::Mutex<Arc<known::KnownKeys>>,
}

impl Context {
    /// Loads everything a pass needs: the database (migrated), the calendar, the templates and
    /// the transport.
    ///
    /// # Errors
    /// Whatever cannot be loaded, named.
    pub async fn load(config: Config) -> anyhow::Result<Context> {
        let store = Store::connect(&config.database.url).await?;
        if let Some(backup) = store.upgrade(config.database.backups_kept).await? {
            tracing::info!(backup = %backup.display(), "database backed up before migrating it");
        }
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
    pub(crate) fn known(&self) -> Arc<known::KnownKeys> {
        let known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(&known)
    }

    /// Replaces the known keys by those a whole pass found mailed.
    pub(crate) fn remember(&self, keys: Vec<u128>) {
        let keys = known::KnownKeys::new(keys);
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

    pub(crate) fn is_stopping(&self) -> bool {
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

/// What a run of a job did: the cases it read and the mail it made and sent (a poll), and
/// what the other jobs found.
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
    /// `calendar_check`: the years whose calendar is missing (told to `mail.admins` once a day).
    #[serde(skip)]
    pub missing_years: Vec<i32>,
    /// `calendar_check`: from 2 January, last year's annual report (table 3) when incomplete:
    /// the year and the cases that keep it so (told to `mail.admins` once a day).
    #[serde(skip)]
    pub annual_incomplete: Option<(i32, usize)>,
    /// `housekeeping`: the keys of past days' repeated notices forgotten.
    #[serde(skip)]
    pub forgotten: u64,
    /// `monthly_report`: what it did.
    #[serde(skip)]
    pub monthly: Option<monthly_report::Monthly>,
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

/// A run that failed: its first error, and what it had done by then (a poll whose reconcile
/// failed still delivers what is queued, and says so). Reads as its error.
#[derive(Debug)]
pub struct Failed {
    /// The first error.
    pub error: anyhow::Error,
    /// What the run did before and after it.
    pub report: Report,
}

impl From<anyhow::Error> for Failed {
    fn from(error: anyhow::Error) -> Failed {
        Failed {
            error,
            report: Report::default(),
        }
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Failed {
    // The error's own causes, so that the chain reads as the error's.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Runs `job` once at local time `now`.
///
/// # Errors
/// The job's first failure, with what it did.
pub async fn run(job: Job, ctx: &Context, now: NaiveDateTime) -> Result<Report, Failed> {
    match job {
        Job::Poll => poll::run(ctx, now).await,
        Job::CalendarCheck => Ok(calendar_check::run(ctx, now).await?),
        Job::Housekeeping => Ok(housekeeping::run(ctx, now).await?),
        Job::MonthlyReport => monthly_report::run(ctx, now).await,
    }
}
