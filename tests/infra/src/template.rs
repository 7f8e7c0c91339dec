//! `infra/template.yaml` as CloudFormation sees it: translated offline by
//! AWS's SAM translator (`scripts/infra-tools.sh` installs it), so the
//! tests read the roles, environments and event source mappings the SAM
//! transform really makes, not the template's shorthand for them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

/// The region and account the tests evaluate ARNs in (moto's defaults).
pub const REGION: &str = "eu-west-2";
pub const ACCOUNT: &str = "123456789012";

/// The workspace's root folder.
pub fn root() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    root.canonicalize().unwrap_or(root)
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "BATCHMSG_SAM_TRANSLATE is not set, so infra/template.yaml cannot be translated. \
         Run the tests with `bash scripts/test`, or `source scripts/infra-tools.sh` first \
         (it installs aws-sam-translator into target/infra-venv)"
    )]
    NoTranslator,
    #[error("the SAM translator failed on {path}: {stderr}")]
    Translation { path: String, stderr: String },
    #[error("cannot run the SAM translator `{command}`: {why}")]
    Run { command: String, why: String },
    #[error("cannot evaluate {what}: {why}")]
    Eval { what: String, why: String },
}

/// Runs the translator on `path` and parses its JSON.
pub fn translate(path: &std::path::Path) -> Result<Value, TemplateError> {
    let command =
        std::env::var("BATCHMSG_SAM_TRANSLATE").map_err(|_| TemplateError::NoTranslator)?;
    let mut words = command.split_whitespace();
    let program = words.next().ok_or(TemplateError::NoTranslator)?;
    let output = Command::new(program)
        .args(words)
        .arg(path)
        .output()
        .map_err(|e| TemplateError::Run {
            command: command.clone(),
            why: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(TemplateError::Translation {
            path: path.display().to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    serde_json::from_slice(&output.stdout).map_err(|e| TemplateError::Translation {
        path: path.display().to_string(),
        stderr: format!("its output is not JSON: {e}"),
    })
}

/// `infra/template.yaml`, translated once per test binary (or the file
/// `BATCHMSG_TEMPLATE` names: how a broken copy is tried).
pub fn translated() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let path = std::env::var_os("BATCHMSG_TEMPLATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("infra/template.yaml"));
        assert!(path.exists(), "no template at {}", path.display());
        translate(&path).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// The template's resources: logical id → resource.
pub fn resources(template: &Value) -> &Map<String, Value> {
    template["Resources"]
        .as_object()
        .expect("the template has Resources")
}

/// The parameters' defaults, as CloudFormation passes them (strings).
pub fn parameter_defaults(template: &Value) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    if let Some(parameters) = template["Parameters"].as_object() {
        for (name, parameter) in parameters {
            if let Some(default) = parameter.get("Default") {
                values.insert(name.clone(), scalar(default));
            }
        }
    }
    values
}

/// The `parameter_overrides` of environment `env` in `samconfig.toml`
/// (`[env.deploy.parameters]` or `[env.global.parameters]`), as
/// `Name=Value` pairs.
pub fn samconfig_overrides(env: &str) -> BTreeMap<String, String> {
    let path = root().join("samconfig.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: toml_edit::DocumentMut = text.parse().expect("samconfig.toml is TOML");
    let mut values = BTreeMap::new();
    let mut found = false;
    for command in ["global", "deploy"] {
        let Some(overrides) = doc
            .get(env)
            .and_then(|e| e.get(command))
            .and_then(|c| c.get("parameters"))
            .and_then(|p| p.get("parameter_overrides"))
        else {
            continue;
        };
        found = true;
        let pairs: Vec<String> = if let Some(s) = overrides.as_str() {
            split_overrides(s)
        } else if let Some(list) = overrides.as_array() {
            list.iter()
                .filter_map(|v| v.as_str())
                .flat_map(split_overrides)
                .collect()
        } else {
            panic!(
                "samconfig.toml: {env}.{command}.parameters.parameter_overrides is neither a string nor a list"
            );
        };
        for pair in pairs {
            let (name, value) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("samconfig.toml: `{pair}` is not Name=Value"));
            values.insert(name.to_owned(), value.trim_matches('"').to_owned());
        }
    }
    assert!(
        found || doc.get(env).is_some(),
        "samconfig.toml has no environment `{env}`"
    );
    values
}

fn split_overrides(s: &str) -> Vec<String> {
    // `A=1 B="two words"`: split on spaces outside quotes.
    let (mut pairs, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    pairs.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        pairs.push(current);
    }
    pairs
}

/// A JSON scalar as CloudFormation's string form.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A resource's name as CloudFormation would give it: its own name
/// property when the template sets one, else `{stack}-{logical id}-{suffix}`.
fn name_property(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AWS::DynamoDB::Table" => "TableName",
        "AWS::S3::Bucket" => "BucketName",
        "AWS::SQS::Queue" => "QueueName",
        "AWS::Lambda::Function" => "FunctionName",
        "AWS::IAM::Role" => "RoleName",
        "AWS::Scheduler::ScheduleGroup" | "AWS::Scheduler::Schedule" => "Name",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::SNS::Topic" => "TopicName",
        _ => return None,
    })
}

/// What `Ref` and `Fn::GetAtt` give for a resource of `kind` whose
/// physical id is `physical` (CloudFormation's documented return values for
/// the types the template uses).
pub fn attributes(kind: &str, physical: &str) -> BTreeMap<&'static str, String> {
    let (r, a) = (REGION, ACCOUNT);
    let mut attrs = BTreeMap::new();
    match kind {
        "AWS::DynamoDB::Table" => {
            attrs.insert("Arn", format!("arn:aws:dynamodb:{r}:{a}:table/{physical}"));
            attrs.insert(
                "StreamArn",
                format!("arn:aws:dynamodb:{r}:{a}:table/{physical}/stream/x"),
            );
        }
        "AWS::S3::Bucket" => {
            attrs.insert("Arn", format!("arn:aws:s3:::{physical}"));
            attrs.insert("DomainName", format!("{physical}.s3.amazonaws.com"));
            attrs.insert(
                "RegionalDomainName",
                format!("{physical}.s3.{r}.amazonaws.com"),
            );
        }
        "AWS::SQS::Queue" => {
            // The physical id is the URL.
            let name = physical.rsplit('/').next().unwrap_or(physical);
            attrs.insert("Arn", format!("arn:aws:sqs:{r}:{a}:{name}"));
            attrs.insert("QueueName", name.to_owned());
            attrs.insert("QueueUrl", physical.to_owned());
        }
        "AWS::Lambda::Function" => {
            attrs.insert("Arn", format!("arn:aws:lambda:{r}:{a}:function:{physical}"));
        }
        "AWS::IAM::Role" => {
            attrs.insert("Arn", format!("arn:aws:iam::{a}:role/{physical}"));
            attrs.insert("RoleId", format!("AROA{physical}"));
        }
        "AWS::Scheduler::ScheduleGroup" => {
            attrs.insert(
                "Arn",
                format!("arn:aws:scheduler:{r}:{a}:schedule-group/{physical}"),
            );
        }
        "AWS::KMS::Key" => {
            attrs.insert("Arn", format!("arn:aws:kms:{r}:{a}:key/{physical}"));
            attrs.insert("KeyId", physical.to_owned());
        }
        "AWS::Logs::LogGroup" => {
            attrs.insert(
                "Arn",
                format!("arn:aws:logs:{r}:{a}:log-group:{physical}:*"),
            );
        }
        "AWS::SNS::Topic" => {
            attrs.insert("TopicArn", physical.to_owned());
            attrs.insert(
                "TopicName",
                physical.rsplit(':').next().unwrap_or(physical).to_owned(),
            );
        }
        _ => {}
    }
    attrs
}

/// A resource's `Ref` value when `name` is its name.
fn ref_value(kind: &str, name: &str) -> String {
    match kind {
        "AWS::SQS::Queue" => format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"),
        "AWS::SNS::Topic" => format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}"),
        _ => name.to_owned(),
    }
}

/// Values for the template's intrinsic functions: its parameters, and each
/// resource's physical id (from a stack, or made up the way
/// CloudFormation names things).
#[derive(Clone, Debug)]
pub struct Context {
    pub template: Value,
    pub stack: String,
    pub parameters: BTreeMap<String, String>,
    /// Logical id → physical id (what `Ref` gives).
    pub physical: BTreeMap<String, String>,
}

impl Context {
    /// Names for every resource as a stack called `stack` would have them
    /// before it exists, with the parameters' defaults overridden by
    /// `overrides`.
    pub fn planned(template: &Value, stack: &str, overrides: &BTreeMap<String, String>) -> Self {
        let mut context = Self {
            template: template.clone(),
            stack: stack.to_owned(),
            parameters: parameter_defaults(template),
            physical: BTreeMap::new(),
        };
        context.parameters.extend(overrides.clone());
        // Names may refer to parameters (and, rarely, other names): two passes.
        for _ in 0..2 {
            let mut physical = BTreeMap::new();
            for (logical, resource) in resources(template) {
                let kind = resource["Type"].as_str().unwrap_or_default();
                let named = name_property(kind)
                    .and_then(|p| resource["Properties"].get(p))
                    .and_then(|v| context.eval(v).ok())
                    .map(|v| scalar(&v));
                let name = named.unwrap_or_else(|| format!("{stack}-{logical}-TESTSUFFIX"));
                physical.insert(logical.clone(), ref_value(kind, &name));
            }
            context.physical = physical;
        }
        context
    }

    /// The environment of the function `logical` (a logical id), evaluated:
    /// name → value. Panics if the template has no such function.
    pub fn environment(&self, logical: &str) -> BTreeMap<String, String> {
        let resource = &self.template["Resources"][logical];
        assert_eq!(
            resource["Type"], "AWS::Lambda::Function",
            "the template has no function {logical}"
        );
        let variables = &resource["Properties"]["Environment"]["Variables"];
        let evaluated = self
            .eval(variables)
            .unwrap_or_else(|e| panic!("{logical}'s environment: {e}"));
        evaluated
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect())
            .unwrap_or_default()
    }

    fn kind(&self, logical: &str) -> Option<&str> {
        self.template["Resources"][logical]["Type"].as_str()
    }

    /// `Ref` of a parameter, pseudo parameter or resource.
    pub fn reference(&self, name: &str) -> Result<Value, TemplateError> {
        let value = match name {
            "AWS::Region" => REGION.to_owned(),
            "AWS::AccountId" => ACCOUNT.to_owned(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::StackName" => self.stack.clone(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{}/test",
                self.stack
            ),
            "AWS::NoValue" => return Ok(Value::Null),
            _ => {
                if let Some(value) = self.parameters.get(name) {
                    return Ok(self.parameter_value(name, value));
                }
                self.physical
                    .get(name)
                    .cloned()
                    .ok_or_else(|| TemplateError::Eval {
                        what: format!("Ref {name}"),
                        why: "no such parameter or resource".into(),
                    })?
            }
        };
        Ok(Value::String(value))
    }

    fn parameter_value(&self, name: &str, value: &str) -> Value {
        let kind = self.template["Parameters"][name]["Type"]
            .as_str()
            .unwrap_or("String");
        if kind.starts_with("List<") || kind == "CommaDelimitedList" {
            json!(value.split(',').map(str::trim).collect::<Vec<_>>())
        } else {
            Value::String(value.to_owned())
        }
    }

    /// `Fn::GetAtt` of a resource.
    pub fn attribute(&self, logical: &str, attribute: &str) -> Result<Value, TemplateError> {
        let kind = self.kind(logical).ok_or_else(|| TemplateError::Eval {
            what: format!("GetAtt {logical}.{attribute}"),
            why: "no such resource".into(),
        })?;
        let physical = &self.physical[logical];
        let name = match kind {
            "AWS::Scheduler::ScheduleGroup" if attribute == "Name" => {
                return Ok(Value::String(physical.clone()));
            }
            _ => physical,
        };
        attributes(kind, name)
            .remove(attribute)
            .map(Value::String)
            .ok_or_else(|| TemplateError::Eval {
                what: format!("GetAtt {logical}.{attribute}"),
                why: format!("the tests do not know {kind}'s {attribute}"),
            })
    }

    fn condition(&self, name: &str) -> Result<bool, TemplateError> {
        let condition = &self.template["Conditions"][name];
        if condition.is_null() {
            return Err(TemplateError::Eval {
                what: format!("Condition {name}"),
                why: "no such condition".into(),
            });
        }
        self.truth(condition)
    }

    fn truth(&self, value: &Value) -> Result<bool, TemplateError> {
        if let Some(name) = value.get("Condition").and_then(Value::as_str) {
            return self.condition(name);
        }
        match self.eval(value)? {
            Value::Bool(b) => Ok(b),
            Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
            other => Err(TemplateError::Eval {
                what: "a condition".into(),
                why: format!("{other} is not a boolean"),
            }),
        }
    }

    /// Whether a resource exists under these parameters (its `Condition`).
    pub fn exists(&self, logical: &str) -> Result<bool, TemplateError> {
        match self.template["Resources"][logical]["Condition"].as_str() {
            Some(condition) => self.condition(condition),
            None => Ok(true),
        }
    }

    /// `value` with every intrinsic function evaluated.
    pub fn eval(&self, value: &Value) -> Result<Value, TemplateError> {
        match value {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    let v = self.eval(item)?;
                    if !is_no_value(item) {
                        out.push(v);
                    }
                }
                Ok(Value::Array(out))
            }
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().unwrap();
                match key.as_str() {
                    "Ref" => self.reference(arg.as_str().unwrap_or_default()),
                    "Fn::GetAtt" => {
                        let (logical, attribute) = match arg {
                            Value::Array(parts) if parts.len() == 2 => (
                                scalar(&self.eval(&parts[0])?),
                                scalar(&self.eval(&parts[1])?),
                            ),
                            Value::String(s) => {
                                let (l, a) = s.split_once('.').unwrap_or((s, ""));
                                (l.to_owned(), a.to_owned())
                            }
                            _ => return Err(eval_error("Fn::GetAtt", arg)),
                        };
                        self.attribute(&logical, &attribute)
                    }
                    "Fn::Sub" => self.sub(arg),
                    "Fn::Join" => {
                        let parts = arg.as_array().ok_or_else(|| eval_error(key, arg))?;
                        let separator = parts[0].as_str().unwrap_or_default();
                        let list = self.eval(&parts[1])?;
                        let strings: Vec<String> = list
                            .as_array()
                            .ok_or_else(|| eval_error(key, arg))?
                            .iter()
                            .map(scalar)
                            .collect();
                        Ok(Value::String(strings.join(separator)))
                    }
                    "Fn::Select" => {
                        let parts = arg.as_array().ok_or_else(|| eval_error(key, arg))?;
                        let index: usize = scalar(&self.eval(&parts[0])?)
                            .parse()
                            .map_err(|_| eval_error(key, arg))?;
                        let list = self.eval(&parts[1])?;
                        list.get(index).cloned().ok_or_else(|| eval_error(key, arg))
                    }
                    "Fn::Split" => {
                        let parts = arg.as_array().ok_or_else(|| eval_error(key, arg))?;
                        let separator = parts[0].as_str().unwrap_or_default();
                        let text = scalar(&self.eval(&parts[1])?);
                        Ok(json!(text.split(separator).collect::<Vec<_>>()))
                    }
                    "Fn::If" => {
                        let parts = arg.as_array().ok_or_else(|| eval_error(key, arg))?;
                        let name = parts[0].as_str().unwrap_or_default();
                        let chosen = if self.condition(name)? {
                            &parts[1]
                        } else {
                            &parts[2]
                        };
                        self.eval(chosen)
                    }
                    "Fn::Equals" => {
                        let parts = arg.as_array().ok_or_else(|| eval_error(key, arg))?;
                        Ok(Value::Bool(
                            scalar(&self.eval(&parts[0])?) == scalar(&self.eval(&parts[1])?),
                        ))
                    }
                    "Fn::Not" => Ok(Value::Bool(!self.truth(&arg[0])?)),
                    "Fn::And" | "Fn::Or" => {
                        let parts = arg.as_array().ok_or_else(|| eval_error(key, arg))?;
                        let mut truths = Vec::new();
                        for part in parts {
                            truths.push(self.truth(part)?);
                        }
                        Ok(Value::Bool(if key == "Fn::And" {
                            truths.iter().all(|t| *t)
                        } else {
                            truths.iter().any(|t| *t)
                        }))
                    }
                    "Fn::FindInMap" => {
                        let parts = arg.as_array().ok_or_else(|| eval_error(key, arg))?;
                        let mut at = &self.template["Mappings"];
                        for part in parts {
                            at = &at[scalar(&self.eval(part)?)];
                        }
                        if at.is_null() {
                            return Err(eval_error(key, arg));
                        }
                        self.eval(&at.clone())
                    }
                    "Condition" => Ok(Value::Bool(
                        self.condition(arg.as_str().unwrap_or_default())?,
                    )),
                    k if k.starts_with("Fn::") => Err(eval_error(k, arg)),
                    _ => Ok(json!({ key: self.eval(arg)? })),
                }
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    if !is_no_value(v) {
                        out.insert(k.clone(), self.eval(v)?);
                    }
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn sub(&self, arg: &Value) -> Result<Value, TemplateError> {
        let (text, vars) = match arg {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Array(parts) if parts.len() == 2 => (
                parts[0].as_str().unwrap_or_default().to_owned(),
                parts[1].as_object().cloned().unwrap_or_default(),
            ),
            _ => return Err(eval_error("Fn::Sub", arg)),
        };
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(stripped) = after.strip_prefix('!') {
                out.push_str("${");
                rest = stripped;
                continue;
            }
            let end = after.find('}').ok_or_else(|| eval_error("Fn::Sub", arg))?;
            let name = &after[..end];
            let value = if let Some(v) = vars.get(name) {
                self.eval(v)?
            } else if let Some((logical, attribute)) = name.split_once('.') {
                if logical.starts_with("AWS:") {
                    self.reference(name)?
                } else {
                    self.attribute(logical, attribute)?
                }
            } else {
                self.reference(name)?
            };
            out.push_str(&scalar(&value));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Value::String(out))
    }
}

fn is_no_value(v: &Value) -> bool {
    v.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue")
}

fn eval_error(function: &str, arg: &Value) -> TemplateError {
    TemplateError::Eval {
        what: format!("{function} {arg}"),
        why: "not a form the tests evaluate".into(),
    }
}

/// Every logical id `value` refers to (`Ref`, `Fn::GetAtt`, `${…}` in
/// `Fn::Sub`), parameters and pseudo parameters included.
pub fn references(value: &Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        Value::Object(map) => {
            for (key, arg) in map {
                match key.as_str() {
                    "Ref" => {
                        if let Some(s) = arg.as_str() {
                            out.insert(s.to_owned());
                        }
                    }
                    "Fn::GetAtt" => match arg {
                        Value::Array(parts) => {
                            if let Some(s) = parts.first().and_then(Value::as_str) {
                                out.insert(s.to_owned());
                            }
                        }
                        Value::String(s) => {
                            out.insert(s.split('.').next().unwrap_or(s).to_owned());
                        }
                        _ => {}
                    },
                    "Fn::Sub" => {
                        let text = match arg {
                            Value::String(s) => s.as_str(),
                            Value::Array(parts) => {
                                references(&parts[1], out);
                                parts[0].as_str().unwrap_or_default()
                            }
                            _ => "",
                        };
                        let mut rest = text;
                        while let Some(start) = rest.find("${") {
                            let after = &rest[start + 2..];
                            let end = after.find('}').unwrap_or(after.len());
                            let name = &after[..end];
                            if !name.starts_with('!') {
                                out.insert(name.split('.').next().unwrap_or(name).to_owned());
                            }
                            rest = &after[end.min(after.len())..];
                        }
                    }
                    _ => references(arg, out),
                }
            }
        }
        _ => {}
    }
}
