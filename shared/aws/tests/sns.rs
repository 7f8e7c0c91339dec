//! The SMS sender against moto's SNS (texts recorded, ids returned, opt-out
//! check), and against a tiny fake SNS for the answers moto never gives
//! (throttling; proof that a 5xx is not sent again).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sns::config::Credentials;
use batchmsg_aws::sns::{SnsSmsSender, THROTTLE_ATTEMPTS, classify, client_config};
use batchmsg_core::batch::{BatchId, Recipient};
use batchmsg_core::ports::{PublishError, PublishedLookup, SmsSender};
use batchmsg_core::sms::Encoding;
use batchmsg_moto::Moto;
use chrono::{TimeDelta, Utc};

fn recipient(seq: u32, mobile: &str, body: &str) -> Recipient {
    Recipient {
        seq,
        row: u64::from(seq) + 2,
        nhs_number: "9434765919".parse().unwrap(),
        mobile: mobile.parse().unwrap(),
        body: body.into(),
        encoding: Encoding::Gsm7,
        fragments: 1,
    }
}

fn sender(sdk: &aws_config::SdkConfig) -> SnsSmsSender {
    SnsSmsSender::new(
        aws_sdk_sns::Client::from_conf(client_config(sdk)),
        Some("NHS Clinic".parse().unwrap()),
    )
}

fn batch() -> BatchId {
    "20261125-170455-3f9a".parse().unwrap()
}

#[tokio::test]
async fn every_text_published_is_the_one_sns_took_with_its_id() {
    let moto = Moto::connect().await;
    let sns = sender(&moto.sdk);
    let recipients = [
        recipient(
            0,
            "+447700900001",
            "Your flu jab is on 3 Dec at 10:15. Reply? Call 0300 000 0000.",
        ),
        recipient(
            1,
            "+447700900002",
            "Dear Zoë, your appointment is confirmed — see you soon 🙂",
        ),
        recipient(
            2,
            "+447700900003",
            &"A longer reminder that takes three fragments. ".repeat(9),
        ),
        recipient(3, "+447700900004", "Same body"),
        recipient(4, "+447700900005", "Same body"),
    ];
    let started = Instant::now();
    let before = Utc::now();
    let mut published = Vec::new();
    for r in &recipients {
        published.push(sns.publish(&batch(), r).await.expect("published"));
    }
    let took = started.elapsed();

    let expected: BTreeSet<(String, String, String)> = recipients
        .iter()
        .zip(&published)
        .map(|(r, p)| {
            (
                p.provider_id.clone(),
                r.mobile.e164().as_str().to_owned(),
                r.body.as_str().to_owned(),
            )
        })
        .collect();
    let sent: BTreeSet<_> = moto.sms_sent().into_iter().collect();
    assert_eq!(sent, expected);
    assert_eq!(sent.len(), recipients.len(), "ids are distinct");
    for (r, p) in recipients.iter().zip(&published) {
        assert_eq!(p.seq, r.seq);
        assert!(p.at >= before && p.at <= Utc::now() + TimeDelta::seconds(1));
    }
    assert_eq!(
        sns.lookup(&batch(), &[0, 1]).await.unwrap(),
        PublishedLookup::Unknowable
    );
    eprintln!("5 publishes: {took:?}");
}

/// A recipient's mobile is a `UkMobile`, published in E.164 form, so no
/// number in another form reaches SNS; SNS's own refusal hides the number.
#[tokio::test]
async fn sns_refusals_hide_the_number() {
    let moto = Moto::connect().await;
    // moto's own check (E.164 by its regex), through the real client.
    let client = aws_sdk_sns::Client::from_conf(client_config(&moto.sdk));
    let raw = client
        .publish()
        .phone_number("+44 7700 900123")
        .message("Hello")
        .send()
        .await
        .expect_err("moto refuses it");
    let error = classify(&raw);
    match &error {
        PublishError::Refused(reason) => {
            assert_eq!(
                reason,
                "InvalidParameter: SNS refused the phone number or the message as invalid"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(moto.sms_sent().is_empty());
}

#[tokio::test]
async fn a_text_too_long_is_refused_and_the_reason_quotes_nothing() {
    let moto = Moto::connect().await;
    let sns = sender(&moto.sdk);
    // moto refuses a text over 1,600 characters with InvalidParameter.
    let body = "x".repeat(1_601);
    let error = sns
        .publish(&batch(), &recipient(0, "+447700900123", &body))
        .await
        .expect_err("moto refuses it");
    let PublishError::Refused(reason) = &error else {
        panic!("{error:?}");
    };
    assert!(reason.starts_with("InvalidParameter: "), "{reason}");
    assert!(
        !reason.contains("900123") && !reason.contains("xxxx"),
        "{reason}"
    );
    assert!(moto.sms_sent().is_empty());
}

#[tokio::test]
async fn the_opt_out_check_asks_sns() {
    let moto = Moto::connect().await;
    let sns = sender(&moto.sdk);
    // moto's check is fake: numbers ending in 99 have opted out.
    assert!(sns.opted_out("+447700900199").await.unwrap());
    assert!(!sns.opted_out("+447700900123").await.unwrap());
}

/// A fake SNS on 127.0.0.1 that answers every request with `status` and
/// `body`, counting requests.
fn fake_sns(status: u16, body: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut request = vec![0; length];
            let _ = reader.read_exact(&mut request);
            counted.fetch_add(1, Ordering::SeqCst);
            let answer = format!(
                "HTTP/1.1 {status} Whatever\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, count)
}

async fn fake_sdk(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "fake"))
        .load()
        .await
}

const THROTTLED: &str = "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
    <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
    <RequestId>1</RequestId></ErrorResponse>";

const INTERNAL: &str = "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
    <Error><Type>Receiver</Type><Code>InternalError</Code>\
    <Message>Internal error for +447700900123</Message></Error>\
    <RequestId>2</RequestId></ErrorResponse>";

#[tokio::test]
async fn a_throttled_text_is_tried_again_then_reported_throttled() {
    let (url, requests) = fake_sns(400, THROTTLED);
    let sns = sender(&fake_sdk(&url).await);
    let started = Instant::now();
    let error = sns
        .publish(&batch(), &recipient(0, "+447700900123", "Hello"))
        .await
        .expect_err("throttled");
    assert!(matches!(error, PublishError::Throttled), "{error:?}");
    assert_eq!(requests.load(Ordering::SeqCst), THROTTLE_ATTEMPTS as usize);
    eprintln!(
        "{THROTTLE_ATTEMPTS} throttled attempts: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_error_is_never_sent_again() {
    let (url, requests) = fake_sns(500, INTERNAL);
    let sns = sender(&fake_sdk(&url).await);
    let error = sns
        .publish(&batch(), &recipient(0, "+447700900123", "Hello"))
        .await
        .expect_err("fails");
    let PublishError::Unavailable(port) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(port.to_string(), "SNS Publish: HTTP 500, InternalError");
    assert_eq!(requests.load(Ordering::SeqCst), 1, "the SDK did not retry");
}
