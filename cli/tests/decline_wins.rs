//! A decline anywhere wins, through the binary: a patient listed twice, "Yes"
//! first and "Declined" later, is in neither `accepted.csv` nor the texts sent.

mod common;

use common::{batchmsg, validate};

const LIST: &str = "NHS Number,Mobile,Date of Birth,Forename,SMS Consent\n\
                    943 476 5919,07700 900001,01/02/1980,Ann,Yes\n\
                    9434765870,07700 900002,01/02/1980,Bo,Yes\n\
                    943-476-5919,07700 900001,01/02/1980,Ann,Declined\n";

#[test]
fn validate_keeps_a_patient_declined_on_a_later_row_out_of_accepted() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let list = temp.path().join("list.csv");
    std::fs::write(&list, LIST).expect("writes");
    let run = validate(&list, [] as [&str; 0]);
    run.assert_ok();
    assert_eq!(run.accepted_rows(), vec![3]);
    assert_eq!(
        run.reasons(),
        vec![
            (2, "Patient has declined SMS on row 4".to_owned()),
            (
                4,
                "Patient has declined SMS; Same patient as row 2".to_owned()
            ),
        ]
    );
}

#[test]
fn send_never_texts_a_patient_declined_on_a_later_row() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let list = temp.path().join("list.csv");
    std::fs::write(&list, LIST).expect("writes");
    let data = temp.path().join("data");
    let output = batchmsg()
        .args(["send"])
        .arg(&list)
        .args(["--message", "Hello ((forename))", "--yes", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs batchmsg");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outbox = std::fs::read_to_string(data.join("outbox.jsonl")).expect("an outbox");
    let texts: Vec<serde_json::Value> = outbox
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(texts.len(), 1, "{outbox}");
    assert_eq!(texts[0]["to"], "+447700900002");
}
