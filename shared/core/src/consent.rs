//! SMS consent as clinical systems record it. A patient who declined must not
//! be texted, so anything we cannot read as yes or no is not accepted either:
//! a question mark, a cross (✗ or ×: in a tick-box column a cross may mean
//! ticked as well as no), a yes with a condition ("Yes, but not by text").
//!
//! A column may read either way round (see [`crate::columns::consent_header`]):
//! in "SMS Consent" yes means the patient may be texted, in "SMS Opt Out" it
//! means do not text. A clearly negative column is read the right way round
//! rather than refused: its yes (or a tick, or "Declined") is a decline, its
//! no is not, and anything unclear is not accepted, exactly as in a consent
//! column. Refusing such columns made practices rename them by hand, which is
//! where a list gets turned the wrong way round.

mod free_text;

pub use free_text::says_do_not_text;

/// Ordered by how strongly a value stops a text: of several consent columns,
/// the greatest decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Consent {
    /// Blank, a value that says yes, or one that says it was not recorded.
    NotDeclined,
    Unrecognised,
    Declined,
}

/// Which way round a consent column reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YesMeans {
    /// "SMS Consent", "Text Opt-In": yes means the patient may be texted.
    MayText,
    /// "SMS Opt Out", "Decline SMS": yes means do not text.
    DoNotText,
}

/// What a cell says, before the column's direction is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// Yes to whatever the column asks: "Yes", "Y", "✓", "Given".
    Yes,
    /// No to whatever the column asks: "No", "N", "False".
    No,
    /// Says in itself that the patient declined: "Declined", "Opted out".
    Declined,
    /// Says in itself that the patient consented: "Consented", "Opted in".
    Consented,
    /// Blank, or says nothing was recorded: no decline on record.
    NotRecorded,
    Unclear,
}

/// Said in itself, the value is a decline whichever way the column reads.
const DECLINED_WORDS: [&str; 20] = [
    "declin",
    "dissent",
    "refuse",
    "refusal",
    "withdrawn",
    "withdrew",
    "withdraw",
    "optedout",
    "optout",
    "donottext",
    "donotsms",
    "dontsms",
    "donttext",
    "nosms",
    "notext",
    "objects",
    "objected",
    "objection",
    "unsubscribed",
    "noconsent",
];
const YES_EXACT: [&str; 8] = [
    "yes", "y", "true", "1", "given", "agreed", "accepted", "granted",
];
const NO_EXACT: [&str; 6] = ["no", "n", "false", "0", "notgiven", "notagreed"];
const CONSENTED_EXACT: [&str; 7] = [
    "consented",
    "consent",
    "consents",
    "consentgiven",
    "optedin",
    "optin",
    "smsconsentgiven",
];
/// Consent not recorded: there is no decline on record.
const NOT_RECORDED_EXACT: [&str; 5] = ["unknown", "notknown", "notrecorded", "notasked", "na"];
/// Ticks a spreadsheet shows for yes. A cross (✗, ×) is not here: in a
/// tick-box column a cross may mean ticked as well as no.
const TICKS: [char; 4] = ['✓', '✔', '☑', '✅'];
/// Punctuation that only separates words in a value ("Yes - SMS", "n/a").
const SEPARATORS: &str = ".,-–—()/:;'’\"_&+";
/// Words that may follow a yes without changing it: "Yes - SMS", "Yes
/// (verbal consent)", "Yes please", "Consent given for communication by SMS
/// text message" (SNOMED's wording), a date ("12-Mar-2023"). Anything else
/// ("Yes, but not by text", "Yes - email only") is unclear: this is a list of
/// what is harmless, so a negation or a condition is never read as yes.
const AFTER_YES: [&str; 46] = [
    "sms",
    "text",
    "texts",
    "txt",
    "message",
    "messages",
    "messaging",
    "mobile",
    "to",
    "by",
    "via",
    "for",
    "consent",
    "consents",
    "consented",
    "given",
    "verbal",
    "verbally",
    "written",
    "communication",
    "communications",
    "reminder",
    "reminders",
    "appointment",
    "appointments",
    "please",
    "patient",
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
];
/// How each month's name starts.
const MONTH_STARTS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
/// The rest of the months, kept apart to keep [`AFTER_YES`] readable.
const MORE_MONTHS: [&str; 5] = ["august", "september", "october", "november", "december"];
/// Words that give consent in a value built only from harmless words ("SMS
/// text messaging consent given").
const GIVES_CONSENT: [&str; 4] = ["consent", "consents", "consented", "yes"];

impl Answer {
    fn of(value: &str) -> Self {
        let value = value.trim();
        if value.is_empty() {
            return Answer::NotRecorded;
        }
        // The values nearly every row holds, without allocating.
        for (word, answer) in [
            ("yes", Answer::Yes),
            ("y", Answer::Yes),
            ("no", Answer::No),
            ("n", Answer::No),
        ] {
            if value.eq_ignore_ascii_case(word) {
                return answer;
            }
        }
        Self::of_words(value)
    }

    fn of_words(value: &str) -> Self {
        let only_ticks = value
            .chars()
            .all(|c| TICKS.contains(&c) || c.is_whitespace());
        if only_ticks {
            return Answer::Yes;
        }
        // A question mark, a cross, a tick beside words, an invisible
        // character: not clearly yes or no.
        let unclear_mark = value
            .chars()
            .any(|c| !(c.is_alphanumeric() || c.is_whitespace() || SEPARATORS.contains(c)));
        if unclear_mark {
            return Answer::Unclear;
        }
        let words: Vec<String> = value
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let joined = words.concat();
        if joined.is_empty() {
            return Answer::Unclear;
        }
        for (exact, answer) in [
            (&YES_EXACT[..], Answer::Yes),
            (&NO_EXACT[..], Answer::No),
            (&CONSENTED_EXACT[..], Answer::Consented),
            (&NOT_RECORDED_EXACT[..], Answer::NotRecorded),
        ] {
            if exact.contains(&joined.as_str()) {
                return answer;
            }
        }
        let is_month = |w: &String| {
            let first_three = w.get(..3).unwrap_or("");
            MONTH_STARTS.contains(&first_three)
                && (AFTER_YES.contains(&w.as_str()) || MORE_MONTHS.contains(&w.as_str()))
        };
        // Numbers only as a date: a day or a year beside a month or another
        // number ("12-Mar-2023", "01/04/2024"). "Consent: 0" or a phone
        // number ("Consent given to 07700900999") is not consent.
        let digit_words = words
            .iter()
            .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
            .count();
        let dated = digit_words >= 2 || words.iter().any(is_month);
        let harmless = |w: &String| {
            AFTER_YES.contains(&w.as_str())
                || MORE_MONTHS.contains(&w.as_str())
                || (dated && matches!(w.len(), 1 | 2 | 4) && w.bytes().all(|b| b.is_ascii_digit()))
        };
        let rest_is_harmless = |from: usize| words[from..].iter().all(harmless);
        if YES_EXACT.contains(&words[0].as_str()) {
            // "Yes (patient request)": asked for by the patient.
            let after_yes = |w: &String| harmless(w) || w == "request";
            return if words[1..].iter().all(after_yes) {
                Answer::Yes
            } else {
                Answer::Unclear
            };
        }
        if DECLINED_WORDS.iter().any(|w| joined.contains(w)) {
            return Answer::Declined;
        }
        if CONSENTED_EXACT.contains(&words[0].as_str()) {
            return if rest_is_harmless(1) {
                Answer::Consented
            } else {
                Answer::Unclear
            };
        }
        if NO_EXACT.contains(&words[0].as_str()) && rest_is_harmless(1) {
            return Answer::No;
        }
        if words.iter().any(|w| GIVES_CONSENT.contains(&w.as_str())) && rest_is_harmless(0) {
            return Answer::Consented;
        }
        Answer::Unclear
    }
}

impl Consent {
    /// A cell of a consent column whose yes means the patient may be texted.
    pub fn from_cell(value: &str) -> Self {
        Self::read(value, YesMeans::MayText)
    }

    /// A cell of a consent column that reads `yes_means` way round. Values
    /// that say what they mean ("Declined", "Consented") mean it in either.
    pub fn read(value: &str, yes_means: YesMeans) -> Self {
        match (Answer::of(value), yes_means) {
            (Answer::NotRecorded | Answer::Consented, _) => Consent::NotDeclined,
            (Answer::Declined, _) => Consent::Declined,
            (Answer::Unclear, _) => Consent::Unrecognised,
            (Answer::Yes, YesMeans::MayText) | (Answer::No, YesMeans::DoNotText) => {
                Consent::NotDeclined
            }
            (Answer::Yes, YesMeans::DoNotText) | (Answer::No, YesMeans::MayText) => {
                Consent::Declined
            }
        }
    }
}

#[cfg(test)]
mod round3_value_tests;
#[cfg(test)]
mod value_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declines_in_every_wording() {
        for value in [
            "Declined",
            "DISSENT",
            "Express dissent",
            "refused",
            "Withdrawn",
            "No",
            "n",
            "FALSE",
            "0",
            "Opted out",
            "opt-out",
            "Do not text",
            "Consent withdrawn",
            "SMS declined",
        ] {
            assert_eq!(Consent::from_cell(value), Consent::Declined, "{value}");
        }
    }

    #[test]
    fn reads_consent_and_blank_as_not_declined() {
        for value in [
            "",
            "  ",
            "Yes",
            "Y",
            "true",
            "1",
            "Given",
            "Consent given",
            "consented",
            "Yes - SMS",
        ] {
            assert_eq!(Consent::from_cell(value), Consent::NotDeclined, "{value:?}");
        }
    }

    #[test]
    fn anything_else_is_unrecognised() {
        for value in ["maybe", "2", "pending"] {
            assert_eq!(Consent::from_cell(value), Consent::Unrecognised, "{value}");
        }
    }
}
