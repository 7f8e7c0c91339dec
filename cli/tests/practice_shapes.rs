//! `generate --practice-shapes` makes the lists practices really make, and
//! `validate` reads them as a person would: every row the generator damaged
//! or took back (a patient who declined further down) is not accepted, and
//! nothing else; the pasted second header and the footer are not patients.

mod common;

use batchmsg_core::mobile::UkMobile;
use batchmsg_synthetic::{ListOptions, write_patient_list};
use common::validate;

#[test]
fn a_list_with_practice_shapes_is_read_as_a_person_reads_it() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let list = temp.path().join("practice.csv");
    let options = ListOptions {
        rows: 4000,
        seed: 11,
        with_consent_column: true,
        practice_shapes: true,
    };
    let mut bytes = Vec::new();
    let counts = write_patient_list(&mut bytes, &options).expect("generates");
    std::fs::write(&list, &bytes).expect("writes");

    let run = validate(
        &list,
        [
            "--message",
            "Dear ((patient name|patient)), your recall is due.",
        ],
    );
    run.assert_ok();
    let summary = run.summary();
    assert_eq!(summary["rows"], 4000);
    assert_eq!(summary["header_rows"], 2, "the pasted export's header");
    assert_eq!(summary["footer_rows_skipped"], 2);
    assert_eq!(summary["blank_rows_skipped"], 0);
    assert_eq!(summary["not_accepted"], counts.intended_bad);
    assert_eq!(summary["columns"]["mobile"], "Mobile Number");
    assert_eq!(summary["columns"]["name"], "Patient Name");
    let stopped_on_another_row = summary["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .find(|r| r["code"] == "stopped_on_another_row")
        .map(|r| r["rows"].as_u64().expect("a count"));
    assert!(stopped_on_another_row.is_some_and(|n| n > 0), "{summary:#}");
    // No text goes to a next of kin: each accepted mobile is the one in the
    // row's own "Mobile Number" column, whichever header the row is under.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut header: Vec<String> = Vec::new();
    let mut patients_mobile = std::collections::HashMap::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.expect("a record");
        if record.iter().any(|c| c == "NHS Number") {
            header = record.iter().map(str::to_owned).collect();
            continue;
        }
        let mobile = header
            .iter()
            .position(|h| h == "Mobile Number")
            .expect("a column");
        patients_mobile.insert(line as u64 + 1, record.get(mobile).unwrap_or("").to_owned());
    }
    let accepted = run.accepted();
    assert!(accepted.len() > 3000, "{}", accepted.len());
    for row in &accepted[1..] {
        let number: u64 = row[0].parse().expect("a row number");
        let written = &patients_mobile[&number];
        let mobile = UkMobile::parse(written).expect("the patient's mobile");
        assert_eq!(row[2], mobile.e164().as_str(), "row {number}");
    }
}
