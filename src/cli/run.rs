//! `duewatch run`, `duewatch mail test`, `duewatch outbox …`: the escalation job and its mail.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDateTime;
use clap::{Args, Subcommand};

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

/// `duewatch mail …`.
#[derive(Debug, Subcommand)]
pub(super) enum MailCommand {
    /// Send a test mail now, through the configured transport, and say what went wrong if it
    /// fails.
    Test {
        /// The address to send it to.
        #[arg(long)]
        to: String,
    },
}

/// `duewatch outbox …`.
#[derive(Debug, Subcommand)]
pub(super) enum OutboxCommand {
    /// The newest messages and their state.
    List {
        /// Only dead letters and messages whose last attempt failed.
        #[arg(long)]
        failed: bool,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a dead or waiting message due now (it keeps its Message-ID).
    Retry {
        /// The message's id (`outbox list`).
        id: i64,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
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
        let (report, failed) = match crate::jobs::run(args.job, &ctx, now).await {
            Ok(report) => (report, None),
            Err(Failed { error, report }) => (report, Some(error)),
        };
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
            Job::Poll | Job::MonthlyReport => {}
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

fn print_report(out: &mut dyn Write, now: NaiveDateTime, r: &Report) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}: window {}; {} open case(s) read{}; {} digest(s) queued; sent {}, retrying {}, dead {}{}",
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
        r.sent,
        r.retried,
        r.dead,
        if r.reported > 0 {
            format!("; {} problem(s) reported to mail.admins", r.reported)
        } else {
            String::new()
        },
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
            let why = match (item.line.overdue_by, item.line.remaining) {
                (Some(n), _) => format!("overdue by {n} working day(s)"),
                (None, Some(0)) => "due today".to_owned(),
                (None, Some(n)) => format!("{n} working day(s) left"),
                (None, None) => String::new(),
            };
            writeln!(
                out,
                "  {} {} {} {} due {}: {}{}{}",
                if new.contains(&item) { "new " } else { "sent" },
                item.level.as_str(),
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

pub(super) fn mail(
    out: &mut dyn Write,
    command: MailCommand,
    config: Config,
) -> anyhow::Result<ExitCode> {
    config.validate()?;
    let MailCommand::Test { to } = command;
    // As `config check` checks the configured addresses: a relay would refuse it, or bounce it.
    if let Some(problem) = crate::domain::address::problem(&crate::domain::address::to_ascii(&to)) {
        anyhow::bail!(
            "--to: \"{to}\": {problem}\n  help: {}",
            crate::domain::address::PROBLEM_HELP
        );
    }
    runtime()?.block_on(async {
        let transport = crate::mail::transport::Transport::new(&config.mail)?;
        let mail = crate::mail::transport::Outgoing {
            from: config.mail.from.clone(),
            to: crate::domain::address::to_ascii(&to),
            subject: "duewatch 测试邮件 / test mail".to_owned(),
            text: format!(
                "这是 duewatch 的测试邮件：能收到即说明 [mail] 配置可用。\nThis is a test mail from duewatch: the [mail] configuration works.\n\ntransport: {:?}\n",
                config.mail.transport
            ),
            html: None,
            message_id: crate::mail::new_message_id(&config.mail.from),
            attachments: Vec::new(),
        };
        match transport.send(&mail).await {
            Ok(()) => {
                writeln!(out, "test mail to {to} accepted ({})", describe_transport(&config))?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: the test mail to {to} failed: {e}");
                eprintln!("  help: {}", hint(&e, &config));
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

fn describe_transport(config: &Config) -> String {
    match config.mail.transport {
        crate::mail::TransportKind::File => {
            format!("written to {}", config.mail.file.dir.display())
        }
        crate::mail::TransportKind::Smtp => format!(
            "by {}:{} with tls = {:?}",
            config.mail.smtp.host, config.mail.smtp.port, config.mail.smtp.tls
        ),
    }
}

/// What to check for a failed test mail.
fn hint(e: &crate::mail::transport::SendError, config: &Config) -> String {
    use crate::mail::Tls;
    use crate::mail::transport::SendError;
    let text = e.to_string().to_lowercase();
    let smtp = &config.mail.smtp;
    if text.contains("auth") || text.contains("535") {
        return "the relay refused the login: check mail.smtp.username and the password \
                (DUEWATCH__MAIL__SMTP__PASSWORD or the smtp_password credential)"
            .to_owned();
    }
    if text.contains("refused") {
        return format!(
            "nothing listens on {}:{}: check mail.smtp.host and mail.smtp.port",
            smtp.host, smtp.port
        );
    }
    match (e, smtp.tls, smtp.port) {
        (SendError::Uncertain(_), Tls::Starttls, 465) => {
            "port 465 speaks implicit TLS: set mail.smtp.tls = \"tls\"".to_owned()
        }
        (SendError::Uncertain(_), Tls::Tls, 587 | 25) => format!(
            "port {} speaks STARTTLS: set mail.smtp.tls = \"starttls\"",
            smtp.port
        ),
        (SendError::Uncertain(_), _, _) if text.contains("did not finish") => {
            "the relay accepted the connection but did not answer in time: check that the port \
             matches the TLS mode (587 starttls, 465 tls) and that no firewall holds the connection"
                .to_owned()
        }
        (SendError::Permanent(_), _, _) => {
            "the relay refused the mail for good: check the recipient and mail.from".to_owned()
        }
        _ => "check [mail] in the config; `duewatch config check` validates it".to_owned(),
    }
}

pub(super) fn outbox(
    out: &mut dyn Write,
    command: OutboxCommand,
    config: Config,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = crate::store::Store::connect(&config.database.url).await?;
        store.migrate().await?;
        match command {
            OutboxCommand::List { failed, limit, json } => {
                let rows = store.outbox_list(failed, limit).await?;
                if json {
                    serde_json::to_writer_pretty(&mut *out, &rows)?;
                    writeln!(out)?;
                } else {
                    // A relay's error (and, stored, any field) is shown escaped: it must not
                    // drive the terminal nor add a line of its own.
                    let esc = |t: &str| crate::domain::case::text::escaped(t, false).into_owned();
                    for r in &rows {
                        writeln!(
                            out,
                            "#{:<6} {:<7} {:<6} attempts {:<2} {} {}{}{}",
                            r.id,
                            r.state,
                            r.kind,
                            r.attempts,
                            esc(&r.recipient),
                            esc(&r.subject),
                            r.last_error.as_deref().map(|e| format!("\n        last error: {}", esc(e))).unwrap_or_default(),
                            if r.possible_duplicate { "\n        the relay may already have a copy (same Message-ID)" } else { "" },
                        )?;
                    }
                }
            }
            OutboxCommand::Retry { id } => {
                if !store.outbox_retry(id).await? {
                    anyhow::bail!("no unsent message #{id} in the outbox\n  help: `duewatch outbox list` shows the ids");
                }
                writeln!(out, "message #{id} is due now; the next pass sends it")?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `duewatch config …`.
#[derive(Debug, Subcommand)]
pub(super) enum ConfigCommand {
    /// Check everything duewatch needs before it starts (what systemd runs first): the values,
    /// the cron expressions, the templates (rendered once), the calendar, the database.
    Check,
    /// Print the effective configuration (defaults, file and environment merged), secrets masked.
    Show,
}

pub(super) fn config_command(
    out: &mut dyn Write,
    command: ConfigCommand,
    config: Config,
    file: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Show => {
            write!(out, "{}", crate::config::effective(file)?)?;
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Check => {
            config.validate()?;
            for warning in config.warnings() {
                eprintln!("warning: {warning}");
            }
            crate::mail::render::Templates::load(&config.mail.templates)?;
            let loaded = crate::calendar::load::load(&config.calendar.dir)?;
            let checked = runtime()?.block_on(async {
                let store = crate::store::Store::connect(&config.database.url).await?;
                store
                    .check_writable(&crate::config::mask(&config.database.url))
                    .await?;
                drop(store);
                match config.cases.source {
                    crate::config::CaseSource::Builtin => anyhow::Ok(None),
                    crate::config::CaseSource::Sql => {
                        let (source, checked) =
                            crate::source::SqlSource::connect_checked(&config).await?;
                        Ok(Some((source.shown().to_owned(), checked)))
                    }
                }
            })?;
            if let Some((shown, checked)) = checked {
                for (key, columns) in &checked.queries {
                    writeln!(
                        out,
                        "ok: {key} runs on {shown} and returns {}",
                        columns.join(", ")
                    )?;
                }
            }
            writeln!(
                out,
                "ok: config, schedule, templates, calendar (years {}) and database ({}) are usable",
                loaded
                    .calendar
                    .years()
                    .keys()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::config::mask(&config.database.url)
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `duewatch health`: exit 0 when the last successful poll is recent and no dead letter waits.
pub(super) fn health(
    out: &mut dyn Write,
    max_age: Option<u64>,
    json: bool,
    config: Config,
) -> anyhow::Result<ExitCode> {
    let max_age = max_age.map_or_else(
        || crate::daemon::health::poll_interval(&config) * 3,
        std::time::Duration::from_secs,
    );
    runtime()?.block_on(async {
        let store = crate::store::Store::connect(&config.database.url).await?;
        store.migrate().await?;
        let h = store.health().await?;
        let problems = crate::daemon::health::problems(&h, max_age);
        if json {
            serde_json::to_writer_pretty(
                &mut *out,
                &serde_json::json!({ "healthy": problems.is_empty(), "problems": problems, "figures": h }),
            )?;
            writeln!(out)?;
        } else if problems.is_empty() {
            writeln!(
                out,
                "healthy: last successful poll {:.0} s ago (limit {} s); {} mail waiting; no dead letters",
                h.last_ok_poll_age_secs.unwrap_or_default(),
                max_age.as_secs(),
                h.pending
            )?;
        } else {
            for p in &problems {
                eprintln!("unhealthy: {p}");
            }
        }
        Ok(if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

/// `duewatch calendar diff FILE`: which open cases' deadlines would move if FILE were installed.
pub(super) fn calendar_diff(
    out: &mut dyn Write,
    file: &std::path::Path,
    as_of: Option<chrono::NaiveDate>,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context as _;
    let current = crate::calendar::load::load(&config.calendar.dir)?.calendar;
    let name = file
        .file_name()
        .context("FILE must name a file, e.g. 2027.toml or local.toml")?;
    // The candidate: the calendar directory with FILE put in place, in a scratch directory.
    let scratch = std::env::temp_dir().join(format!("duewatch-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let result = (|| -> anyhow::Result<crate::calendar::Calendar> {
        if let Ok(entries) = std::fs::read_dir(&config.calendar.dir) {
            // Only the calendar files, which the load above found to be regular files: copying
            // a FIFO would block.
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().ends_with(".toml") {
                    std::fs::copy(entry.path(), scratch.join(entry.file_name()))?;
                }
            }
        }
        std::fs::copy(file, scratch.join(name))
            .with_context(|| format!("reading {}", file.display()))?;
        crate::calendar::load::load(&scratch)
            .map(|l| l.calendar)
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}",
                    e.to_string().replace(
                        &scratch.display().to_string(),
                        &config.calendar.dir.display().to_string()
                    )
                )
            })
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    let candidate = result?;
    let today = as_of.unwrap_or_else(|| config.timezone.today());
    runtime()?.block_on(async {
        let store = crate::store::Store::connect(&config.database.url).await?;
        store.migrate().await?;
        let source = crate::source::Source::open(config, &store).await?;
        let moved =
            crate::daemon::moved_deadlines(&source, config, &current, &candidate, today).await?;
        for m in &moved {
            let show = |d: Option<chrono::NaiveDate>| {
                d.map_or_else(|| "none (suspended)".to_owned(), |d| d.to_string())
            };
            writeln!(
                out,
                "{} {}: {} -> {}",
                m.reference,
                m.stage,
                show(m.before),
                show(m.after)
            )?;
        }
        writeln!(
            out,
            "{} open case(s) would have a different deadline with {} installed (as of {today})",
            moved.len(),
            file.display()
        )?;
        Ok(ExitCode::SUCCESS)
    })
}
