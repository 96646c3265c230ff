//! The signals `duewatch run` acts on, listened for from the start (SIGHUP's default action
//! would end the process): SIGTERM and SIGINT stop it, SIGHUP asks for a reload.

use anyhow::Context as _;

/// The signals the daemon acts on: SIGTERM and SIGINT stop it, SIGHUP re-reads the calendar and
/// the templates (`systemctl reload duewatch`).
pub(super) struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

pub(super) enum Signal {
    Stop,
    Reload,
}

impl Signals {
    pub(super) fn listen() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("listening for SIGINT")?,
            hup: signal(SignalKind::hangup()).context("listening for SIGHUP")?,
        })
    }

    pub(super) async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.term.recv() => Signal::Stop,
            _ = self.int.recv() => Signal::Stop,
            _ = self.hup.recv() => Signal::Reload,
        }
    }
}
