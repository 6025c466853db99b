//! Listeners, connections, request recording, counters and fault application.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::io;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Request;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use url::Url;

use crate::SimError;
use crate::config::SimConfig;
use crate::fault::{Fault, FaultQueues, Faults};
use crate::handlers;
use crate::shared::{Origin, Shared};
use crate::state::State;
use crate::util::{Resp, error_response, set_header};

/// The running server: dropping it stops the listeners and the runtime's thread.
pub(crate) struct Running {
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Binds both listeners on 127.0.0.1 and serves them from a new thread.
pub(crate) fn start(cfg: SimConfig) -> io::Result<(Arc<Shared>, Running)> {
    let hub = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let storage = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    hub.set_nonblocking(true)?;
    storage.set_nonblocking(true)?;
    let hub_url = Url::parse(&format!("http://{}/", hub.local_addr()?)).map_err(other)?;
    let storage_url = Url::parse(&format!("http://{}/", storage.local_addr()?)).map_err(other)?;
    #[cfg(feature = "xet")]
    let cfg_xet = cfg.xet;
    let mut state = State::default();
    if cfg.seed_models > 0 {
        state.seed_models(cfg.seed_models);
    }
    let shared = Arc::new(Shared {
        cfg,
        hub_url,
        storage_url,
        state: Mutex::new(state),
        counters: Mutex::new(HashMap::new()),
        faults: Faults {
            inner: Arc::new(Mutex::new(FaultQueues::default())),
        },
        hub_log: Mutex::new(VecDeque::new()),
        storage_log: Mutex::new(VecDeque::new()),
        request_seq: AtomicU64::new(0),
        #[cfg(feature = "xet")]
        xet: if cfg_xet {
            Some(crate::xet::cas::Cas::bind()?)
        } else {
            None
        },
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hf-hub-sim-worker")
        .enable_all()
        .build()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let for_thread = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("hf-hub-sim".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                let hub = match TcpListener::from_std(hub) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "hub listener failed");
                        return;
                    }
                };
                let storage = match TcpListener::from_std(storage) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "storage listener failed");
                        return;
                    }
                };
                let a = tokio::spawn(accept_loop(
                    hub,
                    Origin::Hub,
                    Arc::clone(&for_thread),
                    stop_rx.clone(),
                ));
                #[cfg(feature = "xet")]
                tokio::spawn(crate::xet::serve(Arc::clone(&for_thread), stop_rx.clone()));
                let b = tokio::spawn(accept_loop(storage, Origin::Storage, for_thread, stop_rx));
                let _ = a.await;
                let _ = b.await;
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
    Ok((
        shared,
        Running {
            stop: Some(stop_tx),
            thread: Some(thread),
        },
    ))
}

async fn accept_loop(
    listener: TcpListener,
    origin: Origin,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, origin, Arc::clone(&shared), stop.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = stop.changed() => break,
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    origin: Origin,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    // A handler applying `Fault::Drop` notifies this to close the connection unanswered.
    let kill = Arc::new(Notify::new());
    let for_service = Arc::clone(&kill);
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        let kill = Arc::clone(&for_service);
        async move { Ok::<_, Infallible>(handle(shared, origin, req, kill).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        res = conn => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        _ = kill.notified() => tracing::debug!("connection dropped by fault injection"),
        _ = stop.changed() => {}
    }
}

/// The answer with its full `Content-Length` but only `after` bytes of body, then the
/// connection closed: a download cut part-way.
fn cut_body(resp: Resp, after: usize) -> Resp {
    let (head, body) = resp.into_parts();
    Resp::from_parts(head, crate::util::SimBody::cut(body.into_bytes(), after))
}

/// The request body in one buffer of at most `max` bytes, sized by its `Content-Length`.
///
/// Each frame is copied out as it arrives, so hyper reuses its read buffer (warm, already
/// faulted in) instead of allocating a fresh one for every read while earlier frames are
/// held; the one buffer is allocated once.
async fn read_body(body: Incoming, announced: Option<u64>, max: usize) -> Result<Bytes, SimError> {
    let mut body = Limited::new(body, max);
    let capacity = announced.map_or(0, |n| usize::try_from(n).unwrap_or(max).min(max));
    let mut all = BytesMut::with_capacity(capacity);
    let mut one: Option<Bytes> = None;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if all.is_empty() && one.is_none() && capacity == 0 {
                    // A body of one frame needs no copy.
                    one = Some(data);
                    continue;
                }
                if let Some(first) = one.take() {
                    all.extend_from_slice(&first);
                }
                all.extend_from_slice(&data);
            }
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return Err(SimError::new(
                    413,
                    None,
                    format!("Request body larger than {max} bytes"),
                ));
            }
            Err(e) => {
                return Err(SimError::new(
                    400,
                    None,
                    format!("Could not read the request body: {e}"),
                ));
            }
        }
    }
    Ok(one.unwrap_or_else(|| all.freeze()))
}

async fn handle(
    shared: Arc<Shared>,
    origin: Origin,
    req: Request<Incoming>,
    kill: Arc<Notify>,
) -> Resp {
    let n = shared.request_seq.fetch_add(1, Ordering::Relaxed) + 1;
    let request_id = format!("Root=1-sim-{n:016x}");
    let (parts, body) = req.into_parts();
    shared.record(origin, &parts);
    let route = handlers::classify(origin, &parts.method, parts.uri.path());
    let name = route.name();
    shared.count(name);
    let fault = shared.faults.take(name);
    tracing::debug!(%request_id, method = %parts.method, uri = %parts.uri, route = name, ?fault, "request");
    if let Some(Fault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let announced = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = read_body(body, announced, shared.cfg.max_body_bytes).await;
    let mut resp = match (fault, body) {
        (Some(Fault::Drop), _) => {
            kill.notify_one();
            std::future::pending::<()>().await;
            error_response(&SimError::new(500, None, "unreachable"))
        }
        (Some(Fault::Status(status)), _) => error_response(&SimError::new(
            status,
            None,
            format!("Injected fault: status {status}"),
        )),
        (Some(Fault::RateLimit { retry_after_secs }), _) => {
            let mut r = error_response(&SimError::new(
                429,
                None,
                "You have exceeded our rate limit (injected fault)",
            ));
            set_header(&mut r, "retry-after", &retry_after_secs.to_string());
            set_header(
                &mut r,
                "ratelimit",
                &format!("\"api\";r=0;t={retry_after_secs}"),
            );
            set_header(
                &mut r,
                "ratelimit-policy",
                "\"fixed window\";\"api\";q=1000;w=300",
            );
            r
        }
        (_, Err(e)) => error_response(&e),
        (Some(Fault::DropAfterApply), Ok(body)) => {
            let applied = handlers::dispatch(&shared, route, &parts, body);
            tracing::debug!(
                status = applied.status().as_u16(),
                "applied before dropping the connection (injected fault)"
            );
            kill.notify_one();
            std::future::pending::<()>().await;
            applied
        }
        (Some(Fault::FailAfterApply(status)), Ok(body)) => {
            let applied = handlers::dispatch(&shared, route, &parts, body);
            tracing::debug!(
                status = applied.status().as_u16(),
                "applied before failing (injected fault)"
            );
            error_response(&SimError::new(
                status,
                None,
                format!("Injected fault after applying the request: status {status}"),
            ))
        }
        (Some(Fault::CutBody { after }), Ok(body)) => {
            let resp = handlers::dispatch(&shared, route, &parts, body);
            cut_body(resp, after)
        }
        (Some(Fault::Delay(_)) | None, Ok(body)) => {
            handlers::dispatch(&shared, route, &parts, body)
        }
    };
    set_header(&mut resp, "x-request-id", &request_id);
    resp
}
