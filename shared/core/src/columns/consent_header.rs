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

/// When or by whom consent was recorded: not a consent value.
const WHEN_OR_WHO: &[&str] = &[
    "date",
    "dates",
    "dated",
    "time",
    "timestamp",
    "when",
    "expiry",
    "expires",
    "review",
    "reviewed",
    "version",
    "updated",
    "who",
    "whom",
    "clinician",
    "user",
    "author",
];

/// Free text about consent: what it says cannot be read as yes or no.
const DESCRIBES_CONSENT: &[&str] = &[
    "reason", "reasons", "comment", "comments", "note", "notes", "code", "codes", "method",
    "source", "detail", "details", "how", "freetext", "type",
];

/// Words a column about texting may hold besides its subject and still be
/// a yes/no flag of unknown direction ("SMS status", "Text messages Y/N").
const FLAG_WORDS: &[&str] = &[
    "to",
    "by",
    "via",
    "for",
    "the",
    "a",
    "of",
    "and",
    "or",
    "patient",
    "patients",
    "status",
    "flag",
    "flags",
    "preference",
    "preferences",
    "preferred",
    "y",
    "n",
    "yn",
    "contact",
    "reminder",
    "reminders",
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

/// Where a word saying no ("declined", "opt out") is, if any.
fn strong_no_at(words: &[String]) -> Option<usize> {
    words.iter().enumerate().position(|(i, w)| {
        STRONG_NO.iter().any(|s| w.contains(s))
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
    let strong_no = strong_no_at(all);
    let negation = negation_at(all);
    let any_channel = about_sms || about_contact || about_calls;

    let about_consent =
        strong_yes || strong_no.is_some() || (any_channel && (negation.is_some() || soft_yes));
    if !about_consent {
        return is_unclear_sms_flag(&words).then_some(ConsentHeader::Unclear);
    }
    if words.has_any(WHEN_OR_WHO) || all.last().is_some_and(|w| w == "by") {
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
    let in_and_out = says_opt_in && (words.has("out") || strong_no.is_some());
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

/// "SMS", "Text messages", "SMS status": a column about texting holding a
/// flag whose direction its name does not give. A column with a number
/// ("SMS No", "Text number") or anything else in its name is not a flag, nor
/// is a mobile ("Mobile (SMS)") unless it says messaging.
fn is_unclear_sms_flag(words: &Words) -> bool {
    let all = words.all();
    if words.has_stem(&["mobile"]) && !words.has_stem(&["messag"]) {
        return false;
    }
    let core = all.iter().any(|w| {
        w.starts_with("sms")
            || w.starts_with("text")
            || w.starts_with("txt")
            || matches!(w.as_str(), "msg" | "msgs" | "messaging")
    });
    core && all
        .iter()
        .all(|w| (is_sms_word(w) || FLAG_WORDS.contains(&w.as_str())) && !w.contains("number"))
}
