//! Unit tests of `retry`.

use super::*;
use reqwest::header::HeaderValue;
use std::time::UNIX_EPOCH;

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
    // 1994-11-06T08:49:37Z = 784111777, in the three forms RFC 9110 has recipients accept.
    let before = UNIX_EPOCH + Duration::from_secs(784_111_777 - 30);
    for date in [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ] {
        assert_eq!(parse_retry_after(date, before), Some(secs(30)), "{date}");
    }
    let leap = UNIX_EPOCH + Duration::from_secs(1_835_438_400 - 1);
    assert_eq!(
        parse_retry_after("Tue, 29 Feb 2028 12:00:00 GMT", leap),
        Some(secs(1))
    );
    for bad in [
        "",
        "soon",
        "-5",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT extra",
    ] {
        assert_eq!(parse_retry_after(bad, before), None, "{bad:?}");
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
