//! `duewatch calendar ...`: the administrators' calendar tools. Answers go to stdout in a stable
//! form for scripts; a provisional answer says on stderr which year is not covered.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use clap::{Subcommand, ValueEnum};

use super::{count_arg, date_arg};
use crate::calendar::holiday_cn::{self, Input};
use crate::calendar::load::{self, Directory, Loaded};
use crate::calendar::{Calendar, LocalKind, Source, date_runs};
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Print the deadline: the N-th working day after START (START never counts).
    Due {
        /// The day the period starts from, YYYY-MM-DD (it does not count).
        #[arg(value_parser = date_arg)]
        start: NaiveDate,
        /// How many working days.
        #[arg(value_parser = count_arg, allow_hyphen_values = true)]
        n: u32,
    },
    /// Print the number of working days d with FROM < d <= TO (0 when TO is not after FROM).
    Count {
        /// YYYY-MM-DD (does not count).
        #[arg(value_parser = date_arg)]
        from: NaiveDate,
        /// YYYY-MM-DD (counts).
        #[arg(value_parser = date_arg)]
        to: NaiveDate,
    },
    /// Show day by day how the deadline START + N working days is reached.
    Explain {
        /// The day the period starts from, YYYY-MM-DD (it does not count).
        #[arg(value_parser = date_arg)]
        start: NaiveDate,
        /// How many working days.
        #[arg(value_parser = count_arg, allow_hyphen_values = true)]
        n: u32,
    },
    /// List the covered years and their notices; exit 1 when the current year is not covered,
    /// or, from 1 November on, the next one.
    Check {
        /// Check as of this date instead of today (YYYY-MM-DD, in the configured time zone).
        #[arg(long, value_parser = date_arg, value_name = "DATE")]
        as_of: Option<NaiveDate>,
    },
    /// Preview a calendar file before installing it: which open cases' deadlines it would move.
    Diff {
        /// The file, as it would be installed in the calendar directory (YYYY.toml, local.toml).
        file: std::path::PathBuf,
        /// As of this date instead of today (YYYY-MM-DD, 2000-01-01 to 2099-12-31).
        #[arg(long, value_parser = super::as_of_arg, value_name = "DATE")]
        as_of: Option<NaiveDate>,
    },
    /// Show a year's holidays, make-up working days and local closures and reopenings.
    Show {
        /// The year.
        year: i32,
    },
    /// Write year files (YYYY.toml) from holiday-cn JSON files.
    Import {
        /// The format of the input files.
        #[arg(long, value_enum)]
        from: ImportFormat,
        /// Directory to write to [default: calendar.dir of the config].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace year files that exist already with different content.
        #[arg(long)]
        force: bool,
        /// The input files; a file may name late-December dates of the year before.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum ImportFormat {
    /// JSON files of the holiday-cn project (github.com/NateScarlet/holiday-cn).
    HolidayCn,
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let load = || load::load(&config.calendar.dir);
    match command {
        Command::Due { start, n } => {
            let (date, uncovered) = load()?.calendar.add_working_days(start, n)?.into_parts();
            writeln!(out, "{date}")?;
            warn_provisional(uncovered);
        }
        Command::Count { from, to } => {
            let (count, uncovered) = load()?
                .calendar
                .working_days_between(from, to)?
                .into_parts();
            writeln!(out, "{count}")?;
            warn_provisional(uncovered);
        }
        Command::Explain { start, n } => explain(out, &load()?.calendar, start, n)?,
        Command::Check { as_of } => {
            let as_of = as_of.unwrap_or_else(|| config.timezone.today());
            return Ok(check(out, &load()?, as_of)?);
        }
        Command::Show { year } => return Ok(show(out, &load()?.calendar, year)?),
        Command::Diff { file, as_of } => {
            return diff(out, &file, as_of, config);
        }
        Command::Import {
            from: ImportFormat::HolidayCn,
            out: dir,
            force,
            files,
        } => {
            let dir = dir.as_deref().unwrap_or(&config.calendar.dir);
            return import(out, &files, dir, force);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn warn_provisional(uncovered: Option<i32>) {
    if let Some(year) = uncovered {
        eprintln!(
            "provisional: {year} is not covered by a loaded calendar, so only weekends were \
             treated as rest days there; the answer may move when the {year} notice is installed \
             (see `duewatch calendar check`)"
        );
    }
}

fn explain(out: &mut dyn Write, cal: &Calendar, start: NaiveDate, n: u32) -> anyhow::Result<()> {
    let due = cal.add_working_days(start, n)?;
    let (due_date, uncovered) = due.into_parts();
    writeln!(
        out,
        "{} {}  start: does not count",
        start,
        start.format("%a")
    )?;
    let mut counted = 0;
    for date in start.iter_days().skip(1).take_while(|d| *d <= due_date) {
        let day = cal.day(date)?;
        let tag = if day.is_working() {
            counted += 1;
            format!("day {counted}")
        } else {
            "rest".to_owned()
        };
        let note = if day.covered {
            String::new()
        } else {
            format!("  ({} not covered: weekends only)", date.year())
        };
        writeln!(
            out,
            "{} {}  {:<7}  {}{}",
            date,
            date.format("%a"),
            tag,
            day.kind,
            note
        )?;
    }
    writeln!(
        out,
        "due {due_date}: the {} working day after {start}{}",
        ordinal(n),
        if uncovered.is_some() {
            " (provisional)"
        } else {
            ""
        }
    )?;
    warn_provisional(uncovered);
    Ok(())
}

fn check(out: &mut dyn Write, loaded: &Loaded, as_of: NaiveDate) -> io::Result<ExitCode> {
    let cal = &loaded.calendar;
    match &loaded.directory {
        Directory::Missing(path) => writeln!(
            out,
            "calendar directory: {} (does not exist: shipped calendars only)",
            path.display()
        )?,
        Directory::Read {
            path, year_files, ..
        } => writeln!(
            out,
            "calendar directory: {} ({} year file{})",
            path.display(),
            year_files.len(),
            if year_files.len() == 1 { "" } else { "s" }
        )?,
    }
    for (year, national) in cal.years() {
        let from = match &national.source {
            Source::Shipped => "shipped".to_owned(),
            Source::File(path) => path.display().to_string(),
        };
        let notices: Vec<String> = national.notices.iter().map(ToString::to_string).collect();
        writeln!(out, "{year}  {from}  notice: {}", notices.join("; "))?;
    }
    match &cal.overlay().source {
        Some(source) => writeln!(
            out,
            "local overlay: {source} ({} closed, {} reopened days)",
            cal.overlay()
                .days
                .iter()
                .filter(|d| d.kind == LocalKind::Closure)
                .count(),
            cal.overlay()
                .days
                .iter()
                .filter(|d| d.kind == LocalKind::Reopening)
                .count()
        )?,
        None => writeln!(out, "local overlay: none")?,
    }

    let missing = cal.missing_years(as_of);
    if missing.is_empty() {
        writeln!(
            out,
            "ok: the calendar covers what deadlines as of {as_of} need"
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for year in missing {
        eprintln!(
            "error: {year} is not covered (as of {as_of}): deadlines that run into {year} are \
             provisional (weekends only).\n  help: when the State Council publishes its notice \
             on the {year} holidays, add {year}.toml to the calendar directory \
             (`duewatch calendar import`, or by hand: see docs/administrator.md, \"Calendar files\")"
        );
    }
    Ok(ExitCode::FAILURE)
}

fn show(out: &mut dyn Write, cal: &Calendar, year: i32) -> io::Result<ExitCode> {
    let Some(national) = cal.years().get(&year) else {
        eprintln!(
            "error: {year} is not covered: no calendar is loaded for it, so counting there \
             assumes weekends only\n  help: `duewatch calendar check` lists the covered years"
        );
        return Ok(ExitCode::FAILURE);
    };
    writeln!(out, "{year}  ({})", national.source)?;
    for notice in &national.notices {
        writeln!(out, "notice: {notice}")?;
    }
    for (name, rest, work) in national.holidays() {
        writeln!(out, "{name}")?;
        if !rest.is_empty() {
            let runs: Vec<String> = date_runs(&rest)
                .into_iter()
                .map(|(a, b)| {
                    if a == b {
                        day_label(a)
                    } else {
                        format!("{} to {}", day_label(a), day_label(b))
                    }
                })
                .collect();
            writeln!(out, "  rest ({}): {}", days(rest.len()), runs.join(", "))?;
        }
        if !work.is_empty() {
            let work: Vec<String> = work.into_iter().map(day_label).collect();
            writeln!(out, "  make-up working days: {}", work.join(", "))?;
        }
    }
    let local: Vec<_> = cal
        .overlay()
        .days
        .iter()
        .filter(|d| d.date.year() == year)
        .collect();
    if !local.is_empty() {
        writeln!(out, "local overlay")?;
        for day in local {
            let kind = match day.kind {
                LocalKind::Closure => "closed",
                LocalKind::Reopening => "reopened",
            };
            writeln!(
                out,
                "  {} {}  {kind}: {}",
                day.date,
                day.date.format("%a"),
                day.reason
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import(
    out: &mut dyn Write,
    files: &[PathBuf],
    dir: &Path,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let mut texts = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "{}: cannot read the file (is it UTF-8 JSON?)",
                path.display()
            )
        })?;
        texts.push((path.display().to_string(), file_name(path), text));
    }
    let inputs: Vec<Input<'_>> = texts
        .iter()
        .map(|(origin, name, text)| Input {
            origin,
            file_name: name,
            text,
        })
        .collect();
    let imported = match holiday_cn::import(&inputs) {
        Ok(imported) => imported,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            bail!("nothing was written ({} problem(s) above)", problems.len());
        }
    };
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    // Check every target before writing any, so a refusal writes nothing.
    let mut writes = Vec::new();
    for (year, text) in &imported.years {
        let path = dir.join(format!("{year}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == *text => {
                writeln!(out, "{} unchanged", path.display())?;
                continue;
            }
            Ok(_) if !force => bail!(
                "{} exists with other content; nothing was written\n  help: compare it with \
                 the import (an administrator may have edited it), then run again with --force \
                 to replace it",
                path.display()
            ),
            _ => writes.push((path, text)),
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (path, text) in writes {
        // Write beside the target, then rename: a reader never sees half a file.
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "{} written", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn day_label(date: NaiveDate) -> String {
    date.format("%Y-%m-%d %a").to_string()
}

fn days(n: usize) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// `duewatch calendar diff FILE`: which open cases' deadlines would move if FILE were installed.
fn diff(
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
    super::runtime()?.block_on(async {
        let store = super::open_store(config).await?;
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

#[cfg(test)]
mod tests {
    use super::ordinal;

    #[test]
    fn ordinals_read_as_english() {
        let got: Vec<String> = [0, 1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111]
            .map(ordinal)
            .to_vec();
        assert_eq!(
            got,
            [
                "0th", "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "111th"
            ]
        );
    }
}
