//! `[channels.NAME]` (issue 17): the chat robots and webhooks digests are posted to besides
//! mail, parsed here (the kind, the URL, the limit), and the checks across keys: a party names
//! only configured channels, each kind takes only its keys, and a secret never comes from the
//! config file (it is a credential: `DUEWATCH__CHANNELS__NAME__SECRET` or the systemd
//! credential `channel_NAME_secret`, as the SMTP password). How a message is posted is in
//! [`crate::channels`]; this room only reads.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use secrecy::SecretString;
use serde::Deserialize;

use super::{Config, ConfigError};
use crate::domain::channel::ChannelName;

/// The configured channels, by name.
pub type Channels = BTreeMap<ChannelName, ChannelConfig>;

/// One `[channels.NAME]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// `dingtalk`, `wecom` or `webhook`.
    pub kind: ChannelKind,
    /// Where to post, taken as given (a private deployment's host too); its query (the access
    /// token, the key) is masked wherever it is shown.
    pub url: ChannelUrl,
    /// DingTalk: the signing secret (加签, `SEC…`); webhook: the HMAC key. Never from the file.
    #[serde(default)]
    pub secret: Option<SecretString>,
    /// DingTalk: the keyword (自定义关键词) put into every message.
    #[serde(default)]
    pub keyword: Option<String>,
    /// At most this many posts a minute to this channel (DingTalk and WeCom allow 20).
    #[serde(default = "per_minute")]
    pub per_minute: u32,
    /// Seconds one post may take, connection included.
    #[serde(default = "timeout_secs")]
    pub timeout_secs: u64,
}

fn per_minute() -> u32 {
    super::defaults::CHANNEL_PER_MINUTE
}

fn timeout_secs() -> u64 {
    super::defaults::CHANNEL_TIMEOUT_SECS
}

/// What a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A DingTalk (钉钉, 政务钉钉) group's custom robot.
    Dingtalk,
    /// A WeCom (企业微信, 政务微信) group robot.
    Wecom,
    /// Any HTTP endpoint taking a signed JSON body.
    Webhook,
}

impl ChannelKind {
    /// As written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Wecom => "wecom",
            ChannelKind::Webhook => "webhook",
        }
    }
}

/// A channel's URL: `http` or `https` with a host. `Display` and `Debug` mask the query's
/// values, which hold the robot's token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ChannelUrl(url::Url);

impl ChannelUrl {
    /// The URL to post to, unmasked.
    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

impl TryFrom<String> for ChannelUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let url = url::Url::parse(s.trim()).map_err(|e| {
            format!(
                "\"{}\" is not a URL ({e})\n  help: paste the robot's webhook address, e.g. \
                 \"https://oapi.dingtalk.com/robot/send?access_token=…\"",
                mask_url(&s)
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "\"{}\" is not an http or https address with a host\n  help: paste the robot's \
                 webhook address, e.g. \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…\"",
                mask_url(&s)
            ));
        }
        Ok(ChannelUrl(url))
    }
}

impl fmt::Display for ChannelUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask_url(self.0.as_str()))
    }
}

impl fmt::Debug for ChannelUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelUrl({self})")
    }
}

/// `url` with every query value replaced by `***` (`access_token=***`, `key=***`).
pub fn mask_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) => format!("{key}=***"),
            None => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", masked.join("&"))
}

/// A refusal naming its key, with what to do.
fn invalid(message: String, help: String) -> ConfigError {
    ConfigError::Invalid { message, help }
}

impl Config {
    /// The channels' checks across keys: each party names only configured channels; a
    /// channel's keys fit its kind; a webhook has its key; a limit of at least one a minute.
    ///
    /// # Errors
    /// The first problem, naming its key.
    pub(super) fn check_channels(&self) -> Result<(), ConfigError> {
        let configured = || {
            if self.channels.is_empty() {
                "no channel is configured".to_owned()
            } else {
                let names: Vec<&str> = self.channels.keys().map(ChannelName::as_str).collect();
                format!("configured: {}", names.join(", "))
            }
        };
        let mut parties: Vec<(String, &[ChannelName])> = vec![
            ("office.channels".to_owned(), &self.office.channels),
            ("leadership.channels".to_owned(), &self.leadership.channels),
            (
                "supervision.channels".to_owned(),
                &self.supervision.channels,
            ),
        ];
        for (i, s) in self.sections.iter().enumerate() {
            parties.push((
                format!("sections[{i}].channels (code \"{}\")", s.code),
                &s.channels,
            ));
        }
        for (key, names) in parties {
            for name in names {
                if !self.channels.contains_key(name) {
                    return Err(invalid(
                        format!(
                            "{key}: \"{name}\" is not a configured channel ({})",
                            configured()
                        ),
                        format!(
                            "add [channels.{name}] with its kind and url (see [channels] in \
                             config/duewatch.example.toml), or take \"{name}\" out of the list"
                        ),
                    ));
                }
            }
        }
        for (name, c) in &self.channels {
            let key = format!("channels.{name}");
            if c.per_minute == 0 {
                return Err(invalid(
                    format!("{key}.per_minute = 0: nothing could ever be posted"),
                    "DingTalk and WeCom robots take 20 messages a minute: per_minute = 20"
                        .to_owned(),
                ));
            }
            if c.timeout_secs == 0 {
                return Err(invalid(
                    format!("{key}.timeout_secs = 0: no post could finish"),
                    "e.g. timeout_secs = 10".to_owned(),
                ));
            }
            if c.timeout_secs >= self.mail.retry.lease_secs {
                return Err(invalid(
                    format!(
                        "{key}.timeout_secs = {} is not shorter than mail.retry.lease_secs = {}: a \
                         post could outlast its claim and be made twice",
                        c.timeout_secs, self.mail.retry.lease_secs
                    ),
                    "lower timeout_secs (10 is plenty) or raise mail.retry.lease_secs".to_owned(),
                ));
            }
            match c.kind {
                ChannelKind::Wecom if c.secret.is_some() => {
                    return Err(invalid(
                        format!(
                            "{key}.secret: a WeCom group robot is not signed; its key is in the url"
                        ),
                        format!(
                            "unset DUEWATCH__CHANNELS__{}__SECRET (or the credential channel_{name}_secret)",
                            env_name(name)
                        ),
                    ));
                }
                ChannelKind::Wecom | ChannelKind::Webhook if c.keyword.is_some() => {
                    return Err(invalid(
                        format!("{key}.keyword: only a DingTalk robot takes a keyword"),
                        "remove the key, or set kind = \"dingtalk\"".to_owned(),
                    ));
                }
                ChannelKind::Webhook if c.secret.is_none() => {
                    return Err(invalid(
                        format!(
                            "{key}: a webhook needs its HMAC key (secret), or its posts could be \
                             forged"
                        ),
                        format!(
                            "set the environment variable DUEWATCH__CHANNELS__{}__SECRET, or the \
                             systemd credential channel_{name}_secret (LoadCredential=); never \
                             write it in the config file",
                            env_name(name)
                        ),
                    ));
                }
                ChannelKind::Dingtalk
                    if c.keyword.as_deref().is_some_and(|k| k.trim().is_empty()) =>
                {
                    return Err(invalid(
                        format!("{key}.keyword is empty"),
                        "write the robot's keyword as set in DingTalk, or remove the key"
                            .to_owned(),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `NAME` as in an environment variable's name (`DUEWATCH__CHANNELS__NAME__SECRET`).
fn env_name(name: &ChannelName) -> String {
    name.as_str().to_ascii_uppercase()
}

/// Refuses a channel secret written in the config file (a file is copied, committed, read by
/// more people than a credential): the first `[channels.NAME] secret` found, with its
/// `FILE:LINE`.
///
/// # Errors
/// A secret written in `file`.
pub(super) fn refuse_secret_in_file(file: &Path) -> Result<(), ConfigError> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(());
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(());
    };
    let Some(toml::Value::Table(channels)) = table.get("channels") else {
        return Ok(());
    };
    for (name, channel) in channels {
        let Some(channel) = channel.as_table() else {
            continue;
        };
        if !channel.contains_key("secret") {
            continue;
        }
        // The line: the first `secret` after the channel's header (or written dotted).
        let header = format!("[channels.{name}]");
        let mut inside = false;
        let mut line = None;
        for (i, l) in text.lines().enumerate() {
            let t = l.trim_start();
            if t.starts_with('[') {
                inside = t.starts_with(&header);
            }
            if (inside && t.starts_with("secret"))
                || t.starts_with(&format!("channels.{name}.secret"))
            {
                line = Some(i + 1);
                break;
            }
        }
        let place = match line {
            Some(n) => format!("{}:{n}", file.display()),
            None => file.display().to_string(),
        };
        let env = name.to_ascii_uppercase();
        return Err(invalid(
            format!(
                "{place}: channels.{name}.secret is written in the config file: a signing secret \
                 is a credential and must not sit in a file that is copied and committed"
            ),
            format!(
                "remove the line and set the environment variable DUEWATCH__CHANNELS__{env}__SECRET, \
                 or the systemd credential channel_{name}_secret (LoadCredential=channel_{name}_secret:/etc/duewatch/channel_{name}_secret)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_shows_with_its_token_masked() {
        assert_eq!(
            mask_url("https://oapi.dingtalk.com/robot/send?access_token=abc&x=1"),
            "https://oapi.dingtalk.com/robot/send?access_token=***&x=***"
        );
        let url = ChannelUrl::try_from(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-e-y".to_owned(),
        )
        .expect("a URL");
        assert!(!format!("{url} {url:?}").contains("k-e-y"));
        assert!(ChannelUrl::try_from("ftp://example.org/x".to_owned()).is_err());
        assert!(
            ChannelUrl::try_from("not a url?access_token=s3cret".to_owned())
                .is_err_and(|e| !e.contains("s3cret"))
        );
    }

    #[test]
    fn a_party_naming_an_unconfigured_channel_is_refused_with_the_key() {
        let config = crate::config::from_toml(
            "[channels.ding]\nkind = \"dingtalk\"\nurl = \"https://oapi.dingtalk.com/robot/send?access_token=t\"\n\
             [office]\nemails = [\"office@bureau.example\"]\nchannels = [\"dingx\"]\n",
        );
        let e = config.check_channels().expect_err("refused").to_string();
        assert!(
            e.contains("office.channels: \"dingx\" is not a configured channel"),
            "{e}"
        );
        assert!(e.contains("configured: ding"), "{e}");
        assert!(e.contains("help:"), "{e}");
    }

    #[test]
    fn a_webhook_without_its_key_and_a_keyword_on_wecom_are_refused() {
        let webhook = crate::config::from_toml(
            "[channels.oa]\nkind = \"webhook\"\nurl = \"https://oa.bureau.example/hook\"\n",
        );
        let e = webhook.check_channels().expect_err("refused").to_string();
        assert!(
            e.contains("channels.oa") && e.contains("DUEWATCH__CHANNELS__OA__SECRET"),
            "{e}"
        );
        let wecom = crate::config::from_toml(
            "[channels.wx]\nkind = \"wecom\"\nurl = \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k\"\nkeyword = \"期限\"\n",
        );
        let e = wecom.check_channels().expect_err("refused").to_string();
        assert!(e.contains("channels.wx.keyword"), "{e}");
    }

    #[test]
    fn no_channels_is_the_default() {
        let config = crate::config::from_toml("");
        assert!(config.channels.is_empty());
        assert!(config.office.channels.is_empty() && config.office.mobiles.is_empty());
        assert!(config.check_channels().is_ok());
    }
}
