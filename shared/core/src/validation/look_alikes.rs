//! A word in single brackets that names a column of the list — "Dear (name),"
//! or "%clinic%" or "<forename>" — is a placeholder typed wrongly: sent as it
//! stands, every patient would read "Dear (name),". Whether "(name)" is a
//! placeholder depends on the list's columns ("Dr (Mrs) Smith" is text), so
//! this is checked once the header is known, before any row.

use crate::columns::{ColumnMap, Header};
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

const BRACKETS: [(char, char); 3] = [('(', ')'), ('%', '%'), ('<', '>')];

fn look_alike_in(text: &str, headers: &[Header], columns: &ColumnMap) -> Option<(String, String)> {
    for (open, close) in BRACKETS {
        let mut rest = text;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len_utf8()..];
            let Some(end) = after.find(close) else {
                break;
            };
            let inner = &after[..end];
            let is_a_name = !inner.trim().is_empty()
                && inner.len() <= 40
                && inner
                    .chars()
                    .all(|c| c.is_alphabetic() || matches!(c, ' ' | '_' | '-'));
            if is_a_name && columns.column_for_placeholder(headers, inner).is_ok() {
                return Some((
                    format!("{open}{inner}{close}"),
                    format!("(({}))", inner.trim()),
                ));
            }
            rest = &after[end + close.len_utf8()..];
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
        ] {
            assert_eq!(look_alike(message), None, "{message}");
        }
    }
}
