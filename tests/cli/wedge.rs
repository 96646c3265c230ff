//! A daemon that cannot be wedged (issue 13): a full disk under SQLite, SIGHUP, files in the
//! calendar directory that are not regular files, the database file replaced or read-only;
//! each under the built daemon, with the real SMTP server on loopback.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::faults::{
    Reaper, Timing, all_delivered, delivered_once_or_duplicated, log, outbox, overdue_cases,
    setup, start, stop,
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
    let url = format!("sqlite://{}", s.dir.path().join("var/duewatch.db").display());
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
    within(&s, Duration::from_secs(30), "a poll fails on the full disk", || {
        log(&s, "daemon").contains("disk is full")
    });
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
