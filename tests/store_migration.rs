//! Store format 1 → 2 (issue 13 items 2 and 4): the store keeps the form
//! definitions its records were made with, and a format-1 store is migrated
//! at open, after an automatic snapshot.
//!
//! `tests/fixtures/v1/store.htksnap` is a snapshot of a format-1 store (40
//! demo households, 32 forms filled) written by the release before format 2
//! (commit fb2cbfc, `huitoukan demo --households 40 --seed 13` then
//! `snapshot save`). It is frozen: it must never change.

use huitoukan::form::{registry, FormRef};
use huitoukan::io::snapshot::{self, RestoreOptions};
use huitoukan::model::{AuditEntry, FormRecord, Household, Summary};
use huitoukan::store::bulk::RawBuilder;
use huitoukan::store::{codec, RecordsCheck, Store, STORE_FORMAT};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1/store.htksnap")
}

type Raw = Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>;

fn raw_entries(file: &Path) -> Raw {
    let mut out = Vec::new();
    snapshot::visit(file, |t, k, v| out.push((t.to_vec(), k.to_vec(), v.to_vec()))).unwrap();
    out
}

/// What the format-1 store holds, decoded: household, form, summary by key; audit entries.
struct Held {
    households: BTreeMap<u64, Household>,
    forms: BTreeMap<u64, FormRecord>,
    summaries: BTreeMap<u64, Summary>,
    audit: Vec<AuditEntry>,
}

fn key_of(k: &[u8]) -> u64 {
    u64::from_be_bytes(k[2..10].try_into().unwrap())
}

fn held(raw: &Raw) -> Held {
    let mut h = Held { households: BTreeMap::new(), forms: BTreeMap::new(), summaries: BTreeMap::new(), audit: Vec::new() };
    for (_, k, v) in raw {
        match &k[..2] {
            b"h/" => drop(h.households.insert(key_of(k), codec::decode(v).unwrap())),
            b"f/" => drop(h.forms.insert(key_of(k), codec::decode(v).unwrap())),
            b"s/" => drop(h.summaries.insert(key_of(k), codec::decode(v).unwrap())),
            b"a/" => h.audit.push(codec::decode(v).unwrap()),
            _ => {}
        }
    }
    h
}

/// The fixture's entries put into a store directory as they are: a format-1 store on disk.
fn format1_store(path: &Path) {
    let mut b = RawBuilder::create(path).unwrap();
    for (t, k, v) in raw_entries(&fixture()) {
        b.insert(&t, &k, &v).unwrap();
    }
    b.finish().unwrap();
}

fn snapshots_beside(store: &Path) -> Vec<PathBuf> {
    huitoukan::backup::list(store)
}

/// Everything a migrated store must read back as the format-1 store held it.
fn reads_back_identically(s: &Store, before: &Held) {
    assert_eq!(s.format(), STORE_FORMAT);
    assert_eq!(s.household_count().unwrap(), before.households.len());
    for (key, h) in &before.households {
        let lb = s.get(*key).unwrap().unwrap();
        assert_eq!(&lb.household, h, "household {key}");
        match before.forms.get(key) {
            Some(f) => assert_eq!(&lb.form, f, "form {key}"),
            None => assert!(lb.form.is_blank(), "form {key} not begun"),
        }
        assert_eq!(lb.form.form, FormRef::look_back_2021(), "form {key} names the 2021 form");
        assert_eq!(s.summary(*key).unwrap().as_ref(), before.summaries.get(key), "summary {key}");
        // Validated with its own definition, it finds what the cached counts say.
        let summary = &before.summaries[key];
        if !lb.form.is_blank() {
            let (e, w) = huitoukan::form::rules::counts(&lb.findings(s.round()));
            assert_eq!((e as u16, w as u16), (summary.errors, summary.warnings), "findings of {key}");
        }
    }
    // The audit log: every old entry as it was, then the migration's one entry.
    let mut after = Vec::new();
    let mut keys: Vec<u64> = before.households.keys().copied().collect();
    keys.push(0);
    for key in keys {
        after.extend(s.history(key).unwrap());
    }
    after.sort_by_key(|e| e.seq);
    let (migration, old) = after.split_last().unwrap();
    assert_eq!(old, before.audit.as_slice());
    assert_eq!((migration.household, migration.field.as_str()), (0, "store_format"));
    assert_eq!((migration.old.as_str(), migration.new.as_str()), ("1", "3"));
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
    assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
    assert_eq!(s.check_consistency().unwrap(), Vec::<String>::new());
    // The definition its records were made with is kept in the store.
    assert_eq!(s.definitions().unwrap(), vec![FormRef::look_back_2021()]);
    assert_eq!(s.definition_text(&FormRef::look_back_2021()).unwrap().as_deref(), Some(registry::LOOK_BACK_2021_TOML));
}

#[test]
fn the_frozen_format_1_store_opens_migrates_after_a_snapshot_and_reads_back_identically() {
    let raw = raw_entries(&fixture());
    let before = held(&raw);
    assert_eq!(before.households.len(), 40);
    assert_eq!(before.forms.len(), 32);
    assert!(raw.iter().any(|(_, k, v)| k == b"m/format" && v == &1u32.to_be_bytes()), "the fixture is a format-1 store");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    format1_store(&path);
    let note = {
        let s = Store::open(&path).unwrap();
        reads_back_identically(&s, &before);
        s.recovery_note().expect("the open says it migrated")
    };
    // The snapshot taken first holds the format-1 store exactly, and says so.
    let snaps = snapshots_beside(&path);
    assert!(note.contains("从旧版本的格式1升级为格式3") && note.contains(&snaps[0].display().to_string()), "{note}");
    assert_eq!(snaps.len(), 1, "{snaps:?}");
    assert!(snaps[0].file_name().unwrap().to_string_lossy().ends_with("-format1.htksnap"), "{snaps:?}");
    let info = snapshot::verify(&snaps[0]).unwrap();
    assert_eq!(info.store_format, 1);
    assert_eq!(raw_entries(&snaps[0]), raw);
    // Every form record is rewritten in the current record format, naming its form.
    let s = Store::open(&path).unwrap();
    let after = std::cell::RefCell::new(Vec::new());
    s.for_each_raw::<huitoukan::store::StoreError>(|_, k, v| {
        after.borrow_mut().push((k.to_vec(), v.to_vec()));
        Ok(())
    })
    .unwrap();
    let after = after.into_inner();
    let forms: Vec<_> = after.iter().filter(|(k, _)| k.starts_with(b"f/")).collect();
    assert_eq!(forms.len(), 32);
    assert!(forms.iter().all(|(_, v)| v[..3] == *b"HK\x03"));
    // A second open finds format 2: no second migration, no second snapshot.
    let audit = s.audit_entries();
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.audit_entries(), audit);
    assert_eq!(snapshots_beside(&path).len(), 1);
    assert_eq!(s.recovery_note(), None);
    // A snapshot of the migrated store says format 2.
    let file = tmp.path().join("after.htksnap");
    assert_eq!(snapshot::save(&s, &file).unwrap().store_format, STORE_FORMAT);
}

#[test]
fn a_format_1_snapshot_restores_migrated() {
    let before = held(&raw_entries(&fixture()));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    let restored = snapshot::restore(&fixture(), &path, RestoreOptions::default()).unwrap();
    assert_eq!(restored.info.store_format, 1);
    assert_eq!(restored.info.households, 40);
    let s = Store::open(&path).unwrap();
    reads_back_identically(&s, &before);
    // The snapshot restored is the backup: the restore takes none of its own.
    assert!(snapshots_beside(&path).is_empty());
}

#[test]
fn a_format_1_store_whose_snapshot_cannot_be_taken_is_left_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    format1_store(&path);
    // Where the snapshots go is a file: the snapshot fails, so nothing is migrated.
    std::fs::write(huitoukan::backup::dir_for(&path), b"not a folder").unwrap();
    let err = Store::open(&path).err().expect("refused").to_string();
    assert!(err.contains("格式1") && err.contains("快照没有做成") && err.contains("数据库没有改动"), "{err}");
    std::fs::remove_file(huitoukan::backup::dir_for(&path)).unwrap();
    let mut raw = Vec::new();
    // Still format 1 on disk: it opens and migrates now.
    let s = Store::open(&path).unwrap();
    assert_eq!(s.format(), STORE_FORMAT);
    s.for_each_raw::<huitoukan::store::StoreError>(|_, k, _| {
        raw.push(k.to_vec());
        Ok(())
    })
    .unwrap();
    assert!(raw.iter().any(|k| k.starts_with(b"d/")));
}

/// The shipped form's text as a later round's: `version`, one option's
/// label changed, and one more warning (on D7, for every household).
fn later_round(version: u32) -> String {
    let text = registry::LOOK_BACK_2021_TOML
        .replace("version = 2021", &format!("version = {version}"))
        .replace("labels = [\"外出务工\", ", &format!("labels = [\"外出务工（第{version}版）\", "));
    assert_ne!(text, registry::LOOK_BACK_2021_TOML);
    format!("{text}\n[[warnings]]\nid = \"only_in_{version}\"\nfield = \"D7\"\nwhen = \"A4 > 0\"\nmessage = \"第{version}版才有的提示\"\nshort = \"第{version}版\"\n")
}

fn household(id: &str) -> (huitoukan::model::Place, huitoukan::model::SectionA) {
    let place = huitoukan::model::Place { township: "石盘乡".into(), village: "石盘村".into() };
    let a = huitoukan::model::SectionA {
        address: "石盘乡石盘村1组".into(),
        head: "张三".into(),
        id_number: id.into(),
        size: 3,
        category: 1,
        enrol_risk: 0,
        enrolled: huitoukan::form::YearMonth::new(2020, 5).unwrap(),
        eliminated: None,
    };
    (place, a)
}

/// A record made with a definition this build does not have compiled in
/// is validated and exported, in another process (on the store itself or
/// through the store server), with that definition as the store kept it.
#[test]
fn another_process_validates_and_exports_an_old_round_record_with_the_definition_the_store_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    let text = later_round(3003);
    {
        let mut s = Store::open(&path).unwrap();
        s.use_form(registry::register(&text).unwrap());
        s.upsert_households(&[household("11010519491231002X")], "t").unwrap();
        let key = s.key_of("11010519491231002X").unwrap().unwrap();
        let mut answers = huitoukan::model::Answers::new();
        answers.insert("C3".into(), huitoukan::form::Value::Choice(0));
        s.save_draft(key, &answers, "t").unwrap();
        assert_eq!(s.definition_text(&FormRef { id: "huitoukan".into(), version: 3003 }).unwrap().as_deref(), Some(text.as_str()));
    }
    // Validated again in another process (the report counts warnings by
    // rule): the kept definition's own warning is found.
    let report = |socket: &Path| {
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_huitoukan"))
            .args(["report", "--db"])
            .arg(&path)
            .arg("--socket")
            .arg(socket)
            .env("HUITOUKAN_OPERATOR", "t")
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    let export = |socket: &Path, name: &str| {
        let out = tmp.path().join(name);
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_huitoukan"))
            .args(["export"])
            .arg(&out)
            .args(["--format", "csv", "--db"])
            .arg(&path)
            .arg("--socket")
            .arg(socket)
            .env("HUITOUKAN_OPERATOR", "t")
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8_lossy(&std::fs::read(&out).unwrap()).into_owned()
    };
    // The command opens the store itself (no server answers)…
    let csv = export(&tmp.path().join("none.sock"), "local.csv");
    assert!(csv.contains("外出务工（第3003版）"), "{csv}");
    let text = report(&tmp.path().join("none.sock"));
    assert!(text.contains("only_in_3003"), "{text}");
    // …or asks the store server, which sends the definitions it keeps.
    let socket = tmp.path().join("serve.sock");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_huitoukan"))
        .arg("serve")
        .arg("--db")
        .arg(&path)
        .arg("--socket")
        .arg(&socket)
        .env("HUITOUKAN_CONFIG", tmp.path().join("config"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = server.kill();
            let _ = server.wait();
            panic!("the server did not come up");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let served = std::panic::catch_unwind(|| (export(&socket, "served.csv"), report(&socket)));
    let _ = server.kill();
    let _ = server.wait();
    let (csv, text) = served.unwrap();
    assert!(csv.contains("外出务工（第3003版）"), "{csv}");
    assert!(text.contains("only_in_3003"), "{text}");
}

/// A format-1 store of `n` demo households, as the release before format 2
/// wrote it: made by this release, then its form records put back in the
/// version-2 layout (naming no form), the definitions and the records
/// digest dropped, `m/format` 1.
fn demo_format1_store(dir: &Path, n: usize) -> PathBuf {
    let made = dir.join("made");
    {
        let s = Store::open(&made).unwrap();
        huitoukan::demo::fill(&s, n, 5, |_| {}).unwrap();
        snapshot::save(&s, &dir.join("made.htksnap")).unwrap();
    }
    let path = dir.join("format1");
    let mut b = RawBuilder::create(&path).unwrap();
    for (t, k, v) in raw_entries(&dir.join("made.htksnap")) {
        let v = match &k[..2] {
            b"d/" => continue,
            b"f/" => {
                let f: FormRecord = codec::decode(&v).unwrap();
                let v2 = huitoukan::model::FormRecordV2::from(f);
                let mut bytes = b"HK\x02".to_vec();
                bytes.extend(postcard::to_allocvec(&v2).unwrap());
                bytes
            }
            _ if k == b"m/format" => 1u32.to_be_bytes().to_vec(),
            _ if k == b"m/records_digest" => continue,
            _ => v,
        };
        b.insert(&t, &k, &v).unwrap();
    }
    b.finish().unwrap();
    std::fs::remove_dir_all(&made).unwrap();
    path
}

/// The real binary opening a format-1 store (and so migrating it) is killed
/// with SIGKILL at moments spread over the snapshot and the migration; the
/// next open always ends with the whole store, migrated, reading back as it was.
#[test]
fn sigkill_during_the_migration_never_leaves_half_a_migrated_store() {
    let tmp = tempfile::tempdir().unwrap();
    let original = demo_format1_store(tmp.path(), 4000);
    // The format-1 store's entries, read with sled itself: opening it as a store would migrate it.
    let raw: Raw = {
        let db = sled::open(&original).unwrap();
        db.iter().map(|i| i.unwrap()).map(|(k, v)| (Vec::new(), k.to_vec(), v.to_vec())).collect()
    };
    let before = held(&raw);
    assert!(before.forms.len() > 2_000, "{} forms: a journaled migration", before.forms.len());
    let rounds: u64 = std::env::var("MIGRATION_KILL_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let spawn = |path: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_huitoukan"))
            .args(["report", "--db"])
            .arg(path)
            .arg("--socket")
            .arg(tmp.path().join("none.sock"))
            .env("HUITOUKAN_OPERATOR", "t")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // One run to the end gives the time the kills are spread over.
    let whole = {
        let path = tmp.path().join("calibrate");
        copy_dir(&original, &path);
        let started = std::time::Instant::now();
        assert!(spawn(&path).wait().unwrap().success());
        started.elapsed()
    };
    let mut outcomes = Vec::new();
    let mut rolled_back = 0;
    for round in 0..rounds {
        let path = tmp.path().join(format!("round{round}"));
        copy_dir(&original, &path);
        let mut child = spawn(&path);
        let delay = whole.mul_f64((round as f64 + 0.5) / rounds as f64);
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        outcomes.push(status.success());
        let s = Store::open(&path).unwrap_or_else(|e| panic!("round {round} (killed after {delay:?}): {e}"));
        rolled_back += usize::from(s.recovery_note().is_some());
        reads_back_identically(&s, &before);
    }
    eprintln!(
        "{rounds} rounds over {whole:?}: {} finished before the kill, {rolled_back} cut inside the migration's commit (put back at the next open)",
        outcomes.iter().filter(|x| **x).count()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The frozen record bytes of `tests/fixtures/v1` (see tests/format_fixture.rs),
/// put into a format-1 store as the release before format 2 kept them:
/// opened, the store migrates and reads every one of them back as it was.
#[test]
fn the_frozen_v1_record_bytes_in_a_format_1_store_migrate_and_read_back_identically() {
    let v1 = |name: &str| std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/v1/{name}.bin"))).unwrap();
    let key = |prefix: &[u8], k: u64| [prefix, &k.to_be_bytes()[..]].concat();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    {
        let mut b = RawBuilder::create(&path).unwrap();
        let mut put = |k: &[u8], v: &[u8]| b.insert(b"__sled__default", k, v).unwrap();
        put(b"m/format", &1u32.to_be_bytes());
        put(b"m/round", &v1("round"));
        put(b"m/next_key", &2u64.to_be_bytes());
        // The audit head of an empty log: next sequence 0, no hash yet.
        put(b"m/audit_head", &codec::encode(&(0u64, [0u8; 32])));
        put(&key(b"h/", 1), &v1("household"));
        put(&key(b"f/", 1), &v1("form_record"));
        put(&key(b"s/", 1), &v1("summary"));
        b.finish().unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.format(), STORE_FORMAT);
    let lb = s.get(1).unwrap().unwrap();
    assert_eq!(lb.household, codec::decode::<Household>(&v1("household")).unwrap());
    assert_eq!(lb.form, codec::decode::<FormRecord>(&v1("form_record")).unwrap());
    assert_eq!(lb.form.form, FormRef::look_back_2021());
    assert_eq!(s.summary(1).unwrap(), Some(codec::decode::<Summary>(&v1("summary")).unwrap()));
    assert_eq!(s.round(), &codec::decode::<huitoukan::form::Round>(&v1("round")).unwrap());
    // The form record is now written as version 3, the same record.
    let raw = std::cell::RefCell::new(None);
    s.for_each_raw::<huitoukan::store::StoreError>(|_, k, v| {
        if k == key(b"f/", 1).as_slice() {
            *raw.borrow_mut() = Some(v.to_vec());
        }
        Ok(())
    })
    .unwrap();
    let raw = raw.into_inner().unwrap();
    assert_eq!(&raw[..3], b"HK\x03");
    assert_eq!(codec::decode::<FormRecord>(&raw).unwrap(), lb.form);
    assert_eq!(s.definitions().unwrap(), vec![FormRef::look_back_2021()]);
}
