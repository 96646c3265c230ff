//! Who is asking, and may they (issue 16): every request to the console but the public few is
//! answered only once its [`Viewer`] is known, and every answer is cut to what that viewer's
//! role may see ([`crate::domain::account::Role`]).
//!
//! Design:
//! - **One gate** ([`gate`]) in front of every route but `/login`, `/style.css`, `/healthz`,
//!   `/metrics` and `/feeds/…` (a calendar app cannot log in: a feed has its own token). It
//!   finds the viewer, checks a POST's CSRF token and Origin ([`csrf`]), and hands the viewer to
//!   the handler as a request extension ([`Viewer`] is an extractor). Routes for supervisors
//!   only (`/outbox`, `/reports`) have a second gate, [`supervisors_only`]. The table test in
//!   `tests/cli/access.rs` asks every route as every role.
//! - **How a viewer is known** (`web.auth`, [`crate::config::AuthMode`]): a bearer token
//!   (`Authorization: Bearer …`, `duewatch token add`) on any route, whatever the mode; else
//!   with `password`, the session cookie ([`session`]) made by the login page ([`login`]);
//!   with `proxy`, the header `web.proxy_header` from an address in `web.trusted_proxies` only
//!   (from anywhere else it is ignored), the user still needing an enabled account; with
//!   `none` (loopback only), an anonymous reader who records nothing. `auto` is `password`
//!   once an account exists and `none` before.
//! - **Sessions live in the database** (several instances share them), keyed by the SHA-256 of
//!   the cookie's random value, with an idle and an absolute timeout; a login always makes a
//!   new one (no fixation); a disabled user's sessions are deleted and its lookups fail at once.
//! - **Every state-changing request of a browser carries the session's CSRF token** (a form's
//!   `csrf` field, or the `X-CSRF-Token` header), and an `Origin` it sends must be the console's
//!   own; the cookie is `HttpOnly`, `SameSite=Strict`, `Secure` when `web.secure_cookies`.
//!   Bearer-token requests carry no cookie and need no CSRF token.
//! - **Brute force** ([`limit`]): 5 failed logins for a name or from an address within 15
//!   minutes, and that name or address is answered 429 for 15 minutes; logged and counted.
//! - **What a refusal says**: a page asked without a login goes to the login page (and back
//!   after it); an API call gets 401; a role that may not gets 403; another section's case is
//!   404, as a case that does not exist (a section learns nothing of others' cases).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::Console;
use super::error::WebError;
use crate::config::AuthMode;
use crate::domain::account::{Act, Role, UserName};
use crate::domain::case::{Case, SectionCode};

pub(crate) mod csrf;
pub(crate) mod limit;
pub(crate) mod login;
pub(crate) mod session;

/// Who is asking: their name (none without a login), role and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The account's name; `None` for the anonymous reader of `web.auth = "none"`.
    pub name: Option<UserName>,
    /// What they may see and do.
    pub role: Role,
    /// The token a form of theirs must carry (a session's; none for a bearer token).
    pub csrf: Option<String>,
    /// How they were known.
    pub via: Via,
}

/// How a viewer was known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `web.auth = "none"`: nobody logs in; reads everything, records nothing.
    Open,
    /// The login page's session cookie.
    Session,
    /// A bearer token.
    Token,
    /// The trusted proxy's header (with a session cookie carrying the CSRF token).
    Proxy,
}

impl Viewer {
    /// Whether the viewer reads `case` (a section only its own).
    pub fn may_read(&self, case: &Case) -> bool {
        self.role.may_read(case)
    }

    /// Whether the viewer may record `act` on `case` (`None`: a new case). Nobody records
    /// without a login.
    pub fn may_record(&self, act: Act, case: Option<&Case>) -> bool {
        self.via != Via::Open && self.role.may_record(act, case)
    }

    /// Who the history names for a change the viewer makes.
    pub fn actor(&self) -> Option<String> {
        self.name.as_ref().map(ToString::to_string)
    }

    /// The section whose cases alone the viewer reads, if any.
    pub fn scope(&self) -> Option<&SectionCode> {
        self.role.section()
    }

    /// The anonymous reader of `web.auth = "none"`.
    fn open() -> Viewer {
        Viewer {
            name: None,
            role: Role::Leadership,
            csrf: None,
            via: Via::Open,
        }
    }
}

/// The viewer the gate found; a handler on a route without the gate gets 401 (a defect the
/// access table test would show).
impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Viewer, Response> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "请先登录。", false))
    }
}

tokio::task_local! {
    /// The viewer of the request being answered, for the menu every page shows (its name, the
    /// logout button, the pages its role opens). Never used to decide access: that is
    /// [`Viewer`]'s, from the request.
    static SHOWN: Viewer;
}

/// What the page's menu shows of the viewer of the request being answered, if any.
pub(crate) fn shown() -> Option<minijinja::Value> {
    SHOWN
        .try_with(|v| {
            minijinja::context! {
                name => v.name.as_ref().map(ToString::to_string),
                role => v.role.zh(),
                csrf => v.csrf.clone(),
                supervises => v.role.supervises(),
                logout => matches!(v.via, Via::Session),
            }
        })
        .ok()
}

/// Seconds since 1970 (UTC): what the account tables keep.
pub(crate) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The gate in front of every route that shows or changes a case: finds the viewer, checks a
/// state-changing request's CSRF token and Origin, then lets it through with the viewer.
pub(crate) async fn gate(
    State(console): State<Arc<Console>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let api = request.uri().path().starts_with("/api/");
    let found = match identify(&console, request.headers(), peer, api).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(Found { viewer, set_cookie }) = found else {
        let get = *request.method() == Method::GET;
        let asked = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        return unauthenticated(&console, get, &asked, api).await;
    };
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        request = match csrf::check(&console, &viewer, request, api).await {
            Ok(request) => request,
            Err(response) => return response,
        };
    }
    request.extensions_mut().insert(viewer.clone());
    let mut response = SHOWN.scope(viewer, next.run(request)).await;
    if let Some(cookie) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The second gate of `/outbox` and `/reports`: the supervisors' pages over every party.
pub(crate) async fn supervisors_only(viewer: Viewer, request: Request, next: Next) -> Response {
    if viewer.role.supervises() {
        next.run(request).await
    } else {
        let api = request.uri().path().starts_with("/api/");
        refuse(
            StatusCode::FORBIDDEN,
            "此页面仅供办公室、局领导和管理员查看。",
            api,
        )
    }
}

/// A viewer found, and a cookie to set with the answer (a proxy user's first request).
struct Found {
    viewer: Viewer,
    set_cookie: Option<HeaderValue>,
}

/// The way people log in now: `auto` settled by whether an account exists (checked until one
/// does, then remembered: accounts are disabled, never all deleted).
pub(crate) async fn mode(console: &Console) -> Result<AuthMode, WebError> {
    match console.ctx.config.web.auth {
        AuthMode::Auto => {
            if console
                .accounts_exist
                .load(std::sync::atomic::Ordering::Acquire)
            {
                return Ok(AuthMode::Password);
            }
            if console.ctx.store.has_users().await? {
                console
                    .accounts_exist
                    .store(true, std::sync::atomic::Ordering::Release);
                Ok(AuthMode::Password)
            } else {
                Ok(AuthMode::None)
            }
        }
        other => Ok(other),
    }
}

/// Finds the viewer of a request: `Ok(None)` when nobody is logged in; `Err` an answer already
/// (a wrong bearer token, a proxy user without an account, the database failing).
async fn identify(
    console: &Console,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    api: bool,
) -> Result<Option<Found>, Response> {
    let now = unix_now();
    let store = &console.ctx.store;
    let failed = |e: anyhow::Error| answer(WebError::from(e), api);
    if let Some(given) = bearer(headers) {
        let account = store
            .token_account(&crate::store::secret::hash(given), now)
            .await
            .map_err(failed)?;
        return match account {
            Some(a) => Ok(Some(Found {
                viewer: Viewer {
                    name: Some(a.name),
                    role: a.role,
                    csrf: None,
                    via: Via::Token,
                },
                set_cookie: None,
            })),
            None => Err(refuse(
                StatusCode::UNAUTHORIZED,
                "令牌无效、已撤销，或其用户已停用（duewatch token list）。",
                true,
            )),
        };
    }
    match mode(console).await.map_err(|e| answer(e, api))? {
        AuthMode::None | AuthMode::Auto => {
            // Open to whoever reaches a loopback listener: only under the loopback's own name
            // (or `web.base_url`'s), so that a page of another site cannot read the cases
            // through a browser on this machine by pointing a name of its own here.
            if !loopback_host(console, headers) {
                return Err(refuse(
                    StatusCode::MISDIRECTED_REQUEST,
                    "免登录的控制台只能以本机地址（127.0.0.1、localhost）或 web.base_url 访问。",
                    api,
                ));
            }
            Ok(Some(Found {
                viewer: Viewer::open(),
                set_cookie: None,
            }))
        }
        AuthMode::Password => {
            let Some(id) = session::cookie(headers) else {
                return Ok(None);
            };
            let found = session::find(console, &id, now).await.map_err(failed)?;
            Ok(found.map(|(account, csrf)| Found {
                viewer: Viewer {
                    name: Some(account.name),
                    role: account.role,
                    csrf: Some(csrf),
                    via: Via::Session,
                },
                set_cookie: None,
            }))
        }
        AuthMode::Proxy => proxied(console, headers, peer, now, api).await,
    }
}

/// `web.auth = "proxy"`: the user named by the trusted proxy's header, with a session for the
/// CSRF token of its forms (made at its first request, and again when the name changes).
async fn proxied(
    console: &Console,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    now: i64,
    api: bool,
) -> Result<Option<Found>, Response> {
    let web = &console.ctx.config.web;
    let trusted = peer.is_some_and(|ip| web.trusted_proxies.iter().any(|p| p.contains(ip)));
    if !trusted {
        if headers.contains_key(web.proxy_header.as_str()) {
            tracing::warn!(
                peer = ?peer,
                header = %web.proxy_header,
                "console: a single sign-on header from an address not in web.trusted_proxies is ignored"
            );
        }
        return Ok(None);
    }
    // Exactly one: a proxy that adds its header instead of replacing the client's would
    // otherwise let the client's own value through.
    let values: Vec<&HeaderValue> = headers.get_all(web.proxy_header.as_str()).iter().collect();
    let value = match values.as_slice() {
        [one] => *one,
        [] => return Ok(None),
        _ => {
            tracing::warn!(
                header = %web.proxy_header,
                "console: the single sign-on header came more than once; refused"
            );
            return Ok(None);
        }
    };
    let Some(name) = value.to_str().ok().map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let store = &console.ctx.store;
    let failed = |e: anyhow::Error| answer(WebError::from(e), api);
    let account = match store.user(name).await.map_err(failed)? {
        Some((account, _)) if !account.disabled => account,
        _ => {
            tracing::warn!(
                user = name,
                "console: single sign-on of a user without an enabled account"
            );
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "您已通过统一身份认证，但在 duewatch 中没有启用的账号。请联系管理员（duewatch user add）。",
                api,
            ));
        }
    };
    // The session only carries the CSRF token: who it is comes from the header every time.
    if let Some(id) = session::cookie(headers)
        && let Some((held, csrf)) = session::find(console, &id, now).await.map_err(failed)?
        && held.id == account.id
    {
        return Ok(Some(Found {
            viewer: Viewer {
                name: Some(account.name),
                role: account.role,
                csrf: Some(csrf),
                via: Via::Proxy,
            },
            set_cookie: None,
        }));
    }
    let (cookie, csrf) = session::open(console, account.id, now)
        .await
        .map_err(failed)?;
    Ok(Some(Found {
        viewer: Viewer {
            name: Some(account.name),
            role: account.role,
            csrf: Some(csrf),
            via: Via::Proxy,
        },
        set_cookie: Some(cookie),
    }))
}

/// Whether the request's `Host` is a loopback address, `localhost`, or `web.base_url`'s host.
fn loopback_host(console: &Console, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Ok(url) = url::Url::parse(&format!("http://{host}")) else {
        return false;
    };
    let named = url.host_str().unwrap_or_default();
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    loopback
        || console.ctx.config.web.base_url.as_ref().is_some_and(|b| {
            url::Url::parse(&b.origin()).is_ok_and(|o| o.host_str() == Some(named))
        })
}

/// The token of `Authorization: Bearer …`, if the request has one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Nobody is logged in: a page read in the browser goes to the login page (and comes back to
/// the page after it); anything else is 401.
async fn unauthenticated(console: &Console, get: bool, asked: &str, api: bool) -> Response {
    let proxy = matches!(mode(console).await, Ok(AuthMode::Proxy));
    if proxy {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "请通过单位的统一身份认证入口访问本系统。",
            api,
        );
    }
    if !api && get {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("next", asked)
            .finish();
        return Redirect::to(&format!("/login?{query}")).into_response();
    }
    refuse(StatusCode::UNAUTHORIZED, "请先登录。", api)
}

/// A refusal: a JSON `{"error": …}` for the API, the console's error page otherwise.
pub(crate) fn refuse(status: StatusCode, message: &str, api: bool) -> Response {
    answer(WebError::with_status(status, message), api)
}

/// `error` as the API answers it (JSON) or as a page.
fn answer(error: WebError, api: bool) -> Response {
    if api {
        super::api::json_error(&error)
    } else {
        error.into_response()
    }
}
