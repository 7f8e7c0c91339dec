//! Whitespace in a text message, tidied as GOV.UK Notify tidies it before
//! sending (notifications-utils `template.py`, `BaseSMSTemplate`, and the
//! helpers it calls in `formatters.py`):
//!
//! - spaces and tabs just before a `,` or `.` are removed ("dog   ." → "dog.");
//! - each line loses its leading and trailing whitespace, and every run of
//!   whitespace inside a line becomes one space (no-break spaces and the other
//!   Unicode spaces included);
//! - zero-width spaces and the other invisible characters are removed, except
//!   the zero-width joiner that holds emoji sequences together;
//! - any line break (`\r\n`, a lone `\r`, the Unicode line and paragraph
//!   separators, ...) becomes `\n`, and more than one blank line in a row
//!   becomes one;
//! - the text as a whole loses its leading and trailing whitespace.
//!
//! Notify applies these to the text after the placeholders are filled, so a
//! value or an empty placeholder can create a run of spaces or a space before
//! a full stop. [`Normaliser`] works as a stream over the pieces (template
//! text, values, fallbacks), so a text can be measured without being built.
//!
//! One departure: Notify removes spaces before punctuation before it turns
//! no-break spaces into spaces and drops invisible characters, so a second
//! pass over its own output can still change "a\u{a0}." into "a.". We apply
//! the rule to any run of whitespace, which gives the text a second pass would
//! give and makes normalising twice the same as normalising once.

use crate::sms::gsm7_equivalent;

/// Where the normalised characters go.
pub(crate) trait Sink {
    /// Whether characters with a GSM-7 stand-in are written as the stand-in
    /// (as sent) or as typed (a template's own text).
    const DOWNGRADE: bool = true;

    fn push(&mut self, c: char);

    fn push_str(&mut self, s: &str);

    /// `from` was replaced by `to` (`""`: removed).
    fn note(&mut self, from: char, to: &'static str);

    /// While quiet, replacements are not noted (they were noted already).
    fn set_quiet(&mut self, _quiet: bool) {}
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Content,
    /// Whitespace within a line.
    Space,
    LineBreak,
    /// Zero-width characters that are removed.
    Invisible,
}

/// Whitespace as Python's `str.split()` and `str.splitlines()` see it, which
/// is what Notify's rules are written with.
fn class(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            ' ' | '\t' | '\x1f' => Class::Space,
            '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1e' => Class::LineBreak,
            _ => Class::Content,
        };
    }
    match c {
        '\u{85}' | '\u{2028}' | '\u{2029}' => Class::LineBreak,
        '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => {
            Class::Space
        }
        '\u{180e}' | '\u{200b}' | '\u{200c}' | '\u{2060}' | '\u{feff}' => Class::Invisible,
        _ => Class::Content,
    }
}

/// Whether `c` is kept as it is (not whitespace, not removed).
pub(crate) fn is_content(c: char) -> bool {
    class(c) == Class::Content
}

/// The state of the stream between two characters.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Normaliser {
    /// Something has been written (leading whitespace is dropped until then).
    started: bool,
    /// The current line has something on it.
    line_has_content: bool,
    /// Line breaks seen since the last content, at most 2 (one blank line).
    line_breaks: u8,
    /// A run of whitespace since the last content on this line: the first
    /// character of it that is not a plain space, or a plain space.
    space: Option<char>,
    /// The last character was `\r`, so a `\n` now is the same line break.
    after_cr: bool,
}

impl Normaliser {
    pub(crate) fn push_str<S: Sink>(&mut self, s: &str, sink: &mut S) {
        for c in s.chars() {
            self.push(c, sink);
        }
    }

    pub(crate) fn push<S: Sink>(&mut self, c: char, sink: &mut S) {
        if std::mem::take(&mut self.after_cr) && c == '\n' {
            return;
        }
        match class(c) {
            Class::Content => {
                self.before_content(c == ',' || c == '.', sink);
                write_content(c, sink);
            }
            Class::Space => {
                if self.line_has_content && self.space.is_none_or(|s| s == ' ') {
                    self.space = Some(c);
                }
            }
            Class::LineBreak => {
                self.after_cr = c == '\r';
                self.space = None;
                self.line_has_content = false;
                if self.started {
                    self.line_breaks = (self.line_breaks + 1).min(2);
                }
            }
            Class::Invisible => sink.note(c, ""),
        }
    }

    /// Something that is content but not a `,` or `.`, written by the caller
    /// once this returns: a placeholder in a template's own text.
    pub(crate) fn push_opaque<S: Sink>(&mut self, sink: &mut S) {
        self.after_cr = false;
        self.before_content(false, sink);
    }

    /// Writes the whitespace that content now keeps: the line breaks before
    /// it, or one space (none before a `,` or `.`).
    fn before_content<S: Sink>(&mut self, punctuation: bool, sink: &mut S) {
        if self.line_breaks > 0 {
            for _ in 0..self.line_breaks {
                sink.push('\n');
            }
            self.line_breaks = 0;
        } else if let Some(space) = self.space
            && !punctuation
        {
            if space != ' ' {
                sink.note(space, " ");
            }
            sink.push(' ');
        }
        self.space = None;
        self.started = true;
        self.line_has_content = true;
    }
}

fn write_content<S: Sink>(c: char, sink: &mut S) {
    if !c.is_ascii()
        && let Some(to) = gsm7_equivalent(c)
    {
        sink.note(c, to);
        if S::DOWNGRADE {
            sink.push_str(to);
            return;
        }
    }
    sink.push(c);
}

/// Collects a normalised text (not downgraded) and its replacements.
#[derive(Default)]
pub(crate) struct Collect {
    pub(crate) text: String,
    pub(crate) replaced: Vec<(char, &'static str)>,
}

impl Sink for Collect {
    const DOWNGRADE: bool = false;

    fn push(&mut self, c: char) {
        self.text.push(c);
    }

    fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn note(&mut self, from: char, to: &'static str) {
        crate::sms::note(&mut self.replaced, from, to);
    }
}

/// `text` with Notify's whitespace rules applied; characters with a GSM-7
/// stand-in are left as they are.
pub fn normalise(text: &str) -> String {
    let mut out = Collect::default();
    Normaliser::default().push_str(text, &mut out);
    out.text
}
