//! Attribute values in and out. A bad attribute is reported by name, never
//! by its value.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use batchmsg_core::mobile::UkMobile;
use chrono::{DateTime, Utc};

use super::DynamoError;

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn millis(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp_millis())
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Reads the attributes of one stored item of `kind`.
pub(crate) struct Read<'a> {
    item: &'a Item,
    kind: &'static str,
}

impl<'a> Read<'a> {
    pub(crate) fn new(item: &'a Item, kind: &'static str) -> Self {
        Self { item, kind }
    }

    fn bad(&self, attribute: &'static str) -> DynamoError {
        DynamoError::BadItem {
            kind: self.kind,
            attribute,
        }
    }

    pub(crate) fn opt_s(&self, attribute: &'static str) -> Result<Option<&'a str>, DynamoError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(value)) => Ok(Some(value)),
            Some(_) => Err(self.bad(attribute)),
        }
    }

    pub(crate) fn s(&self, attribute: &'static str) -> Result<&'a str, DynamoError> {
        self.opt_s(attribute)?.ok_or_else(|| self.bad(attribute))
    }

    pub(crate) fn opt_n<T: FromStr>(
        &self,
        attribute: &'static str,
    ) -> Result<Option<T>, DynamoError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(value)) => {
                value.parse().map(Some).map_err(|_| self.bad(attribute))
            }
            Some(_) => Err(self.bad(attribute)),
        }
    }

    pub(crate) fn n<T: FromStr>(&self, attribute: &'static str) -> Result<T, DynamoError> {
        self.opt_n(attribute)?.ok_or_else(|| self.bad(attribute))
    }

    pub(crate) fn opt_time(
        &self,
        attribute: &'static str,
    ) -> Result<Option<DateTime<Utc>>, DynamoError> {
        Ok(self.opt_n::<i64>(attribute)?.map(from_millis))
    }

    pub(crate) fn time(&self, attribute: &'static str) -> Result<DateTime<Utc>, DynamoError> {
        self.opt_time(attribute)?.ok_or_else(|| self.bad(attribute))
    }

    /// A string attribute parsed (a status, an id).
    pub(crate) fn parsed<T: FromStr>(&self, attribute: &'static str) -> Result<T, DynamoError> {
        self.s(attribute)?.parse().map_err(|_| self.bad(attribute))
    }

    /// A mobile this service stored, checked for its shape only (see
    /// [`UkMobile::from_stored_e164`]: the full parser would link
    /// libphonenumber into every function that reads recipients).
    pub(crate) fn stored_mobile(&self, attribute: &'static str) -> Result<UkMobile, DynamoError> {
        UkMobile::from_stored_e164(self.s(attribute)?).map_err(|_| self.bad(attribute))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_by_type_and_a_bad_one_is_named_not_shown() {
        let item = Item::from([
            ("a".to_owned(), s("text")),
            ("b".to_owned(), n(42)),
            ("c".to_owned(), millis(from_millis(1_764_061_200_123))),
            ("d".to_owned(), s("9990000001")),
        ]);
        let read = Read::new(&item, "recipient");
        assert_eq!(read.s("a").unwrap(), "text");
        assert_eq!(read.n::<u32>("b").unwrap(), 42);
        assert_eq!(
            read.time("c").unwrap().timestamp_millis(),
            1_764_061_200_123
        );
        assert_eq!(read.opt_s("missing").unwrap(), None);
        let error = read.n::<u32>("d").unwrap_err().to_string();
        assert_eq!(error, "a stored recipient item has no usable d");
        assert!(!error.contains("9990000001"));
    }
}
