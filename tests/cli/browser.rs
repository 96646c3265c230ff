//! The console in a real browser: headless Chromium driven through WebDriver (chromedriver), a
//! person's path from the overview's number to the list and to a case, with screenshots at a
//! desk's and a phone's width under `target/screenshots/` for a person to look at.
//!
//! The WebDriver client is the dozen commands these tests use, written here over `ureq` and
//! JSON: fantoccini would bring a second HTTP stack (hyper) and TLS to talk to a loopback port.
//! Where Chromium or chromedriver is missing the tests say how to install them and pass, unless
//! `CI=true`: there they must run (.ci/run installs both).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::console::{Console, free_port};
use crate::helpers::{Backend, Setup, clock_today};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL: &str = "apt-get update && apt-get install -y chromium chromium-driver";
/// Headless, as root in a container, and opening no connections of its own (pitfalls.md).
const CHROMIUM_ARGS: &str = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
     --disable-background-networking --disable-component-update --disable-sync --no-first-run";
/// The key of an element reference in WebDriver's answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver and one session of its Chromium; the session is deleted and the driver's
/// process group killed when dropped, also when the test panics.
pub struct Browser {
    driver: Child,
    root: String,
    session: Option<String>,
    agent: ureq::Agent,
    /// The profile (`--user-data-dir`) and chromedriver's log.
    scratch: tempfile::TempDir,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    /// A browser, or `None` (having said how to install it) when Chromium or chromedriver is
    /// missing outside CI.
    ///
    /// # Panics
    /// They are missing and `CI=true`; the driver is not ready within 20 s; no session.
    pub fn start() -> Option<Browser> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            let missing = missing.join(" and ");
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{missing} missing, and CI=true: the browser tests must run; install with `{INSTALL}`"
            );
            eprintln!("browser test skipped: {missing} missing; install with `{INSTALL}`");
            return None;
        }
        let scratch = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let log = std::fs::File::create(scratch.path().join("chromedriver.log")).expect("a log");
        let driver = {
            use std::os::unix::process::CommandExt as _;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .process_group(0)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("chromedriver starts")
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut browser = Browser {
            driver,
            root: format!("http://127.0.0.1:{port}"),
            session: None,
            agent,
            scratch,
        };
        let started = Instant::now();
        let ready = |b: &Browser| {
            b.send("GET", "/status", None)
                .is_ok_and(|v| v["ready"] == true)
        };
        while !ready(&browser) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver was not ready within 20 s; its log: {}",
                browser.driver_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = browser.scratch.path().join("profile");
        let args: Vec<String> = CHROMIUM_ARGS
            .split(' ')
            .map(String::from)
            .chain([format!("--user-data-dir={}", profile.display())])
            .collect();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let session = browser
            .send("POST", "/session", Some(capabilities))
            .unwrap_or_else(|e| panic!("no WebDriver session: {e}; log: {}", browser.driver_log()));
        let id = session["sessionId"].as_str().expect("a session id");
        browser.session = Some(id.to_owned());
        Some(browser)
    }

    fn driver_log(&self) -> String {
        std::fs::read_to_string(self.scratch.path().join("chromedriver.log")).unwrap_or_default()
    }

    /// One WebDriver command; its `value`, or the driver's error.
    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.root);
        let answer = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self.agent.post(&url).send_json(body.unwrap_or(json!({}))),
        };
        let mut answer = answer.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = answer.status().as_u16();
        let mut value: Value = answer
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_json()
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let value = value["value"].take();
        if status == 200 {
            Ok(value)
        } else {
            Err(format!("{method} {path}: {status} {value}"))
        }
    }

    /// A command in this session; panics on the driver's error.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let session = self.session.as_deref().expect("a session");
        self.send(method, &format!("/session/{session}{path}"), body)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Opens `url` (returns when it has loaded).
    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({"url": url})));
    }

    pub fn current_url(&self) -> String {
        self.command("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// The first element matching `css`, `None` when none does.
    pub fn try_find(&self, css: &str) -> Option<Element> {
        let session = self.session.as_deref().expect("a session");
        let body = json!({"using": "css selector", "value": css});
        let found = self.send("POST", &format!("/session/{session}/element"), Some(body));
        found
            .ok()
            .map(|v| Element(v[ELEMENT].as_str().expect("an element").to_owned()))
    }

    /// The first element matching `css`; panics, naming the page, when none does.
    pub fn find(&self, css: &str) -> Element {
        self.try_find(css)
            .unwrap_or_else(|| panic!("no {css} on {}: {}", self.current_url(), self.source()))
    }

    /// Every element matching `css`, in document order.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let body = json!({"using": "css selector", "value": css});
        let found = self.command("POST", "/elements", Some(body));
        let found = found.as_array().cloned().unwrap_or_default();
        found
            .iter()
            .map(|v| Element(v[ELEMENT].as_str().expect("an element").to_owned()))
            .collect()
    }

    /// The first element matching `css` once there is one, polled for at most `bound`.
    pub fn wait_for(&self, css: &str, bound: Duration) -> Element {
        let started = Instant::now();
        loop {
            if let Some(element) = self.try_find(css) {
                return element;
            }
            if started.elapsed() > bound {
                self.screenshot("failed.png");
                panic!(
                    "no {css} on {} within {bound:?} (screenshot failed.png): {}",
                    self.current_url(),
                    self.source()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn text(&self, el: &Element) -> String {
        let text = self.command("GET", &format!("/element/{}/text", el.0), None);
        text.as_str().unwrap_or("").to_owned()
    }

    pub fn attribute(&self, el: &Element, name: &str) -> Option<String> {
        let value = self.command("GET", &format!("/element/{}/attribute/{name}", el.0), None);
        value.as_str().map(str::to_owned)
    }

    /// Clicks `el` (returns when a navigation it starts has loaded).
    pub fn click(&self, el: &Element) {
        self.command("POST", &format!("/element/{}/click", el.0), Some(json!({})));
    }

    fn source(&self) -> String {
        self.command("GET", "/source", None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Runs `script` in the page (the test's own measurements; the pages have no scripts).
    pub fn execute(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Types `text` into `el` as a person would, key by key.
    pub fn type_text(&self, el: &Element, text: &str) {
        self.command(
            "POST",
            &format!("/element/{}/value", el.0),
            Some(json!({"text": text})),
        );
    }

    /// Sets the value of the field `css` finds: for a date box, whose keys depend on the
    /// browser's locale (the server takes `YYYY-MM-DD` whatever the box shows).
    pub fn set_value(&self, css: &str, value: &str) {
        let css = serde_json::to_string(css).expect("JSON");
        let value = serde_json::to_string(value).expect("JSON");
        self.execute(&format!(
            "document.querySelector({css}).value = {value}; return null"
        ));
    }

    pub fn set_window_size(&self, width: u32, height: u32) {
        let rect = json!({"width": width, "height": height});
        self.command("POST", "/window/rect", Some(rect));
    }

    /// Sizes the window so that the page's viewport is `width` × `height` (the window's frame
    /// takes some of the window's rectangle, even headless).
    pub fn set_viewport(&self, width: u32, height: u32) {
        self.set_window_size(width, height);
        let inner = self.execute("return [window.innerWidth, window.innerHeight]");
        let frame = |i: usize, want: u32| {
            let got = u32::try_from(inner[i].as_u64().unwrap_or(0)).unwrap_or(0);
            2 * want - got.min(want)
        };
        self.set_window_size(frame(0, width), frame(1, height));
    }

    /// Saves the viewport as `target/screenshots/NAME` and returns the path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.command("GET", "/screenshot", None);
        let png = base64_decode(png.as_str().expect("a base64 PNG"));
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("target/screenshots");
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }

    /// The browser's console entries since the last call (chromedriver's log endpoint).
    pub fn browser_log(&self) -> Vec<Value> {
        let log = self.command("POST", "/se/log", Some(json!({"type": "browser"})));
        log.as_array().cloned().unwrap_or_default()
    }

    /// Panics when the browser logged a SEVERE entry (a failed resource, a script error).
    pub fn assert_no_severe(&self, page: &str) {
        let severe: Vec<Value> = self
            .browser_log()
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .collect();
        assert!(severe.is_empty(), "{page}: the browser logged {severe:#?}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            // Quits its Chromium.
            let _ = self.send("DELETE", &format!("/session/{session}"), None);
        }
        // The driver was started as a process group's leader: whatever it left goes with it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `CARGO_TARGET_DIR`, or the crate's `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Standard base64 (RFC 4648, with padding) into bytes.
fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\r' | b'\n' => continue,
            _ => panic!("{:?} is not base64", char::from(c)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn base64_decodes_what_the_screenshots_are_sent_in() {
    assert_eq!(
        base64_decode("aGVsbG8sIOS4lueVjA=="),
        "hello, 世界".as_bytes()
    );
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
}

/// Saves `name`-1280x800.png and `name`-390x844.png of the current page; at the phone's width
/// the page itself must not scroll sideways (a wide table scrolls in its own box).
fn screenshots(browser: &Browser, name: &str) {
    for (width, height) in [(1280, 800), (390, 844)] {
        browser.set_viewport(width, height);
        browser.screenshot(&format!("{name}-{width}x{height}.png"));
        let wide = browser.execute("return document.documentElement.scrollWidth");
        let inner = browser.execute("return window.innerWidth");
        assert!(
            wide.as_u64() <= inner.as_u64(),
            "{name} at {width}: the page is {wide} px wide in a {inner} px window"
        );
    }
    browser.set_viewport(1280, 800);
}

#[test]
fn a_person_follows_the_offices_overdue_count_to_the_list_and_to_a_case() {
    let Some(browser) = Browser::start() else {
        return;
    };
    // One backend: what the browser shows does not depend on it (tests/cli/web.rs covers both).
    let s = Setup::with_store(Backend::Sqlite);
    let today = clock_today();
    let ago = |days: u64| (today - chrono::Days::new(days)).to_string();
    let add = |reference: &str, received: &str| {
        let subject = "养老保险缴费记录";
        let add = ["case", "add", "--ref", reference, "--received", received];
        let args = [&add[..], &["--subject", subject]].concat();
        s.duewatch_on_the_clock(&args).assert().success();
    };
    // Not forwarded within 5 working days (art. 19): the office's, overdue.
    add("B-40", &ago(40));
    add("B-30", &ago(30));
    // Received today: the office's, not overdue.
    add("B-NEW", &today.to_string());
    // Forwarded at once, and the section's 10 working days are past: overdue, not the office's.
    add("B-SEC", &ago(30));
    s.duewatch_on_the_clock(&[
        "case",
        "forward",
        "B-SEC",
        "--section",
        "ss",
        "--on",
        &ago(29),
    ])
    .assert()
    .success();
    let console = Console::start(&s);
    let bound = Duration::from_secs(10);

    browser.set_window_size(1280, 800);
    browser.goto(&console.url("/"));
    let count = browser.wait_for(
        r#"table#matrix tr[data-party="office"] td[data-level="overdue"] a"#,
        bound,
    );
    assert_eq!(browser.text(&count), "2");
    screenshots(&browser, "overview");
    browser.assert_no_severe("/");

    browser.click(&count);
    browser.wait_for("table#cases", bound);
    assert!(
        browser
            .current_url()
            .ends_with("/cases?party=office&level=overdue"),
        "{}",
        browser.current_url()
    );
    let rows = browser.find_all("table#cases tbody tr");
    let references: Vec<String> = rows
        .iter()
        .map(|r| browser.attribute(r, "data-reference").unwrap_or_default())
        .collect();
    assert_eq!(
        references,
        ["B-40", "B-30"],
        "most overdue first, only the office's"
    );
    screenshots(&browser, "cases");
    browser.assert_no_severe("/cases?party=office&level=overdue");

    // The case page (/cases/{reference}, its reference in #case-reference).
    let link = browser.find(r#"table#cases tbody tr[data-reference="B-40"] a"#);
    browser.click(&link);
    assert!(
        browser.current_url().ends_with("/cases/B-40"),
        "{}",
        browser.current_url()
    );
    let reference = browser.wait_for("#case-reference", bound);
    assert_eq!(browser.text(&reference), "B-40");
    screenshots(&browser, "case");
    browser.assert_no_severe("/cases/B-40");
}
