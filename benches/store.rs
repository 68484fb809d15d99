//! Store speed at a county's and a city's scale: 22,000 and 1,000,000 demo
//! households (the shared stores of `benches/common`, seed 2021; this bench
//! writes, so it works on a scratch copy of each).
//!
//! ```sh
//! cargo bench --bench store                        # both sizes
//! HUITOUKAN_BENCH_1M=0 cargo bench --bench store   # 22,000 only
//! ```
//!
//! Measures what a clerk waits for: opening the store, saving one draft
//! durably (flushed to disk), opening one household with its form, listing
//! a village, and loading every summary by a scan of the store (the app
//! starts from a summary cache instead; see `benches/ui.rs`).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use huitoukan::form::Value;
use huitoukan::model::{FormState, Place};
use huitoukan::store::Store;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

/// Store::open alone, then closing it (not timed).
fn open_close(c: &mut Criterion, path: &Path, label: &str, big: bool) {
    let mut g = c.benchmark_group("store_open");
    if big {
        g.sampling_mode(SamplingMode::Flat).sample_size(10);
    }
    g.bench_function(BenchmarkId::new("open", label), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let store = Store::open(path).expect("open");
                total += t.elapsed();
                drop(black_box(store));
            }
            total
        })
    });
    g.finish();
}

fn run(c: &mut Criterion, n: usize) {
    let label = common::label(n);
    let big = n > 100_000;
    let (_scratch, path) = common::scratch_copy(n);
    open_close(c, &path, &label, big);

    let started = Instant::now();
    let store = Store::open(&path).expect("open the bench store");
    let opened_in = started.elapsed();
    let started = Instant::now();
    let summaries = store.summaries().expect("summaries");
    let scanned_in = started.elapsed();
    assert_eq!(summaries.len(), n);
    let mut villages: HashMap<&Place, usize> = HashMap::new();
    for s in &summaries {
        *villages.entry(&s.place).or_default() += 1;
    }
    let (largest, largest_size) =
        villages.iter().max_by_key(|(p, n)| (**n, std::cmp::Reverse(**p))).map(|(p, n)| ((*p).clone(), *n)).expect("at least one village");
    eprintln!(
        "bench store {label}: {n} households in {} villages, {:.1} MB on disk; opened in {opened_in:.1?}, \
         summaries scanned in {scanned_in:.1?}; largest village {}{} has {largest_size} households",
        villages.len(),
        common::dir_size(&path) as f64 / 1e6,
        largest.township,
        largest.village,
    );

    let mut g = c.benchmark_group("store");
    if big {
        g.sample_size(20);
    }

    // A household in draft: every iteration flips B1 so every save really
    // writes (an unchanged draft returns early) and flushes.
    let draft = summaries.iter().find(|s| s.state == FormState::Draft).expect("a draft in the demo data").key;
    let mut answers = store.get(draft).expect("get").expect("the draft household").form.answers;
    let mut yes = matches!(answers.get("B1"), Some(Value::Bool(true)));
    // Demo records may hold blank answers that the first save drops; save once so each timed save changes B1 only.
    store.save_draft(draft, &answers, "bench").expect("save_draft");
    g.bench_function(BenchmarkId::new("save_draft_durable", &label), |b| {
        b.iter(|| {
            yes = !yes;
            answers.insert("B1".into(), Value::Bool(yes));
            let changed = store.save_draft(draft, &answers, "bench").expect("save_draft");
            assert_eq!(changed, 1);
        })
    });

    // Households in a scattered order, as a clerk moves through lists.
    let keys: Vec<u64> = summaries.iter().map(|s| s.key).collect();
    drop(villages);
    drop(summaries);
    let mut i = 0usize;
    g.bench_function(BenchmarkId::new("get_household_with_form", &label), |b| {
        b.iter(|| {
            i = (i + 7_919) % keys.len();
            black_box(store.get(keys[i]).expect("get").expect("household"))
        })
    });

    g.bench_function(BenchmarkId::new(format!("village_largest_{largest_size}"), &label), |b| {
        b.iter(|| {
            let list = store.village(&largest).expect("village");
            assert_eq!(list.len(), largest_size);
            black_box(list)
        })
    });

    // The demo's villages stay under 200; grow the largest one to 200 (this
    // is a scratch copy) for the foundation issue's "a village of 200".
    let round = store.round().clone();
    let places = vec![(largest.township.clone(), vec![largest.village.clone()])];
    let extra: Vec<_> = (0..200usize.saturating_sub(largest_size))
        .map(|j| huitoukan::demo::household((n + j) as u64, common::SEED, &places, &round))
        .collect();
    store.insert_records(&extra, "bench", "bench: a village of 200").expect("grow the village");
    g.bench_function(BenchmarkId::new("village_of_200", &label), |b| {
        b.iter(|| {
            let list = store.village(&largest).expect("village");
            assert_eq!(list.len(), 200);
            black_box(list)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("store");
    if big {
        g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(20));
    }
    g.bench_function(BenchmarkId::new("summaries_scan_all", &label), |b| b.iter(|| black_box(store.summaries().expect("summaries"))));
    g.finish();
}

fn store_benches(c: &mut Criterion) {
    for n in common::sizes() {
        run(c, n);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    targets = store_benches
}
criterion_main!(benches);
