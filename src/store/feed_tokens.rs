//! The `feed_tokens` table: each section's token for its calendar feed
//! (`GET /feeds/{section}.ics?token=…`), one at a time, kept as its SHA-256 only
//! ([`super::secret::hash`]); tokens are made and checked by [`super::secret`].

use super::{Store, with_pool};
use crate::domain::case::SectionCode;

const SET_SQLITE: &str = "INSERT INTO feed_tokens (section, token_hash) VALUES ($1, $2) \
     ON CONFLICT (section) DO UPDATE SET token_hash = excluded.token_hash, \
     created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
const SET_POSTGRES: &str = "INSERT INTO feed_tokens (section, token_hash) VALUES ($1, $2) \
     ON CONFLICT (section) DO UPDATE SET token_hash = excluded.token_hash, created_at = now()";
const HASH_OF: &str = "SELECT token_hash FROM feed_tokens WHERE section = $1";
const LIST: &str = "SELECT section, CAST(created_at AS TEXT) FROM feed_tokens ORDER BY section";
const REVOKE: &str = "DELETE FROM feed_tokens WHERE section = $1";

impl Store {
    /// Keeps `hash` as `section`'s feed token, replacing the previous one (which stops working).
    ///
    /// # Errors
    /// A database failure.
    pub async fn set_feed_token(&self, section: &SectionCode, hash: &[u8]) -> anyhow::Result<()> {
        let sql = self.sql(SET_SQLITE, SET_POSTGRES);
        with_pool!(self, |pool| {
            sqlx::query(sql)
                .bind(section.as_str())
                .bind(hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The hash of `section`'s feed token, `None` when it has none.
    ///
    /// # Errors
    /// A database failure.
    pub async fn feed_token_hash(&self, section: &SectionCode) -> anyhow::Result<Option<Vec<u8>>> {
        with_pool!(self, |pool| {
            let hash: Option<Vec<u8>> = sqlx::query_scalar(HASH_OF)
                .bind(section.as_str())
                .fetch_optional(pool)
                .await?;
            Ok(hash)
        })
    }

    /// The sections with a feed token and when each was made (the database's time, as text),
    /// by code.
    ///
    /// # Errors
    /// A database failure.
    pub async fn feed_tokens(&self) -> anyhow::Result<Vec<(String, String)>> {
        with_pool!(self, |pool| {
            let rows: Vec<(String, String)> = sqlx::query_as(LIST).fetch_all(pool).await?;
            Ok(rows)
        })
    }

    /// Forgets `section`'s feed token (its feed then answers 404); whether it had one.
    ///
    /// # Errors
    /// A database failure.
    pub async fn revoke_feed_token(&self, section: &str) -> anyhow::Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query(REVOKE).bind(section).execute(pool).await?;
            Ok(done.rows_affected() > 0)
        })
    }
}
