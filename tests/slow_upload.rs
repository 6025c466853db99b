//! Uploads that take far longer to send than the read timeout are not cut: the read timeout
//! applies to waiting for the answer once the body is sent, never to sending it.
//!
//! A hand-rolled HTTP/1.1 server on 127.0.0.1 reads request bodies at a fixed rate (the
//! client's writes block on the full socket meanwhile) and answers once the body is in.
//! Sizes and rates: the commit body is 64 MiB read at 2 MiB/s (~32 s) under a 1 s read
//! timeout; the LFS `PUT` is 8 MiB read at 1 MiB/s (~8 s), to keep the test short.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use bytes::Bytes;
use hf_hub_api::repo::Repo;
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::{Error, Hub};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MIB: usize = 1024 * 1024;

/// What the server does with one request.
#[derive(Clone)]
struct Route {
    /// The request target's path starts with this.
    prefix: &'static str,
    /// Bytes per second the body is read at (`None`: as fast as it comes).
    rate: Option<usize>,
    /// The answer (status, JSON body); `None`: never answer.
    answer: Option<(u16, String)>,
}

/// One request as received.
#[derive(Clone, Debug)]
struct Received {
    target: String,
    body_len: usize,
    read_for: Duration,
}

struct SlowServer {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SlowServer {
    async fn start(routes: Vec<Route>) -> SlowServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let routes = routes.clone();
                let log = log.clone();
                tokio::spawn(async move { serve(sock, &routes, &log).await });
            }
        });
        SlowServer { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Reads one request (head, then the body at the route's rate), answers, closes.
async fn serve(mut sock: TcpStream, routes: &[Route], log: &Mutex<Vec<Received>>) {
    let mut buf = Vec::new();
    let Some(head_end) = common::read_head(&mut sock, &mut buf).await else {
        return;
    };
    let mut chunk = vec![0u8; 16 * 1024];
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
    let length: Option<usize> = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    let Some(route) = routes.iter().find(|r| target.starts_with(r.prefix)) else {
        let _ = sock
            .write_all(b"HTTP/1.1 404 X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        return;
    };
    // The body, at the route's rate: the client's writes block while the socket is full.
    let started = Instant::now();
    let mut body_len = buf.len() - head_end;
    let mut tail: Vec<u8> = buf[head_end..].to_vec();
    let done = |len: usize, tail: &[u8]| match (length, chunked) {
        (Some(l), _) => len >= l,
        (None, true) => tail.ends_with(b"0\r\n\r\n"),
        (None, false) => true,
    };
    while !done(body_len, &tail) {
        let Ok(n) = sock.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        body_len += n;
        tail.extend_from_slice(&chunk[..n]);
        let keep = tail.len().saturating_sub(8);
        tail.drain(..keep);
        if let Some(rate) = route.rate {
            let due = Duration::from_secs_f64(body_len as f64 / rate as f64);
            tokio::time::sleep_until((started + due).into()).await;
        }
    }
    log.lock().unwrap().push(Received {
        target,
        body_len,
        read_for: started.elapsed(),
    });
    match &route.answer {
        Some((status, body)) => {
            let out = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(out.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
        None => {
            // Hold the connection open without a word.
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    }
}

fn hub(url: &str, read_timeout: Duration) -> Hub {
    Hub::builder()
        .endpoint(url)
        .token("hf_test_token")
        .read_timeout(read_timeout)
        .retry(RetryPolicy::default().with_base_delay(Duration::from_millis(5)))
        .build()
        .unwrap()
}

fn commit_answer() -> String {
    json!({"commitOid": "1".repeat(40), "commitUrl": "https://hub.example/c",
           "hookOutput": "", "success": true})
    .to_string()
}

/// A streamed commit body of `len` bytes.
fn streamed_body(len: usize) -> reqwest::Body {
    let piece = Bytes::from(vec![b'a'; 256 * 1024]);
    let chunks = len.div_ceil(piece.len());
    let stream = futures::stream::iter((0..chunks).map(move |i| {
        let n = piece.len().min(len - i * piece.len());
        Ok::<_, std::io::Error>(piece.slice(..n))
    }));
    reqwest::Body::wrap_stream(stream)
}

/// The one call site of the generated commit method.
async fn raw_commit(hub: &Hub, body: reqwest::Body) -> hf_hub_api::Result<Value> {
    hub.create_commit(&Repo::model("org/model").unwrap(), "main", body)
        .await
        .map(|r| serde_json::to_value(r).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_commit_read_at_2_mib_per_second_survives_a_1_s_read_timeout() {
    let server = SlowServer::start(vec![Route {
        prefix: "/api/models/org/model/commit/main",
        rate: Some(2 * MIB),
        answer: Some((200, commit_answer())),
    }])
    .await;
    let hub = hub(&server.url, Duration::from_secs(1));
    let answer = raw_commit(&hub, streamed_body(64 * MIB)).await.unwrap();
    assert_eq!(answer["commitOid"], "1".repeat(40));
    let seen = server.received();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].body_len >= 64 * MIB, "{}", seen[0].body_len);
    assert!(
        seen[0].read_for > Duration::from_secs(20),
        "the body took {:?} to send: the test did not test anything",
        seen[0].read_for
    );
}

#[tokio::test]
async fn no_answer_after_the_body_is_a_timeout_that_may_have_reached_the_hub() {
    let server = SlowServer::start(vec![Route {
        prefix: "/api/models/org/model/commit/main",
        rate: None,
        answer: None,
    }])
    .await;
    let hub = hub(&server.url, Duration::from_millis(500));
    let started = Instant::now();
    let err = raw_commit(&hub, streamed_body(MIB)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                maybe_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.may_have_reached_server());
    assert!(!err.is_retryable(), "the commit may have been created");
    assert_eq!(server.received().len(), 1, "sent once");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn an_lfs_put_read_at_1_mib_per_second_survives_a_1_s_read_timeout() {
    let content = vec![7u8; 8 * MIB];
    let oid: String = Sha256::digest(&content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let batch_answer = |base: &str| {
        json!({"transfer": "basic", "objects": [{"oid": oid, "size": 8 * MIB,
            "actions": {"upload": {"href": format!("{base}/storage/object")}}}]})
        .to_string()
    };
    // Storage (slow) on one server, the Hub on another that points the upload at it.
    let storage = SlowServer::start(vec![Route {
        prefix: "/storage/object",
        rate: Some(MIB),
        answer: Some((200, "{}".into())),
    }])
    .await;
    let hub_server = SlowServer::start(vec![
        Route {
            prefix: "/api/models/org/model/preupload/main",
            rate: None,
            answer: Some((
                200,
                json!({"files": [{"path": "weights.bin", "uploadMode": "lfs", "shouldIgnore": false}],
                       "commitOid": "f".repeat(40)})
                .to_string(),
            )),
        },
        Route {
            prefix: "/org/model.git/info/lfs/objects/batch",
            rate: None,
            answer: Some((200, batch_answer(&storage.url))),
        },
        Route {
            prefix: "/api/models/org/model/commit/main",
            rate: None,
            answer: Some((200, commit_answer())),
        },
    ])
    .await;
    let hub = hub(&hub_server.url, Duration::from_secs(1));
    let info = hub
        .commit(Repo::model("org/model").unwrap())
        .summary("weights")
        .add_bytes("weights.bin", content)
        .push()
        .await
        .unwrap();
    assert_eq!(info.oid, "1".repeat(40));
    let put = storage.received();
    assert_eq!(put.len(), 1, "one PUT, no retry");
    assert_eq!(put[0].body_len, 8 * MIB);
    assert!(
        put[0].read_for > Duration::from_secs(5),
        "the PUT took {:?}",
        put[0].read_for
    );
    let targets: Vec<String> = hub_server
        .received()
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert_eq!(targets.len(), 3, "{targets:?}");
}
