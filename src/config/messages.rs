//! The `config` crate's errors, said for an operator: the key with its dots
//! (`sections[1].code`, where the crate writes `sections[1]code`), the value given, what is
//! allowed (for a word such as `rules.rest_day_receipt`, every word it accepts), and where the
//! value came from (the file, or the environment variable by name).

use std::path::Path;

use serde::de::{self, Deserializer, Visitor};

use super::ENV_PREFIX;

/// What separates a message from its help, in a parsed type's error (`"x" is not host:port` +
/// `HELP` + `e.g. …`) and in what [`reworded`] returns for it.
pub(super) const HELP: &str = "\n  help: ";

/// `sections[1]code` → `sections[1].code`: the crate joins an index and the next key without a
/// dot.
pub(super) fn dotted(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut after_index = false;
    for c in key.chars() {
        if after_index && (c.is_ascii_alphanumeric() || c == '_') {
            out.push('.');
        }
        after_index = c == ']';
        out.push(c);
    }
    out
}

/// The environment variable that sets `key` (`rules.forward_within` →
/// `DUEWATCH__RULES__FORWARD_WITHIN`, `mail.admins[1]` → `DUEWATCH__MAIL__ADMINS`), when it is
/// set.
fn variable_for(key: &str) -> Option<String> {
    // An entry of a list (`mail.admins[1]`) is set by the list's variable; a key inside a list
    // of tables (`sections[0].code`) has none.
    let key = match key.split_once('[') {
        Some((list, rest)) if !rest.contains('.') => list,
        Some(_) => return None,
        None => key,
    };
    let name = format!(
        "{ENV_PREFIX}__{}",
        key.replace('.', "__").to_ascii_uppercase()
    );
    std::env::var_os(&name).map(|_| name)
}

/// Where the value came from: `(in FILE)`, `(from the environment variable NAME)`, or, when
/// the crate does not say, `(in FILE:LINE)` for the line of `file` that sets the key.
fn place(key: &str, origin: Option<&str>, file: Option<&Path>) -> String {
    match (origin, variable_for(key)) {
        (Some("the environment") | None, Some(name)) => {
            format!(" (from the environment variable {name})")
        }
        (Some(origin), _) => format!(" (in {origin})"),
        (None, None) => file
            .and_then(|f| line_of(key, f).map(|line| format!(" (in {}:{line})", f.display())))
            .unwrap_or_default(),
    }
}

/// The line of `file` that sets `key`'s last part (`rules.rest_day_receipt` →
/// `rest_day_receipt = …`; `escalation.recipients.reminder[0]` → `reminder = …`), when exactly
/// one line does.
fn line_of(key: &str, file: &Path) -> Option<usize> {
    let last = key.rsplit('.').next()?;
    let last = last.split('[').next()?;
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines().enumerate().filter(|(_, line)| {
        line.split_once('=')
            .is_some_and(|(k, _)| k.trim().trim_matches('"') == last)
    });
    match (lines.next(), lines.next()) {
        (Some((i, _)), None) => Some(i + 1),
        _ => None,
    }
}

/// The value as the operator wrote it, from the crate's description (`string "abc"`,
/// ``64-bit integer `-1` ``).
fn value(unexpected: &str) -> String {
    if let Some(text) = unexpected.strip_prefix("string ") {
        return text.to_owned();
    }
    match unexpected.split_once('`') {
        Some((_, rest)) => rest.trim_end_matches('`').to_owned(),
        None => unexpected.to_owned(),
    }
}

/// What a type expects, in words.
fn expected(what: &str) -> String {
    match what {
        "a sequence" => "a list, e.g. [\"a\", \"b\"] (from the environment: a, b)".to_owned(),
        w if w.contains("unsigned") || w.contains("u32") || w.contains("u64") => {
            "a whole number from 0".to_owned()
        }
        "an integer" | "i64" => "a whole number".to_owned(),
        "a boolean" | "bool" => "true or false".to_owned(),
        "a map" => "a table".to_owned(),
        w => w.to_owned(),
    }
}

/// The words a configured enum accepts, by the type's name in the crate's message ("enum
/// RestDayReceipt does not have variant constructor …"), read from the types themselves.
fn words_of(enum_name: &str) -> Option<&'static [&'static str]> {
    [
        variants::<crate::domain::deadline::RestDayReceipt>(),
        variants::<crate::domain::escalation::Repeat>(),
        variants::<crate::domain::escalation::Role>(),
        variants::<crate::config::mail::TransportKind>(),
        variants::<crate::config::mail::Tls>(),
        variants::<super::CaseSource>(),
    ]
    .into_iter()
    .flatten()
    .find(|(name, _)| *name == enum_name)
    .map(|(_, words)| words)
}

/// Rewords the crate's error; `None` when it has nothing to add (an unknown key, a file that
/// does not parse: the crate's message is kept). A parsed type's refusal comes back with its
/// own help after [`HELP`].
pub(super) fn reworded(e: &config::ConfigError, file: Option<&Path>) -> Option<String> {
    match e {
        config::ConfigError::Type {
            origin,
            unexpected,
            expected: what,
            key: Some(key),
        } => {
            let key = dotted(key);
            Some(format!(
                "{key} = {}{}: expected {}",
                value(&unexpected.to_string()),
                place(&key, origin.as_deref(), file),
                expected(what)
            ))
        }
        config::ConfigError::At {
            error,
            origin,
            key: Some(key),
        } => {
            let key = dotted(key);
            let inner = error.to_string();
            if let Some((name, given)) = inner
                .strip_prefix("enum ")
                .and_then(|rest| rest.split_once(" does not have variant constructor "))
            {
                let allowed = words_of(name).map_or_else(String::new, |words| {
                    format!(
                        ": the values allowed are {}",
                        words
                            .iter()
                            .map(|w| format!("\"{w}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
                return Some(format!(
                    "{key} = \"{given}\"{}{allowed}",
                    place(&key, origin.as_deref(), file)
                ));
            }
            if inner.contains("unknown field `") {
                return None;
            }
            // A parsed type's refusal (an address, database.url, http.listen) says the value and
            // what is wrong with it, and ends in its help: `KEY: MESSAGE (in FILE)`, the help kept
            // for the caller to split off ([`HELP`]).
            if let Some((said, help)) = inner.split_once(HELP) {
                return Some(format!(
                    "{key}: {said}{}{HELP}{help}",
                    place(&key, origin.as_deref(), file)
                ));
            }
            Some(format!(
                "{key}{}: {inner}",
                place(&key, origin.as_deref(), file)
            ))
        }
        _ => None,
    }
}

/// The name and variants of an enum deriving `Deserialize`, as serde hands them to a
/// deserializer.
fn variants<T: de::DeserializeOwned>() -> Option<(&'static str, &'static [&'static str])> {
    let mut capture = Capture(None);
    let _ = T::deserialize(&mut capture);
    capture.0
}

/// A deserializer that only records what `deserialize_enum` is asked for.
struct Capture(Option<(&'static str, &'static [&'static str])>);

impl<'de> Deserializer<'de> for &mut Capture {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not an enum"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some((name, variants));
        Err(de::Error::custom("captured"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_and_the_key_after_it_are_joined_by_a_dot() {
        assert_eq!(dotted("sections[1]code"), "sections[1].code");
        assert_eq!(
            dotted("escalation.recipients.reminder[0]"),
            "escalation.recipients.reminder[0]"
        );
        assert_eq!(dotted("a[0][1]b"), "a[0][1].b");
    }

    #[test]
    fn the_words_an_enum_accepts_are_read_from_its_type() {
        assert_eq!(
            words_of("RestDayReceipt"),
            Some(&["strict", "next_working_day"][..])
        );
        assert_eq!(
            words_of("Role"),
            Some(&["responsible", "office", "leadership", "supervision"][..])
        );
        assert_eq!(words_of("Nothing"), None);
    }
}
