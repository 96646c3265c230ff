//! Escalation mail end to end: the built binary (`duewatch run --once --now …`) delivers through
//! lettre to a real SMTP server on loopback ([`crate::smtp`]), on SQLite and on PostgreSQL. What
//! is checked is what arrives at the server.

use std::time::Duration;

use predicates::str::contains;
use serde_json::Value;

use crate::helpers::{Backend, Setup};
use crate::smtp::{Faults, SmtpServer};

const OFFICE: &str = "office@bureau.example";
const LEADERS: &str = "leaders@bureau.example";
const HEAD: &str = "head@bureau.example";
const ADMIN: &str = "it@bureau.example";

/// A store, sections `ss` and `zc`, the office and leadership, and mail to `server`.
fn setup(backend: Backend, server: &SmtpServer) -> Setup {
    let s = Setup::with_store(backend);
    s.append_config(&format!(
        "[office]\nname = \"办公室\"\nemails = [\"{OFFICE}\"]\n\
         [leadership]\nname = \"局领导\"\nemails = [\"{LEADERS}\"]\n\
         [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\nadmins = [\"{ADMIN}\"]\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 2\n\
         [mail.retry]\nbase_secs = 1\ncap_secs = 1\nlease_secs = 30\n",
        server.port
    ));
    s
}

fn ok(s: &Setup, args: &[&str]) {
    s.duewatch(args).assert().success();
}

/// `run --once` at local time `now`; returns its summary line.
fn run_at(s: &Setup, now: &str) -> String {
    let out = s
        .duewatch(&["run", "--once", "--now", now])
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("UTF-8")
}

fn outbox(s: &Setup, failed: bool) -> Vec<Value> {
    let mut args = vec!["outbox", "list", "--json"];
    if failed {
        args.push("--failed");
    }
    let out = s
        .duewatch(&args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice::<Value>(&out)
        .expect("JSON")
        .as_array()
        .expect("an array")
        .clone()
}

/// A case received on 2026-11-23 (Monday): forward due 2026-11-30; reminder from 11-26.
fn one_case(s: &Setup) {
    ok(
        s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0001",
            "--received",
            "2026-11-23",
            "--subject",
            "养老保险缴费记录",
        ],
    );
}

on_both_backends! {
    each_notification_is_sent_once_and_overdue_repeats_each_working_day => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server);
        one_case(&s);

        run_at(&s, "2026-11-25T09:00");
        assert!(server.received().is_empty(), "3 working days left: no level yet");

        run_at(&s, "2026-11-26T09:00");
        let office = server.to(OFFICE);
        assert_eq!(office.len(), 1);
        assert_eq!(office[0].subject(), "【即将到期】1 件政府信息公开申请即将到期");
        let text = lines(&office[0]);
        assert!(text.contains("编号：2026-0001\n  申请内容：养老保险缴费记录\n"), "{text}");
        assert!(text.contains("\n  转办期限：2026-11-30，剩余 2 个工作日\n"), "{text}");
        assert!(text.contains("\n  依据：2026-11-23 收到申请，5 个工作日内转办\n"), "{text}");

        let again = run_at(&s, "2026-11-26T16:00");
        assert!(again.contains("0 digest(s) queued; sent 0"), "{again}");
        if matches!(backend, Backend::Postgres) {
            // A fresh process asks which lines are mailed before recording: the mailed line is
            // not upserted again, which would lock its row (a write) and set its xmax.
            let xmax = s.column("SELECT CAST(xmax AS TEXT) FROM notifications");
            assert!(!xmax.is_empty() && xmax.iter().all(|x| x.as_deref() == Some("0")), "{xmax:?}");
        }
        run_at(&s, "2026-11-27T09:00");
        assert_eq!(server.received().len(), 1, "the same reminder is not sent twice");

        run_at(&s, "2026-11-30T09:00");
        let office = server.to(OFFICE);
        assert_eq!(office.len(), 2, "due today: the office is responsible and copied, told once");
        assert_eq!(office[1].subject(), "【今日到期】1 件政府信息公开申请今日到期");

        run_at(&s, "2026-12-01T09:00");
        run_at(&s, "2026-12-01T15:00");
        assert_eq!(server.to(OFFICE).len(), 3);
        let leaders = server.to(LEADERS);
        assert_eq!(leaders.len(), 1, "overdue goes to the leadership, once a day");
        assert_eq!(leaders[0].subject(), "【逾期】1 件政府信息公开申请已超过办理期限");
        assert!(lines(&leaders[0]).contains("已逾期 1 个工作日\n  承办：办公室（抄送）\n"), "{}", leaders[0].text());

        run_at(&s, "2026-12-05T10:00"); // a Saturday
        assert_eq!(server.received().len(), 4, "nothing on a rest day");
        run_at(&s, "2026-12-07T09:00");
        assert_eq!(server.to(OFFICE).len(), 4, "overdue repeats on the next working day");
        assert_eq!(server.to(LEADERS).len(), 2);
        assert!(server.to(LEADERS)[1].text().contains("已逾期 5 个工作日"));

        let ids: std::collections::HashSet<String> =
            server.received().iter().map(|m| m.header("Message-ID").expect("a Message-ID")).collect();
        assert_eq!(ids.len(), 6, "every mail its own Message-ID");
        assert!(server.received().iter().all(|m| m.to.len() == 1), "one recipient per message");
    };

    the_daily_repeat_lists_every_overdue_case_once_a_day_and_a_new_one_comes_at_once => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server);
        // Forwarding due 2026-11-23 and 2026-11-30: both overdue on 2026-12-01.
        ok(&s, &["case", "add", "--ref", "2026-0001", "--received", "2026-11-16"]);
        ok(&s, &["case", "add", "--ref", "2026-0002", "--received", "2026-11-23"]);

        run_at(&s, "2026-12-01T09:00");
        let office = server.to(OFFICE);
        assert_eq!(office.len(), 1, "one digest for both");
        assert_eq!(office[0].subject(), "【逾期】2 件政府信息公开申请已超过办理期限");
        let again = run_at(&s, "2026-12-01T15:00");
        assert!(again.contains("0 digest(s) queued"), "{again}");

        // Recorded late in the day, long overdue: told at once, alone.
        ok(&s, &["case", "add", "--ref", "2026-0003", "--received", "2026-11-02"]);
        run_at(&s, "2026-12-01T16:00");
        let office = server.to(OFFICE);
        assert_eq!(office.len(), 2);
        assert_eq!(office[1].subject(), "【逾期】1 件政府信息公开申请已超过办理期限");
        let text = office[1].text();
        assert!(text.contains("2026-0003") && !text.contains("2026-0001"), "{text}");

        // The next working day: one repeat of all three, made once.
        run_at(&s, "2026-12-02T09:00");
        run_at(&s, "2026-12-02T11:00");
        let office = server.to(OFFICE);
        assert_eq!(office.len(), 3);
        assert_eq!(office[2].subject(), "【逾期】3 件政府信息公开申请已超过办理期限");
        let text = office[2].text();
        for reference in ["2026-0001", "2026-0002", "2026-0003"] {
            assert_eq!(text.matches(reference).count(), 1, "{reference} once in {text}");
        }
        assert_eq!(server.to(LEADERS).len(), 3, "the leadership is told the same way");
    };

    an_upgrade_carries_over_the_overdue_lines_an_older_version_repeated_today => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server);
        one_case(&s); // forwarding due 2026-11-30
        ok(&s, &["db", "migrate"]);
        // What a version before migration 0005 left: the office's overdue line of 2026-12-01,
        // keyed by the day and mailed. Then the database is put back to before 0005.
        s.sql(&[
            "INSERT INTO outbox (kind, recipient, subject, body_text, message_id, state) \
             VALUES ('digest', 'office@bureau.example', 'old', 'old', '<old@duewatch>', 'sent')",
            "INSERT INTO notifications (case_reference, stage, level, deadline, recipient, \
             occurrence, outbox_id) SELECT '2026-0001', 'forward', 'overdue', '2026-11-30', \
             'office@bureau.example', '2026-12-01', id FROM outbox",
            "DROP TABLE repeats",
            "DELETE FROM _sqlx_migrations WHERE version = 5",
        ]);
        ok(&s, &["db", "migrate"]);

        run_at(&s, "2026-12-01T15:00");
        assert!(server.to(OFFICE).is_empty(), "the office had today's repeat from the old version");
        assert_eq!(server.to(LEADERS).len(), 1, "the leadership had not");
        run_at(&s, "2026-12-02T09:00");
        assert_eq!(server.to(OFFICE).len(), 1, "tomorrow's repeat as usual");
        assert_eq!(server.to(LEADERS).len(), 2);
    };

    a_temporary_failure_is_retried_and_delivered_once_with_the_same_message_id => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server);
        one_case(&s);
        let mut faults = Faults::default();
        faults.rcpt.insert(OFFICE.to_owned(), ("451 4.3.0 mailbox busy, try later".to_owned(), Some(1)));
        server.set_faults(faults);

        let first = run_at(&s, "2026-11-26T09:00");
        assert!(first.contains("sent 0, retrying 1"), "{first}");
        let failed = outbox(&s, true);
        assert_eq!(failed.len(), 1);
        assert!(failed[0]["last_error"].as_str().unwrap().contains("451"), "{failed:?}");
        assert_eq!(failed[0]["state"], "pending");

        std::thread::sleep(Duration::from_millis(1100)); // mail.retry.cap_secs = 1
        let second = run_at(&s, "2026-11-26T09:05");
        assert!(second.contains("sent 1"), "{second}");
        let office = server.to(OFFICE);
        assert_eq!(office.len(), 1, "delivered once");
        let row = &outbox(&s, false)[0];
        assert_eq!(row["state"], "sent");
        assert_eq!(row["attempts"], 2);
        assert_eq!(office[0].header("Message-ID").unwrap(), row["message_id"].as_str().unwrap());

        run_at(&s, "2026-11-26T09:10");
        assert_eq!(server.received().len(), 1);
    };

    a_permanent_failure_is_a_dead_letter_the_admins_hear_of_once => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server);
        one_case(&s);
        let mut faults = Faults::default();
        faults.rcpt.insert(LEADERS.to_owned(), ("550 5.1.1 no such user".to_owned(), None));
        server.set_faults(faults);

        let out = run_at(&s, "2026-12-01T09:00");
        assert!(out.contains("dead 1"), "{out}");
        assert_eq!(server.to(OFFICE).len(), 1, "the other recipient is unaffected");
        assert!(server.to(LEADERS).is_empty());
        let admin = server.to(ADMIN);
        assert_eq!(admin.len(), 1, "the administrators are told");
        assert_eq!(admin[0].subject(), "【duewatch】1 封邮件无法投递，0 封邮件滞留");
        let text = admin[0].text();
        assert!(text.contains(LEADERS) && text.contains("(550): 5.1.1 no such user"), "{text}");

        let failed = outbox(&s, true);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0]["state"], "dead");
        assert_eq!(failed[0]["attempts"], 1, "a 5xx is not retried");

        run_at(&s, "2026-12-01T09:30");
        assert_eq!(server.to(ADMIN).len(), 1, "reported once");

        // Corrected and retried by hand: the same mail, the same Message-ID.
        server.set_faults(Faults::default());
        let id = failed[0]["id"].as_i64().unwrap().to_string();
        s.duewatch(&["outbox", "retry", &id]).assert().success().stdout(contains("is due now"));
        run_at(&s, "2026-12-01T10:00");
        let leaders = server.to(LEADERS);
        assert_eq!(leaders.len(), 1);
        assert_eq!(leaders[0].header("Message-ID").unwrap(), failed[0]["message_id"].as_str().unwrap());
    };
}

#[test]
fn a_relay_that_never_answers_is_bounded_by_the_timeout() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    one_case(&s);
    server.set_faults(Faults {
        silent: true,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let out = run_at(&s, "2026-11-26T09:00");
    assert!(out.contains("retrying 1"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the run ended: it did not hang on the silent relay"
    );
    let failed = outbox(&s, true);
    assert!(
        failed[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("did not finish within 2 s"),
        "{failed:?}"
    );
    assert_eq!(failed[0]["possible_duplicate"], true);

    server.set_faults(Faults::default());
    std::thread::sleep(Duration::from_millis(1100));
    run_at(&s, "2026-11-26T09:05");
    assert_eq!(
        server.to(OFFICE).len(),
        1,
        "delivered after the relay recovers"
    );
}

#[test]
fn the_window_holds_mail_until_it_opens_and_a_make_up_saturday_is_a_working_day() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    // Forward due 2026-09-21 (Sunday 09-20 is a make-up working day); overdue on 2026-10-10, a
    // make-up Saturday (国庆节 2026).
    ok(
        &s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0300",
            "--received",
            "2026-09-15",
        ],
    );
    run_at(&s, "2026-10-10T09:00");
    assert_eq!(
        server.to(OFFICE).len(),
        1,
        "a make-up Saturday is a working day"
    );
    run_at(&s, "2026-10-11T09:00"); // Sunday
    run_at(&s, "2026-10-12T07:59"); // before the window
    run_at(&s, "2026-10-12T17:30"); // the window's end is exclusive
    assert_eq!(server.to(OFFICE).len(), 1, "nothing outside the window");

    let dry = s
        .duewatch(&["run", "--once", "--now", "2026-10-12T09:00", "--dry-run"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let dry = String::from_utf8(dry).unwrap();
    assert!(
        dry.contains("new  overdue 2026-0300 forward due 2026-09-21"),
        "{dry}"
    );
    assert_eq!(server.to(OFFICE).len(), 1, "a dry run sends nothing");
    assert_eq!(
        outbox(&s, false).len(),
        2,
        "and writes nothing (2 mails: office, leaders)"
    );

    run_at(&s, "2026-10-12T08:30");
    assert_eq!(
        server.to(OFFICE).len(),
        2,
        "the mail held over the rest days goes out"
    );
}

#[test]
fn after_three_days_of_downtime_each_due_notification_is_sent_once() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    one_case(&s);
    run_at(&s, "2026-11-26T09:00");
    // Down from 11-27 to 12-02: the due-today and earlier overdue days are gone; today's stands.
    run_at(&s, "2026-12-02T09:00");
    run_at(&s, "2026-12-02T09:05");
    let office = server.to(OFFICE);
    assert_eq!(office.len(), 2, "the reminder, then one overdue mail");
    assert_eq!(
        office[1].subject(),
        "【逾期】1 件政府信息公开申请已超过办理期限"
    );
    assert!(office[1].text().contains("已逾期 2 个工作日"));
    assert_eq!(server.to(LEADERS).len(), 1);
}

#[test]
fn one_digest_per_recipient_lists_every_case_overdue_first_and_field_values_stay_data() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    ok(
        &s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0010",
            "--received",
            "2026-11-23",
        ],
    );
    ok(
        &s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0011",
            "--received",
            "2026-11-13",
            "--subject",
            // A line break is refused at the command line (issue 13); through a CSV cell it is
            // folded: tests/cli/security.rs.
            "{{ 7*7 }} <script>x</script> Bcc: evil@example.org",
        ],
    );
    ok(
        &s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0012",
            "--received",
            "2026-11-12",
        ],
    );
    run_at(&s, "2026-11-26T09:00");
    let office = server.to(OFFICE);
    assert_eq!(office.len(), 1, "one digest for three cases");
    assert_eq!(
        office[0].subject(),
        "【逾期】2 件政府信息公开申请已超过办理期限（共 3 件待办）"
    );
    let text = office[0].text();
    let overdue = text.find("== 已逾期（2 件）==").expect("the overdue group");
    let reminder = text
        .find("== 即将到期（1 件）==")
        .expect("the reminder group");
    assert!(overdue < reminder, "overdue first:\n{text}");
    assert!(
        text.contains("{{ 7*7 }}"),
        "a field is printed as written, not evaluated:\n{text}"
    );
    assert!(!text.contains("49"));
    assert!(
        office[0].html().contains("&lt;script&gt;"),
        "the HTML part escapes values"
    );
    assert!(office[0].header("Bcc").is_none(), "no header can be added");
    assert_eq!(office[0].to, [OFFICE]);
    assert!(server.to("evil@example.org").is_empty());
}

#[test]
fn mail_test_reports_success_and_says_what_went_wrong() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    s.duewatch(&["mail", "test", "--to", HEAD])
        .assert()
        .success()
        .stdout(contains(format!("test mail to {HEAD} accepted")));
    assert_eq!(server.to(HEAD).len(), 1);
    server.set_faults(Faults {
        every_command: Some("535 5.7.8 authentication failed".to_owned()),
        ..Faults::default()
    });
    s.duewatch(&["mail", "test", "--to", HEAD])
        .assert()
        .code(1)
        .stderr(contains("(535): 5.7.8 authentication failed"))
        .stderr(contains("check mail.smtp.username and the password"));
}

#[test]
fn mail_test_refuses_a_to_address_whose_part_before_the_at_is_not_ascii() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    s.duewatch(&["mail", "test", "--to", "科长@例子.中国"])
        .assert()
        .code(1)
        .stderr(contains(
            "--to: \"科长@例子.中国\": the part before the @ is not ASCII",
        ))
        .stderr(contains("help: use the mailbox's ASCII address"));
    assert!(server.received().is_empty(), "nothing reached the relay");
    // An internationalised domain is fine: it is sent as punycode.
    s.duewatch(&["mail", "test", "--to", "kezhang@例子.中国"])
        .assert()
        .success();
    assert_eq!(server.to("kezhang@xn--fsqu00a.xn--fiqs8s").len(), 1);
}

#[test]
fn outbox_list_shows_a_relays_error_with_its_control_characters_escaped() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    one_case(&s);
    run_at(&s, "2026-11-26T09:00");
    // As a relay may word it: its reply is stored as the message's last error.
    s.sql(&[
        "UPDATE outbox SET last_error = '451 busy' || char(27) || '[2J' || char(13) || \
             char(10) || '#9 sent' || char(8238) || 'x'",
    ]);
    let out = s
        .duewatch(&["outbox", "list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).expect("UTF-8");
    assert!(
        out.contains("last error: 451 busy\\u{1b}[2J\\u{d}\\u{a}#9 sent\\u{202e}x"),
        "{out}"
    );
    assert!(
        !out.chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "no raw control character reaches the terminal: {out:?}"
    );
}

#[test]
fn tls_none_to_a_remote_relay_is_refused() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let config = std::fs::read_to_string(s.config()).unwrap();
    s.write_config(&config.replace("host = \"127.0.0.1\"", "host = \"smtp.bureau.example\""));
    s.duewatch(&["run", "--once"])
        .assert()
        .code(1)
        .stderr(contains(
            "mail.smtp.tls = \"none\" sends the password and the mail in clear text",
        ));
}

#[test]
fn mail_stuck_past_the_limit_is_reported_to_the_admins_once() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let config = std::fs::read_to_string(s.config()).unwrap();
    s.write_config(&config.replace("admins = [", "stuck_after_mins = 0\nadmins = ["));
    one_case(&s);
    let mut faults = Faults::default();
    faults.rcpt.insert(
        OFFICE.to_owned(),
        ("452 4.2.2 mailbox full".to_owned(), None),
    );
    server.set_faults(faults);
    let out = run_at(&s, "2026-11-26T09:00");
    assert!(
        out.contains("retrying 1") && out.contains("1 problem(s) reported"),
        "{out}"
    );
    let admin = server.to(ADMIN);
    assert_eq!(admin.len(), 1);
    assert_eq!(
        admin[0].subject(),
        "【duewatch】0 封邮件无法投递，1 封邮件滞留"
    );
    assert!(admin[0].text().contains("4.2.2 mailbox full"));
    std::thread::sleep(Duration::from_millis(1100));
    run_at(&s, "2026-11-26T09:05");
    assert_eq!(server.to(ADMIN).len(), 1, "reported once, not every pass");
    assert!(server.to(OFFICE).is_empty());
}

#[test]
fn templates_are_replaced_by_file_and_a_broken_one_stops_the_start_with_its_line() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let dir = s.dir.path().join("templates");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("digest.subject.j2"),
        "[{{ top.level }}] {{ total }} case(s) for {{ recipient_name }}",
    )
    .unwrap();
    let config = std::fs::read_to_string(s.config()).unwrap();
    s.write_config(&config.replace(
        "admins = [",
        &format!("templates = \"{}\"\nadmins = [", dir.display()),
    ));
    one_case(&s);
    run_at(&s, "2026-11-26T09:00");
    let office = server.to(OFFICE);
    assert_eq!(office[0].subject(), "[reminder] 1 case(s) for 办公室");
    assert!(
        office[0].text().contains("剩余 2 个工作日"),
        "the other templates stay built in"
    );

    std::fs::write(
        dir.join("digest.txt.j2"),
        "line one\n{% for c in groups %}{{ c.nosuchfield }}{% endfor %}\n",
    )
    .unwrap();
    s.duewatch(&["run", "--once", "--now", "2026-11-27T09:00"])
        .assert()
        .code(1)
        .stderr(contains("digest.txt.j2: line 2"));
    std::fs::write(dir.join("digest.txt.j2"), "{% for %}\n").unwrap();
    s.duewatch(&["run", "--once", "--now", "2026-11-27T09:00"])
        .assert()
        .code(1)
        .stderr(contains("templates/digest.txt.j2: line 1"));
    assert_eq!(
        server.received().len(),
        1,
        "nothing sent with a broken template"
    );
}

#[test]
fn a_digest_lists_at_most_digest_max_lines_cases_and_counts_the_rest() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let config = std::fs::read_to_string(s.config()).unwrap();
    s.write_config(&config.replace("admins = [", "digest_max_lines = 2\nadmins = ["));
    for (reference, received) in [
        ("2026-0021", "2026-11-12"),
        ("2026-0022", "2026-11-13"),
        ("2026-0023", "2026-11-23"),
    ] {
        ok(
            &s,
            &["case", "add", "--ref", reference, "--received", received],
        );
    }
    run_at(&s, "2026-11-26T09:00");
    let office = server.to(OFFICE);
    assert_eq!(office.len(), 1);
    assert_eq!(
        office[0].subject(),
        "【逾期】2 件政府信息公开申请已超过办理期限（共 3 件待办）"
    );
    let text = office[0].text();
    assert!(
        text.contains("2026-0021") && text.contains("2026-0022"),
        "the two most urgent:\n{text}"
    );
    assert!(!text.contains("2026-0023"), "{text}");
    assert!(text.contains("== 即将到期（1 件）=="), "{text}");
    assert!(text.contains("另有 1 件未在此列出"), "{text}");
    run_at(&s, "2026-11-26T09:30");
    assert_eq!(
        server.to(OFFICE).len(),
        1,
        "the line left out was notified too: not again"
    );
}

#[test]
fn a_crash_after_the_relay_has_the_mail_resends_it_once_with_the_same_message_id() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let config = std::fs::read_to_string(s.config()).unwrap();
    s.write_config(
        &config
            .replace("lease_secs = 30", "lease_secs = 4")
            .replace("timeout_secs = 2", "timeout_secs = 3"),
    );
    one_case(&s);
    // The relay keeps each message but answers 250 only after 2.5 s: kill -9 in that window.
    server.set_faults(Faults {
        delay_250: Some(Duration::from_millis(2500)),
        ..Faults::default()
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_duewatch"))
        .env_clear()
        .arg("--config")
        .arg(s.config())
        .args(["run", "--once", "--now", "2026-12-01T09:00"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while server.received().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the first mail reaches the relay"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no clean-up of any kind
    child.wait().unwrap();
    let first = server.received()[0].clone();
    assert_eq!(server.received().len(), 1);

    server.set_faults(Faults::default());
    std::thread::sleep(Duration::from_millis(4500)); // the dead worker's lease runs out
    run_at(&s, "2026-12-01T09:00");
    let all = server.received();
    assert_eq!(
        all.len(),
        3,
        "office and leadership each delivered, plus one duplicate"
    );
    let id = first.header("Message-ID").unwrap();
    let copies: Vec<_> = all
        .iter()
        .filter(|m| m.header("Message-ID").as_deref() == Some(&id))
        .collect();
    assert_eq!(
        copies.len(),
        2,
        "the mail in flight at the crash is sent again, once, with the same Message-ID"
    );
    assert_eq!(copies[0].subject(), copies[1].subject());
    assert_eq!(
        copies[0].text(),
        copies[1].text(),
        "the same mail, rendered once"
    );
    assert_eq!(copies[0].html(), copies[1].html());
    assert_eq!(server.to(OFFICE).len() + server.to(LEADERS).len(), 3);
    assert!(outbox(&s, false).iter().all(|r| r["state"] == "sent"));
}

// ---- issue 13: mail ----

/// The decoded text part, its lines ending in LF (SMTP sends CRLF).
fn lines(m: &crate::smtp::Received) -> String {
    m.text().replace("\r\n", "\n")
}

/// A case received Mon 2026-11-02, forwarded to `ss` on 11-03 (reply due 11-17), extended by
/// 5 working days approved on `approved_on` (reply then due 11-24), its written notice never
/// recorded.
fn extended_case(s: &Setup, approved_on: &str) {
    ok(
        s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0040",
            "--received",
            "2026-11-02",
            "--subject",
            "工伤认定结论",
        ],
    );
    ok(
        s,
        &[
            "case",
            "forward",
            "2026-0040",
            "--section",
            "ss",
            "--on",
            "2026-11-03",
        ],
    );
    ok(
        s,
        &[
            "case",
            "extend",
            "2026-0040",
            "--days",
            "5",
            "--approved-by",
            "局长",
            "--on",
            approved_on,
        ],
    );
}

#[test]
fn a_case_due_today_that_also_owes_a_written_notice_is_counted_once_with_its_lines_together() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    extended_case(&s, "2026-11-16"); // in time; the notice was due 11-18
    run_at(&s, "2026-11-24T09:00");
    let head = server.to(HEAD);
    assert_eq!(head.len(), 1);
    assert_eq!(
        head[0].subject(),
        "【今日到期】1 件政府信息公开申请今日到期",
        "one request, not two lines"
    );
    let text = lines(&head[0]);
    assert!(text.contains("以下 1 件政府信息公开申请"), "{text}");
    assert!(text.contains("== 今日到期（1 件）=="), "{text}");
    assert!(
        !text.contains("书面告知未登记（第二十、二十一条）"),
        "no group of its own for the notice:\n{text}"
    );
    assert_eq!(text.matches("2026-0040").count(), 1, "listed once:\n{text}");
    let reply = text
        .find("  答复期限：2026-11-24，今日到期")
        .expect("the reply line");
    let notice = text
        .find("  延期书面告知期限：2026-11-18，书面告知尚未登记")
        .expect("the notice line");
    assert!(
        reply < notice,
        "the notice follows under the same case:\n{text}"
    );
    assert!(
        !text[reply..notice].contains("编号："),
        "no other case between:\n{text}"
    );
    assert!(!text.contains("逾期延期"), "approved in time:\n{text}");
    assert!(head[0].html().contains("以下 1 件"), "{}", head[0].html());
}

#[test]
fn an_extension_approved_after_its_deadline_is_flagged_in_the_mail() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    extended_case(&s, "2026-11-18"); // the reply was due 11-17: a late extension (art. 20)
    run_at(&s, "2026-11-24T09:00");
    let head = server.to(HEAD);
    assert_eq!(head.len(), 1);
    let text = lines(&head[0]);
    assert!(
        text.contains("\n  注意：逾期延期：延期批准时原期限已过（第二十条）\n"),
        "{text}"
    );
    assert!(
        head[0]
            .html()
            .contains("注意：逾期延期：延期批准时原期限已过（第二十条）"),
        "{}",
        head[0].html()
    );
    let office = server.to(OFFICE);
    assert!(
        office[0].text().contains("逾期延期"),
        "the copy says it too"
    );
}

#[test]
fn a_cut_digest_lists_the_most_overdue_first_and_says_under_each_group_how_many_are_not_listed() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let config = std::fs::read_to_string(s.config()).unwrap();
    s.write_config(&config.replace("admins = [", "digest_max_lines = 2\nadmins = ["));
    // On 2026-12-02 the forward stages are overdue by 2, 12 and 7 working days, and one has
    // 2 working days left.
    for (reference, received) in [
        ("2026-0051", "2026-11-23"),
        ("2026-0052", "2026-11-09"),
        ("2026-0053", "2026-11-16"),
        ("2026-0054", "2026-11-27"),
    ] {
        ok(
            &s,
            &["case", "add", "--ref", reference, "--received", received],
        );
    }
    run_at(&s, "2026-12-02T09:00");
    let office = server.to(OFFICE);
    assert_eq!(office.len(), 1);
    let text = lines(&office[0]);
    let most = text.find("2026-0052").expect("12 days overdue is listed");
    let next = text.find("2026-0053").expect("7 days overdue is listed");
    assert!(most < next, "most overdue first:\n{text}");
    assert!(
        !text.contains("2026-0051"),
        "2 days overdue is cut:\n{text}"
    );
    assert!(!text.contains("2026-0054"), "{text}");
    let overdue = text.find("== 已逾期（3 件）==").expect("the overdue group");
    let reminder = text
        .find("== 即将到期（1 件）==")
        .expect("the reminder group");
    let cut = text[overdue..reminder]
        .find("（本类另有 1 件未在此列出）")
        .expect("the overdue group says how many it leaves out");
    assert!(overdue + cut > next, "{text}");
    assert!(
        text[reminder..].starts_with("== 即将到期（1 件）==\n\n（本类另有 1 件未在此列出）\n"),
        "a group with nothing listed says so under its heading:\n{text}"
    );
    assert!(text.contains("另有 2 件未在此列出"), "{text}");
    let html = office[0].html();
    assert!(html.contains("本类另有 1 件未在此列出"), "{html}");
    assert_eq!(
        html.matches("<table").count(),
        1,
        "no empty table under a group with nothing listed:\n{html}"
    );
}

#[test]
fn text_stored_in_a_case_cannot_forge_a_line_of_the_mail_nor_carry_control_characters() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    for reference in ["2026-0061", "2026-0062"] {
        ok(
            &s,
            &[
                "case",
                "add",
                "--ref",
                reference,
                "--received",
                "2026-11-23",
            ],
        );
    }
    // As an older version or a case system may hold them: input refuses such text now.
    s.sql(&[
        "UPDATE cases SET subject = '社保' || char(13) || char(10) || \
         '  答复期限：2099-12-31，剩余 99 个工作日' || char(10) || '  承办：局领导' || \
         char(27) || '[31m' || char(7) || char(8238) || 'lave' || char(8233) || '结束' \
         WHERE reference = '2026-0061'",
        "UPDATE cases SET subject = replace(hex(zeroblob(10000)), '00', '长') \
         WHERE reference = '2026-0062'",
    ]);
    run_at(&s, "2026-11-26T09:00");
    let office = server.to(OFFICE);
    assert_eq!(office.len(), 1);
    let text = lines(&office[0]);
    let html = office[0].html().replace("\r\n", "\n");
    for line in text.lines().filter(|l| l.contains("2099-12-31")) {
        assert!(
            line.starts_with("  申请内容：社保 "),
            "the subject stays on its own labelled line: {line:?}\n{text}"
        );
    }
    assert_eq!(
        text.lines()
            .filter(|l| l.trim_start().starts_with("承办："))
            .count(),
        2,
        "one 承办 line per case, none forged:\n{text}"
    );
    for part in [&text, &html] {
        for c in ['\u{1b}', '\u{7}', '\u{202e}', '\u{2029}', '\r'] {
            assert!(!part.contains(c), "{c:?} reached the mail:\n{part}");
        }
    }
    // The store mends such a subject as it reads it (cut to 199 characters and the "…", 200 in
    // all), and the mail cuts by the same rule (`text::cut`): no more than 200 reach the mail.
    let long = "长".repeat(199);
    assert!(
        text.contains(&format!("  申请内容：{long}…\n")),
        "a long subject is cut at 200 characters:\n{text}"
    );
    assert!(!text.contains(&"长".repeat(200)), "{text}");
    assert!(html.contains(&format!("{long}…")), "{html}");
    assert!(!html.contains(&"长".repeat(200)));
}

#[test]
fn an_internationalised_domain_is_sent_as_punycode_to_a_relay_without_smtputf8() {
    let server = SmtpServer::start();
    server.set_faults(Faults {
        no_smtputf8: true,
        ..Faults::default()
    });
    let s = setup(Backend::Sqlite, &server);
    s.append_config(
        "[[sections]]\ncode = \"gs\"\nname = \"工伤保险股\"\nemails = [\"head@bücher.example\"]\n",
    );
    ok(
        &s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0070",
            "--received",
            "2026-11-13",
        ],
    );
    ok(
        &s,
        &[
            "case",
            "forward",
            "2026-0070",
            "--section",
            "gs",
            "--on",
            "2026-11-16",
        ],
    );
    let out = run_at(&s, "2026-11-26T09:00"); // reply due 11-30: a reminder
    assert!(out.contains("dead 0"), "{out}");
    let head = server.to("head@xn--bcher-kva.example");
    assert_eq!(
        head.len(),
        1,
        "RCPT TO is the punycode form: {:?}",
        server
            .received()
            .iter()
            .map(|m| m.to.clone())
            .collect::<Vec<_>>()
    );
    assert!(head[0].text().contains("2026-0070"));
    assert!(outbox(&s, true).is_empty(), "no dead letter");
}
