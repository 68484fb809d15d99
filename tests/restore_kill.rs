//! A snapshot restore killed (SIGKILL) at any moment leaves a store that
//! opens as the old one entirely or the new one entirely, with its audit
//! chain intact; what an interrupted restore leaves beside the store is
//! finished or cleared by the next open.
//!
//! The real binary restores a snapshot of one demo store over another of a
//! different size and content, and is killed at seeded random moments
//! spread over the whole restore, plus very early and just before the end.
//! After each kill `huitoukan audit verify` must succeed, and the library
//! must find exactly the old or the new summaries.

mod support;

use huitoukan::demo::Rng;
use huitoukan::model::Summary;
use huitoukan::store::{bulk, Store};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::copy_dir;

const OLD: usize = 300;
const NEW: usize = 8_000;
const SEED: u64 = 20_240_611;
/// Random rounds on top of the fixed early and late ones.
const RANDOM_ROUNDS: usize = 8;

fn bin(db: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huitoukan"));
    cmd.arg("--db").arg(db).env("HUITOUKAN_HOME", home).env("HUITOUKAN_CONFIG", home).stdin(Stdio::null());
    cmd
}

fn ok(out: Output, what: &str) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: {:?}\n{text}", out.status);
    text
}

/// Summaries and audit length of a store, opened and closed again.
fn contents(db: &Path) -> (Vec<Summary>, u64) {
    let store = Store::open(db).unwrap_or_else(|e| panic!("{} does not open: {e}", db.display()));
    let check = store.verify_audit().unwrap();
    assert_eq!(check.first_broken, None, "audit chain of {}", db.display());
    (store.summaries().unwrap(), check.entries)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Old,
    New,
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// When a round kills the restore.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// This long after the start.
    At(Duration),
    /// As soon as the new store is being built beside the old one.
    Building,
    /// As soon as the new store is complete (its marker is written), just before the swap.
    Complete,
    /// As soon as the old store has been moved aside, between the two renames.
    MovedAside,
}

fn restore(db: &Path, home: &Path, snap: &Path) -> std::process::Child {
    bin(db, home).arg("snapshot").arg("restore").arg(snap).arg("--yes").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

/// Whether the restore at `db` has reached the point `kill` waits for.
fn reached(kill: Kill, db: &Path, started: Instant) -> bool {
    let staging = bulk::staging_path(db);
    match kill {
        Kill::At(at) => started.elapsed() >= at,
        Kill::Building => staging.exists(),
        Kill::Complete => staging.join(bulk::RESTORE_MARKER).exists(),
        Kill::MovedAside => !db.exists(),
    }
}

/// Runs the restore and kills it at `kill` (or lets it finish, if it
/// finishes first); returns how long it ran.
fn run_and_kill(db: &Path, home: &Path, snap: &Path, kill: Kill) -> (Duration, Option<std::process::ExitStatus>) {
    let started = Instant::now();
    let mut child = restore(db, home, snap);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (started.elapsed(), Some(status));
        }
        if reached(kill, db, started) {
            let _ = child.kill();
            let _ = child.wait();
            return (started.elapsed(), None);
        }
        if matches!(kill, Kill::At(_)) {
            std::thread::sleep(Duration::from_micros(500));
        } else {
            std::thread::yield_now();
        }
    }
}

#[test]
fn restore_killed_at_any_moment_leaves_the_old_or_the_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let home = root.join("home");
    let pristine = root.join("old");
    let source = root.join("source");
    let snap = root.join("new.htksnap");
    ok(bin(&pristine, &home).args(["demo", "--households", &OLD.to_string(), "--seed", "5"]).output().unwrap(), "demo old");
    ok(bin(&source, &home).args(["demo", "--households", &NEW.to_string(), "--seed", "6"]).output().unwrap(), "demo new");
    ok(bin(&source, &home).arg("snapshot").arg("save").arg(&snap).output().unwrap(), "snapshot save");
    let old = contents(&pristine);
    let new = contents(&source);
    assert_eq!((old.0.len(), new.0.len()), (OLD, NEW));

    // An uninterrupted restore, timed.
    let full = root.join("full");
    copy_dir(&pristine, &full.join("db"));
    let (whole, status) = run_and_kill(&full.join("db"), &home, &snap, Kill::At(Duration::from_secs(600)));
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    assert!(contents(&full.join("db")) == new, "the restored store is the snapshot's");

    let mut rng = Rng::new(SEED);
    let ms = |d: Duration| d.as_millis() as u64;
    let mut kills: Vec<Kill> = [0, 2, 15].map(|ms| Kill::At(Duration::from_millis(ms))).to_vec();
    kills.extend([Kill::Building, Kill::Complete, Kill::MovedAside]);
    kills.extend([40, 15, 5].map(|before| Kill::At(whole.saturating_sub(Duration::from_millis(before)))));
    kills.extend((0..RANDOM_ROUNDS).map(|_| Kill::At(Duration::from_millis(rng.below(ms(whole) * 5 / 4 + 1)))));
    let mut found = Vec::new();
    for (i, kill) in kills.iter().enumerate() {
        let place = root.join(format!("round{i}"));
        let db = place.join("db");
        copy_dir(&pristine, &db);
        let (ran, finished) = run_and_kill(&db, &home, &snap, *kill);
        let left_before = names(&place);

        // The command line opens it and finds the audit chain whole.
        let out = ok(bin(&db, &home).args(["audit", "verify"]).output().unwrap(), &format!("round {i}: audit verify"));
        assert!(out.contains("审计日志完整"), "round {i}: {out}");
        let now = contents(&db);
        let what = if now == old {
            Found::Old
        } else if now == new {
            Found::New
        } else {
            panic!("round {i} ({kill:?}): {} households, {} audit entries: neither the old store nor the new", now.0.len(), now.1);
        };
        // Nothing half-done is left beside it: no staging, and a kept old store is whole.
        let left = names(&place);
        assert!(!bulk::staging_path(&db).exists(), "round {i}: staging left after open: {left:?} (before open: {left_before:?})");
        for kept in left.iter().filter(|n| n.starts_with("db.before-restore-")) {
            assert_eq!(what, Found::New, "round {i}: an old store kept aside, but the old one is in place: {left:?}");
            assert!(contents(&place.join(kept)) == old, "round {i}: the kept store is the old one");
        }
        assert!(left.iter().all(|n| n == "db" || n.starts_with("db.before-restore-")), "round {i}: {left:?}");
        let how = match finished {
            Some(status) => format!("finished first ({status})"),
            None => "killed".to_string(),
        };
        eprintln!("round {i}: {kill:?}, {how} after {ran:?}: {what:?}; beside the store before the open: {left_before:?}");
        found.push(what);
        std::fs::remove_dir_all(&place).unwrap();
    }
    eprintln!("whole restore {whole:?}: {found:?}");
    assert_eq!(found[0], Found::Old, "killed at once, nothing changed");
}
