//! The template made as a stack in moto's CloudFormation, for the pipeline
//! test to run on: the translated template, less what moto cannot or must
//! not make, created with the real CloudFormation client; then each
//! function's environment read from the template and evaluated against the
//! resources the stack made.
//!
//! Never made in moto, and why:
//! - `AWS::Lambda::Function`: Lambda cannot run there (the handlers run
//!   in-process), and once a function exists moto's `/moto-api/data.json`,
//!   which the tests read SMS from, fails with HTTP 500.
//! - `AWS::Scheduler::*`: moto's CloudFormation has no Scheduler types. The
//!   schedule group is made by hand with the Scheduler API (the wave
//!   schedules are made in it); the sweep's schedule only targets a
//!   function, so it is skipped.
//! - What exists only to attach to a function skipped above: permissions,
//!   event source mappings, event invoke configs, log subscription filters
//!   to a function, and the bucket's notification to validate (the tests
//!   hand the handlers their events themselves).
//!
//! Other resources that point at a skipped one (the scheduler role's
//! policy naming the wave function, an alarm's dimension) keep the value
//! CloudFormation would have given: a name or ARN made the same way.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudformation::types::{Capability, StackStatus};
use serde_json::{Map, Value};

use crate::template::{Context, references, resources, scalar};

/// Types moto must not or cannot make.
const NEVER_MADE: &[(&str, &str)] = &[
    (
        "AWS::Lambda::Function",
        "Lambda cannot run in moto, and a function there breaks /moto-api/data.json; the handlers run in-process",
    ),
    (
        "AWS::Scheduler::ScheduleGroup",
        "moto's CloudFormation has no Scheduler types: made by hand with the Scheduler API",
    ),
    (
        "AWS::Scheduler::Schedule",
        "moto's CloudFormation has no Scheduler types; it targets a function, which is not made",
    ),
];

/// Types that only attach something to a function: skipped with it.
const ATTACHED_TO_A_FUNCTION: &[&str] = &[
    "AWS::Lambda::Permission",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::Version",
    "AWS::Lambda::Alias",
    "AWS::Lambda::Url",
    "AWS::Logs::SubscriptionFilter",
];

/// The stack as moto made it.
#[derive(Debug)]
pub struct Made {
    /// Names and values for the template's intrinsics, the stack's physical
    /// ids included.
    pub context: Context,
    /// The stack's outputs (those moto could make).
    pub outputs: BTreeMap<String, String>,
    /// What was skipped or made by hand, and why (logical id, type, why).
    pub not_made: Vec<(String, String, String)>,
}

impl Made {
    /// A function's environment, evaluated against the stack.
    pub fn environment(&self, function: &str) -> BTreeMap<String, String> {
        let variables =
            &self.context.template["Resources"][function]["Properties"]["Environment"]["Variables"];
        let evaluated = self
            .context
            .eval(variables)
            .unwrap_or_else(|e| panic!("{function}'s environment: {e}"));
        evaluated
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect())
            .unwrap_or_default()
    }

    /// An output, which the stack must have.
    pub fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("the stack has no output {name}: {:?}", self.outputs))
    }
}

fn attached_to_skipped(resource: &Value, skipped: &BTreeSet<String>) -> bool {
    let kind = resource["Type"].as_str().unwrap_or_default();
    let mut refs = BTreeSet::new();
    references(&resource["Properties"], &mut refs);
    let points_at_skipped = refs.iter().any(|r| skipped.contains(r));
    let custom = kind.starts_with("Custom::") || kind == "AWS::CloudFormation::CustomResource";
    points_at_skipped && (ATTACHED_TO_A_FUNCTION.contains(&kind) || custom)
}

/// Replaces every reference to a skipped resource in `value` with what
/// `planned` says it would be.
fn inline_skipped(value: &Value, skipped: &BTreeSet<String>, planned: &Context) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| inline_skipped(v, skipped, planned))
                .collect(),
        ),
        Value::Object(map) => {
            let mut refs = BTreeSet::new();
            if map.len() == 1 {
                references(value, &mut refs);
            }
            let direct = map.len() == 1
                && (map.contains_key("Ref")
                    || map.contains_key("Fn::GetAtt")
                    || map.contains_key("Fn::Sub"));
            if direct && refs.iter().any(|r| skipped.contains(r)) {
                return planned
                    .eval(value)
                    .unwrap_or_else(|e| panic!("cannot stand in for {value}: {e}"));
            }
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), inline_skipped(v, skipped, planned));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Makes the template as stack `stack` on the moto `sdk` points at (reset
/// beforehand), with the parameters' defaults.
pub async fn make(template: &Value, stack: &str, sdk: &aws_config::SdkConfig) -> Made {
    let planned = Context::planned(template, stack, &BTreeMap::new());
    let mut not_made = Vec::new();
    let mut skipped: BTreeSet<String> = BTreeSet::new();
    for (logical, resource) in resources(template) {
        let kind = resource["Type"].as_str().unwrap_or_default();
        if let Some((_, why)) = NEVER_MADE.iter().find(|(k, _)| *k == kind) {
            skipped.insert(logical.clone());
            not_made.push((logical.clone(), kind.to_owned(), (*why).to_owned()));
        }
    }
    for (logical, resource) in resources(template) {
        if !skipped.contains(logical) && attached_to_skipped(resource, &skipped) {
            let kind = resource["Type"].as_str().unwrap_or_default().to_owned();
            not_made.push((
                logical.clone(),
                kind,
                "attaches something to a function, which is not made".into(),
            ));
            skipped.insert(logical.clone());
        }
    }

    let mut kept = template.clone();
    let all = kept["Resources"].as_object_mut().unwrap();
    all.retain(|logical, _| !skipped.contains(logical));
    for (logical, resource) in all.iter_mut() {
        if resource["Type"] == "AWS::S3::Bucket"
            && let Some(n) = resource["Properties"]
                .get_mut("NotificationConfiguration")
                .and_then(Value::as_object_mut)
            && n.remove("LambdaConfigurations").is_some()
        {
            not_made.push((
                format!("{logical}.NotificationConfiguration.LambdaConfigurations"),
                "S3 → Lambda notification".into(),
                "targets a function, which is not made; the test hands validate S3's event".into(),
            ));
        }
        if let Some(depends) = resource.get_mut("DependsOn") {
            let list: Vec<Value> = match &*depends {
                Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            *depends = Value::Array(
                list.into_iter()
                    .filter(|d| !skipped.contains(d.as_str().unwrap_or_default()))
                    .collect(),
            );
        }
        let props = resource["Properties"].clone();
        resource["Properties"] = inline_skipped(&props, &skipped, &planned);
    }
    if let Some(outputs) = kept.get_mut("Outputs").and_then(Value::as_object_mut) {
        for output in outputs.values_mut() {
            *output = inline_skipped(output, &skipped, &planned);
        }
    }

    let cfn = aws_sdk_cloudformation::Client::new(sdk);
    cfn.create_stack()
        .stack_name(stack)
        .template_body(kept.to_string())
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .unwrap_or_else(|e| panic!("moto's CloudFormation refused the stack: {e:?}"));
    let described = loop {
        let got = cfn
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .expect("describes the stack");
        let described = got.stacks()[0].clone();
        match described.stack_status() {
            Some(StackStatus::CreateInProgress) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Some(StackStatus::CreateComplete) => break described,
            other => {
                let events = cfn
                    .describe_stack_events()
                    .stack_name(stack)
                    .send()
                    .await
                    .map(|e| format!("{:#?}", e.stack_events()))
                    .unwrap_or_default();
                panic!("the stack ended {other:?}: {events}");
            }
        }
    };
    let mut physical: BTreeMap<String, String> = planned.physical.clone();
    let mut made: BTreeSet<String> = BTreeSet::new();
    let mut next = None;
    loop {
        let page = cfn
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(next)
            .send()
            .await
            .expect("lists the stack's resources");
        for r in page.stack_resource_summaries() {
            if let (Some(logical), Some(id)) = (r.logical_resource_id(), r.physical_resource_id()) {
                physical.insert(logical.to_owned(), id.to_owned());
                made.insert(logical.to_owned());
            }
        }
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    let conditions = Context {
        physical: physical.clone(),
        ..planned.clone()
    };
    for logical in resources(&kept).keys() {
        if !made.contains(logical) && conditions.exists(logical).unwrap_or(true) {
            let kind = kept["Resources"][logical]["Type"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            not_made.push((
                logical.clone(),
                kind,
                "moto's CloudFormation did not make it (a type it does not support); nothing in the pipeline uses it".into(),
            ));
        }
    }

    // The schedule group, by hand, under the name the template gives it.
    let scheduler = aws_sdk_scheduler::Client::new(sdk);
    for (logical, resource) in resources(template) {
        if resource["Type"] == "AWS::Scheduler::ScheduleGroup" {
            let name = &planned.physical[logical];
            scheduler
                .create_schedule_group()
                .name(name)
                .send()
                .await
                .unwrap_or_else(|e| panic!("creates the schedule group {name}: {e:?}"));
        }
    }

    let outputs = described
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect();
    let context = Context {
        template: template.clone(),
        stack: stack.to_owned(),
        parameters: planned.parameters.clone(),
        physical,
    };
    eprintln!("the stack {stack} in moto; not made by CloudFormation:");
    for (logical, kind, why) in &not_made {
        eprintln!("  {logical} ({kind}): {why}");
    }
    Made {
        context,
        outputs,
        not_made,
    }
}
