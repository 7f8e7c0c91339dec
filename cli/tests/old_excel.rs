//! An .xls workbook is refused through the binary: its hidden rows and
//! columns cannot be seen, so a row the practice hid would be texted.

mod common;

use common::{fixture, validate};

#[test]
fn validate_refuses_an_xls_asking_for_xlsx_or_csv() {
    for name in ["xls_hidden_row.xls", "xls_hidden_column.xls"] {
        let run = validate(&fixture(name), [] as [&str; 0]);
        let message = run.assert_file_level_error();
        assert!(
            message.contains("older Excel file (.xls)") && message.contains("save it as .xlsx"),
            "{name}: {message}"
        );
    }
}
