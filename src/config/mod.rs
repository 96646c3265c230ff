//! Configuration: built-in defaults, then the config file, then `DUEWATCH__SECTION__KEY`
//! environment variables, layered with the `config` crate. Unknown keys anywhere are refused, and
//! every value is parsed into its type here (`mail.from`, a display name and an address, is
//! checked by `config check` and parsed by the transport), so the rest of duewatch never sees raw
//! text.
//!
//! The file is `--config FILE` when given (it must exist), else `/etc/duewatch/duewatch.toml`
//! when that exists, else the defaults alone.
//!
//! Here: [`Config`] and its small sections. Beside it: `defaults.rs` (the built-in defaults, the
//! one home of every default value), `load.rs` (the layers, [`load`], [`effective`]),
//! `database.rs` (`[database]` with its [`DatabaseUrl`], `[cases]`, [`mask`]), `validate.rs`
//! (the checks across fields, [`Config::validate`]), `numbers.rs` (bounds, warnings),
//! `routing.rs` (roles without an address), `messages.rs` (the `config` crate's errors said for
//! an operator), `environment.rs` (`DUEWATCH__…` variables, lists), `mail.rs` (`[mail]`),
//! `web.rs` (`[web]`, [`BaseUrl`]).

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use crate::domain::address::{AddressError, EmailAddress};
use crate::domain::case::SectionCode;
use crate::domain::parties::{Parties, Party, Section};

pub mod channels;
mod database;
mod defaults;
mod environment;
mod load;
pub mod mail;
mod messages;
mod numbers;
mod routing;
mod schedule;
mod validate;
mod web;

pub use database::{Backend, CaseSource, CasesConfig, DatabaseConfig, DatabaseUrl, mask};
#[cfg(test)]
pub(crate) use load::from_toml;
pub use load::{Origin, effective, load};
pub use schedule::{Cron, Job, Schedule, ScheduleError};
pub(crate) use web::segment;
pub use web::{AuthMode, BaseUrl, ProxyAddress, WebConfig};

/// Where the config file is looked for when `--config` is not given.
pub const DEFAULT_FILE: &str = "/etc/duewatch/duewatch.toml";

/// The prefix of environment variables that override the file, `DUEWATCH__CALENDAR__DIR`.
pub const ENV_PREFIX: &str = "DUEWATCH";

/// The effective configuration. It is read through [`load::Layers`], the same keys, which
/// places `escalation.reminder_at` in [`Config::rules`], the one value the engine reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "load::Layers")]
pub struct Config {
    /// The bureau's time zone: "today" and the sending window are in it.
    pub timezone: TimeZone,
    /// Where the calendars are.
    pub calendar: CalendarConfig,
    /// duewatch's own database: its cases (with `cases.source = "builtin"`), the outbox, runs.
    pub database: DatabaseConfig,
    /// Where the cases come from: duewatch's own tables, or an existing case system.
    pub cases: CasesConfig,
    /// The leading group's office: receives, forwards, supervises.
    pub office: Party,
    /// The bureau's leadership (approves extensions, hears of overdue cases).
    pub leadership: Party,
    /// The sections cases are forwarded to.
    #[serde(default)]
    pub sections: Vec<Section>,
    /// The discipline inspection / supervision office (issue 17): no address by default; a
    /// grade or level that names `supervision` needs one (`config check`).
    pub supervision: Party,
    /// The chat channels parties may name (`[channels.NAME]`); none by default.
    #[serde(default)]
    pub channels: channels::Channels,
    /// The rulebook's numbers, with `reminder_at` from `escalation.reminder_at`.
    pub rules: crate::domain::deadline::Rules,
    /// Who hears of which case, and when.
    pub escalation: crate::domain::escalation::EscalationConfig,
    /// When mail may go out.
    pub window: crate::domain::escalation::Window,
    /// How mail goes out.
    pub mail: mail::MailConfig,
    /// When the daemon's jobs run.
    pub schedule: Schedule,
    /// The monthly report.
    pub report: ReportConfig,
    /// The daemon itself.
    pub daemon: DaemonConfig,
    /// The optional console (with health and metrics) listener.
    pub http: HttpConfig,
    /// How the console is reached from outside (the links in mail).
    pub web: WebConfig,
}

/// `[report]`: the monthly report (arts. 23, 24).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Who gets it: `leadership`, `office` (their `emails`) or e-mail addresses.
    pub recipients: Vec<ReportRecipient>,
}

/// One entry of `[report] recipients`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum ReportRecipient {
    /// `[leadership] emails`.
    Leadership,
    /// `[office] emails`.
    Office,
    /// One address.
    Address(EmailAddress),
}

impl TryFrom<String> for ReportRecipient {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "leadership" => Ok(ReportRecipient::Leadership),
            "office" => Ok(ReportRecipient::Office),
            a => match EmailAddress::parse(a) {
                Ok(address) => Ok(ReportRecipient::Address(address)),
                Err(AddressError::NotAnAddress(_)) => Err(format!(
                    "\"{s}\" is neither leadership, office nor an e-mail address (report.recipients); \
                     e.g. recipients = [\"leadership\", \"office\", \"it@bureau.example\"]"
                )),
                // With its help, as the configuration's messages take it (messages.rs).
                Err(e) => Err(format!("{e}\n  help: {}", e.help())),
            },
        }
    }
}

impl From<ReportRecipient> for String {
    fn from(r: ReportRecipient) -> String {
        match r {
            ReportRecipient::Leadership => "leadership".to_owned(),
            ReportRecipient::Office => "office".to_owned(),
            ReportRecipient::Address(a) => a.into(),
        }
    }
}

impl Config {
    /// The addresses `[report] recipients` names, each once, in order.
    pub fn report_recipients(&self) -> Vec<EmailAddress> {
        let mut out: Vec<EmailAddress> = Vec::new();
        for r in &self.report.recipients {
            let add: Vec<EmailAddress> = match r {
                ReportRecipient::Leadership => self.leadership.emails.clone(),
                ReportRecipient::Office => self.office.emails.clone(),
                ReportRecipient::Address(address) => vec![address.clone()],
            };
            for a in add {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }
}

/// `[daemon]`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    /// Seconds a stop waits for a running pass before giving its claims back.
    pub shutdown_grace_secs: u64,
    /// Make sample cases (marked as samples) on the first start with an empty store: for the
    /// development config only.
    pub samples: bool,
}

/// `[http]`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// `host:port` of the console (with `/healthz` and `/metrics`); beyond loopback only with a
    /// login (`web.auth`); empty (`None`): no listener.
    #[serde(deserialize_with = "listen")]
    pub listen: Option<std::net::SocketAddr>,
}

/// `http.listen`: `""` is no listener, anything else must be `host:port` (an IP address: the
/// listener binds it, no name is looked up). An address beyond loopback needs a login
/// (`web.auth`): [`Config::validate`] checks the two together.
fn listen<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<std::net::SocketAddr>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.is_empty() {
        return Ok(None);
    }
    let address: std::net::SocketAddr = text.parse().map_err(|_| {
        serde::de::Error::custom(format_args!(
            "\"{text}\" is not host:port\n  help: e.g. \"127.0.0.1:9187\", or \"\" for no listener"
        ))
    })?;
    Ok(Some(address))
}

impl Config {
    /// The configured section with this code.
    pub fn section(&self, code: &SectionCode) -> Option<&Section> {
        self.parties().section(code)
    }

    /// The office, the leadership and the sections, as the escalation policy reads them.
    pub fn parties(&self) -> Parties<'_> {
        Parties {
            office: &self.office,
            leadership: &self.leadership,
            sections: &self.sections,
            supervision: &self.supervision,
        }
    }
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
