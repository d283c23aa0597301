//! Opaque, time-ordered identifiers (UUIDv7): sorting them sorts by creation.

use serde::Serialize;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        /// Read with `parse`: the canonical spelling only.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Canonical;
                impl serde::de::Visitor<'_> for Canonical {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("an id in its canonical form")
                    }

                    fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<$name, E> {
                        $name::parse(raw).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(raw), &self))
                    }
                }
                deserializer.deserialize_str(Canonical)
            }
        }

        impl $name {
            /// Below every id.
            pub const MIN: Self = Self(Uuid::nil());
            /// Above every id.
            pub const MAX: Self = Self(Uuid::max());

            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Accepts only the canonical lower-case hyphenated form, so that
            /// one id has exactly one spelling (in keys, URLs and cursors).
            pub fn parse(raw: &str) -> Option<Self> {
                let id = Uuid::try_parse(raw).ok()?;
                (id.hyphenated().to_string() == raw).then_some(Self(id))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a registered user; the `sub` claim of their tokens.
    UserId
);
id_type!(
    /// Identifies a published property.
    PropertyId
);
id_type!(
    /// Identifies a room within its property.
    RoomId
);
id_type!(
    /// Identifies a photo within its property; a new upload is a new photo.
    PhotoId
);

id_type!(
    /// Identifies a user's saved search.
    SavedSearchId
);
id_type!(
    /// Identifies a notification in its owner's inbox.
    NotificationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_round_trip() {
        let first = UserId::generate();
        let second = UserId::generate();
        assert!(first.to_string() < second.to_string());
        assert_eq!(UserId::parse(&first.to_string()), Some(first));
    }

    #[test]
    fn only_the_canonical_spelling_parses() {
        let id = UserId::generate().to_string();
        assert!(UserId::parse(&id.to_uppercase()).is_none());
        assert!(UserId::parse(&id.replace('-', "")).is_none());
        assert!(UserId::parse("me").is_none());
        let read = |raw: &str| serde_json::from_value::<UserId>(serde_json::Value::String(raw.to_owned())).ok();
        assert_eq!(read(&id), UserId::parse(&id));
        assert_eq!(read(&id.to_uppercase()), None);
    }
}
id_type!(
    /// Identifies a webhook endpoint.
    WebhookId
);
