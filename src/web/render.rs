//! The console's templates and stylesheet, compiled into the binary (the pages are the
//! contract; administrators tune mail templates, not these). minijinja escapes every value in a
//! `.html` template, so text from a case system shows as text.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{Html, IntoResponse};

/// Every page template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("error.html", include_str!("templates/error.html")),
    ("overview.html", include_str!("templates/overview.html")),
    ("cases.html", include_str!("templates/cases.html")),
    ("case.html", include_str!("templates/case.html")),
    ("act_form.html", include_str!("templates/act_form.html")),
    ("new_case.html", include_str!("templates/new_case.html")),
    ("outbox.html", include_str!("templates/outbox.html")),
    ("calendar.html", include_str!("templates/calendar.html")),
    ("reports.html", include_str!("templates/reports.html")),
    ("login.html", include_str!("templates/login.html")),
];

/// The one stylesheet: readable at 1280 px and on a phone, and printed on A4.
const STYLESHEET: &str = include_str!("templates/style.css");

static ENVIRONMENT: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // minijinja's `urlencode` keeps '/' (as Jinja's does): a reference such as `2026/0042`
    // would then link to `/cases/2026/0042`, no route. Ours encodes all but the unreserved
    // characters, so `/cases/{{ r.reference|urlencode }}` is one path segment and
    // `?party={{ p.code|urlencode }}` one query value.
    env.add_filter("urlencode", |v: &str| segment(v));
    for (name, source) in TEMPLATES {
        // The templates are part of the binary and each is rendered by the tests: a syntax
        // error is a build defect, shown on the page that uses it (`page` returns it).
        if let Err(e) = env.add_template(name, source) {
            tracing::error!("console template {name}: {e}");
        }
    }
    env
});

/// `text` as one path segment or one query value (everything but RFC 3986's unreserved
/// characters percent-encoded): the digests' links are made with the same.
pub(crate) use crate::config::segment;

/// Renders template `name` with `context`.
///
/// # Errors
/// The template is missing or fails (a defect: the tests render every page).
pub(crate) fn page(name: &str, context: minijinja::Value) -> anyhow::Result<Html<String>> {
    let template = ENVIRONMENT.get_template(name)?;
    // The menu's viewer (its name, the logout button, the pages its role opens), when the
    // request passed the gate; `none` on the public pages.
    let me = super::auth::shown();
    Ok(Html(
        template.render(minijinja::context! { me, ..context })?,
    ))
}

/// `GET /style.css`.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLESHEET,
    )
}

/// A serialisable value for a template.
pub(crate) fn value<T: serde::Serialize>(v: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}
