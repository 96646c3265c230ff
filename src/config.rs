//! Configuration: built-in defaults, then the config file, then `DUEWATCH__SECTION__KEY`
//! environment variables, layered with the `config` crate. Unknown keys anywhere are refused, and
//! every value is parsed into its type here, so the rest of duewatch never sees raw text.
//!
//! The file is `--config FILE` when given (it must exist), else `/etc/duewatch/duewatch.toml`
//! when that exists, else the defaults alone.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the config file is looked for when `--config` is not given.
pub const DEFAULT_FILE: &str = "/etc/duewatch/duewatch.toml";

/// The prefix of environment variables that override the file, `DUEWATCH__CALENDAR__DIR`.
pub const ENV_PREFIX: &str = "DUEWATCH";

/// The built-in defaults, the first layer.
const DEFAULTS: &str = r#"
timezone = "Asia/Shanghai"

[calendar]
dir = "/etc/duewatch/calendars"
"#;

/// The effective configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The bureau's time zone: "today" and the sending window are in it.
    pub timezone: TimeZone,
    /// Where the calendars are.
    pub calendar: CalendarConfig,
}

/// `[calendar]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// The directory of year files (`YYYY.toml`) and the local overlay (`local.toml`).
    pub dir: PathBuf,
}

/// An IANA time zone, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// The zone.
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    /// Today's date in this zone.
    pub fn today(self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.0).date_naive()
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            format!("unknown time zone \"{s}\"; use an IANA name such as \"Asia/Shanghai\"")
        })
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--config` named a file that does not exist.
    #[error(
        "config file {0} does not exist\n  help: check the --config path, or leave it out to use {DEFAULT_FILE} or the defaults"
    )]
    Missing(PathBuf),
    /// A value is wrong: the message names the key (and the file) and what is expected.
    #[error("configuration: {message}\n  help: {help}")]
    Invalid {
        /// The `config` crate's message, naming the key and the file.
        message: String,
        /// What to do.
        help: String,
    },
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file (given or the default location).
    File(PathBuf),
    /// No file: defaults and environment only.
    Defaults,
}

/// Loads the configuration: defaults, then `file` (or [`DEFAULT_FILE`] when it exists), then
/// the environment.
///
/// # Errors
/// A missing `--config` file, an unreadable or malformed file, an unknown key, a value of the
/// wrong type or out of range, each naming the key.
pub fn load(file: Option<&Path>) -> Result<(Config, Origin), ConfigError> {
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
    builder = builder.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__"),
    );
    let invalid = |e: config::ConfigError| {
        let message = e.to_string();
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
    };
    let config = builder
        .build()
        .map_err(invalid)?
        .try_deserialize()
        .map_err(invalid)?;
    Ok((config, origin))
}
