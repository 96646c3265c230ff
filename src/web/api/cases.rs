//! The write API (issue 16): the command line's case commands over HTTP, in JSON, for other
//! systems and scripts (a bearer token from `duewatch token add`, or a browser's session with
//! its CSRF token in `X-CSRF-Token`). Every act is recorded by [`crate::acts::record`], as the
//! command line and the console's forms record it, with the user as the history's actor.
//!
//! - `GET /api/v1/cases/{reference}`: the bytes `duewatch case show REFERENCE --json` prints
//!   ([`crate::output::case::json_with_record`]), as of today, its notifications included
//!   (without their error texts for a section);
//! - `GET /api/v1/cases/{reference}/notifications` (issue 17): `{reference, notifications}`,
//!   every notification of the case, by mail or chat channel, and its delivery
//!   ([`crate::output::record`]), newest first; read as the case is (a section its own cases
//!   only); the platforms' and relays' error texts for supervisors only, as on the case page;
//! - `POST /api/v1/cases` `{reference, received_on, subject?, channel?}`: a new case;
//! - `POST /api/v1/cases/{reference}/{act}`: `forward` `{section, on}`, `extend` `{days,
//!   approved_by, on, reason?}`, `suspend` `{from, reason, note?}`, `resume` `{on}`, `notice`
//!   `{kind, on}`, `correct` `{received}`, `reply` `{on}`, `close` `{on, reason}`; each also
//!   takes `allow_old` (`--allow-old`: a date more than a year ago is meant).
//!
//! Answers: 200 with the case as `GET` gives it; 400 a body that is not a JSON object, or a
//! field that is unknown, missing or does not parse (named); 401 not logged in (the gate); 403
//! the role may not; 404 no such case, or one the viewer may not read; 409 `cases.source =
//! "sql"`; 422 a rule refuses (the command line's message). Errors are `{"error": "..."}`.
//! Nothing is written on any refusal.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::super::auth::Viewer;
use super::super::error::WebError;
use super::super::fields::{self, Raw};
use super::super::{Console, case, record};
use super::json_error;
use crate::domain::account::Act;
use crate::domain::case::Reference;
use crate::domain::deadline;

/// `GET /api/v1/cases/{reference}`.
pub(crate) async fn show(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    answer(async {
        let Path(given) = path.map_err(|_| bad_path())?;
        let reference = case::reference(&given)?;
        case_json(&console, &viewer, &reference).await
    })
    .await
}

/// `GET /api/v1/cases/{reference}/notifications`.
pub(crate) async fn notifications(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    answer(async {
        let Path(given) = path.map_err(|_| bad_path())?;
        let reference = case::reference(&given)?;
        case::readable(&console, &viewer, &reference).await?;
        let record = record(&console, &viewer, &reference).await?;
        let body = serde_json::json!({ "reference": reference.as_str(), "notifications": record });
        Ok(serde_json::to_vec_pretty(&body).map_err(anyhow::Error::from)?)
    })
    .await
}

/// `POST /api/v1/cases`.
pub(crate) async fn add(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    body: Bytes,
) -> Response {
    answer(async {
        record::writable(&console)?;
        if !viewer.may_record(Act::Add, None) {
            return Err(forbidden(&viewer, Act::Add));
        }
        recorded(&console, &viewer, Act::Add, None, &body).await
    })
    .await
}

/// `POST /api/v1/cases/{reference}/{act}`.
pub(crate) async fn act(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Response {
    answer(async {
        let Path((given, word)) = path.map_err(|_| bad_path())?;
        let reference = case::reference(&given)?;
        let Some(act) = Act::from_word(&word).filter(|&a| a != Act::Add) else {
            return Err(WebError::not_found(format!(
                "no act \"{}\": the acts are forward, extend, suspend, resume, notice, correct, \
                 reply, close, return",
                crate::domain::case::text::escaped(
                    &word.chars().take(40).collect::<String>(),
                    false
                )
            )));
        };
        record::writable(&console)?;
        let (case, _) = case::readable(&console, &viewer, &reference).await?;
        if !viewer.may_record(act, Some(&case)) {
            return Err(forbidden(&viewer, act));
        }
        recorded(&console, &viewer, act, Some(&reference), &body).await
    })
    .await
}

/// Records `act` from the JSON `body`; the case as `GET` gives it.
async fn recorded(
    console: &Console,
    viewer: &Viewer,
    act: Act,
    reference: Option<&Reference>,
    body: &[u8],
) -> Result<Vec<u8>, WebError> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| {
            WebError::bad_request(format!(
                "the body is not a JSON object ({e}); send {{\"field\": value, …}} with the \
                 fields of {}: {}",
                act.word(),
                fields::fields(act)
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let given: Vec<_> = object
        .iter()
        .map(|(name, value)| (name.as_str(), Raw::json(value)))
        .collect();
    let (parsed, allow_old) = fields::parse(act, reference, &given, &[])
        .map_err(|e| WebError::bad_request(e.to_string()))?;
    let reference = parsed.reference().clone();
    match record::record(console, viewer, parsed, allow_old).await? {
        // A section that gave the case back (退回) no longer reads it; it is answered the case
        // as the act left it, once, as it held it a moment ago.
        Ok(case) if !viewer.may_read(&case) => {
            let as_held = Viewer {
                role: crate::domain::account::Role::Office,
                ..viewer.clone()
            };
            case_json(console, &as_held, &reference).await
        }
        Ok(_) => case_json(console, viewer, &reference).await,
        Err(message) => Err(WebError::with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            message,
        )),
    }
}

/// The case as `duewatch case show --json` prints it, as of today.
async fn case_json(
    console: &Console,
    viewer: &Viewer,
    reference: &Reference,
) -> Result<Vec<u8>, WebError> {
    let (case, history) = case::readable(console, viewer, reference).await?;
    let config = &console.ctx.config;
    let status = deadline::evaluate(
        &case,
        &config.rules,
        &console.ctx.calendar(),
        config.timezone.today(),
    )
    .map_err(|e| anyhow::anyhow!("case {reference}: its deadlines cannot be counted: {e}"))?;
    let record = record(console, viewer, reference).await?;
    let mut out = Vec::new();
    crate::output::case::json_with_record(&mut out, &case, &status, &history, &record)?;
    Ok(out)
}

/// The case's notifications as `viewer` may see them: the platforms' and relays' error texts
/// for supervisors only, as on the case page.
async fn record(
    console: &Console,
    viewer: &Viewer,
    reference: &Reference,
) -> Result<Vec<crate::output::record::Notification>, WebError> {
    let told = console.ctx.store.told(reference.as_str(), 10_000).await?;
    let mut record = crate::output::record::notifications(&told, console.ctx.config.timezone.tz());
    if !viewer.role.supervises() {
        for n in &mut record {
            n.error = None;
        }
    }
    Ok(record)
}

/// 200 with the JSON, or the error as `{"error": "..."}`.
async fn answer(work: impl Future<Output = Result<Vec<u8>, WebError>>) -> Response {
    match work.await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => json_error(&e),
    }
}

fn bad_path() -> WebError {
    WebError::bad_request("the address is not valid UTF-8 text")
}

fn forbidden(viewer: &Viewer, act: Act) -> WebError {
    WebError::with_status(
        StatusCode::FORBIDDEN,
        format!(
            "the role {} may not record \"{}\" here",
            viewer.role,
            act.word()
        ),
    )
}
