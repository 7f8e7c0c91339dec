//! Mobile numbers from Ofcom's drama range `07700 900000`–`07700 900999`
//! only; damaged ones use other ranges Ofcom or foreign regulators keep for
//! fiction. With a thousand numbers to go round, families sharing a mobile
//! happen naturally, as they do in real lists.

use crate::rng::SplitMix64;
use crate::text::push_number;

/// The last three digits of `07700 900xxx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DramaMobile(u16);

impl DramaMobile {
    pub(crate) fn random(rng: &mut SplitMix64) -> Self {
        Self(rng.below(1000) as u16)
    }

    fn last_three(self) -> u64 {
        u64::from(self.0)
    }
}

/// The shapes a good mobile number turns up in.
#[derive(Clone, Copy)]
pub(crate) enum MobileShape {
    /// `07700 900123`
    NationalSpaced,
    /// `07700900123`
    National,
    /// `+447700900123`
    International,
    /// `+44 7700 900123`
    InternationalSpaced,
    /// `447700900123`
    InternationalNoPlus,
    /// `+44 (0)7700 900123`
    InternationalWithTrunkZero,
    /// `7700900123`: a spreadsheet dropped the leading zero.
    LeadingZeroDropped,
    /// `(07700) 900123`
    BracketedPrefix,
    /// `0044 7700 900123`
    InternationalDialling,
}

impl MobileShape {
    pub(crate) fn random(rng: &mut SplitMix64) -> Self {
        rng.pick_weighted(&[
            (40, Self::NationalSpaced),
            (25, Self::National),
            (8, Self::International),
            (7, Self::InternationalSpaced),
            (4, Self::InternationalNoPlus),
            (4, Self::InternationalWithTrunkZero),
            (5, Self::LeadingZeroDropped),
            (3, Self::BracketedPrefix),
            (4, Self::InternationalDialling),
        ])
    }

    fn prefix(self) -> &'static [u8] {
        match self {
            Self::NationalSpaced => b"07700 900",
            Self::National => b"07700900",
            Self::International => b"+447700900",
            Self::InternationalSpaced => b"+44 7700 900",
            Self::InternationalNoPlus => b"447700900",
            Self::InternationalWithTrunkZero => b"+44 (0)7700 900",
            Self::LeadingZeroDropped => b"7700900",
            Self::BracketedPrefix => b"(07700) 900",
            Self::InternationalDialling => b"0044 7700 900",
        }
    }
}

pub(crate) fn push_mobile(buf: &mut Vec<u8>, mobile: DramaMobile, shape: MobileShape) {
    buf.extend_from_slice(shape.prefix());
    push_number(buf, mobile.last_three(), 3);
}

/// A landline from Ofcom's drama range for Sunderland, `01632 960000`–`960999`.
pub(crate) fn push_landline(buf: &mut Vec<u8>, mobile: DramaMobile) {
    buf.extend_from_slice(b"01632 960");
    push_number(buf, mobile.last_three(), 3);
}

/// A foreign mobile from a range kept for fiction: France's `06 39 98`
/// block (ARCEP) or North America's `555-0100`–`555-0199`.
pub(crate) fn push_foreign(buf: &mut Vec<u8>, rng: &mut SplitMix64) {
    if rng.percent(50) {
        buf.extend_from_slice(b"+33 6 39 98 ");
        push_number(buf, u64::from(rng.below(100)), 2);
        buf.push(b' ');
        push_number(buf, u64::from(rng.below(100)), 2);
    } else {
        buf.extend_from_slice(b"+1 202 555 01");
        push_number(buf, u64::from(rng.below(100)), 2);
    }
}

/// One or two digits missing from the end: `07700 9001`.
pub(crate) fn push_too_short(buf: &mut Vec<u8>, mobile: DramaMobile, rng: &mut SplitMix64) {
    buf.extend_from_slice(b"07700 900");
    if rng.percent(50) {
        push_number(buf, mobile.last_three() / 10, 2);
    } else {
        push_number(buf, mobile.last_three() / 100, 1);
    }
}

/// A digit too many: `07700 9001234`.
pub(crate) fn push_too_long(buf: &mut Vec<u8>, mobile: DramaMobile, rng: &mut SplitMix64) {
    push_mobile(buf, mobile, MobileShape::NationalSpaced);
    push_number(buf, u64::from(rng.below(10)), 1);
}

/// Zeros typed as the letter O: `07700 9OO123` or `O7700 900123`.
pub(crate) fn push_with_letters(buf: &mut Vec<u8>, mobile: DramaMobile, rng: &mut SplitMix64) {
    let prefix: &[u8] = if rng.percent(70) {
        b"07700 9OO"
    } else {
        b"O7700 900"
    };
    buf.extend_from_slice(prefix);
    push_number(buf, mobile.last_three(), 3);
}
