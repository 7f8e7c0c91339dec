//! Why a row is not accepted, in plain words for the person who uploaded it.

use std::fmt;
use std::sync::Arc;

use crate::date_of_birth::DateOfBirthError;
use crate::mobile::MobileError;
use crate::nhs_number::NhsNumberError;
use crate::sms::MAX_CHARACTERS;

use super::Stop;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    CellCount {
        found: usize,
        expected: usize,
    },
    NhsNumber(NhsNumberError),
    Mobile(MobileError),
    DateOfBirth(DateOfBirthError),
    Declined,
    ConsentUnrecognised,
    OptedOut,
    SamePatientAs {
        row: u64,
    },
    /// Another row of the same patient declined, opted out or has a consent
    /// value that cannot be read: a decline anywhere wins.
    StoppedOnRow {
        row: u64,
        stop: Stop,
    },
    EmptyPlaceholder {
        placeholder: Arc<str>,
    },
    /// The value for a placeholder holds a direction override, embedding or
    /// isolate (U+202A–U+202E, U+2066–U+2069).
    DirectionControl {
        placeholder: Arc<str>,
    },
    TooLong {
        characters: usize,
    },
    HiddenRow,
    /// A cell outside the consent columns says not to text ("Do not text"
    /// under "Contact preference").
    DoNotTextInCell {
        column: Arc<str>,
    },
    /// The name cell says not to text ("SMITH, Jane - DO NOT TEXT"). It stops
    /// the patient's other rows only when the list is read twice anyway (see
    /// `Declines`): a list of only the patient's columns is read once.
    DoNotTextInName {
        column: Arc<str>,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::CellCount { found, expected } => write!(
                f,
                "Row has {found} cells but the header has {expected}: check for a missing or extra comma"
            ),
            Reason::NhsNumber(e) => e.fmt(f),
            Reason::Mobile(e) => e.fmt(f),
            Reason::DateOfBirth(e) => e.fmt(f),
            Reason::Declined => f.write_str("Patient has declined SMS"),
            Reason::ConsentUnrecognised => {
                f.write_str("SMS consent value is not recognised: write Yes, No or leave it blank")
            }
            Reason::OptedOut => f.write_str("Patient is on the opted-out list"),
            Reason::SamePatientAs { row } => write!(f, "Same patient as row {row}"),
            Reason::StoppedOnRow { row, stop } => match stop {
                Stop::Declined => write!(f, "Patient has declined SMS on row {row}"),
                Stop::OptedOut => write!(f, "Patient is on the opted-out list (row {row})"),
                Stop::HiddenRow => write!(
                    f,
                    "This patient's row {row} is hidden in the spreadsheet: unhide it if this \
                     patient should be texted"
                ),
                Stop::ConsentUnrecognised => write!(
                    f,
                    "The SMS consent on row {row} for this patient is not recognised: \
                     write Yes or No there"
                ),
            },
            Reason::EmptyPlaceholder { placeholder } => write!(
                f,
                "No value for (({placeholder})): fill it in, or give the message a fallback such as (({placeholder}|there))"
            ),
            Reason::DirectionControl { placeholder } => write!(
                f,
                "The value for (({placeholder})) contains characters that cannot be sent: hidden \
                 direction controls that change the order its letters are shown in, so the text \
                 could read differently from the cell. Type the cell again"
            ),
            Reason::TooLong { characters } => write!(
                f,
                "Text is too long: {characters} characters (the limit is {MAX_CHARACTERS})"
            ),
            Reason::HiddenRow => f.write_str(
                "Row is hidden in the spreadsheet: unhide it if this patient should be texted",
            ),
            Reason::DoNotTextInCell { column } | Reason::DoNotTextInName { column } => {
                write!(
                    f,
                    "The cell under \"{column}\" says not to text this patient"
                )
            }
        }
    }
}

impl Reason {
    /// A stable name for counting, the same for every row with this reason.
    pub fn code(&self) -> &'static str {
        use DateOfBirthError as D;
        use MobileError as M;
        use NhsNumberError as N;
        match self {
            Reason::CellCount { .. } => "cell_count",
            Reason::NhsNumber(N::Missing) => "nhs_number_missing",
            Reason::NhsNumber(N::SpreadsheetDamage) => "nhs_number_spreadsheet_damage",
            Reason::NhsNumber(N::UnknownCharacter) => "nhs_number_characters",
            Reason::NhsNumber(N::WrongLength) => "nhs_number_length",
            Reason::NhsNumber(N::WrongGrouping) => "nhs_number_grouping",
            Reason::NhsNumber(N::CheckDigit) => "nhs_number_check_digit",
            Reason::NhsNumber(N::Placeholder) => "nhs_number_placeholder",
            Reason::Mobile(M::Missing) => "mobile_missing",
            Reason::Mobile(M::UnknownCharacter) => "mobile_characters",
            Reason::Mobile(M::SpreadsheetDamage) => "mobile_spreadsheet_damage",
            Reason::Mobile(M::TooShort) => "mobile_too_short",
            Reason::Mobile(M::TooLong) => "mobile_too_long",
            Reason::Mobile(M::NotUkMobile) => "mobile_not_uk_mobile",
            Reason::Mobile(M::InvalidNumber) => "mobile_not_valid",
            Reason::DateOfBirth(D::Missing) => "date_of_birth_missing",
            Reason::DateOfBirth(D::Unrecognised) => "date_of_birth_format",
            Reason::DateOfBirth(D::TwoDigitYear) => "date_of_birth_two_digit_year",
            Reason::DateOfBirth(D::NotARealDate) => "date_of_birth_not_a_date",
            Reason::DateOfBirth(D::InFuture) => "date_of_birth_in_future",
            Reason::DateOfBirth(D::TooOld) => "date_of_birth_too_old",
            Reason::Declined => "declined_sms",
            Reason::ConsentUnrecognised => "consent_unrecognised",
            Reason::OptedOut => "opted_out",
            Reason::SamePatientAs { .. } => "same_patient",
            Reason::StoppedOnRow { .. } => "stopped_on_another_row",
            Reason::EmptyPlaceholder { .. } => "empty_placeholder",
            Reason::DirectionControl { .. } => "direction_control",
            Reason::TooLong { .. } => "text_too_long",
            Reason::HiddenRow => "hidden_row",
            Reason::DoNotTextInCell { .. } | Reason::DoNotTextInName { .. } => "declined_in_cell",
        }
    }

    /// Whether this row, by itself, says its patient must not be texted.
    pub fn stops_patient(&self) -> bool {
        matches!(
            self,
            Reason::Declined
                | Reason::ConsentUnrecognised
                | Reason::OptedOut
                | Reason::HiddenRow
                | Reason::DoNotTextInCell { .. }
        )
    }

    /// The reason as a summary counts it, without the row-specific detail.
    pub fn summary_text(&self) -> String {
        match self {
            Reason::CellCount { .. } => "Row has the wrong number of cells".to_owned(),
            Reason::SamePatientAs { .. } => "Same patient as an earlier row".to_owned(),
            Reason::StoppedOnRow { .. } => {
                "Patient declined, opted out, has an unclear consent or is hidden on another row"
                    .to_owned()
            }
            Reason::TooLong { .. } => format!("Text is longer than {MAX_CHARACTERS} characters"),
            Reason::DoNotTextInCell { .. } | Reason::DoNotTextInName { .. } => {
                "A cell outside the consent columns says not to text the patient".to_owned()
            }
            other => other.to_string(),
        }
    }
}
