//! The list of patients who must not be texted, by mobile number or NHS number.
//!
//! Read strictly: every line that holds a digit must be numbers we can read,
//! or the run stops. A line we skipped by mistake would text someone who
//! asked not to be texted.

use std::io::BufRead;

use hashbrown::HashSet;

use crate::columns::column_letter;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
use crate::patient_list::decode_text;

#[derive(Debug, thiserror::Error)]
pub enum OptOutError {
    #[error("could not read the opted-out list: {0}")]
    Read(#[from] std::io::Error),
    #[error(
        "line {line} of the opted-out list is neither an NHS number nor a UK mobile number; \
         fix or remove it (nothing was validated, so no patient on the list is missed)"
    )]
    Unreadable { line: usize },
    #[error(
        "line {line} of the opted-out list has a value in column {} that is neither an NHS \
         number nor a UK mobile number; keep only numbers on the list, one a line or one a \
         cell (nothing was validated, so no patient on the list is missed)",
        column_letter(*.column)
    )]
    UnreadableCell { line: usize, column: usize },
    #[error(
        "The opted-out list holds no NHS numbers or mobile numbers: it may be the wrong file, or \
         one with names only. Put one NHS number or mobile number on each line (a header line and \
         # comments may stay), or give no opted-out list if no patient has opted out \
         (nothing was validated, so no patient on the list is missed)"
    )]
    NoNumbers,
}

#[derive(Clone, Default)]
pub struct OptOutList {
    nhs_numbers: HashSet<u64>,
    mobiles: HashSet<u64>,
}

impl std::fmt::Debug for OptOutList {
    /// Counts only: the entries are NHS numbers and mobiles.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptOutList")
            .field("nhs_numbers", &self.nhs_numbers.len())
            .field("mobiles", &self.mobiles.len())
            .finish()
    }
}

/// The lines of `text`, whichever line end each has: LF, CRLF or CR alone
/// (as old Mac software saves).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            Some(at) => {
                let end = if current[at..].starts_with("\r\n") {
                    at + 2
                } else {
                    at + 1
                };
                rest = Some(&current[end..]).filter(|r| !r.is_empty());
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

fn trimmed(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '"' | '\''))
}

impl OptOutList {
    /// One entry a line: an NHS number or a mobile number in any accepted
    /// shape, or several as the cells of a CSV line. Blank lines, lines
    /// starting with `#`, and lines above the first entry with no digit at
    /// all (a header such as "NHS number") are skipped; any other line that
    /// is not numbers stops the read, naming the line: words where a number
    /// should be may be a patient someone meant to block. A file with no
    /// number at all (empty, names only, a header only) stops it too: it is
    /// the wrong file, not a list of nobody.
    ///
    /// Only a file given as the opted-out list is read here; a provider's
    /// list is built with [`OptOutList::add_mobile`].
    pub fn read(mut input: impl BufRead) -> Result<Self, OptOutError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes)?;
        let text = decode_text(&bytes);
        let mut list = Self::default();
        let mut entries = false;
        for (index, line) in lines(&text).enumerate() {
            entries |= list.read_line(line, index + 1, entries)?;
        }
        if list.is_empty() {
            return Err(OptOutError::NoNumbers);
        }
        Ok(list)
    }

    /// Whether the line held an entry.
    fn read_line(
        &mut self,
        line: &str,
        number: usize,
        after_entries: bool,
    ) -> Result<bool, OptOutError> {
        let line = trimmed(line);
        let header = !after_entries && !line.chars().any(char::is_numeric);
        if line.is_empty() || line.starts_with('#') || header {
            return Ok(false);
        }
        let cells: Vec<&str> = line.split([',', ';', '\t']).map(trimmed).collect();
        let several = cells.iter().filter(|c| !c.is_empty()).count() > 1;
        for (column, cell) in cells.into_iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            if !self.add_entry(cell) {
                return Err(if several {
                    OptOutError::UnreadableCell {
                        line: number,
                        column,
                    }
                } else {
                    OptOutError::Unreadable { line: number }
                });
            }
        }
        Ok(true)
    }

    /// `false` if `entry` is neither an NHS number nor a mobile.
    fn add_entry(&mut self, entry: &str) -> bool {
        let nhs = NhsNumber::parse(entry).ok();
        let mobile = UkMobile::parse(entry).ok();
        // A mobile without its leading 0 can also pass as an NHS number
        // (about 1 in 11 do): an entry that reads as both blocks both.
        if let Some(nhs) = nhs {
            self.nhs_numbers.insert(nhs.as_u64());
        }
        if let Some(mobile) = mobile {
            self.mobiles.insert(mobile.national_number());
        }
        nhs.is_some() || mobile.is_some()
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
mod tests_no_numbers;
#[cfg(test)]
mod tests_strict;

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
