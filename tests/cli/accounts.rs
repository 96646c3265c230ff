//! `duewatch user …` and `duewatch token …` on both backends: accounts added, listed, refused,
//! their passwords changed and their sessions ended, disabled and enabled; API tokens made,
//! listed and revoked. A password is never printed nor stored as given; each refusal exits 1,
//! says what to do and writes nothing (checked in the tables).

use predicates::prelude::*;
use predicates::str::contains;

use crate::accounts_store::on_store;
use crate::helpers::{Backend, Setup};

const PASSWORD: &str = "correct horse battery staple";

/// `duewatch ARGS` with `stdin` as its standard input.
fn with_stdin(s: &Setup, args: &[&str], stdin: &str) -> assert_cmd::assert::Assert {
    s.duewatch(args).write_stdin(stdin).assert()
}

/// A refusal: exit 1, stderr holding each of `said`, stdout empty.
fn refused(s: &Setup, args: &[&str], stdin: &str, said: &[&str]) {
    let mut assert = with_stdin(s, args, stdin).code(1).stdout("");
    for part in said {
        assert = assert.stderr(contains(*part));
    }
}

/// One text value of the database (a count, cast), by `query`.
fn value(s: &Setup, query: &str) -> String {
    s.column(query)
        .into_iter()
        .next()
        .flatten()
        .unwrap_or_else(|| panic!("no value: {query}"))
}

fn users(s: &Setup) -> String {
    value(s, "SELECT CAST(count(*) AS TEXT) FROM users")
}

/// Opens a session of `name` (as the console would, at the real time), by its cookie's hash.
fn open_session(s: &Setup, name: &str, cookie: &str) {
    on_store(s, async |store: &duewatch::store::Store| {
        let (account, _) = store.user(name).await.expect("read").expect("the user");
        let now = chrono::Utc::now().timestamp();
        let id = duewatch::store::secret::hash(cookie);
        store
            .open_session(&id, account.id, "csrf", now)
            .await
            .expect("opened");
    });
}

/// The users whose sessions are kept, one name per session, sorted.
fn sessions(s: &Setup) -> Vec<String> {
    s.column("SELECT u.name FROM sessions s JOIN users u ON u.id = s.user_id ORDER BY u.name")
        .into_iter()
        .flatten()
        .collect()
}

on_both_backends! {
    users_are_added_and_listed_and_a_password_is_kept_only_hashed => |backend| {
        let s = Setup::with_store(backend);
        let added = with_stdin(&s, &["user", "add", "wang", "--role", "office", "--password-stdin"], &format!("{PASSWORD}\n"))
            .success()
            .stdout("user wang added: office, with a password\n");
        let output = added.get_output();
        let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(!said.contains(PASSWORD), "the password is never printed: {said}");
        with_stdin(&s, &["user", "add", "李科长", "--role", "section:ss", "--no-password"], "")
            .success()
            .stdout("user 李科长 added: section:ss, without a password\n");
        with_stdin(&s, &["user", "add", "boss", "--role", "leadership", "--password-stdin"], "0123456789")
            .success();

        let hash = value(&s, "SELECT password_hash FROM users WHERE name = 'wang'");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(PASSWORD) && !hash.contains("horse"), "{hash}");
        assert_eq!(s.column("SELECT password_hash FROM users WHERE name = '李科长'"), [None]);

        let list = s.duewatch(&["user", "list"]).assert().success();
        let list = String::from_utf8_lossy(&list.get_output().stdout).into_owned();
        let rows: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
        let shown: Vec<&[&str]> = rows.iter().map(|r| &r[..4]).collect();
        assert_eq!(shown, [
            &["boss", "leadership", "enabled", "password"][..],
            &["wang", "office", "enabled", "password"][..],
            &["李科长", "section:ss", "enabled", "no-password"][..],
        ]);
        for row in &rows {
            chrono::NaiveDateTime::parse_from_str(row[4], "%Y-%m-%d %H:%M")
                .unwrap_or_else(|e| panic!("made at {:?}: {e}", row[4]));
        }
        assert!(!list.contains("$argon2"), "{list}");
    };

    a_bad_user_is_refused_with_what_to_do_and_nothing_is_written => |backend| {
        let s = Setup::with_store(backend);
        with_stdin(&s, &["user", "add", "wang", "--role", "office", "--no-password"], "").success();
        let line = format!("{PASSWORD}\n");
        let refusals: &[(&[&str], &str, &[&str])] = &[
            (&["user", "add", "wang", "--role", "admin", "--no-password"], "",
             &["the user wang exists already", "help:"]),
            (&["user", "add", "zhao", "--role", "boss", "--no-password"], "",
             &["--role: \"boss\" is not a role", "admin, office, leadership or section:CODE"]),
            (&["user", "add", "zhao", "--role", "section:xx", "--no-password"], "",
             &["section \"xx\" is not configured", "the configured sections are ss, zc"]),
            (&["user", "add", "a b", "--role", "office", "--no-password"], "",
             &["\"a b\" is not a user name", "help:"]),
            (&["user", "add", "zhao", "--role", "office", "--password-stdin"], "short\n",
             &["at least 10 characters, this one has 5", "nothing was changed"]),
            (&["user", "add", "zhao", "--role", "office", "--password-stdin"], "first line\nsecond line\n",
             &["more than one line", "nothing was changed"]),
            // No flag and no terminal (stdin is a pipe here): not asked, refused.
            (&["user", "add", "zhao", "--role", "office"], &line,
             &["stdin is not a terminal", "--password-stdin", "--no-password"]),
            (&["user", "passwd", "zhao", "--password-stdin"], &line,
             &["there is no user \"zhao\"", "duewatch user list"]),
            (&["user", "passwd", "wang"], &line, &["stdin is not a terminal", "--password-stdin"]),
            (&["user", "disable", "zhao"], "", &["there is no user \"zhao\""]),
            (&["user", "enable", "zhao"], "", &["there is no user \"zhao\""]),
        ];
        for (args, stdin, said) in refusals {
            refused(&s, args, stdin, said);
        }
        assert_eq!(users(&s), "1", "nothing was written");
        assert_eq!(s.column("SELECT password_hash FROM users"), [None], "wang unchanged");
        // Usage errors are clap's: exit 2.
        s.duewatch(&["user", "add", "zhao", "--role", "office", "--password-stdin", "--no-password"])
            .assert()
            .code(2)
            .stderr(contains("cannot be used with"));
        s.duewatch(&["user", "add", "zhao"]).assert().code(2).stderr(contains("--role"));
        assert_eq!(users(&s), "1");
    };

    a_new_password_ends_that_users_sessions_only => |backend| {
        let s = Setup::with_store(backend);
        with_stdin(&s, &["user", "add", "wang", "--role", "office", "--password-stdin"], "0123456789\n").success();
        with_stdin(&s, &["user", "add", "li", "--role", "leadership", "--no-password"], "").success();
        let before = value(&s, "SELECT password_hash FROM users WHERE name = 'wang'");
        open_session(&s, "wang", "cookie-1");
        open_session(&s, "wang", "cookie-2");
        open_session(&s, "li", "cookie-3");
        assert_eq!(sessions(&s), ["li", "wang", "wang"]);
        with_stdin(&s, &["user", "passwd", "wang", "--password-stdin"], &format!("{PASSWORD}\r\n"))
            .success()
            .stdout(contains("password changed; the user's sessions ended"))
            .stdout(contains(PASSWORD).not());
        assert_eq!(sessions(&s), ["li"]);
        let after = value(&s, "SELECT password_hash FROM users WHERE name = 'wang'");
        assert!(after.starts_with("$argon2id$") && after != before, "{after}");
        on_store(&s, async |store: &duewatch::store::Store| {
            let (_, hash) = store.user("wang").await.expect("read").expect("wang");
            let verify = duewatch::store::secret::verify_password;
            assert!(verify(hash.as_deref(), PASSWORD), "the line's CR LF is not the password's");
            assert!(!verify(hash.as_deref(), "0123456789"), "the old one no longer works");
        });
        // A user without a password may be given one.
        with_stdin(&s, &["user", "passwd", "li", "--password-stdin"], "0123456789\n").success();
        assert!(value(&s, "SELECT password_hash FROM users WHERE name = 'li'").starts_with("$argon2id$"));
    };

    a_disabled_user_loses_its_sessions_at_once_and_is_listed_so_until_enabled => |backend| {
        let s = Setup::with_store(backend);
        with_stdin(&s, &["user", "add", "wang", "--role", "office", "--no-password"], "").success();
        with_stdin(&s, &["user", "add", "li", "--role", "office", "--no-password"], "").success();
        open_session(&s, "wang", "cookie-1");
        open_session(&s, "li", "cookie-2");
        s.duewatch(&["user", "disable", "wang"])
            .assert()
            .success()
            .stdout(contains("user wang disabled: its sessions ended and its API tokens no longer work"));
        assert_eq!(sessions(&s), ["li"]);
        let disabled = |name: &str| value(&s, &format!("SELECT CAST(CASE WHEN disabled THEN 'yes' ELSE 'no' END AS TEXT) FROM users WHERE name = '{name}'"));
        assert_eq!((disabled("wang").as_str(), disabled("li").as_str()), ("yes", "no"));
        s.duewatch(&["user", "list"]).assert().success()
            .stdout(contains("li\toffice\tenabled\t"))
            .stdout(contains("wang\toffice\tdisabled\t"));
        s.duewatch(&["user", "enable", "wang"]).assert().success().stdout("user wang enabled\n");
        assert_eq!(disabled("wang"), "no");
        s.duewatch(&["user", "list"]).assert().success().stdout(contains("wang\toffice\tenabled\t"));
    };

    api_tokens_are_shown_once_kept_hashed_listed_and_revoked => |backend| {
        let s = Setup::with_store(backend);
        with_stdin(&s, &["user", "add", "robot", "--role", "office", "--no-password"], "").success();
        let made = s.duewatch(&["token", "add", "robot", "--label", "案件系统同步"])
            .assert()
            .success()
            .stderr(contains("shown only now"));
        let token = String::from_utf8_lossy(&made.get_output().stdout).trim().to_owned();
        assert_eq!(token.len(), 64, "{token}");
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
        let kept = s.column("SELECT CAST(id AS TEXT) FROM api_tokens");
        assert_eq!(kept.len(), 1);
        let id = kept[0].clone().expect("an id");
        on_store(&s, async |store: &duewatch::store::Store| {
            let hash = duewatch::store::secret::hash(&token);
            let account = store.token_account(&hash, chrono::Utc::now().timestamp()).await.expect("read");
            assert_eq!(account.map(|a| a.name.to_string()).as_deref(), Some("robot"), "the SHA-256 is kept");
        });

        let list = s.duewatch(&["token", "list"]).assert().success();
        let list = String::from_utf8_lossy(&list.get_output().stdout).into_owned();
        let row: Vec<&str> = list.trim_end().split('\t').collect();
        assert_eq!((row[0], row[1], row[2], row[5]), (id.as_str(), "robot", "案件系统同步", "active"), "{list}");
        assert_ne!(row[4], "never used", "used just now: {list}");
        assert!(!list.contains(&token), "never the token: {list}");

        s.duewatch(&["user", "disable", "robot"]).assert().success();
        s.duewatch(&["token", "list"]).assert().success().stdout(contains("\tuser disabled\n"));
        s.duewatch(&["user", "enable", "robot"]).assert().success();

        s.duewatch(&["token", "revoke", &id]).assert().success().stdout(format!("token {id} revoked: it no longer works\n"));
        s.duewatch(&["token", "list"]).assert().success().stdout(contains("\trevoked "));
        assert_eq!(s.column("SELECT CAST(count(*) AS TEXT) FROM api_tokens WHERE revoked_at IS NOT NULL"), [Some("1".to_owned())]);
        s.duewatch(&["token", "revoke", &id]).assert().success().stdout(contains("was revoked already"));

        refused(&s, &["token", "revoke", "999999"], "", &["there is no API token 999999", "duewatch token list"]);
        refused(&s, &["token", "add", "nobody"], "", &["there is no user \"nobody\""]);
        refused(&s, &["token", "add", "robot", "--label", "two\nlines"], "", &["--label", "nothing was changed"]);
        s.duewatch(&["token", "revoke", "x"]).assert().code(2);
        assert_eq!(s.column("SELECT CAST(count(*) AS TEXT) FROM api_tokens"), [Some("1".to_owned())], "nothing more written");
    };
}

/// Runs `duewatch --config … ARGS` on a terminal (util-linux's `script` gives it a pty), typing
/// each of `typed` after the prompt that precedes it appears; its exit code and what the
/// terminal showed.
fn on_a_terminal(s: &Setup, args: &[&str], typed: &[(&str, &str)]) -> (i32, String) {
    use std::io::{Read as _, Write as _};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    let binary = assert_cmd::cargo::cargo_bin("duewatch");
    let mut line = format!("'{}' --config '{}'", binary.display(), s.config().display());
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_clear()
        .env("DUEWATCH_TODAY", crate::helpers::TODAY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut shown = Vec::new();
    let mut stdin = child.stdin.take().expect("piped");
    for (prompt, answer) in typed {
        while !String::from_utf8_lossy(&shown).contains(prompt) {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(bytes) => shown.extend(bytes),
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "no prompt {prompt:?} within 10 s: {}",
                        String::from_utf8_lossy(&shown)
                    );
                }
            }
        }
        // The next prompt is looked for after this one.
        let seen = String::from_utf8_lossy(&shown).replacen(prompt, "", 1);
        shown = seen.into_bytes();
        stdin
            .write_all(format!("{answer}\n").as_bytes())
            .expect("typed");
    }
    drop(stdin);
    let status = child.wait().expect("it ends");
    while let Ok(bytes) = rx.recv_timeout(Duration::from_secs(2)) {
        shown.extend(bytes);
    }
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&shown).into_owned(),
    )
}

#[test]
fn on_a_terminal_the_password_is_asked_twice_and_must_match() {
    let s = Setup::with_store(Backend::Sqlite);
    let (code, shown) = on_a_terminal(
        &s,
        &["user", "add", "wang", "--role", "office"],
        &[
            ("password for wang: ", PASSWORD),
            ("the same password again: ", PASSWORD),
        ],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("user wang added: office, with a password"),
        "{shown}"
    );
    // Not asserted: that the password is not echoed. The answer is typed once the prompt
    // shows, which may be a moment before rpassword turns the echo off.
    on_store(&s, async |store: &duewatch::store::Store| {
        let (_, hash) = store.user("wang").await.expect("read").expect("wang");
        assert!(duewatch::store::secret::verify_password(
            hash.as_deref(),
            PASSWORD
        ));
    });

    let (code, shown) = on_a_terminal(
        &s,
        &["user", "passwd", "wang"],
        &[
            ("password for wang: ", "another password"),
            ("the same password again: ", "another passw0rd"),
        ],
    );
    assert_eq!(code, 1, "{shown}");
    assert!(shown.contains("the two passwords typed differ"), "{shown}");
    let (code, shown) = on_a_terminal(
        &s,
        &["user", "passwd", "wang"],
        &[("password for wang: ", "short")],
    );
    assert_eq!(code, 1, "{shown}");
    assert!(
        shown.contains("at least 10 characters"),
        "refused before asking again: {shown}"
    );
    assert!(!shown.contains("again"), "{shown}");
    on_store(&s, async |store: &duewatch::store::Store| {
        let (_, hash) = store.user("wang").await.expect("read").expect("wang");
        assert!(
            duewatch::store::secret::verify_password(hash.as_deref(), PASSWORD),
            "unchanged"
        );
    });
}
