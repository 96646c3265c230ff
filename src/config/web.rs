//! `[web]`: how the console is reached from outside, `web.base_url` (the address people open,
//! usually the authenticating reverse proxy's), parsed at load into a [`BaseUrl`]; the digests'
//! links and `duewatch feed token`'s subscription URL are made from it. And who gets in
//! (issue 16): `web.auth` ([`AuthMode`]), the single sign-on header and the proxies trusted to
//! set it ([`ProxyAddress`]), the session cookie's `Secure` flag and the sessions' timeouts.

use std::fmt;

use serde::Deserialize;

/// `[web]`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// The console's address as people reach it; `""` (`None`): mail carries no links.
    #[serde(deserialize_with = "base_url", serialize_with = "shown")]
    pub base_url: Option<BaseUrl>,
    /// How people log in: `auto` (the default: `password` once an account exists, `none`
    /// before), `password`, `proxy` or `none` (loopback only).
    pub auth: AuthMode,
    /// With `auth = "proxy"`: the header that carries the user name.
    pub proxy_header: String,
    /// With `auth = "proxy"`: the addresses (or networks, `10.0.0.0/8`) whose requests may carry
    /// it; from any other address the header is ignored.
    #[serde(deserialize_with = "proxies", serialize_with = "proxies_shown")]
    pub trusted_proxies: Vec<ProxyAddress>,
    /// Mark the session cookie `Secure` (the console is reached over TLS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// A session ends after this many minutes without a request.
    pub session_idle_mins: u32,
    /// A session ends this many hours after the login, however active.
    pub session_max_hours: u32,
}

/// `web.auth`: how a person is known to the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// `password` once an account exists (`duewatch user add`), `none` until then.
    Auto,
    /// The login page: a user name and a password (argon2id), then a session cookie.
    Password,
    /// Trusted single sign-on: the user name from `web.proxy_header`, only from
    /// `web.trusted_proxies`; the user still needs an account and a role.
    Proxy,
    /// No login: everybody reads everything and records nothing (loopback only).
    None,
}

/// An address or a network (`ADDRESS/PREFIX`) of `web.trusted_proxies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyAddress {
    network: std::net::IpAddr,
    prefix: u8,
}

impl ProxyAddress {
    /// Parses `10.1.2.3`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    ///
    /// # Errors
    /// Not an address, or a prefix longer than the address.
    pub fn parse(text: &str) -> Result<ProxyAddress, String> {
        let help = "an IP address or a network, e.g. \"10.0.0.5\" or \"10.0.0.0/8\"";
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: std::net::IpAddr = address
            .parse()
            .map_err(|_| format!("\"{text}\" is not {help}"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| (1..=bits).contains(p))
                .ok_or_else(|| {
                    format!(
                        "\"{text}\": the prefix must be 1 to {bits} (0 would trust every address \
                         to name the user)"
                    )
                })?,
        };
        Ok(ProxyAddress { network, prefix })
    }

    /// Whether `address` is this one, or in this network (an IPv4 address mapped into IPv6,
    /// as a dual-stack listener sees it, counts as its IPv4 self).
    pub fn contains(&self, address: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        // The prefix is 1 to `bits` (parse): the shift is below 128.
        let keep = |bits: u32| -> u128 { (!0u128) << (bits - u32::from(self.prefix)) };
        match (self.network, address) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = keep(32);
                (u128::from(u32::from(n)) & mask) == (u128::from(u32::from(a)) & mask)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = keep(128);
                (u128::from(n) & mask) == (u128::from(a) & mask)
            }
            _ => false,
        }
    }
}

impl fmt::Display for ProxyAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == bits {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

/// `web.trusted_proxies`: each a [`ProxyAddress`].
fn proxies<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ProxyAddress>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|t| ProxyAddress::parse(t.trim()))
        .collect::<Result<_, _>>()
        .map_err(serde::de::Error::custom)
}

fn proxies_shown<S: serde::Serializer>(
    list: &[ProxyAddress],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(list.iter().map(ToString::to_string))
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

    /// The console's origin (`scheme://host[:port]`), as a browser's `Origin` header names it.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.0)
            .map_or_else(|_| String::new(), |u| u.origin().ascii_serialization())
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
    use super::{BaseUrl, ProxyAddress};

    #[test]
    fn trusted_proxies_match_their_address_or_network_only() {
        let ip = |t: &str| t.parse::<std::net::IpAddr>().expect("an address");
        let one = ProxyAddress::parse("10.0.0.5").expect("an address");
        assert!(one.contains(ip("10.0.0.5")));
        assert!(one.contains(ip("::ffff:10.0.0.5")), "IPv4 mapped into IPv6");
        assert!(!one.contains(ip("10.0.0.6")));
        let net = ProxyAddress::parse("10.0.0.0/8").expect("a network");
        assert!(net.contains(ip("10.255.1.2")) && !net.contains(ip("11.0.0.1")));
        let v6 = ProxyAddress::parse("fd00::/8").expect("a network");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.5")));
        for bad in [
            "10.0.0",
            "10.0.0.0/33",
            "proxy.bureau",
            "::1/129",
            "0.0.0.0/0",
            "::/0",
        ] {
            assert!(ProxyAddress::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert_eq!(one.to_string(), "10.0.0.5");
    }

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
