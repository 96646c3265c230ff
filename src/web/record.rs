//! Recording an act from the console: the forms a case's page shows (one per act the viewer may
//! record on that case, [`forms`]), `POST /cases/{reference}/{act}`, and the new case page
//! (`GET`/`POST /cases/new`). Every act is recorded by [`crate::acts::record`], as the command
//! line records it, with the viewer's name as the history's actor.
//!
//! Answers: success is a 303 to the case's page; a refusal (a rule says no, a date is wrong, a
//! value does not parse) is the page again with status 422, the message at the form and what
//! was typed kept; a role that may not is a 403; a case the viewer may not read is a 404, as a
//! missing one; with `cases.source = "sql"` no form is shown and a POST is a 409. Nothing is
//! written on any refusal. The CSRF token and the Origin are checked before a handler runs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;

use super::auth::Viewer;
use super::case::{self, channel_name, close_reason, suspension_reason};
use super::error::WebError;
use super::fields::{self, FieldError, Input, Raw};
use super::{Console, render};
use crate::acts;
use crate::domain::account::Act;
use crate::domain::case::{Case, Channel, CloseReason, NoticeKind, Reference, SuspensionReason};
use crate::domain::entry::Entering;
use crate::domain::escalation;
use crate::store::StoreError;

/// What was sent in a form that was refused: shown again with the message.
#[derive(Debug)]
pub(super) struct Typed {
    /// The form's act.
    act: Act,
    /// The fields as sent.
    values: Vec<(String, String)>,
    /// Why it was refused.
    message: String,
    /// The field at fault, if one is.
    field: Option<String>,
}

/// A form as the template shows it.
#[derive(Debug, Serialize)]
pub(super) struct FormView {
    act: &'static str,
    title: &'static str,
    /// The case it records on (`None`: the new case page's form).
    case: Option<String>,
    fields: Vec<FieldView>,
    error: Option<String>,
    open: bool,
}

#[derive(Debug, Serialize)]
struct FieldView {
    name: &'static str,
    label: &'static str,
    input: &'static str,
    value: String,
    checked: bool,
    required: bool,
    invalid: bool,
    options: Vec<OptionView>,
}

#[derive(Debug, Serialize)]
struct OptionView {
    value: String,
    label: String,
    selected: bool,
}

/// The form's title, citing the article.
fn title(act: Act) -> &'static str {
    match act {
        Act::Add => "登记新申请（第十九条）",
        Act::Forward => "转办（第十九条）",
        Act::Extend => "延期（第二十条）",
        Act::Suspend => "中止（第二十一条）",
        Act::Resume => "恢复计算（第二十一条）",
        Act::Notice => "书面告知申请人（第二十、二十一条）",
        Act::Correct => "补正（重新起算）",
        Act::Reply => "答复",
        Act::Close => "以其他方式办结",
        Act::Return => "退回（非本股室职责，由办公室改派）",
        Act::Outcome => "办理结果与申请人类别（年度报告）",
    }
}

/// The forms of `case`'s page: one per act `viewer` may record on it, none when the case system
/// records the cases. `typed`: a refused form, shown open with its values and message.
pub(super) fn forms(
    console: &Console,
    viewer: &Viewer,
    case: &Case,
    typed: Option<&Typed>,
) -> Vec<FormView> {
    if !console.ctx.source.is_builtin() {
        return Vec::new();
    }
    Act::ALL
        .into_iter()
        .filter(|&act| act != Act::Add && viewer.may_record(act, Some(case)))
        .map(|act| {
            let on = Some(&case.reference);
            form_view(console, act, on, typed.filter(|t| t.act == act))
        })
        .collect()
}

/// The form of `act` on the case `on` (`None`: a new case), with what was typed when it was
/// refused.
fn form_view(
    console: &Console,
    act: Act,
    on: Option<&Reference>,
    typed: Option<&Typed>,
) -> FormView {
    let value = |name: &str| {
        typed
            .and_then(|t| t.values.iter().find(|(n, _)| n == name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let fields = fields::fields(act)
        .iter()
        .map(|f| {
            let value = value(f.name);
            let options = options(console, f.input)
                .into_iter()
                .map(|(v, label)| OptionView {
                    selected: v == value,
                    value: v,
                    label,
                })
                .collect();
            FieldView {
                name: f.name,
                label: f.label,
                input: match f.input {
                    Input::Date => "date",
                    Input::Count => "number",
                    Input::Flag => "checkbox",
                    Input::Reference | Input::Text => "text",
                    Input::Section
                    | Input::NoticeKind
                    | Input::SuspensionReason
                    | Input::CloseReason
                    | Input::Channel
                    | Input::Outcome
                    | Input::Applicant => "select",
                },
                checked: f.input == Input::Flag && matches!(value.as_str(), "on" | "true" | "1"),
                value,
                required: f.required,
                invalid: typed.is_some_and(|t| t.field.as_deref() == Some(f.name)),
                options,
            }
        })
        .collect();
    FormView {
        act: act.word(),
        title: title(act),
        case: on.map(ToString::to_string),
        fields,
        error: typed.map(|t| t.message.clone()),
        // The new case page has this one form: open.
        open: typed.is_some() || act == Act::Add,
    }
}

/// A select's choices (value, label); none for a field that is not a select.
fn options(console: &Console, input: Input) -> Vec<(String, String)> {
    match input {
        Input::Section => console
            .ctx
            .config
            .sections
            .iter()
            .map(|s| (s.code.to_string(), format!("{}（{}）", s.name, s.code)))
            .collect(),
        Input::NoticeKind => NoticeKind::ALL
            .iter()
            .map(|&k| {
                let name = escalation::notice_name(k);
                (k.as_str().to_owned(), format!("{name}告知"))
            })
            .collect(),
        Input::SuspensionReason => SuspensionReason::ALL
            .iter()
            .map(|&r| (r.as_str().to_owned(), suspension_reason(r).to_owned()))
            .collect(),
        Input::CloseReason => CloseReason::ALL
            .iter()
            .map(|&r| (r.as_str().to_owned(), close_reason(r).to_owned()))
            .collect(),
        Input::Channel => Channel::ALL
            .iter()
            .map(|&c| (c.as_str().to_owned(), channel_name(c).to_owned()))
            .collect(),
        Input::Outcome => crate::domain::outcome::Outcome::ALL
            .iter()
            .map(|&o| (o.code().to_owned(), o.full_name()))
            .collect(),
        Input::Applicant => crate::domain::outcome::Applicant::ALL
            .iter()
            .map(|&a| (a.code().to_owned(), a.full_name()))
            .collect(),
        Input::Reference | Input::Date | Input::Count | Input::Text | Input::Flag => Vec::new(),
    }
}

/// The entry checks of an act recorded now: the calendar in force, today in the configured
/// time zone.
pub(super) fn entering(console: &Console) -> Entering {
    Entering::new(
        Some(console.ctx.calendar()),
        console.ctx.config.rules.clone(),
        console.ctx.now().date(),
    )
}

/// The 409 of every write when the case system records the cases.
///
/// # Errors
/// `cases.source = "sql"`.
pub(super) fn writable(console: &Console) -> Result<(), WebError> {
    if console.ctx.source.is_builtin() {
        Ok(())
    } else {
        Err(WebError::with_status(
            StatusCode::CONFLICT,
            "案件从案件系统读取（cases.source = \"sql\"），请在案件系统中登记；duewatch 在下次巡查时读到变更。",
        ))
    }
}

/// A form's body as (name, value) pairs.
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// `values` read as `act`'s fields, the route's `reference` (none for a new case).
fn parse(
    act: Act,
    reference: Option<&Reference>,
    values: &[(String, String)],
) -> Result<(acts::Act, bool), FieldError> {
    let given: Vec<_> = values
        .iter()
        .map(|(n, v)| (n.as_str(), Raw::Text(v)))
        .collect();
    fields::parse(act, reference, &given, &["csrf"])
}

/// Records `act` for `viewer`: `Ok(Ok(case))` when recorded, `Ok(Err(message))` when refused.
///
/// # Errors
/// The case is gone (404) or the database failed (500).
pub(super) async fn record(
    console: &Console,
    viewer: &Viewer,
    act: acts::Act,
    allow_old: bool,
) -> Result<Result<Case, String>, WebError> {
    let actor = viewer.actor();
    let config = &console.ctx.config;
    match acts::record(
        act,
        allow_old,
        actor.as_deref(),
        config,
        &console.ctx.store,
        &entering(console),
    )
    .await
    {
        Ok(recorded) => {
            // The lists count the change now, not after the next poll.
            console.cases_changed();
            Ok(Ok(recorded.case))
        }
        Err(e @ (StoreError::Refused { .. } | StoreError::Duplicate(_))) => Ok(Err(e.to_string())),
        Err(StoreError::NotFound(reference)) => Err(case::missing(&reference)),
        Err(e) => Err(anyhow::Error::from(e).into()),
    }
}

/// `POST /cases/{reference}/{act}`.
pub(crate) async fn act(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Result<Response, WebError> {
    let Path((given, word)) =
        path.map_err(|_| WebError::bad_request("地址不是有效的 UTF-8 文本".to_owned()))?;
    let reference = case::reference(&given)?;
    let Some(act) = Act::from_word(&word).filter(|&a| a != Act::Add) else {
        return Err(WebError::not_found(format!(
            "没有“{}”这项登记。请在案件页面上选择。",
            crate::domain::case::text::escaped(&word.chars().take(40).collect::<String>(), false)
        )));
    };
    writable(&console)?;
    let (case, _) = case::readable(&console, &viewer, &reference).await?;
    if !viewer.may_record(act, Some(&case)) {
        return Err(WebError::with_status(
            StatusCode::FORBIDDEN,
            format!(
                "您的角色（{}）不能登记此案件的“{}”。",
                viewer.role.zh(),
                title(act)
            ),
        ));
    }
    let values = pairs(&body);
    let refused = |message: String, field: Option<String>| Typed {
        act,
        values: values.clone(),
        message,
        field,
    };
    let typed = match parse(act, Some(&reference), &values) {
        Err(e) => refused(format!("{}：{}", e.label, e.message), Some(e.field)),
        Ok((parsed, allow_old)) => match record(&console, &viewer, parsed, allow_old).await? {
            // A section that gave the case back (退回) no longer reads it: its list.
            Ok(case) if !viewer.may_read(&case) => {
                return Ok(Redirect::to("/cases").into_response());
            }
            Ok(_) => {
                let page = format!("/cases/{}", render::segment(reference.as_str()));
                return Ok(Redirect::to(&page).into_response());
            }
            Err(message) => refused(message, None),
        },
    };
    let page = case::show(&console, &viewer, &reference, false, Some(&typed)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// May `viewer` record a new case here?
///
/// # Errors
/// 409 when the case system records the cases, 403 when the role may not.
fn may_add(console: &Console, viewer: &Viewer) -> Result<(), WebError> {
    writable(console)?;
    if viewer.may_record(Act::Add, None) {
        Ok(())
    } else {
        Err(WebError::with_status(
            StatusCode::FORBIDDEN,
            format!(
                "您的角色（{}）不能登记新申请：新申请由办公室登记。",
                viewer.role.zh()
            ),
        ))
    }
}

/// The new case page, with what was typed when it was refused.
fn new_page(
    console: &Console,
    viewer: &Viewer,
    typed: Option<&Typed>,
) -> Result<axum::response::Html<String>, WebError> {
    let form = form_view(console, Act::Add, None, typed);
    Ok(render::page(
        "new_case.html",
        context! {
            form => render::value(form),
            csrf => viewer.csrf.clone(),
            as_of => super::names::local_time(console.ctx.now()),
        },
    )?)
}

/// `GET /cases/new`.
pub(crate) async fn new_case(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    may_add(&console, &viewer)?;
    Ok(new_page(&console, &viewer, None)?.into_response())
}

/// `POST /cases/new`.
pub(crate) async fn add_case(
    State(console): State<Arc<Console>>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, WebError> {
    may_add(&console, &viewer)?;
    let values = pairs(&body);
    let (message, field) = match parse(Act::Add, None, &values) {
        Err(e) => (format!("{}：{}", e.label, e.message), Some(e.field)),
        Ok((parsed, allow_old)) => {
            let reference = parsed.reference().clone();
            match record(&console, &viewer, parsed, allow_old).await? {
                Ok(_) => {
                    let page = format!("/cases/{}", render::segment(reference.as_str()));
                    return Ok(Redirect::to(&page).into_response());
                }
                Err(message) => (message, None),
            }
        }
    };
    let typed = Typed {
        act: Act::Add,
        values,
        message,
        field,
    };
    let page = new_page(&console, &viewer, Some(&typed))?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
