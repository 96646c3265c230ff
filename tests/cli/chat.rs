//! Fake chat platforms for the channel tests: one real HTTP server on loopback (axum) that
//! answers as a DingTalk custom robot (`POST /robot/send`), a WeCom group robot
//! (`POST /cgi-bin/webhook/send`) and a generic webhook receiver (`POST /hook`) do, checking
//! what they check: the token or key in the URL, DingTalk's signature (recomputed with the
//! secret; a timestamp more than an hour from its clock is refused) and keyword, the webhook's
//! HMAC header. It answers rate limits, server errors or a stall on request, drops a second
//! copy of a message it has seen (DingTalk's `msgUuid`, the webhook's delivery id), and keeps
//! every message it accepted.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use serde_json::{Value, json};

/// What the next request gets instead of the normal answer.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// This HTTP status, nothing accepted.
    Status(u16),
    /// HTTP 200 with this `errcode` and `errmsg`, nothing accepted.
    Errcode(i64, &'static str),
    /// Accept the message, then answer only after this long (the answer is lost to a client
    /// with a shorter timeout).
    Stall(Duration),
}

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// `dingtalk`, `wecom` or `webhook`.
    pub platform: &'static str,
    /// The body.
    pub body: Value,
}

/// What the platforms expect, and what arrived.
#[derive(Debug, Default)]
pub struct Platform {
    pub ding_token: String,
    pub ding_secret: Option<String>,
    pub ding_keyword: Option<String>,
    pub wecom_key: String,
    pub hook_secret: String,
    pub script: VecDeque<Scripted>,
    /// Every request, accepted or not.
    pub requests: usize,
    pub accepted: Vec<Accepted>,
    pub seen: HashSet<String>,
    /// Second copies dropped by their key.
    pub duplicates: usize,
}

type Shared = Arc<Mutex<Platform>>;

/// The server, stopped when dropped.
pub struct ChatServer {
    pub port: u16,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ChatServer {
    /// Starts the server on a free loopback port.
    pub fn start(platform: Platform) -> ChatServer {
        Self::start_on(0, Arc::new(Mutex::new(platform)))
    }

    fn start_on(port: u16, shared: Shared) -> ChatServer {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("its address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let app = axum::Router::new()
                    .route("/robot/send", post(dingtalk))
                    .route("/cgi-bin/webhook/send", post(wecom))
                    .route("/hook", post(webhook))
                    .with_state(state);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        ChatServer {
            port,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops answering (connections are refused) until [`ChatServer::restart`].
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Answers again, on the same port, with what arrived so far.
    pub fn restart(&mut self) {
        let again = ChatServer::start_on(self.port, Arc::clone(&self.shared));
        *self = again;
    }

    /// Looks at or changes the platform's state.
    pub fn with<T>(&self, f: impl FnOnce(&mut Platform) -> T) -> T {
        let mut p = self
            .shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut p)
    }

    /// The accepted messages.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.with(|p| p.accepted.clone())
    }

    /// The base URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for ChatServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn robot(errcode: i64, errmsg: &str) -> Response {
    axum::Json(json!({ "errcode": errcode, "errmsg": errmsg })).into_response()
}

/// The scripted answer for this request, if any (a stall accepts first).
fn scripted(p: &mut Platform) -> Option<Scripted> {
    p.script.pop_front()
}

async fn answer_scripted(
    shared: &Shared,
    script: Option<Scripted>,
    accept: impl FnOnce(&mut Platform),
    ok: Response,
) -> Response {
    match script {
        Some(Scripted::Status(code)) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Some(Scripted::Errcode(code, message)) => robot(code, message),
        Some(Scripted::Stall(pause)) => {
            accept(
                &mut shared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            tokio::time::sleep(pause).await;
            ok
        }
        None => {
            accept(
                &mut shared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            ok
        }
    }
}

/// Keeps `body` unless its `key` was seen (a second copy the platform drops).
fn accept_once(p: &mut Platform, platform: &'static str, key: Option<String>, body: Value) {
    if let Some(key) = key
        && !p.seen.insert(key)
    {
        p.duplicates += 1;
        return;
    }
    p.accepted.push(Accepted { platform, body });
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn dingtalk(
    State(shared): State<Shared>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    body: String,
) -> Response {
    let (script, check) = {
        let mut p = shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        p.requests += 1;
        let check = ding_check(&p, &query, &body);
        (
            if check.is_ok() {
                scripted(&mut p)
            } else {
                None
            },
            check,
        )
    };
    let body = match check {
        Ok(body) => body,
        Err((code, message)) => return robot(code, message),
    };
    let key = body["msgUuid"].as_str().map(str::to_owned);
    answer_scripted(
        &shared,
        script,
        |p| accept_once(p, "dingtalk", key, body),
        robot(0, "ok"),
    )
    .await
}

/// What DingTalk checks: the token, the signature and its timestamp, the keyword.
fn ding_check(
    p: &Platform,
    query: &std::collections::HashMap<String, String>,
    body: &str,
) -> Result<Value, (i64, &'static str)> {
    if query.get("access_token") != Some(&p.ding_token) {
        return Err((300_001, "token is not exist"));
    }
    if let Some(secret) = &p.ding_secret {
        let (Some(timestamp), Some(sign)) = (query.get("timestamp"), query.get("sign")) else {
            return Err((310_000, "sign not match, more: [sign is empty]"));
        };
        let Ok(ts) = timestamp.parse::<i64>() else {
            return Err((310_000, "sign not match, more: [timestamp is not a number]"));
        };
        if (now_ms() - ts).abs() > 3_600_000 {
            return Err((
                310_000,
                "sign not match, more: [timestamp is over one hour]",
            ));
        }
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        let expected = base64::engine::general_purpose::STANDARD
            .encode(ring::hmac::sign(&key, format!("{ts}\n{secret}").as_bytes()).as_ref());
        if *sign != expected {
            return Err((310_000, "sign not match"));
        }
    }
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        return Err((40_035, "missing or invalid json"));
    };
    if let Some(keyword) = &p.ding_keyword
        && !json["markdown"]["text"]
            .as_str()
            .is_some_and(|t| t.contains(keyword.as_str()))
    {
        return Err((310_000, "keywords not in content"));
    }
    Ok(json)
}

async fn wecom(
    State(shared): State<Shared>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    body: String,
) -> Response {
    let script = {
        let mut p = shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        p.requests += 1;
        if query.get("key") != Some(&p.wecom_key) {
            return robot(93_000, "invalid webhook url");
        }
        scripted(&mut p)
    };
    let Ok(json) = serde_json::from_str::<Value>(&body) else {
        return robot(40_035, "invalid json");
    };
    let size = match json["msgtype"].as_str() {
        Some("markdown") => json["markdown"]["content"].as_str().map_or(0, str::len),
        Some("text") => json["text"]["content"].as_str().map_or(0, str::len),
        _ => return robot(40_008, "invalid message type"),
    };
    let limit = if json["msgtype"] == "markdown" {
        4096
    } else {
        2048
    };
    if size > limit {
        return robot(40_058, "content exceed max length");
    }
    answer_scripted(
        &shared,
        script,
        |p| accept_once(p, "wecom", None, json),
        robot(0, "ok"),
    )
    .await
}

async fn webhook(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let script = {
        let mut p = shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        p.requests += 1;
        let (Some(timestamp), Some(signature)) = (
            header("x-duewatch-timestamp"),
            header("x-duewatch-signature"),
        ) else {
            return StatusCode::UNAUTHORIZED.into_response();
        };
        let Ok(ts) = timestamp.parse::<i64>() else {
            return StatusCode::UNAUTHORIZED.into_response();
        };
        if (now_ms() / 1000 - ts).abs() > 3600 {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, p.hook_secret.as_bytes());
        let tag = ring::hmac::sign(&key, format!("{ts}.{body}").as_bytes());
        let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        if signature != format!("sha256={hex}") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        scripted(&mut p)
    };
    let Ok(json) = serde_json::from_str::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let delivery = header("x-duewatch-delivery");
    answer_scripted(
        &shared,
        script,
        |p| accept_once(p, "webhook", delivery, json),
        StatusCode::NO_CONTENT.into_response(),
    )
    .await
}
