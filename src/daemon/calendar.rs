//! The calendar files, watched: at every poll a fingerprint of `calendar.dir` (names, sizes,
//! modification times) says whether they changed. A good edit is put in force for the next
//! pass, and the administrators are told which open cases' deadlines moved; a bad edit keeps the
//! last good calendar and tells them why, once per edit (the notice key names the edit by a hash
//! of the fingerprint).

use std::path::Path;
use std::time::SystemTime;

use super::Daemon;
use super::moved::{Moved, moved_deadlines};
use crate::jobs::problems::notice;

/// A fingerprint of the calendar directory.
pub(super) type Fingerprint = Vec<(String, u64, Option<SystemTime>)>;

/// The calendar directory's `*.toml` files: names, sizes, modification times.
pub(super) fn fingerprint(dir: &Path) -> Fingerprint {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .map(|e| {
            let meta = e.metadata().ok();
            (
                e.file_name().to_string_lossy().into_owned(),
                meta.as_ref().map_or(0, std::fs::Metadata::len),
                meta.and_then(|m| m.modified().ok()),
            )
        })
        .collect();
    files.sort();
    files
}

/// A stable hash of a fingerprint (FNV-1a), to name an edit in notice keys.
fn fxhash(files: &[(String, u64, Option<SystemTime>)]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (name, len, modified) in files {
        eat(name.as_bytes());
        eat(&len.to_le_bytes());
        let nanos = modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        eat(&nanos.to_le_bytes());
    }
    h
}

fn show_date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "（中止中，无期限）".to_owned(), |d| d.to_string())
}

/// The notice's lines: each case, its stage, its deadline before and after.
fn moved_lines(moved: &[Moved]) -> Vec<String> {
    moved
        .iter()
        .map(|m| {
            format!(
                "{} {}：{} → {}",
                m.reference,
                m.stage,
                show_date(m.before),
                show_date(m.after)
            )
        })
        .collect()
}

impl Daemon {
    /// Puts an edited calendar in force, or keeps the last good one and says why; `force`
    /// (SIGHUP) reads the files even if their names, sizes and times look unchanged.
    pub(super) async fn reload_calendar(&self, force: bool) -> anyhow::Result<()> {
        let dir = &self.ctx.config.calendar.dir;
        let now = fingerprint(dir);
        let unchanged = *self
            .fingerprint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            == now;
        if unchanged && !force {
            return Ok(());
        }
        // The fingerprint is taken as handled only once the edit is in force or its refusal
        // is queued: a database failure in between means the next poll tries again.
        let handled = || {
            *self
                .fingerprint
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = now.clone();
        };
        let edit = format!("{:x}", fxhash(&now));
        let today = self.ctx.now().date();
        let Some(loaded) = self.read_calendar().await else {
            return Ok(());
        };
        match loaded {
            Ok(loaded) => {
                let old = self.ctx.calendar();
                let moved = moved_deadlines(
                    &self.ctx.source,
                    &self.ctx.config,
                    &old,
                    &loaded.calendar,
                    today,
                )
                .await?;
                self.ctx.set_calendar(loaded.calendar);
                handled();
                tracing::info!(
                    moved = moved.len(),
                    "{}; the new calendar is in force",
                    if force {
                        "SIGHUP: the calendar files were re-read"
                    } else {
                        "calendar files changed"
                    }
                );
                if !moved.is_empty() {
                    let lines = moved_lines(&moved);
                    let title = format!("节假日安排变更，{} 件申请的期限随之改变", moved.len());
                    notice(
                        &self.ctx,
                        self.ctx.now(),
                        "calendar_moved",
                        &edit,
                        &title,
                        &lines,
                    )
                    .await?;
                }
            }
            Err(e) => {
                tracing::error!(
                    "the edited calendar files are refused; the last good calendar stays in force:\n{e}"
                );
                let lines: Vec<String> = e.to_string().lines().map(str::to_owned).collect();
                let title = "节假日文件有误，已拒绝载入，仍使用上一份有效日历".to_owned();
                notice(
                    &self.ctx,
                    self.ctx.now(),
                    "calendar_refused",
                    &edit,
                    &title,
                    &lines,
                )
                .await?;
            }
        }
        Ok(())
    }
}
