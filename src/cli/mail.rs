//! `duewatch mail test`: a test mail through the configured transport, and, when it fails, what
//! to check (the login, the port and its TLS mode, the recipient).

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use super::runtime;
use crate::config::Config;

/// `duewatch mail …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Send a test mail now, through the configured transport, and say what went wrong if it
    /// fails.
    Test {
        /// The address to send it to.
        #[arg(long)]
        to: String,
    },
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: Config,
) -> anyhow::Result<ExitCode> {
    config.validate()?;
    let Command::Test { to } = command;
    // As `config check` checks the configured addresses: a relay would refuse it, or bounce it.
    if let Some(problem) = crate::domain::address::problem(&crate::domain::address::to_ascii(&to)) {
        anyhow::bail!(
            "--to: \"{to}\": {problem}\n  help: {}",
            crate::domain::address::PROBLEM_HELP
        );
    }
    runtime()?.block_on(async {
        let transport = crate::mail::transport::Transport::new(&config.mail)?;
        let mail = crate::mail::transport::Outgoing {
            from: config.mail.from.clone(),
            to: crate::domain::address::to_ascii(&to),
            subject: "duewatch 测试邮件 / test mail".to_owned(),
            text: format!(
                "这是 duewatch 的测试邮件：能收到即说明 [mail] 配置可用。\nThis is a test mail from duewatch: the [mail] configuration works.\n\ntransport: {:?}\n",
                config.mail.transport
            ),
            html: None,
            message_id: crate::mail::new_message_id(&config.mail.from),
            attachments: Vec::new(),
        };
        match transport.send(&mail).await {
            Ok(()) => {
                writeln!(out, "test mail to {to} accepted ({})", describe_transport(&config))?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: the test mail to {to} failed: {e}");
                eprintln!("  help: {}", hint(&e, &config));
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

fn describe_transport(config: &Config) -> String {
    match config.mail.transport {
        crate::mail::TransportKind::File => {
            format!("written to {}", config.mail.file.dir.display())
        }
        crate::mail::TransportKind::Smtp => format!(
            "by {}:{} with tls = {:?}",
            config.mail.smtp.host, config.mail.smtp.port, config.mail.smtp.tls
        ),
    }
}

/// What to check for a failed test mail.
fn hint(e: &crate::mail::transport::SendError, config: &Config) -> String {
    use crate::mail::Tls;
    use crate::mail::transport::SendError;
    let text = e.to_string().to_lowercase();
    let smtp = &config.mail.smtp;
    if text.contains("auth") || text.contains("535") {
        return "the relay refused the login: check mail.smtp.username and the password \
                (DUEWATCH__MAIL__SMTP__PASSWORD or the smtp_password credential)"
            .to_owned();
    }
    if text.contains("refused") {
        return format!(
            "nothing listens on {}:{}: check mail.smtp.host and mail.smtp.port",
            smtp.host, smtp.port
        );
    }
    match (e, smtp.tls, smtp.port) {
        (SendError::Uncertain(_), Tls::Starttls, 465) => {
            "port 465 speaks implicit TLS: set mail.smtp.tls = \"tls\"".to_owned()
        }
        (SendError::Uncertain(_), Tls::Tls, 587 | 25) => format!(
            "port {} speaks STARTTLS: set mail.smtp.tls = \"starttls\"",
            smtp.port
        ),
        (SendError::Uncertain(_), _, _) if text.contains("did not finish") => {
            "the relay accepted the connection but did not answer in time: check that the port \
             matches the TLS mode (587 starttls, 465 tls) and that no firewall holds the connection"
                .to_owned()
        }
        (SendError::Permanent(_), _, _) => {
            "the relay refused the mail for good: check the recipient and mail.from".to_owned()
        }
        _ => "check [mail] in the config; `duewatch config check` validates it".to_owned(),
    }
}
