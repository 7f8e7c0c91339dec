//! `batchmsg cancel BATCH`: stops a batch. Its pending waves and every text
//! not yet handed to a sender are cancelled; texts already sent, or being
//! sent at that moment, are not affected.

use batchmsg_core::batch::BatchId;
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::ports::{RecipientRepo, SystemClock};
use batchmsg_core::sending::{Cancelled, cancel_batch};

use crate::data_dir::{DataDirArgs, block_on};
use crate::status::{no_batches, open_existing};

#[derive(clap::Args)]
pub struct Args {
    /// The batch to cancel (batchmsg status lists them).
    #[arg(value_parser = crate::hints::batch_id)]
    batch: BatchId,
    #[command(flatten)]
    data: DataDirArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let id = args.batch;
    let Some(db) = open_existing(&args.data.data_dir)? else {
        return Err(no_batches(&args.data.data_dir, &id));
    };
    let (cancelled, still_sending) = block_on(async {
        let cancelled = cancel_batch(&db, &db, &db, &db, &SystemClock, &id).await?;
        let counts = db.counts(&id, None).await?;
        anyhow::Ok((cancelled, counts.get(RecipientStatus::Sending)))
    })??;
    tracing::info!(
        batch = %id,
        waves = cancelled.waves,
        texts = cancelled.texts,
        "cancelled a batch"
    );
    println!("{}", cancelled_message(&id, cancelled, still_sending));
    Ok(())
}

fn cancelled_message(id: &BatchId, cancelled: Cancelled, still_sending: u64) -> String {
    let mut message = if cancelled.already {
        // A cancel that stopped part way may have left texts waiting.
        let finished = cancelled.waves > 0 || cancelled.texts > 0;
        format!(
            "Batch {id} was already cancelled{}.",
            if finished {
                format!(
                    "; {} and {} still waiting are now cancelled",
                    plural(cancelled.waves.into(), "wave"),
                    plural(cancelled.texts, "text")
                )
            } else {
                String::new()
            }
        )
    } else if cancelled.waves == 0 && cancelled.texts == 0 {
        format!("Cancelled batch {id}: no texts were waiting to be sent.")
    } else {
        format!(
            "Cancelled batch {id}: {} and {} that had not been sent.",
            plural(cancelled.waves.into(), "wave"),
            plural(cancelled.texts, "text")
        )
    };
    message.push_str(" Texts already sent are not affected.");
    if still_sending > 0 {
        let verb = if still_sending == 1 { "was" } else { "were" };
        message.push_str(&format!(
            " {} {verb} being sent at that moment and will still go.",
            plural(still_sending, "text")
        ));
    }
    message
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_says_what_was_stopped_and_what_still_goes() {
        let id: BatchId = "b-1".parse().unwrap();
        assert_eq!(
            cancelled_message(
                &id,
                Cancelled {
                    waves: 2,
                    texts: 120,
                    already: false
                },
                0
            ),
            "Cancelled batch b-1: 2 waves and 120 texts that had not been sent. \
             Texts already sent are not affected."
        );
        assert_eq!(
            cancelled_message(
                &id,
                Cancelled {
                    waves: 1,
                    texts: 1,
                    already: false
                },
                1
            ),
            "Cancelled batch b-1: 1 wave and 1 text that had not been sent. \
             Texts already sent are not affected. \
             1 text was being sent at that moment and will still go."
        );
        assert_eq!(
            cancelled_message(&id, Cancelled::default(), 0),
            "Cancelled batch b-1: no texts were waiting to be sent. \
             Texts already sent are not affected."
        );
    }

    #[test]
    fn a_repeated_cancel_says_the_batch_was_already_cancelled() {
        let id: BatchId = "b-1".parse().unwrap();
        let already = Cancelled {
            already: true,
            ..Cancelled::default()
        };
        assert_eq!(
            cancelled_message(&id, already, 0),
            "Batch b-1 was already cancelled. Texts already sent are not affected."
        );
        let finished = Cancelled {
            waves: 1,
            texts: 3,
            already: true,
        };
        assert_eq!(
            cancelled_message(&id, finished, 0),
            "Batch b-1 was already cancelled; 1 wave and 3 texts still waiting are now \
             cancelled. Texts already sent are not affected."
        );
    }
}
