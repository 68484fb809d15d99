//! What the benches share: the demo stores (generated once per size and
//! kept), the switch for the million-household runs, roster files, and
//! memory figures from `/proc/self/status`.
//!
//! Every bench includes this file with `mod common;` (cargo builds only
//! `benches/*.rs` as benches, so this directory is not one).
//!
//! The stores are `demo::fill` with seed [`SEED`] (what `huitoukan demo
//! --households N` makes), kept under `CARGO_TARGET_TMPDIR/bench-stores/`
//! with a marker file written only once a store is complete, so an
//! interrupted generation starts again and every bench of every later run
//! reuses it. The million-household store takes about ten minutes to
//! generate and about 2.2 GB of disk; delete the directory to get the space
//! back. Benches that write get a scratch copy ([`scratch_copy`]) so the
//! shared store stays as generated and figures do not depend on bench order.

#![allow(dead_code)]

use huitoukan::form::Round;
use huitoukan::io::sample;
use huitoukan::store::Store;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The demo seed of every shared store (also `huitoukan demo`'s default).
pub const SEED: u64 = 2021;
/// A county's monitored households; the size of a roster.
pub const COUNTY: usize = 22_000;
/// A large city's.
pub const CITY: usize = 1_000_000;

/// "22k" or "1m", for benchmark ids.
pub fn label(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}m", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// True under `cargo bench` (not `cargo test --benches`) unless
/// `HUITOUKAN_BENCH_1M=0`: run the million-household benches.
pub fn million() -> bool {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    benchmarking && std::env::var("HUITOUKAN_BENCH_1M").map_or(true, |v| v != "0")
}

/// The sizes to run: 22,000, and 1,000,000 when [`million`].
pub fn sizes() -> Vec<usize> {
    if million() {
        vec![COUNTY, CITY]
    } else {
        vec![COUNTY]
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-stores")
}

/// The shared demo store of `n` households, generated on first use and kept.
/// Open it only for reading (or take a [`scratch_copy`]).
pub fn store_dir(n: usize) -> PathBuf {
    let dir = root().join(format!("demo-{n}-seed{SEED}"));
    let done = dir.join("bench-complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&dir).expect("create the bench store");
        let started = Instant::now();
        huitoukan::demo::fill(&store, n, SEED, |k| {
            if k % 100_000 == 0 {
                eprintln!("bench: generated {k}/{n} households ({:.0?})", started.elapsed());
            }
        })
        .expect("fill the bench store");
        drop(store);
        // sled replays its log on the first open after the writes; not the app's cost.
        drop(Store::open(&dir).expect("reopen the bench store"));
        std::fs::write(&done, "").expect("mark the store complete");
        eprintln!("bench: {n} households generated in {:.1?} at {}", started.elapsed(), dir.display());
    }
    dir
}

/// A private copy of the shared store of `n` households, for benches that
/// write; removed with the returned directory. The store is `<dir>/db`.
pub fn scratch_copy(n: usize) -> (tempfile::TempDir, PathBuf) {
    let from = store_dir(n);
    let tmp = tempfile::tempdir_in(scratch_root()).expect("scratch directory");
    let to = tmp.path().join("db");
    let started = Instant::now();
    copy_dir(&from, &to);
    eprintln!("bench: copied the {} store in {:.1?}", label(n), started.elapsed());
    (tmp, to)
}

/// Scratch space beside the stores (same disk, not a tmpfs in memory).
pub fn scratch_root() -> PathBuf {
    let p = root().join("scratch");
    std::fs::create_dir_all(&p).expect("scratch root");
    p
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for e in std::fs::read_dir(from).expect("read the store directory").flatten() {
        let target = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_name() != "bench-complete" {
            std::fs::copy(e.path(), &target).expect("copy a store file");
        }
    }
}

/// Writes a roster CSV (as the sample writer does) of demo households
/// `first..first + rows` laid out over the places of an `of`-household
/// county (`demo::places(of, SEED)`): rows below `of` are households the
/// shared store of `of` already holds, unchanged; rows from `of` on are new.
pub fn roster(path: &Path, first: u64, rows: usize, of: usize) {
    let round = Round::default();
    let places = huitoukan::demo::places(of, SEED);
    let mut out = vec![sample::HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    out.extend((first..first + rows as u64).map(|i| sample::row(&huitoukan::demo::household(i, SEED, &places, &round))));
    std::fs::write(path, sample::csv(&out)).expect("write the roster");
}

/// A `/proc/self/status` figure in kB (Linux), e.g. `VmHWM:`.
pub fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `Some(kB)` as "123 MB", else "?".
pub fn mb(kb: Option<u64>) -> String {
    kb.map_or("?".to_string(), |k| format!("{:.0} MB", k as f64 / 1024.0))
}

/// Resets the peak-memory mark to the current resident size (Linux 4.0+).
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Bytes of every file under `path`.
pub fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
