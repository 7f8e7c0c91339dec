//! Each function's adapters, as its `main` builds them: on the hand-made
//! stack ([`Functions::on_stack`]), or from the function's own environment
//! in the template ([`Functions::from_template`]), so that a wrong value
//! there (another table, no sender id, a timeout the sweep refuses) breaks
//! the run.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::SdkConfig;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::s3::S3ObjectStore;
use batchmsg_aws::sns::{SenderId, SnsOptOuts, SnsSmsSender};
use batchmsg_aws::sqs::SqsSendQueue;
use batchmsg_core::sending::SweepTimes;
use batchmsg_moto::{RequestCount, Stack};

/// The validate function's adapters.
pub struct Validate {
    pub repos: DynamoRepos,
    pub objects: S3ObjectStore,
    pub opt_outs: SnsOptOuts,
}

/// The wave function's adapters.
pub struct Release {
    pub repos: DynamoRepos,
    pub queue: SqsSendQueue,
}

/// The sweep function's adapters and times.
pub struct Sweep {
    pub repos: DynamoRepos,
    pub sender: SnsSmsSender,
    pub queue: SqsSendQueue,
    pub times: SweepTimes,
}

/// Every function but send (whose adapters are the pipeline's `sending`).
pub struct Functions {
    pub validate: Validate,
    pub wave: Release,
    pub delivery_status: DynamoRepos,
    pub sweep: Sweep,
}

impl Functions {
    /// All on the hand-made stack's adapters.
    pub fn on_stack(stack: &Stack, sdk: &SdkConfig) -> Self {
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(sdk)
                .interceptor(stack.requests.clone())
                .build(),
        );
        Self {
            validate: Validate {
                repos: stack.repos.clone(),
                objects: S3ObjectStore::new(stack.s3.clone(), batchmsg_moto::BUCKET),
                opt_outs: SnsOptOuts::from_client(sns),
            },
            wave: Release {
                repos: stack.repos.clone(),
                queue: stack.queue.clone(),
            },
            delivery_status: stack.repos.clone(),
            sweep: Sweep {
                repos: stack.repos.clone(),
                sender: stack.sender.clone(),
                queue: stack.queue.clone(),
                times: SweepTimes::default(),
            },
        }
    }

    /// Each from its own environment (`env[function]`, the template's
    /// logical id), through clients configured as the adapters' `from_env`
    /// configure them, each counting into `requests`.
    pub fn from_template(
        sdk: &SdkConfig,
        requests: &RequestCount,
        env: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> Self {
        let clients = Clients::new(sdk, requests);
        let validate = &env["ValidateFunction"];
        let wave = &env["WaveFunction"];
        let sweep = &env["SweepFunction"];
        Self {
            validate: Validate {
                repos: clients.repos(validate),
                objects: S3ObjectStore::new(clients.s3.clone(), var(validate, "BATCHMSG_BUCKET")),
                opt_outs: SnsOptOuts::from_client(clients.sns.clone()),
            },
            wave: Release {
                repos: clients.repos(wave),
                queue: clients.queue(wave),
            },
            delivery_status: clients.repos(&env["DeliveryStatusFunction"]),
            sweep: Sweep {
                repos: clients.repos(sweep),
                sender: clients.sender(sweep),
                queue: clients.queue(sweep),
                times: batchmsg_sweep::times_from(|name| sweep.get(name).cloned())
                    .unwrap_or_else(|e| panic!("the sweep refuses its environment: {e}")),
            },
        }
    }
}

/// A variable the function's code requires.
pub fn var<'a>(env: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    env.get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| panic!("the template does not set {name} on this function: {env:?}"))
}

/// Clients as the adapters' `from_env` make them, counting requests.
pub struct Clients {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub sns_sender: aws_sdk_sns::Client,
}

impl Clients {
    /// The adapters' own client configurations on `sdk`, with longer
    /// timeouts than the 5 s a DynamoDB or SQS call gets in Lambda: moto
    /// takes seconds over a Query of a 10,000-recipient table that
    /// DynamoDB answers in milliseconds. (The adapters keep timeouts the
    /// SDK's configuration sets, as in Lambda they would.)
    pub fn new(sdk: &SdkConfig, requests: &RequestCount) -> Self {
        let sdk = &sdk
            .to_builder()
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(120))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            )
            .build();
        let dynamo = aws_sdk_dynamodb::Client::from_conf(
            batchmsg_aws::dynamo::client_config(sdk)
                .to_builder()
                .interceptor(requests.clone())
                .build(),
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(true)
                .interceptor(requests.clone())
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(sdk)
                .timeout_config(batchmsg_aws::config::with_timeouts(
                    sdk,
                    Duration::from_secs(5),
                    Duration::from_secs(2),
                ))
                .interceptor(requests.clone())
                .build(),
        );
        let sns_sender = aws_sdk_sns::Client::from_conf(
            batchmsg_aws::sns::client_config(sdk)
                .to_builder()
                .interceptor(requests.clone())
                .build(),
        );
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(sdk)
                .interceptor(requests.clone())
                .build(),
        );
        Self {
            dynamo,
            s3,
            sqs,
            sns,
            sns_sender,
        }
    }

    pub fn repos(&self, env: &BTreeMap<String, String>) -> DynamoRepos {
        DynamoRepos::new(self.dynamo.clone(), var(env, "BATCHMSG_TABLE"))
    }

    pub fn queue(&self, env: &BTreeMap<String, String>) -> SqsSendQueue {
        SqsSendQueue::new(self.sqs.clone(), var(env, "BATCHMSG_SEND_QUEUE_URL"))
    }

    pub fn sender(&self, env: &BTreeMap<String, String>) -> SnsSmsSender {
        let id: SenderId = var(env, "BATCHMSG_SENDER_ID")
            .parse()
            .unwrap_or_else(|e| panic!("BATCHMSG_SENDER_ID is not a sender id: {e}"));
        SnsSmsSender::new(self.sns_sender.clone(), Some(id))
    }
}
