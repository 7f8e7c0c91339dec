//! Placeholders typed wrongly, found when a message is read.
//!
//! A placeholder is `((name))`. Anything else that looks like one is sent
//! literally to every patient ("Dear ((name), ..."), so it stops the run
//! instead, with what to write. What counts as a typo:
//!
//! - `((` or `))` that is not part of a placeholder and whose brackets are
//!   not each matched by one of the other kind: `((name)`, `(name))`,
//!   `(( name )`, `((name|there)`. A `))` after a symbol or a `((` before
//!   one (`:-))`, `:((`) is a face;
//! - a single bracket with no partner right next to a placeholder (only
//!   spaces between): `((clinic)))`, `(((clinic))`, `((clinic)) )`;
//! - a bracket inside a placeholder: `((name (first)))`;
//! - another system's placeholder: `{{name}}`, `{name}`, `{0}`, `[[name]]`,
//!   `[Patient name]`, `<<name>>`, and any `{{`, `}}`, `[[` or `]]`.
//!
//! Honest text stays text: `(01234) 567890`, `Dr (Mrs) Smith`, `:-)`, `1) ...`,
//! `(((name)))` (a placeholder in brackets), `[1]`, `{}`. Matching is as a
//! reader matches brackets: across the whole message, placeholders counting
//! as words, so `(at ((clinic)))` is a placeholder in brackets.
//!
//! GOV.UK Notify sends such text literally (its placeholder pattern simply
//! does not match it); we stop instead, since nobody can unsend a text.
//!
//! The message's own text may not hold control characters (other than line
//! breaks and tabs) or direction overrides either (see [`super::value`]).

use std::ops::Range;

use super::TemplateError;
use super::value::is_direction_control;

/// A run of the message: text, or a placeholder with its brackets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) range: Range<usize>,
    pub(super) placeholder: bool,
}

/// The message as text and placeholders. `(((name)))` reads as `(` +
/// `((name))` + `)`.
pub(super) fn split(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut text_start = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find("((") {
        let open = from + found;
        let Some(close) = text[open + 2..].find("))") else {
            break;
        };
        let inside = &text[open + 2..open + 2 + close];
        if inside.contains("((") || inside.starts_with('(') {
            from = open + 1;
            continue;
        }
        if text_start < open {
            spans.push(Span {
                range: text_start..open,
                placeholder: false,
            });
        }
        let end = open + 2 + close + 2;
        spans.push(Span {
            range: open..end,
            placeholder: true,
        });
        text_start = end;
        from = end;
    }
    if text_start < text.len() {
        spans.push(Span {
            range: text_start..text.len(),
            placeholder: false,
        });
    }
    spans
}

pub(super) fn check(text: &str, spans: &[Span]) -> Result<(), TemplateError> {
    hidden_characters(text)?;
    for span in spans.iter().filter(|s| s.placeholder) {
        let inside = &text[span.range.start + 2..span.range.end - 2];
        if inside.contains(['(', ')']) {
            return Err(broken(&text[span.range.clone()]));
        }
    }
    round_brackets(text, spans)?;
    for span in spans.iter().filter(|s| !s.placeholder) {
        other_brackets(&text[span.range.clone()])?;
    }
    Ok(())
}

fn hidden_characters(text: &str) -> Result<(), TemplateError> {
    let plain = |b: u8| (b' '..=b'~').contains(&b) || b"\t\n\r".contains(&b);
    if text.bytes().all(plain) {
        return Ok(());
    }
    let hidden = text.chars().find_map(|c| {
        let line_break = matches!(c, '\t' | '\n' | '\x0b'..='\r' | '\x1c'..='\x1f' | '\u{85}');
        if c.is_control() && !line_break {
            Some((c, "a control character"))
        } else if is_direction_control(c) {
            Some((
                c,
                "a direction override that changes the order letters are shown in",
            ))
        } else {
            None
        }
    });
    match hidden {
        Some((c, what)) => Err(TemplateError::HiddenCharacter {
            code: u32::from(c),
            what,
        }),
        None => Ok(()),
    }
}

/// Round brackets in the text, matched across the message.
fn round_brackets(text: &str, spans: &[Span]) -> Result<(), TemplateError> {
    let bytes = text.as_bytes();
    let mut open = Vec::new();
    let mut unmatched = Vec::new();
    for span in spans.iter().filter(|s| !s.placeholder) {
        for i in span.range.clone() {
            match bytes[i] {
                b'(' => open.push(i),
                // Pops the `(` it closes, if any.
                b')' if open.pop().is_none() => unmatched.push(i),
                _ => {}
            }
        }
    }
    unmatched.extend(open);
    unmatched.sort_unstable();
    let placeholder_starting =
        |at: usize| spans.iter().find(|s| s.placeholder && s.range.start == at);
    let placeholder_ending = |at: usize| spans.iter().find(|s| s.placeholder && s.range.end == at);
    for i in unmatched {
        if bytes[i] == b'(' {
            // Beside a placeholder: "(((clinic))", "( ((clinic))".
            let next = i + 1 + count_spaces(&bytes[i + 1..]);
            if let Some(p) = placeholder_starting(next) {
                return Err(broken_writing(
                    &text[i..p.range.end],
                    &text[p.range.clone()],
                ));
            }
            let run = run_around(bytes, i, b'(');
            let word = run.end + count_spaces(&bytes[run.end..]);
            let before_word = text[word..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            let face = text[..run.start].ends_with([':', ';', '=', '-', '\'']);
            if run.len() > 1 && before_word && !face {
                return Err(broken(&excerpt_from(text, run.start)));
            }
        } else {
            let before = i - count_spaces_back(&bytes[..i]);
            if let Some(p) = placeholder_ending(before) {
                return Err(broken_writing(
                    &text[p.range.start..=i],
                    &text[p.range.clone()],
                ));
            }
            let run = run_around(bytes, i, b')');
            let word = run.start - count_spaces_back(&bytes[..run.start]);
            let after_word = text[..word]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '|' | '.'));
            if run.len() > 1 && after_word {
                return Err(broken(&excerpt_to(text, run.end)));
            }
        }
    }
    Ok(())
}

/// `{{name}}`, `{name}`, `[[name]]`, `[name]`, `<<name>>` in one piece of text.
fn other_brackets(text: &str) -> Result<(), TemplateError> {
    if !text.contains(['{', '}', '[', ']', '<']) {
        return Ok(());
    }
    let pairs = [
        ("{{", "}}", false),
        ("[[", "]]", false),
        ("<<", ">>", false),
        ("{", "}", false),
        ("[", "]", true),
    ];
    for (open, close, needs_letter) in pairs {
        let mut from = 0;
        while let Some(found) = text[from..].find(open) {
            let start = from + found;
            let inner_start = start + open.len();
            from = inner_start;
            let Some(length) = text[inner_start..].find(close) else {
                break;
            };
            let inner = &text[inner_start..inner_start + length];
            let name_like = !inner.is_empty()
                && inner.chars().count() <= 40
                && inner
                    .chars()
                    .all(|c| c.is_alphanumeric() || " _-|.'".contains(c))
                && inner.chars().any(|c| {
                    if needs_letter {
                        c.is_alphabetic()
                    } else {
                        c.is_alphanumeric()
                    }
                });
            if name_like {
                // With any more of the same brackets around it: "{{name}".
                let (open_char, close_char) = (open.as_bytes()[0], close.as_bytes()[0]);
                let start = start - count_back(&text.as_bytes()[..start], open_char);
                let end = inner_start + length + close.len();
                let end = end + count(&text.as_bytes()[end..], close_char);
                return Err(broken_writing(
                    &text[start..end],
                    &format!("(({}))", inner.trim()),
                ));
            }
        }
    }
    for doubled in ["{{", "}}", "[[", "]]"] {
        if let Some(at) = text.find(doubled) {
            return Err(broken(&around(text, at, doubled.len())));
        }
    }
    Ok(())
}

fn broken(found: &str) -> TemplateError {
    let inner: String = found
        .chars()
        .filter(|c| !"(){}[]<>…".contains(*c))
        .collect();
    let inner = inner
        .trim()
        .trim_end_matches([',', '.', ';', ':', '!', '?']);
    broken_writing(found, &format!("(({}))", inner.trim()))
}

fn broken_writing(found: &str, write: &str) -> TemplateError {
    TemplateError::BrokenPlaceholder {
        found: found.trim().to_owned(),
        write: write.to_owned(),
    }
}

fn count_spaces(bytes: &[u8]) -> usize {
    count(bytes, b' ')
}

fn count_spaces_back(bytes: &[u8]) -> usize {
    count_back(bytes, b' ')
}

/// How many `byte`s `bytes` starts with.
fn count(bytes: &[u8], byte: u8) -> usize {
    bytes.iter().take_while(|&&b| b == byte).count()
}

/// How many `byte`s `bytes` ends with.
fn count_back(bytes: &[u8], byte: u8) -> usize {
    bytes.iter().rev().take_while(|&&b| b == byte).count()
}

/// The run of `bracket` that byte `i` is part of.
fn run_around(bytes: &[u8], i: usize, bracket: u8) -> Range<usize> {
    let start = i - bytes[..i]
        .iter()
        .rev()
        .take_while(|&&b| b == bracket)
        .count();
    let end = i + bytes[i..].iter().take_while(|&&b| b == bracket).count();
    start..end
}

/// At most this many characters of the message are quoted in an error.
const EXCERPT: usize = 40;

/// From `start` to the end of the first `)` run after it on the same line,
/// or to the end of the word.
fn excerpt_from(text: &str, start: usize) -> String {
    let rest = &text[start..];
    let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
    let content = line.trim_start_matches('(');
    let skipped = line.len() - content.len();
    let end = match content.find(')') {
        Some(close) => {
            let after = &content[close..];
            skipped + close + (after.len() - after.trim_start_matches(')').len())
        }
        None => {
            let word = content.trim_start();
            let lead = content.len() - word.len();
            skipped + lead + word.find(char::is_whitespace).unwrap_or(word.len())
        }
    };
    shorten(&line[..end])
}

/// Back from `end` to the last `(` before it on the same line, or to the
/// start of the word.
fn excerpt_to(text: &str, end: usize) -> String {
    let before = &text[..end];
    let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line = &before[line_start..];
    let content = line.trim_end_matches(')');
    let start = match content.rfind('(') {
        Some(open) => content[..open].trim_end_matches('(').len(),
        None => after_last_space(content.trim_end()),
    };
    let found = &line[start..];
    let count = found.chars().count();
    if count > EXCERPT {
        let skip = found
            .char_indices()
            .nth(count - EXCERPT)
            .map_or(0, |(i, _)| i);
        format!("…{}", &found[skip..])
    } else {
        found.to_owned()
    }
}

/// The word around `at..at + len`.
fn around(text: &str, at: usize, len: usize) -> String {
    let start = after_last_space(&text[..at]);
    let end = text[at + len..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| at + len + i);
    shorten(&text[start..end])
}

/// Where the last word of `text` starts.
fn after_last_space(text: &str) -> usize {
    text.char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

fn shorten(found: &str) -> String {
    match found.char_indices().nth(EXCERPT) {
        Some((i, _)) => format!("{}…", &found[..i]),
        None => found.to_owned(),
    }
}
