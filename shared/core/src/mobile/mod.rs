//! UK mobile numbers, accepted as GOV.UK Notify accepts them for a service that
//! texts UK mobiles only: libphonenumber's GB metadata (with Jersey, Guernsey
//! and the Isle of Man), number type mobile, plus Ofcom's drama range
//! 07700 900000–900999.
//!
//! The common shapes never reach a regex: the input is reduced to its national
//! digits here and classified by a prefix table generated from the metadata at
//! build time (see `build.rs`). The full parser is kept for any prefix the
//! table cannot decide on its own.

mod normalise;

use std::fmt;

use phonenumber::Type;
use phonenumber::metadata::DATABASE;

use normalise::{NationalDigits, national_digits};

include!(concat!(env!("OUT_DIR"), "/mobile_prefixes.rs"));

/// Why a cell is not a UK mobile number, in the words GOV.UK Notify uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum MobileError {
    #[error("Mobile number is missing")]
    Missing,
    #[error("Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -")]
    UnknownCharacter,
    #[error(
        "Mobile number was changed by the spreadsheet into a number like 7.7E+09: export the column as text"
    )]
    SpreadsheetDamage,
    #[error("Mobile number is too short")]
    TooShort,
    #[error("Mobile number is too long")]
    TooLong,
    #[error("This does not look like a UK mobile number")]
    NotUkMobile,
    #[error("Mobile number is not valid: double check it")]
    InvalidNumber,
}

/// A UK mobile number, held as its ten national digits (`7xxxxxxxxx`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UkMobile {
    national: u64,
}

impl fmt::Debug for UkMobile {
    /// Redacted: a mobile number is patient data and must never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UkMobile(<redacted>)")
    }
}

/// The E.164 form, `+447xxxxxxxxx`, without allocating.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct E164([u8; 13]);

impl E164 {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("E.164 bytes are ASCII digits")
    }
}

impl UkMobile {
    pub fn parse(input: &str) -> Result<Self, MobileError> {
        let digits = national_digits(input)?;
        classify(&digits)?;
        Ok(Self {
            national: digits
                .as_str()
                .parse()
                .map_err(|_| MobileError::InvalidNumber)?,
        })
    }

    pub fn e164(&self) -> E164 {
        let mut out = *b"+440000000000";
        crate::lexical::write_digits(&mut out[3..], self.national);
        E164(out)
    }

    /// The national significant number as an integer, e.g. 7700900123.
    pub fn national_number(&self) -> u64 {
        self.national
    }

    /// A number this service stored itself, in the E.164 form
    /// [`UkMobile::e164`] wrote (`+447` and nine more digits), read back
    /// checking only that shape: it was fully checked by [`UkMobile::parse`]
    /// when its list was imported. Not for input from anyone else.
    ///
    /// Why not `parse`: that reaches libphonenumber's metadata and regexes,
    /// which are most of a Lambda bootstrap that never reads a list (the send
    /// function reads every mobile it texts this way); and a number stored
    /// under an older metadata release stays readable.
    pub fn from_stored_e164(stored: &str) -> Result<Self, MobileError> {
        let national = stored
            .strip_prefix("+44")
            .filter(|n| n.len() == 10 && n.starts_with('7'))
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(MobileError::InvalidNumber)?;
        Ok(Self {
            national: national.parse().map_err(|_| MobileError::InvalidNumber)?,
        })
    }
}

impl std::str::FromStr for UkMobile {
    type Err = MobileError;
    fn from_str(s: &str) -> Result<Self, MobileError> {
        Self::parse(s)
    }
}

fn classify(national: &NationalDigits) -> Result<(), MobileError> {
    let digits = national.as_str();
    if digits.is_empty() {
        return Err(MobileError::TooShort);
    }
    if !digits.starts_with('7') {
        return Err(MobileError::NotUkMobile);
    }
    match digits.len() {
        0..10 => return Err(MobileError::TooShort),
        11.. => return Err(MobileError::TooLong),
        10 => {}
    }
    if is_drama_range(digits) {
        return Ok(());
    }
    let prefix: usize = digits[1..5]
        .parse()
        .map_err(|_| MobileError::InvalidNumber)?;
    match PREFIX_CLASS[prefix] {
        PREFIX_MOBILE => Ok(()),
        PREFIX_OTHER_TYPE => Err(MobileError::NotUkMobile),
        PREFIX_INVALID => Err(MobileError::InvalidNumber),
        _ => classify_with_full_parser(digits),
    }
}

/// Ofcom reserves 07700 900000–900999 for drama; libphonenumber calls it invalid,
/// Notify accepts it, and it is what tests and demos use.
fn is_drama_range(national: &str) -> bool {
    national.len() == 10 && national.starts_with("7700900")
}

/// The reference: libphonenumber's own parse, validity and type for a +44
/// number with ten national digits starting with 7.
pub fn classify_with_full_parser(national: &str) -> Result<(), MobileError> {
    if is_drama_range(national) {
        return Ok(());
    }
    let number = phonenumber::parse(None, format!("+44{national}"))
        .map_err(|_| MobileError::InvalidNumber)?;
    if !number.is_valid() {
        return Err(MobileError::InvalidNumber);
    }
    match number.number_type(&DATABASE) {
        Type::Mobile => Ok(()),
        _ => Err(MobileError::NotUkMobile),
    }
}

/// How many table prefixes need the full parser (one, 76245, with metadata 9.0.33).
pub fn prefixes_needing_full_parser() -> usize {
    PREFIX_CLASS.iter().filter(|&&c| c > PREFIX_INVALID).count()
}

#[cfg(test)]
mod stored_tests;
#[cfg(test)]
mod stray_zero_tests;
#[cfg(test)]
mod tests;
