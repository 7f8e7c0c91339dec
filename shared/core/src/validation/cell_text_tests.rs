//! What a person reads in a cell is what the row's text and `accepted.csv`
//! carry: invisible values are empty, line breaks are spaces, control
//! characters are gone, and direction overrides keep the row out.

use chrono::NaiveDate;

use super::*;
use crate::test_lists::{nhs, validate_twice};

#[derive(Default)]
struct Rows {
    accepted: Vec<(u64, Vec<String>)>,
    not_accepted: Vec<(u64, Vec<Reason>)>,
}

impl ValidationSink for Rows {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        Ok(())
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.accepted.push((row.row, row.personalisation.to_vec()));
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        self.not_accepted.push((row.row, row.reasons.to_vec()));
        Ok(())
    }
}

/// Validates rows of (name, clinic) under `message`.
fn validate(message: &str, rows: &[(&str, &str)]) -> Rows {
    let mut csv = String::from("NHS Number,Mobile,Date of Birth,Name,Clinic\n");
    for (i, (name, clinic)) in rows.iter().enumerate() {
        let i = i as u32 + 1;
        csv.push_str(&format!(
            "{},07700 900{i:03},01/02/1960,\"{name}\",\"{clinic}\"\n",
            nhs(i)
        ));
    }
    let template = Template::parse(message).expect("parses");
    let options = ValidationOptions {
        message: Some(&template),
        opted_out: &OptOutList::default(),
        today: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date"),
        declines: &Declines::default(),
    };
    let mut out = Rows::default();
    validate_twice(csv.as_bytes(), &options, &mut out).expect("validates");
    out
}

#[test]
fn a_value_of_invisible_characters_is_empty() {
    let message = "Dear ((name|patient)), your appointment at ((clinic)) is at 10:30.";
    let invisible = [
        "\u{200b}",
        "\u{feff}\u{2060}",
        "\u{ad}",
        "\u{3164}",
        "\u{2800}",
        "\u{200e}",
        " \u{200c} ",
    ];
    let rows: Vec<(&str, &str)> = invisible.iter().map(|v| ("Ann", *v)).collect();
    let out = validate(message, &rows);
    assert!(out.accepted.is_empty(), "{:?}", out.accepted);
    assert_eq!(out.not_accepted.len(), invisible.len());
    for (_, reasons) in &out.not_accepted {
        assert_eq!(
            reasons,
            &[Reason::EmptyPlaceholder {
                placeholder: "clinic".into()
            }]
        );
    }

    // An invisible name takes the fallback, and is written out empty.
    let out = validate(message, &[("\u{200b}\u{feff}", "Leeds")]);
    assert_eq!(out.accepted, [(2, vec![String::new(), "Leeds".to_owned()])]);
}

#[test]
fn accepted_values_are_what_a_person_reads() {
    let out = validate(
        "Dear ((name)), see you at ((clinic)).",
        &[
            (
                "Ann\nYour appointment is CANCELLED. Call 0113",
                "Leeds\r\nGeneral",
            ),
            ("\u{1b}[31mAnn\u{7}", "St\u{200b}\u{ad}James\u{7f}"),
            ("Ann\tMarie", "Leeds\u{2028}Road"),
        ],
    );
    assert!(out.not_accepted.is_empty(), "{:?}", out.not_accepted);
    let values: Vec<&[String]> = out.accepted.iter().map(|(_, v)| v.as_slice()).collect();
    assert_eq!(
        values,
        [
            [
                "Ann Your appointment is CANCELLED. Call 0113",
                "Leeds General"
            ],
            ["[31mAnn", "StJames"],
            ["Ann Marie", "Leeds Road"],
        ]
    );
}

#[test]
fn a_direction_override_keeps_the_row_out() {
    let out = validate(
        "Dear ((name)), see you at ((clinic)).",
        &[
            ("Ann", "\u{202e}Leeds"),
            ("\u{2066}Ann\u{2069}", "Leeds"),
            ("Ann", "Leeds"),
        ],
    );
    assert_eq!(out.accepted.len(), 1);
    assert_eq!(out.accepted[0].0, 4);
    let reasons: Vec<_> = out
        .not_accepted
        .iter()
        .map(|(row, r)| (*row, r.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                2,
                vec![Reason::DirectionControl {
                    placeholder: "clinic".into()
                }]
            ),
            (
                3,
                vec![Reason::DirectionControl {
                    placeholder: "name".into()
                }]
            ),
        ]
    );
    let reason = &reasons[0].1[0];
    assert_eq!(reason.code(), "direction_control");
    assert!(reason.to_string().contains("cannot be sent"), "{reason}");
}
