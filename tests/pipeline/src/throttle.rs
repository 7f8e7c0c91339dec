//! SNS throttling, which moto never does: a proxy on 127.0.0.1 in front of
//! moto that answers chosen Publish requests with SNS's own Throttling error
//! and passes every other request through.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const THROTTLED: &str = "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
    <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
    <RequestId>9f2c1a7e-throttled</RequestId></ErrorResponse>";

/// The proxy's address, and how many Publish requests it has seen.
pub struct ThrottlingSns {
    pub url: String,
    pub publishes: Arc<AtomicUsize>,
}

impl ThrottlingSns {
    /// Publish requests numbered (from 0) in `throttled` get Throttling.
    pub fn start(moto: &str, throttled: Range<usize>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the proxy");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let publishes = Arc::new(AtomicUsize::new(0));
        let counted = publishes.clone();
        let moto = moto.to_owned();
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let Some((path, headers, body)) = read_request(&mut stream) else {
                    continue;
                };
                let publish = body.windows(14).any(|w| w == b"Action=Publish");
                let number = if publish {
                    counted.fetch_add(1, Ordering::SeqCst)
                } else {
                    usize::MAX
                };
                let (status, content_type, answer) = if throttled.contains(&number) {
                    (400, "text/xml".to_owned(), THROTTLED.as_bytes().to_vec())
                } else {
                    forward(&agent, &moto, &path, &headers, body)
                };
                let head = format!(
                    "HTTP/1.1 {status} Proxied\r\ncontent-type: {content_type}\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&answer);
            }
        });
        Self { url, publishes }
    }
}

type Headers = Vec<(String, String)>;

fn read_request(stream: &mut std::net::TcpStream) -> Option<(String, Headers, Vec<u8>)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let path = request_line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" {
            break;
        }
        let (name, value) = line.trim_end().split_once(':')?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().ok()?;
        }
        headers.push((name, value));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((path, headers, body))
}

fn forward(
    agent: &ureq::Agent,
    moto: &str,
    path: &str,
    headers: &Headers,
    body: Vec<u8>,
) -> (u16, String, Vec<u8>) {
    let mut request = agent.post(format!("{moto}{path}"));
    for (name, value) in headers {
        if matches!(
            name.as_str(),
            "authorization" | "content-type" | "x-amz-date" | "x-amz-target"
        ) {
            request = request.header(name, value);
        }
    }
    let mut response = request.send(&body[..]).expect("moto answers the proxy");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/xml")
        .to_owned();
    let answer = response.body_mut().read_to_vec().unwrap_or_default();
    (status, content_type, answer)
}
