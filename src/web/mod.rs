//! The web console on `http.listen`: the supervision pages of the office, the leadership and the
//! sections (arts. 23, 24), in Chinese, every page whole without JavaScript, with a form for
//! each act a user may record; the write API; and `/healthz`, `/metrics` and the JSON and
//! iCalendar feeds on the same listener.
//!
//! Design:
//! - **The routes are a contract** (docs/console.md): other systems and the tests link to them.
//!   [`router`] is the one list of them.
//! - **Recording goes the command line's way**: every act, from a form or the API, is recorded
//!   by `crate::acts::record` with the same refusals, and the viewer's name in the history;
//!   a recorded act has the snapshot taken again ([`Console::cases_changed`]).
//! - **Pages read a snapshot, not every case per request**: [`board::Board`] is every open
//!   case's current stage, evaluated once ([`Console::refresh`]) after each poll and when the
//!   day changes, sorted most urgent first; `/` and `/cases` filter and count it in memory. A
//!   page says as of when its figures are. What one case's page shows is read fresh.
//! - **Bad input is a 400 page that names the parameter** ([`query`]); an unknown case is a
//!   404; nothing a request sends can stop the listener.
//! - **No applicant data**: cases hold none (their subject is what is asked); pages show the
//!   reference, the subject, the stages, and duewatch's own records.
//! - **Safe by default**: no listener unless `http.listen` is set; an address other than
//!   loopback only with a login (`web.auth`). **Who may see and do what** is [`auth`]'s: one
//!   gate before every route but the login, the stylesheet, the probes and the feeds.
//! - Bounded: every request has a time limit and a body limit (tower-http); answers are
//!   compressed when the browser asks.
//!
//! Rooms: [`board`] (the snapshot), `names.rs` (how the pages name parties, columns and times),
//! [`query`] (query strings into types), `render.rs` (the
//! embedded templates and the stylesheet), `error.rs` (the 400/404/500 pages), [`ops`]
//! (`/healthz`, `/metrics`), and one file per page: `overview.rs` (`/`), `cases.rs`
//! (`/cases`), `case.rs` (`/cases/{reference}`), `calendar.rs`, `reports.rs`, `outbox.rs`,
//! `api.rs` (`/api/v1/status`; `api/cases.rs`: one case, and the write API), `feeds.rs`
//! (`/feeds/…`); recording: `record.rs` (the case page's forms, `POST /cases/{reference}/{act}`,
//! the new case page), `fields.rs` (an act's fields from a form or JSON), both through
//! `crate::acts`, the one path the command line takes too.
//!
//! This room may use the jobs' context (store, source, calendar, configuration) and the layers
//! below; the daemon starts it ([`spawn`]) and tells it when a poll is done
//! ([`Console::poll_done`]); it never uses the daemon or the command line.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::routing::{get, post};
use chrono::NaiveDateTime;

use crate::jobs::Context;

mod api;
pub mod auth;
pub mod board;
mod calendar;
mod case;
mod cases;
mod error;
mod feeds;
mod fields;
mod names;
pub mod ops;
mod outbox;
mod overview;
pub(crate) mod query;
mod record;
mod render;
mod reports;

pub use ops::Metrics;

/// How long one request may take before it is answered 503 (a page over 100,000 cases takes
/// milliseconds; a database that does not answer must not hold the connection).
const REQUEST_LIMIT: Duration = Duration::from_secs(30);

/// The largest request body accepted (a form or a JSON act is a few hundred bytes).
const BODY_LIMIT: usize = 64 * 1024;

/// After a failed rebuild, how long pages are served the snapshot in force before one of them
/// tries again (a database that is down must not be asked once per page view).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// What every page reads: the jobs' context, the daemon's figures and the snapshot.
#[derive(Debug)]
pub struct Console {
    /// Configuration, store, source and calendar.
    pub ctx: Arc<Context>,
    /// What the daemon counts (failed runs, skipped ticks, the last poll's figures).
    pub metrics: Arc<Metrics>,
    /// The latest snapshot of the open cases.
    board: std::sync::RwLock<Arc<board::Board>>,
    /// One rebuild at a time.
    refreshing: tokio::sync::Mutex<()>,
    /// Polls done so far: a snapshot taken before the latest poll is out of date.
    polls: AtomicU64,
    /// Woken by [`Console::poll_done`]: the refresher builds a new snapshot.
    polled: tokio::sync::Notify,
    /// When the latest rebuild failed, if it did and none has succeeded since.
    failed_at: std::sync::Mutex<Option<std::time::Instant>>,
    /// Held by the requests that read every case or many ([`HEAVY_AT_ONCE`] at a time).
    pub(crate) heavy: tokio::sync::Semaphore,
    /// An account exists (so `web.auth = "auto"` means `password`): remembered once seen.
    pub(crate) accounts_exist: std::sync::atomic::AtomicBool,
    /// Held while a login's password is checked ([`auth::limit::CHECKS_AT_ONCE`] at a time).
    pub(crate) logins: tokio::sync::Semaphore,
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
            polls: AtomicU64::new(0),
            polled: tokio::sync::Notify::new(),
            failed_at: std::sync::Mutex::new(None),
            heavy: tokio::sync::Semaphore::new(HEAVY_AT_ONCE),
            accounts_exist: std::sync::atomic::AtomicBool::new(false),
            logins: tokio::sync::Semaphore::new(auth::limit::CHECKS_AT_ONCE),
        }
    }

    /// The snapshot in force.
    pub fn board(&self) -> Arc<board::Board> {
        match self.board.read() {
            Ok(b) => Arc::clone(&b),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Whether `board` is still good for pages at `today`: taken today and after the latest
    /// poll.
    fn is_current(&self, board: &board::Board, today: chrono::NaiveDate) -> bool {
        board.is_of(today) && board.polls >= self.polls.load(Ordering::Acquire)
    }

    /// The snapshot for a page at local time `now`: the one in force, or, when it was taken on
    /// another day (or never), a new one first: a page must not show yesterday's levels. When
    /// that rebuild fails and an older snapshot exists, the older one is served (its pages say
    /// as of when) and the next try waits [`RETRY_AFTER_FAILURE`].
    ///
    /// # Errors
    /// No snapshot was ever taken and the cases cannot be read.
    pub async fn board_for(&self, now: NaiveDateTime) -> anyhow::Result<Arc<board::Board>> {
        let board = self.board();
        if board.is_of(now.date()) {
            return Ok(board);
        }
        let failed_recently = self
            .failed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < RETRY_AFTER_FAILURE);
        if failed_recently && board.built_at.is_some() {
            return Ok(board);
        }
        match self.refresh(now).await {
            Ok(()) => Ok(self.board()),
            Err(e) if board.built_at.is_some() => {
                tracing::warn!(
                    "the console serves the snapshot of {} (a new one could not be taken): {}",
                    board.today,
                    crate::error::chain(&e)
                );
                Ok(board)
            }
            Err(e) => Err(e),
        }
    }

    /// Takes a new snapshot of the open cases as of local time `now` and puts it in force,
    /// unless the one in force is already of `now`'s day and the latest poll. Concurrent calls
    /// wait for the one under way and do not build twice.
    ///
    /// # Errors
    /// The cases cannot be read (the snapshot in force stays).
    pub async fn refresh(&self, now: NaiveDateTime) -> anyhow::Result<()> {
        let _one = self.refreshing.lock().await;
        if self.is_current(&self.board(), now.date()) {
            // Another caller built it while this one waited.
            return Ok(());
        }
        // Read before the cases: a poll that ends during the build makes the next one.
        let polls = self.polls.load(Ordering::Acquire);
        let built = board::Board::build(&self.ctx, now).await;
        let mut failed_at = self
            .failed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut board = match built {
            Ok(board) => board,
            Err(e) => {
                *failed_at = Some(std::time::Instant::now());
                return Err(e);
            }
        };
        *failed_at = None;
        drop(failed_at);
        board.polls = polls;
        let fresh = Arc::new(board);
        match self.board.write() {
            Ok(mut b) => *b = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    /// Tells the console a case was recorded from a page or the API: a new snapshot is taken
    /// in the background, so that the lists count it before the next poll.
    pub(crate) fn cases_changed(&self) {
        self.poll_done();
    }

    /// Tells the console a poll is done (with any calendar it put in force): a new snapshot is
    /// taken in the background.
    pub fn poll_done(&self) {
        self.polls.fetch_add(1, Ordering::AcqRel);
        self.polled.notify_one();
    }
}

/// How long from local time `now` until just after the next local midnight, when the levels of
/// every case move on by a day.
fn until_tomorrow(now: NaiveDateTime) -> Duration {
    now.date()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 1))
        .and_then(|t| (t - now).to_std().ok())
        .unwrap_or(Duration::from_secs(3600))
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
    // no Referer carries a feed token or a case's address to another site (`same-origin`, not
    // `no-referrer`: with that, browsers send `Origin: null` on the console's own forms, which
    // the CSRF check must refuse); nothing is cached.
    // The Content-Security-Policy: everything from the console itself, images also from
    // `data:` (base.html's empty favicon), no frame around a page, forms sent only here.
    const CSP: &str =
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";
    let always = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    use axum::middleware::{from_fn, from_fn_with_state};
    // For supervisors only (the office, the leadership, the administrators): every party's mail
    // and figures.
    let supervised = Router::new()
        .route("/outbox", get(outbox::page))
        .route("/reports", get(reports::page))
        .route_layer(from_fn(auth::supervisors_only));
    // Behind the gate: who asks is known, and a POST carries its CSRF token (auth's doc).
    let gated = Router::new()
        .route("/", get(overview::page))
        .route("/cases", get(cases::page))
        .route("/cases/new", get(record::new_case).post(record::add_case))
        .route("/cases/{reference}", get(case::page))
        .route("/cases/{reference}/{act}", post(record::act))
        .route("/calendar", get(calendar::current))
        .route("/calendar/{year}/{month}", get(calendar::month))
        .route("/api/v1/status", get(api::status))
        .route("/api/v1/cases", post(api::add))
        .route("/api/v1/cases/{reference}", get(api::show))
        .route(
            "/api/v1/cases/{reference}/notifications",
            get(api::notifications),
        )
        .route("/api/v1/cases/{reference}/{act}", post(api::act))
        .route("/logout", post(auth::login::logout))
        .merge(supervised)
        .route_layer(from_fn_with_state(Arc::clone(&console), auth::gate));
    // Open to all: the login, the stylesheet, the operators' probes, and the feeds (a calendar
    // app cannot log in: each feed has its own token).
    Router::new()
        .route("/login", get(auth::login::page).post(auth::login::submit))
        .route("/style.css", get(render::stylesheet))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/feeds/{file}", get(feeds::feed))
        .merge(gated)
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
        .layer(always(header::REFERRER_POLICY, "same-origin"))
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
    // The refresher: a snapshot at start, after every poll, and at midnight (so that the first
    // page of a day does not wait for it).
    let refresher = Arc::clone(&console);
    tokio::spawn(async move {
        loop {
            let now = refresher.ctx.now();
            if let Err(e) = refresher.refresh(now).await {
                tracing::warn!(
                    "the console's snapshot could not be taken (the pages show the last one): {}",
                    crate::error::chain(&e)
                );
            }
            tokio::select! {
                () = refresher.polled.notified() => {}
                () = tokio::time::sleep(until_tomorrow(refresher.ctx.now())) => {}
            }
        }
    });
    // The peer's address reaches the handlers: the login's brute-force count and the trusted
    // proxies of single sign-on need it.
    let app = router(console).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("the console's listener stopped: {e}");
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("a time")
    }

    #[test]
    fn the_snapshot_is_retaken_just_after_the_next_local_midnight() {
        assert_eq!(
            until_tomorrow(at("2026-12-01 23:59:00")),
            Duration::from_secs(61)
        );
        assert_eq!(
            until_tomorrow(at("2026-12-31 00:00:01")),
            Duration::from_secs(24 * 3600)
        );
    }
}
