//! `batchmsg send` and `batchmsg run` end to end: the real binary on a
//! temporary data folder per test, checked through what the simulated
//! provider wrote (`outbox.jsonl`), `status` and `report`.
//!
//! Every command runs with `RUST_LOG=info`, and nothing any of them prints
//! may hold an NHS number or a mobile from the list (the plan's preview of
//! the first patient's text, with their name, is meant for the sender).

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use batchmsg_core::batch::{BatchId, Wave};
use batchmsg_core::ports::WaveRepo;
use batchmsg_local::Database;
use batchmsg_local::outbox::REFUSED_REASON;
use batchmsg_synthetic::nhs_check_digit;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Europe::London;
use common::{UTF8_BOM, batchmsg, parse_csv};
use tempfile::TempDir;

const MESSAGE: &str =
    "Dear ((name|patient)), your flu vaccination is due. Book at your GP practice.";

/// The longest one command may take before the test stops it and fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

const UNREACHABLE: &str = "Phone is currently unreachable/unavailable";

const REPORT_COLUMNS: [&str; 9] = [
    "row",
    "nhs_number",
    "mobile",
    "status",
    "reason",
    "sent_at",
    "delivered_at",
    "status_at",
    "text",
];

// ---------------------------------------------------------------------------
// Lists.

/// `count` valid NHS numbers from the 999 test range, all different.
fn nhs_numbers(count: usize) -> Vec<String> {
    (100_000u64..)
        .filter_map(|stem| {
            let first_nine = 999_000_000 + stem;
            let digits: [u8; 9] = first_nine
                .to_string()
                .bytes()
                .map(|b| b - b'0')
                .collect::<Vec<_>>()
                .try_into()
                .expect("nine digits");
            nhs_check_digit(&digits).map(|check| format!("{first_nine}{check}"))
        })
        .take(count)
        .collect()
}

fn name(i: usize) -> String {
    const GIVEN: [&str; 13] = [
        "Ann", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Hamza", "Isla", "Jack", "Kai",
        "Lily", "Mo",
    ];
    const FAMILY: [&str; 7] = [
        "Smith", "Jones", "Patel", "Khan", "Brown", "Taylor", "Wilson",
    ];
    format!("{} {}", GIVEN[i % 13], FAMILY[(i / 13) % 7])
}

/// `07700 900xxx` written the ways exports write it.
fn written_mobile(i: usize, last_three: u16) -> String {
    match i % 3 {
        0 => format!("07700 900{last_three:03}"),
        1 => format!("+447700900{last_three:03}"),
        _ => format!("07700900{last_three:03}"),
    }
}

fn e164(last_three: u16) -> String {
    format!("+447700900{last_three:03}")
}

/// The forms in which a patient's NHS number or mobile could leak: as
/// written, as digits, and a mobile in E.164 and national form.
fn secrets_of(nhs: &str, mobile: &str) -> Vec<String> {
    let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    let mut out = Vec::new();
    let nhs_digits = digits(nhs);
    if nhs_digits.len() >= 10 {
        out.push(nhs.trim().to_owned());
        out.push(nhs_digits);
    }
    let mobile_digits = digits(mobile);
    if mobile_digits.len() >= 10 {
        let last10 = &mobile_digits[mobile_digits.len() - 10..];
        out.push(mobile.trim().to_owned());
        out.push(last10.to_owned());
        out.push(format!("0{last10}"));
        out.push(format!("+44{last10}"));
    }
    out
}

/// An accepted patient: their row in the list (the header is row 1), NHS
/// number, mobile in E.164 and name.
#[derive(Clone, Debug)]
struct Patient {
    row: u64,
    nhs: String,
    mobile: String,
    name: String,
}

struct List {
    path: PathBuf,
    rows: u64,
    /// In list order.
    accepted: Vec<Patient>,
}

impl List {
    fn path(&self) -> &str {
        self.path.to_str().expect("a UTF-8 path")
    }

    fn by_row(&self) -> HashMap<u64, &Patient> {
        self.accepted.iter().map(|p| (p.row, p)).collect()
    }
}

// ---------------------------------------------------------------------------
// Running the binary.

struct Out {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// A command running in the background, its output being collected. Killed
/// if dropped still running (a failed test leaves nothing behind).
struct Running {
    args: Vec<String>,
    child: Child,
    first_line: mpsc::Receiver<String>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl Running {
    /// The first line it prints (waits for it).
    fn first_line(&self) -> String {
        self.first_line
            .recv_timeout(COMMAND_TIMEOUT)
            .unwrap_or_else(|e| panic!("{:?} printed no first line: {e}", self.args))
    }

    /// Waits up to `timeout` for it to exit by itself.
    fn finish(mut self, session: &Session, timeout: Duration) -> Out {
        let deadline = Instant::now() + timeout;
        while self.child.try_wait().expect("waits").is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let out = self.collect(session);
                panic!(
                    "{:?} did not exit within {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                    self.args, out.stdout, out.stderr
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.collect(session)
    }

    /// `kill -9`.
    fn kill(mut self, session: &Session) -> Out {
        self.child.kill().expect("kills");
        self.collect(session)
    }

    fn collect(&mut self, session: &Session) -> Out {
        let status = self.child.wait().expect("waits");
        let join = |handle: &mut Option<JoinHandle<String>>| {
            handle
                .take()
                .expect("collected once")
                .join()
                .expect("reads the output")
        };
        let out = Out {
            status,
            stdout: join(&mut self.stdout),
            stderr: join(&mut self.stderr),
        };
        session.assert_private(&self.args, &out);
        out
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One test's data folder and the patient details it must never see printed.
struct Session {
    temp: TempDir,
    data: PathBuf,
    secrets: Vec<String>,
}

impl Session {
    fn new() -> Self {
        let temp = tempfile::tempdir().expect("a temporary folder");
        let data = temp.path().join("data");
        Self {
            temp,
            data,
            secrets: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    /// Writes a list of one patient per mobile (`07700 900xxx`, by its last
    /// three digits), in order, with a not-accepted row (a wrong NHS check
    /// digit) at each data row index (0 is the row after the header) in
    /// `bad_at`.
    fn write_list(&mut self, mobiles: &[u16], bad_at: &[usize]) -> List {
        let total = mobiles.len() + bad_at.len();
        let numbers = nhs_numbers(total);
        let mut csv = String::from("NHS Number,Mobile Number,Date of Birth,Patient Name\r\n");
        let mut accepted = Vec::new();
        let mut mobiles = mobiles.iter();
        for (i, nhs) in numbers.iter().enumerate() {
            let row = i as u64 + 2;
            let name = name(i);
            let written_nhs = if i % 2 == 0 {
                nhs.clone()
            } else {
                format!("{} {} {}", &nhs[..3], &nhs[3..6], &nhs[6..])
            };
            let (written_nhs, last_three, good) = if bad_at.contains(&i) {
                let mut bad = written_nhs;
                let check = bad.pop().expect("a digit") as u8 - b'0';
                bad.push(char::from(b'0' + (check + 1) % 10));
                (bad, 500 + i as u16, false)
            } else {
                let last_three = *mobiles.next().expect("a mobile");
                (written_nhs, last_three, true)
            };
            let mobile = written_mobile(i, last_three);
            self.secrets.extend(secrets_of(&written_nhs, &mobile));
            csv.push_str(&format!("{written_nhs},{mobile},01/02/1980,{name}\r\n"));
            if good {
                accepted.push(Patient {
                    row,
                    nhs: nhs.clone(),
                    mobile: e164(last_three),
                    name,
                });
            }
        }
        let path = self.path("list.csv");
        std::fs::write(&path, csv).expect("writes the list");
        List {
            path,
            rows: total as u64,
            accepted,
        }
    }

    /// `batchmsg ARGS… --data-dir DATA`, with info logs and no terminal.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = batchmsg();
        command
            .args(args)
            .arg("--data-dir")
            .arg(&self.data)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self.command(args).spawn().expect("runs batchmsg");
        let (tx, first_line) = mpsc::channel();
        let out = child.stdout.take().expect("piped stdout");
        let stdout = std::thread::spawn(move || {
            let mut reader = BufReader::new(out);
            let (mut all, mut line) = (String::new(), String::new());
            while reader.read_line(&mut line).expect("stdout is UTF-8") > 0 {
                if all.is_empty() {
                    let _ = tx.send(line.clone());
                }
                all.push_str(&line);
                line.clear();
            }
            all
        });
        let mut err = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            err.read_to_string(&mut all).expect("stderr is UTF-8");
            all
        });
        Running {
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            child,
            first_line,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    fn run(&self, args: &[&str]) -> Out {
        self.spawn(args).finish(self, COMMAND_TIMEOUT)
    }

    /// Runs a command that must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            out.stdout,
            out.stderr
        );
        out.stdout
    }

    fn assert_private(&self, args: &[String], out: &Out) {
        for secret in &self.secrets {
            for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !text.contains(secret.as_str()),
                    "{args:?} printed a patient's number {secret:?} on {name}:\n{text}"
                );
            }
        }
    }

    fn outbox_path(&self) -> PathBuf {
        self.data.join("outbox.jsonl")
    }

    /// Whole lines in the outbox so far.
    fn outbox_lines(&self) -> usize {
        std::fs::read(self.outbox_path())
            .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count())
            .unwrap_or(0)
    }

    /// Every line of the outbox, each checked for its fields.
    fn outbox(&self) -> Vec<Sent> {
        let text = match std::fs::read_to_string(self.outbox_path()) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => panic!("reading the outbox: {e}"),
        };
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "the outbox ends in a whole line"
        );
        text.lines()
            .enumerate()
            .map(|(i, line)| Sent::parse(i + 1, line))
            .collect()
    }

    fn status(&self, id: &str) -> Status {
        Status::parse(&self.ok(&["status", id]))
    }

    fn report(&self, id: &str) -> Vec<ReportRow> {
        let path = self.path(&format!("report-{id}.csv"));
        let stdout = self.ok(&["report", id, "--out", path.to_str().expect("UTF-8")]);
        assert!(stdout.starts_with("Wrote "), "{stdout}");
        let bytes = std::fs::read(&path).expect("the report was written");
        let records = parse_csv(bytes.strip_prefix(UTF8_BOM).expect("a byte-order mark"));
        assert_eq!(records[0], REPORT_COLUMNS);
        records[1..].iter().map(ReportRow::from).collect()
    }

    /// The batch's waves as stored.
    fn waves(&self, id: &str) -> Vec<Wave> {
        let id: BatchId = id.parse().expect("a batch id");
        let db = Database::open(&self.data).expect("opens the database");
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(db.waves(&id))
            .expect("reads the waves")
    }
}

/// The batch id from `send`'s first line, `Batch <id>: …`.
fn batch_id(stdout: &str) -> String {
    let first_line = stdout.lines().next().unwrap_or_default();
    first_line
        .strip_prefix("Batch ")
        .and_then(|rest| rest.split_once(':'))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_else(|| panic!("send's first line names no batch: {first_line:?}"))
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "gave up after {timeout:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------------------
// What the binary wrote.

/// A line of the outbox.
#[derive(Debug)]
struct Sent {
    batch: String,
    seq: u64,
    row: u64,
    to: String,
    body: String,
    sent_at: DateTime<Utc>,
}

impl Sent {
    fn parse(number: usize, line: &str) -> Self {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {number} of the outbox is not JSON ({e}): {line}"));
        let text = |key: &str| {
            value[key]
                .as_str()
                .unwrap_or_else(|| panic!("line {number} has no {key}: {line}"))
                .to_owned()
        };
        let int = |key: &str| {
            value[key]
                .as_u64()
                .unwrap_or_else(|| panic!("line {number} has no {key}: {line}"))
        };
        let encoding = text("encoding");
        assert!(
            encoding == "GSM-7" || encoding == "UCS-2",
            "line {number}: {line}"
        );
        assert!(int("fragments") >= 1, "line {number}: {line}");
        let sent_at = text("sent_at");
        let b = sent_at.as_bytes();
        assert!(
            b.len() == 24
                && b[19] == b'.'
                && b[20..23].iter().all(u8::is_ascii_digit)
                && b[23] == b'Z',
            "line {number}: sent_at {sent_at:?} is not UTC to the millisecond"
        );
        Self {
            batch: text("batch"),
            seq: int("seq"),
            row: int("row"),
            to: text("to"),
            body: text("body"),
            sent_at: DateTime::parse_from_rfc3339(&sent_at)
                .expect("an RFC 3339 time")
                .with_timezone(&Utc),
        }
    }
}

/// Each (batch, row) at most once; the lines by row.
fn by_row<'a>(sent: &'a [Sent], id: &str) -> HashMap<u64, &'a Sent> {
    let mut rows = HashMap::new();
    for s in sent {
        assert_eq!(s.batch, id, "a text of another batch");
        assert!(
            rows.insert(s.row, s).is_none(),
            "row {} of batch {id} was sent twice",
            s.row
        );
    }
    rows
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    waiting: u64,
    sent: u64,
    delivered: u64,
    failed: u64,
    cancelled: u64,
}

#[derive(Debug)]
struct WaveLine {
    number: u32,
    status: String,
    size: u64,
    counts: Counts,
}

/// `batchmsg status BATCH`, read back.
#[derive(Debug)]
struct Status {
    batch_status: String,
    waves: Vec<WaveLine>,
    size: u64,
    total: Counts,
    /// (status, texts, reason)
    reasons: BTreeSet<(String, u64, String)>,
}

impl Status {
    fn parse(text: &str) -> Self {
        let first = text.lines().next().expect("a first line");
        let batch_status = first
            .rsplit_once('(')
            .and_then(|(_, s)| s.strip_suffix(')'))
            .unwrap_or_else(|| panic!("no batch status in {first:?}"))
            .to_owned();
        let counts = |cells: &[&str]| -> (u64, Counts) {
            let n: Vec<u64> = cells[cells.len() - 6..]
                .iter()
                .map(|c| c.parse().unwrap_or_else(|_| panic!("{c:?} in\n{text}")))
                .collect();
            let counts = Counts {
                waiting: n[1],
                sent: n[2],
                delivered: n[3],
                failed: n[4],
                cancelled: n[5],
            };
            (n[0], counts)
        };
        let mut lines = text.lines().skip_while(|l| !l.starts_with("Wave ")).skip(1);
        let mut waves = Vec::new();
        let (size, total) = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("no Total line in\n{text}"));
            let cells: Vec<&str> = line.split_whitespace().collect();
            if cells[0] == "Total" {
                break counts(&cells);
            }
            let (size, counts) = counts(&cells);
            waves.push(WaveLine {
                number: cells[0].parse().expect("a wave number"),
                status: cells[cells.len() - 7].to_owned(),
                size,
                counts,
            });
        };
        let reasons = lines
            .skip_while(|l| !l.starts_with("Why texts failed"))
            .skip(1)
            .map(|line| {
                let mut cells = line.split_whitespace();
                let status = cells.next().expect("a status").to_owned();
                let n = cells.next().expect("a count").parse().expect("a number");
                (status, n, cells.collect::<Vec<_>>().join(" "))
            })
            .collect();
        Self {
            batch_status,
            waves,
            size,
            total,
            reasons,
        }
    }
}

/// A row of `batchmsg report`.
#[derive(Debug)]
struct ReportRow {
    row: u64,
    nhs: String,
    mobile: String,
    status: String,
    reason: String,
    sent_at: String,
    delivered_at: String,
    status_at: String,
    text: String,
}

impl From<&Vec<String>> for ReportRow {
    fn from(r: &Vec<String>) -> Self {
        assert_eq!(r.len(), 9, "{r:?}");
        Self {
            row: r[0].parse().expect("a row number"),
            nhs: r[1].clone(),
            mobile: r[2].clone(),
            status: r[3].clone(),
            reason: r[4].clone(),
            sent_at: r[5].clone(),
            delivered_at: r[6].clone(),
            status_at: r[7].clone(),
            text: r[8].clone(),
        }
    }
}

/// A time as the report writes it: UK local time, to the second.
fn uk_report_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&London)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// What the simulated provider does with a mobile (see
/// `batchmsg_local::outbox`): the status and reason it ends with.
fn outcome(mobile: &str) -> (&'static str, String) {
    let reserved = mobile
        .strip_prefix("+447700900")
        .and_then(|d| d.parse::<u16>().ok());
    let permanent = |reason: &str| ("permanent-failure", reason.to_owned());
    match reserved {
        Some(990) => permanent("Unknown handset"),
        Some(991) => permanent("Phone number is not in service"),
        Some(992) => permanent("Invalid phone number"),
        Some(993) => permanent("Phone has blocked SMS"),
        Some(994) => permanent("Phone carrier has blocked this message"),
        Some(998) => ("temporary-failure", UNREACHABLE.to_owned()),
        Some(999) => (
            "technical-failure",
            format!("The SMS provider refused it: {REFUSED_REASON}"),
        ),
        _ => ("delivered", String::new()),
    }
}

fn refused(mobile: &str) -> bool {
    mobile == "+447700900999"
}

// ---------------------------------------------------------------------------
// Sending now.

#[test]
fn sending_now_writes_each_text_once_and_records_every_outcome() {
    let mut session = Session::new();
    // Ten ordinary numbers and every reserved one, mixed; a bad row too.
    let mobiles: Vec<u16> = (0..10u16).flat_map(|i| [100 + i, 990 + i]).collect();
    let list = session.write_list(&mobiles, &[7]);
    assert_eq!(list.accepted.len(), 20);

    let send = session.run(&["send", list.path(), "--message", MESSAGE, "--yes"]);
    assert!(send.status.success(), "{}\n{}", send.stdout, send.stderr);
    let first = send.stdout.lines().next().expect("a first line");
    let id = batch_id(first);
    assert_eq!(
        first,
        format!(
            "Batch {id}: {} rows, 20 accepted, 1 not accepted",
            list.rows
        )
    );
    assert!(
        session
            .data
            .join("batches")
            .join(&id)
            .join("not-accepted.csv")
            .is_file()
    );
    assert!(
        send.stdout.contains(&format!("{id} (completed)")),
        "{}",
        send.stdout
    );

    // One line per accepted patient but the refused one; none twice.
    let outbox = session.outbox();
    let sent = by_row(&outbox, &id);
    let patients = list.by_row();
    let expected_rows: HashSet<u64> = list
        .accepted
        .iter()
        .filter(|p| !refused(&p.mobile))
        .map(|p| p.row)
        .collect();
    assert_eq!(outbox.len(), 19);
    assert_eq!(sent.keys().copied().collect::<HashSet<_>>(), expected_rows);
    for s in &outbox {
        let patient = patients[&s.row];
        assert_eq!(s.to, patient.mobile, "row {}", s.row);
        assert_eq!(list.accepted[s.seq as usize].row, s.row, "seq follows rows");
        assert!(
            s.body
                .starts_with(&format!("Dear {}, your flu", patient.name)),
            "{}",
            s.body
        );
    }

    // Every receipt is in when send exits.
    let status = session.status(&id);
    assert_eq!(status.batch_status, "completed");
    assert_eq!(status.size, 20);
    assert_eq!(
        status.total,
        Counts {
            waiting: 0,
            sent: 0,
            // 10 ordinary, and 995–997 after a temporary failure.
            delivered: 13,
            // 990–994 permanent, 998 temporary, 999 refused.
            failed: 7,
            cancelled: 0,
        }
    );
    assert_eq!(status.waves.len(), 1);
    assert_eq!(status.waves[0].status, "released");
    let expected_reasons: BTreeSet<(String, u64, String)> = list
        .accepted
        .iter()
        .map(|p| outcome(&p.mobile))
        .filter(|(status, _)| *status != "delivered")
        .map(|(status, reason)| (status.to_owned(), 1, reason))
        .collect();
    assert_eq!(status.reasons, expected_reasons);

    // The report: every accepted patient, in list order, with the outcome
    // their number implies.
    let report = session.report(&id);
    assert_eq!(
        report.iter().map(|r| r.row).collect::<Vec<_>>(),
        list.accepted.iter().map(|p| p.row).collect::<Vec<_>>()
    );
    for r in &report {
        let patient = patients[&r.row];
        assert_eq!((&r.nhs, &r.mobile), (&patient.nhs, &patient.mobile));
        let (status, reason) = outcome(&r.mobile);
        assert_eq!((r.status.as_str(), &r.reason), (status, &reason), "{r:?}");
        assert!(!r.status_at.is_empty(), "{r:?}");
        match sent.get(&r.row) {
            Some(s) => {
                assert_eq!(r.sent_at, uk_report_time(s.sent_at), "{r:?}");
                assert_eq!(r.text, s.body);
            }
            None => assert!(r.sent_at.is_empty(), "{r:?}"),
        }
        if status == "delivered" {
            assert!(!r.delivered_at.is_empty(), "{r:?}");
            assert!(r.delivered_at >= r.sent_at, "{r:?}");
        } else {
            assert!(r.delivered_at.is_empty(), "{r:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// Schedules.

#[test]
fn a_send_at_a_uk_time_waits_for_that_time() {
    let mut session = Session::new();
    let list = session.write_list(&[201, 202, 203, 204, 205, 206], &[]);
    // A UK clock time to the second, 3 s from now; the instant it names.
    let due = DateTime::from_timestamp((Utc::now() + TimeDelta::seconds(3)).timestamp(), 0)
        .expect("a time");
    let at = due
        .with_timezone(&London)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();

    let send = session.run(&[
        "send",
        list.path(),
        "--message",
        MESSAGE,
        "--at",
        &at,
        "--yes",
    ]);
    let exited = Utc::now();
    assert!(send.status.success(), "{}\n{}", send.stdout, send.stderr);
    let id = batch_id(&send.stdout);
    // The plan leaves off seconds that are zero.
    let clock = if due.timestamp() % 60 == 0 {
        "%H:%M"
    } else {
        "%H:%M:%S"
    };
    assert!(
        send.stdout.contains(&format!(
            "6 texts  {} on",
            due.with_timezone(&London).format(clock)
        )),
        "{}",
        send.stdout
    );
    assert!(exited >= due, "send exited at {exited}, before {due}");

    let outbox = session.outbox();
    assert_eq!(by_row(&outbox, &id).len(), 6);
    for s in &outbox {
        assert!(s.sent_at >= due, "sent at {} before {due}", s.sent_at);
        assert!(
            s.sent_at < due + TimeDelta::seconds(2),
            "sent at {}, long after {due}",
            s.sent_at
        );
    }
    let status = session.status(&id);
    assert_eq!(status.batch_status, "completed");
    assert_eq!(status.total.delivered, 6);
}

#[test]
fn staggered_waves_go_at_their_times_in_list_order() {
    let mut session = Session::new();
    // 12 accepted patients, with a bad row among them that takes no place.
    let mobiles: Vec<u16> = (300..312).collect();
    let list = session.write_list(&mobiles, &[6]);
    let send = session.run(&[
        "send",
        list.path(),
        "--message",
        MESSAGE,
        "--stagger",
        "5",
        "--every",
        "2s",
        "--yes",
    ]);
    assert!(send.status.success(), "{}\n{}", send.stdout, send.stderr);
    let id = batch_id(&send.stdout);
    assert!(
        send.stdout.contains("3 waves (UK time):"),
        "{}",
        send.stdout
    );

    let waves = session.waves(&id);
    assert_eq!(
        waves
            .iter()
            .map(|w| (w.number, w.first, w.size))
            .collect::<Vec<_>>(),
        [(1, 0, 5), (2, 5, 5), (3, 10, 2)]
    );
    for pair in waves.windows(2) {
        assert_eq!(pair[1].due - pair[0].due, TimeDelta::seconds(2));
    }

    let outbox = session.outbox();
    let sent = by_row(&outbox, &id);
    assert_eq!(sent.len(), 12);
    let mut firsts = Vec::new();
    for (k, wave) in waves.iter().enumerate() {
        let members = &list.accepted[k * 5..(k * 5 + 5).min(12)];
        let times: Vec<DateTime<Utc>> = members.iter().map(|p| sent[&p.row].sent_at).collect();
        for (p, at) in members.iter().zip(&times) {
            assert!(
                *at >= wave.due,
                "row {} of wave {} sent at {at}, before its due {}",
                p.row,
                wave.number,
                wave.due
            );
            assert!(
                *at < wave.due + TimeDelta::seconds(1),
                "row {} of wave {} sent at {at}, long after its due {}",
                p.row,
                wave.number,
                wave.due
            );
        }
        firsts.push(*times.iter().min().expect("a text"));
    }
    for pair in firsts.windows(2) {
        let apart = pair[1] - pair[0];
        assert!(
            apart >= TimeDelta::milliseconds(1500) && apart <= TimeDelta::milliseconds(2500),
            "waves {apart} apart"
        );
    }

    let status = session.status(&id);
    assert_eq!(status.batch_status, "completed");
    assert_eq!(
        status
            .waves
            .iter()
            .map(|w| (w.number, w.status.as_str(), w.size, w.counts.delivered))
            .collect::<Vec<_>>(),
        [
            (1, "released", 5, 5),
            (2, "released", 5, 5),
            (3, "released", 2, 2)
        ]
    );
}

#[test]
fn a_cancel_between_waves_stops_the_rest_and_send_exits() {
    let mut session = Session::new();
    let mobiles: Vec<u16> = (400..415).collect();
    let list = session.write_list(&mobiles, &[]);
    let send = session.spawn(&[
        "send",
        list.path(),
        "--message",
        MESSAGE,
        "--stagger",
        "5",
        "--every",
        "4s",
        "--yes",
    ]);
    let id = batch_id(&send.first_line());
    wait_until(
        "the first wave in the outbox",
        Duration::from_secs(10),
        || session.outbox_lines() >= 5,
    );

    let cancel = session.ok(&["cancel", &id]);
    assert!(
        cancel.starts_with(&format!(
            "Cancelled batch {id}: 2 waves and 10 texts that had not been sent."
        )),
        "{cancel}"
    );
    let send = send.finish(&session, Duration::from_secs(3));
    assert!(send.status.success(), "{}\n{}", send.stdout, send.stderr);
    assert!(
        send.stdout.contains(&format!("{id} (cancelled)")),
        "{}",
        send.stdout
    );

    let outbox = session.outbox();
    let sent = by_row(&outbox, &id);
    assert_eq!(
        sent.keys().copied().collect::<BTreeSet<_>>(),
        list.accepted[..5].iter().map(|p| p.row).collect()
    );
    let status = session.status(&id);
    assert_eq!(status.batch_status, "cancelled");
    assert_eq!(
        status.total,
        Counts {
            delivered: 5,
            cancelled: 10,
            ..Counts::default()
        }
    );
    assert_eq!(
        status
            .waves
            .iter()
            .map(|w| (w.number, w.status.as_str(), w.counts.cancelled))
            .collect::<Vec<_>>(),
        [(1, "released", 0), (2, "cancelled", 5), (3, "cancelled", 5)]
    );
}

// ---------------------------------------------------------------------------
// Crashes and the rate.

#[test]
fn a_send_killed_mid_way_is_finished_by_run_without_sending_twice() {
    let mut session = Session::new();
    let list = session.path("list.csv");
    let generate = batchmsg()
        .args(["generate", "2000", "--seed", "7", "--out"])
        .arg(&list)
        .output()
        .expect("runs generate");
    assert!(generate.status.success(), "{generate:?}");
    let records = parse_csv(&std::fs::read(&list).expect("the list"));
    for record in &records[1..] {
        let cell = |i: usize| record.get(i).map_or("", String::as_str);
        session.secrets.extend(secrets_of(cell(0), cell(1)));
    }
    let list = list.to_str().expect("UTF-8");

    let send = session.spawn(&["send", list, "--message", MESSAGE, "--rate", "400", "--yes"]);
    let first = send.first_line();
    let id = batch_id(&first);
    let accepted: usize = first
        .split(", ")
        .find_map(|part| part.strip_suffix(" accepted"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no accepted count in {first:?}"));
    wait_until("300 texts in the outbox", Duration::from_secs(10), || {
        session.outbox_lines() >= 300
    });
    let killed = send.kill(&session);
    assert!(!killed.status.success());
    let at_kill = session.outbox_lines();
    assert!(
        at_kill < accepted - 100,
        "{at_kill} of {accepted} were sent"
    );

    let run = session.ok(&["run"]);
    assert!(
        run.starts_with(&format!("Resuming 1 batch: {id}\n")),
        "{run}"
    );
    assert_eq!(
        session.ok(&["run"]),
        "Nothing to do: every batch is finished or waiting on nothing\n"
    );

    let status = session.status(&id);
    assert_eq!(status.batch_status, "completed");
    assert_eq!(status.size, accepted as u64);
    assert_eq!(status.total.waiting, 0);
    let report = session.report(&id);
    assert_eq!(report.len(), accepted);
    let outbox = session.outbox();
    let sent = by_row(&outbox, &id);
    for r in &report {
        assert_eq!(
            sent.contains_key(&r.row),
            !refused(&r.mobile),
            "row {}: {} in the outbox",
            r.row,
            r.status
        );
        if let Some(s) = sent.get(&r.row) {
            assert_eq!(s.to, r.mobile);
            assert_eq!(r.sent_at, uk_report_time(s.sent_at), "{r:?}");
        }
        assert!(
            matches!(
                r.status.as_str(),
                "sent" | "delivered" | "temporary-failure" | "permanent-failure"
            ) || (r.status == "technical-failure" && refused(&r.mobile)),
            "row {} is {} ({})",
            r.row,
            r.status,
            r.reason
        );
    }
    assert_eq!(
        outbox.len(),
        report.iter().filter(|r| !refused(&r.mobile)).count()
    );
    // The rate holds across the restart: run counts what was sent just before.
    assert_no_second_over(&outbox, 400);
}

/// Checks every 1,000 ms window of the outbox's `sent_at` holds at most
/// `limit` texts; the times, sorted.
fn assert_no_second_over(outbox: &[Sent], limit: usize) -> Vec<i64> {
    let mut times: Vec<i64> = outbox
        .iter()
        .map(|s| s.sent_at.timestamp_millis())
        .collect();
    times.sort_unstable();
    let mut end = 0;
    for (start, &from) in times.iter().enumerate() {
        while end < times.len() && times[end] < from + 1000 {
            end += 1;
        }
        assert!(
            end - start <= limit,
            "{} texts in the second from {from} ms",
            end - start
        );
    }
    times
}

#[test]
fn no_second_of_the_outbox_holds_more_than_the_rate() {
    let mut session = Session::new();
    let mobiles: Vec<u16> = (0..300).collect();
    let list = session.write_list(&mobiles, &[]);
    let send = session.run(&[
        "send",
        list.path(),
        "--message",
        MESSAGE,
        "--rate",
        "50",
        "--yes",
    ]);
    assert!(send.status.success(), "{}\n{}", send.stdout, send.stderr);
    let id = batch_id(&send.stdout);

    let outbox = session.outbox();
    assert_eq!(by_row(&outbox, &id).len(), 300);
    let times = assert_no_second_over(&outbox, 50);
    let span = (times[times.len() - 1] - times[0]) as f64 / 1000.0;
    let rate = (times.len() - 1) as f64 / span;
    assert!(rate >= 0.95 * 50.0, "{rate:.1} texts a second");
}

// ---------------------------------------------------------------------------
// Refusals.

#[test]
fn without_yes_and_without_a_terminal_nothing_is_sent() {
    let mut session = Session::new();
    let list = session.write_list(&[501, 502, 503, 504], &[]);
    let send = session.run(&["send", list.path(), "--message", MESSAGE]);
    assert!(!send.status.success(), "{}", send.stdout);
    assert!(send.stderr.contains("--yes"), "{}", send.stderr);
    let id = batch_id(&send.stdout);
    assert_eq!(session.outbox_lines(), 0);
    assert!(
        send.stdout
            .contains(&format!("Nothing sent. Batch {id} is cancelled")),
        "{}",
        send.stdout
    );
    // Not left looking as if its texts were waiting to go.
    let status = session.status(&id);
    assert_eq!(status.batch_status, "cancelled");
    assert_eq!(
        status.total,
        Counts {
            cancelled: 4,
            ..Counts::default()
        }
    );
    assert_eq!(
        session.ok(&["run"]),
        "Nothing to do: every batch is finished or waiting on nothing\n"
    );
    assert_eq!(session.outbox_lines(), 0);
}

#[test]
fn a_time_in_the_past_is_refused_before_the_list_is_read() {
    let session = Session::new();
    let missing = session.path("missing.csv");
    let missing = missing.to_str().expect("UTF-8");
    let hours_ago = (Utc::now() - TimeDelta::hours(2))
        .with_timezone(&London)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    for at in ["2020-01-01 09:00", hours_ago.as_str()] {
        for stagger in [&[][..], &["--stagger", "5", "--every", "2s"]] {
            let mut args = vec!["send", missing, "--message", MESSAGE, "--at", at, "--yes"];
            args.extend_from_slice(stagger);
            let send = session.run(&args);
            assert!(!send.status.success(), "{args:?}: {}", send.stdout);
            assert!(
                send.stderr.contains("(UK time) is in the past"),
                "{args:?}: {}",
                send.stderr
            );
            assert!(!send.stderr.contains("missing.csv"), "{}", send.stderr);
            assert_eq!(send.stdout, "");
        }
    }
    assert!(
        !session.data.exists(),
        "a refused send created {}",
        session.data.display()
    );
}
