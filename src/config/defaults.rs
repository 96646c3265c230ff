//! The built-in defaults, the first layer: the one home of every default value, the rulebook's
//! numbers included (`config/duewatch.example.toml` documents them and a unit test checks it
//! against this text, key by key).

/// The built-in defaults, as TOML.
pub(crate) const DEFAULTS: &str = r#"
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
