//! End-to-end tests of `batchmsg template …` and `--template NAME`.

mod common;

use std::path::Path;
use std::process::Output;

use common::{batchmsg, example};

fn run(data_dir: &Path, args: &[&str]) -> Output {
    batchmsg()
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("runs batchmsg")
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn failed(output: Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    String::from_utf8(output.stderr).expect("UTF-8")
}

#[test]
fn add_list_show_and_remove_a_template() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let data = temp.path().join("data");
    ok(run(
        &data,
        &[
            "template",
            "add",
            "Flu recall",
            "--text",
            "Dear ((name|patient)), book now.\n",
        ],
    ));
    ok(run(
        &data,
        &[
            "template",
            "add",
            "Clinic move",
            "--text",
            "Your clinic has moved.",
        ],
    ));

    let listed = ok(run(&data, &["template", "list"]));
    assert_eq!(
        listed,
        "Clinic move: no placeholders\nFlu recall: uses ((name))\n"
    );
    assert_eq!(
        ok(run(&data, &["template", "show", "flu recall"])),
        "Dear ((name|patient)), book now.\n"
    );

    let again = failed(run(
        &data,
        &["template", "add", "FLU RECALL", "--text", "x"],
    ));
    assert!(again.contains("already a template called"), "{again}");
    ok(run(
        &data,
        &["template", "add", "FLU RECALL", "--text", "x", "--replace"],
    ));
    assert_eq!(ok(run(&data, &["template", "show", "Flu recall"])), "x\n");

    ok(run(&data, &["template", "remove", "flu recall"]));
    let gone = failed(run(&data, &["template", "show", "Flu recall"]));
    assert!(gone.contains("There is no template called"), "{gone}");
}

#[test]
fn a_template_that_cannot_be_used_is_not_saved() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let data = temp.path().join("data");
    let refused = failed(run(&data, &["template", "add", "bad", "--text", "Hi (())"]));
    assert!(refused.contains("empty placeholder"), "{refused}");
    assert_eq!(
        ok(run(&data, &["template", "list"])).lines().count(),
        1,
        "only the hint"
    );
}

#[test]
fn a_saved_template_is_used_by_name_in_preview_and_validate() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let data = temp.path().join("data");
    let list = example("patients.csv");
    let list = list.to_str().expect("UTF-8 path");
    ok(run(
        &data,
        &["template", "add", "hello", "--text", "Hello ((name|there))"],
    ));

    let preview = ok(run(&data, &["preview", list, "--template", "hello"]));
    assert!(preview.contains("    Hello Ava Ahmed\n"), "{preview}");

    let out = temp.path().join("out");
    let validate = ok(run(
        &data,
        &[
            "validate",
            list,
            "--template",
            "HELLO",
            "--out",
            out.to_str().expect("UTF-8 path"),
        ],
    ));
    assert!(validate.contains("Texts:"), "{validate}");
}

#[test]
fn an_unknown_template_name_is_a_clear_error_and_creates_nothing() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let data = temp.path().join("data");
    let list = example("patients.csv");
    let error = failed(run(
        &data,
        &[
            "preview",
            list.to_str().expect("UTF-8 path"),
            "--template",
            "nope",
        ],
    ));
    assert!(error.contains("no template file \"nope\""), "{error}");
    assert!(!data.exists(), "a lookup must not create the data folder");
}
