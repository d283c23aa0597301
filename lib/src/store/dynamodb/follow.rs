//! The table's stream, read in process: on AWS the media function's event
//! source mapping delivers it, here the local server (on a DynamoDB table)
//! and the tests read it themselves and apply each property record as the
//! function does (`media::events`: the map clusters; photo files are the
//! media function's, and the local server's own).

use super::{DynamoStore, listing_change};
use crate::store::{ClusterStore, StoreError, StoreResult};
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// Follows the stream of a store's table, shard by shard, from its oldest
/// record on.
pub struct StreamFollower {
    store: DynamoStore,
    streams: Client,
    stream: Option<String>,
    /// Each shard's next iterator; `None` once a closed shard is read.
    iterators: BTreeMap<String, Option<String>>,
}

impl StreamFollower {
    pub fn new(store: DynamoStore, streams: Client) -> Self {
        Self { store, streams, stream: None, iterators: BTreeMap::new() }
    }

    /// Reads and applies every record the stream holds now; answers how
    /// many records it applied.
    pub async fn catch_up(&mut self) -> StoreResult<usize> {
        let stream = match &self.stream {
            Some(stream) => stream.clone(),
            None => {
                let table = self.store.client().describe_table().table_name(self.store.table()).send().await;
                let table = table.map_err(|e| StoreError::Unavailable(format!("describing the table: {e}")))?;
                let stream = table.table().and_then(|table| table.latest_stream_arn()).map(str::to_owned);
                let stream = stream.ok_or_else(|| StoreError::Internal("the table has no stream".into()))?;
                self.stream.insert(stream).clone()
            }
        };
        let described = self.streams.describe_stream().stream_arn(&stream).send().await;
        let described = described.map_err(|e| StoreError::Unavailable(format!("describing the stream: {e}")))?;
        for shard in described.stream_description().map(|d| d.shards()).unwrap_or_default() {
            let Some(id) = shard.shard_id() else { continue };
            if !self.iterators.contains_key(id) {
                let iterator = self
                    .streams
                    .get_shard_iterator()
                    .stream_arn(&stream)
                    .shard_id(id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("opening shard {id}: {e}")))?;
                self.iterators.insert(id.to_owned(), iterator.shard_iterator().map(str::to_owned));
            }
        }
        let mut applied = 0;
        for iterator in self.iterators.values_mut() {
            while let Some(current) = iterator.clone() {
                let read = self.streams.get_records().shard_iterator(current).send().await;
                let read = read.map_err(|e| StoreError::Unavailable(format!("reading the stream: {e}")))?;
                *iterator = read.next_shard_iterator().map(str::to_owned);
                if read.records().is_empty() {
                    break;
                }
                for record in read.records() {
                    if let Some(change) = listing_change(&lambda_record(record))? {
                        self.store.count_change(&change).await?;
                    }
                    applied += 1;
                }
            }
        }
        Ok(applied)
    }
}

/// A record as Lambda delivers it to the media function.
fn lambda_record(record: &Record) -> Value {
    let image = |image: Option<&HashMap<String, AttributeValue>>| {
        image.map_or(Value::Null, |image| Value::Object(image.iter().map(|(n, v)| (n.clone(), json_of(v))).collect()))
    };
    let change = record.dynamodb();
    json!({
        "eventSource": "aws:dynamodb",
        "eventName": record.event_name().map(|name| name.as_str()),
        "dynamodb": {
            "Keys": image(change.and_then(|c| c.keys.as_ref())),
            "NewImage": image(change.and_then(|c| c.new_image.as_ref())),
            "OldImage": image(change.and_then(|c| c.old_image.as_ref())),
        },
    })
}

/// An attribute value in DynamoDB JSON.
fn json_of(value: &AttributeValue) -> Value {
    let bytes = |blob: &aws_sdk_dynamodbstreams::primitives::Blob| {
        Value::String(base64::engine::general_purpose::STANDARD.encode(blob.as_ref()))
    };
    match value {
        AttributeValue::S(text) => json!({ "S": text }),
        AttributeValue::N(number) => json!({ "N": number }),
        AttributeValue::Bool(boolean) => json!({ "BOOL": boolean }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::B(blob) => json!({ "B": bytes(blob) }),
        AttributeValue::Ss(texts) => json!({ "SS": texts }),
        AttributeValue::Ns(numbers) => json!({ "NS": numbers }),
        AttributeValue::Bs(blobs) => json!({ "BS": blobs.iter().map(bytes).collect::<Vec<_>>() }),
        AttributeValue::L(list) => json!({ "L": list.iter().map(json_of).collect::<Vec<_>>() }),
        AttributeValue::M(map) => {
            json!({ "M": Value::Object(map.iter().map(|(n, v)| (n.clone(), json_of(v))).collect::<Map<_, _>>()) })
        }
        _ => Value::Null,
    }
}
