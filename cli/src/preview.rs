//! `batchmsg preview`: one patient's text exactly as it will be sent, with its
//! length, and what the whole list would cost. Writes no files.

use anyhow::bail;
use batchmsg_core::message::Preview;
use batchmsg_core::validation::{
    AcceptedRow, Layout, NotAcceptedRow, SinkError, Summary, ValidationOptions, ValidationSink,
    validate_list,
};

use crate::inputs::{Inputs, ListArgs};
use crate::terminal::{printable, printable_lines};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    list: ListArgs,
    /// The row to preview, as numbered in the spreadsheet (default: the first accepted row).
    #[arg(long)]
    row: Option<u64>,
}

/// Keeps the values of the row to preview, or the reasons it is not accepted.
struct PickRow {
    wanted: Option<u64>,
    layout: Option<Layout>,
    picked: Option<Picked>,
}

enum Picked {
    Accepted { row: u64, values: Vec<String> },
    NotAccepted { row: u64, reasons: Vec<String> },
}

impl ValidationSink for PickRow {
    fn start(&mut self, layout: &Layout) -> Result<(), SinkError> {
        self.layout = Some(layout.clone());
        Ok(())
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        let first_wanted = self.wanted.is_none() && self.picked.is_none();
        if first_wanted || self.wanted == Some(row.row) {
            let slots = &self.layout.as_ref().ok_or("no layout")?.placeholder_slots;
            self.picked = Some(Picked::Accepted {
                row: row.row,
                values: slots
                    .iter()
                    .map(|&s| row.personalisation[s].clone())
                    .collect(),
            });
        }
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        if self.wanted == Some(row.row) {
            self.picked = Some(Picked::NotAccepted {
                row: row.row,
                reasons: row.reasons.iter().map(ToString::to_string).collect(),
            });
        }
        Ok(())
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Inputs {
        template,
        opted_out,
        declines,
        mut list,
        today,
    } = args.list.read()?;
    let Some(template) = template else {
        bail!("give the message to preview with --message TEXT or --template FILE");
    };
    let options = ValidationOptions {
        message: Some(&template),
        opted_out: &opted_out,
        today,
        declines: &declines,
    };
    let mut pick = PickRow {
        wanted: args.row,
        layout: None,
        picked: None,
    };
    let summary = validate_list(&mut list, &options, &mut pick)?;
    match pick.picked {
        Some(Picked::Accepted { row, values }) => {
            let preview = template
                .preview(|i| values[i].as_str())
                .map_err(|_| anyhow::anyhow!("row {row} has an empty placeholder"))?;
            print_preview(row, args.row.is_none(), &preview);
        }
        Some(Picked::NotAccepted { row, reasons }) => {
            println!(
                "Row {row} is not accepted, so it gets no text: {}",
                printable(&reasons.join("; "))
            );
        }
        None => match args.row {
            Some(row) => println!("There is no row {row} with a patient in the list."),
            None => println!("No row is accepted, so there is nothing to preview."),
        },
    }
    print_totals(&summary);
    Ok(())
}

fn print_preview(row: u64, first: bool, preview: &Preview) {
    let which = if first {
        " (the first accepted row)"
    } else {
        ""
    };
    println!("Row {row}{which}, as the patient will see it:\n");
    for line in printable_lines(&preview.text) {
        println!("    {line}");
    }
    let length = preview.length;
    let plural = if length.fragments == 1 { "" } else { "s" };
    println!(
        "\n{} characters, {}, {} fragment{plural}",
        length.characters,
        length.encoding.as_str(),
        length.fragments
    );
    // Said so that nobody wonders why the text differs from what they typed.
    for (from, to) in &preview.downgraded {
        let code = u32::from(*from);
        match *to {
            "" if from.is_control() => println!("U+{code:04X}, a control character, is left out"),
            "" => println!("U+{code:04X}, an invisible character, is left out"),
            " " => println!("U+{code:04X}, an unusual space, is sent as a plain space"),
            to => println!(
                "{} is sent as {to}, so the text can stay GSM-7",
                printable(&from.to_string())
            ),
        }
    }
}

fn print_totals(summary: &Summary) {
    println!(
        "{} of {} rows accepted ({} not accepted: see `batchmsg validate` for why)",
        summary.accepted, summary.rows, summary.not_accepted
    );
    if let Some(texts) = &summary.texts {
        println!(
            "In all: {} texts, {} fragments ({} GSM-7, {} UCS-2), longest {} characters",
            summary.accepted,
            texts.fragments,
            texts.gsm7_texts,
            texts.ucs2_texts,
            texts.most_characters
        );
    }
}
