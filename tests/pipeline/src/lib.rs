//! The whole AWS pipeline on moto, driven as AWS drives it: the events each
//! function gets are built from the fixtures of the functions' own tests
//! (the shapes AWS sends) and handed to the handlers in-process.
//!
//! - S3 → validate: an `ObjectCreated:Put` record for the upload's key.
//! - the API's "send" (its own issue) → `plan_waves` + `schedule_batch` on
//!   EventBridge Scheduler; a schedule "fires" by reading its target input
//!   back from the Scheduler API and handing it to the wave function.
//! - SQS → send: a poller that does what Lambda's event source mapping does
//!   (ReceiveMessage 10 at a time, delete what succeeded, leave the reported
//!   failures to come back), counted apart as the poller's requests.
//! - SNS → CloudWatch Logs → delivery-status: a delivery log for each text
//!   moto's SNS took, in subscription payloads (gzip + base64).
//! - the sweep schedule → sweep.
//!
//! Every log line of the run is captured (JSON, as in Lambda) for the
//! privacy check.

pub mod functions;
pub mod throttle;

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use aws_lambda_events::event::cloudwatch_logs::LogsEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName,
};
use base64::Engine;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::scheduler::schedule_name;
use batchmsg_aws::sns::SnsSmsSender;
use batchmsg_aws::sqs::SqsSendQueue;
use batchmsg_core::batch::{Batch, BatchId, RecipientRecord, Wave};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::ports::{BatchRepo, RecipientRepo, SystemClock};
use batchmsg_core::rate::EvenlySpacedLimiter;
use batchmsg_core::sending::schedule_batch;
use batchmsg_core::waves::{Schedule, plan_waves};
use batchmsg_moto::{BUCKET, Moto, RequestCount, SCHEDULE_GROUP, Stack};
use batchmsg_send::timing::CallTimes;
use batchmsg_send::{Sending, Timing};
use chrono::{DateTime, TimeDelta, Utc};
use functions::Functions;
use serde_json::{Value, json};

pub const BATCH: &str = "20261125-090000-0001";
pub const UPLOAD_KEY: &str = "uploads/north-clinic/20261125-090000-0001.csv";
pub const MESSAGE: &str = "Dear ((Patient Name)), your flu jab is due. Book at the surgery.";

/// Lambda's SQS batch size.
const SQS_BATCH: i32 = 10;

fn fixture(path: &str) -> Value {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every log line written while the binary runs, as JSON lines.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("logs are UTF-8")
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// The binary's logs, at the level Lambda runs at (info) and below it for
/// our own crates, so that nothing a debug line would print escapes the
/// check.
pub fn logs() -> &'static CapturedLogs {
    static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .json()
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,batchmsg_core=trace,batchmsg_aws=trace,batchmsg_validate=trace,\
                 batchmsg_wave=trace,batchmsg_send=trace,batchmsg_delivery_status=trace,\
                 batchmsg_sweep=trace",
            ))
            .with_writer(move || writer.clone())
            .init();
        logs
    })
}

pub type SendWith =
    Sending<DynamoRepos, SnsSmsSender, EvenlySpacedLimiter, SystemClock, SqsSendQueue>;

/// How the tests' send function times itself: the adapters' bounds, at
/// `limiter`'s pace; throttled texts come back at once.
pub fn send_timing(limiter: &EvenlySpacedLimiter) -> Timing {
    Timing {
        interval: limiter.interval(),
        calls: CallTimes::aws(),
        throttle_delay: std::time::Duration::ZERO,
    }
}

/// A Lambda deadline no test comes near (the 900 s maximum).
pub fn send_deadline() -> DateTime<Utc> {
    Utc::now() + TimeDelta::seconds(900)
}

/// A reset moto holding the stack, and the one batch of the test.
pub struct Pipeline {
    pub moto: Moto,
    pub stack: Stack,
    /// SQS requests of Lambda's event source mapping (not our code's).
    pub poller: RequestCount,
    poller_sqs: aws_sdk_sqs::Client,
    /// Uncounted: the test's own look at what the stack did.
    inspect_scheduler: aws_sdk_scheduler::Client,
    pub sending: SendWith,
    /// The other functions' adapters.
    pub functions: Functions,
    /// The bucket uploads go to, and the group wave schedules go in.
    pub bucket: String,
    pub schedule_group: String,
    /// How long a send invocation may run (the function's Timeout).
    pub send_timeout: TimeDelta,
    pub batch: BatchId,
    /// The ETag of the list uploaded, which S3's event carries.
    uploaded: Mutex<Option<String>>,
}

/// What the SQS poller saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Polled {
    pub invocations: u64,
    pub messages: u64,
    /// Messages reported as failed, to come back.
    pub retried: u64,
}

impl Pipeline {
    pub async fn new() -> Self {
        logs();
        let moto = Moto::connect().await;
        let stack = moto.stack().await;
        let poller = RequestCount::default();
        let poller_sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&moto.sdk)
                .interceptor(poller.clone())
                .build(),
        );
        let inspect_scheduler = aws_sdk_scheduler::Client::new(&moto.sdk);
        // 500 texts a second for each of 4 instances: the pace is not
        // what this measures (the limiter's unit tests and
        // bench/rate-accuracy.sh do), but the limiter is on the path.
        let limiter = EvenlySpacedLimiter::new(2_000.0, 4).expect("a rate");
        let sending = Sending {
            repos: stack.repos.clone(),
            sender: stack.sender.clone(),
            timing: send_timing(&limiter),
            limiter,
            clock: SystemClock,
            queue: stack.queue.clone(),
        };
        logs().clear();
        let functions = Functions::on_stack(&stack, &moto.sdk);
        Self {
            poller,
            poller_sqs,
            inspect_scheduler,
            sending,
            functions,
            bucket: BUCKET.to_owned(),
            schedule_group: SCHEDULE_GROUP.to_owned(),
            send_timeout: TimeDelta::seconds(900),
            batch: BATCH.parse().unwrap(),
            uploaded: Mutex::new(None),
            moto,
            stack,
        }
    }

    /// The pipeline on the stack `infra/template.yaml` makes in moto's
    /// CloudFormation (`batchmsg_infra_tests::stack`): the test's own view
    /// (uploads, schedules, records) from the stack's outputs, and each
    /// function's adapters from its environment in the template.
    pub async fn on_template() -> Self {
        use functions::var;
        logs();
        let moto = Moto::connect().await;
        let made = batchmsg_infra_tests::stack::make(
            batchmsg_infra_tests::template::translated(),
            "batchmsg-e2e",
            &moto.sdk,
        )
        .await;
        let env: std::collections::BTreeMap<_, _> = batchmsg_infra_tests::FUNCTIONS
            .iter()
            .map(|(logical, _)| ((*logical).to_owned(), made.environment(logical)))
            .collect();
        let requests = RequestCount::default();
        let clients = functions::Clients::new(&moto.sdk, &requests);
        let scheduler_client = aws_sdk_scheduler::Client::from_conf(
            aws_sdk_scheduler::config::Builder::from(&moto.sdk)
                .interceptor(requests.clone())
                .build(),
        );
        let bucket = made.output("BucketName").to_owned();
        let schedule_group = made.output("ScheduleGroupName").to_owned();
        // The test's view, and the API's part (its own issue): from the
        // stack's outputs.
        let table = made.output("TableName");
        // The test's own reads of a whole batch take longer on moto than
        // the adapters' 5 s bound: its client has none, as `Moto::stack`'s.
        let dynamo = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&moto.sdk)
                .interceptor(requests.clone())
                .build(),
        );
        let stack = Stack {
            repos: DynamoRepos::new(dynamo.clone(), table),
            objects: batchmsg_aws::s3::S3ObjectStore::new(clients.s3.clone(), &bucket),
            queue: SqsSendQueue::new(clients.sqs.clone(), made.output("SendQueueUrl")),
            sender: SnsSmsSender::new(clients.sns_sender.clone(), None),
            opt_outs: batchmsg_aws::sns::SnsOptOuts::from_client(clients.sns.clone()),
            scheduler: batchmsg_aws::scheduler::EventBridgeScheduler::new(
                scheduler_client.clone(),
                schedule_group.clone(),
                made.output("WaveFunctionArn"),
                made.output("SchedulerRoleArn"),
            ),
            scheduler_client,
            requests: requests.clone(),
            dynamo,
            s3: clients.s3.clone(),
            sqs: clients.sqs.clone(),
        };
        let functions = Functions::from_template(&moto.sdk, &requests, &env);
        let send = &env["SendFunction"];
        // The template's rate, through the limiter the function builds
        // from it; the run itself goes faster (500 texts a second an
        // instance): the pace is bench/aws-rate.sh's to measure.
        let rate: f64 = var(send, "BATCHMSG_SMS_RATE").parse().expect("a rate");
        let concurrency: u32 = var(send, "BATCHMSG_SEND_CONCURRENCY")
            .parse()
            .expect("a concurrency");
        EvenlySpacedLimiter::new(rate, concurrency)
            .expect("the template's rate is one the send function accepts");
        let limiter = EvenlySpacedLimiter::new(2_000.0, 4).expect("a rate");
        let timeout = made
            .context
            .eval(&made.context.template["Resources"]["SendFunction"]["Properties"]["Timeout"])
            .expect("the send function's Timeout");
        let timeout: i64 = batchmsg_infra_tests::template::scalar(&timeout)
            .parse()
            .expect("a whole number of seconds");
        let sending = Sending {
            repos: clients.repos(send),
            sender: clients.sender(send),
            timing: send_timing(&limiter),
            limiter,
            clock: SystemClock,
            queue: clients.queue(send),
        };
        let poller = RequestCount::default();
        let poller_sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&moto.sdk)
                .interceptor(poller.clone())
                .build(),
        );
        let inspect_scheduler = aws_sdk_scheduler::Client::new(&moto.sdk);
        requests.clear();
        logs().clear();
        Self {
            poller,
            poller_sqs,
            inspect_scheduler,
            sending,
            functions,
            bucket,
            schedule_group,
            send_timeout: TimeDelta::seconds(timeout),
            batch: BATCH.parse().unwrap(),
            uploaded: Mutex::new(None),
            moto,
            stack,
        }
    }

    /// What the API will do (its own issue): a batch waiting for its list,
    /// and the list put at its upload key.
    pub async fn upload(&self, list: Vec<u8>) {
        let created = self
            .stack
            .repos
            .create_batch(&Batch {
                id: self.batch.clone(),
                status: BatchStatus::AwaitingUpload,
                created_at: Utc::now(),
                list_name: "flu-recall.csv".into(),
                message: MESSAGE.into(),
                rows: 0,
                accepted: 0,
                not_accepted: 0,
            })
            .await
            .expect("creates the batch");
        assert!(created);
        let put = self
            .stack
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(UPLOAD_KEY)
            .body(list.into())
            .send()
            .await
            .expect("uploads the list");
        let tag = put.e_tag().expect("an ETag").trim_matches('"').to_owned();
        *self.uploaded.lock().unwrap() = Some(tag);
    }

    /// S3's event for the upload, as the validate function gets it.
    pub fn upload_event(&self) -> Value {
        let mut event = fixture("functions/validate/tests/fixtures/s3-object-created.json");
        event["Records"][0]["s3"]["object"]["key"] = json!(UPLOAD_KEY);
        event["Records"][0]["s3"]["object"]["eTag"] = json!(self.uploaded.lock().unwrap().clone());
        event
    }

    pub async fn validate(&self) -> batchmsg_validate::ValidateSummary {
        let validate = &self.functions.validate;
        batchmsg_validate::handle(
            &validate.repos,
            &validate.objects,
            &validate.opt_outs,
            &SystemClock,
            self.upload_event(),
        )
        .await
        .expect("validates the upload")
    }

    /// The API's "send" (its own issue): waves planned and scheduled.
    pub async fn schedule(&self, schedule: Schedule) -> Vec<Wave> {
        let batch = self.stack.repos.batch(&self.batch).await.unwrap().unwrap();
        let plan = plan_waves(batch.accepted, &schedule, None, Utc::now()).expect("a plan");
        let repos = &self.stack.repos;
        schedule_batch(repos, repos, &self.stack.scheduler, &self.batch, &plan)
            .await
            .expect("schedules the batch")
    }

    /// The schedules in the group: name → (`at()` expression, target input).
    pub async fn schedules(&self) -> HashMap<String, (String, Value)> {
        let listed = self
            .inspect_scheduler
            .list_schedules()
            .group_name(&self.schedule_group)
            .send()
            .await
            .unwrap();
        let mut schedules = HashMap::new();
        for summary in listed.schedules() {
            let name = summary.name().unwrap().to_owned();
            let schedule = self.schedule_named(&name).await;
            schedules.insert(name, schedule);
        }
        schedules
    }

    /// One schedule's `at()` expression and target input.
    async fn schedule_named(&self, name: &str) -> (String, Value) {
        let got = self
            .inspect_scheduler
            .get_schedule()
            .group_name(&self.schedule_group)
            .name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("no schedule {name}: {e}"));
        let input = got.target().and_then(|t| t.input()).unwrap_or("null");
        (
            got.schedule_expression().unwrap_or_default().to_owned(),
            serde_json::from_str(input).unwrap(),
        )
    }

    /// The schedule of `wave` fires: its target input goes to the wave
    /// function.
    pub async fn fire(&self, wave: u32) -> batchmsg_wave::WaveSummary {
        let (_, input) = self.schedule_named(&schedule_name(&self.batch, wave)).await;
        self.fire_input(input).await
    }

    pub async fn fire_input(&self, input: Value) -> batchmsg_wave::WaveSummary {
        let wave = &self.functions.wave;
        batchmsg_wave::handle(&wave.repos, &wave.queue, input)
            .await
            .expect("releases the wave")
    }

    /// Receives one SQS batch as Lambda's poller does; `None` when the queue
    /// is empty.
    pub async fn receive(&self) -> Option<SqsEvent> {
        let received = self
            .poller_sqs
            .receive_message()
            .queue_url(self.stack.queue.queue_url())
            .max_number_of_messages(SQS_BATCH)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receives");
        let messages = received.messages();
        if messages.is_empty() {
            return None;
        }
        let fixture = fixture("functions/send/tests/fixtures/sqs-event.json");
        let template = &fixture["Records"][0];
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let mut record = template.clone();
                record["messageId"] = json!(m.message_id());
                record["receiptHandle"] = json!(m.receipt_handle());
                record["body"] = json!(m.body());
                record["md5OfBody"] = json!(m.md5_of_body());
                let attributes: serde_json::Map<String, Value> = m
                    .attributes()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
                    .collect();
                record["attributes"] = Value::Object(attributes);
                record
            })
            .collect();
        Some(serde_json::from_value(json!({ "Records": records })).expect("an SQS event"))
    }

    /// What the poller does with the function's answer: deletes the
    /// messages that succeeded, and makes the failures visible again at once
    /// (Lambda waits for the visibility timeout).
    pub async fn settle(&self, event: &SqsEvent, response: &SqsBatchResponse) -> u64 {
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let (mut done, mut again) = (Vec::new(), Vec::new());
        for (i, record) in event.records.iter().enumerate() {
            let id = record.message_id.as_deref().unwrap();
            let handle = record.receipt_handle.as_deref().unwrap();
            if failed.contains(&id) {
                again.push(
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(format!("m{i}"))
                        .receipt_handle(handle)
                        .visibility_timeout(0)
                        .build()
                        .unwrap(),
                );
            } else {
                done.push(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(format!("m{i}"))
                        .receipt_handle(handle)
                        .build()
                        .unwrap(),
                );
            }
        }
        let url = self.stack.queue.queue_url();
        if !done.is_empty() {
            self.poller_sqs
                .delete_message_batch()
                .queue_url(url)
                .set_entries(Some(done))
                .send()
                .await
                .expect("deletes");
        }
        if !again.is_empty() {
            self.poller_sqs
                .change_message_visibility_batch()
                .queue_url(url)
                .set_entries(Some(again.clone()))
                .send()
                .await
                .expect("makes visible again");
        }
        again.len() as u64
    }

    /// Delivers the queue to the send function until it is empty, with up
    /// to `instances` invocations at once.
    pub async fn drain(&self, instances: usize) -> Polled {
        self.drain_with(&self.sending, instances).await
    }

    /// [`Pipeline::drain`], sending through `sending`.
    pub async fn drain_with<S>(
        &self,
        sending: &Sending<DynamoRepos, S, EvenlySpacedLimiter, SystemClock, SqsSendQueue>,
        instances: usize,
    ) -> Polled
    where
        S: batchmsg_core::ports::SmsSender + Sync,
    {
        let mut polled = Polled::default();
        loop {
            let mut events = Vec::new();
            for _ in 0..instances {
                match self.receive().await {
                    Some(event) => events.push(event),
                    None => break,
                }
            }
            if events.is_empty() {
                return polled;
            }
            let responses = futures::future::join_all(events.iter().map(|event| {
                batchmsg_send::handle(sending, event.clone(), Utc::now() + self.send_timeout)
            }))
            .await;
            for (event, response) in events.iter().zip(responses) {
                let response = response.expect("the send function answers");
                polled.invocations += 1;
                polled.messages += event.records.len() as u64;
                polled.retried += self.settle(event, &response).await;
            }
        }
    }

    /// The texts moto's SNS took: (message id, phone number, message).
    pub fn texts(&self) -> Vec<(String, String, String)> {
        self.moto.sms_sent()
    }

    /// SNS's delivery log for a text: SUCCESS, or FAILURE with `failure` as
    /// the provider's response.
    pub fn delivery_log(message_id: &str, phone: &str, failure: Option<&str>) -> String {
        let path = match failure {
            None => "functions/delivery-status/tests/fixtures/sms-success.json",
            Some(_) => "functions/delivery-status/tests/fixtures/sms-failure.json",
        };
        let mut log = fixture(path);
        log["notification"]["messageId"] = json!(message_id);
        log["notification"]["timestamp"] =
            json!(Utc::now().format("%Y-%m-%d %H:%M:%S%.3f").to_string());
        log["delivery"]["destination"] = json!(phone);
        if let Some(response) = failure {
            log["delivery"]["providerResponse"] = json!(response);
        }
        log.to_string()
    }

    /// A CloudWatch Logs subscription payload carrying `messages`, as Lambda
    /// hands it to the function.
    pub fn logs_event(messages: &[String]) -> LogsEvent {
        let mut data = fixture("functions/delivery-status/tests/fixtures/logs-data-message.json");
        let start = Utc::now().timestamp_millis();
        data["logEvents"] = messages
            .iter()
            .enumerate()
            .map(|(n, message)| {
                json!({
                    "id": format!("3795043640237851280671835918583653943156446612378{n:07}"),
                    "timestamp": start + n as i64,
                    "message": message,
                })
            })
            .collect();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(data.to_string().as_bytes()).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
        let event = json!({ "awslogs": { "data": encoded } });
        serde_json::from_str(&event.to_string()).expect("a LogsEvent")
    }

    /// Delivery logs for every text SNS took, `failure(phone)` deciding
    /// which fail, in payloads of up to 500 events.
    pub async fn deliver_receipts(&self, failure: impl Fn(&str) -> Option<&'static str>) -> u64 {
        let logs: Vec<String> = self
            .texts()
            .iter()
            .map(|(id, phone, _)| Self::delivery_log(id, phone, failure(phone)))
            .collect();
        let mut applied = 0;
        for chunk in logs.chunks(500) {
            let handled = batchmsg_delivery_status::handle(
                &self.functions.delivery_status,
                Self::logs_event(chunk),
            )
            .await
            .expect("records the receipts");
            applied += handled.applied;
        }
        applied
    }

    pub async fn sweep(&self) -> batchmsg_sweep::SweepSummary {
        let sweep = &self.functions.sweep;
        batchmsg_sweep::handle(
            &sweep.repos,
            &sweep.sender,
            &sweep.queue,
            &SystemClock,
            &sweep.times,
        )
        .await
        .expect("sweeps")
    }

    pub async fn records(&self) -> Vec<RecipientRecord> {
        self.stack.repos.records(&self.batch).await.unwrap()
    }

    pub async fn status(&self) -> BatchStatus {
        self.stack
            .repos
            .batch(&self.batch)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    /// How many texts each (mobile, text) pair got from SNS.
    pub fn texts_by_recipient(&self) -> HashMap<(String, String), u32> {
        let mut counts = HashMap::new();
        for (_, phone, message) in self.texts() {
            *counts.entry((phone, message)).or_default() += 1;
        }
        counts
    }
}
