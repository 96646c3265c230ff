//! The web console over 100,000 open cases in a database of 1,000,000, on SQLite and on
//! PostgreSQL: building the snapshot ([`Console::refresh`]) and serving `/`, the first page of
//! `/cases` and one filtered list (`/cases?party=ss&level=overdue`) through the console's own
//! router ([`duewatch::web::router`], called with `tower::ServiceExt::oneshot`, body read whole),
//! after one refresh, as the daemon serves them between polls.
//!
//! `cargo bench --bench web`. The data is `benches/status.rs`'s (run that bench once first: this
//! one stops with that advice when the SQLite data is missing; PostgreSQL is skipped with a
//! message when 127.0.0.1:5432 does not answer or lacks the data). The pages are evaluated on the
//! real clock's day in UTC (the console takes today from the clock), so the levels differ from
//! `status --as-of 2026-11-27`'s; most open cases of this data are overdue by then.
//!
//! Target (issue 15): at most 150 ms for `/` and the first page of `/cases`, on both backends.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use duewatch::jobs::Context;
use duewatch::web::{Console, Metrics};
use tower::ServiceExt as _;

const OPEN: usize = 100_000;
const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/duewatch_bench_status";

fn config(dir: &Path, name: &str, url: &str) -> duewatch::config::Config {
    let path = dir.join(format!("web-{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "timezone = \"UTC\"\n\
             [calendar]\ndir = \"{}\"\n[database]\nurl = \"{url}\"\n\
             [office]\nname = \"办公室\"\nemails = [\"office@bureau.example\"]\n\
             [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\n\
             [[sections]]\ncode = \"ss\"\nname = \"社会保险股\"\nemails = [\"ss@bureau.example\"]\n\
             [[sections]]\ncode = \"zc\"\nname = \"政策法规股\"\nemails = [\"zc@bureau.example\"]\n\
             [mail.file]\ndir = \"{}\"\n",
            dir.join("calendars").display(),
            dir.join("web-mail").display()
        ),
    )
    .expect("writing the config");
    duewatch::config::load(Some(&path)).expect("the config").0
}

/// Whether PostgreSQL answers and holds the status bench's data; `Err` says why not.
async fn postgres_ready() -> Result<(), String> {
    use sqlx::Connection;
    let connect = sqlx::PgConnection::connect(POSTGRES_URL);
    let mut conn = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            return Err(format!(
                "{POSTGRES_URL}: {e} (start PostgreSQL on 127.0.0.1:5432 and run \
                 `cargo bench --bench status` once to make its data)"
            ));
        }
        Err(_) => return Err(format!("{POSTGRES_URL}: no answer within 5 s")),
    };
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| format!("{POSTGRES_URL}: {e} (run `cargo bench --bench status` once)"))?;
    if count != 1_000_000 {
        return Err(format!(
            "{POSTGRES_URL} holds {count} cases, not the status bench's 1,000,000 (drop the \
             database and run `cargo bench --bench status` to regenerate)"
        ));
    }
    Ok(())
}

/// `GET uri` through the router; the status and the whole body.
async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get(uri).body(Body::empty()).expect("a request");
    let response = app.clone().oneshot(request).await.expect("an answer");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body");
    (status, body.to_vec())
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    assert!(
        dir.join("status.db").exists(),
        "{} is missing: run `cargo bench --bench status` first (it makes the 1,000,000-case \
         data on SQLite and PostgreSQL, once)",
        dir.join("status.db").display()
    );
    let mut group = c.benchmark_group("web_100k_open_of_1m");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for (name, url) in [
        (
            "sqlite",
            format!("sqlite://{}", dir.join("status.db").display()),
        ),
        ("postgres", POSTGRES_URL.to_owned()),
    ] {
        if name == "postgres"
            && let Err(why) = runtime.block_on(postgres_ready())
        {
            eprintln!("skipping the PostgreSQL console benchmarks: {why}");
            continue;
        }
        let config = config(&dir, name, &url);
        let ctx = runtime
            .block_on(Context::load(config))
            .expect("the context");
        let console = Arc::new(Console::new(Arc::new(ctx), Arc::new(Metrics::default())));
        group.bench_function(format!("{name}/refresh"), |b| {
            b.iter(|| {
                runtime
                    .block_on(console.refresh(console.ctx.now()))
                    .expect("a snapshot");
            });
        });
        let board = console.board();
        assert_eq!(board.rows.len(), OPEN, "every open case in the snapshot");
        let app = duewatch::web::router(Arc::clone(&console));
        for (page, uri, marker) in [
            ("overview", "/", r#"id="matrix""#),
            ("cases", "/cases", r#"data-reference=""#),
            (
                "cases_ss_overdue",
                "/cases?party=ss&level=overdue",
                r#"data-reference=""#,
            ),
        ] {
            // Once, untimed: the page is what it should be.
            let (status, body) = runtime.block_on(get(&app, uri));
            let body = String::from_utf8(body).expect("UTF-8");
            assert_eq!(status, StatusCode::OK, "GET {uri}: {body}");
            assert!(body.contains(marker), "GET {uri}: {body}");
            group.bench_function(format!("{name}/{page}"), |b| {
                b.iter(|| {
                    let (status, body) = runtime.block_on(get(&app, uri));
                    assert_eq!(status, StatusCode::OK);
                    body.len()
                });
            });
        }
        assert!(
            Arc::ptr_eq(&board, &console.board()),
            "the pages used the one snapshot (none was rebuilt while measuring)"
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
