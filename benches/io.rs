//! Import, export and snapshots at a county's size (a 22,000-row roster, a
//! 22,000-household store) and a city's (1,000,000 households): the shared
//! demo stores of `benches/common`.
//!
//! ```sh
//! cargo bench --bench io                        # both sizes
//! HUITOUKAN_BENCH_1M=0 cargo bench --bench io   # 22,000 only
//! ```
//!
//! A roster is one county's, so at the city's size the import benches read
//! a 22,000-row roster into a scratch copy of the million-household store:
//! new households (the store grows by 22,000 each iteration, from 1.00 to
//! about 1.3 million over the run) and an unchanged re-import. A one-shot
//! import of a million-row roster is timed with the command line instead
//! (`scripts/bench-figures.sh`). Restoring and the Excel export at 1M are
//! timed once each (printed, not criterion), as ten samples would take
//! most of an hour.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use huitoukan::io::export::{self, Filter, Format};
use huitoukan::io::{import, snapshot};
use huitoukan::store::Store;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use common::{CITY, COUNTY};

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Times `f` once, printing its time and the peak resident memory it added.
fn once<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let before = common::status_kb("VmRSS:");
    let reset = common::reset_peak();
    let started = Instant::now();
    let out = f();
    eprintln!(
        "bench io one-shot: {what} in {:.2?}; resident {} before, peak {} during{}",
        started.elapsed(),
        common::mb(before),
        common::mb(common::status_kb("VmHWM:")),
        if reset { "" } else { " (peak not resettable)" }
    );
    out
}

fn county(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(common::scratch_root()).unwrap();
    let roster = dir.path().join("roster.csv");
    common::roster(&roster, 0, COUNTY, COUNTY);
    let store = Store::open(&common::store_dir(COUNTY)).unwrap();
    let snap = dir.path().join("db.htksnap");
    snapshot::save(&store, &snap).unwrap();

    let mut g = c.benchmark_group("io_22k");
    g.sample_size(10).measurement_time(Duration::from_secs(20));

    g.bench_function("import_roster_new_store", |b| {
        b.iter_batched(
            || {
                let d = tempfile::tempdir_in(dir.path()).unwrap();
                let store = Store::open(&d.path().join("db")).unwrap();
                (d, store)
            },
            |(d, store)| {
                let r = import::import(&store, &roster, "bench", false, &mut |_| {}).unwrap();
                assert_eq!(r.outcome.added, COUNTY);
                (d, store)
            },
            BatchSize::PerIteration,
        )
    });

    let again = tempfile::tempdir_in(dir.path()).unwrap();
    let known = Store::open(&again.path().join("db")).unwrap();
    import::import(&known, &roster, "bench", false, &mut |_| {}).unwrap();
    g.bench_function("reimport_roster_unchanged", |b| {
        b.iter(|| {
            let r = import::import(&known, &roster, "bench", false, &mut |_| {}).unwrap();
            assert_eq!(r.outcome.unchanged, COUNTY);
        })
    });
    drop(known);

    let out = dir.path().join("out");
    g.bench_function("export_csv", |b| {
        b.iter(|| export::export(&store, &out.with_extension("csv"), Format::Csv, &Filter::default(), &mut |_| {}).unwrap())
    });
    g.bench_function("export_xlsx", |b| {
        b.iter(|| export::export(&store, &out.with_extension("xlsx"), Format::Xlsx, &Filter::default(), &mut |_| {}).unwrap())
    });
    g.bench_function("snapshot_save", |b| b.iter(|| snapshot::save(&store, &out.with_extension("htksnap")).unwrap()));
    g.bench_function("snapshot_verify", |b| b.iter(|| snapshot::verify(&snap).unwrap()));
    g.bench_function("snapshot_restore_new_place", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(dir.path()).unwrap(),
            |d| {
                snapshot::restore(&snap, &d.path().join("db"), Default::default()).unwrap();
                d
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    eprintln!(
        "bench io 22k sizes: roster {} bytes, snapshot {} bytes, csv {} bytes, xlsx {} bytes",
        size(&roster),
        size(&snap),
        size(&out.with_extension("csv")),
        size(&out.with_extension("xlsx")),
    );
}

fn city(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(common::scratch_root()).unwrap();
    let out = dir.path().join("out");
    {
        // Reads only: the shared store itself.
        let store = Store::open(&common::store_dir(CITY)).unwrap();
        let mut g = c.benchmark_group("io_1m");
        g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(30));
        g.bench_function("export_csv", |b| {
            b.iter(|| export::export(&store, &out.with_extension("csv"), Format::Csv, &Filter::default(), &mut |_| {}).unwrap())
        });
        g.bench_function("snapshot_save", |b| b.iter(|| snapshot::save(&store, &out.with_extension("htksnap")).unwrap()));
        let snap = out.with_extension("htksnap");
        g.bench_function("snapshot_verify", |b| b.iter(|| snapshot::verify(&snap).unwrap()));
        g.finish();
        once("1m export_xlsx", || {
            export::export(&store, &out.with_extension("xlsx"), Format::Xlsx, &Filter::default(), &mut |_| {}).unwrap()
        });
        drop(store);
        let restored = dir.path().join("restored");
        once("1m snapshot_restore_new_place", || snapshot::restore(&snap, &restored, Default::default()).unwrap());
        let _ = std::fs::remove_dir_all(&restored);
        eprintln!(
            "bench io 1m sizes: snapshot {} bytes, csv {} bytes, xlsx {} bytes",
            size(&snap),
            size(&out.with_extension("csv")),
            size(&out.with_extension("xlsx")),
        );
    }

    // Writes: a scratch copy.
    let (_scratch, path) = common::scratch_copy(CITY);
    let store = Store::open(&path).unwrap();
    let unchanged = dir.path().join("roster-unchanged.csv");
    common::roster(&unchanged, 0, COUNTY, CITY);
    let mut g = c.benchmark_group("io_1m");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("reimport_22k_roster_unchanged", |b| {
        b.iter(|| {
            let r = import::import(&store, &unchanged, "bench", false, &mut |_| {}).unwrap();
            assert_eq!(r.outcome.unchanged, COUNTY);
        })
    });
    // Each iteration a new county's roster: 22,000 households the store does not hold.
    let mut next = CITY as u64;
    let fresh = dir.path().join("roster-new.csv");
    g.bench_function("import_22k_roster_new_households", |b| {
        b.iter_batched(
            || {
                common::roster(&fresh, next, COUNTY, CITY);
                next += COUNTY as u64;
            },
            |()| {
                let r = import::import(&store, &fresh, "bench", false, &mut |_| {}).unwrap();
                assert_eq!(r.outcome.added, COUNTY);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    eprintln!(
        "bench io 1m: the scratch store ends with {} households ({} imported by the new-households bench)",
        store.household_count().unwrap(),
        next as usize - CITY
    );
}

fn benches(c: &mut Criterion) {
    county(c);
    if common::million() {
        city(c);
    }
}

criterion_group!(io, benches);
criterion_main!(io);
