//! The annual report's table 3 (收到和处理政府信息公开申请情况) through the built binary, on SQLite
//! and on PostgreSQL: outcomes and applicant categories recorded with `case reply`, `case close`,
//! `case add` and `case outcome`; a made-up 2025 counted by hand and read back from the table,
//! the CSV and the workbook (calamine, cell by cell); the refusals (an outcome on an open case,
//! an unknown category), which write nothing; an incomplete year named case by case, exit 1.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use predicates::str::contains;
use serde_json::Value;

use crate::helpers::{Backend, Setup};

fn ok(s: &Setup, args: &[&str]) {
    s.duewatch(args).assert().success();
}

/// The made-up year: every act dated, the categories given as codes or in Chinese.
fn record_2025(s: &Setup) {
    let acts: &[&[&str]] = &[
        // Received in 2024, answered in 2025: 二 and 三（一）, 自然人.
        &[
            "case",
            "add",
            "--ref",
            "A01",
            "--received",
            "2024-12-16",
            "--applicant",
            "自然人",
        ],
        &[
            "case",
            "forward",
            "A01",
            "--section",
            "ss",
            "--on",
            "2024-12-17",
        ],
        &[
            "case",
            "reply",
            "A01",
            "--on",
            "2025-01-06",
            "--outcome",
            "disclosed",
        ],
        // Received in 2024, still open: 二 and 四, 商业企业.
        &[
            "case",
            "add",
            "--ref",
            "A02",
            "--received",
            "2024-12-20",
            "--applicant",
            "business",
        ],
        &[
            "case",
            "forward",
            "A02",
            "--section",
            "ss",
            "--on",
            "2024-12-23",
        ],
        // Received and answered in 2024: not in 2025's table.
        &["case", "add", "--ref", "A03", "--received", "2024-11-04"],
        &[
            "case",
            "forward",
            "A03",
            "--section",
            "ss",
            "--on",
            "2024-11-05",
        ],
        &[
            "case",
            "reply",
            "A03",
            "--on",
            "2024-11-15",
            "--outcome",
            "disclosed",
            "--applicant",
            "natural_person",
        ],
        // Received and answered in 2025.
        &["case", "add", "--ref", "A04", "--received", "2025-03-03"],
        &[
            "case",
            "forward",
            "A04",
            "--section",
            "ss",
            "--on",
            "2025-03-04",
        ],
        &[
            "case",
            "reply",
            "A04",
            "--on",
            "2025-03-14",
            "--outcome",
            "不予公开：属于国家秘密",
            "--applicant",
            "natural_person",
        ],
        &[
            "case",
            "add",
            "--ref",
            "A05",
            "--received",
            "2025-03-10",
            "--applicant",
            "科研机构",
        ],
        &[
            "case",
            "forward",
            "A05",
            "--section",
            "zc",
            "--on",
            "2025-03-11",
        ],
        &[
            "case",
            "reply",
            "A05",
            "--on",
            "2025-03-20",
            "--outcome",
            "部分公开",
        ],
        &[
            "case",
            "add",
            "--ref",
            "A06",
            "--received",
            "2025-05-06",
            "--applicant",
            "natural_person",
        ],
        &[
            "case",
            "close",
            "A06",
            "--on",
            "2025-05-06",
            "--reason",
            "answered_on_spot",
            "--outcome",
            "予以公开",
        ],
        &[
            "case",
            "add",
            "--ref",
            "A07",
            "--received",
            "2025-06-02",
            "--applicant",
            "法律服务机构",
        ],
        &[
            "case",
            "close",
            "A07",
            "--on",
            "2025-06-20",
            "--reason",
            "withdrawn",
            "--outcome",
            "other.other",
        ],
        &[
            "case",
            "add",
            "--ref",
            "A08",
            "--received",
            "2025-07-01",
            "--applicant",
            "natural_person",
        ],
        &[
            "case",
            "forward",
            "A08",
            "--section",
            "ss",
            "--on",
            "2025-07-02",
        ],
        &[
            "case",
            "reply",
            "A08",
            "--on",
            "2025-07-10",
            "--outcome",
            "重复申请",
        ],
        &["case", "add", "--ref", "A09", "--received", "2025-09-01"],
        &[
            "case",
            "forward",
            "A09",
            "--section",
            "zc",
            "--on",
            "2025-09-02",
        ],
        &["case", "reply", "A09", "--on", "2025-09-12"],
        // The outcome and the applicant recorded after the reply (the January routine).
        &[
            "case",
            "outcome",
            "A09",
            "--outcome",
            "unavailable.not_held",
            "--applicant",
            "社会公益组织",
        ],
        // Received in 2025, answered in 2026: 一 and 四.
        &[
            "case",
            "add",
            "--ref",
            "A10",
            "--received",
            "2025-12-22",
            "--applicant",
            "business",
        ],
        &[
            "case",
            "forward",
            "A10",
            "--section",
            "ss",
            "--on",
            "2025-12-23",
        ],
        &[
            "case",
            "reply",
            "A10",
            "--on",
            "2026-01-06",
            "--outcome",
            "disclosed",
        ],
        // Received in 2025, open: 一 and 四, 其他 (organisation).
        &[
            "case",
            "add",
            "--ref",
            "A11",
            "--received",
            "2025-12-29",
            "--applicant",
            "法人或其他组织：其他",
        ],
        // Received in 2026: not in 2025's table.
        &[
            "case",
            "add",
            "--ref",
            "A12",
            "--received",
            "2026-01-05",
            "--applicant",
            "natural_person",
        ],
        &[
            "case",
            "add",
            "--ref",
            "A13",
            "--received",
            "2025-04-01",
            "--applicant",
            "商业企业",
        ],
        &[
            "case",
            "forward",
            "A13",
            "--section",
            "ss",
            "--on",
            "2025-04-02",
        ],
        &[
            "case",
            "reply",
            "A13",
            "--on",
            "2025-04-10",
            "--outcome",
            "保护第三方合法权益",
        ],
    ];
    for args in acts {
        let mut args = args.to_vec();
        args.push("--allow-old");
        if args[1] == "outcome" {
            args.pop();
        }
        s.duewatch(&args).assert().success();
    }
}

/// The hand count of 2025 (columns: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他,
/// 总计); every row not listed is all zeros.
///
/// - 一 (received in 2025): A04 自然人, A05 科研, A06 自然人, A07 法律, A08 自然人, A09 公益,
///   A10 商业, A11 其他, A13 商业 → 3, 2, 1, 1, 1, 1 = 9.
/// - 二 (received before, open on 2025-01-01): A01 自然人, A02 商业 → 1, 1 = 2.
/// - 三: （一）A01, A06 自然人 = 2; （二）A05 科研 = 1; （三）1 A04 自然人; （三）4 A13 商业;
///   （四）1 A09 公益; （五）2 A08 自然人; （六）3 A07 法律; 总计 自然人 4 (A01, A04, A06, A08),
///   商业 1, 科研 1, 公益 1, 法律 1 = 8.
/// - 四 (open on 2025-12-31): A02 商业, A10 商业 (answered 2026-01-06), A11 其他 → 0, 2, 0, 0,
///   0, 1 = 3.
/// - Check: 自然人 3 + 1 = 4 + 0; 商业 2 + 1 = 1 + 2; 科研 1 = 1; 公益 1 = 1; 法律 1 = 1;
///   其他 1 = 0 + 1; 总计 9 + 2 = 8 + 3.
/// - A03 (answered 2024) and A12 (received 2026) are in no row.
fn hand_count() -> BTreeMap<&'static str, [u64; 7]> {
    BTreeMap::from([
        ("一、本年新收政府信息公开申请数量", [3, 2, 1, 1, 1, 1, 9]),
        ("二、上年结转政府信息公开申请数量", [1, 1, 0, 0, 0, 0, 2]),
        ("（一）予以公开", [2, 0, 0, 0, 0, 0, 2]),
        (
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            [0, 0, 1, 0, 0, 0, 1],
        ),
        ("1.属于国家秘密", [1, 0, 0, 0, 0, 0, 1]),
        ("4.保护第三方合法权益", [0, 1, 0, 0, 0, 0, 1]),
        ("1.本机关不掌握相关政府信息", [0, 0, 0, 1, 0, 0, 1]),
        ("2.重复申请", [1, 0, 0, 0, 0, 0, 1]),
        ("3.其他", [0, 0, 0, 0, 1, 0, 1]),
        ("（七）总计", [4, 1, 1, 1, 1, 0, 8]),
        ("四、结转下年度继续办理", [0, 2, 0, 0, 0, 1, 3]),
    ])
}

/// The labels of the format's rows, in its order, each with whether it has figures.
fn format_rows() -> Vec<(&'static str, bool)> {
    let mut rows = vec![
        ("一、本年新收政府信息公开申请数量", true),
        ("二、上年结转政府信息公开申请数量", true),
        ("三、本年度办理结果", false),
        ("（一）予以公开", true),
        (
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            true,
        ),
        ("（三）不予公开", false),
    ];
    for leaf in [
        "1.属于国家秘密",
        "2.其他法律行政法规禁止公开",
        "3.危及\u{201c}三安全一稳定\u{201d}",
        "4.保护第三方合法权益",
        "5.属于三类内部事务信息",
        "6.属于四类过程性信息",
        "7.属于行政执法案卷",
        "8.属于行政查询事项",
    ] {
        rows.push((leaf, true));
    }
    rows.push(("（四）无法提供", false));
    for leaf in [
        "1.本机关不掌握相关政府信息",
        "2.没有现成信息需要另行制作",
        "3.补正后申请内容仍不明确",
    ] {
        rows.push((leaf, true));
    }
    rows.push(("（五）不予处理", false));
    for leaf in [
        "1.信访举报投诉类申请",
        "2.重复申请",
        "3.要求提供公开出版物",
        "4.无正当理由大量反复申请",
        "5.要求行政机关确认或重新出具已获取信息",
    ] {
        rows.push((leaf, true));
    }
    rows.push(("（六）其他处理", false));
    for leaf in [
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "3.其他",
    ] {
        rows.push((leaf, true));
    }
    rows.push(("（七）总计", true));
    rows.push(("四、结转下年度继续办理", true));
    rows
}

/// Compares a table read back (label, figures or none) with the hand count, row by row in
/// the format's order.
fn check_rows(read: &[(String, Option<[u64; 7]>)], form: &str) {
    let expected = hand_count();
    let rows = format_rows();
    assert_eq!(read.len(), rows.len(), "{form}: {read:?}");
    for ((label, figures), (want_label, has_figures)) in read.iter().zip(rows) {
        assert_eq!(label, want_label, "{form}");
        let want = has_figures.then(|| expected.get(want_label).copied().unwrap_or([0; 7]));
        assert_eq!(*figures, want, "{form}: row {label}");
    }
}

fn annual(s: &Setup, format: &str) -> Vec<u8> {
    s.duewatch(&["report", "annual", "2025", "--format", format])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

/// The text table: title, note, headers, then figures followed by the label.
fn read_table(bytes: &[u8]) -> Vec<(String, Option<[u64; 7]>)> {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("2025年 收到和处理政府信息公开申请情况"));
    assert!(
        lines
            .next()
            .is_some_and(|l| l.contains("第一项加第二项之和"))
    );
    let headers: Vec<&str> = lines.next().expect("headers").split_whitespace().collect();
    assert_eq!(
        headers,
        [
            "自然人",
            "商业企业",
            "科研机构",
            "社会公益组织",
            "法律服务机构",
            "其他",
            "总计",
            "申请人情况"
        ]
    );
    lines
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let numbers: Vec<u64> = words.iter().map_while(|w| w.parse().ok()).collect();
            let label = words[numbers.len()..].join(" ");
            let figures = (!numbers.is_empty()).then(|| numbers.try_into().expect("seven figures"));
            (label, figures)
        })
        .collect()
}

pub(crate) fn read_csv(bytes: &[u8]) -> Vec<(String, Option<[u64; 7]>)> {
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).expect("a BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a record")).collect();
    assert!(
        records[0][0].ends_with("年 收到和处理政府信息公开申请情况"),
        "{:?}",
        records[0]
    );
    assert_eq!(
        records[1].iter().collect::<Vec<_>>(),
        [
            "申请人情况",
            "自然人",
            "法人或其他组织",
            "",
            "",
            "",
            "",
            "总计"
        ]
    );
    assert_eq!(
        records[2].iter().collect::<Vec<_>>(),
        [
            "",
            "",
            "商业企业",
            "科研机构",
            "社会公益组织",
            "法律服务机构",
            "其他",
            ""
        ]
    );
    records[3..]
        .iter()
        .map(|r| {
            let figures = (r.len() > 1).then(|| {
                let n: Vec<u64> = r
                    .iter()
                    .skip(1)
                    .map(|c| c.parse().expect("a count"))
                    .collect();
                n.try_into().expect("seven figures")
            });
            (r[0].to_owned(), figures)
        })
        .collect()
}

fn text(cell: Option<&Data>) -> String {
    match cell {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        other => panic!("expected text, found {other:?}"),
    }
}

fn read_workbook(bytes: Vec<u8>) -> Vec<(String, Option<[u64; 7]>)> {
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("an xlsx workbook");
    assert_eq!(book.sheet_names(), ["表三", "待补正"]);
    let sheet = book.worksheet_range("表三").expect("sheet 表三");
    assert_eq!(sheet.start(), Some((0, 0)));
    assert_eq!(
        text(sheet.get((0, 0))),
        "2025年 收到和处理政府信息公开申请情况"
    );
    assert_eq!(text(sheet.get((2, 0))), "申请人情况");
    assert_eq!(text(sheet.get((2, 1))), "自然人");
    assert_eq!(text(sheet.get((2, 2))), "法人或其他组织");
    assert_eq!(text(sheet.get((2, 7))), "总计");
    let second: Vec<String> = (2..7).map(|c| text(sheet.get((3, c)))).collect();
    assert_eq!(
        second,
        [
            "商业企业",
            "科研机构",
            "社会公益组织",
            "法律服务机构",
            "其他"
        ]
    );
    let (height, _) = sheet.get_size();
    (4..height)
        .map(|r| {
            let label = text(sheet.get((r, 0)));
            let cells: Vec<Option<u64>> = (1..8)
                .map(|c| match sheet.get((r, c)) {
                    Some(Data::Float(f)) => Some(*f as u64),
                    Some(Data::Int(i)) => Some(*i as u64),
                    Some(Data::Empty) | None => None,
                    other => panic!("row {r} column {c}: expected a count, found {other:?}"),
                })
                .collect();
            let figures = cells.iter().all(Option::is_some).then(|| {
                let n: Vec<u64> = cells.into_iter().flatten().collect();
                n.try_into().expect("seven figures")
            });
            (label, figures)
        })
        .collect()
}

fn history_len(s: &Setup, reference: &str) -> usize {
    let out = s
        .duewatch(&["case", "show", reference, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown: Value = serde_json::from_slice(&out).expect("JSON");
    shown["history"].as_array().expect("history").len()
}

on_both_backends! {
    the_annual_table_of_a_made_up_year_matches_the_hand_count_in_every_format => |backend| {
        let s = Setup::with_store(backend);
        record_2025(&s);
        check_rows(&read_table(&annual(&s, "table")), "table");
        check_rows(&read_csv(&annual(&s, "csv")), "csv");
        let path = s.dir.path().join("2025.xlsx");
        s.duewatch(&["report", "annual", "2025", "--format", "xlsx", "--output", path.to_str().expect("a path")])
            .assert()
            .success()
            .stderr(contains("annual report 2025"));
        check_rows(&read_workbook(std::fs::read(&path).expect("the workbook")), "xlsx");
        // The categories as `case show` prints them, and as JSON.
        s.duewatch(&["case", "show", "A04"])
            .assert()
            .success()
            .stdout(contains("outcome: 不予公开：属于国家秘密 (withheld.state_secret)"))
            .stdout(contains("applicant: 自然人 (natural_person)"));
        let out = s.duewatch(&["case", "show", "A09", "--json"]).assert().success().get_output().stdout.clone();
        let shown: Value = serde_json::from_slice(&out).expect("JSON");
        assert_eq!(shown["case"]["outcome"], "unavailable.not_held");
        assert_eq!(shown["case"]["applicant"], "public_interest");
        let last = shown["history"].as_array().expect("history").last().expect("a line").clone();
        assert_eq!(last["command"], "case outcome");
        assert_eq!(last["change"], "outcome 无法提供：本机关不掌握相关政府信息, applicant 法人或其他组织：社会公益组织");
    };

    an_outcome_on_an_open_case_and_an_unknown_category_are_refused_and_write_nothing => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "2026-0042", "--received", "2026-11-27"]);
        ok(&s, &["case", "forward", "2026-0042", "--section", "ss", "--on", "2026-11-30"]);
        s.duewatch(&["case", "outcome", "2026-0042", "--outcome", "disclosed"])
            .assert()
            .code(1)
            .stderr(contains("case 2026-0042: the case is still open: an outcome is recorded when it is answered or closed"));
        s.duewatch(&["case", "reply", "2026-0042", "--on", "2026-12-04", "--outcome", "approved"])
            .assert()
            .code(1)
            .stderr(contains("case 2026-0042: --outcome \"approved\" is not an outcome category"))
            .stderr(contains("help: give a code"));
        s.duewatch(&["case", "reply", "2026-0042", "--on", "2026-12-04", "--applicant", "张三"])
            .assert()
            .code(1)
            .stderr(contains("case 2026-0042: --applicant \"张三\" is not an applicant category"));
        s.duewatch(&["case", "add", "--ref", "2026-0043", "--received", "2026-11-27", "--applicant", "个人"])
            .assert()
            .code(1)
            .stderr(contains("case 2026-0043: --applicant \"个人\" is not an applicant category"));
        s.duewatch(&["case", "show", "2026-0043"]).assert().code(1).stderr(contains("does not exist"));
        assert_eq!(history_len(&s, "2026-0042"), 2, "nothing was written");
        let out = s.duewatch(&["case", "show", "2026-0042", "--json"]).assert().success().get_output().stdout.clone();
        let shown: Value = serde_json::from_slice(&out).expect("JSON");
        assert_eq!(shown["case"]["replied_on"], Value::Null, "the reply was not recorded either");
        assert_eq!(shown["case"]["outcome"], Value::Null);
        // The applicant's category may be recorded while the case is open.
        ok(&s, &["case", "outcome", "2026-0042", "--applicant", "natural_person"]);
        ok(&s, &["case", "reply", "2026-0042", "--on", "2026-12-04", "--outcome", "disclosed"]);
        // A later correction replaces it; the history keeps the old one.
        ok(&s, &["case", "outcome", "2026-0042", "--outcome", "partly_disclosed"]);
        let out = s.duewatch(&["case", "show", "2026-0042", "--json"]).assert().success().get_output().stdout.clone();
        let shown: Value = serde_json::from_slice(&out).expect("JSON");
        assert_eq!(shown["case"]["outcome"], "partly_disclosed");
        let last = shown["history"].as_array().expect("history").last().expect("a line").clone();
        assert_eq!(last["change"], "outcome 部分公开 (was 予以公开)");
    };

    an_incomplete_year_names_each_case_to_fix_and_exits_1 => |backend| {
        let s = Setup::with_store(backend);
        ok(&s, &["case", "add", "--ref", "B01", "--received", "2026-03-02", "--applicant", "natural_person"]);
        ok(&s, &["case", "forward", "B01", "--section", "ss", "--on", "2026-03-03"]);
        ok(&s, &["case", "reply", "B01", "--on", "2026-03-10"]);
        ok(&s, &["case", "add", "--ref", "B02", "--received", "2026-04-01"]);
        ok(&s, &["case", "add", "--ref", "B03", "--received", "2026-04-02", "--applicant", "business"]);
        let out = s
            .duewatch(&["report", "annual", "2026", "--format", "csv"])
            .assert()
            .code(1)
            .stderr(contains("case B01: finished on 2026-03-10 without an outcome"))
            .stderr(contains("case B02: no applicant category: left out of the table"))
            .stderr(contains("一 + 二 ≠ 三 + 四 in column 自然人: 一 + 二 = 1, 三 + 四 = 0"))
            .stderr(contains("the table of 2026 is incomplete: 2 case(s) to fix"))
            .get_output()
            .clone();
        let err = String::from_utf8(out.stderr).expect("UTF-8");
        assert!(!err.contains("B03"), "a complete case is not named: {err}");
        // The table is written all the same: B01 and B03 received; B03 carried out.
        let rows = read_csv(&out.stdout);
        let row = |label: &str| rows.iter().find(|(l, _)| l == label).and_then(|(_, f)| *f).expect(label);
        assert_eq!(row("一、本年新收政府信息公开申请数量"), [1, 1, 0, 0, 0, 0, 2]);
        assert_eq!(row("（七）总计"), [0; 7]);
        assert_eq!(row("四、结转下年度继续办理"), [0, 1, 0, 0, 0, 0, 1]);
        // Fixed, the table is complete.
        ok(&s, &["case", "outcome", "B01", "--outcome", "disclosed"]);
        ok(&s, &["case", "outcome", "B02", "--applicant", "research"]);
        s.duewatch(&["report", "annual", "2026"]).assert().success();
    };

    the_import_reads_the_categories_in_chinese_and_refuses_a_bad_one_with_its_line => |backend| {
        let s = Setup::with_store(backend);
        let path = s.dir.path().join("year.csv");
        std::fs::write(&path, "\u{feff}编号,收到日期,转办日期,承办股室,答复日期,终止日期,终止原因,办理结果,申请人类别\n\
            2026-0001,2026-03-02,2026-03-03,ss,2026-03-10,,,不予公开：属于国家秘密,自然人\n\
            2026-0002,2026-03-02,,,,2026-03-02,当场答复,予以公开,科研机构\n\
            2026-0003,2026-03-04,,,,,,,商业企业\n").expect("writing the CSV");
        let file = path.display().to_string();
        s.duewatch(&["case", "import", &file]).assert().success().stdout(contains("3 case(s) imported"));
        let out = s.duewatch(&["report", "annual", "2026", "--format", "csv"]).assert().success().get_output().stdout.clone();
        let rows = read_csv(&out);
        let row = |label: &str| rows.iter().find(|(l, _)| l == label).and_then(|(_, f)| *f).expect(label);
        // By hand: received 自然人 (0001), 科研机构 (0002), 商业企业 (0003); 0001 withheld as a
        // state secret, 0002 disclosed on the spot; 0003 open at the end of 2026.
        assert_eq!(row("一、本年新收政府信息公开申请数量"), [1, 1, 1, 0, 0, 0, 3]);
        assert_eq!(row("（一）予以公开"), [0, 0, 1, 0, 0, 0, 1]);
        assert_eq!(row("1.属于国家秘密"), [1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(row("四、结转下年度继续办理"), [0, 1, 0, 0, 0, 0, 1]);

        let bad = s.dir.path().join("bad.csv");
        std::fs::write(&bad, "reference,received_on,forwarded_on,section,replied_on,outcome,applicant\n\
            2026-0010,2026-03-02,2026-03-03,ss,2026-03-10,approved,natural_person\n\
            2026-0011,2026-03-02,2026-03-03,ss,,disclosed,natural_person\n\
            2026-0012,2026-03-02,,,,,张三\n\
            2026-0013,2026-03-02,,,,,natural_person\n").expect("writing the CSV");
        let bad = bad.display().to_string();
        let err = s.duewatch(&["case", "import", &bad]).assert().code(1).get_output().stderr.clone();
        let err = String::from_utf8(err).expect("UTF-8");
        for line in [
            "bad.csv:2: case 2026-0010: outcome: \"approved\" is not an outcome category",
            "bad.csv:3: case 2026-0011: the case is still open: an outcome is recorded when it is answered or closed",
            "bad.csv:4: case 2026-0012: applicant: \"张三\" is not an applicant category",
            "3 problem(s); nothing was imported",
        ] {
            assert!(err.contains(line), "missing {line:?} in:\n{err}");
        }
        s.duewatch(&["case", "show", "2026-0013"]).assert().code(1).stderr(contains("does not exist"));
    };
}

on_both_backends! {
    the_console_form_and_the_write_api_record_the_categories_and_refuse_as_the_command_line => |backend| {
        use crate::recording::{ago, assert_redirected_to, shown, start, token};
        use serde_json::json;
        let s = Setup::with_store(backend);
        for (reference, section) in [("C1", "ss"), ("C2", "ss"), ("C3", "ss")] {
            s.duewatch_on_the_clock(&["case", "add", "--ref", reference, "--received", &ago(10)]).assert().success();
            s.duewatch_on_the_clock(&["case", "forward", reference, "--section", section, "--on", &ago(9)]).assert().success();
        }
        s.duewatch_on_the_clock(&["case", "reply", "C3", "--on", &ago(2)]).assert().success();
        let console = start(&s);
        let mut api = console.client();
        api.headers.push(("authorization".to_owned(), format!("Bearer {}", token(&s, "office1"))));

        // The reply with its categories, in Chinese and as a code.
        let a = api.post_json("/api/v1/cases/C1/reply", &json!({
            "on": ago(1), "outcome": "不予公开：属于国家秘密", "applicant": "natural_person",
        }));
        assert_eq!(a.status, 200, "{}", a.body);
        let case: Value = serde_json::from_str(&a.body).expect("JSON");
        assert_eq!(case["case"]["outcome"], "withheld.state_secret", "{case}");
        assert_eq!(case["case"]["applicant"], "natural_person", "{case}");

        // An outcome on an open case: refused with the command line's words, nothing written.
        let before = shown(&s, "C2");
        let a = api.post_json("/api/v1/cases/C2/outcome", &json!({"outcome": "disclosed"}));
        assert_eq!(a.status, 422, "{}", a.body);
        assert!(a.body.contains("the case is still open: an outcome is recorded when it is answered or closed"), "{}", a.body);
        // An unknown category: the field is named.
        let a = api.post_json("/api/v1/cases/C2/reply", &json!({"on": ago(1), "outcome": "approved"}));
        assert_eq!(a.status, 400, "{}", a.body);
        assert!(a.body.contains("field \\\"outcome\\\": \\\"approved\\\" is not an outcome category"), "{}", a.body);
        assert_eq!(shown(&s, "C2"), before, "nothing was written");

        // The section records the outcome of its own answered case from the case page's form.
        let mut ss = console.login("ss1", crate::access::PASSWORD);
        let page = ss.get("/cases/C3");
        assert!(page.body.contains(r#"id="act-outcome""#), "{}", page.body);
        assert!(page.body.contains("（未记录，年度报告需要）"), "{}", page.body);
        let a = ss.post_form("/cases/C3/outcome", &[("outcome", "partly_disclosed"), ("applicant", "商业企业")]);
        assert_redirected_to(&a, "/cases/C3");
        let page = ss.get("/cases/C3");
        assert!(page.body.contains(r#"<dd id="outcome">部分公开</dd>"#), "{}", page.body);
        assert!(page.body.contains(r#"<dd id="applicant">法人或其他组织：商业企业</dd>"#), "{}", page.body);
        let case = shown(&s, "C3");
        let last = case["history"].as_array().and_then(|h| h.last()).expect("a line").clone();
        assert_eq!(last["command"], "case outcome");
        assert_eq!(last["actor"], "ss1");
    };
}
