//! Bulk operations for import and snapshots. No sled type leaves this module.
//!
//! - [`Store::plan_upsert`]: what an import would do, without writing.
//! - [`Store::for_each_raw`]: every key/value of every tree, for a snapshot.
//! - [`RawBuilder`]: a new store built from raw key/values, for a restore.
//! - [`swap_in`]: puts a built store in the place of the old one by two
//!   renames, and [`finish_interrupted_restore`] (run by [`Store::open_as`])
//!   completes a swap that a crash or a kill cut between the renames.
//!
//! The swap, with `S` the store directory in `P`:
//! 1. the new store is built completely at `P/.S.restoring`, flushed, opened
//!    and checked, and the marker file [`RESTORE_MARKER`] is written (fsync)
//!    inside it: from now on it is known to be complete;
//! 2. `S` is renamed to `S.before-restore-<time>` (kept, or removed at the end);
//! 3. `.S.restoring` is renamed to `S`; the directory is synced; the marker is removed.
//!
//! Killed before 2, the old store is in place and untouched; the next open
//! of the store removes the leftover at `P/.S.restoring` (unless a live
//! restore is building it: its holder file names a running process).
//! Killed between 2 and 3, `S` is missing and the complete new store waits
//! with its marker: the next open finishes step 3. Killed after 3, the new
//! store is in place.

use super::{codec, Result, Store, StoreError, UpsertOutcome};
use crate::model::{FormState, Place, SectionA, Summary};
use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Inside a built store: "this store is complete and may replace the old one".
pub const RESTORE_MARKER: &str = "huitoukan.restore-complete";

/// What a raw pass over a store saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RawCounts {
    /// Key/value pairs, all trees.
    pub entries: u64,
    pub households: u64,
    /// Households whose form is not 未填.
    pub forms_filled: u64,
    pub audit_entries: u64,
}

impl RawCounts {
    pub(crate) fn add(&mut self, key: &[u8], value: &[u8]) {
        self.entries += 1;
        if key.starts_with(b"h/") {
            self.households += 1;
        } else if key.starts_with(b"a/") {
            self.audit_entries += 1;
        } else if key.starts_with(b"s/") {
            // A summary that does not decode is still copied, just not counted.
            if codec::decode::<Summary>(value).is_ok_and(|s| s.state != FormState::Empty) {
                self.forms_filled += 1;
            }
        }
    }
}

impl Store {
    /// What [`Store::upsert_households`] would do with `rows`, without writing.
    pub fn plan_upsert(&self, rows: &[(Place, SectionA)]) -> Result<UpsertOutcome> {
        let mut out = UpsertOutcome::default();
        for (place, a) in rows {
            let Some(key) = self.key_of(&a.id_number)? else {
                out.added += 1;
                continue;
            };
            let old = self.must_get(key)?.household;
            let mut new = old.clone();
            new.place = place.clone();
            new.a = a.clone();
            if super::section_a_changes(&old, &new).is_empty() {
                out.unchanged += 1;
            } else {
                out.updated += 1;
            }
        }
        Ok(out)
    }

    /// Visits every key/value pair of every tree (`tree name, key, value`),
    /// trees in name order, keys in order. Writers of this process wait
    /// meanwhile, so the pass sees one consistent state.
    pub fn for_each_raw<E: From<StoreError>>(
        &self,
        mut visit: impl FnMut(&[u8], &[u8], &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<RawCounts, E> {
        let _no_writes = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // After a failed write this handle may hold in memory what never
        // reached the disk: copy what the disk holds.
        self.revive_if_broken()?;
        let db = self.db().map_err(|e| self.sled_err(e))?;
        if db.get(super::K_JOURNAL).map_err(|e| self.sled_err(e))?.is_some() {
            return Err(StoreError::Internal("数据库里有一次没有完成的大批写入，请重新打开数据库后再做快照".into()).into());
        }
        let mut names = db.tree_names();
        names.sort();
        let mut counts = RawCounts::default();
        for name in names {
            let tree = db.open_tree(&name).map_err(|e| self.sled_err(e))?;
            for item in tree.iter() {
                let (k, v) = item.map_err(|e| self.sled_err(e))?;
                counts.add(&k, &v);
                visit(&name, &k, &v)?;
            }
        }
        Ok(counts)
    }
}

impl Store {
    /// Checks that the content hangs together, as a restore must before it
    /// swaps a store in: a snapshot resealed after editing passes every
    /// checksum. Every record decodes; every household has its summary, ID
    /// and place index entries and every index entry points to a household
    /// that matches it; the key counter is past every key (else the next
    /// import overwrites households); the audit chain verifies up to the
    /// head. Returns what is wrong (the first few), empty when nothing is.
    pub fn check_consistency(&self) -> Result<Vec<String>> {
        use super::{be_u64, AuditHead, K_AUDIT_HEAD, K_NEXT_KEY};
        use crate::model::{FormRecord, Household};
        use std::collections::{BTreeMap, BTreeSet};
        const SHOWN: usize = 8;
        let mut problems: Vec<String> = Vec::new();
        let mut note = |p: String| {
            if problems.len() < SHOWN {
                problems.push(p);
            }
        };
        let key_at = |k: &[u8], at: usize| k.len().checked_sub(8).filter(|i| *i >= at).and_then(|i| be_u64(&k[i..]));
        // key → hashes of (ID number, place index prefix): 1M households in
        // about 50 MB rather than their strings.
        let hash = |bytes: &[u8]| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            h.finish()
        };
        let mut households: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for item in self.scan_prefix(b"h/") {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            let Some(key) = key_at(&k, 2).filter(|_| k.len() == 10) else {
                note("有一条户信息的编号不合规".into());
                continue;
            };
            match codec::decode::<Household>(&v) {
                Ok(h) => {
                    households.insert(key, (hash(h.a.id_number.as_bytes()), hash(&super::village_prefix(&h.place))));
                }
                Err(e) => note(format!("第{key}户的户信息无法读取（{e}）")),
            }
        }
        let mut with = |prefix: &[u8], what: &str, decode: &dyn Fn(&[u8]) -> bool| -> Result<BTreeSet<u64>> {
            let mut keys = BTreeSet::new();
            for item in self.scan_prefix(prefix) {
                let (k, v) = item.map_err(|e| self.sled_err(e))?;
                match key_at(&k, 2).filter(|_| k.len() == 10) {
                    Some(key) if !households.contains_key(&key) => note(format!("有第{key}户的{what}，却没有这一户")),
                    Some(key) if !decode(&v) => note(format!("第{key}户的{what}无法读取")),
                    Some(key) => {
                        keys.insert(key);
                    }
                    None => note(format!("有一条{what}的编号不合规")),
                }
            }
            Ok(keys)
        };
        with(b"f/", "采集表", &|v| codec::decode::<FormRecord>(v).is_ok())?;
        let summarised = with(b"s/", "户摘要", &|v| codec::decode::<Summary>(v).is_ok())?;
        if let Some(key) = households.keys().find(|k| !summarised.contains(k)) {
            note(format!("第{key}户没有户摘要"));
        }
        // Every form record's definition is kept (format 2): without it the
        // record could not be shown or checked as it was made.
        let kept: BTreeSet<crate::form::FormRef> = self.definitions()?.into_iter().collect();
        for item in self.scan_prefix(b"f/") {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            if let Ok(form) = codec::decode::<FormRecord>(&v) {
                if !form.is_blank() && !kept.contains(&form.form) {
                    note(format!("第{}户的采集表用的是{}，数据库里却没有这份表单定义", key_at(&k, 2).unwrap_or(0), form.form));
                }
            }
        }
        for (form, why) in self.broken_definitions() {
            note(format!("数据库里的{form}无法读取（{why}）"));
        }
        let mut indexed = BTreeSet::new();
        for item in self.scan_prefix(b"i/") {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            let id = hash(&k[2..]);
            let key = be_u64(&v);
            match key.and_then(|key| households.get(&key).map(|h| (key, h))) {
                Some((key, (own, _))) if *own == id && indexed.insert(key) => {}
                Some((key, _)) => note(format!("证件号码索引与第{key}户对不上")),
                None => note("有一条证件号码索引指向不存在的户".into()),
            }
        }
        if let Some(key) = households.keys().find(|k| !indexed.contains(k)) {
            note(format!("第{key}户不在证件号码索引里"));
        }
        let mut placed = BTreeSet::new();
        for item in self.scan_prefix(b"v/") {
            let (k, _) = item.map_err(|e| self.sled_err(e))?;
            let key = key_at(&k, 2);
            match key.and_then(|key| households.get(&key).map(|h| (key, h))) {
                Some((key, (_, place))) if hash(&k[..k.len() - 8]) == *place && placed.insert(key) => {}
                Some((key, _)) => note(format!("村索引与第{key}户对不上")),
                None => note("有一条村索引指向不存在的户".into()),
            }
        }
        if let Some(key) = households.keys().find(|k| !placed.contains(k)) {
            note(format!("第{key}户不在村索引里"));
        }
        let db = self.db().map_err(|e| self.sled_err(e))?;
        let next_key = db.get(K_NEXT_KEY).map_err(|e| self.sled_err(e))?.and_then(|v| be_u64(&v));
        match (next_key, households.keys().next_back()) {
            (None, _) => note("缺少户编号计数".into()),
            (Some(next), Some(last)) if next <= *last => {
                note(format!("户编号计数（{next}）不大于已有的最大编号（{last}），下次导入会覆盖已有的户"))
            }
            _ => {}
        }
        let head: Option<AuditHead> = db.get(K_AUDIT_HEAD).map_err(|e| self.sled_err(e))?.and_then(|v| codec::decode(&v).ok());
        if head.is_none() {
            note("缺少审计日志头".into());
        }
        let audit = self.verify_audit()?;
        if let Some(seq) = audit.first_broken {
            note(format!("审计日志从第{seq}条起对不上"));
        }
        match self.verify_records()? {
            super::RecordsCheck::Match | super::RecordsCheck::NotRecorded => {}
            super::RecordsCheck::RecordsDiffer => note("户信息或采集表与记下的摘要对不上".into()),
            super::RecordsCheck::HeadDiffers => note("记下的摘要属于另一个审计日志头".into()),
        }
        Ok(problems)
    }
}

/// A new store being filled with raw key/values (a snapshot's content).
pub struct RawBuilder {
    db: sled::Db,
    path: PathBuf,
    tree: Option<(Vec<u8>, sled::Tree)>,
    counts: RawCounts,
}

impl RawBuilder {
    /// Creates an empty store directory (0700) at `path`, which must not exist.
    pub fn create(path: &Path) -> Result<RawBuilder> {
        fs::DirBuilder::new().mode(0o700).create(path).map_err(|e| StoreError::from_io(path, e))?;
        // Says "being built" to an open of the store meanwhile (see clear_leftover_staging).
        let _ = super::lock::write(path, &super::Holder::current("huitoukan snapshot restore"));
        let db = sled::Config::new().path(path).cache_capacity(64 * 1024 * 1024).open().map_err(|e| StoreError::from_sled(path, e))?;
        Ok(RawBuilder { db, path: path.to_path_buf(), tree: None, counts: RawCounts::default() })
    }

    /// Plain inserts, not batches: nothing needs to be atomic here (only a
    /// complete, checked store is swapped in), and sled 0.34 keeps much of
    /// what a batch wrote in memory (spacejam/sled#1303): a million
    /// households restored in batches of 20,000 peaked at 15 GB resident,
    /// 22,000 at 530 MB; with inserts 22,000 take 60 MB.
    pub fn insert(&mut self, tree: &[u8], key: &[u8], value: &[u8]) -> Result<()> {
        if self.tree.as_ref().map(|(name, _)| name.as_slice()) != Some(tree) {
            let t = self.db.open_tree(tree).map_err(|e| StoreError::from_sled(&self.path, e))?;
            self.tree = Some((tree.to_vec(), t));
        }
        if let Some((_, t)) = &self.tree {
            t.insert(key, value).map_err(|e| StoreError::from_sled(&self.path, e))?;
        }
        self.counts.add(key, value);
        Ok(())
    }

    /// Flushes and closes the new store.
    pub fn finish(self) -> Result<RawCounts> {
        // A snapshot's report totals are not taken on trust (nothing checks
        // them against its records): the restored store's first open counts
        // them again.
        self.db.remove(super::totals::K_TOTALS).map_err(|e| StoreError::from_sled(&self.path, e))?;
        self.db.flush().map_err(|e| StoreError::from_sled(&self.path, e))?;
        Ok(self.counts)
    }
}

/// The parent directory and the name of a store directory.
fn parent_and_name(store: &Path) -> (PathBuf, String) {
    let parent = match store.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = store.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    (parent, name)
}

/// Where a restore builds the new store: `.NAME.restoring` beside the store.
pub fn staging_path(store: &Path) -> PathBuf {
    let (parent, name) = parent_and_name(store);
    parent.join(format!(".{name}.restoring"))
}

/// Where the replaced store goes: `NAME.before-restore-YYYYmmdd-HHMMSS`.
fn previous_path(store: &Path) -> PathBuf {
    let (parent, name) = parent_and_name(store);
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut candidate = parent.join(format!("{name}.before-restore-{stamp}"));
    let mut n = 2;
    while candidate.exists() {
        candidate = parent.join(format!("{name}.before-restore-{stamp}-{n}"));
        n += 1;
    }
    candidate
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

fn write_marker(staging: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(staging.join(RESTORE_MARKER))?;
    writeln!(f, "complete={}", chrono::Local::now().format("%Y-%m-%d %H:%M:%S"))?;
    f.sync_all()?;
    sync_dir(staging)
}

/// Puts the complete store at `staging` in the place of `store` (see the
/// module doc). `held` is the old store, open to keep other processes out
/// until it has been moved aside. Returns where the old store was kept,
/// when it was kept.
pub fn swap_in(store: &Path, staging: &Path, held: Option<Store>, keep_previous: bool) -> Result<Option<PathBuf>> {
    let (parent, _) = parent_and_name(store);
    write_marker(staging).map_err(|e| StoreError::from_io(staging, e))?;
    let previous = if store.exists() {
        let p = previous_path(store);
        fs::rename(store, &p).map_err(|e| StoreError::from_io(store, e))?;
        Some(p)
    } else {
        None
    };
    // Closed only now: its final flush goes to the moved directory.
    drop(held);
    if let Err(e) = fs::rename(staging, store) {
        // Another process opening the store may have finished the swap itself.
        let finished = e.kind() == std::io::ErrorKind::NotFound && store.exists() && !staging.exists();
        if !finished {
            let back = previous.as_ref().map(|p| fs::rename(p, store));
            let where_old = match (&previous, back) {
                (Some(_), Some(Ok(()))) => format!("原数据库仍在 {}", store.display()),
                (Some(p), _) => format!("原数据库在 {}，请把它改名回 {}", p.display(), store.display()),
                (None, _) => String::new(),
            };
            return Err(StoreError::Refused(format!(
                "恢复的最后一步失败（{}）。{where_old}；新数据库完整地留在 {}，再次运行恢复即可。",
                StoreError::from_io(staging, e),
                staging.display()
            )));
        }
    }
    let _ = sync_dir(&parent);
    let _ = fs::remove_file(store.join(RESTORE_MARKER));
    match previous {
        Some(p) if !keep_previous => {
            fs::remove_dir_all(&p).map_err(|e| StoreError::from_io(&p, e))?;
            let _ = sync_dir(&parent);
            Ok(None)
        }
        other => Ok(other),
    }
}

/// Run before a store is opened: finishes a restore that was cut between
/// its two renames (the store directory missing, the complete new store
/// waiting beside it), and clears the marker a finished swap left behind.
pub fn finish_interrupted_restore(store: &Path) -> Result<()> {
    if store.exists() {
        let stray = store.join(RESTORE_MARKER);
        if stray.exists() {
            let _ = fs::remove_file(stray);
        }
        return Ok(());
    }
    let staging = staging_path(store);
    if staging.join(RESTORE_MARKER).is_file() {
        fs::rename(&staging, store).map_err(|e| StoreError::from_io(store, e))?;
        let (parent, _) = parent_and_name(store);
        let _ = sync_dir(&parent);
        let _ = fs::remove_file(store.join(RESTORE_MARKER));
    }
    Ok(())
}

/// Run by [`Store::open_as`] once it holds the store: removes what a
/// restore killed before its swap left beside the store (a partial new
/// store, or a complete one the old store was never swapped for), unless
/// a running process is building it. Not fatal: the next restore clears it too.
pub(super) fn clear_leftover_staging(store: &Path) {
    let staging = staging_path(store);
    if !staging.exists() || super::lock::read(&staging).is_some_and(|h| h.alive()) {
        return;
    }
    let _ = clear_staging(&staging);
}

/// Removes what an earlier, interrupted restore left at `staging`.
pub fn clear_staging(staging: &Path) -> Result<()> {
    match fs::remove_dir_all(staging) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::from_io(staging, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_copy_builds_an_equal_store() {
        let dir = tempfile::tempdir().unwrap();
        let src = Store::open(&dir.path().join("a")).unwrap();
        crate::demo::fill(&src, 120, 5, |_| {}).unwrap();
        let staging = dir.path().join("b");
        let mut b = RawBuilder::create(&staging).unwrap();
        let seen = src.for_each_raw(|t, k, v| b.insert(t, k, v)).unwrap();
        let built = b.finish().unwrap();
        assert_eq!(seen, built);
        assert_eq!(seen.households, 120);
        assert_eq!(seen.audit_entries, 121, "one per household, and one for their handbooks");
        assert!(seen.forms_filled > 0 && seen.forms_filled < 120);
        let copy = Store::open(&staging).unwrap();
        assert_eq!(copy.summaries().unwrap(), src.summaries().unwrap());
        assert_eq!(copy.verify_audit().unwrap(), src.verify_audit().unwrap());
    }

    #[test]
    fn plan_matches_upsert() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("a")).unwrap();
        let round = s.round().clone();
        let places = crate::demo::places(50, 1);
        let mut rows: Vec<(Place, SectionA)> =
            (0..5).map(|i| crate::demo::household(i, 1, &places, &round).household).map(|h| (h.place, h.a)).collect();
        s.upsert_households(&rows[..3], "t").unwrap();
        rows[0].1.size += 1;
        let plan = s.plan_upsert(&rows).unwrap();
        assert_eq!(plan, UpsertOutcome { added: 2, updated: 1, unchanged: 2 });
        assert_eq!(s.upsert_households(&rows, "t").unwrap(), plan);
    }

    #[test]
    fn open_finishes_a_swap_cut_between_the_renames() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("db");
        let staging = staging_path(&store);
        {
            let s = Store::open(&staging).unwrap();
            crate::demo::fill(&s, 10, 1, |_| {}).unwrap();
        }
        // Without the marker the staging store is not known to be complete:
        // a leftover, which the open clears (no live process holds it).
        assert_eq!(Store::open(&store).unwrap().household_count().unwrap(), 0);
        assert!(!staging.exists());
        {
            let s = Store::open(&staging).unwrap();
            crate::demo::fill(&s, 10, 1, |_| {}).unwrap();
        }
        fs::remove_dir_all(&store).unwrap();
        write_marker(&staging).unwrap();
        let s = Store::open(&store).unwrap();
        assert_eq!(s.household_count().unwrap(), 10);
        assert!(!staging.exists());
        assert!(!store.join(RESTORE_MARKER).exists());
    }

    #[test]
    fn open_leaves_a_staging_store_being_built() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("db");
        let staging = staging_path(&store);
        let building = RawBuilder::create(&staging).unwrap();
        drop(Store::open(&store).unwrap());
        assert!(staging.exists(), "a live builder's store stays");
        drop(building);
        // Its holder names this (live) process: only a dead one's leftover is cleared.
        super::super::lock::write(&staging, &super::super::Holder { pid: u32::MAX - 1, ..super::super::Holder::current("t") }).unwrap();
        drop(Store::open(&store).unwrap());
        assert!(!staging.exists(), "a dead builder's store is cleared");
    }
}
