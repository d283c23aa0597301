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
//! Both files are read with their parsers (`support::files`); the readers
//! below refuse any statement of a shape they do not know.

use crate::support::files::{
    attribute, block, expression, literal, local, sam_functions, sam_resources, sam_template, terraform,
};
use crate::support::routes::ROUTES;
use crate::support::{PASSWORD, TestApp, counted_dynamo_store, new_photo, new_property, new_room, registration};
use estate::store::dynamodb::{Index, PARTITION_KEY, StreamFollower};
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
/// list of the policy named `dynamodb` of each `<Function>Role`, the role of
/// `<Function>Function`. A statement is Sid, Effect, Action, one Resource
/// and a Condition on `dynamodb:LeadingKeys` only: any other shape is
/// refused, not skipped.
fn sam_policies() -> Policies {
    let template = sam_template();
    let roles: BTreeMap<String, Value> = sam_functions(&template)
        .map(|(function, resource)| (function, resource["Properties"]["Role"].clone()))
        .collect();
    let mut policies = Policies::new();
    for (name, role) in sam_resources(&template, "AWS::IAM::Role") {
        let mut dynamodb = role["Properties"]["Policies"].as_array().into_iter().flatten();
        let Some(policy) = dynamodb.find(|policy| policy["PolicyName"] == "dynamodb") else { continue };
        assert!(!dynamodb.any(|policy| policy["PolicyName"] == "dynamodb"), "{name}: two dynamodb policies");
        let function = name.strip_suffix("Role").unwrap_or_else(|| panic!("{name}: not named <Function>Role"));
        let function = function.to_lowercase();
        assert_eq!(roles.get(&function), Some(&json!({ "Fn::GetAtt": [name, "Arn"] })), "the role of {function}");
        let document = policy["PolicyDocument"].as_object().unwrap_or_else(|| panic!("{name}: no PolicyDocument"));
        for key in document.keys() {
            assert!(["Version", "Statement"].contains(&key.as_str()), "{function}: {key} in the dynamodb policy");
        }
        let statements = document["Statement"].as_array().unwrap_or_else(|| panic!("{function}: no Statement list"));
        policies.insert(function.clone(), statements.iter().map(|s| sam_statement(&function, s)).collect());
    }
    policies
}

/// One statement of a SAM policy document.
fn sam_statement(function: &str, statement: &Value) -> Statement {
    let fields = statement.as_object().unwrap_or_else(|| panic!("{function}: a statement is a mapping: {statement}"));
    let sid = fields.get("Sid").and_then(Value::as_str).unwrap_or_else(|| panic!("{function}: no Sid: {statement}"));
    let mut parsed = Statement { sid: sid.into(), ..Statement::default() };
    for (key, value) in fields {
        match key.as_str() {
            "Sid" => {}
            "Effect" => assert_eq!(value, "Allow", "{function}/{sid}"),
            "Action" => parsed.actions = strings(value, &format!("{function}/{sid}: Action")),
            "Resource" => parsed.index = sam_index(value),
            "Condition" => {
                let condition = value.as_object().filter(|condition| condition.len() == 1);
                let (operator, tests) = condition
                    .and_then(|condition| condition.iter().next())
                    .unwrap_or_else(|| panic!("{function}/{sid}: one condition operator: {value}"));
                let tests = tests.as_object().filter(|tests| tests.len() == 1 && tests.contains_key(LEADING_KEYS));
                let tests = tests.unwrap_or_else(|| panic!("{function}/{sid}: a condition on {LEADING_KEYS} only"));
                parsed.condition = operator.clone();
                parsed.leading_keys = strings(&tests[LEADING_KEYS], &format!("{function}/{sid}: {LEADING_KEYS}"));
            }
            other => {
                panic!("{function}/{sid}: this reader knows Sid, Effect, Action, Resource and Condition, not {other}")
            }
        }
    }
    parsed
}

/// A string or a list of strings, as IAM takes either.
fn strings(value: &Value, what: &str) -> Vec<String> {
    match value {
        Value::String(one) => vec![one.clone()],
        list => serde_json::from_value(list.clone()).unwrap_or_else(|e| panic!("{what}: {e}: {value}")),
    }
}

/// The index a SAM `Resource` is on: `None` for the table itself.
fn sam_index(resource: &Value) -> Option<String> {
    if resource == &json!({ "Fn::GetAtt": ["Table", "Arn"] }) {
        return None;
    }
    let index = resource["Fn::Sub"].as_str().and_then(|arn| arn.strip_prefix("${Table.Arn}/index/"));
    Some(index.unwrap_or_else(|| panic!("not the table or one of its indexes: {resource}")).to_owned())
}

/// One entry of `local.dynamodb_statements`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TerraformStatement {
    sid: String,
    index: Option<String>,
    actions: Vec<String>,
    leading_keys: Vec<String>,
}

/// The DynamoDB statements of each function in `terraform/iam.tf`: the map
/// `local.dynamodb_statements`, and the policy document that turns each of
/// its entries into one statement.
fn terraform_policies() -> Policies {
    let source = terraform("iam.tf");
    let condition = terraform_condition(&source);
    let statements: BTreeMap<String, Vec<TerraformStatement>> = literal(local(&source, "dynamodb_statements"));
    let policies: Policies = statements
        .into_iter()
        .map(|(function, statements)| {
            let statements = statements.into_iter().map(|statement| Statement {
                sid: statement.sid,
                actions: statement.actions,
                index: statement.index,
                condition: condition.clone(),
                leading_keys: statement.leading_keys,
            });
            (function, statements.collect())
        })
        .collect();
    assert!(!policies.is_empty(), "terraform/iam.tf: no statements in local.dynamodb_statements");
    policies
}

/// The condition operator of the DynamoDB policy document, after checking
/// that it makes one statement of each entry of `local.dynamodb_statements`
/// and nothing else, on its resource, with its patterns as
/// `dynamodb:LeadingKeys`, and that each function's role gets its document.
fn terraform_condition(source: &hcl::Body) -> String {
    fn wired(body: &hcl::Body, what: &str, wiring: &[(&str, &str)]) {
        let keys: BTreeSet<&str> = body.attributes().map(hcl::Attribute::key).collect();
        let expected: BTreeSet<&str> = wiring.iter().map(|(key, _)| *key).collect();
        assert_eq!(keys, expected, "terraform/iam.tf: the attributes of {what}");
        for (key, expected) in wiring {
            let actual = attribute(body, key);
            assert!(actual == &expression(expected), "terraform/iam.tf: {what}: {key} = {actual}, not {expected}");
        }
    }
    fn blocks(body: &hcl::Body) -> Vec<(&str, Vec<&str>)> {
        body.blocks().map(|b| (b.identifier(), b.labels().iter().map(hcl::BlockLabel::as_str).collect())).collect()
    }

    let document = block(source, "data", &["aws_iam_policy_document", "dynamodb"]);
    wired(document, "the dynamodb policy document", &[("for_each", "local.dynamodb_statements")]);
    assert_eq!(blocks(document), [("dynamic", vec!["statement"])], "terraform/iam.tf: the dynamodb policy document");
    let dynamic = block(document, "dynamic", &["statement"]);
    wired(dynamic, "its dynamic statement", &[("for_each", "each.value")]);
    let content = block(dynamic, "content", &[]);
    wired(
        content,
        "its statement",
        &[
            ("sid", "statement.value.sid"),
            ("actions", "statement.value.actions"),
            (
                "resources",
                r#"[statement.value.index == null ? aws_dynamodb_table.main.arn : "${aws_dynamodb_table.main.arn}/index/${statement.value.index}"]"#,
            ),
        ],
    );
    assert_eq!(blocks(content), [("condition", vec![])], "terraform/iam.tf: a statement has one condition");
    let condition = block(content, "condition", &[]);
    let test = literal::<String>(attribute(condition, "test"));
    wired(
        condition,
        "its condition",
        &[
            ("test", format!("{test:?}").as_str()),
            ("variable", format!("{LEADING_KEYS:?}").as_str()),
            ("values", "statement.value.leading_keys"),
        ],
    );

    let role_policy = block(source, "resource", &["aws_iam_role_policy", "dynamodb"]);
    wired(
        role_policy,
        "the dynamodb role policy",
        &[
            ("for_each", "local.dynamodb_statements"),
            ("name", r#""dynamodb""#),
            ("role", "aws_iam_role.fn[each.key].id"),
            ("policy", "data.aws_iam_policy_document.dynamodb[each.key].json"),
        ],
    );
    test
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
        // IAM checks each requested key's partition, as for GetItem.
        "BatchGetItem" => body["RequestItems"]
            .as_object()
            .expect("a batch names its tables")
            .values()
            .flat_map(|table| table["Keys"].as_array().expect("a batch lists its keys").clone())
            .map(|key| access(operation, None, partition_of(&key)))
            .collect(),
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
    /// The store under `app`, for the work of the functions without routes.
    store: estate::store::DynamoStore,
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

    /// Uploads a photo's file to the local server, which processes it as
    /// the media function does: its calls are the media function's.
    async fn upload(&mut self, upload: &Value, bytes: Vec<u8>) {
        assert_eq!((self.take)(), vec![], "DynamoDB calls outside any request");
        let reply = self.app.upload(upload, bytes, &[]).await;
        assert_eq!(reply.status.as_u16(), 200, "upload: {}", reply.body);
        self.record("media", &[]);
    }

    /// Records the calls made since the last take as `function`'s, but
    /// for the operations it does not make itself (`skipped`).
    fn record(&mut self, function: &str, skipped: &[&str]) {
        let recorded = self.recorded.entry(function.into()).or_default();
        for (operation, body) in (self.take)() {
            if !skipped.contains(&operation.as_str()) {
                recorded.extend(accesses(&operation, &body));
            }
        }
    }

    /// Does what the webhooks function does on AWS: fans each change of
    /// the feed out (the stream brings it, so reading it is not the
    /// function's call), then attempts every delivery queued.
    async fn deliver_webhooks(&mut self) {
        assert_eq!((self.take)(), vec![], "DynamoDB calls outside any request");
        let setup = estate::webhooks::DeliverySetup::local(&estate::webhooks::deliver::LOCAL_SCHEDULE);
        let estate::webhooks::DeliveryQueue::Memory(queue) = &setup.queue else { unreachable!() };
        let mut queued = queue.take_receiver().unwrap();
        let deliveries = setup.on(self.store.clone());
        tokio::time::sleep(crate::support::TEST_FEED_SETTLE).await;
        let query = estate::store::FeedQuery { after: None, limit: 100, city: None, types: Vec::new() };
        let changes = estate::store::FeedStore::changes(&self.store, &query).await.unwrap();
        (self.take)();
        assert!(!changes.events.is_empty(), "the feed holds the changes made");
        for event in &changes.events {
            deliveries.fan_out(event).await.unwrap();
        }
        let mut delivered = 0;
        while let Ok(message) = queued.try_recv() {
            deliveries.deliver(&message).await.unwrap();
            delivered += 1;
        }
        assert!(delivered > 0, "a change was delivered");
        self.record("webhooks", &[]);
    }

    /// Does what the notifications function does on AWS: matches each
    /// change of the feed (the stream brings it, so reading it is not the
    /// function's call), writing each e-mail to a folder; the path of the
    /// first e-mail's unsubscribe link.
    async fn notify(&mut self) -> String {
        assert_eq!((self.take)(), vec![], "DynamoDB calls outside any request");
        let dir = std::env::temp_dir().join(format!("estate-permissions-{}", uuid::Uuid::now_v7()));
        let mailer = estate::alerts::mail::Mailer::Files { dir: dir.clone(), from: "alerts@example.com".into() };
        let alerts =
            estate::alerts::Alerts { store: self.store.clone(), mailer, public_url: "https://api.example.com".into() };
        tokio::time::sleep(crate::support::TEST_FEED_SETTLE).await;
        let query = estate::store::FeedQuery { after: None, limit: 500, city: None, types: Vec::new() };
        let changes = estate::store::FeedStore::changes(&self.store, &query).await.unwrap();
        (self.take)();
        for event in &changes.events {
            alerts.handle(event).await.unwrap();
        }
        // The hourly run, a day on: the daily digest of what was held.
        let tomorrow =
            estate::domain::Timestamp::from_unix_seconds(estate::domain::Timestamp::now().unix_seconds() + 90_000);
        assert_eq!(alerts.send_digests(tomorrow).await.unwrap(), 1, "a digest is sent");
        self.record("notifications", &[]);
        let mail = std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().path());
        let message =
            mail.map(|path| std::fs::read_to_string(path).unwrap()).find(|text| text.contains("Subject: =?utf-8?B?"));
        let message = message.expect("an alert e-mail");
        std::fs::remove_dir_all(&dir).unwrap();
        let link = message.lines().find_map(|line| line.strip_prefix("List-Unsubscribe: <")).unwrap();
        link.trim_end_matches('>').strip_prefix("https://api.example.com").unwrap().to_owned()
    }

    /// Applies the table's stream as the media function does on AWS (the
    /// map clusters): its calls are the media function's, but for the
    /// reader's own look-up of the stream, which Lambda's event source does.
    async fn apply_stream(&mut self, follower: &mut StreamFollower) {
        assert_eq!((self.take)(), vec![], "DynamoDB calls outside any request");
        assert!(follower.catch_up().await.unwrap() > 0, "the stream holds the changes made");
        self.record("media", &["DescribeTable"]);
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
        self.record(function, &[]);
        self.driven.insert(route);
        reply.body
    }
}

/// Every route of every function, its refusals included, on a fresh table:
/// the accesses each function needed.
async fn record_every_route() -> Recorded {
    let (store, calls) = counted_dynamo_store().await;
    let take = move || calls.take_calls().into_iter().map(|call| (call.operation, call.body)).collect();
    let warmed = store.clone();
    let mut stream = crate::support::stream_follower(&store);
    let mut api = Recorder {
        app: TestApp::new(store.clone()),
        store,
        take: Box::new(take),
        recorded: Recorded::new(),
        driven: BTreeSet::new(),
    };
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
    // With a key: the account's deletion removes the answer kept for it.
    let owner = api.create_twice("/users", None, registration("owner@example.com")).await;
    let owner = owner["id"].as_str().unwrap().to_owned();
    api.create_twice("/users", None, registration("stranger@example.com")).await;
    let wrong = json!({ "email": "owner@example.com", "password": "not the password" });
    api.call("POST", "/auth/token", None, Some(wrong), 401).await;
    let first = api.call("POST", "/auth/token", None, Some(sign_in("owner@example.com")), 200).await;
    // sessions: renew twice, then present the first token again (spent, its
    // family ends), sign out, and sign out everywhere (below)
    let spent = json!({ "refresh_token": first["refresh_token"] });
    let renewed = api.call("POST", "/auth/refresh", None, Some(spent.clone()), 200).await;
    let renewed = json!({ "refresh_token": renewed["refresh_token"] });
    let live = api.call("POST", "/auth/refresh", None, Some(renewed), 200).await;
    api.call("POST", "/auth/refresh", None, Some(spent), 401).await;
    let other = api.call("POST", "/auth/token", None, Some(sign_in("owner@example.com")), 200).await;
    api.call("POST", "/auth/sign-out", None, Some(json!({ "refresh_token": other["refresh_token"] })), 204).await;
    api.call("POST", "/auth/sign-out", None, Some(json!({ "refresh_token": live["refresh_token"] })), 204).await;
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
    // Located, so that it is on the map and in the clusters.
    let mut located = new_property("Loft", "Paris", "house", 2);
    located["location"] = json!({"lat": 48.8566, "lon": 2.3522});
    let property = api.call("POST", "/properties", owner_token, Some(located), 201).await;
    let property = format!("/properties/{}", property["id"].as_str().unwrap());
    let read = api.call("GET", &property, None, None, 200).await;
    let room = format!("{property}/rooms/{}", read["rooms"][0]["id"].as_str().unwrap());
    for listing in [
        "/properties",
        "/properties?city=paris",
        "/properties?type=house",
        "/properties?city=paris&type=house",
        "/properties?city=paris&currency=EUR&sort=price",
        "/properties?city=paris&sort=-area&min_bedrooms=1",
        "/properties?status=sold&transaction=sale",
        "/properties?bbox=2.3,48.8,2.4,48.9",
        "/properties?bbox=2.3,48.8,2.4,48.9&currency=EUR&sort=-price",
        "/properties?near=48.85,2.35",
        // Counters of the coarsest precisions (sharded), then of a finer one.
        "/properties/clusters?bbox=-10,35,30,60&precision=2",
        "/properties/clusters?bbox=2.2,48.8,2.5,48.9&precision=5",
    ] {
        api.call("GET", listing, None, None, 200).await;
    }
    api.call("GET", "/users/me/properties", owner_token, None, 200).await;
    let priced = json!({"name": "Renamed", "city": "Nice", "price": {"amount": 250000, "currency": "EUR"}});
    api.call("PATCH", &property, owner_token, Some(priced), 200).await;
    api.call("PATCH", &property, owner_token, Some(json!({"status": "draft"})), 409).await;
    api.call("GET", &format!("{property}/price-history"), None, None, 200).await;
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

    // photos: announce (and again with the key), the upload the media
    // function processes, read, edit, delete; refusals to a stranger
    let photos = format!("{property}/photos");
    let jpeg = estate::media::samples::phone_photo();
    let announced = api.create_twice(&photos, owner_token, new_photo("image/jpeg", jpeg.len() as u64)).await;
    api.upload(&announced["upload"], jpeg).await;
    let photo = format!("{photos}/{}", announced["id"].as_str().unwrap());
    api.call("GET", &photos, None, None, 200).await;
    api.call("GET", &photo, None, None, 200).await;
    api.call("PATCH", &photo, owner_token, Some(json!({"position": 0, "caption": "Hall"})), 200).await;
    api.call("PATCH", &photo, stranger, Some(json!({"caption": "Mine"})), 403).await;
    api.call("POST", &photos, stranger, Some(new_photo("image/png", 10)), 403).await;
    api.call("DELETE", &photo, stranger, None, 403).await;
    api.call("DELETE", &photo, owner_token, None, 204).await;

    // the change feed; webhooks: an endpoint of the stranger's (on this
    // machine), every route, and the webhooks function's work: each change
    // of the feed fanned out, each delivery attempted
    api.call("GET", "/changes/snapshot", None, None, 200).await;
    api.call("GET", "/changes?limit=5", None, None, 200).await;
    let receiver = receiver().await;
    let hook = json!({"url": format!("http://{receiver}/hook"), "events": ["listing.updated", "listing.deleted"]});
    let hook = api.call("POST", "/webhooks", stranger, Some(hook), 201).await;
    let hook = format!("/webhooks/{}", hook["id"].as_str().unwrap());
    // Two that fail: one answers 410 (disabled), one 500 (failing since).
    for (path, city) in [("gone", Some("Nice")), ("failing", None)] {
        let mut failing = json!({"url": format!("http://{receiver}/{path}"), "events": ["listing.updated"]});
        if let Some(city) = city {
            failing["city"] = json!(city);
        }
        api.call("POST", "/webhooks", stranger, Some(failing), 201).await;
    }
    api.call("GET", "/webhooks", stranger, None, 200).await;
    api.call("GET", &hook, stranger, None, 200).await;
    api.call("GET", &hook, owner_token, None, 404).await;
    api.call("PATCH", &hook, stranger, Some(json!({"enabled": false})), 200).await;
    api.call("PATCH", &hook, stranger, Some(json!({"enabled": true, "city": "Nice"})), 200).await;
    api.call("POST", &format!("{hook}/rotate-secret"), stranger, None, 200).await;
    api.call("POST", &format!("{hook}/test"), stranger, None, 200).await;
    api.call("PATCH", &property, owner_token, Some(json!({"name": "Seen by the hook"})), 200).await;
    api.deliver_webhooks().await;
    api.call("GET", &format!("{hook}/deliveries"), stranger, None, 200).await;
    api.call("DELETE", &hook, stranger, None, 204).await;

    // favourites, saved searches and alerts: each user keeps the other's
    // listing and saves a search that matches it, then each lowers a price;
    // the notifications function's work: each change of the feed matched;
    // an inbox read and marked, the one-click unsubscribe
    let mut studio = new_property("Studio", "Nice", "studio", 1);
    studio["price"] = json!({"amount": 120000, "currency": "EUR"});
    let studio = api.call("POST", "/properties", stranger, Some(studio), 201).await;
    let studio = format!("/properties/{}", studio["id"].as_str().unwrap());
    let kept = property.replace("/properties/", "/users/me/favourites/");
    api.call("PUT", &kept, stranger, None, 201).await;
    api.call("PUT", &kept, stranger, None, 200).await;
    api.call("PUT", &studio.replace("/properties/", "/users/me/favourites/"), owner_token, None, 201).await;
    api.call("GET", "/users/me/favourites", stranger, None, 200).await;
    let nice = json!({"name": "Nice", "filter": {"city": "Nice"}, "alerts": {"email": true}});
    let daily =
        json!({"name": "Nice, daily", "filter": {"city": "Nice"}, "alerts": {"frequency": "daily", "email": true}});
    api.call("POST", "/users/me/saved-searches", owner_token, Some(daily), 201).await;
    let search = api.call("POST", "/users/me/saved-searches", stranger, Some(nice), 201).await;
    let search = format!("/users/me/saved-searches/{}", search["id"].as_str().unwrap());
    api.call("GET", "/users/me/saved-searches", stranger, None, 200).await;
    api.call("GET", &search, stranger, None, 200).await;
    api.call("PATCH", &search, stranger, Some(json!({"name": "Nice, again"})), 200).await;
    api.call("GET", &format!("{search}/results"), stranger, None, 200).await;
    api.call("GET", &search, owner_token, None, 404).await;
    let cheaper = |euros: u64| json!({"price": {"amount": euros, "currency": "EUR"}});
    api.call("PATCH", &property, owner_token, Some(cheaper(240_000)), 200).await;
    api.call("PATCH", &studio, stranger, Some(cheaper(110_000)), 200).await;
    let unsubscribe = api.notify().await;
    let inbox = api.call("GET", "/users/me/notifications", stranger, None, 200).await;
    let newest = json!({"up_to": inbox["items"][0]["id"]});
    api.call("POST", "/users/me/notifications/read", stranger, Some(newest), 204).await;
    api.call("GET", &unsubscribe, None, None, 200).await;
    api.call("POST", &unsubscribe, None, None, 200).await;
    api.call("DELETE", &search, stranger, None, 204).await;
    api.call("DELETE", &kept, stranger, None, 204).await;

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

    // media: every change above, the deletions included, on the clusters
    api.apply_stream(&mut stream).await;

    let every_route: BTreeSet<String> = ROUTES.iter().map(|route| format!("{} {}", route.method, route.path)).collect();
    assert_eq!(api.driven, every_route, "every route of every function is driven");
    api.recorded
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
    assert_eq!(
        functions,
        ["media", "notifications", "properties", "rooms", "users", "webhooks"],
        "only the HTTP, media, webhooks and notifications functions get DynamoDB access"
    );
    for (function, statements) in &sam {
        for statement in statements {
            assert_eq!(statement.condition, CONDITION, "{function}/{}", statement.sid);
            assert!(!statement.leading_keys.is_empty(), "{function}/{}: no {LEADING_KEYS}", statement.sid);
            assert!(!statement.actions.is_empty(), "{function}/{}: no action", statement.sid);
        }
    }
}

#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn each_role_allows_exactly_the_dynamodb_calls_of_its_function() {
    let recorded = record_every_route().await;
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

/// A webhook receiver on this machine: `/gone` answers 410, `/failing`
/// 500, anything else 204.
async fn receiver() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    use axum::http::StatusCode;
    let app = axum::Router::new()
        .route("/gone", axum::routing::post(|| async { StatusCode::GONE }))
        .route("/failing", axum::routing::post(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .fallback(|| async { StatusCode::NO_CONTENT });
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}
