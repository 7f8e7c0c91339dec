//! One CSV row at a time, into a reusable buffer.

use crate::ListOptions;
use crate::damage::Damage;
use crate::date_of_birth::{self, Date, DateShape};
use crate::mobile::{self, DramaMobile, MobileShape};
use crate::names::{Name, NameShape, push_name};
use crate::nhs::{self, NhsShape, TestNhsNumber, UniqueNhsNumbers, VALID_TEST_NUMBERS};
use crate::rng::SplitMix64;
use crate::text::push_csv_field;

const LINE_END: &[u8] = b"\r\n";

/// One row as written.
pub(crate) struct Written {
    /// How it was damaged, if it was.
    #[cfg_attr(not(test), expect(dead_code, reason = "the tests check each kind"))]
    pub(crate) damage: Option<Damage>,
    /// Rows it made not accepted: itself if damaged, and an earlier good row
    /// it takes back.
    pub(crate) not_accepted: u64,
    too_few_cells: bool,
    with_date_of_birth: bool,
}

impl Written {
    fn new(damage: Option<Damage>, not_accepted: u64) -> Self {
        Self {
            damage,
            not_accepted,
            too_few_cells: false,
            with_date_of_birth: false,
        }
    }
}

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
    practice_shapes: bool,
    extra_duplicates_per_million: u32,
    name_scratch: Vec<u8>,
    /// The columns in the order the current header wrote them.
    order: Vec<Column>,
    /// This row's cells, by [`Column`].
    cells: [Vec<u8>; Column::COUNT],
    /// Patients whose good row a later declining row took back.
    withdrawn: std::collections::HashSet<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    NhsNumber,
    Mobile,
    DateOfBirth,
    Name,
    NokName,
    Relationship,
    NokMobile,
    Consent,
}

impl Column {
    const COUNT: usize = 8;

    fn header(self) -> &'static [u8] {
        match self {
            Column::NhsNumber => b"NHS Number",
            Column::Mobile => b"Mobile Number",
            Column::DateOfBirth => b"Date of Birth",
            Column::Name => b"Patient Name",
            Column::NokName => b"NOK Name",
            Column::Relationship => b"Relationship",
            Column::NokMobile => b"NOK Mobile",
            Column::Consent => b"SMS Consent",
        }
    }
}

/// Share of rows, per thousand, with each practice shape.
const DECLINED_LATER_PER_THOUSAND: u32 = 10;
const INVISIBLE_NAME_PER_THOUSAND: u32 = 5;
const RELATIONSHIPS: [&[u8]; 6] = [
    b"Daughter",
    b"Son",
    b"Wife",
    b"Husband",
    b"Carer",
    b"Mother",
];

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
        let mut order = vec![
            Column::NhsNumber,
            Column::Mobile,
            Column::DateOfBirth,
            Column::Name,
        ];
        if options.practice_shapes {
            order.extend([Column::NokName, Column::Relationship, Column::NokMobile]);
        }
        if options.with_consent_column {
            order.push(Column::Consent);
        }
        Self {
            rng,
            nhs_numbers,
            recent: RecentPatients::new(),
            with_consent_column: options.with_consent_column,
            practice_shapes: options.practice_shapes,
            extra_duplicates_per_million: extra_duplicates_per_million(options.rows),
            name_scratch: Vec::with_capacity(64),
            order,
            cells: Default::default(),
            withdrawn: Default::default(),
        }
    }

    pub(crate) fn push_header(&self, buf: &mut Vec<u8>) {
        for (i, column) in self.order.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(column.header());
        }
        buf.extend_from_slice(LINE_END);
    }

    /// A second export pasted on: its header again, the patient's columns in
    /// another order, and the rows after it in that order.
    pub(crate) fn paste_second_export(&mut self, buf: &mut Vec<u8>) {
        let (patient, rest): (Vec<Column>, Vec<Column>) = self.order.iter().partition(|c| {
            !matches!(
                c,
                Column::NokName | Column::Relationship | Column::NokMobile
            )
        });
        self.order = patient.into_iter().rev().chain(rest).collect();
        self.push_header(buf);
    }

    /// What a clinical system's report prints under the last patient.
    pub(crate) fn push_footer(&self, buf: &mut Vec<u8>, rows: u64) {
        buf.extend_from_slice(format!("Total: {rows} patients").as_bytes());
        buf.extend_from_slice(LINE_END);
        buf.extend_from_slice(b"Report run by batchmsg generate");
        buf.extend_from_slice(LINE_END);
    }

    /// Appends one row and its line end.
    pub(crate) fn push_row(&mut self, buf: &mut Vec<u8>) -> Written {
        let mut cells = std::mem::take(&mut self.cells);
        cells.iter_mut().for_each(Vec::clear);
        let row = self.fill_cells(&mut cells);
        let written = if row.too_few_cells {
            if row.with_date_of_birth { 3 } else { 2 }
        } else {
            self.order.len()
        };
        for (i, column) in self.order[..written].iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(&cells[*column as usize]);
        }
        buf.extend_from_slice(LINE_END);
        self.cells = cells;
        row
    }

    fn fill_cells(&mut self, cells: &mut [Vec<u8>; Column::COUNT]) -> Written {
        let declined_later = self.declined_later();
        let (patient, damage) = match declined_later {
            Some(patient) => (patient, None),
            None => self.choose_patient_and_damage(),
        };

        self.push_nhs_cell(
            &mut cells[Column::NhsNumber as usize],
            patient.nhs_number,
            damage,
        );
        self.push_mobile_cell(&mut cells[Column::Mobile as usize], patient.mobile, damage);
        if damage == Some(Damage::TooFewCells) {
            let with_date_of_birth = self.rng.percent(50);
            if with_date_of_birth {
                self.push_date_of_birth_cell(
                    &mut cells[Column::DateOfBirth as usize],
                    patient.date_of_birth,
                    None,
                );
            }
            if self.practice_shapes {
                // In the pasted export's order these lead the row.
                self.push_name_cell(&mut cells[Column::Name as usize], patient.name);
                cells[Column::Consent as usize].extend_from_slice(b"Yes");
            }
            return Written {
                too_few_cells: true,
                with_date_of_birth,
                ..Written::new(damage, 1)
            };
        }
        self.push_date_of_birth_cell(
            &mut cells[Column::DateOfBirth as usize],
            patient.date_of_birth,
            damage,
        );
        self.push_name_cell(&mut cells[Column::Name as usize], patient.name);
        self.push_next_of_kin_cells(cells);
        if declined_later.is_some() {
            cells[Column::Consent as usize].extend_from_slice(b"Declined");
            let took_back = self.withdrawn.insert(patient.nhs_number.value());
            return Written::new(Some(Damage::DuplicatePatient), 1 + u64::from(took_back));
        }
        if self.with_consent_column {
            self.push_consent_cell(&mut cells[Column::Consent as usize], damage);
        }

        if damage.is_none() {
            self.recent.remember(patient);
        }
        Written::new(damage, u64::from(damage.is_some()))
    }

    /// With practice shapes and a consent column, now and then a patient
    /// listed earlier, declining this time.
    fn declined_later(&mut self) -> Option<Patient> {
        if !(self.practice_shapes && self.with_consent_column) {
            return None;
        }
        if self.rng.below(1000) >= DECLINED_LATER_PER_THOUSAND {
            return None;
        }
        self.recent.pick(&mut self.rng)
    }

    fn push_next_of_kin_cells(&mut self, cells: &mut [Vec<u8>; Column::COUNT]) {
        if !self.practice_shapes {
            return;
        }
        let relative = Name::random(&mut self.rng);
        push_name(
            &mut cells[Column::NokName as usize],
            relative,
            NameShape::GivenFamily,
        );
        cells[Column::Relationship as usize].extend_from_slice(self.rng.pick(&RELATIONSHIPS));
        mobile::push_mobile(
            &mut cells[Column::NokMobile as usize],
            DramaMobile::random(&mut self.rng),
            MobileShape::random(&mut self.rng),
        );
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
        if self.practice_shapes && self.rng.below(1000) < INVISIBLE_NAME_PER_THOUSAND {
            // A zero-width space: a cell that looks empty in a spreadsheet.
            buf.extend_from_slice("\u{200b}".as_bytes());
            return;
        }
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
