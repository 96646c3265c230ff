//! `GET /login`, `POST /login` (form fields `username`, `password`), `POST /logout`.
//!
//! The login form carries a token that must equal its own cookie (`duewatch_login`, set with
//! the form), and its `Origin` must be the console's: no other site can log a browser in under
//! an account of its choosing. A login always opens a new session (whatever cookie the browser
//! brought: no session fixation), after the brute-force check ([`super::limit`]); a wrong name
//! and a wrong password get the same answer, in the same time (a dummy hash is verified for an
//! unknown name). `next` brings the user back to the page they asked for, if it is one of the
//! console's own paths.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::super::error::WebError;
use super::super::{Console, render};
use super::session::{self, named_cookie, set_cookie};
use super::{Viewer, limit, mode, unix_now};
use crate::config::AuthMode;
use crate::domain::account::UserName;
use crate::store::secret;

/// The cookie that pairs the login form with the browser it was given to.
const LOGIN_COOKIE: &str = "duewatch_login";

/// What `GET /login` takes.
#[derive(Debug, Deserialize)]
pub(crate) struct Asked {
    next: Option<String>,
}

/// The login form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// `next` if it is a path of this console (`/…`, not `//host` nor `/\host`), else `/`.
fn local(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if ok { next } else { "/" }
}

/// `GET /login`.
pub(crate) async fn page(
    State(console): State<Arc<Console>>,
    Query(asked): Query<Asked>,
) -> Result<Response, WebError> {
    let next = local(asked.next.as_deref().unwrap_or("/")).to_owned();
    form(&console, StatusCode::OK, "", &next, None)
}

/// The login page with `message` (empty: none), a fresh form token and its cookie.
fn form(
    console: &Console,
    status: StatusCode,
    username: &str,
    next: &str,
    message: Option<&str>,
) -> Result<Response, WebError> {
    let token = secret::new_token()?;
    let proxy = console.ctx.config.web.auth == AuthMode::Proxy;
    let html = render::page(
        "login.html",
        context! { username, next, message, csrf => token.clone(), proxy, login => true },
    )?;
    let cookie = set_cookie(console, LOGIN_COOKIE, &token, 3600);
    Ok((status, [(header::SET_COOKIE, cookie)], html).into_response())
}

/// `POST /login`.
pub(crate) async fn submit(
    State(console): State<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(given): Form<LoginForm>,
) -> Result<Response, WebError> {
    let next = local(&given.next).to_owned();
    let paired = named_cookie(&headers, LOGIN_COOKIE)
        .is_some_and(|c| !given.csrf.is_empty() && c == given.csrf);
    if !paired || !super::csrf::same_origin(&console, &headers) {
        return Ok(super::refuse(
            StatusCode::FORBIDDEN,
            "登录表单已过期或来自其他网站。请重新打开登录页面。",
            false,
        ));
    }
    if mode(&console).await? != AuthMode::Password {
        return form(
            &console,
            StatusCode::FORBIDDEN,
            &given.username,
            &next,
            Some("本系统未启用密码登录（web.auth）。"),
        );
    }
    let now = unix_now();
    let name = given.username.trim();
    let address = limit::address(&console, Some(peer.ip()), &headers);
    let held = |console: &Console| {
        form(
            console,
            StatusCode::TOO_MANY_REQUESTS,
            name,
            &next,
            Some("登录失败次数过多，请 15 分钟后再试。"),
        )
    };
    let wrong = |console: &Console| {
        form(
            console,
            StatusCode::UNAUTHORIZED,
            name,
            &next,
            Some("用户名或密码不正确。"),
        )
    };
    // Noted as failed before anything is checked: logins sent at once all count (limit's doc).
    let limit::Attempt::Noted(attempt) = limit::attempt(&console, name, &address, now).await?
    else {
        return held(&console);
    };
    // No account can have a name that is not one: no password is checked for it.
    if UserName::parse(name).is_err() {
        limit::failed(&console, name, &address);
        return wrong(&console);
    }
    // A password check takes argon2id's memory: a few at a time.
    let Ok(_turn) = console.logins.try_acquire() else {
        limit::succeeded(&console, attempt).await?;
        return form(
            &console,
            StatusCode::TOO_MANY_REQUESTS,
            name,
            &next,
            Some("此刻登录的人过多，请稍后再试。"),
        );
    };
    let found = console.ctx.store.user(name).await?;
    let (account, hash) = match found {
        Some((account, hash)) if !account.disabled => (Some(account), hash),
        _ => (None, None),
    };
    // Verified even for an unknown or disabled name (a dummy hash): the same time either way.
    let password = given.password;
    let verified =
        tokio::task::spawn_blocking(move || secret::verify_password(hash.as_deref(), &password))
            .await
            .map_err(anyhow::Error::from)?;
    let Some(account) = account.filter(|_| verified) else {
        limit::failed(&console, name, &address);
        return wrong(&console);
    };
    limit::succeeded(&console, attempt).await?;
    // A new session whatever the browser brought: an old cookie is never taken over.
    if let Some(old) = session::cookie(&headers) {
        console.ctx.store.close_session(&secret::hash(&old)).await?;
    }
    let (cookie, _) = session::open(&console, account.id, now).await?;
    tracing::info!(user = %account.name, address, "console: logged in");
    let mut response = Redirect::to(&next).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookie);
    headers.append(
        header::SET_COOKIE,
        set_cookie(&console, LOGIN_COOKIE, "", 0),
    );
    Ok(response)
}

/// `POST /logout` (behind the gate, so with its CSRF token): the session ends.
pub(crate) async fn logout(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let mut response = Redirect::to("/login").into_response();
    if let Some(id) = session::cookie(&headers) {
        let cookie = session::close(&console, &id).await?;
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    tracing::info!(user = ?viewer.name, "console: logged out");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn only_the_consoles_own_paths_are_followed_after_the_login() {
        assert_eq!(local("/cases?party=ss"), "/cases?party=ss");
        for away in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example",
            "",
            "cases",
        ] {
            assert_eq!(local(away), "/", "{away}");
        }
    }
}
