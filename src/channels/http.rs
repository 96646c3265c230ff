//! One HTTP/1.1 POST of a JSON body, bounded by a timeout as a whole (connecting, TLS, sending
//! and reading the answer), on a fresh connection: hyper's client half on a socket we open,
//! rustls with the platform's verifier for `https`. Posts are rare (at most a few a minute per
//! channel): no pool.
//!
//! What it reports matters to the outbox: a failure **before** the request was written
//! (no connection, a TLS failure) means the platform has nothing ([`HttpError::NotSent`]); a
//! failure after it (a timeout, a dropped connection) means it may have posted the message
//! ([`HttpError::Uncertain`]).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

/// The most of an answer read: the platforms answer a few dozen bytes of JSON.
const ANSWER_MAX_BYTES: usize = 64 * 1024;

/// An answer: its status and body.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The body (at most [`ANSWER_MAX_BYTES`]).
    pub(crate) body: Vec<u8>,
}

/// Why a post has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HttpError {
    /// Nothing reached the platform (no connection, TLS refused).
    #[error("{0}")]
    NotSent(String),
    /// The request may have reached it (a timeout or a dropped connection after sending).
    #[error("{0}")]
    Uncertain(String),
}

/// The TLS settings, made once: the platform's verifier (the system's roots), ring.
fn tls() -> Result<Arc<rustls::ClientConfig>, String> {
    static TLS: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
            .map_err(|e| format!("the system's certificates cannot be used: {e}"))?;
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Arc::new(config))
    })
    .clone()
}

/// POSTs `body` (JSON) to `url` with `headers`, within `timeout` in all.
///
/// # Errors
/// No answer within the timeout, or no connection: [`HttpError`] says whether the request may
/// have arrived.
pub(crate) async fn post_json(
    url: &url::Url,
    headers: &[(&'static str, String)],
    body: String,
    timeout: Duration,
) -> Result<Answer, HttpError> {
    // Until the request is written, a failure is `NotSent`; the exchange reports its own.
    let deadline = tokio::time::Instant::now() + timeout;
    let host = url
        .host_str()
        .ok_or_else(|| HttpError::NotSent("the URL has no host".to_owned()))?
        .to_owned();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| HttpError::NotSent("the URL has no port".to_owned()))?;
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tcp = tokio::time::timeout_at(
        deadline,
        tokio::net::TcpStream::connect((bare.as_str(), port)),
    )
    .await
    .map_err(|_| HttpError::NotSent(format!("no connection to {host}:{port} within {timeout:?}")))?
    .map_err(|e| HttpError::NotSent(format!("no connection to {host}:{port}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let request = build(&authority, &path, headers, body)?;
    if url.scheme() == "https" {
        let name = rustls::pki_types::ServerName::try_from(bare.clone())
            .map_err(|e| HttpError::NotSent(format!("\"{host}\" is not a TLS server name: {e}")))?;
        let connector = tokio_rustls::TlsConnector::from(tls().map_err(HttpError::NotSent)?);
        let stream = tokio::time::timeout_at(deadline, connector.connect(name, tcp))
            .await
            .map_err(|_| {
                HttpError::NotSent(format!("TLS with {host} did not finish within {timeout:?}"))
            })?
            .map_err(|e| HttpError::NotSent(format!("TLS with {host} failed: {e}")))?;
        exchange(stream, request, deadline, &host).await
    } else {
        exchange(tcp, request, deadline, &host).await
    }
}

fn build(
    authority: &str,
    path: &str,
    headers: &[(&'static str, String)],
    body: String,
) -> Result<hyper::Request<Full<Bytes>>, HttpError> {
    let mut builder = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(
            hyper::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )
        .header(
            hyper::header::USER_AGENT,
            concat!("duewatch/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| HttpError::NotSent(format!("the request cannot be made: {e}")))
}

/// Sends `request` on `stream` and reads the answer, by `deadline`.
async fn exchange<S>(
    stream: S,
    request: hyper::Request<Full<Bytes>>,
    deadline: tokio::time::Instant,
    host: &str,
) -> Result<Answer, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = tokio::time::timeout_at(
        deadline,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| HttpError::NotSent(format!("{host} did not answer in time")))?
    .map_err(|e| HttpError::NotSent(format!("HTTP with {host}: {e}")))?;
    let driver = tokio::spawn(connection);
    let answer = tokio::time::timeout_at(deadline, async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| HttpError::Uncertain(format!("{host} dropped the request: {e}")))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), ANSWER_MAX_BYTES)
            .collect()
            .await
            .map_err(|e| HttpError::Uncertain(format!("reading {host}'s answer: {e}")))?
            .to_bytes()
            .to_vec();
        Ok(Answer { status, body })
    })
    .await
    .unwrap_or_else(|_| {
        Err(HttpError::Uncertain(format!(
            "{host} did not answer in time: the message may or may not have been posted"
        )))
    });
    driver.abort();
    answer
}
