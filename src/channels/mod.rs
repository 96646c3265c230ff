//! Chat channels (issue 17): posting a party's digest to a DingTalk group robot
//! ([`dingtalk`]), a WeCom group robot ([`wecom`]) or any signed webhook ([`webhook`]), and
//! what each platform's answer means for the outbox. The edge, beside [`crate::mail`]: it knows
//! the platforms, not the outbox; the delivery guarantee (leases, fencing, retries, dead
//! letters, the per-minute limit) is the store's (`src/store/outbox.rs`,
//! `src/store/channel_outbox.rs`) and the poll's (`src/jobs/channels.rs`).
//!
//! A message is made once, when its outbox row is made ([`payload`]: the platform's JSON body,
//! with the row's key as DingTalk's `msgUuid`); a post signs it afresh ([`post`]: DingTalk's
//! timestamp and `sign`, the webhook's HMAC), for a signature is only good for an hour.

use std::time::Duration;

use crate::config::channels::{ChannelConfig, ChannelKind};
use crate::domain::channel::ChannelName;

pub mod dingtalk;
mod http;
pub mod message;
pub mod webhook;
pub mod wecom;

pub use message::Message;

/// Why a post failed, for the outbox.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// Try later: rate-limited, a server error, no connection. The platform has nothing.
    #[error("temporary failure: {0}")]
    Retry(String),
    /// No answer after sending: the platform may have posted it (DingTalk's `msgUuid` and the
    /// webhook's delivery id let it drop a second copy).
    #[error("posted, outcome unknown: {0}")]
    Uncertain(String),
    /// Refused for good (a bad token, signature, keyword): a dead letter; the message says
    /// what to fix.
    #[error("refused: {0}")]
    Dead(String),
}

impl From<http::HttpError> for PostError {
    fn from(e: http::HttpError) -> PostError {
        match e {
            http::HttpError::NotSent(m) => PostError::Retry(m),
            http::HttpError::Uncertain(m) => PostError::Uncertain(m),
        }
    }
}

/// The body to post for `message` on a channel of `kind`, as stored in the outbox.
pub fn payload(kind: ChannelKind, keyword: Option<&str>, message: &Message) -> String {
    match kind {
        ChannelKind::Dingtalk => dingtalk::payload(message, keyword),
        ChannelKind::Wecom => wecom::payload(message),
        ChannelKind::Webhook => webhook::payload(message),
    }
}

/// Posts a stored `payload` to channel `name`, signed now (`now_ms`, Unix milliseconds).
///
/// # Errors
/// A [`PostError`] saying whether to retry, and if not, what to fix (naming `channels.NAME`).
pub async fn post(
    name: &ChannelName,
    channel: &ChannelConfig,
    payload: &str,
    key: &str,
    now_ms: i64,
) -> Result<(), PostError> {
    let timeout = Duration::from_secs(channel.timeout_secs.max(1));
    match channel.kind {
        ChannelKind::Dingtalk => dingtalk::post(name, channel, payload, now_ms, timeout).await,
        ChannelKind::Wecom => wecom::post(name, channel, payload, timeout).await,
        ChannelKind::Webhook => webhook::post(name, channel, payload, key, now_ms, timeout).await,
    }
}

/// A platform's JSON answer: `errcode` (0: done) and `errmsg`.
#[derive(Debug, serde::Deserialize)]
struct Answer {
    errcode: Option<i64>,
    errmsg: Option<String>,
}

/// Reads a robot's answer: a status other than 2xx (5xx: retry; 429: retry; others: dead), or
/// the JSON's `errcode` (`None` when it is 0 or missing from a 2xx).
fn robot_answer(
    name: &ChannelName,
    answer: &http::Answer,
) -> Result<Option<(i64, String)>, PostError> {
    let text = String::from_utf8_lossy(&answer.body);
    let short: String = text.chars().take(200).collect();
    match answer.status {
        200..=299 => {}
        429 | 500..=599 => {
            return Err(PostError::Retry(format!(
                "channels.{name}: HTTP {} {short}",
                answer.status
            )));
        }
        status => {
            return Err(PostError::Dead(format!(
                "channels.{name}: HTTP {status} {short}\n  help: check channels.{name}.url (a \
                 wrong path or host answers 404)"
            )));
        }
    }
    match serde_json::from_slice::<Answer>(&answer.body) {
        Ok(Answer {
            errcode: Some(code),
            errmsg,
        }) if code != 0 => Ok(Some((code, errmsg.unwrap_or_default()))),
        Ok(_) => Ok(None),
        Err(_) => Err(PostError::Retry(format!(
            "channels.{name}: the answer is not the robot's JSON: {short}"
        ))),
    }
}
