//! The checks serde cannot make: across fields (a window that ends before it starts, a lease
//! shorter than a send), unique codes and names, and mail that reaches someone.

use super::{Config, ConfigError, ReportRecipient, mask, routing};

impl Config {
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
        for (job, cron) in self.schedule.jobs() {
            // The same parser tokio-cron-scheduler uses, seconds required.
            let parsed = croner::parser::CronParser::builder()
                .seconds(croner::parser::Seconds::Required)
                .build()
                .parse(cron);
            if let Err(e) = parsed {
                return Err(invalid(
                    format!("schedule.{job}: \"{cron}\" is not a cron expression: {e}"),
                    "six fields, seconds first: \"0 */5 * * * *\" is every 5 minutes",
                ));
            }
        }
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
        if !self.schedule.monthly_report.trim().is_empty() {
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
    pub(super) fn ascii_addresses(&mut self) {
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

pub(super) fn plausible_address(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}
