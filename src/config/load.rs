//! Loading: the layers (defaults, the file, the environment) merged by the `config` crate,
//! errors said with the key and the place, systemd credentials, and `config show`'s view.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::defaults::DEFAULTS;
use super::{
    CalendarConfig, CasesConfig, DaemonConfig, DatabaseConfig, HttpConfig, ReportConfig, Schedule,
    TimeZone, WebConfig, mail,
};
use super::{Config, ConfigError, DEFAULT_FILE, ENV_PREFIX, environment, mask, messages};

/// The merged layers as serde reads them: [`Config`]'s keys, with `[escalation]` as the user
/// writes it. `escalation.reminder_at` is the user's key, but the deadline engine reads it (the
/// level `reminder`, [`crate::domain::deadline::Rules::reminder_at`]); reading it here, into
/// `rules`, leaves one value and no step after loading that could forget to copy it. The
/// sender's domain becomes punycode here too.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Layers {
    timezone: TimeZone,
    calendar: CalendarConfig,
    database: DatabaseConfig,
    cases: CasesConfig,
    office: crate::domain::parties::Party,
    leadership: crate::domain::parties::Party,
    #[serde(default)]
    sections: Vec<crate::domain::parties::Section>,
    supervision: crate::domain::parties::Party,
    #[serde(default)]
    channels: super::channels::Channels,
    rules: crate::domain::deadline::Rules,
    law: crate::domain::deadline::Law,
    escalation: Escalation,
    window: crate::domain::escalation::Window,
    mail: mail::MailConfig,
    schedule: Schedule,
    report: ReportConfig,
    daemon: DaemonConfig,
    http: HttpConfig,
    web: WebConfig,
}

/// `[escalation]` as written: the policy, and `reminder_at`, which goes to the rules.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Escalation {
    reminder_at: crate::domain::deadline::ReminderPoints,
    overdue_repeat: crate::domain::escalation::Repeat,
    notices: bool,
    recipients: crate::domain::escalation::Recipients,
    grades: Vec<crate::domain::escalation::Grade>,
}

impl From<Layers> for Config {
    fn from(l: Layers) -> Config {
        let Escalation {
            reminder_at,
            overdue_repeat,
            notices,
            recipients,
            grades,
        } = l.escalation;
        // The sender's domain as punycode, as the other addresses (`EmailAddress`es) are read.
        let mut mail = l.mail;
        mail.from = crate::domain::address::mailbox_to_ascii(&mail.from);
        Config {
            timezone: l.timezone,
            calendar: l.calendar,
            database: l.database,
            cases: l.cases,
            office: l.office,
            leadership: l.leadership,
            sections: l.sections,
            supervision: l.supervision,
            channels: l.channels,
            rules: crate::domain::deadline::Rules {
                reminder_at,
                // `[law]` is the user's table; the engine reads it with the rules.
                law: l.law,
                ..l.rules
            },
            escalation: crate::domain::escalation::EscalationConfig {
                overdue_repeat,
                notices,
                recipients,
                grades,
            },
            window: l.window,
            mail,
            schedule: l.schedule,
            report: l.report,
            daemon: l.daemon,
            http: l.http,
            web: l.web,
        }
    }
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file (given or the default location).
    File(PathBuf),
    /// No file: defaults and environment only.
    Defaults,
}

/// The layers (defaults, file, environment), merged; and where the file came from.
fn layers(file: Option<&Path>) -> Result<(config::Config, Origin), ConfigError> {
    let origin = match file {
        Some(path) if !path.exists() => return Err(ConfigError::Missing(path.to_owned())),
        Some(path) => Origin::File(path.to_owned()),
        None if Path::new(DEFAULT_FILE).exists() => Origin::File(PathBuf::from(DEFAULT_FILE)),
        None => Origin::Defaults,
    };
    let mut builder = config::Config::builder()
        .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
    if let Origin::File(path) = &origin {
        builder =
            builder.add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml));
    }
    builder = environment::layer(builder)?;
    Ok((builder.build().map_err(invalid)?, origin))
}

fn invalid(e: config::ConfigError) -> ConfigError {
    invalid_in(e, &Origin::Defaults)
}

/// As [`invalid`], naming the line of `origin`'s file that sets a key the crate names without
/// its place.
fn invalid_in(e: config::ConfigError, origin: &Origin) -> ConfigError {
    let file = match origin {
        Origin::File(path) => Some(path.as_path()),
        Origin::Defaults => None,
    };
    let message = messages::reworded(&e, file).unwrap_or_else(|| messages::dotted(&e.to_string()));
    if let Some((message, help)) = message.split_once(messages::HELP) {
        return ConfigError::Invalid {
            message: message.to_owned(),
            help: help.to_owned(),
        };
    }
    let help = if message.contains("unknown field") {
        "remove the key or correct its spelling (environment variables count too: \
         DUEWATCH__SECTION__KEY); config/duewatch.example.toml lists every key"
    } else {
        "config/duewatch.example.toml lists every key with what it expects"
    };
    ConfigError::Invalid {
        message,
        help: help.to_owned(),
    }
}

/// An unknown key's place: the config crate names the key but not where it was written, so
/// look for it in the file (`FILE:LINE`) and in the `DUEWATCH__` environment.
fn locate_unknown(error: ConfigError, origin: &Origin) -> ConfigError {
    let ConfigError::Invalid { message, help } = error else {
        return error;
    };
    let Some(field) = message
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(field, _)| field.to_owned())
    else {
        return ConfigError::Invalid { message, help };
    };
    let mut places = Vec::new();
    if let Origin::File(path) = origin
        && let Ok(text) = std::fs::read_to_string(path)
    {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_start();
            let key = line
                .trim_start_matches('[')
                .split(['=', ']', ' ', '\t'])
                .next()
                .unwrap_or_default();
            // `field = …`, `a.field = …`, `[a.field]`: the key, bare or as the last dotted part.
            if key == field
                || key.ends_with(&format!(".{field}"))
                || key.starts_with(&format!("{field}."))
            {
                places.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with(&format!("{ENV_PREFIX}__"))
            && name
                .split("__")
                .any(|part| part.eq_ignore_ascii_case(&field))
        {
            places.push(format!("the environment variable {name}"));
        }
    }
    let message = if places.is_empty() {
        message
    } else {
        format!("{}: {message}", places.join(", "))
    };
    ConfigError::Invalid { message, help }
}

/// The effective configuration as TOML, every layer merged, secrets masked: what
/// `duewatch config show` prints.
///
/// # Errors
/// As [`load`].
pub fn effective(file: Option<&Path>) -> Result<String, ConfigError> {
    let (merged, _) = layers(file)?;
    let mut table: toml::Table = merged.try_deserialize().map_err(invalid)?;
    if let Some(toml::Value::Table(mail)) = table.get_mut("mail")
        && let Some(toml::Value::Table(smtp)) = mail.get_mut("smtp")
        && smtp.contains_key("password")
    {
        smtp.insert("password".to_owned(), toml::Value::String("***".to_owned()));
    }
    if let Some(toml::Value::Table(channels)) = table.get_mut("channels") {
        for (_, channel) in channels.iter_mut() {
            if let toml::Value::Table(channel) = channel {
                if channel.contains_key("secret") {
                    channel.insert("secret".to_owned(), toml::Value::String("***".to_owned()));
                }
                if let Some(toml::Value::String(url)) = channel.get_mut("url") {
                    *url = super::channels::mask_url(url);
                }
            }
        }
    }
    for section in ["database", "cases"] {
        if let Some(toml::Value::Table(db)) = table.get_mut(section)
            && let Some(toml::Value::String(url)) = db.get_mut("url")
        {
            *url = mask(url);
        }
    }
    toml::to_string_pretty(&table).map_err(|e| ConfigError::Invalid {
        message: e.to_string(),
        help: String::new(),
    })
}

/// Loads the configuration: defaults, then `file` (or [`DEFAULT_FILE`] when it exists), then
/// the environment.
///
/// # Errors
/// A missing `--config` file, an unreadable or malformed file, an unknown key, a value of the
/// wrong type or out of range, each naming the key.
pub fn load(file: Option<&Path>) -> Result<(Config, Origin), ConfigError> {
    let (merged, origin) = layers(file)?;
    let mut config: Config = merged
        .try_deserialize()
        .map_err(|e| locate_unknown(invalid_in(e, &origin), &origin))?;
    if config.mail.smtp.password.is_none() {
        config.mail.smtp.password = credential("smtp_password")?;
    }
    // A channel's secret comes from the environment or a credential, never from the file.
    if let Origin::File(path) = &origin {
        super::channels::refuse_secret_in_file(path)?;
    }
    for (name, channel) in &mut config.channels {
        if channel.secret.is_none() {
            channel.secret = credential(&format!("channel_{name}_secret"))?;
        }
    }
    if config.cases.url().is_empty()
        && let Some(url) = credential("cases_url")?
    {
        config.cases.url = url;
    }
    Ok((config, origin))
}

/// A systemd credential (`LoadCredential=NAME:…`), read from `$CREDENTIALS_DIRECTORY`.
fn credential(name: &str) -> Result<Option<secrecy::SecretString>, ConfigError> {
    let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") else {
        return Ok(None);
    };
    let path = Path::new(&dir).join(name);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid {
        message: format!("reading the credential {}: {e}", path.display()),
        help: "check LoadCredential= in the service unit".to_owned(),
    })?;
    let password = text.trim_end_matches(['\r', '\n']);
    // An empty credential file (as the tmpfiles snippet makes it) means: no password.
    Ok((!password.is_empty()).then(|| password.to_owned().into()))
}

/// A configuration from the defaults and `text` alone (no file lookup, no environment), for
/// unit tests.
#[cfg(test)]
pub(crate) fn from_toml(text: &str) -> Config {
    config::Config::builder()
        .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
        .add_source(config::File::from_str(text, config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .expect("a test configuration")
}

#[cfg(test)]
mod tests {
    use super::from_toml;

    #[test]
    fn escalation_reminder_at_is_the_value_the_engine_reads() {
        use crate::domain::deadline::ReminderPoints;
        assert_eq!(from_toml("").rules.reminder_at, ReminderPoints::one(2));
        let config = from_toml("[escalation]\nreminder_at = 1\n");
        assert_eq!(config.rules.reminder_at, ReminderPoints::one(1));
        let config = from_toml("[escalation]\nreminder_at = [2, 5]\n");
        assert_eq!(config.rules.reminder_at.points(), [5, 2]);
    }

    #[test]
    fn an_empty_listen_is_no_listener_and_the_sender_is_sent_in_ascii() {
        assert_eq!(from_toml("").http.listen, None);
        let config = from_toml(
            "[http]\nlisten = \"127.0.0.1:9187\"\n[mail]\nfrom = \"提醒 <duewatch@bücher.example>\"\n",
        );
        assert_eq!(config.http.listen, Some(([127, 0, 0, 1], 9187).into()));
        assert_eq!(config.mail.from, "提醒 <duewatch@xn--bcher-kva.example>");
    }
}
