//! An object of LFS storage, kept as the request bodies it arrived in.
//!
//! A multipart upload is kept as its parts' bodies (no copy of them into one object buffer, no
//! fresh pages for one), and a download answers with slices of them. Only the public
//! accessors that hand out one contiguous `Bytes` join the chunks, and only when there are
//! several.

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// The bytes of one stored object, in order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Object {
    chunks: Arc<[Bytes]>,
    len: u64,
}

impl Object {
    /// An object of these chunks (empty ones are dropped).
    pub(crate) fn from_chunks(chunks: impl IntoIterator<Item = Bytes>) -> Object {
        let chunks: Arc<[Bytes]> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let len = chunks.iter().map(|c| c.len() as u64).sum();
        Object { chunks, len }
    }

    /// An object of one buffer.
    pub(crate) fn from_bytes(data: Bytes) -> Object {
        Object::from_chunks([data])
    }

    /// Its size in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Its sha256, as lower-case hex.
    pub(crate) fn sha256_hex(&self) -> String {
        let mut sha = Sha256::new();
        for chunk in self.chunks.iter() {
            sha.update(chunk);
        }
        crate::util::hex(&sha.finalize())
    }

    /// The bytes `start..end` (clamped to the object), as slices of its chunks.
    pub(crate) fn slice(&self, start: u64, end: u64) -> Vec<Bytes> {
        let end = end.min(self.len);
        let mut out = Vec::new();
        let mut at = 0u64;
        for chunk in self.chunks.iter() {
            let next = at + chunk.len() as u64;
            if next > start && at < end {
                let from = usize::try_from(start.saturating_sub(at)).unwrap_or(0);
                let to = usize::try_from(end.min(next) - at).unwrap_or(chunk.len());
                out.push(chunk.slice(from..to));
            }
            if next >= end {
                break;
            }
            at = next;
        }
        out
    }

    /// All of it as chunks.
    pub(crate) fn chunks(&self) -> Vec<Bytes> {
        self.chunks.to_vec()
    }

    /// All of it in one buffer (a copy only when it is in several chunks).
    pub(crate) fn to_bytes(&self) -> Bytes {
        crate::util::join(&self.chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(data: &[u8], cut: &[usize]) -> Object {
        let mut chunks = Vec::new();
        let mut at = 0;
        for &c in cut.iter().chain(std::iter::once(&data.len())) {
            chunks.push(Bytes::copy_from_slice(&data[at..c]));
            at = c;
        }
        Object::from_chunks(chunks)
    }

    #[test]
    fn slices_cross_chunks_as_one_buffer_would() {
        let data: Vec<u8> = (0..100u8).collect();
        let o = object(&data, &[10, 10, 35, 60, 99]);
        assert_eq!(o.len(), 100);
        assert_eq!(o.to_bytes(), data);
        assert_eq!(o.sha256_hex(), crate::util::sha256_hex(&data));
        for (a, b) in [
            (0, 100),
            (0, 1),
            (5, 40),
            (10, 35),
            (34, 36),
            (99, 100),
            (50, 500),
        ] {
            let got = crate::util::join(&o.slice(a, b));
            assert_eq!(got, data[a as usize..(b as usize).min(100)], "{a}..{b}");
        }
        assert!(o.slice(100, 200).is_empty());
        assert_eq!(Object::default().to_bytes(), Bytes::new());
    }
}
