//! `template.yaml` and `terraform/` must deploy what the code serves and
//! uses: the library's route table, the table keys and indexes of the
//! DynamoDB adapter, and the photo pipeline (the functions' settings, the
//! media function's triggers, and S3 access limited to the key prefixes the
//! code writes). Each file is read with its parser (`support::files`): the
//! template in CloudFormation's JSON form, the `.tf` files as HCL.

use crate::support::files::{
    attribute, block, expression, literal, local, sam_functions, sam_resources, sam_template, terraform,
};
use crate::support::routes::{Function, ROUTES};
use crate::support::{assert_declares, repo_path};
use estate::domain::{PhotoId, PropertyId, derivative_key, upload_key};
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

// ------------------------------------------------------- functions, photos

/// Each function's (name, description, memory in MB, timeout in s).
type FunctionSettings = BTreeSet<(String, String, i64, i64)>;

fn sam_function_settings() -> FunctionSettings {
    let template = sam_template();
    let settings = sam_functions(&template).map(|(name, function)| {
        let properties = &function["Properties"];
        let number = |key: &str| {
            let value = &properties[key];
            value.as_i64().unwrap_or_else(|| panic!("template.yaml: {name}: {key} is not a number: {value}"))
        };
        let description = properties["Description"].as_str();
        let description = description.unwrap_or_else(|| panic!("template.yaml: {name}: no Description"));
        (name.clone(), description.to_owned(), number("MemorySize"), number("Timeout"))
    });
    settings.collect()
}

/// One entry of `local.functions`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TerraformFunction {
    description: String,
    memory_size: i64,
    timeout: i64,
}

fn terraform_function_settings() -> FunctionSettings {
    let functions: BTreeMap<String, TerraformFunction> = literal(local(&terraform("main.tf"), "functions"));
    functions.into_iter().map(|(name, f)| (name, f.description, f.memory_size, f.timeout)).collect()
}

/// Every `.tf` file of `terraform/`, parsed, by name.
fn terraform_files() -> BTreeMap<String, hcl::Body> {
    let entries = std::fs::read_dir(repo_path("terraform")).unwrap_or_else(|e| panic!("terraform/: {e}"));
    let names = entries.map(|entry| entry.expect("terraform/: an entry").file_name().to_string_lossy().into_owned());
    names.filter(|name| name.ends_with(".tf")).map(|name| (name.clone(), terraform(&name))).collect()
}

/// The blocks `resource "<kind>" "<label>"` (or `data`, `output`: by
/// `identifier`) of every `.tf` file, as (label, body).
fn terraform_blocks(identifier: &str, kind: Option<&str>) -> Vec<(String, hcl::Body)> {
    let mut found = Vec::new();
    for body in terraform_files().values() {
        for block in body.blocks().filter(|block| block.identifier() == identifier) {
            let labels: Vec<&str> = block.labels().iter().map(hcl::BlockLabel::as_str).collect();
            match (kind, labels.as_slice()) {
                (Some(kind), [k, label]) if *k == kind => found.push(((*label).to_owned(), block.body().clone())),
                (None, [label]) => found.push(((*label).to_owned(), block.body().clone())),
                _ => {}
            }
        }
    }
    found
}

/// The one resource of a kind across `terraform/`: (label, body).
fn terraform_resource(kind: &str) -> (String, hcl::Body) {
    let mut resources = terraform_blocks("resource", Some(kind));
    assert_eq!(resources.len(), 1, "terraform/: one resource {kind}");
    resources.pop().unwrap()
}

/// The one resource of a kind of the template: (name, resource).
fn sam_resource(template: &Value, kind: &str) -> (String, Value) {
    let resources: Vec<_> = sam_resources(template, kind).collect();
    let [(name, resource)] = resources.as_slice() else { panic!("template.yaml: one {kind}, not {}", resources.len()) };
    ((*name).to_owned(), (*resource).clone())
}

/// The entries of an HCL object expression, by key.
fn hcl_object(expression: &hcl::Expression) -> BTreeMap<String, hcl::Expression> {
    let hcl::Expression::Object(object) = expression else { panic!("not an object: {expression}") };
    object.iter().map(|(key, value)| (key.to_string(), value.clone())).collect()
}

/// Each function's environment: the template's global variables and its own.
fn sam_environments(template: &Value) -> BTreeMap<String, serde_json::Map<String, Value>> {
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    let globals = globals.as_object().cloned().unwrap_or_default();
    sam_functions(template)
        .map(|(name, function)| {
            let own = &function["Properties"]["Environment"]["Variables"];
            let mut variables = globals.clone();
            variables.extend(own.as_object().cloned().unwrap_or_default());
            (name, variables)
        })
        .collect()
}

/// Each function's environment, `local.common_env` merged with its entry of
/// `local.function_env`, after checking that the functions get exactly that.
fn terraform_environments() -> BTreeMap<String, BTreeMap<String, hcl::Expression>> {
    let lambda = terraform("lambda.tf");
    let function = block(&lambda, "resource", &["aws_lambda_function", "fn"]);
    let variables = attribute(block(function, "environment", &[]), "variables");
    let merge = "merge(local.common_env, local.function_env[each.key])";
    assert!(variables == &expression(merge), "terraform/lambda.tf: environment variables = {variables}, not {merge}");
    let main = terraform("main.tf");
    let common = hcl_object(local(&main, "common_env"));
    hcl_object(local(&main, "function_env"))
        .into_iter()
        .map(|(name, own)| {
            let mut variables = common.clone();
            variables.extend(hcl_object(&own));
            (name, variables)
        })
        .collect()
}

/// The first segment of a key the code writes, with its slash: `uploads/`.
fn key_prefix(key: &str) -> String {
    let (prefix, _) = key.split_once('/').unwrap_or_else(|| panic!("{key}: no prefix"));
    format!("{prefix}/")
}

/// Where the code puts uploads and derivatives: (`uploads/`, `photos/`).
fn media_prefixes() -> (String, String) {
    let (property, photo) = (PropertyId::generate(), PhotoId::generate());
    (key_prefix(&upload_key(property, photo)), key_prefix(&derivative_key(property, photo, 320)))
}

#[test]
fn both_stacks_deploy_the_same_functions_with_the_same_settings() {
    let (sam, terraform) = (sam_function_settings(), terraform_function_settings());
    assert_declares("terraform/main.tf local.functions (name, description, memory, timeout)", &terraform, &sam);
    let names: BTreeSet<&str> = sam.iter().map(|(name, ..)| name.as_str()).collect();
    let mut expected: BTreeSet<&str> = Function::ALL.map(Function::name).into();
    expected.extend(["authorizer", "media"]);
    assert_eq!(names, expected, "template.yaml: the functions (each route group's, the authorizer, media)");
}

#[test]
fn both_give_each_function_the_same_environment_variables() {
    let sam: BTreeSet<(String, String)> = sam_environments(&sam_template())
        .into_iter()
        .flat_map(|(function, variables)| variables.into_iter().map(move |(name, _)| (function.clone(), name)))
        .collect();
    let terraform: BTreeSet<(String, String)> = terraform_environments()
        .into_iter()
        .flat_map(|(function, variables)| variables.into_keys().map(move |name| (function.clone(), name)))
        .collect();
    assert_declares("terraform/main.tf (function, variable)", &terraform, &sam);
}

/// The photo settings and the functions that read them: the bucket (to
/// presign upload URLs into it; to read uploads and write derivatives), and
/// the public base of the derivatives' URLs (CloudFront, no trailing slash).
const PHOTO_SETTINGS: [(&str, &[&str]); 2] =
    [("MEDIA_BUCKET", &["media", "properties"]), ("MEDIA_BASE_URL", &["properties"])];

/// Exactly the functions that read a photo setting get it, with the value
/// that names the bucket or the distribution, in both stacks; both output
/// them.
#[test]
fn both_tell_the_photo_functions_where_the_photos_are() {
    let users_of = |variable: &str| -> BTreeSet<String> {
        let (_, functions) = PHOTO_SETTINGS.iter().find(|(name, _)| *name == variable).expect("a photo setting");
        functions.iter().map(|name| (*name).to_owned()).collect()
    };

    let template = sam_template();
    let (bucket, bucket_resource) = sam_resource(&template, "AWS::S3::Bucket");
    let (distribution, _) = sam_resource(&template, "AWS::CloudFront::Distribution");
    // By reference, or by the name the bucket is given (media: the bucket's
    // notification names the function, a reference back would be a cycle).
    let bucket_values = [json!({ "Ref": bucket }), bucket_resource["Properties"]["BucketName"].clone()];
    let base_url = json!({ "Fn::Sub": format!("https://${{{distribution}.DomainName}}") });
    let environments = sam_environments(&template);
    for (variable, _) in PHOTO_SETTINGS {
        let users: BTreeSet<String> = environments
            .iter()
            .filter(|(_, variables)| variables.contains_key(variable))
            .map(|(function, _)| function.clone())
            .collect();
        assert_eq!(users, users_of(variable), "template.yaml: the functions given {variable}");
        for function in &users {
            let value = &environments[function][variable];
            let expected: &[Value] =
                if variable == "MEDIA_BUCKET" { &bucket_values } else { std::slice::from_ref(&base_url) };
            assert!(
                expected.contains(value),
                "template.yaml: {function}: {variable} = {value}, not one of {expected:?}"
            );
        }
    }
    let outputs = template["Outputs"].as_object().cloned().unwrap_or_default();
    assert!(outputs.values().any(|output| output["Value"] == base_url), "template.yaml: no output {base_url}");
    assert!(
        outputs.values().any(|output| output["Value"] == bucket_values[0]),
        "template.yaml: no output of the bucket"
    );

    let (bucket, _) = terraform_resource("aws_s3_bucket");
    let (distribution, _) = terraform_resource("aws_cloudfront_distribution");
    let bucket_values =
        [expression(&format!("aws_s3_bucket.{bucket}.id")), expression(&format!("aws_s3_bucket.{bucket}.bucket"))];
    let base_url = expression(&format!(r#""https://${{aws_cloudfront_distribution.{distribution}.domain_name}}""#));
    let environments = terraform_environments();
    for (variable, _) in PHOTO_SETTINGS {
        let users: BTreeSet<String> = environments
            .iter()
            .filter(|(_, variables)| variables.contains_key(variable))
            .map(|(function, _)| function.clone())
            .collect();
        assert_eq!(users, users_of(variable), "terraform/main.tf: the functions given {variable}");
        for function in &users {
            let value = &environments[function][variable];
            let expected: &[hcl::Expression] =
                if variable == "MEDIA_BUCKET" { &bucket_values } else { std::slice::from_ref(&base_url) };
            assert!(expected.contains(value), "terraform/main.tf: {function}: {variable} = {value}");
        }
    }
    let outputs: Vec<hcl::Expression> =
        terraform_blocks("output", None).iter().map(|(_, body)| attribute(body, "value").clone()).collect();
    assert!(outputs.contains(&base_url), "terraform/: no output {base_url}");
    assert!(bucket_values.iter().any(|value| outputs.contains(value)), "terraform/: no output of the bucket");
}

/// The stream filter of the media function: the property items' records
/// only (`lib/src/store/dynamodb/schema.rs`: a property item's sort key is
/// `PROPERTY`): a change or removal may drop a photo, and every record
/// moves the listing in the map clusters, a new one included.
fn property_changes_filter() -> Value {
    json!({ "eventName": ["INSERT", "MODIFY", "REMOVE"], "dynamodb": { "Keys": { SORT_KEY: { "S": ["PROPERTY"] } } } })
}

/// The stream mapping's settings both stacks must agree on: batch size,
/// retries, maximum record age.
type StreamSettings = (i64, i64, i64);

/// How long the table's stream keeps a record. The age past which the
/// mapping gives up on a record must be below it, or a record that keeps
/// failing would expire from the stream without reaching the failure queue.
const STREAM_RETENTION_SECONDS: i64 = 24 * 60 * 60;

/// Media runs for each upload (an S3 notification for ObjectCreated under the
/// uploads prefix) and for each property item's change on the table's
/// stream (old and new images, filtered, with an on-failure destination);
/// both stacks wire it the same way.
#[test]
fn both_trigger_the_media_function_on_uploads_and_on_property_changes() {
    let (uploads, _) = media_prefixes();

    let template = sam_template();
    let stream = &sam_table(&template)["StreamSpecification"];
    assert_eq!(stream, &json!({ "StreamViewType": "NEW_AND_OLD_IMAGES" }), "template.yaml: the table's stream");
    let (bucket, _) = sam_resource(&template, "AWS::S3::Bucket");
    let (queue, _) = sam_resource(&template, "AWS::SQS::Queue");
    let media = sam_functions(&template).find(|(name, _)| name == "media").map(|(_, f)| f.clone());
    let media = media.expect("template.yaml: a MediaFunction");
    let events = media["Properties"]["Events"].as_object().cloned().unwrap_or_default();
    let of_type = |kind: &str| -> Value {
        let found: Vec<&Value> = events.values().filter(|event| event["Type"] == kind).collect();
        let [event] = found.as_slice() else { panic!("template.yaml: media: one {kind} event, not {}", found.len()) };
        event["Properties"].clone()
    };
    assert_eq!(events.len(), 2, "template.yaml: media: an S3 and a DynamoDB event, nothing else");
    let upload = of_type("S3");
    assert_eq!(upload["Bucket"], json!({ "Ref": bucket }), "template.yaml: media: the uploads' bucket");
    assert!(
        [json!("s3:ObjectCreated:*"), json!(["s3:ObjectCreated:*"])].contains(&upload["Events"]),
        "template.yaml: media: the S3 events: {}",
        upload["Events"]
    );
    let rules = json!({ "S3Key": { "Rules": [{ "Name": "prefix", "Value": uploads }] } });
    assert_eq!(upload["Filter"], rules, "template.yaml: media: uploads only");
    let changes = of_type("DynamoDB");
    assert_eq!(changes["Stream"], json!({ "Fn::GetAtt": ["Table", "StreamArn"] }), "template.yaml: media: the stream");
    assert_eq!(changes["StartingPosition"], "LATEST", "template.yaml: media: the starting position");
    let filters = changes["FilterCriteria"]["Filters"].as_array().cloned().unwrap_or_default();
    let patterns: Vec<Value> = filters
        .iter()
        .map(|filter| {
            let pattern = filter["Pattern"].as_str().unwrap_or_else(|| panic!("template.yaml: a filter: {filter}"));
            serde_json::from_str(pattern).unwrap_or_else(|e| panic!("template.yaml: a filter pattern: {e}"))
        })
        .collect();
    assert_eq!(patterns, [property_changes_filter()], "template.yaml: media: the stream's filter");
    assert_eq!(changes["BisectBatchOnFunctionError"], true, "template.yaml: media: bisect on error");
    let on_failure = &changes["DestinationConfig"]["OnFailure"]["Destination"];
    assert_eq!(
        on_failure,
        &json!({ "Fn::GetAtt": [queue, "Arn"] }),
        "template.yaml: media: the on-failure destination"
    );
    let number = |key: &str| changes[key].as_i64().unwrap_or_else(|| panic!("template.yaml: media: no {key}"));
    let sam_settings: StreamSettings =
        (number("BatchSize"), number("MaximumRetryAttempts"), number("MaximumRecordAgeInSeconds"));
    let dead_letters = &media["Properties"]["DeadLetterQueue"];
    assert_eq!(
        dead_letters,
        &json!({ "Type": "SQS", "TargetArn": { "Fn::GetAtt": [queue, "Arn"] } }),
        "template.yaml: media: uploads that keep failing go to the failure queue"
    );

    let table = terraform_table();
    assert!(attribute(&table, "stream_enabled") == &expression("true"), "terraform/dynamodb.tf: stream_enabled");
    let view = attribute(&table, "stream_view_type");
    assert!(view == &expression(r#""NEW_AND_OLD_IMAGES""#), "terraform/dynamodb.tf: stream_view_type = {view}");
    let (bucket, _) = terraform_resource("aws_s3_bucket");
    let (queue, _) = terraform_resource("aws_sqs_queue");
    let media_arn = expression(r#"aws_lambda_function.fn["media"].arn"#);
    let (_, notification) = terraform_resource("aws_s3_bucket_notification");
    let wired = |what: &str, body: &hcl::Body, key: &str, expected: &str| {
        let actual = attribute(body, key);
        assert!(actual == &expression(expected), "terraform/: {what}: {key} = {actual}, not {expected}");
    };
    wired("the bucket notification", &notification, "bucket", &format!("aws_s3_bucket.{bucket}.id"));
    let targets: Vec<&hcl::Body> =
        notification.blocks().filter(|b| b.identifier() == "lambda_function").map(hcl::Block::body).collect();
    let [target] = targets.as_slice() else { panic!("terraform/: the bucket notification: one lambda_function") };
    assert!(attribute(target, "lambda_function_arn") == &media_arn, "terraform/: the notification invokes media");
    assert_eq!(
        literal::<Vec<String>>(attribute(target, "events")),
        ["s3:ObjectCreated:*"],
        "terraform/: the S3 events"
    );
    assert_eq!(literal::<String>(attribute(target, "filter_prefix")), uploads, "terraform/: uploads only");

    let (_, mapping) = terraform_resource("aws_lambda_event_source_mapping");
    let what = "the event source mapping";
    wired(what, &mapping, "event_source_arn", "aws_dynamodb_table.main.stream_arn");
    assert!(attribute(&mapping, "function_name") == &media_arn, "terraform/: {what} invokes media");
    assert_eq!(literal::<String>(attribute(&mapping, "starting_position")), "LATEST", "terraform/: {what}");
    let filter = block(block(&mapping, "filter_criteria", &[]), "filter", &[]);
    let pattern = match attribute(filter, "pattern") {
        hcl::Expression::FuncCall(call) if call.name.to_string() == "jsonencode" && call.args.len() == 1 => {
            literal::<Value>(&call.args[0])
        }
        other => panic!("terraform/: {what}: the pattern is jsonencode({{...}}), not {other}"),
    };
    assert_eq!(pattern, property_changes_filter(), "terraform/: {what}: the stream's filter");
    wired(what, &mapping, "bisect_batch_on_function_error", "true");
    let on_failure = block(block(&mapping, "destination_config", &[]), "on_failure", &[]);
    wired(what, on_failure, "destination_arn", &format!("aws_sqs_queue.{queue}.arn"));
    let number = |key: &str| literal::<i64>(attribute(&mapping, key));
    let terraform_settings: StreamSettings =
        (number("batch_size"), number("maximum_retry_attempts"), number("maximum_record_age_in_seconds"));
    let lambda = terraform("lambda.tf");
    let function = block(&lambda, "resource", &["aws_lambda_function", "fn"]);
    let dead_letters = block(function, "dynamic", &["dead_letter_config"]);
    let only_media = format!(r#"each.key == "media" ? [aws_sqs_queue.{queue}.arn] : []"#);
    wired("the functions' dead_letter_config", dead_letters, "for_each", &only_media);
    wired(
        "the functions' dead_letter_config",
        block(dead_letters, "content", &[]),
        "target_arn",
        "dead_letter_config.value",
    );

    assert_eq!(
        sam_settings, terraform_settings,
        "(batch size, retries, maximum record age): template.yaml, terraform/"
    );
    let (batch, retries, age) = sam_settings;
    assert!((1..=100).contains(&batch), "a batch of {batch} records");
    assert!(retries >= 0, "retries are bounded: {retries}");
    assert!(
        (60..STREAM_RETENTION_SECONDS).contains(&age),
        "a record is given up on within the stream's retention: {age} s"
    );
}

/// An S3 permission of a role: (function, action, scope, condition), the
/// scope the bucket (`""`) or a key pattern in it (`uploads/*`), the
/// condition `"<operator> <key> <values>"` or `""`.
type S3Grant = (String, String, String, String);

/// What a condition is written as in an `S3Grant`.
fn condition_text(operator: &str, key: &str, values: &[String]) -> String {
    let values: BTreeSet<&String> = values.iter().collect();
    format!("{operator} {key} {}", values.into_iter().cloned().collect::<Vec<_>>().join(" "))
}

/// Every S3 permission the template's roles grant: each statement of each
/// policy of each `<Function>Role` (both branches of an `!If`).
fn sam_s3_grants() -> BTreeSet<S3Grant> {
    let template = sam_template();
    let (bucket, resource) = sam_resource(&template, "AWS::S3::Bucket");
    let name = resource["Properties"]["BucketName"]["Fn::Sub"].as_str().expect("template.yaml: the bucket's name");
    let scope = |resource: &Value| -> String {
        if resource == &json!({ "Fn::GetAtt": [&bucket, "Arn"] }) {
            return String::new();
        }
        let arn = resource["Fn::Sub"].as_str().unwrap_or_else(|| panic!("template.yaml: not the bucket: {resource}"));
        let rest = [format!("${{{bucket}.Arn}}"), format!("arn:${{AWS::Partition}}:s3:::{name}")]
            .iter()
            .find_map(|bucket| arn.strip_prefix(bucket.as_str()));
        let rest = rest.unwrap_or_else(|| panic!("template.yaml: not the media bucket: {arn}"));
        match rest.strip_prefix('/') {
            Some(keys) => keys.to_owned(),
            None if rest.is_empty() => String::new(),
            None => panic!("template.yaml: not the media bucket: {arn}"),
        }
    };
    // A string or a list of strings, as IAM takes either.
    let strings = |value: &Value| -> Vec<String> {
        match value {
            Value::Null => Vec::new(),
            Value::String(one) => vec![one.clone()],
            list => serde_json::from_value(list.clone()).unwrap_or_else(|e| panic!("template.yaml: {e}: {list}")),
        }
    };
    let mut grants = BTreeSet::new();
    for (role, resource) in sam_resources(&template, "AWS::IAM::Role") {
        let function = role.strip_suffix("Role").unwrap_or_else(|| panic!("{role}: not named <Function>Role"));
        let function = function.to_lowercase();
        let policies = resource["Properties"]["Policies"].as_array().cloned().unwrap_or_default();
        let mut statements: Vec<Value> = policies
            .iter()
            .flat_map(|policy| policy["PolicyDocument"]["Statement"].as_array().cloned().unwrap_or_default())
            .collect();
        while let Some(statement) = statements.pop() {
            if let Some(choice) = statement.get("Fn::If") {
                let branches = [&choice[1], &choice[2]].into_iter();
                statements.extend(branches.filter(|branch| branch != &&json!({ "Ref": "AWS::NoValue" })).cloned());
                continue;
            }
            let actions: Vec<String> =
                strings(&statement["Action"]).into_iter().filter(|a| a.starts_with("s3:")).collect();
            if actions.is_empty() {
                continue;
            }
            assert_eq!(statement["Effect"], "Allow", "template.yaml: {role}: an S3 statement that does not allow");
            let resources = match &statement["Resource"] {
                Value::Array(list) => list.clone(),
                one => vec![one.clone()],
            };
            let condition = match statement.get("Condition") {
                None => String::new(),
                Some(condition) => {
                    let one = |value: &Value| {
                        let entries = value.as_object().filter(|entries| entries.len() == 1).cloned();
                        let entries =
                            entries.unwrap_or_else(|| panic!("template.yaml: {role}: one condition: {value}"));
                        entries.into_iter().next().unwrap()
                    };
                    let (operator, test) = one(condition);
                    let (key, values) = one(&test);
                    condition_text(&operator, &key, &strings(&values))
                }
            };
            for action in &actions {
                for resource in &resources {
                    grants.insert((function.clone(), action.clone(), scope(resource), condition.clone()));
                }
            }
        }
    }
    grants
}

/// The text of an expression that names one of a resource's or data source's
/// attributes, without its quotes: `data.aws_iam_policy_document.x.json`.
fn reference(expression: &hcl::Expression) -> String {
    expression.to_string().trim_matches('"').to_owned()
}

/// Every S3 permission of the roles in `terraform/`: each static statement
/// of each policy document an `aws_iam_role_policy` gives a function's role.
/// A document shared by several roles (`for_each`) may grant no S3 action.
fn terraform_s3_grants() -> BTreeSet<S3Grant> {
    let (bucket, _) = terraform_resource("aws_s3_bucket");
    let arn = format!("aws_s3_bucket.{bucket}.arn");
    let scope = |resource: &hcl::Expression| -> String {
        let text = reference(resource);
        if text == arn {
            return String::new();
        }
        let keys = text.strip_prefix(&format!("${{{arn}}}/"));
        keys.unwrap_or_else(|| panic!("terraform/: not the media bucket: {resource}")).to_owned()
    };
    let documents: BTreeMap<String, hcl::Body> =
        terraform_blocks("data", Some("aws_iam_policy_document")).into_iter().collect();
    let mut grants = BTreeSet::new();
    for (label, policy) in terraform_blocks("resource", Some("aws_iam_role_policy")) {
        let document = reference(attribute(&policy, "policy"));
        let document = document.strip_prefix("data.aws_iam_policy_document.").and_then(|d| d.strip_suffix(".json"));
        let document = document.unwrap_or_else(|| panic!("terraform/: {label}: a policy document's json"));
        let role = reference(attribute(&policy, "role"));
        let function = role.strip_prefix(r#"aws_iam_role.fn[""#).and_then(|r| r.strip_suffix(r#""].id"#));
        let (name, function) = match function {
            Some(function) => (document.to_owned(), Some(function.to_owned())),
            None => {
                assert_eq!(role, "aws_iam_role.fn[each.key].id", "terraform/: {label}: the role of a function");
                (document.strip_suffix("[each.key]").unwrap_or(document).to_owned(), None)
            }
        };
        let body = documents.get(&name).unwrap_or_else(|| panic!("terraform/: {label}: no document {name}"));
        for statement in body.blocks().filter(|b| b.identifier() == "statement").map(hcl::Block::body) {
            let actions: Vec<String> = literal::<Vec<String>>(attribute(statement, "actions"));
            let actions: Vec<String> = actions.into_iter().filter(|a| a.starts_with("s3:")).collect();
            if actions.is_empty() {
                continue;
            }
            let function =
                function.clone().unwrap_or_else(|| panic!("terraform/: {label}: S3 actions for several roles"));
            if let Some(effect) = statement.attributes().find(|a| a.key() == "effect") {
                assert_eq!(
                    literal::<String>(effect.expr()),
                    "Allow",
                    "terraform/: {name}: an S3 statement that does not allow"
                );
            }
            let hcl::Expression::Array(resources) = attribute(statement, "resources") else {
                panic!("terraform/: {name}: resources is a list")
            };
            let conditions: Vec<String> = statement
                .blocks()
                .filter(|b| b.identifier() == "condition")
                .map(|c| {
                    let c = c.body();
                    let text = |key: &str| literal::<String>(attribute(c, key));
                    condition_text(&text("test"), &text("variable"), &literal::<Vec<String>>(attribute(c, "values")))
                })
                .collect();
            assert!(conditions.len() <= 1, "terraform/: {name}: one condition at most");
            let condition = conditions.into_iter().next().unwrap_or_default();
            for action in &actions {
                for resource in resources {
                    grants.insert((function.clone(), action.clone(), scope(resource), condition.clone()));
                }
            }
        }
    }
    grants
}

/// Only properties (it presigns the upload URLs, which carry its
/// credentials) and media reach the bucket, each only under the prefixes
/// the code gives its keys (`domain::upload_key`, `domain::derivative_key`).
#[test]
fn only_properties_and_media_reach_the_bucket_and_only_their_prefixes() {
    let (uploads, derivatives) = media_prefixes();
    let grant = |function: &str, action: &str, scope: String, condition: String| {
        (function.to_owned(), format!("s3:{action}"), scope, condition)
    };
    let (uploaded, derived) = (format!("{uploads}*"), format!("{derivatives}*"));
    let expected: BTreeSet<S3Grant> = [
        grant("properties", "PutObject", uploaded.clone(), String::new()),
        grant("media", "GetObject", uploaded.clone(), String::new()),
        grant("media", "DeleteObject", uploaded.clone(), String::new()),
        grant("media", "PutObject", derived.clone(), String::new()),
        grant("media", "DeleteObject", derived.clone(), String::new()),
        grant("media", "ListBucket", String::new(), condition_text("StringLike", "s3:prefix", &[uploaded, derived])),
    ]
    .into();
    assert_declares("template.yaml (function, S3 action, scope, condition)", &sam_s3_grants(), &expected);
    assert_declares("terraform/ (function, S3 action, scope, condition)", &terraform_s3_grants(), &expected);
}

/// The bucket: uploads expire under the uploads prefix, CloudFront reads
/// only the derivatives, and browsers may PUT from the origins the API
/// allows (no origins: no CORS rule), in both stacks.
#[test]
fn both_keep_the_bucket_to_the_code_key_layout_and_the_api_origins() {
    let (uploads, derivatives) = media_prefixes();

    let template = sam_template();
    let (bucket, resource) = sam_resource(&template, "AWS::S3::Bucket");
    let properties = &resource["Properties"];
    let rules = properties["LifecycleConfiguration"]["Rules"].as_array().cloned().unwrap_or_default();
    let expiring: Vec<&Value> = rules.iter().filter(|rule| rule.get("ExpirationInDays").is_some()).collect();
    let [expiring] = expiring.as_slice() else { panic!("template.yaml: one expiring lifecycle rule: {rules:?}") };
    assert_eq!(expiring["Prefix"], uploads.as_str(), "template.yaml: the uploads expire, nothing else");
    let (_, policy) = sam_resource(&template, "AWS::S3::BucketPolicy");
    let statements = policy["Properties"]["PolicyDocument"]["Statement"].as_array().cloned().unwrap_or_default();
    let readers: Vec<&Value> = statements.iter().filter(|s| s["Effect"] == "Allow").collect();
    let [reader] = readers.as_slice() else { panic!("template.yaml: the bucket policy allows one thing: {readers:?}") };
    assert_eq!(
        reader["Principal"],
        json!({ "Service": "cloudfront.amazonaws.com" }),
        "template.yaml: the bucket's reader"
    );
    assert_eq!(reader["Action"], "s3:GetObject", "template.yaml: CloudFront reads");
    let derived = json!({ "Fn::Sub": format!("${{{bucket}.Arn}}/{derivatives}*") });
    assert_eq!(reader["Resource"], derived, "template.yaml: CloudFront reads the derivatives only");
    let cors = &properties["CorsConfiguration"]["Fn::If"];
    assert_eq!(cors[0], "HasCors", "template.yaml: the bucket's CORS, under the API's condition");
    let (_, api) = sam_resources(&template, "AWS::Serverless::HttpApi").next().expect("template.yaml: an HttpApi");
    assert_eq!(
        api["Properties"]["CorsConfiguration"]["Fn::If"][0], "HasCors",
        "template.yaml: the API's CORS condition"
    );
    assert_eq!(cors[2], json!({ "Ref": "AWS::NoValue" }), "template.yaml: no CORS rule without origins");
    let rules = cors[1]["CorsRules"].as_array().cloned().unwrap_or_default();
    let [rule] = rules.as_slice() else { panic!("template.yaml: one CORS rule on the bucket: {rules:?}") };
    assert_eq!(rule["AllowedOrigins"], sam_cors()["AllowOrigins"], "template.yaml: the bucket's origins are the API's");
    assert_eq!(rule["AllowedMethods"], json!(["PUT"]), "template.yaml: browsers only PUT to the bucket");
    assert_eq!(rule["AllowedHeaders"], json!(["content-type"]), "template.yaml: the upload's headers");

    let (bucket, _) = terraform_resource("aws_s3_bucket");
    let (_, lifecycle) = terraform_resource("aws_s3_bucket_lifecycle_configuration");
    let expiring: Vec<&hcl::Body> = lifecycle
        .blocks()
        .filter(|b| b.identifier() == "rule")
        .map(hcl::Block::body)
        .filter(|rule| rule.blocks().any(|b| b.identifier() == "expiration"))
        .collect();
    let [expiring] = expiring.as_slice() else { panic!("terraform/: one expiring lifecycle rule") };
    let prefix = literal::<String>(attribute(block(expiring, "filter", &[]), "prefix"));
    assert_eq!(prefix, uploads, "terraform/: the uploads expire, nothing else");
    let (_, policy) = terraform_resource("aws_s3_bucket_policy");
    let document = reference(attribute(&policy, "policy"));
    let document = document.strip_prefix("data.aws_iam_policy_document.").and_then(|d| d.strip_suffix(".json"));
    let document = document.expect("terraform/: the bucket policy is a policy document");
    let documents = terraform_blocks("data", Some("aws_iam_policy_document"));
    let (_, document) = documents.iter().find(|(label, _)| label == document).expect("terraform/: the bucket policy");
    let readers: Vec<&hcl::Body> = document
        .blocks()
        .filter(|b| b.identifier() == "statement")
        .map(hcl::Block::body)
        .filter(|s| s.attributes().all(|a| a.key() != "effect" || literal::<String>(a.expr()) == "Allow"))
        .collect();
    let [reader] = readers.as_slice() else { panic!("terraform/: the bucket policy allows one thing") };
    let principals = block(reader, "principals", &[]);
    assert_eq!(literal::<String>(attribute(principals, "type")), "Service", "terraform/: the bucket's reader");
    assert_eq!(
        literal::<Vec<String>>(attribute(principals, "identifiers")),
        ["cloudfront.amazonaws.com"],
        "terraform/"
    );
    assert_eq!(literal::<Vec<String>>(attribute(reader, "actions")), ["s3:GetObject"], "terraform/: CloudFront reads");
    let derived = expression(&format!(r#"["${{aws_s3_bucket.{bucket}.arn}}/{derivatives}*"]"#));
    assert!(attribute(reader, "resources") == &derived, "terraform/: CloudFront reads the derivatives only");
    let (_, cors) = terraform_resource("aws_s3_bucket_cors_configuration");
    let only_with_origins = "length(var.cors_allow_origins) > 0 ? 1 : 0";
    assert!(attribute(&cors, "count") == &expression(only_with_origins), "terraform/: no CORS rule without origins");
    let rule = block(&cors, "cors_rule", &[]);
    assert!(
        attribute(rule, "allowed_origins") == &expression("var.cors_allow_origins"),
        "terraform/: the API's origins"
    );
    assert_eq!(literal::<Vec<String>>(attribute(rule, "allowed_methods")), ["PUT"], "terraform/: browsers only PUT");
    assert_eq!(
        literal::<Vec<String>>(attribute(rule, "allowed_headers")),
        ["content-type"],
        "terraform/: the upload's headers"
    );
}
