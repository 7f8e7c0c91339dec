//! GSM-7 stand-ins for characters that would otherwise force UCS-2.
//!
//! A text goes out in UCS-2 (70 characters a fragment instead of 160) as soon
//! as one character is outside GSM-7. Word processors and spreadsheets put
//! such characters in without anyone noticing: a curly apostrophe in
//! "O’Brien", an en dash in "9–5", a no-break space copied from a web page.
//! GOV.UK Notify replaces a short, fixed list of them before sending, and so
//! do we (the list in notifications-utils `sanitise_text.py`, `SanitiseSMS`,
//! as of its "Allow the full range of unicode characters in text messages"
//! change):
//!
//! - hyphen-like dashes (non-breaking hyphen, en dash, em dash, minus sign)
//!   become `-`;
//! - the ellipsis `…` becomes `...`;
//! - single curly and low-9 quotes become `'`, double ones `"`;
//! - tab, no-break space and narrow no-break space become a space (so do the
//!   other Unicode spaces, which Notify turns into spaces when it normalises
//!   whitespace);
//! - invisible characters (zero-width space and non-joiner, word joiner,
//!   byte-order mark, Mongolian vowel separator, line and paragraph
//!   separators) are removed.
//!
//! Everything else is kept as it is, letters included: Notify no longer
//! strips accents ("Zoë" stays "Zoë" and is sent in UCS-2) because that
//! changes what the text says. The zero-width joiner is kept too, since it
//! holds emoji sequences together.

/// A text after [`downgrade_to_gsm7`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Downgraded {
    pub text: String,
    /// Each character that was replaced and what it became (`""` when it was
    /// removed), once, in order of first appearance.
    pub replaced: Vec<(char, &'static str)>,
}

/// The GSM-7 text that stands in for `c`, if it has one and is not GSM-7
/// itself. Every stand-in is GSM-7 and has no stand-in of its own.
pub fn gsm7_equivalent(c: char) -> Option<&'static str> {
    if c.is_ascii() {
        return (c == '\t').then_some(" ");
    }
    Some(match c {
        '\u{2011}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '\u{2026}' => "...",
        '\u{2018}' | '\u{2019}' | '\u{201A}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' => "\"",
        '\u{A0}' | '\u{202F}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{205F}' | '\u{3000}' => {
            " "
        }
        '\u{180E}' | '\u{200B}' | '\u{200C}' | '\u{2060}' | '\u{FEFF}' | '\u{2028}'
        | '\u{2029}' => "",
        _ => return None,
    })
}

/// Replaces every character of `text` that has a GSM-7 stand-in. Characters
/// without one stay, and make the text UCS-2.
pub fn downgrade_to_gsm7(text: &str) -> Downgraded {
    let Some(first) = text.find(|c| gsm7_equivalent(c).is_some()) else {
        return Downgraded {
            text: text.to_owned(),
            replaced: Vec::new(),
        };
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first]);
    let mut replaced = Vec::new();
    for c in text[first..].chars() {
        match gsm7_equivalent(c) {
            Some(to) => {
                note(&mut replaced, c, to);
                out.push_str(to);
            }
            None => out.push(c),
        }
    }
    Downgraded {
        text: out,
        replaced,
    }
}

/// Adds `from → to` to a list of replacements unless `from` is there already.
pub(crate) fn note(replaced: &mut Vec<(char, &'static str)>, from: char, to: &'static str) {
    if !replaced.iter().any(|&(c, _)| c == from) {
        replaced.push((from, to));
    }
}
