//! `template.yaml` and `terraform/` must deploy what the code serves and
//! uses: the library's route table, and the table keys and indexes of the
//! DynamoDB adapter. Each file is read with its parser (`support::files`):
//! the template in CloudFormation's JSON form, the `.tf` files as HCL.

use crate::support::assert_declares;
use crate::support::files::{
    attribute, block, expression, literal, local, sam_functions, sam_resources, sam_template, terraform,
};
use crate::support::routes::ROUTES;
use estate::store::dynamodb::{Index, PARTITION_KEY, SORT_KEY, TIME_TO_LIVE};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// (method, path, function, needs a caller).
type Routes = BTreeSet<(String, String, String, bool)>;
/// Attribute names, base key (hash, range), and each index's (name, hash,
/// range, projection).
type Keys = (BTreeSet<String>, (String, String), BTreeSet<(String, String, String, String)>);
/// The `$default` route: (function, needs a caller).
type CatchAll = (String, bool);

fn route_table() -> Routes {
    ROUTES.iter().map(|r| (r.method.into(), r.path.into(), r.function.name().into(), r.needs_caller)).collect()
}

/// What the adapter reads and writes, and what its own `create_table` makes:
/// each index projects every attribute.
fn expected_keys() -> Keys {
    let mut attributes: BTreeSet<String> = [PARTITION_KEY, SORT_KEY].map(String::from).into();
    let mut indexes = BTreeSet::new();
    for index in Index::ALL {
        attributes.extend([index.partition_key().into(), index.sort_key().into()]);
        indexes.insert((index.name().into(), index.partition_key().into(), index.sort_key().into(), "ALL".into()));
    }
    (attributes, (PARTITION_KEY.into(), SORT_KEY.into()), indexes)
}

// ------------------------------------------------------------ template.yaml

/// The `HttpApi` events of the template's functions: its routes, and its
/// `$default` routes (an event without `Method` and `Path`). A route needs a
/// caller unless its event says `Auth: { Authorizer: NONE }`, and then only
/// if the API has that authorizer (or a default one, when it names none).
fn sam_routes() -> (Routes, Vec<CatchAll>) {
    let template = sam_template();
    let apis: Vec<_> = sam_resources(&template, "AWS::Serverless::HttpApi").collect();
    let [(api_name, api)] = apis.as_slice() else {
        panic!("template.yaml: one AWS::Serverless::HttpApi, not {apis:?}")
    };
    let auth = &api["Properties"]["Auth"];
    let authorizers = auth["Authorizers"].as_object().cloned().unwrap_or_default();
    let needs_caller = |event: &str, authorizer: &Value| {
        let authorizer = authorizer.as_str().or(auth["DefaultAuthorizer"].as_str());
        let authorizer = authorizer.filter(|name| *name != "NONE");
        if let Some(name) = authorizer {
            assert!(authorizers.contains_key(name), "template.yaml: {event}: {api_name} has no authorizer {name}");
        }
        authorizer.is_some()
    };

    let (mut routes, mut catch_all) = (Routes::new(), Vec::new());
    for (function, resource) in sam_functions(&template) {
        let events = resource["Properties"]["Events"].as_object().cloned().unwrap_or_default();
        for (name, event) in events.iter().filter(|(_, event)| event["Type"] == "HttpApi") {
            let event_name = format!("{function}/{name}");
            let properties = &event["Properties"];
            assert_eq!(
                properties["ApiId"],
                json!({ "Ref": api_name }),
                "template.yaml: {event_name} is on another API"
            );
            let caller = needs_caller(&event_name, &properties["Auth"]["Authorizer"]);
            match (properties["Method"].as_str(), properties["Path"].as_str()) {
                (Some(method), Some(path)) => {
                    let route = (method.to_owned(), path.to_owned(), function.clone(), caller);
                    assert!(routes.insert(route), "template.yaml: {event_name}: {method} {path} is routed twice");
                }
                (None, None) => catch_all.push((function.clone(), caller)),
                _ => panic!("template.yaml: {event_name} has a Method without a Path, or a Path without a Method"),
            }
        }
    }
    (routes, catch_all)
}

/// The properties of the template's one DynamoDB table.
fn sam_table(template: &Value) -> &Value {
    let tables: Vec<_> = sam_resources(template, "AWS::DynamoDB::Table").collect();
    let [(_, table)] = tables.as_slice() else { panic!("template.yaml: one AWS::DynamoDB::Table, not {tables:?}") };
    &table["Properties"]
}

/// The (hash, range) attribute names of a CloudFormation `KeySchema`.
fn key_schema(schema: &Value) -> (String, String) {
    let mut key = (String::new(), String::new());
    for element in schema.as_array().unwrap_or_else(|| panic!("template.yaml: a KeySchema is a list: {schema}")) {
        let name = element["AttributeName"].as_str().unwrap_or_else(|| panic!("template.yaml: {element}"));
        let slot = match element["KeyType"].as_str() {
            Some("HASH") => &mut key.0,
            Some("RANGE") => &mut key.1,
            _ => panic!("template.yaml: a KeyType is HASH or RANGE: {element}"),
        };
        assert!(slot.is_empty(), "template.yaml: a KeySchema has one key of each type: {schema}");
        *slot = name.to_owned();
    }
    key
}

fn sam_keys() -> Keys {
    let template = sam_template();
    let table = sam_table(&template);
    let list = |key: &str| table[key].as_array().cloned().unwrap_or_default();
    let name = |value: &Value, key: &str| {
        value[key].as_str().unwrap_or_else(|| panic!("template.yaml: no {key} in {value}")).to_owned()
    };
    let attributes = list("AttributeDefinitions").iter().map(|attribute| name(attribute, "AttributeName")).collect();
    let indexes = list("GlobalSecondaryIndexes")
        .iter()
        .map(|index| {
            let (hash, range) = key_schema(&index["KeySchema"]);
            (name(index, "IndexName"), hash, range, name(&index["Projection"], "ProjectionType"))
        })
        .collect();
    (attributes, key_schema(&table["KeySchema"]), indexes)
}

/// The configuration of the HTTP API's CORS when it has one: `CorsConfiguration`,
/// or the configuration of its `!If [condition, configuration, !Ref AWS::NoValue]`.
fn sam_cors() -> Value {
    let template = sam_template();
    let (_, api) = sam_resources(&template, "AWS::Serverless::HttpApi").next().expect("template.yaml: an HttpApi");
    let cors = &api["Properties"]["CorsConfiguration"];
    let configuration = match cors.get("Fn::If") {
        Some(choice) => &choice[1],
        None => cors,
    };
    assert!(configuration.is_object(), "template.yaml: no CORS configuration in {cors}");
    configuration.clone()
}

// -------------------------------------------------------------- terraform/

#[derive(serde::Deserialize)]
struct TerraformRoute {
    method: String,
    path: String,
    function: String,
    auth: bool,
}

/// `local.routes` of `terraform/main.tf`, and its `$default` routes. Its
/// `auth` means the authorizer: the route resources of `terraform/api.tf`
/// are `local.routes` keyed by route key, split on `auth`.
fn terraform_routes() -> (Routes, Vec<CatchAll>) {
    let main = terraform("main.tf");
    let by_key = r#"{ for r in local.routes : (r.path == "$default" ? r.path : "${r.method} ${r.path}") => r }"#;
    let routes_by_key = local(&main, "routes_by_key");
    assert!(routes_by_key == &expression(by_key), "terraform/main.tf: routes_by_key = {routes_by_key}, not {by_key}");
    let api = terraform("api.tf");
    for (resource, filter, authorization) in [("protected", "r.auth", "CUSTOM"), ("public", "!r.auth", "NONE")] {
        let route = block(&api, "resource", &["aws_apigatewayv2_route", resource]);
        let wiring = [
            ("for_each", format!("{{ for key, r in local.routes_by_key : key => r if {filter} }}")),
            ("route_key", "each.key".to_owned()),
            ("authorization_type", format!("{authorization:?}")),
        ];
        for (key, expected) in wiring {
            let actual = attribute(route, key);
            assert!(
                actual == &expression(&expected),
                "terraform/api.tf: {resource} routes: {key} = {actual}, not {expected}"
            );
        }
        let authorizer = route.attributes().find(|attribute| attribute.key() == "authorizer_id");
        let authorizer = authorizer.map(|attribute| attribute.expr().to_string());
        let expected = (authorization == "CUSTOM").then(|| "aws_apigatewayv2_authorizer.jwt.id".to_owned());
        assert_eq!(authorizer, expected, "terraform/api.tf: {resource} routes: authorizer_id");
    }

    let (mut routes, mut catch_all) = (Routes::new(), Vec::new());
    for route in literal::<Vec<TerraformRoute>>(local(&main, "routes")) {
        if route.path == "$default" {
            catch_all.push((route.function, route.auth));
        } else {
            let (method, path) = (route.method.clone(), route.path.clone());
            let inserted = routes.insert((route.method, route.path, route.function, route.auth));
            assert!(inserted, "terraform/main.tf: {method} {path} is routed twice");
        }
    }
    (routes, catch_all)
}

fn terraform_table() -> hcl::Body {
    block(&terraform("dynamodb.tf"), "resource", &["aws_dynamodb_table", "main"]).clone()
}

fn terraform_keys() -> Keys {
    let table = terraform_table();
    let string = |body: &hcl::Body, key: &str| literal::<String>(attribute(body, key));
    let blocks = |identifier: &'static str| table.blocks().filter(move |block| block.identifier() == identifier);
    let attributes = blocks("attribute").map(|attribute| string(attribute.body(), "name")).collect();
    let indexes = blocks("global_secondary_index")
        .map(|index| {
            let index = index.body();
            let [name, hash, range, projection] =
                ["name", "hash_key", "range_key", "projection_type"].map(|key| string(index, key));
            (name, hash, range, projection)
        })
        .collect();
    (attributes, (string(&table, "hash_key"), string(&table, "range_key")), indexes)
}

// ------------------------------------------------------------- the checks

#[test]
fn the_sam_template_routes_exactly_the_route_table() {
    assert_declares("template.yaml", &sam_routes().0, &route_table());
}

#[test]
fn terraform_routes_exactly_the_route_table() {
    assert_declares("terraform/main.tf", &terraform_routes().0, &route_table());
}

/// Each has one `$default` route, without the authorizer (else an unknown
/// route would be API Gateway's 401, not the application's 404), to the
/// same function.
#[test]
fn both_send_unknown_routes_to_the_application() {
    let (sam, terraform) = (sam_routes().1, terraform_routes().1);
    assert_eq!(sam.len(), 1, "template.yaml: one $default route (an HttpApi event without Method and Path): {sam:?}");
    assert_eq!(terraform.len(), 1, "terraform/main.tf: one route of path \"$default\": {terraform:?}");
    assert!(!sam[0].1, "template.yaml: the $default route goes through the authorizer");
    assert_eq!(sam, terraform, "the $default route of template.yaml and of terraform/main.tf");
}

#[test]
fn the_sam_template_declares_the_keys_and_indexes_the_adapter_uses() {
    assert_eq!(
        sam_keys(),
        expected_keys(),
        "template.yaml: (attributes, base key, indexes), then what the adapter uses"
    );
}

#[test]
fn terraform_declares_the_keys_and_indexes_the_adapter_uses() {
    assert_eq!(
        terraform_keys(),
        expected_keys(),
        "terraform/dynamodb.tf: (attributes, base key, indexes), then what the adapter uses"
    );
}

/// Kept answers carry the TTL attribute; the table must expire items by it.
#[test]
fn both_stacks_expire_items_by_the_adapter_ttl_attribute() {
    let template = sam_template();
    let sam = &sam_table(&template)["TimeToLiveSpecification"];
    assert_eq!(sam, &json!({ "AttributeName": TIME_TO_LIVE, "Enabled": true }), "template.yaml");
    let table = terraform_table();
    let ttl = block(&table, "ttl", &[]);
    let ttl: BTreeMap<&str, &hcl::Expression> = ttl.attributes().map(|a| (a.key(), a.expr())).collect();
    let expected = [("attribute_name", expression(&format!("{TIME_TO_LIVE:?}"))), ("enabled", expression("true"))];
    let expected: BTreeMap<&str, &hcl::Expression> = expected.iter().map(|(key, value)| (*key, value)).collect();
    assert_eq!(ttl, expected, "terraform/dynamodb.tf: ttl");
}

#[test]
fn both_let_browsers_send_and_read_the_headers_the_api_uses() {
    use estate::http::{CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS};
    let allowed: BTreeSet<String> = CORS_ALLOWED_HEADERS.map(String::from).into();
    let exposed: BTreeSet<String> = CORS_EXPOSED_HEADERS.map(String::from).into();
    let sam = sam_cors();
    let sam_list = |key: &str| -> BTreeSet<String> {
        serde_json::from_value(sam[key].clone()).unwrap_or_else(|e| panic!("template.yaml: {key}: {e}"))
    };
    assert_eq!(sam_list("AllowHeaders"), allowed, "template.yaml");
    assert_eq!(sam_list("ExposeHeaders"), exposed, "template.yaml");

    // The configuration is a dynamic block, there only when origins are given.
    let api = terraform("api.tf");
    let api = block(&api, "resource", &["aws_apigatewayv2_api", "this"]);
    let cors = block(block(api, "dynamic", &["cors_configuration"]), "content", &[]);
    let terraform_list = |key: &str| literal::<BTreeSet<String>>(attribute(cors, key));
    assert_eq!(terraform_list("allow_headers"), allowed, "terraform/api.tf");
    assert_eq!(terraform_list("expose_headers"), exposed, "terraform/api.tf");
}

/// The access-token lifetime: the code's default and bounds, and what both
/// stacks default to and accept, are the same three numbers.
#[test]
fn both_stacks_bound_the_token_lifetime_as_the_code_does() {
    use estate::config::{DEFAULT_TOKEN_LIFETIME_SECONDS, MAX_TOKEN_LIFETIME_SECONDS, MIN_TOKEN_LIFETIME_SECONDS};
    let expected = [DEFAULT_TOKEN_LIFETIME_SECONDS, MIN_TOKEN_LIFETIME_SECONDS, MAX_TOKEN_LIFETIME_SECONDS];

    let template = sam_template();
    let parameter = &template["Parameters"]["JwtTtlSeconds"];
    assert!(parameter.is_object(), "template.yaml: no parameter JwtTtlSeconds");
    let setting = |key: &str| {
        let value = &parameter[key];
        value.as_i64().unwrap_or_else(|| panic!("template.yaml: JwtTtlSeconds: {key} is not a number: {value}"))
    };
    assert_eq!([setting("Default"), setting("MinValue"), setting("MaxValue")], expected, "template.yaml");

    let variables = terraform("variables.tf");
    let variable = block(&variables, "variable", &["jwt_ttl_seconds"]);
    let default = literal::<i64>(attribute(variable, "default"));
    let conditions = variable.blocks().filter(|block| block.identifier() == "validation");
    let (mut lower, mut upper) = (Vec::new(), Vec::new());
    for condition in conditions.map(|validation| attribute(validation.body(), "condition")) {
        let (low, high) = bounds(condition, &expression("var.jwt_ttl_seconds"));
        lower.extend(low);
        upper.extend(high);
    }
    let [lower] = lower[..] else { panic!("terraform/variables.tf: one `var.jwt_ttl_seconds >= n`: {lower:?}") };
    let [upper] = upper[..] else { panic!("terraform/variables.tf: one `var.jwt_ttl_seconds <= n`: {upper:?}") };
    assert_eq!([default, lower, upper], expected, "terraform/variables.tf");
}

/// The lower and upper bounds a validation condition puts on `variable`:
/// its terms `variable >= n` (or `n <= variable`) and `variable <= n` (or
/// `n >= variable`) joined by `&&`; a term under `||` bounds nothing.
fn bounds(condition: &hcl::Expression, variable: &hcl::Expression) -> (Vec<i64>, Vec<i64>) {
    use hcl::Expression;
    use hcl::expr::{BinaryOperator, Operation};
    let (mut lower, mut upper) = (Vec::new(), Vec::new());
    let mut terms = vec![condition];
    while let Some(term) = terms.pop() {
        let operation = match term {
            Expression::Parenthesis(inner) => {
                terms.push(inner);
                continue;
            }
            Expression::Operation(operation) => operation.as_ref(),
            _ => continue,
        };
        let Operation::Binary(operation) = operation else { continue };
        let (left, right) = (&operation.lhs_expr, &operation.rhs_expr);
        match operation.operator {
            BinaryOperator::And => terms.extend([left, right]),
            BinaryOperator::GreaterEq if left == variable => lower.push(literal(right)),
            BinaryOperator::LessEq if right == variable => lower.push(literal(left)),
            BinaryOperator::LessEq if left == variable => upper.push(literal(right)),
            BinaryOperator::GreaterEq if right == variable => upper.push(literal(left)),
            _ => {}
        }
    }
    (lower, upper)
}
