//! The `sessions` and `login_failures` tables (issue 16): the console's logins, each kept as
//! the SHA-256 of its cookie's value with its CSRF token, until logout, expiry or its user's
//! disabling; and the failed logins, by name and by address, that the web layer counts to slow
//! down guessing (kept a day: the housekeeping job forgets older ones).
//!
//! Times are unix seconds (UTC), given by the caller; the limits (idle, maximum age) are the
//! caller's too. Nothing here decides whether a login succeeds.

use super::accounts::{Account, UserRow};
use super::{Store, with_pool};

const OPEN_SESSION: &str = "INSERT INTO sessions (id_hash, user_id, csrf, created_at, \
     last_seen_at) VALUES ($1, $2, $3, $4, $4)";
/// A session with its user.
const SESSION: &str = "SELECT u.id, u.name, u.role, u.password_hash, u.disabled, u.created_at, \
     s.csrf, s.created_at AS session_created_at, s.last_seen_at FROM sessions s \
     JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1";
const SEEN: &str = "UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1";
const CLOSE_SESSION: &str = "DELETE FROM sessions WHERE id_hash = $1";
const FORGET_SESSIONS: &str = "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2";

const LOGIN_FAILED: &str =
    "INSERT INTO login_failures (at, username, address) VALUES ($1, $2, $3) RETURNING id";
const FORGET_LOGIN_ATTEMPT: &str = "DELETE FROM login_failures WHERE id = $1";
const LOGIN_FAILURES: &str = "SELECT \
     (SELECT count(*) FROM login_failures WHERE username = $1 AND at >= $3), \
     (SELECT count(*) FROM login_failures WHERE address = $2 AND at >= $3)";
const FORGET_LOGIN_FAILURES: &str = "DELETE FROM login_failures WHERE at < $1";

/// A `sessions` row with its user's.
#[derive(Debug, sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    csrf: String,
    session_created_at: i64,
    last_seen_at: i64,
}

impl Store {
    /// Opens a session of user `user_id` at `now`: `id_hash` is the SHA-256 of the cookie's
    /// value, `csrf` the token its forms must send.
    ///
    /// # Errors
    /// A database failure (an `id_hash` already taken included: a new cookie is random).
    pub async fn open_session(
        &self,
        id_hash: &[u8],
        user_id: i64,
        csrf: &str,
        now: i64,
    ) -> anyhow::Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(OPEN_SESSION)
                .bind(id_hash)
                .bind(user_id)
                .bind(csrf)
                .bind(now)
                .execute(pool)
                .await
                .map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// The session's account and CSRF token when it exists, its user is enabled, it was seen
    /// within `idle_secs` and made within `max_secs` of `now`; touches `last_seen_at`; deletes
    /// it when expired.
    ///
    /// # Errors
    /// A database failure, or a stored user row that cannot be read (named).
    pub async fn session(
        &self,
        id_hash: &[u8],
        now: i64,
        idle_secs: i64,
        max_secs: i64,
    ) -> anyhow::Result<Option<(Account, String)>> {
        let row: Option<SessionRow> = with_pool!(self, |pool| {
            sqlx::query_as(SESSION)
                .bind(id_hash)
                .fetch_optional(pool)
                .await
        })?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expired = now - row.last_seen_at > idle_secs || now - row.session_created_at > max_secs;
        if expired || row.user.is_disabled() {
            self.close_session(id_hash).await?;
            return Ok(None);
        }
        // Once a second at most: the requests of one page load write one row.
        if now > row.last_seen_at {
            with_pool!(self, |pool| {
                sqlx::query(SEEN)
                    .bind(id_hash)
                    .bind(now)
                    .execute(pool)
                    .await
                    .map(|d| d.rows_affected())
            })?;
        }
        let (account, _) = row.user.into_account()?;
        Ok(Some((account, row.csrf)))
    }

    /// Ends the session (logout); nothing when there is none.
    ///
    /// # Errors
    /// A database failure.
    pub async fn close_session(&self, id_hash: &[u8]) -> anyhow::Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(CLOSE_SESSION)
                .bind(id_hash)
                .execute(pool)
                .await
                .map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// Forgets the sessions last seen before `seen_before` or made before `made_before` (unix
    /// seconds): expired ones that nobody came back with. How many.
    ///
    /// # Errors
    /// A database failure.
    pub async fn forget_sessions(&self, seen_before: i64, made_before: i64) -> anyhow::Result<u64> {
        let done = with_pool!(self, |pool| {
            sqlx::query(FORGET_SESSIONS)
                .bind(seen_before)
                .bind(made_before)
                .execute(pool)
                .await
                .map(|d| d.rows_affected())
        })?;
        Ok(done)
    }

    /// Notes a login of `name` (as given, at most 64 characters kept) from `address` at `now`
    /// as failed, before its password is checked (so that logins sent at once all count); its
    /// row's id, to forget it by ([`Store::forget_login_attempt`]) when it succeeds.
    ///
    /// # Errors
    /// A database failure.
    pub async fn login_failed(&self, name: &str, address: &str, now: i64) -> anyhow::Result<i64> {
        let name: String = name.chars().take(64).collect();
        let id: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(LOGIN_FAILED)
                .bind(now)
                .bind(&name)
                .bind(address)
                .fetch_one(pool)
                .await
        })?;
        Ok(id)
    }

    /// Forgets the attempt `id` noted by [`Store::login_failed`]: it succeeded, or was held back
    /// unchecked.
    ///
    /// # Errors
    /// A database failure.
    pub async fn forget_login_attempt(&self, id: i64) -> anyhow::Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(FORGET_LOGIN_ATTEMPT)
                .bind(id)
                .execute(pool)
                .await
                .map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// Failures since `since` (unix seconds, included) for this name and for this address.
    ///
    /// # Errors
    /// A database failure.
    pub async fn login_failures(
        &self,
        name: &str,
        address: &str,
        since: i64,
    ) -> anyhow::Result<(u32, u32)> {
        let (by_name, by_address): (i64, i64) = with_pool!(self, |pool| {
            sqlx::query_as(LOGIN_FAILURES)
                .bind(name)
                .bind(address)
                .bind(since)
                .fetch_one(pool)
                .await
        })?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok((count(by_name), count(by_address)))
    }

    /// Forgets the failed logins before `before` (unix seconds); how many.
    ///
    /// # Errors
    /// A database failure.
    pub async fn forget_login_failures(&self, before: i64) -> anyhow::Result<u64> {
        let done = with_pool!(self, |pool| {
            sqlx::query(FORGET_LOGIN_FAILURES)
                .bind(before)
                .execute(pool)
                .await
                .map(|d| d.rows_affected())
        })?;
        Ok(done)
    }
}
