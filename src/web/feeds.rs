//! `GET /feeds/{section}.ics?token=TOKEN`: a section's open deadlines as iCalendar, exactly as
//! `duewatch ics SECTION` writes them ([`crate::output::feeds::section_ics`]), for calendar apps
//! that subscribe. The token is the section's from `duewatch feed token SECTION`, checked
//! against its stored hash in constant time. No token, a wrong or revoked one, an unknown
//! section, a path without `.ics`: the same 404 page as any unknown path, which says nothing
//! of which it was; nothing logs the token (the 404 names the path, never the query).

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};

use super::Console;
use super::error::{self, WebError};
use crate::domain::case::SectionCode;
use crate::store::secret;

/// `GET /feeds/{file}` (axum cannot match `{section}.ics` within one segment).
pub(crate) async fn feed(
    State(console): State<Arc<Console>>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
    uri: Uri,
) -> Result<Response, WebError> {
    // A path that is not UTF-8 names no section: the same 404.
    let Ok(Path(file)) = path else {
        return Err(error::not_found(uri).await);
    };
    let Some(section) = allowed(&console, &file, raw.as_deref()).await? else {
        return Err(error::not_found(uri).await);
    };
    let ctx = &console.ctx;
    // As `duewatch ics`: today in the bureau's time zone, DTSTAMP the UTC time now.
    let today = ctx.now().date();
    let stamp = chrono::Utc::now().naive_utc();
    let calendar = ctx.calendar();
    let (text, _) = crate::output::feeds::section_ics(
        &ctx.source,
        &ctx.config,
        &calendar,
        &section,
        today,
        stamp,
    )
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{section}.ics\""),
            ),
        ],
        text,
    )
        .into_response())
}

/// The section `file` names when the query holds its current token; `None` otherwise,
/// whatever the reason.
///
/// # Errors
/// The database failed (a 500, not a 404: the token may well be right).
async fn allowed(
    console: &Console,
    file: &str,
    query: Option<&str>,
) -> anyhow::Result<Option<SectionCode>> {
    let Some(section) = file
        .strip_suffix(".ics")
        .and_then(|code| SectionCode::parse(code).ok())
        .filter(|code| console.ctx.config.section(code).is_some())
    else {
        return Ok(None);
    };
    let mut tokens = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "token")
        .map(|(_, v)| v);
    let (Some(token), None) = (tokens.next(), tokens.next()) else {
        return Ok(None);
    };
    let stored = console.ctx.store.feed_token_hash(&section).await?;
    Ok(stored
        .filter(|hash| secret::matches(hash, &token))
        .map(|_| section))
}
