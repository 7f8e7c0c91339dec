//! Message templates with `((placeholders))`.
//!
//! `((name))` is filled from the matching column; a row with an empty value is
//! not accepted. `((name|there))` gives a fallback used when the value is
//! empty, so "Dear ((name|patient))" reads "Dear patient" for a row without a
//! name. `((name|))` allows the value to be empty. Placeholder names are
//! matched like column headers: case, spaces, `_` and `-` do not matter.

use crate::sms::{LengthCounter, TextLength};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Placeholder(Placeholder),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// As written between the brackets, before any `|`.
    pub name: String,
    pub fallback: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("The message is empty")]
    Empty,
    #[error("The message has an empty placeholder (()): put a column name between the brackets")]
    EmptyPlaceholder,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        if text.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        // A line break is one character in a text, however the file wrote it.
        let text = text.replace("\r\n", "\n");
        let mut parts = Vec::new();
        let mut rest = text.as_str();
        while let Some(open) = rest.find("((") {
            let after_open = &rest[open + 2..];
            let Some(close) = after_open.find("))") else {
                break;
            };
            let inside = &after_open[..close];
            // "(((name)))" reads as "(" + ((name)) + ")".
            if inside.contains("((") || inside.starts_with('(') {
                let literal_end = open + 1;
                push_text(&mut parts, &rest[..literal_end]);
                rest = &rest[literal_end..];
                continue;
            }
            push_text(&mut parts, &rest[..open]);
            let (name, fallback) = match inside.split_once('|') {
                Some((name, fallback)) => (name, Some(fallback.to_owned())),
                None => (inside, None),
            };
            if name.trim().is_empty() {
                return Err(TemplateError::EmptyPlaceholder);
            }
            parts.push(Part::Placeholder(Placeholder {
                name: name.trim().to_owned(),
                fallback,
            }));
            rest = &after_open[close + 2..];
        }
        push_text(&mut parts, rest);
        Ok(Self { parts })
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

    /// Fills the placeholders in order with `values` (one per placeholder).
    /// Returns the index of the first placeholder that is empty with no fallback.
    pub fn render(&self, values: &[&str]) -> Result<String, usize> {
        let mut out = String::new();
        self.for_each_piece(
            |i| values.get(i).copied().unwrap_or(""),
            |piece| out.push_str(piece),
        )?;
        Ok(out)
    }

    /// The length the rendered text would have, without building it;
    /// `value_of(i)` is the value of the i-th placeholder.
    pub fn measure<V: AsRef<str>>(
        &self,
        value_of: impl Fn(usize) -> V,
    ) -> Result<TextLength, usize> {
        let mut counter = LengthCounter::new();
        self.for_each_piece(value_of, |piece| counter.push_str(piece))?;
        Ok(counter.finish())
    }

    fn for_each_piece<V: AsRef<str>>(
        &self,
        value_of: impl Fn(usize) -> V,
        mut visit: impl FnMut(&str),
    ) -> Result<(), usize> {
        for (index, part) in self.placeholders_with_index() {
            match part {
                Part::Text(text) => visit(text),
                Part::Placeholder(p) => {
                    let value = value_of(index);
                    let value = value.as_ref().trim();
                    if !value.is_empty() {
                        visit(value);
                    } else if let Some(fallback) = &p.fallback {
                        visit(fallback);
                    } else {
                        return Err(index);
                    }
                }
            }
        }
        Ok(())
    }

    fn placeholders_with_index(&self) -> impl Iterator<Item = (usize, &Part)> {
        let mut index = 0;
        self.parts.iter().map(move |part| {
            let this = index;
            if matches!(part, Part::Placeholder(_)) {
                index += 1;
            }
            (this, part)
        })
    }
}

fn push_text(parts: &mut Vec<Part>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Part::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(Part::Text(text.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::Encoding;

    #[test]
    fn finds_placeholders_and_fallbacks() {
        let t = Template::parse("Dear ((name|patient)), your ((Clinic Name)) appointment.")
            .expect("parses");
        let names: Vec<_> = t
            .placeholders()
            .map(|p| (p.name.as_str(), p.fallback.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![("name", Some("patient")), ("Clinic Name", None)]
        );
    }

    #[test]
    fn renders_values_and_fallbacks() {
        let t = Template::parse("Dear ((name|patient)), see you at ((clinic)).").expect("parses");
        assert_eq!(
            t.render(&["Joe", "Leeds"]),
            Ok("Dear Joe, see you at Leeds.".to_owned())
        );
        assert_eq!(
            t.render(&["  ", "Leeds"]),
            Ok("Dear patient, see you at Leeds.".to_owned())
        );
        assert_eq!(t.render(&["Joe", ""]), Err(1));
    }

    #[test]
    fn a_windows_line_break_is_one_character() {
        let t = Template::parse("Hello\r\nthere").expect("parses");
        assert_eq!(t.render(&[]), Ok("Hello\nthere".to_owned()));
    }

    #[test]
    fn an_empty_fallback_allows_an_empty_value() {
        let t = Template::parse("Hello((name|)).").expect("parses");
        assert_eq!(t.render(&[""]), Ok("Hello.".to_owned()));
    }

    #[test]
    fn unclosed_and_extra_brackets_stay_text() {
        let t = Template::parse("Call (0113) ((name)) ((oops").expect("parses");
        assert_eq!(t.placeholders().count(), 1);
        assert_eq!(t.render(&["Ann"]), Ok("Call (0113) Ann ((oops".to_owned()));
        let t = Template::parse("(((name)))").expect("parses");
        assert_eq!(t.render(&["Ann"]), Ok("(Ann)".to_owned()));
    }

    #[test]
    fn rejects_empty_messages_and_placeholders() {
        assert_eq!(Template::parse("  "), Err(TemplateError::Empty));
        assert_eq!(
            Template::parse("Hi (())"),
            Err(TemplateError::EmptyPlaceholder)
        );
        assert_eq!(
            Template::parse("Hi ((|x))"),
            Err(TemplateError::EmptyPlaceholder)
        );
    }

    #[test]
    fn measuring_matches_rendering() {
        let t = Template::parse("Dear ((name)), ((x|€))").expect("parses");
        for values in [["Joe", ""], ["Łukasz", "a"], ["Zoë", "{}"]] {
            let rendered = t.render(&values).expect("renders");
            assert_eq!(t.measure(|i| values[i]), Ok(TextLength::of(&rendered)));
        }
        assert_eq!(
            t.measure(|i| ["Joe", ""][i]).map(|l| l.encoding),
            Ok(Encoding::Gsm7)
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_text_without_placeholders_renders_as_is(text in "\\PC{1,80}") {
            if let Ok(t) = Template::parse(&text)
                && t.placeholders().count() == 0
            {
                proptest::prop_assert_eq!(t.render(&[]), Ok(text));
            }
        }
    }
}
