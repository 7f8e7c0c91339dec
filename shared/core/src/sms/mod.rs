//! Text length as an SMS provider counts it: GSM-7 (160 characters, 153 a
//! fragment once split; the extension characters `^{}\[~]|€` take two) or,
//! if any character is outside GSM-7, UCS-2 for the whole text (70, 67 a
//! fragment, counted in UTF-16 units).
//!
//! [`downgrade_to_gsm7`] replaces the characters that have a GSM-7 stand-in
//! (curly quotes, dashes, unusual spaces, ...) so that one of them does not
//! switch a whole text to UCS-2.

mod downgrade;

pub(crate) use downgrade::note;
pub use downgrade::{Downgraded, downgrade_to_gsm7, gsm7_equivalent};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

/// The longest text we send, as GOV.UK Notify allows: 6 fragments in GSM-7
/// (14 in UCS-2).
pub const MAX_CHARACTERS: usize = 918;

/// GSM 03.38 basic character set (the escape code itself excluded).
pub(crate) const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// Extension table: each costs two septets (escape + code).
pub(crate) const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// Septets a character costs in GSM-7, or `None` if it has no GSM-7 code.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if c.is_ascii() {
        // Every printable ASCII character except ` is in one of the two tables.
        return match c {
            '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '\u{c}' => Some(2),
            ' '..='_' | 'a'..='z' | '\n' | '\r' => Some(1),
            _ => None,
        };
    }
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Running count over the pieces of a text, so a personalised message can be
/// measured without building it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthCounter {
    septets: usize,
    utf16_units: usize,
    all_gsm7: bool,
}

impl Default for LengthCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl LengthCounter {
    pub fn new() -> Self {
        Self {
            septets: 0,
            utf16_units: 0,
            all_gsm7: true,
        }
    }

    pub fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push_char(c);
        }
    }

    pub fn push_char(&mut self, c: char) {
        self.utf16_units += c.len_utf16();
        match gsm7_septets(c) {
            Some(n) => self.septets += n,
            None => self.all_gsm7 = false,
        }
    }

    /// Adds what `other` counted, as if its text had been pushed here.
    pub fn append(&mut self, other: &LengthCounter) {
        self.septets += other.septets;
        self.utf16_units += other.utf16_units;
        self.all_gsm7 &= other.all_gsm7;
    }

    pub fn finish(self) -> TextLength {
        let (encoding, characters) = if self.all_gsm7 {
            (Encoding::Gsm7, self.septets)
        } else {
            (Encoding::Ucs2, self.utf16_units)
        };
        TextLength {
            encoding,
            characters,
            fragments: fragments(encoding, characters),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TextLength {
    pub encoding: Encoding,
    /// Characters as the provider counts them: septets for GSM-7, UTF-16 units for UCS-2.
    pub characters: usize,
    pub fragments: usize,
}

impl TextLength {
    pub fn of(text: &str) -> Self {
        let mut counter = LengthCounter::new();
        counter.push_str(text);
        counter.finish()
    }

    pub fn is_too_long(&self) -> bool {
        self.characters > MAX_CHARACTERS
    }
}

fn fragments(encoding: Encoding, characters: usize) -> usize {
    let (single, part) = match encoding {
        Encoding::Gsm7 => (160, 153),
        Encoding::Ucs2 => (70, 67),
    };
    match characters {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(part),
    }
}

#[cfg(test)]
mod tests;
