//! A placeholder's column: never a silent pick between columns named alike,
//! never someone else's column unless the placeholder names it.

use super::*;

fn plan(headers: &[Header], placeholder: &str) -> Result<usize, PlaceholderProblem> {
    let m = ColumnMap::from_headers(headers).expect("maps");
    m.column_for_placeholder(headers, placeholder)
}

fn indices(problem: PlaceholderProblem) -> Vec<usize> {
    match problem {
        PlaceholderProblem::Twice(h) | PlaceholderProblem::SomeoneElses(h) => {
            h.iter().map(|h| h.index).collect()
        }
        PlaceholderProblem::NoColumn => vec![],
    }
}

#[test]
fn two_forename_columns_are_named_not_picked() {
    let headers = headers_of([
        "NHS Number",
        "Forename",
        "Mobile",
        "DOB",
        "Carer",
        "Forename",
    ]);
    let m = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(m.name, None, "neither is taken as the patient's name");
    assert_eq!(m.unclear_columns(Role::Name).map(|h| h.len()), Some(2));
    for placeholder in ["forename", "name", "first name"] {
        let e = m
            .column_for_placeholder(&headers, placeholder)
            .expect_err(placeholder);
        assert_eq!(
            e,
            PlaceholderProblem::Twice(vec![headers[1].clone(), headers[5].clone()]),
            "{placeholder}"
        );
    }
}

#[test]
fn columns_named_alike_are_named_not_picked() {
    let headers = headers_of([
        "NHS Number",
        "Mobile",
        "DOB",
        "Appointment Date",
        "Clinic",
        "Appointment_Date",
    ]);
    assert_eq!(
        indices(plan(&headers, "appointment date").unwrap_err()),
        [3, 5]
    );
    assert_eq!(plan(&headers, "clinic"), Ok(4));
}

#[test]
fn a_carers_forename_under_a_group_leaves_the_patients_one() {
    let mut headers = headers_of(["NHS Number", "Forename", "Mobile", "DOB", "Forename"]);
    headers[4].group = Some("Carer".to_owned());
    assert_eq!(plan(&headers, "forename"), Ok(1));
    assert_eq!(
        plan(&headers, "carer forename"),
        Ok(4),
        "named in full, it is meant"
    );
}

#[test]
fn the_patients_mobile_wins_over_a_relatives_of_the_same_name() {
    let mut headers = headers_of(["NHS Number", "DOB", "Mobile", "Mobile"]);
    headers[2].group = Some("Telephone".to_owned());
    headers[3].group = Some("Next of Kin".to_owned());
    assert_eq!(plan(&headers, "mobile"), Ok(2));
    assert_eq!(plan(&headers, "next of kin mobile"), Ok(3));
}

#[test]
fn someone_elses_column_is_not_filled_in_for_the_patients() {
    let mut headers = headers_of(["NHS Number", "Mobile", "DOB", "Surname"]);
    headers[3].group = Some("Next of Kin".to_owned());
    assert_eq!(
        plan(&headers, "surname"),
        Err(PlaceholderProblem::SomeoneElses(vec![headers[3].clone()]))
    );
    assert_eq!(plan(&headers, "next of kin surname"), Ok(3));
}

#[test]
fn two_emis_numbers_are_named_when_a_placeholder_uses_them() {
    let headers = headers_of(["NHS Number", "Mobile", "DOB", "EMIS Number", "EMIS No"]);
    let m = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(m.emis_number, None);
    assert_eq!(indices(plan(&headers, "emis number").unwrap_err()), [3, 4]);
}
