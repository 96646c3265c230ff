//! `cases.source = "sql"`: duewatch watching the cases of an existing case system, read-only.
//!
//! The case system here is made up, the way such systems look: tables named in pinyin
//! (`shenqing` 申请, `yanqi` 延期, `zhongzhi` 中止), one column in Chinese (`承办科室`, holding the
//! section's *name*), and three views the administrator writes to map it onto duewatch's view
//! contract. Each test makes its own tables (unique names) in its own PostgreSQL database and in
//! MariaDB's `test` database, and removes them afterwards. duewatch's own state (outbox,
//! notifications, runs) is kept apart, in its own SQLite file or PostgreSQL database.

use std::time::Duration;

use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection};

use crate::helpers::{Backend, POSTGRES, Setup, fresh_postgres_database, on_postgres};
use crate::smtp::SmtpServer;

/// MariaDB on this machine: root without a password, database `test`.
const MARIADB: &str = "mysql://root@127.0.0.1:3306/test";

const ADMIN: &str = "it@bureau.example";

/// Which database the made-up case system runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    Postgres,
    MariaDb,
}

/// A made-up case system: its tables and views, removed on drop.
struct CaseSystem {
    system: System,
    /// The prefix of every table and view of this test.
    prefix: String,
    /// The URL the case system's owner (who writes rows) connects with.
    owner_url: String,
    /// The URL duewatch reads with.
    reader_url: String,
    /// PostgreSQL: the database made for this test, and the read-only role.
    postgres: Option<(String, String)>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

impl CaseSystem {
    fn new(system: System) -> CaseSystem {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("dw{}_{n}_", std::process::id());
        let cs = match system {
            System::Postgres => {
                let db = fresh_postgres_database();
                let role = format!("{prefix}reader");
                CaseSystem {
                    system,
                    prefix: prefix.clone(),
                    owner_url: format!("{POSTGRES}/{db}"),
                    reader_url: format!("postgres://{role}:not-so-secret@127.0.0.1:5432/{db}"),
                    postgres: Some((db, role)),
                }
            }
            System::MariaDb => CaseSystem {
                system,
                prefix: prefix.clone(),
                owner_url: MARIADB.to_owned(),
                reader_url: MARIADB.to_owned(),
                postgres: None,
            },
        };
        cs.create();
        if let Some((_, role)) = cs.postgres.clone() {
            // duewatch reads as a role that may only SELECT from the three views: it could
            // not write to the case system even if it tried.
            on_postgres(&format!(
                "CREATE ROLE {role} LOGIN PASSWORD 'not-so-secret'"
            ))
            .expect("creating the reader role");
            let p = &cs.prefix;
            cs.exec(&[
                &format!("GRANT USAGE ON SCHEMA public TO {role}"),
                &format!("GRANT SELECT ON {p}v_cases, {p}v_extensions, {p}v_suspensions TO {role}"),
            ]);
        }
        cs
    }

    /// Runs statements as the case system's owner.
    fn exec(&self, statements: &[&str]) {
        let url = self.owner_url.clone();
        let system = self.system;
        let statements: Vec<String> = statements.iter().map(|s| (*s).to_owned()).collect();
        runtime().block_on(async move {
            match system {
                System::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
                    for s in statements {
                        sqlx::query(AssertSqlSafe(s.clone()))
                            .execute(&mut c)
                            .await
                            .unwrap_or_else(|e| panic!("{s}: {e}"));
                    }
                }
                System::MariaDb => {
                    let mut c = sqlx::MySqlConnection::connect(&url)
                        .await
                        .expect("MariaDB on 127.0.0.1:3306 (start it: .ci/run shows how)");
                    for s in statements {
                        sqlx::query(AssertSqlSafe(s.clone()))
                            .execute(&mut c)
                            .await
                            .unwrap_or_else(|e| panic!("{s}: {e}"));
                    }
                }
            }
        });
    }

    /// A fingerprint of every row of the case system's tables: counts and contents.
    fn fingerprint(&self) -> Vec<String> {
        let url = self.owner_url.clone();
        let system = self.system;
        let p = self.prefix.clone();
        runtime().block_on(async move {
            let mut out = Vec::new();
            for table in ["shenqing", "yanqi", "zhongzhi"] {
                match system {
                    System::Postgres => {
                        let mut c = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
                        let sql = format!(
                            "SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY id)), '') FROM {p}{table} t"
                        );
                        let v: String = sqlx::query_scalar(AssertSqlSafe(sql))
                            .fetch_one(&mut c)
                            .await
                            .expect("a fingerprint");
                        out.push(v);
                    }
                    System::MariaDb => {
                        let mut c = sqlx::MySqlConnection::connect(&url).await.expect("MariaDB");
                        let sql = format!("CHECKSUM TABLE {p}{table} EXTENDED");
                        let row = sqlx::query(AssertSqlSafe(sql)).fetch_one(&mut c).await.expect("a checksum");
                        use sqlx::Row;
                        let sum: Option<i64> = row.try_get(1).expect("the checksum column");
                        let count: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {p}{table}")))
                            .fetch_one(&mut c)
                            .await
                            .expect("a count");
                        out.push(format!("{count}:{sum:?}"));
                    }
                }
            }
            out
        })
    }

    /// The schema of the made-up system, its views, and its rows: good ones and bad ones.
    fn create(&self) {
        let p = &self.prefix;
        let (q, int) = match self.system {
            System::Postgres => ('"', "INTEGER"),
            System::MariaDb => ('`', "INT"),
        };
        let keshi = format!("{q}承办科室{q}");
        self.exec(&[
            // 申请: the requests as the office records them.
            &format!(
                "CREATE TABLE {p}shenqing (id {int} PRIMARY KEY, bianhao VARCHAR(32) NOT NULL UNIQUE, \
                 shixiang VARCHAR(200), shoudao_riqi DATE NOT NULL, zhuanban_riqi DATE, \
                 {keshi} VARCHAR(50), dafu_riqi DATE, zhongjie_riqi DATE)"
            ),
            // 延期: extensions; 中止: suspensions.
            &format!(
                "CREATE TABLE {p}yanqi (id {int} PRIMARY KEY, shenqing_id {int} NOT NULL, \
                 tianshu {int} NOT NULL, pizhun_riqi DATE NOT NULL, pizhunren VARCHAR(50) NOT NULL, \
                 gaozhi_riqi DATE)"
            ),
            &format!(
                "CREATE TABLE {p}zhongzhi (id {int} PRIMARY KEY, shenqing_id {int} NOT NULL, \
                 kaishi DATE NOT NULL, huifu DATE, yuanyin VARCHAR(20) NOT NULL)"
            ),
            // The administrator's views: the view contract.
            &format!(
                "CREATE VIEW {p}v_cases AS SELECT s.bianhao AS reference, s.shixiang AS subject, \
                 s.shoudao_riqi AS received_on, s.zhuanban_riqi AS forwarded_on, \
                 s.{keshi} AS section, s.dafu_riqi AS replied_on, s.zhongjie_riqi AS closed_on \
                 FROM {p}shenqing s"
            ),
            &format!(
                "CREATE VIEW {p}v_extensions AS SELECT s.bianhao AS reference, y.tianshu AS days, \
                 y.pizhun_riqi AS approved_on, y.pizhunren AS approved_by, \
                 y.gaozhi_riqi AS notice_on FROM {p}yanqi y JOIN {p}shenqing s ON s.id = y.shenqing_id"
            ),
            &format!(
                "CREATE VIEW {p}v_suspensions AS SELECT s.bianhao AS reference, z.kaishi AS from_on, \
                 z.huifu AS until_on, z.yuanyin AS reason \
                 FROM {p}zhongzhi z JOIN {p}shenqing s ON s.id = z.shenqing_id"
            ),
            // Good rows.
            &format!(
                "INSERT INTO {p}shenqing VALUES \
                 (1, '2026-A001', '养老保险缴费记录', '2026-11-23', NULL, NULL, NULL, NULL), \
                 (2, '2026-A002', '工伤认定办理流程', '2026-11-16', '2026-11-18', '社会保险股', NULL, NULL), \
                 (3, '2026-A003', '社保卡补办网点名单', '2026-11-10', '2026-11-12', 'zc', NULL, NULL), \
                 (4, '2026-A004', '已答复的申请', '2026-11-02', '2026-11-04', '社会保险股', '2026-11-13', NULL), \
                 (5, '2026-A005', '已撤回的申请', '2026-11-02', NULL, NULL, NULL, '2026-11-05'), \
                 (11, '2026-B001', '转办早于收到', '2026-11-24', '2026-11-20', '社会保险股', NULL, NULL), \
                 (12, '2026-B002', '未配置的股室', '2026-11-16', '2026-11-18', '人事股', NULL, NULL), \
                 (13, '2026-B003', '延期超过十五日', '2026-11-02', '2026-11-04', 'zc', NULL, NULL)"
            ),
            &format!(
                "INSERT INTO {p}yanqi VALUES \
                 (1, 2, 5, '2026-11-25', '局长', '2026-11-26'), \
                 (2, 13, 10, '2026-11-10', '局长', '2026-11-11'), \
                 (3, 13, 6, '2026-11-12', '副局长', NULL)"
            ),
            &format!("INSERT INTO {p}zhongzhi VALUES (1, 3, '2026-11-20', NULL, '不可抗力')"),
        ]);
    }

    /// The `[cases]` table pointing at this system's views.
    fn config(&self) -> String {
        let p = &self.prefix;
        format!(
            "[cases]\nsource = \"sql\"\nurl = \"{}\"\n\
             cases_query = \"SELECT * FROM {p}v_cases\"\n\
             extensions_query = \"SELECT * FROM {p}v_extensions\"\n\
             suspensions_query = \"SELECT * FROM {p}v_suspensions\"\n",
            self.reader_url
        )
    }
}

impl Drop for CaseSystem {
    fn drop(&mut self) {
        // Best effort: a failure here must not hide the test's own result.
        match self.postgres.take() {
            Some((db, role)) => {
                let _ = on_postgres(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
                let _ = on_postgres(&format!("DROP ROLE IF EXISTS {role}"));
            }
            None => {
                let p = self.prefix.clone();
                let url = self.owner_url.clone();
                let _ = std::panic::catch_unwind(|| {
                    runtime().block_on(async move {
                        if let Ok(mut c) = sqlx::MySqlConnection::connect(&url).await {
                            for v in ["v_cases", "v_extensions", "v_suspensions", "v_returns"] {
                                let _ = sqlx::query(AssertSqlSafe(format!(
                                    "DROP VIEW IF EXISTS {p}{v}"
                                )))
                                .execute(&mut c)
                                .await;
                            }
                            for t in ["shenqing", "yanqi", "zhongzhi", "tuihui"] {
                                let _ = sqlx::query(AssertSqlSafe(format!(
                                    "DROP TABLE IF EXISTS {p}{t}"
                                )))
                                .execute(&mut c)
                                .await;
                            }
                        }
                    });
                });
            }
        }
    }
}

/// duewatch's own store, sections `ss` 社会保险股 and `zc` 政策法规股, and the case system's
/// `[cases]`. The own store is SQLite beside the PostgreSQL case system and PostgreSQL beside
/// MariaDB, so that both backends keep duewatch's state (the once-only reports) in these tests.
fn setup(cs: &CaseSystem) -> Setup {
    let s = Setup::with_store(match cs.system {
        System::Postgres => Backend::Sqlite,
        System::MariaDb => Backend::Postgres,
    });
    s.append_config(crate::helpers::ADDRESSES);
    s.append_config(&cs.config());
    s
}

/// Defines each test twice, `NAME::postgres` and `NAME::mariadb`.
macro_rules! on_both_case_systems {
    ($($name:ident => $body:expr;)+) => {$(
        mod $name {
            use super::*;
            #[test]
            fn postgres() {
                ($body)(System::Postgres);
            }
            #[test]
            fn mariadb() {
                ($body)(System::MariaDb);
            }
        }
    )+};
}

fn status_json(s: &Setup, as_of: &str) -> (Vec<Value>, String, Option<i32>) {
    let out = s
        .duewatch(&["status", "--as-of", as_of, "--json"])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("duewatch runs");
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    (
        rows.as_array().expect("an array").clone(),
        String::from_utf8(out.stderr).expect("UTF-8"),
        out.status.code(),
    )
}

on_both_case_systems! {
    a_row_whose_deadlines_cannot_be_counted_is_named_by_status_and_the_dry_run => |system| {
        let cs = CaseSystem::new(system);
        let p = cs.prefix.clone();
        cs.exec(&[&format!(
            "INSERT INTO {p}shenqing VALUES \
             (21, '2026-C001', '收到日期超出范围', '1999-12-31', NULL, NULL, NULL, NULL)"
        )]);
        let s = setup(&cs);
        let (rows, stderr, code) = status_json(&s, "2026-12-01");
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("case 2026-C001: its deadlines cannot be counted: 1999-12-31 is outside the dates duewatch counts on (2000-01-01 to 2099-12-31); check the year\n  help: correct the date in the case system"), "{stderr}");
        assert_eq!(rows.len(), 3, "the good open cases are still listed: {stderr}");
        let dry = s
            .duewatch(&["run", "--once", "--dry-run", "--now", "2026-12-01T09:00"])
            .timeout(Duration::from_secs(60))
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let dry = String::from_utf8(dry).expect("UTF-8");
        assert!(dry.contains("not watched: case 2026-C001: its deadlines cannot be counted: 1999-12-31 is outside"), "{dry}");
        assert!(dry.contains("4 case(s) could not be read or evaluated (named above)"), "{dry}");
    };

    status_shows_the_case_systems_open_cases_and_names_each_bad_row => |system| {
        let cs = CaseSystem::new(system);
        let s = setup(&cs);
        let before = cs.fingerprint();

        let (rows, stderr, code) = status_json(&s, "2026-12-01");
        let refs: Vec<&str> = rows.iter().map(|r| r["reference"].as_str().expect("a reference")).collect();
        assert_eq!(refs, ["2026-A001", "2026-A002", "2026-A003"], "open, good cases only: {stderr}");
        // Received Mon 11-23: forward due Mon 11-30; on 12-01 overdue by 1.
        assert_eq!(rows[0]["stage"], "forward");
        assert_eq!(rows[0]["responsible"], "office");
        assert_eq!(rows[0]["due"], "2026-11-30");
        assert_eq!(rows[0]["overdue_by"], 1);
        assert_eq!(rows[0]["level"], "overdue");
        // Forwarded Wed 11-18 to 社会保险股 (the name maps to ss): 10 + 5 extension working days.
        assert_eq!(rows[1]["stage"], "reply");
        assert_eq!(rows[1]["responsible"], "ss");
        assert_eq!(rows[1]["due"], "2026-12-09");
        assert_eq!(rows[1]["remaining"], 6);
        // Suspended (不可抗力) from 11-20 with no end: no deadline.
        assert_eq!(rows[2]["suspended"], true);
        assert_eq!(rows[2]["due"], Value::Null);

        assert_eq!(code, Some(1), "bad rows make the exit code 1: {stderr}");
        assert!(stderr.contains("case 2026-B001 in the case system (cases.url): forwarding on 2026-11-20 is before receipt on 2026-11-24"), "{stderr}");
        assert!(stderr.contains("case 2026-B002 in the case system (cases.url): section \"人事股\" is not configured"), "{stderr}");
        assert!(stderr.contains("case 2026-B003 in the case system (cases.url): extending by 6 would bring the extensions to 16 working days; art. 20 allows at most 15"), "{stderr}");
        assert!(stderr.contains("3 case(s) could not be evaluated (named above); the other 3 are listed"), "{stderr}");

        // The text form, and `case show` / `case list` read the same source.
        s.duewatch(&["status", "--as-of", "2026-12-01"])
            .assert()
            .code(1)
            .stdout(contains("2026-A002    reply    ss       due 2026-12-09 remaining 6"));
        s.duewatch(&["case", "show", "2026-A002", "--as-of", "2026-12-01"])
            .assert()
            .success()
            .stdout(contains("reply (ss): running, due 2026-12-09"));
        let all = s.duewatch(&["case", "list", "--as-of", "2026-12-01"]).output().expect("runs");
        let all = String::from_utf8(all.stdout).expect("UTF-8");
        assert!(all.contains("2026-A004") && all.contains("2026-A005"), "case list shows finished cases too: {all}");

        // A calendar edit previewed on the case system's cases (the daemon's reload notice
        // reads them the same way): a closure on Thu 12-03 moves 2026-A002's reply deadline.
        let candidate = s.dir.path().join("local.toml");
        std::fs::write(&candidate, "[[closures]]\ndates = \"2026-12-03\"\nreason = \"台风停工\"\n")
            .expect("writing the candidate");
        s.duewatch(&["calendar", "diff", candidate.to_str().expect("UTF-8"), "--as-of", "2026-12-01"])
            .assert()
            .success()
            .stdout(contains("2026-A002 reply: 2026-12-09 -> 2026-12-10"))
            .stdout(contains("1 open case(s) would have a different deadline"));

        assert_eq!(cs.fingerprint(), before, "the case system is never written");
    };

    more_cases_than_one_batch_are_each_read_once_with_their_own_extensions => |system| {
        let cs = CaseSystem::new(system);
        let s = setup(&cs);
        let p = &cs.prefix;
        let keshi = if system == System::Postgres { "\"承办科室\"" } else { "`承办科室`" };
        // 4,500 more open cases, forwarded Tue 11-24 to ss; every 500th extended by 3 days:
        // three batches of 2,000, the extensions spread over all of them.
        let (numbers, reference) = match system {
            System::Postgres => ("generate_series(1, 4500) AS n", "'2026-C' || lpad(n::text, 5, '0')"),
            System::MariaDb => ("(SELECT seq AS n FROM seq_1_to_4500) AS g", "CONCAT('2026-C', LPAD(n, 5, '0'))"),
        };
        cs.exec(&[
            &format!(
                "INSERT INTO {p}shenqing (id, bianhao, shoudao_riqi, zhuanban_riqi, {keshi}) \
                 SELECT 1000 + n, {reference}, '2026-11-23', '2026-11-24', 'ss' FROM {numbers}"
            ),
            &format!(
                "INSERT INTO {p}yanqi SELECT 1000 + n, 1000 + n, 3, '2026-11-25', '局长', NULL \
                 FROM {numbers} WHERE n % 500 = 0"
            ),
        ]);
        let (rows, stderr, _) = status_json(&s, "2026-12-01");
        assert_eq!(rows.len(), 3 + 4500, "{stderr}");
        let refs: Vec<&str> = rows.iter().filter_map(|r| r["reference"].as_str()).collect();
        let mut sorted = refs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, refs, "each case once, in reference order");
        let due = |d: &str| rows.iter().filter(|r| r["due"] == d).count();
        // 10 working days after Tue 11-24: 12-08; with 3 more: 12-11.
        assert_eq!(due("2026-12-11"), 9, "the extended cases");
        assert_eq!(due("2026-12-08"), 4500 - 9);
        assert_eq!(stderr.matches("in the case system (cases.url)").count(), 3, "{stderr}");

        // A query that returns one reference twice, on the last row of the first batch (six
        // A and B cases and 2026-C00001..C01994 make 2,000) and the first of the next: that
        // case is refused as a whole, not half read.
        let config = std::fs::read_to_string(s.config()).expect("the config");
        let doubled = format!(
            "SELECT * FROM {p}v_cases UNION ALL SELECT * FROM {p}v_cases WHERE reference = '2026-C01994'"
        );
        s.write_config(&config.replace(&format!("SELECT * FROM {p}v_cases"), &doubled));
        let (rows, stderr, _) = status_json(&s, "2026-12-01");
        assert_eq!(rows.len(), 3 + 4500 - 1, "{stderr}");
        assert!(rows.iter().all(|r| r["reference"] != "2026-C01994"));
        assert!(
            stderr.contains("case 2026-C01994 in the case system (cases.url): the reference is on more than one row"),
            "{stderr}"
        );
    };

    config_check_names_each_missing_or_mistyped_column_and_its_key => |system| {
        let cs = CaseSystem::new(system);
        let s = setup(&cs);
        s.duewatch(&["config", "check"])
            .assert()
            .success()
            .stdout(contains("ok: cases.cases_query runs on"))
            .stdout(contains("returns reference, received_on, forwarded_on, section, replied_on, closed_on, subject"))
            .stdout(contains("ok: cases.suspensions_query runs on"));

        let p = &cs.prefix;
        let text = if system == System::Postgres { "TEXT" } else { "CHAR" };
        // received_on as text, closed_on left out; an extensions query naming no days.
        let broken = format!(
            "[cases]\nsource = \"sql\"\nurl = \"{}\"\n\
             cases_query = \"SELECT reference, CAST(received_on AS {text}) AS received_on, forwarded_on, section, replied_on FROM {p}v_cases\"\n\
             extensions_query = \"SELECT reference, approved_on, approved_by FROM {p}v_extensions\"\n\
             suspensions_query = \"SELECT * FROM {p}no_such_view\"\n",
            cs.reader_url
        );
        let config = std::fs::read_to_string(s.config()).expect("the config");
        let without = config.split("[cases]").next().expect("the part before [cases]").to_owned();
        s.write_config(&format!("{without}{broken}"));
        let out = s.duewatch(&["config", "check"]).output().expect("runs");
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8(out.stderr).expect("UTF-8");
        assert!(stderr.contains("cases.cases_query: column received_on is"), "{stderr}");
        assert!(stderr.contains("but it must be a date (DATE)"), "{stderr}");
        assert!(stderr.contains("cases.cases_query: column closed_on is missing"), "{stderr}");
        assert!(stderr.contains("cases.extensions_query: column days is missing"), "{stderr}");
        assert!(stderr.contains("cases.suspensions_query: the case system refuses the query"), "{stderr}");
        assert!(!stderr.contains("not-so-secret"), "the password is masked: {stderr}");
        // The same check stops a start.
        s.duewatch(&["run", "--once", "--now", "2026-12-01T09:00"])
            .assert()
            .code(1)
            .stderr(contains("cases.cases_query: column closed_on is missing"));
    };

    a_bad_row_is_reported_to_the_admins_once_and_again_when_its_problem_changes => |system| {
        let cs = CaseSystem::new(system);
        let server = SmtpServer::start();
        let s = setup(&cs);
        s.append_config(&format!(
            "[mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\nadmins = [\"{ADMIN}\"]\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 2\n",
            server.port
        ));
        let before = cs.fingerprint();
        let run = |now: &str| {
            let out = s.duewatch(&["run", "--once", "--now", now])
                .timeout(Duration::from_secs(60))
                .output()
                .expect("runs");
            String::from_utf8(out.stdout).expect("UTF-8")
        };
        let first = run("2026-12-01T09:00");
        assert!(first.contains("6 open case(s) read, 3 could not be evaluated"), "{first}");
        let admin = server.to(ADMIN);
        assert_eq!(admin.len(), 1, "one report listing the bad rows");
        assert_eq!(admin[0].subject(), "【duewatch】案件系统中 3 件申请的记录有误，duewatch 未能监控，请在案件系统中更正");
        let text = admin[0].text();
        assert!(text.contains("2026-B001：forwarding on 2026-11-20 is before receipt on 2026-11-24"), "{text}");
        assert!(text.contains("2026-B002：section \"人事股\" is not configured"), "{text}");
        assert!(text.contains("2026-B003：extending by 6"), "{text}");
        // The good cases are watched as usual: the overdue forward stage reaches the office.
        let office = server.to("office@bureau.example");
        assert_eq!(office.len(), 1, "{first}");
        assert!(office[0].text().replace("\r\n", "\n").contains("编号：2026-A001\n  申请内容：养老保险缴费记录\n"), "{}", office[0].text());

        run("2026-12-01T09:30");
        assert_eq!(server.to(ADMIN).len(), 1, "not reported again on the next poll");
        assert_eq!(cs.fingerprint(), before, "duewatch's passes never write to the case system");

        // The office corrects nothing but mistypes the section again: a new problem, told once.
        let p = &cs.prefix;
        let keshi = if system == System::Postgres { "\"承办科室\"" } else { "`承办科室`" };
        cs.exec(&[&format!("UPDATE {p}shenqing SET {keshi} = '劳动股' WHERE id = 12")]);
        let corrected = cs.fingerprint();
        run("2026-12-01T10:00");
        let admin = server.to(ADMIN);
        assert_eq!(admin.len(), 2, "the changed problem is reported");
        let text = admin[1].text();
        assert!(text.contains("2026-B002：section \"劳动股\" is not configured"), "{text}");
        assert!(!text.contains("2026-B001"), "the unchanged problems are not repeated: {text}");
        run("2026-12-01T10:30");
        assert_eq!(server.to(ADMIN).len(), 2);
        assert_eq!(cs.fingerprint(), corrected, "duewatch's passes never write to the case system");
    };
}

#[test]
fn write_commands_refuse_and_config_show_masks_the_password_of_cases_url() {
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(
        "[cases]\nsource = \"sql\"\nurl = \"postgres://reader:s3cret@db.bureau.example/oa\"\n\
         cases_query = \"SELECT * FROM v_cases\"\n",
    );
    for args in [
        &[
            "case",
            "add",
            "--ref",
            "2026-0001",
            "--received",
            "2026-11-23",
        ][..],
        &[
            "case",
            "forward",
            "2026-0001",
            "--section",
            "ss",
            "--on",
            "2026-11-24",
        ][..],
        &["case", "reply", "2026-0001", "--on", "2026-11-30"][..],
    ] {
        s.duewatch(args)
            .assert()
            .code(1)
            .stderr(contains(
                "cases are read from the case system at cases.url (postgres://reader:***@db.bureau.example/oa); change them there",
            ))
            .stderr(contains("s3cret").not());
    }
    s.duewatch(&["config", "show"])
        .assert()
        .success()
        .stdout(contains(
            "url = \"postgres://reader:***@db.bureau.example/oa\"",
        ))
        .stdout(contains("s3cret").not());
}

#[test]
fn a_sql_source_without_a_cases_query_or_with_an_unknown_scheme_is_refused_at_the_key() {
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config("[cases]\nsource = \"sql\"\nurl = \"postgres://127.0.0.1/oa\"\n");
    s.duewatch(&["config", "check"])
        .assert()
        .code(1)
        .stderr(contains("cases.cases_query is empty"));
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config(
        "[cases]\nsource = \"sql\"\nurl = \"oracle://u:pw@host/oa\"\ncases_query = \"SELECT 1\"\n",
    );
    s.duewatch(&["config", "check"])
        .assert()
        .code(1)
        .stderr(contains(
            "cases.url: \"oracle://u:***@host/oa\" is neither postgres:// nor mysql://",
        ));
    let s = Setup::with_store(Backend::Sqlite);
    s.append_config("[cases]\ncases_query = \"SELECT * FROM v_cases\"\n");
    s.duewatch(&["config", "check"])
        .assert()
        .code(1)
        .stderr(contains(
            "cases.cases_query is set, but cases.source = \"builtin\" does not use it",
        ));
}

/// `GET path` from the daemon's listener; the body, or `None` while it does not answer.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
}

#[test]
fn the_daemon_watches_the_case_system_reports_bad_rows_once_and_counts_them_in_metrics() {
    let cs = CaseSystem::new(System::Postgres);
    let server = SmtpServer::start();
    let s = setup(&cs);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    s.append_config(&format!(
        "[window]\nfrom = \"00:00\"\nto = \"23:59\"\nevery_day = true\n\
         [schedule]\npoll = \"*/2 * * * * *\"\n[daemon]\nshutdown_grace_secs = 5\n\
         [http]\nlisten = \"127.0.0.1:{port}\"\n\
         [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\nadmins = [\"{ADMIN}\"]\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 2\n",
        server.port
    ));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_duewatch"))
        .env_clear()
        .arg("--config")
        .arg(s.config())
        .arg("run")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("duewatch run starts");
    let start = std::time::Instant::now();
    let mut metrics = String::new();
    while !metrics.contains("duewatch_unreadable_cases 3") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no poll counted the bad rows within 30 s:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(200));
        metrics = http_get(port, "/metrics").unwrap_or_default();
    }
    // More polls (every 2 s) read the same bad rows; they are reported once.
    std::thread::sleep(Duration::from_secs(5));
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let status = child.wait().expect("duewatch stops");
    assert!(status.success(), "exit 0 on SIGTERM: {status:?}");
    let admin = server.to(ADMIN);
    assert_eq!(admin.len(), 1, "one report over several polls");
    assert!(
        admin[0].text().contains("2026-B003：extending by 6"),
        "{}",
        admin[0].text()
    );
    assert!(
        metrics.contains("duewatch_open_cases{state=\"suspended\",responsible=\"zc\"} 1"),
        "the good cases are counted as usual:\n{metrics}"
    );
}

on_both_case_systems! {
    a_case_systems_text_with_line_breaks_and_control_characters_is_mended_and_the_case_watched => |system| {
        let cs = CaseSystem::new(system);
        let s = setup(&cs);
        let p = &cs.prefix;
        // A subject typed into the case system's text area (line breaks), pasted with a
        // terminal escape and a bidi override; and a bad row whose section carries an escape.
        let (esc, rlo) = match system {
            System::Postgres => ("chr(27)", "chr(8238)"),
            System::MariaDb => ("char(27 USING utf8mb4)", "char(0xE280AE USING utf8mb4)"),
        };
        let nl = match system {
            System::Postgres => "chr(13) || chr(10)",
            System::MariaDb => "char(13, 10 USING utf8mb4)",
        };
        let concat = |parts: &[&str]| match system {
            System::Postgres => parts.join(" || "),
            System::MariaDb => format!("concat({})", parts.join(", ")),
        };
        cs.exec(&[
            &format!(
                "INSERT INTO {p}shenqing VALUES (21, '2026-C001', {}, '2026-11-23', NULL, NULL, NULL, NULL)",
                concat(&["'养老保险'", nl, "'答复期限：2027-01-01'", esc, "'[2J'", rlo, "'x'"])
            ),
            &format!(
                "INSERT INTO {p}shenqing VALUES (22, '2026-C002', 'y', '2026-11-16', '2026-11-18', {}, NULL, NULL)",
                concat(&["'人事股'", esc, "'[31m'"])
            ),
        ]);
        let (rows, stderr, code) = status_json(&s, "2026-12-01");
        assert_eq!(code, Some(1), "bad rows are named: {stderr}");
        let refs: Vec<&str> = rows.iter().map(|r| r["reference"].as_str().expect("a reference")).collect();
        assert!(refs.contains(&"2026-C001"), "the case with odd text is watched: {refs:?} {stderr}");
        assert!(!stderr.contains('\u{1b}'), "no raw escape reaches the terminal: {stderr:?}");
        assert!(stderr.contains("case 2026-C002") && stderr.contains("\\u{1b}[31m"), "{stderr}");
        let shown = s
            .duewatch(&["case", "show", "2026-C001", "--as-of", "2026-12-01"])
            .timeout(Duration::from_secs(60))
            .output()
            .expect("duewatch runs");
        let stdout = String::from_utf8(shown.stdout).expect("UTF-8");
        assert!(
            stdout.starts_with("case 2026-C001  养老保险 答复期限：2027-01-01\u{FFFD}[2J\u{FFFD}x\n"),
            "the subject is one line, its control characters shown as U+FFFD: {stdout:?}"
        );
    };
}

#[test]
fn a_case_system_row_that_cannot_be_counted_is_named_reported_once_counted_and_turns_health_red() {
    let cs = CaseSystem::new(System::Postgres);
    let p = cs.prefix.clone();
    // Received 2100-01-01 (outside the calendar) and 2099-12-31 (its deadline falls past it).
    cs.exec(&[&format!(
        "INSERT INTO {p}shenqing VALUES \
         (21, '2026-C001', '收到日期超出范围', '2100-01-01', NULL, NULL, NULL, NULL), \
         (22, '2026-C002', '期限超出范围', '2099-12-31', NULL, NULL, NULL, NULL)"
    )]);
    let server = SmtpServer::start();
    let s = setup(&cs);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    s.append_config(&format!(
        "[window]\nfrom = \"00:00\"\nto = \"23:59\"\nevery_day = true\n\
         [schedule]\npoll = \"*/2 * * * * *\"\n[daemon]\nshutdown_grace_secs = 5\n\
         [http]\nlisten = \"127.0.0.1:{port}\"\n\
         [mail]\ntransport = \"smtp\"\nfrom = \"duewatch <duewatch@bureau.example>\"\nadmins = [\"{ADMIN}\"]\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 2\n",
        server.port
    ));

    // The dry run names every case it could not watch, and the others are still worked out.
    let dry = s
        .duewatch(&["run", "--once", "--dry-run", "--now", "2026-12-01T09:00"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let dry = String::from_utf8(dry).expect("UTF-8");
    for words in [
        "not watched: case 2026-C001: its deadlines cannot be counted: 2100-01-01 is outside the dates duewatch counts on",
        "not watched: case 2026-C002: its deadlines cannot be counted: 5 working days after 2099-12-31 fall after 2099-12-31",
        "not watched: case 2026-B003:",
        "5 case(s) could not be read or evaluated (named above)",
        "2026-A001",
    ] {
        assert!(dry.contains(words), "{words:?} not in\n{dry}");
    }

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_duewatch"))
        .env_clear()
        .arg("--config")
        .arg(s.config())
        .arg("run")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("duewatch run starts");
    let start = std::time::Instant::now();
    let mut metrics = String::new();
    while !(metrics.contains("duewatch_unreadable_cases 5")
        && metrics.contains("duewatch_uncountable_cases 2"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no poll counted the cases within 30 s:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(200));
        metrics = http_get(port, "/metrics").unwrap_or_default();
    }
    // `health` reads the latest poll from the database: not green while cases go unwatched.
    let health = s.duewatch(&["health"]).output().expect("health runs");
    let said = String::from_utf8_lossy(&health.stderr).into_owned();
    assert_eq!(health.status.code(), Some(1), "{said}");
    assert!(
        said.contains("5 open case(s) could not be read or evaluated at the last poll"),
        "{said}"
    );
    // More polls read the same cases; each problem is reported once.
    std::thread::sleep(Duration::from_secs(5));
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    assert!(child.wait().expect("duewatch stops").success());
    let admin = server.to(ADMIN);
    assert_eq!(
        admin.len(),
        2,
        "the bad rows and the uncountable cases, each once"
    );
    let uncountable = admin
        .iter()
        .find(|m| m.text().contains("期限无法计算"))
        .expect("a report of the cases that cannot be counted");
    let text = uncountable.text();
    assert!(text.contains("2 件申请的期限无法计算"), "{text}");
    assert!(
        text.contains("2026-C001：2100-01-01 is outside the dates"),
        "{text}"
    );
    assert!(
        text.contains("2026-C002：5 working days after 2099-12-31 fall after 2099-12-31"),
        "{text}"
    );
    assert!(!text.contains("2026-A001"), "{text}");

    // A poll outside the sending window reads no case: health and /metrics keep what the last
    // poll that counted found, they do not turn green overnight. The window is moved (by the
    // environment) to a half hour twelve hours away, in the config's Asia/Shanghai.
    std::thread::sleep(Duration::from_secs(3));
    let local = chrono::Utc::now() + chrono::Duration::hours(8);
    let hour = (chrono::Timelike::hour(&local) + 12) % 24;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_duewatch"))
        .env_clear()
        .env("DUEWATCH__WINDOW__FROM", format!("{hour:02}:00"))
        .env("DUEWATCH__WINDOW__TO", format!("{hour:02}:30"))
        .arg("--config")
        .arg(s.config())
        .arg("run")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("duewatch run starts");
    let start = std::time::Instant::now();
    let polled_now = |metrics: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("duewatch_last_success_age_seconds "))
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|age| (0.0..2.5).contains(&age))
    };
    let mut metrics = String::new();
    while !polled_now(&metrics) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no poll outside the window within 30 s:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(200));
        metrics = http_get(port, "/metrics").unwrap_or_default();
    }
    std::thread::sleep(Duration::from_secs(3));
    let metrics = http_get(port, "/metrics").unwrap_or_default();
    let health = s.duewatch(&["health"]).output().expect("health runs");
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    assert!(child.wait().expect("duewatch stops").success());
    let said = String::from_utf8_lossy(&health.stderr).into_owned();
    assert_eq!(health.status.code(), Some(1), "{said}");
    assert!(
        said.contains("5 open case(s) could not be read or evaluated at the last poll"),
        "{said}"
    );
    for words in [
        "duewatch_unreadable_cases 5",
        "duewatch_uncountable_cases 2",
    ] {
        assert!(metrics.contains(words), "{words:?} not in\n{metrics}");
    }
}

on_both_case_systems! {
    a_case_system_s_returns_are_read_and_the_reply_starts_afresh_at_the_new_section => |system| {
        let cs = CaseSystem::new(system);
        let p = cs.prefix.clone();
        let int = if system == System::Postgres { "INTEGER" } else { "INT" };
        // 退回: the system's own table of returns, and the administrator's view onto the
        // contract's optional `returns` query.
        cs.exec(&[
            &format!(
                "CREATE TABLE {p}tuihui (id {int} PRIMARY KEY, shenqing_id {int} NOT NULL, \
                 tuihui_riqi DATE NOT NULL, keshi VARCHAR(50) NOT NULL, zhuanban_riqi DATE NOT NULL, \
                 liyou VARCHAR(200))"
            ),
            &format!(
                "CREATE VIEW {p}v_returns AS SELECT s.bianhao AS reference, t.tuihui_riqi AS returned_on, \
                 t.keshi AS section, t.zhuanban_riqi AS forwarded_on, t.liyou AS reason \
                 FROM {p}tuihui t JOIN {p}shenqing s ON s.id = t.shenqing_id"
            ),
            // Received Mon Nov 2, forwarded to 社会保险股 Wed Nov 4, given back Fri Nov 6,
            // forwarded again to zc Tue Nov 10; the other given back by a section not configured.
            &format!(
                "INSERT INTO {p}shenqing VALUES \
                 (31, '2026-R001', '退回改派', '2026-11-02', '2026-11-10', 'zc', NULL, NULL), \
                 (32, '2026-R002', '退回股室未配置', '2026-11-02', '2026-11-10', 'zc', NULL, NULL)"
            ),
            &format!(
                "INSERT INTO {p}tuihui VALUES \
                 (1, 31, '2026-11-06', '社会保险股', '2026-11-04', '非本股室职责'), \
                 (2, 32, '2026-11-06', '人事股', '2026-11-04', NULL)"
            ),
        ]);
        if let Some((_, role)) = &cs.postgres {
            cs.exec(&[&format!("GRANT SELECT ON {p}v_returns TO {role}")]);
        }
        let s = setup(&cs);
        s.append_config(&format!("returns_query = \"SELECT * FROM {p}v_returns\"\n"));
        let (rows, stderr, _) = status_json(&s, "2026-11-11");
        let row = rows.iter().find(|r| r["reference"] == "2026-R001").expect("2026-R001 is listed");
        // zc's 10 working days after Nov 10 end Tue Nov 24 (Nov 11–13, 16–20, 23, 24); the
        // law's 20 after Nov 2 Mon Nov 30, whoever held the case.
        assert_eq!((row["stage"].as_str(), row["responsible"].as_str()), (Some("reply"), Some("zc")), "{row}");
        assert_eq!((row["due"].as_str(), row["statutory_due"].as_str()), (Some("2026-11-24"), Some("2026-11-30")), "{row}");
        assert!(rows.iter().all(|r| r["reference"] != "2026-R002"), "not watched: {rows:?}");
        assert!(stderr.contains("2026-R002") && stderr.contains("returns: section \"人事股\" is not configured"), "{stderr}");
        let shown = s.duewatch(&["case", "show", "2026-R001", "--as-of", "2026-11-11", "--json"]).output().expect("case show");
        let shown: Value = serde_json::from_slice(&shown.stdout).expect("JSON");
        assert_eq!(shown["case"]["returns"][0]["section"], "ss", "{shown}");
        assert_eq!(shown["case"]["returns"][0]["reason"], "非本股室职责", "{shown}");
    };
    the_view_contracts_optional_outcome_and_applicant_fill_the_annual_table => |system| {
        let cs = CaseSystem::new(system);
        let p = cs.prefix.clone();
        let keshi = match system {
            System::Postgres => "\"承办科室\"",
            System::MariaDb => "`承办科室`",
        };
        // The case system keeps the result and the applicant's kind in its own words; the view
        // maps them to the contract's optional columns. The bad rows of the made-up system are
        // left out here (their own tests name them).
        cs.exec(&[
            &format!("DELETE FROM {p}yanqi WHERE shenqing_id > 10"),
            &format!("DELETE FROM {p}shenqing WHERE id > 10"),
            &format!("ALTER TABLE {p}shenqing ADD COLUMN jieguo VARCHAR(50), ADD COLUMN shenqingren VARCHAR(20)"),
            // Replaced, not dropped: the reader's grant on the view stays (PostgreSQL allows new
            // columns at the end).
            &format!(
                "CREATE OR REPLACE VIEW {p}v_cases AS SELECT s.bianhao AS reference, s.shixiang AS subject, \
                 s.shoudao_riqi AS received_on, s.zhuanban_riqi AS forwarded_on, \
                 s.{keshi} AS section, s.dafu_riqi AS replied_on, s.zhongjie_riqi AS closed_on, \
                 s.jieguo AS outcome, s.shenqingren AS applicant FROM {p}shenqing s"
            ),
            // A001 open with a draft result (not counted until answered), A002 and A003 open,
            // A004 answered and disclosed, A005 closed (withdrawn: 其他).
            &format!("UPDATE {p}shenqing SET jieguo = '予以公开', shenqingren = '科研机构' WHERE id = 1"),
            &format!("UPDATE {p}shenqing SET shenqingren = '自然人' WHERE id IN (2, 3)"),
            &format!("UPDATE {p}shenqing SET jieguo = 'disclosed', shenqingren = 'natural_person' WHERE id = 4"),
            &format!("UPDATE {p}shenqing SET jieguo = '其他处理：其他', shenqingren = '商业企业' WHERE id = 5"),
        ]);
        let s = setup(&cs);
        let out = s
            .duewatch(&["report", "annual", "2026", "--format", "csv"])
            .timeout(Duration::from_secs(60))
            .output()
            .expect("duewatch runs");
        let stderr = String::from_utf8(out.stderr).expect("UTF-8");
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let rows = crate::annual::read_csv(&out.stdout);
        let row = |label: &str| rows.iter().find(|(l, _)| l == label).and_then(|(_, f)| *f).expect(label);
        // By hand, 2026: received A002, A003, A004 自然人, A005 商业企业, A001 科研机构; answered
        // A004 (予以公开, 自然人), closed A005 (其他, 商业企业); open at the end A001, A002, A003.
        assert_eq!(row("一、本年新收政府信息公开申请数量"), [3, 1, 1, 0, 0, 0, 5]);
        assert_eq!(row("（一）予以公开"), [1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(row("3.其他"), [0, 1, 0, 0, 0, 0, 1]);
        assert_eq!(row("（七）总计"), [1, 1, 0, 0, 0, 0, 2]);
        assert_eq!(row("四、结转下年度继续办理"), [2, 0, 1, 0, 0, 0, 3]);
        // An unknown category is a bad row, named with the column.
        cs.exec(&[&format!("UPDATE {p}shenqing SET shenqingren = '张三' WHERE id = 2")]);
        let out = s
            .duewatch(&["report", "annual", "2026"])
            .timeout(Duration::from_secs(60))
            .output()
            .expect("duewatch runs");
        let stderr = String::from_utf8(out.stderr).expect("UTF-8");
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("case 2026-A002 in the case system (cases.url): applicant: \"张三\" is not an applicant category"), "{stderr}");
    };
}
