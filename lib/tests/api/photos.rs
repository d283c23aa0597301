//! A listing's photos over HTTP, on both stores, with the local server's
//! upload and media routes standing in for S3 and CloudFront: announced,
//! uploaded to the signed URL, processed by the media code, served
//! without metadata, reordered, deleted; the limits and the race for the
//! last places.

use crate::on_both_stores;
use crate::support::{LOCAL_URL, TestApp, new_photo, new_property};
use estate::media::samples::{phone_photo, png};
use serde_json::{Value, json};

on_both_stores!(
    app, multi_thread:
    a_photo_is_uploaded_processed_and_served_without_metadata,
    uploads_must_be_exactly_what_was_signed,
    a_file_that_is_not_what_it_claims_is_rejected,
    photos_are_reordered_captioned_and_deleted_by_their_owner_only,
    announcements_are_validated,
    fifty_five_announcements_at_once_leave_exactly_fifty_photos,
);

/// Announces a photo of `bytes` as `content_type`, expecting a 201.
async fn announce(app: &TestApp, token: &str, id: &str, content_type: &str, bytes: &[u8]) -> Value {
    let path = format!("/properties/{id}/photos");
    let reply = app.call("POST", &path, Some(token), Some(new_photo(content_type, bytes.len() as u64))).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

async fn a_photo_is_uploaded_processed_and_served_without_metadata(app: TestApp) {
    let (_, token) = app.register("photos@example.com").await;
    let id = app.publish(&token, new_property("Bright", "Nantes", "house", 1)).await;
    let bytes = phone_photo();
    assert!(contains(&bytes, b"Exif") && contains(&bytes, b"N\0"), "the sample carries EXIF with a GPS block");
    let photo = announce(&app, &token, &id, "image/jpeg", &bytes).await;
    let photo_id = photo["id"].as_str().unwrap().to_owned();
    assert_eq!((&photo["status"], &photo["position"]), (&json!("pending"), &json!(0)));
    assert_eq!(photo["upload"]["method"], "PUT");
    assert_eq!(photo["upload"]["headers"]["content-type"], "image/jpeg");
    assert_eq!(photo["upload"]["headers"]["content-length"], bytes.len().to_string());
    assert_eq!(app.property(&id).await["version"], 2, "announcing a photo is a new version");
    // Nobody else sees a pending photo; its owner does.
    let public = app.get(&format!("/properties/{id}/photos"), None).await;
    assert_eq!(public.body["items"], json!([]));
    let own = app.get(&format!("/properties/{id}/photos"), Some(&token)).await;
    assert_eq!(own.body["items"][0]["status"], "pending");

    let uploaded = app.upload(&photo["upload"], bytes.clone(), &[]).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    let ready = app.get(&format!("/properties/{id}/photos/{photo_id}"), None).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["status"], "ready");
    // Orientation 6: the 64 × 32 frame stands upright as 32 × 64.
    assert_eq!((&ready.body["width"], &ready.body["height"]), (&json!(32), &json!(64)));
    let url = ready.body["derivatives"][0]["url"].as_str().unwrap();
    assert_eq!(url, format!("{LOCAL_URL}/media/photos/{id}/{photo_id}/32.jpg"));
    let file = app.get(url.strip_prefix(LOCAL_URL).unwrap(), None).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), "image/jpeg");
    assert_eq!(file.header("cache-control"), "public, max-age=31536000, immutable");
    assert!(file.raw.starts_with(&[0xFF, 0xD8]), "a JPEG");
    assert!(!contains(&file.raw, b"Exif") && !contains(&file.raw, b"II\x2a\x00"), "no EXIF, no GPS position");
    // The upload itself is never served, and is gone once processed.
    let upload_path = format!("/media/uploads/{id}/{photo_id}");
    assert_eq!(app.get(&upload_path, None).await.status, 404);

    let property = app.property(&id).await;
    assert_eq!(property["version"], 3, "processing is a new version too");
    assert_eq!(property["photos"][0]["id"], photo_id.as_str());
    assert_eq!(property["primary_photo"]["derivatives"][0]["url"], url);
    let page = app.get("/properties?city=nantes", None).await;
    assert_eq!(page.body["items"][0]["primary_photo"]["id"], photo_id.as_str());
    // S3 may deliver an upload twice: the second changes nothing.
    let again = app.upload(&photo["upload"], bytes, &[]).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(app.property(&id).await["version"], 3);
}

async fn uploads_must_be_exactly_what_was_signed(app: TestApp) {
    let (_, token) = app.register("signed@example.com").await;
    let id = app.publish(&token, new_property("Signed", "Paris", "house", 0)).await;
    let bytes = phone_photo();
    let photo = announce(&app, &token, &id, "image/jpeg", &bytes).await;
    let other_type = app.upload(&photo["upload"], bytes.clone(), &[("content-type", "image/png")]).await;
    other_type.problem(403);
    let mut longer = bytes.clone();
    longer.push(0);
    let other_size = app.upload(&photo["upload"], longer, &[("content-length", &(bytes.len() + 1).to_string())]).await;
    other_size.problem(403);
    let url = photo["upload"]["url"].as_str().unwrap();
    let unsigned =
        json!({"url": url.split('?').next().unwrap(), "method": "PUT", "headers": photo["upload"]["headers"]});
    app.upload(&unsigned, bytes, &[]).await.problem(403);
    let pending = app.get(&format!("/properties/{id}/photos"), Some(&token)).await;
    assert_eq!(pending.body["items"][0]["status"], "pending", "nothing refused was processed");
}

async fn a_file_that_is_not_what_it_claims_is_rejected(app: TestApp) {
    let (_, token) = app.register("liar@example.com").await;
    let id = app.publish(&token, new_property("Liar", "Paris", "house", 0)).await;
    let bytes = png(40, 30);
    let photo = announce(&app, &token, &id, "image/jpeg", &bytes).await;
    assert_eq!(app.upload(&photo["upload"], bytes, &[]).await.status, 200);
    let own = app.get(&format!("/properties/{id}/photos"), Some(&token)).await;
    let rejected = &own.body["items"][0];
    assert_eq!(rejected["status"], "rejected");
    assert!(rejected["rejection_reason"].as_str().unwrap().contains("not a image/jpeg image"), "{rejected}");
    assert_eq!(rejected["derivatives"], json!([]));
    assert_eq!(app.get(&format!("/properties/{id}/photos"), None).await.body["items"], json!([]));
    assert_eq!(app.property(&id).await["primary_photo"], Value::Null);
}

async fn photos_are_reordered_captioned_and_deleted_by_their_owner_only(app: TestApp) {
    let (_, token) = app.register("order@example.com").await;
    let (_, other) = app.register("other@example.com").await;
    let id = app.publish(&token, new_property("Order", "Paris", "house", 0)).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let photo = announce(&app, &token, &id, "image/jpeg", &phone_photo()).await;
        assert_eq!(app.upload(&photo["upload"], phone_photo(), &[]).await.status, 200);
        ids.push(photo["id"].as_str().unwrap().to_owned());
    }
    let path = |photo: &str| format!("/properties/{id}/photos/{photo}");
    let moved =
        app.call("PATCH", &path(&ids[2]), Some(&token), Some(json!({"position": 0, "caption": "Garden"}))).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!((&moved.body["position"], &moved.body["caption"]), (&json!(0), &json!("Garden")));
    let order = |list: &Value| -> Vec<String> {
        list["items"].as_array().unwrap().iter().map(|photo| photo["id"].as_str().unwrap().to_owned()).collect()
    };
    let listed = app.get(&format!("/properties/{id}/photos"), None).await;
    assert_eq!(order(&listed.body), [ids[2].clone(), ids[0].clone(), ids[1].clone()]);
    assert_eq!(app.property(&id).await["primary_photo"]["id"], ids[2].as_str());

    app.call("PATCH", &path(&ids[0]), Some(&other), Some(json!({"caption": "Mine"}))).await.problem(403);
    app.call("DELETE", &path(&ids[0]), Some(&other), None).await.problem(403);
    app.call("DELETE", &path(&uuid::Uuid::now_v7().to_string()), Some(&token), None).await.problem(404);
    let version = app.property(&id).await["version"].as_u64().unwrap();
    assert_eq!(app.call("DELETE", &path(&ids[2]), Some(&token), None).await.status, 204);
    assert_eq!(app.property(&id).await["version"], version + 1);
    let listed = app.get(&format!("/properties/{id}/photos"), None).await;
    assert_eq!(order(&listed.body), [ids[0].clone(), ids[1].clone()]);
    assert_eq!(listed.body["items"][1]["position"], 1);
    assert_eq!(app.property(&id).await["primary_photo"]["id"], ids[0].as_str());
}

async fn announcements_are_validated(app: TestApp) {
    let (_, token) = app.register("strict@example.com").await;
    let id = app.publish(&token, new_property("Strict", "Paris", "house", 0)).await;
    let path = format!("/properties/{id}/photos");
    let cases = [
        (json!({"content_type": "image/gif", "content_length": 10}), "content_type"),
        (json!({"content_type": "image/jpeg", "content_length": 15 * 1024 * 1024 + 1}), "content_length"),
        (json!({"content_type": "image/jpeg", "content_length": 0}), "content_length"),
        (json!({"content_type": "image/jpeg", "content_length": 1.5}), "content_length"),
        (json!({"content_type": "image/jpeg", "content_length": 10, "caption": "two\nlines"}), "caption"),
        (json!({"content_type": "image/jpeg", "content_length": 10, "url": "x"}), "url"),
        (json!({"content_length": 10}), "content_type"),
    ];
    for (body, field) in cases {
        let reply = app.call("POST", &path, Some(&token), Some(body.clone())).await;
        assert_eq!(reply.invalid_fields(), [field], "{body}");
    }
    let limit = app.call("POST", &path, Some(&token), Some(new_photo("image/webp", 15 * 1024 * 1024))).await;
    assert_eq!(limit.status, 201, "exactly 15 MiB is accepted: {}", limit.body);
    assert_eq!(app.get(&path, None).await.status, 200);
    app.get(&format!("/properties/{}/photos", uuid::Uuid::now_v7()), None).await.problem(404);
}

async fn fifty_five_announcements_at_once_leave_exactly_fifty_photos(app: TestApp) {
    let (_, token) = app.register("crowd@example.com").await;
    let id = app.publish(&token, new_property("Crowd", "Paris", "house", 0)).await;
    let announcements = (0..55).map(|_| {
        let (app, token, path) = (app.clone(), token.clone(), format!("/properties/{id}/photos"));
        tokio::spawn(async move {
            let reply = app.call("POST", &path, Some(&token), Some(new_photo("image/png", 100))).await;
            (reply.status.as_u16(), reply.body["position"].as_u64())
        })
    });
    let mut positions = Vec::new();
    let mut refused = 0;
    for announcement in announcements.collect::<Vec<_>>() {
        match announcement.await.unwrap() {
            (201, Some(position)) => positions.push(position),
            (409, None) => refused += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    positions.sort_unstable();
    assert_eq!(positions, (0..50).collect::<Vec<u64>>(), "each place taken once, as answered");
    assert_eq!(refused, 5);
    let own = app.get(&format!("/properties/{id}/photos"), Some(&token)).await;
    assert_eq!(own.body["items"].as_array().unwrap().len(), 50);
}

/// The embedded store's twin of the table's stream: every photo that
/// disappears (deleted, with its property, with its owner's account) is
/// reported once, for the local server to delete its files.
#[tokio::test]
async fn the_embedded_store_reports_every_removed_photo() {
    use crate::support::fixtures::{hash, property, user};
    use estate::domain::{Photo, PhotoCaption, PhotoSize, PhotoType, PhotoUpload, PropertyType, Timestamp};
    use estate::store::{Edit, MemoryStore, PhotoStore, PropertyStore, UserStore};
    let store = MemoryStore::new();
    let owner = user("removals@example.com");
    store.create_user(&owner, &hash("a long password"), None).await.unwrap();
    let upload = PhotoUpload {
        content_type: PhotoType::Png,
        size: PhotoSize::parse(10).unwrap(),
        caption: PhotoCaption::default(),
    };
    let mut photos_of = Vec::new();
    for _ in 0..2 {
        let listing = property(owner.id, "Paris", PropertyType::House);
        store.create_property(&listing, &[], None).await.unwrap();
        let photos: Vec<Photo> = (0..2).map(|_| Photo::announce(upload.clone(), Timestamp::now())).collect();
        for photo in &photos {
            store.add_photo(listing.id, photo, Edit::by(owner.id), None).await.unwrap();
        }
        photos_of.push((listing.id, photos));
    }
    let (first, first_photos) = &photos_of[0];
    store.delete_photo(*first, first_photos[0].id, Edit::by(owner.id)).await.unwrap();
    assert_eq!(store.removed_photos().await, [(*first, first_photos[0].id)]);
    store.delete_property(*first, Edit::by(owner.id)).await.unwrap();
    assert_eq!(store.removed_photos().await, [(*first, first_photos[1].id)]);
    store.delete_user(owner.id).await.unwrap();
    let (second, second_photos) = &photos_of[1];
    let expected: Vec<_> = second_photos.iter().map(|photo| (*second, photo.id)).collect();
    assert_eq!(store.removed_photos().await, expected);
}
