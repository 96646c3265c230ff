//! The parties a request passes through (arts. 19–21): the office that receives and forwards
//! it, the leadership that consents to extensions, and the sections that answer; each with the
//! name its mails use and its addresses ([`EmailAddress`]es, parsed as the configuration is
//! read). The configuration's `[office]`, `[leadership]`, `[supervision]` and `[[sections]]` are
//! these types.

use serde::Deserialize;

use crate::domain::address::EmailAddress;
use crate::domain::case::SectionCode;
use crate::domain::channel::{ChannelName, Mobile};

/// Everyone a notification can go to, as configured.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    /// The office (办公室): forwards requests, supervises (arts. 19, 23).
    pub office: &'a Party,
    /// The leadership office: consents to extensions (art. 20).
    pub leadership: &'a Party,
    /// The sections that answer (art. 20).
    pub sections: &'a [Section],
    /// The discipline inspection / supervision office (纪检监察, `[supervision]`, issue 17):
    /// told of what the grades name it for; no address by default.
    pub supervision: &'a Party,
}

impl<'a> Parties<'a> {
    /// The configured section with `code`.
    pub fn section(&self, code: &SectionCode) -> Option<&'a Section> {
        self.sections.iter().find(|s| &s.code == code)
    }
}

/// `[office]`, `[leadership]`: a name and its addresses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// The name used in mails.
    pub name: String,
    /// Its addresses.
    #[serde(deserialize_with = "crate::domain::address::list")]
    pub emails: Vec<EmailAddress>,
    /// The chat channels (`[channels.NAME]`) its messages are posted to besides (issue 17).
    #[serde(default)]
    pub channels: Vec<ChannelName>,
    /// The mobile numbers its channel messages @ (the head's).
    #[serde(default)]
    pub mobiles: Vec<Mobile>,
}

/// One `[[sections]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// The code commands and imports use.
    pub code: SectionCode,
    /// The section's name.
    pub name: String,
    /// Its addresses; the first is the head's.
    #[serde(deserialize_with = "crate::domain::address::list")]
    pub emails: Vec<EmailAddress>,
    /// The chat channels (`[channels.NAME]`) its messages are posted to besides (issue 17).
    #[serde(default)]
    pub channels: Vec<ChannelName>,
    /// The mobile numbers its channel messages @ (the head's).
    #[serde(default)]
    pub mobiles: Vec<Mobile>,
}

/// The section `v` names among `sections`, by its code or its configured name (imports and case
/// systems write either). A code wins; a name held by two sections names none ([`ambiguous`]
/// says so): `config check` refuses such names, and a command that does not run it (`case
/// import`) must not guess either.
pub fn section_named<'a>(sections: &'a [Section], v: &str) -> Option<&'a Section> {
    if let Some(s) = sections.iter().find(|s| s.code.as_str() == v) {
        return Some(s);
    }
    let mut named = sections.iter().filter(|s| s.name == v);
    match (named.next(), named.next()) {
        (Some(s), None) => Some(s),
        _ => None,
    }
}

/// When `v` names no section because two or more have that name: their codes, `ss and bg`.
pub fn ambiguous(sections: &[Section], v: &str) -> Option<String> {
    let codes: Vec<&str> = sections
        .iter()
        .filter(|s| s.name == v)
        .map(|s| s.code.as_str())
        .collect();
    (codes.len() > 1).then(|| codes.join(" and "))
}

/// The configured sections as `code (name), …`, for a message that asks for one of them.
pub fn sections_listed(sections: &[Section]) -> String {
    sections
        .iter()
        .map(|s| format!("{} ({})", s.code, s.name))
        .collect::<Vec<_>>()
        .join(", ")
}
