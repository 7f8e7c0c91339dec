//! What the sweep function prints when `BATCHMSG_RETENTION_DAYS` stops it at
//! start-up. Its `main` returns the error, and Rust prints a `main`'s error
//! with `{:?}` (`Error: …`, the one line Lambda's log shows for the init
//! failure): that line must name the variable, as the other settings' errors
//! do (`Missing("BATCHMSG_TABLE")`). Seen with the debug binary before the
//! fix: `Error: Missing` and `Error: Bad { value: "0" }`.

use batchmsg_sweep::{RETENTION_DAYS_VARIABLE, retention_from};

#[test]
fn a_missing_or_bad_retention_stops_start_up_with_a_line_that_names_it() {
    for value in [None, Some("0"), Some("3651"), Some("90d"), Some("")] {
        let error = retention_from(|_| value.map(str::to_owned)).unwrap_err();
        let printed = format!("Error: {error:?}");
        assert!(
            printed.contains(RETENTION_DAYS_VARIABLE),
            "{value:?}: {printed}"
        );
        assert!(printed.contains("days"), "{value:?}: {printed}");
    }
}
