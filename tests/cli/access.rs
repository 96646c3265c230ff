//! Nobody gets in where they does not belong (issue 16): every route asked by every role, on
//! both backends, against the real server; what a section sees of the lists and the API; the
//! login's defences (CSRF and Origin, session fixation, expiry, the brute-force limit, a
//! disabled user) and single sign-on from trusted and untrusted addresses.

use crate::console::{Client, Console};
use crate::helpers::{Backend, Setup, clock_today};

/// Every test account's password.
pub const PASSWORD: &str = "correct horse 42";

/// `[web]` of a console with the login page.
pub const PASSWORD_LOGIN: &str = "auth = \"password\"\n";

/// The accounts of the tests: a name per role.
pub const ACCOUNTS: [(&str, &str); 4] = [
    ("admin1", "admin"),
    ("office1", "office"),
    ("lead1", "leadership"),
    ("ss1", "section:ss"),
];

/// Makes `name` with `role` and [`PASSWORD`] through the command line.
pub fn add_user(s: &Setup, name: &str, role: &str) {
    s.duewatch(&["user", "add", name, "--role", role, "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
}

/// A store with a case at the office (T-OFF), one at ss (T-SS) and one at zc (T-ZC), the four
/// accounts, and the console with `[web]` holding `web` (e.g. `auth = "password"`).
pub fn bureau(backend: Backend, web: &str) -> (Setup, Console) {
    let s = Setup::with_store(backend);
    let today = clock_today().to_string();
    for (reference, section) in [("T-OFF", None), ("T-SS", Some("ss")), ("T-ZC", Some("zc"))] {
        s.duewatch_on_the_clock(&["case", "add", "--ref", reference, "--received", &today])
            .assert()
            .success();
        if let Some(section) = section {
            s.duewatch_on_the_clock(&[
                "case",
                "forward",
                reference,
                "--section",
                section,
                "--on",
                &today,
            ])
            .assert()
            .success();
        }
    }
    for (name, role) in ACCOUNTS {
        add_user(&s, name, role);
    }
    s.append_config(&format!("[web]\n{web}"));
    let console = Console::start_logged_out(&s);
    (s, console)
}

/// Who asks: nobody, or one of the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    Admin,
    Office,
    Leadership,
    Section,
}

const EVERYONE: [Who; 5] = [
    Who::Nobody,
    Who::Admin,
    Who::Office,
    Who::Leadership,
    Who::Section,
];

fn client<'c>(console: &'c Console, who: Who) -> Client<'c> {
    let name = match who {
        Who::Nobody => return console.client(),
        Who::Admin => "admin1",
        Who::Office => "office1",
        Who::Leadership => "lead1",
        Who::Section => "ss1",
    };
    console.login(name, PASSWORD)
}

/// What a route answers each role: the status, and for 200 what the body must and must not
/// hold.
struct Row {
    path: &'static str,
    /// Status for nobody, admin, office, leadership, section (303: to the login page).
    status: [u16; 5],
}

const ROUTES: &[Row] = &[
    Row {
        path: "/",
        status: [303, 200, 200, 200, 200],
    },
    Row {
        path: "/cases",
        status: [303, 200, 200, 200, 200],
    },
    Row {
        path: "/cases?party=ss",
        status: [303, 200, 200, 200, 200],
    },
    Row {
        path: "/cases?party=zc",
        status: [303, 200, 200, 200, 403],
    },
    Row {
        path: "/cases?party=office",
        status: [303, 200, 200, 200, 403],
    },
    Row {
        path: "/cases?format=csv",
        status: [303, 200, 200, 200, 200],
    },
    Row {
        path: "/cases?print=1",
        status: [303, 200, 200, 200, 200],
    },
    Row {
        path: "/cases/T-SS",
        status: [303, 200, 200, 200, 200],
    },
    Row {
        path: "/cases/T-ZC",
        status: [303, 200, 200, 200, 404],
    },
    Row {
        path: "/cases/T-OFF",
        status: [303, 200, 200, 200, 404],
    },
    Row {
        path: "/calendar",
        status: [303, 303, 303, 303, 303],
    },
    Row {
        path: "/calendar/2026/12",
        status: [303, 200, 200, 200, 200],
    },
    Row {
        path: "/reports",
        status: [303, 200, 200, 200, 403],
    },
    Row {
        path: "/reports?from=2026-01-01&to=2026-12-31",
        status: [303, 200, 200, 200, 403],
    },
    Row {
        path: "/outbox",
        status: [303, 200, 200, 200, 403],
    },
    Row {
        path: "/api/v1/status",
        status: [401, 200, 200, 200, 200],
    },
    Row {
        path: "/api/v1/cases/T-SS/notifications",
        status: [401, 200, 200, 200, 200],
    },
    Row {
        path: "/api/v1/cases/T-ZC/notifications",
        status: [401, 200, 200, 200, 404],
    },
    Row {
        path: "/feeds/ss.ics",
        status: [404, 404, 404, 404, 404],
    },
    Row {
        path: "/healthz",
        status: [200, 200, 200, 200, 200],
    },
    Row {
        path: "/metrics",
        status: [200, 200, 200, 200, 200],
    },
    Row {
        path: "/login",
        status: [200, 200, 200, 200, 200],
    },
    Row {
        path: "/style.css",
        status: [200, 200, 200, 200, 200],
    },
    Row {
        path: "/no-such-page",
        status: [404, 404, 404, 404, 404],
    },
];

/// The acts: each POST sent empty (its fields missing), so that a role let through is refused
/// by the rules' parsing (422, or the API's 400) and nothing is ever written, while a role
/// stopped earlier gets 401, 403 or 404. `api`: a JSON body to the write API.
struct Post {
    path: &'static str,
    api: bool,
    status: [u16; 5],
}

/// 422 from a form, 400 from the API: let through, refused for the missing fields.
const POSTS: &[Post] = &[
    Post {
        path: "/cases/new",
        api: false,
        status: [401, 422, 422, 403, 403],
    },
    Post {
        path: "/cases/T-OFF/forward",
        api: false,
        status: [401, 422, 422, 403, 404],
    },
    Post {
        path: "/cases/T-SS/extend",
        api: false,
        status: [401, 422, 422, 403, 403],
    },
    Post {
        path: "/cases/T-SS/suspend",
        api: false,
        status: [401, 422, 422, 403, 403],
    },
    Post {
        path: "/cases/T-SS/resume",
        api: false,
        status: [401, 422, 422, 403, 403],
    },
    Post {
        path: "/cases/T-SS/notice",
        api: false,
        status: [401, 422, 422, 403, 422],
    },
    Post {
        path: "/cases/T-SS/correct",
        api: false,
        status: [401, 422, 422, 403, 403],
    },
    Post {
        path: "/cases/T-SS/reply",
        api: false,
        status: [401, 422, 422, 403, 422],
    },
    Post {
        path: "/cases/T-ZC/reply",
        api: false,
        status: [401, 422, 422, 403, 404],
    },
    Post {
        path: "/cases/T-SS/close",
        api: false,
        status: [401, 422, 422, 403, 403],
    },
    Post {
        path: "/api/v1/cases",
        api: true,
        status: [401, 400, 400, 403, 403],
    },
    Post {
        path: "/api/v1/cases/T-SS/forward",
        api: true,
        status: [401, 400, 400, 403, 403],
    },
    Post {
        path: "/api/v1/cases/T-SS/reply",
        api: true,
        status: [401, 400, 400, 403, 400],
    },
    Post {
        path: "/api/v1/cases/T-ZC/reply",
        api: true,
        status: [401, 400, 400, 403, 404],
    },
    Post {
        path: "/api/v1/cases/T-OFF/close",
        api: true,
        status: [401, 400, 400, 403, 404],
    },
];

on_both_backends! {
    every_act_answers_every_role_as_the_table_says_and_nothing_is_written => |backend| {
        let (s, console) = bureau(backend, PASSWORD_LOGIN);
        let before = s.column("SELECT CAST(COUNT(*) AS TEXT) FROM history");
        let mut failures = Vec::new();
        for (i, who) in EVERYONE.into_iter().enumerate() {
            let mut c = client(&console, who);
            for post in POSTS {
                let answer = if post.api {
                    c.post_json(post.path, &serde_json::json!({}))
                } else {
                    c.post_form(post.path, &[])
                };
                if answer.status != post.status[i] {
                    failures.push(format!(
                        "{who:?} POST {}: {} (expected {}): {}",
                        post.path,
                        answer.status,
                        post.status[i],
                        answer.body.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(s.column("SELECT CAST(COUNT(*) AS TEXT) FROM history"), before, "nothing written");
    };

    every_route_answers_every_role_as_the_table_says => |backend| {
        let (_s, console) = bureau(backend, PASSWORD_LOGIN);
        let mut failures = Vec::new();
        for (i, who) in EVERYONE.into_iter().enumerate() {
            let mut c = client(&console, who);
            for row in ROUTES {
                let answer = c.get(row.path);
                if answer.status != row.status[i] {
                    failures.push(format!(
                        "{who:?} GET {}: {} (expected {})",
                        row.path, answer.status, row.status[i]
                    ));
                }
                if answer.status == 303 && row.status[i] == 303 && who == Who::Nobody {
                    let to = answer.location.unwrap_or_default();
                    if !to.starts_with("/login?next=") {
                        failures.push(format!("{who:?} GET {}: to {to}, not the login", row.path));
                    }
                }
                // What the section reads holds its own case only.
                if who == Who::Section && answer.status == 200 {
                    for other in ["T-ZC", "T-OFF"] {
                        if answer.body.contains(other) {
                            failures.push(format!("section GET {} shows {other}", row.path));
                        }
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    };

    a_section_sees_only_its_cases_and_the_office_sees_all => |backend| {
        let (_s, console) = bureau(backend, PASSWORD_LOGIN);
        let mut ss = client(&console, Who::Section);
        let list = ss.get("/cases");
        assert!(list.body.contains(r#"data-reference="T-SS""#), "{}", list.body);
        let status: serde_json::Value =
            serde_json::from_str(&ss.get("/api/v1/status").body).expect("JSON");
        let references: Vec<&str> = status
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|r| r["reference"].as_str())
            .collect();
        assert_eq!(references, ["T-SS"]);
        let overview = ss.get("/");
        assert!(overview.body.contains("ss1"), "the menu names the user");
        assert!(!overview.body.contains("?party=zc"), "{}", overview.body);
        assert!(!overview.body.contains(r#"href="/outbox""#), "the menu hides what it may not open");
        let mut office = client(&console, Who::Office);
        let all: serde_json::Value =
            serde_json::from_str(&office.get("/api/v1/status").body).expect("JSON");
        assert_eq!(all.as_array().expect("a list").len(), 3);
    };

    a_bearer_token_reads_the_api_and_a_wrong_one_is_401 => |backend| {
        let (s, console) = bureau(backend, PASSWORD_LOGIN);
        let out = s
            .duewatch(&["token", "add", "ss1"])
            .output()
            .expect("duewatch runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let token = text
            .split_whitespace()
            .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
            .unwrap_or_else(|| panic!("a token in {text}"))
            .to_owned();
        let mut api = console.client();
        api.headers.push(("authorization".to_owned(), format!("Bearer {token}")));
        let status = api.get("/api/v1/status");
        assert_eq!(status.status, 200, "{}", status.body);
        assert!(status.body.contains("T-SS") && !status.body.contains("T-ZC"));
        assert_eq!(api.get("/outbox").status, 403);
        let mut wrong = console.client();
        wrong.headers.push(("authorization".to_owned(), format!("Bearer {}", "0".repeat(64))));
        let refused = wrong.get("/api/v1/status");
        assert_eq!(refused.status, 401);
        assert!(refused.content_type.starts_with("application/json"), "{}", refused.content_type);
    };

    a_post_without_its_csrf_token_or_from_another_origin_is_refused => |backend| {
        let (_s, console) = bureau(backend, PASSWORD_LOGIN);
        let mut office = client(&console, Who::Office);
        // No token: refused, the session lives on.
        let no_token = office.post_form("/logout", &[("csrf", "")]);
        assert_eq!(no_token.status, 403, "{}", no_token.body);
        assert_eq!(office.get("/").status, 200);
        // The right token from another site's page: refused.
        let token = office.csrf.clone().expect("a token");
        let forged = office.send(
            "POST",
            "/logout",
            &[("origin", "https://evil.example")],
            Some(("application/x-www-form-urlencoded", format!("csrf={token}").into_bytes())),
        );
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert_eq!(office.get("/").status, 200, "still logged in");
        // The right token from the console's own page: logged out, the session gone.
        let out = office.post_form("/logout", &[]);
        assert_eq!(out.status, 303, "{}", out.body);
        assert_eq!(office.get("/").status, 303, "logged out");
    };

    a_login_makes_a_new_session_whatever_cookie_came_with_it => |backend| {
        let (_s, console) = bureau(backend, PASSWORD_LOGIN);
        let mut c = console.client();
        let planted = "a".repeat(64);
        c.cookies.insert("duewatch_session".to_owned(), planted.clone());
        assert_eq!(c.get("/").status, 303, "a planted cookie opens nothing");
        let answer = c.log_in("office1", PASSWORD);
        assert_eq!(answer.status, 303, "{}", answer.body);
        let now = c.cookies.get("duewatch_session").cloned().expect("a session");
        assert_ne!(now, planted);
        assert!(
            answer.set_cookies.iter().any(|s| s.starts_with("duewatch_session=")
                && s.contains("HttpOnly")
                && s.contains("SameSite=Strict")),
            "{:?}",
            answer.set_cookies
        );
    };

    an_idle_or_too_old_session_ends => |backend| {
        let (s, console) = bureau(backend, PASSWORD_LOGIN);
        let mut c = client(&console, Who::Office);
        // 31 minutes without a request (web.session_idle_mins = 30).
        s.sql(&["UPDATE sessions SET last_seen_at = last_seen_at - 31 * 60"]);
        assert_eq!(c.get("/").status, 303, "idle: to the login");
        let mut c = client(&console, Who::Office);
        assert_eq!(c.get("/").status, 200);
        // Made 13 hours ago, however active (web.session_max_hours = 12).
        s.sql(&["UPDATE sessions SET created_at = created_at - 13 * 3600"]);
        assert_eq!(c.get("/").status, 303, "too old: to the login");
    };

    markup_in_a_subject_is_shown_as_text_on_every_page => |backend| {
        let (s, console) = bureau(backend, PASSWORD_LOGIN);
        let today = clock_today().to_string();
        let evil = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
        s.duewatch_on_the_clock(&[
            "case", "add", "--ref", "X-1", "--received", &today, "--subject", evil,
        ])
        .assert()
        .success();
        s.duewatch_on_the_clock(&["case", "forward", "X-1", "--section", "ss", "--on", &today])
            .assert()
            .success();
        let mut office = client(&console, Who::Office);
        // The lists count from the snapshot of the next poll (every 2 s).
        let started = std::time::Instant::now();
        while !office.get("/cases").body.contains(r#"data-reference="X-1""#) {
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "X-1 never listed");
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        let mut ss = client(&console, Who::Section);
        for (who, path) in [
            ("office", "/cases"),
            ("office", "/cases?q=script"),
            ("office", "/cases/X-1"),
            ("office", "/cases?print=1"),
            ("section", "/cases"),
            ("section", "/cases/X-1"),
        ] {
            let c = if who == "office" { &mut office } else { &mut ss };
            let page = c.get(path);
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            assert!(!page.body.contains("<script>alert"), "{who} {path}: {}", page.body);
            assert!(!page.body.contains("<img src=x"), "{who} {path}: {}", page.body);
            assert!(page.body.contains("&lt;script&gt;"), "{who} {path} shows it as text");
        }
    };

    housekeeping_forgets_the_sessions_that_ended => |backend| {
        let (s, console) = bureau(backend, PASSWORD_LOGIN);
        let mut old = client(&console, Who::Office);
        let mut fresh = client(&console, Who::Section);
        // office1's session idle for 31 minutes: ended, though nobody came back to find out.
        s.sql(&["UPDATE sessions SET last_seen_at = last_seen_at - 31 * 60 \
                 WHERE user_id = (SELECT id FROM users WHERE name = 'office1')"]);
        s.duewatch(&["run", "--once", "--job", "housekeeping"]).assert().success();
        let users = s.column("SELECT CAST(u.name AS TEXT) FROM sessions s JOIN users u ON u.id = s.user_id");
        assert_eq!(users, [Some("ss1".to_owned())]);
        assert_eq!(fresh.get("/").status, 200);
        assert_eq!(old.get("/").status, 303);
    };

    five_failed_logins_hold_the_name_back_for_15_minutes => |backend| {
        let (s, console) = bureau(backend, PASSWORD_LOGIN);
        let mut c = console.client();
        for _ in 0..5 {
            let wrong = c.log_in("office1", "wrong password!");
            assert_eq!(wrong.status, 401, "{}", wrong.body);
            assert!(wrong.body.contains("用户名或密码不正确"));
        }
        let held = c.log_in("office1", PASSWORD);
        assert_eq!(held.status, 429, "even with the right password: {}", held.body);
        assert!(held.body.contains("15 分钟"), "{}", held.body);
        let metrics = console.get("/metrics").body;
        assert!(metrics.contains("duewatch_login_failures_total 5"), "{metrics}");
        assert!(metrics.contains("duewatch_logins_held_back_total 1"), "{metrics}");
        // The address is held back too: another name from here waits as well.
        assert_eq!(c.log_in("lead1", PASSWORD).status, 429);
        // 16 minutes later, the right password gets in.
        s.sql(&["UPDATE login_failures SET at = at - 16 * 60"]);
        assert_eq!(c.log_in("office1", PASSWORD).status, 303);
    };

    a_disabled_users_session_ends_at_once => |backend| {
        let (s, console) = bureau(backend, PASSWORD_LOGIN);
        let mut c = client(&console, Who::Section);
        assert_eq!(c.get("/").status, 200);
        s.duewatch(&["user", "disable", "ss1"]).assert().success();
        assert_eq!(c.get("/").status, 303, "its session ended");
        assert_eq!(c.log_in("ss1", PASSWORD).status, 401, "and it cannot log in");
        s.duewatch(&["user", "enable", "ss1"]).assert().success();
        assert_eq!(c.log_in("ss1", PASSWORD).status, 303);
    };

    logins_sent_at_once_are_all_counted => |backend| {
        let (_s, console) = bureau(backend, PASSWORD_LOGIN);
        // Twelve wrong logins at the same moment, each with its own login form: at most five
        // are checked (401), the others held back (429).
        let forms: Vec<_> = (0..12)
            .map(|_| {
                let mut c = console.client();
                let page = c.get("/login");
                let token = crate::console::form_token(&page.body).expect("a token");
                (c, token)
            })
            .collect();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let running: Vec<_> = forms
                .into_iter()
                .map(|(mut c, token)| {
                    scope.spawn(move || {
                        c.post_form(
                            "/login",
                            &[("username", "office1"), ("password", "wrong password!"), ("csrf", &token)],
                        )
                        .status
                    })
                })
                .collect();
            running.into_iter().map(|t| t.join().expect("a login")).collect()
        });
        let checked = statuses.iter().filter(|s| **s == 401).count();
        assert!(checked <= 5, "{checked} wrong passwords checked at once: {statuses:?}");
        assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
        // Those checked counted: the fifth failure holds the name back, as one by one.
        let mut c = console.client();
        for _ in checked..5 {
            assert_eq!(c.log_in("office1", "wrong password!").status, 401);
        }
        assert_eq!(c.log_in("office1", PASSWORD).status, 429);
    };

    a_doubled_single_sign_on_header_is_refused => |backend| {
        let (_s, console) = bureau(
            backend,
            "auth = \"proxy\"\ntrusted_proxies = [\"127.0.0.1\"]\n",
        );
        let mut c = console.client();
        c.headers.push(("x-remote-user".to_owned(), "admin1".to_owned()));
        c.headers.push(("x-remote-user".to_owned(), "ss1".to_owned()));
        assert_eq!(c.get("/").status, 401);
    };

    single_sign_on_is_taken_only_from_a_trusted_proxy => |backend| {
        let (_s, console) = bureau(
            backend,
            "auth = \"proxy\"\ntrusted_proxies = [\"10.9.9.9\"]\n",
        );
        // The test's requests come from 127.0.0.1, not the proxy: the header is ignored.
        let mut c = console.client();
        c.headers.push(("x-remote-user".to_owned(), "office1".to_owned()));
        let ignored = c.get("/");
        assert_eq!(ignored.status, 401, "{}", ignored.body);
        assert!(ignored.body.contains("统一身份认证"), "{}", ignored.body);
    };

    single_sign_on_from_a_trusted_proxy_needs_an_account => |backend| {
        let (_s, console) = bureau(
            backend,
            "auth = \"proxy\"\ntrusted_proxies = [\"127.0.0.1\"]\n",
        );
        let mut c = console.client();
        c.headers.push(("x-remote-user".to_owned(), "ss1".to_owned()));
        let home = c.get("/");
        assert_eq!(home.status, 200, "{}", home.body);
        assert!(home.body.contains("ss1"));
        assert_eq!(c.get("/cases/T-ZC").status, 404, "still a section's view");
        let mut stranger = console.client();
        stranger.headers.push(("x-remote-user".to_owned(), "nobody-here".to_owned()));
        assert_eq!(stranger.get("/").status, 403);
    };
}

/// An open console (no accounts) answers only under a loopback name: a page of another site
/// that points a name of its own at 127.0.0.1 (DNS rebinding) reads nothing.
#[test]
fn an_open_console_answers_only_its_loopback_names() {
    let s = Setup::with_store(Backend::Sqlite);
    let console = Console::start(&s);
    let under = |host: &str| {
        console
            .send("GET", "/cases", &[("host", host)], None)
            .expect("an answer")
            .status
    };
    assert_eq!(under(&format!("127.0.0.1:{}", console.port)), 200);
    assert_eq!(under(&format!("localhost:{}", console.port)), 200);
    assert_eq!(under(&format!("evil.example:{}", console.port)), 421);
}
