//! `duewatch run`: the daemon, or with `--once` one pass of a job (`--dry-run`: who would get
//! what and why, writing and sending nothing). Mail, the outbox, the configuration and health
//! have their own files (`mail.rs`, `outbox.rs`, `config.rs`, `health.rs`).

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDateTime;
use clap::Args;

use super::runtime;
use crate::config::Config;
use crate::jobs::{Context, Failed, Job, Report};

/// `duewatch run`.
#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// One reconcile-and-deliver pass, then exit.
    #[arg(long)]
    once: bool,
    /// The local time of the pass, YYYY-MM-DDTHH:MM, instead of the real time.
    #[arg(long, value_parser = now_arg, value_name = "YYYY-MM-DDTHH:MM")]
    now: Option<NaiveDateTime>,
    /// Say who would get what and why; write and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// With --once: the daemon's job to run.
    #[arg(long, value_enum, default_value_t = Job::Poll)]
    job: Job,
}

/// `--job`: every job of the daemon, by its name, with what it does.
impl clap::ValueEnum for Job {
    fn value_variants<'a>() -> &'a [Self] {
        &Job::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.summary()))
    }
}

fn now_arg(s: &str) -> Result<NaiveDateTime, String> {
    let now = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").map_err(|_| {
        format!("\"{s}\" is not a local time; write YYYY-MM-DDTHH:MM, e.g. 2026-11-27T09:00")
    })?;
    super::within_range(now.date()).map(|_| now)
}

pub(super) fn run(out: &mut dyn Write, args: RunArgs, config: Config) -> anyhow::Result<ExitCode> {
    config.validate()?;
    if !args.once {
        if args.now.is_some() || args.dry_run {
            anyhow::bail!("--now and --dry-run go with --once");
        }
        let runtime = runtime()?;
        let ran = runtime.block_on(crate::daemon::run(config));
        // Not waiting for ever on a blocking read still under way (a hung file system).
        runtime.shutdown_timeout(std::time::Duration::from_secs(1));
        ran?;
        return Ok(ExitCode::SUCCESS);
    }
    runtime()?.block_on(async {
        let ctx = Context::load(config).await?;
        let now = args.now.unwrap_or_else(|| ctx.now());
        if args.dry_run {
            if args.job != Job::Poll {
                anyhow::bail!("--dry-run goes with the poll job only");
            }
            return dry_run(out, &ctx, now).await;
        }
        let (mut report, failed) = match crate::jobs::run(args.job, &ctx, now).await {
            Ok(report) => (report, None),
            Err(Failed { error, report }) => (report, Some(error)),
        };
        // `run --once` delivers what is due even when the monthly report job queued nothing
        // (the daemon's job sends only what it has just queued: its poll delivers the rest).
        if failed.is_none()
            && args.job == Job::MonthlyReport
            && !matches!(
                report.monthly,
                Some(crate::jobs::monthly_report::Monthly::Queued(_))
            )
        {
            crate::jobs::poll::deliver(&ctx, now, &mut report).await?;
        }
        let at = now.format("%Y-%m-%d %H:%M");
        if let Some(done) = &report.monthly {
            use crate::jobs::monthly_report::Monthly;
            writeln!(
                out,
                "{at}: monthly report: {}",
                match done {
                    Monthly::NotYet { due } => format!("not yet (due from {due})"),
                    Monthly::AlreadyQueued => "queued already".to_owned(),
                    Monthly::NoRecipients => "no recipient ([report] recipients)".to_owned(),
                    Monthly::Queued(n) => format!("queued to {n} recipient(s)"),
                }
            )?;
        }
        if let Some(error) = failed {
            return Err(error);
        }
        match args.job {
            Job::Poll => {}
            Job::MonthlyReport => {
                // The job reconciles no case (the poll does): say what it delivered, not what
                // a poll's window would have done (issue 17).
                delivered(out, now, &report)?;
                return Ok(ExitCode::SUCCESS);
            }
            Job::CalendarCheck => {
                if report.missing_years.is_empty() {
                    writeln!(out, "{at}: calendar check: every calendar needed is loaded")?;
                } else {
                    let years: Vec<String> =
                        report.missing_years.iter().map(i32::to_string).collect();
                    writeln!(
                        out,
                        "{at}: calendar check: no calendar for {}: deadlines into it are \
                         provisional; mail.admins are told once a day",
                        years.join(", ")
                    )?;
                }
                if let Some((year, cases)) = report.annual_incomplete {
                    writeln!(
                        out,
                        "{at}: calendar check: the annual report of {year} is incomplete: {cases} \
                         case(s) to fix (`duewatch report annual {year}` names them); \
                         mail.admins are told once a day"
                    )?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            Job::Housekeeping => {
                writeln!(
                    out,
                    "{at}: housekeeping: {} key(s) of past days' repeated notices forgotten",
                    report.forgotten
                )?;
                return Ok(ExitCode::SUCCESS);
            }
        }
        print_report(out, now, &report)?;
        Ok(if report.bad_cases > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    })
}

/// The monthly report job's second line: the mail it delivered (the report just queued, and
/// whatever else was due), and the problems it reported.
fn delivered(out: &mut dyn Write, now: NaiveDateTime, r: &Report) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}: delivered what was due: {}",
        now.format("%Y-%m-%d %H:%M"),
        delivery(r),
    )?;
    Ok(())
}

/// What a pass delivered: `sent N, retrying N, dead N`, and the problems told to the admins.
fn delivery(r: &Report) -> String {
    format!(
        "sent {}, retrying {}, dead {}{}",
        r.sent,
        r.retried,
        r.dead,
        if r.reported > 0 {
            format!("; {} problem(s) reported to mail.admins", r.reported)
        } else {
            String::new()
        },
    )
}

fn print_report(out: &mut dyn Write, now: NaiveDateTime, r: &Report) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}: window {}; {} open case(s) read{}; {} digest(s) queued; {}",
        now.format("%Y-%m-%d %H:%M"),
        if r.window_open {
            "open"
        } else {
            "closed (nothing reconciled, digests wait)"
        },
        r.cases,
        if r.bad_cases > 0 {
            format!(", {} could not be evaluated (see the log)", r.bad_cases)
        } else {
            String::new()
        },
        r.digests,
        delivery(r),
    )?;
    Ok(())
}

async fn dry_run(
    out: &mut dyn Write,
    ctx: &Context,
    now: NaiveDateTime,
) -> anyhow::Result<ExitCode> {
    let open = ctx.config.window.is_open(&ctx.calendar(), now);
    writeln!(
        out,
        "dry run as of {}: the sending window is {}; nothing is written or sent",
        now.format("%Y-%m-%d %H:%M"),
        if open {
            "open"
        } else {
            "closed, so a real run would do nothing now"
        }
    )?;
    let mut report = Report::default();
    let by_recipient = crate::jobs::poll::due_items(ctx, now, &mut report).await?;
    let repeated = ctx.store.repeated_on(now.date()).await?;
    for (recipient, items) in &by_recipient {
        let mut new = Vec::new();
        for item in items {
            // Today's repeat of the overdue lines, if not made yet, lists each of them again.
            let repeats = item.repeat && !repeated.contains(&**recipient);
            if repeats || !ctx.store.notified(item).await? {
                new.push(item);
            }
        }
        writeln!(
            out,
            "{recipient} ({}): {} new of {} line(s)",
            items.first().map_or("", |i| &*i.recipient_name),
            new.len(),
            items.len()
        )?;
        for item in items {
            let line = &item.line;
            let why = match (line.suspended_days, line.overdue_by, line.remaining) {
                (Some(n), _, _) => format!("suspended for {n} working day(s)"),
                (None, Some(n), _) => format!("overdue by {n} working day(s)"),
                (None, None, Some(0)) => "due today".to_owned(),
                (None, None, Some(n)) => format!("{n} working day(s) left"),
                (None, None, None) => String::new(),
            };
            writeln!(
                out,
                "  {} {} {} {} due {}: {}{}{}",
                if new.contains(&item) { "new " } else { "sent" },
                item.level_key,
                item.reference,
                item.stage,
                item.deadline,
                why,
                if item.role == crate::domain::escalation::Role::Responsible {
                    ""
                } else {
                    " (copy)"
                },
                if item.line.provisional {
                    " (provisional)"
                } else {
                    ""
                },
            )?;
        }
    }
    if by_recipient.is_empty() {
        writeln!(out, "no open case calls for a notification")?;
    }
    Ok(unwatched(out, &report)?)
}

/// The dry run's last lines: each case it could not read or evaluate, named; exit 1 if any.
fn unwatched(out: &mut dyn Write, report: &Report) -> std::io::Result<ExitCode> {
    let named = report.bad_rows.len() + report.unevaluable.len();
    for (reference, problem) in &report.bad_rows {
        writeln!(out, "not watched: case {reference}: {problem}")?;
    }
    for (reference, problem) in &report.unevaluable {
        writeln!(
            out,
            "not watched: case {reference}: its deadlines cannot be counted: {problem}"
        )?;
    }
    if report.bad_cases == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{} case(s) could not be read or evaluated{}; a real run reports them to mail.admins",
        report.bad_cases,
        if named as u64 == report.bad_cases {
            " (named above)"
        } else {
            " (see the log)"
        }
    )?;
    Ok(ExitCode::FAILURE)
}
