//! A daemon that cannot be wedged (issue 13): a full disk under SQLite, SIGHUP, files in the
//! calendar directory that are not regular files, the database file replaced or read-only;
//! each under the built daemon, with the real SMTP server on loopback.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::faults::{
    Reaper, Timing, all_delivered, delivered_once_or_duplicated, log, outbox, overdue_cases,
    overdue_cases_with, setup, start, stop,
};
use crate::helpers::{Backend, Mount, Setup};
use crate::smtp::SmtpServer;

const QUICK: Timing = Timing {
    timeout: 2,
    base: 1,
    cap: 2,
    lease: 10,
};

/// Waits until `done` holds, at most `limit`; the daemon's log in the panic otherwise.
fn within(s: &Setup, limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "not within {limit:?}: {what}\n{}",
            log(s, "daemon")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Keeps a connection to the test's SQLite database open until the returned sender is dropped,
/// so that its shared-memory index (`-shm`) stays in place: a daemon started on a full disk can
/// then open the database (SQLite cannot make that file without space, which stops the start).
fn keep_open(s: &Setup) -> std::sync::mpsc::Sender<()> {
    let url = format!(
        "sqlite://{}",
        s.dir.path().join("var/duewatch.db").display()
    );
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let (opened, is_open) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("the test's database");
                sqlx::query("SELECT count(*) FROM cases")
                    .execute(&mut conn)
                    .await
                    .expect("a read");
                let _ = opened.send(());
                let _ = wait.recv();
                drop(conn);
            });
    });
    is_open.recv().expect("the connection opened");
    done
}

/// Writes zeros to `path` until the disk is full; returns how many bytes fitted.
fn fill(path: &std::path::Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("the filler");
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0;
    loop {
        match file.write(&chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => written += n as u64,
        }
    }
    let _ = file.sync_all();
    written
}

#[test]
fn a_full_disk_under_sqlite_delays_the_mail_until_space_is_back_and_never_wedges_the_daemon() {
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server, 3, QUICK, "");
    let Some(disk) = Mount::tmpfs(&s.dir.path().join("var"), "size=4m") else {
        return;
    };
    let _reaper = Reaper;
    let cases: Vec<(u32, u32)> = (1..=30).map(|n| (n, n % 3)).collect();
    overdue_cases(&s, None, &cases);
    let kept = keep_open(&s);
    let filler = disk.path.join("filler");
    let fitted = fill(&filler);

    let daemon = start(&s, "daemon");
    within(
        &s,
        Duration::from_secs(30),
        "a poll fails on the full disk",
        || log(&s, "daemon").contains("disk is full"),
    );
    drop(kept);
    // Several polls on the full disk: nothing can be recorded, so nothing is sent.
    std::thread::sleep(Duration::from_secs(4));
    assert!(server.received().is_empty());

    std::fs::remove_file(&filler).expect("space freed");
    let freed = Instant::now();
    within(
        &s,
        Duration::from_secs(60),
        "every mail goes out once space is back",
        || {
            let rows = outbox(&s, None);
            rows.len() >= 3 && all_delivered(&server, &rows)
        },
    );
    let recovered = freed.elapsed();
    let stopping = Instant::now();
    let status = stop(daemon, Duration::from_secs(10));
    let stopped = stopping.elapsed();
    let text = log(&s, "daemon");
    assert!(status.success(), "exit 0 on SIGTERM: {status:?}\n{text}");
    assert!(
        text.contains("stopped") && !text.contains("did not finish within"),
        "the running pass ended and the claims were given back:\n{text}"
    );
    let rows = outbox(&s, None);
    let duplicates = delivered_once_or_duplicated(&server, &rows);
    assert!(duplicates.is_empty(), "{duplicates:?}");
    for n in 0..3 {
        assert_eq!(server.to(&format!("s{n}@bureau.example")).len(), 1, "s{n}");
    }
    eprintln!(
        "figures: a 4 MiB tmpfs filled with {fitted} bytes; mail out {recovered:?} after space \
         was freed; stopped {stopped:?} after SIGTERM"
    );
}

/// The subjects of the mail `address` received.
fn subjects(server: &SmtpServer, address: &str) -> Vec<String> {
    server.to(address).iter().map(|m| m.subject()).collect()
}

/// Two sections on SQLite with a template directory whose digest subject reads 旧模板, polling
/// only at the start and when SIGHUP asks (the schedule's next is on 1 January); the subject's
/// template file.
fn templated(server: &SmtpServer) -> (Setup, std::path::PathBuf) {
    let s = setup(Backend::Sqlite, server, 2, QUICK, "");
    let templates = s.dir.path().join("templates");
    std::fs::create_dir(&templates).expect("a template directory");
    let subject = templates.join("digest.subject.j2");
    std::fs::write(&subject, "旧模板：{{ top.count }} 件").expect("a template");
    // Polls only at the start and when SIGHUP asks (the schedule's next is on 1 January).
    let config = std::fs::read_to_string(s.config()).expect("the config");
    s.write_config(
        &config
            .replace("poll = \"*/1 * * * * *\"", "poll = \"0 0 0 1 1 *\"")
            .replace(
                "[mail]\n",
                &format!("[mail]\ntemplates = \"{}\"\n", templates.display()),
            ),
    );
    (s, subject)
}

#[test]
fn sighup_re_reads_the_calendar_and_the_templates_and_the_daemon_keeps_running() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let (s, subject) = templated(&server);
    overdue_cases(&s, None, &[(1, 0)]);
    let today = crate::daemon::today();
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
    let mut daemon = start(&s, "daemon");
    within(&s, Duration::from_secs(30), "the first poll's mail", || {
        !server.to("s0@bureau.example").is_empty()
    });
    assert!(subjects(&server, "s0@bureau.example")[0].contains("旧模板"));

    // A new template, a calendar edit that moves 2026-0500's deadline, a new overdue case.
    std::fs::write(&subject, "新模板：{{ top.count }} 件").expect("a template");
    let from = today
        .checked_add_days(chrono::Days::new(1))
        .expect("a date");
    let to = today
        .checked_add_days(chrono::Days::new(3))
        .expect("a date");
    s.write_calendar(
        "local.toml",
        &format!("[[closures]]\ndates = \"{from}..{to}\"\nreason = \"停电检修\"\n"),
    );
    overdue_cases(&s, None, &[(2, 1)]);
    crate::daemon::signal(&daemon, "HUP");
    within(&s, Duration::from_secs(30), "the new case's mail", || {
        !server.to("s1@bureau.example").is_empty()
    });
    let new = subjects(&server, "s1@bureau.example");
    assert!(
        new[0].contains("新模板"),
        "the new template is used: {new:?}"
    );
    within(
        &s,
        Duration::from_secs(30),
        "the moved deadline's notice",
        || {
            subjects(&server, "it@bureau.example")
                .iter()
                .any(|t| t.contains("节假日安排变更，1 件申请的期限随之改变"))
        },
    );
    assert!(
        daemon.try_wait().expect("wait").is_none(),
        "{}",
        log(&s, "daemon")
    );

    // A broken template is refused; the one in use stays and the daemon runs on.
    std::fs::write(&subject, "{{ top.count").expect("a template");
    crate::daemon::signal(&daemon, "HUP");
    within(
        &s,
        Duration::from_secs(30),
        "the refusal in the log",
        || log(&s, "daemon").contains("SIGHUP: the mail templates are refused"),
    );
    assert!(
        daemon.try_wait().expect("wait").is_none(),
        "{}",
        log(&s, "daemon")
    );
    let text = log(&s, "daemon");
    for says in [
        "SIGHUP: re-reading the calendar and the mail templates",
        "SIGHUP: the mail templates were re-read",
        "SIGHUP: the calendar files were re-read; the new calendar is in force",
        "digest.subject.j2",
    ] {
        assert!(text.contains(says), "the log says \"{says}\":\n{text}");
    }
    let status = stop(daemon, Duration::from_secs(10));
    assert!(status.success(), "{status:?}\n{}", log(&s, "daemon"));
    let rows = outbox(&s, None);
    assert!(delivered_once_or_duplicated(&server, &rows).is_empty());
}

/// A SIGHUP while a poll is running is not lost with a skipped tick: the reload's poll runs as
/// soon as the running one ends (before the fix it waited for the next tick, here 1 January).
#[test]
fn a_sighup_during_a_poll_is_honoured_when_that_poll_ends() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let (s, subject) = templated(&server);
    overdue_cases(&s, None, &[(1, 0)]);
    // The first poll's first connection to the relay is held 4 s: the poll is running then.
    server.update_faults(|f| {
        f.stall = Some(crate::smtp::Stall {
            phase: crate::smtp::Phase::Greeting,
            skip: 0,
            hold: Duration::from_secs(4),
        });
    });
    let daemon = start(&s, "daemon");
    within(
        &s,
        Duration::from_secs(30),
        "the first poll at the relay",
        || !server.stalled().is_empty(),
    );
    std::fs::write(&subject, "新模板：{{ top.count }} 件").expect("a template");
    crate::daemon::signal(&daemon, "HUP");
    within(
        &s,
        Duration::from_secs(30),
        "the templates re-read after the running poll",
        || log(&s, "daemon").contains("SIGHUP: the mail templates were re-read"),
    );
    // The first poll's mail went out under the old template; nothing new was due since.
    let sent = subjects(&server, "s0@bureau.example");
    assert!(sent.iter().all(|t| t.contains("旧模板")), "{sent:?}");
    let status = stop(daemon, Duration::from_secs(10));
    assert!(status.success(), "{status:?}\n{}", log(&s, "daemon"));
}

#[test]
fn a_fifo_or_a_link_to_dev_zero_in_calendar_dir_is_refused_unread_and_the_polls_go_on() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server, 2, QUICK, "");
    overdue_cases(&s, None, &[(1, 0)]);
    let daemon = start(&s, "daemon");
    within(&s, Duration::from_secs(30), "the first mail", || {
        !server.to("s0@bureau.example").is_empty()
    });
    let made = std::process::Command::new("mkfifo")
        .arg(s.calendars().join("2027.toml"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", s.calendars().join("local.toml")).expect("a link");
    within(
        &s,
        Duration::from_secs(30),
        "the administrators hear of it",
        || {
            server.to("it@bureau.example").iter().any(|m| {
                let body = m.text();
                m.subject().contains("节假日文件有误")
                    && body.contains("2027.toml")
                    && body.contains("not a regular file (a FIFO)")
                    && body.contains("local.toml")
                    && body.contains("not a regular file (a character device)")
            })
        },
    );
    // The polls go on: a new case is mailed. (The case commands check the deadlines they
    // record, so they need a calendar that loads: this one is recorded on the shipped years.)
    let clean = s.dir.path().join("calendars-clean");
    std::fs::create_dir(&clean).expect("a clean calendar directory");
    let clean = clean.to_str().expect("a UTF-8 path");
    overdue_cases_with(&s, &[("DUEWATCH__CALENDAR__DIR", clean)], &[(2, 1)]);
    within(&s, Duration::from_secs(30), "the new case's mail", || {
        !server.to("s1@bureau.example").is_empty()
    });
    let stopping = Instant::now();
    let status = stop(daemon, Duration::from_secs(10));
    assert!(status.success(), "{status:?}\n{}", log(&s, "daemon"));
    assert!(log(&s, "daemon").contains("stopped"));
    eprintln!("figures: stopped {:?} after SIGTERM", stopping.elapsed());
}

#[test]
fn the_sqlite_file_deleted_or_replaced_under_a_running_daemon_stops_it_with_a_clear_error() {
    let _reaper = Reaper;
    for (what, change, says) in [
        (
            "deleted",
            (|db: &std::path::Path| std::fs::remove_file(db).expect("deleted"))
                as fn(&std::path::Path),
            "was deleted",
        ),
        (
            "replaced",
            |db: &std::path::Path| {
                let copy = db.with_extension("restored");
                std::fs::copy(db, &copy).expect("a copy");
                std::fs::rename(&copy, db).expect("moved over the database");
            },
            "was replaced by another file",
        ),
    ] {
        let server = SmtpServer::start();
        let s = setup(Backend::Sqlite, &server, 2, QUICK, "");
        overdue_cases(&s, None, &[(1, 0)]);
        let mut daemon = start(&s, "daemon");
        within(&s, Duration::from_secs(30), "the first mail", || {
            !server.to("s0@bureau.example").is_empty()
        });
        let db = s.dir.path().join("var/duewatch.db");
        change(&db);
        let changed = Instant::now();
        let mut status = None;
        within(
            &s,
            Duration::from_secs(20),
            &format!("the daemon stops ({what})"),
            || {
                status = daemon.try_wait().expect("wait");
                status.is_some()
            },
        );
        let text = log(&s, "daemon");
        let status = status.expect("an exit status");
        assert_eq!(status.code(), Some(1), "{what}: exit 1\n{text}");
        for words in [says, &*db.display().to_string(), "duewatch stops", "help: "] {
            assert!(
                text.contains(words),
                "{what}: the log says {words:?}:\n{text}"
            );
        }
        assert!(!text.contains("no such table"), "{what}:\n{text}");
        if what == "deleted" {
            assert!(!db.exists(), "no empty database was made in its place");
        }
        eprintln!("figures: {what}: stopped {:?} after", changed.elapsed());
    }
}

/// Makes a file immutable (`chattr +i`: not even root may write it) until dropped.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn set(path: &std::path::Path) -> Option<Immutable> {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "SKIPPED: chattr +i {} is not permitted here",
                path.display()
            );
        }
        ok.then(|| Immutable(path.to_owned()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

/// Whether no line of `text` says `words` twice.
fn said_once_a_line(text: &str, words: &str) -> bool {
    text.lines().all(|line| line.matches(words).count() <= 1)
}

#[test]
fn a_read_only_database_fails_config_check_and_the_start_and_its_error_is_said_once() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    // A database file the daemon may not write (as a file mode would for its user: the tests
    // run as root, whom modes do not stop, so the file is made immutable).
    let s = setup(Backend::Sqlite, &server, 2, QUICK, "");
    overdue_cases(&s, None, &[(1, 0)]);
    let db = s.dir.path().join("var/duewatch.db");
    let Some(_immutable) = Immutable::set(&db) else {
        return;
    };
    let says = [
        "the database sqlite://",
        "can be read but not written",
        "help: ",
    ];
    let check = s.duewatch(&["config", "check"]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    for words in says {
        assert!(
            stderr.contains(words),
            "config check says {words:?}: {stderr}"
        );
    }
    let started = Instant::now();
    let run = s
        .duewatch(&["run"])
        .timeout(Duration::from_secs(30))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "the start is refused: {stderr}");
    for words in says {
        assert!(stderr.contains(words), "run says {words:?}: {stderr}");
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    // A single pass, which does not check first, fails on its first write: the database's
    // message once per line, not twice.
    let once = s.duewatch(&["run", "--once"]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&once.stderr);
    assert_eq!(once.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("readonly database"), "{stderr}");
    assert!(
        said_once_a_line(&stderr, "readonly database"),
        "said twice: {stderr}"
    );

    // A read-only file system (or directory): the database cannot be written, or (when SQLite
    // finds no -shm file and cannot make one) not even opened.
    let s = setup(Backend::Sqlite, &server, 2, QUICK, "");
    let Some(disk) = Mount::tmpfs(&s.dir.path().join("var"), "size=8m") else {
        return;
    };
    overdue_cases(&s, None, &[(1, 0)]);
    disk.remount("remount,ro");
    for args in [&["config", "check"][..], &["run"]] {
        let out = s
            .duewatch(args)
            .timeout(Duration::from_secs(30))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        for words in [&*db_path(&s), "read-only", "help: "] {
            assert!(stderr.contains(words), "{args:?} says {words:?}: {stderr}");
        }
        assert!(
            said_once_a_line(&stderr, "unable to open"),
            "said twice: {stderr}"
        );
    }
}

fn db_path(s: &Setup) -> String {
    s.dir.path().join("var/duewatch.db").display().to_string()
}

#[test]
fn a_fifo_among_the_templates_does_not_stall_the_polls_after_sighup() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let s = setup(Backend::Sqlite, &server, 2, QUICK, "");
    let templates = s.dir.path().join("templates");
    std::fs::create_dir(&templates).expect("a template directory");
    let config = std::fs::read_to_string(s.config()).expect("the config");
    s.write_config(&config.replace(
        "[mail]\n",
        &format!("[mail]\ntemplates = \"{}\"\n", templates.display()),
    ));
    overdue_cases(&s, None, &[(1, 0)]);
    let daemon = start(&s, "daemon");
    within(&s, Duration::from_secs(30), "the first mail", || {
        !server.to("s0@bureau.example").is_empty()
    });
    let made = std::process::Command::new("mkfifo")
        .arg(templates.join("digest.txt.j2"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    crate::daemon::signal(&daemon, "HUP");
    within(
        &s,
        Duration::from_secs(30),
        "the FIFO among the templates refused",
        || {
            // Refused unread (bounded_file): it cannot block the read, let alone the polls.
            let log = log(&s, "daemon");
            log.contains("SIGHUP: the mail templates are refused; the ones in use stay")
                && log.contains("digest.txt.j2 (mail.templates): not a regular file (a FIFO)")
        },
    );
    overdue_cases(&s, None, &[(2, 1)]);
    within(&s, Duration::from_secs(30), "the new case's mail", || {
        !server.to("s1@bureau.example").is_empty()
    });
    let status = stop(daemon, Duration::from_secs(10));
    assert!(status.success(), "{status:?}\n{}", log(&s, "daemon"));
}
