//! Free text that says not to text — "Do not text", "SMS opt out", "Letter
//! only - declined SMS", "Doesn't want texts", "No calls or texts", "SMS: N"
//! — wherever a practice wrote it: a notes or preference column, a name
//! cell, a heading over a section of the list.
//!
//! The words must say it about texting: a negation or a decline before a
//! word for texting, with only filler words between ("do not send him
//! texts", "opted out of SMS"), or a word for texting followed by a decline
//! ("texts: declined", "SMS not wanted"), or by a bare "no" at the end ("Text
//! msgs - no"). "Do not call, text only", "Declined letter, text OK" and
//! "Text sent, no reply" are not declines.

const TEXTING: &[&str] = &[
    "sms",
    "text",
    "texts",
    "texting",
    "texted",
    "txt",
    "txts",
    "msg",
    "msgs",
    "message",
    "messages",
    "messaging",
    "textmessage",
    "textmessages",
];
const NEGATIONS: &[&str] = &[
    "not", "dont", "doesnt", "didnt", "wont", "cant", "never", "no", "without", "unhappy",
    "dislikes", "dislike",
];
const DECLINES: &[&str] = &[
    "declined",
    "declines",
    "decline",
    "declining",
    "refused",
    "refuses",
    "refuse",
    "refusing",
    "withdrawn",
    "withdrew",
    "dissent",
    "dissented",
    "optout",
    "optedout",
    "optsout",
    "unsubscribed",
    "blocked",
    "barred",
    "suppressed",
    "stopped",
    "stop",
    "disabled",
    "off",
    "unwanted",
    "removed",
    "cancelled",
];
/// After "not" following a word for texting: "SMS not wanted".
const NOT_WANTED: &[&str] = &["wanted", "required", "accepted", "allowed", "agreed"];
/// Words that may stand between the two halves of a phrase.
const FILLERS: &[&str] = &[
    "send",
    "sent",
    "to",
    "be",
    "by",
    "via",
    "of",
    "from",
    "for",
    "any",
    "all",
    "the",
    "more",
    "further",
    "want",
    "wants",
    "receive",
    "receiving",
    "accept",
    "use",
    "him",
    "her",
    "them",
    "their",
    "his",
    "this",
    "patient",
    "pt",
    "happy",
    "mobile",
    "communication",
    "contact",
    "contacted",
    "consent",
    "reminders",
    "reminder",
    "recall",
    "recalls",
    "status",
    "list",
];
/// Written as one word.
const WHOLE: &[&str] = &["notxt", "notext", "notexts", "nosms", "dnt"];

/// Whether `cell` says not to text its patient.
pub fn says_do_not_text(cell: &str) -> bool {
    if cell.len() < 3 || !mentions_texting(cell.as_bytes()) {
        return false;
    }
    let words = words(cell);
    let is = |list: &[&str], word: &str| list.contains(&word);
    // The first word at or after `from` that is not a filler, and where.
    let next_real = |from: usize| {
        (from..words.len())
            .find(|&j| !is(FILLERS, &words[j]))
            .map(|j| (j, words[j].as_str()))
    };
    words.iter().enumerate().any(|(i, word)| {
        let word = word.as_str();
        if is(WHOLE, word)
            || (word == "replied" && next_real(i + 1).is_some_and(|(_, w)| w == "stop"))
        {
            return true;
        }
        if is(NEGATIONS, word) || is(DECLINES, word) {
            return match next_real(i + 1) {
                Some((_, w)) if is(TEXTING, w) => !is_allowed_after(&words, i + 1),
                // "Do not call or text", "No calls or texts".
                Some((j, _)) => {
                    matches!(
                        words.get(j + 1).map(String::as_str),
                        Some("or" | "nor" | "and")
                    ) && next_real(j + 2).is_some_and(|(_, w)| is(TEXTING, w))
                }
                None => false,
            };
        }
        if is(TEXTING, word) {
            // Past more words for texting: "text msgs - no".
            let after =
                (i + 1..words.len()).find(|&j| !is(TEXTING, &words[j]) && !is(FILLERS, &words[j]));
            return match after.map(|j| (j, words[j].as_str())) {
                Some((_, w)) if is(DECLINES, w) => true,
                Some((j, "no" | "n")) => j + 1 == words.len(),
                Some((j, "not")) => words.get(j + 1).is_some_and(|w| is(NOT_WANTED, w)),
                _ => false,
            };
        }
        false
    })
}

/// "Do not call, text only": a word for texting that is then allowed.
fn is_allowed_after(words: &[String], from: usize) -> bool {
    let texting = (from..words.len()).find(|&j| TEXTING.contains(&words[j].as_str()));
    texting.and_then(|j| words.get(j + 1)).is_some_and(|w| {
        matches!(
            w.as_str(),
            "only" | "ok" | "okay" | "fine" | "preferred" | "yes"
        )
    })
}

/// Lower-case words of letters and digits; "opt out", "opted out" and
/// "text message" become one word each, and an apostrophe joins ("don't").
fn words(cell: &str) -> Vec<String> {
    let raw = cell
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '\u{2019}')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty());
    let mut joined: Vec<String> = Vec::new();
    for word in raw {
        match (joined.last().map(String::as_str), word.as_str()) {
            (Some("opt" | "opted" | "opts"), "out") | (Some("text"), "message" | "messages") => {
                let last = joined.pop().expect("a word before");
                joined.push(format!("{last}{word}"));
            }
            _ => joined.push(word),
        }
    }
    joined
}

/// A quick look before any word is made: "sms", "tex", "txt", "msg", "mes",
/// or "sto" (a reply of STOP).
fn mentions_texting(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| {
        let w = [
            w[0].to_ascii_lowercase(),
            w[1].to_ascii_lowercase(),
            w[2].to_ascii_lowercase(),
        ];
        matches!(&w, b"sms" | b"tex" | b"txt" | b"msg" | b"mes" | b"sto")
    })
}

#[cfg(test)]
mod tests {
    use super::says_do_not_text;

    #[test]
    fn cells_that_say_not_to_text() {
        for cell in [
            "Do not text",
            "DO NOT SMS",
            "Don't text",
            "don\u{2019}t send texts",
            "Letter only - declined SMS",
            "SMS opt out",
            "Opted out of texts",
            "Declined texts",
            "No SMS",
            "no text messages please",
            "Texts: declined",
            "Text: No",
            "SMS: N",
            "does not want texts",
            "not to be texted",
            "Dissent from communication by SMS text message",
            "Text message consent withdrawn",
            "SMS blocked",
            "unsubscribed from SMS",
            // The third review's notes.
            "Patient doesn't want any SMS",
            "Doesn't want texts",
            "refuses mobile messages",
            "text msgs - no",
            "Text msgs: declined",
            "Do not call or text",
            "No calls or texts",
            "SMS not wanted",
            "Texts not wanted",
            "SMS disabled",
            "SMS off",
            "Declines all texts",
            "Stop all texts",
            "No more texts please",
            "Do not send him texts",
            "Replied STOP to reminder",
            "Removed from SMS list",
            "Removed SMS consent",
            "Pt does not want to be contacted by text",
            "Wont accept texts",
            "NoTxt",
            "Do not use mobile for SMS",
            "Not happy to receive texts",
            "Unhappy to receive SMS",
            "Dislikes texts - do not send",
            "No mobile messages",
            "NO TEXTS!!",
            "opted-out of sms reminders",
            "Stop SMS",
            "pt declined txt",
            "SMITH, Jane - DO NOT TEXT",
            "Bob (declined SMS)",
            "NOT FOR SMS",
            "SMS: NO",
        ] {
            assert!(says_do_not_text(cell), "{cell}");
        }
    }

    #[test]
    fn cells_that_do_not() {
        for cell in [
            "",
            "Yes",
            "Do not call, text only",
            "Declined letter, text OK",
            "Prefers text, not phone",
            "Text reminders: yes",
            "SMS",
            "Consent given for communication by SMS text message",
            "Mobile number changed, texts fine",
            "Declined flu vaccine",
            "Smith",
            "Textile worker",
            "Text OK, no calls",
            "No answer - sent text",
            "Mobile no. updated, text sent",
            "text only, no letters",
            "Text sent, no reply",
            "Left message, no answer",
            "Texts - no calls please",
            "SMS sent - no response",
            "Happy with texts, no letters",
            "Text: no preference",
            "Message: no reply",
            "Text reminder sent - no response",
            "Removed duplicates",
        ] {
            assert!(!says_do_not_text(cell), "{cell}");
        }
    }
}
