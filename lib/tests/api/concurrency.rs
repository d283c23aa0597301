//! Races, on both stores: concurrent writers never lose an update nor get
//! past a condition that only one of them may pass.

use crate::on_both_stores;
use crate::support::{TestApp, new_property, new_room};
use serde_json::json;

on_both_stores!(
    app, multi_thread:
    fifty_concurrent_room_additions_all_land,
    concurrent_patches_with_one_etag_admit_exactly_one,
    concurrent_patches_of_different_fields_both_land,
);

async fn fifty_concurrent_room_additions_all_land(app: TestApp) {
    let (_, token) = app.register("busy@example.com").await;
    let id = app.publish(&token, new_property("Busy", "Paris", "commercial", 0)).await;
    let additions = (0..50).map(|i| {
        let (app, token, path) = (app.clone(), token.clone(), format!("/properties/{id}/rooms"));
        // 0.01 to 0.50: areas whose float sum would drift.
        let area = format!("0.{:02}", i + 1);
        tokio::spawn(async move {
            app.call("POST", &path, Some(&token), Some(new_room(&format!("R{i}"), "storage", &area))).await.status
        })
    });
    for addition in additions.collect::<Vec<_>>() {
        assert_eq!(addition.await.unwrap(), 201);
    }
    let property = app.property(&id).await;
    assert_eq!(property["rooms"].as_array().unwrap().len(), 50);
    assert_eq!(property["room_count"], 50);
    assert_eq!(property["total_area_m2"].to_string(), "12.75");
    assert_eq!(property["version"], 51);
    let one_more =
        app.call("POST", &format!("/properties/{id}/rooms"), Some(&token), Some(new_room("X", "other", "1"))).await;
    one_more.problem(409);
}

async fn concurrent_patches_with_one_etag_admit_exactly_one(app: TestApp) {
    let (_, token) = app.register("racer@example.com").await;
    let id = app.publish(&token, new_property("Contested", "Paris", "house", 0)).await;
    let patches = (0..10).map(|i| {
        let (app, token, path) = (app.clone(), token.clone(), format!("/properties/{id}"));
        tokio::spawn(async move {
            let body = json!({ "name": format!("Name {i}") });
            app.call_if_match("PATCH", &path, &token, "\"1\"", Some(body)).await.status.as_u16()
        })
    });
    let mut statuses = Vec::new();
    for patch in patches.collect::<Vec<_>>() {
        statuses.push(patch.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|status| **status == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|status| **status == 412).count(), 9, "{statuses:?}");
    assert_eq!(app.property(&id).await["version"], 2);
}

async fn concurrent_patches_of_different_fields_both_land(app: TestApp) {
    let (_, token) = app.register("merger@example.com").await;
    for round in 0..5 {
        let id = app.publish(&token, new_property("Before", "Paris", "house", 0)).await;
        let patch = |body: serde_json::Value| {
            let (app, token, path) = (app.clone(), token.clone(), format!("/properties/{id}"));
            tokio::spawn(async move { app.call("PATCH", &path, Some(&token), Some(body)).await.status })
        };
        let name = patch(json!({"name": format!("After {round}")}));
        let city = patch(json!({"city": "Nantes"}));
        let kind = patch(json!({"type": "villa"}));
        for status in [name.await.unwrap(), city.await.unwrap(), kind.await.unwrap()] {
            assert_eq!(status, 200);
        }
        let property = app.property(&id).await;
        assert_eq!(property["name"], format!("After {round}"));
        assert_eq!(property["city"], "Nantes");
        assert_eq!(property["type"], "villa");
        assert_eq!(property["version"], 4);
    }
}
