//! A recipient's digest in the making during a reconcile: the lines still in no mail and those
//! only today's repeat lists, kept small (a fixed-size entry a line, the full items bounded by
//! `mail.digest_max_lines`) however many open cases there are.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use crate::domain::escalation::{self, Item};

/// One recipient's lines for this pass's digest: those recorded and not yet in a mail (their
/// id, level, key and case), the still-overdue lines already mailed before that only today's
/// repeat lists (their case and level, whether today's repeat turns out to be made or not), and
/// the items to list. Every line costs one small fixed-size entry (no text), so that the digest
/// can count cases by level; the full items, with their text, are bounded by the list (trimmed
/// to the `digest_max_lines` most urgent new and as many repeat-only ones whenever it reaches
/// twice that: four times held 3 MB more at a first poll's peak, for fewer sorts of a few
/// hundred items).
#[derive(Debug, Default)]
pub(super) struct Pending {
    pub(super) name: Option<Arc<str>>,
    pub(super) lines: Vec<PendingLine>,
    /// Lines mailed before that only today's repeat lists: their case and level.
    pub(super) repeat_only: Vec<(u64, escalation::ItemLevel)>,
    pub(super) listed: Vec<(Option<i64>, Item)>,
}

#[derive(Debug)]
pub(super) struct PendingLine {
    /// The recorded key's id: it is in no mail yet.
    pub(super) id: i64,
    pub(super) level: escalation::ItemLevel,
    /// The key's digest ([`escalation::LineKey::hash`]) as bytes ([`PendingLine::key`]): a
    /// `u128` field would align the entry to 16 bytes, 48 a line instead of 40 (a first poll
    /// holds every new line's entry until its digest is made: 274,000 in the benchmark).
    key: [u8; 16],
    /// Part of today's repeat of the overdue lines.
    pub(super) repeat: bool,
    /// The case (a hash of its reference): a digest counts requests, not lines.
    pub(super) case: u64,
}

// A first poll holds one entry per new line: keep it at 40 bytes.
const _: () = assert!(std::mem::size_of::<PendingLine>() == 40);

impl PendingLine {
    /// The key's digest.
    pub(super) fn key(&self) -> u128 {
        u128::from_le_bytes(self.key)
    }
}

/// A hash of a case reference, to count a digest's cases without keeping their references.
fn case_hash(reference: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    reference.hash(&mut h);
    h.finish()
}

/// The number of cases of each level among `lines` (case, level): a case counts once, under
/// its most urgent level (the group its lines are listed in).
fn cases_by_level(
    lines: impl Iterator<Item = (u64, escalation::ItemLevel)>,
) -> BTreeMap<escalation::ItemLevel, usize> {
    let mut most_urgent: std::collections::HashMap<u64, escalation::ItemLevel> =
        std::collections::HashMap::new();
    for (case, level) in lines {
        most_urgent
            .entry(case)
            .and_modify(|l| *l = (*l).min(level))
            .or_insert(level);
    }
    let mut counts = BTreeMap::new();
    for level in most_urgent.into_values() {
        *counts.entry(level).or_insert(0) += 1;
    }
    counts
}

impl Pending {
    pub(super) fn add(&mut self, id: Option<i64>, item: Item, key: u128, max: usize) {
        self.name
            .get_or_insert_with(|| Arc::clone(&item.recipient_name));
        match id {
            Some(id) => self.lines.push(PendingLine {
                id,
                level: item.level,
                key: key.to_le_bytes(),
                repeat: item.repeat,
                case: case_hash(&item.reference),
            }),
            None => self
                .repeat_only
                .push((case_hash(&item.reference), item.level)),
        }
        self.listed.push((id, item));
        if self.listed.len() >= 2 * max.max(1) {
            self.trim(max);
        }
    }

    /// Whether a line goes in the digest: it is still in no mail, or the digest repeats it.
    pub(super) fn shown(
        id: Option<i64>,
        repeat: bool,
        still: &HashSet<i64>,
        repeating: bool,
    ) -> bool {
        (repeating && repeat) || id.is_some_and(|id| still.contains(&id))
    }

    /// What a digest made now shows: the number of cases of each level among the lines it
    /// carries (those `still` in no mail, and the repeated ones when `repeating`), and the
    /// `max` most urgent of its listed items. The mail and the chat message of a party
    /// (`Digest::render`, `channels::queue`) show the same.
    pub(super) fn shown_now(
        &self,
        still: &HashSet<i64>,
        repeating: bool,
        max: usize,
    ) -> (BTreeMap<escalation::ItemLevel, usize>, Vec<&Item>) {
        let repeated = self.repeat_only.iter().filter(|_| repeating).copied();
        let new = self
            .lines
            .iter()
            .filter(|l| Self::shown(Some(l.id), l.repeat, still, repeating))
            .map(|l| (l.case, l.level));
        let counts = cases_by_level(repeated.chain(new));
        let mut shown: Vec<&Item> = self
            .listed
            .iter()
            .filter(|(id, item)| Self::shown(*id, item.repeat, still, repeating))
            .map(|(_, item)| item)
            .collect();
        shown.sort_by(|a, b| a.urgency().cmp(&b.urgency()));
        shown.truncate(max.max(1));
        (counts, shown)
    }

    /// Keeps the `max` most urgent new lines and the `max` most urgent repeat-only ones: which
    /// of them the digest shows is known only when it is made (another instance may have made
    /// today's repeat meanwhile), so neither kind may crowd out the other.
    pub(super) fn trim(&mut self, max: usize) {
        let (mut new, mut repeat): (Vec<_>, Vec<_>) = std::mem::take(&mut self.listed)
            .into_iter()
            .partition(|(id, _)| id.is_some());
        for list in [&mut new, &mut repeat] {
            list.sort_by(|(_, a), (_, b)| a.urgency().cmp(&b.urgency()));
            list.truncate(max.max(1));
        }
        new.append(&mut repeat);
        self.listed = new;
    }
}
