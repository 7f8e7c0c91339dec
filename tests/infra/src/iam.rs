//! What each function's role allows, from the translated template, and
//! what its calls need: one table from SDK operations to IAM actions and
//! the resource each acts on, and one named list of what a function needs
//! without an adapter making the call.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::binary::{Calls, Operation};
use crate::template::{ACCOUNT, Context, REGION, resources, scalar};

/// One statement of a role's policies, evaluated.
#[derive(Clone, Debug)]
pub struct Statement {
    pub allow: bool,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// Where it came from (the policy's name or managed policy's ARN).
    pub source: String,
}

/// The statements of the AWS managed policies SAM attaches, as AWS
/// publishes them (the translator names them; it does not expand them).
fn managed(arn: &str) -> Option<Vec<Statement>> {
    let logs = [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ];
    let statement = |actions: &[&str]| Statement {
        allow: true,
        actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        resources: vec!["*".to_owned()],
        source: arn.to_owned(),
    };
    let name = arn.rsplit('/').next().unwrap_or(arn);
    Some(match name {
        "AWSLambdaBasicExecutionRole" => vec![statement(&logs)],
        "AWSLambdaSQSQueueExecutionRole" => vec![
            statement(&[
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
            ]),
            statement(&logs),
        ],
        "AWSXrayWriteOnlyAccess" | "AWSXRayDaemonWriteAccess" => vec![statement(&[
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            "xray:GetSamplingStatisticSummaries",
        ])],
        _ => return None,
    })
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        Value::Null => Vec::new(),
        other => vec![scalar(other)],
    }
}

fn document_statements(doc: &Value, source: &str, out: &mut Vec<Statement>) {
    let statements = match &doc["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    };
    for s in statements {
        assert!(
            s.get("NotAction").is_none() && s.get("NotResource").is_none(),
            "{source}: NotAction/NotResource allow more than they name; the tests refuse them"
        );
        out.push(Statement {
            allow: s["Effect"].as_str() == Some("Allow"),
            actions: strings(&s["Action"]),
            resources: strings(&s["Resource"]),
            source: source.to_owned(),
        });
    }
}

/// The logical id of the role `function` (a logical id) runs as.
pub fn role_of(context: &Context, function: &str) -> String {
    let role = &context.template["Resources"][function]["Properties"]["Role"];
    let mut refs = BTreeSet::new();
    crate::template::references(role, &mut refs);
    refs.into_iter()
        .find(|r| context.template["Resources"][r]["Type"] == "AWS::IAM::Role")
        .unwrap_or_else(|| panic!("{function}'s Role is not a role of the template: {role}"))
}

/// Every statement that applies to `role` (a logical id): its inline
/// policies, its managed policies, and policies that name it.
pub fn statements(context: &Context, role: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let resource = &context.template["Resources"][role];
    let props = context
        .eval(&resource["Properties"])
        .unwrap_or_else(|e| panic!("{role}: {e}"));
    for policy in props["Policies"].as_array().into_iter().flatten() {
        let name = format!("{role}/{}", scalar(&policy["PolicyName"]));
        document_statements(&policy["PolicyDocument"], &name, &mut out);
    }
    for arn in strings(&props["ManagedPolicyArns"]) {
        match managed(&arn) {
            Some(statements) => out.extend(statements),
            None => {
                // One of the template's own managed policies.
                let own = resources(&context.template).iter().find(|(l, r)| {
                    r["Type"] == "AWS::IAM::ManagedPolicy" && context.physical[*l] == arn
                });
                let (logical, policy) = own.unwrap_or_else(|| {
                    panic!("{role}: the tests do not know the managed policy {arn}")
                });
                let doc = context
                    .eval(&policy["Properties"]["PolicyDocument"])
                    .unwrap();
                document_statements(&doc, logical, &mut out);
            }
        }
    }
    for (logical, policy) in resources(&context.template) {
        let kind = policy["Type"].as_str().unwrap_or_default();
        if kind != "AWS::IAM::Policy" && kind != "AWS::IAM::ManagedPolicy" {
            continue;
        }
        let mut refs = BTreeSet::new();
        crate::template::references(&policy["Properties"]["Roles"], &mut refs);
        if refs.contains(role) {
            let doc = context
                .eval(&policy["Properties"]["PolicyDocument"])
                .unwrap();
            document_statements(&doc, logical, &mut out);
        }
    }
    out
}

/// IAM's wildcard match (`*` any run, `?` one character).
pub fn matches(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            value.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), value.chars().collect())
    };
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < v.len() {
        if i < p.len() && (p[i] == '?' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

/// Whether `statements` allow `action` on `resource`.
pub fn allows(statements: &[Statement], action: &str, resource: &str) -> bool {
    let hit = |s: &Statement| {
        s.actions.iter().any(|a| matches(a, action, true))
            && s.resources.iter().any(|r| matches(r, resource, false))
    };
    statements.iter().any(|s| s.allow && hit(s)) && !statements.iter().any(|s| !s.allow && hit(s))
}

/// An action a function needs, on one resource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Need {
    pub action: String,
    pub resource: String,
    /// Why: the operation, or the reason from [`without_a_call`].
    pub why: String,
}

/// Names of the resources a function's calls act on, from its environment
/// (evaluated), so a policy on another table or queue does not count.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub table: Option<String>,
    /// (adapter fn, index) for each Query on an index in the code.
    pub index_queries: Vec<(String, String)>,
    /// Adapter fns that put an item in a transaction.
    pub put_units: Vec<String>,
    pub bucket: Option<String>,
    pub queue_url: Option<String>,
    pub schedule_group: Option<String>,
    pub scheduler_role_arn: Option<String>,
}

impl Targets {
    fn table_arn(&self, op: &Operation) -> String {
        let table = self
            .table
            .as_deref()
            .unwrap_or_else(|| panic!("{op} with no BATCHMSG_TABLE in the environment"));
        format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}")
    }

    fn bucket(&self, op: &Operation) -> &str {
        self.bucket
            .as_deref()
            .unwrap_or_else(|| panic!("{op} with no BATCHMSG_BUCKET in the environment"))
    }

    pub fn queue_arn(&self) -> Option<String> {
        let url = self.queue_url.as_deref()?;
        let name = url.rsplit('/').next().unwrap_or(url);
        Some(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"))
    }
}

/// The IAM actions (and resources) an SDK operation needs. Documented by
/// AWS per service ("Actions, resources, and condition keys"):
/// - DynamoDB's operations are their own actions on the table, a Query
///   also on each index it may read (`table/T/index/I`);
///   `TransactWriteItems` is no action of its own: each item it holds
///   needs its item action (`Put` → `PutItem`, `Update` → `UpdateItem`,
///   `Delete` → `DeleteItem`, `ConditionCheck` → `ConditionCheckItem`).
/// - S3: `GetObject`/`HeadObject` → `s3:GetObject`, `PutObject` and the
///   multipart calls → `s3:PutObject`, on the objects the code reads
///   (`uploads/…`) and writes (`reports/…`); `ListObjectsV2` →
///   `s3:ListBucket` on the bucket.
/// - SQS: the `…Batch` calls need the single action (`SendMessageBatch` →
///   `sqs:SendMessage`), on the queue.
/// - SNS: `Publish` to a phone number and the SMS calls have no resource
///   (`*`).
/// - Scheduler: `CreateSchedule`/`UpdateSchedule` also pass the role the
///   schedule runs as (`iam:PassRole`).
pub fn needs(op: &Operation, calls: &Calls, targets: &Targets) -> Vec<Need> {
    let need = |action: &str, resource: String| Need {
        action: action.to_owned(),
        resource,
        why: op.to_string(),
    };
    let name = op.name.as_str();
    match op.service.as_str() {
        "dynamodb" => {
            let table = targets.table_arn(op);
            match name {
                "TransactWriteItems" => {
                    assert!(
                        !calls.transaction_items.is_empty(),
                        "a binary with TransactWriteItems and no transaction item builder"
                    );
                    calls
                        .transaction_items
                        .iter()
                        .filter(|kind| {
                            // The transaction code builds puts, but only
                            // some callers give it any.
                            *kind != "Put"
                                || targets.put_units.is_empty()
                                || targets.put_units.iter().any(|f| calls.links(f))
                        })
                        .map(|kind| {
                            let action = match kind.as_str() {
                                "ConditionCheck" => "dynamodb:ConditionCheckItem".to_owned(),
                                k => format!("dynamodb:{k}Item"),
                            };
                            need(&action, table.clone())
                        })
                        .collect()
                }
                "TransactGetItems" => vec![need("dynamodb:GetItem", table)],
                "Query" => {
                    let mut out = vec![need("dynamodb:Query", table.clone())];
                    for (function, index) in &targets.index_queries {
                        if calls.links(function) {
                            out.push(need("dynamodb:Query", format!("{table}/index/{index}")));
                        }
                    }
                    out
                }
                "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" | "BatchGetItem"
                | "BatchWriteItem" | "Scan" | "DescribeTable" => {
                    vec![need(&format!("dynamodb:{name}"), table)]
                }
                _ => panic!("no IAM mapping for {op}: add it to iam::needs"),
            }
        }
        "s3" => {
            let bucket = targets.bucket(op);
            let upload =
                format!("arn:aws:s3:::{bucket}/uploads/north-clinic/20261125-090000-0001.csv");
            let report = format!(
                "arn:aws:s3:::{bucket}/reports/north-clinic/20261125-090000-0001/not-accepted.csv"
            );
            match name {
                "GetObject" | "HeadObject" => vec![need("s3:GetObject", upload)],
                "PutObject"
                | "CreateMultipartUpload"
                | "UploadPart"
                | "CompleteMultipartUpload" => vec![need("s3:PutObject", report)],
                "ListObjectsV2" => vec![need("s3:ListBucket", format!("arn:aws:s3:::{bucket}"))],
                _ => panic!("no IAM mapping for {op}: add it to iam::needs"),
            }
        }
        "sqs" => {
            let queue = targets
                .queue_arn()
                .unwrap_or_else(|| panic!("{op} with no BATCHMSG_SEND_QUEUE_URL"));
            let action = match name {
                "SendMessage" | "SendMessageBatch" => "sqs:SendMessage",
                "ReceiveMessage" => "sqs:ReceiveMessage",
                "DeleteMessage" | "DeleteMessageBatch" => "sqs:DeleteMessage",
                "ChangeMessageVisibility" | "ChangeMessageVisibilityBatch" => {
                    "sqs:ChangeMessageVisibility"
                }
                "GetQueueAttributes" => "sqs:GetQueueAttributes",
                _ => panic!("no IAM mapping for {op}: add it to iam::needs"),
            };
            vec![need(action, queue)]
        }
        "sns" => match name {
            "Publish"
            | "ListPhoneNumbersOptedOut"
            | "CheckIfPhoneNumberIsOptedOut"
            | "GetSMSAttributes" => vec![need(&format!("sns:{name}"), "*".to_owned())],
            _ => panic!("no IAM mapping for {op}: add it to iam::needs"),
        },
        "scheduler" => {
            let group = targets
                .schedule_group
                .as_deref()
                .unwrap_or_else(|| panic!("{op} with no BATCHMSG_SCHEDULE_GROUP"));
            let schedule = format!(
                "arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/20261125-090000-0001-w00001"
            );
            let mut out = vec![need(&format!("scheduler:{name}"), schedule)];
            if name == "CreateSchedule" || name == "UpdateSchedule" {
                let role = targets
                    .scheduler_role_arn
                    .clone()
                    .unwrap_or_else(|| panic!("{op} with no BATCHMSG_SCHEDULER_ROLE_ARN"));
                out.push(need("iam:PassRole", role));
            }
            out
        }
        _ => panic!("no IAM mapping for {op}: add it to iam::needs"),
    }
}

/// What a function needs that no adapter call of its own asks for, each
/// with its reason, given the template (`function` is the logical id).
/// `required` false: allowed if the template grants it, not demanded.
pub fn without_a_call(
    context: &Context,
    function: &str,
    targets: &Targets,
    calls: &Calls,
) -> Vec<(Need, bool)> {
    let mut out = Vec::new();
    let mut add = |action: &str, resource: &str, why: &str, required: bool| {
        out.push((
            Need {
                action: action.to_owned(),
                resource: resource.to_owned(),
                why: why.to_owned(),
            },
            required,
        ));
    };
    // Lambda's log group is named by the function (or its LoggingConfig):
    // AWS's basic execution policy allows these on every group.
    let log_group = "*".to_owned();
    add(
        "logs:CreateLogStream",
        &log_group,
        "Lambda writes the function's logs with its role",
        true,
    );
    add(
        "logs:PutLogEvents",
        &log_group,
        "Lambda writes the function's logs with its role",
        true,
    );
    add(
        "logs:CreateLogGroup",
        &log_group,
        "in AWSLambdaBasicExecutionRole: Lambda creates the group if the template has none",
        false,
    );
    if calls
        .operations
        .iter()
        .any(|o| o.service == "s3" && o.name == "GetObject")
        && let Some(bucket) = &targets.bucket
    {
        add(
            "s3:ListBucket",
            &format!("arn:aws:s3:::{bucket}"),
            "S3ObjectStore reads NoSuchKey as a gone upload; without s3:ListBucket S3 \
             answers a missing key with 403 instead",
            true,
        );
    }
    let resources_ = &context.template["Resources"];
    // The SQS event source polls with the function's role.
    for (logical, mapping) in resources(&context.template) {
        if mapping["Type"] != "AWS::Lambda::EventSourceMapping" {
            continue;
        }
        let mut refs = BTreeSet::new();
        crate::template::references(&mapping["Properties"]["FunctionName"], &mut refs);
        if !refs.contains(function) {
            continue;
        }
        let source = context
            .eval(&mapping["Properties"]["EventSourceArn"])
            .map(|v| scalar(&v))
            .unwrap_or_default();
        if source.starts_with("arn:aws:sqs:") {
            for action in [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
            ] {
                add(
                    action,
                    &source,
                    &format!("{logical}: the SQS event source polls with the function's role"),
                    true,
                );
            }
        }
    }
    // An asynchronous invocation's destinations and dead-letter queue are
    // written with the function's role.
    let mut destinations: Vec<String> = Vec::new();
    for (logical, config) in resources(&context.template) {
        let kind = config["Type"].as_str().unwrap_or_default();
        let mut refs = BTreeSet::new();
        crate::template::references(&config["Properties"]["FunctionName"], &mut refs);
        if kind != "AWS::Lambda::EventInvokeConfig" || !refs.contains(function) {
            continue;
        }
        let dest = context
            .eval(&config["Properties"]["DestinationConfig"])
            .unwrap_or_default();
        for side in ["OnFailure", "OnSuccess"] {
            let arn = scalar(&dest[side]["Destination"]);
            if let Some(action) = destination_action(&arn) {
                add(
                    action,
                    &arn,
                    &format!("{logical}: {side} destination"),
                    true,
                );
                destinations.push(arn);
            }
        }
    }
    let props = &resources_[function]["Properties"];
    if let Ok(target) = context.eval(&props["DeadLetterConfig"]["TargetArn"]) {
        let arn = scalar(&target);
        if let Some(action) = destination_action(&arn) {
            add(action, &arn, "the function's dead-letter queue", true);
            destinations.push(arn);
        }
    }
    if context.eval(&props["TracingConfig"]["Mode"]).ok() == Some(Value::from("Active")) {
        for action in ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] {
            add(action, "*", "active tracing", true);
        }
    }
    // Keys: S3 asks KMS with the caller's role when a bucket is SSE-KMS;
    // SQS likewise for a queue with a key of the template's own.
    let uses_s3 = calls.operations.iter().any(|o| o.service == "s3");
    let uses_sqs = calls.operations.iter().any(|o| o.service == "sqs");
    for (logical, resource) in resources(&context.template) {
        let kind = resource["Type"].as_str().unwrap_or_default();
        let Ok(p) = context.eval(&resource["Properties"]) else {
            continue;
        };
        let physical = &context.physical[logical];
        let destination = kind == "AWS::SQS::Queue"
            && context
                .attribute(logical, "Arn")
                .is_ok_and(|arn| destinations.contains(&scalar(&arn)));
        let named = match kind {
            "AWS::S3::Bucket" => targets.bucket.as_deref() == Some(physical.as_str()),
            "AWS::SQS::Queue" => targets.queue_url.as_deref() == Some(physical.as_str()),
            _ => false,
        };
        if !named && !destination {
            continue;
        }
        let key = if kind == "AWS::S3::Bucket" && uses_s3 {
            p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms")
                .map(|r| scalar(&r["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]))
        } else if kind == "AWS::SQS::Queue" && (uses_sqs || destination) {
            p.get("KmsMasterKeyId")
                .map(scalar)
                .filter(|k| !k.starts_with("alias/aws/"))
        } else {
            None
        };
        if let Some(key) = key {
            let resource = if key.starts_with("arn:") {
                key
            } else {
                format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}")
            };
            let why = format!("{logical} is encrypted with a KMS key: the caller's role asks KMS");
            add("kms:Decrypt", &resource, &why, true);
            add("kms:GenerateDataKey", &resource, &why, true);
        }
    }
    out
}

fn destination_action(arn: &str) -> Option<&'static str> {
    if arn.starts_with("arn:aws:sqs:") {
        Some("sqs:SendMessage")
    } else if arn.starts_with("arn:aws:sns:") {
        Some("sns:Publish")
    } else if arn.starts_with("arn:aws:lambda:") {
        Some("lambda:InvokeFunction")
    } else if arn.starts_with("arn:aws:events:") {
        Some("events:PutEvents")
    } else {
        None
    }
}

/// Every action a role's statements allow that none of `needs` asks for:
/// what the role may do that the function never does.
pub fn unneeded(statements: &[Statement], needs: &[Need]) -> BTreeMap<String, String> {
    let mut extra = BTreeMap::new();
    for s in statements.iter().filter(|s| s.allow) {
        for action in &s.actions {
            let used = needs.iter().any(|n| matches(action, &n.action, true));
            if !used {
                extra.insert(action.clone(), s.source.clone());
            } else if action.contains('*') || action.contains('?') {
                // A wildcard allows actions the function does not call,
                // unless every action it matches is needed, which IAM's
                // list is too long to check: refuse it.
                extra.insert(action.clone(), format!("{} (a wildcard)", s.source));
            }
        }
    }
    extra
}
