use super::Invalid;

/// A plain-text password in transit from the request to the hasher. It has
/// no `Display`, and its `Debug` is redacted so it can never reach a log.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LENGTH: usize = 8;
    pub const MAX_LENGTH: usize = 128;

    pub fn parse(raw: String) -> Result<Self, Invalid> {
        let length = raw.chars().count();
        if length < Self::MIN_LENGTH {
            return Err(Invalid(format!("must be at least {} characters long", Self::MIN_LENGTH)));
        }
        if length > Self::MAX_LENGTH {
            return Err(Invalid(format!("must be at most {} characters long", Self::MAX_LENGTH)));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An argon2id hash in PHC string form. It only ever travels between the
/// store and the password checker; its `Debug` is redacted too.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert!(Password::parse("1234567".into()).is_err());
        assert!(Password::parse("12345678".into()).is_ok());
        assert!(Password::parse("é".repeat(128)).is_ok());
        assert!(Password::parse("é".repeat(129)).is_err());
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let password = Password::parse("correct horse".into()).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
        let hash = PasswordHash::from_phc("$argon2id$secret".into());
        assert!(!format!("{hash:?}").contains("secret"));
    }
}
