//! Who may see and do what in the console and the API (issue 16), pure: the four roles, a user's
//! name, and the rules that say which cases a role reads and which acts it records. The web
//! layer asks these questions on every request; the store keeps the accounts; nothing here
//! touches either.
//!
//! The roles, as the bureau is organised (arts. 19–24):
//! - `admin`: everything, and the accounts and the outbox's retries;
//! - `office` (办公室, arts. 19, 23): every case; records every act;
//! - `leadership` (局领导, arts. 20, 24): reads every case; records nothing (the extension it
//!   approves is recorded by the office, naming who approved it, art. 20);
//! - `section:CODE` (承办股室, art. 20): reads only the cases forwarded to its section; records
//!   their reply, its outcome (the annual report's category) and the written notices it owes
//!   (arts. 20, 21), and gives back (退回) a case that is not its own; nothing else.

use std::fmt;

use super::case::{Case, SectionCode};

/// A role: what a user may see and do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, the accounts and `outbox retry` included.
    Admin,
    /// The information-disclosure office: every case, every act.
    Office,
    /// The leadership: reads every case, records nothing.
    Leadership,
    /// A section: reads its own cases, records their reply and written notices.
    Section(SectionCode),
}

impl Role {
    /// Parses `admin`, `office`, `leadership` or `section:CODE`.
    ///
    /// # Errors
    /// Another word, or a section code that is not one; the message lists the roles.
    pub fn parse(text: &str) -> Result<Role, String> {
        match text {
            "admin" => Ok(Role::Admin),
            "office" => Ok(Role::Office),
            "leadership" => Ok(Role::Leadership),
            other => match other.strip_prefix("section:") {
                Some(code) => SectionCode::parse(code)
                    .map(Role::Section)
                    .map_err(|e| format!("\"{other}\" is not a role: {e}\n  help: {ROLES_HELP}")),
                None => Err(format!("\"{other}\" is not a role\n  help: {ROLES_HELP}")),
            },
        }
    }

    /// Whether the role reads every case (not only one section's).
    pub fn reads_all(&self) -> bool {
        !matches!(self, Role::Section(_))
    }

    /// The section whose cases alone the role reads, if it is a section's.
    pub fn section(&self) -> Option<&SectionCode> {
        match self {
            Role::Section(code) => Some(code),
            _ => None,
        }
    }

    /// Whether the role reads `case`: a section reads only the cases forwarded to it (a case
    /// still at the office, or at another section, is not its own).
    pub fn may_read(&self, case: &Case) -> bool {
        match self {
            Role::Section(code) => case.section.as_ref() == Some(code),
            _ => true,
        }
    }

    /// Whether the role may record `act` on `case` (`None`: a new case). A section records only
    /// the reply (art. 20), its outcome and the written notices (arts. 20, 21) of its own cases.
    pub fn may_record(&self, act: Act, case: Option<&Case>) -> bool {
        match self {
            Role::Admin | Role::Office => true,
            Role::Leadership => false,
            Role::Section(_) => {
                matches!(act, Act::Reply | Act::Notice | Act::Return | Act::Outcome)
                    && case.is_some_and(|c| self.may_read(c))
            }
        }
    }

    /// Whether the role sees the supervision pages over every party (the outbox, the reports,
    /// the status of every case as JSON is filtered instead).
    pub fn supervises(&self) -> bool {
        matches!(self, Role::Admin | Role::Office | Role::Leadership)
    }

    /// Whether the role manages accounts and retries dead letters.
    pub fn administers(&self) -> bool {
        matches!(self, Role::Admin)
    }

    /// The role's name in Chinese, for the pages.
    pub fn zh(&self) -> String {
        match self {
            Role::Admin => "管理员".to_owned(),
            Role::Office => "办公室".to_owned(),
            Role::Leadership => "局领导".to_owned(),
            Role::Section(code) => format!("承办股室（{}）", code.as_str()),
        }
    }
}

/// What `--role` and the messages list.
pub const ROLES_HELP: &str = "a role is admin, office, leadership or section:CODE (CODE a [[sections]] code, e.g. section:ss)";

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Admin => f.write_str("admin"),
            Role::Office => f.write_str("office"),
            Role::Leadership => f.write_str("leadership"),
            Role::Section(code) => write!(f, "section:{}", code.as_str()),
        }
    }
}

/// The acts a case records, as the rulebook names them (the CLI's `case` commands, the
/// console's forms and the write API's routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Act {
    /// A new request received (art. 19).
    Add,
    /// Forwarded to the responsible section (art. 19).
    Forward,
    /// An extension approved by the leadership (art. 20).
    Extend,
    /// The clock suspended (art. 21).
    Suspend,
    /// The clock resumed (art. 21).
    Resume,
    /// A written notice to the applicant (arts. 20, 21).
    Notice,
    /// The day of receipt corrected (a completed request).
    Correct,
    /// The section's reply (art. 20).
    Reply,
    /// Closed by other means.
    Close,
    /// Given back by the section that holds it as not its own (退回).
    Return,
    /// How a finished case ended and who asked, for the annual report (Regulations art. 50).
    Outcome,
}

impl Act {
    /// Every act, in the order of a case's life.
    pub const ALL: [Act; 11] = [
        Act::Add,
        Act::Forward,
        Act::Extend,
        Act::Suspend,
        Act::Resume,
        Act::Notice,
        Act::Correct,
        Act::Reply,
        Act::Close,
        Act::Return,
        Act::Outcome,
    ];

    /// The act's word in routes and the history (`forward`, …; `add` for a new case).
    pub fn word(self) -> &'static str {
        match self {
            Act::Add => "add",
            Act::Forward => "forward",
            Act::Extend => "extend",
            Act::Suspend => "suspend",
            Act::Resume => "resume",
            Act::Notice => "notice",
            Act::Correct => "correct",
            Act::Reply => "reply",
            Act::Close => "close",
            Act::Return => "return",
            Act::Outcome => "outcome",
        }
    }

    /// The act named by `word` in a route.
    pub fn from_word(word: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.word() == word)
    }
}

/// A user's name: 1 to 64 characters, letters (any script), digits, `.`, `_`, `-`, `@`; no
/// spaces or control characters, so that it reads the same in a log line, a header and a page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(String);

impl UserName {
    /// Parses `text`.
    ///
    /// # Errors
    /// Empty, too long, or another character; the message says which.
    pub fn parse(text: &str) -> Result<UserName, String> {
        let count = text.chars().count();
        if count == 0 || count > 64 {
            return Err(format!(
                "a user name has 1 to 64 characters, \"{}\" has {count}",
                text.escape_debug()
            ));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
        {
            return Err(format!(
                "\"{}\" is not a user name: {:?} is not allowed (letters, digits, . _ - @)",
                text.escape_debug(),
                bad
            ));
        }
        Ok(UserName(text.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fewest characters a new password has.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new password (as set with `duewatch user add|passwd`): at least
/// [`MIN_PASSWORD_CHARS`] characters. Never says the password itself.
///
/// # Errors
/// Too short; the message says how long it must be.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters, this one has {chars}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::Reference;
    use chrono::NaiveDate;

    fn case_at(section: Option<&str>) -> Case {
        let mut case = Case::received(
            Reference::parse("R-1").expect("a reference"),
            NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date"),
        );
        case.section = section.map(|s| SectionCode::parse(s).expect("a code"));
        case
    }

    #[test]
    fn roles_read_back_as_written_and_others_are_refused_with_the_list() {
        for text in ["admin", "office", "leadership", "section:ss"] {
            assert_eq!(Role::parse(text).expect(text).to_string(), text);
        }
        for bad in ["Admin", "section:", "section:SS", "boss", ""] {
            let e = Role::parse(bad).expect_err(bad);
            assert!(
                e.contains("admin, office, leadership or section:CODE"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_section_reads_only_the_cases_forwarded_to_it() {
        let ss = Role::parse("section:ss").expect("a role");
        assert!(ss.may_read(&case_at(Some("ss"))));
        assert!(!ss.may_read(&case_at(Some("zc"))));
        assert!(!ss.may_read(&case_at(None)), "a case still at the office");
        for role in [Role::Admin, Role::Office, Role::Leadership] {
            assert!(role.may_read(&case_at(Some("zc"))) && role.may_read(&case_at(None)));
        }
    }

    #[test]
    fn who_records_which_act() {
        let ss = Role::parse("section:ss").expect("a role");
        let own = case_at(Some("ss"));
        let other = case_at(Some("zc"));
        for act in Act::ALL {
            let case = (act != Act::Add).then_some(&own);
            assert!(Role::Admin.may_record(act, case), "{act:?}");
            assert!(Role::Office.may_record(act, case), "{act:?}");
            assert!(!Role::Leadership.may_record(act, case), "{act:?}");
            // 退回: the section that holds a case may give it back.
            let section_may = matches!(act, Act::Reply | Act::Notice | Act::Return | Act::Outcome);
            assert_eq!(ss.may_record(act, case), section_may, "{act:?}");
            assert!(
                !ss.may_record(act, Some(&other)),
                "{act:?} on another's case"
            );
        }
        assert!(!ss.may_record(Act::Add, None));
    }

    #[test]
    fn acts_are_named_by_their_route_word() {
        for act in Act::ALL {
            assert_eq!(Act::from_word(act.word()), Some(act));
        }
        assert_eq!(Act::from_word("delete"), None);
    }

    #[test]
    fn user_names_are_one_token_of_letters_and_digits() {
        for good in ["alice", "王小明", "a.b-c_d@bureau"] {
            assert_eq!(UserName::parse(good).expect(good).as_str(), good);
        }
        for bad in ["", "a b", "x\ny", "a/b", &"x".repeat(65)] {
            assert!(UserName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_new_password_has_at_least_ten_characters_of_any_script() {
        assert!(check_new_password("0123456789").is_ok());
        assert!(check_new_password("信息公开办公室密码十位").is_ok());
        for short in ["", "012345678", "九个字的密码不够长"] {
            let e = check_new_password(short).expect_err(short);
            assert!(e.contains("at least 10 characters"), "{e}");
            assert!(
                short.is_empty() || !e.contains(short),
                "the password is not said: {e}"
            );
        }
    }
}
