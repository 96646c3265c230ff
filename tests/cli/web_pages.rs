//! The console's `/api/v1/status`, `/calendar` and `/reports` over real HTTP, on both backends,
//! against what the command line prints for the same question: `status --json` byte for byte,
//! the national calendar's holidays and make-up days, `report` in its table, CSV and xlsx forms.

use std::io::Cursor;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx};

use crate::console::{Answer, Console};
use crate::helpers::{Backend, Setup, clock_today};

/// `s`'s command with today from the clock, which must succeed; its stdout.
fn stdout(s: &Setup, args: &[&str]) -> Vec<u8> {
    let out = s
        .duewatch_on_the_clock(args)
        .output()
        .expect("duewatch runs");
    assert!(
        out.status.success(),
        "duewatch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Three open cases: one received today (office), one forwarded to ss, one suspended.
fn open_cases(s: &Setup) {
    let today = clock_today();
    let back = |days: u64| (today - chrono::Days::new(days)).to_string();
    let (received, forwarded) = (back(3), back(1));
    for args in [
        &[
            "case",
            "add",
            "--ref",
            "T-1",
            "--received",
            &today.to_string(),
        ][..],
        &["case", "add", "--ref", "T-2", "--received", &received],
        &[
            "case",
            "forward",
            "T-2",
            "--section",
            "ss",
            "--on",
            &forwarded,
        ],
        &["case", "add", "--ref", "T-3", "--received", &received],
        &[
            "case",
            "suspend",
            "T-3",
            "--from",
            &forwarded,
            "--reason",
            "third_party",
        ],
    ] {
        stdout(s, args);
    }
}

/// The HTML of the cell of `date` on a calendar page.
fn cell<'a>(page: &'a Answer, date: &str) -> &'a str {
    let at = page
        .body
        .find(&format!(r#"data-date="{date}""#))
        .unwrap_or_else(|| panic!("no cell for {date} in {}", page.body));
    let cell = &page.body[at..];
    &cell[..cell.find("</td>").expect("the cell ends")]
}

/// The texts of the cells of the row `<tr data-party="code"…>` of the figures table.
fn figure_row(page: &Answer, code: &str) -> Vec<String> {
    let at = page
        .body
        .find(&format!(r#"<tr data-party="{code}""#))
        .unwrap_or_else(|| panic!("no row {code:?} in {}", page.body));
    let row = &page.body[at..];
    let row = &row[..row.find("</tr>").expect("the row ends")];
    row.split("<t")
        .skip(2)
        .map(|c| {
            let text = &c[c.find('>').expect("a tag") + 1..];
            text[..text.find('<').unwrap_or(text.len())].to_owned()
        })
        .collect()
}

/// `GET path` with the value of `header` in the answer.
fn header(console: &Console, path: &str, header: &str) -> Option<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let response = agent.get(&console.url(path)).call().expect("an answer");
    response
        .headers()
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Every cell of every sheet of a workbook, as text.
fn cells(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx workbook");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("a sheet");
            let rows = range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            Data::Empty => String::new(),
                            other => format!("{other:?}"),
                        })
                        .collect()
                })
                .collect();
            (name, rows)
        })
        .collect()
}

on_both_backends! {
    every_answer_carries_the_security_headers_and_only_the_stylesheet_is_cached => |backend| {
        let s = Setup::with_store(backend);
        open_cases(&s);
        let console = Console::start(&s);
        let csp = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";
        for path in ["/", "/cases", "/api/v1/status", "/cases?q=%FF", "/no-such-page", "/style.css"] {
            assert_eq!(header(&console, path, "x-content-type-options").as_deref(), Some("nosniff"), "{path}");
            assert_eq!(header(&console, path, "content-security-policy").as_deref(), Some(csp), "{path}");
            assert_eq!(header(&console, path, "referrer-policy").as_deref(), Some("same-origin"), "{path}");
            let cache = header(&console, path, "cache-control");
            if path == "/style.css" {
                assert_eq!(cache.as_deref(), Some("max-age=3600"), "{path}");
            } else {
                assert_eq!(cache.as_deref(), Some("no-store"), "{path}");
            }
        }
        // The favicon is `data:`: the policy must let it load.
        let page = console.get("/");
        assert!(page.body.contains(r#"<link rel="icon" href="data:,">"#), "{}", page.body);
    };

    the_status_api_answers_the_bytes_of_status_json => |backend| {
        let s = Setup::with_store(backend);
        open_cases(&s);
        let console = Console::start(&s);
        let api = console.get("/api/v1/status");
        assert_eq!(api.status, 200, "{}", api.body);
        assert_eq!(api.content_type, "application/json");
        let cli = stdout(&s, &["status", "--json"]);
        assert_eq!(api.body, String::from_utf8_lossy(&cli));
        assert_eq!(api.bytes, cli);
        assert!(api.body.contains(r#""reference":"T-2""#), "{}", api.body);

        let later = (clock_today() + chrono::Days::new(40)).to_string();
        let api = console.get(&format!("/api/v1/status?as_of={later}"));
        assert_eq!(api.bytes, stdout(&s, &["status", "--json", "--as-of", &later]));
        assert!(api.body.contains(r#""level":"overdue""#), "{}", api.body);

        for (query, named) in [("as_of=2026-13-01", "as_of"), ("as_of=2100-01-01", "as_of"), ("asof=2026-12-01", "asof")] {
            let bad = console.get(&format!("/api/v1/status?{query}"));
            assert_eq!(bad.status, 400, "{query}: {}", bad.body);
            assert_eq!(bad.content_type, "application/json", "{query}");
            let error: serde_json::Value = serde_json::from_str(&bad.body).expect("a JSON body");
            let message = error["error"].as_str().expect("an error message");
            assert!(message.contains(named), "{query}: {message}");
        }
    };

    the_calendar_marks_holidays_make_up_days_and_each_days_deadlines => |backend| {
        let s = Setup::with_store(backend);
        // The bureau's overlay, after the cases' deadlines.
        s.write_calendar(
            "local.toml",
            "[[closures]]\ndates = \"2026-12-28\"\nreason = \"系统迁移\"\n\n\
             [[reopenings]]\ndates = \"2026-12-26\"\nreason = \"补办积压申请\"\n",
        );
        open_cases(&s);
        let console = Console::start(&s);

        let december = console.get("/calendar/2026/12");
        let closed = cell(&december, "2026-12-28");
        assert!(closed.contains(r#"class="closure"#) && closed.contains("系统迁移"), "{closed}");
        let reopened = cell(&december, "2026-12-26");
        assert!(reopened.contains(r#"class="reopening"#) && reopened.contains("补办积压申请"), "{reopened}");
        assert!(december.body.contains("<li>本局休息：28 日（系统迁移）</li>"), "{}", december.body);

        // The shipped 2026 calendar (the test's calendar directory is empty): 国庆节 from 10-01
        // to 10-07, Saturday 10-10 worked for it.
        let october = console.get("/calendar/2026/10");
        assert_eq!(october.status, 200, "{}", october.body);
        let national_day = cell(&october, "2026-10-01");
        assert!(national_day.contains(r#"class="holiday"#), "{national_day}");
        assert!(national_day.contains("国庆节"), "{national_day}");
        let make_up = cell(&october, "2026-10-10");
        assert!(make_up.contains(r#"class="makeup"#), "{make_up}");
        assert!(make_up.contains("上班") && make_up.contains("国庆节"), "{make_up}");
        assert!(cell(&october, "2026-10-11").contains(r#"class="weekend"#));
        assert!(cell(&october, "2026-10-12").contains(r#"class="workday"#));
        assert!(!october.body.contains("暂定</span>"), "2026 is covered");
        // Monday first: October 2026 starts on a Thursday, after three blank cells.
        let blanks = r#"<td class="outside"></td>"#.repeat(3);
        assert!(
            october.body.contains(&format!(r#"<tr>{blanks}<td data-date="2026-10-01""#)),
            "{}",
            october.body
        );
        assert!(october.body.contains(r#"href="/calendar/2026/09""#));
        assert!(october.body.contains(r#"href="/calendar/2026/11""#));

        // The deadline of T-1 (forward stage) is counted on its day, linking to its cases.
        let status: serde_json::Value =
            serde_json::from_slice(&stdout(&s, &["status", "--json"])).expect("JSON");
        let due = status
            .as_array()
            .expect("an array")
            .iter()
            .find(|r| r["reference"] == "T-1")
            .and_then(|r| r["due"].as_str())
            .expect("T-1 has a deadline")
            .to_owned();
        let same_day = status.as_array().expect("an array").iter().filter(|r| r["due"] == due.as_str()).count();
        let month = console.get(&format!("/calendar/{}/{}", &due[..4], &due[5..7]));
        let day = cell(&month, &due);
        assert!(
            day.contains(&format!(r#"<a class="due" href="/cases?due={due}">{same_day} 件到期</a>"#)),
            "{day}"
        );
        let list = console.get(&format!("/cases?due={due}"));
        assert!(list.body.contains(r#"data-reference="T-1""#), "{}", list.body);

        // 2027 is not shipped: its days are provisional, counted by weekends only.
        let january = console.get("/calendar/2027/01");
        assert_eq!(january.status, 200, "{}", january.body);
        let new_year = cell(&january, "2027-01-01");
        assert!(new_year.contains("workday provisional") && new_year.contains("暂定"), "{new_year}");
        assert!(january.body.contains("2027 年节假日安排未载入"), "{}", january.body);

        // /calendar sends to this month (the test client follows no redirect).
        let sent = console.get("/calendar");
        assert_eq!(sent.status, 303, "{}", sent.body);
        let here = console.get(sent.location.as_deref().expect("a Location"));
        let today = clock_today();
        assert!(
            here.body.contains(&format!("<h1>{} 年 {} 月</h1>", chrono::Datelike::year(&today), chrono::Datelike::month(&today))),
            "{}",
            here.body
        );

        for (path, says) in [
            ("/calendar/2026/13", "月份应为 01 至 12"),
            ("/calendar/1999/01", "年份应为 2000 至 2099"),
            ("/calendar/2100/01", "年份应为 2000 至 2099"),
            ("/calendar/abcd/01", "收到“abcd”"),
            ("/calendar/2026/x", "收到“x”"),
            ("/calendar/2026/10?year=1", "不认识的参数“year”"),
            ("/calendar/x/y", "收到“x”"),
            ("/calendar/%FF/01", "年份和月份应为数字"),
            ("/calendar/2026/%C0", "年份和月份应为数字"),
        ] {
            let bad = console.get(path);
            assert_eq!(bad.status, 400, "{path}: {}", bad.body);
            assert!(bad.content_type.starts_with("text/html"), "{path}: the console's page, not plain text: {}", bad.content_type);
            assert!(bad.body.contains("请求有误"), "{path}: {}", bad.body);
            assert!(bad.body.contains(says), "{path}: {}", bad.body);
        }
    };

    the_report_page_shows_the_figures_of_duewatch_report_and_downloads_its_files => |backend| {
        let s = Setup::with_store(backend);
        // November 2026: A answered on time, B answered late (reply due 11-25, given 11-27),
        // C forwarded late and still open past its reply deadline.
        for args in [
            &["case", "add", "--ref", "2026-A", "--received", "2026-11-02", "--subject", "养老保险缴费记录"][..],
            &["case", "forward", "2026-A", "--section", "ss", "--on", "2026-11-04"],
            &["case", "reply", "2026-A", "--on", "2026-11-13"],
            &["case", "add", "--ref", "2026-B", "--received", "2026-11-02", "--subject", "工伤认定"],
            &["case", "forward", "2026-B", "--section", "ss", "--on", "2026-11-11"],
            &["case", "reply", "2026-B", "--on", "2026-11-27"],
            &["case", "add", "--ref", "2026-C", "--received", "2026-11-02"],
            &["case", "forward", "2026-C", "--section", "zc", "--on", "2026-11-12"],
        ] {
            stdout(&s, args);
        }
        let console = Console::start(&s);
        let period = ["report", "--from", "2026-11-01", "--to", "2026-11-30"];
        let query = "from=2026-11-01&to=2026-11-30";

        let page = console.get(&format!("/reports?{query}"));
        assert_eq!(page.status, 200, "{}", page.body);
        let csv_bytes = stdout(&s, &[&period[..], &["--format", "csv"]].concat());
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&csv_bytes[3..]);
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a record")).collect();
        let parties = records.iter().skip(1).take_while(|r| r.len() > 1);
        let mut seen = 0;
        for record in parties {
            let expected: Vec<String> = record.iter().map(str::to_owned).collect();
            assert_eq!(figure_row(&page, &expected[1]), expected, "{}", page.body);
            seen += 1;
        }
        assert_eq!(seen, 4, "office, ss, zc and the total");
        // The table the terminal shows has the same total.
        let table = String::from_utf8(stdout(&s, &period)).expect("UTF-8");
        let total = table.lines().find(|l| l.starts_with("total")).expect("a total line");
        let handled = total.split_whitespace().nth(1).expect("handled");
        assert_eq!(figure_row(&page, "")[2], handled, "{table}");
        let late = table.lines().find_map(|l| l.strip_prefix("late and overdue: ")).expect("a count");
        assert!(page.body.contains(&format!("逾期办结与超期未办结（{late} 件）")), "{}", page.body);
        assert!(page.body.contains(r#"<tr data-reference="2026-B">"#), "{}", page.body);

        let csv_download = console.get(&format!("/reports?{query}&format=csv"));
        assert_eq!(csv_download.status, 200);
        assert_eq!(csv_download.content_type, "text/csv; charset=utf-8");
        assert_eq!(csv_download.bytes, csv_bytes, "the CSV download is the bytes of duewatch report --format csv");
        assert_eq!(
            header(&console, &format!("/reports?{query}&format=csv"), "content-disposition").as_deref(),
            Some("attachment; filename=\"report-2026-11-01-2026-11-30.csv\"")
        );

        let xlsx_download = console.get(&format!("/reports?{query}&format=xlsx"));
        assert_eq!(xlsx_download.status, 200);
        let file = s.dir.path().join("november.xlsx");
        stdout(&s, &[&period[..], &["--format", "xlsx", "--output", file.to_str().expect("a path")]].concat());
        let workbook = std::fs::read(&file).expect("the workbook");
        assert_eq!(cells(&xlsx_download.bytes), cells(&workbook));
        assert_eq!(
            header(&console, &format!("/reports?{query}&format=xlsx"), "content-disposition").as_deref(),
            Some("attachment; filename=\"report-2026-11-01-2026-11-30.xlsx\"")
        );

        // Without a period: the form, filled in with the month before this one.
        let form = console.get("/reports");
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(form.body.contains(r#"name="from""#) && !form.body.contains(r#"id="figures""#), "{}", form.body);

        for (query, named) in [
            ("from=2026-11-30&to=2026-11-01", "参数“to”"),
            ("from=2026-11-31&to=2026-12-01", "参数“from”"),
            ("from=2026-11-01", "缺少参数“to”"),
            ("to=2026-11-01", "缺少参数“from”"),
            ("from=2026-11-01&to=2026-11-30&format=pdf", "参数“format”"),
            ("form=2026-11-01", "不认识的参数“form”"),
        ] {
            let bad = console.get(&format!("/reports?{query}"));
            assert_eq!(bad.status, 400, "{query}: {}", bad.body);
            assert!(bad.body.contains(named), "{query}: {}", bad.body);
        }
    };
}
