//! A generic webhook, for other office systems: the digest as data (JSON: the party, the day,
//! each line's reference, stage, deadline, level, working days left or overdue, provisional,
//! link), signed so that the receiver can tell it came from duewatch and is fresh.
//!
//! Headers: `X-Duewatch-Timestamp` (Unix seconds), `X-Duewatch-Signature: sha256=HEX`, the
//! HMAC-SHA256 keyed by `channels.NAME.secret` over `"{timestamp}.{body}"` (the timestamp is
//! signed too, so an old post cannot be replayed with a new one), and `X-Duewatch-Delivery`,
//! the outbox row's key, the same on every attempt (a receiver drops a second copy by it).
//! A 2xx answer is success; 429 and 5xx are retried; any other status is a dead letter.

use std::time::Duration;

use secrecy::ExposeSecret;

use super::{Message, PostError, http};
use crate::config::channels::ChannelConfig;
use crate::domain::channel::ChannelName;
use crate::domain::escalation::ItemLevel;

/// The JSON body for `message` (version 1).
pub fn payload(message: &Message) -> String {
    let items: Vec<serde_json::Value> = message
        .items
        .iter()
        .map(|i| {
            serde_json::json!({
                "reference": i.reference,
                "stage": i.stage,
                "stage_name": i.line.stage_name,
                "responsible": i.line.responsible_name,
                "deadline": i.deadline.to_string(),
                "level": i.level.as_str(),
                "remaining_working_days": if i.level == ItemLevel::Overdue { None } else { i.line.remaining },
                "overdue_working_days": i.line.overdue_by,
                "provisional": i.line.provisional,
                "link": message.base.map(|b| b.case(&i.reference)),
            })
        })
        .collect();
    let mut references: Vec<&str> = message.items.iter().map(|i| i.reference.as_str()).collect();
    references.sort_unstable();
    references.dedup();
    serde_json::json!({
        "version": 1,
        "delivery": message.key,
        "channel": message.channel.as_str(),
        "party": { "key": message.party.to_string(), "name": message.party_name },
        "sender": message.office_name,
        "date": message.day.to_string(),
        "items": items,
        "more_cases": message.cases.saturating_sub(references.len()),
        "link": message.list,
    })
    .to_string()
}

/// `sha256=HEX` of HMAC-SHA256(`secret`, `"{timestamp}.{body}"`).
pub fn signature(secret: &str, timestamp_secs: i64, body: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, format!("{timestamp_secs}.{body}").as_bytes());
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Posts `payload`, signed for `now_ms`.
pub(super) async fn post(
    name: &ChannelName,
    channel: &ChannelConfig,
    payload: &str,
    key: &str,
    now_ms: i64,
    timeout: Duration,
) -> Result<(), PostError> {
    let Some(secret) = &channel.secret else {
        // `config check` refuses a webhook without its key; a configuration that reached here
        // unchecked must not post unsigned.
        return Err(PostError::Dead(format!(
            "channels.{name} has no secret: a webhook post is always signed\n  help: set \
             DUEWATCH__CHANNELS__{}__SECRET",
            name.as_str().to_ascii_uppercase()
        )));
    };
    let timestamp = now_ms.div_euclid(1000);
    let headers = [
        ("x-duewatch-timestamp", timestamp.to_string()),
        (
            "x-duewatch-signature",
            signature(secret.expose_secret(), timestamp, payload),
        ),
        ("x-duewatch-delivery", key.to_owned()),
    ];
    let answer = http::post_json(channel.url.url(), &headers, payload.to_owned(), timeout).await?;
    let text = String::from_utf8_lossy(&answer.body);
    let short: String = text.chars().take(200).collect();
    match answer.status {
        200..=299 => Ok(()),
        429 | 500..=599 => Err(PostError::Retry(format!(
            "channels.{name}: HTTP {} {short}",
            answer.status
        ))),
        status => Err(PostError::Dead(format!(
            "channels.{name}: the receiver refused the post (HTTP {status} {short})\n  help: 401 \
             or 403: its key differs from DUEWATCH__CHANNELS__{}__SECRET; 404: check \
             channels.{name}.url; then `duewatch outbox retry ID`",
            name.as_str().to_ascii_uppercase()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_the_hex_hmac_of_the_timestamp_and_the_body() {
        // Computed apart, with Python's hmac: HMAC-SHA256("hook-key", "1700000000.{\"a\":1}").
        assert_eq!(
            super::signature("hook-key", 1_700_000_000, "{\"a\":1}"),
            "sha256=d919240286eec80391c7661561d6f4e190a02e31fec2c0e6f279d19a16c7d0ae"
        );
    }
}
