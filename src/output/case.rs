//! One case as JSON: what `duewatch case show --json` prints and `GET /api/v1/cases/{reference}`
//! answers, byte for byte: the case as recorded, its standing as the deadline engine counts it,
//! and its history (text that may hold anything escaped, as for the terminal).

use std::io::Write;

use serde_json::json;

use crate::domain::case::Case;
use crate::domain::case::text::escaped;
use crate::domain::deadline::CaseStatus;
use crate::store::HistoryLine;

/// Writes `case`, its `status` and its `history` as pretty JSON, and a line break.
///
/// # Errors
/// `out` fails.
pub fn json(
    out: &mut dyn Write,
    case: &Case,
    status: &CaseStatus,
    history: &[HistoryLine],
) -> anyhow::Result<()> {
    let h: Vec<_> = history
        .iter()
        .map(|h| {
            json!({
                "at": h.at,
                "command": h.command,
                "change": escaped(&h.change, false),
                "actor": h.actor.as_deref().map(|a| escaped(a, false)),
            })
        })
        .collect();
    serde_json::to_writer_pretty(
        &mut *out,
        &json!({ "case": case, "status": status, "history": h }),
    )?;
    writeln!(out)?;
    Ok(())
}

/// As [`json`], with the case's notifications and their delivery (`case show --json`).
///
/// # Errors
/// Writing fails.
pub fn json_with_record(
    out: &mut dyn Write,
    case: &Case,
    status: &CaseStatus,
    history: &[HistoryLine],
    record: &[super::record::Notification],
) -> anyhow::Result<()> {
    let mut plain = Vec::new();
    json(&mut plain, case, status, history)?;
    let mut value: serde_json::Value = serde_json::from_slice(&plain)?;
    value["notifications"] = serde_json::to_value(record)?;
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)?;
    Ok(())
}
