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

/// One answer: status, content type, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub bytes: Vec<u8>,
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
        let port = free_port();
        s.append_config(crate::helpers::ADDRESSES);
        s.append_config(&format!(
            "[http]\nlisten = \"127.0.0.1:{port}\"\n\
             [schedule]\npoll = \"*/2 * * * * *\"\n\
             [mail]\ntransport = \"file\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
             [mail.file]\ndir = \"{}\"\n",
            s.dir.path().join("mail").display()
        ));
        Console::start_as_configured(s, port)
    }

    /// Starts the daemon on `s`'s config as it is (its `http.listen` must be `127.0.0.1:port`).
    pub fn start_as_configured(s: &Setup, port: u16) -> Console {
        // The daemon as the fault tests start it (log in console.log).
        let child = crate::faults::start(s, "console");
        let mut console = Console { port, child };
        let started = Instant::now();
        loop {
            let log =
                || std::fs::read_to_string(s.dir.path().join("console.log")).unwrap_or_default();
            if let Ok(Some(status)) = console.child.try_wait() {
                panic!("duewatch run stopped ({status}); log: {}", log());
            }
            let answer = console.try_get("/");
            if let Some(a) = &answer
                && a.status == 200
                && !a.body.contains("尚未计算")
                && !a.body.contains(r#"id="last-poll">尚无"#)
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the console did not come up within 60 s; last answer: {answer:?}; log: {}",
                log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        console
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
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut response = agent.get(&self.url(path)).call().ok()?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
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
        })
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
