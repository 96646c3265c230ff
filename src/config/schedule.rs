//! `[schedule]`: when the daemon runs each of its jobs. [`Job`] is the one list of them (the
//! schedule, the daemon, `run --once --job` and the `runs` table all name a job through it);
//! each cron expression is parsed once, when the configuration is loaded, into a [`Cron`].
//!
//! A bad expression is kept with its error and refused by [`Schedule::check`] (from
//! `Config::validate`, so in the same order and with the same message as every other value):
//! the daemon and `health` only ever see parsed expressions.

use std::fmt;

use serde::Deserialize;

/// A job of the daemon. Its [`name`](Job::name) is its key under `[schedule]`, its value of
/// `run --once --job` and its `job` in the `runs` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    /// Reconcile and deliver (`crate::jobs::poll`). Default every 5 minutes.
    Poll,
    /// This year's and (from 1 November) next year's calendars loaded? (`crate::jobs::calendar_check`).
    /// Default daily at 08:00.
    CalendarCheck,
    /// Forget the keys of past days' repeated overdue notices (`crate::jobs::housekeeping`).
    /// Default daily at 03:30.
    Housekeeping,
    /// Last month's report to `[report] recipients`, on or after the month's first working day,
    /// once (`crate::jobs::monthly_report`). Default daily at 09:00; `""` switches it off.
    MonthlyReport,
}

impl Job {
    /// Every job, in the order they are checked, registered and listed.
    pub const ALL: [Job; 4] = [
        Job::Poll,
        Job::CalendarCheck,
        Job::Housekeeping,
        Job::MonthlyReport,
    ];

    /// The job's name: its key under `[schedule]`, its `--job` value, its `job` in `runs`.
    pub const fn name(self) -> &'static str {
        match self {
            Job::Poll => "poll",
            Job::CalendarCheck => "calendar_check",
            Job::Housekeeping => "housekeeping",
            Job::MonthlyReport => "monthly_report",
        }
    }

    /// What the job does, in a few words (for `--help`).
    pub const fn summary(self) -> &'static str {
        match self {
            Job::Poll => "reconcile and deliver",
            Job::CalendarCheck => {
                "tell mail.admins if this year's (from 1 November next year's) calendar is missing"
            }
            Job::Housekeeping => "forget the keys of past days' repeated overdue notices",
            Job::MonthlyReport => "last month's report, if due and not sent yet; then deliver",
        }
    }

    /// Whether an empty expression switches the job off (only the monthly report may be off).
    const fn may_be_off(self) -> bool {
        matches!(self, Job::MonthlyReport)
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cron expression with seconds (`sec min hour day month weekday`), parsed by the parser
/// tokio-cron-scheduler uses.
#[derive(Debug, Clone)]
pub struct Cron {
    text: String,
    parsed: croner::Cron,
}

impl Cron {
    /// Parses `text`, seconds required.
    ///
    /// # Errors
    /// The parser's reason.
    pub fn parse(text: &str) -> Result<Cron, String> {
        croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .build()
            .parse(text)
            .map(|parsed| Cron {
                text: text.to_owned(),
                parsed,
            })
            .map_err(|e| e.to_string())
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The next `n` ticks after `start`.
    pub fn ticks_after(
        &self,
        start: chrono::DateTime<chrono_tz::Tz>,
        n: usize,
    ) -> Vec<chrono::DateTime<chrono_tz::Tz>> {
        self.parsed.iter_after(start).take(n).collect()
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A job's expression as loaded.
#[derive(Debug, Clone)]
enum Entry {
    /// Switched off by an empty expression.
    Off,
    /// Parsed.
    On(Box<Cron>),
    /// Not a cron expression: refused by [`Schedule::check`].
    Bad { text: String, error: String },
}

/// `[schedule]`: each job's cron expression, parsed, in `timezone`.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "ScheduleText")]
pub struct Schedule {
    /// One entry per job, in the order of [`Job::ALL`].
    entries: [(Job, Entry); 4],
}

/// `[schedule]` as written: the keys are the jobs' names (a unit test holds them to
/// [`Job::name`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleText {
    poll: String,
    calendar_check: String,
    housekeeping: String,
    monthly_report: String,
}

impl ScheduleText {
    fn get(&self, job: Job) -> &str {
        match job {
            Job::Poll => &self.poll,
            Job::CalendarCheck => &self.calendar_check,
            Job::Housekeeping => &self.housekeeping,
            Job::MonthlyReport => &self.monthly_report,
        }
    }
}

impl From<ScheduleText> for Schedule {
    fn from(text: ScheduleText) -> Schedule {
        Schedule {
            entries: Job::ALL.map(|job| {
                let cron = text.get(job);
                let entry = if job.may_be_off() && cron.trim().is_empty() {
                    Entry::Off
                } else {
                    match Cron::parse(cron) {
                        Ok(cron) => Entry::On(Box::new(cron)),
                        Err(error) => Entry::Bad {
                            text: cron.to_owned(),
                            error,
                        },
                    }
                };
                (job, entry)
            }),
        }
    }
}

/// A `[schedule]` value that is not a cron expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule.{job}: \"{text}\" is not a cron expression: {error}")]
pub struct ScheduleError {
    /// The job whose key it is.
    pub job: Job,
    /// The value.
    pub text: String,
    /// The parser's reason.
    pub error: String,
}

impl ScheduleError {
    /// What to do.
    pub const HELP: &'static str =
        "six fields, seconds first: \"0 */5 * * * *\" is every 5 minutes";
}

impl Schedule {
    /// The jobs switched on, each with its expression, in the order of [`Job::ALL`]: the one
    /// list the daemon registers. (A bad expression, which [`Schedule::check`] refuses, is not
    /// listed.)
    pub fn jobs(&self) -> impl Iterator<Item = (Job, &Cron)> {
        self.entries.iter().filter_map(|(job, entry)| match entry {
            Entry::On(cron) => Some((*job, &**cron)),
            Entry::Off | Entry::Bad { .. } => None,
        })
    }

    /// `job`'s expression, when it is switched on (and parsed).
    pub fn cron(&self, job: Job) -> Option<&Cron> {
        self.jobs().find(|(j, _)| *j == job).map(|(_, cron)| cron)
    }

    /// Whether `job` is switched on (only `monthly_report` may be off, by `""`).
    pub fn is_on(&self, job: Job) -> bool {
        self.entries
            .iter()
            .any(|(j, entry)| *j == job && !matches!(entry, Entry::Off))
    }

    /// The first expression that is not a cron expression, in the order of [`Job::ALL`].
    ///
    /// # Errors
    /// That expression, naming its key.
    pub fn check(&self) -> Result<(), ScheduleError> {
        for (job, entry) in &self.entries {
            if let Entry::Bad { text, error } = entry {
                return Err(ScheduleError {
                    job: *job,
                    text: text.clone(),
                    error: error.clone(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(monthly_report: &str, poll: &str) -> Schedule {
        Schedule::from(ScheduleText {
            poll: poll.to_owned(),
            calendar_check: "0 0 8 * * *".to_owned(),
            housekeeping: "0 30 3 * * *".to_owned(),
            monthly_report: monthly_report.to_owned(),
        })
    }

    #[test]
    fn the_keys_of_the_schedule_are_the_names_of_the_jobs() {
        let keys: toml::Table = toml::from_str(
            "poll = \"a\"\ncalendar_check = \"b\"\nhousekeeping = \"c\"\nmonthly_report = \"d\"\n",
        )
        .expect("TOML");
        let text: ScheduleText = keys.clone().try_into().expect("every key known");
        for job in Job::ALL {
            assert_eq!(keys[job.name()].as_str(), Some(text.get(job)), "{job}");
        }
        assert_eq!(keys.len(), Job::ALL.len());
    }

    #[test]
    fn an_empty_monthly_report_switches_it_off_and_only_it() {
        let s = schedule("", "0 */5 * * * *");
        assert!(!s.is_on(Job::MonthlyReport));
        assert_eq!(
            s.jobs().map(|(j, _)| j).collect::<Vec<_>>(),
            [Job::Poll, Job::CalendarCheck, Job::Housekeeping]
        );
        assert!(s.check().is_ok());
        let e = schedule("0 0 9 * * *", "")
            .check()
            .expect_err("poll may not be off");
        assert_eq!(e.job, Job::Poll);
    }

    #[test]
    fn a_bad_expression_is_refused_naming_its_key() {
        let e = schedule("0 0 9 * * *", "*/5 * * * *")
            .check()
            .expect_err("five fields");
        assert!(
            e.to_string()
                .starts_with("schedule.poll: \"*/5 * * * *\" is not a cron expression: "),
            "{e}"
        );
    }
}
