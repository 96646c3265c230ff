//! TEMPORARY: a stand-in for the lead's `crate::web::auth::Viewer` (branch `web-auth`), with the
//! same fields and questions, so that the forms and the write API can be written before the
//! authentication exists. Until then the console has no accounts and listens on loopback only,
//! so every request is taken as an administrator's, with no name (the history's actor is left
//! empty) and no CSRF token. Replaced by the real extractor when `web-auth` is merged.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::Console;
use crate::domain::account::{Act, Role, UserName};
use crate::domain::case::Case;

/// Who is asking.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    /// What they may see and do.
    pub(crate) role: Role,
    /// Their name (`None`: no accounts yet).
    pub(crate) name: Option<UserName>,
    /// The session's CSRF token, which every form carries.
    pub(crate) csrf: Option<String>,
}

impl Viewer {
    /// The history's actor for what they record.
    pub(crate) fn actor(&self) -> Option<String> {
        self.name.as_ref().map(ToString::to_string)
    }

    /// Whether they read `case`.
    pub(crate) fn may_read(&self, case: &Case) -> bool {
        self.role.may_read(case)
    }

    /// Whether they may record `act` on `case` (`None`: a new case).
    pub(crate) fn may_record(&self, act: Act, case: Option<&Case>) -> bool {
        self.role.may_record(act, case)
    }
}

impl FromRequestParts<Arc<Console>> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        _console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Viewer {
            role: Role::Admin,
            name: None,
            csrf: None,
        })
    }
}
