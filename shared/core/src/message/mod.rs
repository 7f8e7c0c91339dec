//! Message templates with `((placeholders))`.
//!
//! `((name))` is filled from the matching column; a row with an empty value is
//! not accepted. `((name|there))` gives a fallback used when the value is
//! empty, so "Dear ((name|patient))" reads "Dear patient" for a row without a
//! name. `((name|))` allows the value to be empty. Placeholder names are
//! matched like column headers: case, spaces, `_` and `-` do not matter.
//!
//! The text is tidied as GOV.UK Notify tidies a text message (see
//! [`normalise`]): the template's own text when it is parsed, and the filled
//! text again when it is rendered or measured, since a value can bring its own
//! spaces. Characters with a GSM-7 stand-in (curly quotes, dashes, ...) are
//! then sent as the stand-in (see [`crate::sms::downgrade_to_gsm7`]), in the
//! template's text and in every value, so [`Template::render`] and
//! [`Template::measure`] give what is actually sent, and
//! [`Template::preview`] says which characters were replaced.

mod normalise;
mod placeholder_typos;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod typo_tests;
mod value;
#[cfg(test)]
mod value_tests;

pub use normalise::normalise;
use normalise::{Collect, Normaliser, Sink};
pub use value::{clean_value, has_direction_control, is_blank, is_direction_control};

use crate::sms::{LengthCounter, TextLength, gsm7_equivalent, note};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Template text, normalised; characters with a GSM-7 stand-in are kept
    /// as typed and replaced when the text is rendered.
    Text(String),
    Placeholder(Placeholder),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// As written between the brackets, before any `|`.
    pub name: String,
    /// As written after the `|`; normalised with the text it is used in.
    pub fallback: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("The message is empty")]
    Empty,
    #[error("The message has an empty placeholder (()): put a column name between the brackets")]
    EmptyPlaceholder,
    /// Text that looks like a placeholder typed wrongly; `write` is what was
    /// probably meant.
    #[error(
        "The message has \"{found}\", which looks like a placeholder typed wrongly: \
         a placeholder needs two round brackets each side and none inside, like {write}. \
         Correct it; if it is meant as text, write it without those brackets"
    )]
    BrokenPlaceholder { found: String, write: String },
    /// A control character or a direction override in the message itself.
    #[error(
        "The message has a hidden character (U+{code:04X}, {what}) that cannot be sent in a text: \
         type the message again without it"
    )]
    HiddenCharacter { code: u32, what: &'static str },
}

/// Characters replaced in a text and what each became (`""`: removed), once
/// each, in order of first appearance.
pub type Replaced = Vec<(char, &'static str)>;

/// A personalised text as it will be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub text: String,
    pub length: TextLength,
    /// Characters sent as a GSM-7 stand-in, or removed, so a preview can say
    /// "’ was sent as '". Whitespace tidied away is not listed, except
    /// tabs, no-break and other unusual spaces that were sent as a plain space.
    pub downgraded: Replaced,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    /// One per part; what is known of a text part before any value is seen.
    texts: Vec<TextPart>,
    in_template: Replaced,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct TextPart {
    /// What normalising and downgrading replaced in this part.
    replaced: Replaced,
    /// The part as sent (downgraded).
    length: LengthCounter,
}

impl Template {
    /// Reads a message. A placeholder typed wrongly (`((name)`, `{{name}}`,
    /// ...) or a hidden control character is an error, not text sent to
    /// every patient (see [`placeholder_typos`]).
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let spans = placeholder_typos::split(text);
        placeholder_typos::check(text, &spans)?;
        let mut builder = Builder::default();
        for span in spans {
            let piece = &text[span.range];
            if !span.placeholder {
                builder.text(piece);
                continue;
            }
            let inside = &piece[2..piece.len() - 2];
            let (name, fallback) = match inside.split_once('|') {
                Some((name, fallback)) => (name, Some(fallback.to_owned())),
                None => (inside, None),
            };
            if name.trim().is_empty() {
                return Err(TemplateError::EmptyPlaceholder);
            }
            builder.placeholder(Placeholder {
                name: name.trim().to_owned(),
                fallback,
            });
        }
        builder.finish()
    }

    /// The template written out again, normalised: what a batch records as
    /// its message.
    pub fn source(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Placeholder(p) => {
                    out.push_str("((");
                    out.push_str(&p.name);
                    if let Some(fallback) = &p.fallback {
                        out.push('|');
                        out.push_str(fallback);
                    }
                    out.push_str("))");
                }
            }
        }
        out
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(p) => Some(p),
            Part::Text(_) => None,
        })
    }

    /// What was replaced in the template's own text and fallbacks: characters
    /// sent as a GSM-7 stand-in, invisible characters removed, unusual spaces
    /// turned into plain ones.
    pub fn downgraded_in_template(&self) -> &[(char, &'static str)] {
        &self.in_template
    }

    /// The text as sent, with `values` filling the placeholders in order (one
    /// per placeholder). Returns the index of the first placeholder that is
    /// empty with no fallback.
    pub fn render(&self, values: &[&str]) -> Result<String, usize> {
        let mut out = Rendered::default();
        self.stream(|i| values.get(i).copied().unwrap_or(""), &mut out)?;
        Ok(out.text)
    }

    /// The text as sent, its length, and what was replaced in it;
    /// `value_of(i)` is the value of the i-th placeholder. Returns the index
    /// of every placeholder that is empty with no fallback.
    pub fn preview<V: AsRef<str>>(
        &self,
        value_of: impl Fn(usize) -> V,
    ) -> Result<Preview, Vec<usize>> {
        let mut out = Rendered::default();
        if self.stream(&value_of, &mut out).is_err() {
            return Err(self.missing(&value_of).collect());
        }
        Ok(Preview {
            length: TextLength::of(&out.text),
            text: out.text,
            downgraded: out.replaced,
        })
    }

    /// The length the rendered text would have, without building it;
    /// `value_of(i)` is the value of the i-th placeholder.
    pub fn measure<V: AsRef<str>>(
        &self,
        value_of: impl Fn(usize) -> V,
    ) -> Result<TextLength, usize> {
        // Plain values (see `count_plain`) leave the template's text as it
        // is: add what each part was measured at when parsed. Anything else
        // goes through the normaliser with the text around it.
        let mut counter = LengthCounter::new();
        let mut index = 0;
        for (part, text) in self.parts.iter().zip(&self.texts) {
            match part {
                Part::Text(_) => counter.append(&text.length),
                Part::Placeholder(p) => {
                    let value = value_of(index);
                    let value = clean_value(value.as_ref());
                    let piece = match value.as_ref() {
                        "" => p.fallback.as_deref().ok_or(index)?,
                        value => value,
                    };
                    if !count_plain(piece, &mut counter) {
                        let mut counter = LengthCounter::new();
                        self.stream(&value_of, &mut counter)?;
                        return Ok(counter.finish());
                    }
                    index += 1;
                }
            }
        }
        Ok(counter.finish())
    }

    /// Normalises and downgrades the filled text into `sink`.
    fn stream<V: AsRef<str>, S: Sink>(
        &self,
        value_of: impl Fn(usize) -> V,
        sink: &mut S,
    ) -> Result<(), usize> {
        let mut normaliser = Normaliser::default();
        let mut index = 0;
        for (part, text) in self.parts.iter().zip(&self.texts) {
            match part {
                Part::Text(t) => {
                    // Its replacements, including what parsing tidied away.
                    for &(from, to) in &text.replaced {
                        sink.note(from, to);
                    }
                    sink.set_quiet(true);
                    normaliser.push_str(t, sink);
                    sink.set_quiet(false);
                }
                Part::Placeholder(p) => {
                    let value = value_of(index);
                    let value = value::clean_value_noting(value.as_ref(), &mut |c, to| {
                        sink.note(c, to);
                    });
                    match value.as_ref() {
                        "" => normaliser.push_str(p.fallback.as_deref().ok_or(index)?, sink),
                        value => normaliser.push_str(value, sink),
                    }
                    index += 1;
                }
            }
        }
        Ok(())
    }

    /// Indices of the placeholders that are empty and have no fallback.
    fn missing<'a, V: AsRef<str>>(
        &'a self,
        value_of: &'a impl Fn(usize) -> V,
    ) -> impl Iterator<Item = usize> + 'a {
        self.placeholders()
            .enumerate()
            .filter(|(i, p)| p.fallback.is_none() && is_blank(value_of(*i).as_ref()))
            .map(|(i, _)| i)
    }
}

/// Counts `piece` into `counter` if it is plain: no whitespace but single
/// spaces, none of them before a `,` or `.`, and not starting with a `,` or
/// `.`. Normalising leaves such a value alone, and it leaves the template text
/// around it alone. Otherwise returns false and leaves `counter` as it was.
fn count_plain(piece: &str, counter: &mut LengthCounter) -> bool {
    let mut count = *counter;
    // As if after a space: no space, `,` or `.` first, and not empty.
    let mut after_space = true;
    for c in piece.chars() {
        let plain = match c {
            ' ' | ',' | '.' => !after_space,
            '!'..='~' => true,
            c => !c.is_ascii() && normalise::is_content(c),
        };
        if !plain {
            return false;
        }
        after_space = c == ' ';
        match gsm7_equivalent(c) {
            Some(to) => count.push_str(to),
            None => count.push_char(c),
        }
    }
    if after_space {
        return false;
    }
    *counter = count;
    true
}

/// Builds the parts of a template: its text normalised around the
/// placeholders, which count as words.
#[derive(Default)]
struct Builder {
    normaliser: Normaliser,
    current: Collect,
    parts: Vec<Part>,
    texts: Vec<TextPart>,
    in_template: Replaced,
}

impl Builder {
    fn text(&mut self, text: &str) {
        self.normaliser.push_str(text, &mut self.current);
    }

    fn placeholder(&mut self, placeholder: Placeholder) {
        self.normaliser.push_opaque(&mut self.current);
        self.end_text();
        if let Some(fallback) = &placeholder.fallback {
            let mut replaced = Collect::default();
            Normaliser::default().push_str(fallback, &mut replaced);
            self.noted(&replaced.replaced);
        }
        self.parts.push(Part::Placeholder(placeholder));
        self.texts.push(TextPart {
            replaced: Vec::new(),
            length: LengthCounter::new(),
        });
    }

    fn end_text(&mut self) {
        let Collect { text, replaced } = std::mem::take(&mut self.current);
        self.noted(&replaced);
        if text.is_empty() {
            return;
        }
        let mut length = LengthCounter::new();
        for c in text.chars() {
            match gsm7_equivalent(c) {
                Some(to) => length.push_str(to),
                None => length.push_char(c),
            }
        }
        self.parts.push(Part::Text(text));
        self.texts.push(TextPart { replaced, length });
    }

    fn noted(&mut self, replaced: &[(char, &'static str)]) {
        for &(from, to) in replaced {
            note(&mut self.in_template, from, to);
        }
    }

    fn finish(mut self) -> Result<Template, TemplateError> {
        self.end_text();
        if self.parts.is_empty() {
            return Err(TemplateError::Empty);
        }
        Ok(Template {
            parts: self.parts,
            texts: self.texts,
            in_template: self.in_template,
        })
    }
}

/// The text as sent and what was replaced in it.
#[derive(Default)]
struct Rendered {
    text: String,
    replaced: Replaced,
    quiet: bool,
}

impl Sink for Rendered {
    fn push(&mut self, c: char) {
        self.text.push(c);
    }

    fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn note(&mut self, from: char, to: &'static str) {
        if !self.quiet {
            note(&mut self.replaced, from, to);
        }
    }

    fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
    }
}

impl Sink for LengthCounter {
    fn push(&mut self, c: char) {
        self.push_char(c);
    }

    fn push_str(&mut self, s: &str) {
        LengthCounter::push_str(self, s);
    }

    fn note(&mut self, _: char, _: &'static str) {}
}
