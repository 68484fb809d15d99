//! Crash safety: what the store acknowledged is there after a SIGKILL.
//!
//! The parent starts a child (this same test binary, re-executed with
//! `CRASH_CHILD_DIR` set) that saves drafts, submits and reopens records in
//! a tight loop and prints a line after each operation returned. The parent
//! kills it with SIGKILL at a random moment, reopens the store and checks
//! that every acknowledged save is present, every record decodes and the
//! audit chain is whole. 20 rounds here; `cargo test --test crash_saves --
//! --ignored soak` runs `CRASH_ROUNDS` (default 300) for a longer soak.

use huitoukan::demo::{self, Rng};
use huitoukan::form::Value;
use huitoukan::model::{Answers, FormState};
use huitoukan::store::Store;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HOUSEHOLDS: usize = 12;

/// A complete, submittable not-eliminated answer set carrying `counter` in D7.
fn answers(counter: u64) -> Answers {
    huitoukan::demo::submittable_answers(&format!("counter={counter:08} 户主患慢性病，每月自付医药费约六百元，收入主要靠务工。"))
}

fn counter_of(a: &Answers) -> Option<u64> {
    match a.get("D7") {
        Some(Value::Text(t)) => t.strip_prefix("counter=")?.get(..8)?.parse().ok(),
        _ => None,
    }
}

/// The child's loop: runs until killed.
fn child(dir: &Path) {
    let store = Store::open(dir).expect("child opens store");
    let mut keys: Vec<u64> = store.summaries().unwrap().iter().map(|s| s.key).collect();
    keys.sort_unstable();
    let seed: u64 = std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut rng = Rng::new(seed);
    let out = std::io::stdout();
    let mut counter = store
        .summaries()
        .unwrap()
        .iter()
        .filter_map(|s| store.get(s.key).unwrap().and_then(|lb| counter_of(&lb.form.answers)))
        .max()
        .unwrap_or(0);
    loop {
        counter += 1;
        let key = keys[rng.below(keys.len() as u64) as usize];
        let state = store.get(key).unwrap().unwrap().form.state;
        let a = answers(counter);
        let line = if state == FormState::Submitted {
            store.reopen(key, "child").unwrap();
            store.save_draft(key, &a, "child").unwrap();
            format!("save {key} {counter}")
        } else if rng.chance(20) {
            store.submit(key, &a, &[], "child").unwrap();
            format!("submit {key} {counter}")
        } else {
            store.save_draft(key, &a, "child").unwrap();
            format!("save {key} {counter}")
        };
        let mut o = out.lock();
        writeln!(o, "{line}").unwrap();
        o.flush().unwrap();
    }
}

#[test]
#[ignore = "entry point of the child process, not a test by itself"]
fn crash_child_entry() {
    if let Some(dir) = std::env::var_os("CRASH_CHILD_DIR") {
        child(Path::new(&dir));
    }
}

fn seed_store(dir: &Path) {
    let store = Store::open(dir).unwrap();
    demo::fill(&store, HOUSEHOLDS, 3, |_| {}).unwrap();
    // Start every form from a known draft so counters are comparable.
    for s in store.summaries().unwrap() {
        if s.state == FormState::Submitted {
            store.reopen(s.key, "seed").unwrap();
        }
        store.save_draft(s.key, &answers(0), "seed").unwrap();
    }
}

/// One round: run the child, kill it after `acks` acknowledgements (or a
/// timeout), then check the store. Returns how many acks were seen.
fn round(dir: &Path, seed: u64, acks: usize) -> usize {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child_entry", "--ignored", "--nocapture", "--test-threads=1"])
        .env("CRASH_CHILD_DIR", dir)
        .env("CRASH_SEED", seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut last: HashMap<u64, (String, u64)> = HashMap::new();
    let mut seen = 0;
    let started = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() == 3 && (parts[0] == "save" || parts[0] == "submit") {
            let key: u64 = parts[1].parse().unwrap();
            let counter: u64 = parts[2].parse().unwrap();
            last.insert(key, (parts[0].to_string(), counter));
            seen += 1;
            if seen >= acks || started.elapsed() > Duration::from_secs(20) {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let _ = child.wait();

    let store = Store::open(dir).expect("store opens after SIGKILL");
    let summaries = store.summaries().expect("every summary decodes");
    assert_eq!(summaries.len(), HOUSEHOLDS);
    for s in &summaries {
        let lb = store.get(s.key).expect("record decodes").expect("record present");
        assert_eq!(lb.form.state, s.state, "summary in step with the form");
        if let Some((op, acked)) = last.get(&s.key) {
            let stored = counter_of(&lb.form.answers).expect("counter in D7");
            assert!(stored >= *acked, "household {}: acknowledged {op} {acked} but store has {stored}", s.key);
            if op == "submit" && stored == *acked {
                assert_eq!(lb.form.state, FormState::Submitted, "acknowledged submit of {} lost", s.key);
            }
        }
    }
    let audit = store.verify_audit().unwrap();
    assert_eq!(audit.first_broken, None, "audit chain whole after SIGKILL");
    seen
}

fn run_rounds(rounds: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    seed_store(&dir);
    let mut rng = Rng::new(2021);
    let mut total = 0;
    for r in 0..rounds {
        // Random moment: after 1..400 acknowledged operations.
        let acks = 1 + rng.below(400) as usize;
        total += round(&dir, r + 1, acks);
    }
    eprintln!("{rounds} rounds, {total} acknowledged operations checked");
}

#[test]
fn acknowledged_saves_survive_sigkill() {
    run_rounds(20);
}

#[test]
#[ignore = "long soak; CRASH_ROUNDS=N cargo test --release --test crash_saves -- --ignored soak"]
fn soak() {
    let rounds = std::env::var("CRASH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    run_rounds(rounds);
}
