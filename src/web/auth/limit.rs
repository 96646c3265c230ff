//! Brute force: after [`MAX_FAILURES`] failed logins for one user name, or from one address,
//! within [`WINDOW_SECS`], that name or address is answered 429 for the same time, whatever
//! the password. Failures are rows of the database (several instances count together), logged,
//! and counted in `/metrics`; the housekeeping job forgets them after a day.
//!
//! The address is the peer's, or, when the peer is one of `web.trusted_proxies`, the last
//! address of its `X-Forwarded-For` (behind a proxy every request comes from the proxy).

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use axum::http::HeaderMap;

use super::super::Console;

/// Failed logins allowed within [`WINDOW_SECS`].
pub(crate) const MAX_FAILURES: u32 = 5;

/// The window the failures are counted in, and how long a name or address waits: 15 minutes.
pub(crate) const WINDOW_SECS: i64 = 15 * 60;

/// The address a login comes from, as counted.
pub(crate) fn address(console: &Console, peer: Option<IpAddr>, headers: &HeaderMap) -> String {
    let trusted = peer.is_some_and(|ip| {
        console
            .ctx
            .config
            .web
            .trusted_proxies
            .iter()
            .any(|p| p.contains(ip))
    });
    if trusted
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<IpAddr>().ok())
    {
        return forwarded.to_string();
    }
    peer.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// Whether `name` or `address` is held back now; logged and counted when it is.
///
/// # Errors
/// A database failure.
pub(crate) async fn held_back(
    console: &Console,
    name: &str,
    address: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let (by_name, by_address) = console
        .ctx
        .store
        .login_failures(name, address, now - WINDOW_SECS)
        .await?;
    let held = by_name >= MAX_FAILURES || by_address >= MAX_FAILURES;
    if held {
        console
            .metrics
            .logins_held_back
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            user = name,
            address,
            failures_of_user = by_name,
            failures_from_address = by_address,
            "console: login held back after {MAX_FAILURES} failures within 15 minutes"
        );
    }
    Ok(held)
}

/// Records a failed login of `name` from `address`.
///
/// # Errors
/// A database failure.
pub(crate) async fn failed(
    console: &Console,
    name: &str,
    address: &str,
    now: i64,
) -> anyhow::Result<()> {
    console
        .metrics
        .login_failures
        .fetch_add(1, Ordering::Relaxed);
    tracing::warn!(user = name, address, "console: a login failed");
    console.ctx.store.login_failed(name, address, now).await
}
