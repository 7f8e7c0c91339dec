//! The template and the code agree, derived from both, not kept by hand:
//! each function's environment is what its code reads, its role allows
//! what its binary calls and nothing else, and the send function's
//! timings, the table's keys and the TTL attribute are the code's.
//!
//! Needs `source scripts/infra-tools.sh` (the SAM translator) and the
//! functions' debug binaries (`bash scripts/test` does both).

use std::collections::{BTreeMap, BTreeSet};

use batchmsg_infra_tests::iam::{self, Need, Targets};
use batchmsg_infra_tests::template::{self, Context, scalar};
use batchmsg_infra_tests::{FUNCTIONS, binary, code};
use serde_json::Value;

const STACK: &str = "batchmsg-test";

fn context(overrides: &BTreeMap<String, String>) -> Context {
    Context::planned(template::translated(), STACK, overrides)
}

#[test]
fn every_variable_a_function_reads_is_set_on_it_and_no_other() {
    let context = context(&BTreeMap::new());
    let crates: Vec<&str> = FUNCTIONS.iter().map(|(_, c)| *c).collect();
    let reads = code::reads(&crates);
    let core = code::core_reads();
    assert!(core.is_empty(), "the core reads the environment: {core:?}");
    // A read the walker does not recognise would leave its variable out
    // silently: every BATCHMSG_ string in the code must be one it saw read.
    let unseen: Vec<_> = reads.every_literal.difference(&reads.every_read).collect();
    assert!(
        unseen.is_empty(),
        "BATCHMSG_ names in the code not seen as reads (a new way of reading the \
         environment? teach tests/infra/src/code.rs): {unseen:?}"
    );
    let mut problems = Vec::new();
    for (function, krate) in FUNCTIONS {
        let read = &reads.by_function[*krate];
        assert!(
            !read.is_empty(),
            "found no variable that {krate} reads: the reading of the code is broken"
        );
        let set: BTreeSet<String> = context.environment(function).into_keys().collect();
        eprintln!("{function}: reads {read:?}; the template sets {set:?}");
        for missing in read.difference(&set) {
            problems.push(format!(
                "{function} reads {missing}, which the template does not set"
            ));
        }
        for unread in set.difference(read) {
            problems.push(format!(
                "{function} is given {unread}, which its code never reads"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_role_allows_what_its_function_calls_and_nothing_else() {
    let context = context(&BTreeMap::new());
    let sites = code::adapter_sites();
    assert!(
        !sites.index_queries.is_empty() && !sites.put_units.is_empty(),
        "found no Query on an index or no put in a transaction in shared/aws: \
         the reading of the code is broken ({sites:?})"
    );
    let mut problems = Vec::new();
    for (function, krate) in FUNCTIONS {
        let calls = binary::calls(&binary::binary(krate));
        assert!(
            !calls.operations.is_empty(),
            "{krate}'s binary calls no AWS operation: the reading of binaries is broken"
        );
        let env = context.environment(function);
        let targets = Targets {
            table: env.get("BATCHMSG_TABLE").cloned(),
            index_queries: sites.index_queries.clone(),
            put_units: sites.put_units.clone(),
            bucket: env.get("BATCHMSG_BUCKET").cloned(),
            queue_url: env.get("BATCHMSG_SEND_QUEUE_URL").cloned(),
            schedule_group: env.get("BATCHMSG_SCHEDULE_GROUP").cloned(),
            scheduler_role_arn: env.get("BATCHMSG_SCHEDULER_ROLE_ARN").cloned(),
        };
        let mut needed: Vec<Need> = calls
            .operations
            .iter()
            .flat_map(|op| iam::needs(op, &calls, &targets))
            .collect();
        let mut permitted = needed.clone();
        for (need, required) in iam::without_a_call(&context, function, &targets, &calls) {
            if required {
                needed.push(need.clone());
            }
            permitted.push(need);
        }
        let role = iam::role_of(&context, function);
        let statements = iam::statements(&context, &role);
        let ops: Vec<String> = calls.operations.iter().map(|o| o.to_string()).collect();
        eprintln!(
            "{function} (role {role}) calls {ops:?}, transaction items {:?}",
            calls.transaction_items
        );
        for need in &needed {
            if !iam::allows(&statements, &need.action, &need.resource) {
                problems.push(format!(
                    "{function} needs {} on {} ({}), which {role} does not allow",
                    need.action, need.resource, need.why
                ));
            }
        }
        for (action, source) in iam::unneeded(&statements, &permitted) {
            problems.push(format!(
                "{role} allows {action} ({source}), which {function} never calls"
            ));
        }
        // Only its resources: no action it needs on one resource is
        // allowed on every resource.
        for s in statements.iter().filter(|s| s.allow) {
            for action in &s.actions {
                let wanted: Vec<&Need> = permitted
                    .iter()
                    .filter(|n| iam::matches(action, &n.action, true))
                    .collect();
                if !wanted.is_empty()
                    && s.resources.iter().any(|r| r == "*")
                    && wanted.iter().all(|n| n.resource != "*")
                {
                    problems.push(format!(
                        "{role} allows {action} on every resource ({}); {function} needs it only on {:?}",
                        s.source,
                        wanted.iter().map(|n| &n.resource).collect::<BTreeSet<_>>()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The logical id of the resource whose `Ref` is `value`.
fn resource_named(context: &Context, value: &str) -> String {
    context
        .physical
        .iter()
        .find(|(_, p)| p.as_str() == value)
        .map(|(l, _)| l.clone())
        .unwrap_or_else(|| panic!("no resource of the template is {value}"))
}

fn number(context: &Context, value: &Value, what: &str) -> f64 {
    let evaluated = context
        .eval(value)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    scalar(&evaluated)
        .parse()
        .unwrap_or_else(|_| panic!("{what} is not a number: {evaluated}"))
}

/// The send function's event source mapping on its queue.
fn send_mapping(context: &Context) -> Value {
    let mappings: Vec<&Value> = template::resources(&context.template)
        .values()
        .filter(|r| {
            let mut refs = BTreeSet::new();
            template::references(&r["Properties"]["FunctionName"], &mut refs);
            r["Type"] == "AWS::Lambda::EventSourceMapping" && refs.contains("SendFunction")
        })
        .collect();
    assert_eq!(mappings.len(), 1, "the send function has one event source");
    mappings[0].clone()
}

#[test]
fn the_send_timings_are_the_formulas_at_every_environments_rate() {
    let mut environments = vec![("(defaults)".to_owned(), BTreeMap::new())];
    for env in ["dev", "prod"] {
        environments.push((env.to_owned(), template::samconfig_overrides(env)));
    }
    for (env, overrides) in environments {
        let context = context(&overrides);
        let rate: f64 = context.parameters["SmsRate"].parse().expect("SmsRate");
        let concurrency: u32 = context.parameters["SendConcurrency"]
            .parse()
            .expect("SendConcurrency");
        let batch = batchmsg_send::timing::batch_size(rate, concurrency)
            .unwrap_or_else(|| panic!("{env}: {rate}/s over {concurrency} is not an allowed rate"));
        let limits = batchmsg_send::timing::limits(rate, concurrency, batch).unwrap();
        let send = &context.template["Resources"]["SendFunction"]["Properties"];
        let timeout = number(&context, &send["Timeout"], "SendFunction's Timeout");
        let mapping = send_mapping(&context);
        let props = &mapping["Properties"];
        let batch_size = number(
            &context,
            &props["BatchSize"],
            "the event source's BatchSize",
        );
        let max = number(
            &context,
            &props["ScalingConfig"]["MaximumConcurrency"],
            "the event source's MaximumConcurrency",
        );
        let send_env = context.environment("SendFunction");
        let queue = resource_named(&context, &send_env["BATCHMSG_SEND_QUEUE_URL"]);
        let queue_arn = context.attribute(&queue, "Arn").unwrap();
        assert_eq!(
            context.eval(&props["EventSourceArn"]).unwrap(),
            queue_arn,
            "{env}: the send function's event source is the queue it hands texts back to"
        );
        let visibility = number(
            &context,
            &context.template["Resources"][&queue]["Properties"]["VisibilityTimeout"],
            "the send queue's VisibilityTimeout",
        );
        eprintln!(
            "{env}: {rate}/s over {concurrency}: batch {batch}, timeout {:?}, visibility {:?}; \
             template: batch {batch_size}, timeout {timeout}, visibility {visibility}, concurrency {max}",
            limits.timeout, limits.visibility_timeout
        );
        assert_eq!(
            timeout,
            limits.timeout.as_secs() as f64,
            "{env}: SendFunction's Timeout"
        );
        assert_eq!(
            batch_size,
            f64::from(batch),
            "{env}: the event source's BatchSize"
        );
        assert_eq!(
            visibility,
            limits.visibility_timeout.as_secs() as f64,
            "{env}: the send queue's VisibilityTimeout"
        );
        assert_eq!(max, f64::from(concurrency), "{env}: MaximumConcurrency");
        let env_rate: f64 = send_env["BATCHMSG_SMS_RATE"].parse().expect("a rate");
        let env_concurrency: u32 = send_env["BATCHMSG_SEND_CONCURRENCY"]
            .parse()
            .expect("a count");
        assert_eq!(env_rate, rate, "{env}: BATCHMSG_SMS_RATE is SmsRate");
        assert_eq!(
            env_concurrency, concurrency,
            "{env}: BATCHMSG_SEND_CONCURRENCY"
        );
        let sweep_env = context.environment("SweepFunction");
        assert_eq!(
            sweep_env["BATCHMSG_SEND_TIMEOUT_SECONDS"]
                .parse::<f64>()
                .ok(),
            Some(timeout),
            "{env}: the sweep's BATCHMSG_SEND_TIMEOUT_SECONDS is the send function's Timeout"
        );
    }
}

#[test]
fn the_table_is_the_one_the_adapters_use() {
    let context = context(&BTreeMap::new());
    let tables: BTreeSet<String> = FUNCTIONS
        .iter()
        .map(|(f, _)| context.environment(f)["BATCHMSG_TABLE"].clone())
        .collect();
    assert_eq!(tables.len(), 1, "every function uses one table: {tables:?}");
    let table = resource_named(&context, tables.iter().next().unwrap());
    let props = context
        .eval(&context.template["Resources"][&table]["Properties"])
        .unwrap();
    let definition = batchmsg_aws::dynamo::table_definition();
    let keys = |schema: &Value| -> (String, String) {
        let of = |kind: &str| {
            schema
                .as_array()
                .into_iter()
                .flatten()
                .find(|k| k["KeyType"] == kind)
                .map(|k| scalar(&k["AttributeName"]))
                .unwrap_or_default()
        };
        (of("HASH"), of("RANGE"))
    };
    let types: BTreeMap<String, String> = props["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| (scalar(&a["AttributeName"]), scalar(&a["AttributeType"])))
        .collect();
    let want = |k: batchmsg_aws::dynamo::KeyDefinition| (k.partition.to_owned(), k.sort.to_owned());
    assert_eq!(
        keys(&props["KeySchema"]),
        want(definition.keys),
        "{table}'s keys"
    );
    let mut indexes = BTreeMap::new();
    for index in props["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert_eq!(
            index["Projection"]["ProjectionType"], "ALL",
            "{table}: index {} projects every attribute",
            index["IndexName"]
        );
        indexes.insert(scalar(&index["IndexName"]), keys(&index["KeySchema"]));
    }
    let wanted: BTreeMap<String, (String, String)> = definition
        .indexes
        .iter()
        .map(|i| (i.name.to_owned(), want(i.keys)))
        .collect();
    assert_eq!(indexes, wanted, "{table}'s global secondary indexes");
    assert!(
        props["LocalSecondaryIndexes"].is_null(),
        "{table} has local indexes the code does not use"
    );
    let mut key_attributes: BTreeSet<String> = BTreeSet::new();
    for (p, s) in std::iter::once(want(definition.keys)).chain(wanted.values().cloned()) {
        key_attributes.insert(p);
        key_attributes.insert(s);
    }
    let expected: BTreeMap<String, String> = key_attributes
        .into_iter()
        .map(|a| (a, "S".to_owned()))
        .collect();
    assert_eq!(
        types, expected,
        "{table}'s attribute definitions: string keys only"
    );
    assert_eq!(
        scalar(&props["BillingMode"]),
        definition.billing_mode,
        "{table}'s billing mode"
    );
    assert_eq!(
        props["TimeToLiveSpecification"]["AttributeName"], "expires_at",
        "{table}'s TTL attribute"
    );
    assert_eq!(
        scalar(&props["TimeToLiveSpecification"]["Enabled"]),
        "true",
        "{table}'s TTL is on"
    );
}
