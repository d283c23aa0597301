use super::Invalid;
use serde::{Deserialize, Serialize};

/// An email address as its owner typed it (trimmed), compared without regard
/// to letter case: `Ann@Example.com` and `ann@example.com` are one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LENGTH: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = super::text::single_line(raw, 1, Self::MAX_LENGTH)?;
        let Some((local, domain)) = email.split_once('@') else {
            return Err(Invalid::new("must be an email address such as name@example.com"));
        };
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return Err(Invalid::new("must be an email address such as name@example.com"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form under which uniqueness is enforced and sign-in looks up.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}

impl Eq for Email {}

impl TryFrom<String> for Email {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_compares_without_case() {
        let a = Email::parse("  Ann@Example.COM ").unwrap();
        assert_eq!(a.as_str(), "Ann@Example.COM");
        assert_eq!(a, Email::parse("ann@example.com").unwrap());
        assert_eq!(a.normalized(), "ann@example.com");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@example.com",
            "ann@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn enforces_the_length_limit() {
        let domain = format!("{}.com", "d".repeat(240));
        let at_limit = format!("{}@{domain}", "a".repeat(254 - domain.len() - 1));
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("a{at_limit}");
        assert!(Email::parse(&over).is_err());
    }
}
