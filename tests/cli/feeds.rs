//! The sections' calendar feeds on the console (`duewatch feed token|list|revoke`,
//! `GET /feeds/{section}.ics?token=…`), the links of the digests to the console
//! (`web.base_url`), and the console kept on loopback (issue 15).

use std::time::Duration;

use predicates::str::contains;

use crate::console::Console;
use crate::helpers::{Backend, POSTGRES, Setup, clock_today};

const BASE: &str = "https://duewatch.bureau.example";

/// `feed token SECTION`'s stdout, its lines.
fn new_token(s: &Setup, section: &str) -> Vec<String> {
    let out = s
        .duewatch(&["feed", "token", section])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Every row of `feed_tokens` on the setup's database: section and hash.
fn stored_tokens(s: &Setup) -> Vec<(String, Vec<u8>)> {
    const ROWS: &str = "SELECT section, token_hash FROM feed_tokens ORDER BY section";
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            use sqlx::Connection;
            match &s.postgres {
                Some(name) => {
                    let mut conn = sqlx::PgConnection::connect(&format!("{POSTGRES}/{name}"))
                        .await
                        .expect("the test's PostgreSQL database");
                    sqlx::query_as(ROWS).fetch_all(&mut conn).await
                }
                None => {
                    let url = format!(
                        "sqlite://{}",
                        s.dir.path().join("var/duewatch.db").display()
                    );
                    let mut conn = sqlx::SqliteConnection::connect(&url)
                        .await
                        .expect("the test's SQLite database");
                    sqlx::query_as(ROWS).fetch_all(&mut conn).await
                }
            }
            .expect("the feed tokens")
        })
}

fn sha256(text: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .to_vec()
}

/// The calendar without its DTSTAMP lines (the time it was written), CRLF as LF.
fn without_stamp(ics: &str) -> String {
    ics.replace("\r\n", "\n")
        .lines()
        .filter(|l| !l.starts_with("DTSTAMP:"))
        .collect::<Vec<_>>()
        .join("\n")
}

on_both_backends! {
    a_sections_feed_answers_its_current_token_only_and_keeps_only_its_hash => |backend| {
        let s = Setup::with_store(backend);
        let today = clock_today().to_string();
        for args in [
            &["case", "add", "--ref", "T-1", "--received", &today, "--subject", "养老保险"][..],
            &["case", "forward", "T-1", "--section", "ss", "--on", &today],
        ] {
            s.duewatch_on_the_clock(args).assert().success();
        }
        let first = new_token(&s, "ss");
        assert_eq!(first.len(), 1, "without web.base_url, the token alone: {first:?}");
        let token = &first[0];
        assert_eq!(token.len(), 64, "{token}");
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");

        let stored = stored_tokens(&s);
        assert_eq!(stored, vec![("ss".to_owned(), sha256(token))], "only the hash is kept");
        let list = s.duewatch(&["feed", "list"]).assert().success().get_output().stdout.clone();
        let list = String::from_utf8(list).expect("UTF-8");
        assert!(list.starts_with("ss\t社会保险股\t"), "{list}");
        assert!(!list.contains(token.as_str()), "feed list never shows a token: {list}");

        let console = Console::start(&s);
        let feed = console.get(&format!("/feeds/ss.ics?token={token}"));
        assert_eq!(feed.status, 200, "{}", feed.body);
        assert!(feed.content_type.starts_with("text/calendar"), "{}", feed.content_type);
        let cli = s.duewatch(&["ics", "--section", "ss"]).assert().success().get_output().stdout.clone();
        let cli = String::from_utf8(cli).expect("UTF-8");
        assert!(cli.contains("T-1"), "{cli}");
        let served = String::from_utf8(feed.bytes.clone()).expect("the feed is UTF-8");
        assert_eq!(without_stamp(&served), without_stamp(&cli), "the feed is `duewatch ics`'s");

        let refused = console.get("/feeds/ss.ics");
        assert_eq!(refused.status, 404, "no token");
        for path in [
            format!("/feeds/ss.ics?token={}", "0".repeat(64)),
            format!("/feeds/ss.ics?token={}", &token[..63]),
            format!("/feeds/ss.ics?token={token}&token={token}"),
            format!("/feeds/ss.ics?Token={token}"),
        ] {
            let answer = console.get(&path);
            assert_eq!(answer.status, 404, "{path}");
            assert_eq!(answer.body, refused.body, "{path}: the same page as no token at all");
        }
        for path in [
            format!("/feeds/zc.ics?token={token}"),
            format!("/feeds/xx.ics?token={token}"),
            format!("/feeds/ss?token={token}"),
            format!("/feeds/ss.ics.ics?token={token}"),
            format!("/feeds/%FF.ics?token={token}"),
            format!("/feeds/ss%C0.ics?token={token}"),
        ] {
            let answer = console.get(&path);
            assert_eq!(answer.status, 404, "{path}");
            assert!(answer.content_type.starts_with("text/html"), "{path}: the console's 404 page: {}", answer.content_type);
            assert!(answer.body.contains("未找到"), "{path}: {}", answer.body);
            assert!(!answer.body.contains(token.as_str()), "{path}: {}", answer.body);
        }
        let log = std::fs::read_to_string(s.dir.path().join("console.log")).expect("the log");
        assert!(!log.contains(token.as_str()), "no token in the log: {log}");

        let second = new_token(&s, "ss");
        assert_ne!(&second[0], token);
        assert_eq!(console.get(&format!("/feeds/ss.ics?token={token}")).status, 404, "replaced");
        assert_eq!(console.get(&format!("/feeds/ss.ics?token={}", second[0])).status, 200);
        assert_eq!(stored_tokens(&s), vec![("ss".to_owned(), sha256(&second[0]))]);

        s.duewatch(&["feed", "revoke", "ss"]).assert().success().stderr(contains("revoked"));
        assert_eq!(console.get(&format!("/feeds/ss.ics?token={}", second[0])).status, 404, "revoked");
        assert!(stored_tokens(&s).is_empty());
    };
}

#[test]
fn a_feed_token_is_made_for_a_configured_section_only_and_printed_with_its_url() {
    let s = Setup::with_store(Backend::Sqlite);
    s.duewatch(&["feed", "token", "xx"])
        .assert()
        .code(1)
        .stderr(contains("section \"xx\" is not configured"))
        .stderr(contains("the configured sections are ss, zc"));
    s.duewatch(&["feed", "revoke", "xx"])
        .assert()
        .code(1)
        .stderr(contains("section \"xx\" is not configured"));
    s.duewatch(&["feed", "list"])
        .assert()
        .success()
        .stdout("")
        .stderr(contains("no section has a feed token"));
    s.append_config(&format!("[web]\nbase_url = \"{BASE}/\"\n"));
    let printed = new_token(&s, "zc");
    assert_eq!(printed.len(), 2, "{printed:?}");
    assert_eq!(
        printed[1],
        format!("{BASE}/feeds/zc.ics?token={}", printed[0])
    );
}

#[test]
fn a_bad_base_url_is_refused_at_load_naming_the_key() {
    for (url, words) in [
        ("duewatch.bureau.example", "is not a URL"),
        ("https://duewatch.bureau.example/?x=1", "it has a query"),
        ("ftp://duewatch.bureau.example", "its scheme is ftp"),
    ] {
        let s = Setup::with_store(Backend::Sqlite);
        s.append_config(&format!("[web]\nbase_url = \"{url}\"\n"));
        for args in [&["config", "check"][..], &["feed", "list"]] {
            s.duewatch(args)
                .assert()
                .code(1)
                .stderr(contains(format!("web.base_url: \"{url}\"")))
                .stderr(contains(words))
                .stderr(contains("help: give the console's address"));
        }
    }
}

#[test]
fn config_check_refuses_a_listener_beyond_loopback_without_a_login() {
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(crate::helpers::ADDRESSES);
    s.append_config("[http]\nlisten = \"0.0.0.0:9187\"\n");
    for args in [&["config", "check"][..], &["run", "--once"]] {
        s.duewatch(args)
            .assert()
            .code(1)
            .stderr(contains(
                "http.listen: \"0.0.0.0:9187\" is not a loopback address, and web.auth is \"auto\"",
            ))
            .stderr(contains("set web.auth = \"password\""))
            .stderr(contains("bind it to 127.0.0.1:9187"));
    }
    // With a login it is accepted.
    s.append_config("[web]\nauth = \"password\"\n");
    s.duewatch(&["config", "check"]).assert().success();
}

/// The decoded text and HTML parts of each mail written to `dir`, by recipient.
fn mails(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the mail directory") {
        let data = std::fs::read(entry.expect("an entry").path()).expect("a mail");
        let message = mail_parser::MessageParser::default()
            .parse(&data)
            .expect("MIME");
        let to = message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned();
        let text = message
            .body_text(0)
            .unwrap_or_default()
            .replace("\r\n", "\n");
        let html = message.body_html(0).unwrap_or_default().into_owned();
        out.push((to, text, html));
    }
    out.sort();
    out
}

/// Case 2026-0001 (received Mon 2026-11-23: the office's reminder on 11-26) and
/// 京人社/2026-0002 (forwarded to `ss` on 11-03, reply due 11-17: overdue on 11-26, to the
/// section and the leadership); one pass on 2026-11-26 with mail written to files.
fn digests(base_url: &str) -> Vec<(String, String, String)> {
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(crate::helpers::ADDRESSES);
    let dir = s.dir.path().join("mail");
    s.append_config(&format!(
        "[mail]\ntransport = \"file\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
         [mail.file]\ndir = \"{}\"\n[web]\nbase_url = \"{base_url}\"\n",
        dir.display()
    ));
    for args in [
        &[
            "case",
            "add",
            "--ref",
            "2026-0001",
            "--received",
            "2026-11-23",
        ][..],
        &[
            "case",
            "add",
            "--ref",
            "京人社/2026-0002",
            "--received",
            "2026-11-02",
        ],
        &[
            "case",
            "forward",
            "京人社/2026-0002",
            "--section",
            "ss",
            "--on",
            "2026-11-03",
        ],
    ] {
        s.duewatch(args).assert().success();
    }
    s.duewatch(&["run", "--once", "--now", "2026-11-26T09:00"])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    mails(&dir)
}

#[test]
fn with_a_base_url_each_digest_links_its_cases_and_its_recipients_list() {
    let mails = digests(&format!("{BASE}/"));
    let recipients: Vec<&str> = mails.iter().map(|(to, _, _)| to.as_str()).collect();
    assert_eq!(
        recipients,
        [
            "head@bureau.example",
            "leaders@bureau.example",
            "office@bureau.example"
        ]
    );
    let second = format!("{BASE}/cases/%E4%BA%AC%E4%BA%BA%E7%A4%BE%2F2026-0002");
    for (to, list, case) in [
        (
            "head@bureau.example",
            format!("{BASE}/cases?party=ss"),
            second.clone(),
        ),
        (
            "leaders@bureau.example",
            format!("{BASE}/cases"),
            second.clone(),
        ),
        (
            "office@bureau.example",
            format!("{BASE}/cases?party=office"),
            format!("{BASE}/cases/2026-0001"),
        ),
    ] {
        let (_, text, html) = mails.iter().find(|(t, _, _)| t == to).expect("a digest");
        assert!(
            text.contains(&format!("\n全部待办：{list}\n")),
            "{to}: {text}"
        );
        assert!(
            text.contains(&format!("\n  查看：{case}\n")),
            "{to}: {text}"
        );
        // minijinja escapes '/' in HTML as &#x2f;.
        let escaped = |u: &str| u.replace('/', "&#x2f;");
        assert!(
            html.contains(&format!("<a href=\"{}\">", escaped(&list))),
            "{to}: {html}"
        );
        assert!(
            html.contains(&format!("<a href=\"{}\">", escaped(&case))),
            "{to}: {html}"
        );
    }
}

#[test]
fn without_a_base_url_a_digest_carries_no_link() {
    let mails = digests("");
    assert_eq!(mails.len(), 3);
    for (to, text, html) in &mails {
        assert!(text.contains("编号："), "{to}: {text}");
        assert!(
            !text.contains("查看：") && !text.contains("全部待办"),
            "{to}: {text}"
        );
        assert!(!text.contains("http"), "{to}: {text}");
        assert!(!html.contains("<a "), "{to}: {html}");
    }
}
