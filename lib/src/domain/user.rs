use super::{BirthDate, Email, PersonName, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// A registered person. The password hash is deliberately not part of it:
/// it stays in the store layer and the password checker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub birth_date: BirthDate,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    /// A new account, created now.
    pub fn register(
        email: Email,
        first_name: PersonName,
        last_name: PersonName,
        birth_date: BirthDate,
        now: Timestamp,
    ) -> Self {
        Self { id: UserId::generate(), email, first_name, last_name, birth_date, created_at: now, updated_at: now }
    }
}

/// The personal details a user may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub birth_date: Option<BirthDate>,
}

impl ProfileChanges {
    pub fn apply_to(&self, user: &mut User, now: Timestamp) {
        if let Some(name) = &self.first_name {
            user.first_name = name.clone();
        }
        if let Some(name) = &self.last_name {
            user.last_name = name.clone();
        }
        if let Some(date) = self.birth_date {
            user.birth_date = date;
        }
        user.updated_at = now;
    }
}
