//! A stray 0 typed before the country code: Notify accepts these as the UK
//! mobiles they plainly are, and so do we. `00` before anything but 44 is
//! still an international call.

use super::{MobileError, UkMobile};

fn e164(input: &str) -> Result<String, MobileError> {
    UkMobile::parse(input).map(|m| m.e164().as_str().to_owned())
}

#[test]
fn a_zero_before_the_country_code_is_a_uk_mobile() {
    for (input, expected) in [
        ("0+447988123456", "+447988123456"),
        ("0447300123456", "+447300123456"),
        ("04407379123456", "+447379123456"),
        ("0 +44 7988 123456", "+447988123456"),
        ("044 7300 123456", "+447300123456"),
        ("0+44 (0)7379 123456", "+447379123456"),
        ("0+447700900123", "+447700900123"),
        // After the plus too, as Notify reads it (found by the review).
        ("+0447988123456", "+447988123456"),
        ("+0 44 7988 123456", "+447988123456"),
    ] {
        assert_eq!(e164(input), Ok(expected.to_owned()), "{input:?}");
    }
}

#[test]
fn a_stray_zero_does_not_make_a_bad_number_good() {
    use MobileError::*;
    for (input, reason) in [
        // 00 then 7: an international call to +7, not a UK number.
        ("007988123456", NotUkMobile),
        ("00 7988 123456", NotUkMobile),
        // A landline stays a landline.
        ("0442079460123", NotUkMobile),
        // Length still counts.
        ("044798812345", TooShort),
        ("04479881234567", TooLong),
    ] {
        assert_eq!(e164(input), Err(reason), "{input:?}");
    }
}
