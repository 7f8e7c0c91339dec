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
    /// The demangled names of `batchmsg_aws`'s code in the binary.
    pub adapter_code: BTreeSet<String>,
}

impl Calls {
    /// Whether the binary holds `batchmsg_aws`'s function `name` (any
    /// impl, or its async body).
    pub fn links(&self, name: &str) -> bool {
        let end = format!("::{name}");
        self.adapter_code.iter().any(|s| {
            // `…::<impl Port for DynamoRepos>::claim::{{closure}}` → `…::claim`
            let mut s = s.as_str();
            while let Some(outer) = s.strip_suffix("::{{closure}}") {
                s = outer;
            }
            s.ends_with(&end)
        })
    }
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
    let how = "build the functions first: `cargo build -p batchmsg-validate -p batchmsg-wave \
         -p batchmsg-send -p batchmsg-delivery-status -p batchmsg-sweep --bins` \
         (`bash scripts/test` builds them)";
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("no binary {}: {how}", path.display()));
    let root = crate::template::root();
    let mut seen = (SystemTime::UNIX_EPOCH, PathBuf::new());
    for part in [
        format!("functions/{function}/src"),
        format!("functions/{function}/Cargo.toml"),
        "shared/aws/src".to_owned(),
        "shared/aws/Cargo.toml".to_owned(),
        "shared/core/src".to_owned(),
        "shared/core/Cargo.toml".to_owned(),
    ] {
        let path = root.join(part);
        if path.is_dir() {
            newest(&path, &mut seen);
        } else if let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified())
            && modified > seen.0
        {
            seen = (modified, path);
        }
    }
    assert!(
        built >= seen.0,
        "{} is older than {}: {how}",
        path.display(),
        seen.1.display()
    );
    // A target folder shared by two work trees may hold the other's build:
    // the binary's line tables name the folder it was compiled in, with
    // a NUL on each side.
    let bytes = std::fs::read(&path).expect("reads the binary");
    let needle = format!("\0{}\0", root.display());
    assert!(
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
        "{} was not built in {}: {how}",
        path.display(),
        root.display()
    );
    path
}

/// The SDK crates whose calls are the adapters' (aws-config's own STS and
/// SSO calls fetch credentials, which Lambda hands the function).
const ADAPTER_SDKS: &[&str] = &["dynamodb", "s3", "sqs", "sns", "scheduler"];

/// Operations an SDK client links by itself, never called by our code:
/// `s3:CreateSession` is the S3 client's own identity resolver for S3
/// Express directory buckets (`…--x-s3`); the lists bucket is a general
/// purpose bucket, so it is never sent.
const SDK_INTERNAL: &[(&str, &str)] = &[("s3", "CreateSession")];

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
            && !SDK_INTERNAL.contains(&(service, op))
        {
            calls.operations.insert(Operation {
                service: service.to_owned(),
                name: op.to_owned(),
            });
        }
        if demangled.starts_with("batchmsg_aws::") || demangled.starts_with("<batchmsg_aws::") {
            calls.adapter_code.insert(demangled.clone());
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
