//! Reading back a number the service stored: the E.164 shape only, and
//! exactly the number that was stored.

use super::{MobileError, UkMobile};

#[test]
fn a_stored_number_reads_back_as_the_number_that_was_stored() {
    for input in [
        "07700 900123",
        "+44 7988 123456",
        "07300123456",
        "447379123456",
    ] {
        let mobile = UkMobile::parse(input).unwrap();
        let stored = mobile.e164();
        assert_eq!(
            UkMobile::from_stored_e164(stored.as_str()),
            Ok(mobile),
            "{input}"
        );
    }
}

#[test]
fn anything_but_the_stored_shape_is_refused() {
    for bad in [
        "",
        "+44",
        "+44770090012",
        "+4477009001234",
        "07700900123",
        "447700900123",
        "+447700 90012",
        "+441632960000",
        "+337700900123",
        "+44770090012\u{0663}",
        " +447700900123",
        "+447700900123 ",
        "+44+700900123",
        "+44770090012a",
    ] {
        assert_eq!(
            UkMobile::from_stored_e164(bad),
            Err(MobileError::InvalidNumber),
            "{bad:?}"
        );
    }
}
