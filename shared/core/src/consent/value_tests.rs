//! Consent values as people type them, read in a consent column and in one
//! that reads the other way round.

use super::*;

const NOT_DECLINED: Consent = Consent::NotDeclined;
const DECLINED: Consent = Consent::Declined;
const UNRECOGNISED: Consent = Consent::Unrecognised;

/// (value, in "SMS Consent", in "SMS Opt Out")
const VALUES: &[(&str, Consent, Consent)] = &[
    // Blank and not recorded: no decline on record, either way round.
    ("", NOT_DECLINED, NOT_DECLINED),
    ("   ", NOT_DECLINED, NOT_DECLINED),
    ("Unknown", NOT_DECLINED, NOT_DECLINED),
    ("Not recorded", NOT_DECLINED, NOT_DECLINED),
    ("n/a", NOT_DECLINED, NOT_DECLINED),
    // Yes and no take the column's direction.
    ("Yes", NOT_DECLINED, DECLINED),
    ("YES", NOT_DECLINED, DECLINED),
    ("y", NOT_DECLINED, DECLINED),
    ("Y.", NOT_DECLINED, DECLINED),
    ("TRUE", NOT_DECLINED, DECLINED),
    ("1", NOT_DECLINED, DECLINED),
    ("Given", NOT_DECLINED, DECLINED),
    ("Agreed", NOT_DECLINED, DECLINED),
    ("Yes - SMS", NOT_DECLINED, DECLINED),
    ("Yes (verbal consent)", NOT_DECLINED, DECLINED),
    ("✓", NOT_DECLINED, DECLINED),
    ("✔", NOT_DECLINED, DECLINED),
    ("☑", NOT_DECLINED, DECLINED),
    ("No", DECLINED, NOT_DECLINED),
    ("n", DECLINED, NOT_DECLINED),
    ("False", DECLINED, NOT_DECLINED),
    ("0", DECLINED, NOT_DECLINED),
    ("Not given", DECLINED, NOT_DECLINED),
    // Values that say what they mean mean it either way round.
    ("Declined", DECLINED, DECLINED),
    ("SMS declined", DECLINED, DECLINED),
    ("Express dissent", DECLINED, DECLINED),
    ("Refused", DECLINED, DECLINED),
    ("Consent withdrawn", DECLINED, DECLINED),
    ("Opted out", DECLINED, DECLINED),
    ("opt-out", DECLINED, DECLINED),
    ("Do not text", DECLINED, DECLINED),
    ("No SMS", DECLINED, DECLINED),
    ("Objects", DECLINED, DECLINED),
    ("Consented", NOT_DECLINED, NOT_DECLINED),
    ("Consent given", NOT_DECLINED, NOT_DECLINED),
    ("Opted in", NOT_DECLINED, NOT_DECLINED),
    // Not clearly yes or no.
    ("✗", UNRECOGNISED, UNRECOGNISED),
    ("✘", UNRECOGNISED, UNRECOGNISED),
    ("×", UNRECOGNISED, UNRECOGNISED),
    ("X", UNRECOGNISED, UNRECOGNISED),
    ("❌", UNRECOGNISED, UNRECOGNISED),
    ("✓?", UNRECOGNISED, UNRECOGNISED),
    ("?", UNRECOGNISED, UNRECOGNISED),
    ("y?", UNRECOGNISED, UNRECOGNISED),
    ("Yes?", UNRECOGNISED, UNRECOGNISED),
    ("-", UNRECOGNISED, UNRECOGNISED),
    ("Yes, but not by text", UNRECOGNISED, UNRECOGNISED),
    ("Yes - not SMS", UNRECOGNISED, UNRECOGNISED),
    ("Yes - no SMS", UNRECOGNISED, UNRECOGNISED),
    ("Yes - email only", UNRECOGNISED, UNRECOGNISED),
    ("Consent given - letters only", UNRECOGNISED, UNRECOGNISED),
    ("✓ unless urgent", UNRECOGNISED, UNRECOGNISED),
    ("\u{200b}", UNRECOGNISED, UNRECOGNISED),
    ("maybe", UNRECOGNISED, UNRECOGNISED),
    ("pending", UNRECOGNISED, UNRECOGNISED),
    ("2", UNRECOGNISED, UNRECOGNISED),
];

#[test]
fn every_value_reads_as_a_person_would_read_it() {
    let wrong: Vec<String> = VALUES
        .iter()
        .flat_map(|&(value, consent, opposite)| {
            [
                (YesMeans::MayText, consent),
                (YesMeans::DoNotText, opposite),
            ]
            .into_iter()
            .filter_map(move |(yes_means, expected)| {
                let got = Consent::read(value, yes_means);
                (got != expected).then(|| {
                    format!("{value:?} with {yes_means:?}: expected {expected:?}, got {got:?}")
                })
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn from_cell_reads_a_consent_column() {
    for &(value, consent, _) in VALUES {
        assert_eq!(Consent::from_cell(value), consent, "{value:?}");
    }
}

#[test]
fn the_strongest_stop_wins_across_columns() {
    assert!(Consent::Declined > Consent::Unrecognised);
    assert!(Consent::Unrecognised > Consent::NotDeclined);
    let row = [
        Consent::read("Yes", YesMeans::MayText),
        Consent::read("✗", YesMeans::MayText),
        Consent::read("Yes", YesMeans::DoNotText),
    ];
    assert_eq!(row.into_iter().max(), Some(Consent::Declined));
}
