//! Every kind of explanation line in both languages: the English exactly as the command line
//! has always printed it, and the Chinese the console shows.

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn granted(days: u32, on: &str, by: &str) -> Granted {
    Granted {
        days,
        approved_on: d(on),
        approved_by: by.to_owned(),
    }
}

/// (name, step, English, Chinese).
fn table() -> Vec<(&'static str, Step, &'static str, &'static str)> {
    vec![
        (
            "a receipt on a working day does not count itself",
            Step::Received {
                on: d("2026-10-23"),
            },
            "received 2026-10-23 (Fri); day 1 is the next working day",
            "2026-10-23（周五）收到；次一工作日为第 1 日",
        ),
        (
            "a receipt on a public holiday names the holiday",
            Step::ReceivedOnRestDay {
                on: d("2026-10-01"),
                kind: DayOf::Holiday("国庆节".to_owned()),
            },
            "received 2026-10-01 (Thu, a rest day: public holiday: 国庆节); counting is strict, \
             so day 1 is the next working day",
            "2026-10-01（周四，休息日：国庆节）收到；严格计算，次一工作日为第 1 日",
        ),
        (
            "a receipt on a weekend moved to the next working day names it",
            Step::ReceivedOnRestDayMoved {
                on: d("2026-11-29"),
                kind: DayOf::Weekend,
                next: d("2026-11-30"),
            },
            "received 2026-11-29 (Sun, a rest day: weekend); counted as received on the next \
             working day 2026-11-30, so day 1 is the one after (rules.rest_day_receipt)",
            "2026-11-29（周日，休息日：周末）收到；视为次一工作日 2026-11-30 收到，其后一日为\
             第 1 日（rules.rest_day_receipt）",
        ),
        (
            "a receipt on a local closure gives its reason",
            Step::ReceivedOnRestDay {
                on: d("2026-06-01"),
                kind: DayOf::LocalClosure("搬迁".to_owned()),
            },
            "received 2026-06-01 (Mon, a rest day: local closure: 搬迁); counting is strict, so \
             day 1 is the next working day",
            "2026-06-01（周一，休息日：本单位停止办公（搬迁））收到；严格计算，次一工作日为第 1 日",
        ),
        (
            "the office's period cites article 19",
            Step::ForwardWithin { days: 5 },
            "forward within 5 working days (art. 19)",
            "5 个工作日内转办（第十九条）",
        ),
        (
            "forwarding names the section",
            Step::Forwarded {
                on: d("2026-11-03"),
                section: SectionCode::parse("zc").unwrap(),
            },
            "forwarded 2026-11-03 (Tue) to zc; day 1 is the next working day",
            "2026-11-03（周二）转办至 zc；次一工作日为第 1 日",
        ),
        (
            "the section's period without extensions cites article 19 only",
            Step::ReplyWithin {
                days: 10,
                extended: 0,
                extensions: Vec::new(),
            },
            "reply within 10 working days (art. 19)",
            "10 个工作日内答复（第十九条）",
        ),
        (
            "the section's period names each extension and who approved it",
            Step::ReplyWithin {
                days: 10,
                extended: 8,
                extensions: vec![
                    granted(5, "2026-11-10", "局长"),
                    granted(3, "2026-11-20", "副局长"),
                ],
            },
            "reply within 10 working days (art. 19) + 8 extended (art. 20: 5 approved \
             2026-11-10 by 局长; 3 approved 2026-11-20 by 副局长)",
            "10 个工作日内答复（第十九条），延长 8 个工作日（第二十条：2026-11-10 由局长批准延长 \
             5 个工作日；2026-11-20 由副局长批准延长 3 个工作日）",
        ),
        (
            "a late extension names the deadline that had passed",
            Step::LateExtension {
                approved_on: d("2026-11-20"),
                due_before: d("2026-11-16"),
            },
            "the extension approved 2026-11-20 came after the deadline it extends (2026-11-16) \
             had passed",
            "2026-11-20 批准的延期晚于其所延长的期限（2026-11-16）：批准时期限已过",
        ),
        (
            "an open suspension has no deadline",
            Step::SuspendedSince {
                from: d("2026-11-10"),
                reason: SuspensionReason::ThirdParty,
            },
            "suspended since 2026-11-10 (third_party, art. 21): no deadline until the clock \
             runs again",
            "自 2026-11-10 起中止（征求第三方意见，第二十一条）：恢复计算前没有期限",
        ),
        (
            "done while suspended is on time",
            Step::DoneWhileSuspended {
                on: d("2026-11-12"),
            },
            "done 2026-11-12, while suspended: on time",
            "2026-11-12 办结，时值中止期间：按期",
        ),
        (
            "skipped suspensions are listed with their reasons",
            Step::SuspendedSkipped {
                spans: vec![
                    Span {
                        from: d("2026-09-29"),
                        last: d("2026-10-08"),
                        reason: SuspensionReason::ForceMajeure,
                    },
                    Span {
                        from: d("2026-10-12"),
                        last: d("2026-10-12"),
                        reason: SuspensionReason::Correction,
                    },
                ],
            },
            "suspended working days skipped (art. 21): 2026-09-29..2026-10-08 (force_majeure), \
             2026-10-12..2026-10-12 (correction)",
            "中止期间的工作日不计（第二十一条）：2026-09-29 至 2026-10-08（不可抗力）、\
             2026-10-12 至 2026-10-12（补正）",
        ),
        (
            "the deadline is the n-th counted working day after the start",
            Step::Due {
                due: d("2026-10-30"),
                limit: 5,
                start: d("2026-10-23"),
            },
            "due 2026-10-30 (Fri): counted working day 5 after 2026-10-23",
            "期限 2026-10-30（周五）：2026-10-23 之后第 5 个工作日",
        ),
        (
            "a late suspension stops no clock",
            Step::LateSuspension {
                from: d("2026-11-20"),
                due: d("2026-11-17"),
            },
            "the suspension from 2026-11-20 came after the deadline (2026-11-17) had passed: \
             the clock cannot be stopped after it ran out (art. 21)",
            "2026-11-20 起的中止晚于期限（2026-11-17）届满：期限已过，不能再中止计算（第二十一条）",
        ),
        (
            "done on time",
            Step::DoneOnTime {
                on: d("2026-11-16"),
            },
            "done 2026-11-16: on time",
            "2026-11-16 办结：按期",
        ),
        (
            "done late names the working days",
            Step::DoneLate {
                on: d("2026-11-19"),
                by: 3,
            },
            "done 2026-11-19: late by 3 working day(s)",
            "2026-11-19 办结：逾期 3 个工作日",
        ),
    ]
}

#[test]
fn each_line_reads_as_it_always_has_in_english_and_as_a_sentence_in_chinese() {
    for (name, step, en, zh) in table() {
        assert_eq!(step.to_string(), en, "{name}: English");
        assert_eq!(step.zh(), zh, "{name}: Chinese");
        assert!(
            !step.zh().contains("working day"),
            "{name}: no English left"
        );
    }
}

#[test]
fn a_line_is_serialised_as_its_english_text() {
    let step = Step::ForwardWithin { days: 5 };
    assert_eq!(
        serde_json::to_string(&vec![step]).unwrap(),
        r#"["forward within 5 working days (art. 19)"]"#
    );
}

#[test]
fn every_kind_of_day_reads_as_the_calendar_says_it() {
    for kind in [
        DayKind::Weekday,
        DayKind::Weekend,
        DayKind::Holiday("国庆节"),
        DayKind::MakeUpWorkday("国庆节"),
        DayKind::LocalClosure("搬迁"),
        DayKind::LocalReopening("补班"),
    ] {
        assert_eq!(DayOf::from(kind).to_string(), kind.to_string());
    }
    assert_eq!(
        DayOf::MakeUpWorkday("国庆节".into()).zh(),
        "国庆节调休上班日"
    );
    assert_eq!(
        DayOf::LocalReopening("补班".into()).zh(),
        "本单位安排上班（补班）"
    );
}
