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
/// UTF-8. Anything else is refused without being read: a FIFO would block the read (and the
/// daemon's poll) for ever, a device such as `/dev/zero` never ends.
fn read(path: &Path) -> Result<String, FileErrors> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let refuse = |message: String, help: &str| {
        FileErrors(vec![FileError {
            origin: path.display().to_string(),
            line: 1,
            column: 1,
            message,
            help: help.to_owned(),
        }])
    };
    let unreadable = |e: std::io::Error| {
        refuse(
            format!("cannot read the file: {e}"),
            "check that it exists, is UTF-8 text, and that duewatch may read it",
        )
    };
    let too_large = |len: u64| {
        refuse(
            format!("{len} bytes, larger than 1 MiB ({MAX_FILE_BYTES} bytes); it was not read"),
            "a calendar file is a few kilobytes: check that this is the right file",
        )
    };
    let checked = |meta: &std::fs::Metadata| -> Result<(), FileErrors> {
        if !meta.is_file() {
            return Err(refuse(
                format!("not a regular file ({}); it was not read", kind(meta)),
                "calendar.dir holds regular files only (YYYY.toml and local.toml, or links to \
                 such files): remove this one or move it elsewhere",
            ));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_large(meta.len()));
        }
        Ok(())
    };
    // The type first (following a link), then opened without blocking and checked again on
    // the open file: a FIFO put in place between the two must not block the open either.
    checked(&std::fs::metadata(path).map_err(unreadable)?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(unreadable)?;
    checked(&file.metadata().map_err(unreadable)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        refuse(
            format!(
                "not UTF-8 text (byte {} is not)",
                e.utf8_error().valid_up_to() + 1
            ),
            "save the file as UTF-8",
        )
    })
}

/// What a file that is not a regular file is, in words.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// The year a file name like `2027.toml` gives.
fn year_of_file_name(name: &str) -> Option<i32> {
    let stem = name.strip_suffix(".toml")?;
    (stem.len() == 4 && stem.bytes().all(|b| b.is_ascii_digit()))
        .then(|| stem.parse().ok())
        .flatten()
}
