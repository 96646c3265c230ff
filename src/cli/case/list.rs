//! `duewatch status` and `duewatch case list`: one line (or one JSON object) per case, streamed
//! from the source, with its current stage, deadline and level (the listing itself is
//! [`crate::output::status`], shared with the console's `/api/v1/status`); this file reads the
//! arguments and says on stderr what could not be listed, with the exit code.

use std::io::Write;
use std::process::ExitCode;

use super::View;
use crate::calendar::Calendar;
use crate::calendar::load;
use crate::cli::{open_store, runtime};
use crate::config::Config;
use crate::domain::case::SectionCode;
use crate::output::status::{self, Counts, Listing};
use crate::source::Source;

/// `duewatch status`: every open case's current stage.
pub(in crate::cli) fn status(
    out: &mut dyn Write,
    view: View,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open_store(config).await?;
        let source = Source::open(config, &store).await?;
        let cal = load::load(&config.calendar.dir)?.calendar;
        let listing = Listing {
            open_only: true,
            section: None,
            today: view.as_of.unwrap_or_else(|| config.timezone.today()),
            as_json: view.json,
        };
        list(out, &source, &cal, config, &listing).await
    })
}

/// `duewatch case list`: the cases (open ones only with `--open`, one section's with
/// `--section`).
pub(super) async fn run(
    out: &mut dyn Write,
    source: &Source,
    config: &Config,
    open: bool,
    section: Option<&SectionCode>,
    view: &View,
) -> anyhow::Result<ExitCode> {
    let cal = load::load(&config.calendar.dir)?.calendar;
    let today = view.as_of.unwrap_or_else(|| config.timezone.today());
    let listing = Listing {
        open_only: open,
        section,
        today,
        as_json: view.json,
    };
    list(out, source, &cal, config, &listing).await
}

/// Lists the cases ([`status::list`]), naming each that cannot be listed on stderr; exit code
/// 1 when one could not be evaluated or names a section that is not configured.
async fn list(
    out: &mut dyn Write,
    source: &Source,
    cal: &Calendar,
    config: &Config,
    listing: &Listing<'_>,
) -> anyhow::Result<ExitCode> {
    let counts = status::list(out, source, cal, config, listing, |message| {
        eprintln!("{message}");
    })
    .await?;
    let Counts {
        shown,
        bad,
        unconfigured,
    } = counts;
    if bad > 0 {
        eprintln!(
            "{bad} case(s) could not be evaluated (named above); the other {shown} are listed"
        );
        return Ok(ExitCode::FAILURE);
    }
    if unconfigured > 0 {
        eprintln!(
            "{unconfigured} open case(s) name a section that is not configured (named above); \
             all {shown} are listed"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
