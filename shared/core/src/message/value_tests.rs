//! What goes into a text is what a person reads in the cell.

use proptest::prelude::*;

use super::*;

/// Values a person reads as empty.
const LOOKS_EMPTY: &[&str] = &[
    "\u{200b}",
    "\u{200c}\u{200d}",
    "\u{2060}",
    "\u{feff}",
    "\u{ad}",
    "\u{200e}\u{200f}",
    "\u{61c}",
    "\u{3164}",
    "\u{115f}\u{1160}",
    "\u{ffa0}",
    "\u{2800}",
    "\u{180e}",
    "\u{34f}",
    "\u{fe0f}",
    "\u{e0001}",
    " \u{200b} \u{feff}\t\r\n",
    "\u{1b}",
    "\u{7}\u{7f}\u{9b}",
    "\u{a0}\u{200b}\u{3000}",
    // Found by the review: annotation marks, the null notehead, and accents
    // with nothing to sit on.
    "\u{fff9}\u{fffa}\u{fffb}",
    "\u{1d159}",
    "\u{301}",
    " \u{308}\u{20dd} ",
];

#[test]
fn a_value_of_invisible_characters_is_empty() {
    for value in LOOKS_EMPTY {
        assert_eq!(clean_value(value), "", "{value:?}");
        assert!(is_blank(value), "{value:?}");
    }
    let t = Template::parse("Dear ((name|patient)), your appointment at ((clinic)) is at 10:30.")
        .expect("parses");
    for value in LOOKS_EMPTY {
        assert_eq!(
            t.render(&[value, "Leeds"]).as_deref(),
            Ok("Dear patient, your appointment at Leeds is at 10:30."),
            "{value:?}"
        );
        assert_eq!(t.render(&["Ann", value]), Err(1), "{value:?}");
        let expected = "Dear patient, your appointment at x is at 10:30.";
        assert_eq!(
            t.measure(|i| [*value, "x"][i]),
            Ok(TextLength::of(expected)),
            "{value:?}"
        );
        assert_eq!(t.measure(|i| ["Ann", *value][i]), Err(1), "{value:?}");
        assert_eq!(t.preview(|i| ["Ann", *value][i]), Err(vec![1]), "{value:?}");
    }
}

#[test]
fn invisible_and_control_characters_inside_a_value_are_removed() {
    let cases = [
        ("Ann\u{200b}Marie", "AnnMarie"),
        ("Jo\u{ad}anna", "Joanna"),
        ("\u{feff}Smith", "Smith"),
        ("Ann\u{1b}[31m", "Ann[31m"),
        ("Ann\u{7}\u{0}", "Ann"),
        ("Leeds\u{85}Road", "Leeds Road"),
        ("Ann\u{9b}2J", "Ann2J"),
        ("O\u{2060}'Brien", "O'Brien"),
        ("  Ann  ", "Ann"),
    ];
    for (value, cleaned) in cases {
        assert_eq!(clean_value(value), cleaned, "{value:?}");
    }
}

#[test]
fn a_line_break_inside_a_value_becomes_a_space() {
    let t = Template::parse("Dear ((name)), see you at ((time)).").expect("parses");
    for name in [
        "Ann\nYour appointment is CANCELLED.",
        "Ann\r\nYour appointment is CANCELLED.",
        "Ann\rYour appointment is CANCELLED.",
        "Ann\u{2028}Your appointment is CANCELLED.",
        "Ann\u{2029}Your appointment is CANCELLED.",
        "Ann\u{b}Your appointment is CANCELLED.",
        "Ann\u{c}Your appointment is CANCELLED.",
        "Ann\u{85}Your appointment is CANCELLED.",
        "Ann\tYour appointment is CANCELLED.",
        "Ann\n\n\nYour appointment is CANCELLED.",
    ] {
        let text = t.render(&[name, "10:30"]).expect("renders");
        assert_eq!(
            text, "Dear Ann Your appointment is CANCELLED., see you at 10:30.",
            "{name:?}"
        );
        assert_eq!(t.measure(|i| [name, "10:30"][i]), Ok(TextLength::of(&text)));
    }
    assert_eq!(clean_value("a\r\nb"), "a b");
}

#[test]
fn joiners_that_shape_a_script_or_an_emoji_are_kept() {
    // A family emoji is held together by zero-width joiners.
    let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
    assert_eq!(clean_value(family), family);
    assert_eq!(clean_value("\u{2764}\u{fe0f}"), "\u{2764}\u{fe0f}");
    // Between Latin letters they only cost the text its GSM-7 encoding.
    assert_eq!(clean_value("An\u{200d}n"), "Ann");
    assert_eq!(clean_value("A\u{fe0f}"), "A");
}

#[test]
fn direction_controls_are_found() {
    for value in [
        "\u{202e}03:01",
        "Ann\u{202a}",
        "\u{2066}x\u{2069}",
        "\u{202d}",
    ] {
        assert!(has_direction_control(value), "{value:?}");
        assert!(
            !clean_value(value).contains(is_direction_control),
            "{value:?}"
        );
    }
    for value in ["Ann", "\u{200f}Ann", "Zoë", ""] {
        assert!(!has_direction_control(value), "{value:?}");
    }
}

#[test]
fn the_preview_says_an_invisible_character_in_a_value_was_left_out() {
    let t = Template::parse("Dear ((name)).").expect("parses");
    let preview = t.preview(|_| "Ann\u{200b}\u{1b}").expect("renders");
    assert_eq!(preview.text, "Dear Ann.");
    assert_eq!(preview.downgraded, vec![('\u{200b}', ""), ('\u{1b}', "")]);
}

proptest! {
    /// A value cleaned once is cleaned: what `accepted.csv` holds is sent as
    /// it was previewed.
    #[test]
    fn cleaning_is_idempotent(value in "\\PC{0,20}|[a-z \t\r\n\u{b}\u{c}\u{85}\u{1b}\u{7f}\u{9b}\u{200b}\u{200d}\u{fe0f}\u{202e}\u{2028}\u{3164}\u{2800}\u{a0}😀é]{0,20}") {
        let once = clean_value(&value).into_owned();
        let twice = clean_value(&once).into_owned();
        prop_assert_eq!(&twice, &once);
        prop_assert!(!once.chars().any(|c| c.is_control()));
        prop_assert!(!once.contains(is_direction_control));
        let unseen = ['\u{2028}', '\u{2029}', '\u{200b}', '\u{feff}'];
        prop_assert!(!once.contains(unseen), "{:?}", once);
        prop_assert_eq!(once.trim(), once.as_str());
    }

    /// Whatever a value holds, the text keeps the template's lines.
    #[test]
    fn a_value_never_adds_a_line(value in "[a-z \r\n\u{b}\u{c}\u{85}\u{2028}\u{2029}]{1,20}") {
        let t = Template::parse("Dear ((name|you)), see you soon.").expect("parses");
        let text = t.render(&[&value]).expect("renders");
        prop_assert!(!text.contains('\n'), "{:?}", text);
    }
}
