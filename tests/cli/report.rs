//! Reports and calendar feeds through the built binary, on SQLite and on PostgreSQL: the figures
//! of a hand-computed November 2026, the workbook read back cell by cell (calamine), the CSV
//! parsed, the iCalendar file parsed back and re-exported, and the monthly report arriving at a
//! real SMTP server on loopback with its workbook attached.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use mail_parser::MimeHeaders;
use predicates::str::contains;

use crate::helpers::{Backend, Setup};
use crate::smtp::SmtpServer;

const LEADERS: &str = "leaders@bureau.example";
const OFFICE: &str = "office@bureau.example";
const HEAD: &str = "head@bureau.example";

fn ok(s: &Setup, args: &[&str]) {
    s.duewatch(args).assert().success();
}

fn stdout(s: &Setup, args: &[&str]) -> Vec<u8> {
    s.duewatch(args)
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

/// November 2026 (no public holiday; 21 working days), hand-computed:
/// - A (ss): received Mon 11-02, forwarded 11-04 (due 11-09), replied 11-13 (due 11-18): on time;
/// - B (ss): forwarded 11-11, 2 working days after its 11-09 deadline; replied 11-27, 2 after
///   11-25;
/// - C (ss): forwarded 11-03; 5 days extension approved 11-16 (before the 11-17 deadline), notice
///   11-17, so due 11-24; replied 11-24: on time;
/// - E (zc): forwarded 11-03; suspended 11-09 until 11-12 (3 working days), both notices; due
///   11-20; replied 11-19: on time;
/// - J: received Mon 11-16, never forwarded: due 11-23, overdue at 11-30 by 5 (11-24..11-30).
fn november(s: &Setup) {
    let add = |r: &str, received: &str, subject: &str| {
        ok(
            s,
            &[
                "case",
                "add",
                "--ref",
                r,
                "--received",
                received,
                "--subject",
                subject,
            ],
        );
    };
    let forward = |r: &str, section: &str, on: &str| {
        ok(s, &["case", "forward", r, "--section", section, "--on", on]);
    };
    let reply = |r: &str, on: &str| ok(s, &["case", "reply", r, "--on", on]);
    add("2026-A", "2026-11-02", "养老保险缴费记录");
    forward("2026-A", "ss", "2026-11-04");
    reply("2026-A", "2026-11-13");
    add("2026-B", "2026-11-02", "工伤认定, 流程; 说明");
    forward("2026-B", "ss", "2026-11-11");
    reply("2026-B", "2026-11-27");
    add("2026-C", "2026-11-02", "社保卡网点");
    forward("2026-C", "ss", "2026-11-03");
    ok(
        s,
        &[
            "case",
            "extend",
            "2026-C",
            "--days",
            "5",
            "--approved-by",
            "局长",
            "--on",
            "2026-11-16",
        ],
    );
    ok(
        s,
        &[
            "case",
            "notice",
            "2026-C",
            "--kind",
            "extension",
            "--on",
            "2026-11-17",
        ],
    );
    reply("2026-C", "2026-11-24");
    add("2026-E", "2026-11-02", "政策文件");
    forward("2026-E", "zc", "2026-11-03");
    ok(
        s,
        &[
            "case",
            "suspend",
            "2026-E",
            "--from",
            "2026-11-09",
            "--reason",
            "force_majeure",
        ],
    );
    ok(s, &["case", "resume", "2026-E", "--on", "2026-11-12"]);
    ok(
        s,
        &[
            "case",
            "notice",
            "2026-E",
            "--kind",
            "suspension",
            "--on",
            "2026-11-09",
        ],
    );
    ok(
        s,
        &[
            "case",
            "notice",
            "2026-E",
            "--kind",
            "resumption",
            "--on",
            "2026-11-12",
        ],
    );
    reply("2026-E", "2026-11-19");
    add("2026-J", "2026-11-16", "信息目录");
}

/// The figures expected for [`november`], per row of sheet 统计 from its third row: name, code,
/// handled, on time, late, late days total, max, open overdue, extensions, extension days, late
/// extensions, suspensions, suspended days, late suspensions, notices missing, on-time rate.
/// Each party's figures, 办理件数 to 退回前承办工作日 (no red card without grades, no case was
/// given back: the last three 0).
fn expected_rows() -> Vec<(&'static str, &'static str, [f64; 16], f64)> {
    vec![
        (
            "政务公开工作领导小组办公室（转办）",
            "office",
            [
                5., 3., 1., 2., 2., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.,
            ],
            3. / 5.,
        ),
        (
            "社会保险股",
            "ss",
            [
                3., 2., 1., 2., 2., 0., 1., 5., 0., 0., 0., 0., 0., 0., 0., 0.,
            ],
            2. / 3.,
        ),
        (
            "政策法规股",
            "zc",
            [
                1., 1., 0., 0., 0., 0., 0., 0., 0., 1., 3., 0., 0., 0., 0., 0.,
            ],
            1.,
        ),
        (
            "合计",
            "",
            [
                9., 6., 2., 4., 2., 1., 1., 5., 0., 1., 3., 0., 0., 0., 0., 0.,
            ],
            6. / 9.,
        ),
    ]
}

fn text(cell: Option<&Data>) -> String {
    match cell {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        other => panic!("expected text, found {other:?}"),
    }
}

fn number(cell: Option<&Data>) -> f64 {
    match cell {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

fn date(cell: Option<&Data>) -> Option<NaiveDate> {
    match cell {
        Some(Data::DateTime(d)) => {
            assert!(d.is_datetime(), "a date cell, not a number: {d:?}");
            Some(d.as_datetime().expect("a date").date())
        }
        Some(Data::Empty) | None => None,
        other => panic!("expected a date, found {other:?}"),
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

/// Checks a workbook of [`november`] cell by cell.
fn check_workbook(bytes: Vec<u8>) {
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("an xlsx workbook");
    assert_eq!(book.sheet_names(), ["统计", "案件"]);
    let figures = book.worksheet_range("统计").expect("sheet 统计");
    assert_eq!(
        text(figures.get((0, 0))),
        "政府信息公开申请办理情况统计 2026-11-01 至 2026-11-30"
    );
    let headers: Vec<String> = (0..20).map(|c| text(figures.get((1, c)))).collect();
    assert_eq!(
        headers,
        [
            "责任方",
            "代码",
            "办理件数",
            "按期办结",
            "逾期办结",
            "逾期工作日合计",
            "单件最长逾期工作日",
            "超期未办结",
            "延期件数",
            "延期工作日",
            "逾期后延期",
            "中止次数",
            "中止工作日",
            "逾期后中止",
            "书面告知缺失",
            "红牌",
            "退回件数",
            "退回前承办工作日",
            "按期办结率",
            "备注"
        ]
    );
    let expected = expected_rows();
    assert_eq!(figures.height(), 2 + expected.len());
    for (i, (name, code, numbers, rate)) in expected.iter().enumerate() {
        let row = i + 2;
        assert_eq!(text(figures.get((row, 0))), *name, "row {row}");
        assert_eq!(text(figures.get((row, 1))), *code, "row {row}");
        for (j, n) in numbers.iter().enumerate() {
            assert_eq!(
                number(figures.get((row, j + 2))),
                *n,
                "row {row} column {}",
                j + 2
            );
        }
        assert!(
            (number(figures.get((row, 18))) - rate).abs() < 1e-9,
            "row {row} rate"
        );
    }

    let cases = book.worksheet_range("案件").expect("sheet 案件");
    assert_eq!(text(cases.get((0, 0))), "编号");
    assert_eq!(text(cases.get((0, 8))), "情况");
    let rows: Vec<_> = (1..cases.height())
        .map(|r| {
            (
                text(cases.get((r, 0))),
                text(cases.get((r, 1))),
                text(cases.get((r, 2))),
                text(cases.get((r, 3))),
                date(cases.get((r, 4))),
                date(cases.get((r, 5))),
                date(cases.get((r, 6))),
                number(cases.get((r, 7))),
                text(cases.get((r, 8))),
            )
        })
        .collect();
    let office = "政务公开工作领导小组办公室（转办）".to_owned();
    assert_eq!(
        rows,
        [
            (
                "2026-B".to_owned(),
                "工伤认定, 流程; 说明".to_owned(),
                "转办".to_owned(),
                office.clone(),
                Some(d("2026-11-02")),
                Some(d("2026-11-09")),
                Some(d("2026-11-11")),
                2.,
                "逾期办结".to_owned()
            ),
            (
                "2026-B".to_owned(),
                "工伤认定, 流程; 说明".to_owned(),
                "答复".to_owned(),
                "社会保险股".to_owned(),
                Some(d("2026-11-11")),
                Some(d("2026-11-25")),
                Some(d("2026-11-27")),
                2.,
                "逾期办结".to_owned()
            ),
            (
                "2026-J".to_owned(),
                "信息目录".to_owned(),
                "转办".to_owned(),
                office,
                Some(d("2026-11-16")),
                Some(d("2026-11-23")),
                None,
                5.,
                "超期未办结".to_owned()
            ),
        ]
    );
}

/// A parsed iCalendar file: its events as property maps, after checking the line rules.
fn parse_ics(bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    for line in text.split("\r\n") {
        assert!(!line.contains('\n'), "a bare LF: {line:?}");
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.first(), Some(&"BEGIN:VCALENDAR"));
    assert_eq!(lines.last(), Some(&"END:VCALENDAR"));
    assert!(lines.contains(&"VERSION:2.0"));
    assert!(lines.iter().any(|l| l.starts_with("PRODID:")));
    let mut events = Vec::new();
    let mut current: Option<BTreeMap<String, String>> = None;
    for line in lines {
        match line {
            "BEGIN:VEVENT" => current = Some(BTreeMap::new()),
            "END:VEVENT" => events.push(current.take().expect("an open event")),
            _ => {
                if let Some(event) = current.as_mut() {
                    let (name, value) = line.split_once(':').expect("NAME:VALUE");
                    event.insert(name.to_owned(), unescape(value));
                }
            }
        }
    }
    events
}

fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

on_both_backends! {
    the_report_counts_a_hand_computed_month_in_every_format => |backend| {
        let s = Setup::with_store(backend);
        november(&s);
        let month = ["report", "--from", "2026-11-01", "--to", "2026-11-30"];

        let table = String::from_utf8(stdout(&s, &month)).expect("UTF-8");
        let line = |code: &str| {
            table
                .lines()
                .find(|l| l.split_whitespace().next() == Some(code))
                .unwrap_or_else(|| panic!("no row {code} in\n{table}"))
                .split_whitespace()
                .take(11)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(line("office"), "office 5 3 1 2/2 1 0/0/0 0/0/0 0 0 60.0%");
        assert_eq!(line("ss"), "ss 3 2 1 2/2 0 1/5/0 0/0/0 0 0 66.7%");
        assert_eq!(line("zc"), "zc 1 1 0 0/0 0 0/0/0 1/3/0 0 0 100.0%");
        assert_eq!(line("total"), "total 9 6 2 4/2 1 1/5/0 1/3/0 0 0 66.7%");
        assert!(table.contains("late and overdue: 3"), "{table}");

        // CSV: a byte-order mark, the figures, an empty line, the cases.
        let csv_bytes = stdout(&s, &[&month[..], &["--format", "csv"]].concat());
        assert!(csv_bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM for Excel");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&csv_bytes[3..]);
        let records: Vec<csv::StringRecord> =
            reader.records().map(|r| r.expect("a CSV record")).collect();
        assert_eq!(&records[0][0], "责任方");
        assert_eq!(&records[0][15], "红牌");
        assert_eq!(&records[0][16], "退回件数");
        assert_eq!(&records[0][18], "按期办结率");
        for (i, (name, code, numbers, rate)) in expected_rows().iter().enumerate() {
            let r = &records[i + 1];
            assert_eq!((&r[0], &r[1]), (*name, *code));
            let got: Vec<f64> = (2..18).map(|c| r[c].parse().expect("a number")).collect();
            assert_eq!(got, numbers.to_vec(), "{name}");
            assert_eq!(&r[18], format!("{:.1}%", rate * 100.0), "{name}");
        }
        let cases_at = records.iter().position(|r| &r[0] == "编号").expect("the case list");
        let cases: Vec<Vec<&str>> = records[cases_at + 1..].iter().map(|r| r.iter().collect()).collect();
        assert_eq!(cases.len(), 3);
        assert_eq!(
            cases[1],
            ["2026-B", "工伤认定, 流程; 说明", "答复", "社会保险股", "2026-11-11", "2026-11-25", "2026-11-27", "2", "逾期办结", ""]
        );

        // xlsx, to a file.
        let file = s.dir.path().join("november.xlsx");
        s.duewatch(&[&month[..], &["--format", "xlsx", "--output", file.to_str().expect("a path")]].concat())
            .assert()
            .success()
            .stderr(contains("3 late or overdue stage(s)"));
        check_workbook(std::fs::read(&file).expect("the workbook"));

        // A period ending before it starts is refused, naming the options.
        s.duewatch(&["report", "--from", "2026-11-30", "--to", "2026-11-01"])
            .assert()
            .failure()
            .stderr(contains("--to must be on or after --from"));
    };

    a_section_calendar_has_one_stable_event_per_open_deadline => |backend| {
        let s = Setup::with_store(backend);
        // K (ss): forwarded Mon 11-23, reply due 10 working days later, 12-07; L (ss) suspended,
        // M forwarded to zc, N answered: only K is in ss's calendar.
        ok(&s, &["case", "add", "--ref", "2026-K", "--received", "2026-11-20", "--subject", "年度报告, 附表; 目录\\说明"]);
        ok(&s, &["case", "forward", "2026-K", "--section", "ss", "--on", "2026-11-23"]);
        ok(&s, &["case", "add", "--ref", "2026-L", "--received", "2026-11-20"]);
        ok(&s, &["case", "forward", "2026-L", "--section", "ss", "--on", "2026-11-23"]);
        ok(&s, &["case", "suspend", "2026-L", "--from", "2026-11-24", "--reason", "third_party"]);
        ok(&s, &["case", "add", "--ref", "2026-M", "--received", "2026-11-20"]);
        ok(&s, &["case", "forward", "2026-M", "--section", "zc", "--on", "2026-11-23"]);
        ok(&s, &["case", "add", "--ref", "2026-N", "--received", "2026-11-20"]);
        ok(&s, &["case", "forward", "2026-N", "--section", "ss", "--on", "2026-11-23"]);
        ok(&s, &["case", "reply", "2026-N", "--on", "2026-11-24"]);

        let first = parse_ics(&stdout(&s, &["ics", "--section", "ss", "--as-of", "2026-11-25"]));
        assert_eq!(first.len(), 1, "{first:?}");
        let k = &first[0];
        assert_eq!(k["UID"], "2026-K-reply@duewatch");
        assert_eq!(k["DTSTART;VALUE=DATE"], "20261207");
        assert_eq!(k["DTEND;VALUE=DATE"], "20261208", "DTEND is the day after");
        assert_eq!(k["SEQUENCE"], "0");
        assert_eq!(k["SUMMARY"], "【答复期限】2026-K 年度报告, 附表; 目录\\说明", "escaping round-trips");
        assert!(k["DESCRIPTION"].contains("10 个工作日内答复（第十九条）\n"), "{}", k["DESCRIPTION"]);
        assert!(k.contains_key("DTSTAMP") && k.contains_key("LAST-MODIFIED"));

        // An extension moves the deadline: the same UID, a higher SEQUENCE, a re-import updates.
        ok(&s, &["case", "extend", "2026-K", "--days", "3", "--approved-by", "局长", "--on", "2026-11-26"]);
        let file = s.dir.path().join("ss.ics");
        s.duewatch(&["ics", "--section", "ss", "--as-of", "2026-11-26", "--output", file.to_str().expect("a path")])
            .assert()
            .success()
            .stderr(contains("1 open deadline(s) of section ss"));
        let second = parse_ics(&std::fs::read(&file).expect("the file"));
        assert_eq!(second.len(), 1);
        assert_eq!(second[0]["UID"], k["UID"]);
        assert_eq!(second[0]["DTSTART;VALUE=DATE"], "20261210");
        assert_eq!(second[0]["SEQUENCE"], "1");
        assert_eq!(second[0]["LAST-MODIFIED"], "20261126T000000Z");

        s.duewatch(&["ics", "--section", "xx"])
            .assert()
            .failure()
            .stderr(contains("section xx is not configured"));
    };

    the_monthly_report_reaches_the_leadership_once_with_its_workbook => |backend| {
        let server = SmtpServer::start();
        let s = Setup::with_store(backend);
        s.append_config(&format!(
            "[office]\nname = \"政务公开工作领导小组办公室\"\nemails = [\"{OFFICE}\"]\n\
             [leadership]\nname = \"局领导\"\nemails = [\"{LEADERS}\"]\n\
             [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 5\n",
            server.port
        ));
        november(&s);
        let job = |now: &str| {
            String::from_utf8(stdout(&s, &["run", "--once", "--job", "monthly_report", "--now", now]))
                .expect("UTF-8")
        };
        // In October the first working day is 10-08 (National Day, 10-01..10-07): not before.
        let early = job("2026-10-05T09:00");
        assert!(early.contains("monthly report: not yet (due from 2026-10-08)"), "{early}");
        assert!(server.received().is_empty());
        // Tue 2026-12-01 is December's first working day.
        let said = job("2026-12-01T09:00");
        assert!(said.contains("monthly report: queued to 1 recipient(s)"), "{said}");
        // It says what the job did, not what a poll outside its window would have (issue 17).
        assert!(said.contains("2026-12-01 09:00: delivered what was due: sent 1, retrying 0, dead 0"), "{said}");
        assert!(!said.contains("window"), "{said}");
        let mails = server.to(LEADERS);
        assert_eq!(mails.len(), 1);
        assert!(server.to(OFFICE).is_empty(), "[report] recipients defaults to the leadership");
        assert_eq!(mails[0].subject(), "【duewatch】2026年11月政府信息公开申请办理情况月报");
        let message = mail_parser::MessageParser::default()
            .parse(&mails[0].data)
            .expect("a MIME message");
        let kind = mails[0].header("Content-Type").expect("a Content-Type");
        assert!(kind.starts_with("multipart/mixed"), "{kind}");
        assert!(message.body_text(0).is_some_and(|t| t.contains("社会保险股：办理 3，按期 2，逾期办结 1")));
        assert_eq!(message.attachment_count(), 1);
        let attachment = message.attachment(0).expect("the workbook");
        assert_eq!(attachment.attachment_name(), Some("duewatch-report-2026-11.xlsx"));
        check_workbook(attachment.contents().to_vec());

        // Again the same day, and the next: not sent twice.
        let again = job("2026-12-01T15:00");
        assert!(again.contains("queued already"), "{again}");
        assert!(again.contains("delivered what was due: sent 0"), "{again}");
        job("2026-12-02T09:00");
        assert_eq!(server.to(LEADERS).len(), 1);
    };

    digests_to_a_section_carry_its_deadlines_when_attach_ics_is_on => |backend| {
        let server = SmtpServer::start();
        let s = Setup::with_store(backend);
        s.append_config(&format!(
            "[mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\nattach_ics = true\n\
             [office]\nname = \"办公室\"\nemails = [\"{OFFICE}\"]\n\
             [leadership]\nemails = [\"leaders@bureau.example\"]\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 5\n",
            server.port
        ));
        // Forwarded Mon 11-16 to ss: reply due 11-30; a reminder on 11-26. And one for the office.
        ok(&s, &["case", "add", "--ref", "2026-P", "--received", "2026-11-13"]);
        ok(&s, &["case", "forward", "2026-P", "--section", "ss", "--on", "2026-11-16"]);
        ok(&s, &["case", "add", "--ref", "2026-Q", "--received", "2026-11-20"]);
        stdout(&s, &["run", "--once", "--now", "2026-11-26T09:00"]);
        let head = server.to(HEAD);
        assert_eq!(head.len(), 1);
        let message = mail_parser::MessageParser::default().parse(&head[0].data).expect("MIME");
        assert_eq!(message.attachment_count(), 1);
        let ics = message.attachment(0).expect("deadlines.ics");
        assert_eq!(ics.attachment_name(), Some("deadlines.ics"));
        let events = parse_ics(ics.contents());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["UID"], "2026-P-reply@duewatch");
        assert_eq!(events[0]["DTSTART;VALUE=DATE"], "20261130");
        // The office is no section: its digest has no calendar.
        let office = server.to(OFFICE);
        assert_eq!(office.len(), 1);
        let message = mail_parser::MessageParser::default().parse(&office[0].data).expect("MIME");
        assert_eq!(message.attachment_count(), 0);
    };

    an_address_of_two_sections_gets_each_sections_calendar => |backend| {
        let server = SmtpServer::start();
        let s = Setup::with_store(backend);
        s.append_config(&format!(
            "{}[[sections]]\ncode = \"gs\"\nname = \"工伤保险股\"\nemails = [\"{HEAD}\"]\n\
             [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\nattach_ics = true\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 5\n",
            crate::helpers::ADDRESSES,
            server.port
        ));
        // Both forwarded Mon 11-16: reply due 11-30, a reminder on 11-26, one digest to HEAD.
        for (r, section) in [("2026-S", "ss"), ("2026-G", "gs")] {
            ok(&s, &["case", "add", "--ref", r, "--received", "2026-11-13"]);
            ok(&s, &["case", "forward", r, "--section", section, "--on", "2026-11-16"]);
        }
        stdout(&s, &["run", "--once", "--now", "2026-11-26T09:00"]);
        let head = server.to(HEAD);
        assert_eq!(head.len(), 1, "one digest for both sections");
        let message = mail_parser::MessageParser::default().parse(&head[0].data).expect("MIME");
        let mut files: Vec<(String, Vec<String>)> = message
            .attachments()
            .map(|a| {
                let uids = parse_ics(a.contents()).into_iter().map(|e| e["UID"].clone()).collect();
                (a.attachment_name().expect("a file name").to_owned(), uids)
            })
            .collect();
        files.sort();
        assert_eq!(
            files,
            [
                ("deadlines-gs.ics".to_owned(), vec!["2026-G-reply@duewatch".to_owned()]),
                ("deadlines-ss.ics".to_owned(), vec!["2026-S-reply@duewatch".to_owned()]),
            ]
        );
    };
}

#[test]
fn a_bad_report_recipient_is_named_with_its_key() {
    let s = Setup::new();
    s.append_config("[report]\nrecipients = [\"the boss\"]\n");
    s.duewatch(&["config", "check"])
        .assert()
        .failure()
        .stderr(contains(
            "\"the boss\" is neither leadership, office nor an e-mail address",
        ))
        .stderr(contains("report.recipients[0]"));
}
