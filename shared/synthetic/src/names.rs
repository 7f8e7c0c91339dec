//! Patient names: common UK given and family names, with the accents,
//! apostrophes and hyphens that trip up SMS encodings and CSV handling.

use crate::rng::SplitMix64;
use crate::text::push_uppercase;

const GIVEN_NAMES: &[&str] = &[
    "Oliver",
    "Amelia",
    "George",
    "Olivia",
    "Harry",
    "Isla",
    "Jack",
    "Emily",
    "Mohammed",
    "Ava",
    "Noah",
    "Sophie",
    "Arthur",
    "Grace",
    "Muhammad",
    "Freya",
    "Leo",
    "Aisha",
    "Oscar",
    "Priya",
    "Thomas",
    "Fatima",
    "James",
    "Ngozi",
    "Daniel",
    "Mei",
    "Rhys",
    "Aoife",
    "Callum",
    "Eilidh",
    "Margaret",
    "Dorothy",
    "Kenneth",
    "Brian",
    "Zoë",
    "Łukasz",
    "Siobhán",
    "Ana-María",
    "Chloé",
    "Seán",
    "Björn",
    "Małgorzata",
    "François",
    "Noémie",
    "Zoltán",
    "José",
    "Renée",
    "Søren",
];

const FAMILY_NAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Johnson",
    "Lewis",
    "Walker",
    "Robinson",
    "Wright",
    "Thompson",
    "White",
    "Hughes",
    "Khan",
    "Patel",
    "Ahmed",
    "Singh",
    "Begum",
    "Hussain",
    "Okafor",
    "Nguyen",
    "Chen",
    "Kowalski",
    "Nowak",
    "MacDonald",
    "McLeod",
    "Smith-Jones",
    "O'Brien",
    "O'Connor",
    "D'Souza",
    "Wiśniewski",
    "Núñez",
    "Müller",
    "García",
    "Ó Súilleabháin",
    "Çelik",
    "Łowicki",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Name {
    given: u8,
    family: u8,
}

impl Name {
    pub(crate) fn random(rng: &mut SplitMix64) -> Self {
        Self {
            given: rng.below(GIVEN_NAMES.len() as u32) as u8,
            family: rng.below(FAMILY_NAMES.len() as u32) as u8,
        }
    }

    fn given(self) -> &'static str {
        GIVEN_NAMES[usize::from(self.given)]
    }

    fn family(self) -> &'static str {
        FAMILY_NAMES[usize::from(self.family)]
    }
}

/// How the name column is laid out.
#[derive(Clone, Copy)]
pub(crate) enum NameShape {
    /// `Joe Bloggs`
    GivenFamily,
    /// `BLOGGS, Joe`, as SystmOne and EMIS list patients.
    FamilyUpperCommaGiven,
    /// `Bloggs, Joe`
    FamilyCommaGiven,
}

impl NameShape {
    pub(crate) fn random(rng: &mut SplitMix64) -> Self {
        rng.pick_weighted(&[
            (80, Self::GivenFamily),
            (15, Self::FamilyUpperCommaGiven),
            (5, Self::FamilyCommaGiven),
        ])
    }
}

/// Appends the name unquoted; the caller quotes the cell if it needs it.
pub(crate) fn push_name(buf: &mut Vec<u8>, name: Name, shape: NameShape) {
    match shape {
        NameShape::GivenFamily => {
            buf.extend_from_slice(name.given().as_bytes());
            buf.push(b' ');
            buf.extend_from_slice(name.family().as_bytes());
        }
        NameShape::FamilyUpperCommaGiven | NameShape::FamilyCommaGiven => {
            if matches!(shape, NameShape::FamilyUpperCommaGiven) {
                push_uppercase(buf, name.family());
            } else {
                buf.extend_from_slice(name.family().as_bytes());
            }
            buf.extend_from_slice(b", ");
            buf.extend_from_slice(name.given().as_bytes());
        }
    }
}
