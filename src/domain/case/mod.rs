//! A disclosure request as duewatch records it: the case, its extensions, suspensions and written
//! notices. Plain data with parsed identifiers; the rules over it live in [`crate::domain::deadline`],
//! storage in [`crate::store`].

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

pub mod spelling;
pub mod text;
pub use text::Subject;

use crate::domain::outcome::{Applicant, Outcome};

/// A case reference such as `2026-0042`: 1–64 characters, letters, digits, `-`, `_`, `/`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Reference(String);

impl Reference {
    /// Parses a reference.
    ///
    /// # Errors
    /// Empty, longer than 64 characters, or containing other characters (spaces, CR/LF…).
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.chars().count() <= 64
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'));
        if ok {
            Ok(Reference(s.to_owned()))
        } else {
            Err(format!(
                "\"{}\" is not a case reference: use 1 to 64 letters, digits, '-', '_', '/' or \
                 '.', such as 2026-0042",
                text::escaped(s, false)
            ))
        }
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Reference {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

/// A section code from the configuration, such as `ss`: lower-case ASCII letters, digits, `-`, `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SectionCode(String);

impl SectionCode {
    /// Parses a section code.
    ///
    /// # Errors
    /// Empty, longer than 32 characters, or other characters than `a-z 0-9 - _`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(SectionCode(s.to_owned()))
        } else {
            Err(format!(
                "\"{s}\" is not a section code: use 1 to 32 lower-case letters, digits, '-' or '_'"
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SectionCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SectionCode::parse(&s)
    }
}

impl From<SectionCode> for String {
    fn from(c: SectionCode) -> String {
        c.0
    }
}

impl fmt::Display for SectionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* #[value(name = $text)] $variant),+ }

        impl $name {
            /// Every value, in the order declared (the console's choices).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and printed spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored spelling.
            ///
            /// # Errors
            /// Any other text, naming the accepted ones.
            pub fn parse(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "\"{s}\" is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// How a request arrived.
    Channel {
        /// At the office's counter.
        InPerson = "in_person",
        /// By post.
        Mail = "mail",
        /// Through the online portal or e-mail.
        Online = "online",
        /// By fax.
        Fax = "fax",
    }
);

text_enum!(
    /// Why a case was closed without (or instead of) a reply on record.
    CloseReason {
        /// The applicant withdrew the request.
        Withdrawn = "withdrawn",
        /// Merged into another case.
        Merged = "merged",
        /// Answered on the spot (art. 19): no stages at all.
        AnsweredOnSpot = "answered_on_spot",
    }
);

text_enum!(
    /// Why the clock stands still (art. 21; the national regulations add correction and third
    /// parties).
    SuspensionReason {
        /// Force majeure (不可抗力).
        ForceMajeure = "force_majeure",
        /// Consulting a third party.
        ThirdParty = "third_party",
        /// Waiting for the applicant's correction, where counted as a suspension.
        Correction = "correction",
        /// Another lawful cause.
        Other = "other",
    }
);

text_enum!(
    /// A written notice to the applicant (arts. 20, 21).
    NoticeKind {
        /// Of an extension (art. 20).
        Extension = "extension",
        /// Of a suspension (art. 21).
        Suspension = "suspension",
        /// Of the resumption after a suspension (art. 21).
        Resumption = "resumption",
    }
);

/// An extension of the reply period, approved by the leadership (art. 20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// Working days granted (>= 1).
    pub days: u32,
    /// The day the leadership approved it.
    pub approved_on: NaiveDate,
    /// Who approved it: one line ([`text::one_line`]).
    pub approved_by: String,
    /// Why: one line.
    pub reason: Option<String>,
    /// The day the written notice went to the applicant, once recorded.
    pub notice_on: Option<NaiveDate>,
}

/// A suspension of the clock (art. 21): working days `from <= d < until` do not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suspension {
    /// The first day the clock stands still.
    pub from: NaiveDate,
    /// The day the clock runs again (it counts); `None` while the obstacle lasts.
    pub until: Option<NaiveDate>,
    /// Why.
    pub reason: SuspensionReason,
    /// A note: one line.
    pub note: Option<String>,
    /// The day the written notice of the suspension went out.
    pub notice_on: Option<NaiveDate>,
    /// The day the written notice of the resumption went out.
    pub resumption_notice_on: Option<NaiveDate>,
}

/// A case a section sent back to the office as not its own (退回): the forwarding it undid. The
/// office then forwards it again (改派), and the reply stage starts afresh at the new section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Return {
    /// The day the section gave the case back.
    pub returned_on: NaiveDate,
    /// The section that held it and gave it back.
    pub section: SectionCode,
    /// The forwarding it undid (the day that section received it).
    pub forwarded_on: NaiveDate,
    /// Why it is not that section's: one line.
    pub reason: String,
}

/// A case and everything the deadline rules need about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// The unique reference.
    pub reference: Reference,
    /// What is asked (no applicant personal data): one line, at most [`text::MAX_CHARS`]
    /// characters.
    pub subject: Option<Subject>,
    /// How it arrived.
    pub channel: Option<Channel>,
    /// The day the office received it (after a correction, the day the completed request came).
    pub received_on: NaiveDate,
    /// The day the office forwarded it.
    pub forwarded_on: Option<NaiveDate>,
    /// The section it was forwarded to.
    pub section: Option<SectionCode>,
    /// The day the section answered.
    pub replied_on: Option<NaiveDate>,
    /// The day it was closed by other means.
    pub closed_on: Option<NaiveDate>,
    /// Why it was closed.
    pub close_reason: Option<CloseReason>,
    /// Extensions of the reply stage, in approval order.
    pub extensions: Vec<Extension>,
    /// Suspensions, in date order.
    pub suspensions: Vec<Suspension>,
    /// Forwardings undone because the section gave the case back (退回), in date order.
    pub returns: Vec<Return>,
    /// How it ended, for the annual report (recorded with the reply or closure, or later).
    pub outcome: Option<Outcome>,
    /// Who asked, as a category of the annual report (never personal data).
    pub applicant: Option<Applicant>,
}

impl Case {
    /// A freshly received case.
    pub fn received(reference: Reference, received_on: NaiveDate) -> Self {
        Case {
            reference,
            subject: None,
            channel: None,
            received_on,
            forwarded_on: None,
            section: None,
            replied_on: None,
            closed_on: None,
            close_reason: None,
            extensions: Vec::new(),
            suspensions: Vec::new(),
            returns: Vec::new(),
            outcome: None,
            applicant: None,
        }
    }

    /// Whether reminders have stopped for good: replied or closed.
    pub fn is_finished(&self) -> bool {
        self.replied_on.is_some() || self.closed_on.is_some()
    }

    /// The extensions of the reply stage now running: those approved since the current
    /// forwarding. A case given back (退回) and forwarded again starts its reply stage afresh,
    /// so the extensions granted to the section that gave it back are not the new section's
    /// (they still count towards the case's total, [`Case::extension_days`], and the
    /// Regulations' clock). Without a return these are all of them: an approval before the
    /// forwarding is refused.
    pub fn reply_extensions(&self) -> impl Iterator<Item = &Extension> {
        let since = self.forwarded_on;
        self.extensions
            .iter()
            .filter(move |e| since.is_none_or(|f| e.approved_on >= f))
    }

    /// Working days granted to the reply stage now running ([`Case::reply_extensions`]).
    pub fn reply_extension_days(&self) -> u32 {
        self.reply_extensions()
            .fold(0, |total: u32, e| total.saturating_add(e.days))
    }

    /// The day it was finished: its reply, else its closure; `None` while open.
    pub fn finished_on(&self) -> Option<NaiveDate> {
        self.replied_on.or(self.closed_on)
    }

    /// Working days granted by extensions so far.
    pub fn extension_days(&self) -> u32 {
        // Saturating: a nonsense day count from another system must be refused (past the limit),
        // not wrap around to a small one.
        self.extensions
            .iter()
            .fold(0, |total: u32, e| total.saturating_add(e.days))
    }
}
