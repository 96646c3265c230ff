//! A case's free text: its subject, who approved an extension, the reason for it, a
//! suspension's note. Each is **one line of at most [`MAX_CHARS`] characters, without control or
//! invisible format characters**, so that text from a case can neither add lines to a mail or a
//! terminal (CR/LF), nor drive a terminal (ESC, BEL), nor turn what is shown around (the bidi
//! overrides U+202A–U+202E, U+2066–U+2069).
//!
//! Three doors, one rule:
//! - [`one_line`] with [`Breaks::Refuse`]: the command line; the person typing can retype it.
//! - [`one_line`] with [`Breaks::Fold`]: a CSV cell; a line break in a spreadsheet cell
//!   (Alt+Enter in Excel) was meant as a separator, so each run of line breaks and tabs becomes
//!   one space; any other control character is still refused.
//! - [`cleaned`]: a case system's row and text stored before these checks; the case must stay
//!   watched, so the text is mended rather than refused: line breaks fold to a space, any other
//!   control or format character becomes U+FFFD (�), and text past the limit is cut with "…".
//!
//! [`escaped`] is for the terminal: what reaches stdout or stderr from stored text shows a
//! control character as `\u{1b}`, never the character itself.
//!
//! Pure: no I/O.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::Serialize;

/// The longest a subject, a name, a reason or a note may be, in characters (not bytes): a line
/// of a mail. docs/administrator.md says this number.
pub const MAX_CHARS: usize = 200;

/// What a line break in the input means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breaks {
    /// It is refused (the command line).
    Refuse,
    /// Each run of line breaks and tabs becomes one space (a spreadsheet cell).
    Fold,
}

/// Why a text is not one clean line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but spaces.
    #[error("is empty; leave it out instead")]
    Empty,
    /// A line break where only one line may be.
    #[error(
        "holds a line break at character {at}; it must be one line: remove the line break \
         (a spreadsheet's line breaks in a cell become spaces)"
    )]
    LineBreak {
        /// The 1-based position of the character.
        at: usize,
    },
    /// A control or invisible format character.
    #[error(
        "holds the invisible character {} at character {at}; remove it (retype the text \
         rather than paste it)",
        describe(*ch)
    )]
    Control {
        /// The character.
        ch: char,
        /// The 1-based position of the character.
        at: usize,
    },
    /// Longer than [`MAX_CHARS`].
    #[error("is {chars} characters long; at most {MAX_CHARS} are allowed: shorten it")]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
}

/// A line break: CR, LF, NEL, the line and paragraph separators; VT and FF.
fn is_break(c: char) -> bool {
    matches!(
        c,
        '\r' | '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Unicode's format characters (general category Cf, Unicode 15.1): invisible, and some of
/// them (the bidi controls) reorder what is shown.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{600}'..='\u{605}'
            | '\u{61C}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Whether `c` may not appear in one line of text shown to people: a control character
/// (C0, DEL, C1, line breaks included) or a format character.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_break(c) || is_format(c)
}

/// `U+001B (escape)`: a character named for a message.
fn describe(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\u{7}' => " (bell)",
        '\u{8}' => " (backspace)",
        '\t' => " (tab)",
        '\u{1B}' => " (escape)",
        '\u{7F}' => " (delete)",
        '\u{200B}' => " (zero width space)",
        '\u{200E}' | '\u{200F}' | '\u{61C}' => " (a direction mark)",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => " (a bidi override)",
        '\u{FEFF}' => " (byte order mark)",
        _ => "",
    };
    format!("U+{:04X}{name}", u32::from(c))
}

/// Folds each run of line breaks and tabs (with the spaces around them) into one space.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending = false;
    for c in text.chars() {
        if is_break(c) || c == '\t' {
            pending = true;
            continue;
        }
        if pending {
            if c == ' ' {
                continue; // the spaces after a break go with it
            }
            let trimmed = out.trim_end_matches(' ').len();
            out.truncate(trimmed);
            if !out.is_empty() {
                out.push(' ');
            }
            pending = false;
        }
        out.push(c);
    }
    out
}

/// Checks that `text` (trimmed) is one clean line of at most [`MAX_CHARS`] characters and
/// returns it trimmed; with [`Breaks::Fold`], line breaks and tabs become spaces first.
///
/// # Errors
/// Empty, a line break (with [`Breaks::Refuse`]), a control or format character, too long;
/// the message says where and what to do, for the caller to prefix with the field's name.
pub fn one_line(text: &str, breaks: Breaks) -> Result<String, TextError> {
    let folded;
    let text = match breaks {
        Breaks::Refuse => text,
        Breaks::Fold => {
            folded = fold(text);
            &folded
        }
    };
    let text = text.trim_matches(' ');
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    let mut chars = 0;
    for (i, c) in text.chars().enumerate() {
        if is_break(c) {
            return Err(TextError::LineBreak { at: i + 1 });
        }
        if is_hidden(c) {
            return Err(TextError::Control { ch: c, at: i + 1 });
        }
        chars = i + 1;
    }
    if chars > MAX_CHARS {
        return Err(TextError::TooLong { chars });
    }
    Ok(text.to_owned())
}

/// Text from a case system or stored before these checks, mended so that it is one clean line:
/// as [`one_clean_line`], and past [`MAX_CHARS`] cut by [`cut`]. Empty stays empty.
pub fn cleaned(text: &str) -> String {
    cut(one_clean_line(text))
}

/// `text` as one clean line, at any length: line breaks and tabs fold to a space, other control
/// and format characters ([`is_hidden`]) become U+FFFD; trimmed. A mail's fields use it, so that
/// what the store, a case system and a mail hide is one rule.
pub fn one_clean_line(text: &str) -> String {
    fold(text)
        .trim_matches(' ')
        .chars()
        .map(|c| if is_hidden(c) { '\u{FFFD}' } else { c })
        .collect()
}

/// `text` cut to `MAX_CHARS - 1` characters and "…" when it is longer than [`MAX_CHARS`].
pub fn cut(text: String) -> String {
    match text.char_indices().nth(MAX_CHARS) {
        Some(_) => {
            let mut out: String = text.chars().take(MAX_CHARS - 1).collect();
            out.push('…');
            out
        }
        None => text,
    }
}

/// `text` for a terminal: each control or format character as `\u{1b}`; line breaks too,
/// unless `keep_newlines` (a message's own layout, "\n  help: …").
pub fn escaped(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let hidden = |c: char| is_hidden(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// What is asked: one line of 1 to [`MAX_CHARS`] characters without control or format
/// characters (see the module's doc).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    /// A subject as typed on the command line: a line break is refused.
    ///
    /// # Errors
    /// See [`one_line`].
    pub fn parse(text: &str) -> Result<Self, TextError> {
        one_line(text, Breaks::Refuse).map(Subject)
    }

    /// A subject from a spreadsheet cell: its line breaks become spaces.
    ///
    /// # Errors
    /// See [`one_line`].
    pub fn from_cell(text: &str) -> Result<Self, TextError> {
        one_line(text, Breaks::Fold).map(Subject)
    }

    /// A subject from a case system or an older store, mended ([`cleaned`]); `None` when
    /// nothing is left.
    pub fn mended(text: &str) -> Option<Self> {
        let text = cleaned(text);
        (!text.is_empty()).then_some(Subject(text))
    }

    /// The subject as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Subject {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Subject> for String {
    fn from(s: Subject) -> String {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_break_in_a_typed_subject_is_refused_and_in_a_cell_becomes_a_space() {
        let forged = "养老保险\r\n答复期限：2027-01-01";
        assert_eq!(
            Subject::parse(forged),
            Err(TextError::LineBreak { at: 5 }),
            "typed"
        );
        assert_eq!(
            Subject::from_cell(forged).map(String::from),
            Ok("养老保险 答复期限：2027-01-01".to_owned())
        );
        assert_eq!(
            one_line("a \n\n\t   b", Breaks::Fold).as_deref(),
            Ok("a b"),
            "a run of breaks and the spaces around it is one space"
        );
        for sep in ['\u{2028}', '\u{2029}', '\u{85}', '\u{0B}', '\u{0C}'] {
            assert!(
                matches!(
                    Subject::parse(&format!("a{sep}b")),
                    Err(TextError::LineBreak { at: 2 })
                ),
                "{sep:?}"
            );
        }
    }

    #[test]
    fn control_and_bidi_characters_are_refused_wherever_the_text_comes_from() {
        for (text, ch) in [
            ("a\u{1b}[31mred", '\u{1b}'),
            ("ding\u{7}", '\u{7}'),
            ("nul\0", '\0'),
            ("abc\u{202E}fdp.exe", '\u{202E}'),
            ("x\u{2066}y", '\u{2066}'),
            ("zero\u{200B}width", '\u{200B}'),
            ("c1\u{9B}", '\u{9B}'),
        ] {
            for breaks in [Breaks::Refuse, Breaks::Fold] {
                let e = one_line(text, breaks).expect_err(text);
                assert!(
                    matches!(e, TextError::Control { ch: c, .. } if c == ch),
                    "{text:?}: {e}"
                );
            }
        }
        let e = Subject::parse("a\u{202E}b").expect_err("a bidi override");
        assert_eq!(
            e.to_string(),
            "holds the invisible character U+202E (a bidi override) at character 2; remove it \
             (retype the text rather than paste it)"
        );
        assert!(matches!(
            Subject::parse("tab\there"),
            Err(TextError::Control { ch: '\t', at: 4 })
        ));
    }

    #[test]
    fn a_subject_is_at_most_two_hundred_characters_counted_as_characters() {
        let chinese = "申".repeat(MAX_CHARS);
        assert_eq!(Subject::parse(&chinese).map(|s| s.chars().count()), Ok(200));
        let long = "申".repeat(10_000);
        assert_eq!(
            Subject::parse(&long),
            Err(TextError::TooLong { chars: 10_000 })
        );
        assert!(
            Subject::parse(&long)
                .expect_err("too long")
                .to_string()
                .contains("at most 200")
        );
        assert_eq!(Subject::parse("   "), Err(TextError::Empty));
        assert_eq!(
            Subject::parse("  养老保险  ").map(String::from),
            Ok("养老保险".to_owned())
        );
    }

    #[test]
    fn text_from_a_case_system_is_mended_not_refused() {
        assert_eq!(
            cleaned("a\r\nb\u{1b}[31m\u{202E}c"),
            "a b\u{FFFD}[31m\u{FFFD}c"
        );
        let long = cleaned(&"x".repeat(10_000));
        assert_eq!(long.chars().count(), MAX_CHARS);
        assert!(long.ends_with('…'));
        assert_eq!(Subject::mended(" \r\n "), None);
        assert_eq!(
            Subject::mended("养老\n保险").map(String::from),
            Some("养老 保险".to_owned())
        );
        // What is mended passes the check.
        for raw in ["a\u{7}\u{0}b\n\nc\u{2067}", &"申\n".repeat(500)] {
            let mended = cleaned(raw);
            assert_eq!(one_line(&mended, Breaks::Refuse), Ok(mended.clone()));
        }
    }

    #[test]
    fn the_terminal_sees_control_characters_escaped() {
        assert_eq!(escaped("plain 文字", false), "plain 文字");
        assert!(matches!(escaped("plain", false), Cow::Borrowed(_)));
        assert_eq!(
            escaped("a\u{1b}[2Jb\r\nc\u{202E}", false),
            "a\\u{1b}[2Jb\\u{d}\\u{a}c\\u{202e}"
        );
        assert_eq!(
            escaped("error: \"\u{7}\"\n  help: x", true),
            "error: \"\\u{7}\"\n  help: x"
        );
    }
}
