//! A DingTalk (钉钉, 政务钉钉) group's custom robot (自定义机器人): a markdown message
//! (`msgtype = "markdown"`, `title` and `text`), the party's mobiles in `at.atMobiles` and
//! written `@138…` in the text (DingTalk shows the mention only then), the channel's keyword in
//! every message, and `msgUuid` set to the outbox row's key, so that a post sent again after an
//! unknown outcome is not shown twice.
//!
//! With a signing secret (加签): `timestamp` (Unix milliseconds) and `sign`, the Base64 of
//! HMAC-SHA256 keyed by the secret over `"{timestamp}\n{secret}"`, URL-encoded, are added to the
//! URL's query; DingTalk refuses a timestamp more than an hour from its clock.
//!
//! The answer is HTTP 200 with a JSON `errcode` (0: posted). Codes (DingTalk's custom robot
//! documentation, open.dingtalk.com/document/orgapp/custom-robot-access, and the list):
//! 130101 "send too fast" is retried (the robot takes 20 a minute); 310000 (the signature, the
//! keyword or the IP allowlist refused it) and 300001 / 400013 (no such token) are dead letters
//! whose message says what to fix; -1 (system busy) is retried; any other code is a dead letter
//! with DingTalk's own `errmsg`.

use std::time::Duration;

use base64::Engine as _;
use secrecy::ExposeSecret;

use super::{Message, PostError, http, robot_answer};
use crate::config::channels::ChannelConfig;
use crate::domain::channel::ChannelName;

/// The most bytes of a message's text: long enough for some thirty lines, short enough to read
/// on a phone; the rest is counted and linked.
pub const MAX_BYTES: usize = 4000;

/// The JSON body for `message`, `keyword` added to its text.
pub fn payload(message: &Message, keyword: Option<&str>) -> String {
    let mentions: Vec<String> = message
        .mobiles
        .iter()
        .map(|m| format!("@{}", m.as_str()))
        .collect();
    let mut tail = mentions.join(" ");
    if let Some(k) = keyword {
        if !tail.is_empty() {
            tail.push(' ');
        }
        tail.push_str(k);
    }
    let mobiles: Vec<&str> = message.mobiles.iter().map(|m| m.as_str()).collect();
    serde_json::json!({
        "msgtype": "markdown",
        "markdown": {
            "title": format!("{}{}", message.title(), keyword.map(|k| format!(" {k}")).unwrap_or_default()),
            "text": message.markdown(MAX_BYTES, &tail),
        },
        "at": { "atMobiles": mobiles, "isAtAll": false },
        "msgUuid": message.key,
    })
    .to_string()
}

/// The `sign` of `timestamp_ms` for `secret`: Base64 of HMAC-SHA256(secret, "{timestamp}\n{secret}").
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// Posts `payload`, signed for `now_ms` when the channel has a secret.
pub(super) async fn post(
    name: &ChannelName,
    channel: &ChannelConfig,
    payload: &str,
    now_ms: i64,
    timeout: Duration,
) -> Result<(), PostError> {
    let mut url = channel.url.url().clone();
    if let Some(secret) = &channel.secret {
        let secret = secret.expose_secret();
        url.query_pairs_mut()
            .append_pair("timestamp", &now_ms.to_string())
            .append_pair("sign", &sign(secret, now_ms));
    }
    let answer = http::post_json(&url, &[], payload.to_owned(), timeout).await?;
    match robot_answer(name, &answer)? {
        None => Ok(()),
        Some((code, message)) => Err(classify(name, code, &message)),
    }
}

/// What an `errcode` means.
pub(super) fn classify(name: &ChannelName, code: i64, message: &str) -> PostError {
    let env = name.as_str().to_ascii_uppercase();
    match code {
        // "send too fast": the robot's 20 a minute, counted by DingTalk.
        130_101 | -1 => PostError::Retry(format!(
            "channels.{name}: DingTalk errcode {code} ({message}): try later"
        )),
        310_000 => PostError::Dead(format!(
            "channels.{name}: DingTalk refused the message's security check (errcode 310000: \
             {message})\n  help: in the robot's security settings (安全设置): with 加签, set \
             DUEWATCH__CHANNELS__{env}__SECRET (or the credential channel_{name}_secret) to its \
             SEC… secret exactly; with 自定义关键词, set channels.{name}.keyword to one of the \
             keywords; with an IP allowlist (IP地址段), add this server's address; then \
             `duewatch outbox retry ID`"
        )),
        300_001 | 400_013 => PostError::Dead(format!(
            "channels.{name}: DingTalk does not know the robot's token (errcode {code}: \
             {message})\n  help: the robot was removed or its webhook reset: copy its webhook \
             address (…/robot/send?access_token=…) again into channels.{name}.url, then \
             `duewatch outbox retry ID`"
        )),
        _ => PostError::Dead(format!(
            "channels.{name}: DingTalk refused the message (errcode {code}: {message})\n  help: \
             look the code up in DingTalk's custom robot documentation; fix channels.{name} and \
             `duewatch outbox retry ID`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_base64_hmac_of_the_timestamp_and_the_secret() {
        // Computed apart, with Python's hmac: base64(HMAC-SHA256("SECxyz",
        // "1700000000000\nSECxyz")).
        assert_eq!(
            sign("SECxyz", 1_700_000_000_000),
            "0PUR1j8g85Xg3vlFV/UrEcxXfF5HpCAGzcjrNfyJoyg="
        );
    }

    #[test]
    fn rate_limits_are_retried_and_a_bad_token_names_what_to_fix() {
        let name = ChannelName::parse("ding").expect("a name");
        assert!(matches!(
            classify(&name, 130_101, "send too fast"),
            PostError::Retry(_)
        ));
        let PostError::Dead(m) = classify(&name, 300_001, "token is not exist") else {
            panic!("a dead letter")
        };
        assert!(
            m.contains("channels.ding.url") && m.contains("help:"),
            "{m}"
        );
        let PostError::Dead(m) = classify(&name, 310_000, "sign not match") else {
            panic!("a dead letter")
        };
        assert!(
            m.contains("DUEWATCH__CHANNELS__DING__SECRET") && m.contains("channels.ding.keyword"),
            "{m}"
        );
    }
}
