//! End to end: what goes into a text is what a person reads in the cell, and
//! nothing printed to the terminal holds a raw control character or a
//! direction override; a mistyped placeholder stops the run.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use batchmsg_synthetic::nhs_check_digit;
use common::{batchmsg, validate};
use tempfile::TempDir;

const MESSAGE: &str = "Dear ((name)), see you at ((clinic)).";

fn nhs(i: u64) -> String {
    (0..10)
        .find_map(|last| {
            let first_nine = 999_100_000 + i * 10 + last;
            let digits: [u8; 9] =
                std::array::from_fn(|k| first_nine.to_string().as_bytes()[k] - b'0');
            nhs_check_digit(&digits).map(|check| format!("{first_nine}{check}"))
        })
        .expect("a check digit")
}

/// A list of (name, clinic) rows, row 2 onwards, in `dir`.
fn write_list(dir: &Path, header: &str, rows: &[(&str, &str)]) -> PathBuf {
    let mut csv = format!("NHS Number,Mobile,Date of Birth,Name,{header}\n");
    for (i, (name, clinic)) in rows.iter().enumerate() {
        csv.push_str(&format!(
            "{},07700 900{:03},01/02/1960,\"{name}\",\"{clinic}\"\n",
            nhs(i as u64),
            i + 1
        ));
    }
    let path = dir.join("list.csv");
    std::fs::write(&path, csv).expect("writes the list");
    path
}

/// Rows with a name or clinic that would mislead if sent or printed raw.
const ROWS: &[(&str, &str)] = &[
    ("\u{1b}[2J\u{1b}[31mAnn\u{7}", "Leeds\u{200b}"),
    ("Ben", "\u{202e}sdeeL"),
    (
        "Cat\r\nYour appointment is CANCELLED. Call 0113 496 0000",
        "Leeds",
    ),
    ("\u{200b}\u{feff}", "Leeds"),
];

fn assert_nothing_raw(printed: &str) {
    assert!(
        !printed
            .chars()
            .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
        "raw control or override printed:\n{printed:?}"
    );
}

fn run(args: &[&str], dir: &Path) -> (Output, String, String) {
    let output = batchmsg()
        .args(args)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .stdin(Stdio::null())
        .output()
        .expect("runs batchmsg");
    let stdout = String::from_utf8(output.stdout.clone()).expect("UTF-8");
    let stderr = String::from_utf8(output.stderr.clone()).expect("UTF-8");
    (output, stdout, stderr)
}

#[test]
fn preview_shows_what_a_person_reads_and_prints_nothing_raw() {
    let temp = TempDir::new().expect("a temporary folder");
    let list = write_list(temp.path(), "Clinic", ROWS);
    let list = list.to_str().expect("UTF-8 path");
    let (output, stdout, stderr) = run(&["preview", list, "--message", MESSAGE], temp.path());
    assert!(output.status.success(), "{stderr}");
    assert_nothing_raw(&stdout);
    assert!(
        stdout.contains("    Dear [2J[31mAnn, see you at Leeds.\n"),
        "{stdout}"
    );

    let (_, stdout, _) = run(
        &["preview", list, "--message", MESSAGE, "--row", "3"],
        temp.path(),
    );
    assert_nothing_raw(&stdout);
    assert!(
        stdout.contains("Row 3 is not accepted") && stdout.contains("cannot be sent"),
        "{stdout}"
    );

    let (_, stdout, _) = run(
        &["preview", list, "--message", MESSAGE, "--row", "4"],
        temp.path(),
    );
    assert!(
        stdout.contains(
            "    Dear Cat Your appointment is CANCELLED. Call 0113 496 0000, see you at Leeds.\n"
        ),
        "{stdout}"
    );
}

#[test]
fn accepted_csv_holds_the_values_as_read() {
    let temp = TempDir::new().expect("a temporary folder");
    let list = write_list(temp.path(), "Clinic", ROWS);
    let run = validate(&list, ["--message", MESSAGE]);
    run.assert_ok();
    let accepted = run.accepted();
    let name_at = accepted[0].iter().position(|h| h == "name").expect("name");
    let clinic_at = accepted[0]
        .iter()
        .position(|h| h == "Clinic")
        .expect("Clinic");
    let values: Vec<(&str, &str)> = accepted[1..]
        .iter()
        .map(|r| (r[name_at].as_str(), r[clinic_at].as_str()))
        .collect();
    assert_eq!(
        values,
        [
            ("[2J[31mAnn", "Leeds"),
            (
                "Cat Your appointment is CANCELLED. Call 0113 496 0000",
                "Leeds"
            ),
        ]
    );
    let reasons = run.reasons();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0].0, 3);
    assert!(
        reasons[0]
            .1
            .contains("((clinic)) contains characters that cannot be sent")
    );
    assert_eq!(reasons[1].0, 5);
    assert!(
        reasons[1].1.contains("No value for ((name))"),
        "{reasons:?}"
    );
}

#[test]
fn the_plan_before_sending_prints_nothing_raw() {
    let temp = TempDir::new().expect("a temporary folder");
    let list = write_list(temp.path(), "Clinic", ROWS);
    let list = list.to_str().expect("UTF-8 path");
    // No terminal to confirm at: the plan is printed and nothing is sent.
    let (output, stdout, stderr) = run(&["send", list, "--message", MESSAGE], temp.path());
    assert!(!output.status.success());
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_nothing_raw(&stdout);
    assert!(
        stdout.contains("  | Dear [2J[31mAnn, see you at Leeds.\n"),
        "{stdout}"
    );
}

#[test]
fn errors_print_a_header_s_direction_override_escaped() {
    let temp = TempDir::new().expect("a temporary folder");
    let list = write_list(temp.path(), "Clinic\u{202e}etis", &[("Ann", "Leeds")]);
    let run = validate(&list, ["--message", "Dear ((name)), see you at ((site))."]);
    let message = run.assert_file_level_error();
    assert_nothing_raw(message);
    assert!(message.contains("Clinic\\u{202e}etis"), "{message}");
}

#[test]
fn a_message_with_a_control_character_is_refused_before_the_list_is_read() {
    let temp = TempDir::new().expect("a temporary folder");
    let list = write_list(temp.path(), "Clinic", &[("Ann", "Leeds")]);
    let run = validate(&list, ["--message", "Dear ((name))\u{1b}[2J, hello"]);
    let message = run.assert_file_level_error();
    assert_nothing_raw(message);
    assert!(message.contains("U+001B"), "{message}");
}

#[test]
fn a_mistyped_placeholder_stops_the_run_naming_it() {
    let temp = TempDir::new().expect("a temporary folder");
    let list = write_list(temp.path(), "Clinic", &[("Ann", "Leeds")]);
    for (message, found, write) in [
        (
            "Dear ((name), see you at ((clinic)).",
            "\"((name)\"",
            "((name))",
        ),
        (
            "Dear {{name}}, see you at ((clinic)).",
            "\"{{name}}\"",
            "((name))",
        ),
        (
            "Dear ((name)), see you at ((clinic))).",
            "\"((clinic)))\"",
            "((clinic))",
        ),
    ] {
        let run = validate(&list, ["--message", message]);
        let error = run.assert_file_level_error();
        assert!(error.contains(found) && error.contains(write), "{error}");
    }
}
