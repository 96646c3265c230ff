//! The statements of `Store::record_lines` and `Store::mail_lines` that differ by backend:
//! SQLite takes each list of lines or ids as one JSON text (`json_each`) and gives what comes
//! back as one JSON value; PostgreSQL takes each list as arrays in one statement (`unnest`,
//! `= ANY`). Either way one round trip a list, whatever its length (the first poll after
//! 100,000 cases escalate at once records 274,000 keys).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::notifications::LOCK_RECIPIENTS_POSTGRES;
use super::rows::LineRow;
use crate::domain::escalation::{Item, key_hash};

/// A recipient's recorded lines in `Store::mail_lines`: which of them are in no mail yet, and
/// putting them in one.
pub(super) trait LineIds: sqlx::Database {
    async fn unmailed(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> anyhow::Result<HashSet<i64>>;
    async fn assign(
        tx: &mut sqlx::Transaction<'static, Self>,
        outbox_id: i64,
        ids: &[i64],
    ) -> anyhow::Result<()>;
    /// Claims those of `candidates` in no mail yet for a mail about to be made: returns them,
    /// and the id the mail must then be inserted with if they were put in it already (`None`:
    /// [`LineIds::assign`] them once the mail is made). Undone with the transaction when no
    /// mail is made.
    async fn claim(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> anyhow::Result<(HashSet<i64>, Option<i64>)>;
}

/// [`LineIds`] on SQLite: the ids as one JSON array (`json_each`), the ids still unmailed back
/// as one too: one statement each, nothing handed across sqlx's thread row by row.
const UNMAILED_SQLITE: &str = "SELECT CAST(json_group_array(id) AS BLOB) FROM notifications \
     WHERE outbox_id IS NULL AND id IN (SELECT value FROM json_each($1))";
const ASSIGN_SQLITE: &str =
    "UPDATE notifications SET outbox_id = $1 WHERE id IN (SELECT value FROM json_each($2))";

impl LineIds for sqlx::Sqlite {
    /// The lines still in no mail, looked up: assigned once the mail is made. Checking and
    /// assigning cost SQLite less than an update that returns its rows, handed one by one
    /// across sqlx's thread.
    async fn claim(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> anyhow::Result<(HashSet<i64>, Option<i64>)> {
        Ok((Self::unmailed(tx, candidates).await?, None))
    }

    async fn unmailed(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> anyhow::Result<HashSet<i64>> {
        let still: Vec<u8> = sqlx::query_scalar(UNMAILED_SQLITE)
            .bind(serde_json::to_string(candidates)?)
            .fetch_one(&mut **tx)
            .await?;
        Ok(serde_json::from_slice(&still)?)
    }

    async fn assign(
        tx: &mut sqlx::Transaction<'static, Self>,
        outbox_id: i64,
        ids: &[i64],
    ) -> anyhow::Result<()> {
        sqlx::query(ASSIGN_SQLITE)
            .bind(outbox_id)
            .bind(serde_json::to_string(ids)?)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// [`LineIds`] on PostgreSQL: the ids as one array, one statement each.
const UNMAILED_POSTGRES: &str =
    "SELECT id FROM notifications WHERE outbox_id IS NULL AND id = ANY($1::int8[])";
const ASSIGN_POSTGRES: &str = "UPDATE notifications SET outbox_id = $1 WHERE id = ANY($2::int8[])";

/// [`LineIds::claim`] on PostgreSQL: the mail's id taken from its sequence, then the lines in
/// no mail put in it by one update that returns them: the lines are looked up once, not once to
/// check and again to assign (0.7–1.0 s of a first poll's 274,000 lines). The mail is inserted
/// with that id in the same transaction; `notifications.outbox_id` has no foreign key on
/// PostgreSQL (migration 0015), so the mail may come after its lines.
const RESERVE_OUTBOX_ID_POSTGRES: &str = "SELECT nextval(pg_get_serial_sequence('outbox', 'id'))";
const CLAIM_POSTGRES: &str = "UPDATE notifications SET outbox_id = $1 \
     WHERE id = ANY($2::int8[]) AND outbox_id IS NULL RETURNING id";

impl LineIds for sqlx::Postgres {
    async fn claim(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> anyhow::Result<(HashSet<i64>, Option<i64>)> {
        let outbox_id: i64 = sqlx::query_scalar(RESERVE_OUTBOX_ID_POSTGRES)
            .fetch_one(&mut **tx)
            .await?;
        let claimed: Vec<i64> = sqlx::query_scalar(CLAIM_POSTGRES)
            .bind(outbox_id)
            .bind(candidates)
            .fetch_all(&mut **tx)
            .await?;
        Ok((claimed.into_iter().collect(), Some(outbox_id)))
    }

    async fn unmailed(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> anyhow::Result<HashSet<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar(UNMAILED_POSTGRES)
            .bind(candidates)
            .fetch_all(&mut **tx)
            .await?;
        Ok(ids.into_iter().collect())
    }

    async fn assign(
        tx: &mut sqlx::Transaction<'static, Self>,
        outbox_id: i64,
        ids: &[i64],
    ) -> anyhow::Result<()> {
        sqlx::query(ASSIGN_POSTGRES)
            .bind(outbox_id)
            .bind(ids)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Recording one batch's lines (`Store::record_lines`), each with its recipient: the new keys,
/// and the recorded keys in no mail yet, come back as (id, index into `lines`); keys already
/// mailed are left alone.
///
/// Both backends first try the batch as new keys, a plain insert: on the first poll after many
/// cases escalate at once every key is new, and an insert that need not look for a recorded
/// key (`ON CONFLICT`), nor look the keys up again afterwards, writes the same rows for less.
/// A key recorded already (by a pass that died before mailing it, by another instance, or
/// listed twice) makes that insert fail as a whole and change nothing; the batch is then
/// recorded as before, key by key against what is there.
pub(super) trait InsertLines: sqlx::Database {
    async fn insert_lines(
        tx: &mut sqlx::Transaction<'static, Self>,
        lines: &[(&str, &Item)],
    ) -> anyhow::Result<Vec<(i64, usize)>>;
}

/// The insert both recordings of SQLite share: each key of the JSON list `$1` a row.
macro_rules! record_keys_sqlite {
    () => {
        "INSERT INTO notifications (case_reference, stage, level, deadline, recipient, \
         occurrence) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, \
         'once' FROM jsonb_each($1)"
    };
}

/// [`InsertLines`] on SQLite: the batch's keys go in as one JSON array, each key `[reference,
/// stage, level, deadline, recipient]`. Recording a key that is there already does nothing.
/// `jsonb_each`, not `json_each`: its `value` is each key in SQLite's binary JSON, which the
/// five `->>` read as it is; `json_each` gives each key back as text, parsed again by every
/// `->>` (the insert and the look-up below took 0.53 s and 0.45 s of a first poll with it,
/// 0.36 s and 0.28 s without).
const INSERT_LINES_SQLITE: &str = concat!(
    record_keys_sqlite!(),
    " WHERE true ON CONFLICT (case_reference, stage, level, deadline, recipient, occurrence) \
     DO NOTHING"
);

/// Then, in the same transaction, which of the same keys are in no mail: new, or recorded by a
/// pass that died before mailing them. One JSON array back, `[id, index into $1]` each. The
/// keys are looked up one by one in the unique key's index: `CROSS JOIN` keeps the list
/// outside, and `+` keeps the planner off any index of `outbox_id` (there was one until
/// migration 0015: every unmailed line of a first poll, searched through for each key: minutes).
const UNMAILED_LINES_SQLITE: &str = "SELECT CAST(json_group_array(json_array(n.id, k.key)) \
     AS BLOB) FROM jsonb_each($1) AS k CROSS JOIN notifications AS n \
     ON n.case_reference = k.value ->> 0 AND n.stage = k.value ->> 1 \
     AND n.level = k.value ->> 2 AND n.deadline = k.value ->> 3 \
     AND n.recipient = k.value ->> 4 AND n.occurrence = 'once' WHERE +n.outbox_id IS NULL";

/// The batch as new keys ([`InsertLines`]), in the order listed (`ORDER BY key`, the place in
/// the list): SQLite gives the rows of one insert consecutive ids (each new row one more than
/// the table's largest, `AUTOINCREMENT`), so the last id and the count name every row.
const INSERT_NEW_LINES_SQLITE: &str = concat!(record_keys_sqlite!(), " ORDER BY key");

/// What the ids `$1`..=`$2` hold, to check that the new keys' rows are where the ids say:
/// their count, and the first and the last key.
const NEW_LINES_CHECK_SQLITE: &str = "SELECT count(*), \
     (SELECT CAST(json_array(case_reference, stage, level, deadline, recipient) AS BLOB) \
      FROM notifications WHERE id = $1), \
     (SELECT CAST(json_array(case_reference, stage, level, deadline, recipient) AS BLOB) \
      FROM notifications WHERE id = $2) \
     FROM notifications WHERE id BETWEEN $1 AND $2";

/// A line's key as SQLite's recording lists it: reference, stage, level, deadline (`%F`),
/// recipient.
type SqliteKey<'a> = (&'a str, &'a str, &'a str, String, &'a str);

/// Records `keys` as new ones, each its own row: their ids in the order listed, or `None` if
/// one of them is recorded already or listed twice (nothing is written then). The ids are
/// read off the insert (its last id and count) and checked against the rows at both ends;
/// rows found otherwise are left to the look-up that follows ([`UNMAILED_LINES_SQLITE`]).
async fn insert_new_sqlite(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    keys: &[SqliteKey<'_>],
    listed: &str,
) -> anyhow::Result<Option<Vec<(i64, usize)>>> {
    let (Some(first_key), Some(last_key)) = (keys.first(), keys.last()) else {
        return Ok(Some(Vec::new()));
    };
    let inserted = match sqlx::query(INSERT_NEW_LINES_SQLITE)
        .bind(listed)
        .execute(&mut **tx)
        .await
    {
        Ok(inserted) => inserted,
        // The statement is undone; the transaction and what it wrote before stand.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let count = i64::try_from(keys.len())?;
    let last = inserted.last_insert_rowid();
    let first = last - count + 1;
    let (found, at_first, at_last): (i64, Option<Vec<u8>>, Option<Vec<u8>>) =
        sqlx::query_as(NEW_LINES_CHECK_SQLITE)
            .bind(first)
            .bind(last)
            .fetch_one(&mut **tx)
            .await?;
    let is = |row: Option<Vec<u8>>, (r, s, l, d, t): &SqliteKey<'_>| {
        let Some(row) = row else { return false };
        serde_json::from_slice::<[Cow<'_, str>; 5]>(&row)
            .is_ok_and(|found| found == [*r, *s, *l, d.as_str(), *t])
    };
    let in_place = u64::try_from(count) == Ok(inserted.rows_affected())
        && found == count
        && is(at_first, first_key)
        && is(at_last, last_key);
    if !in_place {
        tracing::debug!(
            first,
            last,
            found,
            "new lines' ids not as counted; looking them up"
        );
        return Ok(None);
    }
    Ok(Some((first..=last).zip(0..keys.len()).collect()))
}

impl InsertLines for sqlx::Sqlite {
    /// A few statements a batch whatever the number of lines and recipients, the keys as one
    /// JSON text: sqlx's SQLite driver hands every bound value and every returned row across a
    /// thread (500 lines a statement and `RETURNING` row by row made a first poll 3.6–4.2 s
    /// instead of 2.8–3.2 s; docs/performance.md). New keys: the insert and its check. A key
    /// recorded already: that insert fails and is undone, then the batch is recorded against
    /// what is there and its keys looked up. The keys' texts are written as sqlx binds them (a
    /// date `%F`), so that they meet the unique key as before.
    async fn insert_lines(
        tx: &mut sqlx::Transaction<'static, Self>,
        lines: &[(&str, &Item)],
    ) -> anyhow::Result<Vec<(i64, usize)>> {
        let keys: Vec<SqliteKey<'_>> = lines
            .iter()
            .map(|(recipient, i)| {
                (
                    i.reference.as_str(),
                    i.stage.as_str(),
                    &*i.level_key,
                    i.deadline.format("%F").to_string(),
                    *recipient,
                )
            })
            .collect();
        let listed = serde_json::to_string(&keys)?;
        if let Some(new) = insert_new_sqlite(tx, &keys, &listed).await? {
            return Ok(new);
        }
        let keys = listed;
        sqlx::query(INSERT_LINES_SQLITE)
            .bind(&keys)
            .execute(&mut **tx)
            .await?;
        let unmailed: Vec<u8> = sqlx::query_scalar(UNMAILED_LINES_SQLITE)
            .bind(&keys)
            .fetch_one(&mut **tx)
            .await?;
        let mut unmailed: Vec<(i64, usize)> = serde_json::from_slice(&unmailed)?;
        // A key listed twice is one row: it goes with the last of its listings.
        unmailed.sort_unstable_by_key(|&(id, index)| (id, std::cmp::Reverse(index)));
        unmailed.dedup_by_key(|(id, _)| *id);
        Ok(unmailed)
    }
}

/// The insert both recordings of PostgreSQL share: each key of the arrays `$1`–`$5` a row.
macro_rules! record_keys_postgres {
    () => {
        "INSERT INTO notifications (case_reference, stage, level, deadline, recipient, \
         occurrence) SELECT r, s, l, d, t, 'once' FROM unnest($1::text[], $2::text[], \
         $3::text[], $4::date[], $5::text[]) AS k (r, s, l, d, t)"
    };
}

/// What both give back of each row: its id and its key ([`LineRow`]).
macro_rules! returning_keys_postgres {
    () => {
        " RETURNING id, case_reference, stage, level, deadline, recipient"
    };
}

/// [`InsertLines`] on PostgreSQL, after the recipients' locks ([`LOCK_RECIPIENTS_POSTGRES`],
/// each once, sorted): the keys, `$1`–`$5` their arrays; a key recorded already comes back if
/// it is in no mail yet (the update changes nothing).
const INSERT_LINES_POSTGRES: &str = concat!(
    record_keys_postgres!(),
    " ON CONFLICT (case_reference, stage, level, deadline, recipient, occurrence) \
     DO UPDATE SET outbox_id = NULL WHERE notifications.outbox_id IS NULL",
    returning_keys_postgres!()
);

/// The batch as new keys ([`InsertLines`]): [`INSERT_LINES_POSTGRES`] without its `ON
/// CONFLICT`, which PostgreSQL pays for key by key (a speculative insertion each). Tried in a
/// savepoint: a key recorded already fails it, and the savepoint undoes it.
const INSERT_NEW_LINES_POSTGRES: &str =
    concat!(record_keys_postgres!(), returning_keys_postgres!());

/// A line's key as PostgreSQL's recording lists it: reference, stage, level, deadline,
/// recipient.
type PgKey<'a> = (&'a str, &'a str, &'a str, NaiveDate, &'a str);

impl InsertLines for sqlx::Postgres {
    /// The whole batch in one insert, as five arrays (`unnest`), tried as new keys first: one
    /// round trip instead of one per recipient (22 a batch in the benchmark's setup). A key
    /// listed twice is listed once (PostgreSQL refuses to update a row twice in one statement).
    /// Each row comes back with its key's texts; returning its place in the arrays instead (`WITH ORDINALITY`,
    /// joined back in the statement) was slower (docs/performance.md).
    async fn insert_lines(
        tx: &mut sqlx::Transaction<'static, Self>,
        lines: &[(&str, &Item)],
    ) -> anyhow::Result<Vec<(i64, usize)>> {
        let mut recipients: Vec<&str> = lines.iter().map(|(r, _)| *r).collect();
        recipients.sort_unstable();
        recipients.dedup();
        sqlx::query(LOCK_RECIPIENTS_POSTGRES)
            .bind(recipients)
            .execute(&mut **tx)
            .await?;
        // Each key once, in the order first listed; its row goes with its last listing.
        let mut index: HashMap<PgKey<'_>, usize> = HashMap::with_capacity(lines.len());
        let mut keys = Vec::with_capacity(lines.len());
        for (n, (recipient, i)) in lines.iter().enumerate() {
            let key = (
                i.reference.as_str(),
                i.stage.as_str(),
                &*i.level_key,
                i.deadline,
                *recipient,
            );
            if index.insert(key, n).is_none() {
                keys.push(key);
            }
        }
        let references: Vec<&str> = keys.iter().map(|k| k.0).collect();
        let stages: Vec<&str> = keys.iter().map(|k| k.1).collect();
        let levels: Vec<&str> = keys.iter().map(|k| k.2).collect();
        let deadlines: Vec<NaiveDate> = keys.iter().map(|k| k.3).collect();
        let recipients: Vec<&str> = keys.iter().map(|k| k.4).collect();
        let insert = |statement| {
            sqlx::query_as::<_, LineRow>(statement)
                .bind(&references)
                .bind(&stages)
                .bind(&levels)
                .bind(&deadlines)
                .bind(&recipients)
        };
        let mut savepoint = sqlx::Acquire::begin(&mut *tx).await?;
        let rows = match insert(INSERT_NEW_LINES_POSTGRES)
            .fetch_all(&mut *savepoint)
            .await
        {
            Ok(rows) => {
                savepoint.commit().await?;
                rows
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                savepoint.rollback().await?;
                insert(INSERT_LINES_POSTGRES).fetch_all(&mut **tx).await?
            }
            Err(e) => return Err(e.into()),
        };
        Ok(rows
            .iter()
            .filter_map(|r| {
                let key = (
                    r.case_reference.as_str(),
                    r.stage.as_str(),
                    r.level.as_str(),
                    r.deadline,
                    r.recipient.as_str(),
                );
                index.get(&key).map(|n| (r.id, *n))
            })
            .collect())
    }
}

/// Which keys of some cases are mailed already (`Store::mailed_keys`): the digests
/// ([`key_hash`]) of their `once` lines that are in a mail, hashed as they are read: no text is
/// kept beyond the answer of one batch.
pub(super) trait MailedKeys: sqlx::Database {
    async fn mailed_keys(pool: &sqlx::Pool<Self>, references: &[&str])
    -> anyhow::Result<Vec<u128>>;
}

/// The columns of a key, in [`key_hash`]'s order, of the cases in an array. The unique key's
/// index begins with the reference.
const MAILED_KEYS_POSTGRES: &str = "SELECT case_reference, stage, level, deadline, recipient \
     FROM notifications WHERE occurrence = 'once' AND outbox_id IS NOT NULL \
     AND case_reference = ANY($1::text[])";

/// [`MailedKeys`] on SQLite: the references as one JSON text, the keys back as one JSON value
/// (`[reference, stage, level, deadline, recipient]` each).
const MAILED_KEYS_SQLITE: &str = "SELECT CAST(json_group_array(json_array(case_reference, \
     stage, level, deadline, recipient)) AS BLOB) FROM notifications \
     WHERE case_reference IN (SELECT value FROM json_each($1)) \
     AND occurrence = 'once' AND outbox_id IS NOT NULL";

impl MailedKeys for sqlx::Sqlite {
    async fn mailed_keys(
        pool: &sqlx::Pool<Self>,
        references: &[&str],
    ) -> anyhow::Result<Vec<u128>> {
        let keys: Vec<u8> = sqlx::query_scalar(MAILED_KEYS_SQLITE)
            .bind(serde_json::to_string(references)?)
            .fetch_one(pool)
            .await?;
        let keys: Vec<[Cow<'_, str>; 5]> = serde_json::from_slice(&keys)?;
        keys.iter()
            .map(|[reference, stage, level, deadline, recipient]| {
                let deadline = super::packed::date(deadline).ok_or_else(|| {
                    anyhow::anyhow!(
                        "case {reference}: a recorded notification's deadline {deadline:?} is \
                         not a date YYYY-MM-DD; correct the row in the table notifications"
                    )
                })?;
                Ok(key_hash(reference, stage, level, deadline, recipient))
            })
            .collect()
    }
}

impl MailedKeys for sqlx::Postgres {
    async fn mailed_keys(
        pool: &sqlx::Pool<Self>,
        references: &[&str],
    ) -> anyhow::Result<Vec<u128>> {
        use futures_util::TryStreamExt as _;
        let mut keys = Vec::new();
        let mut rows = sqlx::query(MAILED_KEYS_POSTGRES)
            .bind(references)
            .fetch(pool);
        while let Some(row) = rows.try_next().await? {
            use sqlx::Row as _;
            keys.push(key_hash(
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
            ));
        }
        Ok(keys)
    }
}
