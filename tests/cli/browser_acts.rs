//! Recording from the browser (issue 16), in real headless Chromium: the office's user logs in,
//! records a new request and forwards it to a section; the section's user logs in, finds it in
//! its list and records the reply; the case's history names both. Screenshots of the login
//! page and of the case afterwards under `target/screenshots/`.

use std::time::Duration;

use crate::access::{PASSWORD, PASSWORD_LOGIN, add_user};
use crate::browser::Browser;
use crate::console::Console;
use crate::helpers::{Backend, Setup, clock_today};

/// Logs in on the login page the browser is on.
fn log_in(browser: &Browser, name: &str) {
    let user = browser.wait_for("#username", Duration::from_secs(10));
    browser.type_text(&user, name);
    let password = browser.find("#password");
    browser.type_text(&password, PASSWORD);
    browser.click(&browser.find("form.login button[type=submit]"));
    // Wait for the answer (a logged-in page): going elsewhere while the login is in flight
    // cancels it, and the next page asks for the login again (seen once in four runs).
    browser.wait_for("header .me", Duration::from_secs(10));
}

/// Opens the form of `act` on the page, fills `fields` (CSS selector, value; date boxes set
/// by value), and sends it.
fn record(browser: &Browser, act: &str, fields: &[(&str, &str)]) {
    let form = format!("#act-{act}");
    let details = browser.wait_for(&form, Duration::from_secs(10));
    if browser.attribute(&details, "open").is_none() {
        browser.click(&browser.find(&format!("{form} summary")));
    }
    for (name, value) in fields {
        let css = format!("{form} [name={name}]");
        let el = browser.find(&css);
        let kind = browser.attribute(&el, "type").unwrap_or_default();
        if kind == "date"
            || browser.execute(&format!(
                "return document.querySelector({}).tagName",
                serde_json::to_string(&css).expect("JSON")
            )) == "SELECT"
        {
            browser.set_value(&css, value);
        } else {
            browser.type_text(&el, value);
        }
    }
    // The page the form is on is marked, so that what follows waits for the answer's page
    // (its elements would be stale otherwise: the answer is the same address).
    browser.execute("document.documentElement.dataset.sent = '1'; return null");
    browser.click(&browser.find(&format!("{form} button[type=submit]")));
    let started = std::time::Instant::now();
    while browser.execute(
        "return document.readyState === 'complete' && !document.documentElement.dataset.sent",
    ) != true
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no answer to the {act} form"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_office_records_and_forwards_a_request_and_the_section_records_its_reply() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let s = Setup::with_store(Backend::Sqlite);
    add_user(&s, "wang", "office");
    add_user(&s, "li", "section:ss");
    s.append_config(&format!("[web]\n{PASSWORD_LOGIN}"));
    let console = Console::start_logged_out(&s);
    let today = clock_today().to_string();
    browser.set_viewport(1280, 800);

    // The office: asked for the new case page, it logs in first and comes back to it.
    browser.goto(&console.url("/cases/new"));
    browser.wait_for("form.login", Duration::from_secs(10));
    browser.screenshot("console-login.png");
    log_in(&browser, "wang");
    record(
        &browser,
        "add",
        &[
            ("reference", "B-7"),
            ("received_on", &today),
            ("subject", "养老保险缴费记录"),
        ],
    );
    browser.wait_for("#act-forward", Duration::from_secs(10));
    assert!(
        browser.current_url().ends_with("/cases/B-7"),
        "{}",
        browser.current_url()
    );
    record(&browser, "forward", &[("section", "ss"), ("on", &today)]);
    browser.wait_for("#history", Duration::from_secs(10));
    assert!(
        browser.try_find(".refusal").is_none(),
        "no refusal after the forward"
    );
    browser.assert_no_severe("the office's case page");
    browser.click(&browser.find("header .me button[type=submit]"));
    browser.wait_for("form.login", Duration::from_secs(10));

    // The section: its list holds the case; it records the reply.
    log_in(&browser, "li");
    // The lists count from the snapshot the next poll takes (every 2 s here).
    let started = std::time::Instant::now();
    let link = loop {
        browser.goto(&console.url("/cases"));
        if let Some(link) = browser.try_find(r#"[data-reference="B-7"] a"#) {
            break link;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let shown = s
                .duewatch(&["case", "show", "B-7"])
                .output()
                .expect("case show");
            panic!(
                "B-7 never in li's list: {}\n{}",
                browser.text(&browser.find("main")),
                String::from_utf8_lossy(&shown.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    browser.click(&link);
    assert!(
        browser.try_find("#act-forward").is_none(),
        "a section is not offered the office's acts"
    );
    record(&browser, "reply", &[("on", &today)]);
    let history = browser.wait_for("#history", Duration::from_secs(10));
    let text = browser.text(&history);
    assert!(
        text.contains("wang") && text.contains("li"),
        "the history names both: {text}"
    );
    browser.screenshot("console-case-recorded.png");
    browser.assert_no_severe("the section's case page");

    // The store agrees: answered, by whom.
    let actors = s.column("SELECT actor FROM history ORDER BY id");
    assert_eq!(
        actors,
        [
            Some("wang".to_owned()),
            Some("wang".to_owned()),
            Some("li".to_owned())
        ]
    );
}
