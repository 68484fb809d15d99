//! Snapshots edited and resealed (every checksum recomputed) by someone who
//! knows the format: restore checks the content itself before it swaps
//! anything in, and the store it would have replaced stays as it was
//! (issue 12 item 14).

use huitoukan::io::snapshot::{self, RawEntry, RestoreOptions, SnapshotError};
use huitoukan::model::{AuditEntry, Household};
use huitoukan::store::{codec, Store};
use std::path::Path;

fn entries(dir: &Path) -> Vec<RawEntry> {
    let src = dir.join("src");
    let store = Store::open(&src).unwrap();
    huitoukan::demo::fill(&store, 60, 7, |_| {}).unwrap();
    let file = dir.join("good.htksnap");
    snapshot::save(&store, &file).unwrap();
    snapshot::entries_of(&std::fs::read(&file).unwrap()).unwrap()
}

fn starts(e: &RawEntry, prefix: &[u8]) -> bool {
    e.1.starts_with(prefix)
}

/// The edits a careful adversary would make, each resealed.
fn crafted(good: &[RawEntry]) -> Vec<(&'static str, Vec<RawEntry>)> {
    let edit = |f: &dyn Fn(&mut Vec<RawEntry>)| {
        let mut e = good.to_vec();
        f(&mut e);
        e
    };
    vec![
        ("no summaries (restored 60户, showed 0)", edit(&|e| e.retain(|x| !starts(x, b"s/")))),
        (
            "the key counter set back (the next import overwrote households)",
            edit(&|e| {
                for x in e.iter_mut().filter(|x| x.1 == b"m/next_key") {
                    x.2 = 1u64.to_be_bytes().to_vec();
                }
            }),
        ),
        (
            "a household's ID changed behind its index",
            edit(&|e| {
                let x = e.iter_mut().find(|x| starts(x, b"h/")).unwrap();
                let mut h: Household = codec::decode(&x.2).unwrap();
                h.a.id_number = huitoukan::demo::id_number(9_999);
                x.2 = codec::encode(&h);
            }),
        ),
        (
            "an ID index entry removed",
            edit(&|e| {
                e.remove(e.iter().position(|x| starts(x, b"i/")).unwrap());
            }),
        ),
        (
            "a household removed, its indexes kept",
            edit(&|e| {
                e.remove(e.iter().position(|x| starts(x, b"h/")).unwrap());
            }),
        ),
        (
            "an audit entry edited",
            edit(&|e| {
                let x = e.iter_mut().find(|x| starts(x, b"a/")).unwrap();
                let mut a: AuditEntry = codec::decode(&x.2).unwrap();
                a.who = "someone else".into();
                x.2 = codec::encode(&a);
            }),
        ),
        (
            "a record that does not decode",
            edit(&|e| {
                e.iter_mut().find(|x| starts(x, b"f/")).unwrap().2 = b"garbage".to_vec();
            }),
        ),
        ("the form definition the records name removed", edit(&|e| e.retain(|x| !starts(x, b"d/")))),
        (
            "a place index entry moved to another village",
            edit(&|e| {
                let x = e.iter_mut().find(|x| starts(x, b"v/")).unwrap();
                x.1.insert(3, b'X');
            }),
        ),
    ]
}

#[test]
fn resealed_edits_are_refused_before_the_swap_and_the_old_store_stays() {
    let tmp = tempfile::tempdir().unwrap();
    let good = entries(tmp.path());
    let target = tmp.path().join("store");
    {
        let s = Store::open(&target).unwrap();
        huitoukan::demo::fill(&s, 25, 3, |_| {}).unwrap();
    }
    for (what, e) in crafted(&good) {
        let file = tmp.path().join("crafted.htksnap");
        std::fs::write(&file, snapshot::seal(&e)).unwrap();
        // The checksums are all right: only the content check can tell.
        snapshot::verify(&file).unwrap_or_else(|err| panic!("{what}: not resealed well: {err}"));
        let err = snapshot::restore(&file, &target, RestoreOptions::default()).expect_err(what);
        assert!(matches!(err, SnapshotError::Damaged { .. }), "{what}: {err:?}");
        let msg = err.to_string();
        assert!(msg.contains("没有改动"), "{what}: {msg}");
        let s = Store::open_existing(&target, "t").unwrap();
        assert_eq!(s.household_count().unwrap(), 25, "{what}: the old store was touched");
        assert_eq!(s.verify_audit().unwrap().first_broken, None);
        drop(s);
        assert!(!huitoukan::store::bulk::staging_path(&target).exists(), "{what}: staging left behind");
    }
    // Resealed without an edit, it restores.
    let file = tmp.path().join("resealed.htksnap");
    std::fs::write(&file, snapshot::seal(&good)).unwrap();
    let done = snapshot::restore(&file, &target, RestoreOptions { keep_previous: false }).unwrap();
    assert_eq!(done.info.households, 60);
    let s = Store::open_existing(&target, "t").unwrap();
    assert_eq!(s.household_count().unwrap(), 60);
    assert!(s.check_consistency().unwrap().is_empty());
}
