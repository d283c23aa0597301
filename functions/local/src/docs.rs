//! Interactive documentation at `/docs`: Swagger UI from assets compiled
//! into this binary (it works with no internet access), reading the
//! contract the API serves at `/openapi.json`, with an "Authorize" button
//! for the bearer token. Only the local server carries it: the Lambda
//! packages stay small.

use utoipa_swagger_ui::{Config, SwaggerUi};

pub fn router() -> axum::Router {
    let config = Config::new(["/openapi.json"]).persist_authorization(true).try_it_out_enabled(true);
    SwaggerUi::new("/docs").config(config).into()
}
