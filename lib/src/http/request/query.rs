//! Query strings, read into the struct that declares their parameters:
//! serde `Deserialize` (members as `Member<Scalar>`, checked by `Fields`
//! like a body's) for the handler, utoipa `IntoParams` for the contract,
//! so each parameter is declared once. A query string is decoded
//! strictly: a malformed one is a 400, and a parameter that is unknown or
//! given twice is a 422 naming it.

use super::extract::read_members;
use super::paging::PageQuery;
use crate::http::error::{ApiError, ApiResult, FieldError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

/// The parameters `T` declares. A handler that pages takes `Paged<T>`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + IntoParams> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let params = parameters(parts.uri.query())?;
        let (read, unknown) = read_members::<T>(&params);
        refuse_unknown(unknown, known::<T>())?;
        read.map(Query).map_err(|error| ApiError::Validation(vec![error]))
    }
}

/// The parameters `T` declares, and `limit` and `cursor` beside them
/// (`PageQuery`), from one query string.
pub struct Paged<T>(pub T, pub PageQuery);

impl<S: Send + Sync, T: DeserializeOwned + IntoParams> FromRequestParts<S> for Paged<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let params = parameters(parts.uri.query())?;
        let (read, unknown_to_params) = read_members::<T>(&params);
        let (page, unknown_to_page) = read_members::<PageQuery>(&params);
        // Unknown to the query: a name neither struct declares.
        let unknown = unknown_to_params.into_iter().filter(|name| unknown_to_page.contains(name)).collect();
        refuse_unknown(unknown, [known::<T>(), known::<PageQuery>()].concat())?;
        match (read, page) {
            (Ok(params), Ok(page)) => Ok(Paged(params, page)),
            (read, page) => Err(ApiError::Validation(read.err().into_iter().chain(page.err()).collect())),
        }
    }
}

/// The names of the parameters `T` declares, in its order.
fn known<T: IntoParams>() -> Vec<String> {
    T::into_params(|| None).into_iter().map(|parameter| parameter.name).collect()
}

fn refuse_unknown(unknown: Vec<String>, known: Vec<String>) -> ApiResult<()> {
    if unknown.is_empty() {
        return Ok(());
    }
    let message = format!("is not a known parameter; known: {}", known.join(", "));
    Err(ApiError::Validation(unknown.into_iter().map(|name| FieldError::new(name, message.clone())).collect()))
}

/// The query string as a JSON object of strings (what `read_members`
/// reads); a name given more than once holds the list of its values, which
/// only a repeatable parameter (`Scalars`) accepts: any other refuses it
/// (`Scalar`), naming it.
pub fn parameters(raw: Option<&str>) -> ApiResult<serde_json::Value> {
    use serde_json::Value;
    let pairs = decode_query(raw.unwrap_or_default()).ok_or_else(|| {
        ApiError::BadRequest(
            "The query string cannot be read: it must be percent-encoded UTF-8 (`%` followed by two hex digits)."
                .into(),
        )
    })?;
    let mut params = serde_json::Map::new();
    for (name, value) in pairs {
        match params.get_mut(&name) {
            None => drop(params.insert(name, Value::String(value))),
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(first) => *first = Value::Array(vec![first.take(), Value::String(value)]),
        }
    }
    Ok(Value::Object(params))
}

/// Splits and decodes `name=value&...` (`+` is a space), or `None` when a
/// `%` escape is malformed or the decoded bytes are not UTF-8: such input
/// is refused, never repaired into something the client did not send.
fn decode_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

fn decode_component(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        bytes.push(match byte {
            b'+' => b' ',
            b'%' => {
                let hex = [rest.next()?, rest.next()?];
                u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?
            }
            other => other,
        });
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_strictly() {
        let params = parameters(Some("city=Saint%20%C3%89tienne&type=loft+x")).unwrap();
        assert_eq!(params, serde_json::json!({"city": "Saint Étienne", "type": "loft x"}));
        for bad in ["city=%FF%FE", "city=%E9", "city=%zz", "city=%4", "city=abc%", "%FF=1"] {
            assert!(matches!(parameters(Some(bad)), Err(ApiError::BadRequest(_))), "{bad}");
        }
    }

    #[test]
    fn a_parameter_given_twice_holds_its_values() {
        let params = parameters(Some("city=a&type=x&city=b&city=c")).unwrap();
        assert_eq!(params, serde_json::json!({"city": ["a", "b", "c"], "type": "x"}));
    }

    /// What `GET /?<query>` answers through `Paged<SearchFilter>`: the
    /// status and the names at fault.
    async fn paged(query: &str) -> (u16, Vec<String>) {
        use crate::http::request::search::SearchFilter;
        use tower::ServiceExt;
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(|Paged(filter, page): Paged<SearchFilter>| async move {
                page.of_listing(&crate::store::Listing::Search(filter.parse()?)).map(drop)
            }),
        );
        let request = axum::http::Request::get(format!("/?{query}")).body(axum::body::Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let errors = problem["errors"].as_array().cloned().unwrap_or_default();
        (status, errors.iter().map(|error| error["field"].as_str().unwrap().to_owned()).collect())
    }

    #[tokio::test]
    async fn a_paged_query_knows_the_parameters_of_both_its_structs() {
        assert_eq!(paged("city=Lyon&limit=5&cursor=").await.0, 400, "an empty cursor is not a cursor");
        assert_eq!(paged("city=Lyon&limit=5").await, (200, vec![]));
        assert_eq!(paged("town=Lyon&limit=5&page=2").await, (422, vec!["page".into(), "town".into()]));
        assert_eq!(paged("limit=0&sort=up").await, (422, vec!["sort".into()]), "the search first, as before");
        assert_eq!(paged("limit=0").await, (422, vec!["limit".into()]));
        assert_eq!(paged("limit=5&limit=6").await, (422, vec!["limit".into()]), "not repeatable");
        assert_eq!(paged("city=a&city=b&limit=5").await, (422, vec!["city".into()]), "not repeatable");
    }
}
