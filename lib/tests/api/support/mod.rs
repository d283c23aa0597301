//! Shared by every test module: the stores to run against, the app to call
//! without a socket, domain fixtures, and the repository's files.

mod app;
mod dynamodb;
pub mod fixtures;
pub mod receiver;
pub mod routes;

pub use app::{
    LOCAL_URL, PASSWORD, Reply, TestApp, concrete, new_photo, new_property, new_room, registration, test_keys,
    test_policy,
};
pub use dynamodb::{
    CallLog, TEST_FEED_SETTLE, counted_dynamo_store, dynamo_store, stream_follower, unreachable_dynamo_store,
};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A path in the repository, given from its root (the workspace, above `lib/`).
pub fn repo_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The text of a file of the repository, given from its root.
pub fn read_repo_file(path: &str) -> String {
    std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Asserts that a file declares exactly `expected`, naming what is missing
/// from it and what it has too many, rather than printing both sets whole.
#[track_caller]
pub fn assert_declares<T: Ord + std::fmt::Debug>(file: &str, declared: &BTreeSet<T>, expected: &BTreeSet<T>) {
    let missing: Vec<&T> = expected.difference(declared).collect();
    let extra: Vec<&T> = declared.difference(expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{file}: missing {missing:#?}\n{file}: not expected {extra:#?}");
}

/// The repository's structured files, read with their parsers: what a test
/// holds a file to is its content, never its layout.
pub mod files {
    use super::read_repo_file;
    use serde_json::{Value, json};

    /// `template.yaml` as CloudFormation reads it, in its JSON form: aliases
    /// expanded, and each short-form intrinsic function in its long form:
    /// `!Ref x` is `{"Ref": "x"}`, `!GetAtt a.b` is `{"Fn::GetAtt": ["a", "b"]}`,
    /// `!Sub s` is `{"Fn::Sub": "s"}`, `!If [...]` is `{"Fn::If": [...]}`.
    pub fn sam_template() -> Value {
        use saphyr::{LoadableYamlNode, Yaml};
        let text = read_repo_file("template.yaml");
        let documents = Yaml::load_from_str(&text).unwrap_or_else(|e| panic!("template.yaml: {e}"));
        let [document] = documents.as_slice() else {
            panic!("template.yaml holds {} YAML documents, not one", documents.len());
        };
        cloudformation(document)
    }

    /// The resources of the template of type `kind`, by name.
    pub fn sam_resources<'a>(template: &'a Value, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> {
        let resources = template["Resources"].as_object().expect("template.yaml: Resources is a mapping");
        resources.iter().filter(move |(_, resource)| resource["Type"] == kind).map(|(name, r)| (name.as_str(), r))
    }

    /// The functions of the template (`AWS::Serverless::Function`), by
    /// name: `UsersFunction` is `users`.
    pub fn sam_functions(template: &Value) -> impl Iterator<Item = (String, &Value)> {
        sam_resources(template, "AWS::Serverless::Function").map(|(name, function)| {
            let stem = name.strip_suffix("Function");
            (
                stem.unwrap_or_else(|| panic!("template.yaml: {name} is not named <Name>Function")).to_lowercase(),
                function,
            )
        })
    }

    /// A YAML node of the template as JSON, its tags as intrinsic functions.
    fn cloudformation(node: &saphyr::Yaml) -> Value {
        use saphyr::{Scalar, Yaml};
        match node {
            Yaml::Value(Scalar::Null) => Value::Null,
            Yaml::Value(Scalar::Boolean(boolean)) => json!(boolean),
            Yaml::Value(Scalar::Integer(integer)) => json!(integer),
            Yaml::Value(Scalar::FloatingPoint(float)) => json!(float.into_inner()),
            Yaml::Value(Scalar::String(string)) => json!(string),
            Yaml::Sequence(items) => items.iter().map(cloudformation).collect(),
            Yaml::Mapping(entries) => entries
                .iter()
                .map(|(key, value)| {
                    let Yaml::Value(Scalar::String(key)) = key else {
                        panic!("template.yaml: a key that is not a string: {key:?}");
                    };
                    (key.to_string(), cloudformation(value))
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
            Yaml::Tagged(tag, node) => intrinsic(tag, cloudformation(node)),
            other => panic!("template.yaml: a node this reader does not know: {other:?}"),
        }
    }

    /// The long form of a short-form intrinsic function (`!Name value`).
    fn intrinsic(tag: &saphyr::Tag, value: Value) -> Value {
        const FUNCTIONS: [&str; 16] = [
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
        ];
        let name = tag.suffix.as_str();
        let known = tag.handle == "!" && (["Ref", "Condition", "GetAtt"].contains(&name) || FUNCTIONS.contains(&name));
        assert!(known, "template.yaml: {tag} is no CloudFormation intrinsic function");
        match (name, value) {
            ("Ref" | "Condition", value) => json!({ name: value }),
            // `!GetAtt Resource.Attribute`: the resource's name has no dot.
            ("GetAtt", Value::String(dotted)) => {
                let (resource, attribute) =
                    dotted.split_once('.').unwrap_or_else(|| panic!("template.yaml: !GetAtt {dotted}: no attribute"));
                json!({ "Fn::GetAtt": [resource, attribute] })
            }
            (name, value) => json!({ format!("Fn::{name}"): value }),
        }
    }

    /// A file of `terraform/`, parsed: its blocks and attributes, each
    /// attribute's expression unevaluated.
    pub fn terraform(file: &str) -> hcl::Body {
        let path = format!("terraform/{file}");
        hcl::parse(&read_repo_file(&path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The body of the one block `identifier "label" ... { }` of `body`.
    pub fn block<'a>(body: &'a hcl::Body, identifier: &str, labels: &[&str]) -> &'a hcl::Body {
        let mut found = body.blocks().filter(|block| {
            block.identifier() == identifier
                && block.labels().iter().map(hcl::BlockLabel::as_str).eq(labels.iter().copied())
        });
        let block = found.next().unwrap_or_else(|| panic!("no block {identifier} {labels:?}"));
        assert!(found.next().is_none(), "two blocks {identifier} {labels:?}");
        block.body()
    }

    /// The expression of the one attribute `key = ...` of `body`.
    pub fn attribute<'a>(body: &'a hcl::Body, key: &str) -> &'a hcl::Expression {
        let mut found = body.attributes().filter(|attribute| attribute.key() == key);
        let attribute = found.next().unwrap_or_else(|| panic!("no attribute {key}"));
        assert!(found.next().is_none(), "two attributes {key}");
        attribute.expr()
    }

    /// The expression of the one attribute `name` of the `locals` blocks.
    pub fn local<'a>(body: &'a hcl::Body, name: &str) -> &'a hcl::Expression {
        let mut found = body.blocks().filter(|block| block.identifier() == "locals").filter_map(|locals| {
            locals.body().attributes().find(|attribute| attribute.key() == name).map(hcl::Attribute::expr)
        });
        let expression = found.next().unwrap_or_else(|| panic!("no local.{name}"));
        assert!(found.next().is_none(), "two local.{name}");
        expression
    }

    /// A literal expression (no variable, reference or function) as `T`.
    pub fn literal<T: serde::de::DeserializeOwned>(expression: &hcl::Expression) -> T {
        use hcl::eval::{Context, Evaluate};
        let value = expression.evaluate(&Context::new()).unwrap_or_else(|e| panic!("not a literal: {expression}: {e}"));
        hcl::from_value(value).unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    /// An HCL expression, parsed: to compare with a file's, structurally.
    pub fn expression(text: &str) -> hcl::Expression {
        let body = hcl::parse(&format!("expression = {text}\n")).unwrap_or_else(|e| panic!("{text}: {e}"));
        attribute(&body, "expression").clone()
    }

    /// The workspace manifest, `Cargo.toml`, parsed into `T`.
    pub fn workspace_manifest<T: serde::de::DeserializeOwned>() -> T {
        toml::from_str(&read_repo_file("Cargo.toml")).unwrap_or_else(|e| panic!("Cargo.toml: {e}"))
    }
}

/// Runs each named case on both stores, as the tests `<case>::memory` and
/// `<case>::dynamodb`:
///
/// - `on_both_stores!(app: a, b)`: each case is an `async fn(TestApp)`, the
///   whole API over that store;
/// - `on_both_stores!(store: a, b)`: each case is an `async fn(impl Store)`;
/// - `on_both_stores!(app, multi_thread: a, b)`: as `app:`, on a runtime of
///   four worker threads, for the races.
///
/// The DynamoDB test runs on a fresh table of the `DYNAMODB_TEST_ENDPOINT`
/// server, and is ignored unless asked for (`--include-ignored`, as
/// `make test` does once it has started the server); asked for without the
/// server, it fails (see [`dynamo_store`]).
#[macro_export]
macro_rules! on_both_stores {
    (app: $($case:ident),+ $(,)?) => {
        $crate::on_both_stores!(@tests tokio::test, $crate::support::TestApp::new, $($case),+);
    };
    (app, multi_thread: $($case:ident),+ $(,)?) => {
        $crate::on_both_stores!(
            @tests tokio::test(flavor = "multi_thread", worker_threads = 4),
            $crate::support::TestApp::new,
            $($case),+
        );
    };
    (store: $($case:ident),+ $(,)?) => {
        $crate::on_both_stores!(@tests tokio::test, std::convert::identity, $($case),+);
    };
    (@tests $runtime:meta, $given:path, $($case:ident),+) => {$(
        mod $case {
            #[$runtime]
            async fn memory() {
                super::$case($given(estate::store::MemoryStore::new())).await;
            }

            #[$runtime]
            #[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
            async fn dynamodb() {
                super::$case($given($crate::support::dynamo_store().await)).await;
            }
        }
    )+};
}
