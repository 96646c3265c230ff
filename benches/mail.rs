//! Mails per second from the outbox to an SMTP server on loopback: claim, send over lettre's
//! pooled connection, mark sent, one message at a time as in production (each marked sent
//! before the next is sent, so a crash duplicates at most one). The server is the tests' real
//! SMTP server (`tests/cli/smtp.rs`), in this process.
//!
//! `cargo bench --bench mail`. Each iteration queues 200 messages (not timed) and times one
//! delivery pass over them, on SQLite and on PostgreSQL. Target (issue 4): at least 200 per
//! second with the connection reused.

#[path = "../tests/cli/smtp.rs"]
mod smtp;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use duewatch::jobs::{Context, Report, poll};
use duewatch::mail::render::Rendered;

const BATCH: u64 = 200;
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

fn config(dir: &Path, url: &str, port: u16) -> duewatch::config::Config {
    let path = dir.join(format!("mail-{}.toml", url.len()));
    std::fs::write(
        &path,
        format!(
            "[calendar]\ndir = \"{}\"\n[database]\nurl = \"{url}\"\n\
             [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n",
            dir.join("calendars").display()
        ),
    )
    .expect("writing the config");
    duewatch::config::load(Some(&path)).expect("the config").0
}

async fn fresh_postgres() -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&format!("{POSTGRES}/test"))
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    for statement in [
        "DROP DATABASE IF EXISTS duewatch_bench_mail WITH (FORCE)",
        "CREATE DATABASE duewatch_bench_mail",
    ] {
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .expect("the benchmark database");
    }
    format!("{POSTGRES}/duewatch_bench_mail")
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = smtp::SmtpServer::start();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(dir.join("calendars")).expect("data dir");
    let sqlite = dir.join("mail.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite.display()));
    }
    let postgres = runtime.block_on(fresh_postgres());
    let rendered = Rendered {
        subject: "【逾期】3 件政府信息公开申请已超过办理期限".to_owned(),
        text: "社会保险股：\n\n截至 2026-11-27，以下 3 件政府信息公开申请需要处理：\n".repeat(20),
        html: Some("<p>社会保险股：</p>".repeat(20)),
        attachments: Vec::new(),
    };
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("a time");

    let mut group = c.benchmark_group("deliver");
    group
        .throughput(Throughput::Elements(BATCH))
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    for (name, url) in [
        ("sqlite", format!("sqlite://{}", sqlite.display())),
        ("postgres", postgres),
    ] {
        let ctx: Context = runtime
            .block_on(Context::load(config(&dir, &url, server.port)))
            .expect("the context");
        let before = server.connections();
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    runtime.block_on(async {
                        for i in 0..BATCH {
                            ctx.store
                                .enqueue(
                                    "test",
                                    &format!("head{i}@bureau.example"),
                                    &rendered,
                                    "duewatch@bureau.example",
                                )
                                .await
                                .expect("queued");
                        }
                        let start = Instant::now();
                        let mut report = Report::default();
                        poll::deliver(&ctx, now, &mut report)
                            .await
                            .expect("delivered");
                        total += start.elapsed();
                        assert_eq!(report.sent as u64, BATCH, "{report:?}");
                    });
                }
                total
            });
        });
        eprintln!(
            "{name}: {} connection(s) opened for {} messages",
            server.connections() - before,
            server.received().len()
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
