//! Housekeeping (`schedule.housekeeping`, default daily at 03:30): forget what can never matter
//! again, the keys of past days' repeated overdue notices (they never recur; without this the
//! table grows by every overdue line every working day).

use chrono::NaiveDateTime;

use super::{Context, Report};

/// Forgets, as of local time `now`, the keys of past days' repeated notices; how many is the
/// report's `forgotten`.
///
/// # Errors
/// A database failure.
pub async fn run(ctx: &Context, now: NaiveDateTime) -> anyhow::Result<Report> {
    let forgotten = ctx.store.forget_past_repeats(now.date()).await?;
    tracing::info!(forgotten, "keys of past days' repeated notices forgotten");
    Ok(Report {
        forgotten,
        ..Report::default()
    })
}
