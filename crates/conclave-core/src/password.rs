//! Password hashing: Argon2id for every new hash; bcrypt accepted for imported Mattermost
//! accounts and replaced by Argon2id at the next successful login.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn argon2() -> Argon2<'static> {
    // OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 params are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes with Argon2id. CPU-heavy: call from a blocking thread.
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against an Argon2 (PHC string) or bcrypt (`$2a$`/`$2b$`/`$2y$`) hash.
/// An empty or unparsable hash never matches. CPU-heavy: call from a blocking thread.
pub fn verify(password: &str, stored: &str) -> bool {
    if stored.starts_with("$2") {
        return bcrypt::verify(password, stored).unwrap_or(false);
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// True when the stored hash is not our current Argon2id parameters and should be replaced.
pub fn needs_rehash(stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => {
            let current = argon2();
            let want = current.params();
            parsed.algorithm.as_str() != "argon2id"
                || Params::try_from(&parsed)
                    .map(|p| {
                        (p.m_cost(), p.t_cost(), p.p_cost())
                            != (want.m_cost(), want.t_cost(), want.p_cost())
                    })
                    .unwrap_or(true)
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!needs_rehash(&h));
    }

    #[test]
    fn bcrypt_hashes_from_mattermost_are_accepted_and_flagged_for_rehash() {
        let h = bcrypt::hash("imported-pass", 4).unwrap();
        assert!(verify("imported-pass", &h));
        assert!(!verify("other", &h));
        assert!(needs_rehash(&h));
    }

    #[test]
    fn garbage_hashes_never_match() {
        assert!(!verify("", ""));
        assert!(!verify("x", "not a hash"));
    }
}
