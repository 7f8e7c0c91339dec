//! An opted-out list given with no number in it (names only, or empty) stops
//! the run: read as a list of nobody, everyone on it would be texted.

mod common;

use std::path::Path;

use common::{fixture, validate};

#[test]
fn an_opted_out_list_of_names_only_stops_the_run() {
    let temp = tempfile::tempdir().expect("temp");
    for (name, text) in [
        (
            "names.txt",
            "Patients who opted out of SMS\nNHS Number\nBob Smith (number not on record)\nMrs J Jones\n",
        ),
        ("empty.txt", ""),
        ("header-only.csv", "NHS number,Mobile\n"),
    ] {
        let list = temp.path().join(name);
        std::fs::write(&list, text).expect("writes");
        let run = validate(&fixture("systmone.csv"), [Path::new("--opted-out"), &list]);
        let message = run.assert_file_level_error();
        assert!(
            message.contains("The opted-out list holds no NHS numbers or mobile numbers"),
            "{name}: {message}"
        );
        assert!(!message.contains("Jones"), "no entry is echoed: {message}");
    }
}
