//! `escalation.reminder_at`: the working-day points at which a running stage is reminded, e.g.
//! `[5, 2]` (issue 17, the ladder; domain.md, "Escalation": the default is one point, 2). A
//! stage is at the point `p` when `remaining <= p` and no smaller point is reached: with
//! `[5, 2]`, 5 to 3 working days left stand at 5, 2 and 1 at 2. Each point is notified once
//! (its own key, [`crate::domain::escalation`]).
//!
//! Only the point reached is notified, by the engine's rule that only the current level is
//! (`escalation`'s `//!`): a stage first seen with 1 working day left (duewatch was down, or
//! the case was recorded late) gets the 2-point reminder only, not a late 5-point one as well.
//!
//! Written as one integer (`reminder_at = 2`, what configurations before issue 17 hold; 0: no
//! reminders) or a list (`reminder_at = [5, 2]`, in any order; `[]`: no reminders); from the
//! environment as `2` or `5,2`. The bounds (each point from 1 to below the shortest period, each
//! once) are checked with the rules, by `config check` ([`ReminderPoints::problem`]). Pure: no
//! configuration, no I/O.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The point a stage has reached: `at` working days left or fewer, and whether it is the last
/// (smallest) point, whose key is plain `reminder` ([`ReminderPoints::is_last`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReminderPoint {
    /// The point, in working days left.
    pub at: u32,
    /// Whether it is the last point.
    pub last: bool,
}

/// The reminder points, largest first, as configured (duplicates and zeros in a list are kept
/// so that [`ReminderPoints::problem`] can name them; the engine is never given such a list).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReminderPoints {
    /// Largest first.
    points: Vec<u32>,
    /// Written as one integer (`reminder_at = 2`): shown back the same way.
    single: bool,
}

impl ReminderPoints {
    /// The points of a list, in any order.
    pub fn new(mut points: Vec<u32>) -> ReminderPoints {
        points.sort_unstable_by(|a, b| b.cmp(a));
        ReminderPoints {
            points,
            single: false,
        }
    }

    /// One point, as `reminder_at = N` is written; 0 is no reminder at all.
    pub fn one(point: u32) -> ReminderPoints {
        ReminderPoints {
            points: if point == 0 { Vec::new() } else { vec![point] },
            single: true,
        }
    }

    /// The points, largest first.
    pub fn points(&self) -> &[u32] {
        &self.points
    }

    /// The largest point (the first reminder), if any: "reminded from N working days left".
    pub fn first(&self) -> Option<u32> {
        self.points.first().copied()
    }

    /// The point a stage with `remaining` working days left stands at: the smallest point at
    /// or above `remaining`. `None` with 0 left (that is `due_today`) or more than the largest.
    ///
    /// ```
    /// # use duewatch::domain::deadline::ReminderPoints;
    /// let points = ReminderPoints::new(vec![2, 5]);
    /// assert_eq!(points.point_for(6), None);
    /// assert_eq!(points.point_for(5), Some(5));
    /// assert_eq!(points.point_for(3), Some(5));
    /// assert_eq!(points.point_for(2), Some(2));
    /// assert_eq!(points.point_for(1), Some(2));
    /// assert_eq!(points.point_for(0), None);
    /// ```
    pub fn point_for(&self, remaining: u32) -> Option<u32> {
        if remaining == 0 {
            return None;
        }
        self.points.iter().rev().find(|p| remaining <= **p).copied()
    }

    /// Whether `point` is the last (smallest) point: its key is `reminder`, the key of the one
    /// point every configuration before issue 17 had, so that adding earlier points (or
    /// upgrading) mails no reminder twice.
    pub fn is_last(&self, point: u32) -> bool {
        self.points.last() == Some(&point)
    }

    /// Whether it was written as one integer (`reminder_at = 2`).
    pub fn is_single(&self) -> bool {
        self.single
    }

    /// What is wrong with these points for periods of at least `shortest` working days, for
    /// `config check`: a point not below the shortest period (a reminder from the stage's first
    /// day), a point of 0 in a list, or a point given twice.
    pub fn problem(&self, shortest: u32) -> Option<String> {
        if let Some(p) = self.points.iter().find(|p| **p >= shortest) {
            if self.single {
                // As configurations of one point have always been told.
                return Some(format!(
                    "escalation.reminder_at = {p} is not below the shortest period ({shortest} \
                     working days): a reminder would be due from the stage's first day"
                ));
            }
            return Some(format!(
                "escalation.reminder_at: {p} is not below the shortest period ({shortest} working \
                 days): a reminder would be due from the stage's first day"
            ));
        }
        if self.points.contains(&0) {
            return Some(
                "escalation.reminder_at: a point of 0 reminds on no day (0 working days left is \
                 due_today)"
                    .to_owned(),
            );
        }
        if let Some(w) = self.points.windows(2).find(|w| w[0] == w[1]) {
            return Some(format!("escalation.reminder_at: {} is given twice", w[0]));
        }
        None
    }
}

impl fmt::Display for ReminderPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.single {
            return write!(f, "{}", self.points.first().copied().unwrap_or(0));
        }
        let listed: Vec<String> = self.points.iter().map(u32::to_string).collect();
        write!(f, "[{}]", listed.join(", "))
    }
}

impl Serialize for ReminderPoints {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.single {
            s.serialize_u32(self.points.first().copied().unwrap_or(0))
        } else {
            self.points.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for ReminderPoints {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        const EXPECTED: &str = "working days left: a whole number (reminder_at = 2) or a list \
                                of them (reminder_at = [5, 2])";
        fn point<E: serde::de::Error>(v: i128) -> Result<u32, E> {
            u32::try_from(v)
                .map_err(|_| E::custom(format!("{v} is not a number of working days; {EXPECTED}")))
        }
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ReminderPoints;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ReminderPoints::one(point(i128::from(v))?))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ReminderPoints::one(point(i128::from(v))?))
            }
            // From the environment: `2` or `5,2`.
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let words: Vec<&str> = v
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .collect();
                let parsed = words
                    .iter()
                    .map(|w| {
                        w.parse::<u32>().map_err(|_| {
                            E::custom(format!(
                                "\"{v}\" is not a number of working days; {EXPECTED}"
                            ))
                        })
                    })
                    .collect::<Result<Vec<u32>, E>>()?;
                match (parsed.as_slice(), v.contains([',', '['])) {
                    ([one], false) => Ok(ReminderPoints::one(*one)),
                    _ => Ok(ReminderPoints::new(parsed)),
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut points = Vec::new();
                while let Some(p) = seq.next_element::<i64>()? {
                    points.push(point(i128::from(p))?);
                }
                Ok(ReminderPoints::new(points))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::ReminderPoints;

    fn read(toml: &str) -> ReminderPoints {
        #[derive(serde::Deserialize)]
        struct T {
            reminder_at: ReminderPoints,
        }
        toml::from_str::<T>(toml).expect("points").reminder_at
    }

    #[test]
    fn one_integer_is_still_one_point_and_zero_is_none() {
        assert_eq!(read("reminder_at = 2").points(), [2]);
        assert_eq!(read("reminder_at = 2").to_string(), "2");
        assert!(read("reminder_at = 0").points().is_empty());
        assert_eq!(read("reminder_at = 0").point_for(1), None);
    }

    #[test]
    fn a_list_in_any_order_is_largest_first() {
        let points = read("reminder_at = [2, 5]");
        assert_eq!(points.points(), [5, 2]);
        assert_eq!(points.to_string(), "[5, 2]");
        assert!(points.is_last(2) && !points.is_last(5));
        assert!(read("reminder_at = []").points().is_empty());
    }

    #[test]
    fn a_point_at_or_past_the_shortest_period_twice_or_zero_is_a_problem() {
        assert_eq!(
            ReminderPoints::new(vec![5, 2]).problem(5).as_deref(),
            Some(
                "escalation.reminder_at: 5 is not below the shortest period (5 working days): a \
             reminder would be due from the stage's first day"
            )
        );
        assert!(
            ReminderPoints::new(vec![2, 2])
                .problem(5)
                .is_some_and(|p| p.contains("2 is given twice"))
        );
        assert!(
            ReminderPoints::new(vec![3, 0])
                .problem(5)
                .is_some_and(|p| p.contains("a point of 0"))
        );
        assert_eq!(ReminderPoints::new(vec![4, 2, 1]).problem(5), None);
        assert_eq!(ReminderPoints::one(0).problem(5), None);
    }

    #[test]
    fn from_the_environment_one_number_or_a_comma_list() {
        use serde::de::IntoDeserializer;
        let from = |s: &str| -> ReminderPoints {
            let d: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                s.into_deserializer();
            serde::Deserialize::deserialize(d).expect("points")
        };
        assert_eq!(from("2"), ReminderPoints::one(2));
        assert_eq!(from("5,2"), ReminderPoints::new(vec![5, 2]));
        assert_eq!(from("3"), read("reminder_at = 3"));
    }
}
