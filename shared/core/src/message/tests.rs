use proptest::prelude::*;

use super::*;
use crate::sms::{Encoding, downgrade_to_gsm7};

#[test]
fn finds_placeholders_and_fallbacks() {
    let t = Template::parse("Dear ((name|patient)), your ((Clinic Name)) appointment.")
        .expect("parses");
    let names: Vec<_> = t
        .placeholders()
        .map(|p| (p.name.as_str(), p.fallback.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![("name", Some("patient")), ("Clinic Name", None)]
    );
}

#[test]
fn renders_values_and_fallbacks() {
    let t = Template::parse("Dear ((name|patient)), see you at ((clinic)).").expect("parses");
    assert_eq!(
        t.render(&["Joe", "Leeds"]),
        Ok("Dear Joe, see you at Leeds.".to_owned())
    );
    assert_eq!(
        t.render(&["  ", "Leeds"]),
        Ok("Dear patient, see you at Leeds.".to_owned())
    );
    assert_eq!(t.render(&["Joe", ""]), Err(1));
}

#[test]
fn a_windows_line_break_is_one_character() {
    let t = Template::parse("Hello\r\nthere").expect("parses");
    assert_eq!(t.render(&[]), Ok("Hello\nthere".to_owned()));
}

#[test]
fn an_empty_fallback_allows_an_empty_value() {
    let t = Template::parse("Hello((name|)).").expect("parses");
    assert_eq!(t.render(&[""]), Ok("Hello.".to_owned()));
}

#[test]
fn extra_brackets_stay_text() {
    let t = Template::parse("Call (0113) ((name)) (oops").expect("parses");
    assert_eq!(t.placeholders().count(), 1);
    assert_eq!(t.render(&["Ann"]), Ok("Call (0113) Ann (oops".to_owned()));
    let t = Template::parse("(((name)))").expect("parses");
    assert_eq!(t.render(&["Ann"]), Ok("(Ann)".to_owned()));
}

#[test]
fn rejects_empty_messages_and_placeholders() {
    assert_eq!(Template::parse("  "), Err(TemplateError::Empty));
    assert_eq!(
        Template::parse("\u{200b}\u{a0}\n\t"),
        Err(TemplateError::Empty),
        "nothing is left once whitespace is tidied"
    );
    assert_eq!(
        Template::parse("Hi (())"),
        Err(TemplateError::EmptyPlaceholder)
    );
    assert_eq!(
        Template::parse("Hi ((|x))"),
        Err(TemplateError::EmptyPlaceholder)
    );
}

#[test]
fn measuring_matches_rendering() {
    let t = Template::parse("Dear ((name)), ((x|€))").expect("parses");
    for values in [["Joe", ""], ["Łukasz", "a"], ["Zoë", "{}"], ["O’Brien", ""]] {
        let rendered = t.render(&values).expect("renders");
        assert_eq!(t.measure(|i| values[i]), Ok(TextLength::of(&rendered)));
    }
    assert_eq!(
        t.measure(|i| ["Joe", ""][i]).map(|l| l.encoding),
        Ok(Encoding::Gsm7)
    );
}

// ------------------------------------------------ whitespace, as Notify does

/// Notify's `test_text_messages_collapse_consecutive_whitespace` and
/// `test_sms_message_normalises_newlines` (notifications-utils
/// `tests/test_template_types.py`).
#[test]
fn tidies_whitespace_as_notify_does() {
    let collapsed = "The quick brown fox.\n\nJumps over the lazy dog.\nSingle linebreak above.";
    let newlines = "one newline\ntwo newlines\n\nend";
    let cases: &[(&str, &str)] = &[
        (
            "The     quick brown fox.\n\n\n\n\nJumps over the lazy dog.   \nSingle linebreak above.",
            collapsed,
        ),
        (
            "\n   \nThe quick brown fox.  \n\n          Jumps over the lazy dog   .  \n\
             Single linebreak above. \n  \n \n",
            collapsed,
        ),
        ("one newline\ntwo newlines\n\nend", newlines),
        ("one newline\r\ntwo newlines\r\n\r\nend", newlines),
        ("one newline\rtwo newlines\r\rend", newlines),
        (
            "\t\t\n\r one newline\ntwo newlines\r\r\nend\n\n  \r \n \t ",
            newlines,
        ),
        (
            "  Hi\u{a0}there\u{a0} what's\u{200d} up\t",
            "Hi there what's\u{200d} up",
        ),
        ("Line\u{2028}separator", "Line\nseparator"),
        ("Hello , world .", "Hello, world."),
        ("Zero\u{200b}width and\u{feff} BOM", "Zerowidth and BOM"),
    ];
    for &(input, expected) in cases {
        let t = Template::parse(input).expect("parses");
        assert_eq!(t.render(&[]).as_deref(), Ok(expected), "{input:?}");
        assert_eq!(t.measure(|_| ""), Ok(TextLength::of(expected)), "{input:?}");
    }
    assert_eq!(
        TextLength::of(collapsed).characters,
        70,
        "Notify counts 70 characters"
    );
}

#[test]
fn a_template_is_stored_normalised() {
    let t = Template::parse("  Dear ((name)) ,\t\tyour  appointment’s at ((time))  .\n\n\n\nBye ")
        .expect("parses");
    let texts: Vec<_> = t
        .parts()
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(t.as_str()),
            Part::Placeholder(_) => None,
        })
        .collect();
    // Downgrading happens when the text is sent; the template keeps what was typed.
    assert_eq!(texts, ["Dear ", ", your appointment’s at ", ".\n\nBye"]);
}

#[test]
fn values_and_empty_placeholders_are_tidied_with_the_text() {
    let t = Template::parse("Dear ((title|)) ((name)) ((suffix|)), see you at ((clinic)).")
        .expect("parses");
    let cases: &[([&str; 4], &str)] = &[
        (["Dr", "Ann", "", "Leeds"], "Dear Dr Ann, see you at Leeds."),
        (["", "Ann", "", "Leeds"], "Dear Ann, see you at Leeds."),
        (
            ["", "Ann  Marie", "Jr", "St\u{a0}James"],
            "Dear Ann Marie Jr, see you at St James.",
        ),
        (
            ["", "Ann", ", MBE", "Leeds"],
            "Dear Ann, MBE, see you at Leeds.",
        ),
        (
            ["", "Ann", "", "Leeds\n\n\n\nHospital"],
            "Dear Ann, see you at Leeds Hospital.",
        ),
        (
            ["", "Ann\u{200b}", "", "Leeds "],
            "Dear Ann, see you at Leeds.",
        ),
    ];
    for (values, expected) in cases {
        assert_eq!(t.render(values).as_deref(), Ok(*expected), "{values:?}");
        assert_eq!(
            t.measure(|i| values[i]),
            Ok(TextLength::of(expected)),
            "{values:?}"
        );
    }
}

// ------------------------------------------------------------ downgrading

#[test]
fn downgrades_the_template_and_the_values() {
    let t = Template::parse("We’re expecting you, ((name)) – bring ((item|your letter))…")
        .expect("parses");
    let preview = t.preview(|i| ["Seán O’Brien", ""][i]).expect("renders");
    assert_eq!(
        preview.text,
        "We're expecting you, Seán O'Brien - bring your letter..."
    );
    assert_eq!(
        preview.downgraded,
        vec![('’', "'"), ('–', "-"), ('…', "...")]
    );
    // á is not GSM-7 and has no stand-in: the text is UCS-2.
    assert_eq!(preview.length.encoding, Encoding::Ucs2);
    assert_eq!(preview.length, TextLength::of(&preview.text));
    assert_eq!(
        t.downgraded_in_template(),
        [('’', "'"), ('–', "-"), ('…', "...")]
    );

    let preview = t
        .preview(|i| ["Sean O’Brien", "the “blue” form"][i])
        .expect("renders");
    assert_eq!(
        preview.text,
        "We're expecting you, Sean O'Brien - bring the \"blue\" form..."
    );
    assert_eq!(preview.length.encoding, Encoding::Gsm7);
    assert_eq!(
        preview.downgraded,
        vec![
            ('’', "'"),
            ('–', "-"),
            ('“', "\""),
            ('”', "\""),
            ('…', "...")
        ]
    );
}

#[test]
fn a_stray_character_in_a_name_does_not_switch_to_ucs2() {
    let t = Template::parse("Dear ((name)), please call us.").expect("parses");
    let gsm7 = |name: &str| t.measure(|_| name).map(|l| l.encoding);
    assert_eq!(gsm7("O’Brien"), Ok(Encoding::Gsm7));
    assert_eq!(gsm7("Mary\u{a0}Jane"), Ok(Encoding::Gsm7));
    assert_eq!(gsm7("Smith–Jones"), Ok(Encoding::Gsm7));
    // Letters are never changed, as Notify does not change them.
    assert_eq!(gsm7("Zoë"), Ok(Encoding::Ucs2));
    assert_eq!(gsm7("Łukasz"), Ok(Encoding::Ucs2));
    assert_eq!(gsm7("Renée"), Ok(Encoding::Gsm7));
}

#[test]
fn the_ellipsis_keeps_the_space_before_it() {
    // Notify removes spaces before a full stop before it downgrades, so
    // "wait …" is sent as "wait ...".
    let t = Template::parse("Please wait …").expect("parses");
    assert_eq!(t.render(&[]).as_deref(), Ok("Please wait ..."));
    assert_eq!(t.measure(|_| "").map(|l| l.characters), Ok(15));
    let t = Template::parse("Please wait ((dots))").expect("parses");
    assert_eq!(t.render(&["…"]).as_deref(), Ok("Please wait ..."));
    assert_eq!(t.render(&["..."]).as_deref(), Ok("Please wait..."));
}

#[test]
fn the_preview_lists_unusual_spaces_and_invisible_characters() {
    let t = Template::parse("Hello\u{a0}((name))\u{200b}, see you\u{2003}soon").expect("parses");
    assert_eq!(
        t.downgraded_in_template(),
        [('\u{a0}', " "), ('\u{200b}', ""), ('\u{2003}', " ")]
    );
    let preview = t.preview(|_| "Ann\u{202f}Lee").expect("renders");
    assert_eq!(preview.text, "Hello Ann Lee, see you soon");
    assert_eq!(
        preview.downgraded,
        vec![
            ('\u{a0}', " "),
            ('\u{202f}', " "),
            ('\u{200b}', ""),
            ('\u{2003}', " ")
        ]
    );
    // A no-break space dropped at the end of a value was not sent at all.
    let preview = t.preview(|_| "Ann").expect("renders");
    assert!(!preview.downgraded.contains(&('\u{202f}', " ")));
}

#[test]
fn a_preview_names_every_missing_placeholder() {
    let t = Template::parse("((a)) ((b|x)) ((c)) ((d))").expect("parses");
    assert_eq!(t.preview(|i| ["", "", " ", "d"][i]), Err(vec![0, 2]));
    assert_eq!(t.render(&["", "", " ", "d"]), Err(0));
    assert_eq!(t.measure(|i| ["a", "", " ", "d"][i]), Err(2));
}

#[test]
fn plain_values_are_recognised() {
    let plain = [
        "Joe",
        "Joe Bloggs",
        "St. Mary's",
        "a,b",
        "{x}",
        "x.",
        "Zoë",
        "O’Brien",
    ];
    for value in plain {
        let mut counter = LengthCounter::new();
        assert!(count_plain(value, &mut counter), "{value:?}");
        let sent = downgrade_to_gsm7(value).text;
        assert_eq!(counter.finish(), TextLength::of(&sent), "{value:?}");
    }
    let other = [
        "",
        " Joe",
        "Joe ",
        "Joe  Bloggs",
        "Joe , Jr",
        ",Jr",
        ".x",
        "a\tb",
        "a\nb",
        "a\u{a0}b",
        "a\u{200b}",
        "a\u{2028}b",
    ];
    for value in other {
        let mut counter = LengthCounter::new();
        counter.push_str("x");
        assert!(!count_plain(value, &mut counter), "{value:?}");
        assert_eq!(counter.finish(), TextLength::of("x"), "{value:?}");
    }
}

// ------------------------------------------------------------- properties

/// Text of a template or value, rich in what normalising and downgrading
/// touch.
const TRICKY: &str =
    "[a-zA-Z0-9 ,.!'\t\n\r\u{a0}\u{202f}\u{2003}\u{200b}\u{200d}\u{feff}\u{2028}’“”–—…ëŁ€😀]";

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z]{1,8}( [A-Za-z.,']{1,8}){0,2}",
        "[A-Za-zëŁ’–…😀]{1,8}( [A-Za-z.,'’ë]{1,8}){0,2}",
        proptest::string::string_regex(&format!("{TRICKY}{{0,12}}")).expect("valid regex"),
    ]
}

/// A template as pieces: text between placeholders, and each placeholder's
/// fallback.
fn template() -> impl Strategy<Value = (Vec<String>, Vec<Option<String>>)> {
    (1..5usize).prop_flat_map(|n| {
        let text =
            proptest::string::string_regex(&format!("{TRICKY}{{0,16}}")).expect("valid regex");
        let fallback = proptest::option::of(
            proptest::string::string_regex("[a-z ,.\u{a0}’]{0,6}").expect("valid regex"),
        );
        (
            proptest::collection::vec(text, n + 1),
            proptest::collection::vec(fallback, n),
        )
    })
}

fn source((texts, fallbacks): &(Vec<String>, Vec<Option<String>>)) -> String {
    let mut out = texts[0].clone();
    for (i, fallback) in fallbacks.iter().enumerate() {
        match fallback {
            Some(f) => out.push_str(&format!("((p{i}|{f}))")),
            None => out.push_str(&format!("((p{i}))")),
        }
        out.push_str(&texts[i + 1]);
    }
    out
}

proptest! {
    #[test]
    fn parsing_never_panics_and_text_without_placeholders_is_sent_tidied(text in "\\PC{1,80}") {
        if let Ok(t) = Template::parse(&text)
            && t.placeholders().count() == 0
        {
            prop_assert_eq!(t.render(&[]), Ok(downgrade_to_gsm7(&normalise(&text)).text));
        }
    }

    #[test]
    fn normalising_is_idempotent(text in "\\PC{0,60}|[a-z ,.\t\n\r\u{a0}\u{200b}\u{2028}\u{85}\u{1f}…]{0,60}") {
        let once = normalise(&text);
        prop_assert_eq!(normalise(&once), once.clone());
        prop_assert!(!once.contains("  ") && !once.contains(" ,") && !once.contains(" ."));
        prop_assert!(!once.contains("\n\n\n") && !once.contains('\r') && !once.contains('\t'));
        prop_assert_eq!(once.trim(), once.as_str());
    }

    #[test]
    fn measuring_always_matches_rendering(
        pieces in template(),
        values in proptest::collection::vec(value(), 4),
    ) {
        let t = Template::parse(&source(&pieces)).expect("has a placeholder");
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let rendered = t.render(&values);
        prop_assert_eq!(t.measure(|i| values[i]), rendered.clone().map(|r| TextLength::of(&r)));
        if let Ok(text) = rendered {
            let preview = t.preview(|i| values[i]).expect("renders");
            prop_assert_eq!(&preview.text, &text);
            prop_assert_eq!(preview.length, TextLength::of(&text));
        }
    }

    /// Normalising the template once when parsed, then the filled text again,
    /// gives what Notify's order gives: fill first, then tidy and downgrade.
    /// Line endings are the template's own, as it is saved: a carriage return
    /// and a line feed with a placeholder between them are two line breaks
    /// even when the placeholder is empty.
    #[test]
    fn rendering_tidies_the_filled_text(
        pieces in template(),
        values in proptest::collection::vec(value(), 4),
    ) {
        let t = Template::parse(&source(&pieces)).expect("has a placeholder");
        let (texts, fallbacks) = &pieces;
        let line_breaks = |text: &str| text.replace("\r\n", "\n").replace('\r', "\n");
        let texts: Vec<String> = texts.iter().map(|t| line_breaks(t)).collect();
        let fallbacks: Vec<Option<String>> =
            fallbacks.iter().map(|f| f.as_deref().map(line_breaks)).collect();
        let mut filled = texts[0].clone();
        for (i, fallback) in fallbacks.iter().enumerate() {
            match (clean_value(&values[i]).as_ref(), fallback) {
                ("", Some(f)) => filled.push_str(f),
                ("", None) => return Ok(()),
                (value, _) => filled.push_str(value),
            }
            filled.push_str(&texts[i + 1]);
        }
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        prop_assert_eq!(t.render(&values), Ok(downgrade_to_gsm7(&normalise(&filled)).text));
    }
}

#[test]
fn source_writes_the_template_out_again() {
    let text = "Dear ((name|patient)), your ((kind)) is due. Call 01234 567890";
    let template = Template::parse(text).expect("parses");
    assert_eq!(template.source(), text);
    assert_eq!(Template::parse(&template.source()), Ok(template));
}
