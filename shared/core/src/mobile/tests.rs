//! `UkMobile`: the shapes people type, every reason a cell is refused, and the
//! proof that the build-time prefix table agrees with libphonenumber.

use super::*;

fn e164(input: &str) -> Result<String, MobileError> {
    UkMobile::parse(input).map(|m| m.e164().as_str().to_owned())
}

/// A small deterministic generator (SplitMix64), so the agreement proof
/// checks the same numbers on every run and a failure can be reproduced.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

// ---------------------------------------------------------------- shapes

#[test]
fn every_written_shape_normalises_to_e164() {
    for input in [
        "07700 900123",
        "07700900123",
        "7700900123",
        "447700900123",
        "+447700900123",
        "00447700900123",
        "0044 7700 900123",
        "+44 (0)7700 900123",
        "+44 (0) 7700 900 123",
        "+44 7700 900123",
        "(07700) 900 123",
        "07700-900-123",
        "+44-7700-900-123",
        " 07700 900123 ",
        "07700\u{a0}900123",
        "07700\u{200b}900123",
        "07700\t900123",
        "\u{feff}07700 900123",
        "07700\u{2009}900\u{2060}123",
        "\u{3000}07700 900123\u{200d}",
    ] {
        assert_eq!(e164(input), Ok("+447700900123".to_owned()), "{input:?}");
    }
}

#[test]
fn the_national_number_and_e164_carry_all_ten_digits() {
    let m = UkMobile::parse("07911 123456").expect("a real mobile range");
    assert_eq!(m.national_number(), 7_911_123_456);
    assert_eq!(m.e164().as_str(), "+447911123456");
    let same = UkMobile::parse("+44 7911 123456").expect("same number");
    assert_eq!(m, same);
}

#[test]
fn debug_output_never_shows_the_number() {
    let m = UkMobile::parse("07700 900123").expect("valid");
    let shown = format!("{m:?}");
    assert!(!shown.contains("7700"), "{shown}");
    assert!(!shown.contains("900123"), "{shown}");
}

// ------------------------------------------------------------ every error

#[test]
fn each_fault_has_its_own_reason() {
    use MobileError::*;
    let cases = [
        ("", Missing),
        ("   ", Missing),
        ("\u{a0}\u{200b}", Missing),
        // Landlines, international and premium-rate numbers.
        ("01632 960123", NotUkMobile),
        ("020 7946 0123", NotUkMobile),
        ("+44 20 7946 0123", NotUkMobile),
        ("+33 6 12 34 56 78", NotUkMobile),
        ("0033 6 12 34 56 78", NotUkMobile),
        ("+1 202 555 0123", NotUkMobile),
        ("0909 879 0000", NotUkMobile),
        ("09098790000", NotUkMobile),
        // 070 personal numbers and 076 pagers are not mobiles.
        ("070 1234 5678", NotUkMobile),
        ("07012 345678", NotUkMobile),
        ("07600 123456", NotUkMobile),
        ("07640 123456", NotUkMobile),
        // Length.
        ("07700 90012", TooShort),
        ("7700 90012", TooShort),
        ("+44 7700 9001", TooShort),
        ("0", TooShort),
        ("-", TooShort),
        ("07700 9001234", TooLong),
        ("+44 7700 9001234", TooLong),
        ("077009001230000000000000", TooLong),
        // Characters other than digits, spaces and ( ) + -.
        ("07700 9OO123", UnknownCharacter),
        ("07700 900123 ext 2", UnknownCharacter),
        ("07700.900.123", UnknownCharacter),
        ("07700/900123", UnknownCharacter),
        ("tel:07700900123", UnknownCharacter),
        ("Joe Bloggs", UnknownCharacter),
        // What Excel does to a long number in a General column.
        ("7.7009E+09", SpreadsheetDamage),
        ("7.70090E+09", SpreadsheetDamage),
        ("4.47701E+11", SpreadsheetDamage),
        ("7.7e9", SpreadsheetDamage),
        (" 7.7009E+09 ", SpreadsheetDamage),
    ];
    for (input, reason) in cases {
        assert_eq!(e164(input), Err(reason), "{input:?}");
    }
}

/// Ten digits starting 7 in a range libphonenumber does not allocate at all.
#[test]
fn an_unallocated_mobile_shaped_number_is_not_valid() {
    // Find a prefix the reference calls invalid rather than hard-coding one,
    // then check the fast path gives the same, distinct reason.
    let national = (0..10_000u32)
        .map(|p| format!("7{p:04}12345"))
        .find(|n| classify_with_full_parser(n) == Err(MobileError::InvalidNumber))
        .expect("some 7xxxx prefix is unallocated");
    assert_eq!(
        e164(&format!("0{national}")),
        Err(MobileError::InvalidNumber)
    );
    assert_eq!(
        MobileError::InvalidNumber.to_string(),
        "Mobile number is not valid: double check it"
    );
}

#[test]
fn crown_dependency_mobiles_are_accepted() {
    for (input, expected) in [
        ("07797 712345", "+447797712345"), // Jersey
        ("07781 123456", "+447781123456"), // Guernsey
        ("07624 123456", "+447624123456"), // Isle of Man
        ("+44 7624 312345", "+447624312345"),
    ] {
        assert_eq!(e164(input), Ok(expected.to_owned()), "{input}");
        let national = &expected[3..];
        assert_eq!(classify_with_full_parser(national), Ok(()), "{input}");
    }
}

#[test]
fn the_whole_drama_range_is_accepted_and_only_it() {
    for n in 0..1000u32 {
        let input = format!("07700 900{n:03}");
        assert_eq!(e164(&input), Ok(format!("+447700900{n:03}")), "{input}");
    }
    // libphonenumber itself calls the drama range invalid: it is our addition.
    let number = phonenumber::parse(None, "+447700900123").expect("parses");
    assert!(!number.is_valid());
    // Just outside it, the number is whatever libphonenumber says.
    for national in ["7700899999", "7700901000"] {
        assert_eq!(
            UkMobile::parse(national).map(|_| ()),
            classify_with_full_parser(national),
            "{national}"
        );
    }
}

// ------------------------------------------------- table against reference

/// For every one of the 10,000 prefixes 7xxxx, random suffixes classify the
/// same through the build-time table as through libphonenumber.
#[test]
fn the_prefix_table_agrees_with_libphonenumber_for_every_prefix() {
    const SUFFIXES_PER_PREFIX: usize = 3;
    let mut rng = SplitMix64(0x0bad_cafe_2026_1125);
    let mut disagreements = Vec::new();
    let mut mobiles = 0;
    for prefix in 0..10_000u32 {
        for _ in 0..SUFFIXES_PER_PREFIX {
            let suffix = rng.below(100_000);
            let national = format!("7{prefix:04}{suffix:05}");
            let reference = classify_with_full_parser(&national);
            let fast = UkMobile::parse(&national).map(|_| ());
            if fast != reference {
                disagreements.push((national, fast, reference));
            } else if fast.is_ok() {
                mobiles += 1;
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first: {:?}",
        disagreements.len(),
        &disagreements[..disagreements.len().min(10)]
    );
    // Most of the 07 range is mobile; an all-invalid table would also "agree"
    // with a broken reference, so check the proof saw real mobiles.
    assert!(mobiles > 20_000, "{mobiles}");
}

/// libphonenumber alone, without our drama-range exception: what build.rs sees.
fn libphonenumber_class(national: &str) -> Option<Type> {
    let number = phonenumber::parse(None, format!("+44{national}")).ok()?;
    number.is_valid().then(|| number.number_type(&DATABASE))
}

/// Build.rs marks a prefix for the full parser when its sample suffixes
/// disagree; recompute that here from libphonenumber and compare.
#[test]
fn the_prefixes_left_to_the_full_parser_are_those_the_build_found_mixed() {
    const BUILD_SAMPLE_SUFFIXES: [u32; 6] = [0, 99_999, 12_345, 50_505, 87_654, 31_415];
    let mixed: Vec<u32> = (0..10_000u32)
        .filter(|prefix| {
            let mut classes = BUILD_SAMPLE_SUFFIXES
                .iter()
                .map(|s| libphonenumber_class(&format!("7{prefix:04}{s:05}")));
            let first = classes.next().expect("six samples");
            !classes.all(|c| c == first)
        })
        .collect();
    assert_eq!(prefixes_needing_full_parser(), mixed.len(), "{mixed:?}");
    // With phonenumber 0.3.10's metadata that is one prefix, 07624 5xxxxx
    // (the Isle of Man block is split within it).
    assert_eq!(mixed, vec![6245]);
    // Every suffix of a mixed prefix goes through the full parser, so it agrees.
    for prefix in &mixed {
        for suffix in (0..100_000u32).step_by(997) {
            let national = format!("7{prefix:04}{suffix:05}");
            assert_eq!(
                UkMobile::parse(&national).map(|_| ()),
                classify_with_full_parser(&national),
                "{national}"
            );
        }
    }
}

// ------------------------------------------------------------ property

fn written(national: &str, shape: u8) -> String {
    let (a, b) = national.split_at(4);
    match shape {
        0 => format!("0{national}"),
        1 => format!("+44{national}"),
        2 => format!("0044{national}"),
        3 => format!("0{a} {b}"),
        4 => format!("+44 {a} {b}"),
        5 => format!("+44 (0){a} {b}"),
        6 => format!(
            "00 44 {a} {}",
            b.chars().fold(String::new(), |mut s, c| {
                if s.len() == 3 {
                    s.push(' ');
                }
                s.push(c);
                s
            })
        ),
        7 => format!("44{national}"),
        _ => national.to_owned(),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

    /// Random ten-digit numbers starting 7, in any written shape: the fast
    /// path classifies as libphonenumber does, and an accepted number has the
    /// E.164 that libphonenumber gives for the same input.
    #[test]
    fn fast_path_agrees_with_libphonenumber(rest in 0u64..1_000_000_000, shape in 0u8..9) {
        let national = format!("7{rest:09}");
        let input = written(&national, shape);
        let ours = UkMobile::parse(&input);
        proptest::prop_assert_eq!(
            ours.map(|_| ()),
            classify_with_full_parser(&national),
            "{}",
            input
        );
        if let Ok(mobile) = ours {
            let theirs = phonenumber::parse(Some(phonenumber::country::Id::GB), &input)
                .expect("libphonenumber parses what we accept");
            proptest::prop_assert_eq!(
                mobile.e164().as_str().to_owned(),
                theirs.format().mode(phonenumber::Mode::E164).to_string(),
                "{}",
                input
            );
        }
    }

    #[test]
    fn parsing_never_panics(input in "\\PC{0,30}") {
        let _ = UkMobile::parse(&input);
    }

    #[test]
    fn accepted_numbers_are_always_ten_digits_starting_7(input in "[0-9 +()-]{0,20}") {
        if let Ok(m) = UkMobile::parse(&input) {
            let n = m.national_number();
            proptest::prop_assert!((7_000_000_000..8_000_000_000).contains(&n), "{}", input);
            proptest::prop_assert_eq!(m.e164().as_str().to_owned(), format!("+44{n}"));
        }
    }
}
