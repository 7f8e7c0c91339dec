//! Running the real `batchmsg` binary on temporary folders, and reading what
//! it wrote. Shared by the end-to-end tests; each test file uses a part.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};

use tempfile::TempDir;

pub const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// The binary under test, with no log filter inherited from the caller.
pub fn batchmsg() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_batchmsg"));
    command.env_remove("RUST_LOG");
    command
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ sits in the workspace")
        .to_owned()
}

/// A file in `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    let path = workspace_root().join("tests/fixtures").join(name);
    assert!(path.is_file(), "missing fixture {}", path.display());
    path
}

/// A file in `examples/`.
pub fn example(name: &str) -> PathBuf {
    let path = workspace_root().join("examples").join(name);
    assert!(path.is_file(), "missing example {}", path.display());
    path
}

/// One finished `batchmsg validate`, with its output folder kept alive.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// `--out`, a folder that did not exist before the run.
    pub out: PathBuf,
    pub temp: TempDir,
}

impl Run {
    fn from_output(output: Output, out: PathBuf, temp: TempDir) -> Self {
        Self {
            status: output.status,
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
            out,
            temp,
        }
    }

    /// Exit 0 and all three files written.
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.status.success(),
            "validate failed: {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        for name in ["accepted.csv", "not-accepted.csv", "summary.json"] {
            assert!(self.out.join(name).is_file(), "{name} was not written");
        }
        assert_eq!(self.leftover_partials(), Vec::<String>::new());
        self
    }

    /// A file-level problem: non-zero exit, one message on stderr, and no
    /// output at all (the folder is absent or empty: no results, no `.partial`).
    /// Returns the message.
    pub fn assert_file_level_error(&self) -> &str {
        assert!(
            !self.status.success(),
            "expected a file-level error, got success\nstdout:\n{}",
            self.stdout
        );
        let message = self.stderr.trim();
        assert!(!message.is_empty(), "no message on stderr");
        assert_eq!(
            message.lines().count(),
            1,
            "expected one message, got:\n{message}"
        );
        if self.out.exists() {
            let left: Vec<String> = std::fs::read_dir(&self.out)
                .expect("reads the output folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(
                left,
                Vec::<String>::new(),
                "a failed run left files in the output folder"
            );
        }
        message
    }

    fn leftover_partials(&self) -> Vec<String> {
        std::fs::read_dir(&self.out)
            .map(|entries| {
                entries
                    .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                    .filter(|name| name.ends_with(".partial"))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.out.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
    }

    /// `accepted.csv`: the header record, then one record a row.
    pub fn accepted(&self) -> Vec<Vec<String>> {
        let bytes = self.bytes("accepted.csv");
        assert!(
            !bytes.starts_with(UTF8_BOM),
            "accepted.csv is data for tools: no byte-order mark"
        );
        parse_csv(&bytes)
    }

    /// `not-accepted.csv` without its byte-order mark, which must be there.
    pub fn not_accepted(&self) -> Vec<Vec<String>> {
        let bytes = self.bytes("not-accepted.csv");
        let rest = bytes
            .strip_prefix(UTF8_BOM)
            .expect("not-accepted.csv starts with a UTF-8 byte-order mark, for Excel");
        parse_csv(rest)
    }

    pub fn summary(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes("summary.json")).expect("summary.json is JSON")
    }

    /// `(row, reason)` for each not-accepted row, in file order.
    pub fn reasons(&self) -> Vec<(u64, String)> {
        let records = self.not_accepted();
        let reason_at = records[0]
            .iter()
            .position(|h| h == "reason")
            .expect("a reason column");
        records[1..]
            .iter()
            .map(|r| (row_number(r), r[reason_at].clone()))
            .collect()
    }

    /// Row numbers in `accepted.csv`, in file order.
    pub fn accepted_rows(&self) -> Vec<u64> {
        self.accepted()[1..].iter().map(|r| row_number(r)).collect()
    }

    /// Row numbers in `not-accepted.csv`, in file order.
    pub fn not_accepted_rows(&self) -> Vec<u64> {
        self.not_accepted()[1..]
            .iter()
            .map(|r| row_number(r))
            .collect()
    }
}

pub fn row_number(record: &[String]) -> u64 {
    record[0]
        .parse()
        .unwrap_or_else(|_| panic!("row is not a number in {record:?}"))
}

pub fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_owned).collect())
        .collect()
}

/// Runs `batchmsg validate FILE ARGS… --out DIR` in a fresh temporary folder.
pub fn validate<I, S>(file: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    validate_with(file, args, |_| {})
}

/// As [`validate`], after `setup` has adjusted the command (environment, stdin).
pub fn validate_with<I, S>(file: &Path, args: I, setup: impl FnOnce(&mut Command)) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let temp = tempfile::tempdir().expect("a temporary folder");
    let out = temp.path().join("out");
    let mut command = batchmsg();
    command
        .arg("validate")
        .arg(file)
        .args(args)
        .arg("--out")
        .arg(&out);
    setup(&mut command);
    let output = command.output().expect("runs batchmsg");
    Run::from_output(output, out, temp)
}

/// Every accepted row has a 10-digit NHS number, an E.164 UK mobile and an
/// ISO date of birth.
pub fn assert_accepted_shapes(accepted: &[Vec<String>]) {
    assert_eq!(
        accepted[0][..4],
        ["row", "nhs_number", "mobile", "date_of_birth"]
    );
    for record in &accepted[1..] {
        let (nhs, mobile, dob) = (&record[1], &record[2], &record[3]);
        assert!(
            nhs.len() == 10 && nhs.bytes().all(|b| b.is_ascii_digit()),
            "NHS number {nhs:?}"
        );
        assert!(
            mobile.len() == 13
                && mobile.starts_with("+447")
                && mobile[1..].bytes().all(|b| b.is_ascii_digit()),
            "mobile {mobile:?}"
        );
        let b = dob.as_bytes();
        assert!(
            b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && b.iter()
                    .enumerate()
                    .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()),
            "date of birth {dob:?}"
        );
    }
}
