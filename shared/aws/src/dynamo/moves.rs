//! A state change as one conditional update: the condition
//! `#status IN (:s0, …)` lists the core's `sources(event)`, the new status
//! is the core's `apply`, so the table allows exactly the moves the core
//! does.

use std::collections::HashMap;
use std::fmt::Debug;

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use batchmsg_core::delivery::{
    BatchEvent, BatchStatus, IllegalTransition, RecipientEvent, RecipientStatus, WaveEvent,
    WaveStatus,
};

use super::DynamoError;
use super::item::{Item, s};
use super::keys::attr;

/// The states an event moves from, and the one state it moves them to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Move {
    pub(crate) sources: Vec<&'static str>,
    pub(crate) to: &'static str,
}

impl Move {
    /// `None` when no state accepts the event (nothing can move).
    fn of<S: Copy, E: Copy + Debug>(
        event: E,
        sources: fn(E) -> Vec<S>,
        apply: fn(S, E) -> Result<S, IllegalTransition>,
        name: fn(S) -> &'static str,
    ) -> Result<Option<Self>, DynamoError> {
        let mut to = None;
        let mut names = Vec::new();
        for from in sources(event) {
            let next = apply(from, event).map_err(|_| DynamoError::Branching {
                event: format!("{event:?}"),
            })?;
            match to {
                None => to = Some(name(next)),
                Some(to) if to == name(next) => {}
                Some(_) => {
                    return Err(DynamoError::Branching {
                        event: format!("{event:?}"),
                    });
                }
            }
            names.push(name(from));
        }
        Ok(to.map(|to| Move { sources: names, to }))
    }

    pub(crate) fn recipient(event: RecipientEvent) -> Result<Option<Self>, DynamoError> {
        Self::of(
            event,
            RecipientStatus::sources,
            RecipientStatus::apply,
            RecipientStatus::as_str,
        )
    }

    pub(crate) fn wave(event: WaveEvent) -> Result<Option<Self>, DynamoError> {
        Self::of(
            event,
            WaveStatus::sources,
            WaveStatus::apply,
            WaveStatus::as_str,
        )
    }

    pub(crate) fn batch(event: BatchEvent) -> Result<Option<Self>, DynamoError> {
        Self::of(
            event,
            BatchStatus::sources,
            BatchStatus::apply,
            BatchStatus::as_str,
        )
    }
}

/// One conditional update of one item: the move, and what else it sets,
/// removes or requires. Every attribute goes through a `#name` placeholder
/// (`status`, `size`, `first` and others are reserved words).
#[derive(Clone, Debug)]
pub(crate) struct Change {
    pub(crate) key: Item,
    /// The status the move leads to.
    to: &'static str,
    /// An attribute and a value only this change writes: an item found in
    /// `to` with it was moved by this change (see [`Change::mark`]).
    mark: Option<(&'static str, AttributeValue)>,
    sets: Vec<String>,
    removes: Vec<String>,
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Change {
    pub(crate) fn new(key: Item, m: &Move) -> Self {
        let mut change = Self {
            key,
            to: m.to,
            mark: None,
            sets: Vec::new(),
            removes: Vec::new(),
            conditions: Vec::new(),
            names: HashMap::new(),
            values: HashMap::new(),
        };
        change.name(attr::STATUS);
        let placeholders: Vec<String> = m
            .sources
            .iter()
            .enumerate()
            .map(|(i, source)| {
                let placeholder = format!(":s{i}");
                change.values.insert(placeholder.clone(), s(*source));
                placeholder
            })
            .collect();
        change.conditions.push(format!(
            "#{} IN ({})",
            attr::STATUS,
            placeholders.join(", ")
        ));
        change.set(attr::STATUS, s(m.to))
    }

    fn name(&mut self, attribute: &'static str) {
        self.names
            .insert(format!("#{attribute}"), attribute.to_owned());
    }

    pub(crate) fn set(mut self, attribute: &'static str, value: AttributeValue) -> Self {
        self.name(attribute);
        self.values.insert(format!(":{attribute}"), value);
        self.sets.push(format!("#{attribute} = :{attribute}"));
        self
    }

    pub(crate) fn remove(mut self, attribute: &'static str) -> Self {
        self.name(attribute);
        self.removes.push(format!("#{attribute}"));
        self
    }

    /// Sets the attribute, or removes it for `None`.
    pub(crate) fn set_or_remove(
        self,
        attribute: &'static str,
        value: Option<AttributeValue>,
    ) -> Self {
        match value {
            Some(value) => self.set(attribute, value),
            None => self.remove(attribute),
        }
    }

    /// Sets the attribute to `value` unless it holds a later one (a time):
    /// an item holding one fails the condition and keeps it.
    pub(crate) fn raise(mut self, attribute: &'static str, value: AttributeValue) -> Self {
        self.name(attribute);
        self.conditions.push(format!(
            "(attribute_not_exists(#{attribute}) OR #{attribute} < :{attribute})"
        ));
        self.set(attribute, value)
    }

    /// Sets the attribute to `value`, a value no other change writes (a
    /// random token): an item whose condition fails but which is already in
    /// the new status with that value was moved by this very change, by a
    /// request whose answer was lost and which the SDK then sent again.
    pub(crate) fn mark(mut self, attribute: &'static str, value: AttributeValue) -> Self {
        self.mark = Some((attribute, value.clone()));
        self.set(attribute, value)
    }

    /// Whether `item`, found when this change's condition failed, holds
    /// what this change wrote: `false` for a change with no mark.
    pub(crate) fn made(&self, item: &Item) -> bool {
        let Some((attribute, value)) = &self.mark else {
            return false;
        };
        item.get(attr::STATUS) == Some(&s(self.to)) && item.get(*attribute) == Some(value)
    }

    pub(crate) fn is_marked(&self) -> bool {
        self.mark.is_some()
    }

    /// Also requires the attribute to hold `value`.
    pub(crate) fn require(mut self, attribute: &'static str, value: AttributeValue) -> Self {
        self.name(attribute);
        self.values.insert(format!(":want_{attribute}"), value);
        self.conditions
            .push(format!("#{attribute} = :want_{attribute}"));
        self
    }

    pub(crate) fn update_expression(&self) -> String {
        let mut expression = format!("SET {}", self.sets.join(", "));
        if !self.removes.is_empty() {
            expression.push_str(" REMOVE ");
            expression.push_str(&self.removes.join(", "));
        }
        expression
    }

    pub(crate) fn condition_expression(&self) -> String {
        self.conditions.join(" AND ")
    }

    pub(crate) fn names(&self) -> HashMap<String, String> {
        self.names.clone()
    }

    pub(crate) fn values(&self) -> HashMap<String, AttributeValue> {
        self.values.clone()
    }

    pub(crate) fn transact_update(&self, table: &str) -> Result<Update, DynamoError> {
        Ok(Update::builder()
            .table_name(table)
            .set_key(Some(self.key.clone()))
            .update_expression(self.update_expression())
            .condition_expression(self.condition_expression())
            .set_expression_attribute_names(Some(self.names()))
            .set_expression_attribute_values(Some(self.values()))
            .build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::item::n;
    use crate::dynamo::keys::key;

    const RECIPIENT_EVENTS: [RecipientEvent; 8] = [
        RecipientEvent::Claim,
        RecipientEvent::Published,
        RecipientEvent::Throttled,
        RecipientEvent::TechnicalFailure,
        RecipientEvent::Delivered,
        RecipientEvent::TemporaryFailure,
        RecipientEvent::PermanentFailure,
        RecipientEvent::Cancel,
    ];

    #[test]
    fn every_core_event_is_one_conditional_update() {
        for event in RECIPIENT_EVENTS {
            let m = Move::recipient(event)
                .unwrap()
                .expect("some state accepts it");
            let expected: Vec<&str> = RecipientStatus::sources(event)
                .into_iter()
                .map(RecipientStatus::as_str)
                .collect();
            assert_eq!(m.sources, expected, "{event:?}");
        }
        for event in [
            WaveEvent::StartRelease,
            WaveEvent::FinishRelease,
            WaveEvent::Cancel,
        ] {
            assert!(Move::wave(event).unwrap().is_some(), "{event:?}");
        }
        for event in [
            BatchEvent::Schedule,
            BatchEvent::StartSending,
            BatchEvent::Complete,
            BatchEvent::Cancel,
        ] {
            assert!(Move::batch(event).unwrap().is_some(), "{event:?}");
        }
    }

    #[test]
    fn a_change_lists_the_sources_and_sets_the_new_state() {
        let m = Move::recipient(RecipientEvent::Delivered).unwrap().unwrap();
        assert_eq!(
            m,
            Move {
                sources: vec!["sent", "temporary-failure"],
                to: "delivered"
            }
        );
        let change = Change::new(key("BATCH#b".into(), "R#0000001"), &m)
            .require(attr::PROVIDER_ID, s("p-1"))
            .set(attr::RECEIPT_AT, n(5))
            .remove(attr::REASON);
        assert_eq!(
            change.condition_expression(),
            "#status IN (:s0, :s1) AND #provider_id = :want_provider_id"
        );
        assert_eq!(
            change.update_expression(),
            "SET #status = :status, #receipt_at = :receipt_at REMOVE #reason"
        );
        let values = change.values();
        assert_eq!(values[":s0"], s("sent"));
        assert_eq!(values[":s1"], s("temporary-failure"));
        assert_eq!(values[":status"], s("delivered"));
        assert_eq!(change.names()["#status"], "status");
    }

    #[test]
    fn a_marked_change_knows_its_own_write() {
        let m = Move::recipient(RecipientEvent::Claim).unwrap().unwrap();
        let change =
            Change::new(key("BATCH#b".into(), "R#0000001"), &m).mark(attr::CLAIM_TOKEN, s("t-1"));
        assert!(
            change
                .update_expression()
                .contains("#claim_token = :claim_token")
        );
        let mut item = key("BATCH#b".into(), "R#0000001");
        item.insert(attr::STATUS.into(), s("sending"));
        item.insert(attr::CLAIM_TOKEN.into(), s("t-1"));
        assert!(change.made(&item));
        item.insert(attr::CLAIM_TOKEN.into(), s("t-2"));
        assert!(!change.made(&item), "another claim");
        item.insert(attr::CLAIM_TOKEN.into(), s("t-1"));
        item.insert(attr::STATUS.into(), s("sent"));
        assert!(!change.made(&item), "moved on since");
        let plain = Change::new(key("BATCH#b".into(), "R#0000001"), &m);
        assert!(!plain.made(&item) && !plain.is_marked());
    }

    #[test]
    fn branching_moves_are_refused() {
        #[derive(Clone, Copy, Debug)]
        struct Go;
        let branching = Move::of(
            Go,
            |_| vec![1u8, 2u8],
            |from, _| Ok(from + 1),
            |s| if s == 2 { "two" } else { "other" },
        );
        assert!(matches!(branching, Err(DynamoError::Branching { .. })));
        let nothing = Move::of(Go, |_| Vec::<u8>::new(), |from, _| Ok(from), |_| "x");
        assert_eq!(nothing.unwrap(), None);
    }
}
