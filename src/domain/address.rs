//! E-mail addresses as duewatch sends them. An internationalised domain (`head@bücher.example`,
//! `科长@例子.中国`'s `例子.中国`) is sent as punycode (IDNA, `head@xn--bcher-kva.example`), which
//! every relay takes; the part before the @ must be ASCII: it cannot be converted, and only a
//! relay offering SMTPUTF8 could take it (lettre refuses to send it to one that does not), so
//! `config check` refuses it rather than let every mail to it become a dead letter.
//!
//! [`EmailAddress`] is such an address, parsed: the configuration's addresses are read into it,
//! so that past loading no raw text stands for one.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// An address duewatch can send to: `local@domain.tld` without spaces, control characters or
/// angle brackets, its domain in ASCII (punycode, [`to_ascii`]), its part before the @ ASCII
/// ([`problem`]). What is sent, recorded and compared is this form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct EmailAddress(String);

/// Why a text is not an [`EmailAddress`]; `Display` is the message `config check` prints after
/// the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not of the form `name@example.org` (Debug-quoted: a line break shows as `\r\n`).
    #[error("{0:?} is not an e-mail address")]
    NotAnAddress(String),
    /// An address most relays cannot take ([`problem`]).
    #[error("\"{address}\": {problem}")]
    Unsendable {
        /// The address, its domain in ASCII where it could be converted.
        address: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

/// What to do about an address that is not one at all.
pub(crate) const ADDRESS_HELP: &str = "write addresses as name@example.org";

impl AddressError {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            AddressError::NotAnAddress(_) => ADDRESS_HELP,
            AddressError::Unsendable { .. } => PROBLEM_HELP,
        }
    }
}

impl EmailAddress {
    /// `text` as an address, its domain converted to ASCII.
    ///
    /// # Errors
    /// Not an address ([`AddressError::NotAnAddress`]), or one most relays cannot take
    /// ([`AddressError::Unsendable`]).
    pub fn parse(text: &str) -> Result<EmailAddress, AddressError> {
        let ascii = to_ascii(text);
        if !plausible(&ascii) {
            return Err(AddressError::NotAnAddress(ascii));
        }
        if let Some(problem) = problem(&ascii) {
            return Err(AddressError::Unsendable {
                address: ascii,
                problem,
            });
        }
        Ok(EmailAddress(ascii))
    }

    /// The address, as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = AddressError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&text)
    }
}

impl From<EmailAddress> for String {
    fn from(address: EmailAddress) -> String {
        address.0
    }
}

impl PartialEq<str> for EmailAddress {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The error serde reports: the message, then `\n  help: …`, which the configuration's
/// messages take as the error's help ([`crate::config`]).
fn refused<E: de::Error>(e: &AddressError) -> E {
    E::custom(format_args!("{e}\n  help: {}", e.help()))
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        EmailAddress::try_from(text).map_err(|e| refused(&e))
    }
}

/// A list of addresses read as one value (`#[serde(deserialize_with = "…")]`): a bad entry is
/// reported for the list's key (`office.emails`), as `config check` always has.
pub(crate) fn list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<EmailAddress>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .into_iter()
        .map(|text| EmailAddress::try_from(text).map_err(|e| refused(&e)))
        .collect()
}

/// Of the form `local@domain.tld`, with nothing that could end a header or an address.
fn plausible(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// `address` with its domain in ASCII (punycode), or unchanged when it has no @, its domain is
/// ASCII already, its part before the @ is not ASCII (refused by [`problem`]) or its domain is
/// not a valid internationalised name (refused by [`problem`] too).
pub fn to_ascii(address: &str) -> String {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return address.to_owned();
    };
    if domain.is_ascii() || !local.is_ascii() {
        return address.to_owned();
    }
    match idna::domain_to_ascii(domain) {
        Ok(ascii) => format!("{local}@{ascii}"),
        Err(_) => address.to_owned(),
    }
}

/// A sender or recipient as `Name <address>` or a bare address, with the address in ASCII
/// ([`to_ascii`]); the name is left as it is (it is encoded in the header).
pub fn mailbox_to_ascii(mailbox: &str) -> String {
    match mailbox
        .trim_end()
        .strip_suffix('>')
        .and_then(|m| m.rsplit_once('<'))
    {
        Some((name, address)) => format!("{name}<{}>", to_ascii(address)),
        None => to_ascii(mailbox),
    }
}
/// What to do about an address [`problem`] refuses (`config check`, `mail test --to`).
pub(crate) const PROBLEM_HELP: &str = "use the mailbox's ASCII address (an alias such as \
     kezhang@例子.中国); a domain may be internationalised: it is sent as punycode";

/// Why `address` (after [`to_ascii`]) cannot be sent to every relay, if it cannot.
pub fn problem(address: &str) -> Option<&'static str> {
    let (local, domain) = address.rsplit_once('@')?;
    if !local.is_ascii() {
        Some(
            "the part before the @ is not ASCII: only a relay that offers SMTPUTF8 could take it, \
             and most do not (the mail would be a dead letter)",
        )
    } else if !domain.is_ascii() {
        Some("the domain is not a valid internationalised domain name (IDNA)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internationalised_domain_becomes_punycode_and_the_rest_is_kept() {
        assert_eq!(
            to_ascii("head@bücher.example"),
            "head@xn--bcher-kva.example"
        );
        assert_eq!(to_ascii("kz@例子.中国"), "kz@xn--fsqu00a.xn--fiqs8s");
        assert_eq!(to_ascii("head@bureau.example"), "head@bureau.example");
        assert_eq!(
            to_ascii("科长@例子.中国"),
            "科长@例子.中国",
            "refused, not half converted"
        );
        assert_eq!(
            mailbox_to_ascii("duewatch 提醒 <duewatch@bücher.example>"),
            "duewatch 提醒 <duewatch@xn--bcher-kva.example>"
        );
        assert!(problem(&to_ascii("head@bücher.example")).is_none());
        assert!(problem("科长@例子.中国").is_some_and(|p| p.contains("SMTPUTF8")));
    }

    #[test]
    fn an_address_is_parsed_into_its_ascii_form_or_refused_with_the_reason() {
        let parsed = EmailAddress::parse("head@bücher.example").expect("an address");
        assert_eq!(parsed.as_str(), "head@xn--bcher-kva.example");
        assert_eq!(parsed.to_string(), "head@xn--bcher-kva.example");
        assert_eq!(
            EmailAddress::parse("office").expect_err("no @").to_string(),
            "\"office\" is not an e-mail address"
        );
        assert_eq!(
            EmailAddress::parse("zc@bureau.example\r\nBcc: x@evil.example")
                .expect_err("a line break")
                .to_string(),
            "\"zc@bureau.example\\r\\nBcc: x@evil.example\" is not an e-mail address"
        );
        let unsendable = EmailAddress::parse("科长@例子.中国").expect_err("not ASCII");
        assert!(
            unsendable
                .to_string()
                .starts_with("\"科长@例子.中国\": the part before")
        );
        assert_eq!(unsendable.help(), PROBLEM_HELP);
    }
}
