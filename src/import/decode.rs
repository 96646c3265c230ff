//! Reading the import file's bytes as text: UTF-8 with or without a byte-order mark, or GBK
//! (what Excel writes as "CSV" on a Chinese Windows machine); UTF-16 and undecodable bytes are
//! refused with what to do.

/// How the file's bytes are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// UTF-8 when the bytes are valid UTF-8, else GBK.
    Auto,
    /// UTF-8, with or without a byte-order mark.
    #[value(name = "utf-8")]
    Utf8,
    /// GBK (GB18030), Excel's "CSV" on a Chinese Windows machine.
    Gbk,
}

/// The refusal of a UTF-16 file.
const UTF16: &str = "the file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" \
                     or \"CSV (comma delimited)\" instead";

/// Decodes the file's bytes.
///
/// # Errors
/// Bytes that are not text in the chosen (or any supported) encoding, with what to do.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF");
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(UTF16.to_owned());
    }
    let utf8 = || {
        String::from_utf8(without_bom.unwrap_or(bytes).to_vec()).map_err(|e| {
            format!(
                "the file is not valid UTF-8 (byte {}); save it as \"CSV UTF-8\", or pass \
                 --encoding gbk",
                e.utf8_error().valid_up_to()
            )
        })
    };
    let gbk = || {
        let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(bytes);
        if had_errors {
            Err("the file is neither UTF-8 nor GBK; save it from Excel as \"CSV UTF-8\"".to_owned())
        } else {
            Ok(text.into_owned())
        }
    };
    // Text that is valid UTF-8 and not plain ASCII is next to never GBK: GBK's two-byte
    // characters rarely line up as UTF-8 sequences. Decoding it as GBK would garble every
    // Chinese character (or fail as "neither"); say what it is instead.
    let looks_utf8 =
        without_bom.is_some() || (!bytes.is_ascii() && std::str::from_utf8(bytes).is_ok());
    match encoding {
        Encoding::Utf8 => utf8(),
        Encoding::Gbk if looks_utf8 => Err(
            "the file looks like UTF-8, not GBK (--encoding gbk)\n  help: leave out --encoding \
             (or pass --encoding utf-8) to read it as UTF-8"
                .to_owned(),
        ),
        Encoding::Gbk => gbk(),
        Encoding::Auto if without_bom.is_some() => utf8(),
        Encoding::Auto => utf8().or_else(|_| gbk()),
    }
}

/// Opens the file at `path` as UTF-8 text read piece by piece, never whole: the same choice
/// of encoding and the same refusals as [`decode()`], decided by reading the file once
/// beforehand (and once more for GBK, to see that every byte decodes). The outer error is the
/// file's, the inner one what [`decode()`] would have said.
///
/// # Errors
/// The file cannot be read.
pub(crate) fn open(
    path: &std::path::Path,
    encoding: Encoding,
) -> std::io::Result<Result<Box<dyn Read>, String>> {
    let file = || std::fs::File::open(path).map(|f| BufReader::with_capacity(CHUNK, f));
    let mut head = [0u8; 3];
    let n = read_full(&mut file()?, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Ok(Err(UTF16.to_owned()));
    }
    let bom = head == b"\xEF\xBB\xBF";
    let (ascii, invalid_at) = scan_utf8(file()?, if bom { 3 } else { 0 })?;
    let utf8 = || -> std::io::Result<Result<Box<dyn Read>, String>> {
        Ok(match invalid_at {
            Some(at) => Err(format!(
                "the file is not valid UTF-8 (byte {at}); save it as \"CSV UTF-8\", or pass \
                 --encoding gbk"
            )),
            None => {
                let mut f = file()?;
                if bom {
                    f.read_exact(&mut [0u8; 3])?;
                }
                Ok(Box::new(f))
            }
        })
    };
    let gbk = || -> std::io::Result<Result<Box<dyn Read>, String>> {
        let mut check = GbkReader::new(file()?);
        std::io::copy(&mut check, &mut std::io::sink())?;
        Ok(if check.had_errors {
            Err("the file is neither UTF-8 nor GBK; save it from Excel as \"CSV UTF-8\"".to_owned())
        } else {
            Ok(Box::new(GbkReader::new(file()?)))
        })
    };
    let looks_utf8 = bom || (!ascii && invalid_at.is_none());
    match encoding {
        Encoding::Utf8 => utf8(),
        Encoding::Gbk if looks_utf8 => Ok(Err(
            "the file looks like UTF-8, not GBK (--encoding gbk)\n  help: leave out --encoding \
             (or pass --encoding utf-8) to read it as UTF-8"
                .to_owned(),
        )),
        Encoding::Gbk => gbk(),
        Encoding::Auto if bom => utf8(),
        Encoding::Auto if invalid_at.is_none() => utf8(),
        Encoding::Auto => gbk(),
    }
}

use std::io::{BufReader, Read};

/// Bytes read from the file at a time.
const CHUNK: usize = 64 * 1024;

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads `r` after its first `skip` bytes: whether it is all ASCII, and where it stops being
/// valid UTF-8 (counted from `skip`), if it does.
fn scan_utf8(mut r: impl Read, skip: usize) -> std::io::Result<(bool, Option<usize>)> {
    let mut buf = vec![0u8; CHUNK + 4];
    read_full(&mut r, &mut buf[..skip])?;
    let (mut carry, mut offset, mut ascii) = (0usize, 0usize, true);
    loop {
        let n = read_full(&mut r, &mut buf[carry..carry + CHUNK])?;
        let len = carry + n;
        let piece = &buf[..len];
        ascii &= piece.is_ascii();
        match std::str::from_utf8(piece) {
            Ok(_) if n == 0 => return Ok((ascii, None)),
            Ok(_) => {
                offset += len;
                carry = 0;
            }
            Err(e) if e.error_len().is_none() && n > 0 => {
                // A character cut by the chunk's end: its bytes go in front of the next chunk.
                let valid = e.valid_up_to();
                buf.copy_within(valid..len, 0);
                carry = len - valid;
                offset += valid;
            }
            Err(e) => return Ok((ascii, Some(offset + e.valid_up_to()))),
        }
    }
}

/// GBK bytes read as UTF-8; `had_errors` once a byte did not decode (it reads as U+FFFD).
struct GbkReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    at: usize,
    done: bool,
    had_errors: bool,
}

impl<R: Read> GbkReader<R> {
    fn new(inner: R) -> GbkReader<R> {
        GbkReader {
            inner,
            decoder: encoding_rs::GBK.new_decoder_without_bom_handling(),
            input: vec![0; CHUNK],
            output: Vec::new(),
            at: 0,
            done: false,
            had_errors: false,
        }
    }
}

impl<R: Read> Read for GbkReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.output.len() {
            if self.done {
                return Ok(0);
            }
            let n = read_full(&mut self.inner, &mut self.input)?;
            let last = n == 0;
            let room = self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
            self.output.resize(room, 0);
            let (_, read, written, errors) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.output, last);
            debug_assert_eq!(read, n, "the output has room for the whole input");
            self.had_errors |= errors;
            self.output.truncate(written);
            self.at = 0;
            self.done = last;
        }
        let n = buf.len().min(self.output.len() - self.at);
        buf[..n].copy_from_slice(&self.output[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
