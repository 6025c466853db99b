//! A multipart upload put together while its parts arrive.
//!
//! Each part is appended to the object and hashed into its sha256 as soon as every part
//! before it is in, by whichever part's handler finds it next in line; so by the time the
//! completion comes, the object is whole and hashed, and the completion only checks. Parts
//! are hashed outside any lock: a handler receiving a part that cannot be placed yet only
//! leaves it waiting, and never waits itself.
//!
//! A part uploaded again after its first upload was placed (a client retrying a part that
//! did arrive) is kept aside; the completion puts it in place of the first and hashes the
//! whole object again, so the answer is the same as if the parts had been put together at
//! the end.
//!
//! Parts are kept as the bodies they arrived in (see [`crate::object`]): placing one hashes
//! it and keeps its buffer, copying nothing.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::object::Object;
use crate::util::lock;

/// How long a completion waits for a handler still placing parts (only a client that sends
/// the completion before its parts' answers can make that happen).
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// One multipart object being put together.
#[derive(Debug)]
pub(crate) struct Assembly {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The next part to place (1-based).
    next: u32,
    /// Parts that arrived before some part ahead of them.
    waiting: BTreeMap<u32, Vec<Bytes>>,
    /// Parts uploaded again after their first upload was placed.
    replaced: BTreeMap<u32, Vec<Bytes>>,
    /// The object so far and its running hash; `None` while a handler is placing a part.
    work: Option<Work>,
    /// The running hash is no longer the object's (a part was written over): hash it whole.
    rehash: bool,
}

#[derive(Debug)]
struct Work {
    /// The placed parts, in order, each as its chunks.
    parts: Vec<Vec<Bytes>>,
    sha: Sha256,
}

impl Assembly {
    pub(crate) fn new() -> Assembly {
        Assembly {
            inner: Mutex::new(Inner {
                next: 1,
                waiting: BTreeMap::new(),
                replaced: BTreeMap::new(),
                work: Some(Work {
                    parts: Vec::new(),
                    sha: Sha256::new(),
                }),
                rehash: false,
            }),
        }
    }

    /// Takes part `part` (its size already checked) and places every part now in line.
    pub(crate) fn offer(&self, part: u32, data: Vec<Bytes>) {
        let mut inner = lock(&self.inner);
        if part < inner.next {
            inner.replaced.insert(part, data);
            return;
        }
        inner.waiting.insert(part, data);
        loop {
            let next = inner.next;
            if inner.work.is_none() || !inner.waiting.contains_key(&next) {
                // Another handler is placing parts (it will take this one too), or a part
                // ahead of it is still missing.
                return;
            }
            let (Some(mut work), Some(bytes)) = (inner.work.take(), inner.waiting.remove(&next))
            else {
                return;
            };
            drop(inner);
            for chunk in &bytes {
                work.sha.update(chunk);
            }
            work.parts.push(bytes);
            inner = lock(&self.inner);
            inner.next = next + 1;
            inner.work = Some(work);
            // A part uploaded again while its first upload was being placed.
            let stale: Vec<u32> = inner.waiting.range(..=next).map(|(n, _)| *n).collect();
            for n in stale {
                if let Some(again) = inner.waiting.remove(&n) {
                    inner.replaced.insert(n, again);
                }
            }
        }
    }

    /// The whole object, once its `parts` parts are all placed and it hashes to `oid`; else
    /// why not (the assembly stays as it was, so parts can be sent again and the upload
    /// completed later).
    pub(crate) fn finish(&self, parts: u32, oid: &str) -> Result<Object, String> {
        let started = Instant::now();
        let mut inner = lock(&self.inner);
        while inner.work.is_none() && started.elapsed() < BUSY_WAIT {
            drop(inner);
            std::thread::sleep(Duration::from_millis(1));
            inner = lock(&self.inner);
        }
        if inner.next != parts + 1 {
            return Err(format!(
                "part {} was never received whole (or is still waiting for a part before it)",
                inner.next
            ));
        }
        let Some(mut work) = inner.work.take() else {
            return Err("the parts are still being put together".to_owned());
        };
        let replaced = std::mem::take(&mut inner.replaced);
        inner.rehash |= !replaced.is_empty();
        for (n, bytes) in replaced {
            if let Some(slot) = work
                .parts
                .get_mut(usize::try_from(n - 1).unwrap_or(usize::MAX))
            {
                *slot = bytes;
            }
        }
        let actual = if inner.rehash {
            let mut sha = Sha256::new();
            for chunk in work.parts.iter().flatten() {
                sha.update(chunk);
            }
            crate::util::hex(&sha.finalize())
        } else {
            crate::util::hex(&work.sha.clone().finalize())
        };
        if actual != oid {
            // Kept for another try; the running hash no longer matches what may be sent again.
            inner.rehash = true;
            inner.work = Some(work);
            return Err(format!(
                "sha256 mismatch: the parts hash to {actual}, not {oid}"
            ));
        }
        Ok(Object::from_chunks(work.parts.into_iter().flatten()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each part in two chunks, as a body arrives in frames.
    fn parts(data: &[u8], chunk: usize) -> Vec<Vec<Bytes>> {
        data.chunks(chunk)
            .map(|part| {
                let (a, b) = part.split_at(part.len() / 3);
                vec![Bytes::copy_from_slice(a), Bytes::copy_from_slice(b)]
            })
            .collect()
    }

    fn one(data: Vec<u8>) -> Vec<Bytes> {
        vec![Bytes::from(data)]
    }

    fn expected(data: &[u8]) -> String {
        crate::util::hex(&Sha256::digest(data))
    }

    #[test]
    fn in_any_order_the_object_and_its_hash_are_whole() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let pieces = parts(&data, 100);
        for order in [
            (0..10).collect::<Vec<usize>>(),
            (0..10).rev().collect(),
            vec![3, 1, 0, 2, 9, 8, 4, 5, 7, 6],
        ] {
            let a = Assembly::new();
            for i in order {
                a.offer(i as u32 + 1, pieces[i].clone());
            }
            assert_eq!(a.finish(10, &expected(&data)).unwrap().to_bytes(), data);
        }
    }

    #[test]
    fn a_part_sent_again_with_other_bytes_wins() {
        let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let pieces = parts(&data, 100);
        let a = Assembly::new();
        // Part 1 is placed, then sent again with the right bytes after a wrong first try.
        a.offer(1, one(vec![9u8; 100]));
        a.offer(2, pieces[1].clone());
        a.offer(1, pieces[0].clone());
        a.offer(3, pieces[2].clone());
        assert_eq!(a.finish(3, &expected(&data)).unwrap().to_bytes(), data);
    }

    #[test]
    fn a_mismatch_keeps_the_parts_for_another_try() {
        let data: Vec<u8> = (0..200u32).map(|i| i as u8).collect();
        let pieces = parts(&data, 100);
        let a = Assembly::new();
        a.offer(1, pieces[0].clone());
        a.offer(2, one(vec![0u8; 100]));
        let err = a.finish(2, &expected(&data)).unwrap_err();
        assert!(err.contains("sha256 mismatch"), "{err}");
        a.offer(2, pieces[1].clone());
        assert_eq!(a.finish(2, &expected(&data)).unwrap().to_bytes(), data);
    }

    #[test]
    fn a_missing_part_is_an_error() {
        let a = Assembly::new();
        a.offer(1, one(vec![1u8; 100]));
        a.offer(3, one(vec![1u8; 100]));
        let err = a.finish(3, "00").unwrap_err();
        assert!(err.contains("part 2"), "{err}");
    }
}
