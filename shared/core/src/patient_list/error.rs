//! What can be wrong with a list as a whole, in words a person can act on.

use super::Unmatched;
use crate::columns::{
    ColumnProblem, Header, Role, column_letter, describe_header, describe_headers, join_or,
    under_other_heading,
};

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("could not read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error(
        "Row {row} has a quote (\") that is never closed, so the rest of the file would read \
         as one cell. Remove the quote or add the closing one, and upload the file again"
    )]
    UnclosedQuote { row: u64 },
    #[error(
        "Lines {first_line} to {last_line} of the file (as a text editor numbers them) are \
         joined into one row by a quote (\") on line {quote_line} that is not closed where it \
         should be, so several patients would be read as one, with each other's details. \
         Remove that quote, or add the closing one where the cell ends, and upload the file again"
    )]
    JoinedRows {
        first_line: u64,
        last_line: u64,
        quote_line: u64,
    },
    #[error(
        "Row {row} is a second header row with different columns{}. The file holds lists \
         pasted together: split it into one list per header row and upload each",
        header_differences(.added, .missing)
    )]
    HeaderAgainDifferent {
        row: u64,
        /// Columns it names that the first header does not.
        added: Vec<Header>,
        /// Columns of the first header it does not name.
        missing: Vec<Header>,
    },
    #[error(
        "Row {row} says a patient must not be texted (declined, or a consent we cannot read), \
         but its NHS number cannot be read, nor its mobile and date of birth, so there is no \
         telling which patient it is, and they may be listed on another row. Correct the NHS \
         number on row {row} (or delete the row if it is not a patient), and upload the file again"
    )]
    StopWithoutPatient { row: u64 },
    #[error(
        "{} the header again, naming the same columns as the first header ({}) {}. The file \
         holds lists pasted together: split it into one list per header row and upload each",
        rows_are(&(*.first_row..=*.last_row).collect::<Vec<_>>()),
        rows_span(.header_rows.0, .header_rows.1), unmatched(.why)
    )]
    HeaderAgainUnmatched {
        /// The rows of the header met again (its group row and its names).
        first_row: u64,
        last_row: u64,
        /// The first header's rows.
        header_rows: (u64, u64),
        why: Unmatched,
    },
    #[error(
        "Row {row} reads as a heading for patients who declined or must not be texted, and the \
         rows under it would otherwise be texted. Delete that section (or move those patients \
         to a file of their own) and upload again"
    )]
    DecliningSection { row: u64 },
    #[error(
        "Row {row}, above the header, reads as a heading for patients who declined or must not \
         be texted, so the whole list may be of patients who must not be texted. If the list is \
         of patients who may be texted, delete that row (or reword it) and upload again; if it \
         is of patients who declined, do not send to it"
    )]
    DecliningTitle { row: u64 },
    #[error(
        "Row {row}, above the header, names a next of kin, carer or other contact, but it \
         cannot be read as a group over the columns: the tool cannot tell which columns are \
         theirs. Put the group names in the row directly above the column names, each over its \
         own columns (or delete the row), and upload again"
    )]
    SomeoneElseAboveHeader { row: u64 },
    #[error("The file is empty: export the patient list again and upload the new file")]
    Empty,
    #[error(
        "This is not a CSV file or a spreadsheet: it looks like {0}. \
         Export the patient list as CSV (or .xlsx) from the clinical system and upload that"
    )]
    NotAList(&'static str),
    #[error(
        "The spreadsheet could not be read: it may be damaged or password-protected. \
         Save it again as .xlsx or CSV and upload that"
    )]
    DamagedSpreadsheet,
    #[error("{}", which_sheet_message(.sheets))]
    WhichSheet {
        /// The sheets that hold data, in the workbook's order.
        sheets: Vec<WorkbookSheet>,
    },
    #[error(
        "This is {file_kind}: batchmsg cannot see which rows or columns are hidden in it. \
         Open it in Excel, save it as .xlsx (or CSV), and upload that"
    )]
    StructureUnseen {
        /// "an older Excel file (.xls)" or "an Excel binary workbook (.xlsb)".
        file_kind: &'static str,
    },
    #[error("The spreadsheet is larger than 64 MB. Save the patient list as CSV and upload that")]
    SpreadsheetTooLarge,
    #[error(
        "The first row holds patient details, not column names. Add a header row naming the \
         NHS number, mobile number and date of birth columns"
    )]
    NoHeader,
    #[error(
        "{} above the header row (row {header_row}) and hold{} patient details, which would \
         not be read as patients (a decline in them would be missed). Put the header row \
         first, or delete {}, and upload the file again",
        rows_are(.rows), if .rows.len() == 1 { "s" } else { "" },
        if .rows.len() == 1 { "that row" } else { "those rows" }
    )]
    PatientRowsAboveHeader {
        /// The rows above the header that look like a patient's.
        rows: Vec<u64>,
        /// The header's first row.
        header_row: u64,
    },
    #[error(
        "The file has no {} column. Columns found: {}. Name the columns \
         \"NHS number\", \"Mobile number\" and \"Date of birth\" (or as SystmOne or EMIS export them)",
        join_roles(.missing), describe_headers(.found)
    )]
    MissingColumns {
        missing: Vec<Role>,
        found: Vec<Header>,
    },
    #[error(
        "The file has more than one {} column: {}. Keep one and upload the file again",
        .role.describe(), describe_headers(.columns)
    )]
    ColumnTwice { role: Role, columns: Vec<Header> },
    #[error(
        "The column {column} seems to be about texting, but its name does not say whether Yes \
         there means the patient may be texted or must not be. Rename it \"SMS consent\" if Yes \
         means they may be texted, or \"SMS declined\" if Yes means they must not be; delete it \
         if it is not about texting; and upload the file again"
    )]
    UnclearConsent { column: Header },
    #[error(
        "The column {} seems to hold SMS consent, but the heading over it does not say it is \
         the patient's: it may be someone else's. If it is the patient's, change that heading \
         to \"Patient\" or \"Consent\"; if it is someone else's, delete the column; and upload \
         the file again",
        describe_header(.column)
    )]
    WhoseConsent { column: Header },
    #[error("{}", which_mobile(.candidates, .others))]
    WhichMobile {
        /// Columns that could each be the patient's own mobile.
        candidates: Vec<Header>,
        /// Mobiles of a next of kin, carer, relative or other contact, or
        /// under a heading that does not say it is the patient's: never texted.
        others: Vec<Header>,
    },
    #[error(
        "Column {} \"{}\" is hidden: unhide it or delete it, and upload again",
        column_letter(.column.index), .column.full_name()
    )]
    HiddenColumn { column: Header },
    #[error(
        "The file has no NHS number, mobile number or date of birth column. The first row should \
         name them: \"NHS number\", \"Mobile number\" and \"Date of birth\" (or as SystmOne or EMIS export them)"
    )]
    NoRequiredColumns,
}

/// A sheet of a workbook, named as its tab shows it (a sheet name is not a
/// patient's detail).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkbookSheet {
    pub name: String,
    pub hidden: bool,
}

fn which_sheet_message(sheets: &[WorkbookSheet]) -> String {
    let named = |s: &WorkbookSheet| match s.hidden {
        true => format!("\"{}\" (hidden)", s.name),
        false => format!("\"{}\"", s.name),
    };
    match sheets {
        [only] => format!(
            "The only sheet that could be the patient list, {}, is hidden. If it is the list to send \
             from, unhide it or save it as its own file (.xlsx or CSV), and upload that",
            named(only)
        ),
        [init @ .., last] => format!(
            "The workbook has more than one sheet with data: {} and {}. Save the sheet to send \
             from as its own file (.xlsx or CSV) and upload that",
            init.iter().map(named).collect::<Vec<_>>().join(", "),
            named(last)
        ),
        [] => "The workbook has no sheet with data".to_owned(),
    }
}

fn header_differences(added: &[Header], missing: &[Header]) -> String {
    match (added.is_empty(), missing.is_empty()) {
        (false, false) => format!(
            " (it adds {} and lacks {})",
            describe_headers(added),
            describe_headers(missing)
        ),
        (false, true) => format!(" (it adds {})", describe_headers(added)),
        (true, false) => format!(" (it lacks {})", describe_headers(missing)),
        (true, true) => String::new(),
    }
}

/// The question that settles which column is the patient's own mobile.
fn which_mobile(candidates: &[Header], others: &[Header]) -> String {
    let (headed, named): (Vec<Header>, Vec<Header>) =
        others.iter().cloned().partition(under_other_heading);
    let one_or_many = |columns: &[Header], one: &'static str, many: &'static str| {
        if columns.len() == 1 { one } else { many }
    };
    let mut others_note = String::new();
    if !named.is_empty() {
        others_note += &format!(
            " {} belong{} to a next of kin, carer, relative or other contact, and {} never texted.",
            join_or(&named).replace(" or ", " and "),
            one_or_many(&named, "s", ""),
            one_or_many(&named, "is", "are"),
        );
    }
    if !headed.is_empty() {
        others_note += &format!(
            " {} {} not taken as the patient's: the heading over {} does not say it is the \
             patient's (if it is, change the heading to \"Patient\").",
            join_or(&headed).replace(" or ", " and "),
            one_or_many(&headed, "is", "are"),
            one_or_many(&headed, "it", "them"),
        );
    }
    match candidates {
        [] => format!(
            "The file has no column for the patient's own mobile:{others_note} Add a column \
             \"Mobile\" holding the patient's mobile, and upload the file again"
        ),
        [one] => format!(
            "Is {one} the patient's own mobile?{others_note} If it is, rename it \"Mobile\"; \
             if not, add a column \"Mobile\" holding the patient's mobile; and upload the file again",
            one = describe_header(one)
        ),
        several => format!(
            "Which is the patient's own mobile: {}?{others_note} Rename or delete the other, \
             and upload the file again",
            join_or(several)
        ),
    }
}

/// "row 2", "rows 1 to 2".
fn rows_span(first: u64, last: u64) -> String {
    match first == last {
        true => format!("row {first}"),
        false => format!("rows {first} to {last}"),
    }
}

/// Why a header met again cannot be matched to the first, and what could go wrong.
fn unmatched(why: &Unmatched) -> String {
    let quoted = |names: &[String]| {
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        match quoted.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    };
    let risk = "so the tool cannot be sure which column is which in the rows below it: a text \
                could go to a next of kin's mobile, or greet the patient by another's name";
    match why {
        Unmatched::OrderUnderGroups { groups } => format!(
            "but in another order, with columns under the groups {}, {risk}",
            quoted(groups)
        ),
        Unmatched::OrderNamesTwice { names } => format!(
            "but in another order, with more than one column named {}, {risk}",
            quoted(names).replace(" and ", " or ")
        ),
        Unmatched::Groups => format!(
            "but under other groups (or with or without a group row above it, where the first \
             has the other), {risk}"
        ),
    }
}

/// "Row 2 is", "Rows 2 to 4 are", "Rows 2, 3 and 6 are".
fn rows_are(rows: &[u64]) -> String {
    match rows {
        [] => String::new(),
        [one] => format!("Row {one} is"),
        [first, .., last] if last - first + 1 == rows.len() as u64 => {
            format!("Rows {first} to {last} are")
        }
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(u64::to_string).collect();
            format!("Rows {} and {last} are", init.join(", "))
        }
    }
}

fn join_roles(roles: &[Role]) -> String {
    let names: Vec<_> = roles.iter().map(|r| r.describe()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The error for a header row's problem, and how many required columns the
/// row names (the row naming most is the header the person meant).
pub(super) fn problem_error(problem: ColumnProblem, headers: Vec<Header>) -> (usize, ListError) {
    match problem {
        ColumnProblem::Missing(missing) if missing.len() == Role::REQUIRED.len() => {
            // Nothing shows this row is a header: never quote it.
            (0, ListError::NoRequiredColumns)
        }
        ColumnProblem::Missing(missing) => (
            Role::REQUIRED.len() - missing.len(),
            ListError::MissingColumns {
                missing,
                found: headers,
            },
        ),
        ColumnProblem::Twice(role, columns) => (
            Role::REQUIRED.len(),
            ListError::ColumnTwice { role, columns },
        ),
        ColumnProblem::UnclearConsent(column) => {
            (Role::REQUIRED.len(), ListError::UnclearConsent { column })
        }
        ColumnProblem::WhoseConsent(column) => {
            (Role::REQUIRED.len(), ListError::WhoseConsent { column })
        }
        ColumnProblem::WhichMobile { candidates, others } => (
            Role::REQUIRED.len() - usize::from(candidates.is_empty()),
            ListError::WhichMobile { candidates, others },
        ),
    }
}
