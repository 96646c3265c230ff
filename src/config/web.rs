//! `[web]`: how the console is reached from outside, `web.base_url` (the address people open,
//! usually the authenticating reverse proxy's), parsed at load into a [`BaseUrl`]; the digests'
//! links and `duewatch feed token`'s subscription URL are made from it.

use std::fmt;

use serde::Deserialize;

/// `[web]`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// The console's address as people reach it; `""` (`None`): mail carries no links.
    #[serde(deserialize_with = "base_url", serialize_with = "shown")]
    pub base_url: Option<BaseUrl>,
}

/// An `http` or `https` URL without query, fragment or credentials, its trailing slash dropped:
/// a path is appended to it (`{base}/cases/…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Parses `text`.
    ///
    /// # Errors
    /// Not a URL, another scheme, no host, a query, a fragment or a user and password: the
    /// message says which, then [`super::messages::HELP`] and an example.
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let help = "\n  help: give the console's address as people open it, e.g. \
                    \"https://duewatch.bureau.example\" (or a path under it, \
                    \"https://intranet.bureau.example/duewatch\"), or \"\" for mail without links";
        let url =
            url::Url::parse(text).map_err(|e| format!("\"{text}\" is not a URL ({e}){help}"))?;
        let problem = if !matches!(url.scheme(), "http" | "https") {
            Some(format!("its scheme is {}, not http or https", url.scheme()))
        } else if url.host_str().is_none_or(str::is_empty) {
            Some("it names no host".to_owned())
        } else if url.query().is_some() {
            Some("it has a query (?…): links add their own".to_owned())
        } else if url.fragment().is_some() {
            Some("it has a fragment (#…)".to_owned())
        } else if !url.username().is_empty() || url.password().is_some() {
            Some("it holds a user name or password, which every mail would carry".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(format!(
                "\"{text}\" cannot be the console's address: {problem}{help}"
            ));
        }
        Ok(BaseUrl(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// The page of one case: `{base}/cases/{reference}`, the reference percent-encoded.
    pub fn case(&self, reference: &str) -> String {
        format!("{}/cases/{}", self.0, segment(reference))
    }

    /// The list of open cases of `party` (a section's code, or `office`), or all of them.
    pub fn list(&self, party: Option<&str>) -> String {
        match party {
            Some(code) => {
                let query: String = form_urlencoded::Serializer::new(String::new())
                    .append_pair("party", code)
                    .finish();
                format!("{}/cases?{query}", self.0)
            }
            None => format!("{}/cases", self.0),
        }
    }

    /// A section's calendar feed: `{base}/feeds/{section}.ics?token=TOKEN`.
    pub fn feed(&self, section: &str, token: &str) -> String {
        format!(
            "{}/feeds/{}.ics?token={}",
            self.0,
            segment(section),
            segment(token)
        )
    }
}

/// `text` as one path segment or one query value: everything but the unreserved characters
/// (RFC 3986: letters, digits, `-._~`) percent-encoded. The console's templates use it too.
pub(crate) fn segment(text: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, KEEP).to_string()
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `web.base_url`: `""` is none, anything else a [`BaseUrl`].
fn base_url<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BaseUrl>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.is_empty() {
        return Ok(None);
    }
    BaseUrl::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn shown<S: serde::Serializer>(url: &Option<BaseUrl>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(url.as_ref().map_or("", |u| u.0.as_str()))
}

#[cfg(test)]
mod tests {
    use super::BaseUrl;

    #[test]
    fn a_base_url_loses_its_trailing_slash_and_links_are_made_under_it() {
        let base = BaseUrl::parse("https://duewatch.bureau.example/").expect("a base");
        assert_eq!(base.to_string(), "https://duewatch.bureau.example");
        assert_eq!(
            base.case("2026/B 1#?"),
            "https://duewatch.bureau.example/cases/2026%2FB%201%23%3F"
        );
        assert_eq!(
            base.list(Some("ss")),
            "https://duewatch.bureau.example/cases?party=ss"
        );
        assert_eq!(base.list(None), "https://duewatch.bureau.example/cases");
        let under = BaseUrl::parse("http://intranet.example:8080/duewatch/").expect("a base");
        assert_eq!(
            under.feed("ss", "ab12"),
            "http://intranet.example:8080/duewatch/feeds/ss.ics?token=ab12"
        );
    }

    #[test]
    fn a_base_url_that_cannot_carry_a_path_is_refused_saying_why() {
        for (text, words) in [
            ("duewatch.bureau.example", "is not a URL"),
            ("ftp://duewatch.bureau.example", "its scheme is ftp"),
            ("https://duewatch.bureau.example/?a=1", "it has a query"),
            ("https://duewatch.bureau.example/#top", "it has a fragment"),
            (
                "https://me:pw@duewatch.bureau.example",
                "user name or password",
            ),
        ] {
            let refused = BaseUrl::parse(text).expect_err(text);
            assert!(refused.contains(words), "{text}: {refused}");
            assert!(refused.contains("\n  help: "), "{text}: {refused}");
        }
    }
}
