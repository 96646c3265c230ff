//! The `feed_tokens` table: each section's token for its calendar feed
//! (`GET /feeds/{section}.ics?token=…`), one at a time, kept as its SHA-256 only ([`hash`]);
//! making a token ([`new_token`]) and checking one ([`matches`], in constant time) live here
//! beside the table, so that no other room handles a token's bytes.

use ring::rand::SecureRandom as _;

use super::{Store, with_pool};
use crate::domain::case::SectionCode;

/// The bytes of a token, from the system's CSPRNG: 256 bits, printed as 64 hex digits.
pub const TOKEN_BYTES: usize = 32;

const SET_SQLITE: &str = "INSERT INTO feed_tokens (section, token_hash) VALUES ($1, $2) \
     ON CONFLICT (section) DO UPDATE SET token_hash = excluded.token_hash, \
     created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
const SET_POSTGRES: &str = "INSERT INTO feed_tokens (section, token_hash) VALUES ($1, $2) \
     ON CONFLICT (section) DO UPDATE SET token_hash = excluded.token_hash, created_at = now()";
const HASH_OF: &str = "SELECT token_hash FROM feed_tokens WHERE section = $1";
const LIST: &str = "SELECT section, CAST(created_at AS TEXT) FROM feed_tokens ORDER BY section";
const REVOKE: &str = "DELETE FROM feed_tokens WHERE section = $1";

/// A new random token, as 64 lower-case hex digits.
///
/// # Errors
/// The system's random source failed.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system's random number generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The SHA-256 of `token` as given (its text's bytes): what the table keeps.
pub fn hash(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Whether `given` is the token whose hash is `stored`, comparing the hashes in constant time
/// (every byte, whatever differs first).
pub fn matches(stored: &[u8], given: &str) -> bool {
    let given = hash(given);
    if stored.len() != given.len() {
        return false;
    }
    let differ = stored
        .iter()
        .zip(given.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(differ) == 0
}

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

#[cfg(test)]
mod tests {
    use super::{hash, matches, new_token};

    #[test]
    fn a_token_is_64_hex_digits_new_each_time_and_only_its_own_hash_matches() {
        let (a, b) = (new_token().expect("a token"), new_token().expect("a token"));
        assert_eq!(a.len(), 64);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
        assert!(matches(&hash(&a), &a));
        assert!(!matches(&hash(&a), &b));
        assert!(
            !matches(&hash(&a)[..31], &a),
            "a truncated hash matches nothing"
        );
        assert!(!matches(&hash(&a), ""));
    }
}
