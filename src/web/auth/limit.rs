//! Brute force: after [`MAX_FAILURES`] failed logins for one user name, or from one address,
//! within [`WINDOW_SECS`], that name or address is answered 429, whatever the password, until
//! fewer than that many of its failures are within the window. Failures are rows of the
//! database (several instances count together), logged, and counted in `/metrics`; the
//! housekeeping job forgets them after a day.
//!
//! An attempt is noted as failed **before** its password is checked and forgotten when it
//! succeeds, so that logins sent at once all count (a count taken first and a failure written
//! after the check would let every one of them through). At most [`CHECKS_AT_ONCE`] passwords
//! are checked at a time (argon2id takes memory); more at once get 429.
//!
//! The address is the peer's, or, when the peer is one of `web.trusted_proxies`, the last
//! address of its `X-Forwarded-For` (behind a proxy every request comes from the proxy); an
//! IPv6 address counts by its /64 network (one machine has many).

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use axum::http::HeaderMap;

use super::super::Console;

/// Failed logins allowed within [`WINDOW_SECS`].
pub(crate) const MAX_FAILURES: u32 = 5;

/// The window the failures are counted in: 15 minutes.
pub(crate) const WINDOW_SECS: i64 = 15 * 60;

/// Passwords checked at once.
pub(crate) const CHECKS_AT_ONCE: usize = 4;

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
    // The last address of the last header line: the one the trusted proxy itself added.
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .next_back()
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .and_then(|v| v.parse::<IpAddr>().ok());
    let ip = match (trusted, forwarded) {
        (true, Some(forwarded)) => Some(forwarded),
        _ => peer,
    };
    ip.map_or_else(|| "unknown".to_owned(), counted)
}

/// How `ip` is counted: an IPv4 address (also one mapped into IPv6) as itself, an IPv6 address
/// by its /64 network.
fn counted(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = u128::from(v6) & (!0u128 << 64);
                format!("{}/64", std::net::Ipv6Addr::from(network))
            }
        },
        v4 => v4.to_string(),
    }
}

/// An attempt to log in, noted before its password is checked.
pub(crate) enum Attempt {
    /// Too many failures for the name or from the address: answer 429, check nothing.
    Held,
    /// Noted as failed (row id): forget it if the password is right.
    Noted(i64),
}

/// Notes an attempt of `name` from `address`, then counts: held back when, with it, more than
/// [`MAX_FAILURES`] are within the window (the held attempt itself is forgotten, so a held
/// name's wait does not grow with every try); logged and counted when held.
///
/// # Errors
/// A database failure.
pub(crate) async fn attempt(
    console: &Console,
    name: &str,
    address: &str,
    now: i64,
) -> anyhow::Result<Attempt> {
    let store = &console.ctx.store;
    let id = store.login_failed(name, address, now).await?;
    let (by_name, by_address) = store
        .login_failures(name, address, now - WINDOW_SECS)
        .await?;
    if by_name > MAX_FAILURES || by_address > MAX_FAILURES {
        store.forget_login_attempt(id).await?;
        console
            .metrics
            .logins_held_back
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            user = name,
            address,
            failures_of_user = by_name - 1,
            failures_from_address = by_address - 1,
            "console: login held back after {MAX_FAILURES} failures within 15 minutes"
        );
        return Ok(Attempt::Held);
    }
    Ok(Attempt::Noted(id))
}

/// The attempt `id` succeeded: it is not a failure.
///
/// # Errors
/// A database failure.
pub(crate) async fn succeeded(console: &Console, id: i64) -> anyhow::Result<()> {
    console.ctx.store.forget_login_attempt(id).await
}

/// The attempt failed (it stays noted): logged and counted.
pub(crate) fn failed(console: &Console, name: &str, address: &str) {
    console
        .metrics
        .login_failures
        .fetch_add(1, Ordering::Relaxed);
    tracing::warn!(user = name, address, "console: a login failed");
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn an_ipv6_address_counts_by_its_network_and_ipv4_as_itself() {
        let ip = |t: &str| t.parse().expect("an address");
        assert_eq!(counted(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(counted(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(counted(ip("2001:db8:1:3::1")), "2001:db8:1:3::/64");
        assert_eq!(counted(ip("10.1.2.3")), "10.1.2.3");
        assert_eq!(counted(ip("::ffff:10.1.2.3")), "10.1.2.3");
    }
}
