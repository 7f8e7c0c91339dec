//! Text from a list or a message, made safe to print on a terminal.
//!
//! A cell, a header or a message can carry control characters (an ESC
//! sequence can clear the screen, recolour or rewrite what was printed) and
//! direction overrides (which reverse the letters after them). Printing them
//! raw could make the preview or the plan show something other than what is
//! sent, so each is printed as a visible escape, `\u{1b}`.

use std::borrow::Cow;

#[cfg(test)]
mod tests;

/// `text` with every control character (line breaks and tabs included) and
/// every invisible direction character written as `\u{..}`.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) || !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Each line of `text`, printable; `\r\n` ends a line as `\n` does.
pub fn printable_lines(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    text.lines().map(printable)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}
