//! Two clerks at once: two real app processes in two pseudo-terminals on
//! one store. The first app starts the store server; the second joins it.
//! Each sees on screen, without a key press, what the other does: the form
//! the other holds (〈姓名〉正在填写), then the other's save. The same
//! household opened by the second clerk is read-only. Then the server is
//! killed: the app says the connection dropped, starts a server again and
//! reconnects. The screens are read through a terminal emulator (vt100), so
//! what is checked is what a clerk would see.
#![cfg(unix)]

mod form_support;

use form_support::*;
use huitoukan::model::FormState;
use huitoukan::store::Store;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_huitoukan");

struct App {
    session: expectrl::Session,
    screen: vt100::Parser,
}

impl App {
    fn start(db: &std::path::Path, config: &std::path::Path, operator: &str) -> App {
        let mut cmd = Command::new(BIN);
        cmd.arg("--db")
            .arg(db)
            .env("TERM", "xterm")
            .env("HUITOUKAN_CONFIG", config)
            .env("HUITOUKAN_OPERATOR", operator)
            .env("HUITOUKAN_SERVER_IDLE", "0")
            .env("NO_COLOR", "1");
        let mut session = expectrl::Session::spawn(cmd).expect("spawn the app in a pty");
        session.get_process_mut().set_window_size(80, 24).unwrap();
        App { session, screen: vt100::Parser::new(24, 80, 0) }
    }

    fn read(&mut self) {
        let mut buf = [0u8; 8192];
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            self.screen.process(&buf[..n]);
        }
    }

    fn text(&self) -> String {
        self.screen.screen().contents()
    }

    /// Waits until the screen shows `needle`.
    fn wait_for(&mut self, needle: &str, secs: u64) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(secs) {
            self.read();
            if self.text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        false
    }

    fn send(&mut self, keys: &str) {
        self.read();
        self.session.send(keys).unwrap();
    }

    /// Opens the selected household's form (a first Enter may only move the focus to the list).
    fn open_form(&mut self) {
        self.send("\r");
        if !self.wait_for("医疗", 3) {
            self.send("\r");
            assert!(self.wait_for("医疗", 10), "the form did not open:\n{}", self.text());
        }
    }

    fn quit(&mut self) {
        self.send("\x1b\x1b\x1b");
        std::thread::sleep(Duration::from_millis(200));
        self.send("q");
        let started = Instant::now();
        while self.session.is_alive().unwrap_or(false) {
            assert!(started.elapsed() < Duration::from_secs(20), "the app did not quit:\n{}", self.text());
            self.read();
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

#[test]
fn two_apps_see_each_others_work_and_survive_a_server_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    {
        let store = Store::open(&db).unwrap();
        let rows: Vec<_> = ["张一", "张二", "张三"].iter().enumerate().map(|(i, n)| (place(), section_a(i as u32 + 1, n, None))).collect();
        store.upsert_households(&rows, WHO).unwrap();
    }
    let config = dir.path().join("config");
    let mut a = App::start(&db, &config, "甲");
    assert!(a.wait_for("张一", 20), "the first app shows the list:\n{}", a.text());
    let mut b = App::start(&db, &config, "乙");
    assert!(b.wait_for("张一", 20), "the second app joins the same server:\n{}", b.text());

    // 甲 opens the first household: 乙's list says so without a key.
    a.open_form();
    assert!(b.wait_for("甲正在填写", 3), "乙 sees that 甲 holds the form:\n{}", b.text());
    // 乙 opening it gets a read-only view that names 甲.
    b.open_form();
    assert!(b.wait_for("只能查看", 5), "read-only for the second clerk:\n{}", b.text());
    b.send("\x1b");

    // 甲 answers B1 (saved on leaving the field) and leaves the form.
    a.send("1");
    std::thread::sleep(Duration::from_millis(300));
    a.send("\x1b");
    assert!(b.wait_for("草稿", 3), "乙 sees 甲's save on screen:\n{}", b.text());
    assert!(!b.text().contains("甲正在填写"), "the form is free again:\n{}", b.text());

    // The server dies: the app says so, starts another and reconnects.
    let holder = huitoukan::store::lock::read(&db).expect("the server holds the store");
    assert!(holder.program.contains("serve"), "{holder:?}");
    assert!(Command::new("kill").args(["-KILL", &holder.pid.to_string()]).status().unwrap().success());
    assert!(a.wait_for("已重新连接数据服务", 15) || a.text().contains("连接断开"), "the app notices:\n{}", a.text());
    assert!(a.wait_for("已重新连接数据服务", 15), "the app reconnects:\n{}", a.text());
    a.quit();
    b.quit();
    // Everything 甲 saved is in the store once the server has gone.
    let socket = huitoukan::server::default_socket(&db);
    let started = Instant::now();
    while socket.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let store = Store::open(&db).unwrap();
    let drafts = store.summaries().unwrap().iter().filter(|s| s.state == FormState::Draft).count();
    assert_eq!(drafts, 1);
    let history = store.history(store.summaries().unwrap().iter().find(|s| s.state == FormState::Draft).unwrap().key).unwrap();
    assert!(history.iter().any(|e| e.field == "B1" && e.who == "甲"), "saved as 甲: {history:?}");
}
