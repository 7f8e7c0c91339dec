//! End-to-end tests of `batchmsg preview`: the text one patient will get.

mod common;

use std::process::Output;

use common::{batchmsg, example, fixture};

fn preview(args: &[&str]) -> Output {
    batchmsg()
        .arg("preview")
        .args(args)
        .output()
        .expect("runs batchmsg")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "preview failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

#[test]
fn the_first_accepted_row_is_shown_as_it_will_be_sent() {
    let list = example("patients.csv");
    let template = example("message.txt");
    let out = stdout(&preview(&[
        list.to_str().expect("UTF-8 path"),
        "--template",
        template.to_str().expect("UTF-8 path"),
    ]));
    assert!(
        out.contains("Row 2 (the first accepted row), as the patient will see it:"),
        "{out}"
    );
    assert!(
        out.contains("    Dear Ava Ahmed, you are due your flu vaccination."),
        "{out}"
    );
    assert!(out.contains("97 characters, GSM-7, 1 fragment\n"), "{out}");
    assert!(out.contains("177 of 200 rows accepted"), "{out}");
}

#[test]
fn a_chosen_row_shows_what_was_downgraded() {
    let list = example("patients.csv");
    let out = stdout(&preview(&[
        list.to_str().expect("UTF-8 path"),
        "--message",
        "Hi ((name)) \u{2013} it\u{2019}s time\u{2026} book now",
        "--row",
        "5",
    ]));
    assert!(out.contains("Row 5, as the patient will see it:"), "{out}");
    assert!(
        out.contains("    Hi Harry Davies - it's time... book now"),
        "{out}"
    );
    assert!(
        out.contains("\u{2019} is sent as ', so the text can stay GSM-7"),
        "{out}"
    );
    assert!(out.contains("39 characters, GSM-7, 1 fragment"), "{out}");
}

#[test]
fn a_row_that_is_not_accepted_says_why() {
    // Row 5 of the SystmOne fixture has a wrong check digit.
    let list = fixture("systmone.csv");
    let out = stdout(&preview(&[
        list.to_str().expect("UTF-8 path"),
        "--message",
        "Hello",
        "--row",
        "5",
    ]));
    assert!(
        out.contains("Row 5 is not accepted, so it gets no text:"),
        "{out}"
    );
}

#[test]
fn a_row_with_no_patient_is_said_so() {
    let list = example("patients.csv");
    let out = stdout(&preview(&[
        list.to_str().expect("UTF-8 path"),
        "--message",
        "Hello",
        "--row",
        "9999",
    ]));
    assert!(
        out.contains("There is no row 9999 with a patient in the list."),
        "{out}"
    );
}

#[test]
fn without_a_message_it_asks_for_one() {
    let list = example("patients.csv");
    let output = preview(&[list.to_str().expect("UTF-8 path")]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--message TEXT or --template FILE"),
        "{stderr}"
    );
}
