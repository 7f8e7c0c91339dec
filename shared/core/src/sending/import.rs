//! Accepted rows become recipients, each with the text they will get.

use crate::batch::{Recipient, Seq};
use crate::message::Template;
use crate::validation::{AcceptedRow, Layout, NotAcceptedRow, SinkError, ValidationSink};

/// Recipients are handed on in chunks this size (a transaction locally,
/// 25-item requests on DynamoDB).
pub const IMPORT_CHUNK: usize = 5_000;

/// A validation sink that renders each accepted row's text and hands the
/// recipients to `store` in chunks, while passing every row on to `inner`
/// (the reports).
pub struct RecipientRows<'t, S, F> {
    inner: S,
    template: &'t Template,
    store: F,
    slots: Vec<usize>,
    chunk: Vec<Recipient>,
    next_seq: Seq,
}

impl<'t, S, F> RecipientRows<'t, S, F>
where
    S: ValidationSink,
    F: FnMut(Vec<Recipient>) -> Result<(), SinkError>,
{
    pub fn new(inner: S, template: &'t Template, store: F) -> Self {
        Self {
            inner,
            template,
            store,
            slots: Vec::new(),
            chunk: Vec::with_capacity(IMPORT_CHUNK),
            next_seq: 0,
        }
    }

    /// Stores the last chunk and hands back the inner sink.
    pub fn finish(mut self) -> Result<S, SinkError> {
        if !self.chunk.is_empty() {
            (self.store)(std::mem::take(&mut self.chunk))?;
        }
        Ok(self.inner)
    }
}

impl<S, F> ValidationSink for RecipientRows<'_, S, F>
where
    S: ValidationSink,
    F: FnMut(Vec<Recipient>) -> Result<(), SinkError>,
{
    fn start(&mut self, layout: &Layout) -> Result<(), SinkError> {
        self.slots = layout.placeholder_slots.clone();
        self.inner.start(layout)
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.inner.accepted(row)?;
        let preview = self
            .template
            .preview(|i| row.personalisation[self.slots[i]].as_str())
            .map_err(|_| "an accepted row has an empty placeholder with no fallback")?;
        self.chunk.push(Recipient {
            seq: self.next_seq,
            row: row.row,
            nhs_number: row.nhs_number,
            mobile: row.mobile,
            encoding: preview.length.encoding,
            fragments: preview.length.fragments as u32,
            body: preview.text.into(),
        });
        self.next_seq += 1;
        if self.chunk.len() == IMPORT_CHUNK {
            (self.store)(std::mem::replace(
                &mut self.chunk,
                Vec::with_capacity(IMPORT_CHUNK),
            ))?;
        }
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        self.inner.not_accepted(row)
    }
}
