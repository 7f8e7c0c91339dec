//! The ways a row is deliberately broken. A damaged row has exactly one of
//! these and is otherwise good, so every damaged row counts once.

use crate::rng::SplitMix64;

/// Share of rows that are damaged, in percent.
pub(crate) const DAMAGED_PERCENT: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Damage {
    NhsCheckDigitWrong,
    /// `9.99123E+09`
    NhsSpreadsheetScientific,
    NhsTooShort,
    NhsContainsLetter,
    NhsMissing,
    /// `01632 960123`
    MobileLandline,
    /// `+33 6 39 98 12 34`
    MobileForeign,
    MobileTooShort,
    MobileTooLong,
    /// `07700 9OO123`
    MobileContainsLetters,
    MobileMissing,
    /// `31/02/1990`
    DobImpossible,
    DobInFuture,
    /// `12/05/84`
    DobTwoDigitYear,
    /// `05/31/1984`
    DobMonthFirst,
    DobMissing,
    /// The NHS number of an earlier row again.
    DuplicatePatient,
    /// Only the first two or three cells.
    TooFewCells,
    /// `Declined`, `Dissent` or `No`; only when the list has a consent column.
    ConsentWithheld,
}

impl Damage {
    pub(crate) const ALL: [Damage; 19] = [
        Damage::NhsCheckDigitWrong,
        Damage::NhsSpreadsheetScientific,
        Damage::NhsTooShort,
        Damage::NhsContainsLetter,
        Damage::NhsMissing,
        Damage::MobileLandline,
        Damage::MobileForeign,
        Damage::MobileTooShort,
        Damage::MobileTooLong,
        Damage::MobileContainsLetters,
        Damage::MobileMissing,
        Damage::DobImpossible,
        Damage::DobInFuture,
        Damage::DobTwoDigitYear,
        Damage::DobMonthFirst,
        Damage::DobMissing,
        Damage::DuplicatePatient,
        Damage::TooFewCells,
        // Last, so that the list without it is a prefix.
        Damage::ConsentWithheld,
    ];

    /// The kinds that make sense for a list with or without a consent column.
    pub(crate) fn possible(with_consent_column: bool) -> &'static [Damage] {
        if with_consent_column {
            &Self::ALL
        } else {
            &Self::ALL[..Self::ALL.len() - 1]
        }
    }

    /// Decides whether the next row is damaged and how: about one row in ten,
    /// the kinds equally likely.
    pub(crate) fn random(rng: &mut SplitMix64, with_consent_column: bool) -> Option<Damage> {
        rng.percent(DAMAGED_PERCENT)
            .then(|| rng.pick(Self::possible(with_consent_column)))
    }
}
