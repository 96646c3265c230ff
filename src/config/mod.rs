//! Configuration: built-in defaults, then the config file, then `DUEWATCH__SECTION__KEY`
//! environment variables, layered with the `config` crate. Unknown keys anywhere are refused, and
//! every value is parsed into its type here, so the rest of duewatch never sees raw text.
//!
//! The file is `--config FILE` when given (it must exist), else `/etc/duewatch/duewatch.toml`
//! when that exists, else the defaults alone.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::case::SectionCode;
use crate::domain::parties::{Parties, Party, Section};

mod environment;
pub mod mail;
mod messages;
mod numbers;
mod routing;
mod schedule;

pub use schedule::{Cron, Job, Schedule, ScheduleError};

/// Where the config file is looked for when `--config` is not given.
pub const DEFAULT_FILE: &str = "/etc/duewatch/duewatch.toml";

/// The prefix of environment variables that override the file, `DUEWATCH__CALENDAR__DIR`.
pub const ENV_PREFIX: &str = "DUEWATCH";

/// The built-in defaults, the first layer.
const DEFAULTS: &str = r#"
timezone = "Asia/Shanghai"

[calendar]
dir = "/etc/duewatch/calendars"

[database]
url = "sqlite:///var/lib/duewatch/duewatch.db"

[cases]
source = "builtin"
url = ""
cases_query = ""
extensions_query = ""
suspensions_query = ""

[office]
name = "政务公开工作领导小组办公室"
emails = []

[leadership]
name = "局领导"
emails = []

[rules]
forward_within = 5
reply_within = 10
max_extension = 15
notice_within = 2
rest_day_receipt = "strict"

[escalation]
reminder_at = 2
overdue_repeat = "daily"
notices = true

[escalation.recipients]
reminder = ["responsible"]
due_today = ["responsible", "office"]
overdue = ["responsible", "leadership"]
notice_missing = ["responsible"]

[window]
from = "08:30"
to = "17:30"
every_day = false

[schedule]
poll = "0 */5 * * * *"
calendar_check = "0 0 8 * * *"
housekeeping = "0 30 3 * * *"
monthly_report = "0 0 9 * * *"

[report]
recipients = ["leadership"]

[daemon]
shutdown_grace_secs = 30
samples = false

[http]
listen = ""

[mail]
transport = "file"
from = "duewatch <duewatch@localhost>"
admins = []
templates = ""
stuck_after_mins = 60
digest_max_lines = 200
attach_ics = false

[mail.file]
dir = "/var/lib/duewatch/mail"

[mail.smtp]
host = "localhost"
port = 587
tls = "starttls"
username = ""
timeout_secs = 30

[mail.retry]
base_secs = 30
cap_secs = 900
lease_secs = 120
"#;

/// The effective configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// The rulebook's numbers.
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
    /// The optional health and metrics listener.
    pub http: HttpConfig,
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
    Address(String),
}

impl TryFrom<String> for ReportRecipient {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "leadership" => Ok(ReportRecipient::Leadership),
            "office" => Ok(ReportRecipient::Office),
            a if plausible_address(a) => Ok(ReportRecipient::Address(s)),
            _ => Err(format!(
                "\"{s}\" is neither leadership, office nor an e-mail address (report.recipients); \
                 e.g. recipients = [\"leadership\", \"office\", \"it@bureau.example\"]"
            )),
        }
    }
}

impl From<ReportRecipient> for String {
    fn from(r: ReportRecipient) -> String {
        match r {
            ReportRecipient::Leadership => "leadership".to_owned(),
            ReportRecipient::Office => "office".to_owned(),
            ReportRecipient::Address(a) => a,
        }
    }
}

impl Config {
    /// The addresses `[report] recipients` names, each once, in order.
    pub fn report_recipients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.report.recipients {
            let add: Vec<String> = match r {
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
    /// `host:port` for `/healthz` and `/metrics`; empty: no listener.
    pub listen: String,
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
        }
    }

    /// Checks what serde cannot: unique section codes, plausible addresses, sane rules.
    ///
    /// # Errors
    /// The first problem, naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |message: String, help: &str| ConfigError::Invalid {
            message,
            help: help.to_owned(),
        };
        for (i, s) in self.sections.iter().enumerate() {
            if self.sections[..i].iter().any(|o| o.code == s.code) {
                return Err(invalid(
                    format!("sections[{i}].code: \"{}\" is used twice", s.code),
                    "give every section its own code",
                ));
            }
        }
        let parties = [
            ("office", &self.office.emails),
            ("leadership", &self.leadership.emails),
        ];
        let sections = self
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| (i, &s.emails));
        for (key, emails) in parties
            .into_iter()
            .map(|(k, e)| (k.to_owned(), e))
            .chain(sections.map(|(i, e)| (format!("sections[{i}]"), e)))
        {
            for e in emails {
                if !plausible_address(e) {
                    return Err(invalid(
                        format!("{key}.emails: {e:?} is not an e-mail address"),
                        "write addresses as name@example.org",
                    ));
                }
            }
        }
        for (i, e) in self.mail.admins.iter().enumerate() {
            if !plausible_address(e) {
                return Err(invalid(
                    format!("mail.admins[{i}]: {e:?} is not an e-mail address"),
                    "write addresses as name@example.org",
                ));
            }
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                // Debug-quoted: a line break in the value shows as \r\n, not as a new line.
                format!("mail.from: {:?} is not a sender", self.mail.from),
                "write it as \"duewatch <duewatch@bureau.example>\"",
            ));
        }
        if self.window.to <= self.window.from {
            return Err(invalid(
                format!(
                    "window: to = \"{}\" is not after from = \"{}\"",
                    self.window.to.format("%H:%M"),
                    self.window.from.format("%H:%M")
                ),
                "the sending window is one span within a day, e.g. from = \"08:30\", to = \"17:30\"",
            ));
        }
        self.mail.check().map_err(|e| {
            invalid(
                format!("{e:#}"),
                "see [mail.smtp] in config/duewatch.example.toml",
            )
        })?;
        if self.mail.retry.lease_secs <= self.mail.smtp.timeout_secs {
            return Err(invalid(
                format!(
                    "mail.retry.lease_secs = {} must be longer than mail.smtp.timeout_secs = {}",
                    self.mail.retry.lease_secs, self.mail.smtp.timeout_secs
                ),
                "a worker only starts a send that can finish within its claim; the defaults are \
                 lease_secs = 120, timeout_secs = 30",
            ));
        }
        if self.mail.retry.base_secs == 0 || self.mail.retry.cap_secs < self.mail.retry.base_secs {
            return Err(invalid(
                "mail.retry: base_secs must be at least 1 and cap_secs at least base_secs"
                    .to_owned(),
                "the defaults are base_secs = 30, cap_secs = 900",
            ));
        }
        self.schedule
            .check()
            .map_err(|e| invalid(e.to_string(), ScheduleError::HELP))?;
        if !self.http.listen.is_empty() && self.http.listen.parse::<std::net::SocketAddr>().is_err()
        {
            return Err(invalid(
                format!("http.listen: \"{}\" is not host:port", self.http.listen),
                "e.g. \"127.0.0.1:9187\", or \"\" for no listener",
            ));
        }
        self.check_numbers()
            .map_err(|(message, help)| invalid(message, &help))?;
        if let Some(path) = self.database.url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(invalid(
                    "database.url: \"sqlite://\" names no file".to_owned(),
                    "write sqlite:///var/lib/duewatch/duewatch.db or postgres://host/db",
                ));
            }
        } else if !self.database.url.starts_with("postgres://")
            && !self.database.url.starts_with("postgresql://")
        {
            return Err(invalid(
                format!(
                    "database.url: \"{}\" is neither sqlite:// nor postgres://",
                    mask(&self.database.url)
                ),
                "write sqlite:///var/lib/duewatch/duewatch.db or postgres://user@host/db",
            ));
        }
        self.cases
            .validate()
            .map_err(|(message, help)| invalid(message, help))?;
        self.validate_routing()
    }

    /// Checks that mail can reach someone: every role a level is sent to has an address
    /// ([`routing::unaddressed_roles`]) and so does every role the monthly report is
    /// sent to, and section names are unique and no section's code (imports and case systems
    /// find a section by its code or its name).
    ///
    /// # Errors
    /// The problems found, each naming the keys.
    fn validate_routing(&self) -> Result<(), ConfigError> {
        let invalid = |message: String, help: &str| ConfigError::Invalid {
            message,
            help: help.to_owned(),
        };
        for (i, s) in self.sections.iter().enumerate() {
            if let Some((j, other)) = self.sections[..i]
                .iter()
                .enumerate()
                .find(|(_, o)| o.name == s.name)
            {
                return Err(invalid(
                    format!(
                        "sections[{i}].name: \"{}\" is the name of sections[{j}] (code \"{}\") too",
                        s.name, other.code
                    ),
                    "give every section its own name: CSV imports and case systems may name a \
                     section by its name, which must then say which one",
                ));
            }
        }
        for (i, s) in self.sections.iter().enumerate() {
            // `section_named` takes a code first: this name would never name its section.
            if let Some((j, other)) = self
                .sections
                .iter()
                .enumerate()
                .find(|(j, o)| *j != i && o.code.as_str() == s.name)
            {
                return Err(invalid(
                    format!(
                        "sections[{i}].name: \"{}\" is the code of sections[{j}] ({}): an import or \
                         a case system naming \"{}\" would mean sections[{j}]",
                        s.name, other.name, s.name
                    ),
                    "give every section a name that is no section's code",
                ));
            }
        }
        for (key, address) in self.addresses() {
            if let Some(problem) = crate::domain::address::problem(&address) {
                return Err(invalid(
                    format!("{key}: \"{address}\": {problem}"),
                    crate::domain::address::PROBLEM_HELP,
                ));
            }
        }
        let unaddressed = routing::unaddressed_roles(self);
        if !unaddressed.is_empty() {
            return Err(ConfigError::Invalid {
                message: format!(
                    "a notification would go to a role with no address:\n  {}",
                    unaddressed.join("\n  ")
                ),
                help: "give the role its addresses, or take the role out of that \
                       escalation.recipients list (config/duewatch.example.toml)"
                    .to_owned(),
            });
        }
        if self.schedule.is_on(Job::MonthlyReport) {
            for r in &self.report.recipients {
                let (role, key, emails) = match r {
                    ReportRecipient::Leadership => {
                        ("leadership", "leadership.emails", &self.leadership.emails)
                    }
                    ReportRecipient::Office => ("office", "office.emails", &self.office.emails),
                    ReportRecipient::Address(_) => continue,
                };
                if emails.is_empty() {
                    return Err(invalid(
                        format!(
                            "report.recipients: \"{role}\" has no address ({key} is empty): the \
                             monthly report would not reach it"
                        ),
                        &format!(
                            "add {key} = [\"{role}@bureau.example\"], or take \"{role}\" out of \
                             report.recipients (schedule.monthly_report = \"\" turns the report off)"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Config {
    /// Every configured address with its key: `office.emails`, `leadership.emails`,
    /// `sections[N].emails`, `mail.admins`, `report.recipients`, `mail.from`.
    fn addresses(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let lists = [
            ("office.emails".to_owned(), &self.office.emails),
            ("leadership.emails".to_owned(), &self.leadership.emails),
            ("mail.admins".to_owned(), &self.mail.admins),
        ];
        let sections = self
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("sections[{i}].emails"), &s.emails));
        for (key, list) in lists.into_iter().chain(sections) {
            out.extend(list.iter().map(|a| (key.clone(), a.clone())));
        }
        for r in &self.report.recipients {
            if let ReportRecipient::Address(a) = r {
                out.push(("report.recipients".to_owned(), a.clone()));
            }
        }
        if let Ok(from) = self.mail.from.parse::<lettre::message::Mailbox>() {
            out.push(("mail.from".to_owned(), from.email.to_string()));
        }
        out
    }

    /// Writes every internationalised domain of the configured addresses as punycode
    /// ([`crate::domain::address`]): what is sent, recorded and compared is the ASCII form.
    fn ascii_addresses(&mut self) {
        use crate::domain::address::{mailbox_to_ascii, to_ascii};
        let lists = [
            &mut self.office.emails,
            &mut self.leadership.emails,
            &mut self.mail.admins,
        ];
        for list in lists
            .into_iter()
            .chain(self.sections.iter_mut().map(|s| &mut s.emails))
        {
            for a in list.iter_mut() {
                *a = to_ascii(a);
            }
        }
        for r in &mut self.report.recipients {
            if let ReportRecipient::Address(a) = r {
                *a = to_ascii(a);
            }
        }
        self.mail.from = mailbox_to_ascii(&self.mail.from);
    }
}

fn plausible_address(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// A URL with any password replaced by `***`, for messages.
pub fn mask(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut masked = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &base[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..scheme + 3], &base[at..]),
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    // sqlx also takes the password as a parameter: `?password=…` (and `sslpassword=…`).
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.to_ascii_lowercase().ends_with("password") => {
                    format!("{key}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        masked.push('?');
        masked.push_str(&pairs.join("&"));
    }
    masked
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created if missing) or `postgres://…`.
    pub url: String,
}

/// `cases.source`: where duewatch reads its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseSource {
    /// duewatch's own tables in `database.url`, changed by `duewatch case …`.
    Builtin,
    /// An existing case system's database (`cases.url`), read-only, through the configured
    /// queries (README, "Watching an existing case system").
    Sql,
}

/// `[cases]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesConfig {
    /// `builtin` (the default) or `sql`.
    pub source: CaseSource,
    /// The case system's database, `postgres://…` or `mysql://…` (MariaDB too); a secret: it
    /// may hold a password, so it is never printed or logged unmasked.
    pub url: secrecy::SecretString,
    /// The query (or view) returning the cases, in the columns of the view contract.
    pub cases_query: String,
    /// The query returning the extensions (art. 20); empty: the case system records none.
    pub extensions_query: String,
    /// The query returning the suspensions (art. 21); empty: the case system records none.
    pub suspensions_query: String,
}

impl CasesConfig {
    /// The URL, for connecting only: never print it (use [`mask`]).
    pub fn url(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.url)
    }

    fn validate(&self) -> Result<(), (String, &'static str)> {
        let url = self.url();
        match self.source {
            CaseSource::Builtin => {
                let set = [
                    ("cases.url", url),
                    ("cases.cases_query", &self.cases_query),
                    ("cases.extensions_query", &self.extensions_query),
                    ("cases.suspensions_query", &self.suspensions_query),
                ];
                if let Some((key, _)) = set.iter().find(|(_, v)| !v.trim().is_empty()) {
                    return Err((
                        format!("{key} is set, but cases.source = \"builtin\" does not use it"),
                        "set cases.source = \"sql\" to read the cases from that database, or remove the key",
                    ));
                }
            }
            CaseSource::Sql => {
                let known = ["postgres://", "postgresql://", "mysql://", "mariadb://"];
                if !known.iter().any(|p| url.starts_with(p)) {
                    return Err((
                        format!(
                            "cases.url: \"{}\" is neither postgres:// nor mysql://",
                            mask(url)
                        ),
                        "write postgres://user@host/db or mysql://user@host/db (MariaDB too); a \
                         password is best given as DUEWATCH__CASES__URL or the credential cases_url",
                    ));
                }
                if self.cases_query.trim().is_empty() {
                    return Err((
                        "cases.cases_query is empty, but cases.source = \"sql\" reads the cases \
                         through it"
                            .to_owned(),
                        "write a SELECT (or the name of a view: SELECT * FROM v_cases) returning \
                         the columns of the view contract (README, \"Watching an existing case system\")",
                    ));
                }
            }
        }
        Ok(())
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
    config.rules.reminder_at = config.escalation.reminder_at;
    config.ascii_addresses();
    if config.mail.smtp.password.is_none() {
        config.mail.smtp.password = credential("smtp_password")?;
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
        .map(|mut c: Config| {
            c.ascii_addresses();
            c
        })
        .expect("a test configuration")
}

#[cfg(test)]
mod mask_tests {
    use super::mask;

    #[test]
    fn a_password_is_hidden_in_the_user_part_and_in_parameters() {
        assert_eq!(
            mask("postgres://duewatch:s3cret@db.example/cases"),
            "postgres://duewatch:***@db.example/cases"
        );
        assert_eq!(
            mask("postgres://duewatch@db/cases?sslmode=require&password=s3cret&PASSWORD=x"),
            "postgres://duewatch@db/cases?sslmode=require&password=***&PASSWORD=***"
        );
        assert_eq!(
            mask("mysql://u:p@h/db?sslpassword=k"),
            "mysql://u:***@h/db?sslpassword=***"
        );
        assert_eq!(mask("sqlite://var/duewatch.db"), "sqlite://var/duewatch.db");
    }
}
