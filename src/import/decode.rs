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

/// Decodes the file's bytes.
///
/// # Errors
/// Bytes that are not text in the chosen (or any supported) encoding, with what to do.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF");
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(
            "the file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" \
                    or \"CSV (comma delimited)\" instead"
                .to_owned(),
        );
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
