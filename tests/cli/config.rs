//! The configuration as an administrator sets it: lists from the environment, warnings of
//! `config check`.

use predicates::str::contains;

use predicates::prelude::*;

use crate::helpers::{Backend, Setup};

#[test]
fn a_list_key_is_set_from_the_environment_comma_separated_or_as_a_toml_array() {
    let s = Setup::with_store(Backend::Sqlite);
    let shown = s
        .duewatch(&["config", "show"])
        .env(
            "DUEWATCH__OFFICE__EMAILS",
            "office@bureau.example, deputy@bureau.example",
        )
        .env("DUEWATCH__MAIL__ADMINS", r#"["it@bureau.example"]"#)
        .env(
            "DUEWATCH__ESCALATION__RECIPIENTS__OVERDUE",
            "responsible,office,leadership",
        )
        .env("DUEWATCH__LEADERSHIP__EMAILS", "")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown: toml::Table = toml::from_str(&String::from_utf8_lossy(&shown)).expect("TOML");
    let list = |section: &str, key: &str| -> Vec<String> {
        let mut value = &shown[section];
        for part in key.split('.') {
            value = &value[part];
        }
        value
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect()
    };
    assert_eq!(
        list("office", "emails"),
        ["office@bureau.example", "deputy@bureau.example"]
    );
    assert_eq!(list("mail", "admins"), ["it@bureau.example"]);
    assert_eq!(
        list("escalation", "recipients.overdue"),
        ["responsible", "office", "leadership"]
    );
    assert!(list("leadership", "emails").is_empty());
    s.duewatch(&["config", "check"])
        .env(
            "DUEWATCH__OFFICE__EMAILS",
            "office@bureau.example, deputy@bureau.example",
        )
        .env("DUEWATCH__MAIL__ADMINS", "it@bureau.example")
        .env("DUEWATCH__LEADERSHIP__EMAILS", "leaders@bureau.example")
        .assert()
        .success();
}

#[test]
fn config_check_accepts_a_listener_on_loopback_without_a_warning() {
    // Another address is refused (tests/cli/feeds.rs): the console has no login yet.
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(crate::helpers::ADDRESSES);
    s.append_config("[http]\nlisten = \"127.0.0.1:9187\"\n");
    s.duewatch(&["config", "check"])
        .assert()
        .success()
        .stderr(contains("warning").not());
}
