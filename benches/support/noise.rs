//! Incompressible test content, shared by the bench binaries
//! (`#[path = "support/noise.rs"] mod noise;`).

/// Fills `buf` with xorshift64 noise from `seed` (the same seed, the same bytes).
pub fn noise(buf: &mut [u8], seed: u64) {
    let mut x = seed | 1;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
}
