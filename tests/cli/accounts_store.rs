//! The accounts' store (`src/store/accounts.rs`, `src/store/sessions.rs`) on both backends,
//! called as the console calls it: users, sessions and their expiry, API tokens, failed logins.
//! The database is the test's own, migrated by the store.

use duewatch::config::DatabaseUrl;
use duewatch::domain::account::{Role, UserName};
use duewatch::store::secret::{hash, hash_password, new_token};
use duewatch::store::{AccountError, Store};

use crate::helpers::{Backend, POSTGRES, Setup};

/// 2026-12-01T00:00:00Z, the tests' "now".
const NOW: i64 = 1_795_996_800;

/// Runs `body` on this setup's store, migrated.
pub fn on_store<F, T>(s: &Setup, body: F) -> T
where
    F: AsyncFnOnce(&Store) -> T,
{
    let url = match &s.postgres {
        Some(name) => format!("{POSTGRES}/{name}"),
        None => format!(
            "sqlite://{}",
            s.dir.path().join("var/duewatch.db").display()
        ),
    };
    let url = DatabaseUrl::parse(&url).expect("a database URL");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            let store = Store::connect(&url).await.expect("the store");
            store.migrate().await.expect("migrated");
            body(&store).await
        })
}

fn name(text: &str) -> UserName {
    UserName::parse(text).expect("a user name")
}

fn role(text: &str) -> Role {
    Role::parse(text).expect("a role")
}

on_both_backends! {
    users_are_added_once_listed_by_name_and_read_with_their_hash => |backend| {
        let s = Setup::with_store(backend);
        on_store(&s, async |store: &Store| {
            assert!(!store.has_users().await.expect("read"));
            let phc = hash_password("a long password").expect("hashed");
            let wang = store.add_user(&name("wang"), &role("office"), Some(&phc), NOW).await.expect("added");
            assert_eq!((wang.name.as_str(), wang.has_password, wang.disabled, wang.created_at), ("wang", true, false, NOW));
            store.add_user(&name("li"), &role("section:ss"), None, NOW + 1).await.expect("added");
            assert!(store.has_users().await.expect("read"));
            match store.add_user(&name("wang"), &role("admin"), None, NOW).await {
                Err(e @ AccountError::Exists(_)) => {
                    assert!(e.to_string().contains("the user wang exists already"), "{e}");
                }
                other => panic!("a duplicate name: {other:?}"),
            }
            let users = store.users().await.expect("listed");
            let listed: Vec<(&str, String, bool)> = users
                .iter()
                .map(|u| (u.name.as_str(), u.role.to_string(), u.has_password))
                .collect();
            assert_eq!(listed, [("li", "section:ss".to_owned(), false), ("wang", "office".to_owned(), true)]);
            let (account, kept) = store.user("wang").await.expect("read").expect("wang exists");
            assert_eq!(account, wang);
            assert_eq!(kept.as_deref(), Some(phc.as_str()));
            assert_eq!(store.user("zhao").await.expect("read"), None);
        });
    };

    a_session_lives_while_used_within_its_limits_and_dies_with_logout => |backend| {
        let s = Setup::with_store(backend);
        on_store(&s, async |store: &Store| {
            let wang = store.add_user(&name("wang"), &role("office"), None, NOW).await.expect("added");
            let (idle, max) = (600, 3600);
            let cookie = hash(&new_token().expect("a token"));
            store.open_session(&cookie, wang.id, "csrf-1", NOW).await.expect("opened");
            let (account, csrf) = store.session(&cookie, NOW + 599, idle, max).await.expect("read").expect("alive");
            assert_eq!((account.name.as_str(), csrf.as_str()), ("wang", "csrf-1"));
            // Seen at NOW + 599: alive 600 s later, past the first idle limit.
            assert!(store.session(&cookie, NOW + 1199, idle, max).await.expect("read").is_some(), "touched");
            assert!(store.session(&cookie, NOW + 1800, idle, max).await.expect("read").is_none(), "idle too long");
            assert!(store.session(&cookie, NOW + 1801, idle, 1_000_000).await.expect("read").is_none(), "deleted when expired");

            let cookie = hash(&new_token().expect("a token"));
            store.open_session(&cookie, wang.id, "csrf-2", NOW).await.expect("opened");
            for at in (NOW + 500..NOW + 3600).step_by(500) {
                assert!(store.session(&cookie, at, idle, max).await.expect("read").is_some(), "{at}");
            }
            assert!(store.session(&cookie, NOW + 3601, idle, max).await.expect("read").is_none(), "older than max");

            let cookie = hash(&new_token().expect("a token"));
            store.open_session(&cookie, wang.id, "csrf-3", NOW).await.expect("opened");
            store.close_session(&cookie).await.expect("closed");
            assert!(store.session(&cookie, NOW + 1, idle, max).await.expect("read").is_none(), "logged out");
            assert!(store.session(&hash("never made"), NOW, idle, max).await.expect("read").is_none());
        });
    };

    a_new_password_or_disabling_ends_the_users_sessions_and_no_other => |backend| {
        let s = Setup::with_store(backend);
        on_store(&s, async |store: &Store| {
            let wang = store.add_user(&name("wang"), &role("office"), None, NOW).await.expect("added");
            let li = store.add_user(&name("li"), &role("leadership"), None, NOW).await.expect("added");
            let (a, b, c) = (hash("a"), hash("b"), hash("c"));
            store.open_session(&a, wang.id, "x", NOW).await.expect("opened");
            store.open_session(&b, li.id, "y", NOW).await.expect("opened");
            let alive = async |cookie: &[u8]| store.session(cookie, NOW + 1, 600, 3600).await.expect("read").is_some();
            store.set_password("wang", &hash_password("another password").expect("hashed"), NOW).await.expect("set");
            assert!(!alive(&a).await, "the old password's session ended");
            assert!(alive(&b).await, "another user's session lives");
            assert!(store.user("wang").await.expect("read").expect("wang").0.has_password);

            store.open_session(&c, wang.id, "z", NOW).await.expect("opened");
            store.set_disabled("wang", true, NOW).await.expect("disabled");
            assert!(!alive(&c).await, "ended at once");
            assert!(store.user("wang").await.expect("read").expect("wang").0.disabled);
            store.open_session(&a, wang.id, "x", NOW).await.expect("opened");
            assert!(!alive(&a).await, "a disabled user has no session");
            store.set_disabled("wang", false, NOW).await.expect("enabled");
            assert!(!store.user("wang").await.expect("read").expect("wang").0.disabled);
            assert!(alive(&b).await);

            for refused in [
                store.set_password("zhao", "x", NOW).await,
                store.set_disabled("zhao", true, NOW).await,
                store.add_token("zhao", None, &hash("t"), NOW).await.map(drop),
            ] {
                match refused {
                    Err(e @ AccountError::NoSuchUser(_)) => {
                        assert!(e.to_string().contains("there is no user \"zhao\""), "{e}");
                    }
                    other => panic!("an unknown user: {other:?}"),
                }
            }
        });
    };

    a_token_works_until_revoked_and_not_while_its_user_is_disabled => |backend| {
        let s = Setup::with_store(backend);
        on_store(&s, async |store: &Store| {
            store.add_user(&name("robot"), &role("office"), None, NOW).await.expect("added");
            let token = new_token().expect("a token");
            let id = store.add_token("robot", Some("the case system"), &hash(&token), NOW).await.expect("added");
            let other = store.add_token("robot", None, &hash("another"), NOW).await.expect("added");
            assert_ne!(id, other);
            let listed = store.tokens().await.expect("listed");
            assert_eq!(listed.len(), 2);
            assert_eq!((listed[0].id, listed[0].user.as_str(), listed[0].label.as_deref()), (id, "robot", Some("the case system")));
            assert_eq!((listed[0].last_used_at, listed[0].revoked_at), (None, None));

            let account = store.token_account(&hash(&token), NOW + 10).await.expect("read").expect("works");
            assert_eq!(account.name.as_str(), "robot");
            assert_eq!(store.tokens().await.expect("listed")[0].last_used_at, Some(NOW + 10));
            assert!(store.token_account(&hash("guessed"), NOW).await.expect("read").is_none());

            store.set_disabled("robot", true, NOW).await.expect("disabled");
            assert!(store.token_account(&hash(&token), NOW + 20).await.expect("read").is_none(), "user disabled");
            store.set_disabled("robot", false, NOW).await.expect("enabled");
            assert!(store.token_account(&hash(&token), NOW + 30).await.expect("read").is_some(), "enabled again");

            assert!(store.revoke_token(id, NOW + 40).await.expect("revoked"));
            assert!(!store.revoke_token(id, NOW + 50).await.expect("read"), "revoked already");
            assert!(!store.revoke_token(999_999, NOW).await.expect("read"), "no such token");
            assert!(store.token_account(&hash(&token), NOW + 60).await.expect("read").is_none(), "revoked");
            assert_eq!(store.tokens().await.expect("listed")[0].revoked_at, Some(NOW + 40));
            assert!(store.token_account(&hash("another"), NOW + 60).await.expect("read").is_some(), "the other works");
        });
    };

    failed_logins_are_counted_by_name_and_by_address_and_forgotten => |backend| {
        let s = Setup::with_store(backend);
        on_store(&s, async |store: &Store| {
            for (at, user, address) in [
                (NOW - 100, "wang", "10.0.0.1"),
                (NOW - 50, "wang", "10.0.0.2"),
                (NOW - 40, "li", "10.0.0.1"),
                (NOW - 10, "wang", "10.0.0.1"),
            ] {
                store.login_failed(user, address, at).await.expect("noted");
            }
            assert_eq!(store.login_failures("wang", "10.0.0.1", NOW - 100).await.expect("read"), (3, 3));
            assert_eq!(store.login_failures("wang", "10.0.0.1", NOW - 50).await.expect("read"), (2, 2));
            assert_eq!(store.login_failures("li", "10.0.0.9", NOW - 1000).await.expect("read"), (1, 0));
            assert_eq!(store.forget_login_failures(NOW - 40).await.expect("forgotten"), 2);
            assert_eq!(store.login_failures("wang", "10.0.0.1", 0).await.expect("read"), (1, 2));
        });
    };
}
