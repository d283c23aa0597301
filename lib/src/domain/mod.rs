//! Value types that can only hold valid data, and the entities built from
//! them: users, properties and rooms, and the sessions and attempt counters
//! the store keeps for them.
//!
//! Every constructor is a `parse` that either returns a valid value or says
//! why the input is not one: past the HTTP edge nothing is ever re-checked.

mod alerts;
mod area;
mod attempts;
mod birth_date;
mod change;
mod city;
mod composite;
mod email;
mod facets;
pub mod geo;
mod ids;
mod listing;
mod location;
mod password;
mod person_name;
mod photo;
mod price;
mod property;
mod room;
mod session;
mod text;
mod timestamp;
mod user;
mod webhook;
mod webhook_secret;

pub use alerts::{
    AlertBounds, AlertEvent, AlertSettings, DEFAULT_DIGEST_HOUR, DigestMatch, FAVOURITE_EVENTS, Favourite, Frequency,
    MAX_FAVOURITES_PER_USER, MAX_SAVED_SEARCHES_PER_USER, NOTIFICATION_LIFETIME_SECONDS, Notification,
    NotificationKind, SavedSearch, SearchName, TimeZoneName, UnsubscribeToken, classify,
};
pub use area::Area;
pub use attempts::{Admission, AttemptCounter, AttemptLimit, escape};
pub use birth_date::BirthDate;
pub use change::{Change, ChangeType, ChangedMember, FeedEvent};
pub use city::{City, city_key};
pub use email::Email;
pub use facets::{Facets, Transition};
pub use ids::{NotificationId, PhotoId, PropertyId, RoomId, SavedSearchId, UserId, WebhookId};
pub use listing::{ListingStatus, StatusChangeRefused, Transaction};
pub use location::Location;
pub use password::{Password, PasswordHash};
pub use person_name::PersonName;
pub use photo::{
    DERIVATIVE_WIDTHS, DerivativeSize, MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, MAX_PHOTOS, PROCESSING_GRACE_SECONDS, Photo,
    PhotoCaption, PhotoChanges, PhotoLimitReached, PhotoOutcome, PhotoSize, PhotoStatus, PhotoType, PhotoUpload,
    Photos, SettleRefused, UPLOAD_URL_SECONDS, derivative_key, parse_upload_key, photo_files_prefix, upload_expires_at,
    upload_key,
};
pub use price::{Currency, Price, PriceAmount};
pub use property::{
    Description, MAX_ROOMS, NewRooms, PriceChange, Property, PropertyChanges, PropertyDescription, PropertyDetails,
    PropertyName, PropertyType, RoomTally,
};
pub use room::{Features, Floor, Room, RoomChanges, RoomDescription, RoomDraft, RoomKind, RoomName};
pub use session::{
    MAX_SESSIONS_PER_USER, Presented, REFRESH_GRACE_SECONDS, REFRESH_LIFETIME_SECONDS, RefreshKey, RefreshToken,
    Session,
};
pub use timestamp::Timestamp;
pub use user::{ProfileChanges, User};
pub use webhook::{
    DeliveryAttempt, EventTypes, FAILING_LIMIT, MAX_DESCRIPTION, MAX_WEBHOOKS_PER_USER, PendingDelivery,
    ROTATION_OVERLAP, SigningSecret, Subscription, Webhook,
};
pub use webhook_secret::{Secret, sign};

/// Why an input is not a valid value, in words fit for an API client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a closed list: the enum, its members in order (`ALL`), and
/// each member's wire name, written once and used by serde, the store
/// adapters and the contract alike.
macro_rules! closed_list {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:tt),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),*];

            /// The wire name: in JSON, in stored items and in index keys.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// The member whose wire name is `raw`, or a message listing them.
            pub fn parse(raw: &str) -> Result<Self, $crate::domain::Invalid> {
                Self::ALL.iter().copied().find(|member| member.code() == raw).ok_or_else(|| {
                    let codes: Vec<&str> = Self::ALL.iter().map(|member| member.code()).collect();
                    $crate::domain::Invalid(format!("must be one of: {}", codes.join(", ")))
                })
            }
        }
    };
}
pub(crate) use closed_list;
