//! The embedded store: everything in one map behind one lock. Every
//! operation checks its conditions and applies its writes under the same
//! lock acquisition, which gives it DynamoDB's transactional semantics.

mod properties;
mod users;

use crate::domain::{PasswordHash, Property, PropertyId, Room, RoomId, User, UserId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    users: HashMap<UserId, StoredUser>,
    /// Normalized email → owner: the in-memory twin of the email-claim item.
    email_claims: HashMap<String, UserId>,
    /// Ordered by id, which is ordered by creation time.
    properties: BTreeMap<PropertyId, StoredProperty>,
}

struct StoredUser {
    user: User,
    password_hash: PasswordHash,
}

struct StoredProperty {
    property: Property,
    rooms: BTreeMap<RoomId, Room>,
}

impl StoredProperty {
    /// The property with its derived fields computed from its rooms.
    fn current(&self) -> Property {
        let rooms: Vec<Room> = self.rooms.values().cloned().collect();
        self.property.clone().with_rooms(&rooms)
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied write
        // (each operation validates before it mutates), so keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
