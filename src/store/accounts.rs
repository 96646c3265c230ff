//! The `users` and `api_tokens` tables (issue 16): the console's accounts, each with a role
//! ([`Role`]) and an optional password (an argon2id PHC string, made by
//! [`super::secret::hash_password`]), and the bearer tokens of the API, kept as their SHA-256
//! ([`super::secret::hash`]). Times are unix seconds (UTC), given by the caller.
//!
//! Disabling a user or changing its password ends its sessions in the same transaction
//! (`sessions`, see [`super::sessions`]); a disabled user's tokens are refused by
//! [`Store::token_account`]. Nothing here checks a password or decides who may do what: the
//! web layer does, with [`crate::domain::account`].

use super::{Store, WritePool, with_pool};
use crate::domain::account::{Role, UserName};

const INSERT_USER: &str = "INSERT INTO users (name, role, password_hash, disabled, created_at, \
     updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
const USERS: &str = "SELECT id, name, role, password_hash, disabled, created_at FROM users \
     ORDER BY name";
const ANY_USER: &str = "SELECT 1 FROM users LIMIT 1";
const USER_BY_NAME: &str = "SELECT id, name, role, password_hash, disabled, created_at \
     FROM users WHERE name = $1";
const USER_ID: &str = "SELECT id FROM users WHERE name = $1";
const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
const SET_DISABLED: &str = "UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1";
const END_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";

const INSERT_TOKEN: &str = "INSERT INTO api_tokens (user_id, label, token_hash, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";
const TOKENS: &str = "SELECT t.id, u.name AS user_name, t.label, t.created_at, t.last_used_at, \
     t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id";
const REVOKE_TOKEN: &str =
    "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
/// A working token's user: the token not revoked, its user not disabled.
const TOKEN_USER: &str = "SELECT u.id, u.name, u.role, u.password_hash, u.disabled, \
     u.created_at, t.id AS token_id, t.last_used_at FROM api_tokens t \
     JOIN users u ON u.id = t.user_id \
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled";
const TOKEN_USED: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";

/// How stale `api_tokens.last_used_at` may grow before a use writes it again: a script calling
/// the API in a loop does not write a row per call.
const TOKEN_USE_RESOLUTION_SECS: i64 = 60;

/// An account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `users.id`.
    pub id: i64,
    /// The login name.
    pub name: UserName,
    /// What the user may see and do.
    pub role: Role,
    /// Whether the account is disabled (no login, no session, no token works).
    pub disabled: bool,
    /// Whether it has a password (else it logs in only by single sign-on, or not at all).
    pub has_password: bool,
    /// Made at, unix seconds (UTC).
    pub created_at: i64,
}

/// An API token as `token list` shows it (never the token itself: the table does not hold it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    /// `api_tokens.id` (`token revoke ID`).
    pub id: i64,
    /// The user it acts as.
    #[sqlx(rename = "user_name")]
    pub user: String,
    /// What it is for.
    pub label: Option<String>,
    /// Made at, unix seconds (UTC).
    pub created_at: i64,
    /// Last accepted at (to the minute), unix seconds; `None`: never used.
    pub last_used_at: Option<i64>,
    /// Revoked at, unix seconds; `None`: it works (while its user is enabled).
    pub revoked_at: Option<i64>,
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The name is taken.
    #[error(
        "the user {0} exists already: user names are unique\n  help: choose another name, or change that user with `duewatch user passwd|disable|enable`"
    )]
    Exists(UserName),
    /// No user has this name.
    #[error("there is no user \"{}\"\n  help: `duewatch user list` shows the users", .0.escape_debug())]
    NoSuchUser(String),
    /// The database failed, or a stored row cannot be read.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Other(e.into())
    }
}

/// A `users` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    name: String,
    role: String,
    password_hash: Option<String>,
    disabled: bool,
    created_at: i64,
}

impl UserRow {
    /// Whether the user is disabled.
    pub(crate) fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// The account and its password hash; a stored name or role that no longer parses is an
    /// error naming the user and the column.
    pub(crate) fn into_account(self) -> anyhow::Result<(Account, Option<String>)> {
        let bad = |what: &str, e: String| {
            anyhow::anyhow!(
                "user \"{}\" (users.id {}): the stored {what} cannot be read ({e}); correct the row",
                self.name.escape_debug(),
                self.id
            )
        };
        let name = UserName::parse(&self.name).map_err(|e| bad("name", e))?;
        let role = Role::parse(&self.role).map_err(|e| bad("role", e))?;
        let account = Account {
            id: self.id,
            name,
            role,
            disabled: self.disabled,
            has_password: self.password_hash.is_some(),
            created_at: self.created_at,
        };
        Ok((account, self.password_hash))
    }
}

/// A working token's row: its user's, and the token's id and last use.
#[derive(Debug, sqlx::FromRow)]
struct TokenUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    token_id: i64,
    last_used_at: Option<i64>,
}

impl Store {
    /// Adds a user with `role` and a password hash (`None`: no password), at `now` (unix
    /// seconds).
    ///
    /// # Errors
    /// [`AccountError::Exists`] when the name is taken; a database failure.
    pub async fn add_user(
        &self,
        name: &UserName,
        role: &Role,
        password_hash: Option<&str>,
        now: i64,
    ) -> Result<Account, AccountError> {
        let inserted: sqlx::Result<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(INSERT_USER)
                .bind(name.as_str())
                .bind(role.to_string())
                .bind(password_hash)
                .bind(false)
                .bind(now)
                .fetch_one(pool)
                .await
        });
        // The unique key decides, so two instances adding the same name at once cannot both win.
        let id = inserted.map_err(|e| match e.as_database_error() {
            Some(d) if d.is_unique_violation() => AccountError::Exists(name.clone()),
            _ => e.into(),
        })?;
        Ok(Account {
            id,
            name: name.clone(),
            role: role.clone(),
            disabled: false,
            has_password: password_hash.is_some(),
            created_at: now,
        })
    }

    /// Every user, by name.
    ///
    /// # Errors
    /// A database failure, or a stored row that cannot be read (named).
    pub async fn users(&self) -> anyhow::Result<Vec<Account>> {
        let rows: Vec<UserRow> =
            with_pool!(self, |pool| sqlx::query_as(USERS).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|row| row.into_account().map(|(account, _)| account))
            .collect()
    }

    /// Whether any user exists (one row looked up).
    ///
    /// # Errors
    /// A database failure.
    pub async fn has_users(&self) -> anyhow::Result<bool> {
        let any: Option<i32> = with_pool!(self, |pool| {
            sqlx::query_scalar(ANY_USER).fetch_optional(pool).await
        })?;
        Ok(any.is_some())
    }

    /// The user named `name` with its password hash; `None` when there is none.
    ///
    /// # Errors
    /// A database failure, or a stored row that cannot be read (named).
    pub async fn user(&self, name: &str) -> anyhow::Result<Option<(Account, Option<String>)>> {
        let row: Option<UserRow> = with_pool!(self, |pool| {
            sqlx::query_as(USER_BY_NAME)
                .bind(name)
                .fetch_optional(pool)
                .await
        })?;
        row.map(UserRow::into_account).transpose()
    }

    /// Sets `name`'s password hash, at `now`, and ends its sessions (a changed password logs
    /// everyone out who knew the old one).
    ///
    /// # Errors
    /// [`AccountError::NoSuchUser`]; a database failure.
    pub async fn set_password(&self, name: &str, hash: &str, now: i64) -> Result<(), AccountError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(USER_ID)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let id = id.ok_or_else(|| AccountError::NoSuchUser(name.to_owned()))?;
            sqlx::query(SET_PASSWORD)
                .bind(id)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(END_SESSIONS).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Disables or enables `name`, at `now`. Disabling ends its sessions at once; its tokens
    /// are refused while it is disabled (and work again when it is enabled, unless revoked).
    ///
    /// # Errors
    /// [`AccountError::NoSuchUser`]; a database failure.
    pub async fn set_disabled(
        &self,
        name: &str,
        disabled: bool,
        now: i64,
    ) -> Result<(), AccountError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(USER_ID)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let id = id.ok_or_else(|| AccountError::NoSuchUser(name.to_owned()))?;
            sqlx::query(SET_DISABLED)
                .bind(id)
                .bind(disabled)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if disabled {
                sqlx::query(END_SESSIONS).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Keeps a new API token of `name` (its SHA-256 `hash`), labelled, made at `now`; its id.
    ///
    /// # Errors
    /// [`AccountError::NoSuchUser`]; a database failure.
    pub async fn add_token(
        &self,
        name: &str,
        label: Option<&str>,
        hash: &[u8],
        now: i64,
    ) -> Result<i64, AccountError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let user: Option<i64> = sqlx::query_scalar(USER_ID)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let user = user.ok_or_else(|| AccountError::NoSuchUser(name.to_owned()))?;
            let id: i64 = sqlx::query_scalar(INSERT_TOKEN)
                .bind(user)
                .bind(label)
                .bind(hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Every API token (revoked ones too), oldest first.
    ///
    /// # Errors
    /// A database failure.
    pub async fn tokens(&self) -> anyhow::Result<Vec<TokenRow>> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_as(TOKENS).fetch_all(pool).await
        })?)
    }

    /// Revokes token `id` at `now`; whether it was working (`false`: no such token, or revoked
    /// already).
    ///
    /// # Errors
    /// A database failure.
    pub async fn revoke_token(&self, id: i64, now: i64) -> anyhow::Result<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(REVOKE_TOKEN)
                .bind(id)
                .bind(now)
                .execute(pool)
                .await
                .map(|d| d.rows_affected())
        })?;
        Ok(done > 0)
    }

    /// The account the token with SHA-256 `hash` acts as, when the token is not revoked and its
    /// user is enabled; notes the use at `now` (to the minute).
    ///
    /// # Errors
    /// A database failure, or a stored row that cannot be read (named).
    pub async fn token_account(&self, hash: &[u8], now: i64) -> anyhow::Result<Option<Account>> {
        let row: Option<TokenUserRow> = with_pool!(self, |pool| {
            sqlx::query_as(TOKEN_USER)
                .bind(hash)
                .fetch_optional(pool)
                .await
        })?;
        let Some(row) = row else {
            return Ok(None);
        };
        if row
            .last_used_at
            .is_none_or(|at| now - at >= TOKEN_USE_RESOLUTION_SECS)
        {
            with_pool!(self, |pool| {
                sqlx::query(TOKEN_USED)
                    .bind(row.token_id)
                    .bind(now)
                    .execute(pool)
                    .await
                    .map(|d| d.rows_affected())
            })?;
        }
        Ok(Some(row.user.into_account()?.0))
    }
}
