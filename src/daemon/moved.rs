//! Which open cases' current deadline a calendar change moves: told to the administrators when
//! the daemon puts edited calendar files in force, and printed by `duewatch calendar diff FILE`
//! before a file is installed. Reads the cases; writes nothing.

use crate::calendar::Calendar;
use crate::config::Config;
use crate::domain::deadline;

/// A case whose current deadline a calendar change moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The case.
    pub reference: String,
    /// Its current stage.
    pub stage: &'static str,
    /// The deadline before.
    pub before: Option<chrono::NaiveDate>,
    /// The deadline after.
    pub after: Option<chrono::NaiveDate>,
}

/// The open cases whose current deadline differs between `old` and `new`, as of `today`.
///
/// # Errors
/// A database failure.
pub async fn moved_deadlines(
    source: &crate::source::Source,
    config: &Config,
    old: &Calendar,
    new: &Calendar,
    today: chrono::NaiveDate,
) -> anyhow::Result<Vec<Moved>> {
    let mut moved = Vec::new();
    let current_due = |case: &crate::domain::case::Case, cal: &Calendar| {
        let status = deadline::evaluate(case, &config.rules, cal, today).ok()?;
        let stage = status.current?;
        let s = status.stages.iter().find(|s| s.stage == stage)?;
        Some((stage.as_str(), s.due))
    };
    source
        .scan(true, |case| {
            let Ok(case) = case else { return Ok(()) };
            let (before, after) = (current_due(&case, old), current_due(&case, new));
            if before != after
                && let Some((stage, _)) = before.or(after)
            {
                moved.push(Moved {
                    reference: case.reference.to_string(),
                    stage,
                    before: before.and_then(|b| b.1),
                    after: after.and_then(|a| a.1),
                });
            }
            Ok(())
        })
        .await?;
    Ok(moved)
}
