//! Automatic snapshots: taken on clean exit and every N minutes of editing,
//! the last few kept beside the store (owner-only), and named in the
//! message a clerk sees when the store will not open.
//!
//! For a store at `…/store` they live in `…/store.snapshots/` as
//! `auto-YYYYMMDD-HHMMSS.htksnap`.

use crate::config::BackupPolicy;
use crate::io::snapshot::{self, SnapshotError, SnapshotInfo};
use crate::store::Store;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const PREFIX: &str = "auto-";
const SUFFIX: &str = ".htksnap";

/// The folder beside the store that holds its automatic snapshots.
pub fn dir_for(store_path: &Path) -> PathBuf {
    let name = store_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    store_path.with_file_name(format!("{name}.snapshots"))
}

/// Automatic snapshots of the store, newest first.
pub fn list(store_path: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir_for(store_path)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX)))
        .collect();
    // The names sort by time.
    files.sort();
    files.reverse();
    files
}

/// Takes an automatic snapshot now and keeps only the newest `policy.keep`.
pub fn take(store: &Store, policy: &BackupPolicy) -> Result<(PathBuf, SnapshotInfo), SnapshotError> {
    take_named(store, Some(policy.keep), "")
}

/// The automatic snapshot an open takes of a store of an older format
/// before it migrates it (`auto-…-format1.htksnap`); none is removed to
/// make room, as the store's own settings are not known here.
pub fn take_before_migration(store: &Store) -> Result<(PathBuf, SnapshotInfo), SnapshotError> {
    take_named(store, None, &format!("{MIGRATION_TAG}{}", store.format()))
}

/// In the name of a snapshot taken before a format migration.
const MIGRATION_TAG: &str = "-format";

fn take_named(store: &Store, keep: Option<usize>, tag: &str) -> Result<(PathBuf, SnapshotInfo), SnapshotError> {
    let dir = dir_for(store.path());
    let dir_err = |e: std::io::Error| SnapshotError::File { path: dir.display().to_string(), reason: crate::io::file::describe(&e) };
    // An empty store never displaces a snapshot that holds households: the
    // store emptied or moved away must stay recoverable from it.
    if store.household_count()? == 0 {
        if let Some((file, _)) = newest_with_data(store.path()) {
            return Err(SnapshotError::File {
                path: dir.display().to_string(),
                reason: format!("数据库里一户也没有，而已有的快照 {} 里有数据：为了不挤掉它，这次不做快照", file.display()),
            });
        }
    }
    crate::store::create_private_dirs(&dir).map_err(dir_err)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(dir_err)?;
    let mut name = format!("{PREFIX}{}{tag}{SUFFIX}", chrono::Local::now().format("%Y%m%d-%H%M%S"));
    let mut n = 1;
    while dir.join(&name).exists() {
        n += 1;
        name = format!("{PREFIX}{}-{n}{tag}{SUFFIX}", chrono::Local::now().format("%Y%m%d-%H%M%S"));
    }
    let path = dir.join(name);
    clear_leftovers(&dir);
    let info = snapshot::save(store, &path)?;
    if let Some(keep) = keep {
        // The snapshots taken before a format migration are the way back to
        // the older release's store: only the clerk removes them.
        let routine = |p: &PathBuf| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(MIGRATION_TAG));
        for old in list(store.path()).into_iter().filter(routine).skip(keep.max(1)) {
            let _ = std::fs::remove_file(old);
        }
    }
    Ok((path, info))
}

/// Removes the temporary files of snapshots that a process cut short (a
/// Ctrl-\ or a kill during the exit snapshot) left in `dir`: they are named
/// `.NAME.PID.N.tmp` (see `io::file::AtomicFile`); those of a running
/// process are being written and stay.
pub fn clear_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else { continue };
        if !stem.starts_with(PREFIX) {
            continue;
        }
        let mut parts = stem.rsplitn(3, '.');
        let (_n, pid) = (parts.next(), parts.next().and_then(|p| p.parse::<u32>().ok()));
        let Some(pid) = pid else { continue };
        let holder = crate::store::Holder { pid, ..crate::store::Holder::current("") };
        if !holder.alive() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The newest automatic snapshot that verifies, with what it holds.
pub fn newest_good(store_path: &Path) -> Option<(PathBuf, SnapshotInfo)> {
    list(store_path).into_iter().find_map(|p| snapshot::verify(&p).ok().map(|i| (p, i)))
}

/// The newest automatic snapshot that verifies and holds households: the
/// sign that a store with data was at `store_path`.
pub fn newest_with_data(store_path: &Path) -> Option<(PathBuf, SnapshotInfo)> {
    list(store_path).into_iter().find_map(|p| snapshot::verify(&p).ok().filter(|i| i.households > 0).map(|i| (p, i)))
}

/// Whether the store holds changes no good automatic snapshot has: none
/// taken yet, or changes made since (by an import, or a session that ended
/// without its exit snapshot).
pub fn stale(store: &Store) -> bool {
    newest_good(store.path()).is_none_or(|(_, info)| info.audit_entries != store.audit_entries())
}

/// What to tell the clerk when the store is damaged: the repair that loses
/// nothing when a copy shows it works (sled's `snap.*` file damaged: set
/// aside, the log rebuilds everything), with what each way would keep;
/// else the newest good automatic snapshot and the exact command that
/// restores it.
pub fn advice_for_damaged(store_path: &Path) -> String {
    let snapshot = newest_with_data(store_path).or_else(|| newest_good(store_path));
    // sled can panic reading a damaged copy: that only means no repair.
    if let Ok(Some(repair)) = crate::io::quietly(|| try_repair_on_a_copy(store_path)) {
        return repair.advice(store_path, snapshot.as_ref());
    }
    match snapshot {
        Some((file, info)) => format!(
            "最近一次自动快照是 {}。恢复它（损坏的数据库会改名保留在旁边）请运行：\n  huitoukan --db {} snapshot restore {}\n恢复后，快照时间之后录入的内容需要重新录入。",
            info.describe(),
            shell_quote(store_path),
            shell_quote(&file)
        ),
        None => format!(
            "在 {} 没有找到可用的自动快照。如有手动保存的快照，请运行：huitoukan --db {} snapshot restore 快照文件；否则请联系技术人员，不要删除数据库目录。",
            dir_for(store_path).display(),
            shell_quote(store_path)
        ),
    }
}

/// What the clerk is told when an automatic snapshot fails: shown, never
/// swallowed (the snapshots stopping unnoticed was how damage went unseen);
/// a damaged store says so and names the way back in one line.
pub fn failure_note(store_path: &Path, e: &SnapshotError) -> String {
    let damaged = matches!(e, SnapshotError::Store(crate::store::StoreError::Corrupt { .. }));
    if !damaged {
        return format!("自动快照没有做成：{e}");
    }
    format!("数据库已损坏，自动快照没有做成：{e} {}", way_back(store_path))
}

/// What every clerk is told when the server's check of the whole store
/// (see [`crate::store::Store::check_whole`]) finds damage: what is wrong,
/// and the way back, short enough for the status line's three rows.
pub fn damage_note(store_path: &Path, problem: &str) -> String {
    format!("{}，看到的户可能不全。{}", problem.trim_end_matches('。'), way_back(store_path))
}

/// The way back from a damaged store, short enough for the status line.
fn way_back(store_path: &Path) -> String {
    match newest_with_data(store_path).or_else(|| newest_good(store_path)) {
        Some((file, info)) => format!(
            "请退出程序，运行 huitoukan --db {} snapshot restore {}（恢复到{}的快照，其后的录入需重做）",
            shell_quote(store_path),
            shell_quote(&file),
            info.created
        ),
        None => "没有可用的自动快照，请退出程序并联系技术人员，不要删除数据库目录".into(),
    }
}

/// What setting sled's `snap.*` files aside gave, on a copy of the store.
struct Repair {
    snap_files: Vec<String>,
    /// Households (key → "户主 masked-ID") of the repaired copy.
    households: std::collections::BTreeMap<u64, String>,
    audit_entries: u64,
}

impl Repair {
    fn advice(&self, store: &Path, snapshot: Option<&(PathBuf, SnapshotInfo)>) -> String {
        let q = shell_quote(store);
        let aside = shell_quote(
            &store.with_file_name(format!("{}.damaged-snap", store.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())),
        );
        let mut out = format!(
            "在数据库的副本上试过：把损坏的索引文件（{}）移开后，数据库能打开，{}户、审计记录{}条都在，链条完整。这样修复不丢任何数据，建议先这样做：\n  mkdir -p {aside} && mv {q}/snap.* {aside}/\n",
            self.snap_files.join("、"),
            self.households.len(),
            self.audit_entries,
        );
        if let Some((file, info)) = snapshot {
            let in_snapshot = snapshot_keys(file);
            let lost: Vec<&String> = self.households.iter().filter(|(k, _)| !in_snapshot.contains(k)).map(|(_, v)| v).collect();
            out.push_str(&format!(
                "若改用最近的自动快照（{}），会丢失其后的{}条审计记录所记的改动",
                info.describe(),
                self.audit_entries.saturating_sub(info.audit_entries)
            ));
            if lost.is_empty() {
                out.push_str("。\n");
            } else {
                let shown: Vec<&str> = lost.iter().take(5).map(|s| s.as_str()).collect();
                out.push_str(&format!("，其中快照之后导入的{}户会整户丢失（例如 {}）。\n", lost.len(), shown.join("、")));
            }
            out.push_str(&format!("只有上面的修复不成功时，才用快照恢复：huitoukan --db {q} snapshot restore {}", shell_quote(file)));
        }
        out
    }
}

/// Copies the store without its `snap.*` files beside it and opens the copy:
/// sled then rebuilds its page index from the log. `Some` only when the copy
/// opens, passes the marker's count and hangs together.
fn try_repair_on_a_copy(store: &Path) -> Option<Repair> {
    let snap_files: Vec<String> = std::fs::read_dir(store)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("snap."))
        .collect();
    if snap_files.is_empty() {
        return None;
    }
    let copy = store.with_file_name(format!(".{}.repair-check", store.file_name()?.to_string_lossy()));
    let _ = std::fs::remove_dir_all(&copy);
    // Removed however the trial ends (a sled panic included).
    struct Gone<'a>(&'a Path);
    impl Drop for Gone<'_> {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(self.0);
        }
    }
    let _gone = Gone(&copy);
    let result = (|| {
        crate::store::create_private_dirs(&copy).ok()?;
        copy_tree(store, &copy, &|name| name.starts_with("snap.") || name.starts_with("huitoukan.holder")).ok()?;
        let s = Store::open_existing(&copy, "huitoukan repair check").ok()?;
        if !s.check_consistency().ok()?.is_empty() {
            return None;
        }
        let mut households = std::collections::BTreeMap::new();
        for summary in s.summaries().ok()? {
            households.insert(summary.key, format!("{} {}", summary.head, crate::form::idnum::mask(&summary.id_number)));
        }
        Some(Repair { snap_files: snap_files.clone(), households, audit_entries: s.audit_entries() })
    })();
    let _ = std::fs::remove_dir_all(&copy);
    result
}

fn copy_tree(from: &Path, to: &Path, skip: &dyn Fn(&str) -> bool) -> std::io::Result<()> {
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if skip(&name) {
            continue;
        }
        if e.file_type()?.is_dir() {
            crate::store::create_private_dirs(&to.join(&name))?;
            copy_tree(&e.path(), &to.join(&name), skip)?;
        } else {
            std::fs::copy(e.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// The household keys a snapshot holds (empty when it cannot be read).
fn snapshot_keys(file: &Path) -> std::collections::BTreeSet<u64> {
    let mut keys = std::collections::BTreeSet::new();
    let read = snapshot::visit(file, |_, k, _| {
        if let Some(key) = k.strip_prefix(b"h/").and_then(|k| <[u8; 8]>::try_from(k).ok()) {
            keys.insert(u64::from_be_bytes(key));
        }
    });
    if read.is_err() {
        keys.clear();
    }
    keys
}

pub fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)) {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Decides when the next automatic snapshot is due while editing.
///
/// Saves wait while a snapshot copies the store (0.35 s for a county,
/// about 20 s for a million households), so once the interval is up the
/// snapshot waits for a pause in saving ([`QUIET`]) — but no longer than
/// half an interval more (at most [`MAX_WAIT`]), so a store edited without
/// a pause is still backed up.
#[derive(Debug, Clone)]
pub struct Schedule {
    policy: BackupPolicy,
    /// Edits since the last snapshot.
    dirty: bool,
    last: std::time::Instant,
    /// The last save that changed the store.
    last_edit: Option<std::time::Instant>,
}

/// No save for this long is a pause in which to take a snapshot.
pub const QUIET: std::time::Duration = std::time::Duration::from_secs(10);
/// The longest a due snapshot waits for a pause.
pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

impl Schedule {
    pub fn new(policy: BackupPolicy) -> Self {
        Schedule { policy, dirty: false, last: std::time::Instant::now(), last_edit: None }
    }

    /// Call after every save that changed the store (`now`: about when).
    pub fn edited(&mut self, now: std::time::Instant) {
        self.dirty = true;
        self.last_edit = Some(now);
    }

    /// True when a periodic snapshot is due now.
    pub fn due(&self, now: std::time::Instant) -> bool {
        if !self.dirty || self.policy.every_minutes == 0 {
            return false;
        }
        // A setting of any size is an interval, not an overflow.
        let interval = std::time::Duration::from_secs(self.policy.every_minutes.saturating_mul(60));
        let since = now.saturating_duration_since(self.last);
        let quiet = self.last_edit.is_none_or(|e| now.saturating_duration_since(e) >= QUIET);
        since >= interval && (quiet || since >= interval.saturating_add((interval / 2).min(MAX_WAIT)))
    }

    /// True when a snapshot should be taken on a clean exit.
    pub fn due_on_exit(&self) -> bool {
        self.policy.on_exit && self.dirty
    }

    pub fn taken(&mut self, now: std::time::Instant) {
        self.dirty = false;
        self.last = now;
    }

    pub fn policy(&self) -> &BackupPolicy {
        &self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn schedule_waits_for_edits_and_the_interval() {
        let mut s = Schedule::new(BackupPolicy { every_minutes: 30, keep: 3, on_exit: true });
        let t0 = Instant::now();
        assert!(!s.due(t0 + Duration::from_secs(3600)), "nothing edited");
        assert!(!s.due_on_exit());
        s.edited(t0);
        assert!(!s.due(t0 + Duration::from_secs(60)));
        assert!(s.due(t0 + Duration::from_secs(1800)));
        assert!(s.due_on_exit());
        s.taken(t0 + Duration::from_secs(1800));
        assert!(!s.due(t0 + Duration::from_secs(3600)));
    }

    #[test]
    fn a_due_snapshot_waits_for_a_pause_in_saving_but_not_for_ever() {
        let mut s = Schedule::new(BackupPolicy { every_minutes: 30, keep: 3, on_exit: true });
        let t0 = Instant::now();
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        // Saves every few seconds around the half hour: it waits.
        s.edited(at(1795));
        assert!(!s.due(at(1800)), "a save 5 s ago");
        s.edited(at(1803));
        assert!(!s.due(at(1810)));
        assert!(s.due(at(1813)), "10 s without a save");
        // Saves that never pause: taken once the wait is up (half an interval, at most 10 min).
        s.taken(at(1813));
        let first = (1813..6000).step_by(3).find(|&t| {
            s.edited(at(t));
            s.due(at(t))
        });
        assert_eq!(first.map(|t| t - 1813), Some(1800 + 600), "due 30 min + 10 min after the last one");
        // Any number of minutes in the settings is only a long wait.
        let mut s = Schedule::new(BackupPolicy { every_minutes: u64::MAX, keep: 3, on_exit: true });
        s.edited(t0);
        assert!(!s.due(at(1_000_000)));
    }

    #[test]
    fn takes_keeps_the_newest_and_advises() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        let store = Store::open(&path).unwrap();
        crate::demo::fill(&store, 30, 1, |_| {}).unwrap();
        let policy = BackupPolicy { every_minutes: 30, keep: 2, on_exit: true };
        assert!(stale(&store), "no snapshot yet");
        take(&store, &policy).unwrap();
        assert!(!stale(&store), "the snapshot holds every change");
        store.set_verified(1, true, "t").unwrap();
        assert!(stale(&store), "a change since");
        for _ in 0..2 {
            take(&store, &policy).unwrap();
        }
        // What a snapshot cut short by a signal left is cleared at the next one; a live writer's stays.
        let dead = dir_for(&path).join(format!(".auto-20260101-000000.htksnap.{}.0.tmp", u32::MAX - 1));
        let live = dir_for(&path).join(format!(".auto-20260101-000000.htksnap.{}.7.tmp", std::process::id()));
        std::fs::write(&dead, "half").unwrap();
        std::fs::write(&live, "half").unwrap();
        take(&store, &policy).unwrap();
        assert!(!dead.exists() && live.exists());
        std::fs::remove_file(&live).unwrap();
        let files = list(&path);
        assert_eq!(files.len(), 2);
        let mode = std::fs::metadata(dir_for(&path)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        for f in &files {
            assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
        }
        drop(store);
        let corrupt = SnapshotError::Store(crate::store::StoreError::Corrupt { path: path.clone(), detail: "x".into() });
        let note = failure_note(&path, &corrupt);
        assert!(note.contains("数据库已损坏") && note.contains("snapshot restore") && !note.contains('\n'), "{note}");
        let other = SnapshotError::File { path: "p".into(), reason: "磁盘已满".into() };
        assert!(failure_note(&path, &other).starts_with("自动快照没有做成"));
        let advice = advice_for_damaged(&path);
        assert!(advice.contains("30户"), "{advice}");
        assert!(advice.contains(&format!("huitoukan --db {} snapshot restore {}", path.display(), files[0].display())), "{advice}");
    }

    #[test]
    fn the_snapshot_taken_before_a_migration_is_never_pruned() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        let store = Store::open(&path).unwrap();
        crate::demo::fill(&store, 5, 1, |_| {}).unwrap();
        let (before, _) = take_before_migration(&store).unwrap();
        let policy = BackupPolicy { every_minutes: 30, keep: 2, on_exit: true };
        for _ in 0..4 {
            take(&store, &policy).unwrap();
        }
        assert!(before.exists(), "{}", before.display());
        let files = list(&path);
        assert_eq!(files.len(), 3, "two routine ones and the one before the migration: {files:?}");
    }
}
