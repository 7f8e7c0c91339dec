//! `batchmsg send`: validate a list into a new batch, show the plan, and on
//! confirmation send it now, at a time, or in staggered waves.

use std::io::{IsTerminal, Write};
use std::num::{NonZeroU32, NonZeroU64};
use std::path::Path;

use anyhow::{Context, bail};
use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::SystemClock;
use batchmsg_core::report::NOT_ACCEPTED_FILE;
use batchmsg_core::sending::{RateUnit, cancel_batch, progress, schedule_batch};
use batchmsg_core::waves::{
    LateBecause, Schedule, UkTime, WavePlan, parse_interval, parse_uk_time, parse_window,
    plan_waves,
};
use batchmsg_local::{LockError, OptedOutFile, SendingLock, batch_folder};
use chrono::{DateTime, Utc};

use crate::import::{Imported, ListFile, id_taken, import};
use crate::inputs::ListArgs;
use crate::runner::{self, Local, Rate};
use crate::status;
use crate::terminal::{printable, printable_lines};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    list: ListArgs,
    /// Send everything at this UK time (`2026-12-01 09:00`), or with
    /// --stagger, start then.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Send this many patients a wave…
    #[arg(long, value_name = "N", requires = "every")]
    stagger: Option<NonZeroU64>,
    /// …one wave every DURATION (`1d`, `2h`, `30m`, `10s`).
    #[arg(long, value_name = "DURATION", requires = "stagger")]
    every: Option<String>,
    /// Only send within these UK hours, e.g. "weekdays 08:00-18:00"; waves
    /// outside move to the next opening, and texts still to go when it
    /// closes wait for it to open again. Add "except bank holidays in
    /// England and Wales" (or Scotland, or Northern Ireland) to stay shut on
    /// that nation's bank holidays.
    #[arg(long, value_name = "SPEC")]
    window: Option<String>,
    /// At most this many texts a second (or fragments, with --rate-in fragments).
    #[arg(long, value_name = "PER_SECOND")]
    rate: Option<NonZeroU32>,
    /// What --rate counts.
    #[arg(long, value_enum, default_value = "texts", requires = "rate")]
    rate_in: RateIn,
    /// Send without asking for confirmation.
    #[arg(long)]
    yes: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RateIn {
    Texts,
    Fragments,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let schedule = schedule(&args)?;
    let window = args
        .window
        .as_deref()
        .map(parse_window)
        .transpose()
        .context("--window")?;
    // Times in the past and windows that never open are refused before the
    // list is read.
    plan_waves(1, &schedule, window.as_ref(), Utc::now())?;

    let Some(template) = args.list.message.template(&args.list.data)? else {
        bail!("say what to send: --message TEXT, or --template FILE|NAME");
    };
    let opted_out = OptedOutFile::read(args.list.opted_out.as_deref())?;
    let list = ListFile::open(&args.list.file)?;
    let rate = Rate {
        per_second: args.rate,
        unit: match args.rate_in {
            RateIn::Texts => RateUnit::Texts,
            RateIn::Fragments => RateUnit::Fragments,
        },
    };
    let local = Local::open(args.list.data.data_dir.clone(), None)?;
    let runtime = tokio::runtime::Runtime::new()?;

    let id = new_batch_id(Utc::now())?;
    let folder = batch_folder(&local.data_dir, &id);
    // Held while the list is validated, so that `batchmsg run` can tell a
    // validation cut off (kill -9, a power cut) from one still going. Held
    // already, the id is another send's.
    let validating = match SendingLock::try_acquire(&local.data_dir, &id) {
        Err(LockError::Busy(_)) => return Err(id_taken(&id)),
        lock => lock?,
    };
    let imported = runtime.block_on(import(&local, &id, &template, list, &opted_out));
    drop(validating);
    let imported = imported?;
    let plan = plan_waves(
        imported.summary.accepted,
        &schedule,
        window.as_ref(),
        Utc::now(),
    );
    let plan = match plan {
        Ok(plan) => plan,
        Err(error) => {
            runtime.block_on(abandon(&local, &id))?;
            return Err(error.into());
        }
    };
    print_plan(&id, &imported, &plan, &folder);
    if imported.summary.accepted == 0 {
        runtime.block_on(abandon(&local, &id))?;
        bail!("no patient in the list can be texted, so nothing was sent");
    }
    if !args.yes {
        // Not sent, whether the answer was no or there was no asking (no
        // terminal, stdin closed): either way the batch must not be left
        // `validated`, its texts counted as waiting for ever.
        let answer = confirmed(&plan, imported.summary.accepted);
        if !matches!(answer, Ok(true)) {
            runtime.block_on(abandon(&local, &id))?;
            println!(
                "Nothing sent. Batch {id} is cancelled; its lists stay in {}",
                folder.display()
            );
            return answer.map(drop);
        }
    }

    runtime.block_on(async {
        let db = &local.db;
        db.save_send_rate(&id, rate.per_second, rate.unit)?;
        if let Some(spec) = &args.window {
            db.save_send_window(&id, spec)?;
        }
        schedule_batch(db, db, db, &id, &plan).await?;
        tracing::info!(batch = %id, waves = plan.waves.len(), "batch scheduled");
        let bar = progress_bar(imported.summary.accepted);
        runner::drive(
            local.clone(),
            vec![id.clone()],
            Some(bar.clone()),
            LateBecause::WaitedForConfirmation,
        )
        .await?;
        bar.finish_and_clear();
        let progress = progress(db, db, db, &id).await?;
        print!("{}", status::render_batch(&progress, &local.data_dir));
        print!("{}", status::render_timing(&db.timing_notes(&id)?));
        anyhow::Ok(())
    })
}

fn schedule(args: &Args) -> anyhow::Result<Schedule> {
    let at = args
        .at
        .as_deref()
        .map(parse_uk_time)
        .transpose()
        .context("--at")?;
    Ok(match (args.stagger, &args.every) {
        (Some(per_wave), Some(every)) => Schedule::Stagger {
            per_wave,
            every: parse_interval(every).context("--every")?,
            start: at,
        },
        _ => match at {
            Some(at) => Schedule::At(at),
            None => Schedule::Now,
        },
    })
}

/// The batch will not be sent: cancel it, keeping its lists.
async fn abandon(local: &Local, id: &BatchId) -> anyhow::Result<()> {
    let db = &local.db;
    cancel_batch(db, db, db, db, &SystemClock, id).await?;
    Ok(())
}

fn print_plan(id: &BatchId, imported: &Imported, plan: &WavePlan, folder: &Path) {
    let summary = &imported.summary;
    println!(
        "Batch {id}: {} rows, {} accepted, {} not accepted",
        summary.rows, summary.accepted, summary.not_accepted
    );
    if summary.not_accepted > 0 {
        for reason in summary.reasons.iter().take(5) {
            println!("  {:>8}  {}", reason.rows, printable(&reason.reason));
        }
        println!(
            "  Not-accepted list: {}",
            printable(&folder.join(NOT_ACCEPTED_FILE).display().to_string())
        );
    }
    if let Some(first) = &imported.first {
        println!(
            "\nText for the first patient (row {}), {} characters, {}, {} fragment{}:",
            first.row,
            first.body.as_str().encode_utf16().count(),
            first.encoding.as_str(),
            first.fragments,
            if first.fragments == 1 { "" } else { "s" }
        );
        for line in printable_lines(first.body.as_str()) {
            println!("  | {line}");
        }
    }
    if let Some(texts) = &summary.texts {
        println!(
            "All texts: {} fragments ({} GSM-7, {} UCS-2), longest {} characters",
            texts.fragments, texts.gsm7_texts, texts.ucs2_texts, texts.most_characters
        );
    }
    if plan.waves.is_empty() {
        return;
    }
    println!(
        "\n{} wave{} (UK time):",
        plan.waves.len(),
        if plan.waves.len() == 1 { "" } else { "s" }
    );
    let shown: Vec<_> = if plan.waves.len() > 12 {
        plan.waves[..8]
            .iter()
            .chain(&plan.waves[plan.waves.len() - 3..])
            .collect()
    } else {
        plan.waves.iter().collect()
    };
    for (i, wave) in shown.iter().enumerate() {
        if plan.waves.len() > 12 && i == 8 {
            println!("  … {} more waves …", plan.waves.len() - 11);
        }
        println!(
            "  {:>5}  {:>7} texts  {}",
            wave.number,
            wave.size,
            UkTime(wave.due_local)
        );
        for note in &wave.notes {
            println!("         {note}");
        }
    }
}

fn confirmed(plan: &WavePlan, accepted: u64) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("add --yes to send without being asked (there is no terminal to ask at)");
    }
    print!(
        "\nSend {accepted} texts in {} wave{}? [y/N] ",
        plan.waves.len(),
        if plan.waves.len() == 1 { "" } else { "s" }
    );
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} texts · {per_sec} · {elapsed_precise} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// A new batch's id: the time, and random bits from the operating system
/// (never the clock, which two sends in one instant share).
pub(crate) fn new_batch_id(now: DateTime<Utc>) -> anyhow::Result<BatchId> {
    let random = getrandom::u64().map_err(|e| anyhow::anyhow!("cannot make a batch id: {e}"))?;
    Ok(BatchId::new(now, random))
}
