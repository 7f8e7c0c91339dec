//! The AWS-protocol server the adapter tests run against: moto in server
//! mode on 127.0.0.1, started by `scripts/test` (or by hand, see
//! [`Moto::connect`]). moto's reset is global, so the tests of a binary take
//! turns: [`Moto::connect`] holds a lock until the test ends.

mod batch;
pub mod items;
mod stack;

pub use batch::{BATCH, recipient, ten_in_three_waves};

pub use stack::{
    BUCKET, RequestCount, SCHEDULE_GROUP, SCHEDULER_ROLE_ARN, SEND_QUEUE, SENDER_ID, Stack, TABLE,
    WAVE_FUNCTION_ARN, create_bucket,
};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use tokio::sync::{Mutex, MutexGuard};

static TURN: Mutex<()> = Mutex::const_new(());

pub const REGION: &str = "eu-west-2";

/// A connection to moto, reset and ready; the test's turn lasts while it lives.
pub struct Moto {
    pub endpoint: String,
    pub sdk: SdkConfig,
    _turn: MutexGuard<'static, ()>,
}

impl Moto {
    /// Waits for this binary's other tests, resets moto and returns the SDK
    /// configuration pointed at it. Panics, saying how to start moto, if
    /// there is none.
    pub async fn connect() -> Self {
        let turn = TURN.lock().await;
        let endpoint = std::env::var("BATCHMSG_TEST_MOTO").unwrap_or_else(|_| {
            panic!(
                "BATCHMSG_TEST_MOTO is not set, so there is no AWS-protocol server to test \
                 against. Run the tests with `bash scripts/test`, which starts one, or start \
                 moto yourself (`source scripts/moto.sh`, or \
                 `moto_server -H 127.0.0.1 -p 5000` and \
                 `export BATCHMSG_TEST_MOTO=http://127.0.0.1:5000`)"
            )
        });
        let reset = format!("{endpoint}/moto-api/reset");
        if let Err(error) = ureq::post(&reset).send_empty() {
            panic!(
                "moto is not answering at {endpoint} ({error}). Start it with \
                 `source scripts/moto.sh`, or run the tests with `bash scripts/test`"
            );
        }
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await;
        Self {
            endpoint,
            sdk,
            _turn: turn,
        }
    }

    /// moto's record of everything, as JSON (`/moto-api/data.json`).
    pub fn data(&self) -> serde_json::Value {
        // Large: it holds every table item and message.
        let body = ureq::get(format!("{}/moto-api/data.json", self.endpoint))
            .call()
            .expect("moto's data")
            .into_body()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .expect("moto's data as text");
        serde_json::from_str(&body).expect("moto's data is JSON")
    }

    /// The SMS texts SNS took: (message id, phone number, message).
    pub fn sms_sent(&self) -> Vec<(String, String, String)> {
        let data = self.data();
        let mut texts = Vec::new();
        if let Some(regions) = data["sns"]["SMS"].as_object() {
            for sms in regions
                .values()
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            {
                texts.push(sms_fields(&sms));
            }
        } else if let Some(list) = data["sns"]["SMS"].as_array() {
            texts.extend(list.iter().map(sms_fields));
        }
        texts
    }
}

fn sms_fields(sms: &serde_json::Value) -> (String, String, String) {
    let field = |name: &str| sms[name].as_str().unwrap_or_default().to_owned();
    (field("message_id"), field("phone_number"), field("message"))
}
