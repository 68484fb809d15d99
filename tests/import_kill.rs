//! An import killed (SIGKILL) at any moment leaves the store as it was
//! before or completely imported, never partly: the real binary imports a
//! large generated roster and is killed while reading and while writing,
//! at fixed moments and at seeded random ones. A longer run:
//! `IMPORT_KILL_ROUNDS=60 cargo test --release --test import_kill`.

mod support;

use huitoukan::io::sample;
use huitoukan::store::Store;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::copy_dir;

const ROWS: usize = 10_000;
/// Households already in the store, with a size the roster will change.
const KNOWN: usize = 200;
const OLD_SIZE: i64 = 20;
/// Kills at random moments, on top of the fixed ones (`IMPORT_KILL_ROUNDS`
/// and `IMPORT_KILL_SEED` change them for a longer run).
const RANDOM_ROUNDS: usize = 5;
const RANDOM_SEED: u64 = 4_553;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn import(db: &Path, roster: &Path, dry_run: bool) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huitoukan"));
    cmd.arg("import").arg(roster).arg("--db").arg(db);
    if dry_run {
        cmd.arg("--dry-run");
    }
    cmd.env("HUITOUKAN_HOME", db.with_extension("home")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

fn timed(db: &Path, roster: &Path, dry_run: bool) -> Duration {
    let start = Instant::now();
    let status = import(db, roster, dry_run).wait().unwrap();
    assert_eq!(status.code(), Some(0));
    start.elapsed()
}

#[derive(Debug, PartialEq, Eq)]
enum Found {
    Unchanged,
    /// Unchanged because the open put back a commit that was cut short.
    RolledBack,
    Complete,
}

/// The store after a kill: exactly as before, or completely imported.
fn inspect(db: &Path, ids: &[String], new_sizes: &[i64]) -> Found {
    let store = Store::open(db).expect("the store opens after a kill");
    let summaries = store.summaries().expect("every summary decodes");
    assert_eq!(store.verify_audit().unwrap().first_broken, None);
    let n = store.household_count().unwrap();
    assert_eq!(summaries.len(), n);
    let sizes: Vec<i64> =
        ids[..KNOWN].iter().map(|id| store.get(store.key_of(id).unwrap().unwrap()).unwrap().unwrap().household.a.size).collect();
    let rolled_back = store.recovery_note().is_some();
    if n == KNOWN {
        assert!(sizes.iter().all(|s| *s == OLD_SIZE), "known households changed without the rest");
        if rolled_back {
            Found::RolledBack
        } else {
            Found::Unchanged
        }
    } else {
        assert_eq!(n, ROWS, "a partial import: {n} households");
        assert!(!rolled_back, "a complete import was rolled back");
        assert_eq!(sizes, new_sizes[..KNOWN]);
        for id in ids.iter().step_by(97) {
            assert!(store.key_of(id).unwrap().is_some(), "{id} missing");
        }
        Found::Complete
    }
}

#[test]
fn import_killed_at_any_moment_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rows = sample::rows(ROWS, 11);
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, sample::csv(&rows)).unwrap();
    let ids: Vec<String> = rows[1..].iter().map(|r| r[4].clone()).collect();
    let new_sizes: Vec<i64> = rows[1..].iter().map(|r| r[5].parse().unwrap()).collect();

    // The store before: the first households, with another size.
    let mut known = rows[..=KNOWN].to_vec();
    for r in &mut known[1..] {
        r[5] = OLD_SIZE.to_string();
    }
    let known_csv = dir.path().join("known.csv");
    std::fs::write(&known_csv, sample::csv(&known)).unwrap();
    let pristine = dir.path().join("pristine");
    timed(&pristine, &known_csv, false);
    assert_eq!(inspect(&pristine, &ids, &new_sizes), Found::Unchanged);

    // How long reading takes (a dry run) and how long the whole import takes.
    let scratch = dir.path().join("scratch");
    copy_dir(&pristine, &scratch);
    let reading = timed(&scratch, &roster, true);
    let whole = timed(&scratch, &roster, false);
    assert_eq!(inspect(&scratch, &ids, &new_sizes), Found::Complete);
    let writing = whole.saturating_sub(reading);

    // Kill while reading, at moments spread over the writing (the undo
    // journal, then the writes), and close to the end, where the flag that
    // commits them is cleared.
    let mut moments = vec![reading / 3, reading * 4 / 5];
    moments.extend((0..4).map(|k| reading + writing * k / 4));
    moments.extend([400, 200, 100, 50, 20].map(|ms| whole.saturating_sub(Duration::from_millis(ms))));
    // And at seeded random moments over the whole import (and a little past it).
    let mut rng = huitoukan::demo::Rng::new(env_or("IMPORT_KILL_SEED", RANDOM_SEED));
    let whole_ms = whole.as_millis() as u64;
    moments.extend((0..env_or("IMPORT_KILL_ROUNDS", RANDOM_ROUNDS)).map(|_| Duration::from_millis(rng.below(whole_ms * 11 / 10 + 1))));
    let mut found = Vec::new();
    for (i, at) in moments.iter().enumerate() {
        let db = dir.path().join(format!("run{i}"));
        copy_dir(&pristine, &db);
        let mut child = import(&db, &roster, false);
        std::thread::sleep(*at);
        let _ = child.kill();
        let _ = child.wait();
        found.push(inspect(&db, &ids, &new_sizes));
        std::fs::remove_dir_all(&db).unwrap();
    }
    eprintln!("reading {reading:?}, whole {whole:?}; after kills at {moments:?}: {found:?}");
    assert!(found.contains(&Found::Unchanged), "killed while reading must leave the store unchanged");
}
