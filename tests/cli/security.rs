//! Security: the SMTP password stays secret (config show, errors, logs at trace level, the
//! outbox, a running daemon's command line and environment), values from cases and the config
//! cannot add mail headers or run template code, and no SQL is built from input.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::{Backend, Setup};
use crate::smtp::SmtpServer;

const PASSWORD: &str = "Pw-7f3q!zX9secret";
const USER: &str = "duewatch-relay-user";
const OFFICE: &str = "office@bureau.example";

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every spelling of the secret a leak could take: as written, and as AUTH sends it.
fn secret_forms() -> Vec<String> {
    vec![
        PASSWORD.to_owned(),
        base64(PASSWORD.as_bytes()),
        base64(format!("\0{USER}\0{PASSWORD}").as_bytes()),
    ]
}

fn assert_secret_absent(what: &str, text: &str) {
    for form in secret_forms() {
        assert!(
            !text.contains(&form),
            "{what} shows the password ({form}):\n{text}"
        );
    }
}

/// A relay on loopback that offers AUTH PLAIN, remembers the credentials it was
/// given, accepts them or refuses them (535), and takes mail.
struct AuthRelay {
    port: u16,
    credentials: Arc<Mutex<Vec<String>>>,
    delivered: Arc<Mutex<u32>>,
}

impl AuthRelay {
    fn start(accept: bool) -> AuthRelay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let credentials = Arc::new(Mutex::new(Vec::new()));
        let delivered = Arc::new(Mutex::new(0));
        let (c, d) = (Arc::clone(&credentials), Arc::clone(&delivered));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (c, d) = (Arc::clone(&c), Arc::clone(&d));
                std::thread::spawn(move || {
                    let _ = serve(stream, accept, &c, &d);
                });
            }
        });
        AuthRelay {
            port,
            credentials,
            delivered,
        }
    }
}

fn serve(
    stream: std::net::TcpStream,
    accept: bool,
    credentials: &Mutex<Vec<String>>,
    delivered: &Mutex<u32>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    w.write_all(b"220 auth-relay ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            w.write_all(b"250-auth-relay\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")?;
        } else if upper.starts_with("AUTH PLAIN ") {
            credentials
                .lock()
                .expect("lock")
                .push(command[11..].to_owned());
            if accept {
                w.write_all(b"235 2.7.0 ok\r\n")?;
            } else {
                w.write_all(b"535 5.7.8 authentication credentials invalid\r\n")?;
            }
        } else if upper == "DATA" {
            w.write_all(b"354 go on\r\n")?;
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
            }
            *delivered.lock().expect("lock") += 1;
            w.write_all(b"250 2.0.0 queued\r\n")?;
        } else if upper.starts_with("QUIT") {
            w.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            w.write_all(b"250 OK\r\n")?;
        }
    }
}

/// A store with one case that calls for a reminder to the office on 2026-11-26, mail by SMTP
/// to `port` with a user name; no password in the file.
fn setup(port: u16) -> Setup {
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(&format!(
        "[office]\nname = \"办公室\"\nemails = [\"{OFFICE}\"]\n\
         [leadership]\nemails = [\"leaders@bureau.example\"]\n\
         [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nusername = \"{USER}\"\ntimeout_secs = 5\n\
         [mail.retry]\nbase_secs = 1\ncap_secs = 1\nlease_secs = 30\n"
    ));
    s.duewatch(&[
        "case",
        "add",
        "--ref",
        "2026-0001",
        "--received",
        "2026-11-23",
    ])
    .assert()
    .success();
    s
}

/// A credentials directory as systemd makes it for `LoadCredential=smtp_password:…`.
fn credentials(s: &Setup) -> String {
    let dir = s.dir.path().join("credentials");
    std::fs::create_dir_all(&dir).expect("credentials directory");
    std::fs::write(dir.join("smtp_password"), format!("{PASSWORD}\n")).expect("the credential");
    dir.display().to_string()
}

fn run(s: &Setup, env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = s.duewatch(args);
    cmd.env("DUEWATCH_LOG", "trace");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .timeout(Duration::from_secs(60))
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn the_password_from_the_environment_or_a_credential_never_shows_and_is_used() {
    for from_credential in [false, true] {
        let relay = AuthRelay::start(true);
        let s = setup(relay.port);
        let cred_dir = credentials(&s);
        let env: Vec<(&str, &str)> = if from_credential {
            vec![("CREDENTIALS_DIRECTORY", cred_dir.as_str())]
        } else {
            vec![("DUEWATCH__MAIL__SMTP__PASSWORD", PASSWORD)]
        };

        let (code, shown) = run(&s, &env, &["config", "show"]);
        assert_eq!(code, Some(0), "{shown}");
        assert_secret_absent("config show", &shown);
        if !from_credential {
            assert!(shown.contains("password = \"***\""), "{shown}");
        }
        let (code, checked) = run(&s, &env, &["config", "check"]);
        assert_eq!(code, Some(0), "{checked}");
        assert_secret_absent("config check", &checked);

        let (code, log) = run(&s, &env, &["run", "--once", "--now", "2026-11-26T09:00"]);
        assert_eq!(code, Some(0), "{log}");
        assert!(
            log.contains("TRACE") || log.contains("DEBUG"),
            "the log is at trace level: {log}"
        );
        assert_secret_absent("the trace log of run --once", &log);
        assert_eq!(
            *relay.delivered.lock().expect("lock"),
            1,
            "the reminder went out: {log}"
        );
        // The password did reach the relay: the test is not passing because it was never read.
        let given = relay.credentials.lock().expect("lock").clone();
        assert!(
            given.iter().any(|g| secret_forms().contains(g)),
            "the relay got the password ({given:?})"
        );
        let (_, outbox) = run(&s, &env, &["outbox", "list", "--json"]);
        assert_secret_absent("outbox list", &outbox);
    }
}

#[test]
fn a_refused_login_and_a_bad_config_say_so_without_the_password() {
    let relay = AuthRelay::start(false);
    let s = setup(relay.port);
    let env = [("DUEWATCH__MAIL__SMTP__PASSWORD", PASSWORD)];

    let (code, log) = run(&s, &env, &["run", "--once", "--now", "2026-11-26T09:00"]);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("535"), "the refusal is logged: {log}");
    assert_secret_absent("the trace log of a refused login", &log);
    let (_, outbox) = run(&s, &env, &["outbox", "list", "--json"]);
    assert!(
        outbox.contains("535"),
        "the outbox keeps the refusal: {outbox}"
    );
    assert_secret_absent("outbox list", &outbox);

    let (code, said) = run(&s, &env, &["mail", "test", "--to", OFFICE]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("the relay refused the login"), "{said}");
    assert_secret_absent("mail test", &said);

    // A config error while the password is set: the message names the key, not the secret.
    s.append_config("[window]\nfrom = \"17:30\"\nto = \"08:30\"\n");
    let (code, said) = run(&s, &env, &["config", "check"]);
    assert_eq!(code, Some(1), "{said}");
    assert_secret_absent("a config error", &said);
    // The password given where it must not be (an unknown key of the environment): the
    // message names the variable, never its value.
    let (code, said) = run(
        &s,
        &[("DUEWATCH__MAIL__SMTP__PASSWROD", PASSWORD)],
        &["config", "check"],
    );
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("DUEWATCH__MAIL__SMTP__PASSWROD"), "{said}");
    assert_secret_absent("an unknown password key", &said);
}

/// Kills the daemon this test started when the test ends, even when it fails.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_running_daemon_has_the_password_neither_in_its_command_line_nor_in_its_environment() {
    let relay = AuthRelay::start(true);
    let s = setup(relay.port);
    let cred_dir = credentials(&s);
    // No command takes a password: it can only come from the environment or a credential.
    for args in [
        &["run", "--help"][..],
        &["--help"],
        &["mail", "test", "--help"],
        &["config", "--help"],
    ] {
        let out = s.duewatch(args).output().expect("help");
        let help = String::from_utf8_lossy(&out.stdout).to_lowercase();
        assert!(
            out.status.success() && !help.contains("password") && !help.contains("--pass"),
            "{help}"
        );
    }
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("duewatch"))
        .env_clear()
        .env("CREDENTIALS_DIRECTORY", &cred_dir)
        .arg("--config")
        .arg(s.config())
        .arg("run")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the daemon starts");
    let daemon = Daemon(child);
    let proc = Path::new("/proc").join(daemon.0.id().to_string());
    std::thread::sleep(Duration::from_millis(1500));
    let cmdline = std::fs::read(proc.join("cmdline")).expect("its command line");
    let environ = std::fs::read(proc.join("environ")).expect("its environment");
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let environ = String::from_utf8_lossy(&environ).replace('\0', " ");
    assert!(
        cmdline.contains(" run"),
        "the daemon's command line: {cmdline}"
    );
    assert!(environ.contains("CREDENTIALS_DIRECTORY="), "{environ}");
    assert_secret_absent("/proc/PID/cmdline", &cmdline);
    assert_secret_absent("/proc/PID/environ", &environ);
    drop(daemon);
}

/// Values of a case and of the config that reach a header, with CR/LF in them, cannot add a
/// header; template syntax in a case's fields is printed, not run.
#[test]
fn values_cannot_add_headers_or_run_template_code() {
    let server = SmtpServer::start();
    let s = Setup::with_store(Backend::Sqlite);
    let templates = s.dir.path().join("templates");
    std::fs::create_dir_all(&templates).expect("templates");
    // An administrator's subject template that puts case values into the Subject header.
    std::fs::write(
        templates.join("digest.subject.j2"),
        "{{ top.items[0].reference }} {{ top.items[0].subject }} {{ top.items[0].responsible_name }} {{ recipient_name }}",
    )
    .expect("a template");
    let text = std::fs::read_to_string(s.config()).expect("config");
    s.write_config(&text.replace(
        "name = \"社会保险股\"",
        "name = \"社会保险股\\r\\nX-Injected: by-section\\r\\nBcc: evil@example.org\"",
    ));
    s.append_config(&format!(
        "[office]\nname = \"办公室\\r\\nX-Injected: by-office\"\nemails = [\"{OFFICE}\"]\n\
         [leadership]\nemails = [\"leaders@bureau.example\"]\n\
         [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\ntemplates = \"{}\"\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 5\n\
         [mail.retry]\nbase_secs = 1\ncap_secs = 1\nlease_secs = 30\n",
        templates.display(),
        server.port
    ));
    let subject = "x\r\nX-Injected: by-subject\r\nBcc: evil@example.org\r\n\r\n{{ 7*7 }} {% include '/etc/passwd' %} {{ self }} {{ range(10)|list }}";
    // Typed with `--subject`, the line breaks are refused; from a spreadsheet's cell they fold
    // into spaces (issue 13), so the case is recorded with the rest of the text on one line.
    s.duewatch(&[
        "case",
        "add",
        "--ref",
        "2026-0001",
        "--received",
        "2026-11-23",
        "--subject",
        subject,
    ])
    .assert()
    .code(1)
    .stderr(predicates::str::contains("--subject holds a line break"));
    let csv = s.dir.path().join("cases.csv");
    std::fs::write(
        &csv,
        format!(
            "reference,received_on,subject\n2026-0001,2026-11-23,\"{}\"\n",
            subject.replace('"', "\"\"")
        ),
    )
    .expect("a CSV file");
    s.duewatch(&["case", "import", csv.to_str().expect("a path")])
        .assert()
        .success();
    s.duewatch(&[
        "case",
        "forward",
        "2026-0001",
        "--section",
        "ss",
        "--on",
        "2026-11-24",
    ])
    .assert()
    .success();
    // A reference cannot carry CR/LF at all: refused at the door.
    s.duewatch(&[
        "case",
        "add",
        "--ref",
        "2026-0002\r\nBcc: evil@example.org",
        "--received",
        "2026-11-23",
    ])
    .assert()
    .code(2)
    .stderr(predicates::str::contains("is not a case reference"));

    // Reply due 2026-12-08; two working days before, the section head is reminded.
    s.duewatch(&["run", "--once", "--now", "2026-12-04T09:00"])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let received = server.received();
    assert_eq!(received.len(), 1, "one reminder, to the section head");
    let mail = &received[0];
    assert_eq!(
        mail.to,
        ["head@bureau.example"],
        "no recipient was added to the envelope"
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .expect("a mail");
    let names: Vec<String> = parsed
        .headers()
        .iter()
        .map(|h| h.name().to_ascii_lowercase())
        .collect();
    assert!(
        !names.iter().any(|n| n == "bcc" || n == "x-injected"),
        "headers: {names:?}"
    );
    assert_eq!(names.iter().filter(|n| *n == "subject").count(), 1);
    let subject_header = mail.subject();
    assert!(
        subject_header.contains("X-Injected: by-subject Bcc: evil@example.org")
            && subject_header.contains("X-Injected: by-section"),
        "the values are in the subject, on one line: {subject_header}"
    );
    assert!(
        subject_header.contains("{{ 7*7 }}") && !subject_header.contains("49"),
        "{subject_header}"
    );
    let body = mail.text();
    for literal in [
        "{{ 7*7 }}",
        "{% include '/etc/passwd' %}",
        "{{ self }}",
        "{{ range(10)|list }}",
    ] {
        assert!(
            body.contains(literal),
            "{literal} is printed as written: {body}"
        );
    }
    assert!(!body.contains("root:"), "no file was read: {body}");
    assert!(!body.contains("[0, 1, 2"), "no template code ran: {body}");
    assert!(
        mail.html().contains("{{ 7*7 }}"),
        "the HTML part prints it too"
    );
}

#[test]
fn a_reference_or_subject_that_looks_like_sql_is_stored_and_shown_as_written() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let s = Setup::with_store(backend);
        let sql = "x'); DROP TABLE cases; --";
        s.duewatch(&[
            "case",
            "add",
            "--ref",
            "2026-0001",
            "--received",
            "2026-11-23",
            "--subject",
            sql,
        ])
        .assert()
        .success();
        // A reference is letters, digits and - _ / . only: SQL in it is refused before the store.
        s.duewatch(&[
            "case",
            "add",
            "--ref",
            "x';DROP",
            "--received",
            "2026-11-23",
        ])
        .assert()
        .code(2);
        s.duewatch(&[
            "case",
            "add",
            "--ref",
            "2026-0002",
            "--received",
            "2026-11-24",
        ])
        .assert()
        .success();
        let json = |args: &[&str]| -> serde_json::Value {
            let out = s
                .duewatch(args)
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            serde_json::from_slice(&out).expect("JSON")
        };
        let cases = json(&["case", "list", "--json", "--as-of", "2026-11-24"]);
        assert_eq!(
            cases.as_array().map(Vec::len),
            Some(2),
            "the table is there: {cases}"
        );
        let shown = json(&[
            "case",
            "show",
            "2026-0001",
            "--json",
            "--as-of",
            "2026-11-24",
        ]);
        assert_eq!(shown["case"]["subject"], sql, "{shown}");
    }
}

/// sqlx 0.9 takes only `&'static str` or an explicit `AssertSqlSafe` as SQL, so the compiler
/// keeps `format!` out of queries; what remains to check is that `src/` asserts nothing and that
/// every piece pushed into a `QueryBuilder` as SQL is a literal (values go through push_bind).
#[test]
fn no_sql_is_built_from_input() {
    let mut files = Vec::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20, "the sources were found");
    // Receivers of `.push(` in files that build queries which are Vecs, not SQL.
    const NOT_SQL: &[(&str, &str)] = &[
        ("unmailed", "a Vec of notification ids read back"),
        ("all", "a Vec of those Vecs"),
        ("claimed", "a Vec of claimed outbox rows"),
        ("dead", "a Vec of dead letters read"),
        ("stuck", "a Vec of stuck messages read"),
        ("out", "a Vec of listed outbox rows"),
        (
            "attachments",
            "a Vec of a claimed message's attachments read back",
        ),
        (
            "ids",
            "a Vec of notification ids to report (record_problem_lines)",
        ),
        (
            "texts",
            "a Vec of problem lines to report (record_problem_lines)",
        ),
        ("missing", "a Vec of recipients a notice was not queued to"),
        (
            "keys",
            "a Vec of mailed keys' digests read back (mailed_keys)",
        ),
    ];
    // Files that may assert SQL safe, and why.
    const ASSERTED: &[(&str, &str)] = &[(
        "src/source/sql.rs",
        "the administrator's own queries from [cases] config (trusted configuration, as a \
         subquery) and placeholder lists sized by a count; every case value is bound",
    )];
    let mut found = Vec::new();
    let mut builders = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("a source file");
        let shown = path.display();
        if text.contains("AssertSqlSafe")
            && !ASSERTED
                .iter()
                .any(|(file, _)| path.ends_with(Path::new(file)))
        {
            found.push(format!(
                "{shown}: AssertSqlSafe (SQL text the compiler cannot check)"
            ));
        }
        if !text.contains("QueryBuilder") {
            continue;
        }
        builders += text.matches("QueryBuilder::new(").count();
        for (at, _) in text.match_indices("QueryBuilder::new(") {
            let arg = text[at + "QueryBuilder::new(".len()..].trim_start();
            if !arg.starts_with('"') {
                found.push(format!("{shown}: QueryBuilder::new with a non-literal"));
            }
        }
        for (at, _) in text.match_indices(".push(") {
            let arg = text[at + ".push(".len()..].trim_start();
            if arg.starts_with('"') {
                continue;
            }
            let receiver: String = text[..at]
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !NOT_SQL.iter().any(|(name, _)| *name == receiver) {
                let line = text[..at].matches('\n').count() + 1;
                found.push(format!(
                    "{shown}:{line}: `{receiver}.push(` of something not a literal"
                ));
            }
        }
    }
    assert!(builders >= 1, "the scan saw the query builders");
    assert!(
        found.is_empty(),
        "SQL that may carry input:\n{}",
        found.join("\n")
    );
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("a source directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}
