//! Xet storage (cargo feature `xet`): a CAS origin in front of `hf-xet`'s own local CAS
//! server, and the Hub's side of the protocol (tokens, the batch choosing `xet`, resolve's
//! `X-Xet-Hash`).
//!
//! The CAS origin ([`SimHandle::xet_cas_endpoint`](crate::SimHandle::xet_cas_endpoint)) is a
//! fourth port. Every request is recorded, counted by route ([`routes`](crate::routes)
//! `XET_*`), subject to fault injection, and must carry a Xet token this simulator issued and
//! that has not expired (the Hub token is refused); then it is forwarded to `xet-client`'s
//! `LocalServer` (in memory) on another loopback port, keeping the `Host` so that the URLs it
//! answers point back here. When a shard upload succeeds, the files it registers are read back
//! from the CAS, hashed with sha256 and stored like LFS objects, so that `lfsFile` commit lines
//! resolve, [`SimHandle::file`](crate::SimHandle::file) shows their content, the CDN path still
//! serves them, and `resolve` answers their `X-Xet-Hash`.

use std::convert::Infallible;
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2::Digest as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use xet_client::cas_client::simulation::{LocalServer, LocalServerConfig};
use xet_core_structures::metadata_shard::streaming_shard::MDBMinimalShard;
use xet_runtime::config::XetConfig;
use xet_runtime::core::XetContext;

use crate::fault::Fault;
use crate::shared::Shared;
use crate::util::lock;

pub(crate) mod cas;
use crate::util::{Resp, error_response, response, set_header};
use crate::{SimError, routes};
use cas::Backend;

/// How long the tokens of the token routes live.
const ROUTE_TOKEN_TTL: i64 = 3600;

/// The route name of a CAS request.
fn route_of(method: &http::Method, path: &str) -> &'static str {
    let m = method.as_str();
    if path.starts_with("/v1/xorbs/")
        || path.starts_with("/v1/xorb-grants/")
        || path.starts_with("/v1/xorb-commits/")
        || path.starts_with("/simulation/xorb-uploads/")
    {
        routes::XET_XORB
    } else if m == "POST" && (path == "/v1/shards" || path == "/v2/shards") {
        routes::XET_SHARD
    } else if path.starts_with("/v1/reconstructions") || path.starts_with("/v2/reconstructions") {
        routes::XET_RECONSTRUCTION
    } else if path.starts_with("/v1/fetch_term") || path.starts_with("/v1/get_xorb/") {
        routes::XET_FETCH
    } else {
        routes::XET_CAS_OTHER
    }
}

/// Whether the CAS asks for a token on this path (the grant uploads and term fetches are
/// presigned URLs in the real service).
fn needs_token(path: &str) -> bool {
    (path.starts_with("/v1/") || path.starts_with("/v2/"))
        && !path.starts_with("/v1/fetch_term")
        && !path.starts_with("/v1/get_xorb/")
        && path != "/v1/telemetry"
}

/// Starts the backend CAS and serves the CAS origin until `stop`.
pub(crate) async fn serve(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let Some(cas) = shared.xet.as_ref() else {
        return;
    };
    let Some(std_listener) = lock(&cas.listener).take() else {
        return;
    };
    let ctx = XetContext::from_external(tokio::runtime::Handle::current(), XetConfig::new());
    let backend = match LocalServer::new(
        ctx,
        LocalServerConfig {
            in_memory: true,
            host: "127.0.0.1".to_owned(),
            port: 0,
            data_directory: std::env::temp_dir(),
        },
    )
    .await
    {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "the Xet CAS backend did not start");
            return;
        }
    };
    let backend_listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "the Xet CAS backend cannot listen");
            return;
        }
    };
    let addr = match backend_listener.local_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let _ = cas.backend.set(Backend {
        addr,
        client: backend.client(),
    });
    let (backend_stop, backend_stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Err(e) = backend
            .serve_until_stopped(backend_listener, backend_stopped)
            .await
        {
            tracing::error!(error = %e, "the Xet CAS backend stopped");
        }
    });
    let listener = match TcpListener::from_std(std_listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "the Xet CAS listener failed");
            return;
        }
    };
    loop {
        tokio::select! {
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    let shared = Arc::clone(&shared);
                    let stop = stop.clone();
                    tokio::spawn(serve_connection(stream, shared, stop));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "CAS accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = stop.changed() => break,
        }
    }
    let _ = backend_stop.send(());
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(tokio::sync::Notify::new());
    let for_service = Arc::clone(&kill);
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        let kill = Arc::clone(&for_service);
        async move { Ok::<_, Infallible>(handle(&shared, req, &kill).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
        _ = stop.changed() => {}
    }
}

async fn handle(shared: &Shared, req: Request<Incoming>, kill: &tokio::sync::Notify) -> Resp {
    let Some(cas) = shared.xet.as_ref() else {
        return error_response(&SimError::new(404, None, "Xet is off"));
    };
    let (parts, body) = req.into_parts();
    shared.record_xet(&parts);
    let path = parts.uri.path().to_owned();
    let route = route_of(&parts.method, &path);
    shared.count(route);
    let fault = shared.faults.take(route);
    match fault {
        Some(Fault::Status(status)) => {
            return error_response(&SimError::new(
                status,
                None,
                format!("Injected fault: status {status}"),
            ));
        }
        Some(Fault::Drop) => {
            kill.notify_one();
            std::future::pending::<()>().await;
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    if needs_token(&path) && !cas.token_ok(&parts.headers) {
        return error_response(&SimError::new(
            401,
            None,
            "The CAS needs a valid, unexpired Xet token",
        ));
    }
    let body = match Limited::new(body, shared.cfg.max_body_bytes)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(e) => return error_response(&SimError::new(400, None, format!("body: {e}"))),
    };
    cas.bytes_received
        .fetch_add(body.len() as u64, Ordering::Relaxed);
    let Some(backend) = cas.backend.get() else {
        return error_response(&SimError::new(503, None, "the CAS backend is not up"));
    };
    let (status, headers, answer) = match forward(backend.addr, &parts, body.clone()).await {
        Ok(v) => v,
        Err(e) => return error_response(&SimError::new(502, None, format!("CAS backend: {e}"))),
    };
    if route == routes::XET_SHARD
        && status.is_success()
        && let Err(e) = materialize(shared, backend, &body).await
    {
        return error_response(&e);
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let mut resp = response(status.as_u16(), &content_type, answer);
    for (name, value) in &headers {
        let n = name.as_str();
        if !matches!(
            n,
            "content-type" | "content-length" | "transfer-encoding" | "connection"
        ) && let Ok(v) = value.to_str()
        {
            set_header(&mut resp, n, v);
        }
    }
    resp
}

/// Sends the request to the backend on a new connection; answers status, headers and body.
async fn forward(
    addr: SocketAddr,
    parts: &http::request::Parts,
    body: Bytes,
) -> Result<(http::StatusCode, http::HeaderMap, Bytes), String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut builder = Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.path_and_query().map_or("/", |p| p.as_str()));
    for (name, value) in &parts.headers {
        if name != http::header::CONTENT_LENGTH && name != http::header::TRANSFER_ENCODING {
            builder = builder.header(name, value);
        }
    }
    let request = builder
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let (head, body) = answer.into_parts();
    let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((head.status, head.headers, bytes))
}

/// Reads back every file a shard registers and stores it by sha256.
async fn materialize(shared: &Shared, backend: &Backend, shard: &Bytes) -> Result<(), SimError> {
    let bad = |e: String| SimError::new(400, None, format!("Unreadable shard: {e}"));
    // What clients upload has no footer: the streaming reader, as the CAS itself reads it.
    let minimal = MDBMinimalShard::from_reader(&mut Cursor::new(shard.as_ref()), true, false)
        .map_err(|e| bad(e.to_string()))?;
    let hashes: Vec<_> = (0..minimal.num_files())
        .filter_map(|i| minimal.file(i).map(|f| f.file_hash()))
        .collect();
    for hash in hashes {
        let data = backend
            .client
            .get_file_data(&hash, None)
            .await
            .map_err(|e| SimError::new(500, None, format!("cannot read file {hash}: {e}")))?;
        let sha = crate::util::hex(&sha2::Sha256::digest(&data));
        let mut state = shared.state();
        state.xet_hashes.insert(sha.clone(), hash.hex());
        state
            .lfs
            .insert(sha, crate::object::Object::from_bytes(data));
    }
    Ok(())
}

/// The upload action of an object the batch sends through Xet, and the batch's transfer.
pub(crate) fn upload_action(shared: &Shared, write_token_href: &str) -> serde_json::Value {
    let (token, exp) = match shared.xet.as_ref() {
        Some(cas) => cas.issue(shared.cfg.xet_first_token_ttl),
        None => (String::new(), 0),
    };
    let cas_url = shared.xet.as_ref().map_or("", |c| c.url.as_str());
    serde_json::json!({
        "href": write_token_href,
        "header": {
            "X-Xet-Cas-Url": cas_url,
            "X-Xet-Access-Token": token,
            "X-Xet-Token-Expiration": exp.to_string(),
            "X-Xet-Session-Id": format!("sim-session-{exp}"),
        },
    })
}

/// The answer of `GET …/xet-write-token/{rev}` and `…/xet-read-token/{rev}`.
pub(crate) fn token_answer(shared: &Shared) -> Result<Resp, SimError> {
    let cas = shared
        .xet
        .as_ref()
        .ok_or_else(|| SimError::new(404, None, "Xet storage is not enabled on this Hub"))?;
    let (token, exp) = cas.issue(ROUTE_TOKEN_TTL);
    let mut resp = crate::util::json(
        200,
        &serde_json::json!({ "accessToken": token, "exp": exp, "casUrl": cas.url }),
    );
    set_header(&mut resp, "x-xet-access-token", &token);
    set_header(&mut resp, "x-xet-token-expiration", &exp.to_string());
    set_header(&mut resp, "x-xet-cas-url", &cas.url);
    Ok(resp)
}
