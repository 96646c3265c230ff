//! `duewatch run`, the daemon, as an operator runs it: the built binary with a fast schedule
//! (every 2 seconds) on the real clock, a real SMTP server on loopback, SQLite and PostgreSQL.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Days;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::helpers::{Backend, Setup};
use crate::smtp::SmtpServer;

const OFFICE: &str = "office@bureau.example";
const ADMIN: &str = "it@bureau.example";

/// A store, the office, mail to `server`, polls every 2 seconds, the window always open.
fn setup(backend: Backend, server: &SmtpServer) -> Setup {
    let s = Setup::with_store(backend);
    s.append_config(&format!(
        "[office]\nname = \"办公室\"\nemails = [\"{OFFICE}\"]\n\
         [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\n\
         [window]\nfrom = \"00:00\"\nto = \"23:59\"\nevery_day = true\n\
         [schedule]\npoll = \"*/2 * * * * *\"\n\
         [daemon]\nshutdown_grace_secs = 5\n\
         [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\nadmins = [\"{ADMIN}\"]\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 2\n\
         [mail.retry]\nbase_secs = 1\ncap_secs = 1\nlease_secs = 30\n",
        server.port
    ));
    s
}

/// Today in Asia/Shanghai, the daemon's time zone.
pub(crate) fn today() -> chrono::NaiveDate {
    crate::helpers::clock_today()
}

/// `duewatch run`, started in the background.
pub(crate) fn start(s: &Setup) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_duewatch"));
    cmd.env_clear()
        .arg("--config")
        .arg(s.config())
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.spawn().expect("duewatch run starts")
}

pub(crate) fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(ok.success());
}

/// Waits until `done` holds, at most `limit`.
pub(crate) fn eventually(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// SIGTERM, then the exit status within `limit`, and stderr.
pub(crate) fn stop(mut child: Child, limit: Duration) -> (std::process::ExitStatus, String) {
    signal(&child, "TERM");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut err)
                .expect("stderr");
            return (status, err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("duewatch did not stop within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

on_both_backends! {
    the_daemon_sends_mail_reports_healthy_and_stops_cleanly_on_sigterm => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server);
        let received = today().checked_sub_days(Days::new(30)).unwrap().to_string();
        s.duewatch_on_the_clock(&["case", "add", "--ref", "2026-0001", "--received", &received]).assert().success();
        s.duewatch(&["health"])
            .assert()
            .code(1)
            .stderr(contains("no poll has succeeded yet"));

        let child = start(&s);
        eventually(Duration::from_secs(20), "the overdue mail arrives", || !server.to(OFFICE).is_empty());
        s.duewatch(&["health"]).assert().success().stdout(contains("healthy: last successful poll"));
        std::thread::sleep(Duration::from_secs(3)); // more polls: nothing is sent twice
        assert_eq!(server.to(OFFICE).len(), 1);

        let (status, stderr) = stop(child, Duration::from_secs(10));
        assert!(status.success(), "exit 0 on SIGTERM: {status:?}\n{stderr}");
        assert!(stderr.contains("stopped"), "{stderr}");
        let claimed = s.duewatch(&["outbox", "list", "--json"]).assert().success().get_output().stdout.clone();
        let rows: serde_json::Value = serde_json::from_slice(&claimed).unwrap();
        assert!(rows.as_array().unwrap().iter().all(|r| r["state"] == "sent"));

        // Polls have stopped: the health check turns red once the last success is too old.
        std::thread::sleep(Duration::from_millis(2100));
        s.duewatch(&["health", "--max-age", "2"])
            .assert()
            .code(1)
            .stderr(contains("the last successful poll was"));
    };
}

#[test]
fn a_bad_config_stops_the_start_with_the_key_named() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let good = std::fs::read_to_string(s.config()).unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "poll = \"*/2 * * * * *\"",
            "poll = \"every five minutes\"",
            "schedule.poll: \"every five minutes\" is not a cron expression",
        ),
        (
            "from = \"00:00\"\nto = \"23:59\"",
            "from = \"17:30\"\nto = \"08:30\"",
            "window: to = \"08:30\" is not after from = \"17:30\"",
        ),
        (
            "from = \"00:00\"",
            "from = \"8.30\"",
            "\"8.30\" is not a time of day",
        ),
        (
            "timeout_secs = 2",
            "timeout_secs = 2\nport_number = 25",
            "unknown field `port_number`",
        ),
        (
            "admins = [\"it@bureau.example\"]",
            "admins = [\"it at bureau\"]",
            "mail.admins[0]: \"it at bureau\" is not an e-mail address",
        ),
        (
            "lease_secs = 30",
            "lease_secs = 2",
            "mail.retry.lease_secs = 2 must be longer than mail.smtp.timeout_secs = 2",
        ),
    ];
    for (from, to, says) in cases {
        s.write_config(&good.replace(from, to));
        for args in [&["run"][..], &["config", "check"][..]] {
            s.duewatch(args)
                .timeout(Duration::from_secs(20))
                .assert()
                .code(1)
                .stderr(contains(*says));
        }
    }
    s.write_config(&good);
    s.duewatch(&["config", "check"])
        .assert()
        .success()
        .stdout(contains("ok: config, schedule, templates"));
}

#[test]
fn config_show_masks_the_password() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    s.duewatch(&["config", "show"])
        .env("DUEWATCH__MAIL__SMTP__PASSWORD", "s3cret-pw")
        .assert()
        .success()
        .stdout(contains("password = \"***\""))
        .stdout(contains("poll = \"*/2 * * * * *\""))
        .stdout(predicates::str::contains("s3cret-pw").not());
}

#[test]
fn a_calendar_edit_is_picked_up_and_the_moved_deadlines_are_reported() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let today = today();
    s.duewatch_on_the_clock(&[
        "case",
        "add",
        "--ref",
        "2026-0500",
        "--received",
        &today.to_string(),
    ])
    .assert()
    .success();
    // A closure of the next three days holds at least one working day: the deadline moves.
    let from = today.checked_add_days(Days::new(1)).unwrap();
    let to = today.checked_add_days(Days::new(3)).unwrap();
    let local = format!("[[closures]]\ndates = \"{from}..{to}\"\nreason = \"停电检修\"\n");
    let candidate = s.dir.path().join("local.toml");
    std::fs::write(&candidate, &local).unwrap();
    let preview = s
        .duewatch(&["calendar", "diff", candidate.to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let preview = String::from_utf8(preview).unwrap();
    assert!(
        preview.contains("2026-0500 forward: ")
            && preview.contains("1 open case(s) would have a different deadline"),
        "{preview}"
    );

    let child = start(&s);
    eventually(Duration::from_secs(20), "a first poll", || {
        s.duewatch(&["health"]).output().unwrap().status.success()
    });
    s.write_calendar("local.toml", &local);
    eventually(
        Duration::from_secs(20),
        "the administrators hear of the moved deadline",
        || {
            server.to(ADMIN).iter().any(|m| {
                m.subject()
                    .contains("节假日安排变更，1 件申请的期限随之改变")
            })
        },
    );
    let notice = server
        .to(ADMIN)
        .into_iter()
        .find(|m| m.subject().contains("节假日安排变更"))
        .unwrap();
    assert!(
        notice.text().contains("2026-0500 forward："),
        "{}",
        notice.text()
    );

    // A bad edit: the last good calendar stays, and the administrators are told why.
    s.write_calendar(
        "local.toml",
        "[[closures]]\ndates = \"2026-13-01\"\nreason = \"x\"\n",
    );
    eventually(
        Duration::from_secs(20),
        "the administrators hear of the refused edit",
        || {
            server
                .to(ADMIN)
                .iter()
                .any(|m| m.subject().contains("节假日文件有误"))
        },
    );
    let refused = server
        .to(ADMIN)
        .into_iter()
        .find(|m| m.subject().contains("节假日文件有误"))
        .unwrap();
    assert!(
        refused.text().contains("local.toml:2"),
        "names the file and line:\n{}",
        refused.text()
    );
    let (status, _) = stop(child, Duration::from_secs(10));
    assert!(status.success());
}

#[test]
fn three_instances_on_one_postgresql_send_every_mail_once() {
    let server = SmtpServer::start();
    let s = setup(Backend::Postgres, &server);
    // 100 sections with 3 overdue cases each: 300 cases, 600 notification lines, 101 digests.
    let mut sections = String::new();
    let mut csv = String::from("reference,received_on,forwarded_on,section\n");
    let received = today().checked_sub_days(Days::new(40)).unwrap();
    let forwarded = today().checked_sub_days(Days::new(38)).unwrap();
    for n in 0..100 {
        sections.push_str(&format!(
            "[[sections]]\ncode = \"s{n}\"\nname = \"股室{n}\"\nemails = [\"s{n}@bureau.example\"]\n"
        ));
        for k in 0..3 {
            csv.push_str(&format!("2026-{n:03}{k},{received},{forwarded},s{n}\n"));
        }
    }
    s.append_config(&sections);
    let file = s.dir.path().join("many.csv");
    std::fs::write(&file, csv).unwrap();
    s.duewatch_on_the_clock(&["case", "import", file.to_str().unwrap()])
        .assert()
        .success();

    let children: Vec<Child> = (0..3).map(|_| start(&s)).collect();
    eventually(Duration::from_secs(60), "every digest delivered", || {
        server.received().len() >= 101
    });
    std::thread::sleep(Duration::from_secs(5)); // several more polls by each instance
    for child in children {
        let (status, stderr) = stop(child, Duration::from_secs(10));
        assert!(status.success(), "{stderr}");
    }
    let received = server.received();
    assert_eq!(received.len(), 101, "each recipient's digest once");
    for n in 0..100 {
        let mails = server.to(&format!("s{n}@bureau.example"));
        assert_eq!(mails.len(), 1, "section s{n}");
        let text = mails[0].text();
        for k in 0..3 {
            assert_eq!(
                text.matches(&format!("2026-{n:03}{k}")).count(),
                1,
                "{text}"
            );
        }
    }
    let leaders = server.to("leaders@bureau.example");
    assert_eq!(leaders.len(), 1);
    assert!(
        leaders[0].subject().starts_with("【逾期】300 件"),
        "{}",
        leaders[0].subject()
    );
}

/// Rows of `repeats` (daily overdue repeats made) of this day, in the test's SQLite database.
fn repeats_of_day(s: &Setup, day: chrono::NaiveDate) -> i64 {
    s.sqlite_count("SELECT count(*) FROM repeats WHERE day = $1", day)
}

#[test]
fn housekeeping_forgets_old_daily_repeats_and_keeps_recent_ones() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server);
    let config = std::fs::read_to_string(s.config()).unwrap();
    s.write_config(&config.replace(
        "poll = \"*/2 * * * * *\"",
        "poll = \"*/2 * * * * *\"\nhousekeeping = \"*/2 * * * * *\"",
    ));
    let received = today().checked_sub_days(Days::new(90)).unwrap().to_string();
    s.duewatch_on_the_clock(&["case", "add", "--ref", "2026-0001", "--received", &received])
        .assert()
        .success();
    let long_ago = today().checked_sub_days(Days::new(40)).unwrap();
    let yesterday = today().pred_opt().unwrap();
    for day in [long_ago, yesterday] {
        s.duewatch(&["run", "--once", "--now", &format!("{day}T09:00")])
            .assert()
            .success();
        assert_eq!(
            repeats_of_day(&s, day),
            2,
            "{day}'s overdue repeat, to the office and the leadership"
        );
    }

    let child = start(&s);
    eventually(
        Duration::from_secs(20),
        "the repeats of 40 days ago forgotten",
        || repeats_of_day(&s, long_ago) == 0,
    );
    eventually(Duration::from_secs(20), "today's overdue mail", || {
        server.to(OFFICE).len() == 3
    });
    let (status, _) = stop(child, Duration::from_secs(10));
    assert!(status.success());
    assert_eq!(repeats_of_day(&s, yesterday), 2, "yesterday's are kept");
    assert_eq!(repeats_of_day(&s, today()), 2, "today's repeat, made once");
}
