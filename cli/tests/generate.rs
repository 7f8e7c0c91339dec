//! End-to-end tests of `batchmsg generate`, alone and piped into `validate`.

mod common;

use std::process::Stdio;

use common::{assert_accepted_shapes, batchmsg, example, validate_with};

fn generate(args: &[&str]) -> Vec<u8> {
    let output = batchmsg()
        .arg("generate")
        .args(args)
        .output()
        .expect("runs batchmsg generate");
    assert!(
        output.status.success(),
        "generate {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let first = generate(&["300", "--seed", "42"]);
    let again = generate(&["300", "--seed", "42"]);
    assert_eq!(first, again);

    let temp = tempfile::tempdir().expect("temp");
    let file = temp.path().join("list.csv");
    let output = batchmsg()
        .args(["generate", "300", "--seed", "42", "--out"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(output.stdout.is_empty(), "--out writes only the file");
    assert_eq!(std::fs::read(&file).expect("reads"), first);

    assert_ne!(generate(&["300", "--seed", "43"]), first);
}

#[test]
fn a_generated_list_looks_like_a_systmone_export() {
    let bytes = generate(&["50", "--seed", "1"]);
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(
        text.starts_with("NHS Number,Mobile Number,Date of Birth,Patient Name,SMS Consent\r\n"),
        "{text}"
    );
    assert!(text.ends_with("\r\n"));
    assert_eq!(text.matches("\r\n").count(), 51, "a header and 50 rows");
    assert_eq!(text.matches('\n').count(), 51, "every line ends CRLF");

    let without = String::from_utf8(generate(&["5", "--no-consent-column"])).expect("UTF-8");
    assert!(without.starts_with("NHS Number,Mobile Number,Date of Birth,Patient Name\r\n"));
}

#[test]
fn the_example_list_is_generate_200_with_seed_42() {
    let committed = std::fs::read(example("patients.csv")).expect("reads");
    assert!(
        committed == generate(&["200", "--seed", "42"]),
        "examples/patients.csv differs from the generator's output: regenerate it with \
         `batchmsg generate 200 --seed 42 --out examples/patients.csv`"
    );
}

/// `batchmsg generate 5000 | batchmsg validate /dev/stdin`: every row of a
/// big damaged list is classified, in order, and only test-range numbers
/// are accepted.
#[cfg(unix)]
#[test]
fn five_thousand_generated_rows_piped_into_validate_are_all_classified() {
    let mut generator = batchmsg()
        .args(["generate", "5000", "--seed", "2024"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts generate");
    let list = generator.stdout.take().expect("a pipe");
    let run = validate_with(
        std::path::Path::new("/dev/stdin"),
        [
            "--message",
            "Dear ((name|patient)), your flu vaccination is due.",
        ],
        |c| {
            c.stdin(Stdio::from(list));
        },
    );
    assert!(generator.wait().expect("generate ends").success());
    run.assert_ok();

    let summary = run.summary();
    assert_eq!(summary["rows"], 5000);
    let accepted = summary["accepted"].as_u64().expect("count");
    let not_accepted = summary["not_accepted"].as_u64().expect("count");
    assert_eq!(accepted + not_accepted, 5000);
    // About one row in ten is damaged on purpose.
    assert!(
        (250..=1000).contains(&not_accepted),
        "{not_accepted} not accepted"
    );
    let reasons: u64 = summary["reasons"]
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["rows"].as_u64().expect("count"))
        .sum();
    assert!(
        reasons >= not_accepted,
        "every not-accepted row has a reason"
    );

    let accepted_csv = run.accepted();
    assert_accepted_shapes(&accepted_csv);
    for record in &accepted_csv[1..] {
        assert!(
            record[1].starts_with("999"),
            "test-range NHS number {record:?}"
        );
        assert!(
            record[2].starts_with("+447700900"),
            "drama-range mobile {record:?}"
        );
    }
    let accepted_rows = run.accepted_rows();
    let not_accepted_rows = run.not_accepted_rows();
    assert_eq!(accepted_rows.len() as u64, accepted);
    assert_eq!(not_accepted_rows.len() as u64, not_accepted);
    assert!(accepted_rows.is_sorted_by(|a, b| a < b));
    assert!(not_accepted_rows.is_sorted_by(|a, b| a < b));
    let mut all: Vec<u64> = accepted_rows.into_iter().chain(not_accepted_rows).collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (2..=5001).collect::<Vec<u64>>(),
        "one row each, header is row 1"
    );
}
