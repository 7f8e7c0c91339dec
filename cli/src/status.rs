//! `batchmsg status [BATCH]`: every batch in the data folder, newest first,
//! or one batch wave by wave: how many texts are waiting, sent, delivered,
//! failed or cancelled, and why texts failed. Times are UK time.
//!
//! It shows counts and reasons only, never a patient's details: those are
//! in the batch's report (`batchmsg report`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use batchmsg_core::batch::{Batch, BatchId, StatusCounts};
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::ports::{BatchRepo, RecipientRepo};
use batchmsg_core::report::NOT_ACCEPTED_FILE;
use batchmsg_core::sending::{BatchProgress, progress};
use batchmsg_core::waves::{TimingNote, UK, UkTime};
use batchmsg_local::{DATABASE_FILE, Database, batch_folder};
use chrono::{DateTime, Datelike, MappedLocalTime, TimeZone, Timelike, Utc};

use crate::data_dir::{DataDirArgs, block_on};

#[derive(clap::Args)]
pub struct Args {
    /// The batch to show wave by wave; without it, every batch, newest first.
    #[arg(value_parser = crate::hints::batch_id)]
    batch: Option<BatchId>,
    #[command(flatten)]
    data: DataDirArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let data_dir = &args.data.data_dir;
    let Some(db) = open_existing(data_dir)? else {
        match args.batch {
            None => println!("No batches yet in {}", data_dir.display()),
            Some(id) => return Err(no_batches(data_dir, &id)),
        }
        return Ok(());
    };
    match args.batch {
        None => {
            let rows = block_on(async {
                let mut rows = Vec::new();
                for batch in db.batches().await? {
                    let counts = db.counts(&batch.id, None).await?;
                    rows.push((batch, counts));
                }
                anyhow::Ok(rows)
            })??;
            print!("{}", render_batches(&rows, data_dir));
        }
        Some(id) => {
            let progress = block_on(progress(&db, &db, &db, &id))??;
            print_batch(&progress, data_dir);
            print!("{}", render_timing(&db.timing_notes(&id)?));
        }
    }
    Ok(())
}

/// The database in `data_dir`, or `None` when there is none yet: a command
/// that only reads does not create one.
pub fn open_existing(data_dir: &Path) -> anyhow::Result<Option<Database>> {
    if !data_dir.join(DATABASE_FILE).is_file() {
        return Ok(None);
    }
    Ok(Some(Database::open(data_dir)?))
}

/// Asked for a batch in a data folder that holds none.
pub fn no_batches(data_dir: &Path, id: &BatchId) -> anyhow::Error {
    anyhow!(
        "there is no batch {id}: there are no batches in {} \
         (use --data-dir or BATCHMSG_DATA_DIR for another folder)",
        data_dir.display()
    )
}

/// Prints [`render_batch`] to standard output.
pub fn print_batch(progress: &BatchProgress, data_dir: &Path) {
    print!("{}", render_batch(progress, data_dir));
}

/// One batch: its header, its waves (the first 10 and last 5 when there are
/// more than 20), a total, and why texts failed or were cancelled.
pub fn render_batch(progress: &BatchProgress, data_dir: &Path) -> String {
    let batch = &progress.batch;
    let mut out = String::new();
    let mut field = |label: &str, value: &dyn std::fmt::Display| {
        let _ = writeln!(out, "{label:<13} {value}");
    };
    field("Batch", &format!("{} ({})", batch.id, batch.status));
    field("List", &printable(&batch.list_name));
    field("Created", &UkTime(batch.created_at.with_timezone(&UK)));
    field(
        "Rows",
        &format!(
            "{}: {} accepted, {} not accepted",
            batch.rows, batch.accepted, batch.not_accepted
        ),
    );
    if batch.not_accepted > 0 {
        field(
            "Not accepted",
            &not_accepted_path(data_dir, &batch.id).display(),
        );
    }
    out.push('\n');

    if progress.waves.is_empty() {
        out.push_str("No waves planned yet.\n");
    }
    let created_year = batch.created_at.with_timezone(&UK).year();
    let wave_line = |w: &batchmsg_core::sending::WaveProgress| {
        let mut cells = vec![
            w.wave.number.to_string(),
            due_text(w.wave.due, created_year),
            w.wave.status.to_string(),
            w.wave.size.to_string(),
        ];
        cells.extend(count_cells(&w.counts));
        Line::Cells(cells)
    };
    let waves = &progress.waves;
    let mut lines: Vec<Line> = Vec::new();
    if waves.len() > 20 {
        lines.extend(waves[..10].iter().map(wave_line));
        lines.push(Line::Note(format!("… {} more waves …", waves.len() - 15)));
        lines.extend(waves[waves.len() - 5..].iter().map(wave_line));
    } else {
        lines.extend(waves.iter().map(wave_line));
    }
    let size: u64 = waves.iter().map(|w| u64::from(w.wave.size)).sum();
    let mut total = vec![
        "Total".to_owned(),
        String::new(),
        String::new(),
        size.to_string(),
    ];
    total.extend(count_cells(&progress.counts));
    lines.push(Line::Cells(total));
    out.push_str(&table(
        Some(&[
            "Wave",
            "Due (UK time)",
            "Status",
            "Size",
            "Waiting",
            "Sent",
            "Delivered",
            "Failed",
            "Cancelled",
        ]),
        &[L, L, L, R, R, R, R, R, R],
        &lines,
        "",
    ));

    let reasons = reasons(&progress.counts);
    if !reasons.is_empty() {
        out.push_str("\nWhy texts failed or were cancelled:\n");
        let lines: Vec<Line> = reasons
            .into_iter()
            .map(|(status, reason, n)| {
                Line::Cells(vec![status.to_string(), n.to_string(), printable(&reason)])
            })
            .collect();
        out.push_str(&table(None, &[L, R, L], &lines, "  "));
    }
    out
}

/// Every batch, newest first, one line each.
pub fn render_batches(batches: &[(Batch, StatusCounts)], data_dir: &Path) -> String {
    if batches.is_empty() {
        return format!("No batches yet in {}\n", data_dir.display());
    }
    let lines: Vec<Line> = batches
        .iter()
        .map(|(batch, counts)| {
            let mut cells = vec![
                batch.id.to_string(),
                batch.status.to_string(),
                batch
                    .created_at
                    .with_timezone(&UK)
                    .format("%-d %b %Y %H:%M")
                    .to_string(),
                shortened(&printable(&batch.list_name), 40),
                batch.accepted.to_string(),
            ];
            cells.extend(count_cells(counts));
            Line::Cells(cells)
        })
        .collect();
    table(
        Some(&[
            "Batch",
            "Status",
            "Created (UK time)",
            "List",
            "Accepted",
            "Waiting",
            "Sent",
            "Delivered",
            "Failed",
            "Cancelled",
        ]),
        &[L, L, L, L, R, R, R, R, R, R],
        &lines,
        "",
    )
}

/// The batch's `not-accepted.csv`, kept for the life of the batch.
pub fn not_accepted_path(data_dir: &Path, id: &BatchId) -> PathBuf {
    batch_folder(data_dir, id).join(NOT_ACCEPTED_FILE)
}

/// Waiting, sent, delivered, failed, cancelled.
fn count_cells(counts: &StatusCounts) -> [String; 5] {
    [
        counts.waiting(),
        counts.get(RecipientStatus::Sent),
        counts.get(RecipientStatus::Delivered),
        counts.failed(),
        counts.get(RecipientStatus::Cancelled),
    ]
    .map(|n| n.to_string())
}

/// Failures and cancellations by status (in the order of the states) and
/// reason (most first); texts stored without a reason are counted too.
fn reasons(counts: &StatusCounts) -> Vec<(RecipientStatus, String, u64)> {
    let mut out = Vec::new();
    for &status in RecipientStatus::ALL {
        if !matches!(
            status,
            RecipientStatus::TemporaryFailure
                | RecipientStatus::PermanentFailure
                | RecipientStatus::TechnicalFailure
                | RecipientStatus::Cancelled
        ) {
            continue;
        }
        let mut these: Vec<(RecipientStatus, String, u64)> = counts
            .reasons
            .iter()
            .filter(|(s, _, _)| *s == status)
            .cloned()
            .collect();
        these.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
        let explained: u64 = these.iter().map(|(_, _, n)| n).sum();
        let unexplained = counts.get(status).saturating_sub(explained);
        if unexplained > 0 {
            these.push((status, "no reason given".to_owned(), unexplained));
        }
        out.extend(these);
    }
    out
}

/// What went differently from the plan: waves that went late and why,
/// texts the sending window paused. Empty when all went to plan.
pub fn render_timing(notes: &[TimingNote]) -> String {
    let mut out = String::new();
    if !notes.is_empty() {
        out.push_str("\nTiming (UK time):\n");
        for note in notes {
            let _ = writeln!(out, "  {note}.");
        }
    }
    out
}

/// A wave's time, short: `Wed 25 Nov 17:05`, with seconds when there are
/// some, the year when it is not the year the batch was made, and `BST` or
/// `GMT` when the clocks show that time twice that day.
fn due_text(due: DateTime<Utc>, created_year: i32) -> String {
    let local = due.with_timezone(&UK);
    let mut text = local.format("%a %-d %b").to_string();
    if local.year() != created_year {
        let _ = write!(text, " {}", local.year());
    }
    let _ = write!(text, " {}", local.format("%H:%M"));
    if local.second() != 0 {
        let _ = write!(text, ":{:02}", local.second());
    }
    if let MappedLocalTime::Ambiguous(..) = UK.from_local_datetime(&local.naive_local()) {
        let _ = write!(text, " {}", local.format("%Z"));
    }
    text
}

/// Text from outside (a file name, a provider's reason) made safe to print:
/// control characters become spaces, so nothing can move the cursor or
/// change the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn shortened(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(most - 1).collect();
    short.push('…');
    short
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}
const L: Align = Align::Left;
const R: Align = Align::Right;

enum Line {
    Cells(Vec<String>),
    /// A line across the table, outside its columns.
    Note(String),
}

/// Columns two spaces apart, each as wide as its widest cell, every line
/// starting with `indent`.
fn table(header: Option<&[&str]>, align: &[Align], lines: &[Line], indent: &str) -> String {
    let header: Option<Vec<String>> = header.map(|h| h.iter().map(|s| (*s).to_owned()).collect());
    let rows = || {
        header
            .iter()
            .chain(lines.iter().filter_map(|line| match line {
                Line::Cells(cells) => Some(cells),
                Line::Note(_) => None,
            }))
    };
    let mut widths = vec![0; align.len()];
    for row in rows() {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let row_line = |cells: &[String]| {
        let mut line = indent.to_owned();
        for (i, ((cell, width), align)) in cells.iter().zip(&widths).zip(align).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = width - cell.chars().count();
            match align {
                Align::Left => {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
                Align::Right => {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                }
            }
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
        line
    };
    if let Some(header) = &header {
        out.push_str(&row_line(header));
    }
    for line in lines {
        match line {
            Line::Cells(cells) => out.push_str(&row_line(cells)),
            Line::Note(note) => {
                out.push_str(indent);
                out.push_str(note);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use RecipientStatus as S;
    use batchmsg_core::batch::Wave;
    use batchmsg_core::delivery::{BatchStatus, WaveStatus};
    use batchmsg_core::sending::WaveProgress;
    use chrono::TimeDelta;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn batch(status: BatchStatus) -> Batch {
        Batch {
            id: "20261125-170455-3f9a".parse().unwrap(),
            status,
            created_at: at(2026, 11, 25, 17, 4, 55),
            list_name: "district\x1b[2J nurses.csv".to_owned(),
            message: "Dear ((name)), …".to_owned(),
            rows: 1250,
            accepted: 1180,
            not_accepted: 70,
        }
    }

    fn counts(by_status: &[(RecipientStatus, u64)]) -> StatusCounts {
        StatusCounts {
            by_status: by_status.to_vec(),
            reasons: Vec::new(),
        }
    }

    fn wave(number: u32, size: u32, due: DateTime<Utc>, status: WaveStatus) -> Wave {
        Wave {
            number,
            first: (number - 1) * 500,
            size,
            due,
            status,
        }
    }

    fn three_waves() -> BatchProgress {
        let mut all = counts(&[
            (S::Queued, 430),
            (S::Sending, 2),
            (S::Sent, 10),
            (S::Delivered, 470),
            (S::TemporaryFailure, 3),
            (S::PermanentFailure, 12),
            (S::TechnicalFailure, 1),
            (S::Cancelled, 252),
        ]);
        all.reasons = vec![
            (S::Cancelled, CANCELLED.to_owned(), 252),
            (S::PermanentFailure, "Unknown subscriber".to_owned(), 4),
            (
                S::PermanentFailure,
                "Phone switched off for too long".to_owned(),
                8,
            ),
            (
                S::TechnicalFailure,
                "the provider refused the text".to_owned(),
                1,
            ),
        ];
        BatchProgress {
            batch: batch(BatchStatus::Sending),
            counts: all,
            waves: vec![
                WaveProgress {
                    wave: wave(1, 500, at(2026, 11, 25, 17, 5, 10), WaveStatus::Released),
                    counts: counts(&[
                        (S::Sent, 10),
                        (S::Delivered, 470),
                        (S::TemporaryFailure, 3),
                        (S::PermanentFailure, 12),
                        (S::TechnicalFailure, 1),
                        (S::Queued, 2),
                        (S::Sending, 2),
                    ]),
                },
                WaveProgress {
                    wave: wave(2, 500, at(2026, 11, 26, 9, 0, 0), WaveStatus::Releasing),
                    counts: counts(&[(S::Queued, 428), (S::Cancelled, 72)]),
                },
                WaveProgress {
                    wave: wave(3, 180, at(2027, 1, 4, 9, 0, 0), WaveStatus::Cancelled),
                    counts: counts(&[(S::Cancelled, 180)]),
                },
            ],
        }
    }

    const CANCELLED: &str = batchmsg_local::CANCELLED_REASON;

    #[test]
    fn a_batch_shows_its_header_waves_total_and_reasons() {
        let text = render_batch(&three_waves(), Path::new("data"));
        let folder = batch_folder(Path::new("data"), &"20261125-170455-3f9a".parse().unwrap());
        let expected = format!(
            "\
Batch         20261125-170455-3f9a (sending)
List          district [2J nurses.csv
Created       17:04:55 on Wednesday 25 November 2026
Rows          1250: 1180 accepted, 70 not accepted
Not accepted  {}

Wave   Due (UK time)         Status     Size  Waiting  Sent  Delivered  Failed  Cancelled
1      Wed 25 Nov 17:05:10   released    500        4    10        470      16          0
2      Thu 26 Nov 09:00      releasing   500      428     0          0       0         72
3      Mon 4 Jan 2027 09:00  cancelled   180        0     0          0       0        180
Total                                   1180      432    10        470      16        252

Why texts failed or were cancelled:
  temporary-failure    3  no reason given
  permanent-failure    8  Phone switched off for too long
  permanent-failure    4  Unknown subscriber
  technical-failure    1  the provider refused the text
  cancelled          252  {CANCELLED}
",
            folder.join("not-accepted.csv").display()
        );
        assert_eq!(text, expected, "\n{text}");
    }

    #[test]
    fn many_waves_show_the_first_ten_and_the_last_five() {
        let mut progress = three_waves();
        let start = at(2026, 11, 26, 9, 0, 0);
        progress.waves = (1..=30)
            .map(|n| WaveProgress {
                wave: wave(
                    n,
                    10,
                    start + TimeDelta::hours(i64::from(n)),
                    WaveStatus::Pending,
                ),
                counts: counts(&[(S::Queued, 10)]),
            })
            .collect();
        let text = render_batch(&progress, Path::new("data"));
        let numbers: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("Wave"))
            .skip(1)
            .take_while(|l| !l.starts_with("Total"))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        let expected: Vec<String> = (1..=10)
            .map(|n| n.to_string())
            .chain(["…".to_owned()])
            .chain((26..=30).map(|n| n.to_string()))
            .collect();
        assert_eq!(numbers, expected, "\n{text}");
        assert!(text.contains("\n… 15 more waves …\n"), "\n{text}");
        assert!(text.contains("\nTotal  "), "\n{text}");
    }

    #[test]
    fn a_batch_with_nothing_planned_or_failed_says_so_briefly() {
        let mut batch = batch(BatchStatus::Validated);
        batch.not_accepted = 0;
        batch.rows = 1180;
        let progress = BatchProgress {
            batch,
            counts: counts(&[(S::Queued, 1180)]),
            waves: Vec::new(),
        };
        let text = render_batch(&progress, Path::new("data"));
        assert!(!text.contains("Not accepted"), "\n{text}");
        assert!(text.contains("No waves planned yet."), "\n{text}");
        assert!(!text.contains("Why texts failed"), "\n{text}");
        assert!(
            text.ends_with(
                "No waves planned yet.\n\
                 Wave   Due (UK time)  Status  Size  Waiting  Sent  Delivered  Failed  Cancelled\n\
                 Total                            0     1180     0          0       0          0\n"
            ),
            "\n{text}"
        );
    }

    #[test]
    fn due_times_are_uk_clock_times() {
        // Summer time: 08:00 UTC is 09:00 BST.
        assert_eq!(due_text(at(2026, 6, 1, 8, 0, 0), 2026), "Mon 1 Jun 09:00");
        // The hour the clocks go back is shown twice: say which.
        assert_eq!(
            due_text(at(2026, 10, 25, 0, 30, 0), 2026),
            "Sun 25 Oct 01:30 BST"
        );
        assert_eq!(
            due_text(at(2026, 10, 25, 1, 30, 5), 2026),
            "Sun 25 Oct 01:30:05 GMT"
        );
    }

    #[test]
    fn the_list_of_batches_is_one_aligned_line_each() {
        let mut older = batch(BatchStatus::Completed);
        older.id = "20261101-090000-0001".parse().unwrap();
        older.created_at = at(2026, 11, 1, 9, 0, 0);
        older.list_name = "a-very-long-name-for-a-patient-list-export-from-systmone.csv".to_owned();
        older.accepted = 3;
        let rows = vec![
            (
                batch(BatchStatus::Sending),
                counts(&[
                    (S::Queued, 1000),
                    (S::Delivered, 170),
                    (S::PermanentFailure, 10),
                ]),
            ),
            (
                older,
                counts(&[(S::Delivered, 2), (S::TechnicalFailure, 1)]),
            ),
        ];
        let text = render_batches(&rows, Path::new("data"));
        assert_eq!(
            text,
            "\
Batch                 Status     Created (UK time)  List                                      Accepted  Waiting  Sent  Delivered  Failed  Cancelled
20261125-170455-3f9a  sending    25 Nov 2026 17:04  district [2J nurses.csv                       1180     1000     0        170      10          0
20261101-090000-0001  completed  1 Nov 2026 09:00   a-very-long-name-for-a-patient-list-exp…         3        0     0          2       1          0
",
            "\n{text}"
        );
        assert_eq!(render_batches(&[], Path::new("d")), "No batches yet in d\n");
    }
}
