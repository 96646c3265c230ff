//! The console's pages over real HTTP, on both backends: `/` and `/cases` (the snapshot's
//! figures against `status --json`), the error pages.

use crate::console::{Console, unescaped};
use crate::helpers::{Backend, Setup, clock_today};

/// A store holding one case, T-1, received today, and the console over it.
fn one_case(backend: Backend) -> (Setup, Console) {
    let s = Setup::with_store(backend);
    let today = clock_today().to_string();
    s.duewatch_on_the_clock(&["case", "add", "--ref", "T-1", "--received", &today])
        .assert()
        .success();
    let console = Console::start(&s);
    (s, console)
}

on_both_backends! {
    the_overview_answers_with_the_matrix => |backend| {
        let (_s, console) = one_case(backend);
        let page = console.get("/");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
        assert!(page.body.contains(r#"id="matrix""#), "{}", page.body);
        let list = console.get("/cases?party=office");
        assert!(list.body.contains(r#"data-reference="T-1""#), "{}", list.body);
        let bad = console.get("/cases?page=0");
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("page"), "{}", bad.body);
    };
}

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use serde_json::Value;

/// `date` minus `days` calendar days, as `YYYY-MM-DD`.
fn before(date: NaiveDate, days: u64) -> String {
    date.checked_sub_days(Days::new(days))
        .expect("a date")
        .to_string()
}

/// Records, on the clock's today, cases at every level: the forward stage received 0–12 days
/// ago (overdue, due today, reminder, running), the reply stage at ss and zc forwarded 0–20
/// days ago, one answered case (not listed), one extension at ss without its written notice
/// (`W-EXT`), and one suspension at zc (`W-PAUSE`). Subjects: 工伤 for the reply stage at ss,
/// 养老 otherwise.
fn cases_at_every_level(s: &Setup) {
    let today = clock_today();
    let mut csv = String::from(
        "编号,收到日期,申请内容,申请方式,转办日期,承办股室,延期天数,延期批准日期,延期批准人,延期告知日期,答复日期\n",
    );
    for k in 0..=12 {
        csv.push_str(&format!(
            "W-F{k:02},{},养老保险 {k},网络,,,,,,,\n",
            before(today, k)
        ));
    }
    for k in (0..=20).step_by(2) {
        csv.push_str(&format!(
            "W-S{k:02},{},工伤认定 {k},网络,{},ss,,,,,\n",
            before(today, k + 1),
            before(today, k)
        ));
    }
    for k in [3, 9, 16, 19] {
        csv.push_str(&format!(
            "W-Z{k:02},{},养老金 {k},信函,{},zc,,,,,\n",
            before(today, k + 1),
            before(today, k)
        ));
    }
    csv.push_str(&format!(
        "W-DONE,{},养老 已答复,网络,{},ss,,,,,{}\n",
        before(today, 9),
        before(today, 8),
        before(today, 1)
    ));
    // Approved 6 days ago: its notice was due 2 working days later (art. 20) and is missing.
    csv.push_str(&format!(
        "W-EXT,{},养老 延期,网络,{},ss,5,{},局长,,\n",
        before(today, 12),
        before(today, 10),
        before(today, 6)
    ));
    csv.push_str(&format!(
        "W-PAUSE,{},养老 中止,网络,{},zc,,,,,\n",
        before(today, 7),
        before(today, 6)
    ));
    let file = s.dir.path().join("every-level.csv");
    std::fs::write(&file, csv).expect("writing the CSV file");
    s.duewatch_on_the_clock(&["case", "import", file.to_str().expect("UTF-8")])
        .assert()
        .success();
    s.duewatch_on_the_clock(&[
        "case",
        "suspend",
        "W-PAUSE",
        "--from",
        &before(today, 2),
        "--reason",
        "third_party",
    ])
    .assert()
    .success();
}

/// `status --json` as of the clock's today.
fn status_rows(s: &Setup) -> Vec<Value> {
    let out = s
        .duewatch(&["status", "--json", "--as-of", &clock_today().to_string()])
        .output()
        .expect("duewatch runs");
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status --json: {e}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    rows.as_array().expect("an array").clone()
}

/// The last day of the clock's week (Sunday).
fn week_end() -> NaiveDate {
    let today = clock_today();
    today + Days::new(u64::from(6 - today.weekday().num_days_from_monday()))
}

/// Whether a `status --json` row counts in the matrix column `level`.
fn counts_in(row: &Value, level: &str) -> bool {
    let today = clock_today().to_string();
    let week_end = week_end().to_string();
    match level {
        "suspended" => row["suspended"] == true,
        "notice_missing" => row["notices_missing"].as_u64().unwrap_or(0) > 0,
        "week" => {
            row["level"] != "overdue"
                && row["due"]
                    .as_str()
                    .is_some_and(|d| d >= today.as_str() && d <= week_end.as_str())
        }
        level => row["level"] == level,
    }
}

const LEVELS: [&str; 6] = [
    "overdue",
    "due_today",
    "reminder",
    "week",
    "suspended",
    "notice_missing",
];

/// The matrix computed from `status --json`: party code → level → count (parties with a case).
fn matrix_of_status(rows: &[Value]) -> BTreeMap<String, BTreeMap<&'static str, u64>> {
    let mut m: BTreeMap<String, BTreeMap<&'static str, u64>> = BTreeMap::new();
    for row in rows.iter().filter(|r| !r["stage"].is_null()) {
        let party = row["responsible"].as_str().expect("a party").to_owned();
        let cells = m.entry(party).or_default();
        for level in LEVELS {
            *cells.entry(level).or_default() += u64::from(counts_in(row, level));
        }
    }
    m
}

/// The text between `from` and the next `to` after position `at` of `text`.
fn between<'a>(text: &'a str, from: &str, to: &str) -> Option<&'a str> {
    let start = text.find(from)? + from.len();
    let end = text[start..].find(to)? + start;
    Some(&text[start..end])
}

/// Text with its tags removed.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// The matrix of `/` for `party`: level → the number in its cell.
fn matrix_row(page: &str, party: &str) -> BTreeMap<&'static str, u64> {
    let matrix = between(page, r#"id="matrix""#, "</table>").expect("the matrix");
    let row = between(matrix, &format!(r#"<tr data-party="{party}">"#), "</tr>")
        .unwrap_or_else(|| panic!("no row for {party}: {matrix}"));
    LEVELS
        .into_iter()
        .map(|level| {
            let cell = between(row, &format!(r#"<td data-level="{level}">"#), "</td>")
                .unwrap_or_else(|| panic!("no cell {party}/{level}: {row}"));
            let n = text_of(cell)
                .parse()
                .unwrap_or_else(|e| panic!("cell {party}/{level} {cell:?}: {e}"));
            (level, n)
        })
        .collect()
}

/// The references a list page shows, in order.
fn references(page: &str) -> Vec<String> {
    page.split(r#"data-reference=""#)
        .skip(1)
        .map(|rest| rest.split('"').next().expect("a closing quote").to_owned())
        .collect()
}

/// The references of `rows` the filter holds, most urgent first (as the console orders them:
/// overdue by the most working days, then by working days left, then the rest; ties by reference).
fn most_urgent_first(rows: &[Value], holds: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut held: Vec<&Value> = rows.iter().filter(|r| holds(r)).collect();
    let urgency = |r: &Value| match (r["overdue_by"].as_i64(), r["remaining"].as_i64()) {
        (Some(by), _) => (0, -by),
        (None, Some(left)) => (1, left),
        (None, None) => (2, 0),
    };
    held.sort_by(|a, b| {
        urgency(a)
            .cmp(&urgency(b))
            .then_with(|| a["reference"].as_str().cmp(&b["reference"].as_str()))
    });
    held.iter()
        .map(|r| r["reference"].as_str().expect("a reference").to_owned())
        .collect()
}

/// Imports `n` open forward-stage cases `P-0001`… received 0–13 days ago.
fn many_cases(s: &Setup, n: usize) {
    let today = clock_today();
    let mut csv = String::from(
        "编号,收到日期,申请内容,申请方式,转办日期,承办股室,延期天数,延期批准日期,延期批准人,延期告知日期,答复日期\n",
    );
    for i in 1..=n {
        let section = ["", "ss", "zc"][i % 3];
        let forwarded = if section.is_empty() {
            String::new()
        } else {
            before(today, (i % 14) as u64)
        };
        csv.push_str(&format!(
            "P-{i:04},{},申请 {i},网络,{forwarded},{section},,,,,\n",
            before(today, (i % 14) as u64 + u64::from(!section.is_empty()))
        ));
    }
    let file = s.dir.path().join("many.csv");
    std::fs::write(&file, csv).expect("writing the CSV file");
    s.duewatch_on_the_clock(&["case", "import", file.to_str().expect("UTF-8")])
        .assert()
        .success();
}

on_both_backends! {
    the_matrix_on_the_overview_equals_the_figures_of_status_json => |backend| {
        let s = Setup::with_store(backend);
        cases_at_every_level(&s);
        let rows = status_rows(&s);
        let expected = matrix_of_status(&rows);
        // The data is at every level (else the comparison proves little).
        for (party, level) in [("office", "overdue"), ("office", "reminder"), ("ss", "overdue"),
            ("ss", "reminder"), ("zc", "overdue"), ("zc", "suspended"), ("ss", "notice_missing")] {
            assert!(expected[party][level] > 0, "{party}/{level}: {expected:?}");
        }
        if clock_today().weekday().num_days_from_monday() < 5 {
            assert!(expected["office"]["due_today"] + expected["ss"]["due_today"] > 0, "{expected:?}");
        }
        let console = Console::start(&s);
        let page = console.get("/");
        assert_eq!(page.status, 200, "{}", page.body);
        for party in ["office", "ss", "zc"] {
            assert_eq!(matrix_row(&page.body, party), expected[party], "party {party}");
        }
        let total: BTreeMap<&str, u64> = LEVELS
            .into_iter()
            .map(|l| (l, expected.values().map(|cells| cells[l]).sum()))
            .collect();
        assert_eq!(matrix_row(&page.body, ""), total, "the totals");
    };

    a_filtered_list_holds_exactly_its_cases_most_urgent_first => |backend| {
        let s = Setup::with_store(backend);
        cases_at_every_level(&s);
        let rows = status_rows(&s);
        let console = Console::start(&s);

        let overdue_at_ss = most_urgent_first(&rows, |r| r["responsible"] == "ss" && r["level"] == "overdue");
        assert!(overdue_at_ss.len() >= 2, "{overdue_at_ss:?}");
        let page = console.get("/cases?party=ss&level=overdue");
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(references(&page.body), overdue_at_ss);

        let injuries = most_urgent_first(&rows, |r| r["reference"].as_str().is_some_and(|r| r.starts_with("W-S")));
        let page = console.get("/cases?q=%E5%B7%A5%E4%BC%A4"); // q=工伤
        assert_eq!(references(&page.body), injuries);
        let page = console.get("/cases?q=w-z");
        assert_eq!(references(&page.body), most_urgent_first(&rows, |r| r["reference"].as_str().is_some_and(|r| r.starts_with("W-Z"))));
        // Matched in any case, shown back as typed: in the box, the heading and the links.
        let typed = console.get("/cases?q=W-z");
        assert_eq!(references(&typed.body), references(&page.body));
        let text = unescaped(&typed.body);
        assert!(text.contains(r#"name="q" value="W-z""#), "{text}");
        assert!(text.contains("含“W-z”"), "{text}");
        assert!(text.contains(r#"href="/cases?q=W-z&format=csv""#), "{text}");
        assert!(!text.contains("w-z"), "never lower-cased: {text}");

        let due = rows.iter().find_map(|r| r["due"].as_str()).expect("a case with a deadline").to_owned();
        let page = console.get(&format!("/cases?due={due}"));
        assert_eq!(references(&page.body), most_urgent_first(&rows, |r| r["due"] == due.as_str()));

        let all = console.get("/cases");
        assert_eq!(references(&all.body), most_urgent_first(&rows, |_| true), "every open case");
        assert!(!all.body.contains("W-DONE"), "an answered case is not listed");
        assert!(all.body.contains(&format!("共 {} 件", rows.len())), "{}", all.body);
    };

    a_list_of_more_than_fifty_cases_is_paged_and_a_page_past_the_end_is_refused => |backend| {
        let s = Setup::with_store(backend);
        many_cases(&s, 120);
        let rows = status_rows(&s);
        assert_eq!(rows.len(), 120);
        let order = most_urgent_first(&rows, |_| true);
        let console = Console::start(&s);
        let first = console.get("/cases");
        assert_eq!(references(&first.body), order[..50]);
        assert!(unescaped(&first.body).contains(r#"rel="next" href="/cases?page=2""#), "{}", first.body);
        let second = console.get("/cases?page=2");
        assert_eq!(second.status, 200);
        assert_eq!(references(&second.body), order[50..100]);
        assert!(second.body.contains("第 2 页，共 3 页"), "{}", second.body);
        let third = console.get("/cases?page=3");
        assert_eq!(references(&third.body), order[100..]);
        let past = console.get("/cases?page=99");
        assert_eq!(past.status, 400, "{}", past.body);
        assert!(past.body.contains("page") && past.body.contains("共 3 页"), "{}", past.body);
    };

    the_print_view_lists_the_500_most_urgent_and_points_to_the_csv_for_the_rest => |backend| {
        let s = Setup::with_store(backend);
        many_cases(&s, 510);
        let rows = status_rows(&s);
        let order = most_urgent_first(&rows, |_| true);
        let console = Console::start(&s);
        let print = console.get("/cases?print=1");
        assert_eq!(print.status, 200, "{}", print.body);
        assert_eq!(references(&print.body), order[..500], "the 500 most urgent");
        assert!(print.body.contains("共 510 件") && print.body.contains("打印版只列出最紧急的 500 件，全部案件请下载 CSV"), "{}", print.body);
        let list = console.get("/cases");
        assert!(list.body.contains("打印版不分页，列出筛选条件下最紧急的至多 500 件"), "{}", list.body);
        // More requests that read many cases than run at once: each waits its turn, none is
        // lost.
        let answers: Vec<u16> = std::thread::scope(|scope| {
            let asks: Vec<_> = ["/api/v1/status", "/cases?format=csv", "/cases?print=1"]
                .into_iter()
                .cycle()
                .take(9)
                .map(|path| scope.spawn(|| console.get(path).status))
                .collect();
            asks.into_iter().map(|a| a.join().expect("a request")).collect()
        });
        assert_eq!(answers, vec![200; 9]);
        assert_eq!(console.get("/api/v1/status").status, 200, "every turn given back");
    };

    the_csv_download_and_the_print_view_hold_every_case_of_the_filter => |backend| {
        let s = Setup::with_store(backend);
        many_cases(&s, 120);
        let rows = status_rows(&s);
        let console = Console::start(&s);

        let at_ss = most_urgent_first(&rows, |r| r["responsible"] == "ss");
        assert!(at_ss.len() > 30, "{}", at_ss.len());
        let csv = console.get("/cases?party=ss&format=csv");
        assert_eq!(csv.status, 200);
        assert!(csv.content_type.starts_with("text/csv"), "{}", csv.content_type);
        assert!(csv.bytes.starts_with("\u{feff}".as_bytes()), "a byte-order mark for Excel");
        let mut reader = ::csv::Reader::from_reader(&csv.bytes[3..]);
        let header = reader.headers().expect("a header").clone();
        assert_eq!(&header[0], "编号");
        assert_eq!(header.len(), 9);
        let listed: Vec<String> = reader
            .records()
            .map(|r| r.expect("a CSV line")[0].to_owned())
            .collect();
        assert_eq!(listed, at_ss, "one line per case of the filter, most urgent first");
        let all = console.get("/cases?format=csv");
        assert_eq!(String::from_utf8_lossy(&all.bytes).lines().count(), 121, "a header and 120 lines");

        let print = console.get("/cases?print=1");
        assert_eq!(print.status, 200);
        assert!(!print.body.contains(r#"<form class="filter""#), "no filter form to print");
        assert!(!print.body.contains(r#"rel="next""#), "no pages to turn");
        assert_eq!(references(&print.body), most_urgent_first(&rows, |_| true), "every case");
        let normal = console.get("/cases");
        assert!(normal.body.contains(r#"<form class="filter""#), "the list itself has the form");
    };

    every_bad_parameter_is_a_400_page_naming_it_and_an_unknown_path_a_404 => |backend| {
        let (_s, console) = one_case(backend);
        for (path, named) in [
            ("/cases?page=0", "page"),
            ("/cases?page=abc", "page"),
            ("/cases?level=x", "level"),
            ("/cases?party=nope", "party"),
            ("/cases?due=2026-13-01", "due"),
            ("/cases?format=pdf", "format"),
            ("/cases?levle=overdue", "levle"),
            ("/cases?party=ss&party=zc", "party"),
            ("/?page=2", "page"),
            ("/cases?print=1&page=2", "page"),
            ("/cases?print=1&format=csv", "format"),
        ] {
            let answer = console.get(path);
            assert_eq!(answer.status, 400, "{path}: {}", answer.body);
            assert!(answer.content_type.starts_with("text/html"), "{path}: {}", answer.content_type);
            assert!(answer.body.contains(&format!("“{named}”")), "{path} names {named}: {}", answer.body);
            assert!(answer.body.contains("请求有误"), "{path}: {}", answer.body);
        }
        let missing = console.get("/nope");
        assert_eq!(missing.status, 404, "{}", missing.body);
        assert!(unescaped(&missing.body).contains("没有“/nope”这个页面"), "{}", missing.body);
        assert!(missing.body.contains("未找到"), "{}", missing.body);
        // The listener is still there after all that.
        assert_eq!(console.get("/cases").status, 200);
    };

    healthz_and_metrics_answer_on_the_consoles_listener => |backend| {
        let (_s, console) = one_case(backend);
        let health = console.get("/healthz");
        assert_eq!(health.status, 200, "{}", health.body);
        assert!(health.body.starts_with("ok"), "{}", health.body);
        let metrics = console.get("/metrics");
        assert_eq!(metrics.status, 200, "{}", metrics.body);
        assert!(metrics.content_type.starts_with("text/plain"), "{}", metrics.content_type);
        assert!(metrics.body.contains("duewatch_open_cases"), "{}", metrics.body);
        assert_eq!(console.get("/").status, 200, "and the pages on the same port");
    };

    the_console_shows_the_cases_of_a_case_system_view => |backend| {
        let s = Setup::with_store(backend);
        let system = CaseSystemDb::new();
        let today = clock_today();
        system.exec(&[
            "CREATE TABLE shenqing (bianhao VARCHAR(32) PRIMARY KEY, shixiang VARCHAR(200), \
             shoudao DATE NOT NULL, zhuanban DATE, keshi VARCHAR(50), dafu DATE)",
            "CREATE VIEW v_cases AS SELECT bianhao AS reference, shixiang AS subject, \
             shoudao AS received_on, zhuanban AS forwarded_on, keshi AS section, \
             dafu AS replied_on, CAST(NULL AS DATE) AS closed_on FROM shenqing",
            "CREATE VIEW v_extensions AS SELECT CAST(NULL AS VARCHAR(32)) AS reference, 0 AS days, \
             CAST(NULL AS DATE) AS approved_on, CAST(NULL AS VARCHAR(50)) AS approved_by, \
             CAST(NULL AS DATE) AS notice_on WHERE false",
            "CREATE VIEW v_suspensions AS SELECT CAST(NULL AS VARCHAR(32)) AS reference, \
             CAST(NULL AS DATE) AS from_on, CAST(NULL AS DATE) AS until_on, \
             CAST(NULL AS VARCHAR(20)) AS reason WHERE false",
            &format!(
                "INSERT INTO shenqing VALUES ('2026-V001', '养老保险', '{}', NULL, NULL, NULL), \
                 ('2026-V002', '工伤认定', '{}', '{}', '社会保险股', NULL), \
                 ('2026-V003', '已答复', '{}', '{}', 'zc', '{}')",
                before(today, 12), before(today, 14), before(today, 13),
                before(today, 9), before(today, 8), before(today, 1)
            ),
        ]);
        s.append_config(&format!(
            "[cases]\nsource = \"sql\"\nurl = \"{}\"\n\
             cases_query = \"SELECT * FROM v_cases\"\n\
             extensions_query = \"SELECT * FROM v_extensions\"\n\
             suspensions_query = \"SELECT * FROM v_suspensions\"\n",
            system.url
        ));
        let rows = status_rows(&s);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let console = Console::start(&s);
        let page = console.get("/");
        assert_eq!(page.status, 200, "{}", page.body);
        let expected = matrix_of_status(&rows);
        assert_eq!(matrix_row(&page.body, "office"), expected["office"]);
        assert_eq!(matrix_row(&page.body, "ss"), expected["ss"], "the section named by its name");
        let list = console.get("/cases");
        assert_eq!(references(&list.body), most_urgent_first(&rows, |_| true));
        let ss = console.get("/cases?party=ss");
        assert_eq!(references(&ss.body), ["2026-V002"]);
        assert!(ss.body.contains("工伤认定"), "{}", ss.body);

        // The case system goes away: the list keeps the last snapshot, each row says in Chinese
        // that it cannot be read now, and the driver's words go to the log only.
        system.exec(&["DROP VIEW v_cases"]);
        let list = console.get("/cases");
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(references(&list.body), most_urgent_first(&rows, |_| true));
        let text = unescaped(&list.body);
        assert!(text.contains("此案件暂时无法读取，详见日志"), "{}", list.body);
        assert!(!text.contains("v_cases") && !text.contains("does not exist") && !text.contains("无法读取："), "{}", list.body);
        let log = std::fs::read_to_string(s.dir.path().join("console.log")).expect("the log");
        assert!(
            log.lines().any(|l| l.contains("case=2026-V001") && l.contains("v_cases")),
            "{log}"
        );
    };
}

/// A made-up case system in its own PostgreSQL database (dropped afterwards): the tables and
/// views a test creates, read by duewatch through `cases.source = "sql"`.
pub(crate) struct CaseSystemDb {
    name: String,
    pub(crate) url: String,
}

impl CaseSystemDb {
    pub(crate) fn new() -> CaseSystemDb {
        let name = crate::helpers::fresh_postgres_database();
        let url = format!("{}/{name}", crate::helpers::POSTGRES);
        CaseSystemDb { name, url }
    }

    pub(crate) fn exec(&self, statements: &[&str]) {
        use sqlx::Connection;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("PostgreSQL");
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe((*s).to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{s}: {e}"));
            }
        });
    }
}

impl Drop for CaseSystemDb {
    fn drop(&mut self) {
        let _ = crate::helpers::on_postgres(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}
