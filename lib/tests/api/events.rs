//! Replays every sample event in `events/` through its function's handler,
//! so the files that `cargo lambda invoke --data-file` and
//! `sam local invoke -e` use cannot rot.

use crate::support::fixtures::{details, room, user};
use crate::support::routes::{Function, ROUTES};
use crate::support::{read_repo_file, repo_path, test_keys};
use estate::auth::passwords;
use estate::authorizer::{AuthorizerRequest, authorize};
use estate::domain::RefreshToken;
use estate::domain::{Password, Property, PropertyId, PropertyType, Room, RoomId, Timestamp, User, UserId};
use estate::http::{AppState, UsersState, finish};
use estate::seed::DEMO_PASSWORD;
use estate::store::{MemoryStore, PropertyStore, SessionStore, UserStore};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use tower::ServiceExt;

/// What the events are checked against, in `events/expected.json`, which
/// `scripts/e2e/invoke_events.py` reads too (it sends the same events to
/// `sam local invoke`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    #[serde(rename = "$comment", default)]
    _comment: Vec<String>,
    demo: Demo,
    /// Each HTTP event file, under `events/`, and the status its replay
    /// must answer.
    statuses: BTreeMap<String, u16>,
    /// Each event file of the webhooks function, under `events/`, and the
    /// answer (a partial batch response) its invocation must give.
    answers: BTreeMap<String, serde_json::Value>,
}

/// The demo user the events address.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    /// The events sign in with this email and the demo data's password.
    email: String,
    password: String,
    /// The user whose id the events' authorizer context carries.
    user: String,
    /// Their property, with one room, that the events address.
    property: String,
    room: String,
    /// The photo of that property the media events name.
    photo: String,
    /// The live refresh token of their session that the events use.
    refresh_token: String,
}

static EXPECTED: LazyLock<Expected> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../../events/expected.json"))
        .unwrap_or_else(|e| panic!("events/expected.json: {e}"))
});

const FUNCTIONS: [Function; 3] = [Function::Users, Function::Properties, Function::Rooms];

fn event_files(function: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo_path(&format!("events/{function}")))
        .unwrap_or_else(|e| panic!("events/{function}: {e}"))
        .map(|entry| format!("{function}/{}", entry.unwrap().file_name().to_string_lossy()))
        .collect();
    files.sort();
    files
}

async fn seeded_store() -> MemoryStore {
    let store = MemoryStore::new();
    let ids = &EXPECTED.demo;
    let demo = User { id: UserId::parse(&ids.user).unwrap(), ..user(&ids.email) };
    let hash = passwords::hash(Password::parse(DEMO_PASSWORD.into()).unwrap()).await.unwrap();
    store.create_user(&demo, &hash, None).await.unwrap();
    let room = Room { id: RoomId::parse(&ids.room).unwrap(), ..room(PropertyId::parse(&ids.property).unwrap(), 1250) };
    // A fixture with the fixed ids the events address, as a store would hold it.
    let now = Timestamp::now();
    let details = details("Lyon", PropertyType::House);
    let property = Property::restore(room.property_id, demo.id, details, (now, now), 1, [room.tally()]);
    store.create_property(&property, &[room], None).await.unwrap();
    let refresh = RefreshToken::parse(&ids.refresh_token).expect("a well-formed refresh token");
    store.start_session(&refresh.session(now), 0).await.unwrap();
    store
}

fn route_of(event: &serde_json::Value) -> &crate::support::routes::Route {
    let key = event["routeKey"].as_str().expect("an event has a routeKey");
    ROUTES
        .iter()
        .find(|route| format!("{} {}", route.method, route.path) == key)
        .unwrap_or_else(|| panic!("{key} is not in the route table"))
}

#[tokio::test]
async fn every_http_event_replays_with_its_expected_status() {
    let mut files: Vec<String> = FUNCTIONS.iter().flat_map(|function| event_files(function.name())).collect();
    files.sort();
    let listed: Vec<String> = EXPECTED.statuses.keys().cloned().collect();
    assert_eq!(files, listed, "every event file needs an expected status in events/expected.json, and vice versa");

    for (file, expected) in &EXPECTED.statuses {
        let text = read_repo_file(&format!("events/{file}"));
        let event: serde_json::Value = serde_json::from_str(&text).unwrap();
        let route = route_of(&event);
        assert_eq!(Some(route.function.name()), file.split('/').next(), "{file} is filed under the wrong function");

        let request = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (issuer, verifier) = test_keys();
        let app = AppState { store: seeded_store().await, verifier: Arc::new(verifier) };
        let router = match route.function {
            Function::Users => {
                let deliveries = deployed_deliveries(app.store.clone());
                finish(estate::entrypoints::users_routes(UsersState { app, issuer: Arc::new(issuer), deliveries }))
            }
            Function::Properties => {
                let files = estate::entrypoints::PhotoFiles::local("http://localhost:3000");
                let state = estate::http::PropertiesState { app, blobs: files.blobs, media: files.media };
                finish(estate::http::routes::properties::router(state))
            }
            Function::Rooms => finish(estate::http::routes::rooms::router(app)),
        };
        let response = router.oneshot(request.map(axum::body::Body::new)).await.unwrap();
        assert_eq!(response.status().as_u16(), *expected, "{file}");
    }
}

/// The events sign in with the password of the demo data (`make seed`), so
/// they work against it too.
#[test]
fn the_events_demo_password_is_the_demo_data_s() {
    assert_eq!(EXPECTED.demo.password, DEMO_PASSWORD);
}

#[tokio::test]
async fn every_route_of_a_function_has_an_event() {
    for route in ROUTES.iter() {
        let key = format!("{} {}", route.method, route.path);
        let covered = event_files(route.function.name()).iter().any(|file| {
            let event: serde_json::Value = serde_json::from_str(&read_repo_file(&format!("events/{file}"))).unwrap();
            event["routeKey"] == key.as_str()
        });
        assert!(covered, "no sample event for {key}");
    }
}

#[tokio::test]
async fn the_authorizer_event_is_denied_as_is_and_allowed_with_a_real_token() {
    let text = read_repo_file("events/authorizer/request.json");
    let (issuer, verifier) = test_keys();
    let event: AuthorizerRequest = serde_json::from_str(&text).unwrap();
    assert!(!authorize(&verifier, &event).is_authorized);

    let now = Timestamp::now();
    let demo_user = EXPECTED.demo.user.as_str();
    let token = issuer.issue(UserId::parse(demo_user).unwrap(), now).unwrap();
    let with_token = text.replace("<paste an access token from POST /auth/token>", &token);
    let event: AuthorizerRequest = serde_json::from_str(&with_token).unwrap();
    let answer = authorize(&verifier, &event);
    assert!(answer.is_authorized);
    assert_eq!(answer.context["sub"], demo_user);
    assert_eq!(answer.context["exp"], (now.unix_seconds() + issuer.lifetime_seconds()).to_string());
}

/// API Gateway caches the authorizer's "allow" per token; the function must
/// still refuse a context whose token has expired, or that does not say when.
#[tokio::test]
async fn an_authorizer_context_without_a_current_exp_is_refused() {
    let now = Timestamp::now().unix_seconds();
    let cases = [
        ("a far-future exp", Some(serde_json::json!("4102444800")), 200),
        ("a current exp, as a number", Some(serde_json::json!(now + 60)), 200),
        ("an exp within the clock leeway", Some(serde_json::json!(now - 2)), 200),
        ("no exp", None, 401),
        ("an expired exp", Some(serde_json::json!((now - 60).to_string())), 401),
        ("an expired exp, as a number", Some(serde_json::json!(now - 60)), 401),
        ("an unreadable exp", Some(serde_json::json!("tomorrow")), 401),
    ];
    let text = read_repo_file("events/users/get-me.json");
    for (case, exp, expected) in cases {
        let mut event: serde_json::Value = serde_json::from_str(&text).unwrap();
        let context = event["requestContext"]["authorizer"]["lambda"].as_object_mut().expect("get-me.json: a context");
        match exp {
            Some(exp) => context.insert("exp".into(), exp),
            None => context.remove("exp"),
        };
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let (issuer, verifier) = test_keys();
        let app = AppState { store: seeded_store().await, verifier: Arc::new(verifier) };
        let deliveries = deployed_deliveries(app.store.clone());
        let router =
            finish(estate::entrypoints::users_routes(UsersState { app, issuer: Arc::new(issuer), deliveries }));
        let response = router.oneshot(request.map(axum::body::Body::new)).await.unwrap();
        assert_eq!(response.status().as_u16(), expected, "{case}");
    }
}

/// The media function's events, replayed through its handler on the
/// embedded store and in-memory files: the upload event turns the demo
/// property's pending photo ready, with a derivative and without the
/// upload; the stream event of the property's removal deletes its files.
#[tokio::test]
async fn the_media_events_process_an_upload_and_forget_a_removed_photo() {
    use estate::blobs::{BlobStore, LocalBlobs};
    use estate::domain::{
        Photo, PhotoCaption, PhotoId, PhotoSize, PhotoStatus, PhotoType, photo_files_prefix, upload_key,
    };
    use estate::store::PhotoStore;
    let store = seeded_store().await;
    let ids = &EXPECTED.demo;
    let (property, photo) = (PropertyId::parse(&ids.property).unwrap(), PhotoId::parse(&ids.photo).unwrap());
    let bytes = estate::media::samples::phone_photo();
    let pending = Photo {
        id: photo,
        content_type: PhotoType::Jpeg,
        size: PhotoSize::parse(bytes.len() as u64).unwrap(),
        caption: PhotoCaption::default(),
        created_at: Timestamp::now(),
        outcome: None,
    };
    let owner = estate::store::Edit::by(UserId::parse(&ids.user).unwrap());
    store.add_photo(property, &pending, owner, None).await.unwrap();
    let blobs = LocalBlobs::new("http://localhost:3000");
    blobs.put_upload(&upload_key(property, photo), bytes, "image/jpeg");

    let event = |file: &str| -> serde_json::Value { serde_json::from_str(&read_repo_file(file)).unwrap() };
    estate::media::events::handle_event(&store, &blobs, &event("events/media/upload.json")).await.unwrap();
    let (listing, _) = store.get_property(property).await.unwrap().unwrap();
    let processed = listing.photos.get(photo).unwrap();
    assert_eq!(processed.status(), PhotoStatus::Ready);
    let derivative = format!("{}32.jpg", photo_files_prefix(property, photo));
    assert!(blobs.file(&derivative).is_some(), "the derivative is written");
    assert_eq!(blobs.read(&upload_key(property, photo)).await.unwrap(), None, "the upload is deleted");

    estate::media::events::handle_event(&store, &blobs, &event("events/media/photo-removed.json")).await.unwrap();
    assert!(blobs.file(&derivative).is_none(), "the removed photo's files are deleted");
}

/// The webhooks and notifications functions' events, replayed through
/// their handlers on the embedded store, each answering as
/// `events/expected.json` says: the stream record of a new feed item (no
/// endpoint or saved search waits for it, so there is nothing to deliver or
/// notify), a delivery message for an endpoint that does not exist (dropped,
/// not retried), and the hourly digest run (none due).
#[tokio::test]
async fn the_webhooks_and_notifications_events_give_their_expected_answers() {
    let mut files = event_files("webhooks");
    files.extend(event_files("notifications"));
    files.sort();
    let listed: Vec<String> = EXPECTED.answers.keys().cloned().collect();
    assert_eq!(
        files, listed,
        "every events/webhooks and events/notifications file needs an expected answer in events/expected.json, and vice versa"
    );

    for (file, expected) in &EXPECTED.answers {
        let event: serde_json::Value = serde_json::from_str(&read_repo_file(&format!("events/{file}"))).unwrap();
        let store = seeded_store().await;
        let answer = if file.starts_with("notifications/") {
            let dir = std::env::temp_dir().join(format!("estate-events-{}", uuid::Uuid::now_v7()));
            let mailer = estate::alerts::mail::Mailer::Files { dir, from: "alerts@example.com".into() };
            let alerts = estate::alerts::Alerts { store, mailer, public_url: "https://api.example.com".into() };
            estate::alerts::events::handle_event(&alerts, &event).await.unwrap()
        } else {
            // The delivery queue, in memory: what the fan-out would send.
            let deliveries =
                estate::webhooks::DeliverySetup::local(&estate::webhooks::deliver::LOCAL_SCHEDULE).on(store);
            serde_json::to_value(estate::webhooks::events::handle_event(&deliveries, &event).await).unwrap()
        };
        assert_eq!(answer, *expected, "{file}");
    }
}

/// Webhook deliveries as the deployed users function makes them (public
/// addresses only, the standard schedule), queued in memory.
fn deployed_deliveries<S: estate::store::Store>(store: S) -> estate::webhooks::Deliveries<S> {
    use estate::webhooks::{DeliveryQueue, DeliveryRules, DeliverySetup, MemoryQueue, address::Reach, deliver};
    let rules = DeliveryRules::new(Reach::Public, &deliver::STANDARD_SCHEDULE);
    DeliverySetup { queue: DeliveryQueue::Memory(MemoryQueue::default()), rules }.on(store)
}
