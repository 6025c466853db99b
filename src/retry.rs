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

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
        self.delay_with(attempt, hint_for(status, headers), jitter_fraction())
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

/// Parses `Retry-After`: delay seconds, or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(MAX_HINT_SECS)));
    }
    let at = parse_http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(
        at.saturating_sub(now).min(MAX_HINT_SECS),
    ))
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

/// Seconds since the Unix epoch of an IMF-fixdate (RFC 9110 §5.6.7), e.g.
/// `Sun, 06 Nov 1994 08:49:37 GMT`. The weekday is not checked.
fn parse_http_date(value: &str) -> Option<u64> {
    let (_weekday, rest) = value.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let hour: u64 = hms.next()?.parse().ok()?;
    let minute: u64 = hms.next()?.parse().ok()?;
    let second: u64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || parts.next().is_some() || hms.next().is_some() {
        return None;
    }
    if !(1970..=9999).contains(&year)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_since_epoch(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days from 1970-01-01 to the given civil date (years ≥ 1970).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    // Howard Hinnant's days_from_civil, shifted so that March is the first month.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

/// A number in `[0, 1)` that varies from call to call (not for cryptography).
fn jitter_fraction() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let salt = COUNTER
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .rotate_left(17);
    let mut x = (nanos ^ salt) | 1;
    // xorshift64*
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    (r >> 11) as f64 / (1u64 << 53) as f64
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
            .delay_with(self.retries, hint, jitter_fraction())?;
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
            .delay_with(self.retries, hint, jitter_fraction())?;
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
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    impl RetryPolicy {
        fn delay_with_some(&self, attempt: u32, hint: Option<Duration>, jitter: f64) -> Duration {
            self.delay_with(attempt, hint, jitter).expect("a wait")
        }
        fn delay_for_some(
            &self,
            attempt: u32,
            status: Option<u16>,
            headers: Option<&HeaderMap>,
        ) -> Duration {
            self.delay_for(attempt, status, headers).expect("a wait")
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn defaults_and_setters() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_retries(), 5);
        assert_eq!(p.base_delay(), secs(1));
        assert_eq!(p.max_delay(), secs(60));
        assert_eq!(p.max_total_wait(), secs(120));
        assert!(p.is_enabled());
        let p = p
            .with_max_retries(2)
            .with_base_delay(Duration::from_millis(10))
            .with_max_delay(secs(3))
            .with_max_total_wait(secs(9))
            .with_enabled(false);
        assert_eq!(p.max_retries(), 2);
        assert_eq!(p.base_delay(), Duration::from_millis(10));
        assert_eq!(p.max_delay(), secs(3));
        assert_eq!(p.max_total_wait(), secs(9));
        assert!(!p.is_enabled());
        assert!(!RetryPolicy::disabled().is_enabled());
        assert!(RetryPolicy::disabled().with_enabled(true).is_enabled());
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409, 412, 413, 501, 505] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn exponential_without_jitter() {
        let p = RetryPolicy::default();
        let waits: Vec<u64> = (0..8)
            .map(|a| p.delay_with_some(a, None, 0.0).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        // Huge attempts saturate instead of overflowing.
        assert_eq!(p.delay_with_some(u32::MAX, None, 0.0), secs(60));
        let p = p.with_max_delay(Duration::MAX);
        assert!(p.delay_with_some(200, None, 0.99) >= secs(u64::from(u32::MAX)));
    }

    #[test]
    fn jitter_is_bounded() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_with_some(1, None, 0.5), Duration::from_millis(2250));
        assert_eq!(p.delay_with_some(1, None, 7.0), Duration::from_millis(2500));
        assert_eq!(p.delay_with_some(1, None, -1.0), secs(2));
        // Jitter never exceeds the cap.
        assert_eq!(p.delay_with_some(6, None, 0.99), secs(60));
        for attempt in 0..5 {
            for _ in 0..50 {
                let d = p.delay_for_some(attempt, Some(500), None);
                let nominal = secs(1 << attempt);
                assert!(d >= nominal && d < nominal.mul_f64(1.25), "{d:?}");
            }
        }
        for _ in 0..100 {
            let j = jitter_fraction();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }

    #[test]
    fn rate_limit_waits_for_the_server() {
        let p = RetryPolicy::default();
        let h = headers(&[("retry-after", "10")]);
        assert_eq!(p.delay_for_some(0, Some(429), Some(&h)), secs(11));
        let h = headers(&[("ratelimit", "\"api\";r=0;t=55")]);
        assert_eq!(p.delay_for_some(3, Some(429), Some(&h)), secs(56));
        // Both: the longer wait.
        let h = headers(&[("retry-after", "3"), ("ratelimit", "\"api\";r=0;t=20")]);
        assert_eq!(p.delay_for_some(0, Some(429), Some(&h)), secs(21));
        // Longer than max_delay: not retried early, not retried at all.
        let h = headers(&[("retry-after", "3600")]);
        assert_eq!(p.delay_for(0, Some(429), Some(&h)), None);
        let h = headers(&[("retry-after", "120")]);
        assert_eq!(p.delay_for(0, Some(429), Some(&h)), None);
        let h = headers(&[("ratelimit", "\"api\";r=0;t=61")]);
        assert_eq!(p.delay_for(0, Some(429), Some(&h)), None);
        // At the cap: waited for, plus the margin.
        let h = headers(&[("retry-after", "60")]);
        assert_eq!(p.delay_for(0, Some(429), Some(&h)), Some(secs(61)));
        // 503 with Retry-After is honoured too.
        let h = headers(&[("retry-after", "4")]);
        assert_eq!(p.delay_for_some(0, Some(503), Some(&h)), secs(5));
        // Other statuses ignore the headers.
        let d = p.delay_for_some(0, Some(500), Some(&h));
        assert!(d >= secs(1) && d < Duration::from_millis(1250), "{d:?}");
        // 429 without a usable hint falls back to exponential.
        let h = headers(&[("retry-after", "later"), ("ratelimit", "\"api\";r=0")]);
        let d = p.delay_for_some(2, Some(429), Some(&h));
        assert!(d >= secs(4) && d < secs(5), "{d:?}");
    }

    #[test]
    fn ratelimit_header_forms() {
        let cases = [
            ("\"api\";r=0;t=55", Some(55)),
            ("\"api\"; r=0; t=7", Some(7)),
            ("limit=100, remaining=0, reset=30, t=30", Some(30)),
            ("\"api\";T=\"12\"", Some(12)),
            ("\"api\";r=0", None),
            ("t=-1", None),
            ("t=", None),
            ("", None),
            ("t=99999999999999999999999", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_ratelimit_reset(value), want.map(secs), "{value}");
        }
        assert_eq!(
            parse_ratelimit_reset("t=18446744073709551615"),
            Some(secs(MAX_HINT_SECS))
        );
    }

    #[test]
    fn retry_after_http_date() {
        // 1994-11-06T08:49:37Z = 784111777.
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sunday, 06-Nov-94 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777 - 30);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(secs(30))
        );
        // A date in the past means "now".
        let later = UNIX_EPOCH + Duration::from_secs(784_111_777 + 30);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(" 12 ", now), Some(secs(12)));
        assert_eq!(parse_retry_after("-3", now), None);
        let h = headers(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert_eq!(server_wait_hint_at(&h, now), Some(secs(30)));
    }

    #[test]
    fn state_counts_retries() {
        let policy = RetryPolicy::default().with_max_total_wait(Duration::MAX);
        let mut state = RetryState::new(policy);
        let mut waits = Vec::new();
        while let Some(d) = state.next_delay(Some(503), None) {
            waits.push(d);
        }
        assert_eq!(waits.len(), 5);
        assert_eq!(state.retries(), 5);
        for (i, d) in waits.iter().enumerate() {
            let nominal = secs(1 << i);
            assert!(*d >= nominal && *d < nominal.mul_f64(1.25), "{d:?}");
        }
        assert_eq!(state.waited(), waits.iter().sum::<Duration>());
        // Exhausted stays exhausted.
        assert_eq!(state.next_delay(None, None), None);
    }

    #[test]
    fn state_respects_total_budget() {
        let policy = RetryPolicy::default().with_max_total_wait(secs(60));
        let mut state = RetryState::new(policy);
        let h = headers(&[("retry-after", "40")]);
        assert_eq!(state.next_delay(Some(429), Some(&h)), Some(secs(41)));
        // Another 41 s would exceed 60 s in all.
        assert_eq!(state.next_delay(Some(429), Some(&h)), None);
        assert_eq!(state.retries(), 1);
        assert_eq!(state.waited(), secs(41));
        // A short exponential wait still fits.
        assert!(state.next_delay(Some(500), None).is_some());
        assert_eq!(state.retries(), 2);
    }

    #[test]
    fn disabled_or_zero_retries_never_retry() {
        let mut state = RetryState::new(RetryPolicy::disabled());
        assert_eq!(state.next_delay(Some(503), None), None);
        let mut state = RetryState::new(RetryPolicy::default().with_max_retries(0));
        assert_eq!(state.next_delay(Some(503), None), None);
        assert_eq!(state.retries(), 0);
        assert_eq!(state.waited(), Duration::ZERO);
    }

    #[test]
    fn state_after_errors() {
        let mut state = RetryState::new(RetryPolicy::default());
        let rate_limited = crate::error::from_response_parts(
            &crate::operations::RequestInfo::UNKNOWN,
            429,
            &headers(&[("ratelimit", "\"api\";r=0;t=9")]),
            b"",
        );
        assert_eq!(state.next_delay_after(&rate_limited), Some(secs(10)));
        let not_found = crate::error::from_response_parts(
            &crate::operations::RequestInfo::of("whoami", "GET"),
            404,
            &HeaderMap::new(),
            b"",
        );
        assert_eq!(state.next_delay_after(&not_found), None);
        let invalid = Error::invalid("repo id", "x", "y");
        assert_eq!(state.next_delay_after(&invalid), None);
        let timeout = Error::Timeout {
            message: "x".into(),
            maybe_sent: true,
            idempotent: true,
        };
        let d = state.next_delay_after(&timeout).unwrap();
        // Second retry: 2 s nominal.
        assert!(d >= secs(2) && d < Duration::from_millis(2500), "{d:?}");
        assert_eq!(state.retries(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn run_retries_until_final_and_counts_tries() {
        let policy = RetryPolicy::default().with_max_total_wait(Duration::MAX);
        let mut calls = 0;
        let (out, tries) = run(
            policy,
            "test",
            || {
                calls += 1;
                std::future::ready(calls)
            },
            |n: &u32| {
                if *n < 3 {
                    Verdict::Retry {
                        status: Some(503),
                        hint: None,
                    }
                } else {
                    Verdict::Final
                }
            },
        )
        .await;
        assert_eq!((out, tries), (3, 3));
        // Exhausted: the last outcome comes back.
        let (out, tries) = run(
            RetryPolicy::default().with_max_retries(2),
            "test",
            || std::future::ready(7),
            |_| Verdict::Retry {
                status: None,
                hint: None,
            },
        )
        .await;
        assert_eq!((out, tries), (7, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn run_gives_up_at_once_when_the_server_asks_too_long_a_wait() {
        let started = tokio::time::Instant::now();
        let (out, tries) = run(
            RetryPolicy::default(),
            "test",
            || std::future::ready("429"),
            |_| Verdict::Retry {
                status: Some(429),
                hint: Some(secs(120)),
            },
        )
        .await;
        assert_eq!((out, tries), ("429", 1));
        assert_eq!(started.elapsed(), Duration::ZERO, "no wait at all");
        // A wait within the cap is honoured, plus the margin.
        let mut calls = 0u32;
        let (_, tries) = run(
            RetryPolicy::default(),
            "test",
            || {
                calls += 1;
                std::future::ready(calls)
            },
            |n: &u32| {
                if *n == 1 {
                    Verdict::Retry {
                        status: Some(429),
                        hint: Some(secs(30)),
                    }
                } else {
                    Verdict::Final
                }
            },
        )
        .await;
        assert_eq!(tries, 2);
        assert_eq!(started.elapsed(), secs(31));
    }

    #[test]
    fn verdicts_of_answers() {
        let none = HeaderMap::new();
        assert_eq!(Verdict::of_answer(200, &none), Verdict::Final);
        assert_eq!(Verdict::of_answer(409, &none), Verdict::Final);
        assert_eq!(
            Verdict::of_answer(502, &none),
            Verdict::Retry {
                status: Some(502),
                hint: None
            }
        );
        let h = headers(&[("retry-after", "9")]);
        assert_eq!(
            Verdict::of_answer(429, &h),
            Verdict::Retry {
                status: Some(429),
                hint: Some(secs(9))
            }
        );
        // Only 429 and 503 carry a wait.
        assert_eq!(
            Verdict::of_answer(500, &h),
            Verdict::Retry {
                status: Some(500),
                hint: None
            }
        );
    }
}
