//! Deliver: claim the mail that is due and send it, at least once. The guarantee itself is the
//! outbox's (written down in the store's outbox module): a row is claimed with a lease, and a
//! worker never starts a send that could outlast its claim, so no two workers send the same row
//! at once; a send whose outcome is unknown is retried with the same Message-ID.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use super::{Context, Report};
use crate::mail::transport::SendError;
use crate::store::Claimed;

/// Deliver: sends every due message (digests only while the window is open), then reports
/// dead and stuck mail to the administrators.
///
/// # Errors
/// A database failure.
pub async fn deliver(ctx: &Context, now: NaiveDateTime, report: &mut Report) -> anyhow::Result<()> {
    let window_open = ctx.config.window.is_open(&ctx.calendar(), now);
    // A message is attempted at most once per pass, however short its backoff.
    let mut attempted = std::collections::HashSet::new();
    send_due(ctx, window_open, &mut attempted, report).await?;
    // The chat channels' messages, each channel within its per-minute limit (issue 17).
    super::channels::deliver(ctx, window_open, &mut attempted, report).await?;
    let admins = &ctx.config.mail.admins;
    let stuck_after = u64::from(ctx.config.mail.stuck_after_mins) * 60;
    let problems = ctx
        .store
        .report_problems(stuck_after, &ctx.config.mail.from, |(dead, stuck)| {
            for p in dead {
                tracing::error!(outbox = p.id, recipient = %p.recipient, error = %p.last_error, "dead letter: mail refused for good");
            }
            for p in stuck {
                tracing::warn!(outbox = p.id, recipient = %p.recipient, error = %p.last_error, "mail still not delivered after mail.stuck_after_mins");
            }
            if admins.is_empty() {
                tracing::warn!("mail.admins is empty: undeliverable mail is reported in this log only");
            }
            let now = now.format("%Y-%m-%d %H:%M").to_string();
            let rendered = ctx.templates().admin(&now, dead, stuck)?;
            Ok(admins.iter().map(|a| (a.to_string(), rendered.clone())).collect())
        })
        .await?;
    report.reported = problems.0.len() + problems.1.len();
    if report.reported > 0 {
        // The administrators' mail just queued goes out in this pass too, by the same rules.
        send_due(ctx, false, &mut attempted, report).await?;
    }
    Ok(())
}

/// Claims and sends due messages (digests only when `digests`) until none is left that this
/// pass has not attempted, never starting a send that could outlast its claim, and stopping
/// when the daemon stops.
async fn send_due(
    ctx: &Context,
    digests: bool,
    attempted: &mut std::collections::HashSet<i64>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let retry = &ctx.config.mail.retry;
    let lease = Duration::from_secs(retry.lease_secs.max(1));
    let timeout = Duration::from_secs(ctx.config.mail.smtp.timeout_secs.max(1));
    while !ctx.is_stopping() {
        let claimed_at = Instant::now();
        let batch = ctx
            .store
            .claim(&ctx.worker, retry.lease_secs.max(1), 16, digests)
            .await?;
        let mut progressed = false;
        for c in &batch {
            // Never start a send that could outlast the claim: another worker could take the
            // row meanwhile and send it too.
            if ctx.is_stopping()
                || attempted.contains(&c.id)
                || claimed_at.elapsed() + timeout >= lease
            {
                ctx.store.release_one(c).await?;
                continue;
            }
            attempted.insert(c.id);
            progressed = true;
            send_one(ctx, c, report).await?;
        }
        if !progressed {
            break;
        }
    }
    Ok(())
}

async fn send_one(ctx: &Context, c: &Claimed, report: &mut Report) -> anyhow::Result<()> {
    let mut mail = c.mail.clone();
    mail.from = ctx.config.mail.from.clone();
    let outcome = ctx.transport.send(&mail).await;
    let kept = match &outcome {
        Ok(()) => {
            report.sent += 1;
            ctx.store.mark_sent(c).await?
        }
        Err(SendError::Permanent(e)) => {
            report.dead += 1;
            tracing::error!(outbox = c.id, recipient = %mail.to, "dead letter: {e}");
            ctx.store.mark_dead(c, e).await?
        }
        Err(e @ (SendError::Transient(_) | SendError::Uncertain(_))) => {
            report.retried += 1;
            let delay = ctx
                .config
                .mail
                .retry
                .delay(u32::try_from(c.attempts).unwrap_or(1));
            tracing::warn!(outbox = c.id, recipient = %mail.to, attempt = c.attempts, retry_in_secs = delay.as_secs_f64(), "{e}");
            let uncertain = matches!(e, SendError::Uncertain(_));
            ctx.store
                .mark_retry(c, &e.to_string(), delay, uncertain)
                .await?
        }
    };
    if !kept {
        report.lost += 1;
        tracing::warn!(
            outbox = c.id,
            "the claim was taken over by another worker; its outcome stands"
        );
    }
    Ok(())
}
