//! Whose a column is. A patient list often carries a next of kin's, a carer's
//! or a parent's details beside the patient's own; texting their number, or
//! filling the patient's text with their name, is texting someone else.
//! A column is someone else's when its own name or the group over it says so,
//! or when it is a phone column right beside a "Relationship" column (the
//! relationship describes the person whose number it is).
//!
//! A group over a column must be recognisably the patient's own ("Patient",
//! "Demographics", "Telephone", "Consent") for the column to hold the
//! patient's details: "Main contact", "Key worker", "Care home", "ICE" and
//! headings nobody foresaw are someone else's or may be, and their columns
//! are never taken for the patient's.

use super::Header;
use super::words::Words;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Marked as the patient's: a "Patient" group, "Patient Mobile".
    Patient,
    /// A next of kin, carer, relative, parent, guardian or other contact.
    SomeoneElse,
    /// Under a heading that says neither the patient nor someone else
    /// ("Contact details", "GP practice"): never taken for the patient's.
    OtherHeading,
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
    "worker",
    "workers",
    "socialworker",
    "grandson",
    "grandsons",
    "granddaughter",
    "granddaughters",
    "grandchild",
    "grandchildren",
    "grandma",
    "grandpa",
    "niece",
    "nieces",
    "nephew",
    "nephews",
    "aunt",
    "auntie",
    "uncle",
    "cousin",
    "stepson",
    "stepdaughter",
    "stepmother",
    "stepfather",
    "ice",
    "named",
    "nominated",
];

/// Someone else's when they head a group of columns, though not always in a
/// column's own name ("Family name" is the surname; "Contact number" is
/// often the patient's).
const SOMEONE_ELSE_GROUP: &[&str] = &["family", "families", "key", "holder", "holders"];

/// Words that with "contact" name a means of contact, not a contact person:
/// "Contact preferences", "Contact details" (whose details is not said).
const CONTACT_MEANS: &[&str] = &[
    "details",
    "detail",
    "number",
    "numbers",
    "no",
    "nos",
    "info",
    "information",
    "preference",
    "preferences",
    "consent",
    "consents",
    "permission",
    "permissions",
    "method",
    "methods",
];

/// With "contact", the patient's own choices: "Contact preferences".
const CONTACT_CHOICES: &[&str] = &[
    "preference",
    "preferences",
    "consent",
    "consents",
    "permission",
    "permissions",
    "method",
    "methods",
];

/// Words a group may be made of and still be recognisably the patient's own.
const PATIENTS_GROUP: &[&str] = &[
    "patient",
    "patients",
    "pt",
    "details",
    "detail",
    "demographics",
    "demographic",
    "personal",
    "identifiers",
    "identifier",
    "identity",
    "identification",
    "id",
    "ids",
    "name",
    "names",
    "date",
    "birth",
    "dob",
    "telephone",
    "telephones",
    "tel",
    "phone",
    "phones",
    "mobile",
    "mobiles",
    "number",
    "numbers",
    "no",
    "nos",
    "home",
    "work",
    "address",
    "consent",
    "consents",
    "sms",
    "text",
    "texts",
    "texting",
    "messaging",
    "message",
    "messages",
    "preference",
    "preferences",
    "communication",
    "communications",
    "comms",
    "permission",
    "permissions",
    "opt",
    "out",
    "outs",
    "optout",
    "optouts",
    "in",
    "ins",
    "status",
    "information",
    "info",
    "registration",
    "own",
    "and",
    "of",
    "the",
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
    let all = words.all();
    let someone = all
        .iter()
        .enumerate()
        .any(|(i, w)| SOMEONE_ELSE.contains(&w.as_str()) && !is_relationship_status(all, i));
    someone || words.joined_has(&["nextofkin"]) || names_another_contact(&words)
}

/// "Relationship status" is the patient's marital status, not a relative.
fn is_relationship_status(words: &[String], i: usize) -> bool {
    words[i].starts_with("relation") && words.get(i + 1).is_some_and(|n| n == "status")
}

/// Words that make a column about someone else a flag or a count about the
/// patient ("Is a carer", "Has NOK", "Carer status"), not that person's name.
const FLAG_WORDS: &[&str] = &[
    "is",
    "has",
    "have",
    "flag",
    "flags",
    "status",
    "indicator",
    "yn",
    "y",
    "n",
    "registered",
    "count",
    "lives",
    "living",
    "alone",
    "needs",
    "known",
    "type",
];

/// A group naming a contact person: "Contact", "Main contact", "Contact 1".
fn group_names_a_contact(words: &Words) -> bool {
    words.all().iter().any(|w| w.starts_with("contact")) && !words.has_any(CONTACT_MEANS)
}

/// A group heading someone else's columns.
fn group_says_someone_else(group: &str) -> bool {
    let words = Words::of(group);
    says_someone_else(group)
        || words.has_any(SOMEONE_ELSE_GROUP)
        || words.joined_has(&["carehome", "nursinghome", "residentialhome"])
        || group_names_a_contact(&words)
}

/// Whether a heading over columns (a group row's cell, or a note above the
/// header) names someone other than the patient: "Next of Kin (2024)",
/// "Carer", "Emergency contact", "Contact".
pub(crate) fn heading_names_someone_else(text: &str) -> bool {
    group_says_someone_else(text)
}

/// A group recognisably the patient's own: "Patient", "Patient details",
/// "Demographics", "Telephone numbers", "Consent", "Contact preferences".
fn group_is_patients(group: &str) -> bool {
    let words = Words::of(group);
    let all = words.all();
    !all.is_empty()
        && all.iter().all(|w| {
            PATIENTS_GROUP.contains(&w.as_str())
                || (w.starts_with("contact")
                    && (words.has_any(CONTACT_CHOICES)
                        || (words.has_any(&["patient", "patients"])
                            && words.has_any(CONTACT_MEANS))))
        })
}

fn says_patient(text: &str) -> bool {
    Words::of(text)
        .all()
        .first()
        .is_some_and(|w| w == "patient" || w == "patients")
}

/// Whose the column is by its own name and group alone.
pub(crate) fn owner_by_name(header: &Header) -> Owner {
    let group = header.group.as_deref().map_or("", str::trim);
    if (!group.is_empty() && group_says_someone_else(group)) || says_someone_else(&header.text) {
        Owner::SomeoneElse
    } else if !group.is_empty() && !group_is_patients(group) {
        Owner::OtherHeading
    } else if says_patient(group) || says_patient(&header.text) {
        Owner::Patient
    } else {
        Owner::Unstated
    }
}

/// Whether the heading over a column is what keeps it from being the
/// patient's, without naming anyone ("Contact details", "GP practice").
pub(crate) fn under_other_heading(header: &Header) -> bool {
    owner_by_name(header) == Owner::OtherHeading
}

/// "Relationship", "Relationship to patient", "NOK relationship"; not
/// "Relationship status" (marital status).
pub(crate) fn is_relationship(header: &Header) -> bool {
    let words = Words::of(&header.text);
    let all = words.all();
    (0..all.len()).any(|i| {
        (all[i].starts_with("relationship") || all[i] == "relation")
            && !is_relationship_status(all, i)
    })
}

/// A column naming someone else by its own header ("Next of Kin", "Carer
/// Name", "Contact Name", "Relationship"): a phone column right after it is
/// that person's. Flags about the patient ("Is a carer") are not.
pub(crate) fn names_someone_else(header: &Header) -> bool {
    (says_someone_else(&header.text) || is_relationship(header))
        && !Words::of(&header.text).has_any(FLAG_WORDS)
}
