//! The web console on `http.listen`: the supervision pages of the office, the leadership and the
//! sections (arts. 23, 24), read-only, in Chinese, every page whole without JavaScript; and
//! `/healthz`, `/metrics` and the JSON and iCalendar feeds on the same listener.
//!
//! Design:
//! - **The routes are a contract** (docs/console.md): other systems and the tests link to them.
//!   [`router`] is the one list of them.
//! - **Pages read a snapshot, not every case per request**: [`board::Board`] is every open
//!   case's current stage, evaluated once ([`Console::refresh`]) after each poll and when the
//!   day changes, sorted most urgent first; `/` and `/cases` filter and count it in memory. A
//!   page says as of when its figures are. What one case's page shows is read fresh.
//! - **Bad input is a 400 page that names the parameter** ([`query`]); an unknown case is a
//!   404; nothing a request sends can stop the listener.
//! - **No applicant data**: cases hold none (their subject is what is asked); pages show the
//!   reference, the subject, the stages, and duewatch's own records.
//! - **Safe by default**: no listener unless `http.listen` is set; until the console has
//!   accounts, `config check` refuses an address other than loopback.
//! - Bounded: every request has a time limit and a body limit (tower-http); answers are
//!   compressed when the browser asks.
//!
//! Rooms: [`board`] (the snapshot), [`query`] (query strings into types), `render.rs` (the
//! embedded templates and the stylesheet), `error.rs` (the 400/404/500 pages), [`ops`]
//! (`/healthz`, `/metrics`), and one file per page: `overview.rs` (`/`), `cases.rs`
//! (`/cases`), `case.rs` (`/cases/{reference}`), `calendar.rs`, `reports.rs`, `outbox.rs`,
//! `api.rs` (`/api/v1/…`), `feeds.rs` (`/feeds/…`).
//!
//! This room may use the jobs' context (store, source, calendar, configuration) and the layers
//! below; the daemon starts it ([`spawn`]) and tells it when a poll is done
//! ([`Console::poll_done`]); it never uses the daemon or the command line.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use chrono::NaiveDateTime;

use crate::jobs::Context;

mod api;
pub mod board;
mod calendar;
mod case;
mod cases;
mod error;
mod feeds;
mod names;
pub mod ops;
mod outbox;
mod overview;
pub(crate) mod query;
mod render;
mod reports;

pub use ops::Metrics;

/// How long one request may take before it is answered 503 (a page over 100,000 cases takes
/// milliseconds; a database that does not answer must not hold the connection).
const REQUEST_LIMIT: Duration = Duration::from_secs(30);

/// The largest request body accepted (the console reads none yet; forms will be small).
const BODY_LIMIT: usize = 64 * 1024;

/// What every page reads: the jobs' context, the daemon's figures and the snapshot.
#[derive(Debug)]
pub struct Console {
    /// Configuration, store, source and calendar.
    pub ctx: Arc<Context>,
    /// What the daemon counts (failed runs, skipped ticks, the last poll's figures).
    pub metrics: Arc<Metrics>,
    /// The latest snapshot of the open cases.
    board: std::sync::RwLock<Arc<board::Board>>,
    /// One refresh at a time.
    refreshing: tokio::sync::Mutex<()>,
    /// Woken by the daemon when a poll is done: the refresher builds a new snapshot.
    polled: tokio::sync::Notify,
    /// Held by the requests that read every case or many ([`HEAVY_AT_ONCE`] at a time).
    pub(crate) heavy: tokio::sync::Semaphore,
}

/// How many requests that scan every case (or many) run at once; others wait their turn
/// (within [`REQUEST_LIMIT`]): `/api/v1/status`, `/reports` with a period, `/cases?format=csv`,
/// `/cases?print=1`.
const HEAVY_AT_ONCE: usize = 2;

impl Console {
    /// A console with an empty snapshot (built by the first [`Console::refresh`]).
    pub fn new(ctx: Arc<Context>, metrics: Arc<Metrics>) -> Console {
        Console {
            ctx,
            metrics,
            board: std::sync::RwLock::new(Arc::new(board::Board::empty())),
            refreshing: tokio::sync::Mutex::new(()),
            polled: tokio::sync::Notify::new(),
            heavy: tokio::sync::Semaphore::new(HEAVY_AT_ONCE),
        }
    }

    /// The snapshot in force.
    pub fn board(&self) -> Arc<board::Board> {
        match self.board.read() {
            Ok(b) => Arc::clone(&b),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The snapshot for a page at local time `now`: the one in force, or, when it was built on
    /// another day (or never), a new one first (a page must not show yesterday's levels).
    ///
    /// # Errors
    /// The snapshot had to be rebuilt and the cases could not be read.
    pub async fn board_for(&self, now: NaiveDateTime) -> anyhow::Result<Arc<board::Board>> {
        let board = self.board();
        if board.is_of(now.date()) {
            return Ok(board);
        }
        self.refresh(now).await?;
        Ok(self.board())
    }

    /// Builds a new snapshot of the open cases as of local time `now` and puts it in force.
    /// Concurrent calls wait for the one under way and do not build twice.
    ///
    /// # Errors
    /// The cases cannot be read (the snapshot in force stays).
    pub async fn refresh(&self, now: NaiveDateTime) -> anyhow::Result<()> {
        let started = self.board();
        let _one = self.refreshing.lock().await;
        if !Arc::ptr_eq(&started, &self.board()) && self.board().is_of(now.date()) {
            // Another request built it while this one waited.
            return Ok(());
        }
        let board = board::Board::build(&self.ctx, now).await?;
        let fresh = Arc::new(board);
        match self.board.write() {
            Ok(mut b) => *b = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    /// Tells the console a poll is done: a new snapshot is built in the background.
    pub fn poll_done(&self) {
        self.polled.notify_one();
    }
}

/// Every route of the console (the contract: docs/console.md).
pub fn router(console: Arc<Console>) -> Router {
    use axum::http::{HeaderName, HeaderValue, header};
    use tower_http::compression::CompressionLayer;
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::set_header::SetResponseHeaderLayer;
    use tower_http::timeout::TimeoutLayer;
    // On every answer unless the handler set its own (style.css keeps its max-age): the pages
    // use no script, one stylesheet from here and the `data:` favicon; no frame may hold them;
    // no Referer carries a feed token or a case's address elsewhere; nothing is cached.
    // The Content-Security-Policy: everything from the console itself, images also from
    // `data:` (base.html's empty favicon), no frame around a page, forms sent only here.
    const CSP: &str =
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";
    let always = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    Router::new()
        .route("/", get(overview::page))
        .route("/cases", get(cases::page))
        .route("/cases/{reference}", get(case::page))
        .route("/outbox", get(outbox::page))
        .route("/feeds/{file}", get(feeds::feed))
        .route("/calendar", get(calendar::current))
        .route("/calendar/{year}/{month}", get(calendar::month))
        .route("/reports", get(reports::page))
        .route("/api/v1/status", get(api::status))
        .route("/style.css", get(render::stylesheet))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(error::not_found)
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_LIMIT,
        ))
        // Outermost: the timeout's 503 carries them too.
        .layer(always(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(always(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(always(header::REFERRER_POLICY, "no-referrer"))
        .layer(always(header::CACHE_CONTROL, "no-store"))
        .with_state(console)
}

/// Binds `http.listen`, builds the first snapshot and serves in the background; the snapshot
/// is rebuilt after each poll ([`Console::poll_done`]).
///
/// # Errors
/// The address cannot be bound.
pub async fn spawn(console: Arc<Console>) -> anyhow::Result<()> {
    let Some(listen) = console.ctx.config.http.listen else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("http.listen: cannot listen on {listen}"))?;
    tracing::info!(%listen, "console listening (also /healthz and /metrics)");
    for warning in console.ctx.config.warnings() {
        tracing::warn!("{warning}");
    }
    let refresher = Arc::clone(&console);
    tokio::spawn(async move {
        loop {
            if let Err(e) = refresher.refresh(refresher.ctx.now()).await {
                tracing::warn!(
                    "the console's snapshot could not be rebuilt (the pages show the last one): {}",
                    crate::error::chain(&e)
                );
            }
            refresher.polled.notified().await;
        }
    });
    let app = router(console);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("the console's listener stopped: {e}");
        }
    });
    Ok(())
}
