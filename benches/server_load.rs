//! Load on the store server: headless clients doing a clerk's mix against
//! the 22,000-household demo store for a while, then a check that nothing
//! acknowledged was lost and no update was lost.
//!
//! ```sh
//! cargo bench --bench server_load                              # 50 clients, 60 s
//! LOAD_CLIENTS=200 LOAD_SECONDS=60 cargo bench --bench server_load
//! LOAD_FINDS=0 cargo bench --bench server_load                 # without the finds
//! ```
//!
//! The server is the real binary (`huitoukan serve`) on a scratch copy of
//! the store, so its peak memory is its own (VmHWM). Each client works on
//! households of its own (as clerks of different villages do) and, in a
//! loop: opens a form and saves a field (durably, with the answers its
//! screen was based on), browses (a summary), finds (by name, through the
//! server), reads a household's history, and now and then submits a
//! complete form and reopens it. Every acknowledged save's counter is
//! remembered; at the end every household must hold exactly its client's
//! last acknowledged counter.

use huitoukan::backend::Backend;
use huitoukan::demo::Rng;
use huitoukan::form::Value;
use huitoukan::model::{Answers, FormState};
use huitoukan::search::Query;
use huitoukan::server::{Client, Connect};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

/// A complete, submittable not-eliminated answer set carrying `counter` in D7.
fn answers(counter: u64) -> Answers {
    huitoukan::demo::submittable_answers(&format!("counter={counter:012} 户主患慢性病，每月自付医药费约六百元，收入主要靠务工。"))
}

fn counter_of(a: &Answers) -> Option<u64> {
    match a.get("D7") {
        Some(Value::Text(t)) => t.strip_prefix("counter=")?.get(..12)?.parse().ok(),
        _ => None,
    }
}

fn connect(socket: &Path, who: &str) -> Client {
    Client::connect(Connect {
        socket: socket.into(),
        store: PathBuf::new(),
        spawn: false,
        idle_exit: Duration::ZERO,
        operator: Some(who.into()),
    })
    .expect("connect")
    .expect("the server answers")
}

#[derive(Default)]
struct Tally {
    saves: Vec<Duration>,
    finds: usize,
    browses: usize,
    histories: usize,
    submits: usize,
    conflicts: usize,
    errors: Vec<String>,
    last: HashMap<u64, u64>,
}

fn clerk(socket: &Path, id: usize, keys: Vec<u64>, deadline: Instant, names: Vec<String>) -> Tally {
    // LOAD_FINDS=0 leaves the finds out (they browse instead), to see the save path alone.
    let finds = std::env::var("LOAD_FINDS").map_or(true, |v| v != "0");
    let c = connect(socket, &format!("负载{id}"));
    let mut rng = Rng::new(id as u64 + 1);
    let mut t = Tally::default();
    let mut counter = (id as u64 + 1) * 1_000_000;
    while Instant::now() < deadline {
        let key = keys[rng.below(keys.len() as u64) as usize];
        match rng.below(100) {
            0..=59 => {
                let opened = match c.open_form(key) {
                    Ok(o) => o,
                    Err(e) => {
                        t.errors.push(e.to_string());
                        continue;
                    }
                };
                let base = opened.record.form.answers.clone();
                if opened.record.form.state == FormState::Submitted {
                    if let Err(e) = c.reopen(key) {
                        t.errors.push(e.to_string());
                        continue;
                    }
                }
                counter += 1;
                let now = c.get(key).ok().flatten().map(|lb| lb.form.answers).unwrap_or(base);
                let started = Instant::now();
                // Only a not-eliminated household's form is complete with these answers.
                let submit = rng.below(20) == 0 && opened.record.household.a.eliminated.is_none();
                let r = if submit {
                    c.submit(key, Some(&now), &answers(counter), &[])
                } else {
                    c.save_draft(key, Some(&now), &answers(counter)).map(|_| ())
                };
                match r {
                    Ok(()) => {
                        t.saves.push(started.elapsed());
                        t.last.insert(key, counter);
                        t.submits += usize::from(submit);
                    }
                    Err(huitoukan::store::StoreError::Conflict(_)) => t.conflicts += 1,
                    Err(e) => t.errors.push(e.to_string()),
                }
                let _ = c.close_form(key);
            }
            60..=79 if finds => {
                let name = &names[rng.below(names.len() as u64) as usize];
                if let Some(q) = Query::parse(name) {
                    let _ = c.find(&q, 20);
                    t.finds += 1;
                }
            }
            60..=94 => {
                let _ = c.summary(key);
                t.browses += 1;
            }
            _ => {
                let _ = c.history(key);
                t.histories += 1;
            }
        }
    }
    t
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:").and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())))
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches` builds it; only `cargo bench` runs it.
    }
    let clients: usize = std::env::var("LOAD_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let seconds: u64 = std::env::var("LOAD_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let (_scratch, store) = common::scratch_copy(common::COUNTY);
    let socket = store.with_file_name("load.sock");
    let mut server = Command::new(env!("CARGO_BIN_EXE_huitoukan"))
        .arg("serve")
        .arg("--db")
        .arg(&store)
        .arg("--socket")
        .arg(&socket)
        .env("HUITOUKAN_CONFIG", store.with_file_name("no-config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not come up");
        std::thread::sleep(Duration::from_millis(10));
    }
    let admin = connect(&socket, "准备");
    let all = admin.summaries().expect("summaries");
    let names: Vec<String> = all.iter().step_by(97).map(|s| s.head.clone()).collect();
    let per = 8;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..clients)
        .map(|id| {
            let keys: Vec<u64> = all.iter().skip(id * per).take(per).map(|s| s.key).collect();
            let socket = socket.clone();
            let names = names.clone();
            std::thread::spawn(move || clerk(&socket, id, keys, deadline, names))
        })
        .collect();
    let tallies: Vec<Tally> = threads.into_iter().map(|t| t.join().expect("a clerk thread")).collect();
    let elapsed = started.elapsed().min(Duration::from_secs(seconds + 5));
    let rss = peak_rss_kb(server.id());
    // Every household holds exactly its clerk's last acknowledged counter.
    let check = connect(&socket, "核对");
    let (mut lost, mut checked) = (0, 0);
    for t in &tallies {
        for (key, n) in &t.last {
            checked += 1;
            let stored = check.get(*key).expect("get").and_then(|lb| counter_of(&lb.form.answers)).unwrap_or(0);
            if stored != *n {
                lost += 1;
                eprintln!("household {key}: acknowledged {n}, stored {stored}");
            }
        }
    }
    let audit = check.verify_audit().expect("audit");
    drop(check);
    drop(admin);
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
    let mut saves: Vec<Duration> = tallies.iter().flat_map(|t| t.saves.iter().copied()).collect();
    saves.sort();
    let ops: usize = tallies.iter().map(|t| t.saves.len() + t.finds + t.browses + t.histories).sum();
    let errors: Vec<&String> = tallies.iter().flat_map(|t| t.errors.iter()).collect();
    println!("server_load: {clients} clients for {seconds} s on {} households", all.len());
    println!(
        "  operations: {ops} ({:.0}/s); durable saves {} ({:.0}/s), submits {}",
        ops as f64 / elapsed.as_secs_f64(),
        saves.len(),
        saves.len() as f64 / elapsed.as_secs_f64(),
        tallies.iter().map(|t| t.submits).sum::<usize>()
    );
    println!(
        "  save latency: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        percentile(&saves, 0.50),
        percentile(&saves, 0.99),
        saves.last().copied().unwrap_or_default()
    );
    println!(
        "  finds {}, browses {}, histories {}",
        tallies.iter().map(|t| t.finds).sum::<usize>(),
        tallies.iter().map(|t| t.browses).sum::<usize>(),
        tallies.iter().map(|t| t.histories).sum::<usize>()
    );
    println!("  server peak RSS: {:.1} MB", rss as f64 / 1024.0);
    println!(
        "  acknowledged saves lost: {lost} of {checked} households checked; conflicts: {}; errors: {}",
        tallies.iter().map(|t| t.conflicts).sum::<usize>(),
        errors.len()
    );
    println!("  audit chain: {} entries, first broken {:?}", audit.entries, audit.first_broken);
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    assert_eq!(lost, 0, "acknowledged saves lost");
    assert_eq!(audit.first_broken, None);
}
