//! The store: sled 0.34 behind typed operations.
//!
//! No sled type leaves this module. Every value is wrapped by [`codec`]
//! (magic + format version + postcard). Every operation that returns `Ok`
//! has been flushed to disk. Every change to a household or a form appends
//! a hash-chained audit entry in the same atomic batch.
//!
//! Key layout (one sled tree, so one `Batch` is atomic across all of it):
//! - `m/format`, `m/round`, `m/next_key`, `m/audit_head`: metadata
//! - `m/journal`, `j/` key → old value: a large commit in progress (below)
//! - `h/` key → [`Household`]; `f/` key → [`FormRecord`] (none while the
//!   form is not begun); `s/` key → [`Summary`]
//! - `i/` id_number → key; `v/` township 0 village 0 key → ()
//! - `a/` seq → [`AuditEntry`]; `x/` key seq → ()
//! - `c/` login → [`Clerk`] (registered clerks)
//! - `e/` key form id 0 seq → [`crate::model::Entry`]: the handbook's
//!   repeating forms (members, measures, visits), never removed; `u/` ID
//!   number → the entry that holds it, for IDs unique in the store ([`entries`])
//! - `d/` form id 0 version → the form definition's TOML text: every
//!   definition a form record names, written in the commit of the first
//!   record that uses it (format 2)
//! - `t/`, `n/`, `p/`, `q/`, `m/index`: lookup indexes ([`index`])
//! - `g/h/`, `g/v/`, `m/totals`: each household's share of the report and
//!   each village's totals ([`totals`])
//!
//! A commit of more than [`JOURNAL_ABOVE`] writes (an import) does not go
//! through one sled `Batch`: sled 0.34 keeps in memory what a batch wrote
//! (spacejam/sled#1303), 32 KB per imported household, so a county's
//! roster took 700 MB and a city's would not fit. Instead the old value of
//! every key it touches is written under `j/` and flushed, `m/journal` is
//! set and flushed, the writes go in as plain inserts and are flushed, and
//! removing `m/journal` (flushed) commits. An open that finds `m/journal`
//! puts the old values back first: the commit stays all-or-nothing.
//!
//! A key the commit knows to be new (a new household's records and index
//! keys, an audit entry) has no old value to read or to write: the journal
//! lists such keys, many to one entry (`j/` 0 chunk → list), and undoing
//! removes them. For an import of new households that is about one journal
//! entry per 2,000 keys instead of a read and a journal entry per key, and
//! nearly nothing to clear after the commit.
//!
//! Store format 1 → 2 ([`STORE_FORMAT`]): format 2 keeps the form
//! definitions (`d/`) and every form record names its form. An open that
//! finds format 1 takes an automatic snapshot first (beside the store, see
//! [`crate::backup`]), then migrates in one commit: the 2021 look-back
//! form's definition stored, every form record rewritten naming it, the
//! format set (to 3 now) and one audit entry. The commit is journaled like an
//! import, so a kill in the middle leaves format 1 for the next open.
//!
//! Store format 2 → 3: format 3 may hold the handbook's entries (`e/`,
//! `u/`), which the records digest covers. Nothing of a format-2 store
//! changes but the format number (one commit, one audit entry, no snapshot
//! needed): what the number buys is that a release that knows only format 2,
//! whose digest would not count the entries, refuses the store with "upgrade
//! the program" instead of reporting it tampered with.

pub mod browse;
pub mod bulk;
pub mod codec;
mod entries;
mod error;
mod index;
pub mod lock;
mod report;
mod totals;

pub use entries::{EntriesOutcome, VOID_REASON_MAX};
pub use error::{Result, StoreError};
pub use lock::Holder;
pub use report::Row;

use crate::access::Clerk;
use crate::form::file::Form;
use crate::form::rules::{self, Severity};
use crate::form::{registry, schema, FormRef, Round, Value};
use crate::model::{Answers, AuditEntry, FormRecord, FormState, Household, LookBack, Place, SectionA, Summary, Timestamp, TownshipCounts};
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};

/// The store layout this release writes (key scheme, not record encoding);
/// older stores are migrated at open (see the module doc).
pub const STORE_FORMAT: u32 = 3;

const K_FORMAT: &[u8] = b"m/format";
const K_ROUND: &[u8] = b"m/round";
const K_NEXT_KEY: &[u8] = b"m/next_key";
const K_AUDIT_HEAD: &[u8] = b"m/audit_head";
/// Set while a journaled commit writes: an open finding it rolls back.
const K_JOURNAL: &[u8] = b"m/journal";
const JOURNAL_PREFIX: &[u8] = b"j/";
/// Commits with more writes than this are journaled (see the module doc).
const JOURNAL_ABOVE: usize = 2_000;
/// A journaled commit that can write as it goes (an import) does so in
/// chunks of this many writes (about 3,000 households): its memory is one
/// chunk, not the whole commit (see [`Tx::spill`]).
const SPILL_WRITES: usize = if cfg!(test) { 4_000 } else { 40_000 };
/// The digest of every household and form record, bound to the audit head
/// it was written with (see [`RecordsDigest`]).
const K_RECORDS_DIGEST: &[u8] = b"m/records_digest";
/// Beside sled's files: space kept free for reading on a full disk. sled
/// zero-fills the tail of its log at every open, so on a full disk even
/// `report` and `export` could not open the store; the reserve is given up
/// to let them, and made again once there is room.
const RESERVE_FILE: &str = "huitoukan.reserve";
const RESERVE_BYTES: u64 = 1 << 20;
/// Free space a large commit must leave, beyond its estimate.
const FREE_MARGIN: u64 = 16 << 20;
/// Beside sled's files: the audit log's length at the last clean open/close.
const MARKER_FILE: &str = "huitoukan.check";

fn k(prefix: &[u8], key: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + 8);
    v.extend_from_slice(prefix);
    v.extend_from_slice(&key.to_be_bytes());
    v
}
fn household_key(key: u64) -> Vec<u8> {
    k(b"h/", key)
}
fn form_key(key: u64) -> Vec<u8> {
    k(b"f/", key)
}
fn summary_key(key: u64) -> Vec<u8> {
    k(b"s/", key)
}
fn audit_key(seq: u64) -> Vec<u8> {
    k(b"a/", seq)
}
fn audit_index_key(key: u64, seq: u64) -> Vec<u8> {
    let mut v = k(b"x/", key);
    v.extend_from_slice(&seq.to_be_bytes());
    v
}
fn id_key(id_number: &str) -> Vec<u8> {
    let mut v = b"i/".to_vec();
    v.extend_from_slice(id_number.as_bytes());
    v
}
fn village_prefix(place: &Place) -> Vec<u8> {
    let mut v = b"v/".to_vec();
    v.extend_from_slice(place.township.as_bytes());
    v.push(0);
    v.extend_from_slice(place.village.as_bytes());
    v.push(0);
    v
}
fn village_key(place: &Place, key: u64) -> Vec<u8> {
    let mut v = village_prefix(place);
    v.extend_from_slice(&key.to_be_bytes());
    v
}
const DEFINITION_PREFIX: &[u8] = b"d/";
fn definition_key(form: &FormRef) -> Vec<u8> {
    let mut v = DEFINITION_PREFIX.to_vec();
    v.extend_from_slice(form.id.as_bytes());
    v.push(0);
    v.extend_from_slice(&form.version.to_be_bytes());
    v
}
const CLERK_PREFIX: &[u8] = b"c/";
fn clerk_key(login: &str) -> Vec<u8> {
    let mut v = CLERK_PREFIX.to_vec();
    v.extend_from_slice(login.as_bytes());
    v
}
/// `zhangsan 张三 录入 石盘乡/石盘村`, as the audit log records a clerk.
fn clerk_text(c: &Clerk) -> String {
    let scope = if c.scopes.is_empty() {
        "全部乡镇".to_string()
    } else {
        c.scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join("、")
    };
    format!("{} {} {} {scope}", c.login, c.name, c.role.label())
}
/// The id and version a `d/` key names.
fn parse_definition_key(key: &[u8]) -> Option<FormRef> {
    let rest = key.strip_prefix(DEFINITION_PREFIX)?;
    let (id, version) = rest.split_at(rest.len().checked_sub(5)?);
    let version = version.strip_prefix(&[0u8][..])?;
    Some(FormRef { id: String::from_utf8(id.to_vec()).ok()?, version: u32::from_be_bytes(version.try_into().ok()?) })
}
fn be_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct AuditHead {
    next_seq: u64,
    last_hash: [u8; 32],
}

/// An order-independent digest of the records' current state: the sum (in
/// four 64-bit lanes) of SHA-256(key ‖ value) over every `h/` and `f/`
/// record, so a commit updates it from the records it writes alone. Kept
/// under [`K_RECORDS_DIGEST`] with the audit head of the same commit: an
/// edit behind the program's back, or a tail of the log cut off with the
/// head rewritten, no longer agrees with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
struct RecordsDigest {
    next_seq: u64,
    last_hash: [u8; 32],
    sum: [u64; 4],
}

fn is_record_key(key: &[u8]) -> bool {
    key.starts_with(b"h/") || key.starts_with(b"f/") || key.starts_with(entries::ENTRY_PREFIX)
}

fn record_hash(key: &[u8], value: &[u8]) -> [u64; 4] {
    let mut sha = Sha256::new();
    sha.update((key.len() as u32).to_le_bytes());
    sha.update(key);
    sha.update(value);
    let d: [u8; 32] = sha.finalize().into();
    std::array::from_fn(|i| u64::from_le_bytes(d[i * 8..i * 8 + 8].try_into().unwrap_or_default()))
}

fn lanes(sum: &mut [u64; 4], h: [u64; 4], add: bool) {
    for (s, x) in sum.iter_mut().zip(h) {
        *s = if add { s.wrapping_add(x) } else { s.wrapping_sub(x) };
    }
}

/// What `audit verify` found of the records against the digest the last commit left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RecordsCheck {
    /// The records are exactly what the program last wrote, under this head.
    Match,
    /// The records differ from what the last commit left.
    RecordsDiffer,
    /// The digest belongs to another audit head: the log (or its head) was
    /// changed behind the program's back, e.g. a tail cut off.
    HeadDiffers,
    /// A store written before the digest existed, never written since.
    NotRecorded,
}

/// What an import or re-import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct UpsertOutcome {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// The result of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditCheck {
    pub entries: u64,
    /// Sequence number of the first entry whose link is broken.
    pub first_broken: Option<u64>,
}

/// One queued write; `value: None` removes.
struct Write {
    key: Vec<u8>,
    value: Option<Vec<u8>>,
    /// The key is absent before the commit (see [`Tx::put_fresh`]).
    fresh: bool,
}

/// Writes queued for one atomic, flushed commit, with their audit entries.
struct Tx<'a> {
    store: &'a Store,
    /// In order; `None` removes. A later write of a key wins.
    writes: Vec<Write>,
    head: AuditHead,
    who: String,
    at: Timestamp,
    /// A large commit that has begun writing (see [`Tx::spill`]).
    spilled: Option<Spilled>,
    /// The report totals this commit changes (see `totals.rs`).
    kept: totals::Kept,
    /// Form definitions this commit has made sure the store keeps.
    definitions: std::collections::HashSet<FormRef>,
}

/// What a commit that writes as it goes has done so far: its journal flag
/// is on disk, and every write before `writes` has gone in under it.
struct Spilled {
    /// Keys absent before the commit, listed in the journal (the chunk
    /// numbering runs on across spills).
    absent: AbsentList,
    /// The records digest with the writes so far.
    sum: [u64; 4],
}

impl Drop for Tx<'_> {
    /// A commit that has begun writing and is dropped unfinished (an error
    /// on the way) is undone at once.
    fn drop(&mut self) {
        self.abandon();
    }
}

impl Tx<'_> {
    /// Hands out `n` new household keys; the counter is bumped in this
    /// commit, atomic with the records that use them (once per commit: the
    /// writer lock keeps other commits out meanwhile).
    fn next_keys(&mut self, n: u64) -> Result<u64> {
        let s = self.store;
        let cur = s.db().and_then(|db| db.get(K_NEXT_KEY)).map_err(|e| s.sled_err(e))?.and_then(|v| be_u64(&v)).unwrap_or(1);
        self.put(K_NEXT_KEY.to_vec(), (cur + n).to_be_bytes().to_vec());
        Ok(cur)
    }
    /// The digest after this commit: the one on disk, less the old values
    /// of the records written, plus their new ones. A store without one
    /// (written before it existed) gets it computed over every record.
    fn records_digest(&self) -> Result<RecordsDigest> {
        let s = self.store;
        let db = s.db().map_err(|e| s.sled_err(e))?;
        let stored: Option<RecordsDigest> = match db.get(K_RECORDS_DIGEST).map_err(|e| s.sled_err(e))? {
            Some(bytes) => Some(codec::decode(&bytes).map_err(|source| StoreError::Decode { what: "记录摘要".into(), source })?),
            None => None,
        };
        let mut sum = match (&self.spilled, stored) {
            (Some(sp), _) => sp.sum,
            (None, Some(d)) => d.sum,
            (None, None) => s.digest_records()?,
        };
        let mut last: std::collections::HashMap<&[u8], Option<&[u8]>> = std::collections::HashMap::new();
        for w in self.writes.iter().filter(|w| is_record_key(&w.key)) {
            last.insert(w.key.as_slice(), w.value.as_deref());
        }
        for (k, new) in last {
            if let Some(old) = db.get(k).map_err(|e| s.sled_err(e))? {
                lanes(&mut sum, record_hash(k, &old), false);
            }
            if let Some(new) = new {
                lanes(&mut sum, record_hash(k, new), true);
            }
        }
        Ok(RecordsDigest { next_seq: self.head.next_seq, last_hash: self.head.last_hash, sum })
    }
    /// Writes what is queued so far, under the journal, when it is more
    /// than [`SPILL_WRITES`]: a large commit (an import) then holds one
    /// chunk of writes in memory, not all of them. `done` of `total` units
    /// (households) are queued; the first spill estimates the disk space
    /// the whole commit needs from them and refuses before it writes.
    ///
    /// Only for commits that write each key once (an import: every key is
    /// one household's, each ID number once): a chunk's journal holds the
    /// value before the chunk, which must be the value before the commit.
    /// Until [`Tx::commit`], the journal flag stays set; a kill leaves the
    /// store to be rolled back at the next open, an error is rolled back
    /// by [`Tx::abandon`].
    fn spill(&mut self, done: usize, total: usize) -> Result<()> {
        if self.writes.len() < SPILL_WRITES {
            return Ok(());
        }
        self.forget_shares();
        let s = self.store;
        let db = s.db().map_err(|e| s.sled_err(e))?;
        if self.spilled.is_none() {
            let bytes: u64 = self.writes.iter().map(|w| (w.key.len() + w.value.as_ref().map_or(0, Vec::len) + 64) as u64).sum();
            let whole = bytes.saturating_mul(total.max(1) as u64) / done.max(1) as u64;
            s.check_free_space(whole)?;
            let sum = match db.get(K_RECORDS_DIGEST).map_err(|e| s.sled_err(e))? {
                Some(bytes) => {
                    codec::decode::<RecordsDigest>(&bytes).map_err(|source| StoreError::Decode { what: "记录摘要".into(), source })?.sum
                }
                None => s.digest_records()?,
            };
            if db.get(K_JOURNAL).map_err(|e| s.sled_err(e))?.is_some() {
                return Err(StoreError::Internal("上一次大批写入的撤销记录还在，请退出程序后重新打开数据库再试".into()));
            }
            // The flag first: nothing is written yet, so until the first
            // chunk's journal is on disk a rollback has nothing to undo.
            let flagged = clear_journal(&db).and_then(|_| db.insert(K_JOURNAL, &[1u8][..])).and_then(|_| db.flush());
            if let Err(e) = flagged {
                s.broken.store(true, Ordering::SeqCst);
                return Err(s.sled_err(e));
            }
            self.spilled = Some(Spilled { absent: AbsentList::default(), sum });
        }
        self.write_chunk(&db).map_err(|e| s.sled_err(e))
    }

    /// Journals the queued writes, flushes, then writes them (see [`Tx::spill`]).
    fn write_chunk(&mut self, db: &sled::Db) -> sled::Result<()> {
        let Some(sp) = self.spilled.as_mut() else { return Ok(()) };
        #[cfg(test)]
        tests::CHUNKS_WRITTEN.with(|n| n.set(n.get() + 1));
        let mut writes = std::mem::take(&mut self.writes);
        // In key order, sled's inserts walk its tree from one leaf to the
        // next instead of jumping between a dozen prefixes per household.
        // Stable: a later write of a key still wins.
        writes.sort_by(|a, b| a.key.cmp(&b.key));
        let done = (|| {
            for w in &writes {
                let old = if w.fresh { None } else { db.get(&w.key)? };
                match &old {
                    None => sp.absent.push(db, &w.key)?,
                    Some(old) => {
                        db.insert(journal_key(&w.key), encode_old(Some(old)))?;
                    }
                }
                if is_record_key(&w.key) {
                    if let Some(old) = &old {
                        lanes(&mut sp.sum, record_hash(&w.key, old), false);
                    }
                    if let Some(new) = &w.value {
                        lanes(&mut sp.sum, record_hash(&w.key, new), true);
                    }
                }
            }
            sp.absent.write_rest(db)?;
            // The chunk's journal is on disk before any of its writes.
            db.flush()?;
            for w in &writes {
                match &w.value {
                    Some(v) => db.insert(w.key.as_slice(), v.as_slice())?,
                    None => db.remove(w.key.as_slice())?,
                };
            }
            Ok(())
        })();
        if done.is_err() {
            self.abandon();
        }
        done
    }

    /// Undoes what a commit that has spilled wrote, when it is not to be
    /// committed after all; failing that, the next write or open does.
    fn abandon(&mut self) {
        if self.spilled.take().is_none() {
            return;
        }
        let s = self.store;
        let undone = s.db().and_then(|db| roll_back_journal(&db).map(|_| ()));
        if undone.is_err() {
            s.broken.store(true, Ordering::SeqCst);
        }
    }

    /// The last chunk of a commit that has spilled, then the commit: the
    /// journal flag cleared.
    fn commit_spilled(&mut self) -> std::result::Result<(), Unfinished> {
        let s = self.store;
        let db = s.db().map_err(Unfinished::Failed)?;
        self.write_chunk(&db).map_err(Unfinished::Failed)?;
        if let Err(e) = db.flush() {
            self.abandon();
            return Err(Unfinished::Failed(e));
        }
        self.spilled = None;
        #[cfg(test)]
        if tests::KILL_BEFORE_COMMIT.with(std::cell::Cell::get) {
            return Err(Unfinished::Failed(sled::Error::Io(std::io::Error::other("test: killed before the commit"))));
        }
        db.remove(K_JOURNAL).and_then(|_| db.flush()).map_err(Unfinished::Uncertain)?;
        let _ = clear_journal(&db).and_then(|_| db.flush());
        Ok(())
    }
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.push(Write { key, value: Some(value), fresh: false });
    }
    /// A write of a key that is absent before this commit (a new household's,
    /// a new audit entry's): a journaled commit need not read its old value.
    fn put_fresh(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.push(Write { key, value: Some(value), fresh: true });
    }
    /// Makes sure the store keeps the definition `form` names, in this
    /// commit when it does not yet (the commit of the first record of that
    /// form). A definition this process does not know either is left as it
    /// is: the record keeps naming it (see [`registry::unknown_message`]).
    fn keep_definition(&mut self, form: &FormRef) -> Result<()> {
        if self.definitions.contains(form) {
            return Ok(());
        }
        let s = self.store;
        let key = definition_key(form);
        let kept = s.db().and_then(|db| db.get(&key)).map_err(|e| s.sled_err(e))?.is_some();
        if !kept {
            if let Some(def) = registry::get(form) {
                self.put_fresh(key, codec::encode(&def.source.to_string()));
            }
        }
        self.definitions.insert(form.clone());
        Ok(())
    }
    fn del(&mut self, key: Vec<u8>) {
        self.writes.push(Write { key, value: None, fresh: false });
    }
    fn audit(&mut self, household: u64, field: &str, old: String, new: String) {
        let entry = AuditEntry {
            seq: self.head.next_seq,
            at: self.at,
            who: self.who.clone(),
            household,
            field: field.to_string(),
            old,
            new,
            prev_hash: self.head.last_hash,
        };
        let bytes = codec::encode(&entry);
        self.head = AuditHead { next_seq: entry.seq + 1, last_hash: Sha256::digest(&bytes).into() };
        // Sequence numbers only grow: nothing is stored under a new one yet.
        self.put_fresh(audit_index_key(household, entry.seq), Vec::new());
        self.put_fresh(audit_key(entry.seq), bytes);
    }
    /// Writes household, form and summary for `key`, and keeps the indexes
    /// in step. `previous: None` is a new household (a key just handed out,
    /// an ID number not in the store): every key written is fresh.
    fn put_record(&mut self, key: u64, lb: &LookBack, previous: Option<&Household>) -> Result<()> {
        let round = &self.store.round;
        let findings = (lb.form.state != FormState::Empty).then(|| lb.findings(round));
        let summary = Summary::with_findings(key, lb, findings.as_deref());
        let share = crate::report::Share::of(lb, &summary, findings.as_deref());
        self.keep_totals(key, share, previous.map(|p| &p.place), &lb.household.place);
        let summary = codec::encode(&summary);
        let h = &lb.household;
        let Some(prev) = previous else {
            self.put_fresh(household_key(key), codec::encode(h));
            // A form not begun is what a missing `f/` reads as (see `get`):
            // an imported household gets one at its first save.
            if !lb.form.is_blank() {
                self.keep_definition(&lb.form.form)?;
                self.put_fresh(form_key(key), codec::encode_form(&lb.form));
            }
            self.put_fresh(summary_key(key), summary);
            self.put_fresh(id_key(&h.a.id_number), key.to_be_bytes().to_vec());
            self.put_fresh(village_key(&h.place, key), Vec::new());
            for ik in index::id_keys(h, key).into_iter().chain(index::name_keys(h, key)) {
                self.put_fresh(ik, Vec::new());
            }
            return Ok(());
        };
        if prev.place != h.place {
            self.del(village_key(&prev.place, key));
        }
        if prev.a.id_number != h.a.id_number {
            self.del(id_key(&prev.a.id_number));
            for ik in index::id_keys(prev, key) {
                self.del(ik);
            }
            for ik in index::id_keys(h, key) {
                self.put(ik, Vec::new());
            }
        }
        if prev.a.head != h.a.head {
            let new = index::name_keys(h, key);
            for ik in index::name_keys(prev, key).into_iter().filter(|k| !new.contains(k)) {
                self.del(ik);
            }
            for ik in new {
                self.put(ik, Vec::new());
            }
        }
        self.put(household_key(key), codec::encode(h));
        self.keep_definition(&lb.form.form)?;
        self.put(form_key(key), codec::encode_form(&lb.form));
        self.put(summary_key(key), summary);
        self.put(id_key(&h.a.id_number), key.to_be_bytes().to_vec());
        self.put(village_key(&h.place, key), Vec::new());
        Ok(())
    }
    fn commit(mut self) -> Result<()> {
        let totals_dropped = self.finish_totals();
        self.put(K_AUDIT_HEAD.to_vec(), codec::encode(&self.head));
        let s = self.store;
        let digest = self.records_digest()?;
        self.put(K_RECORDS_DIGEST.to_vec(), codec::encode(&digest));
        // A large commit (an import) that the disk cannot hold is refused
        // before it writes: a failed one grew the log until the disk was
        // full. Its journal holds the old values, sled's log the new ones
        // and then some: three times the bytes written is the estimate.
        if self.writes.len() > JOURNAL_ABOVE && self.spilled.is_none() {
            let bytes: u64 = self.writes.iter().map(|w| (w.key.len() + w.value.as_ref().map_or(0, Vec::len) + 64) as u64).sum();
            s.check_free_space(bytes)?;
        }
        let written = if self.spilled.is_some() {
            self.commit_spilled()
        } else {
            s.db().map_err(Unfinished::Failed).and_then(|db| {
                if self.writes.len() > JOURNAL_ABOVE {
                    return journaled_commit(&db, &self.writes);
                }
                let mut batch = sled::Batch::default();
                for w in std::mem::take(&mut self.writes) {
                    match w.value {
                        Some(v) => batch.insert(w.key, v),
                        None => batch.remove(w.key),
                    }
                }
                db.apply_batch(batch).and_then(|_| db.flush()).map(|_| ()).map_err(Unfinished::Failed)
            })
        };
        if let Err(unfinished) = written {
            // Whatever the error, what this handle holds in memory may now
            // differ from the disk (an applied batch not flushed, half an
            // import): the next write reopens the store from the disk first.
            s.broken.store(true, Ordering::SeqCst);
            return Err(match unfinished {
                Unfinished::Failed(e) => s.sled_err(e),
                Unfinished::Uncertain(e) => StoreError::Uncertain { path: s.path.clone(), detail: s.sled_err(e).to_string() },
            });
        }
        *s.head.lock().unwrap_or_else(|p| p.into_inner()) = self.head;
        if totals_dropped {
            s.totals_dropped();
        }
        Ok(())
    }
}

/// An open store. Dropping it flushes and releases the lock.
pub struct Store {
    /// `None` only when reopening after a failed write did not succeed.
    db: RwLock<Option<sled::Db>>,
    /// A write failed on the disk (full, read-only, I/O). sled then refuses
    /// every later write of that handle (its "global error" stays set until
    /// the store is opened again), so the next write reopens it first.
    broken: AtomicBool,
    /// The marker check passed: only then may the marker be rewritten.
    checked: AtomicBool,
    /// Commits keep the report totals (see `totals.rs`): they were counted
    /// under this release's form and round.
    totals_kept: AtomicBool,
    /// This open put back the old values of a large commit (an import) that
    /// a kill or a crash had cut short.
    rolled_back: bool,
    /// This open created the store.
    created: bool,
    path: PathBuf,
    round: Round,
    /// The store format on disk: [`STORE_FORMAT`] once an open has migrated it.
    format: u32,
    /// The form a household's record is made with when it is begun.
    current: &'static Form,
    /// Form definitions kept in the store that did not load (what is wrong,
    /// by the id and version they are kept under).
    broken_definitions: Vec<(FormRef, String)>,
    /// This open migrated the store from this format; what was kept of it
    /// before (the snapshot's path), as the note says it.
    migrated: Option<(u32, String)>,
    /// The committed audit head; also serialises writers within the process.
    head: Mutex<AuditHead>,
    writer: Mutex<()>,
}

/// How an open treats a store of an older format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Migration {
    /// An automatic snapshot beside the store first, then the migration.
    SnapshotFirst,
    /// A store just built from a snapshot: that snapshot is the backup.
    FromSnapshot,
}

/// Who the audit log records the migration of the store format as.
const MIGRATION_WHO: &str = "huitoukan（升级数据库格式）";

/// How an open treats a path that holds no store yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Only an existing store opens: a missing path or an empty directory
    /// is refused (a mistyped `--db` must not make data out of nothing).
    Existing,
    /// A missing path or an empty directory becomes a new, empty store
    /// (commands that create data: import, demo, the app's first start).
    Create,
}

/// What is at a store path, before anything is opened or created there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Missing,
    /// A directory with nothing in it.
    Empty,
    /// sled's files are there.
    Store,
    /// Only what a store keeps beside sled's files (the marker, the holder
    /// file, the summary cache): the data files were deleted or moved away.
    /// Never opened as a new store; a restore may replace it.
    Emptied,
    /// Something else is there (a file, a directory of other things):
    /// never opened, never turned into a store, never replaced.
    NotAStore(String),
}

/// Looks at `path` without changing anything.
pub fn inspect(path: &Path) -> Found {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Missing,
        Err(e) => return Found::NotAStore(crate::io::file::describe(&e)),
    };
    if !meta.is_dir() {
        return Found::NotAStore("这是一个文件，不是数据库目录".into());
    }
    if path.join("conf").is_file() || path.join("db").is_file() {
        return Found::Store;
    }
    let names: Vec<String> = match std::fs::read_dir(path) {
        Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(e) => return Found::NotAStore(crate::io::file::describe(&e)),
    };
    // What a store keeps beside sled's files: with those gone, data was lost.
    let ours = |n: &str| n.starts_with("huitoukan.") || n.starts_with("snap.") || n == "blobs";
    if names.is_empty() {
        Found::Empty
    } else if names.iter().all(|n| ours(n)) {
        Found::Emptied
    } else {
        Found::NotAStore(format!(
            "目录里已有别的文件（例如 {}），不是huitoukan的数据库",
            names.iter().min().map(String::as_str).unwrap_or("")
        ))
    }
}

/// Creates `path` and any missing parents owner-only (0700), whatever the umask.
pub fn create_private_dirs(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)
}

impl Store {
    /// Opens the store at `path`, creating it when missing (owner-only).
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_as(path, "huitoukan")
    }

    /// Opens (or creates) the store, recording `program` as the holder for other processes to see.
    pub fn open_as(path: &Path, program: &str) -> Result<Store> {
        Self::open_with(path, program, OpenMode::Create)
    }

    /// Opens a store that must already exist at `path`.
    pub fn open_existing(path: &Path, program: &str) -> Result<Store> {
        Self::open_with(path, program, OpenMode::Existing)
    }

    /// Opens the store at `path`; `mode` says whether a missing path or an
    /// empty directory may become a new store. A path holding anything but
    /// a store is refused either way, and left as it was.
    pub fn open_with(path: &Path, program: &str, mode: OpenMode) -> Result<Store> {
        Self::open_migrating(path, program, mode, Migration::SnapshotFirst)
    }

    /// Opens a store a restore has just built from a snapshot: a format-1
    /// store is migrated without a snapshot first (the snapshot restored is one).
    pub fn open_restored(path: &Path, program: &str) -> Result<Store> {
        Self::open_migrating(path, program, OpenMode::Existing, Migration::FromSnapshot)
    }

    fn open_migrating(path: &Path, program: &str, mode: OpenMode, migration: Migration) -> Result<Store> {
        bulk::finish_interrupted_restore(path)?;
        let found = inspect(path);
        match (&found, mode) {
            (Found::Store, _) | (Found::Missing | Found::Empty, OpenMode::Create) => {}
            (Found::Missing, OpenMode::Existing) => {
                return Err(StoreError::NotAStore { path: path.to_path_buf(), detail: "这个目录不存在".into() });
            }
            (Found::Empty, OpenMode::Existing) => {
                return Err(StoreError::NotAStore { path: path.to_path_buf(), detail: "这个目录是空的".into() });
            }
            (Found::NotAStore(why), _) => {
                return Err(StoreError::NotAStore { path: path.to_path_buf(), detail: why.clone() });
            }
            (Found::Emptied, _) => {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: "这里曾经是数据库，但数据文件（db、conf）不见了，可能被删除或移走了；程序不会在这里新建一个空的数据库".into(),
                });
            }
        }
        // An existing store must come back with its metadata; only a new one may be initialised.
        let existing = found == Found::Store;
        create_private_dirs(path).map_err(|e| StoreError::from_io(path, e))?;
        // sled creates its files with the process umask (0644 under 022): this
        // owner-only directory is what keeps them private (tests/privacy.rs).
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(|e| StoreError::from_io(path, e))?;
        clear_unfinished_sled_snapshots(path);
        let db = match open_sled(path) {
            Err(StoreError::DiskFull { .. }) if std::fs::remove_file(path.join(RESERVE_FILE)).is_ok() => {
                // The failed attempt may have left its unfinished snap file.
                clear_unfinished_sled_snapshots(path);
                open_sled(path)?
            }
            other => other?,
        };
        let rolled_back = roll_back_journal(&db).map_err(|e| StoreError::from_sled(path, e))?;
        if existing && db.get(K_FORMAT).map_err(|e| StoreError::from_sled(path, e))?.is_none() {
            return Err(StoreError::Corrupt { path: path.to_path_buf(), detail: "数据库的元数据丢失".into() });
        }
        let mut store = Store {
            db: RwLock::new(Some(db)),
            broken: AtomicBool::new(false),
            checked: AtomicBool::new(false),
            totals_kept: AtomicBool::new(false),
            rolled_back,
            created: !existing,
            path: path.to_path_buf(),
            round: Round::default(),
            format: STORE_FORMAT,
            current: schema::shipped(),
            broken_definitions: Vec::new(),
            migrated: None,
            head: Mutex::new(AuditHead { next_seq: 0, last_hash: [0; 32] }),
            writer: Mutex::new(()),
        };
        store.init()?;
        // Until this check passes, nothing may rewrite the marker (not even
        // the drop of a refused store): a refusal must hold at every open.
        store.check_against_marker()?;
        store.checked.store(true, Ordering::SeqCst);
        store.ensure_indexes()?;
        if store.format == 2 {
            store.format_2_to_3()?;
        } else if store.format < STORE_FORMAT {
            store.migrate(migration)?;
        }
        store.load_definitions()?;
        // Not fatal either: without kept totals a report reads every household.
        let _ = store.ensure_totals();
        // Not fatal: the lock itself is sled's; this only names the holder.
        let _ = lock::write(path, &Holder::current(program));
        store.write_marker();
        bulk::clear_leftover_staging(path);
        make_reserve(path);
        Ok(store)
    }

    /// True when this open made a new, empty store.
    pub fn created(&self) -> bool {
        self.created
    }

    /// The store format on disk ([`STORE_FORMAT`] once open: an older store
    /// is migrated by the open).
    pub fn format(&self) -> u32 {
        self.format
    }

    /// The form a household's record is made with when it is begun: the
    /// shipped look-back form, unless a later round's form is given here.
    /// Records already begun keep the form they name.
    pub fn use_form(&mut self, form: &'static Form) {
        self.current = form;
    }

    pub fn current_form(&self) -> &'static Form {
        self.current
    }

    /// The form definitions the store keeps, by id and version.
    pub fn definitions(&self) -> Result<Vec<FormRef>> {
        let mut out = Vec::new();
        for item in self.scan_prefix(DEFINITION_PREFIX) {
            let (k, _) = item.map_err(|e| self.sled_err(e))?;
            if let Some(r) = parse_definition_key(&k) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The text of the definition `form` names, as the store keeps it.
    pub fn definition_text(&self, form: &FormRef) -> Result<Option<String>> {
        self.get_decoded(&definition_key(form), "表单定义")
    }

    /// Kept definitions that did not load, each with what is wrong: the
    /// records that name one are shown as of an unknown form (and kept).
    pub fn broken_definitions(&self) -> &[(FormRef, String)] {
        &self.broken_definitions
    }

    /// Makes every definition the store keeps known to this process (see
    /// [`registry::register`]).
    fn load_definitions(&mut self) -> Result<()> {
        let mut broken = Vec::new();
        for item in self.scan_prefix(DEFINITION_PREFIX) {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            let Some(kept_as) = parse_definition_key(&k) else {
                broken.push((FormRef { id: String::from_utf8_lossy(&k[2..]).into_owned(), version: 0 }, "编号不合规".to_string()));
                continue;
            };
            let text = match codec::decode::<String>(&v) {
                Ok(t) => t,
                Err(e) => {
                    broken.push((kept_as, e.to_string()));
                    continue;
                }
            };
            match registry::register_as(&kept_as, &text) {
                Ok(_) => {}
                Err(problems) => {
                    broken.push((kept_as, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("；")));
                }
            }
        }
        self.broken_definitions = broken;
        Ok(())
    }

    /// Migrates a store of an older format to [`STORE_FORMAT`] (see the
    /// module doc): all or nothing, after an automatic snapshot unless the
    /// store was just restored from one.
    fn migrate(&mut self, how: Migration) -> Result<()> {
        let from = self.format;
        let refused = |what: String| {
            StoreError::Refused(format!(
                "数据库 {} 是旧版huitoukan的格式{from}，打开时要升级为格式{STORE_FORMAT}；{what}。数据库没有改动，处理后重新打开即可",
                self.path.display()
            ))
        };
        let kept = match how {
            Migration::FromSnapshot => "升级前的数据就是刚恢复的那份快照".to_string(),
            Migration::SnapshotFirst if self.household_count()? == 0 => "数据库里还没有户，升级前不需要快照".to_string(),
            Migration::SnapshotFirst => match crate::backup::take_before_migration(self) {
                Ok((path, _)) => format!("升级前的快照在 {}，核对数据无误后可以删除", path.display()),
                Err(e) => return Err(refused(format!("升级之前要先做一份快照，但快照没有做成：{e}"))),
            },
        };
        let legacy = registry::register(registry::LOOK_BACK_2021_TOML).map_err(|p| {
            refused(format!("2021年采集表的定义无法读取：{}", p.iter().map(ToString::to_string).collect::<Vec<_>>().join("；")))
        })?;
        let mut keys = Vec::new();
        for item in self.scan_prefix(b"f/") {
            let (k, _) = item.map_err(|e| self.sled_err(e))?;
            if let Some(key) = be_u64(&k[2..]).filter(|_| k.len() == 10) {
                keys.push(key);
            }
        }
        let (_g, mut tx) = self.begin(MIGRATION_WHO)?;
        tx.put_fresh(definition_key(&legacy.reference()), codec::encode(&legacy.source.to_string()));
        tx.definitions.insert(legacy.reference());
        for (done, key) in keys.iter().enumerate() {
            tx.spill(done, keys.len())?;
            // A record that does not decode stays as it is, to be reported where it is read.
            let Ok(Some(form)) = self.get_decoded::<FormRecord>(&form_key(*key), "采集表") else { continue };
            tx.keep_definition(&form.form)?;
            tx.put(form_key(*key), codec::encode_form(&form));
        }
        tx.audit(0, "store_format", from.to_string(), STORE_FORMAT.to_string());
        tx.put(K_FORMAT.to_vec(), STORE_FORMAT.to_be_bytes().to_vec());
        tx.commit()?;
        drop(_g);
        self.format = STORE_FORMAT;
        self.migrated = Some((from, kept));
        Ok(())
    }

    /// Format 2 → 3 (see the module doc): the number, audited, in one commit.
    fn format_2_to_3(&mut self) -> Result<()> {
        let (_g, mut tx) = self.begin(MIGRATION_WHO)?;
        tx.audit(0, "store_format", "2".into(), STORE_FORMAT.to_string());
        tx.put(K_FORMAT.to_vec(), STORE_FORMAT.to_be_bytes().to_vec());
        tx.commit()?;
        drop(_g);
        self.format = STORE_FORMAT;
        Ok(())
    }

    /// The sled handle (a cheap clone), or the error that says why there is none.
    fn db(&self) -> std::result::Result<sled::Db, sled::Error> {
        match &*self.db.read().unwrap_or_else(|p| p.into_inner()) {
            Some(db) => Ok(db.clone()),
            None => Err(sled::Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "上次写入失败后数据库未能重新打开。请先腾出磁盘空间或恢复写入权限，再保存一次",
            ))),
        }
    }

    /// Every entry under `prefix`; a missing handle is one error item.
    fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Scan {
        self.scan(|db| db.scan_prefix(prefix))
    }

    /// Every entry in `range`; a missing handle is one error item.
    fn range<K: AsRef<[u8]>, R: std::ops::RangeBounds<K>>(&self, range: R) -> Scan {
        self.scan(|db| db.range(range))
    }

    fn scan(&self, iter: impl FnOnce(&sled::Db) -> sled::Iter) -> Scan {
        match self.db() {
            Ok(db) => Scan::new(iter(&db)),
            Err(e) => Scan::failed(e),
        }
    }

    /// Before a write: reopens the store when an earlier write failed on the
    /// disk, and takes the audit head from what is really on disk (the
    /// failed write may or may not have reached it).
    fn revive_if_broken(&self) -> Result<()> {
        let missing = self.db.read().unwrap_or_else(|p| p.into_inner()).is_none();
        if !missing && !self.broken.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut slot = self.db.write().unwrap_or_else(|p| p.into_inner());
        // sled's file lock goes with the last handle: the old one must be gone first.
        drop(slot.take());
        let db = open_sled(&self.path)?;
        roll_back_journal(&db).map_err(|e| self.sled_err(e))?;
        let head = match db.get(K_AUDIT_HEAD).map_err(|e| self.sled_err(e))? {
            Some(bytes) => codec::decode(&bytes).map_err(|source| StoreError::Decode { what: "审计日志头".into(), source })?,
            None => return Err(StoreError::Corrupt { path: self.path.clone(), detail: "数据库的元数据丢失".into() }),
        };
        *self.head.lock().unwrap_or_else(|p| p.into_inner()) = head;
        *slot = Some(db);
        self.broken.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn init(&mut self) -> Result<()> {
        let p = self.path.clone();
        let sled_err = |e| StoreError::from_sled(&p, e);
        let db = self.db().map_err(sled_err)?;
        match db.get(K_FORMAT).map_err(sled_err)? {
            None => {
                let mut b = sled::Batch::default();
                b.insert(K_FORMAT, STORE_FORMAT.to_be_bytes().to_vec());
                b.insert(K_ROUND, codec::encode(&self.round));
                b.insert(K_NEXT_KEY, 1u64.to_be_bytes().to_vec());
                // A new store has every (no) household indexed.
                b.insert(index::K_INDEX, index::INDEX_VERSION.to_be_bytes().to_vec());
                b.insert(K_AUDIT_HEAD, codec::encode(&*self.head.lock().unwrap_or_else(|p| p.into_inner())));
                b.insert(K_RECORDS_DIGEST, codec::encode(&RecordsDigest::default()));
                db.apply_batch(b).map_err(sled_err)?;
                db.flush().map_err(sled_err)?;
            }
            Some(v) => {
                let format = u32::from_be_bytes(v.as_ref().try_into().unwrap_or([0xff; 4]));
                if format == 0 {
                    return Err(StoreError::Corrupt { path: self.path.clone(), detail: "数据库的格式版本记录损坏".into() });
                }
                self.format = format;
                if format > STORE_FORMAT {
                    return Err(StoreError::Refused(format!(
                        "数据库 {} 由更新版本的huitoukan创建（格式{format}），请升级本程序后再打开",
                        self.path.display()
                    )));
                }
                self.round = self.get_decoded(K_ROUND, "调查轮次设置")?.unwrap_or_default();
                let head: AuditHead =
                    self.get_decoded(K_AUDIT_HEAD, "审计日志头")?.unwrap_or(AuditHead { next_seq: 0, last_hash: [0; 32] });
                *self.head.lock().unwrap_or_else(|p| p.into_inner()) = head;
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the user should know after this open: it undid a large write
    /// (an import) that was cut short, or it migrated the store from an
    /// older format (and where the snapshot taken first is); else `None`.
    pub fn recovery_note(&self) -> Option<String> {
        let rolled_back = self.rolled_back.then(|| {
            "注意：上次的大批写入（导入名单或生成演示数据）没有完成就被中断了，数据库已恢复到那次写入之前的状态，\
             其中的数据都没有写入。如需要，请重新导入那份名单。"
                .to_string()
        });
        let migrated = self.migrated.as_ref().map(|(from, kept)| {
            format!("数据库已从旧版本的格式{from}升级为格式{STORE_FORMAT}（每份采集表记下了它所用的表单版本）；{kept}。")
        });
        match (rolled_back, migrated) {
            (Some(a), Some(b)) => Some(format!("{a}{b}")),
            (a, b) => a.or(b),
        }
    }

    /// sled recovers a damaged log by dropping what follows the damage, so a
    /// damaged store can open "successfully" with records missing. The marker
    /// file remembers how long the audit log was at the last clean open or
    /// close; the log only grows, so a shorter one means data was lost.
    fn check_against_marker(&self) -> Result<()> {
        let Ok(text) = std::fs::read_to_string(self.path.join(MARKER_FILE)) else {
            return Ok(());
        };
        let expected: u64 = text.lines().find_map(|l| l.strip_prefix("audit_entries=")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        let have = self.head.lock().unwrap_or_else(|p| p.into_inner()).next_seq;
        if have < expected {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: format!("审计日志应至少有{expected}条，现在只剩{have}条，部分记录已丢失"),
            });
        }
        Ok(())
    }

    /// How many audit entries the store holds: every change adds one, so two
    /// equal counts (store and snapshot) mean nothing changed in between.
    pub fn audit_entries(&self) -> u64 {
        self.head.lock().unwrap_or_else(|p| p.into_inner()).next_seq
    }

    /// Records the audit log's length for the next open's check (atomic, owner-only).
    fn write_marker(&self) {
        let have = self.head.lock().unwrap_or_else(|p| p.into_inner()).next_seq;
        let tmp = self.path.join(format!("{MARKER_FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
            writeln!(f, "audit_entries={have}")?;
            f.sync_all()?;
            std::fs::rename(&tmp, self.path.join(MARKER_FILE))
        };
        let _ = write();
    }

    pub fn round(&self) -> &Round {
        &self.round
    }

    fn sled_err(&self, e: sled::Error) -> StoreError {
        StoreError::from_sled(&self.path, e)
    }

    fn get_decoded<T: serde::de::DeserializeOwned + 'static>(&self, key: &[u8], what: &str) -> Result<Option<T>> {
        match self.db().and_then(|db| db.get(key)).map_err(|e| self.sled_err(e))? {
            None => Ok(None),
            Some(bytes) => codec::decode(&bytes).map(Some).map_err(|source| StoreError::Decode { what: what.to_string(), source }),
        }
    }

    /// Refuses a large commit that the disk cannot hold, before it writes:
    /// a failed one grew the log until the disk was full. Its journal holds
    /// the old values, sled's log the new ones and then some: three times
    /// the bytes written is the estimate.
    fn check_free_space(&self, bytes: u64) -> Result<()> {
        let need = bytes.saturating_mul(3).saturating_add(FREE_MARGIN);
        match free_space(&self.path).filter(|free| *free < need) {
            Some(free) => Err(StoreError::Refused(format!(
                "磁盘空间不够，这批数据没有写入，数据库保持原样：写入约需{}，{} 所在的磁盘只剩{}。请清理磁盘空间后再试",
                crate::io::snapshot::human_bytes(need),
                self.path.display(),
                crate::io::snapshot::human_bytes(free)
            ))),
            None => Ok(()),
        }
    }

    fn begin(&self, who: &str) -> Result<(std::sync::MutexGuard<'_, ()>, Tx<'_>)> {
        let guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        self.revive_if_broken()?;
        let head = *self.head.lock().unwrap_or_else(|p| p.into_inner());
        let tx = Tx {
            store: self,
            writes: Vec::new(),
            head,
            who: who.to_string(),
            at: Timestamp::now(),
            spilled: None,
            kept: totals::Kept::default(),
            definitions: std::collections::HashSet::new(),
        };
        Ok((guard, tx))
    }

    // ----- reads -----

    /// Number of households in the store; a damaged page is an error, not a smaller count.
    pub fn household_count(&self) -> Result<usize> {
        let mut n = 0;
        for item in self.scan_prefix(b"s/") {
            item.map_err(|e| self.sled_err(e))?;
            n += 1;
        }
        Ok(n)
    }

    /// Every household's summary, in key order.
    pub fn summaries(&self) -> Result<Vec<Summary>> {
        let mut out = Vec::new();
        for item in self.scan_prefix(b"s/") {
            let (_, v) = item.map_err(|e| self.sled_err(e))?;
            out.push(codec::decode(&v).map_err(|source| StoreError::Decode { what: "户摘要".into(), source })?);
        }
        Ok(out)
    }

    /// Townships and their villages with counts, sorted by name.
    pub fn places(&self) -> Result<Vec<TownshipCounts>> {
        Ok(crate::model::places(&self.summaries()?))
    }

    /// Summaries of one village's households, ordered by head's name.
    pub fn village(&self, place: &Place) -> Result<Vec<Summary>> {
        let mut out = Vec::new();
        for item in self.scan_prefix(village_prefix(place)) {
            let (key, _) = item.map_err(|e| self.sled_err(e))?;
            let Some(hk) = key.len().checked_sub(8).and_then(|i| be_u64(&key[i..])) else { continue };
            if let Some(s) = self.get_decoded::<Summary>(&summary_key(hk), "户摘要")? {
                out.push(s);
            }
        }
        out.sort_by(|a, b| a.head.cmp(&b.head).then(a.key.cmp(&b.key)));
        Ok(out)
    }

    /// One household with its form.
    pub fn get(&self, key: u64) -> Result<Option<LookBack>> {
        let Some(household) = self.get_decoded::<Household>(&household_key(key), "户信息")? else {
            return Ok(None);
        };
        // A form not begun is begun with the store's current form.
        let form = match self.get_decoded::<FormRecord>(&form_key(key), "采集表")? {
            Some(form) if !form.is_blank() => form,
            _ => FormRecord::new(self.current.reference()),
        };
        Ok(Some(LookBack { household, form }))
    }

    fn must_get(&self, key: u64) -> Result<LookBack> {
        self.get(key)?.ok_or(StoreError::NotFound(key))
    }

    /// The key of the household whose head has this (normalised) ID number.
    pub fn key_of(&self, id_number: &str) -> Result<Option<u64>> {
        Ok(self.db().and_then(|db| db.get(id_key(id_number))).map_err(|e| self.sled_err(e))?.and_then(|v| be_u64(&v)))
    }

    /// The summary of one household.
    pub fn summary(&self, key: u64) -> Result<Option<Summary>> {
        self.get_decoded(&summary_key(key), "户摘要")
    }

    /// The audit history of one household, oldest first.
    pub fn history(&self, key: u64) -> Result<Vec<AuditEntry>> {
        let mut out = Vec::new();
        for item in self.scan_prefix(k(b"x/", key)) {
            let (ik, _) = item.map_err(|e| self.sled_err(e))?;
            let Some(seq) = be_u64(&ik[10..]) else { continue };
            if let Some(e) = self.get_decoded::<AuditEntry>(&audit_key(seq), "审计记录")? {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Walks the whole audit chain and reports the first broken link.
    pub fn verify_audit(&self) -> Result<AuditCheck> {
        let mut prev = [0u8; 32];
        let mut expected_seq = 0u64;
        let mut entries = 0;
        for item in self.scan_prefix(b"a/") {
            let (key, bytes) = item.map_err(|e| self.sled_err(e))?;
            let seq = be_u64(&key[2..]).unwrap_or(u64::MAX);
            let broken = match codec::decode::<AuditEntry>(&bytes) {
                Ok(e) => e.seq != seq || e.seq != expected_seq || e.prev_hash != prev,
                Err(_) => true,
            };
            if broken {
                return Ok(AuditCheck { entries, first_broken: Some(seq.min(expected_seq)) });
            }
            prev = Sha256::digest(&bytes).into();
            expected_seq = seq + 1;
            entries += 1;
        }
        let head = *self.head.lock().unwrap_or_else(|p| p.into_inner());
        if head.next_seq != expected_seq || head.last_hash != prev {
            return Ok(AuditCheck { entries, first_broken: Some(expected_seq) });
        }
        Ok(AuditCheck { entries, first_broken: None })
    }

    /// The digest of every household and form record as they are now.
    fn digest_records(&self) -> Result<[u64; 4]> {
        let mut sum = [0u64; 4];
        for prefix in [&b"f/"[..], b"h/", entries::ENTRY_PREFIX] {
            for item in self.scan_prefix(prefix) {
                let (k, v) = item.map_err(|e| self.sled_err(e))?;
                lanes(&mut sum, record_hash(&k, &v), true);
            }
        }
        Ok(sum)
    }

    /// Checks the records against the digest the last commit left with the
    /// audit head (see [`RecordsDigest`]).
    pub fn verify_records(&self) -> Result<RecordsCheck> {
        let Some(stored) = self.get_decoded::<RecordsDigest>(K_RECORDS_DIGEST, "记录摘要")? else {
            return Ok(RecordsCheck::NotRecorded);
        };
        let head = *self.head.lock().unwrap_or_else(|p| p.into_inner());
        if stored.next_seq != head.next_seq || stored.last_hash != head.last_hash {
            return Ok(RecordsCheck::HeadDiffers);
        }
        Ok(if self.digest_records()? == stored.sum { RecordsCheck::Match } else { RecordsCheck::RecordsDiffer })
    }

    /// Reads the whole store — every key, the audit chain, the records
    /// against their digest — as a server does in the background after it
    /// starts, so damage that the summary cache would hide is found at
    /// open and not first by a report or a failed snapshot. `Ok(None)`
    /// when all is well, `Ok(Some(problem))` for content that does not add
    /// up; a damaged page is `Err(Corrupt)`. Saves may go on meanwhile: a
    /// check that saw the audit log grow under it is run again, and one
    /// that never finds a quiet moment reports nothing rather than a
    /// false alarm.
    pub fn check_whole(&self) -> Result<Option<String>> {
        for _ in 0..5 {
            let before = self.audit_entries();
            for item in self.scan_prefix(b"") {
                item.map_err(|e| self.sled_err(e))?;
            }
            let audit = self.verify_audit()?;
            let records = self.verify_records()?;
            if self.audit_entries() != before {
                std::thread::sleep(std::time::Duration::from_millis(500));
                continue;
            }
            if let Some(seq) = audit.first_broken {
                return Ok(Some(format!("审计日志第{seq}条的链接对不上（之前{}条完好）", audit.entries)));
            }
            if let Some((form, why)) = self.broken_definitions.first() {
                return Ok(Some(format!("数据库里保存的{form}无法读取（{why}），用它填的采集表只能查看")));
            }
            // Report totals that do not add up are not damage to the records:
            // reports read every household until the next open counts again.
            if !self.totals_agree()? && self.audit_entries() == before {
                self.drop_totals()?;
            }
            return Ok(match records {
                RecordsCheck::RecordsDiffer => Some("户信息或采集表与最后一次保存时记下的摘要对不上，可能在程序之外被改动过".into()),
                RecordsCheck::HeadDiffers => Some("审计日志的末尾被截掉或日志头被改写过".into()),
                RecordsCheck::Match | RecordsCheck::NotRecorded => None,
            });
        }
        Ok(None)
    }

    // ----- writes -----

    /// Adds new households and updates section A of known ones (matched by
    /// ID number), keeping every answer. All rows commit together or not at all.
    pub fn upsert_households(&self, rows: &[(Place, SectionA)], who: &str) -> Result<UpsertOutcome> {
        let (_g, mut tx) = self.begin(who)?;
        let mut seen = std::collections::HashSet::new();
        for (_, a) in rows {
            if !seen.insert(a.id_number.as_str()) {
                return Err(StoreError::Refused(format!("同一批数据中证件号码{}出现了两次", a.id_number)));
            }
        }
        drop(seen);
        match self.upsert_into(&mut tx, rows) {
            Ok(out) => {
                tx.commit()?;
                Ok(out)
            }
            Err(e) => {
                tx.abandon();
                Err(e)
            }
        }
    }

    /// The writes of [`Store::upsert_households`], each ID number once;
    /// written as they go once there are many (see [`Tx::spill`]).
    fn upsert_into(&self, tx: &mut Tx<'_>, rows: &[(Place, SectionA)]) -> Result<UpsertOutcome> {
        let mut out = UpsertOutcome::default();
        let mut new_rows = Vec::new();
        for (done, (place, a)) in rows.iter().enumerate() {
            tx.spill(done, rows.len())?;
            match self.key_of(&a.id_number)? {
                None => new_rows.push((place, a)),
                Some(key) => {
                    let old = self.must_get(key)?;
                    let mut lb = old.clone();
                    lb.household.place = place.clone();
                    lb.household.a = a.clone();
                    let changes = section_a_changes(&old.household, &lb.household);
                    if changes.is_empty() {
                        out.unchanged += 1;
                        continue;
                    }
                    for (field, o, n) in changes {
                        tx.audit(key, field, o, n);
                    }
                    if old.household.verified {
                        lb.household.verified = false;
                        tx.audit(key, "verified", "已核实".into(), "未核实（名单更新）".into());
                    }
                    tx.put_record(key, &lb, Some(&old.household))?;
                    out.updated += 1;
                }
            }
        }
        if !new_rows.is_empty() {
            let updates = rows.len() - new_rows.len();
            let first = tx.next_keys(new_rows.len() as u64)?;
            for (i, (place, a)) in new_rows.into_iter().enumerate() {
                tx.spill(updates + i, rows.len())?;
                let key = first + i as u64;
                let lb = LookBack {
                    household: Household { place: place.clone(), a: a.clone(), verified: false, imported_at: tx.at },
                    form: FormRecord::new(self.current.reference()),
                };
                tx.audit(key, "import", String::new(), format!("{} {}", a.head, crate::form::idnum::mask(&a.id_number)));
                tx.put_record(key, &lb, None)?;
                out.added += 1;
            }
        }
        Ok(out)
    }

    /// Inserts complete records (demo data, snapshot tools); one audit entry each.
    /// All records commit together or not at all.
    pub fn insert_records(&self, records: &[LookBack], who: &str, note: &str) -> Result<Vec<u64>> {
        let (_g, mut tx) = self.begin(who)?;
        let first = tx.next_keys(records.len() as u64)?;
        let mut keys = Vec::with_capacity(records.len());
        for (i, lb) in records.iter().enumerate() {
            if self.key_of(&lb.household.a.id_number)?.is_some() {
                return Err(StoreError::Refused(format!("证件号码{}已在数据库中", lb.household.a.id_number)));
            }
            let key = first + i as u64;
            tx.audit(key, "import", String::new(), note.to_string());
            tx.put_record(key, lb, None)?;
            keys.push(key);
        }
        tx.commit()?;
        Ok(keys)
    }

    /// Saves the answers as a draft; audits each changed field. A submitted
    /// record must be reopened first.
    pub fn save_draft(&self, key: u64, answers: &Answers, who: &str) -> Result<usize> {
        self.save_draft_on(key, None, answers, who)
    }

    /// [`Store::save_draft`] from a screen based on `base`: see [`merge_answers`].
    pub fn save_draft_on(&self, key: u64, base: Option<&Answers>, answers: &Answers, who: &str) -> Result<usize> {
        let (_g, mut tx) = self.begin(who)?;
        let old = self.must_get(key)?;
        let form = definition_of(&old)?;
        check_text_sizes(form, answers)?;
        if old.form.state == FormState::Submitted {
            return Err(StoreError::Refused("该户的采集表已提交，修改前请先“重新打开”".into()));
        }
        let merged = merge_answers(form, &old, base, answers)?;
        let answers = &merged;
        let changes = answer_changes(form, &old, answers);
        if changes.is_empty() && old.form.state == FormState::Draft {
            return Ok(0);
        }
        let mut lb = old.clone();
        lb.form.answers = clean_answers(form, answers);
        lb.form.state = FormState::Draft;
        lb.form.saved_by = Some(who.to_string());
        lb.form.saved_at = Some(tx.at);
        lb.form.confirmed.clear();
        let n = changes.len();
        for (field, o, v) in changes {
            tx.audit(key, field, o, v);
        }
        if old.form.state != FormState::Draft {
            tx.audit(key, "state", old.form.state.label().into(), FormState::Draft.label().into());
        }
        tx.put_record(key, &lb, Some(&old.household))?;
        tx.commit()?;
        Ok(n)
    }

    /// Submits: saves the answers and marks the record 已提交. Refused while
    /// any error stands or any warning is not in `confirmed` (rule ids).
    pub fn submit(&self, key: u64, answers: &Answers, confirmed: &[String], who: &str) -> Result<()> {
        self.submit_on(key, None, answers, confirmed, who)
    }

    /// [`Store::submit`] from a screen based on `base`: see [`merge_answers`].
    pub fn submit_on(&self, key: u64, base: Option<&Answers>, answers: &Answers, confirmed: &[String], who: &str) -> Result<()> {
        let (_g, mut tx) = self.begin(who)?;
        let old = self.must_get(key)?;
        let form = definition_of(&old)?;
        check_text_sizes(form, answers)?;
        if old.form.state == FormState::Submitted {
            return Err(StoreError::Refused("该户的采集表已经提交过了".into()));
        }
        let merged = merge_answers(form, &old, base, answers)?;
        let answers = &merged;
        let mut lb = old.clone();
        lb.form.answers = clean_answers(form, answers);
        let findings = lb.findings(&self.round);
        if let Some(e) = findings.iter().find(|f| f.severity == Severity::Error) {
            let n = findings.iter().filter(|f| f.severity == Severity::Error).count();
            return Err(StoreError::Refused(format!("还有{n}处错误，不能提交；第一处：{} {}", e.code, e.message)));
        }
        if let Some(w) = findings.iter().find(|f| !confirmed.iter().any(|c| c == f.rule)) {
            return Err(StoreError::Refused(format!("提示“{}”还没有确认，不能提交", w.message)));
        }
        for (field, o, v) in answer_changes(form, &old, answers) {
            tx.audit(key, field, o, v);
        }
        tx.audit(key, "state", old.form.state.label().into(), FormState::Submitted.label().into());
        lb.form.state = FormState::Submitted;
        lb.form.saved_by = Some(who.to_string());
        lb.form.saved_at = Some(tx.at);
        lb.form.confirmed = findings.iter().map(|f| f.rule.to_string()).collect();
        lb.form.confirmations = findings.iter().map(|f| crate::model::Confirmation::of(f, &lb.view())).collect();
        tx.put_record(key, &lb, Some(&old.household))?;
        tx.commit()
    }

    /// Reopens a submitted record for change (back to 草稿), audited.
    pub fn reopen(&self, key: u64, who: &str) -> Result<()> {
        let (_g, mut tx) = self.begin(who)?;
        let old = self.must_get(key)?;
        if old.form.state != FormState::Submitted {
            return Err(StoreError::Refused("只有已提交的采集表需要重新打开".into()));
        }
        let mut lb = old.clone();
        lb.form.state = FormState::Draft;
        lb.form.confirmed.clear();
        lb.form.saved_by = Some(who.to_string());
        lb.form.saved_at = Some(tx.at);
        tx.audit(key, "state", FormState::Submitted.label().into(), "草稿（重新打开）".into());
        tx.put_record(key, &lb, Some(&old.household))?;
        tx.commit()
    }

    /// Marks section A as verified (已核实) or not.
    pub fn set_verified(&self, key: u64, verified: bool, who: &str) -> Result<()> {
        let (_g, mut tx) = self.begin(who)?;
        let old = self.must_get(key)?;
        if old.household.verified == verified {
            return Ok(());
        }
        let mut lb = old.clone();
        lb.household.verified = verified;
        let label = |v: bool| if v { "已核实" } else { "未核实" }.to_string();
        tx.audit(key, "verified", label(old.household.verified), label(verified));
        tx.put_record(key, &lb, Some(&old.household))?;
        tx.commit()
    }

    /// Corrects one section A value (an explicit, audited act). The value
    /// must pass the field's own checks.
    pub fn correct_section_a(&self, key: u64, code: &str, value: Option<Value>, who: &str) -> Result<()> {
        let field =
            schema::field(code).filter(|f| f.is_prefilled()).ok_or_else(|| StoreError::Refused(format!("{code}不是基础信息字段")))?;
        let (_g, mut tx) = self.begin(who)?;
        let old = self.must_get(key)?;
        let mut lb = old.clone();
        let value = value.map(|v| clean_value(field, &v));
        lb.household.a.set(code, value).map_err(StoreError::Refused)?;
        let own: Vec<_> = lb.findings(&self.round).into_iter().filter(|f| f.code == code && f.severity == Severity::Error).collect();
        if let Some(f) = own.first() {
            return Err(StoreError::Refused(f.message.clone()));
        }
        if code == "A3" {
            if let Some(other) = self.key_of(&lb.household.a.id_number)? {
                if other != key {
                    return Err(StoreError::Refused(format!(
                        "证件号码{}已属于另一户，不能重复",
                        crate::form::idnum::mask(&lb.household.a.id_number)
                    )));
                }
            }
        }
        let changes = section_a_changes(&old.household, &lb.household);
        if changes.is_empty() {
            return Ok(());
        }
        for (f, o, n) in changes {
            tx.audit(key, f, o, n);
        }
        tx.put_record(key, &lb, Some(&old.household))?;
        tx.commit()
    }

    /// Records an act that changes no record (a form taken over from
    /// another clerk) in the audit log, flushed.
    pub fn audit_event(&self, key: u64, field: &str, old: String, new: String, who: &str) -> Result<()> {
        let (_g, mut tx) = self.begin(who)?;
        tx.audit(key, field, old, new);
        tx.commit()
    }

    // ----- clerks -----

    /// The registered clerks, by login.
    pub fn clerks(&self) -> Result<Vec<Clerk>> {
        let mut out = Vec::new();
        for item in self.scan_prefix(CLERK_PREFIX) {
            let (_, v) = item.map_err(|e| self.sled_err(e))?;
            out.push(codec::decode(&v).map_err(|source| StoreError::Decode { what: "经办人员".into(), source })?);
        }
        Ok(out)
    }

    /// The clerk registered under `login`.
    pub fn clerk(&self, login: &str) -> Result<Option<Clerk>> {
        self.get_decoded(&clerk_key(login), "经办人员")
    }

    /// Registers a clerk or changes one (audited against household 0).
    pub fn put_clerk(&self, clerk: &Clerk, who: &str) -> Result<()> {
        let old = self.clerk(&clerk.login)?;
        let (_g, mut tx) = self.begin(who)?;
        tx.audit(0, "clerk", old.as_ref().map(clerk_text).unwrap_or_default(), clerk_text(clerk));
        tx.put(clerk_key(&clerk.login), codec::encode(clerk));
        tx.commit()
    }

    /// Removes a clerk's registration; `false` when there was none.
    pub fn remove_clerk(&self, login: &str, who: &str) -> Result<bool> {
        let Some(old) = self.clerk(login)? else { return Ok(false) };
        let (_g, mut tx) = self.begin(who)?;
        tx.audit(0, "clerk", clerk_text(&old), String::new());
        tx.del(clerk_key(login));
        tx.commit()?;
        Ok(true)
    }

    /// Flushes everything to disk.
    pub fn flush(&self) -> Result<()> {
        let flushed = self.db().and_then(|db| db.flush()).map(|_| ()).map_err(|e| self.sled_err(e));
        if flushed.as_ref().is_err_and(StoreError::is_retryable) {
            self.broken.store(true, Ordering::SeqCst);
        }
        flushed
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let clean = self.checked.load(Ordering::SeqCst) && !self.broken.load(Ordering::SeqCst);
        if clean && self.db().and_then(|db| db.flush()).is_ok() {
            self.write_marker();
        }
        lock::remove(&self.path);
    }
}

/// Changed section A values and place, as (field, old, new) display strings.
fn section_a_changes(old: &Household, new: &Household) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if old.place.township != new.place.township {
        out.push(("township", old.place.township.clone(), new.place.township.clone()));
    }
    if old.place.village != new.place.village {
        out.push(("village", old.place.village.clone(), new.place.village.clone()));
    }
    for f in schema::section_fields(schema::Section::A) {
        let o = old.a.value(f.code);
        let n = new.a.value(f.code);
        if o != n {
            let show = |v: Option<Value>| v.map(|v| rules::display_value(f, &v)).unwrap_or_default();
            out.push((f.code, show(o), show(n)));
        }
    }
    out
}

/// The answers to store when a screen based on `base` saves `answers` over
/// what is stored now (`old`): a field changed on screen (differs from
/// `base`) takes the screen's value, unless another save changed it since
/// to something else, which is refused with both values; a field not changed
/// on screen keeps what is stored. Without a base the screen's answers win.
fn merge_answers(form: &'static Form, old: &LookBack, base: Option<&Answers>, answers: &Answers) -> Result<Answers> {
    let Some(base) = base else { return Ok(clean_answers(form, answers)) };
    let (base, mine, now) = (clean_answers(form, base), clean_answers(form, answers), clean_answers(form, &old.form.answers));
    let mut out = now.clone();
    let mut conflicts = Vec::new();
    for f in form.fields.iter().filter(|f| !f.is_prefilled()) {
        let (was, m, n) = (base.get(f.code), mine.get(f.code), now.get(f.code));
        if m == was {
            continue;
        }
        if n != was && n != m {
            let show = |v: Option<&Value>| v.map(|v| rules::display_value(f, v)).unwrap_or_else(|| "（空）".into());
            conflicts.push(format!("{} {}：数据库里现在是“{}”，你填的是“{}”", f.code, f.label, show(n), show(m)));
            continue;
        }
        match m {
            Some(v) => out.insert(f.code.to_string(), v.clone()),
            None => out.remove(f.code),
        };
    }
    if conflicts.is_empty() {
        return Ok(out);
    }
    let by = match (&old.form.saved_by, old.form.saved_at) {
        (Some(who), Some(at)) => format!("{who}在{at}"),
        _ => "别人".to_string(),
    };
    Err(StoreError::Conflict(format!(
        "这一户的采集表已由{by}改过，下面{}项与你的修改冲突，没有保存：{}。请按 Esc 退出后重新打开这一户，核对后再填",
        conflicts.len(),
        conflicts.join("；")
    )))
}

/// The definition the record was made with; a save of a record whose
/// definition is unknown is refused (its answers stay as they are).
fn definition_of(lb: &LookBack) -> Result<&'static Form> {
    lb.definition().ok_or_else(|| StoreError::Refused(registry::unknown_message(&lb.form.form)))
}

/// Drops blank answers and anything that is not a B–D field of `form`;
/// removes control characters from text (line breaks stay in multi-line text).
fn clean_answers(form: &Form, answers: &Answers) -> Answers {
    answers
        .iter()
        .filter_map(|(k, v)| {
            let f = form.field(k).filter(|f| !f.is_prefilled())?;
            let v = clean_value(f, v);
            (!v.is_blank()).then(|| (k.clone(), v))
        })
        .collect()
}

fn clean_value(f: &schema::Field, v: &Value) -> Value {
    let multiline = matches!(f.kind, schema::Kind::LongText { .. });
    match v {
        Value::Text(s) => Value::Text(crate::io::strip_controls(s, multiline).into_owned()),
        Value::List(items) => Value::List(items.iter().map(|s| crate::io::strip_controls(s, false).into_owned()).collect()),
        other => other.clone(),
    }
}

/// The most characters any one text answer may hold: a field's own limit
/// is a rule to fix (a draft may break it), this one keeps a stray paste
/// (350,000 characters) out of the store and out of every export.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// Refuses a text answer longer than [`MAX_TEXT_CHARS`], naming the field.
fn check_text_sizes(form: &Form, answers: &Answers) -> Result<()> {
    for (code, v) in answers {
        let longest = match v {
            Value::Text(s) => s.chars().count(),
            Value::List(items) => items.iter().map(|s| s.chars().count()).max().unwrap_or(0),
            _ => 0,
        };
        if longest > MAX_TEXT_CHARS {
            let label = form.field(code).map(|f| f.label).unwrap_or("");
            return Err(StoreError::Refused(format!(
                "{code} {label}的内容有{longest}个字，超过了{MAX_TEXT_CHARS}字的上限（可能是误粘贴），没有保存。请删去多余的内容后再保存"
            )));
        }
    }
    Ok(())
}

/// Changed B–D answers as (field, old, new) display strings.
fn answer_changes(form: &'static Form, old: &LookBack, answers: &Answers) -> Vec<(&'static str, String, String)> {
    let new = clean_answers(form, answers);
    // A record written before answers were cleaned can hold blank values
    // (an empty checklist); blank to absent is no change worth auditing.
    let old = clean_answers(form, &old.form.answers);
    let mut out = Vec::new();
    for f in form.fields.iter().filter(|f| !f.is_prefilled()) {
        let o = old.get(f.code);
        let n = new.get(f.code);
        if o != n {
            let show = |v: Option<&Value>| v.map(|v| rules::display_value(f, v)).unwrap_or_default();
            out.push((f.code, show(o), show(n)));
        }
    }
    out
}

/// Removes the `snap.*.generating` files an open cut short (a full disk)
/// left: sled 0.34 writes its page-table snapshot under that name and
/// renames it when complete, but reads a leftover one at the next open and
/// calls the store damaged ("日志校验失败") although every record is intact.
/// Not while any process has the store open, this one included: it may be
/// writing one now. sled holds an exclusive `flock` on its `db` file while
/// open, so taking that lock (held while the files go) proves nobody does.
/// The holder file cannot: a process that has just opened sled has not yet
/// written it, and a server starting at the same moment lost its snapshot.
fn clear_unfinished_sled_snapshots(path: &Path) {
    let Ok(db) = std::fs::File::open(path.join("db")) else { return };
    if rustix::fs::flock(&db, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else { return };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    drop(db);
}

/// Bytes free on the file system holding `path`.
pub fn free_space(path: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(path).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// (Re)creates the reserve file when it is missing and there is room for it
/// and more. Not fatal: it only helps a later open on a full disk.
fn make_reserve(path: &Path) {
    let file = path.join(RESERVE_FILE);
    if file.exists() || free_space(path).is_none_or(|free| free < 16 * RESERVE_BYTES) {
        return;
    }
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = path.join(format!("{RESERVE_FILE}.tmp"));
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..RESERVE_BYTES >> 20 {
            f.write_all(&zeros)?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &file)
    };
    if write().is_err() {
        let _ = std::fs::remove_file(path.join(format!("{RESERVE_FILE}.tmp")));
    }
}

/// How long an open waits for a lock that this process itself, or a process
/// that has ended, still holds.
const LOCK_RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Writes `writes` all-or-nothing without one big sled batch (see the
/// module doc). On an error the old values are put back at once when
/// possible; otherwise the next open (or reopen) does it.
fn journaled_commit(db: &sled::Db, writes: &[Write]) -> std::result::Result<(), Unfinished> {
    use Unfinished::Failed;
    // A failed commit marks the store broken, and the reopen before the
    // next write puts it back: an unfinished journal here is a bug, and
    // reusing it would lose the old values.
    if db.get(K_JOURNAL).map_err(Failed)?.is_some() {
        return Err(Failed(sled::Error::Io(std::io::Error::other("上一次大批写入的撤销记录还在，请退出程序后重新打开数据库再试"))));
    }
    let prepared = (|| {
        clear_journal(db)?;
        // A key written twice is journaled twice with the same old value
        // (nothing is written before the flag): harmless, and no set of
        // every key is needed.
        let mut absent = AbsentList::default();
        for w in writes {
            if w.fresh {
                absent.push(db, &w.key)?;
                continue;
            }
            match db.get(&w.key)? {
                None => absent.push(db, &w.key)?,
                Some(old) => {
                    db.insert(journal_key(&w.key), encode_old(Some(&old)))?;
                }
            }
        }
        absent.finish(db)?;
        db.flush()?;
        db.insert(K_JOURNAL, &[1u8][..])?;
        db.flush().map(|_| ())
    })();
    // Before the flag is on disk nothing of the commit counts.
    prepared.map_err(Failed)?;
    let applied = (|| {
        for w in writes {
            match &w.value {
                Some(v) => db.insert(w.key.as_slice(), v.as_slice())?,
                None => db.remove(w.key.as_slice())?,
            };
        }
        db.flush()
    })();
    if let Err(e) = applied {
        let _ = roll_back_journal(db);
        return Err(Failed(e));
    }
    #[cfg(test)]
    if tests::KILL_BEFORE_COMMIT.with(std::cell::Cell::get) {
        // What a kill here leaves: every write and the flag still on disk.
        return Err(Failed(sled::Error::Io(std::io::Error::other("test: killed before the commit"))));
    }
    // Clearing the flag is the commit; if that cannot be made durable, only
    // the next open knows whether it reached the disk.
    db.remove(K_JOURNAL).and_then(|_| db.flush()).map_err(Unfinished::Uncertain)?;
    // Committed. Leftover `j/` entries without the flag are cleared at the next open.
    let _ = clear_journal(db).and_then(|_| db.flush());
    Ok(())
}

/// Journal entries that list keys absent before a commit: `j/` 0 then a
/// chunk number → `2` then (length u16, key bytes)…. No stored key starts
/// with a 0 byte, so these never collide with a journaled old value.
const ABSENT_TAG: u8 = 2;
/// Bytes of key list per journal entry.
const ABSENT_CHUNK: usize = 32 * 1024;

#[derive(Default)]
struct AbsentList {
    buf: Vec<u8>,
    chunk: u64,
}

impl AbsentList {
    fn push(&mut self, db: &sled::Db, key: &[u8]) -> sled::Result<()> {
        let Ok(len) = u16::try_from(key.len()) else {
            // Never for our keys; journal it the ordinary way all the same.
            db.insert(journal_key(key), encode_old(None))?;
            return Ok(());
        };
        if self.buf.is_empty() {
            self.buf.push(ABSENT_TAG);
        }
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(key);
        if self.buf.len() >= ABSENT_CHUNK {
            self.write(db)?;
        }
        Ok(())
    }

    fn write(&mut self, db: &sled::Db) -> sled::Result<()> {
        let mut k = JOURNAL_PREFIX.to_vec();
        k.push(0);
        k.extend_from_slice(&self.chunk.to_be_bytes());
        db.insert(k, std::mem::take(&mut self.buf))?;
        self.chunk += 1;
        Ok(())
    }

    fn finish(mut self, db: &sled::Db) -> sled::Result<()> {
        self.write_rest(db)
    }

    /// Writes the keys listed so far; later ones go to the next entry.
    fn write_rest(&mut self, db: &sled::Db) -> sled::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.write(db)
    }
}

/// The keys of an [`AbsentList`] entry.
fn absent_keys(bytes: &[u8]) -> sled::Result<Vec<&[u8]>> {
    let damaged = || sled::Error::Unsupported("导入的撤销记录已损坏".into());
    let mut rest = match bytes.split_first() {
        Some((&ABSENT_TAG, rest)) => rest,
        _ => return Err(damaged()),
    };
    let mut keys = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(2).ok_or_else(damaged)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (key, tail) = tail.split_at_checked(len).ok_or_else(damaged)?;
        keys.push(key);
        rest = tail;
    }
    Ok(keys)
}

/// Why a commit did not finish.
enum Unfinished {
    /// Nothing of it counts (what reached the disk is put back at the next open).
    Failed(sled::Error),
    /// It may or may not have reached the disk: the step that commits failed.
    Uncertain(sled::Error),
}

/// Puts back the old values of a journaled commit that did not finish, and
/// clears a finished one's journal. Idempotent: a kill during it is fine.
/// True when there was something to put back.
fn roll_back_journal(db: &sled::Db) -> sled::Result<bool> {
    let unfinished = db.get(K_JOURNAL)?.is_some();
    if unfinished {
        for item in db.scan_prefix(JOURNAL_PREFIX) {
            let (jkey, old) = item?;
            let key = &jkey[JOURNAL_PREFIX.len()..];
            if key.first() == Some(&0) {
                for absent in absent_keys(&old)? {
                    db.remove(absent)?;
                }
                continue;
            }
            match decode_old(&old)? {
                Some(v) => db.insert(key, v)?,
                None => db.remove(key)?,
            };
        }
        db.flush()?;
        db.remove(K_JOURNAL)?;
        db.flush()?;
    }
    if db.scan_prefix(JOURNAL_PREFIX).next().is_some() {
        clear_journal(db)?;
        db.flush()?;
    }
    Ok(unfinished)
}

fn clear_journal(db: &sled::Db) -> sled::Result<()> {
    for item in db.scan_prefix(JOURNAL_PREFIX).keys() {
        db.remove(item?)?;
    }
    Ok(())
}

fn journal_key(key: &[u8]) -> Vec<u8> {
    let mut k = JOURNAL_PREFIX.to_vec();
    k.extend_from_slice(key);
    k
}

/// A journaled old value: `0` absent, `1` then the bytes.
fn encode_old(old: Option<&[u8]>) -> Vec<u8> {
    match old {
        None => vec![0],
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(1);
            out.extend_from_slice(v);
            out
        }
    }
}

fn decode_old(bytes: &[u8]) -> sled::Result<Option<&[u8]>> {
    match bytes.split_first() {
        Some((0, [])) => Ok(None),
        Some((1, rest)) => Ok(Some(rest)),
        _ => Err(sled::Error::Unsupported("导入的撤销记录已损坏".into())),
    }
}

/// The one place sled is opened for a store (also when reopening after a failed write).
///
/// It catches the panics sled raises on some damaged files. sled 0.34
/// releases its file lock from a background thread some moments after the last
/// handle is dropped (spacejam/sled#1234, #1289), so reopening a store this
/// process just closed (a restore, a test) can find it briefly locked. Such a
/// lock, or one left by a process that no longer runs, is waited for; a live
/// other process is reported at once.
fn open_sled(path: &Path) -> Result<sled::Db> {
    let config = sled::Config::new().path(path).cache_capacity(64 * 1024 * 1024).flush_every_ms(Some(500));
    // sled 0.34 can panic on some damaged files instead of returning an
    // error: caught quietly, so its English panic text is not printed
    // before the Chinese message.
    match open_waiting_for_release(path, &config) {
        Ok(r) => r,
        Err(panic) => Err(StoreError::Corrupt { path: path.to_path_buf(), detail: sled_panic_detail(&panic) }),
    }
}

/// What a clerk is told of a sled panic: the gist in Chinese, no backtrace.
fn sled_panic_detail(panic: &str) -> String {
    let first = panic.lines().next().unwrap_or("").trim();
    if first.is_empty() {
        "读取时程序内部出错".into()
    } else {
        format!("数据库程序读到无法解释的内容：{}", first.chars().take(120).collect::<String>())
    }
}

/// What [`Store::scan_prefix`] and [`Store::range`] return: sled's
/// iterator, ended after its first error. On a damaged page sled 0.34
/// returns the same error again and again, forever; a caller that skipped
/// errors (or counted the rest) spun at 100 % CPU.
pub(crate) type Scan = UntilError<sled::Iter>;

/// An iterator of results that ends after the first error it yields.
pub(crate) struct UntilError<I> {
    first: Option<sled::Error>,
    iter: Option<I>,
}

impl<I> UntilError<I> {
    pub(crate) fn new(iter: I) -> Self {
        UntilError { first: None, iter: Some(iter) }
    }
    fn failed(e: sled::Error) -> Self {
        UntilError { first: Some(e), iter: None }
    }
}

impl<T, I: Iterator<Item = sled::Result<T>>> Iterator for UntilError<I> {
    type Item = sled::Result<T>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.first.take() {
            return Some(Err(e));
        }
        let item = self.iter.as_mut()?.next();
        if matches!(item, Some(Err(_)) | None) {
            self.iter = None;
        }
        item
    }
}

fn open_waiting_for_release(path: &Path, config: &sled::Config) -> std::result::Result<Result<sled::Db>, String> {
    let started = std::time::Instant::now();
    loop {
        let opened = crate::io::quietly(|| config.open())?;
        let err = match opened {
            Ok(db) => return Ok(Ok(db)),
            Err(e) => StoreError::from_sled(path, e),
        };
        let transient = match &err {
            StoreError::Locked { holder: None, .. } => true,
            // A store server that is stopping (its last client left) is given the same moments.
            StoreError::Locked { holder: Some(h), .. } => h.pid == std::process::id() || !h.alive() || h.program == "huitoukan serve",
            _ => false,
        };
        if !transient || started.elapsed() >= LOCK_RELEASE_WAIT {
            return Ok(Err(err));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests;
