//! Store speed at the city's scale: 22,000 demo households (`demo::fill`,
//! seed 7) in a temporary directory, created once per run.
//!
//! ```sh
//! cargo bench --bench store
//! ```
//!
//! Measures what a clerk waits for: saving one draft durably (flushed to
//! disk), opening one household with its form, listing a village, and
//! loading every summary (the township/village tree and search start there).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use huitoukan::demo;
use huitoukan::form::Value;
use huitoukan::model::{FormState, Place};
use huitoukan::store::Store;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const HOUSEHOLDS: usize = 22_000;
const SEED: u64 = 7;

fn dir_size(path: &std::path::Path) -> u64 {
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

fn store_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("store");
    let store = Store::open(&path).expect("open the bench store");
    let started = Instant::now();
    demo::fill(&store, HOUSEHOLDS, SEED, |_| {}).expect("fill the demo store");
    let filled_in = started.elapsed();

    let summaries = store.summaries().expect("summaries");
    assert_eq!(summaries.len(), HOUSEHOLDS);
    let mut villages: HashMap<&Place, usize> = HashMap::new();
    for s in &summaries {
        *villages.entry(&s.place).or_default() += 1;
    }
    let (largest, largest_size) = villages
        .iter()
        .max_by_key(|(p, n)| (**n, std::cmp::Reverse(**p)))
        .map(|(p, n)| ((*p).clone(), *n))
        .expect("at least one village");
    eprintln!(
        "bench store: {HOUSEHOLDS} households in {} villages, filled in {:.1?}, {:.1} MB on disk at {}; \
         largest village {}{} has {largest_size} households",
        villages.len(),
        filled_in,
        dir_size(&path) as f64 / 1e6,
        path.display(),
        largest.township,
        largest.village,
    );

    let mut g = c.benchmark_group("store_22000");

    // A household in draft: every iteration flips B1 so every save really
    // writes (an unchanged draft returns early) and flushes.
    let draft = summaries.iter().find(|s| s.state == FormState::Draft).expect("a draft in the demo data").key;
    let mut answers = store.get(draft).expect("get").expect("the draft household").form.answers;
    let mut yes = matches!(answers.get("B1"), Some(Value::Bool(true)));
    // Demo records may hold blank answers that the first save drops; save once so each timed save changes B1 only.
    store.save_draft(draft, &answers, "bench").expect("save_draft");
    g.bench_function("save_draft_durable", |b| {
        b.iter(|| {
            yes = !yes;
            answers.insert("B1".into(), Value::Bool(yes));
            let changed = store.save_draft(draft, &answers, "bench").expect("save_draft");
            assert_eq!(changed, 1);
        })
    });

    // Households in a scattered order, as a clerk moves through lists.
    let keys: Vec<u64> = summaries.iter().map(|s| s.key).collect();
    let mut i = 0usize;
    g.bench_function("get_household_with_form", |b| {
        b.iter(|| {
            i = (i + 7_919) % keys.len();
            black_box(store.get(keys[i]).expect("get").expect("household"))
        })
    });

    g.bench_function(format!("village_largest_{largest_size}"), |b| {
        b.iter(|| {
            let list = store.village(&largest).expect("village");
            assert_eq!(list.len(), largest_size);
            black_box(list)
        })
    });

    g.bench_function("summaries_all_22000", |b| {
        b.iter(|| black_box(store.summaries().expect("summaries")))
    });
    g.finish();
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
