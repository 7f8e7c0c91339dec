//! Which column holds what: forgiving header matching for SystmOne and EMIS
//! exports, and the placeholders of a message matched the same way. A column
//! is read by its own header and the group over it; a next of kin's, carer's
//! or relative's column, or one under a heading that is not recognisably the
//! patient's own, is never the patient's ([`owner`]), and a consent
//! column's meaning comes from its whole name ([`consent_header`]). Where
//! columns cannot be told apart the answer is a problem to report, never a pick.

mod consent_header;
#[cfg(test)]
mod consent_header_tests;
#[cfg(test)]
mod heading_owner_tests;
mod owner;
#[cfg(test)]
mod owner_tests;
#[cfg(test)]
mod placeholder_tests;
#[cfg(test)]
mod round3_tests;
#[cfg(test)]
mod sms_column_tests;
mod words;

use std::fmt;

pub use consent_header::{ConsentHeader, consent_header};
use owner::{Owner, is_relationship, names_someone_else, owner_by_name};
pub(crate) use owner::{heading_names_someone_else, under_other_heading};
pub(crate) use words::Words;

use crate::consent::YesMeans;

/// A header or placeholder name reduced to what matters: letters and digits,
/// lower case. "NHS Number", "nhs_number", "\u{feff}NHS-No." all compare equal
/// to their alias.
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    NhsNumber,
    Mobile,
    DateOfBirth,
    Name,
    EmisNumber,
    Consent,
}

impl Role {
    pub const REQUIRED: [Role; 3] = [Role::NhsNumber, Role::Mobile, Role::DateOfBirth];
    const ALL: [Role; 6] = [
        Role::NhsNumber,
        Role::Mobile,
        Role::DateOfBirth,
        Role::Name,
        Role::EmisNumber,
        Role::Consent,
    ];

    /// Accepted header names, normalised, best tier first. Within a role, a
    /// column from an earlier tier wins over one from a later tier.
    fn tiers(self) -> &'static [&'static [&'static str]] {
        match self {
            Role::NhsNumber => &[&[
                "nhsnumber",
                "nhsno",
                "nhs",
                "nhsnum",
                "patientnhsnumber",
                "nhsnumberpatient",
            ]],
            Role::Mobile => &[
                &[
                    "mobilenumber",
                    "mobile",
                    "mobiletelephone",
                    "mobiletelephonenumber",
                    "mobilephone",
                    "mobilephonenumber",
                    "mobileno",
                    "mobiletel",
                    "smsnumber",
                    "patientmobile",
                    "patientmobilenumber",
                ],
                &[
                    "telecomnumber",
                    "phonenumber",
                    "phone",
                    "telephonenumber",
                    "telephone",
                    "phoneno",
                ],
            ],
            Role::DateOfBirth => &[&[
                "dateofbirth",
                "dob",
                "birthdate",
                "dateofbirthddmmyyyy",
                "patientdob",
                "patientdateofbirth",
            ]],
            Role::Name => &[
                &["preferredname", "knownas", "preferredforename"],
                &[
                    "forename",
                    "forenames",
                    "firstname",
                    "givenname",
                    "givennames",
                ],
                &["name", "patientname", "fullname", "patient"],
            ],
            Role::EmisNumber => &[&["emisnumber", "emisno", "emispatientnumber", "emisid"]],
            Role::Consent => &[&[
                "smsconsent",
                "consent",
                "consenttosms",
                "textconsent",
                "smsconsentstatus",
                "consenttotext",
                "consenttext",
                "textmessageconsent",
                "consentsms",
            ]],
        }
    }

    fn tier_of(self, normalised: &str) -> Option<usize> {
        self.tiers()
            .iter()
            .position(|tier| tier.contains(&normalised))
    }

    /// The role a header or placeholder name means, if it names one
    /// ("forename" is the name, "DOB" the date of birth).
    pub fn named(name: &str) -> Option<Role> {
        let normalised = normalise_name(name);
        Role::ALL
            .into_iter()
            .find(|role| role.tier_of(&normalised).is_some())
    }

    pub fn describe(self) -> &'static str {
        match self {
            Role::NhsNumber => "NHS number",
            Role::Mobile => "mobile number",
            Role::DateOfBirth => "date of birth",
            Role::Name => "name",
            Role::EmisNumber => "EMIS number",
            Role::Consent => "SMS consent",
        }
    }
}

/// Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// A header as the user wrote it, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub index: usize,
    pub text: String,
    /// The header above it in a two-row header, or the merged cell over it
    /// ("Next of Kin" over "Mobile", "Telephone" over "Home").
    pub group: Option<String>,
}

impl Header {
    /// The name a person reads: the group and the header ("Next of Kin Mobile").
    pub fn full_name(&self) -> String {
        match &self.group {
            Some(group) if !group.is_empty() => format!("{group} {}", self.text),
            _ => self.text.clone(),
        }
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}\" (column {})",
            self.full_name(),
            column_letter(self.index)
        )
    }
}

/// Six digits or more: an NHS number, a phone number or a date, never a column name.
pub(crate) fn has_long_number(text: &str) -> bool {
    text.bytes().filter(u8::is_ascii_digit).count() >= 6
}

/// A header for an error message: `"NHS No" (column B)`. A header that holds
/// a long number is data, not a name, and is not shown.
pub(crate) fn describe_header(header: &Header) -> String {
    if has_long_number(&header.full_name()) {
        format!(
            "a number (column {}, not shown)",
            column_letter(header.index)
        )
    } else {
        header.to_string()
    }
}

/// Headers as alternatives: `"Mobile" (column D) or "Mobile" (column H)`.
pub(crate) fn join_or(headers: &[Header]) -> String {
    let named: Vec<String> = headers.iter().map(describe_header).collect();
    match named.as_slice() {
        [init @ .., last] if !init.is_empty() => format!("{} or {last}", init.join(", ")),
        _ => named.concat(),
    }
}

/// The headers for an error message: `"NHS No" (column B), …`.
pub(crate) fn describe_headers(headers: &[Header]) -> String {
    let named: Vec<String> = headers
        .iter()
        .filter(|h| !h.text.is_empty())
        .map(describe_header)
        .collect();
    if named.is_empty() {
        "none".to_owned()
    } else {
        named.join(", ")
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum ColumnProblem {
    Missing(Vec<Role>),
    Twice(Role, Vec<Header>),
    /// A column about texting whose name does not say whether its yes means
    /// "may text" or "do not text".
    UnclearConsent(Header),
    /// A consent column under a heading that does not say it is the
    /// patient's ("Contact details", "GP practice"): its declines may be
    /// the patient's, or someone else's.
    WhoseConsent(Header),
    /// The patient's own mobile cannot be told apart: several columns could
    /// be it (`candidates`), or the only mobiles are someone else's
    /// (`others`: a next of kin's, carer's, relative's, or under a heading
    /// that does not say it is the patient's).
    WhichMobile {
        candidates: Vec<Header>,
        others: Vec<Header>,
    },
}

/// Why a placeholder has no one column.
#[derive(Debug, PartialEq, Eq)]
pub enum PlaceholderProblem {
    NoColumn,
    /// Columns named alike that cannot be told apart ("Forename" twice:
    /// the patient's and a carer's; "Appointment Date" and "Appointment_Date").
    Twice(Vec<Header>),
    /// The only columns of that name are someone else's ("Mobile" under
    /// "Next of Kin"), and the placeholder does not say it means them.
    SomeoneElses(Vec<Header>),
}

/// A column holding SMS consent, and which way round it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentColumn {
    pub index: usize,
    pub yes_means: YesMeans,
}

/// Where each known role sits in the header row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pub nhs_number: usize,
    pub mobile: usize,
    pub date_of_birth: usize,
    pub name: Option<usize>,
    pub emis_number: Option<usize>,
    /// Every consent column: a patient declined in any of them is not texted.
    pub consent: Vec<ConsentColumn>,
    /// An optional role found in several columns that cannot be told apart
    /// (two "Forename" columns: the patient's and a carer's). The role then
    /// has no column, and a placeholder asking for it stops the run.
    pub unclear: Vec<(Role, Vec<Header>)>,
}

fn trimmed_header(text: &str) -> &str {
    text.trim_start_matches('\u{feff}').trim()
}

/// The header row's texts, BOM and surrounding spaces removed.
pub fn headers_of<'a>(cells: impl IntoIterator<Item = &'a str>) -> Vec<Header> {
    cells
        .into_iter()
        .enumerate()
        .map(|(index, text)| Header {
            index,
            text: trimmed_header(text).to_owned(),
            group: None,
        })
        .collect()
}

/// "Patient Details NHS Number" → "nhsnumber", "Patient's Mobile" →
/// "mobile": EMIS writes the patient's own group into the name. A name that
/// is nothing but the prefix ("Patient") is left as it is.
fn without_patient_prefix(text: &str) -> String {
    let words = Words::of(text);
    let all = words.all();
    let mut start = 0;
    if all
        .first()
        .is_some_and(|w| matches!(w.as_str(), "patient" | "patients" | "pt"))
    {
        start = 1;
        if all
            .get(1)
            .is_some_and(|w| matches!(w.as_str(), "details" | "detail"))
        {
            start = 2;
        }
    }
    if start == all.len() {
        start = 0;
    }
    all[start..].concat()
}

/// What the header row says about one column.
struct ColumnFacts {
    /// Its own header, its full name (with the group), and its own header
    /// without a leading "Patient Details" or "Patient", normalised.
    names: [String; 3],
    owner: Owner,
    consent: Option<ConsentHeader>,
    /// Holds a phone number of some kind.
    phone: bool,
    /// Holds a mobile number in particular.
    mobile: bool,
}

impl ColumnFacts {
    fn of(header: &Header) -> Self {
        let full_name = header.full_name();
        let names = [
            normalise_name(&header.text),
            normalise_name(&full_name),
            without_patient_prefix(&header.text),
        ];
        let words = Words::of(&full_name);
        let mobile = names.iter().any(|n| Role::Mobile.tier_of(n) == Some(0))
            || words.has_stem(&["mobile", "cell"]);
        let phone = mobile
            || names.iter().any(|n| Role::Mobile.tier_of(n).is_some())
            || words
                .all()
                .iter()
                .any(|w| w.starts_with("tel") || w.contains("phone"));
        Self {
            names,
            owner: owner_by_name(header),
            consent: consent_header(&full_name),
            phone,
            mobile,
        }
    }

    /// Not the patient's: someone else's, or under a heading that does not
    /// say it is the patient's.
    fn not_patients(&self) -> bool {
        matches!(self.owner, Owner::SomeoneElse | Owner::OtherHeading)
    }

    /// Named as a name ("Name", "Forename"), whoever's it is.
    fn is_name(&self) -> bool {
        self.consent.is_none() && self.names.iter().any(|n| Role::Name.tier_of(n).is_some())
    }

    /// The role's tier for this column, if it may hold the patient's `role`.
    fn tier(&self, role: Role) -> Option<usize> {
        if self.not_patients() || self.consent.is_some() {
            return None;
        }
        self.names.iter().filter_map(|n| role.tier_of(n)).min()
    }
}

/// A phone column is someone else's when it comes right after a column
/// naming them ("Next of Kin, Mobile", "Carer Name, Mobile"), or after such a
/// column and one name column ("Relationship, Name, Mobile": the name is
/// theirs too), or right before a "Relationship" column.
fn mark_phones_beside_someone_else(headers: &[Header], facts: &mut [ColumnFacts]) {
    let naming =
        |i: usize| facts[i].consent.is_none() && !facts[i].phone && names_someone_else(&headers[i]);
    let mut theirs = Vec::new();
    for j in (0..headers.len()).filter(|&j| facts[j].phone) {
        if j >= 1 && naming(j - 1) {
            theirs.push(j);
        } else if j >= 2 && naming(j - 2) && facts[j - 1].is_name() {
            theirs.extend([j - 1, j]);
        } else if headers.get(j + 1).is_some_and(is_relationship) {
            theirs.push(j);
        }
    }
    for j in theirs {
        if facts[j].owner == Owner::Unstated && facts[j].consent.is_none() {
            facts[j].owner = Owner::SomeoneElse;
        }
    }
}

impl ColumnMap {
    pub fn from_headers(headers: &[Header]) -> Result<Self, ColumnProblem> {
        let mut facts: Vec<ColumnFacts> = headers.iter().map(ColumnFacts::of).collect();
        mark_phones_beside_someone_else(headers, &mut facts);
        let others_mobiles: Vec<Header> = (0..headers.len())
            .filter(|&i| facts[i].not_patients() && facts[i].mobile)
            .map(|i| headers[i].clone())
            .collect();

        let mut found = [None; 5];
        let mut missing = Vec::new();
        let mut unclear = Vec::new();
        for (slot, role) in Role::ALL
            .into_iter()
            .filter(|r| *r != Role::Consent)
            .enumerate()
        {
            let best_tier = facts.iter().filter_map(|f| f.tier(role)).min();
            let Some(tier) = best_tier else {
                if Role::REQUIRED.contains(&role) {
                    missing.push(role);
                }
                continue;
            };
            let mut in_tier: Vec<usize> = (0..headers.len())
                .filter(|&i| facts[i].tier(role) == Some(tier))
                .collect();
            let patients: Vec<usize> = in_tier
                .iter()
                .copied()
                .filter(|&i| facts[i].owner == Owner::Patient)
                .collect();
            if in_tier.len() > 1 && patients.len() == 1 {
                in_tier = patients;
            }
            let columns = || in_tier.iter().map(|&i| headers[i].clone()).collect();
            if role == Role::Mobile {
                let general_phone = tier > 0;
                if in_tier.len() > 1 || (general_phone && !others_mobiles.is_empty()) {
                    return Err(ColumnProblem::WhichMobile {
                        candidates: columns(),
                        others: if in_tier.len() > 1 {
                            Vec::new()
                        } else {
                            others_mobiles
                        },
                    });
                }
            }
            if in_tier.len() > 1 {
                if Role::REQUIRED.contains(&role) {
                    return Err(ColumnProblem::Twice(role, columns()));
                }
                unclear.push((role, columns()));
                continue;
            }
            found[slot] = Some(in_tier[0]);
        }
        if missing == [Role::Mobile] && !others_mobiles.is_empty() {
            return Err(ColumnProblem::WhichMobile {
                candidates: Vec::new(),
                others: others_mobiles,
            });
        }
        if !missing.is_empty() {
            return Err(ColumnProblem::Missing(missing));
        }
        let mut consent = Vec::new();
        for (i, f) in facts.iter().enumerate() {
            // A consent column naming someone else ("SMS consent (patient or
            // carer)", "Parent/guardian SMS consent", even "NOK SMS consent")
            // is read all the same: its declines may be the patient's, and
            // not texting is the safe side.
            if f.consent == Some(ConsentHeader::NotSms) {
                continue;
            }
            if f.owner == Owner::OtherHeading && f.consent.is_some() {
                return Err(ColumnProblem::WhoseConsent(headers[i].clone()));
            }
            match f.consent {
                Some(ConsentHeader::Consent) => consent.push(ConsentColumn {
                    index: i,
                    yes_means: YesMeans::MayText,
                }),
                Some(ConsentHeader::OppositeWay) => consent.push(ConsentColumn {
                    index: i,
                    yes_means: YesMeans::DoNotText,
                }),
                Some(ConsentHeader::Unclear) => {
                    return Err(ColumnProblem::UnclearConsent(headers[i].clone()));
                }
                Some(ConsentHeader::NotSms) | None => {}
            }
        }
        let [
            Some(nhs_number),
            Some(mobile),
            Some(date_of_birth),
            name,
            emis_number,
        ] = found
        else {
            unreachable!("required roles were checked above");
        };
        Ok(Self {
            nhs_number,
            mobile,
            date_of_birth,
            name,
            emis_number,
            consent,
            unclear,
        })
    }

    /// The column a placeholder refers to. `((name))` and the other name
    /// aliases are the name column (the one `accepted.csv` carries as `name`);
    /// otherwise the one header of that name (its own or with its group), then
    /// a known role by its aliases. Columns named alike that cannot be told
    /// apart are a problem, never a pick; so is a placeholder that would be
    /// filled from someone else's column without naming them.
    pub fn column_for_placeholder(
        &self,
        headers: &[Header],
        placeholder: &str,
    ) -> Result<usize, PlaceholderProblem> {
        let wanted = normalise_name(placeholder);
        let role = Role::ALL
            .into_iter()
            .find(|role| role.tier_of(&wanted).is_some());
        if role == Some(Role::Name)
            && let Some(name) = self.name
        {
            return Ok(name);
        }
        if let Some(twice) = role.and_then(|r| self.unclear_columns(r)) {
            return Err(PlaceholderProblem::Twice(twice.to_vec()));
        }
        let by_full_name = |h: &&Header| normalise_name(&h.full_name()) == wanted;
        let by_own_name = |h: &&Header| normalise_name(&h.text) == wanted;
        let mut same: Vec<&Header> = headers
            .iter()
            .filter(|h| {
                by_full_name(h)
                    || (by_own_name(h)
                        && match owner_by_name(h) {
                            Owner::SomeoneElse => false,
                            // A role's placeholder is the patient's detail.
                            Owner::OtherHeading => role.is_none(),
                            Owner::Patient | Owner::Unstated => true,
                        })
            })
            .collect();
        if same.len() > 1
            && let Some(i) = role.and_then(|r| self.column_of(r))
            && same.iter().any(|h| h.index == i)
        {
            return Ok(i);
        }
        match same.len() {
            1 => return Ok(same[0].index),
            0 => {}
            _ => {
                same.sort_by_key(|h| h.index);
                return Err(PlaceholderProblem::Twice(
                    same.into_iter().cloned().collect(),
                ));
            }
        }
        if let Some(i) = role.and_then(|r| self.column_of(r)) {
            return Ok(i);
        }
        let someone_elses: Vec<Header> = headers.iter().filter(by_own_name).cloned().collect();
        if someone_elses.is_empty() {
            Err(PlaceholderProblem::NoColumn)
        } else {
            Err(PlaceholderProblem::SomeoneElses(someone_elses))
        }
    }

    /// The columns an optional role was found in, when they cannot be told apart.
    pub fn unclear_columns(&self, role: Role) -> Option<&[Header]> {
        self.unclear
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, columns)| columns.as_slice())
    }

    pub fn column_of(&self, role: Role) -> Option<usize> {
        match role {
            Role::NhsNumber => Some(self.nhs_number),
            Role::Mobile => Some(self.mobile),
            Role::DateOfBirth => Some(self.date_of_birth),
            Role::Name => self.name,
            Role::EmisNumber => self.emis_number,
            Role::Consent => self.consent.first().map(|c| c.index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(headers: &[&str]) -> Result<ColumnMap, ColumnProblem> {
        ColumnMap::from_headers(&headers_of(headers.iter().copied()))
    }

    #[test]
    fn systmone_export_headers() {
        let m = map(&[
            "NHS Number",
            "Patient Name",
            "Date of Birth",
            "Telecom Number",
        ])
        .expect("maps");
        assert_eq!(
            (m.nhs_number, m.name, m.date_of_birth, m.mobile),
            (0, Some(1), 2, 3)
        );
    }

    #[test]
    fn emis_export_headers() {
        let m = map(&[
            "EMIS Number",
            "Forename",
            "Surname",
            "DOB",
            "NHS No",
            "Home Telephone",
            "Mobile Telephone",
        ])
        .expect("maps");
        assert_eq!(m.emis_number, Some(0));
        assert_eq!(m.name, Some(1));
        assert_eq!(m.date_of_birth, 3);
        assert_eq!(m.nhs_number, 4);
        assert_eq!(m.mobile, 6);
    }

    #[test]
    fn matching_ignores_case_spaces_underscores_hyphens_and_bom() {
        let m = map(&["\u{feff}nhs_number", "MOBILE-NUMBER", " date of birth "]).expect("maps");
        assert_eq!((m.nhs_number, m.mobile, m.date_of_birth), (0, 1, 2));
    }

    #[test]
    fn a_mobile_column_wins_over_a_general_phone_column() {
        let m = map(&["NHS Number", "Phone number", "DOB", "Mobile Number"]).expect("maps");
        assert_eq!(m.mobile, 3);
    }

    #[test]
    fn preferred_name_wins_over_forename_and_full_name() {
        let m = map(&[
            "Patient Name",
            "NHS Number",
            "Forename",
            "Mobile",
            "DOB",
            "Preferred Name",
        ])
        .expect("maps");
        assert_eq!(m.name, Some(5));
    }

    #[test]
    fn names_every_missing_required_column() {
        assert_eq!(
            map(&["NHS Number", "Name"]),
            Err(ColumnProblem::Missing(vec![
                Role::Mobile,
                Role::DateOfBirth
            ]))
        );
    }

    #[test]
    fn a_required_column_twice_is_a_problem() {
        let Err(ColumnProblem::Twice(Role::NhsNumber, twice)) =
            map(&["NHS Number", "Mobile", "DOB", "NHS No"])
        else {
            panic!("expected the NHS number column twice");
        };
        assert_eq!(
            twice.iter().map(|h| h.index).collect::<Vec<_>>(),
            vec![0, 3]
        );
    }

    #[test]
    fn placeholders_match_headers_then_roles() {
        let headers = headers_of(["NHS Number", "Mobile", "DOB", "Forename", "Clinic_Name"]);
        let m = ColumnMap::from_headers(&headers).expect("maps");
        assert_eq!(m.column_for_placeholder(&headers, "clinic name"), Ok(4));
        assert_eq!(m.column_for_placeholder(&headers, "Name"), Ok(3));
        assert_eq!(m.column_for_placeholder(&headers, "first name"), Ok(3));
        assert_eq!(
            m.column_for_placeholder(&headers, "appointment"),
            Err(PlaceholderProblem::NoColumn)
        );
    }

    #[test]
    fn every_consent_column_is_read_however_it_is_named() {
        let m = map(&[
            "NHS Number",
            "SMS Consent",
            "Mobile",
            "DOB",
            "Consent to SMS messaging",
        ])
        .expect("maps");
        assert_eq!(
            m.consent.iter().map(|c| c.index).collect::<Vec<_>>(),
            vec![1, 4]
        );
    }

    #[test]
    fn an_opt_out_column_is_read_the_other_way_round() {
        for header in ["SMS opt-out", "Text dissent", "Do not text"] {
            let m = map(&["NHS Number", "Mobile", "DOB", header]).expect("maps");
            assert_eq!(
                m.consent,
                vec![ConsentColumn {
                    index: 3,
                    yes_means: YesMeans::DoNotText
                }],
                "{header}"
            );
        }
    }

    #[test]
    fn the_name_placeholder_is_the_name_column_even_beside_a_header_called_name() {
        let headers = headers_of(["Name", "NHS Number", "Forename", "Mobile", "DOB"]);
        let m = ColumnMap::from_headers(&headers).expect("maps");
        assert_eq!(m.name, Some(2));
        assert_eq!(m.column_for_placeholder(&headers, "name"), Ok(2));
    }

    #[test]
    fn column_letters_follow_spreadsheets() {
        assert_eq!(
            [0, 25, 26, 51, 52, 701, 702].map(column_letter),
            ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"].map(String::from)
        );
    }
}
