//! Wave items: `BATCH#{id}` / `W#{number:05}`.

use std::collections::HashSet;

use batchmsg_core::batch::{BatchId, Wave};
use batchmsg_core::delivery::{WaveEvent, WaveStatus};
use batchmsg_core::ports::{PortResult, WaveRepo};
use chrono::{DateTime, Utc};

use super::item::{Item, Read, millis, n, s};
use super::keys::{
    GSI2, GSI2PK, GSI2SK, PK, SK, UNRELEASED_WAVES, WAVE_PREFIX, attr, batch_id_of, batch_pk,
    check_wave, due_before, key, sk_of, unreleased_wave_sk, wave_number_of, wave_sk,
};
use super::moves::{Change, Move};
use super::recipients::first_of_each;
use super::write::put_request;
use super::{DynamoError, DynamoRepos};

fn wave_item(batch_pk: &str, wave: &Wave) -> Item {
    let mut item = key(batch_pk.to_owned(), wave_sk(wave.number));
    item.extend([
        (attr::FIRST.to_owned(), n(wave.first)),
        (attr::SIZE.to_owned(), n(wave.size)),
        (attr::DUE.to_owned(), millis(wave.due)),
        (attr::STATUS.to_owned(), s(WaveStatus::Pending.as_str())),
        (GSI2PK.to_owned(), s(UNRELEASED_WAVES)),
        (
            GSI2SK.to_owned(),
            s(unreleased_wave_sk(
                wave.due.timestamp_millis(),
                batch_pk,
                wave.number,
            )),
        ),
    ]);
    item
}

fn wave_from(item: &Item) -> Result<Wave, DynamoError> {
    let read = Read::new(item, "wave");
    Ok(Wave {
        number: wave_number_of(read.s(SK)?).ok_or(DynamoError::BadItem {
            kind: "wave",
            attribute: SK,
        })?,
        first: read.n(attr::FIRST)?,
        size: read.n(attr::SIZE)?,
        due: read.time(attr::DUE)?,
        status: read.parsed(attr::STATUS)?,
    })
}

impl DynamoRepos {
    /// A strongly consistent Query of the batch's wave items, projecting
    /// `projection` (or everything), page by page, in number order.
    async fn wave_items(
        &self,
        batch: &BatchId,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, DynamoError> {
        self.query_all(|| {
            self.client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(batch_pk(batch)))
                .expression_attribute_values(":prefix", s(WAVE_PREFIX))
                .set_projection_expression(projection.map(str::to_owned))
        })
        .await
    }
}

impl WaveRepo for DynamoRepos {
    /// Stores the waves not yet stored, as `pending`: one Query of the
    /// batch's wave keys, then BatchWriteItem of the new ones (25 a
    /// request). Waves are stored once, by `schedule_batch` before the batch
    /// is `scheduled`; a repeat finds them and writes nothing.
    async fn insert_waves(&self, batch: &BatchId, waves: &[Wave]) -> PortResult<()> {
        let waves = first_of_each(waves, |w| w.number);
        for wave in &waves {
            check_wave(wave.number)?;
        }
        if waves.is_empty() {
            return Ok(());
        }
        let stored = self.wave_items(batch, Some("#sk")).await?;
        let present: HashSet<&str> = stored.iter().filter_map(sk_of).collect();
        let pk = batch_pk(batch);
        let writes = waves
            .iter()
            .filter(|w| !present.contains(wave_sk(w.number).as_str()))
            .map(|w| put_request(wave_item(&pk, w)))
            .collect::<Result<Vec<_>, _>>()?;
        self.write_all(writes).await?;
        Ok(())
    }

    /// A strongly consistent Query of `W#` keys, in number order.
    async fn waves(&self, batch: &BatchId) -> PortResult<Vec<Wave>> {
        let items = self.wave_items(batch, None).await?;
        Ok(items.iter().map(wave_from).collect::<Result<_, _>>()?)
    }

    /// A Query of GSI2's unreleased waves due before `before`, page by
    /// page: one request a sweep when none is overdue, however many waves
    /// the table holds.
    async fn unreleased_due_before(
        &self,
        before: DateTime<Utc>,
    ) -> PortResult<Vec<(BatchId, Wave)>> {
        let items = self
            .query_all(|| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI2)
                    .key_condition_expression("#gsi2pk = :waves AND #gsi2sk < :before")
                    .expression_attribute_names("#gsi2pk", GSI2PK)
                    .expression_attribute_names("#gsi2sk", GSI2SK)
                    .expression_attribute_values(":waves", s(UNRELEASED_WAVES))
                    .expression_attribute_values(
                        ":before",
                        s(due_before(before.timestamp_millis())),
                    )
            })
            .await?;
        let mut overdue = Vec::with_capacity(items.len());
        for item in &items {
            let read = Read::new(item, "wave");
            let batch = batch_id_of(read.s(PK)?).ok_or(DynamoError::BadItem {
                kind: "wave",
                attribute: PK,
            })?;
            let wave = wave_from(item)?;
            // The index is eventually consistent: a wave may have moved on.
            if !wave.status.is_final() {
                overdue.push((batch, wave));
            }
        }
        Ok(overdue)
    }

    /// One conditional UpdateItem; a wave released or cancelled leaves the
    /// unreleased waves (GSI2).
    async fn wave_event(&self, batch: &BatchId, wave: u32, event: WaveEvent) -> PortResult<bool> {
        let Some(m) = Move::wave(event)? else {
            return Ok(false);
        };
        if wave > super::MAX_WAVE {
            return Ok(false);
        }
        let to: WaveStatus = m.to.parse().map_err(|_| DynamoError::BadItem {
            kind: "wave",
            attribute: attr::STATUS,
        })?;
        let mut change = Change::new(key(batch_pk(batch), wave_sk(wave)), &m);
        if to.is_final() {
            change = change.remove(GSI2PK);
        }
        Ok(self.update(&change, false).await?.happened())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_wave_item_reads_back_as_the_wave_pending() {
        let wave = Wave {
            number: 3,
            first: 8,
            size: 2,
            due: Utc.with_ymd_and_hms(2026, 6, 3, 8, 0, 0).unwrap(),
            status: WaveStatus::Released,
        };
        let item = wave_item("BATCH#b", &wave);
        assert_eq!(
            wave_from(&item).unwrap(),
            Wave {
                status: WaveStatus::Pending,
                ..wave
            }
        );
    }
}
