//! Memory readings from `/proc/self/status`, shared by the bench binaries
//! (`#[path = "support/procfs.rs"] mod procfs;`).

/// A `kB` field of `/proc/<who>/status` (`self` or a pid), in KiB.
pub fn status_kib(who: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{who}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// This process's resident memory, in KiB.
pub fn rss() -> u64 {
    status_kib("self", "VmRSS").unwrap_or(0)
}

/// This process's peak resident memory (`VmHWM`), in KiB.
pub fn hwm() -> u64 {
    status_kib("self", "VmHWM").unwrap_or(0)
}

/// Resets this process's `VmHWM` to its current RSS (Linux ≥ 4.0); false if refused.
pub fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
