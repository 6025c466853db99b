//! The built-in HTTP clients: TLS (rustls with *ring*), redirects, timeouts.

use super::*;

/// The redirects the built-in clients follow by themselves: those that stay on the origin of
/// the request (a renamed repository answers a relative one), at most [`MAX_REDIRECTS`]. A
/// redirect to another origin is an answer: a `HEAD` of a file reads its metadata from it,
/// and a `GET` follows it by hand without the token ([`Transport::follow_elsewhere`]).
pub(super) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .last()
            .is_some_and(|prev| same_origin(prev, attempt.url()));
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// TLS for every built-in client: rustls with the *ring* provider (aws-lc, reqwest's default,
/// costs every dependent build minutes of C compilation) and the platform's certificate
/// verifier, offering HTTP/2 and HTTP/1.1. Nothing process-wide is installed.
pub(super) fn tls_config() -> std::result::Result<rustls::ClientConfig, rustls::Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// What every built-in client shares: our TLS and the connect timeout.
pub(super) fn client_builder(timeouts: Timeouts, what: &str) -> Result<reqwest::ClientBuilder> {
    let tls = tls_config().map_err(|e| Error::Transport {
        message: format!("cannot set up TLS for the {what}: {e}"),
        maybe_sent: false,
        idempotent: true,
        source: None,
    })?;
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(timeouts.connect))
}

/// A plain client builder for unit tests, with the same TLS setup (reqwest has no default
/// provider here: the workspace's rustls carries only *ring*).
#[cfg(test)]
pub(crate) fn test_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(tls_config().expect("TLS config"))
}

pub(super) fn build_client(builder: reqwest::ClientBuilder, what: &str) -> Result<reqwest::Client> {
    builder.build().map_err(|e| Error::Transport {
        message: format!("cannot build the {what}: {e}"),
        maybe_sent: false,
        idempotent: true,
        source: None,
    })
}

/// A built-in HTTP client: with `timeouts.read` as its read timeout, or without one (for
/// streamed bodies, whose answer wait [`streamed`] times instead).
pub(crate) fn http_client(
    timeouts: Timeouts,
    with_read_timeout: bool,
    what: &str,
) -> Result<reqwest::Client> {
    let mut builder = client_builder(timeouts, what)?.redirect(redirect_policy());
    if with_read_timeout {
        builder = builder.read_timeout(timeouts.read);
    }
    build_client(builder, what)
}

/// The client of downloads: the built-in timeouts, and no redirect followed by itself.
pub(super) fn download_client(timeouts: Timeouts) -> Result<reqwest::Client> {
    let what = "HTTP client for downloads";
    let builder = client_builder(timeouts, what)?
        .read_timeout(timeouts.read)
        .redirect(reqwest::redirect::Policy::none());
    build_client(builder, what)
}
