//! Stopping a bench's child server, shared by the bench binaries
//! (`#[path = "support/child.rs"] mod child;`).

use std::process::{Child, ChildStdin};
use std::time::{Duration, Instant};

/// Closes the child's stdin (a child server then exits), waits up to 10 s for it to exit,
/// then kills it.
pub fn stop(child: &mut Child, stdin: &mut Option<ChildStdin>) {
    drop(stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
