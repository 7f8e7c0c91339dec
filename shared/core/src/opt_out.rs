//! The list of patients who must not be texted, by mobile number or NHS number.

use std::io::BufRead;

use hashbrown::HashSet;

use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;

#[derive(Debug, thiserror::Error)]
pub enum OptOutError {
    #[error("could not read the opted-out list: {0}")]
    Read(#[from] std::io::Error),
    #[error(
        "line {line} of the opted-out list is neither an NHS number nor a UK mobile number; \
         fix or remove it (nothing was validated, so no patient on the list is missed)"
    )]
    Unreadable { line: usize },
}

#[derive(Clone, Debug, Default)]
pub struct OptOutList {
    nhs_numbers: HashSet<u64>,
    mobiles: HashSet<u64>,
}

impl OptOutList {
    /// One entry a line: an NHS number or a mobile number in any accepted
    /// shape. Blank lines, lines starting with `#`, and a header line are skipped.
    pub fn read(input: impl BufRead) -> Result<Self, OptOutError> {
        let mut list = Self::default();
        for (index, line) in input.lines().enumerate() {
            let line = line?;
            let entry = line
                .trim()
                .trim_start_matches('\u{feff}')
                .trim_matches([',', '"', ' ']);
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            let nhs = NhsNumber::parse(entry).ok();
            let mobile = UkMobile::parse(entry).ok();
            // A mobile without its leading 0 can also pass as an NHS number
            // (about 1 in 11 do): an entry that reads as both blocks both.
            if let Some(nhs) = nhs {
                list.nhs_numbers.insert(nhs.as_u64());
            }
            if let Some(mobile) = mobile {
                list.mobiles.insert(mobile.national_number());
            }
            if nhs.is_some() || mobile.is_some() {
                continue;
            } else if index == 0 && entry.chars().any(char::is_alphabetic) {
                continue; // a header such as "NHS number"
            } else {
                return Err(OptOutError::Unreadable { line: index + 1 });
            }
        }
        Ok(list)
    }

    /// Adds a number in any accepted shape (the provider's are E.164);
    /// `false` if it is not a UK mobile, which no list row can match.
    pub fn add_mobile(&mut self, number: &str) -> bool {
        match UkMobile::parse(number) {
            Ok(mobile) => {
                self.mobiles.insert(mobile.national_number());
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains_nhs_number(&self, nhs: NhsNumber) -> bool {
        self.nhs_numbers.contains(&nhs.as_u64())
    }

    pub fn contains_mobile(&self, mobile: UkMobile) -> bool {
        self.mobiles.contains(&mobile.national_number())
    }

    pub fn len(&self) -> usize {
        self.nhs_numbers.len() + self.mobiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_in_any_shape_and_skips_headers_and_comments() {
        let text =
            "NHS number or mobile\n943 476 5919\n# a comment\n\n+44 7700 900123\n07700900456,\n";
        let list = OptOutList::read(text.as_bytes()).expect("reads");
        assert_eq!(list.len(), 3);
        assert!(list.contains_nhs_number(NhsNumber::parse("9434765919").expect("valid")));
        assert!(list.contains_mobile(UkMobile::parse("07700 900123").expect("valid")));
        assert!(list.contains_mobile(UkMobile::parse("447700900456").expect("valid")));
    }

    #[test]
    fn an_entry_that_reads_as_both_blocks_both() {
        // 7700900000 is a drama-range mobile without its 0, and passes modulus 11.
        assert!(NhsNumber::parse("7700900000").is_ok());
        let list = OptOutList::read("7700900000\n".as_bytes()).expect("reads");
        assert!(list.contains_mobile(UkMobile::parse("07700 900000").expect("valid")));
        assert!(list.contains_nhs_number(NhsNumber::parse("770 090 0000").expect("valid")));
    }

    #[test]
    fn an_unreadable_entry_stops_with_its_line_number() {
        let err = OptOutList::read("9434765919\nnot a number\n".as_bytes()).expect_err("fails");
        assert!(matches!(err, OptOutError::Unreadable { line: 2 }), "{err}");
        assert!(
            !err.to_string().contains("not a number"),
            "the entry itself is not echoed"
        );
    }
}
