//! Who made each change: the history names the command line's login (`cli:NAME`) beside each
//! line, in `case show` as text and as JSON, on both backends; lines written before the column
//! existed name nobody.

use predicates::str::contains;
use serde_json::Value;

use crate::helpers::{Backend, Setup};

/// `duewatch ARGS` run by the login `user` (`$USER`), succeeding.
fn as_user(s: &Setup, user: &str, args: &[&str]) {
    s.duewatch(args).env("USER", user).assert().success();
}

/// The history of `reference` as `case show --json` gives it.
fn history(s: &Setup, reference: &str) -> Vec<Value> {
    let out = s
        .duewatch(&["case", "show", reference, "--json", "--as-of", "2026-12-01"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown: Value = serde_json::from_slice(&out).expect("JSON on stdout");
    shown["history"].as_array().expect("history").clone()
}

on_both_backends! {
    case_show_names_who_recorded_each_change => |backend| {
        let s = Setup::with_store(backend);
        as_user(&s, "wang", &["case", "add", "--ref", "2026-0042", "--received", "2026-11-27"]);
        as_user(&s, "li", &["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-12-01"]);
        let lines = history(&s, "2026-0042");
        let actors: Vec<(&str, &str)> = lines
            .iter()
            .map(|h| (h["command"].as_str().expect("command"), h["actor"].as_str().expect("actor")))
            .collect();
        assert_eq!(actors, [("case add", "cli:wang"), ("case forward", "cli:li")]);
        s.duewatch(&["case", "show", "2026-0042", "--as-of", "2026-12-01"])
            .assert()
            .success()
            .stdout(contains("case add: received on 2026-11-27 by cli:wang"))
            .stdout(predicates::str::is_match(r"case forward: [^\n]* by cli:li\n").expect("a regex"));
    };

    without_user_the_login_name_or_else_the_user_id_is_the_actor => |backend| {
        let s = Setup::with_store(backend);
        s.duewatch(&["case", "add", "--ref", "2026-0042", "--received", "2026-11-27"])
            .env_remove("USER")
            .env("LOGNAME", "zhao")
            .assert()
            .success();
        s.duewatch(&["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-12-01"])
            .env_remove("USER")
            .env_remove("LOGNAME")
            .assert()
            .success();
        let uid = std::process::Command::new("id").arg("-u").output().expect("id -u");
        let uid = String::from_utf8(uid.stdout).expect("a number");
        let lines = history(&s, "2026-0042");
        assert_eq!(lines[0]["actor"], "cli:zhao");
        assert_eq!(lines[1]["actor"], format!("cli:{}", uid.trim()));
    };

    a_line_written_before_actors_were_recorded_names_nobody => |backend| {
        let s = Setup::with_store(backend);
        as_user(&s, "wang", &["case", "add", "--ref", "2026-0042", "--received", "2026-11-27"]);
        s.sql(&["UPDATE history SET actor = NULL"]);
        let lines = history(&s, "2026-0042");
        assert_eq!(lines[0]["actor"], Value::Null);
        s.duewatch(&["case", "show", "2026-0042", "--as-of", "2026-12-01"])
            .assert()
            .success()
            .stdout(contains("case add: received on 2026-11-27\n"));
    };
}
