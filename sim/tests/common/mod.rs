//! Helpers shared by the simulator's tests.
#![allow(dead_code)]

use base64::Engine as _;
use hf_hub_sim::{SimConfig, SimHandle, Simulator};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use sha2::Digest as _;

pub const TOKEN: &str = hf_hub_sim::DEFAULT_TOKEN;

pub fn start(cfg: SimConfig) -> SimHandle {
    Simulator::start(cfg).expect("simulator starts")
}

/// A plain client for raw requests. Loopback is plain HTTP, but reqwest still wants a TLS
/// provider: the workspace's rustls has only *ring* (no aws-lc), installed here for the process.
pub fn client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
}

pub fn client() -> Client {
    client_builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

pub fn sha256(data: &[u8]) -> String {
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn url(sim: &SimHandle, path: &str) -> String {
    format!("{}{}", sim.endpoint(), path.trim_start_matches('/'))
}

pub async fn create_repo(sim: &SimHandle, c: &Client, name: &str) -> Value {
    let r = c
        .post(url(sim, "api/repos/create"))
        .bearer_auth(TOKEN)
        .json(&json!({ "name": name, "type": "model" }))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 200, "create {name}");
    r.json().await.expect("json")
}

/// An ndjson commit body from `{"key","value"}` objects.
pub fn ndjson(lines: &[Value]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(&l.to_string());
        s.push('\n');
    }
    s
}

pub fn header(summary: &str, parent: Option<&str>) -> Value {
    match parent {
        Some(p) => {
            json!({"key":"header","value":{"summary":summary,"description":"","parentCommit":p}})
        }
        None => json!({"key":"header","value":{"summary":summary,"description":""}}),
    }
}

pub fn file_line(path: &str, content: &[u8]) -> Value {
    json!({"key":"file","value":{"content":b64(content),"path":path,"encoding":"base64"}})
}

pub fn lfs_line(path: &str, content: &[u8]) -> Value {
    json!({"key":"lfsFile","value":{"path":path,"algo":"sha256","oid":sha256(content),"size":content.len()}})
}

pub async fn commit(sim: &SimHandle, c: &Client, repo: &str, rev: &str, body: String) -> Response {
    c.post(url(sim, &format!("api/models/{repo}/commit/{rev}")))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("commit request")
}

/// Runs the LFS batch for `objects` and performs the uploads it asks for (basic or
/// multipart), without any Authorization header on storage, then verifies.
pub async fn lfs_upload(sim: &SimHandle, c: &Client, repo: &str, objects: &[&[u8]]) {
    let objs: Vec<Value> = objects
        .iter()
        .map(|o| json!({"oid": sha256(o), "size": o.len()}))
        .collect();
    let r = c
        .post(url(sim, &format!("{repo}.git/info/lfs/objects/batch")))
        .bearer_auth(TOKEN)
        .header("accept", "application/vnd.git-lfs+json")
        .header("content-type", "application/vnd.git-lfs+json")
        .json(&json!({"operation":"upload","transfers":["basic","multipart"],"hash_algo":"sha256","objects":objs,"ref":{"name":"main"}}))
        .send()
        .await
        .expect("batch");
    assert_eq!(r.status(), 200);
    let batch: Value = r.json().await.expect("batch json");
    for (obj, data) in batch["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .zip(objects)
    {
        let Some(actions) = obj.get("actions") else {
            continue;
        };
        let upload = &actions["upload"];
        let href = upload["href"].as_str().expect("href");
        match upload.get("header").and_then(|h| h.get("chunk_size")) {
            Some(chunk) => {
                let chunk: usize = chunk.as_str().expect("chunk str").parse().expect("chunk");
                let mut parts = Vec::new();
                for (i, slice) in data.chunks(chunk).enumerate() {
                    let key = format!("{:05}", i + 1);
                    let part_url = upload["header"][&key].as_str().expect("part url");
                    let pr = c
                        .put(part_url)
                        .body(slice.to_vec())
                        .send()
                        .await
                        .expect("part");
                    assert_eq!(pr.status(), 200);
                    let etag = pr.headers()["etag"].to_str().expect("etag").to_owned();
                    parts.push(json!({"partNumber": i + 1, "etag": etag}));
                }
                let done = c
                    .post(href)
                    .json(&json!({"oid": obj["oid"], "parts": parts}))
                    .send()
                    .await
                    .expect("complete");
                assert_eq!(done.status(), 200);
            }
            None => {
                let pr = c.put(href).body(data.to_vec()).send().await.expect("put");
                assert_eq!(pr.status(), 200);
            }
        }
        if let Some(verify) = actions.get("verify") {
            let v = c
                .post(verify["href"].as_str().expect("verify href"))
                .bearer_auth(TOKEN)
                .json(&json!({"oid": obj["oid"], "size": obj["size"]}))
                .send()
                .await
                .expect("verify");
            assert_eq!(v.status(), 200);
        }
    }
}

/// Follows `Link: <...>; rel="next"` from `first`, returning every page's items.
pub async fn all_pages(c: &Client, first: &str, token: Option<&str>) -> (Vec<Value>, usize) {
    let mut next = Some(first.to_owned());
    let mut items = Vec::new();
    let mut pages = 0;
    while let Some(u) = next.take() {
        pages += 1;
        assert!(pages < 10_000, "too many pages");
        let mut req = c.get(&u);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("page");
        assert_eq!(r.status(), 200, "{u}");
        next = r
            .headers()
            .get("link")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| {
                let start = l.find('<')? + 1;
                let end = l.find('>')?;
                l.contains("rel=\"next\"").then(|| l[start..end].to_owned())
            });
        let page: Vec<Value> = r.json().await.expect("page json");
        items.extend(page);
    }
    (items, pages)
}
