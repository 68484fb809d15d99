//! The store server against the store itself, on the shared 22,000 (and,
//! under `cargo bench`, 1,000,000) household demo stores of `benches/common`:
//!
//! - one durable draft save directly on the store, and through the socket
//!   (the server flushes before it answers; target: within 1.5×);
//! - `show`'s lookup through the server (the ID index, and a name scan);
//! - the app's start as a client: connect, load the summaries in scope,
//!   build the lists and draw the first 80×24 frame (target: ≤ 150 ms at 22,000);
//! - the app's find keystroke over the summaries it loaded (as in `benches/ui.rs`).
//!
//! The server runs in this process on a scratch copy; the direct saves use
//! another copy, so both write the same store shape.
//!
//! ```sh
//! HUITOUKAN_BENCH_1M=0 cargo bench --bench server
//! ```

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use huitoukan::backend::Backend;
use huitoukan::form::Value;
use huitoukan::model::{Answers, FormState};
use huitoukan::search::Query;
use huitoukan::server::{Client, Connect};
use huitoukan::store::Store;
use huitoukan::ui::keymap::Keymap;
use huitoukan::ui::terminal;
use huitoukan::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

fn answers(n: u64) -> Answers {
    let mut a = Answers::new();
    a.insert("D7".into(), Value::Text(format!("第{n}次保存：户主常年患病，收入主要靠务工和低保，两个孩子上学。")));
    a
}

fn connect(socket: &Path, store: &Path) -> Client {
    Client::connect(Connect {
        socket: socket.into(),
        store: store.into(),
        spawn: false,
        idle_exit: Duration::ZERO,
        operator: Some("bench".into()),
    })
    .expect("connect")
    .expect("the server answers")
}

fn run(c: &mut Criterion, n: usize) {
    let label = common::label(n);
    let big = n > 100_000;
    let (_a, served) = common::scratch_copy(n);
    let (_b, direct) = common::scratch_copy(n);
    let socket = served.with_file_name("bench.sock");
    let opts = huitoukan::server::Options {
        store: served.clone(),
        socket: socket.clone(),
        idle_exit: None,
        group: false,
        lease_idle: Duration::from_secs(900),
        backup: huitoukan::config::BackupPolicy { every_minutes: 0, keep: 1, on_exit: false },
    };
    let server = std::thread::spawn(move || huitoukan::server::serve(&opts).expect("serve"));
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not come up");
        std::thread::sleep(Duration::from_millis(10));
    }
    let client = connect(&socket, &served);
    let store = Store::open(&direct).expect("open the direct copy");
    let key = store.summaries().expect("summaries").into_iter().find(|s| s.state != FormState::Submitted).expect("a draft").key;

    let mut g = c.benchmark_group("server_save_draft_durable");
    let mut i = 0u64;
    g.bench_function(BenchmarkId::new("direct", &label), |b| {
        b.iter(|| {
            i += 1;
            store.save_draft(key, &answers(i), "bench").expect("save")
        })
    });
    g.bench_function(BenchmarkId::new("socket", &label), |b| {
        b.iter(|| {
            i += 1;
            client.save_draft(key, None, &answers(i)).expect("save")
        })
    });
    g.finish();
    drop(store);

    let sample = client.summary(key).expect("summary").expect("household");
    let mut g = c.benchmark_group("server_show_lookup");
    if big {
        g.sampling_mode(SamplingMode::Flat).sample_size(10);
    }
    let by_id = Query::parse(&sample.id_number).expect("query");
    g.bench_function(BenchmarkId::new("full_id", &label), |b| b.iter(|| black_box(client.find(&by_id, 20).expect("find"))));
    let by_name = Query::parse(&sample.head).expect("query");
    g.bench_function(BenchmarkId::new("name_scan", &label), |b| b.iter(|| black_box(client.find(&by_name, 20).expect("find"))));
    g.finish();

    let mut g = c.benchmark_group("server_app_first_frame");
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    g.bench_function(BenchmarkId::new("client", &label), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let c = connect(&socket, &served);
                let mut app = terminal::load(&c, Keymap::shipped(), Theme { ascii: false, color: true }).expect("load");
                app.resize(80, 24);
                let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
                term.draw(|f| huitoukan::ui::view::render(f, &app)).expect("draw");
                total += t.elapsed();
                drop(black_box((app, term, c)));
            }
            total
        })
    });
    g.finish();

    client.shutdown_server().expect("shut the server down");
    drop(client);
    server.join().expect("the server thread");
}

fn benches(c: &mut Criterion) {
    for n in common::sizes() {
        run(c, n);
    }
}

criterion_group! {
    name = server;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(server);
