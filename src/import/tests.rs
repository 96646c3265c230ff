//! The import's tests: dates as spreadsheets write them, the encodings, cells with control
//! characters, and property tests that an import of arbitrary, GBK-like or mutated spreadsheet
//! bytes never panics and accepts only good rows.

use super::columns::date;
use super::*;
use crate::calendar::input_properties::{bounded, edits, mutate};
use chrono::NaiveDate;
use proptest::prelude::*;

#[test]
fn dates_as_spreadsheets_write_them() {
    let d = NaiveDate::from_ymd_opt(2026, 1, 5);
    for v in [
        "2026-01-05",
        "2026/1/5",
        "2026-1-5",
        "2026年1月5日",
        "2026.01.05",
    ] {
        assert_eq!(date(v).ok(), d, "{v}");
    }
    for v in [
        "05/01/2026",
        "2026-13-01",
        "2026-02-30",
        "yesterday",
        "26-1-5",
    ] {
        assert!(date(v).is_err(), "{v}");
    }
}

#[test]
fn encodings() {
    let text = "reference,received_on\n2026-0001,2026-11-27\n";
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    assert_eq!(decode(&bom, Encoding::Auto).as_deref(), Ok(text));
    let (gbk, _, _) = encoding_rs::GBK.encode("编号,收到日期\n");
    assert_eq!(
        decode(&gbk, Encoding::Auto).as_deref(),
        Ok("编号,收到日期\n")
    );
    assert!(decode(&gbk, Encoding::Utf8).is_err());
    assert!(decode(b"\xFF\xFEr\x00", Encoding::Auto).is_err_and(|e| e.contains("UTF-16")));
}

#[test]
fn a_utf8_file_read_as_gbk_is_named_utf8() {
    let text = "编号,收到日期\n2026-0001,2026-11-27\n";
    let e = decode(text.as_bytes(), Encoding::Gbk).expect_err("UTF-8 is not GBK");
    assert!(e.contains("looks like UTF-8, not GBK"), "{e}");
    assert!(e.contains("leave out --encoding"), "{e}");
    // Plain ASCII is the same in both.
    assert!(decode(b"reference,received_on\n", Encoding::Gbk).is_ok());
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    assert_eq!(decode(&gbk, Encoding::Gbk).as_deref(), Ok(text));
}

#[test]
fn control_characters_in_any_cell_are_refused_and_line_breaks_in_text_cells_folded() {
    let config = test_config();
    let (rows, problems) = parse(
        "reference,received_on,subject,channel\n\
         2026-0001,2026-11-27,\"a\r\nb\",online\n\
         2026-0002,2026-11-27,a\0b,\n\
         2026-0003,2026-11-27,,online\u{7}\n\
         2026-0004,2026-11-27,\u{202E}x,\n",
        &config,
    );
    assert_eq!(rows.len(), 1, "{problems:?}");
    assert_eq!(rows[0].case.subject.as_deref(), Some("a b"));
    let lines: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0].0, 4);
    assert!(
        lines[0]
            .1
            .starts_with("case 2026-0002: subject: holds the invisible character U+0000 (NUL)"),
        "{}",
        lines[0].1
    );
    assert!(
        lines[1]
            .1
            .starts_with("case 2026-0003: channel: holds the invisible character U+0007 (bell)"),
        "{}",
        lines[1].1
    );
    assert!(
        lines[2].1.contains("U+202E (a bidi override)"),
        "{}",
        lines[2].1
    );
}

fn test_config() -> Config {
    crate::config::from_toml(
        "[[sections]]\ncode = \"ss\"\nname = \"社会保险股\"\nemails = []\n\
         [[sections]]\ncode = \"zc\"\nname = \"政策法规股\"\nemails = []\n",
    )
}

/// Decodes with every encoding and parses what decodes, within the bound; checks what the
/// import would accept.
fn check(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let outcomes = bounded(move || {
        let config = test_config();
        [Encoding::Auto, Encoding::Utf8, Encoding::Gbk]
            .into_iter()
            .filter_map(|e| decode(&bytes, e).ok())
            .map(|text| {
                let (rows, problems) = parse(&text, &config);
                (text, rows, problems)
            })
            .collect::<Vec<_>>()
    });
    for (text, rows, problems) in outcomes {
        let lines = text.split('\n').count() as u64;
        let mut references = std::collections::HashSet::new();
        for row in &rows {
            prop_assert!(
                row.line >= 2 && row.line <= lines,
                "row on line {}",
                row.line
            );
            prop_assert!(
                references.insert(row.case.reference.clone()),
                "{} twice",
                row.case.reference
            );
            if let Some(forwarded) = row.case.forwarded_on {
                prop_assert!(forwarded >= row.case.received_on);
                prop_assert!(row.case.section.is_some());
            }
        }
        for p in &problems {
            prop_assert!(
                p.line >= 1 && p.line <= lines.max(1),
                "line {} of {lines}: {}",
                p.line,
                p.message
            );
            prop_assert!(!p.message.is_empty());
        }
    }
    Ok(())
}

/// Bytes a GBK file is made of: two-byte characters, ASCII, separators and line breaks.
fn gbk_ish() -> impl Strategy<Value = Vec<u8>> {
    let unit = prop_oneof![
        (0x81_u8..=0xFE, 0x40_u8..=0xFE).prop_map(|(a, b)| vec![a, b]),
        prop::sample::select(b",\n\r\"0123456789-/ abc".to_vec()).prop_map(|b| vec![b]),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(unit, 0..400).prop_map(|units| units.concat())
}

/// A spreadsheet from parts: a header of known (English or Chinese), misspelt or missing
/// columns, rows of plausible and implausible values, then mutated.
fn sheet() -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = COLUMNS
        .iter()
        .flat_map(|(name, chinese, _, _)| std::iter::once(*name).chain(chinese.iter().copied()))
        .chain(["recieved_on", ""])
        .collect();
    let value = prop_oneof![
        Just(String::new()),
        (2025_i32..2028, 1_u32..13, 1_u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (2025_i32..2028, 1_u32..13, 1_u32..29).prop_map(|(y, m, d)| format!("{y}年{m}月{d}日")),
        "2026-0[0-9]{3}",
        prop::sample::select(vec![
            "ss",
            "zc",
            "社会保险股",
            "xx",
            "online",
            "网络",
            "withdrawn",
            "撤回",
            "5",
            "16",
            "0",
            "局长"
        ])
        .prop_map(str::to_owned),
        "[\"a-z0-9 ,\n]{0,10}",
        any::<String>(),
    ];
    (
        prop::collection::vec(prop::sample::select(names), 1..8),
        prop::collection::vec(prop::collection::vec(value, 0..9), 0..8),
        edits(),
    )
        .prop_map(|(header, rows, edits)| {
            let quote = |v: &str| {
                if v.contains([',', '"', '\n']) {
                    format!("\"{}\"", v.replace('"', "\"\""))
                } else {
                    v.to_owned()
                }
            };
            let mut text = header.join(",");
            text.push('\n');
            for row in rows {
                text.push_str(&row.iter().map(|v| quote(v)).collect::<Vec<_>>().join(","));
                text.push('\n');
            }
            mutate(&text, &edits)
        })
}

proptest! {
    #[test]
    fn an_import_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(bytes)?;
    }

    #[test]
    fn an_import_of_gbk_ish_bytes_never_panics(bytes in gbk_ish()) {
        check(bytes)?;
    }

    #[test]
    fn an_import_of_a_mutated_spreadsheet_accepts_only_good_rows(text in sheet(), gbk in any::<bool>()) {
        let bytes = if gbk {
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        check(bytes)?;
    }

    #[test]
    fn the_sample_import_mutated_accepts_only_good_rows(edits in edits()) {
        check(mutate(include_str!("../../config/samples/cases.csv"), &edits).into_bytes())?;
    }
}

/// What `open` reads of a file: the text, or the refusal.
fn opened(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::io::Write::write_all(&mut file, bytes).expect("writing it");
    let mut text = String::new();
    open(file.path(), encoding)
        .expect("reading it")
        .map(|mut r| std::io::Read::read_to_string(&mut r, &mut text).expect("UTF-8"))?;
    Ok(text)
}

#[test]
fn a_file_read_piece_by_piece_reads_as_decoded_whole() {
    // Over 64 KiB (the pieces read), so that characters are cut at a piece's end; then a bad
    // byte far into the file, whose position the refusal names.
    let mut text = String::from("reference,subject\n");
    for i in 0..4000 {
        text.push_str(&format!("2026-{i:04},政府信息公开申请第{i}号\n"));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let mut bad = text.as_bytes().to_vec();
    bad.insert(70_001, 0xFF);
    for bytes in [
        text.as_bytes(),
        &gbk[..],
        &bom[..],
        &bad[..],
        b"\xFF\xFEr\x00",
        b"",
        b"reference\n",
    ] {
        for encoding in [Encoding::Auto, Encoding::Utf8, Encoding::Gbk] {
            assert_eq!(
                opened(bytes, encoding),
                decode(bytes, encoding),
                "{encoding:?}, {} bytes",
                bytes.len()
            );
        }
    }
}
