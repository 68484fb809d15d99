//! Snapshots: a round trip gives the same export; damaged, cut-short and
//! wrong-kind files are refused by verify and restore and the store is
//! untouched; restore never leaves the store half-replaced.

use huitoukan::io::export::{self, Filter, Format};
use huitoukan::io::snapshot::{self, RestoreOptions, SnapshotError, FORMAT, MAGIC};
use huitoukan::store::{bulk, Store, StoreError};
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn demo_store(path: &Path, n: usize, seed: u64) -> Store {
    let store = Store::open(path).unwrap();
    huitoukan::demo::fill(&store, n, seed, |_| {}).unwrap();
    store
}

fn export_csv(store: &Store, to: &Path) -> Vec<u8> {
    export::export(store, to, Format::Csv, &Filter::default(), &mut |_| {}).unwrap();
    std::fs::read(to).unwrap()
}

/// The store's export, opened and closed again (so restore may take it).
fn export_of(db: &Path, scratch: &Path) -> Vec<u8> {
    export_csv(&Store::open(db).unwrap(), &scratch.join("check.csv"))
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    db: PathBuf,
    snap: PathBuf,
    bytes: Vec<u8>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let db = root.join("db");
    let snap = root.join("backup.htksnap");
    {
        let store = demo_store(&db, 250, 9);
        snapshot::save(&store, &snap).unwrap();
    }
    let bytes = std::fs::read(&snap).unwrap();
    Fixture { _dir: dir, root, db, snap, bytes }
}

#[test]
fn round_trip_into_an_empty_place_exports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let snap = dir.path().join("s.htksnap");
    let original = {
        let store = demo_store(&db, 400, 4);
        // Some history beyond the demo data: a re-import, a verification.
        let key = store.summaries().unwrap()[3].key;
        store.set_verified(key, true, "clerk").unwrap();
        let info = snapshot::save(&store, &snap).unwrap();
        assert_eq!(info.households, 400);
        assert_eq!(info.audit_entries, store.verify_audit().unwrap().entries);
        let filled = store.summaries().unwrap().iter().filter(|s| s.state != huitoukan::model::FormState::Empty).count();
        assert_eq!(info.forms_filled, filled as u64);
        export_csv(&store, &dir.path().join("a.csv"))
    };
    assert_eq!(std::fs::metadata(&snap).unwrap().permissions().mode() & 0o777, 0o600);
    let checked = snapshot::verify(&snap).unwrap();
    assert_eq!(checked.households, 400);
    assert_eq!(checked.bytes, std::fs::metadata(&snap).unwrap().len());

    let elsewhere = dir.path().join("new").join("restored");
    std::fs::create_dir(dir.path().join("new")).unwrap();
    let done = snapshot::restore(&snap, &elsewhere, RestoreOptions::default()).unwrap();
    assert_eq!(done.previous, None);
    assert_eq!(done.replaced_households, None);
    let restored = Store::open(&elsewhere).unwrap();
    assert_eq!(export_csv(&restored, &dir.path().join("b.csv")), original);
    assert_eq!(restored.verify_audit().unwrap().first_broken, None);
    assert_eq!(restored.verify_audit().unwrap().entries, checked.audit_entries);
    assert_eq!(names(&dir.path().join("new")), ["restored"], "nothing left beside it");
}

#[test]
fn restore_over_a_store_keeps_the_old_one_beside_it() {
    let f = fixture();
    let want = export_of(&f.db, &f.root);
    // The store moves on after the snapshot.
    {
        let store = Store::open(&f.db).unwrap();
        let first = &store.summaries().unwrap()[0];
        store.set_verified(first.key, !first.verified, "clerk").unwrap();
    }
    let changed = export_of(&f.db, &f.root);
    assert!(changed != want, "the store changed after the snapshot");
    let done = snapshot::restore(&f.snap, &f.db, RestoreOptions::default()).unwrap();
    assert_eq!(done.replaced_households, Some(250));
    let previous = done.previous.unwrap();
    assert!(previous.file_name().unwrap().to_string_lossy().starts_with("db.before-restore-"));
    assert!(export_of(&f.db, &f.root) == want);
    assert!(export_of(&previous, &f.root) == changed, "the replaced store is kept whole");

    // Without keeping: nothing but the store remains.
    let done = snapshot::restore(&f.snap, &f.db, RestoreOptions { keep_previous: false }).unwrap();
    assert_eq!(done.previous, None);
    assert!(export_of(&f.db, &f.root) == want);
    assert!(!bulk::staging_path(&f.db).exists());
}

/// Verify and restore both refuse `bytes`, and the store stays exactly as it was.
fn assert_refused(f: &Fixture, bytes: &[u8], what: &str) -> SnapshotError {
    let bad = f.root.join("bad.htksnap");
    std::fs::write(&bad, bytes).unwrap();
    let before = export_of(&f.db, &f.root);
    let listing = names(&f.root);
    let e = snapshot::verify(&bad).expect_err(what);
    let r = snapshot::restore(&bad, &f.db, RestoreOptions::default()).expect_err(what);
    assert_eq!(e.to_string(), r.to_string(), "{what}");
    assert!(export_of(&f.db, &f.root) == before, "{what}: store changed");
    assert_eq!(names(&f.root), listing, "{what}: files left behind");
    e
}

#[test]
fn a_flipped_byte_anywhere_is_refused() {
    let f = fixture();
    let len = f.bytes.len();
    for at in [0, 7, 8, 11, 12, 40, 100, 131, 132, 133, 200, len / 3, len / 2, len - 33, len - 1] {
        let mut bytes = f.bytes.clone();
        bytes[at] ^= 0x10;
        let e = assert_refused(&f, &bytes, &format!("byte {at} flipped"));
        let text = e.to_string();
        assert!(!text.contains("Error") && !text.is_empty(), "{text}");
        if at >= 132 {
            assert!(
                matches!(e, SnapshotError::Checksum { .. } | SnapshotError::Damaged { .. } | SnapshotError::Truncated { .. }),
                "byte {at}: {e}"
            );
        }
    }
    // A flip inside a stored value (the framing still holds) is a checksum mismatch.
    let first_entry = 132 + 1 + 2 + b"__sled__default".len();
    assert_eq!(f.bytes[first_entry], b'E');
    let key_len = u32::from_le_bytes(f.bytes[first_entry + 1..first_entry + 5].try_into().unwrap()) as usize;
    let value_at = first_entry + 5 + key_len + 4;
    let mut bytes = f.bytes.clone();
    bytes[value_at] ^= 0x01;
    let e = snapshot::verify_bytes(&bytes).unwrap_err();
    assert!(matches!(e, SnapshotError::Checksum { .. }), "{e}");
}

#[test]
fn cut_short_or_lengthened_files_are_refused() {
    let f = fixture();
    let len = f.bytes.len();
    for cut in [1, 8, 12, 50, 131, 132, 133, 1000, len / 2, len - 1] {
        let e = assert_refused(&f, &f.bytes[..cut], &format!("cut at {cut}"));
        assert!(matches!(e, SnapshotError::Truncated { .. }), "cut at {cut}: {e}");
        assert!(e.to_string().contains("不完整"), "{e}");
    }
    let mut longer = f.bytes.clone();
    longer.extend_from_slice(b"extra");
    assert!(matches!(assert_refused(&f, &longer, "extra bytes"), SnapshotError::Damaged { .. }));
}

#[test]
fn files_of_the_wrong_kind_are_refused() {
    let f = fixture();
    let csv = "\u{feff}乡镇,村\n石盘乡,石盘村\n".as_bytes().to_vec();
    for (what, bytes) in
        [("empty", Vec::new()), ("a CSV", csv), ("a zip", b"PK\x03\x04\x14\x00\x00\x00".repeat(40)), ("text", b"hello snapshot".to_vec())]
    {
        let e = assert_refused(&f, &bytes, what);
        assert!(matches!(e, SnapshotError::NotASnapshot { .. }), "{what}: {e}");
        assert!(e.to_string().contains("不是huitoukan的快照文件"), "{e}");
    }
    // The store directory itself is not a snapshot either.
    assert!(matches!(snapshot::verify(&f.db), Err(SnapshotError::NotASnapshot { .. })));
}

#[test]
fn a_newer_format_is_named_as_such() {
    let f = fixture();
    let mut bytes = f.bytes.clone();
    bytes[8..10].copy_from_slice(&(FORMAT + 1).to_le_bytes());
    // A newer program keeps the header checksum's meaning: recompute it.
    let header_len = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
    let sum: [u8; 32] = Sha256::digest(&bytes[..12 + header_len]).into();
    bytes[12 + header_len..12 + header_len + 32].copy_from_slice(&sum);
    assert_eq!(bytes[..8], MAGIC);
    let e = assert_refused(&f, &bytes, "newer");
    assert!(matches!(e, SnapshotError::Newer { .. }), "{e}");
    assert!(e.to_string().contains("升级"), "{e}");
}

#[test]
fn restore_refuses_a_store_in_use_and_the_binary_asks_first() {
    let f = fixture();
    let before = export_of(&f.db, &f.root);
    {
        let _open = Store::open(&f.db).unwrap();
        let e = snapshot::restore(&f.snap, &f.db, RestoreOptions::default()).unwrap_err();
        assert!(matches!(e, SnapshotError::Store(StoreError::Locked { .. })), "{e}");
    }
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_huitoukan"));
        cmd.args(args);
        // `snapshot verify` reads only the file and refuses a --db.
        if args[1] != "verify" {
            cmd.arg("--db").arg(&f.db);
        }
        let out = cmd.env("HUITOUKAN_HOME", f.root.join("home")).stdin(std::process::Stdio::null()).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let snap = f.snap.to_str().unwrap();
    let (code, out) = run(&["snapshot", "verify", snap]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("250户"), "{out}");
    // No terminal to ask on and no --yes: refused, store untouched.
    let (code, out) = run(&["snapshot", "restore", snap]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("--yes"), "{out}");
    assert!(export_of(&f.db, &f.root) == before);
    let bad = f.root.join("cut.htksnap");
    std::fs::write(&bad, &f.bytes[..f.bytes.len() / 2]).unwrap();
    let (code, out) = run(&["snapshot", "restore", bad.to_str().unwrap(), "--yes"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("不完整"), "{out}");
    let (code, out) = run(&["snapshot", "restore", snap, "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("before-restore"), "{out}");
    assert!(export_of(&f.db, &f.root) == before);
    // save through the binary: atomic, owner-only, verifies.
    let again = f.root.join("again.htksnap");
    assert_eq!(run(&["snapshot", "save", again.to_str().unwrap()]).0, Some(0));
    assert_eq!(snapshot::verify(&again).unwrap().households, 250);
}
