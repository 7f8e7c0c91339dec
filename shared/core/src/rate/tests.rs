use super::{EvenlySpacedLimiter, RateUnit, WINDOW};
use std::time::Duration;

#[test]
fn a_text_takes_one_unit_or_one_a_fragment() {
    assert_eq!(RateUnit::Texts.units(3), 1);
    assert_eq!(RateUnit::Texts.units(0), 1);
    assert_eq!(RateUnit::Fragments.units(3), 3);
    // A text stored without its fragments still takes one.
    assert_eq!(RateUnit::Fragments.units(0), 1);
}

#[test]
fn both_strategies_keep_the_same_margin() {
    // One unit a second through the evenly spaced share is one WINDOW apart.
    let evenly = EvenlySpacedLimiter::new(1.0, 1).unwrap();
    assert_eq!(evenly.interval(), WINDOW);
    assert_eq!(WINDOW, Duration::from_millis(1_010));
}
