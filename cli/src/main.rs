//! `batchmsg`: batch SMS for community healthcare, on one machine.

#[cfg(test)]
mod batch_id_tests;
mod cancel;
mod data_dir;
mod generate;
mod hints;
mod import;
mod inputs;
mod preview;
mod purge;
mod report;
mod run;
mod runner;
#[cfg(test)]
mod runner_timing_tests;
mod send;
mod status;
mod template;
mod terminal;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "batchmsg",
    version,
    about = "Batch SMS for UK community healthcare"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a patient list: which rows can be texted, and why the others cannot.
    Validate(validate::Args),
    /// Show one patient's text exactly as it will be sent, and what the list would cost.
    Preview(preview::Args),
    /// Validate a list and send it: now, at a time, or in staggered waves.
    Send(send::Args),
    /// Finish everything unfinished: fire waves whose time has come and resume
    /// sends that were cut off. Exits when no batch has work left.
    Run(run::Args),
    /// Every batch, or one batch wave by wave: texts waiting, sent, delivered,
    /// failed and cancelled, and why texts failed.
    Status(status::Args),
    /// Cancel a batch: its pending waves and every text not yet sent.
    Cancel(cancel::Args),
    /// Write a batch's record of what was sent to whom and when, as CSV for
    /// the patient record.
    Report(report::Args),
    /// Remove finished batches older than a retention period (default 90 days)
    /// with their patient data: rows, batch folder and outbox lines.
    Purge(purge::Args),
    /// Save, list, show and remove named message templates.
    Template(template::Args),
    /// Write a synthetic patient list (test-range numbers only) with realistic damage.
    Generate(generate::Args),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();

    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Preview(args) => preview::run(args),
        Command::Send(args) => send::run(args),
        Command::Run(args) => run::run(args),
        Command::Status(args) => status::run(args),
        Command::Cancel(args) => cancel::run(args),
        Command::Report(args) => report::run(args),
        Command::Purge(args) => purge::run(args),
        Command::Template(args) => template::run(args),
        Command::Generate(args) => generate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let error = hints::with_hints(error);
            eprintln!("error: {}", terminal::printable(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}
