//! A real SMTP server on loopback for the tests and the mail benchmark: it speaks the protocol
//! (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) over TCP, keeps every message it
//! accepts, and misbehaves on request the way relays do: 4xx or 5xx replies for chosen
//! recipients, a greeting that never comes, a connection dropped in the middle of a message.
//! duewatch talks to it through lettre exactly as it talks to a bureau's relay.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A message the server accepted (after its 250 to the final dot).
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    /// A header's value, unfolded, undecoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.data);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut()
                && (line.starts_with(' ') || line.starts_with('\t'))
            {
                v.push_str(line.trim_start());
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_owned());
            }
        }
        value
    }

    /// The decoded subject.
    pub fn subject(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .and_then(|m| m.subject().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The decoded text part.
    pub fn text(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }

    /// The decoded HTML part.
    pub fn html(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .and_then(|m| m.body_html(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }
}

/// How the server misbehaves; change it while it runs.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// RCPT TO these addresses gets this reply (e.g. "451 4.3.0 try later"), this many times
    /// (None: always).
    pub rcpt: HashMap<String, (String, Option<u32>)>,
    /// Every command after the greeting gets this reply (a relay in trouble), e.g. "421 ...".
    pub every_command: Option<String>,
    /// Accept connections but never send the greeting.
    pub silent: bool,
    /// Close the connection after reading the message data, before the final 250.
    pub drop_before_250: bool,
    /// Keep the message (it counts as received) but wait this long before the final 250: the
    /// window in which a client that dies has handed the mail over without knowing it.
    pub delay_250: Option<Duration>,
    /// Keep the message (it counts as received), then close the connection without the final
    /// 250: the relay has the mail and the client cannot know it.
    pub drop_after_keeping: bool,
    /// Refuse connections: the listening socket is closed (the client gets "connection
    /// refused") until this is cleared.
    pub refuse: bool,
    /// Close the connection in the middle of the message data (after its first line).
    pub drop_mid_data: bool,
    /// Once: stall at a point of the conversation, then disarm (see [`Stall`]).
    pub stall: Option<Stall>,
    /// Do not offer SMTPUTF8 in the EHLO reply, as many relays do not.
    pub no_smtputf8: bool,
}

/// Where a one-shot stall holds the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A new connection gets no greeting yet: the client has claimed its mail and is
    /// connecting.
    Greeting,
    /// After the 250 to MAIL FROM, before RCPT: in the middle of the conversation.
    AfterMailFrom,
    /// The message data is taken (it counts as received) and the final 250 is held back.
    Before250,
}

/// A stall at `phase` of the message after `skip` others pass (for [`Phase::Greeting`]: of the
/// connection after `skip` others), held `hold` long.
#[derive(Debug, Clone, Copy)]
pub struct Stall {
    pub phase: Phase,
    pub skip: u32,
    pub hold: Duration,
}

/// A stall that happened: where, and the Message-ID of the message it held (when the data was
/// taken).
#[derive(Debug, Clone)]
pub struct Stalled {
    pub phase: Phase,
    pub message_id: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    received: Vec<Received>,
    faults: Faults,
    connections: u32,
    stalled: Vec<Stalled>,
}

impl Inner {
    /// Whether the armed stall fires now at `phase`: counts down its `skip`, and disarms it
    /// when it fires.
    fn stall_now(&mut self, phase: Phase, message_id: Option<String>) -> Option<Duration> {
        let stall = self.faults.stall.as_mut()?;
        if stall.phase != phase {
            return None;
        }
        if stall.skip > 0 {
            stall.skip -= 1;
            return None;
        }
        let hold = stall.hold;
        self.faults.stall = None;
        self.stalled.push(Stalled { phase, message_id });
        Some(hold)
    }
}

/// The running server; it stops with the test process.
#[derive(Debug, Clone)]
pub struct SmtpServer {
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
}

impl SmtpServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = Arc::clone(&inner);
        std::thread::spawn(move || {
            let mut listener = Some(listener);
            loop {
                let refuse = shared.lock().expect("lock").faults.refuse;
                match (&listener, refuse) {
                    (Some(_), true) => listener = None,
                    (None, false) => {
                        // std sets SO_REUSEADDR: the port can be taken again at once.
                        let l = TcpListener::bind(("127.0.0.1", port)).expect("the same port");
                        l.set_nonblocking(true).expect("a non-blocking listener");
                        listener = Some(l);
                    }
                    _ => {}
                }
                match listener.as_ref().map(TcpListener::accept) {
                    Some(Ok((stream, _))) => {
                        let _ = stream.set_nonblocking(false);
                        let shared = Arc::clone(&shared);
                        std::thread::spawn(move || {
                            let _ = session(stream, &shared);
                        });
                    }
                    _ => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        SmtpServer { port, inner }
    }

    /// The stalls that happened so far.
    pub fn stalled(&self) -> Vec<Stalled> {
        self.inner.lock().expect("lock").stalled.clone()
    }

    /// Changes the faults in place.
    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.inner.lock().expect("lock").faults);
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("lock").received.clone()
    }

    /// Messages accepted for `address`.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .collect()
    }

    /// Connections opened so far.
    pub fn connections(&self) -> u32 {
        self.inner.lock().expect("lock").connections
    }

    /// Replaces the faults.
    pub fn set_faults(&self, faults: Faults) {
        self.inner.lock().expect("lock").faults = faults;
    }
}

fn session(stream: TcpStream, shared: &Mutex<Inner>) -> std::io::Result<()> {
    shared.lock().expect("lock").connections += 1;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    if shared.lock().expect("lock").faults.silent {
        // Hold the connection open and say nothing, as a wedged relay does.
        std::thread::sleep(Duration::from_secs(60));
        return Ok(());
    }
    let hold = shared
        .lock()
        .expect("lock")
        .stall_now(Phase::Greeting, None);
    if let Some(hold) = hold {
        std::thread::sleep(hold);
    }
    writer.write_all(b"220 duewatch-test ESMTP ready\r\n")?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let faults = shared.lock().expect("lock").faults.clone();
        if let Some(reply) = &faults.every_command
            && !upper.starts_with("QUIT")
        {
            writer.write_all(format!("{reply}\r\n").as_bytes())?;
            continue;
        }
        if upper.starts_with("EHLO") {
            if faults.no_smtputf8 {
                writer.write_all(b"250-duewatch-test\r\n250 8BITMIME\r\n")?;
            } else {
                writer.write_all(b"250-duewatch-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
            }
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            writer.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            writer.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            writer.write_all(b"250 OK\r\n")?;
            let hold = shared
                .lock()
                .expect("lock")
                .stall_now(Phase::AfterMailFrom, None);
            if let Some(hold) = hold {
                std::thread::sleep(hold);
            }
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            let fault = {
                let mut inner = shared.lock().expect("lock");
                match inner.faults.rcpt.get_mut(&rcpt) {
                    Some((reply, Some(n))) if *n > 0 => {
                        *n -= 1;
                        Some(reply.clone())
                    }
                    Some((reply, None)) => Some(reply.clone()),
                    _ => None,
                }
            };
            match fault {
                Some(reply) => writer.write_all(format!("{reply}\r\n").as_bytes())?,
                None => {
                    to.push(rcpt);
                    writer.write_all(b"250 OK\r\n")?;
                }
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                writer.write_all(b"503 5.5.1 no recipients\r\n")?;
                continue;
            }
            writer.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if reader.read_until(b'\n', &mut l)? == 0 {
                    return Ok(());
                }
                if l == b".\r\n" {
                    break;
                }
                if faults.drop_mid_data {
                    return Ok(());
                }
                // Dot-unstuffing (RFC 5321, 4.5.2).
                if l.starts_with(b"..") {
                    l.remove(0);
                }
                data.extend_from_slice(&l);
            }
            if faults.drop_before_250 {
                return Ok(());
            }
            let received = Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            };
            let message_id = received.header("Message-ID");
            let hold = {
                let mut inner = shared.lock().expect("lock");
                inner.received.push(received);
                inner.stall_now(Phase::Before250, message_id)
            };
            if faults.drop_after_keeping {
                return Ok(());
            }
            if let Some(hold) = hold {
                std::thread::sleep(hold);
            }
            if let Some(delay) = faults.delay_250 {
                std::thread::sleep(delay);
            }
            writer.write_all(b"250 2.0.0 queued\r\n")?;
        } else if upper.starts_with("QUIT") {
            writer.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            writer.write_all(b"500 5.5.2 unknown command\r\n")?;
        }
    }
}

/// `<a@b> SIZE=…` → `a@b`.
fn address(s: &str) -> String {
    let s = s.trim();
    let end = s.find('>').unwrap_or(s.len());
    s[..end].trim_start_matches('<').to_owned()
}
