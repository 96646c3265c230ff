//! The overdue grades (`[[escalation.grades]]`, issue 17): supervision works in grades (黄牌
//! yellow card, 红牌 red card, …) by working days overdue, each told to its own recipients
//! (art. 18: accountability for neglect; arts. 23, 24: the office supervises and reports).
//!
//! A stage overdue by `n` working days stands at the highest grade whose `at <= n`; below the
//! first grade (or with no grades, the default) it is plain `overdue`, told to
//! `escalation.recipients.overdue`, exactly as before grades existed. Each grade reached is its
//! own notification (the key's level is `overdue:CODE`, [`super::Item::level_key`]), repeated
//! daily like every overdue line (`overdue_repeat`). Only the grade reached is notified: a stage
//! first seen at 6 working days overdue gets the red card, not a late yellow one as well (the
//! engine's rule, `escalation`'s `//!`).
//!
//! Here: the types as configured, and the choice of a grade. Pure: `config check` checks the
//! list (ascending `at`, codes once, a `supervision` recipient only with a `[supervision]`
//! address).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Role;

/// One `[[escalation.grades]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    /// The name mail subjects, digests and the console show: `黄牌`, `红牌`.
    pub name: String,
    /// The key's name of the grade (`overdue:CODE` in the record): `yellow`, `red`.
    pub code: GradeCode,
    /// From this many working days overdue (`overdue_by`, domain.md: the first working day
    /// after the deadline is 1).
    pub at: u32,
    /// The roles told: `responsible`, `office`, `leadership`, `supervision`.
    pub recipients: Vec<Role>,
}

/// A grade's code: lower-case ASCII letters, digits, `_` and `-`, 1 to 32 of them (it is part
/// of a stored key, and of URLs and file names where the record is shown).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct GradeCode(String);

impl GradeCode {
    /// Parses a code.
    ///
    /// # Errors
    /// A code that is empty, too long or holds another character, said with an example.
    pub fn parse(s: &str) -> Result<GradeCode, String> {
        let ok = (1..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(GradeCode(s.to_owned()))
        } else {
            Err(format!(
                "\"{s}\" is not a grade code: 1 to 32 lower-case letters, digits, _ or -, \
                 e.g. code = \"red\""
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for GradeCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        GradeCode::parse(&s)
    }
}

impl From<GradeCode> for String {
    fn from(c: GradeCode) -> String {
        c.0
    }
}

impl fmt::Display for GradeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A grade's place in the list, first (lowest) grade 1. Ordered most urgent first (the higher
/// grade sorts before the lower), as the digest lists lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct GradeRank(u8);

impl GradeRank {
    /// The rank of the grade at `index` in the configured list.
    pub fn of_index(index: usize) -> GradeRank {
        GradeRank(u8::try_from(index + 1).unwrap_or(u8::MAX))
    }

    /// The index into the configured list.
    pub fn index(self) -> usize {
        usize::from(self.0).saturating_sub(1)
    }
}

impl Ord for GradeRank {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.cmp(&self.0)
    }
}

impl PartialOrd for GradeRank {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The grade a stage overdue by `overdue_by` working days stands at, with its rank: the highest
/// whose `at` it has reached. `grades` is in ascending `at` (`config check` refuses another
/// order).
pub fn grade_for(grades: &[Grade], overdue_by: u32) -> Option<(GradeRank, &Grade)> {
    grades
        .iter()
        .enumerate()
        .rev()
        .find(|(_, g)| overdue_by >= g.at)
        .map(|(i, g)| (GradeRank::of_index(i), g))
}

/// What is wrong with `grades`, naming the key, for `config check`: an `at` not above the
/// previous grade's, a code or a name given twice, an empty name or recipient list.
pub fn problem(grades: &[Grade]) -> Option<(String, String)> {
    for (i, g) in grades.iter().enumerate() {
        if g.name.trim().is_empty() {
            return Some((
                format!("escalation.grades[{i}].name is empty"),
                "give the grade the name its recipients read, e.g. name = \"黄牌\"".to_owned(),
            ));
        }
        if g.recipients.is_empty() {
            return Some((
                format!(
                    "escalation.grades[{i}].recipients is empty: the {} would be told to no one",
                    g.name
                ),
                "list the roles told, e.g. recipients = [\"responsible\", \"leadership\"]"
                    .to_owned(),
            ));
        }
        if let Some(before) = i.checked_sub(1).map(|b| &grades[b])
            && g.at <= before.at
        {
            return Some((
                format!(
                    "escalation.grades[{i}].at = {} is not above escalation.grades[{}].at = {}",
                    g.at,
                    i - 1,
                    before.at
                ),
                "list the grades from the lowest to the highest, each from more working days \
                 overdue than the one before, e.g. 黄牌 at = 1, then 红牌 at = 5"
                    .to_owned(),
            ));
        }
        if let Some(j) = grades[..i]
            .iter()
            .position(|o| o.code == g.code || o.name == g.name)
        {
            return Some((
                format!(
                    "escalation.grades[{i}]: code \"{}\" or name \"{}\" is escalation.grades[{j}]'s too",
                    g.code, g.name
                ),
                "give every grade its own code and name".to_owned(),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn cards() -> Vec<Grade> {
        vec![
            Grade {
                name: "黄牌".to_owned(),
                code: GradeCode::parse("yellow").expect("a code"),
                at: 1,
                recipients: vec![Role::Responsible, Role::Leadership],
            },
            Grade {
                name: "红牌".to_owned(),
                code: GradeCode::parse("red").expect("a code"),
                at: 5,
                recipients: vec![Role::Responsible, Role::Leadership, Role::Supervision],
            },
        ]
    }

    #[test]
    fn a_stage_stands_at_the_highest_grade_it_has_reached() {
        let grades = cards();
        assert_eq!(
            grade_for(&grades, 0),
            None,
            "a rest day right after: plain overdue"
        );
        assert_eq!(
            grade_for(&grades, 1).map(|(_, g)| g.name.as_str()),
            Some("黄牌")
        );
        assert_eq!(
            grade_for(&grades, 4).map(|(_, g)| g.name.as_str()),
            Some("黄牌")
        );
        assert_eq!(
            grade_for(&grades, 5).map(|(_, g)| g.name.as_str()),
            Some("红牌")
        );
        assert_eq!(grade_for(&grades, 30).map(|(r, _)| r.index()), Some(1));
        assert_eq!(
            grade_for(&[], 30),
            None,
            "no grades: plain overdue, as before"
        );
        assert!(
            GradeRank::of_index(1) < GradeRank::of_index(0),
            "red sorts first"
        );
    }

    #[test]
    fn grades_out_of_order_named_twice_or_told_to_no_one_are_a_problem() {
        assert_eq!(problem(&cards()), None);
        let mut swapped = cards();
        swapped.swap(0, 1);
        assert_eq!(
            problem(&swapped).map(|p| p.0).as_deref(),
            Some("escalation.grades[1].at = 1 is not above escalation.grades[0].at = 5")
        );
        let mut twice = cards();
        twice[1].code = GradeCode::parse("yellow").expect("a code");
        assert!(problem(&twice).is_some_and(|p| p.0.contains("code \"yellow\"")));
        let mut nobody = cards();
        nobody[0].recipients.clear();
        assert!(problem(&nobody).is_some_and(|p| p.0.contains("grades[0].recipients is empty")));
        assert!(GradeCode::parse("Red card").is_err());
    }
}
