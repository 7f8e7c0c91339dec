//! The `--opted-out` file as the opted-out numbers port: read once, every
//! number on it opted out, a problem with it reported naming the file and
//! quoting none of it.

use batchmsg_core::mobile::UkMobile;
use batchmsg_core::nhs_number::NhsNumber;
use batchmsg_core::opt_out::OptOutError;
use batchmsg_core::ports::OptedOutNumbers;
use batchmsg_local::{OptedOutFile, OptedOutFileError};

#[tokio::test]
async fn without_a_file_no_number_is_opted_out() {
    let none = OptedOutFile::read(None).expect("no file to read");
    assert!(none.opted_out().await.expect("a list").is_empty());
}

#[tokio::test]
async fn every_number_on_the_file_is_opted_out() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("opted-out.txt");
    std::fs::write(&path, "943 476 5919\n07700 900123\n").expect("writes");
    let file = OptedOutFile::read(Some(&path)).expect("reads");
    // Read when named: the file can go before validation asks.
    std::fs::remove_file(&path).expect("removes");
    let list = file.opted_out().await.expect("a list");
    assert_eq!(list.len(), 2);
    assert!(list.contains_nhs_number(NhsNumber::parse("9434765919").expect("valid")));
    assert!(list.contains_mobile(UkMobile::parse("+447700900123").expect("valid")));
    assert!(!list.contains_mobile(UkMobile::parse("07700 900124").expect("valid")));
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("no-such-list.txt");
    let error = OptedOutFile::read(Some(&path)).expect_err("nothing to read");
    assert!(matches!(error, OptedOutFileError::Open { .. }), "{error:?}");
    assert!(error.to_string().contains("no-such-list.txt"), "{error}");
}

#[test]
fn a_file_of_no_numbers_is_refused_without_quoting_it() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("names.txt");
    std::fs::write(&path, "Mrs J Jones\n").expect("writes");
    let error = OptedOutFile::read(Some(&path)).expect_err("no numbers");
    assert!(
        matches!(error, OptedOutFileError::Read(OptOutError::NoNumbers)),
        "{error:?}"
    );
    assert!(!error.to_string().contains("Jones"), "{error}");
}
