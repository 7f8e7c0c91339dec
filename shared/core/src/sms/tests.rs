use super::*;

#[test]
fn gsm7_boundaries() {
    let cases = [
        (0, 0),
        (1, 1),
        (160, 1),
        (161, 2),
        (306, 2),
        (307, 3),
        (918, 6),
        (919, 7),
    ];
    for (chars, expected) in cases {
        let t = TextLength::of(&"a".repeat(chars));
        assert_eq!(
            (t.encoding, t.characters, t.fragments),
            (Encoding::Gsm7, chars, expected),
            "{chars}"
        );
    }
}

#[test]
fn ucs2_boundaries() {
    let cases = [(70, 1), (71, 2), (134, 2), (135, 3)];
    for (chars, expected) in cases {
        let t = TextLength::of(&"ł".repeat(chars));
        assert_eq!(
            (t.encoding, t.characters, t.fragments),
            (Encoding::Ucs2, chars, expected),
            "{chars}"
        );
    }
}

#[test]
fn extension_characters_count_double() {
    let t = TextLength::of("^{}\\[~]|€");
    assert_eq!((t.encoding, t.characters), (Encoding::Gsm7, 18));
    let t = TextLength::of(&format!("{}€", "a".repeat(159)));
    assert_eq!((t.characters, t.fragments), (161, 2));
}

#[test]
fn one_non_gsm_character_switches_the_whole_text() {
    let t = TextLength::of(&format!("Dear Łukasz, {}", "a".repeat(100)));
    assert_eq!(
        (t.encoding, t.characters, t.fragments),
        (Encoding::Ucs2, 113, 2)
    );
    // An emoji is two UTF-16 units.
    assert_eq!(TextLength::of("😀").characters, 2);
    // The backtick is ASCII but not GSM-7.
    assert_eq!(TextLength::of("`").encoding, Encoding::Ucs2);
}

#[test]
fn gsm_accented_letters_stay_gsm7() {
    let t = TextLength::of("Zoë é à Ñ ß £ €");
    assert_eq!(t.encoding, Encoding::Ucs2, "ë is not in GSM-7");
    let t = TextLength::of("Renée à Ñ ß £ €");
    assert_eq!((t.encoding, t.characters), (Encoding::Gsm7, 16));
}

#[test]
fn basic_table_has_the_standard_size() {
    // 128 codes, minus the escape.
    assert_eq!(GSM7_BASIC.chars().count(), 127);
}

// ----------------------------------------------------------- downgrading

/// Single characters and what they are sent as. The facts come from GOV.UK
/// Notify's own tests of `SanitiseSMS` (notifications-utils
/// `tests/test_sanitise_text.py`), plus the rest of its replacement list.
#[test]
fn downgrades_single_characters_as_notify_does() {
    let cases: &[(&str, &str)] = &[
        ("a", "a"),
        ("\t", " "),
        // Letters outside GSM-7 are kept: the text goes as UCS-2.
        ("ç", "ç"),
        ("â", "â"),
        ("Ŷ", "Ŷ"),
        ("ë", "ë"),
        ("Ò", "Ò"),
        ("í", "í"),
        ("Ł", "Ł"),
        // GSM-7 characters that are not ASCII stay.
        ("\n", "\n"),
        ("\r", "\r"),
        ("à", "à"),
        ("€", "€"),
        // Punctuation with a plain stand-in.
        ("–", "-"),
        ("—", "-"),
        ("\u{2011}", "-"),
        ("−", "-"),
        ("…", "..."),
        ("‘", "'"),
        ("’", "'"),
        ("‚", "'"),
        ("“", "\""),
        ("”", "\""),
        ("„", "\""),
        // Spaces and invisible characters.
        ("\u{a0}", " "),
        ("\u{202f}", " "),
        ("\u{2003}", " "),
        ("\u{3000}", " "),
        ("\u{200b}", ""),
        ("\u{200c}", ""),
        ("\u{2060}", ""),
        ("\u{feff}", ""),
        ("\u{180e}", ""),
        ("\u{2028}", ""),
        ("\u{2029}", ""),
        // No stand-in: kept.
        ("😬", "😬"),
        ("↉", "↉"),
        ("嶲", "嶲"),
        ("`", "`"),
    ];
    for &(input, expected) in cases {
        assert_eq!(downgrade_to_gsm7(input).text, expected, "{input:?}");
    }
}

#[test]
fn downgrades_whole_texts() {
    let cases: &[(&str, &str, Encoding)] = &[
        ("Łōdź", "Łōdź", Encoding::Ucs2),
        ("It Just Works™", "It Just Works™", Encoding::Ucs2),
        (
            "The quick brown fox jumps over the lazy dog",
            "The quick brown fox jumps over the lazy dog",
            Encoding::Gsm7,
        ),
        // Rainbow flag: white flag, variation selector, zero-width joiner, rainbow.
        ("🏳️\u{200d}🌈", "🏳️\u{200d}🌈", Encoding::Ucs2),
        ("„Cześć\"", "\"Cześć\"", Encoding::Ucs2),
        ("– — “ ” …", "- - \" \" ...", Encoding::Gsm7),
        (
            "Your nurse’s visit is 9–11am\u{a0}on Monday…",
            "Your nurse's visit is 9-11am on Monday...",
            Encoding::Gsm7,
        ),
    ];
    for &(input, expected, encoding) in cases {
        let out = downgrade_to_gsm7(input);
        assert_eq!(out.text, expected, "{input:?}");
        assert_eq!(TextLength::of(&out.text).encoding, encoding, "{input:?}");
    }
}

#[test]
fn one_stray_character_no_longer_switches_to_ucs2() {
    let typed = format!("Dear patient, we’re open {}", "a".repeat(130));
    assert_eq!(TextLength::of(&typed).encoding, Encoding::Ucs2);
    assert_eq!(TextLength::of(&typed).fragments, 3);
    let sent = downgrade_to_gsm7(&typed).text;
    assert_eq!(
        (
            TextLength::of(&sent).encoding,
            TextLength::of(&sent).fragments
        ),
        (Encoding::Gsm7, 1)
    );
}

#[test]
fn lists_each_replaced_character_once_in_order() {
    let out = downgrade_to_gsm7("“Don’t” – can’t… “ok”\u{200b}");
    assert_eq!(
        out.replaced,
        vec![
            ('“', "\""),
            ('’', "'"),
            ('”', "\""),
            ('–', "-"),
            ('…', "..."),
            ('\u{200b}', "")
        ]
    );
    assert!(downgrade_to_gsm7("Plain Zoë").replaced.is_empty());
}

/// Characters that are GSM-7 or have a stand-in.
fn downgradable() -> Vec<char> {
    let mut chars: Vec<char> = GSM7_BASIC.chars().chain(GSM7_EXTENSION.chars()).collect();
    chars.extend(
        (0..=0x3000u32)
            .chain(0xfeff..=0xfeff)
            .filter_map(char::from_u32)
            .filter(|&c| gsm7_equivalent(c).is_some()),
    );
    chars
}

#[test]
fn every_stand_in_is_gsm7_and_final() {
    for c in downgradable() {
        if let Some(to) = gsm7_equivalent(c) {
            assert_eq!(gsm7_septets(c), None, "{c:?} is GSM-7 already");
            for d in to.chars() {
                assert!(gsm7_septets(d).is_some(), "{c:?} → {d:?}");
                assert_eq!(gsm7_equivalent(d), None, "{c:?} → {d:?}");
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn downgrading_is_idempotent(text in "\\PC{0,60}|[ -~\u{a0}-\u{ff}\u{2000}-\u{206f}]{0,60}") {
        let once = downgrade_to_gsm7(&text);
        let twice = downgrade_to_gsm7(&once.text);
        proptest::prop_assert_eq!(&twice.text, &once.text);
        proptest::prop_assert!(twice.replaced.is_empty());
    }

    #[test]
    fn downgradable_text_comes_out_gsm7(
        text in proptest::collection::vec(proptest::sample::select(downgradable()), 0..80)
    ) {
        let text: String = text.into_iter().collect();
        let out = downgrade_to_gsm7(&text);
        proptest::prop_assert_eq!(TextLength::of(&out.text).encoding, Encoding::Gsm7, "{:?}", out.text);
    }

    #[test]
    fn only_replaced_characters_change(text in "\\PC{0,60}") {
        let out = downgrade_to_gsm7(&text);
        let kept: String = text.chars().filter(|&c| gsm7_equivalent(c).is_none()).collect();
        let kept_after: String = out
            .text
            .chars()
            .filter(|c| !out.replaced.iter().any(|(_, to)| to.contains(*c)))
            .collect();
        // Characters without a stand-in come through in order.
        let kept_before: String = kept
            .chars()
            .filter(|c| !out.replaced.iter().any(|(_, to)| to.contains(*c)))
            .collect();
        proptest::prop_assert_eq!(kept_after, kept_before);
    }
}
