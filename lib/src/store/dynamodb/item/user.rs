//! The items of a user: the user item itself, and the email claim that
//! makes the address unique (it exists while the address is taken).

use super::{corrupt, decode, encode};
use crate::domain::{BirthDate, Email, PasswordHash, PersonName, Timestamp, User, UserId};
use crate::store::StoreResult;
use crate::store::dynamodb::{Item, schema};
use serde::{Deserialize, Serialize};

/// A user and their password hash; keyed by `schema::user_key`.
#[derive(Debug, Serialize, Deserialize)]
pub struct UserItem {
    id: UserId,
    email: String,
    first_name: String,
    last_name: String,
    birth_date: String,
    password_hash: String,
    /// Bumped by each password change and by the deletion (`Credentials`).
    #[serde(default)]
    credentials_version: u64,
    /// Set when the account's deletion begins: it signs in no more.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    closing: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl UserItem {
    pub const FIRST_NAME: &str = "first_name";
    pub const LAST_NAME: &str = "last_name";
    pub const BIRTH_DATE: &str = "birth_date";
    pub const PASSWORD_HASH: &str = "password_hash";
    pub const CREDENTIALS_VERSION: &str = "credentials_version";
    pub const CLOSING: &str = "closing";
    pub const UPDATED_AT: &str = "updated_at";

    pub fn from_domain(user: &User, password_hash: &PasswordHash) -> Self {
        Self {
            id: user.id,
            email: user.email.as_str().into(),
            first_name: user.first_name.as_str().into(),
            last_name: user.last_name.as_str().into(),
            birth_date: user.birth_date.to_string(),
            password_hash: password_hash.as_phc().into(),
            credentials_version: 0,
            closing: false,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }

    /// The user and their password hash.
    pub fn into_domain(self) -> StoreResult<(User, PasswordHash)> {
        let bad = |why: crate::domain::Invalid| corrupt("user", self.id, why);
        let user = User {
            id: self.id,
            email: Email::parse(&self.email).map_err(bad)?,
            first_name: PersonName::parse(&self.first_name).map_err(bad)?,
            last_name: PersonName::parse(&self.last_name).map_err(bad)?,
            birth_date: BirthDate::parse(&self.birth_date).map_err(bad)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        Ok((user, PasswordHash::from_phc(self.password_hash)))
    }

    /// The credentials, unless the account is closing.
    pub fn credentials(&self) -> Option<crate::store::Credentials> {
        (!self.closing).then(|| crate::store::Credentials {
            user_id: self.id,
            password_hash: PasswordHash::from_phc(self.password_hash.clone()),
            version: self.credentials_version,
        })
    }

    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// The condition that the account is not closing and its credentials
    /// are still at `version` (an item written before versions counts as 0).
    pub fn credentials_condition(expression: &mut super::super::expression::Expression, version: u64) -> String {
        use crate::store::dynamodb::number;
        let at_version = expression.equals(Self::CREDENTIALS_VERSION, number(version));
        let current = match version {
            0 => format!("({} OR {at_version})", expression.absent(Self::CREDENTIALS_VERSION)),
            _ => at_version,
        };
        format!("{current} AND {}", expression.absent(Self::CLOSING))
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::user_key(self.id), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

/// The claim on an email address, holding the id of the user who has it;
/// keyed by `schema::email_claim_key`, that is by the address itself.
#[derive(Debug, Serialize, Deserialize)]
pub struct EmailClaimItem {
    user_id: UserId,
}

impl EmailClaimItem {
    pub fn from_domain(user_id: UserId) -> Self {
        Self { user_id }
    }

    /// The user who has the address.
    pub fn into_domain(self) -> UserId {
        self.user_id
    }

    /// The claim on `email`.
    pub fn to_item(&self, email: &Email) -> StoreResult<Item> {
        encode(schema::email_claim_key(email), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}
