//! Report speed and memory on 22,000 and 1,000,000 demo households
//! (`demo::fill`, seed 7, each in a temporary directory).
//!
//! ```sh
//! cargo bench --bench report                        # both sizes
//! HUITOUKAN_BENCH_1M=0 cargo bench --bench report   # 22,000 only
//! ```
//!
//! Generating the million-household store takes minutes; it is made once per
//! run and every benchmark of the run reuses it (nothing is kept between
//! runs, and nothing large is committed). Run as a test (`cargo test
//! --benches`), only the 22,000-household store is made.
//!
//! Besides criterion's timings, each store's first full report prints the
//! peak resident memory while it ran (`VmHWM` after resetting it through
//! `/proc/self/clear_refs`), to show the report streams rather than collects.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use huitoukan::report::{self, Scope};
use huitoukan::store::Store;
use std::time::{Duration, Instant};

const SEED: u64 = 7;

/// A `/proc/self/status` figure in kB (Linux), e.g. `VmHWM`.
fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak-memory mark to the current resident size (Linux 4.0+).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Bench {
    _dir: tempfile::TempDir,
    store: Store,
    households: usize,
    township: String,
}

fn make(households: usize) -> Bench {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Store::open(&dir.path().join("store")).expect("open the bench store");
    let started = Instant::now();
    huitoukan::demo::fill(&store, households, SEED, |done| {
        if done % 100_000 == 0 {
            eprintln!("bench report: generated {done}/{households} households ({:.0?})", started.elapsed());
        }
    })
    .expect("fill the demo store");
    eprintln!("bench report: {households} households generated in {:.1?}", started.elapsed());
    let township = store.township_names().expect("townships").into_iter().next().expect("a township");
    Bench { _dir: dir, store, households, township }
}

/// One full report outside criterion: its time, peak memory, and output sizes.
fn measure_once(b: &Bench) {
    let before = status_kb("VmRSS:");
    let reset = reset_peak();
    let started = Instant::now();
    let r = report::compute(&b.store, &Scope::default()).expect("report");
    let took = started.elapsed();
    let peak = status_kb("VmHWM:");
    let text = r.to_text();
    let mut csv = Vec::new();
    r.write_csv(&mut csv).expect("csv");
    let json = serde_json::to_string_pretty(&r.to_json()).expect("json");
    assert_eq!(r.households, b.households);
    let mb = |kb: Option<u64>| kb.map_or("?".to_string(), |k| format!("{:.0} MB", k as f64 / 1024.0));
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
        g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(120));
    }
    g.bench_function(BenchmarkId::new("all", label), |bench| {
        bench.iter(|| black_box(report::compute(&b.store, &Scope::default()).expect("report")))
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
    run(c, &make(22_000), "22k");
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let million = std::env::var("HUITOUKAN_BENCH_1M").map_or(true, |v| v != "0");
    if benchmarking && million {
        run(c, &make(1_000_000), "1m");
    }
}

criterion_group!(report_benches, benches);
criterion_main!(report_benches);
