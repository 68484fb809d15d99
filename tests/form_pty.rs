//! The real binary in a pseudo-terminal: type into a form, send SIGHUP (as a
//! dropped SSH connection does), reopen the store and find the draft with
//! everything entered before the last field change — and the field being
//! typed, which the app saves on hang-up.
#![cfg(unix)]

mod form_support;
mod support;

use form_support::*;
use huitoukan::form::Value;
use huitoukan::store::Store;
use std::process::Command;
use std::time::{Duration, Instant};
use support::strip_escapes;

/// The app's screen output so far, escape sequences removed (the terminal
/// is driven cell by cell, so only single 汉字 can be looked for reliably).
struct Screen {
    session: expectrl::Session,
    text: String,
}

impl Screen {
    fn read(&mut self) {
        let mut buf = [0u8; 8192];
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            self.text.push_str(&strip_escapes(&String::from_utf8_lossy(&buf[..n])));
        }
    }

    /// Waits until `needle` shows in output that came after `from` (a length of `text`).
    fn wait_for(&mut self, needle: &str, from: usize, secs: u64) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(secs) {
            self.read();
            if self.text.get(from..).is_some_and(|t| t.contains(needle)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn send(&mut self, keys: &str) -> usize {
        self.read();
        let at = self.text.len();
        self.session.send(keys).unwrap();
        at
    }
}

/// The app on a one-household store in a pty, its form open on B1.
fn open_form(db: &std::path::Path) -> Screen {
    {
        let store = Store::open(db).unwrap();
        store.upsert_households(&[(place(), section_a(1, "张三", None))], WHO).unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huitoukan"));
    // The clerk's state file (where they left off) goes beside the store, not into the runner's home.
    cmd.arg("--db")
        .arg(db)
        .env("TERM", "xterm-256color")
        .env("HUITOUKAN_OPERATOR", "pty")
        .env("HUITOUKAN_SERVER_IDLE", "0")
        .env("HUITOUKAN_HOME", db.with_extension("home"));
    let mut session = expectrl::Session::spawn(cmd).expect("spawn the app in a pty");
    session.get_process_mut().set_window_size(80, 24).unwrap();
    let mut s = Screen { session, text: String::new() };
    assert!(s.wait_for("张", 0, 30), "the household list: {}", s.text);
    let at = s.send("\r");
    if !s.wait_for("医疗", at, 3) {
        let at = s.send("\r");
        assert!(s.wait_for("医疗", at, 10), "the form: {}", s.text);
    }
    s
}

#[test]
fn sigkill_after_a_pause_in_typing_keeps_the_field_being_typed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut s = open_form(&db);
    s.send("\x1b[6~\x1b[6~"); // PageDown twice: D1
    let at = s.send("王五"); // typed, not left
    assert!(s.wait_for("五", at, 10), "the name on screen: {}", s.text);
    // A pause in typing (the app saves after 1.5 s), then a kill nothing can catch.
    let at = s.text.len();
    assert!(s.wait_for("已保存", at, 10), "the status line says it saved: {}", s.text);
    let pid = s.session.get_process().pid().as_raw();
    assert!(Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
    let started = Instant::now();
    while s.session.is_alive().unwrap_or(false) {
        assert!(started.elapsed() < Duration::from_secs(20), "the app did not die");
        std::thread::sleep(Duration::from_millis(50));
    }
    let store = Store::open(&db).expect("the store opens again after a kill");
    let key = store.summaries().unwrap()[0].key;
    let a = store.get(key).unwrap().unwrap().form.answers;
    assert_eq!(a.get("D1"), Some(&list(&["王五"])), "the field being typed survived SIGKILL");
}

#[test]
fn a_burst_of_2000_hanzi_without_bracketed_paste_is_all_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut s = open_form(&db);
    s.send("\x1b[6~\x1b[6~\t\t\t\t"); // D1, then Tab to D2, D5, D6, D7
    let text: String = "家庭困难情况说明户主患病".chars().cycle().take(1996).chain("结尾标记".chars()).collect();
    assert_eq!(text.chars().count(), 2000);
    // One write, as an input method or a terminal without bracketed paste sends it.
    let started = Instant::now();
    let at = s.send(&text);
    // crossterm's default (mio) source read 1 KB per wake-up and waited for the
    // next key: only 341 汉字 showed. The end of the text is drawn once all of it is in.
    assert!(s.wait_for("尾", at, 20), "the end of the burst on screen: {}", &s.text[at..]);
    eprintln!("2000 汉字 on screen {:.0?} after the write", started.elapsed());
    let pid = s.session.get_process().pid().as_raw();
    assert!(Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap().success());
    let started = Instant::now();
    while s.session.is_alive().unwrap_or(false) {
        assert!(started.elapsed() < Duration::from_secs(20), "the app did not exit on SIGHUP");
        s.read();
        std::thread::sleep(Duration::from_millis(50));
    }
    let store = Store::open(&db).unwrap();
    let key = store.summaries().unwrap()[0].key;
    match store.get(key).unwrap().unwrap().form.answers.get("D7") {
        Some(Value::Text(t)) => assert_eq!(t.chars().count(), 2000, "every character of the burst"),
        other => panic!("D7: {other:?}"),
    }
}

/// Waits for the process to end, failing after 20 s.
fn wait_exit(s: &mut Screen) {
    let started = Instant::now();
    while s.session.is_alive().unwrap_or(false) {
        assert!(started.elapsed() < Duration::from_secs(20), "the app did not exit");
        s.read();
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_restart_opens_at_the_village_and_household_left_off() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    {
        let store = Store::open(&db).unwrap();
        let other = huitoukan::model::Place { township: "鹿角镇".into(), village: "泉水村".into() };
        store
            .upsert_households(
                &[(place(), section_a(1, "张三", None)), (other.clone(), section_a(2, "赵甲", None)), (other, section_a(3, "钱乙", None))],
                WHO,
            )
            .unwrap();
    }
    let spawn = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_huitoukan"));
        cmd.arg("--db")
            .arg(&db)
            .env("TERM", "xterm-256color")
            .env("HUITOUKAN_OPERATOR", "pty")
            .env("HUITOUKAN_SERVER_IDLE", "0")
            .env("HUITOUKAN_HOME", dir.path().join("home"));
        let mut session = expectrl::Session::spawn(cmd).expect("spawn the app in a pty");
        session.get_process_mut().set_window_size(80, 24).unwrap();
        Screen { session, text: String::new() }
    };
    let mut s = spawn();
    assert!(s.wait_for("户主", 0, 30), "{}", s.text);
    // Villages sort by pinyin: 泉水村 (quan) before 石坪村 (shi); the first start is at 泉水村.
    assert!(s.text.contains("泉水村"), "{}", s.text);
    let at = s.send("j"); // down to 石坪村
    assert!(s.wait_for("张", at, 10), "{}", &s.text[at..]);
    s.send("q");
    wait_exit(&mut s);
    let mut s = spawn();
    assert!(s.wait_for("张", 0, 30), "the restart opens at 石坪村 with 张三: {}", s.text);
    assert!(!s.text.contains("赵"), "not at the first village: {}", s.text);
    s.send("q");
    wait_exit(&mut s);
}

#[test]
fn sighup_keeps_every_field_left_and_the_one_being_typed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut s = open_form(&db);
    s.send("221"); // B1 否, B2 否, B3 是: each field left, so saved
    s.send("\x1b[6~\x1b[6~"); // PageDown twice: D1
    let at = s.send("王五"); // typed, not left
    assert!(s.wait_for("五", at, 10), "the name on screen (so every key before it was handled): {}", s.text);

    let pid = s.session.get_process().pid().as_raw();
    assert!(Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap().success());
    let started = Instant::now();
    while s.session.is_alive().unwrap_or(false) {
        assert!(started.elapsed() < Duration::from_secs(20), "the app did not exit on SIGHUP");
        s.read();
        std::thread::sleep(Duration::from_millis(50));
    }

    let store = Store::open(&db).expect("the store opens again after a hang-up");
    let key = store.summaries().unwrap()[0].key;
    let a = store.get(key).unwrap().unwrap().form.answers;
    assert_eq!(a.get("B1"), Some(&Value::Bool(false)));
    assert_eq!(a.get("B2"), Some(&Value::Bool(false)));
    assert_eq!(a.get("B3"), Some(&Value::Bool(true)));
    assert_eq!(a.get("D1"), Some(&list(&["王五"])), "the field being typed is saved on hang-up too");
}
