//! Restore of resealed snapshots: a good snapshot of a small demo store is
//! edited as the input says (entries removed, duplicated, values and keys
//! changed) and resealed with every checksum right, then restored over a
//! store holding other households. Either the restore is refused (and the
//! old store is exactly as it was) or the restored store is consistent and
//! holds what the snapshot's header says; never a panic, never a half store.
#![no_main]
use huitoukan::io::snapshot::{self, RawEntry, RestoreOptions};
use huitoukan::store::Store;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Fixture {
    _dir: tempfile::TempDir,
    good: Vec<RawEntry>,
    old: std::path::PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let src = Store::open(&dir.path().join("src")).unwrap();
        huitoukan::demo::fill(&src, 12, 5, |_| {}).unwrap();
        let file = dir.path().join("good.htksnap");
        snapshot::save(&src, &file).unwrap();
        drop(src);
        let good = snapshot::entries_of(&std::fs::read(&file).unwrap()).unwrap();
        let old = dir.path().join("old");
        let s = Store::open(&old).unwrap();
        huitoukan::demo::fill(&s, 5, 9, |_| {}).unwrap();
        Fixture { _dir: dir, good, old }
    })
}

fn edit(good: &[RawEntry], ops: &[u8]) -> Vec<RawEntry> {
    let mut e = good.to_vec();
    for op in ops.chunks(4) {
        let [kind, a, b, c] = [op[0], *op.get(1).unwrap_or(&0), *op.get(2).unwrap_or(&0), *op.get(3).unwrap_or(&0)];
        if e.is_empty() {
            break;
        }
        let i = (usize::from(a) << 8 | usize::from(b)) % e.len();
        match kind % 6 {
            0 => {
                e.remove(i);
            }
            1 => {
                let dup = e[i].clone();
                e.insert(i, dup);
            }
            2 => {
                let v = &mut e[i].2;
                if !v.is_empty() {
                    let at = usize::from(c) % v.len();
                    v[at] ^= b | 1;
                }
            }
            3 => {
                let k = &mut e[i].1;
                if let Some(last) = k.last_mut() {
                    *last = last.wrapping_add(c | 1);
                }
            }
            4 => e[i].2.truncate(usize::from(c)),
            _ => {
                let j = usize::from(c) % e.len();
                let v = e[j].2.clone();
                e[i].2 = v;
            }
        }
    }
    e
}

fuzz_target!(|ops: &[u8]| {
    let f = fixture();
    let bytes = snapshot::seal(&edit(&f.good, &ops[..ops.len().min(64)]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crafted.htksnap");
    std::fs::write(&file, &bytes).unwrap();
    let target = dir.path().join("store");
    copy_dir(&f.old, &target);
    let before = Store::open_existing(&target, "fuzz").unwrap().summaries().unwrap();
    match snapshot::restore(&file, &target, RestoreOptions { keep_previous: false }) {
        Ok(done) => {
            let s = Store::open_existing(&target, "fuzz").unwrap();
            assert_eq!(s.household_count().unwrap() as u64, done.info.households);
            assert_eq!(s.check_consistency().unwrap(), Vec::<String>::new());
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            let s = Store::open_existing(&target, "fuzz").unwrap();
            assert_eq!(s.summaries().unwrap(), before, "a refused restore changed the old store");
        }
    }
});

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
