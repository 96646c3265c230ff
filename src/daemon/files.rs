//! The files the running daemon reads again, each read bounded so that it cannot stall a poll:
//! the calendar files and (on SIGHUP) the templates on a blocking thread for at most
//! [`CALENDAR_READ_LIMIT`]; and the SQLite database file, whose identity is checked before
//! every run.

use std::time::Duration;

use super::Daemon;

pub(super) type CalendarRead = tokio::task::JoinHandle<
    Result<crate::calendar::load::Loaded, crate::calendar::load::LoadError>,
>;

/// How long a poll waits for the calendar files (and, on SIGHUP, the templates) to be read
/// before it goes on with those in force. Calendar files cannot block on a FIFO or a device
/// (`calendar::load` refuses them unread); this bounds the rest, a file system that stops
/// answering.
pub(super) const CALENDAR_READ_LIMIT: Duration = Duration::from_secs(10);

impl Daemon {
    /// Whether the SQLite database file is still the one the daemon opened (checked before
    /// every run): deleted, connections opened since would fail (or, before, make an empty
    /// database: "no such table"); replaced (a copy moved over it), the connections opened
    /// before write to the old file and new ones to the new. Either splits the state, so the
    /// daemon stops instead, saying so.
    pub(super) fn check_database_file(&self) -> Result<(), String> {
        let Some((path, opened)) = &self.database_file else {
            return Ok(());
        };
        let now = crate::store::FileIdentity::of(path);
        let what = match now {
            Ok(now) if now == *opened => return Ok(()),
            Ok(now) => format!(
                "was replaced by another file (device {} inode {} when duewatch opened it, now \
                 device {} inode {})",
                opened.device, opened.inode, now.device, now.inode
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "was deleted".to_owned(),
            Err(e) => format!("cannot be examined ({e})"),
        };
        Err(format!(
            "the SQLite database {} {what} while duewatch was running: duewatch stops rather \
             than keep its state in two files\n  help: put the right database file back at {} \
             and start duewatch again (if the file was replaced on purpose, e.g. restored from a \
             backup, just start it again); what the old file held since is not in the new one",
            path.display(),
            path.display()
        ))
    }

    /// Why the daemon must stop on its own, if it must.
    pub(super) fn fatal(&self) -> Option<String> {
        self.fatal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the templates (SIGHUP), on a blocking thread for at most
    /// [`CALENDAR_READ_LIMIT`] (a FIFO or a hung file system among them must not stall the
    /// poll): good ones are used for the next mails; bad ones are refused and the ones in use
    /// stay, with the reason in the log.
    pub(super) async fn reload_templates(&self) {
        let dir = self.ctx.config.mail.templates.clone();
        let read = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || crate::mail::render::Templates::load(&dir))
        };
        match tokio::time::timeout(CALENDAR_READ_LIMIT, read).await {
            Ok(Ok(Ok(templates))) => {
                self.ctx.set_templates(templates);
                tracing::info!(
                    dir = %dir.display(),
                    "SIGHUP: the mail templates were re-read and are in use"
                );
            }
            Ok(Ok(Err(e))) => tracing::error!(
                "SIGHUP: the mail templates are refused; the ones in use stay: {}\n  help: \
                 correct them (`duewatch config check` shows the problem), then send SIGHUP again",
                crate::error::chain(&e)
            ),
            Ok(Err(e)) => tracing::error!("SIGHUP: reading the mail templates failed: {e}"),
            Err(_) => tracing::error!(
                "SIGHUP: reading the mail templates took longer than {} s; the ones in use stay\n  \
                 help: check {} (mail.templates) for a file that is not a regular file (a FIFO) \
                 or a file system that does not answer",
                CALENDAR_READ_LIMIT.as_secs(),
                dir.display()
            ),
        }
    }

    /// Reads the calendar files on a blocking thread, for at most [`CALENDAR_READ_LIMIT`];
    /// `None` when that read, or an earlier one, is still under way (logged).
    pub(super) async fn read_calendar(
        &self,
    ) -> Option<Result<crate::calendar::load::Loaded, crate::calendar::load::LoadError>> {
        let dir = self.ctx.config.calendar.dir.clone();
        let earlier = self
            .calendar_read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let mut read = match earlier {
            Some(read) if !read.is_finished() => {
                tracing::warn!(
                    "the calendar files are still being read (for more than {} s): the calendar \
                     in force stays\n  help: check the file system under {} (calendar.dir)",
                    CALENDAR_READ_LIMIT.as_secs(),
                    dir.display()
                );
                *self
                    .calendar_read
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(read);
                return None;
            }
            // A slow read that ended since: read again, the files may have changed meanwhile.
            _ => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || crate::calendar::load::load(&dir))
            }
        };
        match tokio::time::timeout(CALENDAR_READ_LIMIT, &mut read).await {
            Ok(Ok(loaded)) => Some(loaded),
            Ok(Err(e)) => {
                tracing::error!("reading the calendar files failed: {e}");
                None
            }
            Err(_) => {
                tracing::error!(
                    "reading the calendar files took longer than {} s: the calendar in force \
                     stays, polls go on\n  help: check the file system under {} (calendar.dir)",
                    CALENDAR_READ_LIMIT.as_secs(),
                    dir.display()
                );
                *self
                    .calendar_read
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(read);
                None
            }
        }
    }
}
