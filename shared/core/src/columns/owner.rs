//! Whose a column is. A patient list often carries a next of kin's, a carer's
//! or a parent's details beside the patient's own; texting their number, or
//! filling the patient's text with their name, is texting someone else.
//! A column is someone else's when its own name or the group over it says so,
//! or when it is a phone column right beside a "Relationship" column (the
//! relationship describes the person whose number it is).

use super::Header;
use super::words::Words;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Marked as the patient's: a "Patient" group, "Patient Mobile".
    Patient,
    /// A next of kin, carer, relative, parent, guardian or other contact.
    SomeoneElse,
    Unstated,
}

const SOMEONE_ELSE: &[&str] = &[
    "nok",
    "kin",
    "nextofkin",
    "carer",
    "carers",
    "caregiver",
    "relative",
    "relatives",
    "relation",
    "relationship",
    "parent",
    "parents",
    "guardian",
    "guardians",
    "emergency",
    "mother",
    "mothers",
    "father",
    "fathers",
    "mum",
    "mums",
    "dad",
    "dads",
    "spouse",
    "spouses",
    "husband",
    "husbands",
    "wife",
    "wifes",
    "partner",
    "partners",
    "son",
    "sons",
    "daughter",
    "daughters",
    "sibling",
    "brother",
    "sister",
    "friend",
    "friends",
    "neighbour",
    "neighbor",
    "grandparent",
    "grandmother",
    "grandfather",
    "proxy",
    "representative",
    "advocate",
    "attorney",
    "lpa",
    "keyworker",
];

/// "Contact 2", "Second contact", "Alternative contact": a contact person.
/// "Contact 1" is left alone: some exports number the patient's own numbers.
fn names_another_contact(words: &Words) -> bool {
    let all = words.all();
    all.iter().enumerate().any(|(i, w)| {
        let next = all.get(i + 1).map(String::as_str);
        let before = i.checked_sub(1).map(|b| all[b].as_str());
        (w.starts_with("contact")
            && (next.is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 2))
                || matches!(next, Some("person" | "name"))))
            || (w == "contact"
                && matches!(
                    before,
                    Some(
                        "second"
                            | "2nd"
                            | "other"
                            | "alternative"
                            | "alt"
                            | "additional"
                            | "secondary"
                            | "third"
                            | "3rd"
                    )
                ))
    })
}

fn says_someone_else(text: &str) -> bool {
    let words = Words::of(text);
    words.has_any(SOMEONE_ELSE) || words.joined_has(&["nextofkin"]) || names_another_contact(&words)
}

fn says_patient(text: &str) -> bool {
    Words::of(text)
        .all()
        .first()
        .is_some_and(|w| w == "patient" || w == "patients")
}

/// Whose the column is by its own name and group alone.
pub(crate) fn owner_by_name(header: &Header) -> Owner {
    let group = header.group.as_deref().unwrap_or("");
    if says_someone_else(group) || says_someone_else(&header.text) {
        Owner::SomeoneElse
    } else if says_patient(group) || says_patient(&header.text) {
        Owner::Patient
    } else {
        Owner::Unstated
    }
}

/// "Relationship", "Relationship to patient", "NOK relationship".
pub(crate) fn is_relationship(header: &Header) -> bool {
    Words::of(&header.text)
        .all()
        .iter()
        .any(|w| w.starts_with("relationship") || w == "relation")
}
