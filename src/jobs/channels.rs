//! The poll's chat channels (issue 17): making a party's channel message from its digest lines
//! (reconcile: [`queue`], beside each e-mail digest, with the same lines) and posting what is
//! due (deliver: [`deliver`], within each channel's per-minute limit and the sending window).
//! The guarantee is the outbox's (`src/store/channel_outbox.rs`); the platforms are
//! [`crate::channels`]'.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::pending::Pending;
use super::{Context, Report};
use crate::channels::{Message, PostError};
use crate::config::channels::ChannelConfig;
use crate::domain::channel::{ChannelName, ChannelRecipient, Mobile, PartyKey};
use crate::store::channel_outbox::{ClaimedPost, Post};

/// The party's name and mobiles.
fn party<'a>(ctx: &'a Context, key: &'a PartyKey) -> (&'a str, &'a [Mobile]) {
    let config = &ctx.config;
    match key {
        PartyKey::Office => (
            config.office.name.as_str(),
            config.office.mobiles.as_slice(),
        ),
        PartyKey::Leadership => (
            config.leadership.name.as_str(),
            config.leadership.mobiles.as_slice(),
        ),
        PartyKey::Section(code) => match config.section(code) {
            Some(s) => (s.name.as_str(), s.mobiles.as_slice()),
            None => (code.as_str(), &[]),
        },
        PartyKey::Supervision => (
            config.supervision.name.as_str(),
            config.supervision.mobiles.as_slice(),
        ),
    }
}

/// Queues `to`'s message of this pass: the lines of `pending` still in no message (and the
/// day's repeat), in one transaction with their assignment (`Store::post_lines`); `None` when
/// another instance posted them meanwhile.
///
/// # Errors
/// A database failure, or a channel that is not configured (`config check` refuses that): the
/// lines stay unposted for the next pass.
pub(super) async fn queue(
    ctx: &Context,
    to: &ChannelRecipient,
    recipient: &str,
    p: &Pending,
    day: NaiveDate,
    candidates: &[i64],
    repeat: Option<(NaiveDate, usize)>,
) -> anyhow::Result<Option<i64>> {
    let Some(channel) = ctx.config.channels.get(&to.channel) else {
        anyhow::bail!(
            "channels.{} is not configured but a party names it\n  help: run `duewatch config \
             check`",
            to.channel
        );
    };
    let (party_name, mobiles) = party(ctx, &to.party);
    let max_lines = ctx.config.mail.digest_max_lines;
    let base = ctx.config.web.base_url.as_ref();
    let list = base.map(|b| {
        b.list(match &to.party {
            PartyKey::Office => Some("office"),
            PartyKey::Leadership | PartyKey::Supervision => None,
            PartyKey::Section(code) => Some(code.as_str()),
        })
    });
    ctx.store
        .post_lines(
            recipient,
            to.channel.as_str(),
            candidates,
            repeat,
            |still, repeating, key| {
                // The same lines as the party's e-mail digest (`Digest::render`).
                let (counts, shown) = p.shown_now(still, repeating, max_lines);
                let message = Message {
                    key,
                    channel: &to.channel,
                    party: &to.party,
                    party_name,
                    office_name: &ctx.config.office.name,
                    day,
                    items: shown,
                    cases: counts.values().sum(),
                    mobiles,
                    base,
                    list: list.clone(),
                };
                Ok(Post {
                    title: message.title(),
                    payload: crate::channels::payload(
                        channel.kind,
                        channel.keyword.as_deref(),
                        &message,
                    ),
                })
            },
        )
        .await
}

/// Posts every due channel message (digests only while the window is open), each channel at
/// most its `per_minute` a minute (the claim takes only what the minute allows; the rest wait
/// for a later pass), each message at most once per pass. Messages of a channel no longer
/// configured become dead letters that say so.
///
/// # Errors
/// A database failure.
pub(super) async fn deliver(
    ctx: &Context,
    window_open: bool,
    attempted: &mut HashSet<i64>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let lease_secs = ctx.config.mail.retry.lease_secs.max(1);
    let lease = Duration::from_secs(lease_secs);
    for (name, channel) in &ctx.config.channels {
        let timeout = Duration::from_secs(channel.timeout_secs.max(1));
        while !ctx.is_stopping() {
            let claimed_at = Instant::now();
            let batch = ctx
                .store
                .claim_posts(
                    &ctx.worker,
                    lease_secs,
                    name.as_str(),
                    channel.per_minute,
                    window_open,
                )
                .await?;
            let mut progressed = false;
            for c in &batch {
                // Never start a post that could outlast the claim.
                if ctx.is_stopping()
                    || attempted.contains(&c.claim.id)
                    || claimed_at.elapsed() + timeout >= lease
                {
                    ctx.store.release_one(&c.claim).await?;
                    continue;
                }
                attempted.insert(c.claim.id);
                progressed = true;
                post_one(ctx, name, channel, c, report).await?;
            }
            if !progressed {
                break;
            }
        }
    }
    for waiting in ctx.store.channels_waiting().await? {
        if ChannelName::parse(&waiting).is_ok_and(|n| ctx.config.channels.contains_key(&n)) {
            continue;
        }
        let batch = ctx
            .store
            .claim_posts(&ctx.worker, lease_secs, &waiting, 1000, window_open)
            .await?;
        for c in &batch {
            let error = format!(
                "channels.{waiting} is no longer configured: this message cannot be posted\n  \
                 help: add [channels.{waiting}] back and `duewatch outbox retry {}`, or leave it",
                c.claim.id
            );
            tracing::error!(outbox = c.claim.id, "dead letter: {error}");
            report.dead += 1;
            ctx.store.mark_dead(&c.claim, &error).await?;
        }
    }
    Ok(())
}

async fn post_one(
    ctx: &Context,
    name: &ChannelName,
    channel: &ChannelConfig,
    c: &ClaimedPost,
    report: &mut Report,
) -> anyhow::Result<()> {
    // The platform checks the signature's timestamp against its own clock (DingTalk: within an
    // hour), so it is the real time of the post, not the pass's `now`.
    let now_ms = chrono::Utc::now().timestamp_millis();
    let outcome = crate::channels::post(name, channel, &c.payload, &c.key, now_ms).await;
    let recipient = &c.claim.mail.to;
    let kept = match &outcome {
        Ok(()) => {
            report.sent += 1;
            ctx.store.mark_sent(&c.claim).await?
        }
        Err(PostError::Dead(e)) => {
            report.dead += 1;
            tracing::error!(outbox = c.claim.id, recipient = %recipient, "dead letter: {e}");
            ctx.store.mark_dead(&c.claim, e).await?
        }
        Err(e @ (PostError::Retry(_) | PostError::Uncertain(_))) => {
            report.retried += 1;
            let delay = ctx
                .config
                .mail
                .retry
                .delay(u32::try_from(c.claim.attempts).unwrap_or(1));
            tracing::warn!(outbox = c.claim.id, recipient = %recipient, attempt = c.claim.attempts, retry_in_secs = delay.as_secs_f64(), "{e}");
            let uncertain = matches!(e, PostError::Uncertain(_));
            ctx.store
                .mark_retry(&c.claim, &e.to_string(), delay, uncertain)
                .await?
        }
    };
    if !kept {
        report.lost += 1;
        tracing::warn!(
            outbox = c.claim.id,
            "the claim was taken over by another worker; its outcome stands"
        );
    }
    Ok(())
}
