//! The words of the Regulations' clock ([`super`]): its summary, faults and reminders in
//! English (`Display`: the command line, the JSON's readers) and in Chinese (`zh`: the console
//! and the digests). Only text here; what is counted is in `statutory.rs`.

use std::fmt;

use super::super::State;
use super::{Fault, LawReminder, LawReminderKind, Statutory};

impl Fault {
    /// In Chinese, for the console and the digests.
    pub fn zh(&self) -> String {
        match self {
            Fault::RulebookPastStatutory {
                rulebook_due: Some(r),
                statutory_due,
            } => format!(
                "按本局制度的期限 {r} 晚于《条例》法定期限 {statutory_due}：应在法定期限内答复（条例第三十三条）"
            ),
            Fault::RulebookPastStatutory {
                rulebook_due: None,
                statutory_due,
            } => format!(
                "本局制度的期限已中止，但《条例》法定期限不因此中止，仍于 {statutory_due} 届满（条例第三十三条）"
            ),
            Fault::ExtensionNoticeLate {
                approved_on,
                period_end,
                notice_on,
            } => format!(
                "{approved_on} 批准的延期，书面告知{}晚于其所延长的法定期限（{period_end}）届满：程序瑕疵（条例第三十三条）",
                notice_on.map_or("未登记，".to_owned(), |n| format!("于 {n} 登记，"))
            ),
            Fault::CorrectionAskedLate { asked_on, due } => {
                format!("{asked_on} 才告知补正，晚于收到申请后 7 个工作日（{due}）（条例第三十条）")
            }
            Fault::ExtensionsPastTheLaw { total, max } => format!(
                "延期共 {total} 个工作日，超过《条例》允许的 {max} 个工作日（条例第三十三条）"
            ),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Regulations art. 33
            Fault::RulebookPastStatutory {
                rulebook_due: Some(r),
                statutory_due,
            } => write!(
                f,
                "the rulebook's deadline {r} falls after the statutory one {statutory_due}: \
                 answer by {statutory_due} (Regulations art. 33)"
            ),
            Fault::RulebookPastStatutory {
                rulebook_due: None,
                statutory_due,
            } => write!(
                f,
                "the rulebook's clock is suspended, but the Regulations' runs on (only a \
                 correction or a consultation stops it): due by law {statutory_due} \
                 (Regulations art. 33)"
            ),
            // Regulations art. 33
            Fault::ExtensionNoticeLate {
                approved_on,
                period_end,
                notice_on,
            } => write!(
                f,
                "the written notice of the extension approved {approved_on} was {} the period \
                 it extends ran out on {period_end}: a procedural fault (Regulations art. 33)",
                notice_on.map_or("not recorded before".to_owned(), |n| format!(
                    "recorded {n}, after"
                ))
            ),
            // Regulations art. 30
            Fault::CorrectionAskedLate { asked_on, due } => write!(
                f,
                "the correction was asked for on {asked_on}, after the last day to ask, \
                 {due} (Regulations art. 30)"
            ),
            // Regulations art. 33
            Fault::ExtensionsPastTheLaw { total, max } => write!(
                f,
                "the extensions add up to {total} working days; the Regulations allow at most \
                 {max} (law.max_extension; Regulations art. 33)"
            ),
        }
    }
}

impl LawReminder {
    /// In Chinese, for the console and the digests.
    pub fn zh(&self) -> String {
        match self.kind {
            LawReminderKind::CorrectionNotice => format!(
                "{} 收到申请，需补正的应于 {} 前一次性告知申请人（条例第三十条），尚未登记书面告知",
                self.event_on, self.due
            ),
            LawReminderKind::ThirdPartyAnswer => format!(
                "{} 起征求第三方意见，第三方应于 {} 前答复（条例第三十二条）；逾期未答复的，由本机关依法决定并恢复计算",
                self.event_on, self.due
            ),
        }
    }
}

impl fmt::Display for LawReminder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.missing { "MISSING" } else { "pending" };
        match self.kind {
            // Regulations art. 30
            LawReminderKind::CorrectionNotice => write!(
                f,
                "correction notice (Regulations art. 30) for the receipt of {}: {state} (due {})",
                self.event_on, self.due
            ),
            // Regulations art. 32
            LawReminderKind::ThirdPartyAnswer => write!(
                f,
                "third party consulted from {} (Regulations art. 32): its answer {} (due {})",
                self.event_on,
                if self.missing {
                    "is overdue: decide and resume"
                } else {
                    "pending"
                },
                self.due
            ),
        }
    }
}

impl Statutory {
    /// One line: where the period started, its length, the deadline, the verdict.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "by the Regulations (art. 33): {} working days from {}",
            self.within, self.start
        );
        if self.extended > 0 {
            s.push_str(&format!(" + {} extended", self.extended));
        }
        match (self.due, self.state) {
            (None, _) => s.push_str(": stopped (a correction or a consultation), no due for now"),
            (Some(due), State::DoneOnTime) => s.push_str(&format!(", due {due}: answered on time")),
            (Some(due), State::DoneLate { by }) => s.push_str(&format!(
                ", due {due}: answered late by {by} working day(s)"
            )),
            (Some(due), _) => {
                s.push_str(&format!(", due {due}"));
                if let Some(by) = self.overdue_by {
                    s.push_str(&format!(", overdue by {by} working day(s)"));
                } else if let Some(r) = self.remaining {
                    s.push_str(&format!(", {r} working day(s) left"));
                }
            }
        }
        if self.provisional {
            s.push_str(", provisional");
        }
        s
    }

    /// [`Statutory::summary`] in Chinese, for the console.
    pub fn summary_zh(&self) -> String {
        let mut s = format!(
            "《条例》第三十三条：{} 之后 {} 个工作日",
            self.start, self.within
        );
        if self.extended > 0 {
            s.push_str(&format!(" + 延期 {} 个工作日", self.extended));
        }
        match (self.due, self.state) {
            (None, _) => s.push_str("；补正或征求意见期间，暂无期限"),
            (Some(due), State::DoneOnTime) => s.push_str(&format!("，法定期限 {due}：按期答复")),
            (Some(due), State::DoneLate { by }) => {
                s.push_str(&format!("，法定期限 {due}：逾期 {by} 个工作日答复"));
            }
            (Some(due), _) => {
                s.push_str(&format!("，法定期限 {due}"));
                if let Some(by) = self.overdue_by {
                    s.push_str(&format!("，已逾期 {by} 个工作日"));
                } else if let Some(r) = self.remaining {
                    s.push_str(&format!("，尚余 {r} 个工作日"));
                }
            }
        }
        if self.provisional {
            s.push_str("（节假日安排未载入，仅供参考）");
        }
        s
    }
}
