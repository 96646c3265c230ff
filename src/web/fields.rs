//! An act's fields as a console form or the write API's JSON body sends them, parsed into a
//! [`crate::acts::Act`]: the one table of each act's fields (named as the command line's flags,
//! labelled as the forms show them), and the error that names the field a value does not parse
//! in. Whether the act is then allowed is the rulebook's question ([`crate::acts::record`]).

use chrono::NaiveDate;

use crate::acts;
use crate::calendar::file::parse_date;
use crate::domain::account::Act;
use crate::domain::case::{
    NoticeKind, Reference, SectionCode, Subject, SuspensionReason, spelling, text,
};
use crate::domain::outcome::{Applicant, Outcome};

/// What a field holds, and so how a form asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// A case reference.
    Reference,
    /// A day, `YYYY-MM-DD`.
    Date,
    /// A count of working days.
    Count,
    /// One line of text.
    Text,
    /// A configured section's code.
    Section,
    /// A written notice's kind.
    NoticeKind,
    /// Why the clock stands still.
    SuspensionReason,
    /// Why a case was closed.
    CloseReason,
    /// How a request arrived.
    Channel,
    /// How a finished case ended (the annual report's row).
    Outcome,
    /// Who asked (the annual report's column).
    Applicant,
    /// Yes or no (`allow_old`).
    Flag,
}

/// One field of an act.
#[derive(Debug)]
pub(crate) struct Field {
    /// Its name in a form and in JSON (the command line's flag, `-` as `_`).
    pub(crate) name: &'static str,
    /// What the form calls it.
    pub(crate) label: &'static str,
    /// What it holds.
    pub(crate) input: Input,
    /// Whether it must be given.
    pub(crate) required: bool,
}

const fn field(name: &'static str, label: &'static str, input: Input, required: bool) -> Field {
    Field {
        name,
        label,
        input,
        required,
    }
}

/// `--allow-old`: every act takes it (src/domain/entry.rs).
const ALLOW_OLD: Field = field(
    "allow_old",
    "日期在一年以前，确认无误（补录）",
    Input::Flag,
    false,
);

/// The fields of `act`, in the order a form shows them.
pub(crate) fn fields(act: Act) -> &'static [Field] {
    use Input::{
        Applicant, Channel, CloseReason, Count, Date, NoticeKind, Outcome, Reference, Section,
        SuspensionReason, Text,
    };
    const ADD: &[Field] = &[
        field("reference", "案件编号", Reference, true),
        field("received_on", "收到日期", Date, true),
        field("subject", "申请内容", Text, false),
        field("channel", "收到方式", Channel, false),
        field("applicant", "申请人类别", Applicant, false),
        ALLOW_OLD,
    ];
    const FORWARD: &[Field] = &[
        field("section", "承办股室", Section, true),
        field("on", "转办日期", Date, true),
        ALLOW_OLD,
    ];
    const EXTEND: &[Field] = &[
        field("days", "延长工作日数", Count, true),
        field("approved_by", "批准人", Text, true),
        field("on", "批准日期", Date, true),
        field("reason", "延期理由", Text, false),
        ALLOW_OLD,
    ];
    const SUSPEND: &[Field] = &[
        field("from", "中止起始日", Date, true),
        field("reason", "中止原因", SuspensionReason, true),
        field("note", "说明", Text, false),
        ALLOW_OLD,
    ];
    const RESUME: &[Field] = &[field("on", "恢复计算日", Date, true), ALLOW_OLD];
    const NOTICE: &[Field] = &[
        field("kind", "告知类型", NoticeKind, true),
        field("on", "告知日期", Date, true),
        ALLOW_OLD,
    ];
    const CORRECT: &[Field] = &[
        field("received", "补正后的申请收到日期", Date, true),
        ALLOW_OLD,
    ];
    const REPLY: &[Field] = &[
        field("on", "答复日期", Date, true),
        field("outcome", "办理结果", Outcome, false),
        field("applicant", "申请人类别", Applicant, false),
        ALLOW_OLD,
    ];
    const CLOSE: &[Field] = &[
        field("on", "办结日期", Date, true),
        field("reason", "办结原因", CloseReason, true),
        field("outcome", "办理结果", Outcome, false),
        field("applicant", "申请人类别", Applicant, false),
        ALLOW_OLD,
    ];
    const RETURN: &[Field] = &[
        field("on", "退回日期", Date, true),
        field("reason", "退回理由", Text, true),
        ALLOW_OLD,
    ];
    const OUTCOME: &[Field] = &[
        field("outcome", "办理结果", Outcome, false),
        field("applicant", "申请人类别", Applicant, false),
    ];
    match act {
        Act::Add => ADD,
        Act::Forward => FORWARD,
        Act::Extend => EXTEND,
        Act::Suspend => SUSPEND,
        Act::Resume => RESUME,
        Act::Notice => NOTICE,
        Act::Correct => CORRECT,
        Act::Reply => REPLY,
        Act::Close => CLOSE,
        Act::Return => RETURN,
        Act::Outcome => OUTCOME,
    }
}

/// A value as sent: a form's text, or a JSON value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Raw<'a> {
    /// Text (every form value; a JSON string).
    Text(&'a str),
    /// A JSON number.
    Number(&'a serde_json::Number),
    /// A JSON boolean.
    Bool(bool),
    /// JSON `null`: as if not given.
    Null,
    /// Another JSON value (an array or an object), by its kind.
    Other(&'static str),
}

impl<'a> Raw<'a> {
    /// A JSON value.
    pub(crate) fn json(value: &'a serde_json::Value) -> Raw<'a> {
        use serde_json::Value;
        match value {
            Value::String(s) => Raw::Text(s),
            Value::Number(n) => Raw::Number(n),
            Value::Bool(b) => Raw::Bool(*b),
            Value::Null => Raw::Null,
            Value::Array(_) => Raw::Other("a list"),
            Value::Object(_) => Raw::Other("an object"),
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Raw::Text(_) => "text",
            Raw::Number(_) => "a number",
            Raw::Bool(_) => "true or false",
            Raw::Null => "null",
            Raw::Other(kind) => kind,
        }
    }
}

/// A field that does not parse, is missing, unknown or given twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// The field's name as sent.
    pub(crate) field: String,
    /// What the form calls it (the name itself for an unknown field).
    pub(crate) label: String,
    /// What is wrong and what to give.
    pub(crate) message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field \"{}\": {}", self.field, self.message)
    }
}

/// `act`'s fields in `given` (name, value), as an act on `reference` (the route's; `None` for a
/// new case, whose reference is a field), and whether an old date was confirmed. Names in
/// `ignored` (a form's `csrf`) are skipped; any other name the act does not take is refused.
///
/// # Errors
/// The first field that is unknown, given twice, missing or does not parse.
pub(crate) fn parse(
    act: Act,
    reference: Option<&Reference>,
    given: &[(&str, Raw<'_>)],
    ignored: &[&str],
) -> Result<(acts::Act, bool), FieldError> {
    let known = fields(act);
    for (i, (name, _)) in given.iter().enumerate() {
        if ignored.contains(name) {
            continue;
        }
        if !known.iter().any(|f| f.name == *name) {
            let names: Vec<_> = known.iter().map(|f| f.name).collect();
            return Err(FieldError {
                field: (*name).to_owned(),
                label: (*name).to_owned(),
                message: format!(
                    "this act takes no such field; it takes: {}",
                    names.join(", ")
                ),
            });
        }
        if given[..i].iter().any(|(n, _)| n == name) {
            return Err(error(field_named(act, name), "given twice; give it once"));
        }
    }
    let values = Values { act, given };
    let reference = match reference {
        Some(r) => r.clone(),
        None => values.parsed("reference", Reference::parse)?,
    };
    let allow_old = values.flag("allow_old")?;
    let parsed = match act {
        Act::Add => acts::Act::Add {
            reference,
            received: values.date("received_on")?,
            subject: values.optional("subject", |s| {
                Subject::parse(s).map_err(|e| {
                    format!(
                        "{e}; a subject is one line of at most {} characters, without control \
                         characters",
                        text::MAX_CHARS
                    )
                })
            })?,
            channel: values.optional("channel", |s| spelling::channel(s.trim()))?,
            applicant: values.optional("applicant", Applicant::parse)?,
        },
        Act::Forward => acts::Act::Forward {
            reference,
            section: values.parsed("section", SectionCode::parse)?,
            on: values.date("on")?,
        },
        Act::Extend => acts::Act::Extend {
            reference,
            days: values.count("days")?,
            approved_by: values.required_text("approved_by")?.to_owned(),
            on: values.date("on")?,
            reason: values.text("reason")?.map(str::to_owned),
        },
        Act::Suspend => acts::Act::Suspend {
            reference,
            from: values.date("from")?,
            reason: values.parsed("reason", SuspensionReason::parse)?,
            note: values.text("note")?.map(str::to_owned),
        },
        Act::Resume => acts::Act::Resume {
            reference,
            on: values.date("on")?,
        },
        Act::Notice => acts::Act::Notice {
            reference,
            kind: values.parsed("kind", NoticeKind::parse)?,
            on: values.date("on")?,
        },
        Act::Correct => acts::Act::Correct {
            reference,
            received: values.date("received")?,
        },
        Act::Reply => acts::Act::Reply {
            reference,
            on: values.date("on")?,
            outcome: values.optional("outcome", Outcome::parse)?,
            applicant: values.optional("applicant", Applicant::parse)?,
        },
        Act::Close => acts::Act::Close {
            reference,
            on: values.date("on")?,
            reason: values.parsed("reason", spelling::close_reason)?,
            outcome: values.optional("outcome", Outcome::parse)?,
            applicant: values.optional("applicant", Applicant::parse)?,
        },
        Act::Outcome => acts::Act::Outcome {
            reference,
            outcome: values.optional("outcome", Outcome::parse)?,
            applicant: values.optional("applicant", Applicant::parse)?,
        },
        Act::Return => acts::Act::Return {
            reference,
            on: values.date("on")?,
            reason: values.required_text("reason")?.to_owned(),
        },
    };
    Ok((parsed, allow_old))
}

/// The field of `act` named `name` (one of its fields: checked before).
fn field_named(act: Act, name: &str) -> &'static Field {
    fields(act)
        .iter()
        .find(|f| f.name == name)
        .unwrap_or(&ALLOW_OLD)
}

fn error(f: &Field, message: impl Into<String>) -> FieldError {
    FieldError {
        field: f.name.to_owned(),
        label: f.label.to_owned(),
        message: message.into(),
    }
}

/// The values given for one act, read by field.
struct Values<'g, 'a> {
    act: Act,
    given: &'g [(&'g str, Raw<'a>)],
}

impl<'a> Values<'_, 'a> {
    /// The value of `name`; `None` when absent, `null` or empty text.
    fn raw(&self, name: &str) -> Option<Raw<'a>> {
        self.given
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .filter(|v| match v {
                Raw::Null => false,
                Raw::Text(s) => !s.trim().is_empty(),
                _ => true,
            })
    }

    fn field(&self, name: &str) -> &'static Field {
        field_named(self.act, name)
    }

    /// The text of `name`, if given; another kind of value is refused.
    fn text(&self, name: &str) -> Result<Option<&'a str>, FieldError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Raw::Text(s)) => Ok(Some(s)),
            Some(other) => Err(error(
                self.field(name),
                format!("give text (a JSON string), not {}", other.kind()),
            )),
        }
    }

    fn required_text(&self, name: &str) -> Result<&'a str, FieldError> {
        self.text(name)?
            .ok_or_else(|| error(self.field(name), "missing; give it"))
    }

    /// The text of `name` (as sent) parsed by `parse`, if given.
    fn optional<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, FieldError> {
        self.text(name)?
            .map(|s| parse(s).map_err(|e| error(self.field(name), e)))
            .transpose()
    }

    /// The text of `name`, trimmed and parsed by `parse` (a reference, a date, a code, a word).
    fn parsed<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, FieldError> {
        let s = self.required_text(name)?;
        parse(s.trim()).map_err(|e| error(self.field(name), e))
    }

    fn date(&self, name: &str) -> Result<NaiveDate, FieldError> {
        self.parsed(name, parse_date)
    }

    /// A count of working days: a JSON number, or a form's digits.
    fn count(&self, name: &str) -> Result<u32, FieldError> {
        let f = self.field(name);
        let refused = |given: String| {
            error(
                f,
                format!(
                    "a count of working days is a whole number from 0 to {}, not {given}",
                    u32::MAX
                ),
            )
        };
        match self.raw(name) {
            None => Err(error(f, "missing; give it")),
            Some(Raw::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| refused(n.to_string())),
            Some(Raw::Text(s)) => s
                .trim()
                .parse::<u32>()
                .map_err(|_| refused(format!("\"{}\"", text::escaped(s, false)))),
            Some(other) => Err(refused(other.kind().to_owned())),
        }
    }

    /// A yes or no: JSON `true`/`false`, or a form's checkbox (`on` when ticked).
    fn flag(&self, name: &str) -> Result<bool, FieldError> {
        match self.raw(name) {
            None | Some(Raw::Bool(false)) => Ok(false),
            Some(Raw::Bool(true)) => Ok(true),
            Some(Raw::Text("on" | "true" | "1")) => Ok(true),
            Some(Raw::Text("false" | "0")) => Ok(false),
            Some(other) => Err(error(
                self.field(name),
                format!("give true or false, not {}", other.kind()),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
