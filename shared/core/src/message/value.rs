//! A cell's value as a person reads it, before it goes into a text.
//!
//! A cell can hold characters nobody sees: zero-width spaces, byte-order
//! marks and soft hyphens pasted from web pages, a Hangul filler or braille
//! blank typed to make a cell look empty, control characters from old
//! exports, line breaks typed with Alt+Enter. What goes into a text is what a
//! person reading the cell would read:
//!
//! - Unicode's default-ignorable code points (`Default_Ignorable_Code_Point`
//!   in DerivedCoreProperties.txt: zero-width spaces and joiners, word joiner,
//!   BOM, soft hyphen, direction marks, Hangul fillers, variation selectors,
//!   ...) are removed, except a zero-width joiner between two non-ASCII
//!   characters and a variation selector or tag after one, which shape what
//!   is shown (emoji, Indic scripts);
//! - control characters (C0, DEL, C1) are removed: a spreadsheet shows
//!   nothing for them, and they must not reach a terminal or a phone;
//! - a line break (CR, LF, CRLF, VT, FF, NEL, U+2028, U+2029), a tab, the
//!   other C0 separators and a braille blank become one space, so a value
//!   cannot start a line of its own in the text;
//! - what is left loses its leading and trailing whitespace.
//!
//! A value left empty is empty: the fallback applies, or the row is not
//! accepted. Cleaning twice gives what cleaning once gives, so a value
//! written to `accepted.csv` already cleaned is sent as it was previewed.
//!
//! Direction overrides, embeddings and isolates (U+202A–U+202E,
//! U+2066–U+2069) are removed too, but a row whose text would hold one is not
//! accepted ([`has_direction_control`]): they reorder the letters shown, so the
//! cell as a person saw it and the cell without them can read differently
//! (times, amounts and names swapped round), and nobody can tell which the
//! patient should get.

use std::borrow::Cow;

/// `value` as a person reads it (see the module doc).
pub fn clean_value(value: &str) -> Cow<'_, str> {
    clean_value_noting(value, &mut |_, _| {})
}

/// Whether `value` is empty once cleaned.
pub fn is_blank(value: &str) -> bool {
    clean_value(value).is_empty()
}

/// Whether `value` holds a direction override, embedding or isolate.
pub fn has_direction_control(value: &str) -> bool {
    !value.is_ascii() && value.chars().any(is_direction_control)
}

/// U+202A–U+202E and U+2066–U+2069: they change the order the characters
/// around them are shown in.
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// As [`clean_value`], telling `note` of each character removed (`""`).
pub(crate) fn clean_value_noting<'a>(
    value: &'a str,
    note: &mut impl FnMut(char, &'static str),
) -> Cow<'a, str> {
    // Nearly every value is plain printable ASCII.
    if value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Cow::Borrowed(value.trim_matches(' '));
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    // The last character kept can be shaped by a joiner or selector.
    let mut after_non_ascii = false;
    while let Some(c) = chars.next() {
        match kind(c) {
            Kind::Keep => {
                out.push(c);
                after_non_ascii = is_shaped(c);
            }
            Kind::Space => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(' ');
                after_non_ascii = false;
            }
            Kind::Remove => {
                note(c, "");
            }
            Kind::Shaping => {
                let joins = c != '\u{200d}'
                    || chars
                        .peek()
                        .is_some_and(|&next| kind(next) == Kind::Keep && is_shaped(next));
                if after_non_ascii && joins {
                    out.push(c);
                } else {
                    note(c, "");
                }
            }
        }
    }
    let trimmed = out.trim();
    if trimmed.len() != out.len() {
        out = trimmed.to_owned();
    }
    // Accents with nothing to sit on show as nothing (or a dotted circle).
    if out.chars().all(is_combining_mark) {
        out.clear();
    }
    Cow::Owned(out)
}

/// The combining diacritical mark blocks: marks drawn on the character
/// before them.
fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{300}'..='\u{36f}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{20d0}'..='\u{20ff}'
            | '\u{fe20}'..='\u{fe2f}'
    )
}

/// A character a joiner or variation selector can shape: not ASCII, not a
/// space.
fn is_shaped(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Keep,
    /// Whitespace that ends up as one plain space.
    Space,
    Remove,
    /// Default-ignorable, but it shapes the non-ASCII character before it.
    Shaping,
}

fn kind(c: char) -> Kind {
    match c {
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f' => Kind::Space,
        '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{2800}' => Kind::Space,
        c if c.is_control() => Kind::Remove,
        '\u{200d}' | '\u{fe00}'..='\u{fe0f}' | '\u{e0020}'..='\u{e007f}' => Kind::Shaping,
        '\u{e0100}'..='\u{e01ef}' => Kind::Shaping,
        c if is_default_ignorable(c) => Kind::Remove,
        // Interlinear annotation marks and the null notehead: format
        // characters nothing shows.
        '\u{fff9}'..='\u{fffb}' | '\u{1d159}' => Kind::Remove,
        _ => Kind::Keep,
    }
}

/// Unicode's `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt,
/// Unicode 15.1), reserved code points in its ranges included.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}
