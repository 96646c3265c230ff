//! The built-in defaults, the first layer: the one home of every default value, the rulebook's
//! numbers included (`config/duewatch.example.toml` documents them and a unit test checks it
//! against this text, key by key).

/// `channels.NAME.per_minute`: DingTalk's and WeCom's robots take 20 messages a minute each.
pub(crate) const CHANNEL_PER_MINUTE: u32 = 20;

/// `channels.NAME.timeout_secs`: how long one post may take.
pub(crate) const CHANNEL_TIMEOUT_SECS: u64 = 10;

/// The built-in defaults, as TOML. (`[channels.NAME]` has no entry here, for no channel is
/// configured by default; its two numbers are the constants above.)
pub(crate) const DEFAULTS: &str = r#"
timezone = "Asia/Shanghai"

[calendar]
dir = "/etc/duewatch/calendars"

[database]
url = "sqlite:///var/lib/duewatch/duewatch.db"
backups_kept = 3

[cases]
source = "builtin"
url = ""
cases_query = ""
extensions_query = ""
suspensions_query = ""
returns_query = ""

[office]
name = "政务公开工作领导小组办公室"
emails = []
channels = []
mobiles = []

[leadership]
name = "局领导"
emails = []
channels = []
mobiles = []

[supervision]
name = "纪检监察室"
emails = []
channels = []
mobiles = []

[rules]
forward_within = 5
reply_within = 10
max_extension = 15
notice_within = 2
suspension_alert_after = 15
rest_day_receipt = "strict"
return_restarts_forward = false

[law]
reply_within = 20
max_extension = 20
correction_notice_within = 7
third_party_within = 15

[escalation]
reminder_at = 2
overdue_repeat = "daily"
notices = true
grades = []

[escalation.recipients]
reminder = ["responsible"]
due_today = ["responsible", "office"]
overdue = ["responsible", "leadership"]
notice_missing = ["responsible"]
long_suspension = ["office"]

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

[web]
base_url = ""
auth = "auto"
proxy_header = "X-Remote-User"
trusted_proxies = []
secure_cookies = false
session_idle_mins = 30
session_max_hours = 12

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

#[cfg(test)]
mod tests {
    use super::DEFAULTS;

    /// Keys whose value in the example is an illustration of a site's own (an address, a relay),
    /// not the default; the example's comment names the default beside it.
    const SITE_SPECIFIC: &[&str] = &[
        "office.emails",
        "leadership.emails",
        "supervision.emails",
        "mail.from",
        "mail.admins",
        "mail.smtp.host",
        "mail.smtp.username",
    ];

    fn table(text: &str) -> toml::Table {
        text.parse().expect("TOML")
    }

    /// Every `(key, value)` of `table`, keys dotted, tables walked into.
    fn leaves(table: &toml::Table, prefix: &str, out: &mut Vec<(String, toml::Value)>) {
        for (key, value) in table {
            let key = format!("{prefix}{key}");
            match value {
                toml::Value::Table(inner) => leaves(inner, &format!("{key}."), out),
                other => out.push((key, other.clone())),
            }
        }
    }

    #[test]
    fn the_example_config_documents_every_default_with_its_value() {
        let example = table(include_str!("../../config/duewatch.example.toml"));
        let (mut defaults, mut documented) = (Vec::new(), Vec::new());
        leaves(&table(DEFAULTS), "", &mut defaults);
        leaves(&example, "", &mut documented);
        for (key, value) in &defaults {
            let shown = documented.iter().find(|(k, _)| k == key);
            let Some((_, shown)) = shown else {
                panic!("{key} has a default but is missing from duewatch.example.toml");
            };
            if !SITE_SPECIFIC.contains(&key.as_str()) {
                assert_eq!(shown, value, "{key}: the example differs from the default");
            }
        }
        for (key, _) in &documented {
            assert!(
                key.starts_with("sections") || defaults.iter().any(|(k, _)| k == key),
                "{key} is in duewatch.example.toml but has no default"
            );
        }
    }

    #[test]
    fn the_rules_fixture_of_the_unit_tests_is_the_default() {
        let configured = crate::config::from_toml("").rules;
        let fixture = crate::domain::deadline::Rules::default();
        assert_eq!(
            toml::Value::try_from(&configured).expect("rules as TOML"),
            toml::Value::try_from(&fixture).expect("rules as TOML"),
        );
        assert_eq!(configured.reminder_at, fixture.reminder_at);
        // The Regulations' numbers (Regulations arts. 30, 32, 33): `[law]`'s defaults are the
        // law's own, which the engine's `Law::default` holds for the unit tests.
        assert_eq!(configured.law, fixture.law);
    }

    #[test]
    fn the_escalation_and_window_fixtures_of_the_unit_tests_are_the_defaults() {
        let configured = crate::config::from_toml("");
        assert_eq!(
            toml::Value::try_from(&configured.escalation).expect("escalation as TOML"),
            toml::Value::try_from(crate::domain::escalation::tests::policy())
                .expect("escalation as TOML"),
        );
        assert_eq!(
            toml::Value::try_from(configured.window).expect("window as TOML"),
            toml::Value::try_from(crate::domain::escalation::tests::window())
                .expect("window as TOML"),
        );
    }
}
