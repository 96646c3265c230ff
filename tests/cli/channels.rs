//! Chat channels end to end (issue 17): the built binary (`duewatch run --once --now …`) posts
//! to fake DingTalk, WeCom and webhook servers on loopback ([`crate::chat`]) that check the
//! token, the signature and the keyword as the platforms do. What is checked is what arrives
//! there and the outbox's rows, on SQLite and on PostgreSQL where the store is involved.

use std::time::Duration;

use serde_json::Value;

use crate::chat::{ChatServer, Platform, Scripted};
use crate::helpers::{Backend, Setup};

const TOKEN: &str = "tok-ding-0001";
const SECRET: &str = "SECd0e1a2b3c4d5e6f";
const KEYWORD: &str = "督办";
const HEAD_MOBILE: &str = "13800138000";

fn platform() -> Platform {
    Platform {
        ding_token: TOKEN.to_owned(),
        ding_secret: Some(SECRET.to_owned()),
        ding_keyword: Some(KEYWORD.to_owned()),
        wecom_key: "wx-key-1".to_owned(),
        hook_secret: "hook-key-1".to_owned(),
        ..Platform::default()
    }
}

/// A store; the office (which @s its head) and the leadership on the DingTalk channel `ding`
/// besides their mail; mail into files; retries after a second.
fn setup(backend: Backend, server: &ChatServer, token: &str) -> Setup {
    let s = Setup::with_store(backend);
    s.append_config(&format!(
        "[office]\nname = \"办公室\"\nemails = [\"office@bureau.example\"]\nchannels = [\"ding\"]\n\
         mobiles = [\"{HEAD_MOBILE}\"]\n\
         [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\nchannels = [\"ding\"]\n\
         [mail]\nadmins = [\"it@bureau.example\"]\n[mail.file]\ndir = \"{}\"\n\
         [mail.retry]\nbase_secs = 1\ncap_secs = 1\nlease_secs = 60\n\
         [channels.ding]\nkind = \"dingtalk\"\nurl = \"{}\"\nkeyword = \"{KEYWORD}\"\ntimeout_secs = 1\n",
        s.dir.path().join("mail").display(),
        server.url(&format!("/robot/send?access_token={token}")),
    ));
    s
}

/// `duewatch ARGS` with the channel secrets in the environment, as an operator sets them.
fn duewatch(s: &Setup, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = s.duewatch(args);
    if std::fs::read_to_string(s.config()).is_ok_and(|c| c.contains("[channels.ding]")) {
        cmd.env("DUEWATCH__CHANNELS__DING__SECRET", SECRET);
    }
    if std::fs::read_to_string(s.config()).is_ok_and(|c| c.contains("[channels.oa]")) {
        cmd.env("DUEWATCH__CHANNELS__OA__SECRET", "hook-key-1");
    }
    cmd.timeout(Duration::from_secs(60));
    cmd
}

fn run_at(s: &Setup, now: &str) {
    duewatch(s, &["run", "--once", "--now", now])
        .assert()
        .success();
}

fn outbox(s: &Setup, failed: bool) -> Vec<Value> {
    let mut args = vec!["outbox", "list", "--json"];
    if failed {
        args.push("--failed");
    }
    let out = duewatch(s, &args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice::<Value>(&out)
        .expect("JSON")
        .as_array()
        .expect("an array")
        .clone()
}

/// The outbox's channel rows (their recipient starts with `channel:`).
fn channel_rows(s: &Setup) -> Vec<Value> {
    outbox(s, false)
        .into_iter()
        .filter(|r| {
            r["recipient"]
                .as_str()
                .is_some_and(|t| t.starts_with("channel:"))
        })
        .collect()
}

/// A case received on 2026-11-23 (Monday): forward due 2026-11-30 (the office's); reminder from
/// 11-26, overdue from 12-01.
fn one_case(s: &Setup) {
    duewatch(
        s,
        &[
            "case",
            "add",
            "--ref",
            "2026-0001",
            "--received",
            "2026-11-23",
            "--subject",
            "养老保险缴费记录",
        ],
    )
    .assert()
    .success();
}

/// Longer than the retry's backoff (`base_secs = 1`, at most one second).
fn after_the_backoff() {
    std::thread::sleep(Duration::from_millis(1100));
}

fn text(body: &Value) -> String {
    body["markdown"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

on_both_backends! {
    dingtalk_gets_one_signed_message_per_party_and_pass_with_its_keyword_and_the_heads_mention => |backend| {
        let server = ChatServer::start(platform());
        let s = setup(backend, &server, TOKEN);
        one_case(&s);

        run_at(&s, "2026-11-25T09:00");
        assert!(server.accepted().is_empty(), "3 working days left: no level yet");

        run_at(&s, "2026-11-26T09:00");
        let got = server.accepted();
        assert_eq!(got.len(), 1, "the office's reminder, once: {got:?}");
        let body = &got[0].body;
        assert_eq!(got[0].platform, "dingtalk");
        assert_eq!(body["msgtype"], "markdown");
        let t = text(body);
        assert!(t.contains("2026-0001") && t.contains("剩 2 个工作日") && t.contains("期限 2026-11-30"), "{t}");
        assert!(t.contains(KEYWORD), "the keyword is in every message: {t}");
        assert!(t.contains(&format!("@{HEAD_MOBILE}")), "{t}");
        assert!(!t.contains("养老保险缴费记录"), "no subject in a chat group: {t}");
        assert_eq!(body["at"]["atMobiles"], serde_json::json!([HEAD_MOBILE]));
        assert!(body["markdown"]["title"].as_str().is_some_and(|t| t.contains("2026-11-26")));
        let rows = channel_rows(&s);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["recipient"], "channel:ding/office");
        assert_eq!(rows[0]["state"], "sent");
        assert_eq!(body["msgUuid"], rows[0]["message_id"], "msgUuid is the row's key");

        run_at(&s, "2026-11-26T16:00");
        run_at(&s, "2026-11-27T09:00");
        assert_eq!(server.accepted().len(), 1, "the same reminder is not posted twice");

        run_at(&s, "2026-12-01T09:00");
        run_at(&s, "2026-12-01T15:00");
        let got = server.accepted();
        assert_eq!(got.len(), 3, "overdue: one message to the office and one to the leadership, once a day");
        let leaders: Vec<_> = got.iter().filter(|a| text(&a.body).contains("局领导")).collect();
        assert_eq!(leaders.len(), 1);
        assert_eq!(leaders[0].body["at"]["atMobiles"], serde_json::json!([]), "the leadership has no mobiles");
        assert!(text(&leaders[0].body).contains("逾期 1 个工作日"));

        run_at(&s, "2026-12-02T09:00");
        let got = server.accepted();
        assert_eq!(got.len(), 5, "the daily repeat: one more to each party");
        for a in &got[3..] {
            assert!(a.body["markdown"]["title"].as_str().is_some_and(|t| t.contains("2026-12-02")), "the date makes a repeat differ: {:?}", a.body);
            assert!(text(&a.body).contains("逾期 2 个工作日"));
        }
        let recorded = s.column("SELECT DISTINCT recipient FROM notifications WHERE recipient LIKE 'channel:%' ORDER BY recipient");
        assert_eq!(recorded, vec![Some("channel:ding/leadership".to_owned()), Some("channel:ding/office".to_owned())]);
        assert_eq!(server.with(|p| p.duplicates), 0);
    };

    an_outage_loses_nothing_and_a_later_pass_posts_the_message_once => |backend| {
        let mut server = ChatServer::start(platform());
        server.with(|p| p.script.push_back(Scripted::Status(500)));
        let s = setup(backend, &server, TOKEN);
        one_case(&s);

        run_at(&s, "2026-11-26T09:00");
        assert!(server.accepted().is_empty());
        let failing = outbox(&s, true);
        assert_eq!(failing.len(), 1, "{failing:?}");
        assert_eq!(failing[0]["state"], "pending");
        assert!(failing[0]["last_error"].as_str().is_some_and(|e| e.contains("channels.ding: HTTP 500")), "{failing:?}");

        server.stop();
        after_the_backoff();
        run_at(&s, "2026-11-26T09:05");
        assert_eq!(outbox(&s, true)[0]["state"], "pending", "the platform is down: still waiting");

        server.restart();
        after_the_backoff();
        run_at(&s, "2026-11-26T09:10");
        run_at(&s, "2026-11-26T09:15");
        assert_eq!(server.accepted().len(), 1, "posted once the platform answers, and only once");
        assert!(channel_rows(&s).iter().all(|r| r["state"] == "sent"));
    };

    twenty_posts_a_minute_per_channel_and_the_rest_wait_for_the_next_minute => |backend| {
        let server = ChatServer::start(platform());
        let s = setup(backend, &server, TOKEN);
        // 25 sections on the channel, one overdue reply each: 25 messages for one robot.
        let mut csv = String::from("编号,收到日期,申请内容,申请方式,转办日期,承办股室\n");
        for n in 1..=25 {
            s.append_config(&format!(
                "[[sections]]\ncode = \"s{n:02}\"\nname = \"第{n}股\"\nemails = []\nchannels = [\"ding\"]\n"
            ));
            csv.push_str(&format!("2026-1{n:03},2026-11-02,事项{n},网络,2026-11-04,s{n:02}\n"));
        }
        let file = s.dir.path().join("cases.csv");
        std::fs::write(&file, csv).expect("the CSV");
        duewatch(&s, &["case", "import", &file.display().to_string()]).assert().success();

        run_at(&s, "2026-11-26T09:00");
        // 26 parties: the 25 sections, and the leadership (told of overdue cases).
        let sections = |rows: &[Value]| rows.iter().filter(|r| r["recipient"].as_str().is_some_and(|t| t.contains("/section:"))).count();
        let in_state = |rows: &[Value], state: &str| rows.iter().filter(|r| r["state"] == state).count();
        let rows = channel_rows(&s);
        assert_eq!((rows.len(), sections(&rows)), (26, 25), "{rows:?}");
        assert_eq!(in_state(&rows, "sent"), 20, "the claim takes at most 20 a minute");
        assert_eq!(in_state(&rows, "pending"), 6, "the rest wait in the queue");
        assert_eq!(server.accepted().len(), 20);
        assert_eq!(server.with(|p| p.requests), 20, "no burst into the platform's limit");

        run_at(&s, "2026-11-26T09:01");
        assert_eq!(server.accepted().len(), 20, "within the same minute nothing more goes");

        // The minute passes (the claims' times, in the database, move a minute back).
        match backend {
            Backend::Sqlite => s.sql(&["UPDATE outbox SET attempted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-61 seconds') WHERE attempted_at IS NOT NULL"]),
            Backend::Postgres => s.sql(&["UPDATE outbox SET attempted_at = now() - interval '61 seconds' WHERE attempted_at IS NOT NULL"]),
        }
        run_at(&s, "2026-11-26T09:02");
        let rows = channel_rows(&s);
        assert_eq!(in_state(&rows, "sent"), 26, "{rows:?}");
        let got = server.accepted();
        assert_eq!(got.len(), 26);
        let mut parties: Vec<String> = got.iter().map(|a| text(&a.body)).filter_map(|t| t.split('（').nth(1).map(|x| x.split('，').next().unwrap_or_default().to_owned())).collect();
        parties.sort();
        parties.dedup();
        assert_eq!(parties.len(), 26, "one message per party: {parties:?}");
    };
}

#[test]
fn a_post_whose_answer_is_lost_is_sent_again_with_the_same_msg_uuid_and_shown_once() {
    let server = ChatServer::start(platform());
    server.with(|p| p.script.push_back(Scripted::Stall(Duration::from_secs(3))));
    let s = setup(Backend::Sqlite, &server, TOKEN);
    one_case(&s);
    run_at(&s, "2026-11-26T09:00");
    let rows = channel_rows(&s);
    assert_eq!(
        rows[0]["state"], "pending",
        "no answer within timeout_secs: {rows:?}"
    );
    assert_eq!(rows[0]["possible_duplicate"], true);
    after_the_backoff();
    run_at(&s, "2026-11-26T09:05");
    assert_eq!(channel_rows(&s)[0]["state"], "sent");
    assert_eq!(server.accepted().len(), 1, "shown once");
    assert_eq!(
        server.with(|p| p.duplicates),
        1,
        "the second copy carried the same msgUuid"
    );
}

#[test]
fn a_rate_limited_post_waits_and_is_posted_once() {
    let server = ChatServer::start(platform());
    server.with(|p| {
        p.script
            .push_back(Scripted::Errcode(130_101, "send too fast"))
    });
    let s = setup(Backend::Sqlite, &server, TOKEN);
    one_case(&s);
    run_at(&s, "2026-11-26T09:00");
    let failing = outbox(&s, true);
    assert_eq!(failing[0]["state"], "pending");
    assert!(
        failing[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("130101")),
        "{failing:?}"
    );
    after_the_backoff();
    run_at(&s, "2026-11-26T09:05");
    assert_eq!(server.accepted().len(), 1);
    assert_eq!(server.with(|p| p.duplicates), 0);
}

#[test]
fn a_bad_token_or_signature_is_a_dead_letter_naming_the_key_and_what_to_fix() {
    let server = ChatServer::start(platform());
    let s = setup(Backend::Sqlite, &server, "tok-revoked");
    one_case(&s);
    run_at(&s, "2026-11-26T09:00");
    assert!(server.accepted().is_empty());
    let dead = outbox(&s, true);
    let dead: Vec<&Value> = dead.iter().filter(|r| r["state"] == "dead").collect();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let error = dead[0]["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("channels.ding") && error.contains("300001"),
        "{error}"
    );
    assert!(
        error.contains("help:") && error.contains("channels.ding.url"),
        "{error}"
    );
    let admin: Vec<Value> = outbox(&s, false)
        .into_iter()
        .filter(|r| r["kind"] == "admin")
        .collect();
    assert_eq!(admin.len(), 1, "the dead letter is reported to mail.admins");
    assert_eq!(admin[0]["recipient"], "it@bureau.example");

    // The right token with a wrong secret: DingTalk's 310000, and what to check.
    let server = ChatServer::start(platform());
    let s = setup(Backend::Sqlite, &server, TOKEN);
    one_case(&s);
    s.duewatch(&["run", "--once", "--now", "2026-11-26T09:00"])
        .env("DUEWATCH__CHANNELS__DING__SECRET", "SECnot-the-robots")
        .assert()
        .success();
    let failed = outbox(&s, true);
    let error = failed[0]["last_error"].as_str().unwrap_or_default();
    assert_eq!(failed[0]["state"], "dead");
    assert!(
        error.contains("310000")
            && error.contains("DUEWATCH__CHANNELS__DING__SECRET")
            && error.contains("channels.ding.keyword"),
        "{error}"
    );
}

#[test]
fn nothing_is_posted_outside_the_sending_window() {
    let server = ChatServer::start(platform());
    server.with(|p| p.script.push_back(Scripted::Status(503)));
    let s = setup(Backend::Sqlite, &server, TOKEN);
    one_case(&s);
    run_at(&s, "2026-11-26T17:20");
    assert_eq!(server.with(|p| p.requests), 1);
    after_the_backoff();
    run_at(&s, "2026-11-26T18:00");
    run_at(&s, "2026-11-28T10:00");
    assert_eq!(
        server.with(|p| p.requests),
        1,
        "the window is closed (evening, Saturday): nothing posted"
    );
    run_at(&s, "2026-11-27T09:00");
    assert_eq!(server.accepted().len(), 1);
}

#[test]
fn wecom_gets_markdown_or_a_text_that_mentions_the_head_and_its_error_codes_are_read() {
    let server = ChatServer::start(platform());
    server.with(|p| {
        p.script
            .push_back(Scripted::Errcode(45_009, "api freq out of limit"))
    });
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(&format!(
        "[office]\nname = \"办公室\"\nemails = []\nchannels = [\"wx\"]\nmobiles = [\"{HEAD_MOBILE}\"]\n\
         [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\nchannels = [\"wx\", \"wx_gone\"]\n\
         [mail.file]\ndir = \"{}\"\n[mail.retry]\nbase_secs = 1\ncap_secs = 1\nlease_secs = 60\n\
         [channels.wx]\nkind = \"wecom\"\nurl = \"{}\"\n\
         [channels.wx_gone]\nkind = \"wecom\"\nurl = \"{}\"\n",
        s.dir.path().join("mail").display(),
        server.url("/cgi-bin/webhook/send?key=wx-key-1"),
        server.url("/cgi-bin/webhook/send?key=removed"),
    ));
    one_case(&s);
    run_at(&s, "2026-11-26T09:00");
    assert!(
        server.accepted().is_empty(),
        "45009: the platform's limit, retried"
    );
    after_the_backoff();
    run_at(&s, "2026-11-26T09:05");
    let got = server.accepted();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].platform, "wecom");
    assert_eq!(
        got[0].body["msgtype"], "text",
        "the office has a mobile to @: a text message"
    );
    assert_eq!(
        got[0].body["text"]["mentioned_mobile_list"],
        serde_json::json!([HEAD_MOBILE])
    );
    assert!(
        got[0].body["text"]["content"]
            .as_str()
            .is_some_and(|c| c.contains("2026-0001") && c.contains("2026-11-26"))
    );

    run_at(&s, "2026-12-01T09:00");
    let got = server.accepted();
    assert_eq!(got.len(), 3, "overdue: the office and the leadership");
    let markdown: Vec<_> = got
        .iter()
        .filter(|a| a.body["msgtype"] == "markdown")
        .collect();
    assert_eq!(markdown.len(), 1, "the leadership has no mobiles: markdown");
    assert!(
        markdown[0].body["markdown"]["content"]
            .as_str()
            .is_some_and(|c| c.contains("逾期 1 个工作日"))
    );
    let dead: Vec<Value> = outbox(&s, true)
        .into_iter()
        .filter(|r| r["state"] == "dead")
        .collect();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let error = dead[0]["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("93000")
            && error.contains("channels.wx_gone.url")
            && error.contains("help:"),
        "{error}"
    );
}

#[test]
fn a_webhook_gets_the_digest_as_signed_data() {
    let server = ChatServer::start(platform());
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(&format!(
        "[office]\nname = \"办公室\"\nemails = [\"office@bureau.example\"]\nchannels = [\"oa\"]\n\
         [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\n\
         [mail.file]\ndir = \"{}\"\n[web]\nbase_url = \"https://duewatch.bureau.example/\"\n\
         [channels.oa]\nkind = \"webhook\"\nurl = \"{}\"\n",
        s.dir.path().join("mail").display(),
        server.url("/hook"),
    ));
    one_case(&s);
    run_at(&s, "2026-11-26T09:00");
    let got = server.accepted();
    assert_eq!(
        got.len(),
        1,
        "the signature and its timestamp were accepted"
    );
    let body = &got[0].body;
    assert_eq!(body["party"]["key"], "office");
    assert_eq!(body["date"], "2026-11-26");
    let item = &body["items"][0];
    assert_eq!(item["reference"], "2026-0001");
    assert_eq!(item["stage"], "forward");
    assert_eq!(item["deadline"], "2026-11-30");
    assert_eq!(item["level"], "reminder");
    assert_eq!(item["remaining_working_days"], 2);
    assert_eq!(item["provisional"], false);
    assert_eq!(
        item["link"],
        "https://duewatch.bureau.example/cases/2026-0001"
    );
    assert_eq!(body["delivery"], channel_rows(&s)[0]["message_id"]);
}

#[test]
fn a_channel_secret_in_the_config_file_or_an_unknown_channel_is_refused_at_start() {
    let s = Setup::new();
    s.append_config(
        "[channels.ding]\nkind = \"dingtalk\"\nurl = \"https://oapi.dingtalk.com/robot/send?access_token=t0ken\"\n\
         secret = \"SECwritten-in-the-file\"\n",
    );
    let out = s
        .duewatch(&["config", "check"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(
        err.contains("duewatch.toml:6: channels.ding.secret is written in the config file"),
        "{err}"
    );
    assert!(
        err.contains("help:") && err.contains("DUEWATCH__CHANNELS__DING__SECRET"),
        "{err}"
    );
    assert!(
        !err.contains("SECwritten-in-the-file") && !err.contains("t0ken"),
        "{err}"
    );

    let s = Setup::new();
    s.append_config(
        "[office]\nemails = [\"office@bureau.example\"]\nchannels = [\"dingx\"]\n\
         [leadership]\nemails = [\"leaders@bureau.example\"]\n\
         [channels.ding]\nkind = \"dingtalk\"\nurl = \"https://oapi.dingtalk.com/robot/send?access_token=t0ken\"\n",
    );
    let out = s
        .duewatch(&["config", "check"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(
        err.contains("office.channels: \"dingx\" is not a configured channel (configured: ding)"),
        "{err}"
    );
    assert!(err.contains("help: add [channels.dingx]"), "{err}");

    // From the environment it is taken, and `config show` masks it and the token.
    let s = Setup::new();
    s.append_config(
        "[channels.ding]\nkind = \"dingtalk\"\nurl = \"https://oapi.dingtalk.com/robot/send?access_token=t0ken\"\n",
    );
    let out = s
        .duewatch(&["config", "show"])
        .env(
            "DUEWATCH__CHANNELS__DING__SECRET",
            "SECfrom-the-environment",
        )
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8_lossy(&out);
    assert!(
        shown.contains("access_token=***") && shown.contains("secret = \"***\""),
        "{shown}"
    );
    assert!(
        !shown.contains("t0ken") && !shown.contains("SECfrom"),
        "{shown}"
    );
}

on_both_backends! {
    the_record_lists_every_notification_by_mail_and_channel_in_case_show_the_api_and_the_page => |backend| {
        let server = ChatServer::start(Platform { ding_secret: None, ..platform() });
        let s = setup(backend, &server, TOKEN);
        one_case(&s);
        run_at(&s, "2026-11-26T09:00");

        let out = duewatch(&s, &["case", "show", "2026-0001"]).assert().success().get_output().stdout.clone();
        let shown = String::from_utf8_lossy(&out);
        assert!(shown.contains("notifications:"), "{shown}");
        assert!(shown.contains("reminder forward (deadline 2026-11-30)  to office@bureau.example: sent 20"), "{shown}");
        assert!(shown.contains("reminder forward (deadline 2026-11-30)  to channel ding (office): sent 20"), "{shown}");

        let out = duewatch(&s, &["case", "show", "2026-0001", "--json"]).assert().success().get_output().stdout.clone();
        let json: Value = serde_json::from_slice(&out).expect("JSON");
        let record = json["notifications"].as_array().expect("the notifications").clone();
        assert_eq!(record.len(), 2, "{record:?}");
        let channel = record.iter().find(|n| n["by"] == "channel").expect("the channel's");
        assert_eq!((channel["to"].as_str(), channel["party"].as_str()), (Some("ding"), Some("office")));
        assert_eq!((channel["level"].as_str(), channel["delivery"].as_str()), (Some("reminder"), Some("sent")));
        let mail = record.iter().find(|n| n["by"] == "email").expect("the mail's");
        assert_eq!(mail["to"], "office@bureau.example");
        assert_eq!(json["case"]["reference"], "2026-0001", "the case as before");

        let port = crate::console::free_port();
        s.append_config(&format!("[http]\nlisten = \"127.0.0.1:{port}\"\n[schedule]\npoll = \"*/2 * * * * *\"\n"));
        let console = crate::console::Console::start_as_configured(&s, port);
        let api = console.get("/api/v1/cases/2026-0001/notifications");
        assert_eq!(api.status, 200, "{}", api.body);
        let body: Value = serde_json::from_str(&api.body).expect("JSON");
        assert_eq!(body["reference"], "2026-0001");
        let listed = body["notifications"].as_array().expect("a list");
        assert!(listed.iter().any(|n| n["by"] == "channel" && n["to"] == "ding" && n["delivery"] == "sent" && n["level"] == "reminder"), "{listed:?}");
        assert!(listed.iter().any(|n| n["by"] == "email" && n["to"] == "office@bureau.example"), "{listed:?}");
        assert_eq!(console.get("/api/v1/cases/2099-0404/notifications").status, 404);
        let page = console.get("/cases/2026-0001");
        assert!(crate::console::unescaped(&page.body).contains("群消息 ding（office）"), "{}", page.body);
    };
}
