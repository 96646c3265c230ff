//! `[database]` (duewatch's own database) and `[cases]` (where the cases come from), and
//! [`mask`], which hides a URL's password in every message.

use std::fmt;

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
    pub url: DatabaseUrl,
    /// How many backups of a SQLite database to keep beside it (one is written before
    /// migrations change it); 0: none are written.
    pub backups_kept: u32,
}

/// duewatch's own database's backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://PATH`: the embedded default.
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

/// `database.url`, parsed: its backend known. It may hold a password, so it prints masked
/// ([`mask`], in `Display` and `Debug`); [`DatabaseUrl::expose`] is for connecting only.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// `url` as duewatch's database.
    ///
    /// # Errors
    /// `sqlite://` without a file, or a scheme other than `sqlite://` and `postgres://`: the
    /// message (the URL masked), then `\n  help: …` (as the configuration's messages take it).
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        let backend = if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("\"sqlite://\" names no file\n  help: write \
                     sqlite:///var/lib/duewatch/duewatch.db or postgres://host/db"
                    .to_owned());
            }
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(format!(
                "\"{}\" is neither sqlite:// nor postgres://\n  help: write \
                 sqlite:///var/lib/duewatch/duewatch.db or postgres://user@host/db",
                mask(url)
            ));
        };
        Ok(DatabaseUrl {
            url: url.to_owned(),
            backend,
        })
    }

    /// Its backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL unmasked, for connecting only: never print it (print the `DatabaseUrl`).
    pub fn expose(&self) -> &str {
        &self.url
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;
    fn try_from(url: String) -> Result<Self, Self::Error> {
        DatabaseUrl::parse(&url)
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DatabaseUrl::try_from(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask(&self.url))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?}, {:?})", mask(&self.url), self.backend)
    }
}

/// `cases.source`: where duewatch reads its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseSource {
    /// duewatch's own tables in `database.url`, changed by `duewatch case …`.
    Builtin,
    /// An existing case system's database (`cases.url`), read-only, through the configured
    /// queries (docs/case-system.md).
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
    /// The query returning the returns (退回: a forwarding undone by the section); empty: the
    /// case system records none.
    pub returns_query: String,
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
                    ("cases.returns_query", &self.returns_query),
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
                         the columns of the view contract (docs/case-system.md, \"The view contract\")",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod mask_tests {
    use super::{Backend, DatabaseUrl, mask};

    #[test]
    fn a_database_url_knows_its_backend_and_prints_masked() {
        let url = DatabaseUrl::parse("postgres://duewatch:s3cret@db/duewatch").expect("a URL");
        assert_eq!(url.backend(), Backend::Postgres);
        assert_eq!(url.to_string(), "postgres://duewatch:***@db/duewatch");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.expose(), "postgres://duewatch:s3cret@db/duewatch");
        let file = DatabaseUrl::parse("sqlite:///var/lib/duewatch/duewatch.db").expect("a URL");
        assert_eq!(file.backend(), Backend::Sqlite);
        let refused = DatabaseUrl::parse("mysql://u:p@h/db").expect_err("not ours");
        assert!(refused.starts_with("\"mysql://u:***@h/db\" is neither sqlite:// nor postgres://"));
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

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
