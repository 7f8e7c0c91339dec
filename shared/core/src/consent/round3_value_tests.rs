//! Consent values as EMIS and SystmOne write them (SNOMED's wording) and as
//! staff type them: read as yes only when built from words that give
//! consent, with no negation or condition.

use super::*;

#[test]
fn consent_in_snomed_and_everyday_wording_is_not_a_decline() {
    for value in [
        "Consent given for communication by SMS text message",
        "Consent given for communication by text message",
        "Consent given for SMS",
        "SMS text messaging consent given",
        "Consent to SMS reminders",
        "Consents to text messaging",
        "Yes (patient request)",
        "Yes please",
        "Consent given (verbal) 12-Mar-2023",
        "Yes - verbal 01/02/2023",
        "Yes 03/05/2023",
        "Y - consent given",
    ] {
        assert_eq!(Consent::from_cell(value), Consent::NotDeclined, "{value}");
    }
}

#[test]
fn dissent_in_snomed_wording_declines_either_way_round() {
    for value in [
        "Dissent from communication by SMS text message",
        "Declined consent for communication by text message",
        "Declined 01/04/2024",
    ] {
        for yes_means in [YesMeans::MayText, YesMeans::DoNotText] {
            assert_eq!(
                Consent::read(value, yes_means),
                Consent::Declined,
                "{value}"
            );
        }
    }
}

#[test]
fn a_yes_with_a_negation_or_condition_stays_unclear() {
    for value in [
        "Yes, but not by text",
        "Yes - not SMS",
        "y?",
        "Consent given except SMS",
        "Consent to SMS only if urgent",
        "Yes please unless urgent",
        "SMS text message",
        "Consent given for communication by email",
        "03/05/2023",
        "Verbal",
    ] {
        assert_eq!(Consent::from_cell(value), Consent::Unrecognised, "{value}");
    }
}

#[test]
fn consent_asked_for_a_bare_number_or_another_phone_is_not_consent() {
    for value in [
        "Consent requested",
        "SMS consent requested",
        "Consent requested 12/03/2023",
        "Consent request",
        "Consent: 0",
        "SMS consent - 0",
        "Consent given to 07700900999",
        "Yes - mobile 07700900999",
    ] {
        assert_eq!(
            Consent::read(value, YesMeans::MayText),
            Consent::Unrecognised,
            "{value}"
        );
    }
    for value in [
        "Yes (patient request)",
        "Consent given (verbal) 12-Mar-2023",
        "Consent given 01/04/2024",
    ] {
        assert_eq!(
            Consent::read(value, YesMeans::MayText),
            Consent::NotDeclined,
            "{value}"
        );
    }
}
