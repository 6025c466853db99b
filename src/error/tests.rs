//! Unit tests of `error`.

use super::*;
use reqwest::header::{HeaderName, HeaderValue};
use std::error::Error as _;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

/// An answer to a request nothing is known about (not about a repository, not safe to repeat).
fn parts(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    from_response_parts(&RequestInfo::UNKNOWN, status, headers, body)
}

/// An answer to `operation` of the table.
fn answer(operation: &'static str, method: &str, status: u16, body: &str) -> Error {
    from_response_parts(
        &RequestInfo::of(operation, method),
        status,
        &HeaderMap::new(),
        body.as_bytes(),
    )
}

fn hub(e: &Error) -> &HubError {
    e.hub().expect("a Hub error")
}

#[test]
fn error_codes_map_to_kinds() {
    let cases = [
        ("RepoNotFound", 404, HubErrorKind::RepoNotFound),
        ("RevisionNotFound", 404, HubErrorKind::RevisionNotFound),
        ("EntryNotFound", 404, HubErrorKind::EntryNotFound),
        ("GatedRepo", 401, HubErrorKind::GatedRepo),
        ("GatedRepo", 403, HubErrorKind::GatedRepo),
        ("RepoNotFound", 401, HubErrorKind::RepoNotFound),
        ("SomethingNew", 404, HubErrorKind::Other),
        ("SomethingNew", 403, HubErrorKind::Forbidden),
    ];
    for (code, status, kind) in cases {
        let e = parts(status, &headers(&[("X-Error-Code", code)]), b"");
        assert_eq!(e.kind(), Some(&kind), "{code} {status}");
        assert_eq!(hub(&e).code.as_deref(), Some(code));
        assert_eq!(e.status(), Some(status));
    }
}

#[test]
fn status_without_code_maps_to_kinds() {
    let cases = [
        (401, HubErrorKind::Unauthorized),
        (403, HubErrorKind::Forbidden),
        (409, HubErrorKind::Conflict),
        (
            412,
            HubErrorKind::CommitConflict {
                expected_parent: None,
            },
        ),
        (429, HubErrorKind::RateLimited { retry_after: None }),
        (400, HubErrorKind::Other),
        (404, HubErrorKind::Other),
        (500, HubErrorKind::Other),
    ];
    for (status, kind) in cases {
        let e = parts(status, &HeaderMap::new(), b"");
        assert_eq!(e.kind(), Some(&kind), "{status}");
        assert_eq!(hub(&e).code, None);
        assert_eq!(hub(&e).message, "");
    }
}

#[test]
fn disabled_repo_from_message() {
    let e = parts(
        403,
        &headers(&[("X-Error-Message", "Access to this resource is disabled.")]),
        b"",
    );
    assert_eq!(e.kind(), Some(&HubErrorKind::DisabledRepo));
    let e = parts(
        404,
        &headers(&[
            ("X-Error-Code", "RepoNotFound"),
            ("X-Error-Message", "Access to this resource is disabled."),
        ]),
        b"",
    );
    assert_eq!(e.kind(), Some(&HubErrorKind::DisabledRepo));
}

#[test]
fn unauthorized_with_bad_credentials() {
    for msg in [
        "Invalid credentials in Authorization header",
        "invalid token",
        "Token is expired",
    ] {
        let e = parts(401, &headers(&[("X-Error-Message", msg)]), b"");
        assert_eq!(e.kind(), Some(&HubErrorKind::InvalidCredentials), "{msg}");
        assert_eq!(hub(&e).message, msg);
    }
    // From the body too.
    let e = parts(
        401,
        &HeaderMap::new(),
        br#"{"error":"Invalid credentials in Authorization header"}"#,
    );
    assert_eq!(e.kind(), Some(&HubErrorKind::InvalidCredentials));
    // Other 401 messages mean "not found or no access".
    let e = parts(
        401,
        &headers(&[("X-Error-Message", "Repository not found")]),
        b"",
    );
    assert_eq!(e.kind(), Some(&HubErrorKind::RepoNotFound));
    // "Invalid username or password." is what the Hub says for a missing repository asked
    // for without a token: not a statement about credentials.
    let e = parts(
        401,
        &HeaderMap::new(),
        br#"{"error":"Invalid username or password."}"#,
    );
    assert_eq!(e.kind(), Some(&HubErrorKind::Unauthorized));
    // A 403 saying "invalid token" stays Forbidden.
    let e = parts(403, &headers(&[("X-Error-Message", "invalid token")]), b"");
    assert_eq!(e.kind(), Some(&HubErrorKind::Forbidden));
}

#[test]
fn rate_limit_wait() {
    let e = parts(429, &headers(&[("Retry-After", "7")]), b"");
    assert_eq!(
        e.kind(),
        Some(&HubErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        })
    );
    let e = parts(429, &headers(&[("RateLimit", "\"api\";r=0;t=55")]), b"");
    assert_eq!(
        e.kind(),
        Some(&HubErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(55))
        })
    );
    let e = parts(429, &headers(&[("Retry-After", "soon")]), b"");
    assert_eq!(
        e.kind(),
        Some(&HubErrorKind::RateLimited { retry_after: None })
    );
    assert!(e.is_retryable());
}

#[test]
fn message_sources_in_order() {
    // Header wins over body.
    let e = parts(
        400,
        &headers(&[("X-Error-Message", "from header")]),
        br#"{"error":"from body"}"#,
    );
    assert_eq!(hub(&e).message, "from header");
    // JSON string.
    let e = parts(400, &HeaderMap::new(), br#"{"error":"from body"}"#);
    assert_eq!(hub(&e).message, "from body");
    // JSON array of strings.
    let e = parts(400, &HeaderMap::new(), br#"{"error":["a","b"]}"#);
    assert_eq!(hub(&e).message, "a; b");
    // JSON without `error`: the text.
    let e = parts(400, &HeaderMap::new(), br#"{"detail":"x"}"#);
    assert_eq!(hub(&e).message, r#"{"detail":"x"}"#);
    // Plain text, trimmed.
    let e = parts(502, &HeaderMap::new(), b"  Bad Gateway\n");
    assert_eq!(hub(&e).message, "Bad Gateway");
}

#[test]
fn long_bodies_are_truncated_on_char_boundaries() {
    let body = "é".repeat(2000);
    let e = parts(500, &HeaderMap::new(), body.as_bytes());
    let msg = &hub(&e).message;
    assert_eq!(msg.chars().count(), MAX_BODY_CHARS + 1);
    assert!(msg.ends_with('…'));
    let body = "x".repeat(MAX_BODY_CHARS);
    let e = parts(500, &HeaderMap::new(), body.as_bytes());
    assert_eq!(hub(&e).message, body);
}

#[test]
fn request_id_and_display() {
    let e = parts(
        404,
        &headers(&[
            ("X-Error-Code", "EntryNotFound"),
            ("X-Error-Message", "Entry not found"),
            ("X-Request-Id", "Root=1-abc"),
        ]),
        b"",
    );
    assert_eq!(hub(&e).request_id.as_deref(), Some("Root=1-abc"));
    let text = e.to_string();
    assert!(text.contains("404"), "{text}");
    assert!(text.contains("Entry not found"), "{text}");
    assert!(text.contains("Root=1-abc"), "{text}");
}

#[test]
fn never_panics_on_arbitrary_bytes() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..500 {
        let len = (next() % 1200) as usize;
        let body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let mut map = HeaderMap::new();
        let raw: Vec<u8> = (0..(next() % 40))
            .map(|_| (next() % 0x5f + 0x20) as u8 | ((next() as u8) & 0x80))
            .collect();
        if let Ok(v) = HeaderValue::from_bytes(&raw) {
            map.insert("x-error-message", v.clone());
            map.insert("retry-after", v.clone());
            map.insert("ratelimit", v);
        }
        let status = [400u16, 401, 403, 404, 409, 412, 429, 500][round % 8];
        let e = parts(status, &map, &body);
        let _ = e.to_string();
    }
    // Non-UTF-8 header bytes are read lossily.
    let mut map = HeaderMap::new();
    map.insert(
        "x-error-message",
        HeaderValue::from_bytes(b"caf\xc3\xa9 \xff").unwrap(),
    );
    let e = parts(400, &map, b"\xff\xfe");
    assert!(hub(&e).message.starts_with("café"));
}

#[test]
fn retryable() {
    let safe = RequestInfo::of("whoami", "GET");
    let unsafe_post = RequestInfo::of("create_repo", "POST");
    let commit = RequestInfo::of("create_commit", "POST");
    let none = HeaderMap::new();
    for status in [408, 429, 500, 502, 503, 504] {
        let e = from_response_parts(&safe, status, &none, b"");
        assert!(e.is_retryable(), "{status}");
        assert!(e.may_have_reached_server());
    }
    for status in [400, 401, 403, 404, 409, 412, 413] {
        let e = from_response_parts(&safe, status, &none, b"");
        assert!(!e.is_retryable(), "{status}");
    }
    // A request that is not safe to repeat: only refusals made before doing anything.
    for info in [&unsafe_post, &commit] {
        for status in [408, 500, 502, 503, 504] {
            let e = from_response_parts(info, status, &none, b"");
            assert!(!e.is_retryable(), "{} {status}", info.operation);
        }
        assert!(from_response_parts(info, 429, &none, b"").is_retryable());
    }
    // 409: a conflict is final, a commit in progress is worth waiting for.
    let e = from_response_parts(&unsafe_post, 409, &none, b"");
    assert_eq!(e.kind(), Some(&HubErrorKind::Conflict));
    assert!(!e.is_retryable());
    let e = from_response_parts(&commit, 409, &none, b"");
    assert_eq!(e.kind(), Some(&HubErrorKind::CommitInProgress));
    assert!(e.is_retryable());

    // Timeouts and transport errors: safe requests, or requests never sent.
    let timeout = |maybe_sent, idempotent| Error::Timeout {
        message: "x".into(),
        maybe_sent,
        idempotent,
    };
    assert!(timeout(true, true).is_retryable());
    assert!(timeout(false, false).is_retryable());
    assert!(!timeout(true, false).is_retryable());
    assert!(timeout(true, false).may_have_reached_server());
    assert!(!timeout(false, true).may_have_reached_server());
    let transport = Error::Transport {
        message: "x".into(),
        maybe_sent: true,
        idempotent: false,
        source: None,
    };
    assert!(!transport.is_retryable());
    assert!(transport.for_request(&safe).is_retryable());

    assert!(!Error::invalid("repo id", "a", "b").is_retryable());
    assert!(!Error::invalid("repo id", "a", "b").may_have_reached_server());
    assert!(
        !Error::Decode {
            path: ".".into(),
            message: "x".into()
        }
        .is_retryable()
    );
    assert_eq!(Error::invalid("repo id", "a", "b").status(), None);
    assert_eq!(Error::invalid("repo id", "a", "b").kind(), None);
}

#[test]
fn the_hubs_real_answers_are_classified_by_operation() {
    // (operation, method, status, body, kind, retryable)
    let cases = [
        (
            "create_repo",
            "POST",
            409,
            r#"{"error":"You already created this space repo","url":"https://huggingface.co/spaces/user/tmp_test_space"}"#,
            HubErrorKind::Conflict,
            false,
        ),
        (
            "create_repo_branch",
            "POST",
            409,
            r#"{"error":"Reference already exists"}"#,
            HubErrorKind::Conflict,
            false,
        ),
        (
            "create_commit",
            "POST",
            409,
            r#"{"error":"Another commit operation is in progress"}"#,
            HubErrorKind::CommitInProgress,
            true,
        ),
        (
            "get_space_variables",
            "GET",
            401,
            r#"{"error":"Invalid username or password."}"#,
            HubErrorKind::RepoNotFound,
            false,
        ),
        (
            "whoami",
            "GET",
            401,
            r#"{"error":"Invalid username or password."}"#,
            HubErrorKind::Unauthorized,
            false,
        ),
        (
            "whoami",
            "GET",
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
            HubErrorKind::InvalidCredentials,
            false,
        ),
        (
            "list_repo_tree",
            "GET",
            404,
            r#"{"error":"additional_chat_templates does not exist on \"main\""}"#,
            HubErrorKind::EntryNotFound,
            false,
        ),
        (
            "list_repo_tree",
            "GET",
            404,
            r#"{"error":"Repository not found"}"#,
            HubErrorKind::RepoNotFound,
            false,
        ),
        (
            "list_repo_tree",
            "GET",
            404,
            r#"{"error":"Invalid rev id: nope"}"#,
            HubErrorKind::RevisionNotFound,
            false,
        ),
        (
            "list_repo_tree",
            "GET",
            404,
            "",
            HubErrorKind::EntryNotFound,
            false,
        ),
        (
            "create_commit",
            "POST",
            404,
            "",
            HubErrorKind::RevisionNotFound,
            false,
        ),
        (
            "create_commit",
            "POST",
            500,
            "boom",
            HubErrorKind::Other,
            false,
        ),
        ("whoami", "GET", 404, "", HubErrorKind::Other, false),
    ];
    for (op, method, status, body, kind, retryable) in cases {
        let e = answer(op, method, status, body);
        assert_eq!(e.kind(), Some(&kind), "{op} {status} {body}");
        assert_eq!(e.status(), Some(status));
        assert_eq!(e.is_retryable(), retryable, "{op} {status} {body}");
    }
}

#[test]
fn invalid_input_display() {
    let e = Error::invalid("repo id", "a//b", "must have one `/`");
    assert_eq!(e.to_string(), "invalid repo id \"a//b\": must have one `/`");
}

#[test]
fn io_display_does_not_repeat_source() {
    let e = Error::io(
        "reading /tmp/x",
        std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
    );
    assert_eq!(e.to_string(), "reading /tmp/x");
    assert_eq!(
        e.source().map(|s| s.to_string()).as_deref(),
        Some("no such file")
    );
}

#[derive(Debug, serde::Deserialize)]
struct Item {
    id: String,
    gated: bool,
}

#[derive(Debug, serde::Deserialize)]
struct Page {
    items: Vec<Item>,
}

#[test]
fn decode_names_the_path() {
    let body = br#"{"items":[{"id":"a","gated":false},{"id":"b","gated":false},
        {"id":"c","gated":true},{"id":"d","gated":"manual"}]}"#;
    match decode::<Page>(body) {
        Err(Error::Decode { path, message }) => {
            assert_eq!(path, "items[3].gated");
            assert!(message.contains("invalid type"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let ok: Page = decode(br#"{"items":[{"id":"a","gated":true}]}"#).unwrap();
    assert_eq!(ok.items.len(), 1);
    assert_eq!(ok.items[0].id, "a");
    assert!(ok.items[0].gated);
}

#[test]
fn decode_root_and_garbage() {
    for body in [
        &b""[..],
        b"not json",
        b"[1,2]",
        b"{\"items\":[]} trailing",
        b"\xff",
    ] {
        match decode::<Page>(body) {
            Err(Error::Decode { path, message }) => {
                assert!(!message.is_empty());
                assert!(!path.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    match decode::<Page>(br#"{"items":[{"id":"a"}]}"#) {
        Err(Error::Decode { path, message }) => {
            assert_eq!(path, "items[0]");
            assert!(message.contains("gated"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    match decode::<Page>(b"not json") {
        Err(e @ Error::Decode { .. }) => {
            assert!(e.to_string().contains("`.`"), "{e}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn builder_error_is_not_sent() {
    let client = crate::client::test_client_builder().build().unwrap();
    let err = client
        .get("http://exa mple.com/")
        .build()
        .expect_err("bad URL");
    match Error::from(err) {
        ref e @ Error::Transport {
            maybe_sent,
            ref source,
            ..
        } => {
            assert!(!maybe_sent);
            assert!(source.is_some());
            // Never sent: safe to try again whatever the request.
            assert!(e.is_retryable());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn connect_error_hides_credentials() {
    // A port that was free a moment ago: connecting fails.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://user:hf_secret@127.0.0.1:{port}/api/models?token=hf_secret#x");
    let err = crate::client::test_client_builder()
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap_err();
    let e = Error::from(err);
    match &e {
        Error::Transport { maybe_sent, .. } => assert!(!maybe_sent),
        other => panic!("unexpected {other:?}"),
    }
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&s.to_string());
        source = s.source();
    }
    assert!(!text.contains("hf_secret"), "{text}");
    assert!(e.to_string().contains("/api/models"), "{e}");
}

#[tokio::test]
async fn timeout_maps_to_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accept and hold the connection without answering.
    let hold = tokio::spawn(async move {
        let conn = listener.accept().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(conn);
    });
    let client = crate::client::test_client_builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .get(format!("http://{addr}/slow?token=hf_secret"))
        .send()
        .await
        .unwrap_err();
    let e = Error::from(err);
    match &e {
        Error::Timeout {
            message,
            maybe_sent,
            ..
        } => {
            assert!(message.contains("/slow"), "{message}");
            assert!(!message.contains("hf_secret"), "{message}");
            assert!(maybe_sent, "the request was written before the wait");
        }
        other => panic!("unexpected {other:?}"),
    }
    // A GET is safe to send again; an unknown request is not.
    assert!(!e.is_retryable());
    assert!(
        e.for_request(&RequestInfo::of("whoami", "GET"))
            .is_retryable()
    );
    hold.abort();
}
