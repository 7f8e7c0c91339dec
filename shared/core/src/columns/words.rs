//! A header split into the words a person reads, for deciding what a column
//! means and whose it is. Apostrophes are dropped ("Don't" → "dont",
//! "Relative's" → "relatives"); letters and digits part ("Contact2" →
//! "contact", "2"); everything else separates.

pub(crate) struct Words {
    words: Vec<String>,
    /// All the words run together: "SMS Opt-Out" → "smsoptout".
    joined: String,
}

impl Words {
    pub(crate) fn of(text: &str) -> Self {
        let mut words: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut current_is_digit = false;
        for c in text.chars() {
            if c == '\'' || c == '\u{2019}' {
                continue;
            }
            if !c.is_alphanumeric() {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                continue;
            }
            let is_digit = c.is_ascii_digit();
            if !current.is_empty() && is_digit != current_is_digit {
                words.push(std::mem::take(&mut current));
            }
            current_is_digit = is_digit;
            current.extend(c.to_lowercase());
        }
        if !current.is_empty() {
            words.push(current);
        }
        let joined = words.concat();
        Self { words, joined }
    }

    pub(crate) fn all(&self) -> &[String] {
        &self.words
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub(crate) fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }

    pub(crate) fn has_any(&self, words: &[&str]) -> bool {
        self.words.iter().any(|w| words.contains(&w.as_str()))
    }

    /// Whether a word starts with any of `stems` ("declin" finds "declined").
    pub(crate) fn has_stem(&self, stems: &[&str]) -> bool {
        self.words
            .iter()
            .any(|w| stems.iter().any(|s| w.starts_with(s)))
    }

    /// Whether the run-together words hold any of `parts`, for phrases people
    /// write with or without spaces and hyphens ("opt-out", "optout").
    pub(crate) fn joined_has(&self, parts: &[&str]) -> bool {
        parts.iter().any(|p| self.joined.contains(p))
    }

    /// Where `phrase` starts as whole consecutive words.
    pub(crate) fn phrase_at(&self, phrase: &[&str]) -> Option<usize> {
        (0..self.words.len()).find(|&i| {
            phrase.len() <= self.words.len() - i
                && phrase.iter().zip(&self.words[i..]).all(|(p, w)| p == w)
        })
    }
}
