//! The configuration's numbers within sane bounds, and what is allowed but worth a warning.
//! `duewatch config check`, `run` and `mail test` refuse a number out of bounds, naming the key.

use std::ops::RangeInclusive;

use super::Config;

/// `[rules]`: working days (the rulebook's numbers in brackets). Beyond 60 working days (about
/// three months) a number is a typing error, not a rule.
const RULES: [(&str, RangeInclusive<u32>, &str); 5] = [
    ("rules.forward_within", 1..=60, "art. 19: 5"),
    ("rules.reply_within", 1..=60, "art. 19: 10"),
    (
        "rules.max_extension",
        0..=60,
        "art. 20: 15; 0 allows no extension",
    ),
    ("rules.notice_within", 1..=30, "arts. 20, 21: 2"),
    (
        "rules.suspension_alert_after",
        1..=250,
        "issue 17: 15; about a year at most",
    ),
];

/// `[law]`: working days (the Regulations' numbers in brackets), bounded as `[rules]` is.
const LAW: [(&str, RangeInclusive<u32>, &str); 4] = [
    ("law.reply_within", 1..=60, "Regulations art. 33: 20"),
    (
        "law.max_extension",
        0..=60,
        "Regulations art. 33: 20; 0 allows no extension",
    ),
    (
        "law.correction_notice_within",
        1..=60,
        "Regulations art. 30: 7",
    ),
    ("law.third_party_within", 1..=60, "Regulations art. 32: 15"),
];

/// `mail.smtp.timeout_secs`: 0 would leave no time at all for a send.
const TIMEOUT_SECS: RangeInclusive<u64> = 1..=3600;

/// `mail.digest_max_lines`: 0 would list no case at all in a digest.
const DIGEST_MAX_LINES: RangeInclusive<usize> = 1..=10_000;

/// `web.session_idle_mins`: a minute to a day.
const SESSION_IDLE_MINS: RangeInclusive<u32> = 1..=1440;

/// `web.session_max_hours`: an hour to a month.
const SESSION_MAX_HOURS: RangeInclusive<u32> = 1..=720;

impl Config {
    /// The numbers out of bounds: the first, as `(message, help)`.
    pub(super) fn check_numbers(&self) -> Result<(), (String, String)> {
        let r = &self.rules;
        let values = [
            r.forward_within,
            r.reply_within,
            r.max_extension,
            r.notice_within,
            r.suspension_alert_after,
        ];
        for ((key, range, rulebook), value) in RULES.iter().zip(values) {
            if !range.contains(&value) {
                return Err((
                    format!(
                        "{key} = {value} is out of range: working days from {} to {} ({rulebook})",
                        range.start(),
                        range.end()
                    ),
                    "the rulebook's numbers are forward_within = 5, reply_within = 10, \
                     max_extension = 15, notice_within = 2"
                        .to_owned(),
                ));
            }
        }
        let law = &r.law;
        let values = [
            law.reply_within,
            law.max_extension,
            law.correction_notice_within,
            law.third_party_within,
        ];
        for ((key, range, regulations), value) in LAW.iter().zip(values) {
            if !range.contains(&value) {
                return Err((
                    format!(
                        "{key} = {value} is out of range: working days from {} to {} \
                         ({regulations})",
                        range.start(),
                        range.end()
                    ),
                    "the Regulations' numbers are reply_within = 20, max_extension = 20, \
                     correction_notice_within = 7, third_party_within = 15"
                        .to_owned(),
                ));
            }
        }
        let shortest = r.forward_within.min(r.reply_within);
        if let Some(problem) = r.reminder_at.problem(shortest) {
            if r.reminder_at.is_single() {
                return Err((
                    problem,
                    format!(
                        "use 0 to {} (0: no reminders; the default is 2), or a list of points, \
                         e.g. reminder_at = [{}]",
                        shortest.saturating_sub(1),
                        if shortest > 3 { "3, 1" } else { "1" }
                    ),
                ));
            }
            return Err((
                problem,
                format!(
                    "give each point once, from 1 to {} working days left, e.g. reminder_at = \
                     [{}] (one number is one point; 0 or []: no reminders; the default is 2)",
                    shortest.saturating_sub(1),
                    if shortest > 3 { "3, 1" } else { "1" }
                ),
            ));
        }
        let timeout = self.mail.smtp.timeout_secs;
        if !TIMEOUT_SECS.contains(&timeout) {
            return Err((
                format!(
                    "mail.smtp.timeout_secs = {timeout} is out of range: seconds from {} to {}",
                    TIMEOUT_SECS.start(),
                    TIMEOUT_SECS.end()
                ),
                "it bounds each send as a whole; the default is 30".to_owned(),
            ));
        }
        let lines = self.mail.digest_max_lines;
        if !DIGEST_MAX_LINES.contains(&lines) {
            return Err((
                format!(
                    "mail.digest_max_lines = {lines} is out of range: from {} to {} lines a digest \
                     lists (the others are counted, and `duewatch status` lists them all)",
                    DIGEST_MAX_LINES.start(),
                    DIGEST_MAX_LINES.end()
                ),
                "the default is 200".to_owned(),
            ));
        }
        let web = &self.web;
        for (key, value, range, unit) in [
            (
                "web.session_idle_mins",
                web.session_idle_mins,
                SESSION_IDLE_MINS,
                "minutes",
            ),
            (
                "web.session_max_hours",
                web.session_max_hours,
                SESSION_MAX_HOURS,
                "hours",
            ),
        ] {
            if !range.contains(&value) {
                return Err((
                    format!(
                        "{key} = {value} is out of range: {unit} from {} to {}",
                        range.start(),
                        range.end()
                    ),
                    "the defaults are session_idle_mins = 30 and session_max_hours = 12".to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// What is allowed but worth a warning: `config check` prints each as `warning: …` and the
    /// daemon logs it: a console reached over https whose session cookie is not `Secure`.
    pub fn warnings(&self) -> Vec<String> {
        let web = &self.web;
        let over_tls = web
            .base_url
            .as_ref()
            .is_some_and(|b| b.origin().starts_with("https:"));
        let mut warnings = Vec::new();
        if over_tls && !web.secure_cookies {
            warnings.push(
                "web.base_url is https but web.secure_cookies = false: the session cookie could \
                 also travel over plain http; set web.secure_cookies = true"
                    .to_owned(),
            );
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    fn config(extra: &str) -> super::Config {
        crate::config::from_toml(extra)
    }

    fn refused(extra: &str) -> String {
        config(extra)
            .check_numbers()
            .map(|()| String::new())
            .unwrap_or_else(|(message, _)| message)
    }

    #[test]
    fn the_defaults_are_within_bounds_and_warn_of_nothing() {
        assert_eq!(config("").check_numbers(), Ok(()));
        assert!(config("").warnings().is_empty());
        let https = config("[web]\nbase_url = \"https://duewatch.bureau.example\"\n");
        assert!(https.warnings()[0].contains("web.secure_cookies = false"));
        assert!(
            config("[web]\nbase_url = \"https://d.example\"\nsecure_cookies = true\n")
                .warnings()
                .is_empty()
        );
    }

    #[test]
    fn a_rule_out_of_bounds_is_refused_naming_its_key() {
        for (toml, words) in [
            (
                "[rules]\nforward_within = 0\n",
                "rules.forward_within = 0 is out of range: working days from 1 to 60",
            ),
            (
                "[law]\nreply_within = 0\n",
                "law.reply_within = 0 is out of range: working days from 1 to 60 \
                 (Regulations art. 33: 20)",
            ),
            (
                "[law]\nthird_party_within = 61\n",
                "law.third_party_within = 61 is out of range",
            ),
            (
                "[rules]\nreply_within = 100\n",
                "rules.reply_within = 100 is out of range",
            ),
            ("[rules]\nmax_extension = 61\n", "rules.max_extension = 61"),
            ("[rules]\nnotice_within = 0\n", "rules.notice_within = 0"),
            (
                "[escalation]\nreminder_at = 5\n",
                "escalation.reminder_at = 5 is not below the shortest period (5",
            ),
            (
                "[escalation]\nreminder_at = [4, 2, 4]\n",
                "escalation.reminder_at: 4 is given twice",
            ),
            (
                "[escalation]\nreminder_at = [6, 2]\n",
                "escalation.reminder_at: 6 is not below the shortest period (5",
            ),
            (
                "[rules]\nsuspension_alert_after = 0\n",
                "rules.suspension_alert_after = 0 is out of range",
            ),
            (
                "[mail.smtp]\ntimeout_secs = 0\n",
                "mail.smtp.timeout_secs = 0 is out of range",
            ),
            (
                "[mail]\ndigest_max_lines = 0\n",
                "mail.digest_max_lines = 0 is out of range",
            ),
        ] {
            let message = refused(toml);
            assert!(message.contains(words), "{toml}: {message}");
        }
        assert_eq!(
            refused("[rules]\nmax_extension = 0\n[escalation]\nreminder_at = 0\n"),
            ""
        );
        assert_eq!(refused("[escalation]\nreminder_at = [4, 2]\n"), "");
        assert_eq!(refused("[escalation]\nreminder_at = []\n"), "");
    }

    #[test]
    fn a_listener_beyond_loopback_needs_a_login() {
        assert_eq!(
            config("[http]\nlisten = \"[::1]:9187\"\n").http.listen,
            Some("[::1]:9187".parse().expect("an address"))
        );
        for auth in ["auto", "none"] {
            let message = config(&format!(
                "[http]\nlisten = \"0.0.0.0:9187\"\n[web]\nauth = \"{auth}\"\n"
            ))
            .check_console_access()
            .expect_err("0.0.0.0 without a login is refused")
            .to_string();
            assert!(
                message.contains(&format!(
                    "\"0.0.0.0:9187\" is not a loopback address, and web.auth is \"{auth}\""
                )),
                "{message}"
            );
            assert!(message.contains("web.auth = \"password\""), "{message}");
        }
        for auth in [
            "auth = \"password\"",
            "auth = \"proxy\"\ntrusted_proxies = [\"10.0.0.5\"]",
        ] {
            let config = config(&format!(
                "[http]\nlisten = \"0.0.0.0:9187\"\n[web]\n{auth}\n"
            ));
            assert!(config.check_console_access().is_ok(), "{auth}");
        }
        let no_proxy = config("[web]\nauth = \"proxy\"\n")
            .check_console_access()
            .expect_err("no trusted proxy")
            .to_string();
        assert!(
            no_proxy.contains("web.trusted_proxies is empty"),
            "{no_proxy}"
        );
        assert!(refused("[web]\nsession_idle_mins = 0\n").contains("web.session_idle_mins = 0"));
    }
}
