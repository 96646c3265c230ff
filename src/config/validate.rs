//! The checks serde cannot make, run by `config check`, `run` and `mail test`: across fields (a
//! window that ends before it starts, a lease shorter than a send), unique section codes and
//! names, and mail that reaches someone. Each check is one function and names its key; what
//! one value alone decides (an address, `http.listen`, `database.url`) is parsed at loading.

use super::{Config, ConfigError, Job, ReportRecipient, ScheduleError, routing};

/// A refusal: the message, naming its key, and what to do.
fn invalid(message: String, help: &str) -> ConfigError {
    ConfigError::Invalid {
        message,
        help: help.to_owned(),
    }
}

impl Config {
    /// Checks what serde cannot: unique section codes, a sender, sane rules, mail that reaches
    /// someone.
    ///
    /// # Errors
    /// The first problem, naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check_section_codes()?;
        self.check_sender()?;
        self.check_window()?;
        self.mail.check().map_err(|e| {
            invalid(
                format!("{e:#}"),
                "see [mail.smtp] in config/duewatch.example.toml",
            )
        })?;
        self.check_retry()?;
        self.check_schedule()?;
        self.check_console_access()?;
        self.check_channels()?;
        self.check_numbers()
            .map_err(|(message, help)| invalid(message, &help))?;
        self.cases
            .validate()
            .map_err(|(message, help)| invalid(message, help))?;
        self.validate_routing()
    }

    /// The console's doors (issue 16): a listener beyond loopback only with a login
    /// (`web.auth = "password"` or `"proxy"`), single sign-on only from named proxies and with a
    /// header name that is one.
    pub(super) fn check_console_access(&self) -> Result<(), ConfigError> {
        use super::web::AuthMode;
        let web = &self.web;
        if let Some(address) = self.http.listen
            && !address.ip().is_loopback()
            && matches!(web.auth, AuthMode::Auto | AuthMode::None)
        {
            let auth = match web.auth {
                AuthMode::Auto => "auto",
                _ => "none",
            };
            return Err(invalid(
                format!(
                    "http.listen: \"{address}\" is not a loopback address, and web.auth is \"{auth}\": \
                     the pages, /healthz and /metrics would answer anyone who can reach it without a login"
                ),
                &format!(
                    "set web.auth = \"password\" (make the accounts with `duewatch user add`) or \
                     \"proxy\" (single sign-on behind the bureau's proxy), or bind it to 127.0.0.1:{port}",
                    port = address.port()
                ),
            ));
        }
        if web.auth == AuthMode::Proxy && web.trusted_proxies.is_empty() {
            return Err(invalid(
                "web.auth = \"proxy\" but web.trusted_proxies is empty: no request could log in"
                    .to_owned(),
                "list the addresses of the proxies that set web.proxy_header, e.g. \
                 trusted_proxies = [\"10.0.0.5\"]",
            ));
        }
        if axum::http::HeaderName::from_bytes(web.proxy_header.as_bytes()).is_err() {
            return Err(invalid(
                format!(
                    "web.proxy_header = {:?} is not a header name",
                    web.proxy_header
                ),
                "use the name of the header the proxy sets, e.g. \"X-Remote-User\"",
            ));
        }
        Ok(())
    }

    /// `sections[N].code`: each once, and none `office`, the office's own code in
    /// `/cases?party=office`, in `status --json`'s `responsible` and in the digests' links.
    fn check_section_codes(&self) -> Result<(), ConfigError> {
        for (i, s) in self.sections.iter().enumerate() {
            if s.code.as_str() == "office" {
                return Err(invalid(
                    format!(
                        "sections[{i}].code: \"office\" is the office's own code (the forward \
                         stage in status --json and the console's lists), not a section's"
                    ),
                    "give the section another code, e.g. \"bgs\"; the office itself is [office]",
                ));
            }
            if self.sections[..i].iter().any(|o| o.code == s.code) {
                return Err(invalid(
                    format!("sections[{i}].code: \"{}\" is used twice", s.code),
                    "give every section its own code",
                ));
            }
        }
        Ok(())
    }

    /// `mail.from`: a mailbox, `Name <address>`.
    fn check_sender(&self) -> Result<(), ConfigError> {
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                // Debug-quoted: a line break in the value shows as \r\n, not as a new line.
                format!("mail.from: {:?} is not a sender", self.mail.from),
                "write it as \"duewatch <duewatch@bureau.example>\"",
            ));
        }
        Ok(())
    }

    /// `window`: `to` after `from`.
    fn check_window(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }

    /// `mail.retry`: a claim outlasts a send; the backoff grows from at least a second.
    fn check_retry(&self) -> Result<(), ConfigError> {
        let retry = &self.mail.retry;
        if retry.lease_secs <= self.mail.smtp.timeout_secs {
            return Err(invalid(
                format!(
                    "mail.retry.lease_secs = {} must be longer than mail.smtp.timeout_secs = {}",
                    retry.lease_secs, self.mail.smtp.timeout_secs
                ),
                "a worker only starts a send that can finish within its claim; the defaults are \
                 lease_secs = 120, timeout_secs = 30",
            ));
        }
        if retry.base_secs == 0 || retry.cap_secs < retry.base_secs {
            return Err(invalid(
                "mail.retry: base_secs must be at least 1 and cap_secs at least base_secs"
                    .to_owned(),
                "the defaults are base_secs = 30, cap_secs = 900",
            ));
        }
        Ok(())
    }

    /// `schedule.*`: each cron expression was parsed at load ([`super::Cron`]); a bad one is
    /// refused here, naming its key.
    fn check_schedule(&self) -> Result<(), ConfigError> {
        self.schedule
            .check()
            .map_err(|e| invalid(e.to_string(), ScheduleError::HELP))
    }

    /// Checks that mail can reach someone: every role a level is sent to has an address
    /// ([`routing::unaddressed_roles`]) and so does every role the monthly report is
    /// sent to, and section names are unique and no section's code (imports and case systems
    /// find a section by its code or its name).
    ///
    /// # Errors
    /// The problems found, each naming the keys.
    fn validate_routing(&self) -> Result<(), ConfigError> {
        self.check_section_names()?;
        self.check_sender_address()?;
        if let Some((message, help)) =
            crate::domain::escalation::grades_problem(&self.escalation.grades)
        {
            return Err(invalid(message, &help));
        }
        self.check_roles_addressed()?;
        self.check_report_recipients()
    }

    /// `sections[N].name`: each once, and none the code of another section.
    fn check_section_names(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }

    /// `mail.from`'s address: one every relay takes ([`crate::domain::address::problem`]); the
    /// other addresses are [`crate::domain::address::EmailAddress`]es, checked as they are read.
    fn check_sender_address(&self) -> Result<(), ConfigError> {
        let Ok(from) = self.mail.from.parse::<lettre::message::Mailbox>() else {
            return Ok(());
        };
        let address = from.email.to_string();
        match crate::domain::address::problem(&address) {
            Some(problem) => Err(invalid(
                format!("mail.from: \"{address}\": {problem}"),
                crate::domain::address::PROBLEM_HELP,
            )),
            None => Ok(()),
        }
    }

    /// `escalation.recipients`: no level goes to a role without an address.
    fn check_roles_addressed(&self) -> Result<(), ConfigError> {
        let unaddressed = routing::unaddressed_roles(self);
        if unaddressed.is_empty() {
            return Ok(());
        }
        Err(invalid(
            format!(
                "a notification would go to a role with no address:\n  {}",
                unaddressed.join("\n  ")
            ),
            "give the role its addresses, or take the role out of that escalation.recipients \
             list or grade's recipients (config/duewatch.example.toml)",
        ))
    }

    /// `report.recipients`: while the monthly report is on, each role it names has an address.
    fn check_report_recipients(&self) -> Result<(), ConfigError> {
        if !self.schedule.is_on(Job::MonthlyReport) {
            return Ok(());
        }
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
        Ok(())
    }
}
