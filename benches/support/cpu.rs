//! CPU time from `/proc/<pid>/stat`, shared by the transfer benches
//! (`#[path = "support/cpu.rs"] mod cpu;`).

/// CPU time of `/proc/<who>` (`self` or a pid) so far, in seconds: (user, system). Linux
/// reports it in `USER_HZ` ticks, 100 per second.
pub fn cpu_secs(who: &str) -> Option<(f64, f64)> {
    let text = std::fs::read_to_string(format!("/proc/{who}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = text.get(text.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user / 100.0, system / 100.0))
}
