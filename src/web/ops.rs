//! `GET /healthz` (200 "ok", or 503 with the problems: the verdict of `duewatch health`) and
//! `GET /metrics` (Prometheus text format), on the console's listener; and [`Metrics`], what the
//! daemon counts into for them.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Console;
use crate::jobs::Report;

/// What `/metrics` reads from the running daemon's memory; the daemon counts into it.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Job runs that failed, since start.
    pub errors: AtomicU64,
    /// Ticks skipped because the previous run was still going, since start.
    pub skipped: AtomicU64,
    /// Failed console logins, since start.
    pub login_failures: AtomicU64,
    /// Logins held back (429) after too many failures, since start.
    pub logins_held_back: AtomicU64,
    /// What the last poll that read the cases saw (not one outside the window).
    pub last_poll: std::sync::Mutex<Option<Report>>,
}

/// `GET /healthz`: 200 "ok", or 503 with the problems, one a line.
pub async fn healthz(State(console): State<Arc<Console>>) -> Response {
    let (ok, text) = health(&console).await;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// `GET /metrics`: the Prometheus text format.
pub async fn metrics(State(console): State<Arc<Console>>) -> Response {
    match render_metrics(&console).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{e:#}\n"),
        )
            .into_response(),
    }
}

/// How long `/healthz` waits for the database.
const HEALTH_READ_LIMIT: Duration = Duration::from_secs(3);

async fn health(daemon: &Console) -> (bool, String) {
    let max_age = crate::jobs::health::poll_interval(&daemon.ctx.config) * 3;
    // Bounded: with the database unreachable, the pool would wait its whole acquire timeout,
    // and a health check that does not answer is no better than none.
    let read = tokio::time::timeout(HEALTH_READ_LIMIT, daemon.ctx.store.health()).await;
    let Ok(read) = read else {
        return (
            false,
            format!(
                "the database did not answer within {} s: check database.url and the database server\n",
                HEALTH_READ_LIMIT.as_secs()
            ),
        );
    };
    match read {
        Ok(h) => {
            let problems = crate::jobs::health::problems(&h, max_age);
            if problems.is_empty() {
                (true, "ok\n".to_owned())
            } else {
                (false, problems.join("\n") + "\n")
            }
        }
        Err(e) => (false, format!("the database cannot be read: {e:#}\n")),
    }
}

async fn render_metrics(daemon: &Console) -> anyhow::Result<String> {
    let h = daemon.ctx.store.health().await?;
    let mut out = String::new();
    let mut metric = |name: &str, help: &str, kind: &str, samples: &[(String, f64)]| {
        let _ = writeln!(
            out,
            "# HELP duewatch_{name} {help}\n# TYPE duewatch_{name} {kind}"
        );
        for (labels, value) in samples {
            let _ = writeln!(out, "duewatch_{name}{labels} {value}");
        }
    };
    let open: Vec<(String, f64)> = daemon
        .metrics
        .last_poll
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .map(|r| {
            r.open
                .iter()
                .map(|((state, who), n)| {
                    (
                        format!("{{state=\"{state}\",responsible=\"{who}\"}}"),
                        *n as f64,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let overdue: f64 = open
        .iter()
        .filter(|(l, _)| l.contains("state=\"overdue\""))
        .map(|(_, n)| n)
        .sum();
    metric(
        "open_cases",
        "Open cases at the last poll, by the state of their current stage and who must act.",
        "gauge",
        &open,
    );
    metric(
        "overdue_cases",
        "Open cases past their deadline at the last poll.",
        "gauge",
        &[(String::new(), overdue)],
    );
    // From the database: the latest poll that counted the cases (not one outside the window).
    let unreadable = h.bad_cases as f64;
    metric(
        "unreadable_cases",
        "Open cases the last poll could not read or evaluate (rows of a case system that break \
         the rules included); each is named in the log.",
        "gauge",
        &[(String::new(), unreadable)],
    );
    let uncountable = h.uncountable_cases as f64;
    metric(
        "uncountable_cases",
        "Of those, open cases whose deadlines cannot be counted (a date outside the calendar's \
         range, 2000-01-01 to 2099-12-31); each is reported to mail.admins once.",
        "gauge",
        &[(String::new(), uncountable)],
    );
    metric(
        "outbox_pending",
        "Mail waiting to be delivered.",
        "gauge",
        &[(String::new(), h.pending as f64)],
    );
    metric(
        "outbox_oldest_pending_seconds",
        "Age of the oldest mail waiting (0 when none).",
        "gauge",
        &[(String::new(), h.oldest_pending_age_secs.unwrap_or(0.0))],
    );
    metric(
        "dead_letters",
        "Mail the relay refused for good.",
        "gauge",
        &[(String::new(), h.dead_letters as f64)],
    );
    metric(
        "last_success_age_seconds",
        "Seconds since the last successful poll (-1: never).",
        "gauge",
        &[(String::new(), h.last_ok_poll_age_secs.unwrap_or(-1.0))],
    );
    let covered = daemon
        .ctx
        .calendar()
        .years()
        .keys()
        .next_back()
        .map_or(0.0, |y| f64::from(*y));
    metric(
        "calendar_covered_until_year",
        "The last year the holiday calendar covers.",
        "gauge",
        &[(String::new(), covered)],
    );
    metric(
        "job_errors_total",
        "Job runs that failed since start.",
        "counter",
        &[(
            String::new(),
            daemon.metrics.errors.load(Ordering::Relaxed) as f64,
        )],
    );
    metric(
        "job_skipped_total",
        "Ticks skipped because the previous run was still going.",
        "counter",
        &[(
            String::new(),
            daemon.metrics.skipped.load(Ordering::Relaxed) as f64,
        )],
    );
    metric(
        "login_failures_total",
        "Failed logins to the console since start (wrong name or password).",
        "counter",
        &[(
            String::new(),
            daemon.metrics.login_failures.load(Ordering::Relaxed) as f64,
        )],
    );
    metric(
        "logins_held_back_total",
        "Logins answered 429 since start: 5 failures for the name or from the address within 15 minutes.",
        "counter",
        &[(
            String::new(),
            daemon.metrics.logins_held_back.load(Ordering::Relaxed) as f64,
        )],
    );
    Ok(out)
}
