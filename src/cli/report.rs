//! `duewatch report` and `duewatch ics`: the supervision report for a period and a section's
//! deadlines for a calendar app. The figures and formats live in the library
//! ([`crate::domain::report`], [`crate::output`], [`crate::output::ics`]); this file reads the
//! arguments, the store, and writes the result to stdout or `--output`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::{date_arg, open_store, runtime};
use crate::calendar::load;
use crate::config::Config;
use crate::domain::case::SectionCode;
use crate::domain::report::Period;
use crate::output::OutputFormat;

/// `duewatch report`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(super) struct ReportArgs {
    #[command(subcommand)]
    annual: Option<ReportCommand>,
    /// The period's first day, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg, value_name = "DATE")]
    from: Option<NaiveDate>,
    /// The period's last day (included), YYYY-MM-DD.
    #[arg(long, value_parser = date_arg, value_name = "DATE")]
    to: Option<NaiveDate>,
    /// table (text), csv (UTF-8 with BOM, for Excel) or xlsx (a workbook).
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Write to this file instead of stdout (xlsx needs it unless stdout is a pipe or file).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The reports other than the supervision report of a period.
#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Table 3 of the annual report (Regulations art. 50; 国办公开办函〔2021〕30号):
    /// 收到和处理政府信息公开申请情况 of YEAR, by applicant category. It checks 一 + 二 = 三 + 四 per
    /// column and names on stderr every case that breaks it or lacks an outcome or applicant
    /// category; exit 1 when any does (the table is written all the same).
    Annual(AnnualArgs),
}

/// `duewatch report annual`.
#[derive(Debug, Args)]
struct AnnualArgs {
    /// The calendar year, e.g. 2025.
    #[arg(value_parser = clap::value_parser!(i32).range(2000..=2099))]
    year: i32,
    /// table (text), csv (UTF-8 with BOM, for Excel) or xlsx (a workbook).
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Write to this file instead of stdout (xlsx needs it unless stdout is a pipe or file).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `duewatch ics`.
#[derive(Debug, Args)]
pub(super) struct IcsArgs {
    /// The section's code (config [[sections]]).
    #[arg(long, value_parser = SectionCode::parse)]
    section: SectionCode,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The deadlines as of this date instead of today (YYYY-MM-DD, 2000-01-01 to 2099-12-31).
    #[arg(long, value_parser = super::as_of_arg, value_name = "DATE")]
    as_of: Option<NaiveDate>,
}

/// Writes `bytes` to `output`, whole (aside, then renamed), or to `out`.
fn emit(out: &mut dyn Write, output: Option<&PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let tmp = path.with_extension("duewatch-tmp");
            std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
            Ok(())
        }
        None => Ok(out.write_all(bytes)?),
    }
}

/// An xlsx workbook is not written to a terminal.
fn not_to_terminal(format: OutputFormat, output: Option<&PathBuf>) -> anyhow::Result<()> {
    if format == OutputFormat::Xlsx && output.is_none() && std::io::stdout().is_terminal() {
        anyhow::bail!(
            "an xlsx workbook is not for the terminal\n  help: add --output FILE.xlsx (or pipe it)"
        );
    }
    Ok(())
}

pub(super) fn report(
    out: &mut dyn Write,
    args: ReportArgs,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    if let Some(ReportCommand::Annual(annual)) = args.annual {
        return self::annual(out, annual, config);
    }
    let (Some(from), Some(to)) = (args.from, args.to) else {
        anyhow::bail!(
            "a report needs its period\n  help: give --from DATE --to DATE, or `duewatch report \
             annual YEAR` for the annual report's table"
        );
    };
    let period = Period::new(from, to).map_err(|e| anyhow::anyhow!("{e}"))?;
    not_to_terminal(args.format, args.output.as_ref())?;
    let cal = load::load(&config.calendar.dir)?.calendar;
    let (report, bad) = runtime()?.block_on(async {
        let store = open_store(config).await?;
        let source = crate::source::Source::open(config, &store).await?;
        crate::output::feeds::collect(&store, &source, config, &cal, period).await
    })?;
    let mut bytes = Vec::new();
    match args.format {
        OutputFormat::Table => crate::output::table(&mut bytes, &report, config)?,
        OutputFormat::Csv => crate::output::csv(&mut bytes, &report, config)?,
        OutputFormat::Xlsx => {
            bytes = crate::output::xlsx(&report, config)
                .map_err(|e| anyhow::anyhow!("writing the workbook: {e}"))?;
        }
    }
    emit(out, args.output.as_ref(), &bytes)?;
    if let Some(path) = &args.output {
        eprintln!(
            "{}: report {} .. {}, {} late or overdue stage(s)",
            path.display(),
            period.from(),
            period.to(),
            report.cases.len()
        );
    }
    if report.provisional {
        eprintln!("provisional: some deadlines fall in a year whose calendar is not loaded");
    }
    if !bad.is_empty() {
        for b in &bad {
            eprintln!("{b}");
        }
        eprintln!(
            "{} case(s) could not be counted (named above); the figures leave them out",
            bad.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `duewatch report annual YEAR`: the table on stdout or `--output`; on stderr, each case that
/// breaks the check or lacks a category, and the columns whose check fails. Exit 1 when any.
fn annual(out: &mut dyn Write, args: AnnualArgs, config: &Config) -> anyhow::Result<ExitCode> {
    not_to_terminal(args.format, args.output.as_ref())?;
    let (table, bad) = runtime()?.block_on(async {
        let store = open_store(config).await?;
        let source = crate::source::Source::open(config, &store).await?;
        crate::output::annual::collect(&source, args.year).await
    })?;
    let mut bytes = Vec::new();
    match args.format {
        OutputFormat::Table => crate::output::annual::table(&mut bytes, &table)?,
        OutputFormat::Csv => crate::output::annual::csv(&mut bytes, &table)?,
        OutputFormat::Xlsx => {
            bytes = crate::output::annual::xlsx(&table)
                .map_err(|e| anyhow::anyhow!("writing the workbook: {e}"))?;
        }
    }
    emit(out, args.output.as_ref(), &bytes)?;
    if let Some(path) = &args.output {
        eprintln!("{}: annual report {}, table 3", path.display(), args.year);
    }
    for (reference, problem) in table.problems() {
        eprintln!("case {reference}: {problem}");
    }
    for line in crate::output::annual::imbalances(&table) {
        eprintln!("一 + 二 ≠ 三 + 四 in column {line}");
    }
    for b in &bad {
        eprintln!("{b}");
    }
    if table.is_complete() && bad.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "the table of {} is incomplete: {} case(s) to fix (named above), {} unreadable\n  help: \
         record the missing categories (`duewatch case outcome REF --outcome CATEGORY \
         --applicant CATEGORY`) and run the report again; publish it by 31 January",
        args.year,
        table.problems().len(),
        bad.len()
    );
    Ok(ExitCode::FAILURE)
}

pub(super) fn ics(out: &mut dyn Write, args: IcsArgs, config: &Config) -> anyhow::Result<ExitCode> {
    if config.section(&args.section).is_none() {
        anyhow::bail!(
            "section {} is not configured\n  help: the codes are those of [[sections]] in the config file",
            args.section
        );
    }
    let cal = load::load(&config.calendar.dir)?.calendar;
    let today = args.as_of.unwrap_or_else(|| config.timezone.today());
    let stamp = chrono::Utc::now().naive_utc();
    let (text, events) = runtime()?.block_on(async {
        let store = open_store(config).await?;
        let source = crate::source::Source::open(config, &store).await?;
        crate::output::feeds::section_ics(&source, config, &cal, &args.section, today, stamp).await
    })?;
    emit(out, args.output.as_ref(), text.as_bytes())?;
    eprintln!("{} open deadline(s) of section {}", events, args.section);
    Ok(ExitCode::SUCCESS)
}
