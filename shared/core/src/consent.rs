//! SMS consent as clinical systems record it. A patient who declined must not
//! be texted, so anything we cannot read as yes or no is not accepted either.

/// Ordered by how strongly a value stops a text: of several consent columns,
/// the greatest decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Consent {
    /// Blank, a value that says yes, or one that says it was not recorded.
    NotDeclined,
    Unrecognised,
    Declined,
}

const DECLINED_WORDS: [&str; 12] = [
    "declined",
    "decline",
    "dissent",
    "dissented",
    "refused",
    "refuse",
    "withdrawn",
    "withdrew",
    "optedout",
    "optout",
    "donottext",
    "nosms",
];
const DECLINED_EXACT: [&str; 4] = ["no", "n", "false", "0"];
const GIVEN_EXACT: [&str; 11] = [
    "yes",
    "y",
    "true",
    "1",
    "given",
    "consented",
    "consent",
    "agreed",
    "accepted",
    "granted",
    "optedin",
];
/// Consent not recorded: there is no decline on record.
const NOT_RECORDED_EXACT: [&str; 5] = ["unknown", "notknown", "notrecorded", "notasked", "na"];

impl Consent {
    pub fn from_cell(value: &str) -> Self {
        let normalised = crate::columns::normalise_name(value);
        if normalised.is_empty() {
            return Consent::NotDeclined;
        }
        if DECLINED_EXACT.contains(&normalised.as_str())
            || DECLINED_WORDS.iter().any(|w| normalised.contains(w))
        {
            return Consent::Declined;
        }
        if GIVEN_EXACT.contains(&normalised.as_str())
            || NOT_RECORDED_EXACT.contains(&normalised.as_str())
            || normalised.starts_with("consentgiven")
            || normalised.starts_with("yes")
        {
            return Consent::NotDeclined;
        }
        Consent::Unrecognised
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declines_in_every_wording() {
        for value in [
            "Declined",
            "DISSENT",
            "Express dissent",
            "refused",
            "Withdrawn",
            "No",
            "n",
            "FALSE",
            "0",
            "Opted out",
            "opt-out",
            "Do not text",
            "Consent withdrawn",
            "SMS declined",
        ] {
            assert_eq!(Consent::from_cell(value), Consent::Declined, "{value}");
        }
    }

    #[test]
    fn reads_consent_and_blank_as_not_declined() {
        for value in [
            "",
            "  ",
            "Yes",
            "Y",
            "true",
            "1",
            "Given",
            "Consent given",
            "consented",
            "Yes - SMS",
        ] {
            assert_eq!(Consent::from_cell(value), Consent::NotDeclined, "{value:?}");
        }
    }

    #[test]
    fn anything_else_is_unrecognised() {
        for value in ["maybe", "2", "pending"] {
            assert_eq!(Consent::from_cell(value), Consent::Unrecognised, "{value}");
        }
    }
}
