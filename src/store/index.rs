//! Lookup indexes, so that `show` and the server's find never scan.
//!
//! Kept by [`super::Tx::put_record`] in the same commit as the records:
//! - `t/` last [`TAIL`] characters of the ID number, reversed, then key → ()
//!   (the last 4–6 digits are a prefix of the reversed tail);
//! - `n/` every suffix of the head's name, then 0, then key → () (a part of
//!   the name is a prefix of one of its suffixes);
//! - `p/` pinyin initials of the name, then 0, then key → ();
//! - `q/` full pinyin of the name, then 0, then key → ().
//!
//! `m/index` holds [`INDEX_VERSION`] once they cover every household; an
//! open of a store written before them (or of a restored older snapshot)
//! builds them once ([`Store::ensure_indexes`]).

use super::{be_u64, codec, Result, Store};
use crate::model::Household;

/// The index layout this release keeps.
pub(super) const INDEX_VERSION: u32 = 1;
pub(super) const K_INDEX: &[u8] = b"m/index";
/// Characters of the ID number kept in the tail index.
const TAIL: usize = 6;

const TAIL_PREFIX: &[u8] = b"t/";
const NAME_PREFIX: &[u8] = b"n/";
const INITIALS_PREFIX: &[u8] = b"p/";
const PINYIN_PREFIX: &[u8] = b"q/";

fn reversed_tail(id: &str, n: usize) -> Vec<u8> {
    let mut tail: Vec<u8> = id.bytes().rev().take(n).collect();
    // ID numbers are ASCII once normalised; a stray 0 byte would end the part.
    tail.retain(|b| *b != 0);
    tail
}

fn with_key(prefix: &[u8], part: &[u8], sep: bool, key: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + part.len() + 9);
    v.extend_from_slice(prefix);
    v.extend_from_slice(part);
    if sep {
        v.push(0);
    }
    v.extend_from_slice(&key.to_be_bytes());
    v
}

/// The ID tail index key of one household.
pub(super) fn id_keys(h: &Household, key: u64) -> Vec<Vec<u8>> {
    vec![with_key(TAIL_PREFIX, &reversed_tail(&h.a.id_number, TAIL), false, key)]
}

/// The name and pinyin index keys of one household.
pub(super) fn name_keys(h: &Household, key: u64) -> Vec<Vec<u8>> {
    let name: String = h.a.head.chars().filter(|c| *c != '\0').collect();
    let mut out: Vec<Vec<u8>> = name.char_indices().map(|(i, _)| with_key(NAME_PREFIX, &name.as_bytes()[i..], true, key)).collect();
    let (initials, full) = crate::search::pinyin_keys(&name);
    if !initials.is_empty() {
        out.push(with_key(INITIALS_PREFIX, initials.as_bytes(), true, key));
        out.push(with_key(PINYIN_PREFIX, full.as_bytes(), true, key));
    }
    out
}

impl Store {
    /// Keys of the households whose ID number ends with `digits` (4 or more
    /// characters), in key order.
    pub fn keys_by_id_tail(&self, digits: &str) -> Result<Vec<u64>> {
        let mut prefix = TAIL_PREFIX.to_vec();
        prefix.extend_from_slice(&reversed_tail(digits, TAIL));
        let mut keys = self.index_keys(&prefix)?;
        if digits.len() > TAIL {
            // Longer than the tail: check the rest on the summary.
            let mut kept = Vec::with_capacity(keys.len());
            for key in keys {
                if self.summary(key)?.is_some_and(|s| s.id_number.ends_with(digits)) {
                    kept.push(key);
                }
            }
            keys = kept;
        }
        Ok(keys)
    }

    /// Keys of the households whose head's name contains `text`, in key order.
    pub fn keys_by_name(&self, text: &str) -> Result<Vec<u64>> {
        let mut prefix = NAME_PREFIX.to_vec();
        prefix.extend_from_slice(text.as_bytes());
        self.index_keys(&prefix)
    }

    /// Keys of the households whose head's name has pinyin initials or full
    /// pinyin starting with `letters` (lower case), in key order.
    pub fn keys_by_pinyin(&self, letters: &str) -> Result<Vec<u64>> {
        let mut keys = Vec::new();
        for p in [INITIALS_PREFIX, PINYIN_PREFIX] {
            let mut prefix = p.to_vec();
            prefix.extend_from_slice(letters.as_bytes());
            keys.extend(self.index_keys(&prefix)?);
        }
        keys.sort_unstable();
        keys.dedup();
        Ok(keys)
    }

    /// The household keys (last 8 bytes) of every index entry under `prefix`, sorted, once each.
    fn index_keys(&self, prefix: &[u8]) -> Result<Vec<u64>> {
        let mut keys = Vec::new();
        for item in self.scan_prefix(prefix) {
            let (k, _) = item.map_err(|e| self.sled_err(e))?;
            if let Some(key) = k.len().checked_sub(8).and_then(|i| be_u64(&k[i..])) {
                keys.push(key);
            }
        }
        keys.sort_unstable();
        keys.dedup();
        Ok(keys)
    }

    /// Builds the indexes of a store written before them, once: plain
    /// inserts of every household's index keys, flushed, then `m/index`.
    /// A kill meanwhile only means the next open builds them again (the
    /// keys are the same). True when they were built.
    pub(super) fn ensure_indexes(&self) -> Result<bool> {
        let db = self.db().map_err(|e| self.sled_err(e))?;
        let current = db.get(K_INDEX).map_err(|e| self.sled_err(e))?.is_some_and(|v| v.as_ref() == INDEX_VERSION.to_be_bytes());
        if current {
            return Ok(false);
        }
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for item in self.scan_prefix(b"h/") {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            let Some(key) = be_u64(&k[2..]) else { continue };
            // A household that does not decode is reported where it is read, not here.
            let Ok(h) = codec::decode::<Household>(&v) else { continue };
            for ik in id_keys(&h, key).into_iter().chain(name_keys(&h, key)) {
                db.insert(ik, &[][..]).map_err(|e| self.sled_err(e))?;
            }
        }
        db.flush().map_err(|e| self.sled_err(e))?;
        db.insert(K_INDEX, &INDEX_VERSION.to_be_bytes()[..]).map_err(|e| self.sled_err(e))?;
        db.flush().map_err(|e| self.sled_err(e))?;
        Ok(true)
    }
}
