//! `[database]` (duewatch's own database) and `[cases]` (where the cases come from), and
//! [`mask`], which hides a URL's password in every message.

use serde::Deserialize;

/// A URL with any password replaced by `***`, for messages.
pub fn mask(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut masked = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &base[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..scheme + 3], &base[at..]),
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    // sqlx also takes the password as a parameter: `?password=…` (and `sslpassword=…`).
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.to_ascii_lowercase().ends_with("password") => {
                    format!("{key}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        masked.push('?');
        masked.push_str(&pairs.join("&"));
    }
    masked
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created if missing) or `postgres://…`.
    pub url: String,
}

/// `cases.source`: where duewatch reads its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseSource {
    /// duewatch's own tables in `database.url`, changed by `duewatch case …`.
    Builtin,
    /// An existing case system's database (`cases.url`), read-only, through the configured
    /// queries (README, "Watching an existing case system").
    Sql,
}

/// `[cases]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesConfig {
    /// `builtin` (the default) or `sql`.
    pub source: CaseSource,
    /// The case system's database, `postgres://…` or `mysql://…` (MariaDB too); a secret: it
    /// may hold a password, so it is never printed or logged unmasked.
    pub url: secrecy::SecretString,
    /// The query (or view) returning the cases, in the columns of the view contract.
    pub cases_query: String,
    /// The query returning the extensions (art. 20); empty: the case system records none.
    pub extensions_query: String,
    /// The query returning the suspensions (art. 21); empty: the case system records none.
    pub suspensions_query: String,
}

impl CasesConfig {
    /// The URL, for connecting only: never print it (use [`mask`]).
    pub fn url(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.url)
    }

    pub(super) fn validate(&self) -> Result<(), (String, &'static str)> {
        let url = self.url();
        match self.source {
            CaseSource::Builtin => {
                let set = [
                    ("cases.url", url),
                    ("cases.cases_query", &self.cases_query),
                    ("cases.extensions_query", &self.extensions_query),
                    ("cases.suspensions_query", &self.suspensions_query),
                ];
                if let Some((key, _)) = set.iter().find(|(_, v)| !v.trim().is_empty()) {
                    return Err((
                        format!("{key} is set, but cases.source = \"builtin\" does not use it"),
                        "set cases.source = \"sql\" to read the cases from that database, or remove the key",
                    ));
                }
            }
            CaseSource::Sql => {
                let known = ["postgres://", "postgresql://", "mysql://", "mariadb://"];
                if !known.iter().any(|p| url.starts_with(p)) {
                    return Err((
                        format!(
                            "cases.url: \"{}\" is neither postgres:// nor mysql://",
                            mask(url)
                        ),
                        "write postgres://user@host/db or mysql://user@host/db (MariaDB too); a \
                         password is best given as DUEWATCH__CASES__URL or the credential cases_url",
                    ));
                }
                if self.cases_query.trim().is_empty() {
                    return Err((
                        "cases.cases_query is empty, but cases.source = \"sql\" reads the cases \
                         through it"
                            .to_owned(),
                        "write a SELECT (or the name of a view: SELECT * FROM v_cases) returning \
                         the columns of the view contract (README, \"Watching an existing case system\")",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod mask_tests {
    use super::mask;

    #[test]
    fn a_password_is_hidden_in_the_user_part_and_in_parameters() {
        assert_eq!(
            mask("postgres://duewatch:s3cret@db.example/cases"),
            "postgres://duewatch:***@db.example/cases"
        );
        assert_eq!(
            mask("postgres://duewatch@db/cases?sslmode=require&password=s3cret&PASSWORD=x"),
            "postgres://duewatch@db/cases?sslmode=require&password=***&PASSWORD=***"
        );
        assert_eq!(
            mask("mysql://u:p@h/db?sslpassword=k"),
            "mysql://u:***@h/db?sslpassword=***"
        );
        assert_eq!(mask("sqlite://var/duewatch.db"), "sqlite://var/duewatch.db");
    }
}
