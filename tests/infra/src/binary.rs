//! The AWS operations each function can call, read from its binary: the
//! linker keeps only the code `main` can reach (`--gc-sections`, and
//! generic code is only made for the types it is used with), so the SDK
//! operations whose fluent builder's `send` is in the binary are those the
//! function's adapters call — `sweep` holds an SNS sender but never
//! publishes, and its binary has no `Publish`. Reading the source by name
//! cannot tell that apart; the compiler has already done the type work.
//!
//! The same goes for the items a `TransactWriteItems` can hold: each
//! kind (`Put`, `Update`, `Delete`, `ConditionCheck`) has its own builder.
//!
//! The binaries are the debug builds `cargo test --workspace` makes (each
//! function crate has integration tests, so cargo builds its binary). One
//! older than the code it is built from would answer for other code, so it
//! is refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use object::{Object, ObjectSymbol};

/// An SDK operation: the crate's service (`dynamodb`) and its name in
/// the API (`UpdateItem`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Operation {
    pub service: String,
    pub name: String,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.service, self.name)
    }
}

/// What a function's binary can call.
#[derive(Debug, Default)]
pub struct Calls {
    pub operations: BTreeSet<Operation>,
    /// The kinds of item its transactions hold: `Put`, `Update`, `Delete`,
    /// `ConditionCheck`.
    pub transaction_items: BTreeSet<String>,
}

/// Where cargo put the workspace's debug binaries: beside this test's own
/// executable (`<target>/debug/deps/<test>` → `<target>/debug`).
pub fn debug_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test runs from <target>/debug/deps")
        .to_path_buf()
}

fn newest(dir: &Path, newest_seen: &mut (SystemTime, PathBuf)) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            newest(&path, newest_seen);
        } else if let Ok(modified) = entry.metadata().and_then(|m| m.modified())
            && modified > newest_seen.0
        {
            *newest_seen = (modified, path);
        }
    }
}

/// The binary of `function` (its `[[bin]]` name), refusing one that is
/// missing or older than any source it is built from.
pub fn binary(function: &str) -> PathBuf {
    let path = debug_dir().join(function);
    let how = format!(
        "build the functions first: `cargo build -p batchmsg-validate -p batchmsg-wave \
         -p batchmsg-send -p batchmsg-delivery-status -p batchmsg-sweep --bins` \
         (`bash scripts/test` builds them)"
    );
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("no binary {}: {how}", path.display()));
    let root = crate::template::root();
    let mut seen = (SystemTime::UNIX_EPOCH, PathBuf::new());
    for dir in [
        root.join("functions").join(function),
        root.join("shared/aws"),
        root.join("shared/core/src"),
    ] {
        newest(&dir, &mut seen);
    }
    newest(&root.join("Cargo.lock"), &mut seen);
    assert!(
        built >= seen.0,
        "{} is older than {}: {how}",
        path.display(),
        seen.1.display()
    );
    path
}

/// The SDK crates whose calls are the adapters' (aws-config's own STS and
/// SSO calls fetch credentials, which Lambda hands the function).
const ADAPTER_SDKS: &[&str] = &["dynamodb", "s3", "sqs", "sns", "scheduler"];

/// The operations and transaction items `binary` holds.
pub fn calls(binary: &Path) -> Calls {
    let data = std::fs::read(binary).expect("reads the binary");
    let file = object::File::parse(&*data).expect("the binary is an object file");
    let mut calls = Calls::default();
    let mut symbols = 0usize;
    for symbol in file.symbols() {
        let Ok(name) = symbol.name() else { continue };
        symbols += 1;
        let demangled = format!("{:#}", rustc_demangle::demangle(name));
        // aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder::send
        if let Some(rest) = demangled.strip_prefix("aws_sdk_")
            && let Some((service, rest)) = rest.split_once("::operation::")
            && let Some((_, rest)) = rest.split_once("::builders::")
            && let Some(op) = rest.strip_suffix("FluentBuilder::send")
            && ADAPTER_SDKS.contains(&service)
        {
            calls.operations.insert(Operation {
                service: service.to_owned(),
                name: op.to_owned(),
            });
        }
        // aws_sdk_dynamodb::types::_put::PutBuilder::build
        for (kind, snake) in [
            ("Put", "put"),
            ("Update", "update"),
            ("Delete", "delete"),
            ("ConditionCheck", "condition_check"),
        ] {
            if demangled == format!("aws_sdk_dynamodb::types::_{snake}::{kind}Builder::build") {
                calls.transaction_items.insert(kind.to_owned());
            }
        }
    }
    assert!(
        symbols > 1000,
        "{} has {symbols} symbols: a stripped binary cannot say what it calls",
        binary.display()
    );
    calls
}
