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
