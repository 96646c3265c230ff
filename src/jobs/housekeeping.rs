//! Housekeeping (`schedule.housekeeping`, default daily at 03:30): forget what can never matter
//! again, the keys of past days' repeated overdue notices (they never recur; without this the
//! table grows by every overdue line every working day), the failed logins older than
//! [`LOGIN_FAILURES_KEPT_SECS`] (they throttle logins for minutes, not days), and the console's
//! sessions past `web.session_idle_mins` or `web.session_max_hours` that nobody came back with
//! (one that comes back is refused and deleted at once anyway).

use chrono::{NaiveDateTime, TimeZone as _};

use super::{Context, Report};

/// How long a failed login is kept: a day.
pub const LOGIN_FAILURES_KEPT_SECS: i64 = 24 * 60 * 60;

/// Forgets, as of local time `now`, the keys of past days' repeated notices (how many is the
/// report's `forgotten`) and the failed logins of more than a day before.
///
/// # Errors
/// A database failure.
pub async fn run(ctx: &Context, now: NaiveDateTime) -> anyhow::Result<Report> {
    let forgotten = ctx.store.forget_past_repeats(now.date()).await?;
    tracing::info!(forgotten, "keys of past days' repeated notices forgotten");
    // Local time back to unix seconds; a time a clock change skips is taken as the next one.
    let unix = ctx
        .config
        .timezone
        .tz()
        .from_local_datetime(&now)
        .earliest()
        .map_or_else(|| chrono::Utc::now().timestamp(), |t| t.timestamp());
    let failures = ctx
        .store
        .forget_login_failures(unix - LOGIN_FAILURES_KEPT_SECS)
        .await?;
    tracing::info!(failures, "failed logins of more than a day ago forgotten");
    let web = &ctx.config.web;
    let sessions = ctx
        .store
        .forget_sessions(
            unix - i64::from(web.session_idle_mins) * 60,
            unix - i64::from(web.session_max_hours) * 3600,
        )
        .await?;
    tracing::info!(sessions, "the console's ended sessions forgotten");
    Ok(Report {
        forgotten,
        ..Report::default()
    })
}
