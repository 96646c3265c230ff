//! The escalation ladder (issue 17) as its recipients see it: the mail that arrives at a real
//! SMTP server on loopback from `duewatch run --once --now …`, on SQLite and on PostgreSQL.
//! Reminder points `[4, 2]` (`[5, 2]` needs periods longer than the default forward_within = 5:
//! a point must be below the shortest period), the yellow and red cards across National Day 2026 (the red card
//! reaching the supervision office), a long suspension told to the office once, a late written
//! notice saying how late it is; and the configurations `config check` refuses.

use std::time::Duration;

use predicates::str::contains;

use crate::helpers::{Backend, Setup};
use crate::smtp::{Received, SmtpServer};

const OFFICE: &str = "office@bureau.example";
const LEADERS: &str = "leaders@bureau.example";
const HEAD: &str = "head@bureau.example";
const JIJIAN: &str = "jijian@bureau.example";

/// The grades of the example: yellow at 1 working day overdue, red at 5 also to supervision.
const CARDS: &str = "[[escalation.grades]]\nname = \"黄牌\"\ncode = \"yellow\"\nat = 1\n\
     recipients = [\"responsible\", \"leadership\"]\n\
     [[escalation.grades]]\nname = \"红牌\"\ncode = \"red\"\nat = 5\n\
     recipients = [\"responsible\", \"leadership\", \"supervision\"]\n";

/// A store, sections `ss` and `zc`, the office, the leadership, the supervision office, and
/// mail to `server`; `extra` appended.
fn setup(backend: Backend, server: &SmtpServer, extra: &str) -> Setup {
    let s = Setup::with_store(backend);
    s.append_config(&format!(
        "[office]\nname = \"办公室\"\nemails = [\"{OFFICE}\"]\n\
         [leadership]\nname = \"局领导\"\nemails = [\"{LEADERS}\"]\n\
         [supervision]\nname = \"纪检监察室\"\nemails = [\"{JIJIAN}\"]\n\
         [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 5\n{extra}",
        server.port
    ));
    s
}

fn ok(s: &Setup, args: &[&str]) {
    s.duewatch(args).assert().success();
}

fn run_at(s: &Setup, now: &str) {
    s.duewatch(&["run", "--once", "--now", now])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
}

fn text(m: &Received) -> String {
    m.text().replace("\r\n", "\n")
}

fn subjects(mails: &[Received]) -> Vec<String> {
    mails.iter().map(Received::subject).collect()
}

/// Received Mon 2026-09-14, forwarded Wed 09-16 to `ss`: the reply is due Wed 09-30 (the
/// make-up Sunday 09-20 counts, the Mid-Autumn rest 09-25..27 does not).
fn reply_due_september_30(s: &Setup, reference: &str) {
    ok(
        s,
        &[
            "case",
            "add",
            "--ref",
            reference,
            "--received",
            "2026-09-14",
            "--subject",
            "社保缴费基数",
        ],
    );
    ok(
        s,
        &[
            "case",
            "forward",
            reference,
            "--section",
            "ss",
            "--on",
            "2026-09-16",
        ],
    );
}

on_both_backends! {
    the_reminder_points_and_the_cards_arrive_with_the_grade_in_the_subject => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server, &format!("[escalation]\nreminder_at = [4, 2]\n{CARDS}"));
        reply_due_september_30(&s, "2026-0102");

        // Wed 09-23: 24, 28, 29, 30 left, four working days: the 4-point reminder.
        run_at(&s, "2026-09-23T09:00");
        assert_eq!(subjects(&server.to(HEAD)), ["【即将到期】1 件政府信息公开申请即将到期"]);
        assert!(text(&server.to(HEAD)[0]).contains("剩余 4 个工作日"));
        // Thu 09-24, three left: the same point, nothing new.
        run_at(&s, "2026-09-24T09:00");
        assert_eq!(server.to(HEAD).len(), 1);
        // Tue 09-29, one left: the 2-point reminder, once.
        run_at(&s, "2026-09-29T09:00");
        run_at(&s, "2026-09-29T11:00");
        let head = server.to(HEAD);
        assert_eq!(head.len(), 2, "{:?}", subjects(&head));
        assert!(text(&head[1]).contains("剩余 1 个工作日"), "{}", text(&head[1]));

        // Thu 10-08, the first working day after National Day: overdue by 1, the yellow card,
        // to the section and the leadership; not to supervision.
        run_at(&s, "2026-10-08T09:00");
        let yellow = "【黄牌】1 件政府信息公开申请已超过办理期限";
        assert_eq!(server.to(HEAD).last().map(Received::subject).as_deref(), Some(yellow));
        assert_eq!(subjects(&server.to(LEADERS)), [yellow]);
        let said = text(&server.to(LEADERS)[0]);
        assert!(said.contains("== 黄牌：已逾期（1 件）=="), "{said}");
        assert!(said.contains("答复期限：2026-09-30，黄牌：已逾期 1 个工作日"), "{said}");
        assert!(server.to(JIJIAN).is_empty());

        // Tue 10-13: five working days overdue (10-08, 09, the make-up Saturday 10-10, 12, 13):
        // the red card, now to the supervision office too.
        run_at(&s, "2026-10-13T09:00");
        let red = "【红牌】1 件政府信息公开申请已超过办理期限";
        let jijian = server.to(JIJIAN);
        assert_eq!(subjects(&jijian), [red]);
        let said = text(&jijian[0]);
        assert!(said.starts_with("纪检监察室："), "{said}");
        assert!(said.contains("== 红牌：已逾期（1 件）=="), "{said}");
        assert!(said.contains("2026-0102"), "{said}");
        assert!(said.contains("答复期限：2026-09-30，红牌：已逾期 5 个工作日"), "{said}");
        assert!(said.contains("承办：社会保险股（抄送）"), "{said}");
        assert_eq!(server.to(LEADERS).last().map(Received::subject).as_deref(), Some(red));
        // Again the same day: the red card is one notification, not mailed twice.
        run_at(&s, "2026-10-13T15:00");
        assert_eq!(server.to(JIJIAN).len(), 1);
        // The next working day it is repeated, still as the red card.
        run_at(&s, "2026-10-14T09:00");
        let jijian = server.to(JIJIAN);
        assert_eq!(subjects(&jijian), [red, red]);
        assert!(text(&jijian[1]).contains("红牌：已逾期 6 个工作日"));
    };

    a_suspension_standing_past_fifteen_working_days_is_told_to_the_office_once => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server, "");
        ok(&s, &["case", "add", "--ref", "2026-0103", "--received", "2026-08-31"]);
        ok(&s, &["case", "forward", "2026-0103", "--section", "zc", "--on", "2026-09-01"]);
        ok(&s, &["case", "suspend", "2026-0103", "--from", "2026-09-07", "--reason", "third_party"]);
        ok(&s, &["case", "notice", "2026-0103", "--kind", "suspension", "--on", "2026-09-07"]);
        // Thu 09-24: it has stood 15 working days (the make-up Sunday 09-20 counts): not yet.
        run_at(&s, "2026-09-24T09:00");
        assert!(server.to(OFFICE).is_empty(), "{:?}", subjects(&server.to(OFFICE)));
        // Mon 09-28 (after the Mid-Autumn rest): the 16th working day.
        run_at(&s, "2026-09-28T09:00");
        let office = server.to(OFFICE);
        assert_eq!(subjects(&office), ["【中止过久】1 件政府信息公开申请中止已超过提示期限"]);
        let said = text(&office[0]);
        assert!(said.contains("== 中止时间过长（第二十一条）（1 件）=="), "{said}");
        assert!(said.contains("2026-0103"), "{said}");
        assert!(said.contains("答复（中止）起始日：2026-09-07，已中止 16 个工作日，尚未恢复"), "{said}");
        assert!(said.contains("2026-09-07 起中止（征求第三方意见），至今已 16 个工作日"), "{said}");
        assert!(said.contains("承办：政策法规股（抄送）"), "{said}");
        // Once per suspension: not again the next days. The third party's 15 working days of
        // the Regulations (art. 32) have run out by then as well: that line of the law's clock
        // reaches the section and the office (tests/cli/statutory.rs), in mails of its own.
        run_at(&s, "2026-09-29T09:00");
        run_at(&s, "2026-10-08T09:00");
        let long = |m: &Received| text(m).contains("中止时间过长");
        let office = server.to(OFFICE);
        assert_eq!(office.iter().filter(|m| long(m)).count(), 1, "{:?}", subjects(&office));
        assert!(office.iter().any(|m| text(m).contains("第三方意见（条例第三十二条）")), "{:?}", subjects(&office));
        assert!(!server.to("zc@bureau.example").iter().any(long), "the section is not told of it");
    };

    a_written_notice_not_recorded_says_how_late_it_is_and_is_repeated => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server, "");
        // Forwarded Tue 11-03 to ss, extended on Mon 11-16 (reply due 11-24): the written notice
        // was due Wed 11-18 and never recorded.
        ok(&s, &["case", "add", "--ref", "2026-0040", "--received", "2026-11-02"]);
        ok(&s, &["case", "forward", "2026-0040", "--section", "ss", "--on", "2026-11-03"]);
        ok(&s, &["case", "extend", "2026-0040", "--days", "5", "--approved-by", "局长", "--on", "2026-11-16"]);
        run_at(&s, "2026-11-20T09:00");
        let head = server.to(HEAD);
        assert_eq!(head.len(), 1);
        let said = text(&head[0]);
        assert!(said.contains("延期书面告知期限：2026-11-18，书面告知尚未登记，已逾期 2 个工作日"), "{said}");
        assert!(!said.contains("今日到期"), "{said}");
        assert!(head[0].html().contains("书面告知尚未登记，已逾期 2 个工作日"));
        // Repeated like an overdue line, the next working day, a day later.
        run_at(&s, "2026-11-20T15:00");
        assert_eq!(server.to(HEAD).len(), 1, "once a day");
        run_at(&s, "2026-11-23T09:00");
        let head = server.to(HEAD);
        assert_eq!(head.len(), 2);
        assert!(text(&head[1]).contains("书面告知尚未登记，已逾期 3 个工作日"), "{}", text(&head[1]));
        // Recorded, it is owed no more.
        ok(&s, &["case", "notice", "2026-0040", "--kind", "extension", "--on", "2026-11-23"]);
        run_at(&s, "2026-11-24T09:00");
        assert!(server.to(HEAD).iter().skip(2).all(|m| !text(m).contains("书面告知尚未登记")));
    };
}

#[test]
fn a_ladder_that_cannot_work_is_refused_at_start_naming_its_key() {
    let s = Setup::new();
    s.append_config(
        "[office]\nemails = [\"office@bureau.example\"]\n\
         [leadership]\nemails = [\"leaders@bureau.example\"]\n",
    );
    let refused = |extra: &str, words: &[&str]| {
        let s = Setup::new();
        s.append_config(&format!(
            "[office]\nemails = [\"{OFFICE}\"]\n[leadership]\nemails = [\"{LEADERS}\"]\n{extra}"
        ));
        let mut assert = s.duewatch(&["config", "check"]).assert().code(1);
        for w in words {
            assert = assert.stderr(contains(*w));
        }
        assert.stderr(contains("help:"));
    };
    // The red card names supervision while [supervision] has no address.
    refused(
        CARDS,
        &[
            "the supervision office ([supervision]) has no address",
            "escalation.grades[1] (红牌)",
            "supervision.emails = [\"jijian@bureau.example\"]",
        ],
    );
    refused(
        "[escalation]\nreminder_at = [3, 3]\n",
        &["escalation.reminder_at: 3 is given twice"],
    );
    refused(
        "[escalation]\nreminder_at = [7, 2]\n",
        &["escalation.reminder_at: 7 is not below the shortest period (5 working days)"],
    );
    refused(
        "[[escalation.grades]]\nname = \"红牌\"\ncode = \"red\"\nat = 5\nrecipients = [\"leadership\"]\n\
         [[escalation.grades]]\nname = \"黄牌\"\ncode = \"yellow\"\nat = 1\nrecipients = [\"leadership\"]\n",
        &["escalation.grades[1].at = 1 is not above escalation.grades[0].at = 5"],
    );
    refused(
        "[[escalation.grades]]\nname = \"红牌\"\ncode = \"Red Card\"\nat = 5\nrecipients = [\"leadership\"]\n",
        &["escalation.grades", "is not a grade code"],
    );
    refused(
        "[rules]\nsuspension_alert_after = 0\n",
        &["rules.suspension_alert_after = 0 is out of range"],
    );
    // A single integer, as configurations before the ladder hold, is still accepted.
    s.append_config("[escalation]\nreminder_at = 2\n");
    s.duewatch(&["config", "check"]).assert().success();
}

on_both_backends! {
    the_console_names_the_grade_a_case_has_reached => |backend| {
        use crate::console::{Console, unescaped};
        let s = Setup::with_store(backend);
        s.append_config(&format!(
            "[supervision]\nemails = [\"{JIJIAN}\"]\n{}",
            CARDS.replace("at = 5", "at = 20")
        ));
        let today = crate::helpers::clock_today();
        let ago = |days: u64| (today - chrono::Days::new(days)).to_string();
        // Forwarded 60 calendar days ago: the reply was due some 30 working days ago, far past
        // the red card (20 here).
        let on_clock = |args: &[&str]| s.duewatch_on_the_clock(args).assert().success();
        on_clock(&["case", "add", "--ref", "2026-0201", "--received", &ago(62)]);
        on_clock(&["case", "forward", "2026-0201", "--section", "ss", "--on", &ago(60)]);
        let console = Console::start(&s);
        let list = unescaped(&console.get("/cases").body);
        assert!(list.contains("红牌：已逾期 "), "{list}");
        let page = unescaped(&console.get("/cases/2026-0201").body);
        assert!(page.contains("办理中，红牌：已逾期 "), "{page}");
    };
}

on_both_backends! {
    the_report_counts_the_red_cards_each_party_received_in_the_period => |backend| {
        let server = SmtpServer::start();
        let s = setup(backend, &server, CARDS);
        reply_due_september_30(&s, "2026-0102");
        // A forward stage red too: received Mon 09-14 and never forwarded (due 09-21).
        ok(&s, &["case", "add", "--ref", "2026-0104", "--received", "2026-09-14"]);
        // Tue 10-13 both are red (5 working days past 09-30; far past 09-21); Wed 10-14 repeats.
        run_at(&s, "2026-10-13T09:00");
        run_at(&s, "2026-10-14T09:00");
        assert_eq!(server.to(JIJIAN).len(), 2, "the red card reached supervision, then its repeat");
        // A red card counts in the period it was recorded in: the runs above recorded them
        // today, whatever `--now` said.
        let today = crate::helpers::clock_today();
        let first = today - chrono::Days::new(u64::from(chrono::Datelike::day(&today)) - 1);
        let csv = |from: &str, to: &str| -> Vec<Vec<String>> {
            let out = s
                .duewatch(&["report", "--from", from, "--to", to, "--format", "csv"])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&out[3..]);
            reader
                .records()
                .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
                .collect()
        };
        let red = |rows: &[Vec<String>], code: &str| -> String {
            let column = rows[0].iter().position(|h| h == "红牌").expect("the column");
            rows.iter().find(|r| r.get(1).map(String::as_str) == Some(code)).map(|r| r[column].clone()).unwrap_or_default()
        };
        let now = csv(&first.to_string(), &today.to_string());
        assert_eq!(red(&now, "ss"), "1", "one card for ss, however often repeated: {now:?}");
        assert_eq!(red(&now, "office"), "1", "the unforwarded case's card: {now:?}");
        assert_eq!(red(&now, ""), "2", "the total");
        let before = first - chrono::Days::new(1);
        let earlier = csv(&(before - chrono::Days::new(27)).to_string(), &before.to_string());
        assert_eq!(red(&earlier, ""), "0", "{earlier:?}");
        let table = String::from_utf8(
            s.duewatch(&["report", "--from", &first.to_string(), "--to", &today.to_string()])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone(),
        )
        .expect("UTF-8");
        assert!(table.contains("red_cards"), "{table}");
    };
}
