//! Who must hear about which case, and when (domain.md, "Escalation"): the policy, as
//! configuration, and the pure function that turns a case's standing into notification items.
//!
//! An item is one line of one recipient's digest. Its key, (case, stage, level, deadline,
//! recipient), is what the outbox records uniquely ([`crate::store::outbox`]): each level of a given
//! deadline is notified once; a changed deadline (an extension, a suspension) is a new key and
//! may be notified again. With `overdue_repeat = "daily"` an overdue item is also *repeated*:
//! every working day each recipient's digest lists all of their still-overdue lines again,
//! recorded once per recipient and day (not per line).
//!
//! Only a stage's current level is notified: a case that went from `reminder` to `overdue` while
//! duewatch was down gets the `overdue` mail, not a late reminder as well. The same holds on the
//! ladder (issue 17): of the reminder points (`escalation.reminder_at = [5, 2]`) only the point
//! reached is notified, each point once (key level `reminder:5`; the last point keeps the key
//! `reminder` that single-point configurations used), and of the overdue grades
//! (`[[escalation.grades]]`, `grades.rs`) only the grade reached (key level `overdue:CODE`;
//! below the first grade, or with none, plain `overdue`, as before grades existed).
//!
//! Beside the stages' lines: the written notices owed (arts. 20, 21), which are late once
//! missing and so say by how much and are repeated daily like overdue lines; and a suspension
//! still open past `rules.suspension_alert_after` working days (`long_suspension.rs`), told to
//! the office once per suspension and not repeated. The sending window
//! ([`Window`]) is checked by the caller: outside it nothing is worked out, so what falls due
//! then is found by the first run inside it.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::case::{Case, NoticeKind};
use crate::domain::deadline::{CaseStatus, Level, Responsible, Stage, StageStatus};
use crate::domain::parties::Parties;

pub use grades::{Grade, GradeCode, GradeRank, grade_for, problem as grades_problem};
pub use item::{Item, ItemLevel, Line, LineKey, Sink, key_hash};
pub use names::level_key_name;
pub use sample::sample_items;
pub use window::Window;

mod grades;
mod item;
mod long_suspension;
mod names;
mod sample;
mod window;

mod channels;
mod law;

/// `[escalation]`: the levels' recipients. Its key `reminder_at` is the threshold of the level
/// `reminder`, which the deadline engine works out: [`crate::domain::deadline::Rules::reminder_at`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    /// How often `overdue` repeats: `daily` (each working day, the default) or `once`.
    pub overdue_repeat: Repeat,
    /// Whether missing written notices (arts. 20, 21) are reminded.
    pub notices: bool,
    /// Who each level goes to.
    pub recipients: Recipients,
    /// The overdue grades, lowest first (issue 17); none by default: plain `overdue`.
    pub grades: Vec<Grade>,
}

/// How often an overdue stage is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repeat {
    /// Once per working day until done.
    Daily,
    /// Once per deadline.
    Once,
}

/// `[escalation.recipients]`: for each level, the roles told.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Recipients {
    /// Default: the responsible party.
    pub reminder: Vec<Role>,
    /// Default: the responsible party and the office.
    pub due_today: Vec<Role>,
    /// Default: the responsible party and the leadership.
    pub overdue: Vec<Role>,
    /// Default: the responsible party (the section that owes the notice).
    pub notice_missing: Vec<Role>,
    /// A suspension open past `rules.suspension_alert_after` working days. Default: the office.
    pub long_suspension: Vec<Role>,
}

/// Who, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The stage's responsible party: the office for `forward`, the section for `reply`.
    Responsible,
    /// The leading group's office (`[office]`).
    Office,
    /// The leadership office (`[leadership]`).
    Leadership,
    /// The discipline inspection / supervision office (`[supervision]`, issue 17).
    Supervision,
}

/// The items `case` calls for, given its `status` evaluated as of the day in question.
pub fn items(
    case: &Case,
    status: &CaseStatus,
    policy: &EscalationConfig,
    parties: &Parties,
) -> Vec<Item> {
    items_for(case, status, policy, parties).0
}

/// As [`items`], and the lines a role with no address did not get, one sentence each (level, stage, the
/// role with no address): `config check` refuses such a configuration, so a pass that finds
/// one logs and reports it rather than drop the line unseen.
pub fn items_for(
    case: &Case,
    status: &CaseStatus,
    policy: &EscalationConfig,
    parties: &Parties,
) -> (Vec<Item>, Vec<String>) {
    let mut out = Vec::new();
    let unaddressed = offer_items(case, status, policy, parties, &mut out);
    (out, unaddressed)
}

/// As [`items_for`], each line offered to `sink` by its key and made only if kept
/// ([`Sink`]); returns the lines a role with no address did not get.
pub fn offer_items(
    case: &Case,
    status: &CaseStatus,
    policy: &EscalationConfig,
    parties: &Parties,
    sink: &mut dyn Sink,
) -> Vec<String> {
    let mut unaddressed = Vec::new();
    let current = status
        .current
        .and_then(|c| status.stages.iter().find(|s| s.stage == c));
    if let Some(stage) = current
        && let (Some(level), Some(due)) = (stage.level, stage.due)
    {
        let (item_level, roles, level_key, grade, key) = match level {
            Level::Reminder => {
                // Issue 17: each point its own key; the last keeps `reminder`.
                let key = match stage.reminder_point {
                    Some(p) if !p.last => Cow::Owned(format!("reminder:{}", p.at)),
                    _ => Cow::Borrowed("reminder"),
                };
                let roles = &policy.recipients.reminder;
                (
                    ItemLevel::Reminder,
                    roles,
                    key,
                    None,
                    Cow::Borrowed("escalation.recipients.reminder"),
                )
            }
            Level::DueToday => (
                ItemLevel::DueToday,
                &policy.recipients.due_today,
                Cow::Borrowed("due_today"),
                None,
                Cow::Borrowed("escalation.recipients.due_today"),
            ),
            Level::Overdue => match grade_for(&policy.grades, stage.overdue_by.unwrap_or(0)) {
                // Issue 17 (art. 18): the grade reached, told to its own recipients.
                Some((rank, g)) => (
                    ItemLevel::Graded(rank),
                    &g.recipients,
                    Cow::Owned(format!("overdue:{}", g.code)),
                    Some(g),
                    Cow::Owned(format!("escalation.grades[{}].recipients", rank.index())),
                ),
                None => (
                    ItemLevel::Overdue,
                    &policy.recipients.overdue,
                    Cow::Borrowed("overdue"),
                    None,
                    Cow::Borrowed("escalation.recipients.overdue"),
                ),
            },
        };
        let (to, none) = channels::with_channels(
            roles,
            &stage.responsible,
            parties,
            addresses(roles, &stage.responsible, parties),
        );
        unaddressed.extend(none.into_iter().map(|role| {
            format!(
                "{} {}：{}（{key}）",
                stage_name(stage.stage),
                level_key,
                not_received(role, &to),
            )
        }));
        let kind = item::Kind {
            reference: case.reference.as_str(),
            stage: stage.stage.as_str(),
            level: item_level,
            level_key: &level_key,
            deadline: due,
            repeat: level == Level::Overdue && policy.overdue_repeat == Repeat::Daily,
        };
        item::offer(sink, &kind, to, || Line {
            subject: case.subject.as_deref().map(str::to_owned),
            stage_name: stage_name(stage.stage).to_owned(),
            responsible_name: responsible_name(&stage.responsible, parties),
            remaining: stage.remaining,
            overdue_by: stage.overdue_by,
            provisional: stage.provisional,
            explanation: explain(case, stage),
            flags: flags(stage),
            grade: grade.map(|g| g.name.clone()),
            suspended_days: None,
        });
    }
    long_suspension::items(case, status, policy, parties, sink, &mut unaddressed);
    if policy.notices
        && let Some(section) = &case.section
    {
        let responsible = Responsible::Section(section.clone());
        for notice in status.notices.iter().filter(|n| n.missing) {
            let roles = &policy.recipients.notice_missing;
            let (to, none) = channels::with_channels(
                roles,
                &responsible,
                parties,
                addresses(roles, &responsible, parties),
            );
            unaddressed.extend(none.into_iter().map(|role| {
                format!(
                    "{}书面告知 notice_missing：{}（escalation.recipients.notice_missing）",
                    notice_name(notice.kind),
                    not_received(role, &to)
                )
            }));
            let stage = format!("notice:{}:{}", notice.kind, notice.event_on);
            let kind = item::Kind {
                reference: case.reference.as_str(),
                stage: &stage,
                level: ItemLevel::NoticeMissing,
                level_key: "notice_missing",
                deadline: notice.due,
                // Owed and late, like an overdue stage: repeated as overdue lines are.
                repeat: policy.overdue_repeat == Repeat::Daily,
            };
            // arts. 20, 21: the section tells the applicant in writing.
            item::offer(sink, &kind, to, || Line {
                subject: case.subject.as_deref().map(str::to_owned),
                stage_name: format!("{}书面告知", notice_name(notice.kind)),
                responsible_name: responsible_name(&responsible, parties),
                // Missing means its day has passed: the line says by how much, as an overdue
                // stage's does (issue 17), not "due today".
                remaining: None,
                overdue_by: notice.overdue_by,
                provisional: false,
                flags: Vec::new(),
                grade: None,
                suspended_days: None,
                explanation: format!(
                    "{} {}，应于 {} 前书面告知申请人（第{}条），尚未登记",
                    notice.event_on,
                    notice_event(notice.kind),
                    notice.due,
                    if notice.kind == NoticeKind::Extension {
                        "二十"
                    } else {
                        "二十一"
                    }
                ),
            });
        }
    }
    // Regulations arts. 30, 32, 33: the law's own clock, its faults and reminders.
    law::items(case, status, policy, parties, sink);
    unaddressed.dedup();
    unaddressed
}

/// That `role` has no address and did not get a line, and whether the line went to the other
/// roles (`to`, which did get it) or to no one.
fn not_received(role: Role, to: &[Addressee]) -> String {
    let mut others: Vec<&str> = Vec::new();
    for (_, _, r) in to {
        if !others.contains(&role_name(*r)) {
            others.push(role_name(*r));
        }
    }
    if others.is_empty() {
        format!("{} 无收件地址，此条提醒未发给任何人", role_name(role))
    } else {
        format!(
            "{} 无收件地址，未收到此条提醒；已发给 {}",
            role_name(role),
            others.join("、")
        )
    }
}

/// An address, whose it is (a name), and why it is told.
type Addressee = (Arc<str>, Arc<str>, Role);

/// The addresses of `roles`, each once (the first role that names an address wins), and the
/// roles that name none.
fn addresses(
    roles: &[Role],
    responsible: &Responsible,
    parties: &Parties,
) -> (Vec<Addressee>, Vec<Role>) {
    let mut out: Vec<Addressee> = Vec::new();
    let mut none = Vec::new();
    for role in roles {
        let (name, emails) = match (role, responsible) {
            (Role::Responsible, Responsible::Section(code)) => match parties.section(code) {
                Some(s) => (s.name.as_str(), s.emails.as_slice()),
                // A section removed from the config: its cases fall to the office, not to no one.
                None => (
                    parties.office.name.as_str(),
                    parties.office.emails.as_slice(),
                ),
            },
            (Role::Responsible | Role::Office, _) => (
                parties.office.name.as_str(),
                parties.office.emails.as_slice(),
            ),
            (Role::Leadership, _) => (
                parties.leadership.name.as_str(),
                parties.leadership.emails.as_slice(),
            ),
            (Role::Supervision, _) => (
                parties.supervision.name.as_str(),
                parties.supervision.emails.as_slice(),
            ),
        };
        if emails.is_empty() {
            none.push(*role);
        }
        for e in emails {
            if !out
                .iter()
                .any(|(a, _, _)| a.eq_ignore_ascii_case(e.as_str()))
            {
                out.push((Arc::from(e.as_str()), Arc::from(name), *role));
            }
        }
    }
    (out, none)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Responsible => "responsible",
        Role::Office => "office",
        Role::Leadership => "leadership",
        Role::Supervision => "supervision",
    }
}

/// The flag of a stage with an extension approved after the deadline it extends (art. 20).
const LATE_EXTENSION: &str = "逾期延期：延期批准时原期限已过（第二十条）";

/// The flag of a stage with a suspension that began after its deadline had passed: recorded, but
/// it stopped no clock (art. 21; domain.md, "a suspension changes only what it covers").
const LATE_SUSPENSION: &str = "逾期中止：中止开始时期限已过，期限不因此顺延（第二十一条）";

/// What a stage's line must say beyond its deadline, one sentence each. A new flag is one more
/// `if` here (and shows in every digest: the templates list `flags`).
pub fn flags(stage: &StageStatus) -> Vec<String> {
    let mut out = Vec::new();
    // art. 20: an extension is approved before the deadline it extends runs out.
    if !stage.late_extensions.is_empty() {
        out.push(LATE_EXTENSION.to_owned());
    }
    // art. 21: the clock cannot be stopped after it ran out.
    if !stage.late_suspensions.is_empty() {
        out.push(LATE_SUSPENSION.to_owned());
    }
    out
}

pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Forward => "转办", // art. 19: forwarded within 5 working days
        Stage::Reply => "答复",   // art. 19: answered within 10 working days
    }
}

pub fn notice_name(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Extension => "延期",
        NoticeKind::Suspension => "中止",
        NoticeKind::Resumption => "恢复",
    }
}

fn notice_event(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Extension => "批准延期",
        NoticeKind::Suspension => "期限中止",
        NoticeKind::Resumption => "期限恢复",
    }
}

fn responsible_name(r: &Responsible, parties: &Parties) -> String {
    match r {
        Responsible::Office => parties.office.name.clone(),
        Responsible::Section(code) => parties
            .section(code)
            .map_or_else(|| code.to_string(), |s| s.name.clone()),
    }
}

/// One line a section head can check: where counting started, how many days, what was added.
pub fn explain(case: &Case, stage: &StageStatus) -> String {
    let mut s = match stage.stage {
        Stage::Forward => format!("{} 收到申请，{} 个工作日内转办", stage.start, stage.limit),
        Stage::Reply => {
            let extended = case.extension_days();
            let base = stage.limit.saturating_sub(extended);
            if extended > 0 {
                format!(
                    "{} 转办，答复期限 {base} 个工作日 + 延期 {extended} 个工作日",
                    stage.start
                )
            } else {
                format!("{} 转办，答复期限 {base} 个工作日", stage.start)
            }
        }
    };
    // Only the suspensions that stopped this stage's clock: a late one is flagged instead.
    let suspensions = case
        .suspensions
        .iter()
        .enumerate()
        .filter(|(i, x)| x.from > stage.start && !stage.late_suspensions.contains(i))
        .count();
    if stage.stage == Stage::Reply && suspensions > 0 {
        s.push_str(&format!("，中止 {suspensions} 次（中止期间不计）"));
    }
    if stage.provisional {
        s.push_str(&format!(
            "；{} 年节假日安排未载入，按周末推算，仅供参考",
            stage.uncovered_year.unwrap_or_default()
        ));
    }
    s
}

#[cfg(test)]
pub(crate) mod tests;
