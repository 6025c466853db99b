//! Requests with a streamed body (the commit `POST`, LFS `PUT`s): the read timeout applies
//! to waiting for the answer, never to sending the body.
//!
//! `reqwest`'s read timeout starts when the request starts and is not paused while the body
//! is being written, so a body that takes longer to send than the timeout (a large commit or
//! LFS object on a slow link) would be cut mid-way. These requests are therefore sent through
//! a client **without** a read timeout, and the timeout is applied here instead:
//! - waiting for the answer's headers: from the moment the body has been handed over
//!   completely (or from the start, for a request without a body), plus the time the last
//!   [`IN_FLIGHT_BOUND`] bytes took to be handed over: "handed over" means into the kernel's
//!   socket buffers, and the bytes still there (at most that bound, in practice) reach the
//!   server at the rate the body was being accepted;
//! - reading the answer's body: between two chunks, like `reqwest`'s own read timeout.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use http_body::{Body as HttpBody, Frame, SizeHint};
use reqwest::{Request, Response, ResponseBuilderExt};
use tokio::sync::Notify;

/// The most bytes of a body assumed to be still in flight (socket buffers on both ends) when
/// the last byte has been handed over. Linux's default buffer maxima add up to 10 MiB.
const IN_FLIGHT_BOUND: u64 = 32 * 1024 * 1024;

/// How a streamed request failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// `reqwest` failed to send it or to receive the answer's headers.
    Send(reqwest::Error),
    /// The body was sent, then no answer came within the read timeout.
    NoAnswer,
}

/// Whether a request's body is streamed (rather than bytes in memory, sent at once).
pub(crate) fn has_streamed_body(request: &Request) -> bool {
    request.body().is_some_and(|b| b.as_bytes().is_none())
}

/// Sends `request` with `client` (which must have no read timeout of its own) and waits for
/// the answer's headers at most `read_timeout` after the body was sent; the answer's body
/// is then read with `read_timeout` between chunks.
pub(crate) async fn send(
    client: &reqwest::Client,
    mut request: Request,
    read_timeout: Duration,
) -> Result<Response, Failure> {
    let sent = Arc::new(EndSignal::default());
    match request.body_mut().take() {
        Some(body) => {
            *request.body_mut() = Some(reqwest::Body::wrap(SignalEnd {
                inner: body,
                sent: sent.clone(),
                handed: 0,
                started: Instant::now(),
                marks: VecDeque::new(),
            }));
        }
        None => sent.fire(Duration::ZERO),
    }
    let pending = std::pin::pin!(client.execute(request));
    let no_answer = std::pin::pin!(async {
        sent.notify.notified().await;
        let drain = sent.drain.lock().map(|d| *d).unwrap_or_default();
        tokio::time::sleep(read_timeout.saturating_add(drain)).await;
    });
    match futures::future::select(pending, no_answer).await {
        futures::future::Either::Left((result, _)) => result
            .map(|response| with_read_timeout(response, read_timeout))
            .map_err(Failure::Send),
        futures::future::Either::Right(((), _)) => Err(Failure::NoAnswer),
    }
}

/// Fired once, when a body has been handed over completely (or failed), with the time the
/// bytes possibly still in flight may take to arrive.
#[derive(Debug, Default)]
struct EndSignal {
    fired: AtomicBool,
    drain: Mutex<Duration>,
    notify: Notify,
}

impl EndSignal {
    fn fire(&self, drain: Duration) {
        if !self.fired.swap(true, Ordering::AcqRel) {
            if let Ok(mut d) = self.drain.lock() {
                *d = drain;
            }
            // `notify_one` keeps a permit when nobody waits yet.
            self.notify.notify_one();
        }
    }
}

/// A request body that fires its signal when it ends.
struct SignalEnd {
    inner: reqwest::Body,
    sent: Arc<EndSignal>,
    /// Bytes handed over so far.
    handed: u64,
    started: Instant,
    /// `(when, bytes handed before then)`, pruned to the last [`IN_FLIGHT_BOUND`] bytes.
    marks: VecDeque<(Instant, u64)>,
}

impl SignalEnd {
    /// Records a frame of `len` bytes handed over now.
    fn handed_over(&mut self, len: u64) {
        self.marks.push_back((Instant::now(), self.handed));
        self.handed += len;
        let window_start = self.handed.saturating_sub(IN_FLIGHT_BOUND);
        while self.marks.len() > 1 && self.marks[1].1 <= window_start {
            self.marks.pop_front();
        }
    }

    /// How long the last [`IN_FLIGHT_BOUND`] bytes took to be handed over.
    fn drain_time(&self) -> Duration {
        let since = match self.marks.front() {
            Some((at, before)) if *before > 0 => *at,
            _ => self.started,
        };
        since.elapsed()
    }

    fn end(&self) {
        self.sent.fire(self.drain_time());
    }
}

impl HttpBody for SignalEnd {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None | Some(Err(_))) => self.end(),
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                self.handed_over(len);
                if self.inner.is_end_stream() {
                    self.end();
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let end = self.inner.is_end_stream();
        if end {
            self.end();
        }
        end
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The same answer, its body read with at most `read_timeout` between two chunks (a stall
/// ends the body with an I/O `TimedOut` error, which `reqwest` reports as a timeout).
fn with_read_timeout(response: Response, read_timeout: Duration) -> Response {
    // The URL travels in an extension only `reqwest`'s builder can set.
    let (mut parts, ()) = http::Response::builder()
        .url(response.url().clone())
        .body(())
        .unwrap_or_default()
        .into_parts();
    parts.status = response.status();
    parts.version = response.version();
    parts.headers = response.headers().clone();
    let chunks = response.bytes_stream();
    let body = futures::stream::unfold(Some(chunks), move |state| async move {
        let mut chunks = state?;
        match tokio::time::timeout(read_timeout, chunks.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(chunks))),
            Ok(Some(Err(e))) => Some((Err(io::Error::other(e)), None)),
            Ok(None) => None,
            Err(_) => Some((
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no data for {read_timeout:?} reading the answer"),
                )),
                None,
            )),
        }
    });
    Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap_stream(body),
    ))
}
