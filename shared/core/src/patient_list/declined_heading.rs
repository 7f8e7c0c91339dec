//! A heading over patients who must not be texted: "Declined SMS - do not
//! text" as a separator inside a list, or as the title of a list of patients
//! who declined pasted under the list to text ("Patients who declined texts
//! (from EMIS)", with or without the header again).
//!
//! A person reads every row under such a heading as a decline, but the rows
//! themselves say nothing of it: read on, they would be texted. The tool
//! cannot tell where the section ends, so the run stops and asks. A heading
//! holds words only (no NHS number, mobile or date), in one or two cells or
//! merged across; a declining value in a consent column is a patient's own
//! answer, left to validation.

use csv::ByteRecord;

use super::cell_text;
use crate::columns::{Words, has_long_number};
use crate::consent::says_do_not_text;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;

/// Words that start with these speak of declining, dissent, refusing,
/// withdrawing, objecting or unsubscribing.
const DECLINING_STEMS: &[&str] = &[
    "declin",
    "dissent",
    "refus",
    "withdr",
    "objected",
    "objection",
    "objects",
    "unsubscrib",
];

/// Over a section of the list (not above the header), excluding or removing
/// is read as leaving those patients out too: "Excluded patients" over rows
/// is not a list to text. Above the header ("Excluding housebound patients",
/// "Removed duplicates") it describes the list.
const LEAVING_OUT_STEMS: &[&str] = &["exclu", "remov"];

/// Opting out, with or without spaces and hyphens.
const OPTING_OUT: &[&str] = &["optout", "optedout", "optingout", "optsout"];

/// What "do not", "don't", "not to be" and "no" are said of in a heading
/// that forbids texting: "Do not text", "Not to be contacted", "No SMS".
const CONTACT_WORDS: &[&str] = &[
    "text",
    "texts",
    "texted",
    "texting",
    "txt",
    "sms",
    "message",
    "messages",
    "messaged",
    "messaging",
    "contact",
    "contacted",
    "send",
    "sent",
    "call",
    "phone",
    "mobile",
    "remind",
    "reminders",
    "consent",
];

/// Whether `text` speaks of patients declining or not to be texted.
pub(super) fn speaks_of_declining(text: &str) -> bool {
    if !text.chars().any(char::is_alphabetic) {
        return false;
    }
    if says_do_not_text(text) {
        return true;
    }
    let words = Words::of(text);
    if words.has_stem(DECLINING_STEMS) || words.joined_has(OPTING_OUT) {
        return true;
    }
    let all = words.all();
    // The word `len` after `at` (past a "be": "must not be texted") is
    // a means of contact.
    let forbids = |at: usize, len: usize| {
        let next = match all.get(at + len).map(String::as_str) {
            Some("be") => at + len + 1,
            _ => at + len,
        };
        all.get(next)
            .is_some_and(|w| CONTACT_WORDS.contains(&w.as_str()))
    };
    all.iter().enumerate().any(|(i, w)| match w.as_str() {
        "dont" | "no" | "never" => forbids(i, 1),
        "do" | "must" | "should" | "may" => {
            all.get(i + 1).is_some_and(|n| n == "not") && forbids(i, 2)
        }
        "not" => all.get(i + 1).is_some_and(|n| n == "to") && forbids(i, 2),
        _ => false,
    })
}

/// Whether `record`, a row below the header, is a heading over patients who
/// must not be texted: words only, in one or two cells or the same words
/// merged across, declining in a cell that is not a consent column's
/// (`consent_columns`). A header met again is not one: those are read first.
pub(super) fn is_declining_heading(record: &ByteRecord, consent_columns: &[usize]) -> bool {
    let mut first: Option<&[u8]> = None;
    let mut cells = 0;
    let mut merged_across = true;
    let mut declining = false;
    let mut words = String::new();
    for (index, cell) in record.iter().enumerate() {
        let cell = cell.trim_ascii();
        if cell.is_empty() {
            continue;
        }
        cells += 1;
        match first {
            None => first = Some(cell),
            Some(first) => merged_across &= cell == first,
        }
        let text = cell_text(cell);
        if is_a_patients_value(&text) {
            return false;
        }
        if consent_columns.contains(&index) {
            continue;
        }
        declining =
            declining || speaks_of_declining(&text) || Words::of(&text).has_stem(LEAVING_OUT_STEMS);
        words.push_str(&text);
        words.push(' ');
    }
    // Words over more cells than two, not merged: "Declined, SMS, do not
    // text" is a heading, but "Bob, Smith, Declined flu jab" is a patient's
    // row; only words about texting say it is a heading.
    match cells <= 2 || merged_across {
        true => declining,
        false => says_do_not_text(&words),
    }
}

/// An NHS number, a mobile, or a cell of a date or number alone (a date of
/// birth): a patient's detail, so the row is a patient's. A date among
/// words ("Declined SMS - updated 01/04/2024") is part of a heading.
fn is_a_patients_value(text: &str) -> bool {
    NhsNumber::parse(text).is_ok()
        || UkMobile::parse(text).is_ok()
        || (!text.chars().any(char::is_alphabetic) && text.chars().any(|c| c.is_ascii_digit()))
        || (has_long_number(text) && !has_date(text))
}

/// Digits joined by a date separator: "1/4/24", "01-04-2024", "1.4.24".
fn has_date(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| {
        w[0].is_ascii_digit() && matches!(w[1], b'/' | b'-' | b'.') && w[2].is_ascii_digit()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_that_decline_or_forbid_texting_are_read_as_such() {
        for text in [
            "Declined SMS - do not text",
            "DECLINED SMS - DO NOT TEXT",
            "Patients who declined texts (from EMIS)",
            "Do not text",
            "Don't contact",
            "Not to be texted",
            "No SMS",
            "SMS opt-outs",
            "Opted out of texts",
            "Dissent recorded",
            "Refused SMS",
            "Consent withdrawn",
            "Objected to contact",
            "Must not be contacted",
        ] {
            assert!(speaks_of_declining(text), "{text}");
        }
    }

    #[test]
    fn ordinary_titles_and_footers_are_not() {
        for text in [
            "Flu recall - to text",
            "Total: 2 patients",
            "Report run by Practice Manager",
            "End of report",
            "Patients to contact",
            "Text message list",
            "No. of patients",
            "Page 3 of 3",
            "Notes",
            // The third review: titles that describe the list.
            "Removed duplicates",
            "Excluding housebound patients",
        ] {
            assert!(!speaks_of_declining(text), "{text}");
        }
    }

    fn heading(cells: &[&str], consent: &[usize]) -> bool {
        is_declining_heading(&ByteRecord::from(cells.to_vec()), consent)
    }

    #[test]
    fn a_heading_is_words_only_in_one_or_two_cells_or_merged_across() {
        assert!(heading(&["Declined SMS - do not text", "", "", ""], &[]));
        assert!(heading(&["", "Do not text", "(from EMIS)", ""], &[]));
        let merged = ["Declined SMS - do not text"; 5];
        assert!(heading(&merged, &[4]));
        // The third review's headings.
        assert!(heading(&["Declined SMS - updated 01/04/2024"], &[]));
        assert!(heading(&["Declined SMS (3 patients as at 1.4.24)"], &[]));
        assert!(heading(&["Declined", "SMS", "do not text"], &[]));
        assert!(heading(&["SMS: NO"], &[]));
        assert!(heading(&["NOT FOR SMS"], &[]));
        assert!(heading(&["SMS blocked"], &[]));
        // Over a section, leaving out is read as a decline.
        assert!(heading(&["Excluded patients"], &[]));
    }

    #[test]
    fn a_patients_row_is_not_a_heading() {
        // A decline in the consent column is the patient's own answer.
        assert!(!heading(&["", "Bob", "", "", "Declined"], &[4]));
        assert!(!heading(&["", "", "", "", "Declined"], &[4]));
        // Numbers and dates are a patient's details.
        assert!(!heading(&["9434765005", "Declined SMS"], &[]));
        assert!(!heading(&["Declined SMS", "03/04/1960"], &[]));
        assert!(!heading(&["Bob", "Smith", "Declined flu jab"], &[]));
        // Three different cells: a patient's row with words in it.
        assert!(!heading(&["Total: 2 patients"], &[]));
    }
}
