//! The table read straight, for tests that check what the adapters stored
//! (keys, expiry stamps) rather than what the ports return.

use aws_sdk_dynamodb::types::AttributeValue;
use batchmsg_aws::dynamo::DynamoRepos;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// Every item of the table, page by page.
pub async fn every_item(repos: &DynamoRepos) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = repos
            .client()
            .scan()
            .table_name(repos.table())
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return items,
        }
    }
}

/// A string attribute of `item`, if it has one called `name`.
pub fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// A number attribute of `item` as a whole number, if it has one called `name`.
pub fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .map(|n| n.parse().unwrap())
}
