//! Which column holds what: forgiving header matching for SystmOne and EMIS
//! exports, and the placeholders of a message matched the same way.

use std::fmt;

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

/// The headers for an error message: `"NHS No" (column B), …`. A header that
/// holds a long number is data, not a name, and is not shown.
pub(crate) fn describe_headers(headers: &[Header]) -> String {
    let named: Vec<String> = headers
        .iter()
        .filter(|h| !h.text.is_empty())
        .map(|h| {
            if has_long_number(&h.text) {
                format!("a number (column {}, not shown)", column_letter(h.index))
            } else {
                h.to_string()
            }
        })
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
    /// An opt-out or dissent column: its yes means "do not text", the opposite
    /// of a consent column, so reading it either way could text a patient who declined.
    UnclearConsent(Header),
}

/// Header words that mean "do not text" when the value is yes.
const NEGATIVE_CONSENT_WORDS: [&str; 5] = ["optout", "optedout", "dissent", "donot", "declined"];

fn is_consent_column(normalised: &str) -> bool {
    Role::Consent.tier_of(normalised).is_some() || normalised.contains("consent")
}

fn is_negative_consent_column(normalised: &str) -> bool {
    Role::Consent.tier_of(normalised).is_none()
        && NEGATIVE_CONSENT_WORDS
            .iter()
            .any(|w| normalised.contains(w))
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
    pub consent: Vec<usize>,
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

impl ColumnMap {
    pub fn from_headers(headers: &[Header]) -> Result<Self, ColumnProblem> {
        let normalised: Vec<String> = headers.iter().map(|h| normalise_name(&h.text)).collect();
        let mut found = [None; 5];
        let mut missing = Vec::new();
        for (slot, role) in Role::ALL
            .into_iter()
            .filter(|r| *r != Role::Consent)
            .enumerate()
        {
            let best_tier = normalised.iter().filter_map(|n| role.tier_of(n)).min();
            let Some(tier) = best_tier else {
                if Role::REQUIRED.contains(&role) {
                    missing.push(role);
                }
                continue;
            };
            let in_tier: Vec<usize> = (0..headers.len())
                .filter(|&i| role.tier_of(&normalised[i]) == Some(tier))
                .collect();
            if in_tier.len() > 1 && Role::REQUIRED.contains(&role) {
                let twice = in_tier.iter().map(|&i| headers[i].clone()).collect();
                return Err(ColumnProblem::Twice(role, twice));
            }
            found[slot] = Some(in_tier[0]);
        }
        if !missing.is_empty() {
            return Err(ColumnProblem::Missing(missing));
        }
        if let Some(i) = normalised
            .iter()
            .position(|n| is_negative_consent_column(n))
        {
            return Err(ColumnProblem::UnclearConsent(headers[i].clone()));
        }
        let consent = (0..headers.len())
            .filter(|&i| is_consent_column(&normalised[i]))
            .collect();
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
        })
    }

    /// The column a placeholder refers to. `((name))` and the other name
    /// aliases are the name column (the one `accepted.csv` carries as `name`);
    /// otherwise a header with the same name, then a known role by its aliases.
    pub fn column_for_placeholder(&self, headers: &[Header], placeholder: &str) -> Option<usize> {
        let wanted = normalise_name(placeholder);
        if self.name.is_some() && Role::Name.tier_of(&wanted).is_some() {
            return self.name;
        }
        if let Some(h) = headers.iter().find(|h| normalise_name(&h.text) == wanted) {
            return Some(h.index);
        }
        Role::ALL
            .into_iter()
            .find(|role| role.tier_of(&wanted).is_some())
            .and_then(|role| self.column_of(role))
    }

    pub fn column_of(&self, role: Role) -> Option<usize> {
        match role {
            Role::NhsNumber => Some(self.nhs_number),
            Role::Mobile => Some(self.mobile),
            Role::DateOfBirth => Some(self.date_of_birth),
            Role::Name => self.name,
            Role::EmisNumber => self.emis_number,
            Role::Consent => self.consent.first().copied(),
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
        assert_eq!(m.column_for_placeholder(&headers, "clinic name"), Some(4));
        assert_eq!(m.column_for_placeholder(&headers, "Name"), Some(3));
        assert_eq!(m.column_for_placeholder(&headers, "first name"), Some(3));
        assert_eq!(m.column_for_placeholder(&headers, "appointment"), None);
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
        assert_eq!(m.consent, vec![1, 4]);
    }

    #[test]
    fn an_opt_out_column_is_a_problem_not_a_guess() {
        for header in ["SMS opt-out", "Text dissent", "Do not text"] {
            let Err(ColumnProblem::UnclearConsent(h)) =
                map(&["NHS Number", "Mobile", "DOB", header])
            else {
                panic!("{header} should be refused");
            };
            assert_eq!(h.index, 3);
        }
    }

    #[test]
    fn the_name_placeholder_is_the_name_column_even_beside_a_header_called_name() {
        let headers = headers_of(["Name", "NHS Number", "Forename", "Mobile", "DOB"]);
        let m = ColumnMap::from_headers(&headers).expect("maps");
        assert_eq!(m.name, Some(2));
        assert_eq!(m.column_for_placeholder(&headers, "name"), Some(2));
    }

    #[test]
    fn column_letters_follow_spreadsheets() {
        assert_eq!(
            [0, 25, 26, 51, 52, 701, 702].map(column_letter),
            ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"].map(String::from)
        );
    }
}
