//! The console's case page (`/cases/{reference}`, with `?days=1`) and outbox page (`/outbox`)
//! over real HTTP, on both backends: the daemon running on the real clock, its mail written to
//! files, its store the test's own.

use std::time::{Duration, Instant};

use crate::console::{Answer, Console};
use crate::helpers::{Backend, Setup};

/// The mail window always open, so the first polls mail whatever the time of day.
const WINDOW: &str = "[window]\nfrom = \"00:00\"\nto = \"23:59\"\nevery_day = true\n";

/// A case received Mon 2026-09-28 and never forwarded: the office had 5 working days (art. 19),
/// counted over 国庆节 (10-01 to 10-07) to the make-up Saturday 2026-10-10; overdue since.
fn an_overdue_case(s: &Setup, reference: &str, subject: &str) {
    s.duewatch_on_the_clock(&[
        "case",
        "add",
        "--ref",
        reference,
        "--received",
        "2026-09-28",
        "--subject",
        subject,
        "--channel",
        "online",
        "--allow-old",
    ])
    .env("USER", "wang")
    .assert()
    .success();
}

/// GETs `path` until `ready` holds of the answer (the daemon mails in its polls), 30 s at most.
fn get_until(console: &Console, path: &str, ready: impl Fn(&Answer) -> bool) -> Answer {
    let started = Instant::now();
    loop {
        let answer = console.get(path);
        if ready(&answer) || started.elapsed() > Duration::from_secs(30) {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The part of `body` from the element with `id` on (the sections are in a fixed order).
fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no id=\"{id}\" in {body}"));
    &body[at..]
}

on_both_backends! {
    the_case_page_shows_the_deadline_how_it_was_reached_the_history_and_who_was_told => |backend| {
        let s = Setup::with_store(backend);
        s.append_config(WINDOW);
        an_overdue_case(&s, "2026/0042", "2025年度部门预算");
        let console = Console::start(&s);

        // Linked from the list, the '/' of the reference percent-encoded: one path segment.
        let list = console.get("/cases");
        assert!(list.body.contains(r#"href="/cases/2026%2F0042""#), "{}", list.body);

        let page = get_until(&console, "/cases/2026%2F0042", |a| {
            a.body.contains(r#"data-state="sent""#)
        });
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
        let body = &page.body;
        assert!(body.contains(r#"<h1 id="case-reference">2026&#x2f;0042</h1>"#), "{body}");
        assert!(body.contains("2025年度部门预算") && body.contains("2026-09-28"), "{body}");
        assert!(body.contains("网络"), "the channel: {body}");
        let stages = section(body, "stages");
        assert!(stages.contains("转办 · 办公室（转办）"), "{stages}");
        assert!(stages.contains("2026-10-10"), "the deadline: {stages}");
        assert!(stages.contains("办理中，已逾期"), "{stages}");
        assert!(stages.contains("2026-09-28 收到申请，5 个工作日内转办"), "{stages}");
        // The engine's explanation in Chinese (the command line keeps the English).
        let explanation = stages
            .split(r#"<ul class="explanation">"#)
            .nth(1)
            .and_then(|rest| rest.split("</ul>").next())
            .unwrap_or_else(|| panic!("no explanation: {stages}"));
        assert!(explanation.contains("<li>5 个工作日内转办（第十九条）</li>"), "{explanation}");
        assert!(explanation.contains("<li>2026-09-28（周一）收到；次一工作日为第 1 日</li>"), "{explanation}");
        assert!(
            explanation.contains("<li>期限 2026-10-10（周六）：2026-09-28 之后第 5 个工作日</li>"),
            "{explanation}"
        );
        assert!(!stages.contains("working day"), "no English left: {stages}");
        assert!(stages.contains(r#"2026%2F0042?days=1#stages">逐日计算</a>"#), "{stages}");
        assert!(!stages.contains("不计：国庆节"), "no day by day unless asked: {stages}");
        let history = section(body, "history");
        assert!(history.contains("<th>操作人</th>"), "{history}");
        assert!(
            history.contains("<td>case add</td><td>received on 2026-09-28</td><td>命令行（wang）</td>"),
            "the command line's actor, by its login name: {history}"
        );
        // Recorded a moment ago: shown in Asia/Shanghai to the minute, whatever the backend's
        // spelling of the time.
        let at = history
            .split("<tr><td>")
            .nth(1)
            .and_then(|row| row.split("</td>").next())
            .unwrap_or_else(|| panic!("no history row: {history}"));
        let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M")
            .unwrap_or_else(|e| panic!("the history's time {at:?} is not YYYY-MM-DD HH:MM: {e}"));
        let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).naive_local();
        assert!((now - at).num_minutes().abs() <= 5, "{at} is not local time (now {now})");

        // The daemon's first poll mailed the office (and the leadership) of the overdue case.
        let told = section(body, "told");
        let office = told
            .split("<tr ")
            .find(|row| row.contains("office@bureau.example"))
            .unwrap_or_else(|| panic!("the office is not listed as told: {told}"));
        assert!(office.contains(r#"data-state="sent""#) && office.contains("已发送"), "{office}");
        assert!(office.contains("逾期通报") && office.contains("2026-10-10"), "{office}");
        let mails = std::fs::read_dir(s.dir.path().join("mail")).map(|d| d.count()).unwrap_or(0);
        assert!(mails >= 1, "the mail went to files");
    };

    asked_day_by_day_the_case_page_names_each_day_and_why_it_counted_or_not => |backend| {
        let s = Setup::with_store(backend);
        an_overdue_case(&s, "T-1", "查询");
        let console = Console::start(&s);
        let page = console.get("/cases/T-1?days=1");
        assert_eq!(page.status, 200, "{}", page.body);
        let stages = section(&page.body, "stages");
        assert!(stages.contains("<td>2026-09-28</td><td>周一</td><td>起算日，不计入"), "{stages}");
        assert!(stages.contains("<td>2026-10-01</td><td>周四</td><td>不计：国庆节</td>"), "{stages}");
        assert!(stages.contains("<td>2026-09-30</td><td>周三</td><td>第 2 个工作日</td>"), "{stages}");
        assert!(
            stages.contains(r#"<tr class="day-makeup"><td>2026-10-10</td><td>周六</td><td>第 5 个工作日（国庆节调休上班日）</td>"#),
            "{stages}"
        );
        assert!(!stages.contains("2026-10-11"), "the count ends at the deadline: {stages}");
        assert!(stages.contains("收起逐日计算"), "{stages}");
        let bad = console.get("/cases/T-1?days=yes");
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("days"), "{}", bad.body);
    };

    a_missing_case_is_a_404_and_a_bad_reference_a_400 => |backend| {
        let s = Setup::with_store(backend);
        an_overdue_case(&s, "T-1", "查询");
        let console = Console::start(&s);
        let missing = console.get("/cases/NOPE-9");
        assert_eq!(missing.status, 404, "{}", missing.body);
        assert!(missing.body.contains("没有编号为“NOPE-9”的案件"), "{}", missing.body);
        let bad = console.get("/cases/a%20b");
        assert_eq!(bad.status, 400, "{}", bad.body);
        assert!(bad.body.contains("不是案件编号"), "{}", bad.body);
        let unknown = console.get("/cases/T-1?levle=1");
        assert_eq!(unknown.status, 400, "{}", unknown.body);
    };

    a_subject_with_markup_is_shown_as_text => |backend| {
        let s = Setup::with_store(backend);
        an_overdue_case(&s, "T-2", "预算<script>alert(1)</script>");
        let console = Console::start(&s);
        let page = console.get("/cases/T-2");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("预算&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "{}", page.body);
        assert!(!page.body.contains("<script>"), "{}", page.body);
    };

    the_outbox_page_lists_waiting_failing_and_dead_mail_with_their_errors => |backend| {
        let s = Setup::with_store(backend);
        an_overdue_case(&s, "T-1", "查询");
        let console = Console::start(&s);
        // A dead letter and a failing message, as delivery leaves them (and far from due, so the
        // running daemon leaves them be).
        s.sql(&[
            "INSERT INTO outbox (kind, recipient, subject, body_text, message_id, state, \
             attempts, last_error) VALUES ('digest', 'zc@bureau.example', '【逾期】已死信', \
             'x', '<dead@test>', 'dead', 1, 'the relay refused (550): 5.1.1 no such user')",
            "INSERT INTO outbox (kind, recipient, subject, body_text, message_id, state, \
             attempts, last_error, next_attempt_at) VALUES ('digest', 'head@bureau.example', \
             '【提醒】重试中', 'x', '<retry@test>', 'pending', 3, '451 4.3.0 mailbox busy', \
             '2099-01-01T00:00:00.000Z')",
        ]);
        let page = console.get("/outbox");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(std::str::from_utf8(&page.bytes).is_ok(), "the page is UTF-8");
        let body = &page.body;
        assert!(body.contains(r#"<dd id="count-dead" class="warn">1</dd>"#), "{body}");
        assert!(body.contains(r#"<dd id="count-failed" class="warn">1</dd>"#), "{body}");
        let dead = section(body, "dead");
        assert!(dead.contains("zc@bureau.example") && dead.contains("【逾期】已死信"), "{dead}");
        assert!(dead.contains("the relay refused (550): 5.1.1 no such user"), "{dead}");
        let failed = section(body, "failed");
        let failed = &failed[..failed.find(r#"id="dead""#).unwrap_or(failed.len())];
        assert!(failed.contains("head@bureau.example") && failed.contains("451 4.3.0 mailbox busy"), "{failed}");
        assert!(failed.contains("<td>3</td>") && failed.contains("2099-01-01"), "attempts and next try: {failed}");
        assert!(!failed.contains("zc@bureau.example"), "the dead letter is not in the failing group");
    };
}
