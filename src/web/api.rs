//! `GET /api/v1/status[?as_of=YYYY-MM-DD]`: exactly the bytes `duewatch status --json` prints
//! (docs/reference.md), for other systems: every open case's current stage as of `as_of`
//! (default today in the configured time zone), read fresh from the source, not the snapshot.
//! Both write it with [`crate::output::status::list`]. Refusals are JSON too:
//! `{"error": "..."}`, naming the parameter.
//!
//! The write API (one case, and recording acts) is in `api/cases.rs`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

mod cases;

pub(crate) use cases::{act, add, notifications, show};

use super::Console;
use super::error::WebError;
use super::query::Params;
use crate::calendar::{FIRST_DAY, LAST_DAY};
use crate::output::status::{self, Listing};

/// What `/api/v1/status` takes.
const PARAMETERS: &[&str] = &["as_of"];

/// `GET /api/v1/status`.
pub(crate) async fn status(
    State(console): State<Arc<Console>>,
    viewer: super::auth::Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    match listing(&console, viewer.scope(), raw.as_deref()).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => json_error(&e),
    }
}

/// The JSON of `status --json` (a section's viewer: `status --json --section CODE`'s).
async fn listing(
    console: &Console,
    scope: Option<&crate::domain::case::SectionCode>,
    raw: Option<&str>,
) -> Result<Vec<u8>, WebError> {
    let params = Params::parse(raw, PARAMETERS)?;
    let today = match params.date("as_of")? {
        // As `status --as-of`: only the dates the calendar counts on.
        Some(d) if !(FIRST_DAY..=LAST_DAY).contains(&d) => {
            return Err(WebError::bad_request(format!(
                "参数“as_of”应在 {FIRST_DAY} 至 {LAST_DAY} 之间（duewatch 计算期限的日期范围），收到“{d}”"
            )));
        }
        Some(d) => d,
        None => console.ctx.config.timezone.today(),
    };
    // Every case is read: a turn among the few such requests at once.
    let _turn = console.heavy.acquire().await.map_err(anyhow::Error::from)?;
    let listing = Listing {
        open_only: true,
        section: scope,
        today,
        as_json: true,
    };
    let cal = console.ctx.calendar();
    let mut out = Vec::new();
    // What cannot be listed is left out, as by `status --json` (whose stderr names it; the
    // console's `/` counts it).
    status::list(
        &mut out,
        &console.ctx.source,
        &cal,
        &console.ctx.config,
        &listing,
        |_| {},
    )
    .await?;
    Ok(out)
}

/// A refusal as `{"error": "..."}` with its status.
pub(crate) fn json_error(e: &WebError) -> Response {
    let body = serde_json::json!({ "error": e.message() }).to_string();
    (
        e.status(),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
