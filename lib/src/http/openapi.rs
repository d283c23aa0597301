//! The OpenAPI 3.1 contract, generated from the handlers' own annotations
//! and types: it cannot drift from the code. `GET /openapi.json` serves it
//! and `openapi.json` at the repository root is its committed copy (a test
//! fails when they differ).

use super::error::Problem;
use super::routes::{Group, routes};
use super::routes::{properties, rooms, users};
use crate::blobs::LocalBlobs;
use crate::store::MemoryStore;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Components, OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Real-estate API",
        description = "Register, publish properties with their rooms, and browse them across the \
                       platform or by city. Errors are RFC 9457 problem+json. Routes marked with a lock \
                       need `Authorization: Bearer <access token>` from `POST /auth/token`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(Problem)),
    servers(
        (url = "/", description = "The server that serves this document"),
        (url = "http://127.0.0.1:3000", description = "The local server (`cargo run -p local`)"),
        (url = "https://{api_id}.execute-api.{region}.amazonaws.com", description = "A deployment on AWS (the stack's ApiUrl output)",
            variables(
                ("api_id" = (default = "abc123defg", description = "The HTTP API's id")),
                ("region" = (default = "us-east-1", description = "The AWS region")),
            )),
    ),
    tags(
        (name = "service", description = "The service itself: liveness and this contract"),
        (name = "users", description = "Accounts and sign-in"),
        (name = "properties", description = "Publishing and browsing properties"),
        (name = "rooms", description = "A property's rooms"),
        (name = "photos", description = "A listing's photos: announced here, uploaded straight to storage, served by the CDN"),
        (name = "changes", description = "The change feed: every public change of a listing, deletions included, in order"),
        (name = "webhooks", description = "Your endpoints for the change feed: signed deliveries, retried, logged"),
        (name = "favourites", description = "Listings you keep, and what happens to them"),
        (name = "saved-searches", description = "Searches you keep, and their alerts"),
        (name = "notifications", description = "Your inbox of alerts, and unsubscribing from their e-mails"),
    )
)]
struct ApiDoc;

/// The `bearer` security scheme that protected operations name.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Components::new);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some("An access token from POST /auth/token."))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Links from what a creation returns to the operations on it, so clients
/// and stateful fuzzers can follow them: register, then read the profile;
/// publish a property, then read, patch, add a room, delete; add a room,
/// then read, patch, delete it.
struct Links;

/// (path of the creating POST, [(link name, target operation id, [(parameter, response expression)])])
type LinkSpec = (&'static str, &'static [(&'static str, &'static str, &'static [(&'static str, &'static str)])]);

const LINKS: &[LinkSpec] = &[
    ("/users", &[("ShowProfile", "show_profile", &[("id", "$response.body#/id")])]),
    (
        "/properties",
        &[
            ("ShowProperty", "show_property", &[("id", "$response.body#/id")]),
            ("UpdateProperty", "update_property", &[("id", "$response.body#/id")]),
            ("AddRoom", "add_room", &[("id", "$response.body#/id")]),
            ("ListRooms", "list_rooms", &[("id", "$response.body#/id")]),
            ("DeleteProperty", "delete_property", &[("id", "$response.body#/id")]),
        ],
    ),
    (
        "/properties/{id}/photos",
        &[
            ("ShowPhoto", "show_photo", &[("id", "$request.path.id"), ("photo_id", "$response.body#/id")]),
            ("UpdatePhoto", "update_photo", &[("id", "$request.path.id"), ("photo_id", "$response.body#/id")]),
            ("DeletePhoto", "delete_photo", &[("id", "$request.path.id"), ("photo_id", "$response.body#/id")]),
        ],
    ),
    (
        "/properties/{id}/rooms",
        &[
            ("ShowRoom", "show_room", &[("id", "$response.body#/property_id"), ("room_id", "$response.body#/id")]),
            ("UpdateRoom", "update_room", &[("id", "$response.body#/property_id"), ("room_id", "$response.body#/id")]),
            ("DeleteRoom", "delete_room", &[("id", "$response.body#/property_id"), ("room_id", "$response.body#/id")]),
        ],
    ),
];

impl Modify for Links {
    fn modify(&self, document: &mut Document) {
        for (path, links) in LINKS {
            let created = document
                .paths
                .paths
                .get_mut(*path)
                .and_then(|item| item.post.as_mut())
                .and_then(|operation| operation.responses.responses.get_mut("201"));
            let Some(RefOr::T(response)) = created else {
                panic!("POST {path} has no inline 201 response to link from");
            };
            for (name, operation, parameters) in *links {
                let link =
                    parameters.iter().fold(LinkBuilder::new().operation_id(*operation), |link, (parameter, value)| {
                        link.parameter(*parameter, *value)
                    });
                response.links.insert((*name).to_owned(), RefOr::T(link.build()));
            }
        }
    }
}

/// Every request body refuses members it does not declare (a 422 naming
/// each, `http::request::extract`): its schema says so. The bodies' structs
/// cannot say it themselves, since serde's `deny_unknown_fields` would
/// stop at the first unknown member instead of naming them all.
struct ClosedBodies;

impl Modify for ClosedBodies {
    fn modify(&self, document: &mut Document) {
        use utoipa::openapi::schema::{AdditionalProperties, Schema};
        let bodies: Vec<String> = document
            .paths
            .paths
            .values()
            .flat_map(|item| [&item.post, &item.put, &item.patch].into_iter().flatten())
            .filter_map(|operation| operation.request_body.as_ref())
            .flat_map(|body| body.content.values())
            .filter_map(|content| match &content.schema {
                Some(RefOr::Ref(reference)) => reference.ref_location.rsplit('/').next().map(str::to_owned),
                _ => None,
            })
            .collect();
        let schemas = &mut document.components.get_or_insert_with(Components::new).schemas;
        for name in bodies {
            if let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(&name) {
                object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

/// The contract, as served and committed: the operations come from the
/// routers themselves, which register each handler with its annotation.
pub fn document() -> Document {
    let mut document = ApiDoc::openapi();
    document.merge(routes().into_openapi());
    document.merge(users::routes::<MemoryStore>().into_openapi());
    document.merge(properties::routes::<MemoryStore, LocalBlobs>().into_openapi());
    document.merge(rooms::routes::<MemoryStore>().into_openapi());
    BearerToken.modify(&mut document);
    Links.modify(&mut document);
    ClosedBodies.modify(&mut document);
    document
}

/// The contract as pretty JSON with a final newline, the committed form.
pub fn json() -> String {
    let mut value = serde_json::to_value(document()).expect("the contract serializes");
    camel_case_links(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("the contract serializes");
    text.push('\n');
    text
}

/// utoipa 5 writes a Link object's members in snake_case (`operation_id`);
/// OpenAPI names them `operationId`, `operationRef` and `requestBody`.
fn camel_case_links(document: &mut serde_json::Value) {
    let operations = document["paths"].as_object_mut().into_iter().flat_map(|paths| paths.values_mut());
    let responses = operations
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses").and_then(|r| r.as_object_mut()))
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(|links| links.as_object_mut()) else { continue };
        for link in links.values_mut().filter_map(|link| link.as_object_mut()) {
            for (snake, camel) in
                [("operation_id", "operationId"), ("operation_ref", "operationRef"), ("request_body", "requestBody")]
            {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
}

/// `GET /openapi.json` and its contract. The entry points that serve the
/// contract mount it (the users function and the local server), so that no
/// route group has to import the document that imports every route group.
pub fn routes() -> Group<()> {
    Group::new().routes(routes!(serve))
}

/// `GET /openapi.json`.
#[utoipa::path(
    get, path = "/openapi.json", tag = "service", operation_id = "openapi", summary = "The contract",
    description = "This OpenAPI 3.1 document, as committed in the repository.",
    responses((status = 200, description = "This contract (OpenAPI 3.1)", body = Object, content_type = "application/json"))
)]
async fn serve() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], COMMITTED)
}

/// The committed contract, which a test holds equal to [`json`]: served as
/// it is, so that no function links the code that builds it, which
/// instantiates every route group's handlers (a third of the users
/// function's package).
const COMMITTED: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json"));
