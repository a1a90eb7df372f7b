//! Password hashing (Argon2id) and the password rules.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::PasswordRuleError;

/// Shortest password accepted. GB/T 22239-2019 (等保 2.0) 8.1.4.1 asks for complexity and
/// regular change; NIST SP 800-63B asks for length over composition. We ask for both: length
/// and three kinds of character.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Hashes with Argon2id at the crate's default cost (19 MiB, 2 passes), the OWASP baseline.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// True when `password` matches `stored`; a malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that a wrong user name takes
/// as long to refuse as a wrong password and does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    use std::sync::OnceLock;
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-never-matches").unwrap_or_default())
}

/// Checks the password rules; `username` may not appear in the password.
pub fn check_password_rules(password: &str, username: &str) -> Result<(), PasswordRuleError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordRuleError::TooShort {
            min: MIN_PASSWORD_CHARS,
            found: chars,
        });
    }
    if chars > 128 {
        return Err(PasswordRuleError::TooLong { max: 128 });
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|k| *k)
    .count();
    if kinds < 3 {
        return Err(PasswordRuleError::TooSimple);
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(PasswordRuleError::ContainsUsername);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let hash = hash_password("Correct-Horse-9").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("Correct-Horse-9", &hash));
        assert!(!verify_password("correct-horse-9", &hash));
        assert!(!verify_password("Correct-Horse-9", "not a hash"));
        assert!(!verify_password(
            "decoy-password-never-matches-not",
            decoy_hash()
        ));
    }

    #[test]
    fn rules_name_what_is_wrong() {
        assert_eq!(
            check_password_rules("Ab1-", "x"),
            Err(PasswordRuleError::TooShort { min: 10, found: 4 })
        );
        assert_eq!(
            check_password_rules("abcdefghijkl", "x"),
            Err(PasswordRuleError::TooSimple)
        );
        assert_eq!(
            check_password_rules("Zhang-wei-2026", "zhangwei"),
            Ok(()),
            "the user name must appear whole to be refused"
        );
        assert_eq!(
            check_password_rules("Zhangwei-2026", "zhangwei"),
            Err(PasswordRuleError::ContainsUsername)
        );
        assert_eq!(check_password_rules("南京-Health-2026", "x"), Ok(()));
    }
}
