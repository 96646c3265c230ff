//! Chat channels as the rules see them (issue 17): a channel's name (`[channels.NAME]`), a
//! party's mobile numbers (to @ the head), and the recipient a channel line is recorded under,
//! `channel:NAME/PARTY`: one message per party, channel and pass, so that each party's lines are
//! recorded (and told once) apart from another party's that shares the group.
//!
//! Pure: no I/O, no configuration loading. How a message is posted is in [`crate::channels`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::case::SectionCode;

/// The prefix of a channel recipient (`notifications.recipient`, `outbox.recipient`): an e-mail
/// address never starts with it (it has no @ before the slash).
pub const RECIPIENT_PREFIX: &str = "channel:";

/// A channel's name, the `NAME` of `[channels.NAME]`: 1 to 32 lower-case letters, digits or `_`
/// (it is also part of the environment variable `DUEWATCH__CHANNELS__NAME__SECRET`, where a `-`
/// cannot be written, and of the credential `channel_NAME_secret`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelName(String);

impl ChannelName {
    /// Parses a channel name.
    ///
    /// # Errors
    /// Empty, longer than 32 characters, or other characters than `a-z 0-9 _`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(ChannelName(s.to_owned()))
        } else {
            Err(format!(
                "\"{s}\" is not a channel name: use 1 to 32 lower-case letters, digits or '_' (it \
                 is part of the variable DUEWATCH__CHANNELS__NAME__SECRET)"
            ))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChannelName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ChannelName::parse(&s)
    }
}

impl From<ChannelName> for String {
    fn from(n: ChannelName) -> String {
        n.0
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mobile number a channel message @-mentions (DingTalk `atMobiles`, WeCom
/// `mentioned_mobile_list`): digits, optionally a leading `+` and `-` between groups, 5 to 20
/// characters. Kept as written without the dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    /// Parses a mobile number.
    ///
    /// # Errors
    /// Anything but digits (with a leading `+` and `-` separators), or too short or long.
    pub fn parse(s: &str) -> Result<Self, String> {
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        let body = digits.strip_prefix('+').unwrap_or(&digits);
        if (5..=20).contains(&body.len()) && body.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Mobile(digits))
        } else {
            Err(format!(
                "\"{s}\" is not a mobile number: write its digits, e.g. \"13800138000\""
            ))
        }
    }

    /// The number as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Mobile {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Mobile::parse(&s)
    }
}

impl From<Mobile> for String {
    fn from(m: Mobile) -> String {
        m.0
    }
}

/// Which party a channel message is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartyKey {
    /// `[office]`.
    Office,
    /// `[leadership]`.
    Leadership,
    /// A `[[sections]]` entry, by code.
    Section(SectionCode),
    /// `[supervision]`, the discipline inspection office (the ladder's grades may name it).
    Supervision,
}

impl fmt::Display for PartyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartyKey::Office => f.write_str("office"),
            PartyKey::Leadership => f.write_str("leadership"),
            PartyKey::Section(code) => write!(f, "section:{code}"),
            PartyKey::Supervision => f.write_str("supervision"),
        }
    }
}

impl PartyKey {
    /// Parses `office`, `leadership` or `section:CODE`.
    pub fn parse(s: &str) -> Option<PartyKey> {
        match s {
            "office" => Some(PartyKey::Office),
            "leadership" => Some(PartyKey::Leadership),
            "supervision" => Some(PartyKey::Supervision),
            _ => s
                .strip_prefix("section:")
                .and_then(|code| SectionCode::parse(code).ok())
                .map(PartyKey::Section),
        }
    }
}

/// What a channel line is recorded under: the channel and the party, written
/// `channel:NAME/PARTY` (`channel:ding/section:ss`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelRecipient {
    /// The channel.
    pub channel: ChannelName,
    /// The party.
    pub party: PartyKey,
}

impl ChannelRecipient {
    /// Reads a recipient as stored; `None` for an e-mail address or anything else.
    pub fn parse(s: &str) -> Option<ChannelRecipient> {
        let (name, party) = s.strip_prefix(RECIPIENT_PREFIX)?.split_once('/')?;
        Some(ChannelRecipient {
            channel: ChannelName::parse(name).ok()?,
            party: PartyKey::parse(party)?,
        })
    }
}

impl fmt::Display for ChannelRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{RECIPIENT_PREFIX}{}/{}", self.channel, self.party)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_recipient_reads_back_as_written_and_an_address_is_none() {
        for text in [
            "channel:ding/office",
            "channel:ding/leadership",
            "channel:ding/supervision",
            "channel:wecom_1/section:ss",
        ] {
            let parsed = ChannelRecipient::parse(text).expect("a channel recipient");
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(ChannelRecipient::parse("head@bureau.example"), None);
        assert_eq!(ChannelRecipient::parse("channel:Ding/office"), None);
        assert_eq!(ChannelRecipient::parse("channel:ding/section:"), None);
    }

    #[test]
    fn names_and_mobiles_are_parsed() {
        assert!(ChannelName::parse("ding_office").is_ok());
        assert!(ChannelName::parse("Ding").is_err());
        assert!(
            ChannelName::parse("ss-ding").is_err(),
            "not writable in a variable's name"
        );
        assert!(ChannelName::parse("").is_err());
        assert_eq!(
            Mobile::parse("138-0013-8000").map(|m| m.as_str().to_owned()),
            Ok("13800138000".to_owned())
        );
        assert!(Mobile::parse("+8613800138000").is_ok());
        assert!(Mobile::parse("call me").is_err());
    }
}
