//! Where the retention run stopped in a batch (`expiry_cursor` on the batch
//! item), and where its next page goes.
//!
//! A batch's items live in several partitions: its recipient shards, then
//! its own partition (waves, after the batch item's `BATCH` sort key), the
//! batch item itself stamped last of all. Recipients are stamped in seq
//! order across every shard at once, a window of seqs a page, so that a
//! page's updates spread over the shards' keys rather than queue on one
//! (a shard is a function of seq: the cursor's seq says which shard and
//! where in it). A page asks each shard for its next items from the
//! cursor's seq, a block and one more; [`next_step`] works out which of
//! them to stamp and where the next page starts: exactly after the last
//! recipient stamped, and past any gap in the seqs however long.
//!
//! | `expiry_cursor` | next read |
//! |---|---|
//! | (none) | recipients from seq 0 |
//! | `R400` | recipients from seq 400 (all before it are stamped) |
//! | `B` | the batch's own partition after `BATCH` |
//! | `B/W#00002` | the batch's own partition after `W#00002` |
//!
//! A cursor it cannot read (none of these) starts the batch again:
//! stamping an item twice gives it the same expiry.

use batchmsg_core::batch::Seq;

use super::keys::BATCH_SK;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Recipients from this seq on are still to be stamped.
    Recipients(Seq),
    /// The batch's own partition after this sort key.
    Own(String),
}

impl Cursor {
    /// Where a batch's stamping starts.
    pub(crate) const START: Cursor = Cursor::Recipients(0);

    /// The batch's own partition from its start (after the batch item).
    pub(crate) fn own() -> Cursor {
        Cursor::Own(BATCH_SK.to_owned())
    }

    /// As stored in `expiry_cursor`.
    pub(crate) fn encode(&self) -> String {
        match self {
            Cursor::Recipients(seq) => format!("R{seq}"),
            Cursor::Own(after) if after == BATCH_SK => "B".to_owned(),
            Cursor::Own(after) => format!("B/{after}"),
        }
    }

    /// A stored `expiry_cursor`; `None` if it is not one.
    pub(crate) fn decode(text: &str) -> Option<Cursor> {
        if text == "B" {
            return Some(Cursor::own());
        }
        if let Some(after) = text.strip_prefix("B/") {
            return (!after.is_empty()).then(|| Cursor::Own(after.to_owned()));
        }
        let digits = text.strip_prefix('R')?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Cursor::Recipients)
    }
}

/// What one shard's Query from the cursor's seq returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ShardRead {
    /// The seqs of the items returned, in order.
    pub(crate) seqs: Vec<Seq>,
    /// The seq of the last item read when the shard may hold more after it
    /// (the Query's `LastEvaluatedKey`); `None`: nothing after.
    pub(crate) last_evaluated: Option<Seq>,
}

/// What a page of recipients stamps, and where the next page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    /// Stamp the items read whose seq is below this.
    pub(crate) below: Seq,
    /// The seq the next page starts from; `None`: no recipient is left.
    pub(crate) next: Option<Seq>,
}

/// The page from `from` over `window` seqs, given every shard's read: it
/// stamps what was read below the window's end and below the first seq any
/// shard has not answered for (so no recipient is passed over), and goes on
/// from the first seq read but not stamped, or the first not answered for.
pub(crate) fn next_step(from: Seq, window: Seq, reads: &[ShardRead]) -> Step {
    let unknown = reads
        .iter()
        .filter_map(|r| r.last_evaluated)
        .map(|last| last.saturating_add(1))
        .min();
    let end = from.saturating_add(window.max(1));
    let below = unknown.map_or(end, |u| u.min(end));
    let left = reads
        .iter()
        .flat_map(|r| r.seqs.iter().copied())
        .filter(|&seq| seq >= below)
        .min();
    let next = match (unknown, left) {
        (Some(u), Some(l)) => Some(u.min(l)),
        (u, l) => u.or(l),
    };
    Step { below, next }
}

/// The items of each shard's read (seq, item) below `below`, taken in
/// turn: the first of each shard, then the second of each, and so on, so
/// that updates sent in this order, a few at a time, are each on another
/// partition key.
pub(crate) fn in_turn<T>(shards: Vec<Vec<(Seq, T)>>, below: Seq) -> Vec<T> {
    let mut taken: Vec<(usize, Seq, T)> = shards
        .into_iter()
        .flat_map(|shard| {
            shard
                .into_iter()
                .filter(|(seq, _)| *seq < below)
                .enumerate()
                .map(|(turn, (seq, item))| (turn, seq, item))
        })
        .collect();
    taken.sort_unstable_by_key(|(turn, seq, _)| (*turn, *seq));
    taken.into_iter().map(|(_, _, item)| item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(seqs: impl IntoIterator<Item = Seq>, more: bool) -> ShardRead {
        let seqs: Vec<Seq> = seqs.into_iter().collect();
        ShardRead {
            last_evaluated: more.then(|| *seqs.last().unwrap()),
            seqs,
        }
    }

    /// What each of 16 shards of a batch holding `seqs` returns for a
    /// Query from `from` limited to 26 items (as DynamoDB: a full page
    /// always has a `LastEvaluatedKey`).
    fn reads(seqs: &[Seq], from: Seq) -> Vec<ShardRead> {
        (0..16)
            .map(|shard| {
                let mine: Vec<Seq> = seqs
                    .iter()
                    .copied()
                    .filter(|&s| s >= from && (s / 25) % 16 == shard)
                    .take(26)
                    .collect();
                let full = mine.len() == 26;
                ShardRead {
                    last_evaluated: full.then(|| *mine.last().unwrap()),
                    seqs: mine,
                }
            })
            .collect()
    }

    /// Pages through a batch holding `seqs`: the seqs stamped, page by page.
    fn pages(seqs: &[Seq]) -> Vec<Vec<Seq>> {
        let mut from = Some(0);
        let mut pages = Vec::new();
        while let Some(at) = from {
            let reads = reads(seqs, at);
            let step = next_step(at, 200, &reads);
            let mut page: Vec<Seq> = reads
                .iter()
                .flat_map(|r| r.seqs.iter().copied())
                .filter(|&s| s < step.below)
                .collect();
            page.sort_unstable();
            pages.push(page);
            assert!(step.next.is_none_or(|n| n > at), "goes forward");
            from = step.next;
            assert!(pages.len() < 1_000);
        }
        pages
    }

    #[test]
    fn a_page_s_items_take_turns_across_the_shards() {
        let shards = vec![
            vec![(0, "0"), (1, "1"), (2, "2"), (400, "400")],
            vec![(25, "25"), (26, "26")],
            vec![],
            vec![(50, "50")],
        ];
        assert_eq!(in_turn(shards, 200), ["0", "25", "50", "1", "26", "2"]);
        // A dense window: no two neighbours on one shard.
        let dense: Vec<Vec<(Seq, Seq)>> = (0..8)
            .map(|block| (block * 25..block * 25 + 25).map(|s| (s, s)).collect())
            .collect();
        let order = in_turn(dense, 200);
        assert_eq!(order.len(), 200);
        assert!(order.windows(8).all(|w| {
            let shards: std::collections::HashSet<Seq> = w.iter().map(|s| s / 25).collect();
            shards.len() == 8
        }));
    }

    #[test]
    fn a_cursor_reads_back_as_written() {
        for cursor in [
            Cursor::START,
            Cursor::Recipients(400),
            Cursor::Recipients(9_999_999),
            Cursor::own(),
            Cursor::Own("W#00002".into()),
        ] {
            assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor.clone()));
        }
        assert_eq!(Cursor::START.encode(), "R0");
        assert_eq!(Cursor::own().encode(), "B");
        assert_eq!(Cursor::Own("W#00002".into()).encode(), "B/W#00002");
    }

    #[test]
    fn what_is_not_a_cursor_is_refused() {
        // A sort key, as the cursor was before recipients had shards.
        for text in [
            "R#0000123",
            "W#00002",
            "R",
            "R-1",
            "R99999999999",
            "X",
            "B/",
            "",
        ] {
            assert_eq!(Cursor::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn dense_seqs_go_a_window_a_page_and_end_with_the_last() {
        let seqs: Vec<Seq> = (0..1_000).collect();
        let pages = pages(&seqs);
        assert_eq!(pages.len(), 5);
        for (i, page) in pages.iter().enumerate() {
            let start = i as Seq * 200;
            assert_eq!(*page, (start..start + 200).collect::<Vec<_>>());
        }
        // A batch that ends inside a window: one short page, then nothing.
        let pages = super::tests::pages(&(0..310).collect::<Vec<_>>());
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [200, 110]);
        // None at all: one empty page.
        assert_eq!(super::tests::pages(&[]), [Vec::<Seq>::new()]);
    }

    #[test]
    fn every_seq_is_stamped_once_across_gaps_of_any_length() {
        let seqs: Vec<Seq> = (0..30)
            .chain(399..401)
            .chain(5_000..5_010)
            .chain([1_000_000, 9_999_999])
            .collect();
        let pages = pages(&seqs);
        let stamped: Vec<Seq> = pages.iter().flatten().copied().collect();
        assert_eq!(stamped, seqs, "each once, in order");
        assert!(pages.len() <= 6, "a gap costs no empty pages: {pages:?}");
    }

    #[test]
    fn a_shard_that_has_not_answered_past_a_seq_holds_the_page_there() {
        // Shard 0 read only up to 10 (a page cut short, more after it):
        // what others read past 10 waits for the next page.
        let reads = [read(0..=10, true), read(25..50, false)];
        assert_eq!(
            next_step(0, 200, &reads),
            Step {
                below: 11,
                next: Some(11)
            }
        );
        // Nothing more anywhere: the window's end, then done.
        let reads = [read(0..25, false), read(25..50, false)];
        assert_eq!(
            next_step(0, 200, &reads),
            Step {
                below: 200,
                next: None
            }
        );
        // Read past the window: the next page starts at the first of those.
        let reads = [read([5, 700], false), read([900], false)];
        assert_eq!(
            next_step(0, 200, &reads),
            Step {
                below: 200,
                next: Some(700)
            }
        );
        // At the last seq a key orders: no overflow.
        let reads = [read([Seq::MAX - 1], true)];
        assert_eq!(next_step(Seq::MAX - 1, 200, &reads).below, Seq::MAX);
    }
}
