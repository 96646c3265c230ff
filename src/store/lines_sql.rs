//! The statements of `Store::record_lines` and `Store::mail_lines` that differ by backend:
//! SQLite takes lists of at most 500 lines or ids a statement (placeholders each); PostgreSQL
//! takes each list as arrays in one statement (`unnest`, `= ANY`), one round trip instead of
//! one per 500 (the first poll after 100,000 cases escalate at once records 200,000 keys).

use std::collections::HashSet;

use chrono::NaiveDate;

use super::rows::LineRow;
use crate::domain::escalation::{Item, key_hash};

/// A recipient's recorded lines in `Store::mail_lines`: which of them are in no mail yet, and
/// putting them in one.
pub(super) trait LineIds: sqlx::Database {
    async fn unmailed(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> sqlx::Result<HashSet<i64>>;
    async fn assign(
        tx: &mut sqlx::Transaction<'static, Self>,
        outbox_id: i64,
        ids: &[i64],
    ) -> sqlx::Result<()>;
}

impl LineIds for sqlx::Sqlite {
    /// 500 ids a statement.
    async fn unmailed(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> sqlx::Result<HashSet<i64>> {
        let mut still = HashSet::new();
        for chunk in candidates.chunks(500) {
            let mut select = sqlx::QueryBuilder::new(
                "SELECT id FROM notifications WHERE outbox_id IS NULL AND id IN (",
            );
            let mut ids = select.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            select.push(")");
            let ids: Vec<i64> = select.build_query_scalar().fetch_all(&mut **tx).await?;
            still.extend(ids);
        }
        Ok(still)
    }

    async fn assign(
        tx: &mut sqlx::Transaction<'static, Self>,
        outbox_id: i64,
        ids: &[i64],
    ) -> sqlx::Result<()> {
        for chunk in ids.chunks(500) {
            let mut update = sqlx::QueryBuilder::new("UPDATE notifications SET outbox_id = ");
            update.push_bind(outbox_id).push(" WHERE id IN (");
            let mut list = update.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            update.push(")");
            update.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// [`LineIds`] on PostgreSQL: the ids as one array, one statement each.
const UNMAILED_POSTGRES: &str =
    "SELECT id FROM notifications WHERE outbox_id IS NULL AND id = ANY($1::int8[])";
const ASSIGN_POSTGRES: &str = "UPDATE notifications SET outbox_id = $1 WHERE id = ANY($2::int8[])";

impl LineIds for sqlx::Postgres {
    async fn unmailed(
        tx: &mut sqlx::Transaction<'static, Self>,
        candidates: &[i64],
    ) -> sqlx::Result<HashSet<i64>> {
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
    ) -> sqlx::Result<()> {
        sqlx::query(ASSIGN_POSTGRES)
            .bind(outbox_id)
            .bind(ids)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Recording one recipient's lines (`Store::record_lines`): the new keys, and the recorded
/// keys in no mail yet, come back (`RETURNING`); keys already mailed are left alone.
pub(super) trait InsertLines: sqlx::Database {
    async fn insert_lines(
        tx: &mut sqlx::Transaction<'static, Self>,
        recipient: &str,
        items: &[&Item],
    ) -> sqlx::Result<Vec<LineRow>>;
}

impl InsertLines for sqlx::Sqlite {
    /// 500 lines a statement (five placeholders each).
    async fn insert_lines(
        tx: &mut sqlx::Transaction<'static, Self>,
        recipient: &str,
        items: &[&Item],
    ) -> sqlx::Result<Vec<LineRow>> {
        let mut rows = Vec::new();
        for chunk in items.chunks(500) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO notifications (case_reference, stage, level, deadline, recipient, \
                 occurrence) ",
            );
            insert.push_values(chunk, |mut row, item| {
                row.push_bind(item.reference.as_str())
                    .push_bind(item.stage.as_str())
                    .push_bind(&*item.level_key)
                    .push_bind(item.deadline)
                    .push_bind(recipient)
                    .push("'once'");
            });
            insert.push(
                " ON CONFLICT (case_reference, stage, level, deadline, recipient, occurrence) \
                 DO UPDATE SET outbox_id = NULL WHERE notifications.outbox_id IS NULL \
                 RETURNING id, case_reference, stage, level, deadline",
            );
            rows.extend(insert.build_query_as().fetch_all(&mut **tx).await?);
        }
        Ok(rows)
    }
}

/// [`InsertLines`] on PostgreSQL: `$1`–`$4` the keys' arrays, `$5` the recipient; the conflict
/// clause is the SQLite statement's: a key recorded already comes back if it is in no mail yet.
const INSERT_LINES_POSTGRES: &str = "INSERT INTO notifications (case_reference, stage, level, \
     deadline, recipient, occurrence) SELECT r, s, l, d, $5, 'once' \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::date[]) AS t (r, s, l, d) \
     ON CONFLICT (case_reference, stage, level, deadline, recipient, occurrence) \
     DO UPDATE SET outbox_id = NULL WHERE notifications.outbox_id IS NULL \
     RETURNING id, case_reference, stage, level, deadline";

impl InsertLines for sqlx::Postgres {
    /// All of the recipient's lines in one statement, as four arrays (`unnest`): one round trip
    /// instead of one per 500 lines. A key listed twice is listed once (PostgreSQL refuses to
    /// update a row twice in one statement).
    async fn insert_lines(
        tx: &mut sqlx::Transaction<'static, Self>,
        recipient: &str,
        items: &[&Item],
    ) -> sqlx::Result<Vec<LineRow>> {
        let mut seen = HashSet::with_capacity(items.len());
        let keys: Vec<(&str, &str, &str, NaiveDate)> = items
            .iter()
            .map(|i| {
                (
                    i.reference.as_str(),
                    i.stage.as_str(),
                    &*i.level_key,
                    i.deadline,
                )
            })
            .filter(|key| seen.insert(*key))
            .collect();
        let references: Vec<&str> = keys.iter().map(|k| k.0).collect();
        let stages: Vec<&str> = keys.iter().map(|k| k.1).collect();
        let levels: Vec<&str> = keys.iter().map(|k| k.2).collect();
        let deadlines: Vec<NaiveDate> = keys.iter().map(|k| k.3).collect();
        sqlx::query_as(INSERT_LINES_POSTGRES)
            .bind(references)
            .bind(stages)
            .bind(levels)
            .bind(deadlines)
            .bind(recipient)
            .fetch_all(&mut **tx)
            .await
    }
}

/// Which keys of some cases are mailed already (`Store::mailed_keys`): the digests
/// ([`key_hash`]) of their `once` lines that are in a mail. The rows are read as they come and
/// hashed in place: no text is kept.
pub(super) trait MailedKeys: sqlx::Database {
    async fn mailed_keys(pool: &sqlx::Pool<Self>, references: &[&str]) -> sqlx::Result<Vec<u128>>;
}

/// A mailed key's row, hashed as [`Item::key_hash`] hashes the item.
fn hashed<R: sqlx::Row>(row: &R) -> sqlx::Result<u128>
where
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    NaiveDate: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(key_hash(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
    ))
}

/// The columns of a key, in [`key_hash`]'s order, of the cases in an array (on SQLite, a list
/// of at most 500 placeholders follows the same text). The unique key's index begins with the
/// reference.
const MAILED_KEYS_POSTGRES: &str = "SELECT case_reference, stage, level, deadline, recipient \
     FROM notifications WHERE occurrence = 'once' AND outbox_id IS NOT NULL \
     AND case_reference = ANY($1::text[])";

impl MailedKeys for sqlx::Sqlite {
    async fn mailed_keys(pool: &sqlx::Pool<Self>, references: &[&str]) -> sqlx::Result<Vec<u128>> {
        use futures_util::TryStreamExt as _;
        let mut keys = Vec::new();
        for chunk in references.chunks(500) {
            let mut select = sqlx::QueryBuilder::new(
                "SELECT case_reference, stage, level, deadline, recipient FROM notifications \
                 WHERE occurrence = 'once' AND outbox_id IS NOT NULL AND case_reference IN (",
            );
            let mut list = select.separated(", ");
            for reference in chunk {
                list.push_bind(*reference);
            }
            select.push(")");
            let mut rows = select.build().fetch(pool);
            while let Some(row) = rows.try_next().await? {
                keys.push(hashed(&row)?);
            }
        }
        Ok(keys)
    }
}

impl MailedKeys for sqlx::Postgres {
    async fn mailed_keys(pool: &sqlx::Pool<Self>, references: &[&str]) -> sqlx::Result<Vec<u128>> {
        use futures_util::TryStreamExt as _;
        let mut keys = Vec::new();
        let mut rows = sqlx::query(MAILED_KEYS_POSTGRES)
            .bind(references)
            .fetch(pool);
        while let Some(row) = rows.try_next().await? {
            keys.push(hashed(&row)?);
        }
        Ok(keys)
    }
}
