//! A word in single brackets that names a column of the list — "Dear (name),"
//! or "%clinic%" or "<forename>" or "$name" — is a placeholder typed wrongly:
//! sent as it stands, every patient would read "Dear (name),". So is "((" in
//! the text before a word: a placeholder that did not close. Whether "(name)" is a
//! placeholder depends on the list's columns ("Dr (Mrs) Smith" is text), so
//! this is checked once the header is known, before any row.

use crate::columns::{ColumnMap, Header, Role};
use crate::message::{Part, Template};

/// The first look-alike in `template`'s text, as written, with the
/// placeholder it looks like.
pub(super) fn placeholder_look_alike(
    template: &Template,
    headers: &[Header],
    columns: &ColumnMap,
) -> Option<(String, String)> {
    template.parts().iter().find_map(|part| match part {
        Part::Text(text) => look_alike_in(text, headers, columns),
        Part::Placeholder(_) => None,
    })
}

const BRACKETS: [(char, char); 9] = [
    ('(', ')'),
    ('%', '%'),
    ('<', '>'),
    ('#', '#'),
    ('*', '*'),
    ('\u{ab}', '\u{bb}'),
    ('\u{ff08}', '\u{ff09}'),
    ('\u{ff08}', ')'),
    ('(', '\u{ff09}'),
];
/// Other systems' placeholders with a mark in front only: `$name`, `@name`,
/// `&name`, `%name`.
const PREFIXES: [char; 4] = ['$', '@', '&', '%'];

fn look_alike_in(text: &str, headers: &[Header], columns: &ColumnMap) -> Option<(String, String)> {
    let names_a_column = |inner: &str| {
        // An acronym in brackets is text: "Leeds Community Healthcare (NHS)".
        let acronym = inner.len() <= 4 && inner.chars().all(|c| c.is_ascii_uppercase());
        !acronym
            && !inner.trim().is_empty()
            && inner.len() <= 40
            && inner
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, ' ' | '_' | '-'))
            && (columns.column_for_placeholder(headers, inner).is_ok()
                // "Dear (name)," goes wrong whether or not the list has a
                // name column.
                || Role::named(inner).is_some_and(|r| r != Role::Consent))
    };
    // Two brackets opening a word in the text: a placeholder that did not
    // close where it should ("((name|((clinic))))").
    for (at, _) in text.match_indices("((") {
        let rest = &text[at + 2..];
        if !rest.starts_with(char::is_alphabetic) {
            continue;
        }
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphabetic() || matches!(c, ' ' | '_' | '-'))
            .collect();
        let found: String = text[at..].chars().take(word.chars().count() + 3).collect();
        return Some((found, format!("(({}))", word.trim())));
    }
    for (open, close) in BRACKETS {
        let mut rest = text;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len_utf8()..];
            let Some(end) = after.find(close) else {
                break;
            };
            let inner = &after[..end];
            // Two full-width brackets each side: the inner pair is in `inner`.
            let inner = inner
                .trim_start_matches('\u{ff08}')
                .trim_end_matches('\u{ff09}');
            if names_a_column(inner) {
                return Some((
                    format!("{open}{inner}{close}"),
                    format!("(({}))", inner.trim()),
                ));
            }
            rest = &after[end + close.len_utf8()..];
        }
    }
    for prefix in PREFIXES {
        for (at, _) in text.match_indices(prefix) {
            // In an address (clinic@nhs.net) the mark follows a letter.
            if text[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            let after = &text[at + prefix.len_utf8()..];
            let word_end = after
                .find(|c: char| !(c.is_alphabetic() || c == '_'))
                .unwrap_or(after.len());
            let word = &after[..word_end];
            if names_a_column(word) {
                return Some((format!("{prefix}{word}"), format!("(({word}))")));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::headers_of;

    fn look_alike(message: &str) -> Option<(String, String)> {
        let headers = headers_of(["NHS Number", "Mobile", "DOB", "Forename", "Clinic"]);
        let columns = ColumnMap::from_headers(&headers).expect("maps");
        let template = Template::parse(message).expect("parses");
        placeholder_look_alike(&template, &headers, &columns)
    }

    #[test]
    fn a_column_name_in_single_brackets_is_a_placeholder_typed_wrongly() {
        for (message, found) in [
            ("Dear (name), your appointment is due.", "(name)"),
            ("Dear (Forename), see you at ((clinic)).", "(Forename)"),
            ("Your appointment at %clinic% is on Monday.", "%clinic%"),
            ("Dear <forename>, please call.", "<forename>"),
            ("Dear $name, please call.", "$name"),
            ("Dear @forename please call.", "@forename"),
            ("Dear #name#, please call.", "#name#"),
            ("Dear ((name|((clinic)))), please call.", "((name|"),
            ("Dear \u{ab}name\u{bb}, please call.", "\u{ab}name\u{bb}"),
            ("Dear *Forename*, please call.", "*Forename*"),
            ("Dear %name, please call.", "%name"),
            ("Dear &name, please call.", "&name"),
            ("Dear \u{ff08}name), please call.", "\u{ff08}name)"),
            ("Your mobile (mobile) is on file.", "(mobile)"),
            (
                "Dear \u{ff08}\u{ff08}name\u{ff09}\u{ff09}, please call.",
                "\u{ff08}name\u{ff09}",
            ),
        ] {
            assert_eq!(
                look_alike(message).map(|(f, _)| f),
                Some(found.to_owned()),
                "{message}"
            );
        }
    }

    #[test]
    fn words_in_brackets_that_name_no_column_are_text() {
        for message in [
            "Dear ((name)), call (01234) 567890.",
            "Dr (Mrs) Smith will see you (in room 2).",
            "Please bring your letter (if you have one).",
            "Up to 50% off <3",
            "Open (9am-5pm).",
            "Email us at clinic@nhs.net or pay $5.",
            "Call #2 for appointments, #3 for results.",
            "Sorry :(( we have to move your ((clinic)) appointment.",
            "Leeds Community Healthcare (NHS) Trust, call (0113) 496 0000.",
            "Please bring your letter (name withheld).",
        ] {
            assert_eq!(look_alike(message), None, "{message}");
        }
    }
}
