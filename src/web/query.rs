//! Query strings into types, each refusal a sentence that names the parameter, what it got and
//! what it takes (shown on a 400 page). Unknown parameters are refused too: a mistyped
//! `levle=overdue` must not silently show every case.

use chrono::NaiveDate;

use super::error::WebError;

/// The parameters of one request, in order, as sent.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string (`None`: no `?`).
    ///
    /// # Errors
    /// A parameter repeated, or one this route does not take (`allowed` names those it does).
    pub(crate) fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Params, WebError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !allowed.contains(&name.as_ref()) {
                return Err(WebError::bad_request(format!(
                    "不认识的参数“{name}”。此页可用的参数：{}",
                    allowed.join("、")
                )));
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(WebError::bad_request(format!("参数“{name}”只能给一次")));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params(pairs))
    }

    /// The value of `name`, `None` when absent or empty (an empty form field means "any").
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A date `YYYY-MM-DD`.
    ///
    /// # Errors
    /// Not such a date.
    pub(crate) fn date(&self, name: &str) -> Result<Option<NaiveDate>, WebError> {
        self.get(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    WebError::bad_request(format!(
                        "参数“{name}”应为日期，格式 YYYY-MM-DD（如 2026-12-01），收到“{v}”"
                    ))
                })
            })
            .transpose()
    }

    /// A page number, 1 or more (default 1).
    ///
    /// # Errors
    /// Not a positive whole number.
    pub(crate) fn page(&self) -> Result<usize, WebError> {
        match self.get("page") {
            None => Ok(1),
            Some(v) => v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                WebError::bad_request(format!("参数“page”应为从 1 起的页码，收到“{v}”"))
            }),
        }
    }

    /// One of `choices` (the value in URLs), or `None` when absent.
    ///
    /// # Errors
    /// Another value.
    pub(crate) fn choice<'a>(
        &self,
        name: &str,
        choices: &[&'a str],
    ) -> Result<Option<&'a str>, WebError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => choices
                .iter()
                .find(|c| **c == v)
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    WebError::bad_request(format!(
                        "参数“{name}”不能是“{v}”，可选：{}",
                        choices.join("、")
                    ))
                }),
        }
    }
}
