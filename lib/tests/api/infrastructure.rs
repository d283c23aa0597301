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

/// A queue, by its resource's name in template.yaml and its label in
/// terraform/ (each stack has several).
type Queue = (&'static str, &'static str);

/// Where the media function's failures wait.
const MEDIA_FAILURES: Queue = ("MediaFailureQueue", "media_failures");
/// The webhook deliveries, and where those given up on wait.
const WEBHOOK_DELIVERIES: Queue = ("WebhookQueue", "webhook_deliveries");
const WEBHOOK_DEAD_LETTERS: Queue = ("WebhookDeadLetterQueue", "webhook_dead_letters");
/// Where the notifications function's failures wait.
const NOTIFICATION_DEAD_LETTERS: Queue = ("NotificationDeadLetterQueue", "notification_dead_letters");
const QUEUES: [Queue; 4] = [MEDIA_FAILURES, WEBHOOK_DELIVERIES, WEBHOOK_DEAD_LETTERS, NOTIFICATION_DEAD_LETTERS];

/// The name of a queue of the template, after checking that it is one.
fn sam_queue(template: &Value, (name, _): Queue) -> String {
    assert_eq!(template["Resources"][name]["Type"], "AWS::SQS::Queue", "template.yaml: no queue {name}");
    name.to_owned()
}

/// The label of a queue of `terraform/`, after checking that it is one.
fn terraform_queue((_, label): Queue) -> String {
    let queues = terraform_blocks("resource", Some("aws_sqs_queue"));
    assert!(queues.iter().any(|(found, _)| found == label), "terraform/: no aws_sqs_queue.{label}");
    label.to_owned()
}

/// A function of the template (`<Name>Function`), by its name: `media`.
fn sam_function(template: &Value, name: &str) -> Value {
    let function = sam_functions(template).find(|(found, _)| found == name).map(|(_, f)| f.clone());
    function.unwrap_or_else(|| panic!("template.yaml: no function {name}"))
}

/// The event source mappings of `terraform/` that invoke a function.
fn terraform_mappings(function: &str) -> Vec<hcl::Body> {
    let arn = expression(&format!(r#"aws_lambda_function.fn["{function}"].arn"#));
    let mappings = terraform_blocks("resource", Some("aws_lambda_event_source_mapping")).into_iter();
    mappings.filter(|(_, mapping)| attribute(mapping, "function_name") == &arn).map(|(_, mapping)| mapping).collect()
}

/// The filter patterns of a template event's `FilterCriteria`, parsed.
fn sam_filters(event: &Value) -> Vec<Value> {
    let filters = event["FilterCriteria"]["Filters"].as_array().cloned().unwrap_or_default();
    filters
        .iter()
        .map(|filter| {
            let pattern = filter["Pattern"].as_str().unwrap_or_else(|| panic!("template.yaml: a filter: {filter}"));
            serde_json::from_str(pattern).unwrap_or_else(|e| panic!("template.yaml: a filter pattern: {e}"))
        })
        .collect()
}

/// The one filter pattern of an event source mapping of `terraform/`:
/// `pattern = jsonencode({...})`.
fn terraform_filter(mapping: &hcl::Body, what: &str) -> Value {
    let filter = block(block(mapping, "filter_criteria", &[]), "filter", &[]);
    literal(jsonencoded(attribute(filter, "pattern"), what))
}

/// The argument of `jsonencode(...)`.
fn jsonencoded<'a>(expression: &'a hcl::Expression, what: &str) -> &'a hcl::Expression {
    match expression {
        hcl::Expression::FuncCall(call) if call.name.to_string() == "jsonencode" && call.args.len() == 1 => {
            &call.args[0]
        }
        other => panic!("terraform/: {what}: jsonencode({{...}}), not {other}"),
    }
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
    expected.extend(["authorizer", "media", "webhooks", "notifications"]);
    assert_eq!(
        names, expected,
        "template.yaml: the functions (each route group's, the authorizer, media, webhooks, notifications)"
    );
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

/// The functions that queue webhook deliveries: webhooks (the fan-out, and
/// a delivery retried later) and users (an endpoint re-enabled queues its
/// waiting deliveries again).
const WEBHOOK_QUEUE_USERS: [&str; 2] = ["users", "webhooks"];

/// Exactly the functions that queue deliveries get `WEBHOOK_QUEUE_URL`, with
/// the delivery queue's URL, in both stacks.
#[test]
fn both_tell_the_functions_that_queue_deliveries_where_the_queue_is() {
    const VARIABLE: &str = "WEBHOOK_QUEUE_URL";
    let expected: BTreeSet<String> = WEBHOOK_QUEUE_USERS.map(String::from).into();

    let template = sam_template();
    let url = json!({ "Ref": sam_queue(&template, WEBHOOK_DELIVERIES) });
    let environments = sam_environments(&template);
    let given: BTreeSet<String> =
        environments.iter().filter(|(_, variables)| variables.contains_key(VARIABLE)).map(|(f, _)| f.clone()).collect();
    assert_eq!(given, expected, "template.yaml: the functions given {VARIABLE}");
    for function in &given {
        assert_eq!(environments[function][VARIABLE], url, "template.yaml: {function}: {VARIABLE}");
    }

    let queue = terraform_queue(WEBHOOK_DELIVERIES);
    let urls = [expression(&format!("aws_sqs_queue.{queue}.url")), expression(&format!("aws_sqs_queue.{queue}.id"))];
    let environments = terraform_environments();
    let given: BTreeSet<String> =
        environments.iter().filter(|(_, variables)| variables.contains_key(VARIABLE)).map(|(f, _)| f.clone()).collect();
    assert_eq!(given, expected, "terraform/main.tf: the functions given {VARIABLE}");
    for function in &given {
        let value = &environments[function][VARIABLE];
        assert!(urls.contains(value), "terraform/main.tf: {function}: {VARIABLE} = {value}, not the queue's URL");
    }
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
    let queue = sam_queue(&template, MEDIA_FAILURES);
    let media = sam_function(&template, "media");
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
    assert_eq!(sam_filters(&changes), [property_changes_filter()], "template.yaml: media: the stream's filter");
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
    let queue = terraform_queue(MEDIA_FAILURES);
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

    let mappings = terraform_mappings("media");
    let [mapping] = mappings.as_slice() else { panic!("terraform/: one event source mapping invokes media") };
    let what = "the event source mapping";
    wired(what, mapping, "event_source_arn", "aws_dynamodb_table.main.stream_arn");
    assert!(attribute(mapping, "function_name") == &media_arn, "terraform/: {what} invokes media");
    assert_eq!(literal::<String>(attribute(mapping, "starting_position")), "LATEST", "terraform/: {what}");
    let pattern = terraform_filter(mapping, what);
    assert_eq!(pattern, property_changes_filter(), "terraform/: {what}: the stream's filter");
    wired(what, mapping, "bisect_batch_on_function_error", "true");
    let on_failure = block(block(mapping, "destination_config", &[]), "on_failure", &[]);
    wired(what, on_failure, "destination_arn", &format!("aws_sqs_queue.{queue}.arn"));
    let number = |key: &str| literal::<i64>(attribute(mapping, key));
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

/// The stream filter of the webhooks function: the change feed's new items
/// only, whose partition key is `CHANGES#<shard>`.
fn feed_items_filter() -> Value {
    json!({ "eventName": ["INSERT"], "dynamodb": { "Keys": { PARTITION_KEY: { "S": [{ "prefix": "CHANGES#" }] } } } })
}

/// The answer the webhooks function gives both its event sources: the
/// records or messages it failed, the others done.
const PARTIAL_BATCHES: &str = "ReportBatchItemFailures";

/// How long a message of the webhooks' dead-letter queue is kept: 14 days,
/// the longest SQS keeps one.
const DEAD_LETTER_RETENTION_SECONDS: i64 = 14 * 24 * 60 * 60;

/// How one stack wires the webhooks function, each queue named by its
/// resource name in template.yaml.
#[derive(Debug, PartialEq)]
struct WebhookWiring {
    feed: FeedMapping,
    /// The delivery queue's mapping: (queue, batch size, response types).
    deliveries: (String, i64, Vec<String>),
    /// Every queue of the stack, by name.
    queues: BTreeMap<String, QueueSettings>,
    /// The one alarm of the stack.
    alarm: AlarmSettings,
    /// The function's timeout, in seconds.
    timeout: i64,
}

/// The mapping from the table's stream.
#[derive(Debug, PartialEq)]
struct FeedMapping {
    filters: Vec<Value>,
    starting_position: String,
    settings: StreamSettings,
    bisect: bool,
    response_types: Vec<String>,
    on_failure: String,
}

#[derive(Debug, PartialEq)]
struct QueueSettings {
    visibility_timeout: Option<i64>,
    retention: i64,
    managed_encryption: bool,
    /// (dead-letter queue, receives before a message moves there).
    redrive: Option<(String, i64)>,
}

#[derive(Debug, PartialEq)]
struct AlarmSettings {
    namespace: String,
    metric: String,
    /// Dimension => value, a queue by its name.
    dimensions: BTreeMap<String, String>,
    statistic: String,
    period: i64,
    evaluation_periods: i64,
    threshold: f64,
    comparison: String,
    missing_data: String,
}

/// How the table's stream invokes `function` with the change feed's items,
/// in template.yaml: its one DynamoDB event.
fn sam_feed_mapping(template: &Value, function: &str) -> FeedMapping {
    let events = sam_function(template, function)["Properties"]["Events"].as_object().cloned().unwrap_or_default();
    let found: Vec<&Value> = events.values().filter(|event| event["Type"] == "DynamoDB").collect();
    let [feed] = found.as_slice() else { panic!("template.yaml: {function}: one DynamoDB event, not {}", found.len()) };
    let feed = &feed["Properties"];
    assert_eq!(
        feed["Stream"],
        json!({ "Fn::GetAtt": ["Table", "StreamArn"] }),
        "template.yaml: {function}: the table's stream"
    );
    let text = |key: &str| feed[key].as_str().unwrap_or_else(|| panic!("template.yaml: {function}: {key}")).to_owned();
    let number = |key: &str| feed[key].as_i64().unwrap_or_else(|| panic!("template.yaml: {function}: {key}"));
    let on_failure = &feed["DestinationConfig"]["OnFailure"]["Destination"];
    assert_eq!(on_failure["Fn::GetAtt"][1], "Arn", "template.yaml: {function}: a queue's ARN on failure");
    FeedMapping {
        filters: sam_filters(feed),
        starting_position: text("StartingPosition"),
        settings: (number("BatchSize"), number("MaximumRetryAttempts"), number("MaximumRecordAgeInSeconds")),
        bisect: feed["BisectBatchOnFunctionError"] == true,
        response_types: iam_strings(&feed["FunctionResponseTypes"]),
        on_failure: on_failure["Fn::GetAtt"][0].as_str().unwrap_or_default().to_owned(),
    }
}

/// The same, in `terraform/`: the event source mapping of the table's stream.
fn terraform_feed_mapping(function: &str) -> FeedMapping {
    let stream = expression("aws_dynamodb_table.main.stream_arn");
    let mappings = terraform_mappings(function);
    let found: Vec<&hcl::Body> =
        mappings.iter().filter(|mapping| attribute(mapping, "event_source_arn") == &stream).collect();
    let [feed] = found.as_slice() else {
        panic!("terraform/: one stream mapping invokes {function}, not {}", found.len())
    };
    let number = |key: &str| literal::<i64>(attribute(feed, key));
    let on_failure = block(block(feed, "destination_config", &[]), "on_failure", &[]);
    FeedMapping {
        filters: vec![terraform_filter(feed, &format!("the {function} feed mapping"))],
        starting_position: literal(attribute(feed, "starting_position")),
        settings: (number("batch_size"), number("maximum_retry_attempts"), number("maximum_record_age_in_seconds")),
        bisect: literal(attribute(feed, "bisect_batch_on_function_error")),
        response_types: literal(attribute(feed, "function_response_types")),
        on_failure: terraform_queue_name(attribute(on_failure, "destination_arn"), "arn"),
    }
}

fn sam_webhook_wiring() -> WebhookWiring {
    let template = sam_template();
    let webhooks = sam_function(&template, "webhooks");
    let events = webhooks["Properties"]["Events"].as_object().cloned().unwrap_or_default();
    assert_eq!(events.len(), 2, "template.yaml: webhooks: a DynamoDB and an SQS event, nothing else");
    let of_type = |kind: &str| -> Value {
        let found: Vec<&Value> = events.values().filter(|event| event["Type"] == kind).collect();
        let [event] = found.as_slice() else {
            panic!("template.yaml: webhooks: one {kind} event, not {}", found.len())
        };
        event["Properties"].clone()
    };
    // A queue by its ARN or its name (`!GetAtt <Queue>.Arn`, `.QueueName`).
    let queue = |reference: &Value, attribute: &str| -> String {
        let name = reference["Fn::GetAtt"][0].as_str().filter(|_| reference["Fn::GetAtt"][1] == attribute);
        let name = name.unwrap_or_else(|| panic!("template.yaml: not a queue's {attribute}: {reference}"));
        assert_eq!(template["Resources"][name]["Type"], "AWS::SQS::Queue", "template.yaml: {name} is not a queue");
        name.to_owned()
    };
    let number = |value: &Value, what: &str| -> i64 {
        value.as_i64().unwrap_or_else(|| panic!("template.yaml: {what} is not a number: {value}"))
    };

    let feed = sam_feed_mapping(&template, "webhooks");
    let deliveries = of_type("SQS");
    let deliveries = (
        queue(&deliveries["Queue"], "Arn"),
        number(&deliveries["BatchSize"], "webhooks: the deliveries' BatchSize"),
        iam_strings(&deliveries["FunctionResponseTypes"]),
    );

    let queues = sam_resources(&template, "AWS::SQS::Queue")
        .map(|(name, resource)| {
            let properties = &resource["Properties"];
            let redrive = properties.get("RedrivePolicy").map(|policy| {
                let receives = number(&policy["maxReceiveCount"], &format!("{name}: maxReceiveCount"));
                (queue(&policy["deadLetterTargetArn"], "Arn"), receives)
            });
            let settings = QueueSettings {
                visibility_timeout: properties["VisibilityTimeout"].as_i64(),
                retention: number(&properties["MessageRetentionPeriod"], &format!("{name}: MessageRetentionPeriod")),
                managed_encryption: properties["SqsManagedSseEnabled"] == true,
                redrive,
            };
            (name.to_owned(), settings)
        })
        .collect();

    let alarm = sam_alarm(&template, WEBHOOK_DEAD_LETTERS.0);

    let timeout = sam_function_settings().into_iter().find(|(function, ..)| function == "webhooks");
    let (.., timeout) = timeout.expect("template.yaml: the webhooks function's settings");
    WebhookWiring { feed, deliveries, queues, alarm, timeout }
}

impl AlarmSettings {
    /// The same alarm on another queue.
    fn with_queue(self, queue: &str) -> Self {
        let dimensions = self.dimensions.keys().map(|name| (name.clone(), queue.to_owned())).collect();
        Self { dimensions, ..self }
    }
}

/// The alarm of the template on the depth of the queue `queue`.
fn sam_alarm(template: &Value, queue: &str) -> AlarmSettings {
    let on_queue = |(_, alarm): &(&str, &Value)| {
        let dimensions = alarm["Properties"]["Dimensions"].as_array().cloned().unwrap_or_default();
        dimensions.iter().any(|dimension| dimension["Value"]["Fn::GetAtt"][0] == queue)
    };
    let found: Vec<_> = sam_resources(template, "AWS::CloudWatch::Alarm").filter(on_queue).collect();
    let [(name, alarm)] = found.as_slice() else { panic!("template.yaml: one alarm on {queue}, not {}", found.len()) };
    let alarm = &alarm["Properties"];
    let text = |value: &Value| value.as_str().unwrap_or_else(|| panic!("template.yaml: {name}: {value}")).to_owned();
    let number = |value: &Value| value.as_i64().unwrap_or_else(|| panic!("template.yaml: {name}: {value}"));
    let dimensions = alarm["Dimensions"].as_array().cloned().unwrap_or_default();
    let dimensions = dimensions.iter().map(|dimension| {
        assert_eq!(dimension["Value"]["Fn::GetAtt"][1], "QueueName", "template.yaml: {name}: a queue's name");
        (text(&dimension["Name"]), text(&dimension["Value"]["Fn::GetAtt"][0]))
    });
    AlarmSettings {
        namespace: text(&alarm["Namespace"]),
        metric: text(&alarm["MetricName"]),
        dimensions: dimensions.collect(),
        statistic: text(&alarm["Statistic"]),
        period: number(&alarm["Period"]),
        evaluation_periods: number(&alarm["EvaluationPeriods"]),
        threshold: alarm["Threshold"].as_f64().unwrap_or_else(|| panic!("template.yaml: {name}: Threshold")),
        comparison: text(&alarm["ComparisonOperator"]),
        missing_data: text(&alarm["TreatMissingData"]),
    }
}

/// The alarm of `terraform/` on the depth of the queue labelled `label`.
fn terraform_alarm(label: &str) -> AlarmSettings {
    let depth = expression(&format!("aws_sqs_queue.{label}.name"));
    let on_queue =
        |(_, alarm): &(String, hcl::Body)| hcl_object(attribute(alarm, "dimensions")).values().any(|v| v == &depth);
    let found: Vec<_> =
        terraform_blocks("resource", Some("aws_cloudwatch_metric_alarm")).into_iter().filter(on_queue).collect();
    let [(_, alarm)] = found.as_slice() else { panic!("terraform/: one alarm on {label}, not {}", found.len()) };
    let text = |key: &str| literal::<String>(attribute(alarm, key));
    let number = |key: &str| literal::<i64>(attribute(alarm, key));
    let dimensions = hcl_object(attribute(alarm, "dimensions"));
    let dimensions = dimensions.iter().map(|(name, value)| (name.clone(), terraform_queue_name(value, "name")));
    AlarmSettings {
        namespace: text("namespace"),
        metric: text("metric_name"),
        dimensions: dimensions.collect(),
        statistic: text("statistic"),
        period: number("period"),
        evaluation_periods: number("evaluation_periods"),
        threshold: literal(attribute(alarm, "threshold")),
        comparison: text("comparison_operator"),
        missing_data: text("treat_missing_data"),
    }
}

/// The name in template.yaml of a queue of `terraform/`, from a reference
/// to one of its attributes: `aws_sqs_queue.<label>.<attribute>`.
fn terraform_queue_name(expression: &hcl::Expression, attribute: &str) -> String {
    let text = reference(expression);
    let label = text.strip_prefix("aws_sqs_queue.").and_then(|rest| rest.strip_suffix(&format!(".{attribute}")));
    let label = label.unwrap_or_else(|| panic!("terraform/: not a queue's {attribute}: {text}"));
    let queue = QUEUES.into_iter().find(|(_, known)| *known == label);
    let (name, _) = queue.unwrap_or_else(|| panic!("terraform/: aws_sqs_queue.{label} is not in QUEUES"));
    name.to_owned()
}

/// The expression of the attribute `key` of `body`, if it has one.
fn optional<'a>(body: &'a hcl::Body, key: &str) -> Option<&'a hcl::Expression> {
    body.attributes().find(|attribute| attribute.key() == key).map(hcl::Attribute::expr)
}

fn terraform_webhook_wiring() -> WebhookWiring {
    let mappings = terraform_mappings("webhooks");
    let stream = expression("aws_dynamodb_table.main.stream_arn");
    let (feed, deliveries): (Vec<&hcl::Body>, Vec<&hcl::Body>) =
        mappings.iter().partition(|mapping| attribute(mapping, "event_source_arn") == &stream);
    let ([_], [deliveries]) = (feed.as_slice(), deliveries.as_slice()) else {
        panic!("terraform/: two event source mappings invoke webhooks: the table's stream's and a queue's")
    };
    let strings = |body: &hcl::Body, key: &str| literal::<Vec<String>>(attribute(body, key));
    let number = |body: &hcl::Body, key: &str| literal::<i64>(attribute(body, key));

    let feed = terraform_feed_mapping("webhooks");
    let deliveries = (
        terraform_queue_name(attribute(deliveries, "event_source_arn"), "arn"),
        number(deliveries, "batch_size"),
        strings(deliveries, "function_response_types"),
    );

    let queues = terraform_blocks("resource", Some("aws_sqs_queue"))
        .into_iter()
        .map(|(label, queue)| {
            let name = terraform_queue_name(&expression(&format!("aws_sqs_queue.{label}.arn")), "arn");
            let redrive = optional(&queue, "redrive_policy").map(|policy| {
                let policy = hcl_object(jsonencoded(policy, &label));
                let target = policy.get("deadLetterTargetArn").unwrap_or_else(|| panic!("{label}: no target"));
                let receives = policy.get("maxReceiveCount").unwrap_or_else(|| panic!("{label}: no maxReceiveCount"));
                (terraform_queue_name(target, "arn"), literal(receives))
            });
            let settings = QueueSettings {
                visibility_timeout: optional(&queue, "visibility_timeout_seconds").map(literal),
                retention: number(&queue, "message_retention_seconds"),
                managed_encryption: optional(&queue, "sqs_managed_sse_enabled").is_some_and(literal::<bool>),
                redrive,
            };
            (name, settings)
        })
        .collect();

    let alarm = terraform_alarm(WEBHOOK_DEAD_LETTERS.1);

    let timeout = terraform_function_settings().into_iter().find(|(function, ..)| function == "webhooks");
    let (.., timeout) = timeout.expect("terraform/main.tf: the webhooks function's settings");
    WebhookWiring { feed, deliveries, queues, alarm, timeout }
}

/// Webhooks runs for each new item of the change feed on the table's stream
/// (filtered, partial batch responses, retries bounded, given up on into the
/// dead-letter queue) and for the messages of its delivery queue (batches of
/// 10, partial batch responses), whose messages move to the dead-letter
/// queue after 5 receives; anything there raises an alarm. Both stacks wire
/// it the same way.
#[test]
fn both_trigger_the_webhooks_function_on_feed_items_and_on_its_delivery_queue() {
    let (sam, terraform) = (sam_webhook_wiring(), terraform_webhook_wiring());
    assert_eq!(sam, terraform, "the webhooks' wiring: template.yaml, then terraform/");
    let WebhookWiring { feed, deliveries, queues, alarm, timeout } = sam;
    let (queue, dead_letters) = (WEBHOOK_DELIVERIES.0.to_owned(), WEBHOOK_DEAD_LETTERS.0.to_owned());

    assert_eq!(feed.filters, [feed_items_filter()], "the feed mapping's filter");
    assert_eq!(feed.starting_position, "LATEST", "the feed mapping's starting position");
    let (batch, retries, age) = feed.settings;
    assert!((1..=100).contains(&batch), "a batch of {batch} records");
    assert!((0..=100).contains(&retries), "retries are bounded: {retries}");
    assert!(
        (60..STREAM_RETENTION_SECONDS).contains(&age),
        "a record is given up on within the stream's retention: {age} s"
    );
    assert!(feed.bisect, "the feed mapping halves a failing batch");
    assert_eq!(feed.response_types, [PARTIAL_BATCHES], "the feed mapping takes partial batch responses");
    assert_eq!(feed.on_failure, dead_letters, "the feed mapping gives up into the dead-letter queue");

    assert_eq!(deliveries, (queue.clone(), 10, vec![PARTIAL_BATCHES.to_owned()]), "the deliveries' mapping");
    let delivery_queue = &queues[&queue];
    let visibility = delivery_queue.visibility_timeout;
    assert!(
        visibility.is_some_and(|seconds| seconds >= 6 * timeout),
        "{queue}: a visibility timeout of {visibility:?} s, not 6 times the function's {timeout} s or more"
    );
    assert_eq!(delivery_queue.redrive, Some((dead_letters.clone(), 5)), "{queue}: its redrive policy");
    let dead = &queues[&dead_letters];
    assert_eq!(dead.retention, DEAD_LETTER_RETENTION_SECONDS, "{dead_letters}: its retention");
    assert!(
        dead.retention > delivery_queue.retention,
        "a message keeps its first enqueue time when it moves: {dead_letters} must keep it longer than {queue}"
    );
    assert_eq!(dead.redrive, None, "{dead_letters}: the end of the line");
    for (name, settings) in &queues {
        assert!(settings.managed_encryption, "{name}: encrypted with SQS managed keys");
    }

    let expected = AlarmSettings {
        namespace: "AWS/SQS".into(),
        metric: "ApproximateNumberOfMessagesVisible".into(),
        dimensions: [("QueueName".to_owned(), dead_letters)].into(),
        statistic: "Maximum".into(),
        period: 300,
        evaluation_periods: 1,
        threshold: 0.0,
        comparison: "GreaterThanThreshold".into(),
        missing_data: "notBreaching".into(),
    };
    assert_eq!(alarm, expected, "the alarm on the dead-letter queue");
}

/// Notifications runs for each new item of the change feed on the table's
/// stream, as webhooks does (filtered, partial batch responses, retries
/// bounded, given up on into its dead-letter queue, with an alarm on it),
/// and every hour for the digests. Both stacks wire it the same way.
#[test]
fn both_trigger_the_notifications_function_on_feed_items_and_every_hour() {
    let template = sam_template();
    let feed = sam_feed_mapping(&template, "notifications");
    assert_eq!(
        feed,
        terraform_feed_mapping("notifications"),
        "the notifications' feed mapping: template.yaml, then terraform/"
    );
    assert_eq!(feed.filters, [feed_items_filter()], "the feed mapping's filter");
    assert!(feed.bisect, "the feed mapping halves a failing batch");
    assert_eq!(feed.response_types, [PARTIAL_BATCHES], "the feed mapping takes partial batch responses");
    let (_, retries, age) = feed.settings;
    assert!((0..=100).contains(&retries) && (60..STREAM_RETENTION_SECONDS).contains(&age), "bounded retries: {feed:?}");
    assert_eq!(feed.on_failure, NOTIFICATION_DEAD_LETTERS.0, "the feed mapping gives up into the dead-letter queue");

    let alarm = sam_alarm(&template, NOTIFICATION_DEAD_LETTERS.0);
    assert_eq!(alarm, terraform_alarm(NOTIFICATION_DEAD_LETTERS.1), "the alarm: template.yaml, then terraform/");
    assert_eq!(
        alarm,
        sam_alarm(&template, WEBHOOK_DEAD_LETTERS.0).with_queue(NOTIFICATION_DEAD_LETTERS.0),
        "as the webhooks' alarm"
    );

    let events = sam_function(&template, "notifications")["Properties"]["Events"].clone();
    let schedules: Vec<&Value> =
        events.as_object().unwrap().values().filter(|event| event["Type"] == "ScheduleV2").collect();
    let [schedule] = schedules.as_slice() else { panic!("template.yaml: notifications: one ScheduleV2 event") };
    assert_eq!(schedule["Properties"]["ScheduleExpression"], "rate(1 hour)");
    let input: Value = serde_json::from_str(schedule["Properties"]["Input"].as_str().unwrap()).unwrap();
    assert_eq!(input, json!({"digests": true}), "template.yaml: the schedule's input");
    let (_, schedule) = terraform_resource("aws_scheduler_schedule");
    assert_eq!(literal::<String>(attribute(&schedule, "schedule_expression")), "rate(1 hour)");
    let target = block(&schedule, "target", &[]);
    assert_eq!(attribute(target, "arn"), &expression(r#"aws_lambda_function.fn["notifications"].arn"#));
    assert_eq!(hcl_object(jsonencoded(attribute(target, "input"), "input")).get("digests"), Some(&expression("true")));
}

/// A permission on a queue or the table's stream: (function, action,
/// resource), the resource a queue by its name in template.yaml, or
/// `stream` (the table's) or `streams` (the table's, for ListStreams).
type EventGrant = (String, String, String);

/// Whether an action is on a queue or a stream.
fn event_action(action: &str) -> bool {
    action.starts_with("sqs:")
        || ["DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"]
            .iter()
            .any(|stream| action == format!("dynamodb:{stream}"))
}

fn sam_event_grants() -> BTreeSet<EventGrant> {
    let template = sam_template();
    let resource = |resource: &Value| -> String {
        if resource == &json!({ "Fn::GetAtt": ["Table", "StreamArn"] }) {
            return "stream".into();
        }
        if resource == &json!({ "Fn::Sub": "${Table.Arn}/stream/*" }) {
            return "streams".into();
        }
        let name = resource["Fn::GetAtt"][0].as_str().filter(|_| resource["Fn::GetAtt"][1] == "Arn");
        let name = name.unwrap_or_else(|| panic!("template.yaml: not a queue or the stream: {resource}"));
        assert_eq!(template["Resources"][name]["Type"], "AWS::SQS::Queue", "template.yaml: {name} is not a queue");
        name.to_owned()
    };
    let mut grants = BTreeSet::new();
    for (function, statement) in sam_role_statements(&template) {
        let actions = iam_strings(&statement["Action"]).into_iter().filter(|action| event_action(action));
        for action in actions {
            assert_eq!(statement["Effect"], "Allow", "template.yaml: {function}: a statement that does not allow");
            for on in iam_resources(&statement) {
                grants.insert((function.clone(), action.clone(), resource(&on)));
            }
        }
    }
    grants
}

fn terraform_event_grants() -> BTreeSet<EventGrant> {
    let resource = |resource: &hcl::Expression| -> String {
        if resource == &expression("aws_dynamodb_table.main.stream_arn") {
            return "stream".into();
        }
        if resource == &expression(r#""${aws_dynamodb_table.main.arn}/stream/*""#) {
            return "streams".into();
        }
        terraform_queue_name(resource, "arn")
    };
    let mut grants = BTreeSet::new();
    for (label, function, statement) in terraform_role_statements() {
        let actions = literal::<Vec<String>>(attribute(&statement, "actions"));
        for action in actions.into_iter().filter(|action| event_action(action)) {
            let function = function.clone().unwrap_or_else(|| panic!("terraform/: {label}: for several roles"));
            assert_allows(&statement, &label);
            for on in terraform_statement_resources(&statement, &label) {
                grants.insert((function.clone(), action.clone(), resource(on)));
            }
        }
    }
    grants
}

/// Only the functions that read the stream, send to a queue or poll one may,
/// each only on its own: media sends its failures, webhooks uses its
/// delivery queue (its mapping polls it; it sends to it, a retry as a
/// delayed message) and gives up into its dead-letter queue; both read the
/// stream.
/// Users sends to the delivery queue (an endpoint re-enabled queues its
/// waiting deliveries again).
#[test]
fn both_grant_the_queues_and_the_stream_only_to_the_functions_that_use_them() {
    let grant =
        |function: &str, action: &str, resource: &str| (function.to_owned(), action.to_owned(), resource.to_owned());
    let mut expected: BTreeSet<EventGrant> = BTreeSet::new();
    for function in ["media", "webhooks", "notifications"] {
        for action in ["DescribeStream", "GetRecords", "GetShardIterator"] {
            expected.insert(grant(function, &format!("dynamodb:{action}"), "stream"));
        }
        expected.insert(grant(function, "dynamodb:ListStreams", "streams"));
    }
    expected.insert(grant("media", "sqs:SendMessage", MEDIA_FAILURES.0));
    for action in ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"] {
        expected.insert(grant("webhooks", &format!("sqs:{action}"), WEBHOOK_DELIVERIES.0));
    }
    expected.insert(grant("webhooks", "sqs:SendMessage", WEBHOOK_DEAD_LETTERS.0));
    expected.insert(grant("users", "sqs:SendMessage", WEBHOOK_DELIVERIES.0));
    expected.insert(grant("notifications", "sqs:SendMessage", NOTIFICATION_DEAD_LETTERS.0));
    assert_declares("template.yaml (function, action, resource)", &sam_event_grants(), &expected);
    assert_declares("terraform/ (function, action, resource)", &terraform_event_grants(), &expected);
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
    let mut grants = BTreeSet::new();
    for (function, statement) in sam_role_statements(&template) {
        let actions: Vec<String> =
            iam_strings(&statement["Action"]).into_iter().filter(|a| a.starts_with("s3:")).collect();
        if actions.is_empty() {
            continue;
        }
        assert_eq!(statement["Effect"], "Allow", "template.yaml: {function}: an S3 statement that does not allow");
        let condition = match statement.get("Condition") {
            None => String::new(),
            Some(condition) => {
                let one = |value: &Value| {
                    let entries = value.as_object().filter(|entries| entries.len() == 1).cloned();
                    let entries =
                        entries.unwrap_or_else(|| panic!("template.yaml: {function}: one condition: {value}"));
                    entries.into_iter().next().unwrap()
                };
                let (operator, test) = one(condition);
                let (key, values) = one(&test);
                condition_text(&operator, &key, &iam_strings(&values))
            }
        };
        for action in &actions {
            for resource in &iam_resources(&statement) {
                grants.insert((function.clone(), action.clone(), scope(resource), condition.clone()));
            }
        }
    }
    grants
}

/// A string or a list of strings, as IAM takes either (nothing: none).
fn iam_strings(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::String(one) => vec![one.clone()],
        list => serde_json::from_value(list.clone()).unwrap_or_else(|e| panic!("template.yaml: {e}: {list}")),
    }
}

/// The resources of a template statement: one, or a list.
fn iam_resources(statement: &Value) -> Vec<Value> {
    match &statement["Resource"] {
        Value::Array(list) => list.clone(),
        one => vec![one.clone()],
    }
}

/// Every statement of every policy of each `<Function>Role` of the
/// template, by function (both branches of an `!If`).
fn sam_role_statements(template: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for (role, resource) in sam_resources(template, "AWS::IAM::Role") {
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
            found.push((function.clone(), statement));
        }
    }
    found
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
    let mut grants = BTreeSet::new();
    for (label, function, statement) in terraform_role_statements() {
        let actions: Vec<String> = literal::<Vec<String>>(attribute(&statement, "actions"));
        let actions: Vec<String> = actions.into_iter().filter(|a| a.starts_with("s3:")).collect();
        if actions.is_empty() {
            continue;
        }
        let function = function.unwrap_or_else(|| panic!("terraform/: {label}: S3 actions for several roles"));
        assert_allows(&statement, &label);
        let conditions: Vec<String> = statement
            .blocks()
            .filter(|b| b.identifier() == "condition")
            .map(|c| {
                let c = c.body();
                let text = |key: &str| literal::<String>(attribute(c, key));
                condition_text(&text("test"), &text("variable"), &literal::<Vec<String>>(attribute(c, "values")))
            })
            .collect();
        assert!(conditions.len() <= 1, "terraform/: {label}: one condition at most");
        let condition = conditions.into_iter().next().unwrap_or_default();
        for action in &actions {
            for resource in terraform_statement_resources(&statement, &label) {
                grants.insert((function.clone(), action.clone(), scope(resource), condition.clone()));
            }
        }
    }
    grants
}

/// Every static statement of each policy document an `aws_iam_role_policy`
/// of `terraform/` gives a function's role: (the role policy's label, the
/// function, or `None` for a document several roles get by `for_each`, the
/// statement).
fn terraform_role_statements() -> Vec<(String, Option<String>, hcl::Body)> {
    let documents: BTreeMap<String, hcl::Body> =
        terraform_blocks("data", Some("aws_iam_policy_document")).into_iter().collect();
    let mut found = Vec::new();
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
            found.push((format!("{label} ({name})"), function.clone(), statement.clone()));
        }
    }
    found
}

/// Refuses a statement of `terraform/` that denies: the readers count grants.
fn assert_allows(statement: &hcl::Body, what: &str) {
    if let Some(effect) = statement.attributes().find(|a| a.key() == "effect") {
        assert_eq!(literal::<String>(effect.expr()), "Allow", "terraform/: {what}: a statement that does not allow");
    }
}

/// The resources of a statement of `terraform/`, a list.
fn terraform_statement_resources<'a>(statement: &'a hcl::Body, what: &str) -> &'a [hcl::Expression] {
    let hcl::Expression::Array(resources) = attribute(statement, "resources") else {
        panic!("terraform/: {what}: resources is a list")
    };
    resources
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
