//! Placeholders typed wrongly stop the message; honest brackets do not.

use super::*;

/// Messages that must be refused: what is quoted, and what it says to write.
const BROKEN: &[(&str, &str, &str)] = &[
    ("Dear ((name), see you soon.", "((name)", "((name))"),
    ("Dear (name)), see you soon.", "(name))", "((name))"),
    (
        "Dear ((name|there), see you soon.",
        "((name|there)",
        "((name|there))",
    ),
    ("Dear (( name ), see you soon.", "(( name )", "((name))"),
    ("Dear ((name, see you soon.", "((name,", "((name))"),
    ("Dear name)), see you soon.", "name))", "((name))"),
    ("Dear ((name) at ((clinic)).", "((name)", "((name))"),
    ("See you at ((clinic))).", "((clinic)))", "((clinic))"),
    ("See you at (((clinic)).", "(((clinic))", "((clinic))"),
    (
        "See you at ((clinic)) ) today.",
        "((clinic)) )",
        "((clinic))",
    ),
    (
        "See you at ( ((clinic)) today.",
        "( ((clinic))",
        "((clinic))",
    ),
    ("Dear {{name}}, see you soon.", "{{name}}", "((name))"),
    ("Dear {name}, see you soon.", "{name}", "((name))"),
    ("Dear {0}, see you soon.", "{0}", "((0))"),
    ("Dear [[name]], see you soon.", "[[name]]", "((name))"),
    (
        "Dear [Patient Name], see you soon.",
        "[Patient Name]",
        "((Patient Name))",
    ),
    (
        "Dear <<first name>>, see you soon.",
        "<<first name>>",
        "((first name))",
    ),
    ("Dear {{name}, see you soon.", "{{name}", "((name))"),
    ("Dear name}}, see you soon.", "name}},", "((name))"),
    ("Book at https://nhs.uk/book/{id} today", "{id}", "((id))"),
    (
        "Dear ((name (first))), hello",
        "((name (first))",
        "((name first))",
    ),
    (
        "Dear ((name|friend (dear))), hello",
        "((name|friend (dear))",
        "((name|friend dear))",
    ),
    (
        "Dear ((name))\nYour ((date) appointment",
        "((date)",
        "((date))",
    ),
];

/// Messages with brackets that are honest text.
const HONEST: &[&str] = &[
    "Call us on (01234) 567890.",
    "Call us (9am-5pm).",
    "Thank you :-)",
    "Thank you :-))",
    "Sorry we missed you :((",
    "Sorry :(( we will call",
    "Thanks ;)",
    "Please read the leaflet (see leaflet) before you come.",
    "Dr (Mrs) Smith will see you.",
    "1) Bring your letter 2) Arrive early",
    "a) yes b) no",
    "(((name))) is in brackets",
    "Dear ((name)) (your GP) will call.",
    "See you at the clinic (((clinic)))",
    "We will call (at ((time)))",
    "Reply to 07700 900123 (texts only)",
    "Your reference [1] is on the letter.",
    "Empty braces {} are text",
    "Is 3 < 4 > 2? Yes",
    "Nested (brackets (like this)) are fine",
    "Smile :) and wave",
    "Dear ((name)), bring ((item|your letter)).",
    "Prices (£5) apply",
    "Bring: (a) letter, (b) list",
];

#[test]
fn broken_placeholders_are_refused_naming_them() {
    for (message, found, write) in BROKEN {
        assert_eq!(
            Template::parse(message),
            Err(TemplateError::BrokenPlaceholder {
                found: (*found).to_owned(),
                write: (*write).to_owned(),
            }),
            "{message:?}"
        );
    }
}

#[test]
fn honest_brackets_are_text() {
    for message in HONEST {
        let parsed = Template::parse(message);
        assert!(parsed.is_ok(), "{message:?}: {parsed:?}");
    }
}

#[test]
fn the_error_says_what_to_write() {
    let error = Template::parse("Dear ((name), hello").expect_err("refused");
    let text = error.to_string();
    assert!(text.contains("\"((name)\""), "{text}");
    assert!(text.contains("like ((name))"), "{text}");
    assert!(text.contains("two round brackets each side"), "{text}");
}

#[test]
fn hidden_characters_in_the_message_are_refused() {
    for (message, code) in [
        ("Hello \u{1b}[2J world", 0x1b),
        ("Hello\u{7} world", 0x07),
        ("Hello\u{7f} world", 0x7f),
        ("Hello\u{9b} world", 0x9b),
        ("Your appointment is at \u{202e}03:01", 0x202e),
        ("Dear ((name|\u{2066}there))", 0x2066),
    ] {
        match Template::parse(message) {
            Err(TemplateError::HiddenCharacter { code: found, .. }) => {
                assert_eq!(found, code, "{message:?}")
            }
            other => panic!("{message:?}: {other:?}"),
        }
    }
    // Line breaks and tabs are ordinary.
    assert!(Template::parse("Hello\r\n\tthere\u{b}\u{c}\u{85}").is_ok());
}

proptest::proptest! {
    /// Brackets anywhere, among characters of several bytes, never panic.
    #[test]
    fn reading_brackets_never_panics(text in "[(){}\\[\\]<>|a-z :;é€\u{2028}\u{3000}\n]{0,40}") {
        let _ = Template::parse(&text);
    }

    /// Placeholders typed rightly, in text without brackets, are never refused.
    #[test]
    fn well_typed_placeholders_are_accepted(
        words in proptest::collection::vec("[A-Za-z0-9,.:;!?'£ -]{1,12}", 1..5),
        names in proptest::collection::vec("[a-z][a-z _]{0,8}(\\|[a-z ]{0,6})?", 1..5),
    ) {
        let mut text = String::new();
        for (word, name) in words.iter().zip(&names) {
            text.push_str(word);
            text.push_str(&format!("(({name}))"));
        }
        let parsed = Template::parse(&text);
        proptest::prop_assert!(parsed.is_ok(), "{:?}: {:?}", text, parsed);
    }
}
