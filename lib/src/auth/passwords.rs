//! argon2id hashing, always on the blocking pool: a hash takes tens of
//! milliseconds of CPU and must not stall the async executor.

use crate::domain::{Password, PasswordHash};
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's first recommended argon2id configuration: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Verified in place of a real hash when an email is unknown, so that an
/// unknown email costs as much time as a wrong password. A constant (the
/// hash of a throwaway password with the parameters of [`argon2`], held
/// equal by a test): computing it would cost a cold start tens of
/// milliseconds of CPU.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$khpidAsseFuct44yuELagw$qb5psAjNe6S7qWsirteKzzvB5Atv3a5ci7vMVGV1vC0";

/// Why a password could not be hashed or checked: never the password's fault.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing a password failed")]
    Hash(#[source] argon2::password_hash::Error),
    #[error("a stored password hash is unreadable")]
    StoredHash(#[source] argon2::password_hash::Error),
    #[error("the password hashing task failed")]
    Task(#[from] tokio::task::JoinError),
}

fn hash_now(password: &Password) -> Result<PasswordHash, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| PasswordHash::from_phc(hash.to_string()))
        .map_err(PasswordError::Hash)
}

pub async fn hash(password: Password) -> Result<PasswordHash, PasswordError> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

/// Checks `password` against `hash`, or against the dummy hash when there is
/// none, so both outcomes take the same time. Only a real match is `true`.
pub async fn verify(password: Password, hash: Option<PasswordHash>) -> Result<bool, PasswordError> {
    let known = hash.is_some();
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| PasswordHash::from_phc(DUMMY_HASH.into()));
        let parsed = argon2::PasswordHash::new(hash.as_phc()).map_err(PasswordError::StoredHash)?;
        let matches = argon2().verify_password(password.expose().as_bytes(), &parsed).is_ok();
        Ok(known && matches)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(text.into()).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let hash = hash(password("correct horse battery")).await.unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(password("correct horse battery"), Some(hash.clone())).await.unwrap());
        assert!(!verify(password("wrong horse battery"), Some(hash)).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = argon2::PasswordHash::new(DUMMY_HASH).expect("a PHC string");
        let params = Params::try_from(&dummy).expect("argon2 parameters");
        let current = argon2();
        assert_eq!(dummy.algorithm, Algorithm::Argon2id.ident());
        assert_eq!(dummy.version, Some(Version::V0x13.into()));
        let expected = current.params();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (expected.m_cost(), expected.t_cost(), expected.p_cost())
        );
    }

    #[tokio::test]
    async fn the_dummy_hash_never_matches() {
        assert!(!verify(password("not-a-real-password"), None).await.unwrap());
    }
}
