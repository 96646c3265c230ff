//! Faults, proven end to end (issue 6): the built daemon is killed, frozen, cut off from its
//! database and from its relay, and run on a clock that jumps; what is counted is what arrives
//! at the real SMTP server on loopback ([`crate::smtp`]), per Message-ID.
//!
//! Every test here uses short leases, timeouts and backoff, and a poll every second, so that
//! many faults fit in a few seconds each; the bounds they assert are those settings plus a
//! generous margin for a loaded machine.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Days;
use serde_json::Value;

use crate::daemon::{eventually, signal, today};
use crate::helpers::{Backend, POSTGRES, Setup};
use crate::smtp::{Faults, Phase, SmtpServer, Stall};

const OFFICE: &str = "office@bureau.example";
const LEADERS: &str = "leaders@bureau.example";
const ADMIN: &str = "it@bureau.example";

/// Timings of a test's daemon, in seconds.
#[derive(Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) timeout: u64,
    pub(crate) base: u64,
    pub(crate) cap: u64,
    pub(crate) lease: u64,
}

/// A store with sections `s0`..`s{sections}`, the office and the leadership, mail to `server`,
/// a poll every second, the window always open, and the given timings; `extra` is appended.
pub(crate) fn setup(
    backend: Backend,
    server: &SmtpServer,
    sections: u32,
    t: Timing,
    extra: &str,
) -> Setup {
    let s = Setup::with_store(backend);
    let mut text = format!(
        "[office]\nname = \"办公室\"\nemails = [\"{OFFICE}\"]\n\
         [leadership]\nname = \"局领导\"\nemails = [\"{LEADERS}\"]\n\
         [window]\nfrom = \"00:00\"\nto = \"23:59\"\nevery_day = true\n\
         [schedule]\npoll = \"*/1 * * * * *\"\n\
         [daemon]\nshutdown_grace_secs = 5\n\
         [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\nadmins = [\"{ADMIN}\"]\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = {}\n\
         [mail.retry]\nbase_secs = {}\ncap_secs = {}\nlease_secs = {}\n",
        server.port, t.timeout, t.base, t.cap, t.lease
    );
    for n in 0..sections {
        text.push_str(&format!(
            "[[sections]]\ncode = \"s{n}\"\nname = \"股室{n}\"\nemails = [\"s{n}@bureau.example\"]\n"
        ));
    }
    text.push_str(extra);
    s.append_config(&text);
    s
}

/// `duewatch run` in the background, its log in a file of the test's directory (a pipe nobody
/// reads would fill up and stall the daemon on a long test).
pub(crate) fn start(s: &Setup, name: &str) -> Child {
    let log = std::fs::File::create(s.dir.path().join(format!("{name}.log"))).expect("a log file");
    let child = Command::new(env!("CARGO_BIN_EXE_duewatch"))
        .env_clear()
        .arg("--config")
        .arg(s.config())
        .arg("run")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("duewatch run starts");
    STARTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((std::thread::current().id(), child.id()));
    child
}

/// The daemons started by each test thread, killed when its [`Reaper`] drops (a failed test
/// must not leave a daemon running: it would poll forever and hold what the test process held,
/// such as the shared cargo lock).
pub(crate) static STARTED: Mutex<Vec<(std::thread::ThreadId, u32)>> = Mutex::new(Vec::new());

/// Kills, when dropped (also when the test panics), the daemons its thread started.
pub(crate) struct Reaper;

impl Drop for Reaper {
    fn drop(&mut self) {
        let me = std::thread::current().id();
        let mut started = STARTED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (_, pid) in started.iter().filter(|(t, _)| *t == me) {
            // Only if the pid is still a duewatch (not reaped and reused).
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains("duewatch") {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        }
        started.retain(|(t, _)| *t != me);
    }
}

/// SIGTERM, then the exit status within `limit`.
pub(crate) fn stop(mut child: Child, limit: Duration) -> std::process::ExitStatus {
    signal(&child, "TERM");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("duewatch did not stop within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A log written by [`start`].
pub(crate) fn log(s: &Setup, name: &str) -> String {
    std::fs::read_to_string(s.dir.path().join(format!("{name}.log"))).unwrap_or_default()
}

/// SIGKILL, and the process reaped.
fn kill(child: &mut Child) {
    signal(child, "KILL");
    child.wait().expect("the killed daemon is reaped");
}

/// Overdue cases (received 40 days ago, forwarded to a section 38 days ago), imported:
/// (number, section) each, reference `2026-{number}`; `url` overrides `database.url`.
pub(crate) fn overdue_cases(s: &Setup, url: Option<&str>, cases: &[(u32, u32)]) {
    let env: Vec<(&str, &str)> = url
        .map(|u| ("DUEWATCH__DATABASE__URL", u))
        .into_iter()
        .collect();
    overdue_cases_with(s, &env, cases);
}

/// [`overdue_cases`] with extra environment variables for the import.
pub(crate) fn overdue_cases_with(s: &Setup, env: &[(&str, &str)], cases: &[(u32, u32)]) {
    let received = today().checked_sub_days(Days::new(40)).expect("a date");
    let forwarded = today().checked_sub_days(Days::new(38)).expect("a date");
    let mut csv = String::from("reference,received_on,forwarded_on,section\n");
    for (number, section) in cases {
        csv.push_str(&format!(
            "2026-{number:04},{received},{forwarded},s{section}\n"
        ));
    }
    let file = s.dir.path().join(format!("cases-{}.csv", cases[0].0));
    std::fs::write(&file, csv).expect("writing the cases");
    let mut cmd =
        s.duewatch_on_the_clock(&["case", "import", file.to_str().expect("a UTF-8 path")]);
    cmd.envs(env.iter().copied());
    cmd.timeout(Duration::from_secs(60)).assert().success();
}

/// The outbox as `duewatch outbox list --json` shows it (`database.url` overridden by `url`).
pub(crate) fn outbox(s: &Setup, url: Option<&str>) -> Vec<Value> {
    let mut cmd = s.duewatch(&["outbox", "list", "--json", "--limit", "10000"]);
    if let Some(url) = url {
        cmd.env("DUEWATCH__DATABASE__URL", url);
    }
    let out = cmd
        .timeout(Duration::from_secs(60))
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

/// Copies received at the server, by Message-ID.
pub(crate) fn copies(server: &SmtpServer) -> BTreeMap<String, usize> {
    let mut by_id = BTreeMap::new();
    for m in server.received() {
        *by_id
            .entry(m.header("Message-ID").expect("every mail has a Message-ID"))
            .or_insert(0) += 1;
    }
    by_id
}

/// The outbox's Message-IDs (in angle brackets, as in the header).
pub(crate) fn message_ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let id = r["message_id"].as_str().expect("a Message-ID");
            if id.starts_with('<') {
                id.to_owned()
            } else {
                format!("<{id}>")
            }
        })
        .collect()
}

/// Whether every row is sent and every one arrived at least once.
pub(crate) fn all_delivered(server: &SmtpServer, rows: &[Value]) -> bool {
    let got = copies(server);
    !rows.is_empty()
        && rows.iter().all(|r| r["state"] == "sent")
        && message_ids(rows).iter().all(|id| got.contains_key(id))
}

/// Asserts that the server holds exactly the outbox's mail, each at least once; returns the
/// duplicates: Message-ID → copies beyond the first.
pub(crate) fn delivered_once_or_duplicated(
    server: &SmtpServer,
    rows: &[Value],
) -> BTreeMap<String, usize> {
    let got = copies(server);
    let ids = message_ids(rows);
    for (row, id) in rows.iter().zip(&ids) {
        assert_eq!(row["state"], "sent", "{row}");
        assert!(got.contains_key(id), "{id} never arrived: {row}");
    }
    for id in got.keys() {
        assert!(ids.contains(id), "{id} arrived but is in no outbox row");
    }
    got.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, n)| (id, n - 1))
        .collect()
}

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("its address")
        .port()
}

/// `GET path` on the daemon's listener: the status line and body, and how long it took.
fn http_get(port: u16, path: &str) -> (String, Duration) {
    let started = Instant::now();
    let answer = (|| -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )?;
        let mut text = String::new();
        stream.read_to_string(&mut text)?;
        Ok(text)
    })()
    .unwrap_or_else(|e| format!("(no answer: {e})"));
    (answer, started.elapsed())
}

/// A TCP proxy in front of the real PostgreSQL that a test can cut (every connection closed,
/// new ones refused) and restore: the database server unreachable, without stopping the
/// server the other tests share.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a proxy port");
        let port = listener.local_addr().expect("its address").port();
        listener.set_nonblocking(true).expect("non-blocking");
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (is_cut, streams) = (Arc::clone(&cut), Arc::clone(&open));
        std::thread::spawn(move || {
            let mut listener = Some(listener);
            loop {
                match (&listener, is_cut.load(Ordering::SeqCst)) {
                    // Unreachable: the port is closed, connections are refused.
                    (Some(_), true) => listener = None,
                    (None, false) => {
                        let l = TcpListener::bind(("127.0.0.1", port)).expect("the proxy port");
                        l.set_nonblocking(true).expect("non-blocking");
                        listener = Some(l);
                    }
                    _ => {}
                }
                let Some(Ok((client, _))) = listener.as_ref().map(TcpListener::accept) else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let mut kept = streams.lock().expect("lock");
                for (from, to) in [(&client, &server), (&server, &client)] {
                    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
                        continue;
                    };
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                        let _ = from.shutdown(Shutdown::Both);
                    });
                }
                kept.push(client);
                kept.push(server);
            }
        });
        Proxy { port, cut, open }
    }

    /// The database unreachable: open connections closed, new ones refused.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for stream in self.open.lock().expect("lock").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Runs one statement on the PostgreSQL server (database `test`); returns the rows affected.
fn on_postgres(statement: &str) -> u64 {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&format!("{POSTGRES}/test"))
                .await
                .expect("PostgreSQL on 127.0.0.1:5432");
            sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
                .execute(&mut conn)
                .await
                .expect(statement)
                .rows_affected()
        })
}

/// Terminates every backend connected to database `name`: how many there were.
fn terminate_backends(name: &str) -> u64 {
    on_postgres(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
}

#[test]
fn a_postgresql_outage_is_survived_reported_and_recovered_from_without_loss() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let proxy = Proxy::start(5432);
    let http = free_port();
    let t = Timing {
        timeout: 2,
        base: 1,
        cap: 2,
        lease: 5,
    };
    let s = setup(
        Backend::Postgres,
        &server,
        12,
        t,
        &format!("[http]\nlisten = \"127.0.0.1:{http}\"\n"),
    );
    let name = s.postgres.clone().expect("a PostgreSQL database");
    let direct = format!("{POSTGRES}/{name}");
    let proxied = format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port);
    let config = std::fs::read_to_string(s.config()).expect("the config");
    s.write_config(&config.replace(&direct, &proxied));

    overdue_cases(&s, None, &[(1000, 0), (1001, 1), (1002, 2)]);
    let mut daemon = start(&s, "daemon");
    eventually(Duration::from_secs(60), "the first digests", || {
        all_delivered(&server, &outbox(&s, Some(&direct)))
    });

    // 1. Connections terminated by the server, again and again, while the daemon polls and
    // new cases come in.
    let mut terminated = 0;
    for n in 3..6 {
        overdue_cases(&s, None, &[(1000 + n, n)]);
        for _ in 0..4 {
            terminated += terminate_backends(&name);
            std::thread::sleep(Duration::from_millis(300));
        }
        assert!(
            daemon.try_wait().expect("wait").is_none(),
            "the daemon died when its connections were terminated:\n{}",
            log(&s, "daemon")
        );
    }
    assert!(terminated > 0, "backends were there to terminate");
    eventually(
        Duration::from_secs(60),
        "every mail after the terminations",
        || {
            let rows = outbox(&s, Some(&direct));
            all_delivered(&server, &rows)
                && (3..6).all(|n| !server.to(&format!("s{n}@bureau.example")).is_empty())
        },
    );

    // 2. The database unreachable for a while; cases keep coming in (by another way in).
    let outage = Instant::now();
    proxy.cut();
    overdue_cases(&s, Some(&direct), &[(1006, 6), (1007, 7), (1008, 8)]);
    // The daemon stays up and answers, honestly.
    let (answer, took) = http_get(http, "/healthz");
    assert!(
        answer.starts_with("HTTP/1.1 503") && answer.contains("database"),
        "/healthz during the outage: {answer}"
    );
    let healthz_during_outage = took;
    assert!(took < Duration::from_secs(5), "/healthz took {took:?}");
    // `health`, as the operator runs it (it reaches the database directly), turns red.
    eventually(
        Duration::from_secs(60),
        "health says the polls stopped succeeding",
        || {
            let out = s
                .duewatch(&["health", "--max-age", "3"])
                .env("DUEWATCH__DATABASE__URL", &direct)
                .output()
                .expect("health runs");
            out.status.code() == Some(1)
                && String::from_utf8_lossy(&out.stderr).contains("the last successful poll was")
        },
    );
    // And, through the daemon's own database.url, it cannot connect and says so.
    let out = s
        .duewatch(&["health"])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("health runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("database.url"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    while outage.elapsed() < Duration::from_secs(15) {
        assert!(
            daemon.try_wait().expect("wait").is_none(),
            "the daemon died during the outage:\n{}",
            log(&s, "daemon")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let sent_before = server.received().len();
    proxy.restore();
    let restored = Instant::now();

    // 3. It recovers by itself: every mail goes out, each once; health is green again and
    // tells of the failure meanwhile.
    eventually(
        Duration::from_secs(60),
        "the mail of the cases added during the outage",
        || {
            (6..9).all(|n| !server.to(&format!("s{n}@bureau.example")).is_empty())
                && all_delivered(&server, &outbox(&s, Some(&direct)))
        },
    );
    let recovered_in = restored.elapsed();
    assert!(server.received().len() > sent_before);
    eventually(Duration::from_secs(30), "health is green again", || {
        s.duewatch(&["health"])
            .timeout(Duration::from_secs(60))
            .output()
            .expect("health runs")
            .status
            .success()
    });
    let (answer, _) = http_get(http, "/healthz");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json = s
        .duewatch(&["health", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&json).expect("JSON");
    let last_error = json["figures"]["last_error"].as_str().unwrap_or_default();
    assert!(
        !last_error.is_empty(),
        "health keeps the failure of the outage: {json}"
    );

    let status = stop(daemon, Duration::from_secs(20));
    assert!(status.success(), "{}", log(&s, "daemon"));
    let rows = outbox(&s, Some(&direct));
    let duplicates = delivered_once_or_duplicated(&server, &rows);
    // A backend terminated between the relay's 250 and the mark-sent leaves the row claimed: it
    // is sent again once the lease runs out. One copy more at most per termination, never more
    // than one per mail; the outage itself (no send in flight) doubles nothing.
    assert!(
        duplicates.values().all(|n| *n == 1)
            && u64::try_from(duplicates.len()).expect("small") <= terminated,
        "{duplicates:?}"
    );
    eprintln!(
        "figures: {} duplicates; {terminated} backends terminated, 1 outage of 15 s; /healthz answered in \
         {healthz_during_outage:?} during it; {} mails, {} received, recovered in \
         {recovered_in:?}; last_error kept: {last_error}",
        duplicates.len(),
        rows.len(),
        server.received().len()
    );
}

/// The sum of the outbox's attempts.
fn attempts(rows: &[Value]) -> i64 {
    rows.iter()
        .map(|r| r["attempts"].as_i64().unwrap_or(0))
        .sum()
}

#[test]
fn a_relay_in_trouble_loses_nothing_and_all_mail_goes_out_within_a_backoff_cap_after() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let http = free_port();
    let t = Timing {
        timeout: 2,
        base: 1,
        cap: 4,
        lease: 5,
    };
    let s = setup(
        Backend::Sqlite,
        &server,
        8,
        t,
        &format!("[http]\nlisten = \"127.0.0.1:{http}\"\n"),
    );
    overdue_cases(&s, None, &[(1000, 0), (1001, 1), (1002, 2)]);
    server.set_faults(Faults {
        every_command: Some("421 4.3.2 service not available, try later".to_owned()),
        ..Faults::default()
    });
    let daemon = start(&s, "daemon");
    eventually(
        Duration::from_secs(30),
        "the daemon's listener is up",
        || http_get(http, "/healthz").0.starts_with("HTTP/1.1 "),
    );
    let phase = Duration::from_secs(8);
    let faults: [(&str, Faults); 5] = [
        (
            "4xx on every command",
            Faults {
                every_command: Some("421 4.3.2 service not available, try later".to_owned()),
                ..Faults::default()
            },
        ),
        (
            "connections refused",
            Faults {
                refuse: true,
                ..Faults::default()
            },
        ),
        (
            "connections accepted and never answered",
            Faults {
                silent: true,
                ..Faults::default()
            },
        ),
        (
            "connections dropped in the middle of the message",
            Faults {
                drop_mid_data: true,
                ..Faults::default()
            },
        ),
        (
            "connections dropped after the message, before the 250 (the mail not kept)",
            Faults {
                drop_before_250: true,
                ..Faults::default()
            },
        ),
    ];
    let mut figures = Vec::new();
    for (n, (what, fault)) in faults.into_iter().enumerate() {
        server.set_faults(fault);
        let connections = server.connections();
        let began = Instant::now();
        let before = attempts(&outbox(&s, None));
        // New work arrives during the trouble.
        let n = u32::try_from(n).expect("a few phases");
        overdue_cases(&s, None, &[(1003 + n, 3 + n)]);
        let mut slowest = Duration::ZERO;
        while began.elapsed() < phase {
            let (answer, took) = http_get(http, "/healthz");
            assert!(answer.starts_with("HTTP/1.1 "), "{what}: {answer}");
            slowest = slowest.max(took);
            std::thread::sleep(Duration::from_millis(500));
        }
        assert!(
            server.received().is_empty(),
            "{what}: nothing can have arrived"
        );
        let rows = outbox(&s, None);
        let after = attempts(&rows);
        // Attempts end (within the timeout) and start again: none hangs.
        assert!(after > before, "{what}: attempts {before} -> {after}");
        // Honest: the mail waits, and says why.
        let json = s
            .duewatch(&["health", "--json"])
            .output()
            .expect("health runs")
            .stdout;
        let json: Value = serde_json::from_slice(&json).expect("JSON");
        assert!(
            json["figures"]["pending"].as_i64().unwrap_or(0) > 0,
            "{what}: {json}"
        );
        assert!(
            rows.iter()
                .any(|r| r["last_error"].as_str().is_some_and(|e| !e.is_empty())),
            "{what}: the error is kept"
        );
        if what.contains("never answered") {
            // The attempts were ended by the timeout, not by the relay.
            assert!(
                rows.iter().any(|r| r["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains("within") || e.contains("timed out"))),
                "{what}: {rows:?}"
            );
        }
        assert!(
            slowest < Duration::from_secs(5),
            "{what}: /healthz took {slowest:?}"
        );
        figures.push(format!(
            "{what}: {} attempts, {} connections, /healthz at most {slowest:?}",
            after - before,
            server.connections() - connections
        ));
    }
    let waiting = outbox(&s, None)
        .iter()
        .filter(|r| r["state"] == "pending")
        .count();
    assert!(waiting > 0, "mail waits for the relay");

    // Recovery: everything out within one backoff cap (plus a poll and an attempt).
    server.set_faults(Faults::default());
    let recovered = Instant::now();
    let bound = Duration::from_secs(t.cap + 1 + t.timeout + 5);
    eventually(bound, "all mail out within a backoff cap", || {
        all_delivered(&server, &outbox(&s, None))
    });
    let took = recovered.elapsed();
    assert!(
        daemon_alive_then_stop(&s, daemon),
        "the daemon stops cleanly"
    );
    let rows = outbox(&s, None);
    let duplicates = delivered_once_or_duplicated(&server, &rows);
    assert!(duplicates.is_empty(), "{duplicates:?}");
    for n in 0..8 {
        assert_eq!(server.to(&format!("s{n}@bureau.example")).len(), 1, "s{n}");
    }
    eprintln!(
        "figures: {}; after recovery all {} mails out in {took:?} (cap {} s)",
        figures.join("; "),
        rows.len(),
        t.cap
    );
}

/// SIGTERM: true when the daemon was still running and exits 0.
fn daemon_alive_then_stop(s: &Setup, mut daemon: Child) -> bool {
    if daemon.try_wait().expect("wait").is_some() {
        eprintln!("{}", log(s, "daemon"));
        return false;
    }
    let status = stop(daemon, Duration::from_secs(20));
    status.success()
}

#[test]
fn a_relay_that_keeps_the_mail_and_drops_the_connection_before_its_250_causes_only_flagged_duplicates()
 {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let t = Timing {
        timeout: 2,
        base: 1,
        cap: 2,
        lease: 5,
    };
    let s = setup(Backend::Sqlite, &server, 4, t, "");
    overdue_cases(&s, None, &[(1000, 0), (1001, 1), (1002, 2), (1003, 3)]);
    server.set_faults(Faults {
        drop_after_keeping: true,
        ..Faults::default()
    });
    let daemon = start(&s, "daemon");
    eventually(Duration::from_secs(60), "several dropped attempts", || {
        server.received().len() >= 12
    });
    server.set_faults(Faults::default());
    eventually(Duration::from_secs(30), "all mail out", || {
        all_delivered(&server, &outbox(&s, None))
    });
    assert!(daemon_alive_then_stop(&s, daemon));
    let rows = outbox(&s, None);
    let duplicates = delivered_once_or_duplicated(&server, &rows);
    let ids = message_ids(&rows);
    for (id, extra) in &duplicates {
        let row = &rows[ids.iter().position(|i| i == id).expect("a row")];
        assert_eq!(row["possible_duplicate"], true, "{row}");
        // One copy per attempt at most: those dropped, and the one that got its 250.
        assert!(
            i64::try_from(*extra).expect("small") < row["attempts"].as_i64().expect("attempts"),
            "{row}"
        );
    }
    assert!(!duplicates.is_empty(), "the drops made copies");
    eprintln!(
        "figures: {} mails, {} received, {} duplicated (all flagged possible_duplicate)",
        rows.len(),
        server.received().len(),
        duplicates.len()
    );
}

/// The pid in a worker's name (host:pid:random).
fn worker_pid(worker: &str) -> u32 {
    worker
        .split(':')
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a worker name host:pid:random, not {worker}"))
}

/// The workers holding claims on pending rows of the test's PostgreSQL database.
fn claim_holders(s: &Setup) -> Vec<String> {
    let name = s.postgres.clone().expect("PostgreSQL");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&format!("{POSTGRES}/{name}"))
                .await
                .expect("the test's database");
            sqlx::query_scalar(
                "SELECT DISTINCT claimed_by FROM outbox WHERE state = 'pending' \
                 AND claimed_by IS NOT NULL AND claim_until > now()",
            )
            .fetch_all(&mut conn)
            .await
            .expect("the claims")
        })
}

/// What a late write could change in a row.
fn row_outcome(row: &Value) -> String {
    format!(
        "{} {} {} {} {} {}",
        row["id"],
        row["state"],
        row["sent_at"],
        row["attempts"],
        row["last_error"],
        row["possible_duplicate"]
    )
}

#[test]
fn an_instance_frozen_or_killed_while_holding_claims_is_overtaken_and_its_late_write_changes_nothing()
 {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let t = Timing {
        timeout: 2,
        base: 1,
        cap: 2,
        lease: 4,
    };
    let s = setup(Backend::Postgres, &server, 12, t, "");
    let mut daemons: Vec<Child> = (0..3).map(|n| start(&s, &format!("d{n}"))).collect();
    let rounds = [
        (Phase::AfterMailFrom, "STOP"),
        (Phase::Before250, "STOP"),
        (Phase::AfterMailFrom, "KILL"),
        (Phase::Before250, "KILL"),
    ];
    let mut figures = Vec::new();
    let mut expected_duplicates = BTreeMap::new();
    for (round, (phase, how)) in rounds.into_iter().enumerate() {
        server.set_faults(Faults {
            stall: Some(Stall {
                phase,
                skip: 0,
                hold: Duration::from_secs(30),
            }),
            ..Faults::default()
        });
        let r = u32::try_from(round).expect("a few rounds");
        overdue_cases(
            &s,
            None,
            &[(1000 + 3 * r, 3 * r), (1001 + 3 * r, 3 * r + 1)],
        );
        eventually(Duration::from_secs(30), "a send stalls", || {
            server.stalled().len() == round + 1
        });
        // The instance in the stalled conversation holds its claims; the others have sent
        // theirs within a second.
        let mut holders = Vec::new();
        eventually(
            Duration::from_secs(4),
            "one instance holds the claims",
            || {
                holders = claim_holders(&s);
                holders.len() == 1
            },
        );
        let pid = worker_pid(&holders[0]);
        let index = daemons
            .iter()
            .position(|d| d.id() == pid)
            .expect("the holder is one of ours");
        let stalled = server.stalled()[round].clone();
        let halted = Instant::now();
        if how == "KILL" {
            kill(&mut daemons[index]);
        } else {
            signal(&daemons[index], "STOP");
        }
        eventually(
            Duration::from_secs(t.lease + 1 + 15),
            "another instance sends its mail",
            || all_delivered(&server, &outbox(&s, None)),
        );
        let overtaken_in = halted.elapsed();
        let before: Vec<String> = outbox(&s, None).iter().map(row_outcome).collect();
        if how == "STOP" {
            signal(&daemons[index], "CONT");
            // Its attempt runs out (the timer fired while it was stopped); its write is late.
            eventually(Duration::from_secs(20), "the stale instance wakes", || {
                log(&s, &format!("d{index}")).contains("taken over by another worker")
            });
            assert!(daemons[index].try_wait().expect("wait").is_none());
        } else {
            daemons[index] = start(&s, &format!("d{index}"));
        }
        std::thread::sleep(Duration::from_secs(2));
        let after: Vec<String> = outbox(&s, None).iter().map(row_outcome).collect();
        assert_eq!(before, after, "the late write changed nothing");
        if let Some(id) = &stalled.message_id {
            *expected_duplicates.entry(id.clone()).or_insert(0) += 1;
        }
        figures.push(format!(
            "round {round}: {how} at {phase:?}, overtaken in {overtaken_in:?}"
        ));
        assert!(
            overtaken_in < Duration::from_secs(t.lease + 1 + 10),
            "{overtaken_in:?}"
        );
    }
    for (n, daemon) in daemons.into_iter().enumerate() {
        let status = stop(daemon, Duration::from_secs(20));
        assert!(status.success(), "{}", log(&s, &format!("d{n}")));
    }
    let rows = outbox(&s, None);
    let duplicates = delivered_once_or_duplicated(&server, &rows);
    assert_eq!(
        duplicates, expected_duplicates,
        "one duplicate per instance halted after the relay had the mail, no other"
    );
    eprintln!(
        "figures: {}; {} mails, {} received, duplicates {:?}",
        figures.join("; "),
        rows.len(),
        server.received().len(),
        duplicates
    );
}

#[test]
fn a_daemon_killed_at_each_point_of_a_send_delivers_everything_and_doubles_only_after_250() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let t = Timing {
        timeout: 3,
        base: 1,
        cap: 1,
        lease: 4,
    };
    let cycles: u32 = 20;
    let s = setup(Backend::Sqlite, &server, 3 * cycles + 2, t, "");
    overdue_cases(&s, None, &[(1000, 3 * cycles), (1001, 3 * cycles + 1)]);
    let mut kills: BTreeMap<String, usize> = BTreeMap::new();
    let mut after_250: BTreeMap<String, usize> = BTreeMap::new();
    let mut kill_count = 0;
    for (p, phase) in [Phase::Greeting, Phase::AfterMailFrom, Phase::Before250]
        .into_iter()
        .enumerate()
    {
        for cycle in 0..cycles {
            // New mail each cycle; some messages go through before the stall, some after.
            let n = u32::try_from(p).expect("three points") * cycles + cycle;
            overdue_cases(&s, None, &[(1100 + n, n)]);
            let skip = if phase == Phase::Greeting {
                0 // one connection per process: only its first message has a greeting
            } else {
                cycle % 2
            };
            server.update_faults(|f| {
                f.stall = Some(Stall {
                    phase,
                    skip,
                    hold: Duration::from_secs(60),
                });
            });
            let stalls = server.stalled().len();
            let mut daemon = start(&s, "daemon");
            eventually(
                Duration::from_secs(t.lease + 30),
                "the send reaches the point",
                || server.stalled().len() > stalls,
            );
            kill(&mut daemon);
            kill_count += 1;
            *kills.entry(format!("{phase:?}")).or_insert(0) += 1;
            if let Some(id) = server.stalled()[stalls].message_id.clone() {
                *after_250.entry(id).or_insert(0) += 1;
            }
        }
    }
    // Restart without faults: everything goes out.
    let daemon = start(&s, "daemon");
    eventually(Duration::from_secs(60), "every mail delivered", || {
        all_delivered(&server, &outbox(&s, None))
    });
    assert!(daemon_alive_then_stop(&s, daemon));
    let rows = outbox(&s, None);
    let duplicates = delivered_once_or_duplicated(&server, &rows);
    // A second copy only where the relay had the mail when the daemon died: one per such crash,
    // with the same Message-ID; none for a crash before or during the conversation.
    assert_eq!(duplicates, after_250);
    assert_eq!(after_250.values().sum::<usize>(), cycles as usize);
    eprintln!(
        "figures: {kill_count} kills {kills:?}; {} mails, {} received, {} duplicates (all after \
         250, same Message-ID)",
        rows.len(),
        server.received().len(),
        duplicates.values().sum::<usize>()
    );
}

/// The mails received, as (recipient, subject), sorted.
fn mails(server: &SmtpServer) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = server
        .received()
        .iter()
        .map(|m| (m.to.join(","), m.subject()))
        .collect();
    all.sort();
    all
}

/// `run --once --now NOW`.
fn run_at(s: &Setup, now: &str) {
    s.duewatch(&["run", "--once", "--now", now])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
}

/// Cases due around 2026-11-30 (Monday): one received 11-23 (forward due 11-30), one received
/// 11-20 (forward due 11-27).
fn cases_around_the_end_of_november(s: &Setup) {
    for (reference, received) in [("2026-0001", "2026-11-23"), ("2026-0002", "2026-11-20")] {
        s.duewatch(&["case", "add", "--ref", reference, "--received", received])
            .assert()
            .success();
    }
}

#[test]
fn a_clock_jumping_an_hour_forward_and_back_across_midnight_skips_and_doubles_nothing() {
    let steady_server = SmtpServer::start();
    let jumpy_server = SmtpServer::start();
    let t = Timing {
        timeout: 2,
        base: 1,
        cap: 1,
        lease: 5,
    };
    let steady = setup(Backend::Sqlite, &steady_server, 1, t, "");
    let jumpy = setup(Backend::Sqlite, &jumpy_server, 1, t, "");
    cases_around_the_end_of_november(&steady);
    cases_around_the_end_of_november(&jumpy);
    // Two midnights with the levels changing (reminder → due today → overdue, repeated daily).
    let steady_clock = [
        "2026-11-26T23:30",
        "2026-11-27T00:30",
        "2026-11-29T23:30",
        "2026-11-30T00:30",
        "2026-11-30T23:30",
        "2026-12-01T00:30",
        "2026-12-01T01:30",
    ];
    let jumpy_clock = [
        "2026-11-26T23:30",
        "2026-11-27T00:30", // forward an hour, into the next day
        "2026-11-26T23:30", // back an hour, into the day before
        "2026-11-27T00:30",
        "2026-11-29T23:30",
        "2026-11-30T00:30",
        "2026-11-29T23:30",
        "2026-11-30T00:30",
        "2026-11-30T23:30",
        "2026-12-01T00:30",
        "2026-11-30T23:30",
        "2026-12-01T00:30",
        "2026-12-01T01:30",
        "2026-12-01T00:30",
        "2026-12-01T01:30",
    ];
    for now in steady_clock {
        run_at(&steady, now);
    }
    for now in jumpy_clock {
        run_at(&jumpy, now);
    }
    let expected = mails(&steady_server);
    assert!(
        expected.len() >= 6,
        "reminders, due-today and overdue notices on each side of midnight: {expected:?}"
    );
    assert_eq!(mails(&jumpy_server), expected);
    let duplicates = delivered_once_or_duplicated(&jumpy_server, &outbox(&jumpy, None));
    assert!(duplicates.is_empty(), "{duplicates:?}");
    eprintln!(
        "figures: {} runs on a jumping clock, {} on a steady one; {} mails each, identical",
        jumpy_clock.len(),
        steady_clock.len(),
        expected.len()
    );
}

#[test]
fn three_days_of_downtime_skip_no_notification_and_double_none() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let t = Timing {
        timeout: 2,
        base: 1,
        cap: 1,
        lease: 5,
    };
    let s = setup(Backend::Sqlite, &server, 1, t, "");
    cases_around_the_end_of_november(&s);
    run_at(&s, "2026-11-26T23:30");
    let first_day = mails(&server);
    assert!(!first_day.is_empty(), "11-26: reminders");
    // Down from 11-27 to 11-29: on 11-30 the cases call for their current notices.
    run_at(&s, "2026-11-30T09:00");
    run_at(&s, "2026-11-30T10:00");
    let after = server.received();
    let back: Vec<_> = after[first_day.len()..].to_vec();
    assert!(!back.is_empty(), "the day of return has mail");
    for reference in ["2026-0001", "2026-0002"] {
        assert!(
            back.iter().any(|m| m.text().contains(reference)),
            "{reference} is in the mail of the day of return"
        );
    }
    let office: Vec<_> = back
        .iter()
        .filter(|m| m.to.iter().any(|t| t == OFFICE))
        .collect();
    assert_eq!(office.len(), 1, "one digest to the office on return");
    // The next day: the overdue lines repeated once, nothing else.
    run_at(&s, "2026-12-01T09:00");
    run_at(&s, "2026-12-01T11:00");
    let next: Vec<_> = server.received()[after.len()..]
        .iter()
        .filter(|m| m.to.iter().any(|t| t == OFFICE))
        .cloned()
        .collect();
    assert_eq!(next.len(), 1, "one repeat the next day");
    let duplicates = delivered_once_or_duplicated(&server, &outbox(&s, None));
    assert!(duplicates.is_empty(), "{duplicates:?}");
    eprintln!(
        "figures: {} mails in all over 3 days of downtime and after, none doubled",
        server.received().len()
    );
}

/// Holds SQLite's write lock (`BEGIN IMMEDIATE`) on the test's database for `hold`, `times`
/// times, in a thread.
fn hold_write_lock(s: &Setup, hold: Duration, times: u32) -> std::thread::JoinHandle<()> {
    let url = format!(
        "sqlite://{}",
        s.dir.path().join("var/duewatch.db").display()
    );
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
                sqlx::query("PRAGMA busy_timeout = 30000")
                    .execute(&mut conn)
                    .await
                    .expect("busy_timeout");
                for _ in 0..times {
                    sqlx::query("BEGIN IMMEDIATE")
                        .execute(&mut conn)
                        .await
                        .expect("the write lock");
                    tokio::time::sleep(hold).await;
                    sqlx::query("COMMIT")
                        .execute(&mut conn)
                        .await
                        .expect("commit");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
    })
}

#[test]
fn sqlite_busy_under_concurrent_writers_delays_but_loses_nothing() {
    let _reaper = Reaper;
    let server = SmtpServer::start();
    let t = Timing {
        timeout: 2,
        base: 1,
        cap: 2,
        lease: 5,
    };
    let s = setup(Backend::Sqlite, &server, 12, t, "");
    overdue_cases(&s, None, &[(1000, 0), (1001, 1)]);
    let mut daemon = start(&s, "daemon");
    eventually(Duration::from_secs(30), "the first mail", || {
        all_delivered(&server, &outbox(&s, None))
    });

    // Writers taking turns with the daemon: a lock holder (2 s at a time) and imports.
    let holder = hold_write_lock(&s, Duration::from_secs(2), 6);
    for n in 2..8 {
        overdue_cases(&s, None, &[(1000 + n, n)]);
    }
    holder.join().expect("the lock holder");
    // A lock held past the daemon's busy_timeout (10 s): its polls fail meanwhile.
    let holder = hold_write_lock(&s, Duration::from_secs(13), 1);
    std::thread::sleep(Duration::from_secs(1));
    holder.join().expect("the lock holder");
    assert!(
        daemon.try_wait().expect("wait").is_none(),
        "{}",
        log(&s, "daemon")
    );
    overdue_cases(&s, None, &[(1008, 8)]);
    eventually(Duration::from_secs(60), "every mail", || {
        (0..9).all(|n| !server.to(&format!("s{n}@bureau.example")).is_empty())
            && all_delivered(&server, &outbox(&s, None))
    });
    let json = s
        .duewatch(&["health", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&json).expect("JSON");
    let last_error = json["figures"]["last_error"].as_str().unwrap_or_default();
    assert!(
        last_error.contains("locked") || last_error.contains("busy"),
        "health tells of the polls that failed: {json}"
    );
    let status = stop(daemon, Duration::from_secs(20));
    assert!(status.success());
    let rows = outbox(&s, None);
    let duplicates = delivered_once_or_duplicated(&server, &rows);
    assert!(duplicates.is_empty(), "{duplicates:?}");
    for n in 0..9 {
        assert_eq!(server.to(&format!("s{n}@bureau.example")).len(), 1, "s{n}");
    }
    eprintln!(
        "figures: 6 write locks of 2 s with 6 imports, 1 of 13 s; {} mails, {} received; \
         health kept: {last_error}",
        rows.len(),
        server.received().len()
    );
}
