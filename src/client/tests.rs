//! Unit tests of `client`.

use super::builtin::tls_config;
use super::*;

#[test]
fn tls_is_rustls_with_ring_offering_h2_and_http1() {
    let config = tls_config().unwrap();
    assert_eq!(
        config.alpn_protocols,
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    );
    let ring = rustls::crypto::ring::default_provider();
    let ours: Vec<_> = config
        .crypto_provider()
        .cipher_suites
        .iter()
        .map(|s| s.suite())
        .collect();
    let theirs: Vec<_> = ring.cipher_suites.iter().map(|s| s.suite()).collect();
    assert_eq!(ours, theirs);
    // No process-wide provider is installed by building clients.
    let timeouts = Timeouts {
        connect: Duration::from_secs(1),
        read: Duration::from_secs(1),
    };
    let _ = http_client(timeouts, true, "test client").unwrap();
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
}

#[test]
fn a_raw_body_gets_its_content_type_from_the_operation_table() {
    use crate::operations::{OPERATIONS, RequestInfo};
    let headers = |name: &'static str| {
        let url = reqwest::Url::parse("https://hub.invalid/api/x").unwrap();
        let mut request = Request::new(reqwest::Method::POST, url);
        super::transport::generated_headers(&mut request, &RequestInfo::of_operation(name));
        request.headers().clone()
    };
    // The commit: the table's media type as `Content-Type`, and no `Accept` with it.
    let media = OPERATIONS
        .iter()
        .find(|op| op.name == "create_commit")
        .and_then(|op| op.body_media_type)
        .unwrap();
    assert_eq!(media, "application/x-ndjson");
    let commit = headers("create_commit");
    assert_eq!(commit[reqwest::header::CONTENT_TYPE], media);
    assert!(commit.get(reqwest::header::ACCEPT).is_none());
    // An operation without one gets none.
    assert!(
        headers("create_repo")
            .get(reqwest::header::CONTENT_TYPE)
            .is_none()
    );
}
