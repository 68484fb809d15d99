//! The app's speed on 22,000 and 1,000,000 demo households (`demo::fill`,
//! seed 2021): from opening the store to the first full frame, one
//! keystroke in the store-wide find box, and one frame.
//!
//! ```sh
//! cargo bench --bench ui                        # both sizes
//! HUITOUKAN_BENCH_1M=0 cargo bench --bench ui   # 22,000 only
//! ```
//!
//! The stores are the shared ones of `benches/common` (generated once and
//! kept under `target/tmp/bench-stores/`; the million-household one takes
//! about ten minutes and 2.2 GB of disk). Nothing large is committed. Run as
//! a test (`cargo test --benches`), only the 22,000-household store is used.
//!
//! Targets (issue 4): first frame under 0.3 s / 3 s, a find keystroke under
//! 10 ms / 100 ms. `first_frame` opens with the summary cache the app keeps
//! beside the store; the first open of a new store has no cache and scans
//! instead, which is timed once per run and printed ("cold").

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use huitoukan::store::browse::SUMMARY_CACHE;
use huitoukan::store::Store;
use huitoukan::ui::app::{self, App};
use huitoukan::ui::keymap::{Key, Keymap};
use huitoukan::ui::terminal;
use huitoukan::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

fn theme() -> Theme {
    Theme { ascii: false, color: true }
}

/// Open → load → first frame at 80×24; returned so that drops are not timed.
fn first_frame(dir: &Path) -> (huitoukan::backend::Local, App, Terminal<TestBackend>) {
    let store = huitoukan::backend::Local::new(Store::open(dir).expect("open"), "bench");
    let mut app = terminal::load(&store, Keymap::shipped(), theme()).expect("load");
    app.resize(80, 24);
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    t.draw(|f| huitoukan::ui::view::render(f, &app)).expect("draw");
    (store, app, t)
}

fn press(app: &mut App, key: &str) {
    app::handle_key(app, Key::parse(key).expect("key").to_event());
}

/// A typed character as the terminal delivers it (the app's only text path).
fn char_key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c))
}

/// Times typing `typed` into the store-wide find box holding `before`;
/// the deletion after each is not timed.
fn keystroke(c: &mut Criterion, name: &str, label: &str, app: &mut App, before: &str, typed: char, big: bool) {
    press(app, "esc");
    press(app, "ctrl-f");
    for ch in before.chars() {
        app::handle_key(app, char_key(ch));
    }
    let mut g = c.benchmark_group("ui_find_keystroke");
    if big {
        g.sample_size(20);
    }
    g.bench_function(BenchmarkId::new(name, label), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                app::handle_key(app, char_key(typed));
                total += t.elapsed();
                black_box(app.list.rows.len());
                press(app, "backspace");
            }
            total
        })
    });
    g.finish();
    press(app, "esc");
}

/// Where the app's memory goes, step by step from opening to the first
/// frame (resident MB after each step, and what the step added), printed
/// once. Meaningful only as differences: earlier steps of the run stay
/// partly resident (the allocator keeps what it was given).
fn memory_steps(dir: &Path, label: &str) {
    let rss = || common::status_kb("VmRSS:").unwrap_or(0) / 1024;
    let mut last = rss();
    let mut line = format!("bench ui {label}: resident MB at start {last}");
    let mut step = |what: &str| {
        let now = rss();
        line += &format!(", {what} {now} (+{})", now as i64 - last as i64);
        last = now;
    };
    let store = Store::open(dir).expect("open");
    step("store open");
    let (summaries, source) = store.load_summaries().expect("summaries");
    step(&format!("summaries loaded ({source:?})"));
    let mut app = App::new(summaries, store.round().clone(), Keymap::shipped(), theme());
    step("app and find index built");
    app.resize(80, 24);
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    t.draw(|f| huitoukan::ui::view::render(f, &app)).expect("draw");
    step("first frame drawn");
    drop((t, app, store));
    eprintln!("{line}");
}

fn run(c: &mut Criterion, n: usize, label: &str) {
    let dir = common::store_dir(n);
    let big = n > 100_000;

    // Cold: no summary cache (the first start on a store), once.
    let _ = std::fs::remove_file(dir.join(SUMMARY_CACHE));
    let started = Instant::now();
    let (store, app, _) = first_frame(&dir);
    let cold = started.elapsed();
    store.store().write_summary_cache(&app.summaries).expect("write the cache");
    drop((store, app));
    memory_steps(&dir, label);
    let started = Instant::now();
    let (store, mut app, _) = first_frame(&dir);
    eprintln!(
        "bench ui {label}: first frame cold (scan, no cache) {cold:.2?}, with cache {:.2?}; resident {} MB (peak {} MB)",
        started.elapsed(),
        common::status_kb("VmRSS:").unwrap_or(0) / 1024,
        common::status_kb("VmHWM:").unwrap_or(0) / 1024
    );
    drop(store);

    let mut g = c.benchmark_group("ui_first_frame");
    if big {
        g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(40));
    }
    g.bench_function(BenchmarkId::new("open_load_draw", label), |b| {
        // One store open at a time (it is locked); closing it is not timed.
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let opened = first_frame(&dir);
                total += t.elapsed();
                drop(black_box(opened));
            }
            total
        })
    });
    g.finish();

    // A name's first letter (a full scan), the second letter (within the
    // first's results), a 汉字 (name or address text, a full scan), and the
    // fourth digit of an ID's tail (a full scan: digits do not narrow).
    let id = app.summaries[n / 2].id_number.clone();
    let tail: Vec<char> = id[id.len() - 4..].chars().collect();
    keystroke(c, "first_letter_z", label, &mut app, "", 'z', big);
    keystroke(c, "second_letter_zh", label, &mut app, "z", 'h', big);
    keystroke(c, "hanzi_shi", label, &mut app, "", '石', big);
    let before: String = tail[..3].iter().collect();
    keystroke(c, "fourth_id_digit", label, &mut app, &before, tail[3], big);

    // One frame of the main screen, in a village and with every household listed.
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    let mut g = c.benchmark_group("ui_frame");
    for (name, keys) in [("village_step", &["tab"][..]), ("all_households_step", &["shift-tab", "home", "tab"][..])] {
        for k in keys {
            press(&mut app, k);
        }
        g.bench_function(BenchmarkId::new(name, label), |b| {
            let mut down = true;
            b.iter(|| {
                press(&mut app, if down { "j" } else { "k" });
                down = !down;
                t.draw(|f| huitoukan::ui::view::render(f, &app)).expect("draw");
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    for n in common::sizes() {
        run(c, n, &common::label(n));
    }
}

criterion_group!(ui_benches, benches);
criterion_main!(ui_benches);
