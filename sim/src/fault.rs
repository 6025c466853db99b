//! Fault injection: [`Fault`] and the per-route queues behind [`Faults`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A fault the simulator applies to a request instead of (or on top of) its normal answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (e.g. 503) with a Hub-style error, without doing anything.
    Status(u16),
    /// Answer 429 with `Retry-After: N` and `RateLimit: "api";r=0;t=N`, without doing anything.
    RateLimit {
        /// Seconds until the client may retry.
        retry_after_secs: u64,
    },
    /// Read the request body, then close the connection without answering.
    Drop,
    /// Handle the request normally (a commit is applied...), then close the connection
    /// without answering: the client cannot know whether its request took effect.
    DropAfterApply,
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Handle the request normally (a commit is applied, an upload stored...), then answer
    /// this status instead of the success: proves a client does not retry a non-idempotent
    /// POST.
    FailAfterApply(u16),
    /// Handle the request normally, send the answer's head and only the first `after` bytes
    /// of its body, then close the connection (a download cut part-way).
    CutBody {
        /// How many bytes of the body are sent.
        after: usize,
    },
}

#[derive(Default)]
pub(crate) struct FaultQueues {
    queues: HashMap<String, VecDeque<(Fault, usize)>>,
}

/// Enqueues faults for the next requests of a route. Obtained from
/// [`SimHandle::faults`](crate::SimHandle::faults); cheap to clone.
#[derive(Clone)]
pub struct Faults {
    pub(crate) inner: Arc<Mutex<FaultQueues>>,
}

impl Faults {
    /// Applies `fault` to the next `times` requests of `route` (a name from
    /// [`routes`](crate::routes)). Faults queued for one route apply in the order given.
    pub fn inject(&self, route: &str, fault: Fault, times: usize) {
        if times == 0 {
            return;
        }
        let mut q = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        q.queues
            .entry(route.to_owned())
            .or_default()
            .push_back((fault, times));
    }

    /// Applies `fault` to the next request of `route`.
    pub fn once(&self, route: &str, fault: Fault) {
        self.inject(route, fault, 1);
    }

    /// How many requests of `route` will still get a fault.
    pub fn pending(&self, route: &str) -> usize {
        let q = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        q.queues
            .get(route)
            .map_or(0, |v| v.iter().map(|(_, n)| *n).sum())
    }

    /// Forgets every queued fault.
    pub fn clear(&self) {
        let mut q = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        q.queues.clear();
    }

    /// Takes the fault for one request of `route`, if any.
    pub(crate) fn take(&self, route: &str) -> Option<Fault> {
        let mut q = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = q.queues.get_mut(route)?;
        let (fault, left) = queue.front_mut()?;
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(fault)
    }
}
