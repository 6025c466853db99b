//! The CAS origin's state: its port, the tokens it issued, what it received.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use xet_client::cas_client::simulation::DirectAccessClient;

use crate::RecordedRequest;
use crate::util::lock;

/// The CAS origin's state.
pub(crate) struct Cas {
    /// The CAS origin's URL (`http://127.0.0.1:PORT`, no trailing slash).
    pub(crate) url: String,
    pub(super) listener: Mutex<Option<std::net::TcpListener>>,
    pub(super) tokens: Mutex<HashMap<String, u64>>,
    pub(super) seq: AtomicU64,
    /// Request body bytes received by the CAS origin.
    pub(crate) bytes_received: AtomicU64,
    pub(crate) log: Mutex<VecDeque<RecordedRequest>>,
    pub(super) backend: OnceLock<Backend>,
}

pub(super) struct Backend {
    pub(super) addr: SocketAddr,
    pub(super) client: Arc<dyn DirectAccessClient>,
}

pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Cas {
    /// Binds the CAS origin's port.
    pub(crate) fn bind() -> std::io::Result<Cas> {
        let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        Ok(Cas {
            url: format!("http://{}", listener.local_addr()?),
            listener: Mutex::new(Some(listener)),
            tokens: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
            log: Mutex::new(VecDeque::new()),
            backend: OnceLock::new(),
        })
    }

    /// A new token valid for `ttl` seconds from now (already expired when negative).
    pub(crate) fn issue(&self, ttl: i64) -> (String, u64) {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let token = format!(
            "xet_sim_token_{n:08}_{:016x}",
            now().wrapping_mul(0x9e37_79b9)
        );
        let exp = now().saturating_add_signed(ttl);
        lock(&self.tokens).insert(token.clone(), exp);
        (token, exp)
    }

    pub(super) fn token_ok(&self, headers: &http::HeaderMap) -> bool {
        let Some(token) = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        lock(&self.tokens)
            .get(token.trim())
            .is_some_and(|exp| *exp > now())
    }
}
