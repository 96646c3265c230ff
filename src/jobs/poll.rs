//! The poll: one pass of duewatch's work, **reconcile** (work out, as of a time, what every open
//! case calls for, and record what is new in the outbox: [`reconcile`]) then **deliver** (send
//! what is due: [`deliver`]). `duewatch run --once` is one pass; the daemon repeats it on
//! `schedule.poll`.
//!
//! Each pass starts from the database, never from memory of earlier passes: a pass after
//! downtime finds what fell due meanwhile (each notification once, by its key), and a missed or
//! doubled tick does no harm. Outside the sending window (a rest day, or outside `window.from` to
//! `window.to`) nothing is reconciled and no digest is sent, so what falls due then waits for the
//! window; administrators' reports go out at any time.

use chrono::NaiveDateTime;

use super::{Context, Failed, Report};

pub use super::deliver::deliver;
pub use super::reconcile::{due_items, reconcile};

/// One whole pass at local time `now`: reconcile, then deliver, even when reconciling failed:
/// what is queued (retries, other recipients' digests, the administrators' reports) goes out
/// regardless.
///
/// # Errors
/// The first failure of either step, with what the pass did.
pub async fn run(ctx: &Context, now: NaiveDateTime) -> Result<Report, Failed> {
    let mut report = Report::default();
    let reconciled = reconcile(ctx, now, &mut report).await;
    // Outside the window no case was read; a failed reconcile may have read only some.
    report.counted = report.window_open && reconciled.is_ok();
    if let Err(e) = &reconciled {
        tracing::error!(
            "reconcile failed; delivering what is queued: {}",
            crate::error::chain(e)
        );
    }
    let delivered = deliver(ctx, now, &mut report).await;
    report.delivered = delivered.is_ok();
    match reconciled.and(delivered) {
        Ok(()) => Ok(report),
        Err(error) => Err(Failed { error, report }),
    }
}
