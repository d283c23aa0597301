//! `template.yaml` and `terraform/` must deploy what the code serves and
//! uses: the library's route table, and the table keys and indexes of the
//! DynamoDB adapter. Both files are written one route (and one key) per line,
//! which is what these readers rely on.

use crate::support::read_repo_file;
use crate::support::routes::ROUTES;
use estate::store::dynamodb::{GSI_SORT_KEY, Index, PARTITION_KEY, SORT_KEY, TIME_TO_LIVE};
use std::collections::BTreeSet;

type Routes = BTreeSet<(String, String, String, bool)>;
/// Attribute names, base key (hash, range), and each index's (name, hash, range).
type Keys = (BTreeSet<String>, (String, String), BTreeSet<(String, String, String)>);

/// The value after `key`: up to the closing quote if quoted, else up to the
/// next `,` or ` }`.
fn value_after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(key)? + key.len();
    let rest = line[start..].trim_start();
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => Some(rest.split([',']).next()?.split(" }").next()?.trim()),
    }
}

/// `key = value` of an HCL attribute line, unquoted.
fn hcl_attribute(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once('=')?;
    Some((key.trim(), value.trim().trim_matches('"')))
}

fn route_table() -> Routes {
    ROUTES.iter().map(|r| (r.method.into(), r.path.into(), r.function.name().into(), r.needs_caller)).collect()
}

fn expected_keys() -> Keys {
    let mut attributes: BTreeSet<String> = [PARTITION_KEY, SORT_KEY, GSI_SORT_KEY].map(String::from).into();
    let mut indexes = BTreeSet::new();
    for index in Index::ALL {
        attributes.insert(index.partition_key().into());
        indexes.insert((index.name().into(), index.partition_key().into(), GSI_SORT_KEY.into()));
    }
    (attributes, (PARTITION_KEY.into(), SORT_KEY.into()), indexes)
}

fn sam_routes() -> Routes {
    let mut routes = Routes::new();
    let mut function = String::new();
    for line in read_repo_file("template.yaml").lines() {
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix("Function:")) {
            function = name.to_lowercase();
        }
        if line.contains("ApiId: !Ref HttpApi") {
            let Some(method) = value_after(line, "Method:") else { continue };
            let path = value_after(line, "Path:").expect("an event with a method has a path");
            let public = line.contains("Authorizer: NONE");
            routes.insert((method.into(), path.into(), function.clone(), !public));
        }
    }
    routes
}

fn terraform_routes() -> Routes {
    read_repo_file("terraform/main.tf")
        .lines()
        .filter(|line| line.trim_start().starts_with("{ method = "))
        .filter(|line| !line.contains("$default"))
        .map(|line| {
            let field = |key| value_after(line, key).unwrap().to_owned();
            (field("method ="), field("path ="), field("function ="), field("auth =") == "true")
        })
        .collect()
}

fn sam_keys() -> Keys {
    let template = read_repo_file("template.yaml");
    let table = template.split("\n  Table:\n").nth(1).unwrap().split("\n\n").next().unwrap();
    let mut attributes = BTreeSet::new();
    let mut base = (String::new(), String::new());
    let mut indexes = BTreeSet::new();
    let mut index: Option<(String, String, String)> = None;
    for line in table.lines() {
        if let Some(name) = value_after(line, "IndexName:") {
            index = Some((name.into(), String::new(), String::new()));
        }
        if let Some(name) = value_after(line, "AttributeName:") {
            if line.contains("AttributeType") {
                attributes.insert(name.to_owned());
            } else if line.contains("KeyType") {
                let hash = line.contains("HASH");
                match index.as_mut() {
                    Some(index) if hash => index.1 = name.into(),
                    Some(index) => index.2 = name.into(),
                    None if hash => base.0 = name.into(),
                    None => base.1 = name.into(),
                }
            }
        }
        if line.contains("Projection:") {
            indexes.insert(index.take().expect("a projection closes an index"));
        }
    }
    (attributes, base, indexes)
}

fn terraform_keys() -> Keys {
    let source = read_repo_file("terraform/dynamodb.tf");
    let mut attributes = BTreeSet::new();
    let mut base = (String::new(), String::new());
    let mut indexes = BTreeSet::new();
    let mut block = "";
    let mut index = (String::new(), String::new(), String::new());
    for line in source.lines().map(str::trim) {
        match line {
            "attribute {" => block = "attribute",
            "global_secondary_index {" => block = "index",
            "}" if block == "index" => {
                indexes.insert(std::mem::take(&mut index));
                block = "";
            }
            "}" => block = "",
            _ => {}
        }
        let Some((key, value)) = hcl_attribute(line) else { continue };
        match (block, key) {
            ("attribute", "name") => {
                attributes.insert(value.to_owned());
            }
            ("index", "name") => index.0 = value.into(),
            ("index", "hash_key") => index.1 = value.into(),
            ("index", "range_key") => index.2 = value.into(),
            ("", "hash_key") => base.0 = value.into(),
            ("", "range_key") => base.1 = value.into(),
            _ => {}
        }
    }
    (attributes, base, indexes)
}

#[test]
fn the_sam_template_routes_exactly_the_route_table() {
    assert_eq!(sam_routes(), route_table());
}

#[test]
fn terraform_routes_exactly_the_route_table() {
    assert_eq!(terraform_routes(), route_table());
}

#[test]
fn both_send_unknown_routes_to_the_application() {
    assert!(read_repo_file("template.yaml").contains("CatchAll:"), "template.yaml has no $default route");
    assert!(read_repo_file("terraform/main.tf").contains("path = \"$default\""), "terraform has no $default route");
}

#[test]
fn the_sam_template_declares_the_keys_and_indexes_the_adapter_uses() {
    assert_eq!(sam_keys(), expected_keys());
}

#[test]
fn terraform_declares_the_keys_and_indexes_the_adapter_uses() {
    assert_eq!(terraform_keys(), expected_keys());
}

/// Kept answers carry the TTL attribute; the table must expire items by it.
#[test]
fn both_stacks_expire_items_by_the_adapter_ttl_attribute() {
    let template = read_repo_file("template.yaml");
    let sam = template.split("TimeToLiveSpecification:\n").nth(1).expect("template.yaml: a TTL specification");
    let sam: Vec<&str> = sam.lines().take(2).map(str::trim).collect();
    assert_eq!(sam, [format!("AttributeName: {TIME_TO_LIVE}").as_str(), "Enabled: true"]);
    let terraform = read_repo_file("terraform/dynamodb.tf");
    let ttl = terraform.split("ttl {\n").nth(1).expect("terraform/dynamodb.tf: a ttl block");
    let ttl: Vec<_> = ttl.lines().take(2).filter_map(|line| hcl_attribute(line.trim())).collect();
    assert_eq!(ttl, [("attribute_name", TIME_TO_LIVE), ("enabled", "true")]);
}

/// The values of a one-line list after `key` in `text`: YAML `[a, b]` or
/// HCL `["a", "b"]`.
fn one_line_list(text: &str, key: &str) -> BTreeSet<String> {
    let line = text.lines().find(|line| line.trim_start().starts_with(key)).unwrap_or_else(|| panic!("no {key}"));
    let list = line.split_once('[').and_then(|(_, rest)| rest.split_once(']')).expect("a one-line list").0;
    list.split(',').map(|item| item.trim().trim_matches('"').to_owned()).filter(|item| !item.is_empty()).collect()
}

#[test]
fn both_let_browsers_send_and_read_the_headers_the_api_uses() {
    use estate::http::{CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS};
    let allowed: BTreeSet<String> = CORS_ALLOWED_HEADERS.map(String::from).into();
    let exposed: BTreeSet<String> = CORS_EXPOSED_HEADERS.map(String::from).into();
    let sam = read_repo_file("template.yaml");
    assert_eq!(one_line_list(&sam, "AllowHeaders:"), allowed, "template.yaml");
    assert_eq!(one_line_list(&sam, "ExposeHeaders:"), exposed, "template.yaml");
    let terraform = read_repo_file("terraform/api.tf");
    assert_eq!(one_line_list(&terraform, "allow_headers"), allowed, "terraform/api.tf");
    assert_eq!(one_line_list(&terraform, "expose_headers"), exposed, "terraform/api.tf");
}

/// The access-token lifetime: the code's default and bounds, and what both
/// stacks default to and accept, are the same three numbers.
#[test]
fn both_stacks_bound_the_token_lifetime_as_the_code_does() {
    use estate::config::{DEFAULT_TOKEN_LIFETIME_SECONDS, MAX_TOKEN_LIFETIME_SECONDS, MIN_TOKEN_LIFETIME_SECONDS};
    let expected = [DEFAULT_TOKEN_LIFETIME_SECONDS, MIN_TOKEN_LIFETIME_SECONDS, MAX_TOKEN_LIFETIME_SECONDS];
    let number = |text: &str| text.trim().parse::<i64>().unwrap_or_else(|_| panic!("not a number: {text:?}"));

    let template = read_repo_file("template.yaml");
    let parameter = template.split("\n  JwtTtlSeconds:\n").nth(1).expect("template.yaml: JwtTtlSeconds");
    let parameter = parameter.split("\n\n").next().unwrap();
    let setting = |key: &str| {
        let line = parameter.lines().find_map(|line| line.trim().strip_prefix(key));
        number(line.unwrap_or_else(|| panic!("template.yaml: JwtTtlSeconds has no {key}")))
    };
    assert_eq!([setting("Default:"), setting("MinValue:"), setting("MaxValue:")], expected, "template.yaml");

    let variables = read_repo_file("terraform/variables.tf");
    let variable = variables.split("variable \"jwt_ttl_seconds\" {\n").nth(1).expect("terraform: jwt_ttl_seconds");
    let variable = variable.split("\n}\n").next().unwrap();
    let default = variable.lines().filter_map(|line| hcl_attribute(line.trim())).find(|(key, _)| *key == "default");
    let bound = |comparison: &str| {
        let after = variable.split(&format!("var.jwt_ttl_seconds {comparison} ")).nth(1);
        number(after.and_then(|rest| rest.split_whitespace().next()).expect("a bound in the validation"))
    };
    let default = number(default.expect("terraform: jwt_ttl_seconds has a default").1);
    assert_eq!([default, bound(">="), bound("<=")], expected, "terraform/variables.tf");
}
