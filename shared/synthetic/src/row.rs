//! One CSV row at a time, into a reusable buffer.

use crate::ListOptions;
use crate::damage::Damage;
use crate::date_of_birth::{self, Date, DateShape};
use crate::mobile::{self, DramaMobile, MobileShape};
use crate::names::{Name, NameShape, push_name};
use crate::nhs::{self, NhsShape, TestNhsNumber, UniqueNhsNumbers, VALID_TEST_NUMBERS};
use crate::rng::SplitMix64;
use crate::text::push_csv_field;

pub(crate) const HEADER: &[u8] = b"NHS Number,Mobile Number,Date of Birth,Patient Name";
pub(crate) const CONSENT_HEADER: &[u8] = b",SMS Consent";
const LINE_END: &[u8] = b"\r\n";

/// Everything true about one synthetic patient; a row writes it in some
/// shape, possibly with one piece damaged.
#[derive(Clone, Copy, Debug)]
struct Patient {
    nhs_number: TestNhsNumber,
    mobile: DramaMobile,
    date_of_birth: Date,
    name: Name,
}

/// How many earlier good patients a duplicate may copy.
const REMEMBERED_PATIENTS: usize = 256;

/// The most recent good patients, so that a duplicate row can repeat one.
struct RecentPatients {
    patients: Vec<Patient>,
    oldest: usize,
}

impl RecentPatients {
    fn new() -> Self {
        Self {
            patients: Vec::with_capacity(REMEMBERED_PATIENTS),
            oldest: 0,
        }
    }

    fn remember(&mut self, patient: Patient) {
        if self.patients.len() < REMEMBERED_PATIENTS {
            self.patients.push(patient);
        } else {
            self.patients[self.oldest] = patient;
            self.oldest = (self.oldest + 1) % REMEMBERED_PATIENTS;
        }
    }

    fn pick(&self, rng: &mut SplitMix64) -> Option<Patient> {
        (!self.patients.is_empty()).then(|| rng.pick(&self.patients))
    }
}

pub(crate) struct RowGenerator {
    rng: SplitMix64,
    nhs_numbers: UniqueNhsNumbers,
    recent: RecentPatients,
    with_consent_column: bool,
    extra_duplicates_per_million: u32,
    name_scratch: Vec<u8>,
}

/// Share of rows, per million, made duplicates on top of the usual damage so
/// that a long list does not run out of test-range NHS numbers.
///
/// Nearly every row needs a fresh number; keeping the expected need within
/// 97% of the range leaves room for chance. Lists up to about 880,000 rows
/// need no extra duplicates.
fn extra_duplicates_per_million(rows: u64) -> u32 {
    let budget = VALID_TEST_NUMBERS * 97 / 100;
    if rows <= budget {
        0
    } else {
        1_000_000 - (budget * 1_000_000 / rows) as u32
    }
}

impl RowGenerator {
    pub(crate) fn new(options: &ListOptions) -> Self {
        let mut rng = SplitMix64::new(options.seed);
        let nhs_numbers = UniqueNhsNumbers::new(&mut rng);
        Self {
            rng,
            nhs_numbers,
            recent: RecentPatients::new(),
            with_consent_column: options.with_consent_column,
            extra_duplicates_per_million: extra_duplicates_per_million(options.rows),
            name_scratch: Vec::with_capacity(64),
        }
    }

    pub(crate) fn push_header(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(HEADER);
        if self.with_consent_column {
            buf.extend_from_slice(CONSENT_HEADER);
        }
        buf.extend_from_slice(LINE_END);
    }

    /// Appends one row and its line end; returns how it was damaged, if it was.
    pub(crate) fn push_row(&mut self, buf: &mut Vec<u8>) -> Option<Damage> {
        let (patient, damage) = self.choose_patient_and_damage();

        self.push_nhs_cell(buf, patient.nhs_number, damage);
        buf.push(b',');
        self.push_mobile_cell(buf, patient.mobile, damage);
        if damage == Some(Damage::TooFewCells) {
            if self.rng.percent(50) {
                buf.push(b',');
                self.push_date_of_birth_cell(buf, patient.date_of_birth, None);
            }
            buf.extend_from_slice(LINE_END);
            return damage;
        }
        buf.push(b',');
        self.push_date_of_birth_cell(buf, patient.date_of_birth, damage);
        buf.push(b',');
        self.push_name_cell(buf, patient.name);
        if self.with_consent_column {
            buf.push(b',');
            self.push_consent_cell(buf, damage);
        }
        buf.extend_from_slice(LINE_END);

        if damage.is_none() {
            self.recent.remember(patient);
        }
        damage
    }

    fn choose_patient_and_damage(&mut self) -> (Patient, Option<Damage>) {
        let damage = if self.extra_duplicates_per_million > 0
            && self.rng.below(1_000_000) < self.extra_duplicates_per_million
        {
            Some(Damage::DuplicatePatient)
        } else {
            Damage::random(&mut self.rng, self.with_consent_column)
        };
        if damage == Some(Damage::DuplicatePatient) {
            return match self.recent.pick(&mut self.rng) {
                Some(earlier) => (earlier, damage),
                // The first rows have no one to repeat; they stay good.
                None => (
                    self.new_patient().expect("the first rows have numbers"),
                    None,
                ),
            };
        }
        match self.new_patient() {
            Some(patient) => (patient, damage),
            // The test range is used up: repeat someone, and say so.
            None => (
                self.recent
                    .pick(&mut self.rng)
                    .expect("hundreds of thousands of good rows came first"),
                Some(Damage::DuplicatePatient),
            ),
        }
    }

    /// A patient with an NHS number no earlier row had, while the range lasts.
    fn new_patient(&mut self) -> Option<Patient> {
        Some(Patient {
            nhs_number: self.nhs_numbers.next_number()?,
            mobile: DramaMobile::random(&mut self.rng),
            date_of_birth: Date::random_birth(&mut self.rng),
            name: Name::random(&mut self.rng),
        })
    }

    fn push_nhs_cell(&mut self, buf: &mut Vec<u8>, number: TestNhsNumber, damage: Option<Damage>) {
        let rng = &mut self.rng;
        match damage {
            Some(Damage::NhsCheckDigitWrong) => nhs::push_wrong_check_digit(buf, number, rng),
            Some(Damage::NhsSpreadsheetScientific) => nhs::push_spreadsheet_scientific(buf, number),
            Some(Damage::NhsTooShort) => nhs::push_too_short(buf, number),
            Some(Damage::NhsContainsLetter) => nhs::push_with_letter(buf, number, rng),
            Some(Damage::NhsMissing) => {}
            _ => nhs::push_nhs(buf, number.value(), NhsShape::random(rng)),
        }
    }

    fn push_mobile_cell(&mut self, buf: &mut Vec<u8>, number: DramaMobile, damage: Option<Damage>) {
        let rng = &mut self.rng;
        match damage {
            Some(Damage::MobileLandline) => mobile::push_landline(buf, number),
            Some(Damage::MobileForeign) => mobile::push_foreign(buf, rng),
            Some(Damage::MobileTooShort) => mobile::push_too_short(buf, number, rng),
            Some(Damage::MobileTooLong) => mobile::push_too_long(buf, number, rng),
            Some(Damage::MobileContainsLetters) => mobile::push_with_letters(buf, number, rng),
            Some(Damage::MobileMissing) => {}
            _ => mobile::push_mobile(buf, number, MobileShape::random(rng)),
        }
    }

    fn push_date_of_birth_cell(&mut self, buf: &mut Vec<u8>, date: Date, damage: Option<Damage>) {
        let rng = &mut self.rng;
        match damage {
            Some(Damage::DobImpossible) => date_of_birth::push_impossible(buf, date, rng),
            Some(Damage::DobInFuture) => date_of_birth::push_in_future(buf, rng),
            Some(Damage::DobTwoDigitYear) => date_of_birth::push_two_digit_year(buf, date),
            Some(Damage::DobMonthFirst) => date_of_birth::push_us_order(buf, date, rng),
            Some(Damage::DobMissing) => {}
            _ => date_of_birth::push_date(buf, date, DateShape::random(rng)),
        }
    }

    fn push_name_cell(&mut self, buf: &mut Vec<u8>, name: Name) {
        self.name_scratch.clear();
        push_name(
            &mut self.name_scratch,
            name,
            NameShape::random(&mut self.rng),
        );
        push_csv_field(buf, &self.name_scratch);
    }

    fn push_consent_cell(&mut self, buf: &mut Vec<u8>, damage: Option<Damage>) {
        let consent: &[u8] = if damage == Some(Damage::ConsentWithheld) {
            self.rng.pick(&[&b"Declined"[..], b"Dissent", b"No"])
        } else if self.rng.percent(75) {
            b"Yes"
        } else {
            b""
        };
        buf.extend_from_slice(consent);
    }
}
