//! When and how long to wait before trying a request again: the crate's one retry engine.
//!
//! The defaults follow the official Python client: up to 5 retries on 408, 429, 500,
//! 502, 503 and 504, timeouts and connection errors, waiting 1, 2, 4, 8… seconds (plus up
//! to 25 % jitter), and on 429 or 503 waiting for the rate-limit window to reset
//! (`Retry-After` or the `ratelimit` header's `t`, plus 1 s). A server wait longer than
//! [`RetryPolicy::max_delay`] is not shortened: the request is not tried again early, and
//! the caller gets the answer ([`HubErrorKind::RateLimited`](crate::HubErrorKind::RateLimited)
//! with its `retry_after`).
//!
//! Every retried request goes through the same engine and the client's policy: the Hub's
//! requests that are safe to repeat (GET/HEAD, preupload, paths-info, list pages, the LFS
//! batch and verify calls) and the object-storage requests of LFS uploads (part and whole
//! `PUT`s, the multipart completion). The commit `POST` is never retried.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

#[cfg(test)]
use crate::error::{Error, HubErrorKind};

/// How a client retries failed requests.
///
/// Start from [`RetryPolicy::default`] or [`RetryPolicy::disabled`] and adjust it
/// with the `with_*` setters, e.g.
/// `RetryPolicy::default().with_max_retries(3).with_max_total_wait(Duration::from_secs(30))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_total_wait: Duration,
    enabled: bool,
}

impl Default for RetryPolicy {
    /// 5 retries, waits from 1 s doubling up to 60 s each, 120 s in all.
    fn default() -> Self {
        Self {
            max_retries: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_total_wait: Duration::from_secs(120),
            enabled: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Sets how many times a request may be retried after its first try.
    #[must_use]
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the first wait; each later one doubles it.
    #[must_use]
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Sets the longest single wait. A server asking for a longer one (`Retry-After`,
    /// `ratelimit`) is not retried: its answer is returned.
    #[must_use]
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Sets the most time spent waiting, in all, for one request.
    #[must_use]
    pub fn with_max_total_wait(mut self, max_total_wait: Duration) -> Self {
        self.max_total_wait = max_total_wait;
        self
    }

    /// Turns retrying on or off.
    #[must_use]
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// How many times a request may be retried after its first try.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The first wait.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest single wait.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The most time spent waiting, in all, for one request.
    pub fn max_total_wait(&self) -> Duration {
        self.max_total_wait
    }

    /// Whether retrying is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// How long to wait before retry number `attempt + 1` (`attempt` = retries already
    /// made, 0 before the first retry).
    ///
    /// On 429 or 503 with a `Retry-After` or `ratelimit` header, that wait plus 1 s, or
    /// `None` when the server asks for more than `max_delay` (no early retry); otherwise
    /// `base_delay * 2^attempt` plus up to 25 % jitter, capped by `max_delay`.
    #[cfg(test)]
    pub(crate) fn delay_for(
        &self,
        attempt: u32,
        status: Option<u16>,
        headers: Option<&HeaderMap>,
    ) -> Option<Duration> {
        self.delay_with(attempt, hint_for(status, headers), fastrand::f64())
    }

    /// [`delay_for`](Self::delay_for) with the server's hint already read and the
    /// jitter given (`jitter` in `[0, 1)`).
    fn delay_with(&self, attempt: u32, hint: Option<Duration>, jitter: f64) -> Option<Duration> {
        if let Some(wait) = hint {
            if wait > self.max_delay {
                tracing::debug!(
                    ?wait,
                    max_delay = ?self.max_delay,
                    "not retrying: the server asks for a longer wait than the policy allows"
                );
                return None;
            }
            return Some(wait.saturating_add(SERVER_WAIT_MARGIN));
        }
        let factor = 2u32.saturating_pow(attempt);
        let nominal = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        let extra = nominal.mul_f64(jitter / 4.0);
        Some(nominal.saturating_add(extra).min(self.max_delay))
    }
}

/// The wait the server asks for with this answer: only 429 and 503 carry one.
fn hint_for(status: Option<u16>, headers: Option<&HeaderMap>) -> Option<Duration> {
    match (status, headers) {
        (Some(429 | 503), Some(h)) => server_wait_hint(h),
        _ => None,
    }
}

/// What one try of a request gave, as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Done: a success, or a failure that trying again would not fix.
    Final,
    /// A failure that may pass: a retryable status (with the wait the server asked for) or
    /// a timeout or connection error (`status: None`).
    Retry {
        /// The status answered, if any.
        status: Option<u16>,
        /// The wait the server asked for (`Retry-After`, `ratelimit`), if any.
        hint: Option<Duration>,
    },
}

impl Verdict {
    /// The verdict on an answer: [`Verdict::Retry`] for 408, 429 and 5xx statuses worth
    /// another try, else [`Verdict::Final`].
    pub(crate) fn of_answer(status: u16, headers: &HeaderMap) -> Verdict {
        if is_retryable_status(status) {
            Verdict::Retry {
                status: Some(status),
                hint: hint_for(Some(status), Some(headers)),
            }
        } else {
            Verdict::Final
        }
    }

    /// The verdict on a failed send: timeouts and connection errors may pass.
    pub(crate) fn of_send_error(e: &reqwest::Error) -> Verdict {
        if e.is_connect() || e.is_timeout() || e.is_request() {
            Verdict::Retry {
                status: None,
                hint: None,
            }
        } else {
            Verdict::Final
        }
    }
}

/// Tries `attempt` until `verdict` says it is final or `policy` allows no more tries (then
/// the last outcome is returned as it is); returns the outcome and the number of tries.
///
/// The one loop every retried request of the crate goes through. `attempt` builds and sends
/// a fresh request each time (a streamed body is opened again).
pub(crate) async fn run<T, F, Fut>(
    policy: RetryPolicy,
    what: &str,
    mut attempt: F,
    verdict: impl Fn(&T) -> Verdict,
) -> (T, u32)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut state = RetryState::new(policy);
    let mut tries: u32 = 0;
    loop {
        let outcome = attempt().await;
        tries += 1;
        let Verdict::Retry { status, hint } = verdict(&outcome) else {
            return (outcome, tries);
        };
        let Some(delay) = state.next_delay_hinted(hint) else {
            return (outcome, tries);
        };
        tracing::debug!(
            what,
            ?status,
            tries,
            delay_ms = delay.as_millis() as u64,
            "retrying"
        );
        drop(outcome);
        tokio::time::sleep(delay).await;
    }
}

/// Added to any wait the server asks for, so the retry lands after the window resets.
const SERVER_WAIT_MARGIN: Duration = Duration::from_secs(1);

/// Whether an answer with this status may succeed when tried again.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// How long the server asked the client to wait: the longer of `Retry-After`
/// (seconds or an HTTP date) and the `ratelimit` header's `t` (seconds until the
/// window resets). `None` when neither is present and valid.
pub(crate) fn server_wait_hint(headers: &HeaderMap) -> Option<Duration> {
    server_wait_hint_at(headers, SystemTime::now())
}

/// [`server_wait_hint`] with the current time given.
fn server_wait_hint_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let retry_after = headers
        .get_all("retry-after")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| parse_retry_after(v, now))
        .max();
    let reset = headers
        .get_all("ratelimit")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(parse_ratelimit_reset)
        .max();
    retry_after.max(reset)
}

/// The longest wait the policy allows a server to ask for (guards against overflow).
const MAX_HINT_SECS: u64 = 365 * 24 * 3600;

/// Parses `Retry-After`: delay seconds, or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(MAX_HINT_SECS)));
    }
    // RFC 9110 §5.6.7: an IMF-fixdate, or one of the two obsolete forms a recipient must accept.
    let at = httpdate::parse_http_date(value).ok()?;
    let wait = at.duration_since(now).unwrap_or(Duration::ZERO);
    Some(wait.min(Duration::from_secs(MAX_HINT_SECS)))
}

/// Parses the `t` parameter of a `ratelimit` header (`"api";r=0;t=55`).
fn parse_ratelimit_reset(value: &str) -> Option<Duration> {
    value
        .split([';', ','])
        .filter_map(|part| part.trim().split_once('='))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("t"))
        .filter_map(|(_, v)| v.trim().trim_matches('"').parse::<u64>().ok())
        .max()
        .map(|secs| Duration::from_secs(secs.min(MAX_HINT_SECS)))
}

/// The retries of one request: counts them and the time waited, and says whether
/// another try is allowed.
#[derive(Debug, Clone)]
pub(crate) struct RetryState {
    policy: RetryPolicy,
    retries: u32,
    waited: Duration,
}

impl RetryState {
    /// A fresh state for one request under `policy`.
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            retries: 0,
            waited: Duration::ZERO,
        }
    }

    /// Retries made so far.
    #[cfg(test)]
    pub(crate) fn retries(&self) -> u32 {
        self.retries
    }

    /// Time waited so far.
    #[cfg(test)]
    pub(crate) fn waited(&self) -> Duration {
        self.waited
    }

    /// After a failed try with this status (`None` for a timeout or connection error)
    /// and headers: the wait before the next try, recorded as spent, or `None` when
    /// the policy allows no more tries. The caller decides whether the failure is
    /// retryable at all.
    #[cfg(test)]
    pub(crate) fn next_delay(
        &mut self,
        status: Option<u16>,
        headers: Option<&HeaderMap>,
    ) -> Option<Duration> {
        self.next_delay_hinted(hint_for(status, headers))
    }

    /// [`next_delay`](Self::next_delay) with the server's wait already read.
    pub(crate) fn next_delay_hinted(&mut self, hint: Option<Duration>) -> Option<Duration> {
        if !self.may_retry() {
            return None;
        }
        let delay = self
            .policy
            .delay_with(self.retries, hint, fastrand::f64())?;
        self.take(delay)
    }

    /// After a failed try that produced `error`: the wait before the next try, or
    /// `None` when the error is not retryable or the policy allows no more tries.
    ///
    /// A rate-limit error's `retry_after` is honoured (plus 1 s). Not for requests that
    /// are not idempotent: check `maybe_sent` yourself.
    #[cfg(test)]
    pub(crate) fn next_delay_after(&mut self, error: &Error) -> Option<Duration> {
        if !error.is_retryable() || !self.may_retry() {
            return None;
        }
        let hint = match error.kind() {
            Some(HubErrorKind::RateLimited { retry_after }) => *retry_after,
            _ => None,
        };
        let delay = self
            .policy
            .delay_with(self.retries, hint, fastrand::f64())?;
        self.take(delay)
    }

    /// Whether the policy is on and has retries left.
    fn may_retry(&self) -> bool {
        self.policy.enabled && self.retries < self.policy.max_retries
    }

    /// Records a wait of `delay` if the total budget allows it.
    fn take(&mut self, delay: Duration) -> Option<Duration> {
        let total = self.waited.checked_add(delay)?;
        if total > self.policy.max_total_wait {
            tracing::debug!(
                ?delay,
                waited = ?self.waited,
                "not retrying: the total wait budget would be exceeded"
            );
            return None;
        }
        self.retries += 1;
        self.waited = total;
        Some(delay)
    }
}

#[cfg(test)]
mod tests;
