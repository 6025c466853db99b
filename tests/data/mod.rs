//! Test content shared by the download and Xet tests: pseudo-random bytes and their sha256.

use sha2::Digest;

/// The lowercase hex sha256 of `data`.
pub fn sha256(data: &[u8]) -> String {
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Pseudo-random bytes (xorshift from `seed`: nothing dedupes within them).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
