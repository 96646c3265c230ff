//! Cross-site request forgery: a state-changing request from a browser (a session's, or a
//! single sign-on user's) must carry the session's token, as the form field `csrf` or the
//! header `X-CSRF-Token`, and an `Origin` (or, without one, a `Referer`) it sends must be the
//! console's own: `web.base_url`'s, or the address the request was sent to. A bearer token's
//! request carries no cookie, so no other site can make a browser send it: it needs neither.
//! A refusal is 403 and the handler never runs, so nothing is written.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::super::Console;
use super::{Via, Viewer, refuse};

/// The header a script or another system sends the token in.
pub(crate) const HEADER: &str = "x-csrf-token";

/// The largest form read for its token (the console's body limit).
const FORM_LIMIT: usize = super::super::BODY_LIMIT;

/// Lets `request` through when its CSRF token and origin are right; the 403 otherwise.
///
/// # Errors
/// The refusal to answer with.
pub(crate) async fn check(
    console: &Console,
    viewer: &Viewer,
    request: Request,
    api: bool,
) -> Result<Request, Response> {
    match viewer.via {
        Via::Token => return Ok(request),
        Via::Open => {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "控制台处于免登录只读模式（web.auth = \"none\"），不能记录。请管理员建立账号后登录。",
                api,
            ));
        }
        Via::Session | Via::Proxy => {}
    }
    if !same_origin(console, request.headers()) {
        tracing::warn!(
            user = ?viewer.name,
            origin = ?request.headers().get(header::ORIGIN),
            "console: a request from another origin was refused"
        );
        return Err(forged(api));
    }
    let Some(expected) = viewer.csrf.as_deref() else {
        return Err(forged(api));
    };
    let (request, given) = token(request).await?;
    if given.is_some_and(|g| same(g.as_bytes(), expected.as_bytes())) {
        Ok(request)
    } else {
        tracing::warn!(user = ?viewer.name, "console: a request without its CSRF token was refused");
        Err(forged(api))
    }
}

/// The 403 of a forged or stale request.
fn forged(api: bool) -> Response {
    refuse(
        StatusCode::FORBIDDEN,
        "请求未通过安全校验（表单已过期，或来自其他网站）。请返回页面刷新后重试；未作任何修改。",
        api,
    )
}

/// The token the request carries (header first, else the form's `csrf` field), and the
/// request with its body put back.
async fn token(request: Request) -> Result<(Request, Option<String>), Response> {
    if let Some(given) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        let given = given.to_owned();
        return Ok((request, Some(given)));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE, "表单内容过长。", false))?;
    let given = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    Ok((Request::from_parts(parts, Body::from(bytes)), given))
}

/// Whether the request's `Origin` (else its `Referer`) is the console's own, or it sends
/// neither (older browsers; the token decides then).
pub(crate) fn same_origin(console: &Console, headers: &HeaderMap) -> bool {
    let sent = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(sent) = sent else {
        return true;
    };
    let Ok(sent) = url::Url::parse(sent) else {
        // "null" (a sandboxed frame, a redirect from elsewhere) or garbage.
        return false;
    };
    let sent = sent.origin().ascii_serialization();
    if let Some(base) = &console.ctx.config.web.base_url
        && base.origin() == sent
    {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    ["http", "https"]
        .iter()
        .filter_map(|scheme| url::Url::parse(&format!("{scheme}://{host}")).ok())
        .any(|own| own.origin().ascii_serialization() == sent)
}

/// Whether `a` and `b` are equal, looking at every byte whatever differs first.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let differ = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(differ) == 0
}
