//! A cell that itself says not to text — "Do not text", "SMS opt out",
//! "Letter only - declined SMS" — in a column that is not a consent column
//! ("Contact preference", "Reminders", "Notes"). Practices record a decline
//! wherever their export puts it; read where a person would see it, it
//! declines that patient.
//!
//! The words must say it about texting: a negation or a decline next to a
//! word for texting, with only filler words between ("do not send texts",
//! "opted out of SMS", "texts: declined"). "Do not call, text only" and
//! "declined letter, text OK" are not declines.

use super::cells::Cells;
use crate::columns::ColumnMap;

/// The first column, among those that take no role, whose cell says not to
/// text this patient.
pub(super) fn do_not_text_column(cells: &Cells, columns: &ColumnMap) -> Option<usize> {
    (0..cells.len())
        .filter(|&i| !takes_role(columns, i))
        .find(|&i| says_do_not_text(&cells.get(i)))
}

fn takes_role(columns: &ColumnMap, i: usize) -> bool {
    [columns.nhs_number, columns.mobile, columns.date_of_birth].contains(&i)
        || columns.name == Some(i)
        || columns.emis_number == Some(i)
        || columns.consent.iter().any(|c| c.index == i)
}

/// Whether a list could hold such a cell: it has a column that takes no role.
pub(super) fn has_free_text_columns(columns: &ColumnMap, width: usize) -> bool {
    (0..width).any(|i| !takes_role(columns, i))
}

const TEXTING: [&str; 12] = [
    "sms",
    "text",
    "texts",
    "texting",
    "texted",
    "txt",
    "txts",
    "message",
    "messages",
    "messaging",
    "textmessage",
    "textmessages",
];
const NEGATIONS: [&str; 5] = ["not", "dont", "never", "no", "without"];
const DECLINES: [&str; 15] = [
    "declined",
    "declines",
    "decline",
    "refused",
    "refuses",
    "withdrawn",
    "withdrew",
    "dissent",
    "dissented",
    "optout",
    "optedout",
    "unsubscribed",
    "blocked",
    "stopped",
    "stop",
];
/// Words that may stand between the two halves of a phrase.
const FILLERS: [&str; 22] = [
    "send",
    "sent",
    "to",
    "be",
    "by",
    "via",
    "of",
    "from",
    "for",
    "any",
    "the",
    "want",
    "wants",
    "receive",
    "receiving",
    "communication",
    "contact",
    "consent",
    "reminders",
    "reminder",
    "status",
    "further",
];

pub(super) fn says_do_not_text(cell: &str) -> bool {
    if cell.len() < 5 || !mentions_texting(cell.as_bytes()) {
        return false;
    }
    let words = words(cell);
    let is = |list: &[&str], word: &str| list.contains(&word);
    (0..words.len()).any(|i| {
        let word = words[i].as_str();
        let first_after = words[i + 1..]
            .iter()
            .map(String::as_str)
            .find(|w| !is(&FILLERS, w));
        ((is(&NEGATIONS, word) || is(&DECLINES, word))
            && first_after.is_some_and(|w| is(&TEXTING, w)))
            || (is(&TEXTING, word) && first_after.is_some_and(|w| is(&DECLINES, w) || w == "no"))
    })
}

/// Lower-case words of letters and digits; "opt out", "opted out" and
/// "text message" become one word each, and an apostrophe joins ("don't").
fn words(cell: &str) -> Vec<String> {
    let raw: Vec<String> = cell
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '\u{2019}')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let mut joined: Vec<String> = Vec::with_capacity(raw.len());
    for word in raw {
        match (joined.last().map(String::as_str), word.as_str()) {
            (Some("opt" | "opted"), "out") | (Some("text"), "message" | "messages") => {
                let last = joined.pop().expect("a word before");
                joined.push(format!("{last}{word}"));
            }
            _ => joined.push(word),
        }
    }
    joined
}

/// A quick look before any word is made: "sms", "text", "txt" or "messag".
fn mentions_texting(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| {
        let w = [
            w[0].to_ascii_lowercase(),
            w[1].to_ascii_lowercase(),
            w[2].to_ascii_lowercase(),
        ];
        matches!(&w, b"sms" | b"tex" | b"txt" | b"mes")
    })
}

#[cfg(test)]
mod tests {
    use super::says_do_not_text;

    #[test]
    fn cells_that_say_not_to_text() {
        for cell in [
            "Do not text",
            "DO NOT SMS",
            "Don't text",
            "don\u{2019}t send texts",
            "Letter only - declined SMS",
            "SMS opt out",
            "Opted out of texts",
            "Declined texts",
            "No SMS",
            "no text messages please",
            "Texts: declined",
            "Text: No",
            "does not want texts",
            "not to be texted",
            "Dissent from communication by SMS text message",
            "Text message consent withdrawn",
            "SMS blocked",
            "unsubscribed from SMS",
        ] {
            assert!(says_do_not_text(cell), "{cell}");
        }
    }

    #[test]
    fn cells_that_do_not() {
        for cell in [
            "",
            "Yes",
            "Do not call, text only",
            "Declined letter, text OK",
            "Prefers text, not phone",
            "Text reminders: yes",
            "SMS",
            "Consent given for communication by SMS text message",
            "Mobile number changed, texts fine",
            "Declined flu vaccine",
            "Smith",
            "Textile worker",
        ] {
            assert!(!says_do_not_text(cell), "{cell}");
        }
    }
}
