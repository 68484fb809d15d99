//! Report speed and memory on 22,000 and 1,000,000 demo households: the
//! shared stores of `benches/common` (`demo::fill`, seed 2021), read only.
//! `all` reads the per-village totals the store keeps; `all_by_scan` reads
//! every household as a store without them must (and as every report did
//! before them).
//!
//! ```sh
//! cargo bench --bench report                        # both sizes
//! HUITOUKAN_BENCH_1M=0 cargo bench --bench report   # 22,000 only
//! ```
//!
//! Generating the million-household store takes minutes; it is made once and
//! kept for every later run and bench (nothing large is committed). Run as a
//! test (`cargo test --benches`), only the 22,000-household store is used.
//!
//! Besides criterion's timings, each store's first full report prints the
//! peak resident memory while it ran (`VmHWM` after resetting it through
//! `/proc/self/clear_refs`), to show the report streams rather than collects.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use huitoukan::report::{self, Scope};
use huitoukan::store::Store;
use std::time::{Duration, Instant};

mod common;

struct Bench {
    store: Store,
    households: usize,
    township: String,
}

fn open(households: usize) -> Bench {
    let store = Store::open(&common::store_dir(households)).expect("open the bench store");
    assert_eq!(store.household_count().unwrap(), households);
    let township = store.township_names().expect("townships").into_iter().next().expect("a township");
    Bench { store, households, township }
}

/// One full report outside criterion: its time, peak memory, and output sizes.
fn measure_once(b: &Bench) {
    let before = common::status_kb("VmRSS:");
    let reset = common::reset_peak();
    let started = Instant::now();
    let r = report::compute(&b.store, &Scope::default()).expect("report");
    let took = started.elapsed();
    let peak = common::status_kb("VmHWM:");
    let text = r.to_text();
    let mut csv = Vec::new();
    r.write_csv(&mut csv).expect("csv");
    let json = serde_json::to_string_pretty(&r.to_json()).expect("json");
    assert_eq!(r.households, b.households);
    let mb = common::mb;
    eprintln!(
        "bench report: {} households: full report in {took:.2?}; resident {} before, peak {} during{}; \
         text {} lines, CSV {} kB, JSON {} kB",
        b.households,
        mb(before),
        mb(peak),
        if reset { "" } else { " (peak not resettable: includes generation)" },
        text.lines().count(),
        csv.len() / 1024,
        json.len() / 1024,
    );
}

fn run(c: &mut Criterion, b: &Bench, label: &str) {
    measure_once(b);
    let mut g = c.benchmark_group("report");
    if b.households > 100_000 {
        g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(30));
    }
    g.bench_function(BenchmarkId::new("all", label), |bench| {
        bench.iter(|| black_box(report::compute(&b.store, &Scope::default()).expect("report")))
    });
    // What every report did before the store kept per-village totals, and
    // still does on a store without them: every household read, its rules run.
    g.bench_function(BenchmarkId::new("all_by_scan", label), |bench| {
        bench.iter(|| black_box(report::compute_by_scan(&b.store, &Scope::default()).expect("report")))
    });
    let one = Scope { township: Some(b.township.clone()), village: None };
    g.bench_function(BenchmarkId::new("one_township", label), |bench| {
        bench.iter(|| black_box(report::compute(&b.store, &one).expect("report")))
    });
    let r = report::compute(&b.store, &Scope::default()).expect("report");
    g.bench_function(BenchmarkId::new("text_csv_json", label), |bench| {
        bench.iter(|| {
            let mut csv = Vec::new();
            r.write_csv(&mut csv).expect("csv");
            black_box((r.to_text(), csv, r.to_json()))
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    for n in common::sizes() {
        run(c, &open(n), &common::label(n));
    }
}

criterion_group!(report_benches, benches);
criterion_main!(report_benches);
