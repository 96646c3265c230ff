//! The console under test: `duewatch run` with `http.listen` on a free loopback port, asked
//! over real HTTP. Shared by the console's route tests and the browser tests.

use std::process::Child;
use std::time::{Duration, Instant};

use crate::helpers::Setup;

/// A running daemon whose console answers on `port`; killed when dropped.
pub struct Console {
    pub port: u16,
    child: Child,
}

/// One answer: status, content type, body; where a redirect points, the cookies it sets.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub bytes: Vec<u8>,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("its address")
        .port()
}

impl Console {
    /// Appends `[http] listen`, a fast poll, mail written to files and the office's and
    /// leadership's addresses to `s`'s config (which must not have those tables), starts the daemon, and waits until its first snapshot is
    /// built and its first poll recorded.
    pub fn start(s: &Setup) -> Console {
        let port = Console::configure(s);
        Console::start_as_configured(s, port)
    }

    /// As [`Console::start`], for a console with a login (`web.auth`): waits until the login
    /// page answers.
    pub fn start_logged_out(s: &Setup) -> Console {
        let port = Console::configure(s);
        let child = crate::faults::start(s, "console");
        let mut console = Console { port, child };
        console.wait_for(s, |a| a.status == 200, "/login");
        console
    }

    /// Appends the console's, the schedule's and the mail's tables to `s`'s config: the port.
    fn configure(s: &Setup) -> u16 {
        let port = free_port();
        s.append_config(crate::helpers::ADDRESSES);
        s.append_config(&format!(
            "[http]\nlisten = \"127.0.0.1:{port}\"\n\
             [schedule]\npoll = \"*/2 * * * * *\"\n\
             [mail]\ntransport = \"file\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
             [mail.file]\ndir = \"{}\"\n",
            s.dir.path().join("mail").display()
        ));
        port
    }

    /// Starts the daemon on `s`'s config as it is (its `http.listen` must be `127.0.0.1:port`).
    pub fn start_as_configured(s: &Setup, port: u16) -> Console {
        // The daemon as the fault tests start it (log in console.log).
        let child = crate::faults::start(s, "console");
        let mut console = Console { port, child };
        console.wait_for(
            s,
            |a| {
                a.status == 200
                    && !a.body.contains("尚未计算")
                    && !a.body.contains(r#"id="last-poll">尚无"#)
            },
            "/",
        );
        console
    }

    /// Waits (at most 60 s) until `path` answers as `ready` says; panics with the log if the
    /// daemon stops or it does not.
    fn wait_for(&mut self, s: &Setup, ready: impl Fn(&Answer) -> bool, path: &str) {
        let started = Instant::now();
        loop {
            let log =
                || std::fs::read_to_string(s.dir.path().join("console.log")).unwrap_or_default();
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("duewatch run stopped ({status}); log: {}", log());
            }
            let answer = self.try_get(path);
            if answer.as_ref().is_some_and(&ready) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the console did not come up within 60 s; last answer: {answer:?}; log: {}",
                log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `GET path`; panics when nothing answers.
    pub fn get(&self, path: &str) -> Answer {
        self.try_get(path)
            .unwrap_or_else(|| panic!("GET {path}: no answer"))
    }

    /// `GET path`, `None` when nothing answers.
    pub fn try_get(&self, path: &str) -> Option<Answer> {
        self.send("GET", path, &[], None)
    }

    /// A request with `headers` and a body (`(content type, bytes)`), redirects not followed;
    /// `None` when nothing answers.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Option<Answer> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let result = match body {
            Some((content_type, bytes)) => agent.run(
                builder
                    .header("content-type", content_type)
                    .body(bytes)
                    .expect("a request"),
            ),
            None => agent.run(builder.body(()).expect("a request")),
        };
        let mut response = result.ok()?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .ok()?;
        Some(Answer {
            status,
            content_type,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            location,
            set_cookies,
        })
    }

    /// A browser without a login: it keeps the cookies it is given.
    pub fn client(&self) -> Client<'_> {
        Client {
            console: self,
            cookies: std::collections::BTreeMap::new(),
            csrf: None,
            headers: Vec::new(),
        }
    }

    /// A browser logged in as `name` with `password` (the login page's form, its token and its
    /// cookie, as a browser sends them); panics when the login is refused.
    pub fn login(&self, name: &str, password: &str) -> Client<'_> {
        let mut client = self.client();
        let answer = client.log_in(name, password);
        assert_eq!(answer.status, 303, "login of {name}: {}", answer.body);
        let home = client.get("/");
        assert_eq!(home.status, 200, "{}", home.body);
        client.csrf =
            Some(form_token(&home.body).unwrap_or_else(|| panic!("no logout form: {}", home.body)));
        client
    }
}

/// `html` with the entities minijinja writes decoded (it escapes `/` as `&#x2f;`).
pub fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the first `name="csrf"` field of a page.
pub fn form_token(page: &str) -> Option<String> {
    let at = page.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    let end = page[at..].find('"')?;
    Some(page[at..at + end].to_owned())
}

/// A browser (or another system): its cookies, the CSRF token of its session, headers it sends
/// with every request (a bearer token, a proxy's header).
pub struct Client<'c> {
    console: &'c Console,
    pub cookies: std::collections::BTreeMap<String, String>,
    pub csrf: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl Client<'_> {
    /// Sends a request with this client's cookies and headers; keeps the cookies it sets.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if !cookie.is_empty() {
            headers.push(("cookie", &cookie));
        }
        headers.extend_from_slice(extra);
        let answer = self
            .console
            .send(method, path, &headers, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer"));
        for set in &answer.set_cookies {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || set.contains("Max-Age=0") {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies.insert(k.trim().to_owned(), v.to_owned());
                }
            }
        }
        answer
    }

    /// `GET path`.
    pub fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, &[], None)
    }

    /// `POST path` with a form of `fields` and this session's CSRF token (when it has one and
    /// the fields do not name their own).
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form = form_urlencoded::Serializer::new(String::new());
        if !fields.iter().any(|(k, _)| *k == "csrf")
            && let Some(token) = self.csrf.clone()
        {
            form.append_pair("csrf", &token);
        }
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        let body = form.finish().into_bytes();
        let origin = self.console.url("");
        self.send(
            "POST",
            path,
            &[("origin", &origin)],
            Some(("application/x-www-form-urlencoded", body)),
        )
    }

    /// `POST path` with a JSON body (and the session's CSRF token as `X-CSRF-Token`, when it
    /// has one).
    pub fn post_json(&mut self, path: &str, json: &serde_json::Value) -> Answer {
        let token = self.csrf.clone();
        let mut extra = vec![];
        if let Some(t) = token.as_deref() {
            extra.push(("x-csrf-token", t));
        }
        self.send(
            "POST",
            path,
            &extra,
            Some(("application/json", json.to_string().into_bytes())),
        )
    }

    /// The login page's form, sent with `name` and `password`.
    pub fn log_in(&mut self, name: &str, password: &str) -> Answer {
        let page = self.get("/login");
        assert_eq!(page.status, 200, "{}", page.body);
        let token = form_token(&page.body).expect("the login form's token");
        self.post_form(
            "/login",
            &[("username", name), ("password", password), ("csrf", &token)],
        )
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
