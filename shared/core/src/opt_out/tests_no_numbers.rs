//! An opted-out list that holds no number is the wrong file, not a list of
//! nobody: read as empty, everyone on it would be texted.

use super::*;

#[test]
fn a_list_of_names_only_stops_the_read() {
    // The reviewer's file: a title, a header and names, but no number.
    let text = include_str!("../../tests/fixtures/opted_out_names_only.txt");
    let err = OptOutList::read(text.as_bytes()).expect_err("no number in it");
    assert!(matches!(err, OptOutError::NoNumbers), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("The opted-out list holds no NHS numbers or mobile numbers"),
        "{message}"
    );
    assert!(!message.contains("Jones"), "no entry is echoed: {message}");
}

#[test]
fn an_empty_blank_or_header_only_list_stops_the_read() {
    for text in [
        "",
        "\n\r\n  \n",
        "NHS number or mobile\n",
        "# nobody yet\n",
        "NHS number\n# asked on the phone\n\n",
        "\u{feff}NHS number,Mobile\n,\n",
    ] {
        let err = OptOutList::read(text.as_bytes()).expect_err(text);
        assert!(matches!(err, OptOutError::NoNumbers), "{text:?}: {err}");
    }
}

#[test]
fn one_number_below_a_header_is_a_list() {
    let list = OptOutList::read("Opted out\n# phone\n07700900123\n".as_bytes()).expect("reads");
    assert_eq!(list.len(), 1);
}
