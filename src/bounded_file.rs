//! Reading a small text file that an operator points duewatch at (a calendar file, a mail
//! template) without being stalled by it: only a regular file (or a link to one) of a bounded
//! size is read, in UTF-8. A FIFO would block the read for ever (the start, `config check`, a
//! poll), a device such as `/dev/zero` never ends. Pure std (and `libc` for `O_NONBLOCK`).

use std::fmt;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Opening or reading it failed.
    Unreadable(std::io::Error),
    /// Not a regular file: what it is, in words (`a FIFO`).
    NotRegular(&'static str),
    /// Larger than the limit: its size (or what was read of it), and the limit.
    TooLarge {
        /// Its size in bytes.
        len: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// Not UTF-8: the 1-based position of the first byte that is not.
    NotUtf8(usize),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Unreadable(e) => write!(f, "cannot read the file: {e}"),
            ReadError::NotRegular(kind) => {
                write!(f, "not a regular file ({kind}); it was not read")
            }
            ReadError::TooLarge { len, max } => write!(
                f,
                "{len} bytes, larger than {} ({max} bytes); it was not read",
                size(*max)
            ),
            ReadError::NotUtf8(at) => write!(f, "not UTF-8 text (byte {at} is not)"),
        }
    }
}

/// `1 MiB`, `64 KiB`, or bytes.
fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads `path`: a regular file (or a link to one) of at most `max` bytes, in UTF-8. Anything
/// else is refused without being read.
///
/// # Errors
/// See [`ReadError`].
pub(crate) fn read(path: &Path, max: u64) -> Result<String, ReadError> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let checked = |meta: &std::fs::Metadata| -> Result<(), ReadError> {
        if !meta.is_file() {
            return Err(ReadError::NotRegular(kind(meta)));
        }
        if meta.len() > max {
            return Err(ReadError::TooLarge {
                len: meta.len(),
                max,
            });
        }
        Ok(())
    };
    // The type first (following a link), then opened without blocking and checked again on
    // the open file: a FIFO put in place between the two must not block the open either.
    checked(&std::fs::metadata(path).map_err(ReadError::Unreadable)?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(ReadError::Unreadable)?;
    checked(&file.metadata().map_err(ReadError::Unreadable)?)?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Unreadable)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge {
            len: bytes.len() as u64,
            max,
        });
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to() + 1))
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
