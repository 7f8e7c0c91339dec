//! Two-row headers, as a person reads them: a group row ("Telephone" merged
//! over Home / Mobile / Work, "Patient" and "Next of Kin" over groups of
//! columns) directly above the header row. Each column is named by the
//! sub-header under it, and the cell above is recorded as its group; a column
//! whose name was merged down over both rows ("NHS number" in A1:A2) takes
//! the name from the upper row.
//!
//! In CSV a merged cell is its text in the first column and empty cells
//! after it, so a group spans from its cell to the next one. In an xlsx the
//! merged cells say exactly which columns a group spans.
//!
//! A title ("Flu recall list – printed 01/12/2026") is not a group row: a
//! group row holds words, with at most a short number among them ("Next of
//! Kin 1", "Carer 2", "NOK (1st)"; never a year, a date or a long number),
//! has fewer names than the header row, puts at least two sub-headers under one group, and does not lay one
//! group over every column.

use crate::columns::{Header, headers_of};

/// A group name longer than this is a sentence, a title or a note.
const MAX_GROUP_CHARS: usize = 40;
const MAX_GROUP_WORDS: usize = 6;
/// "Next of Kin 1" and "Contact 12" are groups; a year ("2026") is a title's.
const MAX_GROUP_DIGITS: usize = 3;

/// The header row `lower` with the groups of `upper` over it, when `upper`
/// (the non-blank row directly above) is a group row; `None` when it is not.
/// `merged` lists the merged cells that begin on the upper row as inclusive
/// column ranges, when the file records them.
pub(super) fn grouped_headers(
    upper: &[&str],
    lower: &[&str],
    merged: Option<&[(usize, usize)]>,
) -> Option<Vec<Header>> {
    let lower = headers_of(lower.iter().copied());
    let upper = headers_of(upper.iter().copied());
    let named = |cells: &[Header]| cells.iter().rposition(|h| !h.text.is_empty());
    let width = named(&lower).max(named(&upper))? + 1;
    let upper_text = |i: usize| upper.get(i).map_or("", |h| h.text.as_str());
    let lower_text = |i: usize| lower.get(i).map_or("", |h| h.text.as_str());

    let starts: Vec<usize> = (0..width).filter(|&i| !upper_text(i).is_empty()).collect();
    if starts.is_empty() || !starts.iter().all(|&i| is_words(upper_text(i))) {
        return None;
    }
    let spans: Vec<(usize, usize)> = starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = match merged {
                Some(merged) => merged
                    .iter()
                    .find(|(first, _)| *first == start)
                    .map_or(start, |&(_, last)| last),
                None => starts.get(n + 1).map_or(width, |next| *next) - 1,
            };
            (start, end.min(width - 1))
        })
        .collect();
    let under = |&(first, last): &(usize, usize)| {
        (first..=last)
            .filter(|&i| !lower_text(i).is_empty())
            .count()
    };
    if !spans.iter().any(|span| under(span) >= 2) {
        return None;
    }
    if let [(0, last)] = spans.as_slice()
        && *last == width - 1
    {
        return None; // one cell over every column: a title
    }

    let headers: Vec<Header> = (0..width)
        .map(|index| {
            let span = spans
                .iter()
                .find(|(first, last)| (*first..=*last).contains(&index));
            let (text, group) = match span {
                _ if !lower_text(index).is_empty() => (
                    lower_text(index),
                    span.map(|(first, _)| upper_text(*first).to_owned()),
                ),
                // A name merged down over both rows, or written in the upper one.
                Some((first, _)) if *first == index => (upper_text(index), None),
                _ => ("", None),
            };
            Header {
                index,
                text: text.to_owned(),
                group,
            }
        })
        .collect();
    let upper_names = starts.len();
    let header_names = headers.iter().filter(|h| !h.text.is_empty()).count();
    (upper_names < header_names).then_some(headers)
}

fn is_words(text: &str) -> bool {
    text.chars().count() <= MAX_GROUP_CHARS
        && text.split_whitespace().count() <= MAX_GROUP_WORDS
        && text.chars().any(char::is_alphabetic)
        && text.chars().filter(char::is_ascii_digit).count() <= MAX_GROUP_DIGITS
        && !has_date(text)
}

/// Digits joined by a date or time separator: "1/12", "3.4", "09:30".
fn has_date(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| {
        w[0].is_ascii_digit() && matches!(w[1], b'/' | b'-' | b'.' | b':') && w[2].is_ascii_digit()
    })
}
