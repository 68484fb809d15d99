//! The real binary in a pseudo-terminal at 80×24 on a demo store: browse,
//! find by the last four ID digits, open a card, quit, and check that the
//! terminal was given back (alternate screen left, cursor shown, bracketed
//! paste off). A second run checks a store held by another process gives
//! the store's Chinese message and exit status 1.
#![cfg(unix)]

mod support;

use std::process::Command;
use std::time::{Duration, Instant};
use support::strip_escapes;

const BIN: &str = env!("CARGO_BIN_EXE_huitoukan");

/// Everything the app wrote, raw and with escape sequences removed (cells
/// are written one by one, so text is only contiguous once they are gone).
struct Term {
    session: expectrl::Session,
    raw: String,
    text: String,
}

impl Term {
    fn start(args: &[&str], config: &std::path::Path) -> Term {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("TERM", "xterm")
            .env("HUITOUKAN_SERVER_IDLE", "0")
            .env("HUITOUKAN_CONFIG", config)
            .env("HUITOUKAN_HOME", config.with_extension("home"))
            .env("HUITOUKAN_OPERATOR", "pty-test")
            .env_remove("NO_COLOR");
        let mut session = expectrl::Session::spawn(cmd).expect("spawn the app in a pty");
        session.get_process_mut().set_window_size(80, 24).unwrap();
        Term { session, raw: String::new(), text: String::new() }
    }

    fn read(&mut self) {
        let mut buf = [0u8; 8192];
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            let chunk = String::from_utf8_lossy(&buf[..n]).into_owned();
            self.text.push_str(&strip_escapes(&chunk));
            self.raw.push_str(&chunk);
        }
    }

    /// Waits for `needle` in the text written after `from`.
    fn wait_for(&mut self, needle: &str, from: usize) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            self.read();
            if self.text.get(from..).is_some_and(|t| t.contains(needle)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        panic!("“{needle}” did not show; the screen said:\n{}", self.text.get(from..).unwrap_or(""));
    }

    /// Waits until the app wrote anything after `from` (a length of `raw`).
    fn wait_output(&mut self, from: usize) {
        let started = Instant::now();
        while self.raw.len() <= from && started.elapsed() < Duration::from_secs(20) {
            self.read();
            std::thread::sleep(Duration::from_millis(30));
        }
        assert!(self.raw.len() > from, "no output");
    }

    /// Waits for the process to end; its exit status.
    fn exit_status(&mut self) -> expectrl::WaitStatus {
        let started = Instant::now();
        loop {
            self.read();
            let status = self.session.get_process().status().unwrap();
            if status != expectrl::WaitStatus::StillAlive || started.elapsed() > Duration::from_secs(20) {
                self.read();
                return status;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn send(&mut self, keys: &str) -> usize {
        self.read();
        let at = self.text.len();
        self.session.send(keys).unwrap();
        at
    }
}

fn demo_store(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("db");
    let out = Command::new(BIN).args(["demo", "--households", "300", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    db
}

#[test]
fn browse_find_card_quit_and_the_terminal_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(dir.path());
    let db_arg = db.to_str().unwrap();
    // The demo command makes household i (key i+1) from seed 2021: the first one's ID.
    let round = huitoukan::form::Round::default();
    let places = huitoukan::demo::places(300, 2021);
    let first = huitoukan::demo::household(0, 2021, &places, &round);
    let id = &first.household.a.id_number;
    let tail = &id[id.len() - 4..];
    let same_tail =
        (0..300).filter(|&i| huitoukan::demo::household(i, 2021, &places, &round).household.a.id_number.ends_with(tail)).count();

    let mut t = Term::start(&["--db", db_arg], &dir.path().join("config"));
    t.wait_for("筛选", 0);
    t.wait_for("已交", 0);
    assert!(t.raw.contains("\x1b[?1049h"), "alternate screen entered");
    assert!(t.raw.contains("\x1b[?2004h"), "bracketed paste on");

    // Down the places, into the list.
    t.read();
    let raw = t.raw.len();
    t.send("jj");
    t.wait_output(raw);
    let at = t.send("\t");
    t.wait_for("填表", at);

    // Find across the store by the last four digits.
    let at = t.send("\x06");
    t.wait_for("查找（全部乡镇）", at);
    let at = t.send(tail);
    t.wait_for(&format!("找到{same_tail}户"), at);

    // The card of the result.
    let at = t.send("\t");
    t.wait_for("卡片", at);
    let at = t.send(" ");
    t.wait_for(&format!("户卡片：{}", first.household.a.head), at);
    assert!(!t.text.contains(id.as_str()), "the full ID is never shown unasked");

    // Back, close the find, quit.
    let at = t.send("\x1b");
    t.wait_for("关闭查找", at);
    std::thread::sleep(Duration::from_millis(100));
    t.send("\x1b");
    std::thread::sleep(Duration::from_millis(100));
    t.send("q");
    let status = t.exit_status();
    assert!(matches!(status, expectrl::WaitStatus::Exited(_, 0)), "{status:?}");
    let tail_out = &t.raw[t.raw.rfind("\x1b[?2004h").unwrap()..];
    assert!(tail_out.contains("\x1b[?2004l"), "bracketed paste off at the end");
    assert!(tail_out.contains("\x1b[?1049l"), "alternate screen left at the end");
    assert!(tail_out.contains("\x1b[?25h"), "cursor shown at the end");
    assert!(db.join(huitoukan::store::browse::SUMMARY_CACHE).is_file(), "the next start reads the summary cache");
}

#[test]
fn a_store_in_use_gives_its_message_and_status_1() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(dir.path());
    let _held = huitoukan::store::Store::open(&db).unwrap();
    let mut t = Term::start(&["--db", db.to_str().unwrap()], &dir.path().join("config"));
    t.wait_for("正被另一个程序使用", 0);
    let status = t.exit_status();
    assert!(matches!(status, expectrl::WaitStatus::Exited(_, 1)), "{status:?}");
    assert!(!t.raw.contains("\x1b[?1049h"), "the screen was never switched");
}

#[test]
fn the_first_demo_start_says_it_made_demo_data_not_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    // No --db: the demo store under a fresh data directory, made on this start.
    let mut t = Term::start(&["--demo"], &config);
    t.wait_for("已生成演示数据库", 0);
    t.wait_for("3000户虚构的演示数据", 0);
    assert!(!t.text.contains("已新建空数据库"), "the demo store is not empty: {}", t.text);
    t.send("q");
    let status = t.exit_status();
    assert!(matches!(status, expectrl::WaitStatus::Exited(_, 0)), "{status:?}");
    // A second start opens it as it is and says nothing of making it.
    let mut t = Term::start(&["--demo"], &config);
    t.wait_for("已交", 0);
    std::thread::sleep(Duration::from_millis(300));
    t.read();
    assert!(!t.text.contains("已生成演示数据库"), "{}", t.text);
    t.send("q");
    let status = t.exit_status();
    assert!(matches!(status, expectrl::WaitStatus::Exited(_, 0)), "{status:?}");
}

/// The first start of the app on a store of the release before format 2
/// (the frozen format-1 fixture) migrates it and says so on the screen,
/// with where the snapshot taken first is.
#[test]
fn the_first_start_on_a_format_1_store_says_it_was_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1/store.htksnap");
    let mut b = huitoukan::store::bulk::RawBuilder::create(&db).unwrap();
    huitoukan::io::snapshot::visit(&fixture, |t, k, v| b.insert(t, k, v).unwrap()).unwrap();
    b.finish().unwrap();
    let mut t = Term::start(&["--db", db.to_str().unwrap()], &dir.path().join("config"));
    t.wait_for("升级为格式3", 0);
    t.wait_for("快照在", 0);
    assert_eq!(huitoukan::backup::list(&db).len(), 1, "the snapshot taken first");
    t.send("x");
    std::thread::sleep(Duration::from_millis(200));
    t.send("q");
    let status = t.exit_status();
    assert!(matches!(status, expectrl::WaitStatus::Exited(_, 0)), "{status:?}");
    // Opened again, nothing more to migrate.
    let s = huitoukan::store::Store::open(&db).unwrap();
    assert_eq!(s.format(), huitoukan::store::STORE_FORMAT);
    assert_eq!(s.recovery_note(), None);
}

/// The household's file in the real binary: a visit added from the keys,
/// its first field saved as the clerk leaves it, the next one saved after a
/// pause in typing, then SIGKILL: both are in the store at the next open.
#[test]
fn a_visit_added_in_the_household_file_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(dir.path());
    let mut t = Term::start(&["--db", db.to_str().unwrap()], &dir.path().join("config"));
    t.wait_for("筛选", 0);
    let at = t.send("\t");
    t.wait_for("填表", at);
    let at = t.send("m");
    t.wait_for("户档：", at);
    let at = t.send("\t\t");
    t.wait_for("走访记录", at);
    let at = t.send("a");
    t.wait_for("新增走访", at);
    let at = t.send("20210415\r");
    t.wait_for("走访记录第", at);
    let at = t.send("王五");
    t.wait_for("已保存", at);
    let pid = t.session.get_process().pid().as_raw();
    assert!(Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
    let started = Instant::now();
    while t.session.is_alive().unwrap_or(false) {
        assert!(started.elapsed() < Duration::from_secs(20), "the app did not die");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The background server lets the store go once its last client is gone.
    let started = Instant::now();
    let store = loop {
        match huitoukan::store::Store::open(&db) {
            Ok(s) => break s,
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("the store did not open again: {e}"),
        }
    };
    let day = huitoukan::form::Value::Date(huitoukan::form::value::Day::new(2021, 4, 15).unwrap());
    let found: Vec<_> = store
        .summaries()
        .unwrap()
        .iter()
        .flat_map(|s| store.entries(s.key).unwrap())
        .filter(|e| e.form.id == "visits" && e.saved_by == "pty-test")
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].answers.get("V1"), Some(&day));
    assert_eq!(found[0].answers.get("V2"), Some(&huitoukan::form::Value::List(vec!["王五".into()])), "the field being typed survived");
}
