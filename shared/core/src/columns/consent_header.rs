//! What a column about consent means, read from its whole name (the group
//! over it and its own header), never from one trigger word: "Text consent
//! withdrawn" holds declines although it says "consent", "Decline SMS" holds
//! declines although it never says "consent", and the National Data Opt-Out
//! is about sharing records, not about texting.
//!
//! A column whose name says its yes means "do not text" ("SMS opt-out", "Do
//! not SMS", "Objects to text messages") is read that way round rather than
//! stopping the run: once the whole name is understood there is nothing left
//! to guess, and stopping would push practices to rename such columns by hand,
//! which is where mistakes happen. A column that is about texting but whose
//! direction cannot be told ("SMS", "SMS status", "SMS opt in/out", "Not opted
//! out of SMS", "Opted out" with no subject) stops the run and names it.
//!
//! A column whose name mentions texts is never passed over in silence: it is
//! read as consent either way round, or it is positively something else (a
//! date or who recorded it, a phone number, a count of texts sent, another
//! subject such as email), or it stops the run. Words that only qualify the
//! value ("updated", "reviewed", "user entered", "latest") change nothing.

use super::words::Words;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentHeader {
    /// Yes means the patient may be texted: "SMS Consent", "Text Opt-In".
    Consent,
    /// Yes means do not text: "SMS Opt Out", "Decline SMS", "Do not text".
    OppositeWay,
    /// About consent or opting out, but not of texting (the National Data
    /// Opt-Out, Type 1, email, SCR, research, a vaccine), or about when or by
    /// whom consent was recorded rather than what it is.
    NotSms,
    /// About texting, but which way round it reads cannot be told.
    Unclear,
}

/// Words of a column name that put it about texting.
fn is_sms_word(word: &str) -> bool {
    word.starts_with("sms")
        || word.starts_with("text")
        || word.starts_with("txt")
        || word.starts_with("messag")
        || word.starts_with("mobile")
        || word.contains("sms")
        || matches!(word, "msg" | "msgs")
}

/// Contact in general, which includes texts: "Do not contact", "Do not send".
const CONTACT: [&str; 7] = [
    "send",
    "contact",
    "contacted",
    "contactable",
    "communication",
    "communications",
    "comms",
];

/// Calls, which may or may not include texts.
const PHONE_CALL: [&str; 7] = [
    "phone",
    "telephone",
    "tel",
    "call",
    "calls",
    "voice",
    "landline",
];

/// Things people consent to or opt out of that are not texts.
const OTHER_TOPIC: &[&str] = &[
    "email",
    "emails",
    "mail",
    "letter",
    "letters",
    "post",
    "postal",
    "data",
    "sharing",
    "share",
    "shared",
    "ndop",
    "scr",
    "summary",
    "record",
    "records",
    "dcr",
    "ehr",
    "care",
    "research",
    "study",
    "trial",
    "trials",
    "vaccine",
    "vaccines",
    "vaccination",
    "vaccinations",
    "vacc",
    "vaccinated",
    "immunisation",
    "immunisations",
    "immunization",
    "flu",
    "influenza",
    "covid",
    "pneumococcal",
    "pneumo",
    "shingles",
    "mmr",
    "hpv",
    "rsv",
    "screening",
    "smear",
    "cervical",
    "bowel",
    "breast",
    "aaa",
    "treatment",
    "procedure",
    "examination",
    "exam",
    "chaperone",
    "photo",
    "photograph",
    "photographs",
    "photography",
    "video",
    "recording",
    "referral",
    "organ",
    "donation",
    "donor",
    "online",
    "app",
    "access",
    "gdpr",
    "extract",
    "qof",
    "register",
    "audit",
    "medication",
    "prescription",
    "prescriptions",
    "invite",
    "invitation",
    "appointment",
    "appointments",
    "health",
    "dental",
    "gpconnect",
];

/// When consent was recorded or runs out: a date, not a consent value.
const WHEN: &[&str] = &[
    "date",
    "dates",
    "dated",
    "time",
    "timestamp",
    "when",
    "expiry",
    "expires",
];

/// Who recorded consent: a person, not a consent value ("Consent recorded
/// by" ends in "by"; "Declined SMS (user entered)" is a value).
const WHO: &[&str] = &["who", "whom", "author", "recorder"];

/// "Consent recorded by", "SMS consent given by": the person who recorded
/// it. "SMS opt out by patient" and "SMS by" are not.
fn ends_recorded_by(words: &[String]) -> bool {
    matches!(words, [.., done, by] if by == "by"
        && (done.ends_with("ed") || matches!(done.as_str(), "sent" | "given" | "taken" | "made" | "set")))
}

/// A column about texts that records texts sent, not consent: "Last SMS
/// sent", "No. of texts", "SMS count".
const TEXTS_SENT: &[&str] = &[
    "last",
    "sent",
    "delivered",
    "count",
    "total",
    "history",
    "failed",
    "undelivered",
];

/// A phone number, not a flag: "SMS No", "Text number", "Mobile (SMS)".
fn is_number(words: &Words) -> bool {
    let all = words.all();
    let messaging = words.has_stem(&["messag"]);
    words.has_any(&[
        "number",
        "numbers",
        "num",
        "nos",
        "tel",
        "telephone",
        "phone",
        "cell",
    ]) || (!messaging && words.has_stem(&["mobile"]))
        || matches!(all, [.., before, last] if last == "no" && !matches!(before.as_str(), "yes" | "y"))
        || all == ["no"]
}

/// Free text about consent: what it says cannot be read as yes or no.
/// "Details", "Type" and "Method" are not here: EMIS's "SMS Consent Details"
/// and "SMS Consent Type" hold the consent itself ("Consent given for
/// communication by SMS text message"), and a value that is only a method
/// ("Verbal") is read as unclear, never as yes.
const DESCRIBES_CONSENT: &[&str] = &[
    "reason", "reasons", "comment", "comments", "note", "notes", "code", "codes", "source", "how",
    "freetext",
];

/// Words that with a date make a column hold the consent as well ("SMS
/// Consent Date/Status" = "Declined 01/04/2024").
const STATUS: &[&str] = &[
    "status", "state", "value", "outcome", "response", "answer", "result", "decision", "choice",
];

/// Word stems that say no, whatever they are about.
const STRONG_NO: [&str; 9] = [
    "withdr",
    "declin",
    "refus",
    "dissent",
    "objec",
    "exclu",
    "unsubscrib",
    "revok",
    "denied",
];

/// Words that say yes only when the name is about texting: "Happy to
/// receive texts", "SMS OK".
const SOFT_YES: [&str; 8] = [
    "happy",
    "ok",
    "okay",
    "receive",
    "receives",
    "wants",
    "wishes",
    "contactable",
];

/// Word stems that say no when the name is about texting: "SMS blocked",
/// "Suppress SMS", "Texts off". Alone ("Disabled", "Stopped") they are about
/// something else.
const WEAK_NO: [&str; 8] = [
    "block", "suppress", "stop", "unwant", "disabl", "exempt", "cease", "halt",
];

/// Where a word saying no is, if any: "declined", "opt out", and with
/// `about_texts` also "blocked", "suppressed", "off".
fn no_at(words: &[String], about_texts: bool) -> Option<usize> {
    words.iter().enumerate().position(|(i, w)| {
        (about_texts
            && (WEAK_NO.iter().any(|s| w.starts_with(s))
                || matches!(w.as_str(), "off" | "bar" | "barred" | "barring")))
            || STRONG_NO.iter().any(|s| w.contains(s))
            || w == "deny"
            || ["optout", "optedout", "optsout"]
                .iter()
                .any(|p| w.contains(p))
            || (matches!(w.as_str(), "opt" | "opted" | "opts")
                && words.get(i + 1).is_some_and(|n| n == "out" || n == "outs"))
    })
}

/// Where a negation is ("do not", "don't", "no SMS", "never"), if any. "No"
/// as the last word, or in "No. of", is "number" ("SMS No"), not a negation.
fn negation_at(words: &[String]) -> Option<usize> {
    words.iter().enumerate().position(|(i, w)| {
        matches!(w.as_str(), "not" | "never" | "dont" | "doesnt" | "donot")
            || (w == "no" && words.get(i + 1).is_some_and(|next| next != "of"))
            || is_glued_negation(w)
    })
}

/// "NoSMS", "DoNotText", "DontText" written as one word.
fn is_glued_negation(word: &str) -> bool {
    ["no", "dont", "donot", "not"].iter().any(|p| {
        word.strip_prefix(p)
            .is_some_and(|rest| !rest.is_empty() && is_sms_word(rest))
    })
}

/// The meaning of a column about consent, or `None` for a column that is not
/// about consent at all ("Mobile", "Clinic", "Do not resuscitate").
pub fn consent_header(name: &str) -> Option<ConsentHeader> {
    let words = Words::of(name);
    if words.is_empty() {
        return None;
    }
    let all = words.all();
    let about_sms = all.iter().any(|w| is_sms_word(w) || is_glued_negation(w));
    let about_contact = words.has_any(&CONTACT);
    let about_calls = words.has_any(&PHONE_CALL);
    let about_other = words.has_any(OTHER_TOPIC)
        || words.phrase_at(&["type", "1"]).is_some()
        || words.phrase_at(&["type", "2"]).is_some();

    let says_consent = words.joined_has(&["consent"]);
    let says_opt_in = words.joined_has(&["optin", "optedin", "optsin"]);
    let strong_yes = says_consent
        || says_opt_in
        || words.has_stem(&[
            "permission",
            "permit",
            "agree",
            "allow",
            "accept",
            "willing",
        ]);
    let soft_yes = words.has_any(&SOFT_YES);
    let any_channel = about_sms || about_contact || about_calls;
    let strong_no = no_at(all, any_channel);
    let negation = negation_at(all);

    let about_consent =
        strong_yes || strong_no.is_some() || (any_channel && (negation.is_some() || soft_yes));
    let when_or_who = (words.has_any(WHEN) && !words.has_any(STATUS))
        || words.has_any(WHO)
        || ends_recorded_by(all);
    if !about_consent {
        if !mentions_texts(&words) {
            return None;
        }
        if when_or_who || words.has_any(TEXTS_SENT) || is_count(all) {
            return Some(ConsentHeader::NotSms);
        }
        if is_number(&words) || words.has("free") {
            return None; // a phone number, or free text: not about consent
        }
        // About texts, and not anything we can read or pass over.
        return Some(ConsentHeader::Unclear);
    }
    if when_or_who {
        return Some(ConsentHeader::NotSms);
    }
    if about_sms {
        // Texts, whatever else the column also covers ("SMS and email consent").
    } else if about_other {
        return Some(ConsentHeader::NotSms);
    } else if about_contact {
        // Contact of any kind includes texts.
    } else if about_calls {
        return Some(ConsentHeader::Unclear);
    }
    let subject_named = about_sms || about_contact;
    if words.has_any(DESCRIBES_CONSENT) {
        // "SMS decline reason": a value there may mean declined. With no
        // subject ("Exclusion reason") it is a note about something else.
        return (subject_named || says_consent).then_some(ConsentHeader::Unclear);
    }
    let in_and_out = (says_opt_in && (words.has("out") || strong_no.is_some()))
        || (words.has("on") && words.has("off"))
        || (words.has_stem(&["enabl"]) && words.has_stem(&["disabl"]));
    let double_negative = matches!((negation, strong_no), (Some(n), Some(s)) if n < s);
    if in_and_out || double_negative {
        return Some(ConsentHeader::Unclear);
    }
    if strong_no.is_some() || negation.is_some() {
        // With no subject, "Opted out" or "Declined" is as often about data
        // sharing or a vaccine as about texts; "Consent withdrawn" is the
        // list's consent column read the other way.
        return Some(if subject_named || says_consent {
            ConsentHeader::OppositeWay
        } else {
            ConsentHeader::Unclear
        });
    }
    if subject_named || says_consent || says_opt_in || words.has_stem(&["permission"]) {
        Some(ConsentHeader::Consent)
    } else {
        // "Agreed", "Accepted" alone: not about consent to texts.
        None
    }
}

/// Whether a name mentions texts: SMS, text(s), texting, text message, txt,
/// msg, mobile messaging. A mobile number alone does not.
fn mentions_texts(words: &Words) -> bool {
    words.all().iter().any(|w| {
        w.contains("sms")
            || w.starts_with("text")
            || w.starts_with("txt")
            || matches!(w.as_str(), "msg" | "msgs" | "messaging")
            || is_glued_negation(w)
    })
}

/// "No. of texts", "Number of SMS": how many, not whether.
fn is_count(words: &[String]) -> bool {
    words
        .windows(2)
        .any(|pair| matches!(pair[0].as_str(), "no" | "number" | "num") && pair[1] == "of")
}
