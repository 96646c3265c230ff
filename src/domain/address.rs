//! E-mail addresses as duewatch sends them. An internationalised domain (`head@bücher.example`,
//! `科长@例子.中国`'s `例子.中国`) is sent as punycode (IDNA, `head@xn--bcher-kva.example`), which
//! every relay takes; the part before the @ must be ASCII: it cannot be converted, and only a
//! relay offering SMTPUTF8 could take it (lettre refuses to send it to one that does not), so
//! `config check` refuses it rather than let every mail to it become a dead letter.

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
}
