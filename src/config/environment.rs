//! The environment layer: `DUEWATCH__SECTION__KEY` overrides the file's `[section] key`. A key
//! that holds a list takes a list from the environment too, written either comma-separated
//! (`DUEWATCH__MAIL__ADMINS="it@bureau.example, ops@bureau.example"`, spaces around the commas
//! ignored, empty: no entry) or as a TOML array (`DUEWATCH__MAIL__ADMINS='["it@bureau.example"]'`).
//! `[[sections]]` (a list of tables) is set in the file only.

use config::builder::DefaultState;
use config::{ConfigBuilder, ConfigError};

use super::ENV_PREFIX;

/// Every key that holds a list of words or addresses.
pub(super) const LIST_KEYS: &[&str] = &[
    "office.emails",
    "leadership.emails",
    "supervision.emails",
    "office.channels",
    "leadership.channels",
    "office.mobiles",
    "leadership.mobiles",
    "supervision.channels",
    "supervision.mobiles",
    "mail.admins",
    "web.trusted_proxies",
    "report.recipients",
    "escalation.recipients.reminder",
    "escalation.recipients.due_today",
    "escalation.recipients.overdue",
    "escalation.recipients.notice_missing",
    "escalation.recipients.long_suspension",
];

/// A list as written in an environment variable: a TOML array, or comma-separated.
///
/// # Errors
/// Text that starts as a TOML array but is not an array of strings.
pub(super) fn list(value: &str) -> Result<Vec<String>, String> {
    let value = value.trim();
    if value.starts_with('[') {
        let parsed: Result<toml::Table, _> = toml::from_str(&format!("v = {value}"));
        let strings = parsed.ok().and_then(|t| match t.get("v") {
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>(),
            _ => None,
        });
        return strings.ok_or_else(|| {
            format!(
                "{value} is not a TOML array of strings; write [\"a@bureau.example\", \
                 \"b@bureau.example\"], or the entries separated by commas"
            )
        });
    }
    Ok(value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Adds the environment to `builder`: every `DUEWATCH__…` variable, and the list keys parsed
/// as lists (they override the same variable read as text).
///
/// # Errors
/// A list variable that is not UTF-8 or not a list, naming the variable.
pub(super) fn layer(
    builder: ConfigBuilder<DefaultState>,
) -> Result<ConfigBuilder<DefaultState>, super::ConfigError> {
    let mut builder = builder.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__"),
    );
    let prefix = format!("{}__", ENV_PREFIX.to_ascii_lowercase());
    let mut variables: Vec<(String, std::ffi::OsString)> = std::env::vars_os()
        .filter_map(|(name, value)| name.into_string().ok().map(|n| (n, value)))
        .collect();
    // In a fixed order, so that two spellings of one key (case differs) resolve the same way
    // every time.
    variables.sort();
    for (name, value) in variables {
        let lower = name.to_ascii_lowercase();
        let Some(key) = lower.strip_prefix(&prefix).map(|k| k.replace("__", ".")) else {
            continue;
        };
        if !LIST_KEYS.contains(&key.as_str()) {
            continue;
        }
        let invalid = |message: String| super::ConfigError::Invalid {
            message: format!("the environment variable {name} ({key}): {message}"),
            help: "write the entries separated by commas, e.g. \"a@bureau.example, \
                   b@bureau.example\", or as a TOML array"
                .to_owned(),
        };
        let value = value
            .into_string()
            .map_err(|_| invalid("it is not UTF-8 text".to_owned()))?;
        let entries = list(&value).map_err(invalid)?;
        builder = builder
            .set_override(key.as_str(), entries)
            .map_err(|e: ConfigError| invalid(e.to_string()))?;
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::list;

    #[test]
    fn a_list_from_the_environment_is_comma_separated_or_a_toml_array() {
        assert_eq!(
            list(" it@bureau.example, ops@bureau.example ,"),
            Ok(vec![
                "it@bureau.example".to_owned(),
                "ops@bureau.example".to_owned()
            ])
        );
        assert_eq!(list(""), Ok(Vec::<String>::new()));
        assert_eq!(
            list(r#"["responsible", "office"]"#),
            Ok(vec!["responsible".to_owned(), "office".to_owned()])
        );
        assert_eq!(list("[]"), Ok(Vec::<String>::new()));
        assert!(list("[1, 2]").is_err_and(|e| e.contains("not a TOML array of strings")));
    }
}
