//! Every numeric input across its whole range: huge integers, huge and tiny
//! floats, negative zero. Each is refused with a 422 naming the field, or
//! stored and answered exactly as sent; nothing wraps or rounds.

use crate::on_both_stores;
use crate::support::{TestApp, new_property, new_room};
use serde_json::{Number, Value, json};

on_both_stores!(app: room_areas_are_exact_or_refused, floors_are_exact_or_refused, page_limits_are_digits_in_range);

/// A JSON number exactly as written, so no float parsing happens here.
fn number(text: &str) -> Value {
    Value::Number(serde_json::from_str::<Number>(text).unwrap())
}

async fn room_areas_are_exact_or_refused(app: TestApp) {
    let (_, token) = app.register("areas@example.com").await;
    let id = app.publish(&token, new_property("Areas", "Paris", "house", 0)).await;
    let path = format!("/properties/{id}/rooms");
    let refused = [
        "0",
        "-0.0",
        "-1",
        "0.001",
        "10000.01",
        "18446744073709551616",
        "1.8446744073709552e17",
        "340282366920938463463374607431768211457",
        "1e308",
        "1e-308",
        "5e-324",
        "-1e308",
    ];
    for area in refused {
        let mut body = new_room("Room", "bedroom", "1");
        body["area_m2"] = number(area);
        let reply = app.call("POST", &path, Some(&token), Some(body)).await;
        assert_eq!(reply.invalid_fields(), ["area_m2"], "{area}");
    }
    let stored =
        [("0.01", "0.01"), ("12.34", "12.34"), ("1.5e3", "1500.0"), ("10000", "10000.0"), ("9999.99", "9999.99")];
    for (area, answered) in stored {
        let reply = app.call("POST", &path, Some(&token), Some(new_room("Room", "bedroom", area))).await;
        assert_eq!(reply.status, 201, "{area}: {}", reply.body);
        assert_eq!(reply.body["area_m2"].to_string(), answered, "{area}");
        let read = app.get(reply.header("location"), None).await;
        assert_eq!(read.body["area_m2"].to_string(), answered, "{area} as read back");
    }
    assert_eq!(app.property(&id).await["room_count"], stored.len());
}

async fn floors_are_exact_or_refused(app: TestApp) {
    let (_, token) = app.register("floors@example.com").await;
    let id = app.publish(&token, new_property("Floors", "Paris", "house", 0)).await;
    let path = format!("/properties/{id}/rooms");
    let refused = [
        "-6",
        "201",
        "32768",
        "-32769",
        "65541",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "1e300",
        "2.5",
        "-0.0",
        "-0",
        "2.0",
        "1e2",
    ];
    for floor in refused {
        let mut body = new_room("Room", "bedroom", "1");
        body["floor"] = number(floor);
        let reply = app.call("POST", &path, Some(&token), Some(body)).await;
        assert_eq!(reply.invalid_fields(), ["floor"], "{floor}");
    }
    for floor in ["-5", "0", "200"] {
        let mut body = new_room("Room", "bedroom", "1");
        body["floor"] = number(floor);
        let reply = app.call("POST", &path, Some(&token), Some(body)).await;
        assert_eq!(reply.status, 201, "{floor}: {}", reply.body);
        let expected: i64 = floor.parse().unwrap();
        assert_eq!(reply.body["floor"], json!(expected), "{floor}");
        assert_eq!(
            app.get(reply.header("location"), None).await.body["floor"],
            json!(expected),
            "{floor} as read back"
        );
    }
}

async fn page_limits_are_digits_in_range(app: TestApp) {
    let refused =
        ["0", "-0", "-1", "+5", "101", "1e2", "5.0", "0x10", "18446744073709551616", "99999999999999999999999", "%2B5"];
    for limit in refused {
        for path in ["/properties", "/properties?city=paris"] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let reply = app.get(&format!("{path}{separator}limit={limit}"), None).await;
            assert_eq!(reply.invalid_fields(), ["limit"], "{path} limit={limit}");
        }
    }
    for limit in ["1", "007", "100"] {
        let reply = app.get(&format!("/properties?limit={limit}"), None).await;
        assert_eq!(reply.status, 200, "limit={limit}: {}", reply.body);
    }
}
