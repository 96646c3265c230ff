//! `duewatch health`: is duewatch doing its job? The figures come from the store, the verdict
//! from [`crate::daemon::health`] (the same as the daemon's `/health`); exit 1 when unhealthy.

use std::io::Write;
use std::process::ExitCode;

use super::runtime;
use crate::config::Config;

/// `duewatch health`: exit 0 when the last successful poll is recent and no dead letter waits.
pub(super) fn run(
    out: &mut dyn Write,
    max_age: Option<u64>,
    json: bool,
    config: Config,
) -> anyhow::Result<ExitCode> {
    let max_age = max_age.map_or_else(
        || crate::jobs::health::poll_interval(&config) * 3,
        std::time::Duration::from_secs,
    );
    runtime()?.block_on(async {
        let store = super::open_store(&config).await?;
        let h = store.health().await?;
        let problems = crate::jobs::health::problems(&h, max_age);
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
