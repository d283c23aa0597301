//! Least privilege by key: the DynamoDB statements of each function's role,
//! in `template.yaml` and in `terraform/iam.tf`, against the DynamoDB calls
//! that function makes when every one of its routes is driven (its refusals
//! included). Nothing a function calls may be denied, and nothing a statement
//! allows may go unused: every action, on its resource (the table or one
//! index), with every `dynamodb:LeadingKeys` pattern, is needed by some call.
//!
//! IAM authorises a DynamoDB request per item: a `TransactWriteItems` needs
//! `PutItem`, `UpdateItem`, `DeleteItem` or `ConditionCheckItem` for each of
//! its items, and `dynamodb:LeadingKeys` is the partition key value of the
//! item, or, for a Query on an index, the index partition value it names. So
//! each call is recorded at the SDK as the accesses it needs: (action, index,
//! partition value), read from the JSON request body.
//!
//! Both files write one action and one pattern per line, which is what the
//! readers below rely on; they refuse any shape they do not know.

use crate::support::routes::ROUTES;
use crate::support::{PASSWORD, TestApp, counted_dynamo_store, new_property, new_room, read_repo_file, registration};
use estate::store::dynamodb::{Index, PARTITION_KEY};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The only condition the statements may use, and the key it tests.
const CONDITION: &str = "ForAllValues:StringLike";
const LEADING_KEYS: &str = "dynamodb:LeadingKeys";

/// One statement of a function's DynamoDB policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Statement {
    sid: String,
    actions: Vec<String>,
    /// `None`: the table; else the index it is on.
    index: Option<String>,
    /// The condition operator `dynamodb:LeadingKeys` is tested with.
    condition: String,
    leading_keys: Vec<String>,
}

/// Function name => its DynamoDB statements.
type Policies = BTreeMap<String, Vec<Statement>>;

/// What IAM checks for one item (or one Query) of a request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Access {
    action: String,
    index: Option<String>,
    leading_key: String,
}

/// Function name => the accesses its calls needed.
type Recorded = BTreeMap<String, BTreeSet<Access>>;

// ------------------------------------------------------------ the policies

/// The DynamoDB statements of each role of `template.yaml`: the `Statement`
/// list of the policy named `dynamodb` of each `<Function>Role` resource.
fn sam_policies() -> Policies {
    let mut policies = Policies::new();
    let mut function: Option<String> = None;
    let mut in_dynamodb = false;
    let mut policy_indent = 0;
    let mut list = String::new();
    let mut operator = String::new();
    for line in read_repo_file("template.yaml").lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 2 && trimmed.ends_with(':') {
            function = trimmed.strip_suffix("Role:").map(str::to_lowercase);
        }
        if let Some(name) = trimmed.strip_prefix("- PolicyName:") {
            in_dynamodb = name.trim() == "dynamodb";
            policy_indent = indent;
            continue;
        }
        // A line as far left as the policy's `- PolicyName:` ends the policy.
        in_dynamodb &= indent > policy_indent;
        let (Some(function), true) = (&function, in_dynamodb) else { continue };
        let statements = policies.entry(function.clone()).or_default();
        if let Some(sid) = trimmed.strip_prefix("- Sid:") {
            statements.push(Statement { sid: sid.trim().into(), ..Statement::default() });
            list.clear();
            continue;
        }
        let Some(statement) = statements.last_mut() else {
            assert!(
                ["PolicyDocument:", "Statement:"].contains(&trimmed) || trimmed.starts_with("Version:"),
                "{function}: each statement of the dynamodb policy starts with `- Sid:`, got {line:?}"
            );
            continue;
        };
        if let Some(item) = trimmed.strip_prefix("- ") {
            let item = item.trim_matches('"').to_owned();
            match list.as_str() {
                "Action" => statement.actions.push(item),
                LEADING_KEYS => statement.leading_keys.push(item),
                other => panic!("{function}/{}: a list item under {other:?}: {line:?}", statement.sid),
            }
            continue;
        }
        match trimmed.split_once(": ") {
            Some(("Effect", effect)) => assert_eq!(effect, "Allow", "{function}/{}", statement.sid),
            Some(("Resource", resource)) => statement.index = sam_index(resource),
            None if trimmed.ends_with(':') => {
                list = trimmed.trim_end_matches(':').to_owned();
                match list.as_str() {
                    "Action" | "Condition" => {}
                    LEADING_KEYS => statement.condition = operator.clone(),
                    _ if list.contains(':') => operator = list.clone(),
                    other => panic!("{function}/{}: this reader does not know {other:?}", statement.sid),
                }
            }
            _ => panic!(
                "{function}/{}: this reader knows Sid, Effect, one Resource, one action and one \
                 {LEADING_KEYS} pattern per line; got {line:?}",
                statement.sid
            ),
        }
    }
    policies
}

/// The index a SAM `Resource` is on: `None` for the table itself.
fn sam_index(resource: &str) -> Option<String> {
    if resource == "!GetAtt Table.Arn" {
        return None;
    }
    let index = resource.strip_prefix("!Sub ${Table.Arn}/index/");
    Some(index.unwrap_or_else(|| panic!("not the table or one of its indexes: {resource}")).to_owned())
}

/// The DynamoDB statements of each function in `terraform/iam.tf`: the list
/// `local.dynamodb_statements`, and the policy document that turns each of
/// its entries into one statement.
fn terraform_policies() -> Policies {
    let source = read_repo_file("terraform/iam.tf");
    let condition = terraform_condition(&source);
    let mut policies = Policies::new();
    let lines = source.lines().skip_while(|line| line.trim() != "dynamodb_statements = {").skip(1);
    let mut function = String::new();
    let mut list = "";
    for raw in lines {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let statements = policies.entry(function.clone()).or_default();
        match line {
            "}" => break,
            "{" => statements.push(Statement { condition: condition.clone(), ..Statement::default() }),
            "}," | "]" => list = "",
            "actions = [" => list = "actions",
            "leading_keys = [" => list = "leading_keys",
            // `<function> = [`, one level into the map.
            _ if raw.starts_with("    ") && !raw.starts_with("     ") && line.ends_with(" = [") => {
                function = line.trim_end_matches(" = [").to_owned()
            }
            _ => {
                let statement = statements.last_mut().unwrap_or_else(|| panic!("outside a statement: {line:?}"));
                let unquote = |value: &str| value.trim().trim_end_matches(',').trim_matches('"').to_owned();
                match (list, line.split_once('=')) {
                    ("actions", None) => statement.actions.push(unquote(line)),
                    ("leading_keys", None) => statement.leading_keys.push(unquote(line)),
                    ("", Some((key, value))) if key.trim() == "sid" => statement.sid = unquote(value),
                    ("", Some((key, value))) if key.trim() == "index" => {
                        statement.index = Some(unquote(value)).filter(|index| index != "null")
                    }
                    _ => panic!("this reader knows sid, index, and one action and one pattern per line: {line:?}"),
                }
            }
        }
    }
    policies.remove("");
    assert!(!policies.is_empty(), "terraform/iam.tf: no statements in local.dynamodb_statements");
    policies
}

/// The condition operator of the DynamoDB policy document, after checking
/// that it makes one statement of each entry of `local.dynamodb_statements`,
/// on its resource, with its patterns as `dynamodb:LeadingKeys`.
fn terraform_condition(source: &str) -> String {
    let block = |header: &str| {
        let start = source.find(header).unwrap_or_else(|| panic!("terraform/iam.tf has no {header}"));
        let end = source[start..].find("\n}\n").expect("a block closes at column 0") + start;
        source[start..end].split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let document = block("data \"aws_iam_policy_document\" \"dynamodb\" {");
    let role_policy = block("resource \"aws_iam_role_policy\" \"dynamodb\" {");
    for wiring in [
        "for_each = local.dynamodb_statements",
        "dynamic \"statement\" { for_each = each.value",
        "sid = statement.value.sid",
        "actions = statement.value.actions",
        "resources = [ statement.value.index == null ? aws_dynamodb_table.main.arn : \
         \"${aws_dynamodb_table.main.arn}/index/${statement.value.index}\" ]",
        "variable = \"dynamodb:LeadingKeys\"",
        "values = statement.value.leading_keys",
    ] {
        assert!(document.contains(wiring), "the dynamodb policy document lacks `{wiring}`:\n{document}");
    }
    for wiring in ["for_each = local.dynamodb_statements", "data.aws_iam_policy_document.dynamodb[each.key].json"] {
        assert!(role_policy.contains(wiring), "the dynamodb role policy lacks `{wiring}`:\n{role_policy}");
    }
    let test = document.split("test = \"").nth(1).expect("the statement has a condition test");
    test.split('"').next().unwrap().to_owned()
}

// -------------------------------------------------------------- the calls

/// The accesses one request needs, as IAM authorises it.
fn accesses(operation: &str, body: &Value) -> Vec<Access> {
    let access = |action: &str, index: Option<&str>, leading_key: String| Access {
        action: format!("dynamodb:{action}"),
        index: index.map(str::to_owned),
        leading_key,
    };
    match operation {
        "GetItem" | "UpdateItem" | "DeleteItem" => vec![access(operation, None, partition_of(&body["Key"]))],
        "PutItem" => vec![access(operation, None, partition_of(&body["Item"]))],
        "Query" => {
            let index = body["IndexName"].as_str();
            vec![access(operation, index, queried_partition(body, index))]
        }
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .expect("a transaction lists its items")
            .iter()
            .map(|item| {
                let (kind, action) = [
                    ("Put", "PutItem"),
                    ("Update", "UpdateItem"),
                    ("Delete", "DeleteItem"),
                    ("ConditionCheck", "ConditionCheckItem"),
                ]
                .into_iter()
                .find(|(kind, _)| item.get(kind).is_some())
                .unwrap_or_else(|| panic!("an unknown transaction item: {item}"));
                let key = if kind == "Put" { &item[kind]["Item"] } else { &item[kind]["Key"] };
                access(action, None, partition_of(key))
            })
            .collect(),
        other => panic!(
            "{other}: a DynamoDB operation this test does not model; add how IAM authorises it \
             (and grant it in template.yaml and terraform/iam.tf)"
        ),
    }
}

/// The partition key value of a key or an item.
fn partition_of(key: &Value) -> String {
    let value = key[PARTITION_KEY]["S"].as_str();
    value.unwrap_or_else(|| panic!("no string partition key in {key}")).to_owned()
}

/// The partition value a Query names in its key condition: of the table's
/// partition key, or of the index's.
fn queried_partition(body: &Value, index: Option<&str>) -> String {
    let attribute = match index {
        None => PARTITION_KEY,
        Some(name) => {
            let index = Index::ALL.into_iter().find(|index| index.name() == name);
            index.unwrap_or_else(|| panic!("an unknown index {name}")).partition_key()
        }
    };
    let condition = body["KeyConditionExpression"].as_str().expect("a Query has a key condition");
    let partition = condition.split(" AND ").find_map(|clause| {
        let (name, value) = clause.split_once(" = ")?;
        let name = name.trim();
        let name = if name.starts_with('#') { body["ExpressionAttributeNames"][name].as_str()? } else { name };
        (name == attribute).then(|| body["ExpressionAttributeValues"][value.trim()]["S"].as_str()).flatten()
    });
    partition.unwrap_or_else(|| panic!("no `{attribute} = :value` in {condition:?}")).to_owned()
}

/// The route of the route table that serves a request, and its function.
fn route_of(method: &str, path: &str) -> (String, &'static str) {
    let path = path.split('?').next().unwrap();
    let segments: Vec<&str> = path.split('/').collect();
    let parameters = |route: &str| route.split('/').filter(|segment| segment.starts_with('{')).count();
    let route = ROUTES
        .iter()
        .filter(|route| route.method == method)
        .filter(|route| {
            let pattern: Vec<&str> = route.path.split('/').collect();
            pattern.len() == segments.len()
                && pattern
                    .iter()
                    .zip(&segments)
                    .all(|(pattern, segment)| pattern.starts_with('{') || pattern == segment)
        })
        // `/users/me` is not `/users/{id}`: the literal segment wins.
        .min_by_key(|route| parameters(route.path))
        .unwrap_or_else(|| panic!("{method} {path} is in no route"));
    (format!("{method} {}", route.path), route.function.name())
}

/// Drives the API and records, per function, the accesses its calls needed.
struct Recorder {
    app: TestApp,
    /// The (operation, body) of the DynamoDB requests sent since the last take.
    take: Box<dyn Fn() -> Vec<(String, Value)>>,
    recorded: Recorded,
    /// The routes driven, as `METHOD /path`.
    driven: BTreeSet<String>,
}

impl Recorder {
    /// Sends a request, expects `status`, and returns the response body.
    async fn call(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<Value>, status: u16) -> Value {
        self.call_with(method, path, token, body, &[], status).await
    }

    /// A creation sent twice with one `Idempotency-Key`: the answer is kept,
    /// then read back.
    async fn create_twice(&mut self, path: &str, token: Option<&str>, body: Value) -> Value {
        let key = [("idempotency-key", path)];
        let first = self.call_with("POST", path, token, Some(body.clone()), &key, 201).await;
        assert_eq!(self.call_with("POST", path, token, Some(body), &key, 201).await, first, "{path}: the same answer");
        first
    }

    async fn call_with(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
        status: u16,
    ) -> Value {
        let (route, function) = route_of(method, path);
        assert_eq!((self.take)(), vec![], "DynamoDB calls outside any request");
        let reply = self.app.call_with(method, path, token, body, headers).await;
        assert_eq!(reply.status.as_u16(), status, "{method} {path}: {}", reply.body);
        let recorded = self.recorded.entry(function.into()).or_default();
        for (operation, body) in (self.take)() {
            recorded.extend(accesses(&operation, &body));
        }
        self.driven.insert(route);
        reply.body
    }
}

/// Every route of every function, its refusals included, on a fresh table:
/// the accesses each function needed, or `None` without a DynamoDB server.
async fn record_every_route() -> Option<Recorded> {
    let (store, calls) = counted_dynamo_store().await?;
    let take = move || calls.take_calls().into_iter().map(|call| (call.operation, call.body)).collect();
    let warmed = store.clone();
    let mut api =
        Recorder { app: TestApp::new(store), take: Box::new(take), recorded: Recorded::new(), driven: BTreeSet::new() };
    (api.take)();

    // Each function warms its connection at a cold start (`warm_up`).
    warmed.warm_up().await;
    let warm_up: Vec<Access> = (api.take)().iter().flat_map(|(operation, body)| accesses(operation, body)).collect();
    assert!(!warm_up.is_empty(), "the warm-up calls DynamoDB");
    for function in ["users", "properties", "rooms"] {
        api.recorded.entry(function.into()).or_default().extend(warm_up.iter().cloned());
    }

    // users: sign-up, sign-in (and an unknown email), the public profile
    let sign_in = |email: &str| json!({ "email": email, "password": PASSWORD });
    let owner = api.call("POST", "/users", None, Some(registration("owner@example.com")), 201).await;
    let owner = owner["id"].as_str().unwrap().to_owned();
    api.create_twice("/users", None, registration("stranger@example.com")).await;
    let wrong = json!({ "email": "owner@example.com", "password": "not the password" });
    api.call("POST", "/auth/token", None, Some(wrong), 401).await;
    let first = api.call("POST", "/auth/token", None, Some(sign_in("owner@example.com")), 200).await;
    // sessions: renew, then present the spent token again (its family
    // ends), sign out, and sign out everywhere (below)
    let spent = json!({ "refresh_token": first["refresh_token"] });
    let renewed = api.call("POST", "/auth/refresh", None, Some(spent.clone()), 200).await;
    api.call("POST", "/auth/refresh", None, Some(spent), 401).await;
    api.call("POST", "/auth/sign-out", None, Some(json!({ "refresh_token": renewed["refresh_token"] })), 204).await;
    let token = api.call("POST", "/auth/token", None, Some(sign_in("owner@example.com")), 200).await;
    let token = token["access_token"].as_str().unwrap().to_owned();
    let stranger = api.call("POST", "/auth/token", None, Some(sign_in("stranger@example.com")), 200).await;
    let stranger = stranger["access_token"].as_str().unwrap().to_owned();
    api.call("POST", "/auth/token", None, Some(sign_in("nobody@example.com")), 401).await;
    let (owner_token, stranger) = (Some(token.as_str()), Some(stranger.as_str()));
    api.call("GET", "/health", None, None, 200).await;
    api.call("GET", "/openapi.json", None, None, 200).await;
    api.call("GET", &format!("/users/{owner}"), None, None, 200).await;

    // properties: publish, read, list every way, edit; refusals to a stranger
    api.call("GET", "/property-types", None, None, 200).await;
    let property =
        api.call("POST", "/properties", owner_token, Some(new_property("Loft", "Paris", "house", 2)), 201).await;
    let property = format!("/properties/{}", property["id"].as_str().unwrap());
    let read = api.call("GET", &property, None, None, 200).await;
    let room = format!("{property}/rooms/{}", read["rooms"][0]["id"].as_str().unwrap());
    for listing in
        ["/properties", "/properties?city=paris", "/properties?type=house", "/properties?city=paris&type=house"]
    {
        api.call("GET", listing, None, None, 200).await;
    }
    api.call("GET", "/users/me/properties", owner_token, None, 200).await;
    api.call("PATCH", &property, owner_token, Some(json!({"name": "Renamed", "city": "Nice"})), 200).await;
    api.call("PATCH", &property, stranger, Some(json!({"name": "Mine"})), 403).await;
    api.call("DELETE", &property, stranger, None, 403).await;

    // rooms: read, add, edit, remove; refusals to a stranger
    let rooms = format!("{property}/rooms");
    api.call("GET", &rooms, None, None, 200).await;
    api.call("GET", &room, None, None, 200).await;
    api.create_twice(&rooms, owner_token, new_room("Attic", "attic", "7.25")).await;
    api.call("PATCH", &room, owner_token, Some(json!({"area_m2": 8})), 200).await;
    api.call("POST", &rooms, stranger, Some(new_room("Mine", "attic", "7.25")), 403).await;
    api.call("PATCH", &room, stranger, Some(json!({"area_m2": 9})), 403).await;
    api.call("DELETE", &room, stranger, None, 403).await;
    api.call("DELETE", &room, owner_token, None, 204).await;

    // properties: deleting one with its rooms
    let other = api.create_twice("/properties", owner_token, new_property("Other", "Lyon", "loft", 1)).await;
    api.call("DELETE", &format!("/properties/{}", other["id"].as_str().unwrap()), owner_token, None, 204).await;

    // users: the account, then its deletion, which purges the property left
    // and its rooms
    api.call("GET", "/users/me", owner_token, None, 200).await;
    api.call("DELETE", "/users/me/sessions", owner_token, None, 204).await;
    api.call("PATCH", "/users/me", owner_token, Some(json!({"first_name": "Bo"})), 200).await;
    let password = json!({"current_password": PASSWORD, "new_password": "another long secret"});
    api.call("PUT", "/users/me/password", owner_token, Some(password), 204).await;
    api.call("DELETE", "/users/me", owner_token, None, 204).await;

    let every_route: BTreeSet<String> = ROUTES.iter().map(|route| format!("{} {}", route.method, route.path)).collect();
    assert_eq!(api.driven, every_route, "every route of every function is driven");
    Some(api.recorded)
}

// ------------------------------------------------------------- the checks

/// IAM's `StringLike`: `*` matches any run of characters, `?` any one.
fn like(pattern: &str, value: &str) -> bool {
    fn matches(pattern: &[char], value: &[char]) -> bool {
        match pattern.split_first() {
            None => value.is_empty(),
            Some(('*', rest)) => (0..=value.len()).any(|at| matches(rest, &value[at..])),
            Some((first, rest)) => value
                .split_first()
                .is_some_and(|(next, value)| (*first == '?' || first == next) && matches(rest, value)),
        }
    }
    let (pattern, value): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    matches(&pattern, &value)
}

/// Whether a statement allows an access.
fn allows(statement: &Statement, access: &Access) -> bool {
    statement.condition == CONDITION
        && statement.index == access.index
        && statement.actions.contains(&access.action)
        && statement.leading_keys.iter().any(|pattern| like(pattern, &access.leading_key))
}

/// What the policies deny that a function needed, and what they allow that
/// no call of that function needed, one line each.
fn mismatches(policies: &Policies, recorded: &Recorded) -> Vec<String> {
    let mut problems = Vec::new();
    let functions: BTreeSet<&String> = policies.keys().chain(recorded.keys()).collect();
    let none = Vec::new();
    for function in functions {
        let statements = policies.get(function).unwrap_or(&none);
        let accesses = recorded.get(function).cloned().unwrap_or_default();
        for access in &accesses {
            if !statements.iter().any(|statement| allows(statement, access)) {
                problems.push(format!("{function}: denied {access:?}"));
            }
        }
        for statement in statements {
            if statement.condition != CONDITION || statement.leading_keys.is_empty() {
                problems.push(format!("{function}/{}: no {CONDITION} on {LEADING_KEYS}", statement.sid));
            }
            for action in &statement.actions {
                for pattern in &statement.leading_keys {
                    let used = accesses.iter().any(|access| {
                        access.action == *action
                            && access.index == statement.index
                            && like(pattern, &access.leading_key)
                    });
                    if !used {
                        let on = statement.index.as_deref().unwrap_or("the table");
                        problems.push(format!("{function}/{}: unused {action} on {on} for {pattern}", statement.sid));
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn string_like_matches_as_iam_does() {
    assert!(like("USER#*", "USER#0192"));
    assert!(like("USER#*", "USER#"));
    assert!(like("PROPERTIES", "PROPERTIES"));
    assert!(like("CITY#?yon", "CITY#lyon"));
    assert!(like("CITY#*", "CITY#saint-étienne"));
    assert!(!like("USER#*", "EMAIL#a@example.com"));
    assert!(!like("PROPERTIES", "PROPERTY#0192"));
    assert!(!like("PROPERTY#*", "PROPERTIES"));
}

/// One line per statement: `function/Sid: actions on resource for patterns`.
fn describe(policies: &Policies) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for (function, statements) in policies {
        for statement in statements {
            let on = statement.index.as_deref().unwrap_or("the table");
            let (actions, patterns) = (statement.actions.join(" "), statement.leading_keys.join(" "));
            let condition = &statement.condition;
            lines.insert(format!("{function}/{}: {actions} on {on} for {condition} {patterns}", statement.sid));
        }
    }
    lines
}

#[test]
fn both_files_grant_the_same_dynamodb_statements_and_none_to_the_authorizer() {
    let (sam, terraform) = (sam_policies(), terraform_policies());
    let (sam_lines, terraform_lines) = (describe(&sam), describe(&terraform));
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| a.difference(b).cloned().collect::<Vec<_>>().join("\n  ");
    assert!(
        sam == terraform,
        "only in template.yaml:\n  {}\nonly in terraform/iam.tf:\n  {}",
        only(&sam_lines, &terraform_lines),
        only(&terraform_lines, &sam_lines)
    );
    let functions: Vec<&String> = sam.keys().collect();
    assert_eq!(functions, ["properties", "rooms", "users"], "only the HTTP functions get DynamoDB access");
    for (function, statements) in &sam {
        for statement in statements {
            assert_eq!(statement.condition, CONDITION, "{function}/{}", statement.sid);
            assert!(!statement.leading_keys.is_empty(), "{function}/{}: no {LEADING_KEYS}", statement.sid);
            assert!(!statement.actions.is_empty(), "{function}/{}: no action", statement.sid);
        }
    }
}

#[tokio::test]
async fn each_role_allows_exactly_the_dynamodb_calls_of_its_function() {
    let Some(recorded) = record_every_route().await else {
        return;
    };
    let mut problems = Vec::new();
    for (file, policies) in [("template.yaml", sam_policies()), ("terraform/iam.tf", terraform_policies())] {
        problems.extend(mismatches(&policies, &recorded).into_iter().map(|problem| format!("{file}: {problem}")));
    }
    let calls = recorded.iter().flat_map(|(function, accesses)| {
        accesses.iter().map(move |access| {
            let on = access.index.as_deref().unwrap_or("the table");
            format!("{function}: {} on {on} for {}", access.action, access.leading_key)
        })
    });
    assert!(
        problems.is_empty(),
        "{}\nthe accesses recorded:\n  {}",
        problems.join("\n"),
        calls.collect::<Vec<_>>().join("\n  ")
    );
}
