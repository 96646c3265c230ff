//! The secrets duewatch makes and checks, and never keeps as given: random tokens (the
//! sections' feed tokens, the API's bearer tokens, session cookies) kept as their SHA-256 and
//! compared in constant time, and console passwords kept as argon2id PHC strings. No other room
//! handles a secret's bytes.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use ring::rand::SecureRandom as _;

/// The bytes of a token, from the system's CSPRNG: 256 bits, printed as 64 hex digits.
pub const TOKEN_BYTES: usize = 32;

/// The bytes of a password's salt (the PHC string format's recommended 16).
const SALT_BYTES: usize = 16;

/// An argon2id hash (default parameters) of a password nobody knows: [`verify_password`]
/// checks against it when the user has no password or does not exist, so that such a login
/// takes as long as one with a wrong password and does not tell which names exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$rVI2Mlkwhp28M/2nuqkUyQ$Il9dZZZUNCvFOd1SmVx8YkJVoqhMEaMp0iz770sBQuA";

/// The system's random number generator, filling `bytes`.
fn fill_random(bytes: &mut [u8]) -> anyhow::Result<()> {
    ring::rand::SystemRandom::new()
        .fill(bytes)
        .map_err(|_| anyhow::anyhow!("the system's random number generator failed"))
}

/// A new random token, as 64 lower-case hex digits.
///
/// # Errors
/// The system's random source failed.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    fill_random(&mut bytes)?;
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

/// The argon2id PHC string of `password` (the crate's default parameters, a new random salt):
/// what `users.password_hash` keeps.
///
/// # Errors
/// The system's random source failed, or hashing failed.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; SALT_BYTES];
    fill_random(&mut salt)?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| anyhow::anyhow!("encoding a password's salt: {e}"))?;
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `given` is the password whose PHC string is `phc`. With no hash (no such user, or
/// a user without a password) or one that does not parse, it still verifies once, against a
/// fixed hash, and says no: every refusal takes about as long as a wrong password.
pub fn verify_password(phc: Option<&str>, given: &str) -> bool {
    let argon2 = argon2::Argon2::default();
    let parsed = phc.and_then(|phc| PasswordHash::new(phc).ok());
    match parsed {
        Some(hash) => argon2.verify_password(given.as_bytes(), &hash).is_ok(),
        None => {
            if let Ok(dummy) = PasswordHash::new(DUMMY_HASH) {
                let _ = std::hint::black_box(argon2.verify_password(given.as_bytes(), &dummy));
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DUMMY_HASH, hash, hash_password, matches, new_token, verify_password};

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

    #[test]
    fn a_password_is_kept_as_argon2id_and_only_itself_verifies() {
        let phc = hash_password("correct horse battery").expect("hashed");
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(!phc.contains("correct horse"), "{phc}");
        assert_ne!(
            phc,
            hash_password("correct horse battery").expect("hashed"),
            "a new salt each time"
        );
        assert!(verify_password(Some(&phc), "correct horse battery"));
        assert!(!verify_password(Some(&phc), "correct horse batter"));
        assert!(!verify_password(Some(&phc), ""));
        assert!(!verify_password(None, "correct horse battery"));
        assert!(!verify_password(Some("not a hash"), "not a hash"));
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash_of_the_default_cost() {
        let dummy = argon2::password_hash::PasswordHash::new(DUMMY_HASH).expect("it parses");
        let made = hash_password("x").expect("hashed");
        let made = argon2::password_hash::PasswordHash::new(&made).expect("it parses");
        assert_eq!(dummy.algorithm, made.algorithm);
        assert_eq!(
            dummy.params, made.params,
            "the same cost as a real password's"
        );
    }
}
