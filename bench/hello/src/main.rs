//! Hello world on `lambda_runtime`, built with the functions' release
//! profile: the baseline `make bench` compares each function's cold start
//! to. It is a workspace member only for that; nothing deploys it.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async { Ok::<_, Error>(json!({ "statusCode": 200 })) }))
        .await
}
