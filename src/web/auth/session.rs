//! The session cookie: its random value (256 bits from the system's generator), kept in the
//! database only as its SHA-256, so that a copy of the database opens no session; its flags
//! (`HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` when `web.secure_cookies`); and the
//! session's timeouts (`web.session_idle_mins` without a request, `web.session_max_hours` after
//! the login).

use axum::http::{HeaderMap, HeaderValue, header};

use super::super::Console;
use crate::store::Account;
use crate::store::secret;

/// The cookie's name.
pub(crate) const COOKIE: &str = "duewatch_session";

/// The value of cookie `name` in the request, if it has one (the first, as browsers send the
/// most specific first).
pub(crate) fn named_cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// The session cookie's value, if the request has one.
pub(crate) fn cookie(headers: &HeaderMap) -> Option<String> {
    named_cookie(headers, COOKIE).map(str::to_owned)
}

/// A `Set-Cookie` value for cookie `name` = `value`, living `max_age` seconds (`0`: deleted).
pub(crate) fn set_cookie(console: &Console, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if console.ctx.config.web.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    // The value is hex digits and the rest fixed text: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The timeouts in seconds: idle, absolute.
fn limits(console: &Console) -> (i64, i64) {
    let web = &console.ctx.config.web;
    (
        i64::from(web.session_idle_mins) * 60,
        i64::from(web.session_max_hours) * 3600,
    )
}

/// The account and CSRF token of session `id`, if it is alive (it is touched, or deleted when
/// it ran out).
///
/// # Errors
/// A database failure.
pub(crate) async fn find(
    console: &Console,
    id: &str,
    now: i64,
) -> anyhow::Result<Option<(Account, String)>> {
    let (idle, max) = limits(console);
    console
        .ctx
        .store
        .session(&secret::hash(id), now, idle, max)
        .await
}

/// Opens a new session for account `user_id`: the `Set-Cookie` header and the CSRF token.
///
/// # Errors
/// The random generator or the database failed.
pub(crate) async fn open(
    console: &Console,
    user_id: i64,
    now: i64,
) -> anyhow::Result<(HeaderValue, String)> {
    let id = secret::new_token()?;
    let csrf = secret::new_token()?;
    console
        .ctx
        .store
        .open_session(&secret::hash(&id), user_id, &csrf, now)
        .await?;
    let (_, max) = limits(console);
    Ok((set_cookie(console, COOKIE, &id, max), csrf))
}

/// Ends session `id` (logout): the row is deleted; the `Set-Cookie` that deletes the cookie.
///
/// # Errors
/// A database failure.
pub(crate) async fn close(console: &Console, id: &str) -> anyhow::Result<HeaderValue> {
    console.ctx.store.close_session(&secret::hash(id)).await?;
    Ok(set_cookie(console, COOKIE, "", 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_an_empty_one_is_none() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; duewatch_session=abc123 ; b=2"),
        );
        assert_eq!(cookie(&headers).as_deref(), Some("abc123"));
        assert_eq!(named_cookie(&headers, "b"), Some("2"));
        let mut empty = HeaderMap::new();
        empty.append(
            header::COOKIE,
            HeaderValue::from_static("duewatch_session="),
        );
        assert_eq!(cookie(&empty), None);
        assert_eq!(cookie(&HeaderMap::new()), None);
    }
}
