//! Assembling the calendar in use: the shipped national years, then the configured directory
//! (`calendar.dir`), whose `YYYY.toml` files add years or replace shipped ones and whose
//! `local.toml` is the local overlay. This is the calendar module's only file I/O.
//!
//! All or nothing: any problem in any file stops the load and every problem is reported, so a
//! calendar is never half-loaded. A missing directory is not a problem (shipped years only).

use std::fmt;
use std::path::{Path, PathBuf};

use super::data::{LocalOverlay, Source};
use super::file::{FileError, FileErrors, parse_overlay, parse_year};
use super::{Calendar, shipped};

/// The overlay's file name in the calendar directory.
pub const OVERLAY_FILE: &str = "local.toml";

/// What the calendar directory held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directory {
    /// The directory does not exist: only the shipped years are in use.
    Missing(PathBuf),
    /// The directory was read.
    Read {
        /// The directory.
        path: PathBuf,
        /// Year files found in it, sorted.
        year_files: Vec<PathBuf>,
        /// The overlay, if present.
        overlay: Option<PathBuf>,
    },
}

/// A loaded calendar and where its parts came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The calendar.
    pub calendar: Calendar,
    /// What the directory held.
    pub directory: Directory,
}

/// Why the calendar could not be loaded: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The problems, each naming its file.
    pub problems: Vec<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the calendar was not loaded ({} problem{}); nothing from it is in use:",
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

/// Loads the shipped years and the files of `dir`.
///
/// # Errors
/// Every unreadable or invalid file, an unexpected `.toml` file in the directory, and conflicts
/// between files.
pub fn load(dir: &Path) -> Result<Loaded, LoadError> {
    let mut problems: Vec<String> = Vec::new();
    let mut national = match shipped::years() {
        Ok(years) => years,
        Err(e) => {
            return Err(LoadError {
                problems: vec![e.to_string()],
            });
        }
    };
    let mut overlay = LocalOverlay::default();

    let directory = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Directory::Missing(dir.to_owned()),
        Err(e) => {
            return Err(LoadError {
                problems: vec![format!(
                    "{}: cannot read the calendar directory: {e}\n  help: check the path \
                     (config key calendar.dir) and that duewatch may read it",
                    dir.display()
                )],
            });
        }
        Ok(entries) => {
            let mut year_files = Vec::new();
            let mut overlay_file = None;
            for entry in entries {
                let path = match entry {
                    Ok(entry) => entry.path(),
                    Err(e) => {
                        problems.push(format!("{}: cannot list a file: {e}", dir.display()));
                        continue;
                    }
                };
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if !name.ends_with(".toml") {
                    continue; // README, editor backups, the holiday-cn sources: not ours
                }
                if name == OVERLAY_FILE {
                    overlay_file = Some(path);
                } else if year_of_file_name(name).is_some() {
                    year_files.push(path);
                } else {
                    problems.push(format!(
                        "{}: not a calendar file name\n  help: name year files YYYY.toml (2027.toml) \
                         and the local overlay {OVERLAY_FILE}; move other .toml files elsewhere",
                        path.display()
                    ));
                }
            }
            year_files.sort();
            for path in &year_files {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                let expected = year_of_file_name(name);
                match read(path).and_then(|text| {
                    parse_year(
                        &text,
                        &Source::File(path.clone()),
                        &path.display().to_string(),
                        expected,
                    )
                }) {
                    Ok(year) => {
                        national.retain(|y| y.year != year.year);
                        national.push(year);
                    }
                    Err(e) => problems.push(e.to_string()),
                }
            }
            if let Some(path) = &overlay_file {
                match read(path).and_then(|text| {
                    parse_overlay(
                        &text,
                        &Source::File(path.clone()),
                        &path.display().to_string(),
                    )
                }) {
                    Ok(o) => overlay = o,
                    Err(e) => problems.push(e.to_string()),
                }
            }
            Directory::Read {
                path: dir.to_owned(),
                year_files,
                overlay: overlay_file,
            }
        }
    };

    if !problems.is_empty() {
        return Err(LoadError { problems });
    }
    national.sort_by_key(|y| y.year);
    Calendar::new(national, overlay)
        .map(|calendar| Loaded {
            calendar,
            directory,
        })
        .map_err(|e| LoadError {
            problems: vec![e.to_string()],
        })
}

/// The largest calendar file read, in bytes (1 MiB): a year file is a few kilobytes; anything
/// larger is not a calendar, and reading it whole could exhaust memory.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads a calendar file: a regular file (or a link to one) of at most [`MAX_FILE_BYTES`], in
/// UTF-8 ([`crate::bounded_file::read`]). Anything else is refused without being read: a FIFO
/// would block the read (and the daemon's poll) for ever, a device such as `/dev/zero` never
/// ends.
fn read(path: &Path) -> Result<String, FileErrors> {
    use crate::bounded_file::ReadError;
    crate::bounded_file::read(path, MAX_FILE_BYTES).map_err(|e| {
        let help = match &e {
            ReadError::Unreadable(_) => {
                "check that it exists, is UTF-8 text, and that duewatch may read it"
            }
            ReadError::NotRegular(_) => {
                "calendar.dir holds regular files only (YYYY.toml and local.toml, or links to \
                 such files): remove this one or move it elsewhere"
            }
            ReadError::TooLarge { .. } => {
                "a calendar file is a few kilobytes: check that this is the right file"
            }
            ReadError::NotUtf8(_) => "save the file as UTF-8",
        };
        FileErrors(vec![FileError {
            origin: path.display().to_string(),
            line: 1,
            column: 1,
            message: e.to_string(),
            help: help.to_owned(),
        }])
    })
}

/// The year a file name like `2027.toml` gives.
fn year_of_file_name(name: &str) -> Option<i32> {
    let stem = name.strip_suffix(".toml")?;
    (stem.len() == 4 && stem.bytes().all(|b| b.is_ascii_digit()))
        .then(|| stem.parse().ok())
        .flatten()
}
