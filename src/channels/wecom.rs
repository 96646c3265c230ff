//! A WeCom (企业微信, 政务微信) group robot (群机器人): the URL carries its key; no signature.
//!
//! Mentions decide the message type. WeCom's markdown mentions only by user id (`<@userid>`),
//! and duewatch knows the head's mobile number, not their WeCom id; a text message takes
//! `mentioned_mobile_list`. So: a party with `mobiles` gets a text message (at most 2048 bytes)
//! that @-mentions them (the point of telling the head is that the head sees it); a party
//! without gets markdown (at most 4096 bytes), with links.
//!
//! Answers: HTTP 200 with `errcode` (0: posted); 45009 (the API's frequency limit) and -1
//! (busy) are retried, 93000 (invalid webhook URL: the key is wrong or the robot removed) is a
//! dead letter that says to copy the URL again; any other code is a dead letter with WeCom's
//! `errmsg`.

use std::time::Duration;

use super::{Message, PostError, http, robot_answer};
use crate::config::channels::ChannelConfig;
use crate::domain::channel::ChannelName;

/// A markdown message's most bytes (`markdown.content`).
pub const MARKDOWN_MAX_BYTES: usize = 4096;
/// A text message's most bytes (`text.content`).
pub const TEXT_MAX_BYTES: usize = 2048;

/// The JSON body for `message`.
pub fn payload(message: &Message) -> String {
    if message.mobiles.is_empty() {
        serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "content": message.markdown(MARKDOWN_MAX_BYTES, "") },
        })
        .to_string()
    } else {
        let mobiles: Vec<&str> = message.mobiles.iter().map(|m| m.as_str()).collect();
        serde_json::json!({
            "msgtype": "text",
            "text": {
                "content": message.text(TEXT_MAX_BYTES, ""),
                "mentioned_mobile_list": mobiles,
            },
        })
        .to_string()
    }
}

/// Posts `payload`.
pub(super) async fn post(
    name: &ChannelName,
    channel: &ChannelConfig,
    payload: &str,
    timeout: Duration,
) -> Result<(), PostError> {
    let answer = http::post_json(channel.url.url(), &[], payload.to_owned(), timeout).await?;
    match robot_answer(name, &answer)? {
        None => Ok(()),
        Some((code, message)) => Err(classify(name, code, &message)),
    }
}

/// What an `errcode` means.
pub(super) fn classify(name: &ChannelName, code: i64, message: &str) -> PostError {
    match code {
        45_009 | -1 => PostError::Retry(format!(
            "channels.{name}: WeCom errcode {code} ({message}): try later"
        )),
        93_000 => PostError::Dead(format!(
            "channels.{name}: WeCom says the webhook URL is invalid (errcode 93000: {message})\n  \
             help: the robot was removed or its key is wrong: copy the robot's webhook address \
             (…/cgi-bin/webhook/send?key=…) again into channels.{name}.url, then `duewatch \
             outbox retry ID`"
        )),
        _ => PostError::Dead(format!(
            "channels.{name}: WeCom refused the message (errcode {code}: {message})\n  help: look \
             the code up in WeCom's group robot documentation; fix channels.{name} and `duewatch \
             outbox retry ID`"
        )),
    }
}
