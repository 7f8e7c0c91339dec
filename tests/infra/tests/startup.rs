//! A function that cannot start says why, in words a person can act on:
//! each real binary is started with its environment as the template sets
//! it, then once without each variable in turn. A missing variable must
//! stop it with "<NAME> is not set"; with everything set it must get as far
//! as the Lambda Runtime API (here a closed port on 127.0.0.1, so the run
//! ends there).
//!
//! Needs `source scripts/infra-tools.sh` (the SAM translator) and the
//! functions' debug binaries (`bash scripts/test` does both).

use std::collections::BTreeMap;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use batchmsg_infra_tests::FUNCTIONS;
use batchmsg_infra_tests::binary::binary;
use batchmsg_infra_tests::template::{self, Context};

/// How long a start may take to fail: init makes no AWS request, and the
/// runtime's first request is refused at once.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().unwrap().port()
}

/// Runs `function`'s binary with exactly `env` (and PATH); its exit status
/// and everything it printed.
fn start(function: &str, env: &BTreeMap<String, String>) -> (Option<i32>, String) {
    let mut child = Command::new(binary(function))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {function}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > START_LIMIT {
            child.kill().ok();
            panic!("{function} neither started nor failed within {START_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut printed = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut printed)
        .ok();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut printed)
        .ok();
    (status.code(), printed)
}

#[test]
fn a_function_without_a_variable_names_it_and_with_all_reaches_the_runtime() {
    let context = Context::planned(template::translated(), "batchmsg-test", &BTreeMap::new());
    let unreachable = format!("http://127.0.0.1:{}", closed_port());
    let lambda = BTreeMap::from(
        [
            ("AWS_REGION", "eu-west-2".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            // Any AWS request at start would go here and fail, never out.
            ("AWS_ENDPOINT_URL", unreachable),
            (
                "AWS_LAMBDA_RUNTIME_API",
                format!("127.0.0.1:{}", closed_port()),
            ),
            ("AWS_LAMBDA_FUNCTION_NAME", "startup-test".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let reached_runtime = |printed: &str| printed.contains("Connection refused");
    let mut problems = Vec::new();
    for (logical, function) in FUNCTIONS {
        let mut env = lambda.clone();
        let variables = context.environment(logical);
        env.extend(variables.clone());

        let (code, printed) = start(function, &env);
        if code == Some(0) || !reached_runtime(&printed) {
            problems.push(format!(
                "{function} with its whole environment did not reach the runtime API \
                 (exit {code:?}):\n{printed}"
            ));
        }

        for name in variables.keys() {
            let mut without = env.clone();
            without.remove(name);
            let (code, printed) = start(function, &without);
            let named = printed.contains(&format!("{name} is not set"));
            if code == Some(0) || !(named || reached_runtime(&printed)) {
                problems.push(format!(
                    "{function} without {name}: exit {code:?}, and the output neither says \
                     \"{name} is not set\" nor shows it started:\n{printed}"
                ));
            }
            eprintln!(
                "{function} without {name}: {}",
                if named {
                    "refused, by name"
                } else {
                    "starts (optional)"
                }
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
