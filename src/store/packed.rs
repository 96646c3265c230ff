//! SQLite's scan of the cases ([`super::Cursor`], the poll's hot path), a batch of case rows in
//! one value: SQLite writes the batch as one JSON array of rows (`json_group_array`), which serde
//! reads back here in one go. The cases, their order and their errors are those of the
//! row-by-row read (`cases.rs::read_batch`, PostgreSQL's), which stays the reference: a batch
//! that does not read packed exactly as that read would decode it (a value of the wrong type, a
//! date that does not parse, a text that is not UTF-8, a blob SQLite will not put in JSON, rows
//! out of order) is read again row by row in the same snapshot, so that each bad row is named as
//! it always was and the other cases are read. The children are read as rows, as there.
//!
//! Why: sqlx's SQLite driver hands each row from its worker thread over a channel, copying it
//! value by value, and decodes each column by name. A usual poll over 100,000 open cases waited
//! 0.7–1.0 s for its batches beyond its own work, while the same statements take 0.1 s in the
//! `sqlite3` shell. Packed, a batch of 2,000 cases is one value; SQLite writes the JSON of
//! 100,000 rows in about 0.15 s (`quote()` and text concatenation took 0.45 s: the first try).
//! Measured in docs/performance.md. Not on PostgreSQL: its rows come over the socket without a
//! worker thread, and the same packing there (`json_agg(json_build_array(…) ORDER BY
//! reference)`) made `status --json` slower (1.29–1.42 s against 0.99–1.25 s row by row).

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::{Row as _, Sqlite, Transaction};

use super::batch::{Batch, CaseIndex};
use super::cases::{CaseSql, SCAN_BATCH};
use super::rows::CaseRow;
use crate::domain::case::Case;

/// A batch of the open cases after `$1` in reference order (at most `$2`), as one JSON array of
/// rows. The inner query is the row-by-row scan's (`SCAN_OPEN_CASES`), and reads the same
/// index; the order the rows are aggregated in is checked when they are read.
const PACKED_OPEN_CASES: &str = "SELECT CAST(json_group_array(json_array(id, reference, \
     subject, channel, received_on, forwarded_on, section, replied_on, closed_on, close_reason, \
     outcome, applicant)) AS BLOB) AS packed FROM (SELECT id, reference, subject, channel, \
     received_on, forwarded_on, section, replied_on, closed_on, close_reason, outcome, \
     applicant FROM cases WHERE replied_on IS NULL AND closed_on IS NULL AND reference > $1 \
     ORDER BY reference LIMIT $2)";

/// As [`PACKED_OPEN_CASES`], of all cases (`SCAN_CASES`).
const PACKED_CASES: &str = "SELECT CAST(json_group_array(json_array(id, reference, subject, \
     channel, received_on, forwarded_on, section, replied_on, closed_on, close_reason, \
     outcome, applicant)) AS BLOB) AS packed FROM (SELECT id, reference, subject, channel, \
     received_on, forwarded_on, section, replied_on, closed_on, close_reason, outcome, \
     applicant FROM cases WHERE reference > $1 ORDER BY reference LIMIT $2)";

/// One case row as the queries above pack it, the columns in their order, typed as the
/// row-by-row read decodes them ([`CaseRow`]).
#[derive(Deserialize)]
struct Packed(
    i64,
    String,
    Option<String>,
    Option<String>,
    Day,
    Option<Day>,
    Option<String>,
    Option<Day>,
    Option<Day>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A date as sqlx reads one from SQLite: a text `%F`.
struct Day(NaiveDate);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Day;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Day, E> {
                date(text)
                    .map(Day)
                    .ok_or_else(|| E::custom(format!("{text:?} is not a date YYYY-MM-DD")))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// A date as sqlx reads it from SQLite (`%F`): the usual `YYYY-MM-DD` without chrono's format
/// parser, anything else by it.
pub(super) fn date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10))
    {
        return NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d);
    }
    NaiveDate::parse_from_str(text, "%F").ok()
}

/// One batch of a SQLite scan: the cases after `after` in reference order, with their
/// children; `None` at the end.
///
/// # Errors
/// A database failure.
pub(super) async fn read_batch(
    tx: &mut Transaction<'static, Sqlite>,
    after: &str,
    open_only: bool,
) -> anyhow::Result<Option<Batch>> {
    let packed = sqlx::query(if open_only {
        PACKED_OPEN_CASES
    } else {
        PACKED_CASES
    })
    .bind(after)
    .bind(SCAN_BATCH)
    .fetch_one(&mut **tx)
    .await
    .and_then(|row| row.try_get::<Vec<u8>, _>("packed"));
    let unpacked = match packed {
        Ok(packed) => unpack(&packed),
        // SQLite refuses a blob in JSON: that batch is read row by row.
        Err(sqlx::Error::Database(e)) => Err(e.message().to_owned()),
        Err(e) => return Err(e.into()),
    };
    let mut unpacked = match unpacked {
        Ok(Some(unpacked)) => unpacked,
        Ok(None) => return Ok(None),
        Err(why) => {
            tracing::debug!(after, "a batch of cases read row by row: {why}");
            return Sqlite::read_batch(tx, after, open_only).await;
        }
    };
    let span = (unpacked.first.as_str(), unpacked.last.as_str());
    Sqlite::read_children(tx, span, open_only, &mut unpacked.cases, &unpacked.index).await?;
    Ok(Some(Batch::new(unpacked.cases, unpacked.last)))
}

/// A packed batch's cases, in its order; where each case id sits in it; its first and last
/// reference (the span its children are read for, and the next batch's start).
struct Unpacked {
    cases: Vec<Result<Case, super::StoreError>>,
    index: CaseIndex,
    first: String,
    last: String,
}

/// The cases of a packed batch ([`Unpacked`]); `None` when it is empty; `Err` (why) when it must
/// be read row by row.
fn unpack(packed: &[u8]) -> Result<Option<Unpacked>, String> {
    let rows: Vec<Packed> = serde_json::from_slice(packed).map_err(|e| e.to_string())?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(None);
    };
    // The rows come in reference order (SQLite's BINARY collation compares bytes), as the
    // row-by-row read hands them over: checked, not assumed.
    if rows
        .windows(2)
        .any(|w| w[0].1.as_bytes() >= w[1].1.as_bytes())
    {
        return Err("the rows are not in reference order".to_owned());
    }
    let (first, last) = (first.1.clone(), last.1.clone());
    let mut cases = Vec::with_capacity(rows.len());
    let mut index = CaseIndex::with_capacity(rows.len());
    for Packed(
        id,
        reference,
        subject,
        channel,
        received_on,
        forwarded_on,
        section,
        replied_on,
        closed_on,
        close_reason,
        outcome,
        applicant,
    ) in rows
    {
        index.insert(id, cases.len());
        cases.push(Case::try_from(CaseRow {
            reference,
            subject,
            channel,
            received_on: received_on.0,
            forwarded_on: forwarded_on.map(|d| d.0),
            section,
            replied_on: replied_on.map(|d| d.0),
            closed_on: closed_on.map(|d| d.0),
            close_reason,
            outcome,
            applicant,
        }));
    }
    Ok(Some(Unpacked {
        cases,
        index,
        first,
        last,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_sqlx_reads_them() {
        for text in [
            "2026-12-07",
            "2024-02-29",
            "2023-02-29",
            "0001-01-01",
            "2026-1-5",
            "2026-02-30",
            "2026-12-07x",
            "20261207",
            "x",
            "",
        ] {
            assert_eq!(
                date(text),
                NaiveDate::parse_from_str(text, "%F").ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_batch_reads_packed_only_as_the_row_by_row_read_would_decode_it() {
        let row = |reference: &str, received: &str| {
            let id = reference[5..].trim_start_matches('0');
            format!(
                "[{id},\"{reference}\",\"它\\\"s\",null,{received},null,\"s1\",null,null,null,null,null]"
            )
        };
        let two = format!(
            "[{},{}]",
            row("2026-0001", "\"2026-11-02\""),
            row("2026-0002", "\"2026-11-03\"")
        );
        let Unpacked {
            cases,
            index,
            first,
            last,
        } = unpack(two.as_bytes())
            .expect("packed as decoded")
            .expect("two rows");
        assert_eq!((first.as_str(), last.as_str()), ("2026-0001", "2026-0002"));
        assert_eq!((index[&1], index[&2]), (0, 1));
        let case = cases[0].as_ref().expect("a good row");
        assert_eq!(case.subject.as_deref(), Some("它\"s"));
        assert!(unpack(b"[]").expect("empty").is_none());
        for bad in [
            format!("[{}]", row("2026-0001", "\"last Monday\"")),
            format!("[{}]", row("2026-0001", "20261102")),
            format!("[{}]", row("2026-0001", "null")),
            format!(
                "[{},{}]",
                row("2026-0002", "\"2026-11-02\""),
                row("2026-0001", "\"2026-11-02\"")
            ),
            "[[1,\"2026-0001\"]]".to_owned(),
        ] {
            assert!(unpack(bad.as_bytes()).is_err(), "{bad}");
        }
        let mut not_utf8 = two.into_bytes();
        not_utf8[6] = 0xff;
        assert!(unpack(&not_utf8).is_err());
    }
}
