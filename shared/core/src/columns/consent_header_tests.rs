//! Consent column names as practices write them (SystmOne and EMIS exports,
//! searches and hand-made lists), and the meaning each must get.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    /// A consent column: yes means the patient may be texted.
    Consent,
    /// A consent column the other way round: yes means do not text.
    OppositeWay,
    /// Not SMS consent: neither read nor a reason to stop.
    NotSms,
    /// Stops the run, naming the column.
    Stop,
}
use Meaning::*;

const HEADERS: &[(&str, Meaning)] = &[
    // Consent, with or without the word.
    ("SMS Consent", Consent),
    ("Consent to SMS", Consent),
    ("Text Msg Consent", Consent),
    ("Mobile Messaging Consent", Consent),
    ("Patient Consents to SMS", Consent),
    ("Text Opt-In", Consent),
    ("SMS Opt In", Consent),
    ("SMS opted in", Consent),
    ("Consent", Consent),
    ("SMS Consent Status", Consent),
    ("Consent to text", Consent),
    ("Text message consent", Consent),
    ("Consent SMS", Consent),
    ("SMSConsent", Consent),
    ("SMS Permission", Consent),
    ("Permission to text", Consent),
    ("Agrees to SMS", Consent),
    ("Patient agrees to receive text messages", Consent),
    ("Happy to receive texts", Consent),
    ("Allow SMS", Consent),
    ("Accepts text messages", Consent),
    ("Consent to contact by SMS", Consent),
    ("Consent to contact", Consent),
    ("Contact consent", Consent),
    ("Consented to SMS", Consent),
    ("Mobile phone consent", Consent),
    ("SMS and email consent", Consent),
    ("Consent (Y/N)", Consent),
    ("Text reminders consent", Consent),
    // The other way round.
    ("SMS Opt Out", OppositeWay),
    ("SMS opt-out", OppositeWay),
    ("Text opt out", OppositeWay),
    ("Opted out of SMS", OppositeWay),
    ("Mobile messaging opt-out", OppositeWay),
    ("Decline SMS", OppositeWay),
    ("SMS declined", OppositeWay),
    ("Declined SMS consent", OppositeWay),
    ("Text consent withdrawn", OppositeWay),
    ("SMS consent withdrawn", OppositeWay),
    ("Consent withdrawn", OppositeWay),
    ("Do not SMS", OppositeWay),
    ("Do not text", OppositeWay),
    ("Don't text", OppositeWay),
    ("Don’t text", OppositeWay),
    ("DoNotText", OppositeWay),
    ("No SMS", OppositeWay),
    ("No text messages", OppositeWay),
    ("No SMS consent", OppositeWay),
    ("Does not want SMS", OppositeWay),
    ("Never text", OppositeWay),
    ("Dissent from SMS", OppositeWay),
    ("Text dissent", OppositeWay),
    ("Objects to text messages", OppositeWay),
    ("SMS objection", OppositeWay),
    ("Exclude from SMS", OppositeWay),
    ("Excluded from text messaging", OppositeWay),
    ("Unsubscribed from texts", OppositeWay),
    ("SMS refused", OppositeWay),
    ("Do not contact", OppositeWay),
    ("Do not send", OppositeWay),
    ("Not for SMS", OppositeWay),
    ("Bulk SMS exclusion", OppositeWay),
    // Other ways of saying do not text (the review found them ignored).
    ("SMS blocked", OppositeWay),
    ("Block SMS", OppositeWay),
    ("Suppress SMS", OppositeWay),
    ("SMS suppressed", OppositeWay),
    ("Text Stop", OppositeWay),
    ("STOP texts", OppositeWay),
    ("SMS unwanted", OppositeWay),
    ("SMS disabled", OppositeWay),
    ("SMS barred", OppositeWay),
    ("Texts off", OppositeWay),
    ("SMS exempt", OppositeWay),
    ("Texting stopped", OppositeWay),
    ("Mobile messaging blocked", OppositeWay),
    // Qualifiers of the value do not make it a "when or who" column.
    ("SMS opt-out (updated)", OppositeWay),
    ("Declined SMS (user entered)", OppositeWay),
    ("SMS declined - clinician", OppositeWay),
    ("SMS opt out by patient", OppositeWay),
    ("Updated SMS consent", Consent),
    ("SMS consent - reviewed", Consent),
    ("Latest SMS consent", Consent),
    ("Current text consent", Consent),
    ("SMS consent (version 2)", Consent),
    // About something else, or when and by whom, not what.
    ("National Data Opt-Out", NotSms),
    ("National data opt out (9Nu4)", NotSms),
    ("NDOP", NotSms),
    ("Type 1 Opt-out", NotSms),
    ("Type1 opt out", NotSms),
    ("Type 1 objection", NotSms),
    ("Type 2 opt out", NotSms),
    ("Email consent", NotSms),
    ("E-mail opt-out", NotSms),
    ("Consent to contact by email", NotSms),
    ("SCR Consent", NotSms),
    ("SCR dissent", NotSms),
    ("Summary Care Record consent", NotSms),
    ("Data sharing consent", NotSms),
    ("Consent to share data", NotSms),
    ("Data sharing opt out", NotSms),
    ("Research consent", NotSms),
    ("Research opt-out", NotSms),
    ("Consent to treatment", NotSms),
    ("Proxy access consent", NotSms),
    ("Flu vaccine declined", NotSms),
    ("Covid vaccination declined", NotSms),
    ("Shingles vaccine refused", NotSms),
    ("Cervical screening declined", NotSms),
    ("SMS consent date", NotSms),
    ("Date consent recorded", NotSms),
    ("Consent date", NotSms),
    ("Date of SMS opt out", NotSms),
    ("SMS consent recorded by", NotSms),
    ("Consent recorded by", NotSms),
    ("SMS consent review date", NotSms),
    ("Who recorded SMS consent", NotSms),
    ("Number of texts sent", NotSms),
    ("Work phone", NotSms),
    ("SMS No", NotSms),
    ("Mobile (SMS)", NotSms),
    ("Last SMS sent", NotSms),
    ("Do not resuscitate", NotSms),
    ("Did not attend", NotSms),
    ("Notes", NotSms),
    ("Accepted", NotSms),
    ("No. of texts", NotSms),
    ("Consent given by", NotSms),
    ("Exclusion reason", NotSms),
    // About texting, but which way round cannot be told.
    ("SMS", Stop),
    ("Text messages", Stop),
    ("Texts", Stop),
    ("SMS status", Stop),
    ("SMS preference", Stop),
    ("SMS Y/N", Stop),
    ("Mobile messaging", Stop),
    ("SMS opt in/out", Stop),
    ("Opt-in/Opt-out", Stop),
    ("Not opted out of SMS", Stop),
    ("Opt-out", Stop),
    ("Opted out", Stop),
    ("Declined", Stop),
    ("Dissent", Stop),
    ("Withdrawn", Stop),
    ("Reason for SMS decline", Stop),
    ("SMS consent notes", Stop),
    ("SMS consent type", Consent),
    ("Telephone consent", Stop),
    ("Do not phone", Stop),
    ("Exclude", Stop),
    ("SMS on/off", Stop),
    ("SMS enabled/disabled", Stop),
    ("Not blocked from SMS", Stop),
    ("SMS reminders", Stop),
    ("Texting", Stop),
];

fn meaning_in_a_list(header: &str) -> Result<Meaning, String> {
    let headers = headers_of(["NHS Number", "Mobile", "Date of Birth", header]);
    Ok(match ColumnMap::from_headers(&headers) {
        Ok(map) => match map.consent.as_slice() {
            [] => NotSms,
            [
                ConsentColumn {
                    index: 3,
                    yes_means: YesMeans::MayText,
                },
            ] => Consent,
            [
                ConsentColumn {
                    index: 3,
                    yes_means: YesMeans::DoNotText,
                },
            ] => OppositeWay,
            other => return Err(format!("consent columns {other:?}")),
        },
        Err(ColumnProblem::UnclearConsent(column)) if column.index == 3 => Stop,
        Err(other) => return Err(format!("{other:?}")),
    })
}

#[test]
fn every_consent_header_practices_use_gets_its_meaning() {
    assert!(HEADERS.len() >= 60);
    let wrong: Vec<String> = HEADERS
        .iter()
        .filter_map(|&(header, expected)| {
            let got = meaning_in_a_list(header);
            (got != Ok(expected)).then(|| format!("{header:?}: expected {expected:?}, got {got:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_group_over_a_column_is_part_of_its_name() {
    let mut headers = headers_of([
        "NHS Number",
        "Mobile",
        "DOB",
        "Data sharing",
        "SMS",
        "Opt out",
    ]);
    headers[3].group = Some("Consent".to_owned());
    headers[4].group = Some("Consent".to_owned());
    headers[5].group = Some("Text messages".to_owned());
    let map = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(
        map.consent,
        [
            ConsentColumn {
                index: 4,
                yes_means: YesMeans::MayText
            },
            ConsentColumn {
                index: 5,
                yes_means: YesMeans::DoNotText
            },
        ]
    );
}

#[test]
fn a_consent_column_is_never_a_mobile_column() {
    let mut headers = headers_of(["NHS Number", "Mobile", "DOB", "Mobile"]);
    headers[3].group = Some("Consent".to_owned());
    let map = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(map.mobile, 1);
    assert_eq!(map.column_of(Role::Consent), Some(3));
}

#[test]
fn a_stop_message_names_the_column_and_what_to_do() {
    let e = crate::patient_list::PatientList::open(std::io::Cursor::new(
        b"NHS Number,Mobile,DOB,SMS status\r\n".to_vec(),
    ))
    .err()
    .expect("stops");
    let text = e.to_string();
    assert!(text.contains("\"SMS status\" (column D)"), "{text}");
    assert!(text.contains("Rename it \"SMS consent\""), "{text}");
}
