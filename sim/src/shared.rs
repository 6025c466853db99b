//! What the listeners share: configuration, the repositories, counters, faults and the
//! request logs. Handlers and servers both depend on this module, never on each other.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};

use url::Url;

use crate::RecordedRequest;
use crate::config::SimConfig;
use crate::fault::Faults;
use crate::state::State;
use crate::util::lock;

/// Which listener a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Hub,
    Storage,
}

/// Everything the listeners share.
pub(crate) struct Shared {
    pub(crate) cfg: SimConfig,
    pub(crate) hub_url: Url,
    pub(crate) storage_url: Url,
    pub(crate) state: Mutex<State>,
    pub(crate) counters: Mutex<HashMap<&'static str, usize>>,
    pub(crate) faults: Faults,
    pub(crate) hub_log: Mutex<VecDeque<RecordedRequest>>,
    pub(crate) storage_log: Mutex<VecDeque<RecordedRequest>>,
    pub(crate) request_seq: AtomicU64,
    /// The CAS origin, when Xet storage is on.
    #[cfg(feature = "xet")]
    pub(crate) xet: Option<crate::xet::cas::Cas>,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub(crate) fn count(&self, route: &'static str) {
        *lock(&self.counters).entry(route).or_default() += 1;
    }

    /// Records a request of the CAS origin.
    #[cfg(feature = "xet")]
    pub(crate) fn record_xet(&self, req: &http::request::Parts) {
        if let Some(cas) = &self.xet {
            let max = self.cfg.max_recorded_requests;
            let mut log = lock(&cas.log);
            if log.len() >= max.max(1) {
                log.pop_front();
            }
            log.push_back(recorded(req));
        }
    }

    pub(crate) fn record(&self, origin: Origin, req: &http::request::Parts) {
        let max = self.cfg.max_recorded_requests;
        if max == 0 {
            return;
        }
        let rec = recorded(req);
        let log = match origin {
            Origin::Hub => &self.hub_log,
            Origin::Storage => &self.storage_log,
        };
        let mut log = lock(log);
        if log.len() >= max {
            log.pop_front();
        }
        log.push_back(rec);
    }
}

fn recorded(req: &http::request::Parts) -> RecordedRequest {
    RecordedRequest {
        method: req.method.to_string(),
        path_and_query: req
            .uri
            .path_and_query()
            .map_or_else(|| req.uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}
