//! batchmsg core: the domain of batch SMS for community healthcare and its use
//! cases. No AWS, no SQLite, no I/O of its own: callers hand in readers and
//! writers, and adapters implement the ports.

pub mod bank_holidays;
pub mod batch;
pub mod columns;
pub mod consent;
pub mod date_of_birth;
pub mod delivery;
pub mod excel_cells;
mod lexical;
pub mod message;
pub mod mobile;
pub mod nhs_number;
pub mod opt_out;
pub mod patient_list;
pub mod ports;
pub mod rate;
pub mod report;
pub mod retention;
pub mod sending;
pub mod sms;
pub mod templates;
#[cfg(test)]
mod test_lists;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
pub mod validation;
pub mod waves;
