//! A digest line ([`Item`]), what it shows ([`Line`]), its unique key ([`LineKey`]), and where
//! the escalation puts the lines a case calls for ([`Sink`]).
//!
//! A line is offered to its sink by its key first, and made (its texts: the explanation, the
//! names, the subject) only if the sink keeps it. A reconcile keeps only the lines it does not
//! know to be mailed, and the few today's repeat lists: on a usual poll almost every line of
//! every open case is mailed already, and making each one's texts only to drop them cost about
//! a tenth of the poll's CPU time (docs/performance.md).

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::{Addressee, GradeRank, Role};

/// What a digest line is about, most urgent first (the digest's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemLevel {
    /// The deadline has passed, by enough working days for an overdue grade (`[[escalation.grades]]`),
    /// the higher grade first.
    Graded(GradeRank),
    /// The deadline has passed (below the first grade, or with no grades).
    Overdue,
    /// Today is the deadline.
    DueToday,
    /// A few working days remain.
    Reminder,
    /// A written notice to the applicant is overdue (arts. 20, 21).
    NoticeMissing,
    /// A suspension has stood past `rules.suspension_alert_after` working days (art. 21).
    LongSuspension,
}

impl ItemLevel {
    /// The level's name as templates see it (`l.level`): a graded line is `overdue`, its grade
    /// beside it (`l.grade`). The stored key's level is [`Item::level_key`].
    pub fn as_str(self) -> &'static str {
        match self {
            ItemLevel::Graded(_) | ItemLevel::Overdue => "overdue",
            ItemLevel::DueToday => "due_today",
            ItemLevel::Reminder => "reminder",
            ItemLevel::NoticeMissing => "notice_missing",
            ItemLevel::LongSuspension => "long_suspension",
        }
    }

    /// Whether the deadline has passed (graded or not).
    pub fn is_overdue(self) -> bool {
        matches!(self, ItemLevel::Graded(_) | ItemLevel::Overdue)
    }
}

/// One line of one recipient's digest, and the key that makes it unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The case.
    pub reference: String,
    /// `forward`, `reply`, or `notice:KIND:EVENT-DATE` for a missing notice.
    pub stage: String,
    /// The level.
    pub level: ItemLevel,
    /// The level as the key stores it: `reminder`, `reminder:POINT` (a reminder point before
    /// the last), `due_today`, `overdue`, `overdue:GRADE-CODE`, `notice_missing`,
    /// `long_suspension`.
    pub level_key: Arc<str>,
    /// The deadline (of the stage, or of the notice; of a long suspension, its first day).
    pub deadline: NaiveDate,
    /// Whether the line is listed again every working day while it stays overdue
    /// (`overdue_repeat = "daily"`): not part of the key.
    pub repeat: bool,
    /// The address.
    pub recipient: Arc<str>,
    /// Who the address belongs to (the section's, office's or leadership's name).
    pub recipient_name: Arc<str>,
    /// Why this recipient hears of it.
    pub role: Role,
    /// What the mail shows about the case, shared by its recipients.
    pub line: Arc<Line>,
}

impl Item {
    /// The digest's order, most urgent first: by level (overdue, due today, reminder, notice
    /// owed), then the most working days overdue, then the fewest left, then the earliest
    /// deadline; reference and stage last, so that the order is total.
    pub fn urgency(&self) -> impl Ord + '_ {
        (
            self.level,
            std::cmp::Reverse(self.line.overdue_by.unwrap_or(0)),
            self.line.remaining.unwrap_or(0),
            self.deadline,
            self.reference.as_str(),
            self.stage.as_str(),
        )
    }
}

/// A 128-bit digest of a line's unique key (case, stage, level, deadline, recipient): two
/// 64-bit foldhash digests with fixed seeds. Only ever compared within one process (it is never
/// stored), so it needs to be fast and evenly spread, not stable across versions nor resistant
/// to chosen input: the once-only guarantee rests on the database's unique key, not on it.
pub fn key_hash(
    reference: &str,
    stage: &str,
    level_key: &str,
    deadline: NaiveDate,
    recipient: &str,
) -> u128 {
    use std::hash::BuildHasher as _;
    let key = (reference, stage, level_key, deadline, recipient);
    let half = |seed: u64| foldhash::fast::FixedState::with_seed(seed).hash_one(key);
    (u128::from(half(0x5eed_0001)) << 64) | u128::from(half(0x5eed_0002))
}

/// What a digest shows about a case: no applicant personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The case's subject, if recorded.
    pub subject: Option<String>,
    /// The stage in words (转办, 答复) or the notice owed.
    pub stage_name: String,
    /// Who must act, in words.
    pub responsible_name: String,
    /// Working days left (0 on the deadline).
    pub remaining: Option<u32>,
    /// Working days past the deadline.
    pub overdue_by: Option<u32>,
    /// Whether the deadline rests on a year with no calendar loaded.
    pub provisional: bool,
    /// How the deadline was reached, in one line.
    pub explanation: String,
    /// What a reader must notice beyond the deadline, one sentence each (a late extension,
    /// art. 20): [`super::flags`] makes them.
    pub flags: Vec<String>,
    /// The overdue grade's name (`黄牌`, `红牌`), when one is reached.
    pub grade: Option<String>,
    /// Of a long suspension: the working days it has stood.
    pub suspended_days: Option<u32>,
}

/// A line's unique key before the line is made: (case, stage, level, deadline, recipient), and
/// whether the line is repeated while overdue (not part of the key).
#[derive(Debug, Clone, Copy)]
pub struct LineKey<'a> {
    /// The case.
    pub reference: &'a str,
    /// As [`Item::stage`].
    pub stage: &'a str,
    /// As [`Item::level_key`].
    pub level_key: &'a str,
    /// As [`Item::deadline`].
    pub deadline: NaiveDate,
    /// The address.
    pub recipient: &'a str,
    /// As [`Item::repeat`].
    pub repeat: bool,
}

impl LineKey<'_> {
    /// A 128-bit digest of the key ([`key_hash`]), for remembering which keys are recorded
    /// without keeping the strings.
    pub fn hash(&self) -> u128 {
        key_hash(
            self.reference,
            self.stage,
            self.level_key,
            self.deadline,
            self.recipient,
        )
    }
}

/// Where the lines a case calls for go ([`super::offer_items`]): each is offered by its key,
/// and `make` makes it (the texts, shared by the case's recipients of one level, are made at
/// the first line kept). A `Vec<Item>` keeps every line.
pub trait Sink {
    /// One line, by its key; `make` makes the line, for a sink that keeps it.
    fn offer(&mut self, key: &LineKey<'_>, make: &mut dyn FnMut() -> Item);
}

impl Sink for Vec<Item> {
    fn offer(&mut self, _key: &LineKey<'_>, make: &mut dyn FnMut() -> Item) {
        self.push(make());
    }
}

/// One recipient's line of one kind: the parts of its key and of the item that its recipients
/// share ([`offer`]).
pub(super) struct Kind<'a> {
    pub(super) reference: &'a str,
    pub(super) stage: &'a str,
    pub(super) level: ItemLevel,
    pub(super) level_key: &'a str,
    pub(super) deadline: NaiveDate,
    pub(super) repeat: bool,
}

/// Offers the line of `kind` to each of `to` (address, name, role); `line` makes the texts,
/// once, when the first of them is kept.
pub(super) fn offer(
    sink: &mut dyn Sink,
    kind: &Kind<'_>,
    to: Vec<Addressee>,
    line: impl Fn() -> Line,
) {
    let mut made: Option<(Arc<Line>, Arc<str>)> = None;
    for (recipient, recipient_name, role) in to {
        let key = LineKey {
            reference: kind.reference,
            stage: kind.stage,
            level_key: kind.level_key,
            deadline: kind.deadline,
            recipient: &recipient,
            repeat: kind.repeat,
        };
        sink.offer(&key, &mut || {
            let (line, level_key) = made
                .get_or_insert_with(|| (Arc::new(line()), Arc::from(kind.level_key)))
                .clone();
            Item {
                reference: kind.reference.to_owned(),
                stage: kind.stage.to_owned(),
                level: kind.level,
                level_key,
                deadline: kind.deadline,
                repeat: kind.repeat,
                recipient: Arc::clone(&recipient),
                recipient_name: Arc::clone(&recipient_name),
                role,
                line,
            }
        });
    }
}
