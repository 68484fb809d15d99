//! Loading every household's summary fast, for the app's lists.
//!
//! A scan of a million `s/` entries costs seconds in sled, so the app keeps
//! a copy of the summaries in one file beside the store
//! ([`SUMMARY_CACHE`], owner-only like the store), stamped with the audit
//! head it matches. Every write to a household appends an audit entry for
//! it in the same batch, so on the next load the file plus the audit
//! entries written since (checked to continue the same hash chain) give
//! exactly the stored summaries: only the households those entries name are
//! read again. A missing, damaged or unrelated file (another store, a
//! restored snapshot) falls back to the full scan, which runs on every core.
//! No sled type leaves this module.

use super::{audit_key, be_u64, codec, summary_key, AuditHead, Result, Store, StoreError, K_NEXT_KEY};
use crate::model::{AuditEntry, Summary};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// The summary cache file inside the store directory.
pub const SUMMARY_CACHE: &str = "huitoukan.summaries";

/// Bumped when the cache layout changes; an older file is then ignored.
const CACHE_FORMAT: u32 = 2;

/// Summaries per separately encoded part of the cache (parts decode in parallel).
#[cfg(not(test))]
const CACHE_PART: usize = 65_536;
/// Small in tests, so that a small store has many parts.
#[cfg(test)]
const CACHE_PART: usize = 16;

/// How the summaries were loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummarySource {
    /// The cache matched the store exactly.
    Cache,
    /// The cache plus this many households re-read for changes since.
    CachePlus(usize),
    /// A full scan (no usable cache): the caller should write a new one.
    Scan,
}

/// The cache file: `[header length: u64 LE][header][part]…`, each part the
/// codec encoding of up to [`CACHE_PART`] summaries.
#[derive(Serialize, Deserialize)]
struct CacheHeader {
    format: u32,
    head: AuditHead,
    /// Byte length of each part, in order.
    parts: Vec<u64>,
}

/// Decodes the parts on every core; `None` if any part is damaged.
fn decode_parts(body: &[u8], lens: &[u64]) -> Option<Vec<Summary>> {
    let mut parts = Vec::with_capacity(lens.len());
    let mut at = 0usize;
    for &len in lens {
        let end = at.checked_add(usize::try_from(len).ok()?)?;
        parts.push(body.get(at..end)?);
        at = end;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let decoded: Vec<Option<Vec<Summary>>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<&[u8]> = parts.iter().skip(t).step_by(threads).copied().collect();
                scope.spawn(move || mine.into_iter().map(|p| codec::decode::<Vec<Summary>>(p).ok()).collect::<Vec<_>>())
            })
            .collect();
        let per_thread: Vec<Vec<Option<Vec<Summary>>>> = jobs.into_iter().map(|j| j.join().unwrap_or_default()).collect();
        // Back into file order: part k was decoded by thread k % threads.
        let mut iters: Vec<_> = per_thread.into_iter().map(|v| v.into_iter()).collect();
        (0..parts.len()).map(|k| iters[k % threads].next().flatten()).collect()
    });
    let mut all = Vec::with_capacity(lens.len() * CACHE_PART);
    for part in decoded {
        all.extend(part?);
    }
    Some(all)
}

fn decode_summary(bytes: &[u8]) -> Result<Summary> {
    codec::decode(bytes).map_err(|source| StoreError::Decode { what: "户摘要".into(), source })
}

impl Store {
    fn summary_cache_path(&self) -> PathBuf {
        self.path.join(SUMMARY_CACHE)
    }

    /// Every household's summary, in key order (the same as [`Store::summaries`]),
    /// from the cache when it fits the store, else by a parallel scan.
    pub fn load_summaries(&self) -> Result<(Vec<Summary>, SummarySource)> {
        let _no_writes = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let head = *self.head.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = self.cached_summaries(head) {
            return Ok(found);
        }
        Ok((self.scan_summaries()?, SummarySource::Scan))
    }

    /// Writes the summary cache for the store as it is now; `summaries` must
    /// be what [`Store::load_summaries`] returned, with no write since.
    pub fn write_summary_cache(&self, summaries: &[Summary]) -> Result<()> {
        let _no_writes = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let head = *self.head.lock().unwrap_or_else(|p| p.into_inner());
        let parts: Vec<Vec<u8>> = summaries.chunks(CACHE_PART).map(|c| codec::encode(&c)).collect();
        let header = codec::encode(&CacheHeader { format: CACHE_FORMAT, head, parts: parts.iter().map(|p| p.len() as u64).collect() });
        let mut bytes = Vec::with_capacity(8 + header.len() + parts.iter().map(Vec::len).sum::<usize>());
        bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&header);
        for p in &parts {
            bytes.extend_from_slice(p);
        }
        let path = self.summary_cache_path();
        let tmp = self.path.join(format!("{SUMMARY_CACHE}.tmp"));
        let io = |e| StoreError::from_io(&path, e);
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    /// `None` when the cache is missing, unreadable, or not this store's history.
    fn cached_summaries(&self, head: AuditHead) -> Option<(Vec<Summary>, SummarySource)> {
        let bytes = std::fs::read(self.summary_cache_path()).ok()?;
        let header_len = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
        let header: CacheHeader = codec::decode(bytes.get(8..8usize.checked_add(header_len)?)?).ok()?;
        if header.format != CACHE_FORMAT || header.head.next_seq > head.next_seq {
            return None;
        }
        let mut summaries = decode_parts(&bytes[8 + header_len..], &header.parts)?;
        drop(bytes);
        let cache = header;
        if cache.head == head {
            return Some((summaries, SummarySource::Cache));
        }
        // The entries written since must continue the chain the cache saw.
        let mut changed = BTreeSet::new();
        let mut prev = cache.head.last_hash;
        let limit = (summaries.len() / 10).max(1_000);
        for item in self.range(audit_key(cache.head.next_seq)..audit_key(head.next_seq)) {
            let (_, bytes) = item.ok()?;
            let entry: AuditEntry = codec::decode(&bytes).ok()?;
            if entry.prev_hash != prev {
                return None;
            }
            prev = Sha256::digest(&bytes).into();
            if entry.household != 0 {
                changed.insert(entry.household);
            }
            if changed.len() > limit {
                return None;
            }
        }
        if prev != head.last_hash {
            return None;
        }
        let n = changed.len();
        for key in changed {
            let fresh = self.summary(key).ok()?;
            match (summaries.binary_search_by_key(&key, |s| s.key), fresh) {
                (Ok(i), Some(s)) => summaries[i] = s,
                (Ok(i), None) => {
                    summaries.remove(i);
                }
                (Err(i), Some(s)) => summaries.insert(i, s),
                (Err(_), None) => {}
            }
        }
        Some((summaries, SummarySource::CachePlus(n)))
    }

    /// Every summary by a scan split over the cores (keys are dense, so
    /// equal key ranges are about equal work).
    fn scan_summaries(&self) -> Result<Vec<Summary>> {
        let next_key = self.db().and_then(|db| db.get(K_NEXT_KEY)).map_err(|e| self.sled_err(e))?.and_then(|v| be_u64(&v)).unwrap_or(1);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) as u64;
        let threads = if next_key < 20_000 { 1 } else { threads };
        let step = next_key.div_ceil(threads).max(1);
        let parts: Vec<Result<Vec<Summary>>> = std::thread::scope(|scope| {
            let jobs: Vec<_> = (0..threads)
                .map(|t| {
                    let (lo, hi) = (t * step, ((t + 1) * step).min(next_key));
                    scope.spawn(move || {
                        let mut out = Vec::with_capacity((hi - lo) as usize);
                        for item in self.range(summary_key(lo)..summary_key(hi)) {
                            let (_, v) = item.map_err(|e| self.sled_err(e))?;
                            out.push(decode_summary(&v)?);
                        }
                        Ok(out)
                    })
                })
                .collect();
            jobs.into_iter().map(|j| j.join().unwrap_or_else(|_| Err(StoreError::Internal("读取户摘要的线程出错".into())))).collect()
        });
        let mut all = Vec::new();
        for part in parts {
            let part = part?;
            if all.is_empty() {
                all = part;
            } else {
                all.extend(part);
            }
        }
        // Keys at or past the counter (none are written there) are read too.
        for item in self.range(summary_key(next_key)..summary_key(u64::MAX)) {
            let (_, v) = item.map_err(|e| self.sled_err(e))?;
            all.push(decode_summary(&v)?);
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Answers;

    #[test]
    fn cache_scan_and_changes_since_agree_with_a_plain_scan() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        crate::demo::fill(&store, 150, 3, |_| {}).unwrap();
        let (s, src) = store.load_summaries().unwrap();
        assert_eq!(src, SummarySource::Scan);
        assert_eq!(s, store.summaries().unwrap());
        store.write_summary_cache(&s).unwrap();
        assert_eq!(store.load_summaries().unwrap(), (s.clone(), SummarySource::Cache));

        // A change after the cache was written: only that household is re-read.
        let key = s.iter().find(|x| x.state == crate::model::FormState::Empty).unwrap().key;
        let mut answers = Answers::new();
        answers.insert("B1".into(), crate::form::Value::Bool(true));
        store.save_draft(key, &answers, "t").unwrap();
        crate::demo::fill(&store, 2, 4, |_| {}).unwrap();
        let (again, src) = store.load_summaries().unwrap();
        assert_eq!(src, SummarySource::CachePlus(3));
        assert_eq!(again, store.summaries().unwrap());
    }

    #[test]
    fn a_cache_of_another_history_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let a = Store::open(&dir.path().join("a")).unwrap();
        crate::demo::fill(&a, 20, 1, |_| {}).unwrap();
        let (sa, _) = a.load_summaries().unwrap();
        a.write_summary_cache(&sa).unwrap();
        let b = Store::open(&dir.path().join("b")).unwrap();
        crate::demo::fill(&b, 25, 2, |_| {}).unwrap();
        std::fs::copy(dir.path().join("a").join(SUMMARY_CACHE), dir.path().join("b").join(SUMMARY_CACHE)).unwrap();
        let (sb, src) = b.load_summaries().unwrap();
        assert_eq!(src, SummarySource::Scan);
        assert_eq!(sb, b.summaries().unwrap());
        std::fs::write(dir.path().join("b").join(SUMMARY_CACHE), b"garbage").unwrap();
        assert_eq!(b.load_summaries().unwrap().1, SummarySource::Scan);
    }
}
