//! The one place the daemon's jobs are registered with tokio-cron-scheduler: every job of
//! [`Job::ALL`] that `[schedule]` switches on, on its expression (parsed when the configuration
//! was loaded), in `timezone`.
//!
//! What tokio-cron-scheduler does not do, and where it is done instead:
//! - `Job::new_async` is UTC: each job is registered with `Job::new_async_tz` in `timezone`;
//! - the job closure returns `()` and the scheduler drops errors: each tick calls
//!   [`Daemon::run_job`], which logs, counts and records every run (`runs`);
//! - each tick is spawned without waiting for the previous one: `run_job` holds the job's lock,
//!   so a tick that finds the last run still going is skipped and logged, never run twice at once;
//! - a missed tick is gone and a clock jump fires once: every job reconciles from the database;
//! - `shutdown()` does not wait for running jobs: [`super::run`] drains them (the locks) itself.

use std::sync::Arc;

use anyhow::Context as _;
use tokio_cron_scheduler::JobScheduler;

use super::Daemon;

/// Registers every scheduled job and starts the scheduler.
///
/// # Errors
/// A job the scheduler refuses (naming its key), or a scheduler that does not start.
pub(super) async fn start(daemon: &Arc<Daemon>) -> anyhow::Result<JobScheduler> {
    let tz = daemon.ctx.config.timezone.tz();
    // `config check` refuses a bad expression; a caller that skipped it must not start a
    // daemon that silently leaves the job out.
    daemon
        .ctx
        .config
        .schedule
        .check()
        .map_err(|e| anyhow::anyhow!("{e}\n  help: {}", crate::config::ScheduleError::HELP))?;
    let scheduler = JobScheduler::new()
        .await
        .context("starting the scheduler")?;
    for (job, cron) in daemon.ctx.config.schedule.jobs() {
        // Each job's line: what it does is `Job`'s doc (config/schedule.rs), its code jobs/JOB.rs.
        let shared = Arc::clone(daemon);
        let tick = tokio_cron_scheduler::Job::new_async_tz(cron.as_str(), tz, move |_, _| {
            let shared = Arc::clone(&shared);
            Box::pin(async move { shared.run_job(job).await })
        })
        .map_err(|e| anyhow::anyhow!("schedule.{job}: \"{cron}\": {e:?}"))?;
        scheduler
            .add(tick)
            .await
            .with_context(|| format!("scheduling {job}"))?;
    }
    scheduler.start().await.context("starting the scheduler")?;
    Ok(scheduler)
}

#[cfg(test)]
mod tests {
    use crate::jobs::Job;

    // A job added to `Job` is scheduled without another edit in `start`.

    #[test]
    fn every_job_is_on_by_default() {
        let config = crate::config::from_toml("");
        let scheduled: Vec<Job> = config.schedule.jobs().map(|(job, _)| job).collect();
        assert_eq!(scheduled, Job::ALL);
    }
}
