//! The store server driven as clerks would: the real `huitoukan serve`
//! binary on a temp store, with clients of this process (the library's
//! `Client`), hand-made raw clients that send frames directly, and — where
//! the tests run as root, as CI does — clients under another uid (`nobody`)
//! to prove that identity and scope come from the kernel, not the client.

mod support;

use huitoukan::access::{Clerk, PlaceScope, Role};
use huitoukan::backend::{Backend, Event};
use huitoukan::demo;
use huitoukan::form::Value;
use huitoukan::model::{Answers, FormState, Summary};
use huitoukan::search::Query;
use huitoukan::server::protocol::{self, ClientMsg, Part, Request, Response, ServerMsg, WireError, PROTOCOL};
use huitoukan::server::{Client, Connect};
use huitoukan::store::{Store, StoreError};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_huitoukan");

/// A server process on a store of its own; killed when dropped.
struct Server {
    child: Child,
    store: PathBuf,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(households: usize) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        if households > 0 {
            let s = Store::open(&store).unwrap();
            demo::fill(&s, households, 5, |_| {}).unwrap();
        }
        let socket = dir.path().join("store.sock");
        let child = spawn_server(&store, &socket);
        Server { child, store, socket, _dir: dir }
    }

    fn connect(&self, operator: &str) -> Client {
        Client::connect(Connect {
            socket: self.socket.clone(),
            store: self.store.clone(),
            spawn: false,
            idle_exit: Duration::from_secs(0),
            operator: Some(operator.into()),
        })
        .unwrap()
        .expect("the server answers")
    }

    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_server(&self.store, &self.socket);
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_server(store: &Path, socket: &Path) -> Child {
    let child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(store)
        .arg("--socket")
        .arg(socket)
        .env("HUITOUKAN_CONFIG", store.with_file_name("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while UnixStream::connect(socket).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the server did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// A raw connection that speaks frames by hand.
struct Raw {
    stream: UnixStream,
    next: u64,
}

impl Raw {
    fn hello(socket: &Path, protocol: u32) -> (Raw, ServerMsg) {
        let mut stream = UnixStream::connect(socket).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        protocol::write_frame(&mut stream, &ClientMsg::Hello { protocol, release: "test".into(), operator: Some("冒充的人".into()) })
            .unwrap();
        let answer: ServerMsg = protocol::read_frame(&mut stream).unwrap();
        (Raw { stream, next: 1 }, answer)
    }

    /// Sends one request; its final answer (chunks skipped, events ignored).
    fn call(&mut self, request: Request) -> Result<Response, WireError> {
        let id = self.next;
        self.next += 1;
        protocol::write_frame(&mut self.stream, &ClientMsg::Call { id, request }).unwrap();
        loop {
            match protocol::read_frame::<ServerMsg>(&mut self.stream).unwrap() {
                ServerMsg::Reply { id: rid, part: Part::End(end) } if rid == id => return end,
                _ => {}
            }
        }
    }
}

fn d7(text: &str) -> Answers {
    let mut a = Answers::new();
    a.insert("D7".into(), Value::Text(text.into()));
    a
}

/// A household whose form is not submitted.
fn open_household(c: &Client) -> Summary {
    c.summaries().unwrap().into_iter().find(|s| s.state != FormState::Submitted).expect("a household not submitted")
}

#[test]
fn two_clerks_one_household_lease_read_only_and_take_over() {
    let server = Server::start(40);
    let a = server.connect("甲");
    let b = server.connect("乙");
    let s = open_household(&a);
    let opened = a.open_form(s.key).unwrap();
    assert_eq!(opened.held_by, None, "the first clerk gets the form");
    let seen = b.open_form(s.key).unwrap();
    assert_eq!(seen.held_by.as_ref().map(|h| h.name.as_str()), Some("甲"), "the second sees who holds it");
    assert!(b.leases().unwrap().iter().any(|(k, h)| *k == s.key && h.name == "甲"), "the list can show 甲正在填写");
    let base = seen.record.form.answers.clone();
    let e = b.save_draft(s.key, Some(&base), &d7("乙想写的内容")).unwrap_err().to_string();
    assert!(e.contains("甲正在填写"), "{e}");

    // Take-over: audited; from then on 甲's saves are refused.
    let taken = b.take_over(s.key).unwrap();
    assert_eq!(taken.held_by, None);
    b.save_draft(s.key, Some(&base), &d7("乙接手后填写的困难描述，内容足够长了。")).unwrap();
    let e = a.save_draft(s.key, Some(&opened.record.form.answers), &d7("甲的")).unwrap_err().to_string();
    assert!(e.contains("乙正在填写"), "{e}");
    let history = b.history(s.key).unwrap();
    assert!(history.iter().any(|h| h.field == "lease" && h.who == "乙" && h.old.contains("甲")), "take-over is audited: {history:?}");

    // 甲 was told, without asking.
    let started = Instant::now();
    let mut events = Vec::new();
    while !events.iter().any(|e| matches!(e, Event::Lease { key, holder: Some(h) } if *key == s.key && h.name == "乙")) {
        assert!(started.elapsed() < Duration::from_secs(2), "no lease event: {events:?}");
        events.extend(a.events());
        std::thread::sleep(Duration::from_millis(20));
    }
    // Letting go, or the client going, frees the form.
    drop(b);
    let started = Instant::now();
    while a.leases().unwrap().iter().any(|(k, _)| *k == s.key) {
        assert!(started.elapsed() < Duration::from_secs(5), "the lease outlived its client");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(a.open_form(s.key).unwrap().held_by, None);
}

#[test]
fn a_stale_save_is_refused_with_both_values_and_other_fields_merge() {
    let server = Server::start(40);
    let a = server.connect("甲");
    let b = server.connect("乙");
    let s = open_household(&a);
    let base = a.get(s.key).unwrap().unwrap().form.answers;
    let mut mine = base.clone();
    mine.insert("D7".into(), Value::Text("甲填写：家中两位老人常年服药，收入靠务工。".into()));
    a.save_draft(s.key, Some(&base), &mine).unwrap();
    a.close_form(s.key).unwrap();

    // 乙's screen was based on the old record and changes the same field.
    let mut theirs = base.clone();
    theirs.insert("D7".into(), Value::Text("乙填写：完全不同的描述内容，也有二十个字以上。".into()));
    let e = b.save_draft(s.key, Some(&base), &theirs).unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("甲填写") && msg.contains("乙填写"), "both values shown: {msg}");
    assert_eq!(b.get(s.key).unwrap().unwrap().form.answers.get("D7"), mine.get("D7"), "nothing overwritten");

    // A different field from the same old screen merges with 甲's answer.
    let mut other = base.clone();
    other.insert("B1".into(), Value::Bool(true));
    b.save_draft(s.key, Some(&base), &other).unwrap();
    let now = b.get(s.key).unwrap().unwrap().form.answers;
    assert_eq!(now.get("D7"), mine.get("D7"));
    assert_eq!(now.get("B1"), Some(&Value::Bool(true)));
}

#[test]
fn saves_reach_the_other_clients_and_commands_work_while_apps_are_open() {
    let server = Server::start(60);
    let a = server.connect("甲");
    let b = server.connect("乙");
    let s = open_household(&a);
    a.open_form(s.key).unwrap();
    let base = a.get(s.key).unwrap().unwrap().form.answers;
    a.save_draft(s.key, Some(&base), &d7("户主常年患病，收入来源主要是低保和务工，家中有学生。")).unwrap();
    let started = Instant::now();
    loop {
        let changed = b.events().into_iter().any(|e| matches!(e, Event::Changed(c) if c.key == s.key && c.state == FormState::Draft));
        if changed {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "the other client was not told within a second");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The commands talk to the same server while both clients hold connections.
    let db = server.store.to_str().unwrap().to_string();
    let sock = server.socket.to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let out = Command::new(BIN).args(["--db", &db, "--socket", &sock]).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tail = &s.id_number[s.id_number.len() - 6..];
    assert!(run(&["show", tail]).contains(&s.head));
    assert!(run(&["report"]).contains("进度"));
    let csv = server.store.with_file_name("out.csv");
    run(&["export", csv.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&csv).unwrap().lines().count() > 60);
    assert!(run(&["audit", "verify"]).contains("审计日志完整"));
}

#[test]
fn a_client_of_another_release_and_a_malformed_frame_close_only_their_connection() {
    let server = Server::start(10);
    let (_, answer) = Raw::hello(&server.socket, PROTOCOL + 100);
    match answer {
        ServerMsg::Refused(m) => assert!(m.contains("版本") && m.contains("升级"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Garbage after the hello: that connection closes...
    let (mut raw, welcome) = Raw::hello(&server.socket, PROTOCOL);
    assert!(matches!(welcome, ServerMsg::Welcome { .. }));
    raw.stream.write_all(&7u32.to_le_bytes()).unwrap();
    raw.stream.write_all(b"\xff\xff\xff\xff\xff\xff\xff").unwrap();
    let mut buf = [0u8; 16];
    use std::io::Read;
    assert_eq!(raw.stream.read(&mut buf).unwrap_or(0), 0, "closed after a frame that does not decode");
    // ...an oversized length is refused before any allocation...
    let (mut raw, _) = Raw::hello(&server.socket, PROTOCOL);
    raw.stream.write_all(&u32::MAX.to_le_bytes()).unwrap();
    assert_eq!(raw.stream.read(&mut buf).unwrap_or(0), 0);
    // ...a client that dies half way through a save leaves no half record...
    let c = server.connect("甲");
    let s = open_household(&c);
    let before = c.get(s.key).unwrap();
    let (mut raw, _) = Raw::hello(&server.socket, PROTOCOL);
    let msg = ClientMsg::Call {
        id: 1,
        request: Request::SaveDraft { key: s.key, base: None, answers: d7("只发了一半的保存，不应写入。") },
    };
    let body = postcard::to_stdvec(&msg).unwrap();
    raw.stream.write_all(&(body.len() as u32).to_le_bytes()).unwrap();
    raw.stream.write_all(&body[..body.len() / 2]).unwrap();
    drop(raw);
    std::thread::sleep(Duration::from_millis(100));
    // ...and everyone else goes on.
    assert_eq!(c.get(s.key).unwrap(), before, "a save cut short is not applied");
    assert!(c.household_count().unwrap() == 10);
}

#[test]
fn sigterm_flushes_removes_the_socket_and_a_stale_socket_is_replaced() {
    let mut server = Server::start(10);
    let c = server.connect("甲");
    let s = open_household(&c);
    c.save_draft(s.key, None, &d7("关机前保存的内容，应当在重启后还在。")).unwrap();
    drop(c);
    // A SIGKILL leaves the socket file behind; a new server replaces it.
    server.kill();
    assert!(server.socket.exists(), "a killed server leaves its socket");
    server.restart();
    let c = server.connect("甲");
    assert_eq!(c.get(s.key).unwrap().unwrap().form.answers.get("D7"), d7("关机前保存的内容，应当在重启后还在。").get("D7"));
    drop(c);
    let socket = server.socket.clone();
    let store = server.store.clone();
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists(), "SIGTERM removes the socket");
    let _ = store;
}

#[test]
fn something_else_at_the_socket_path_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    drop(Store::open(&store).unwrap());
    let socket = dir.path().join("not-a-socket");
    std::fs::write(&socket, "某人的文件").unwrap();
    let out = Command::new(BIN).arg("serve").arg("--db").arg(&store).arg("--socket").arg(&socket).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("不是套接字"), "{err}");
    assert_eq!(std::fs::read_to_string(&socket).unwrap(), "某人的文件");
}

#[test]
fn two_programs_starting_servers_at_once_end_with_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    {
        let s = Store::open(&store).unwrap();
        demo::fill(&s, 20, 3, |_| {}).unwrap();
    }
    let socket = dir.path().join("store.sock");
    let children: Vec<Child> = (0..3)
        .map(|_| {
            Command::new(BIN)
                .arg("serve")
                .arg("--db")
                .arg(&store)
                .arg("--socket")
                .arg(&socket)
                .arg("--idle-exit")
                .arg("6")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let ran = outs.iter().filter(|o| String::from_utf8_lossy(&o.stderr).contains("数据服务已启动")).count();
    assert_eq!(
        ran,
        1,
        "exactly one server ran: {:?}",
        outs.iter().map(|o| String::from_utf8_lossy(&o.stderr).into_owned()).collect::<Vec<_>>()
    );
    for o in outs.iter().filter(|o| !String::from_utf8_lossy(&o.stderr).contains("数据服务已启动")) {
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("正被"), "the loser says why: {err}");
    }
}

// ----- the server killed while several clients save -----

/// Saves by several threads, each printing a line per acknowledged save.
#[test]
#[ignore = "entry point of the child process, not a test by itself"]
fn save_child_entry() {
    let Some(socket) = std::env::var_os("SAVE_CHILD_SOCKET") else { return };
    let start: u64 = std::env::var("SAVE_CHILD_START").unwrap().parse().unwrap();
    let keys: Vec<u64> = std::env::var("SAVE_CHILD_KEYS").unwrap().split(',').map(|k| k.parse().unwrap()).collect();
    let out = std::sync::Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let threads: Vec<_> = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let socket = PathBuf::from(&socket);
            let out = std::sync::Arc::clone(&out);
            std::thread::spawn(move || {
                let c = Client::connect(Connect {
                    socket,
                    store: PathBuf::new(),
                    spawn: false,
                    idle_exit: Duration::ZERO,
                    operator: Some(format!("线程{i}")),
                })
                .ok()
                .flatten();
                let Some(c) = c else { return };
                for n in start.. {
                    let text = format!("counter={n:08} 线程{i}保存的困难描述，足够二十个字。");
                    if c.save_draft(key, None, &d7(&text)).is_err() {
                        return;
                    }
                    let mut o = out.lock().unwrap();
                    let _ = writeln!(o, "{key} {n}");
                    let _ = o.flush();
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

fn counter_of(a: &Answers) -> Option<u64> {
    match a.get("D7") {
        Some(Value::Text(t)) => t.strip_prefix("counter=")?.get(..8)?.parse().ok(),
        _ => None,
    }
}

#[test]
fn acknowledged_saves_survive_sigkill_of_the_server() {
    let rounds: usize = std::env::var("SERVER_KILL_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let mut server = Server::start(12);
    let keys: Vec<u64> = {
        let c = server.connect("seed");
        c.summaries().unwrap().iter().filter(|s| s.state != FormState::Submitted).take(4).map(|s| s.key).collect()
    };
    assert_eq!(keys.len(), 4);
    let mut rng = demo::Rng::new(std::env::var("SERVER_KILL_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(11));
    let mut acked_total = 0;
    for round in 0..rounds {
        let start = (round as u64 + 1) * 1_000_000;
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .args(["--exact", "save_child_entry", "--ignored", "--nocapture", "--test-threads=1"])
            .env("SAVE_CHILD_SOCKET", &server.socket)
            .env("SAVE_CHILD_START", start.to_string())
            .env("SAVE_CHILD_KEYS", keys.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let acked: std::sync::Arc<std::sync::Mutex<HashMap<u64, u64>>> = Default::default();
        let reader = {
            let acked = std::sync::Arc::clone(&acked);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let mut it = line.split(' ');
                    let (Some(k), Some(n)) = (it.next(), it.next()) else { continue };
                    let (Ok(k), Ok(n)) = (k.parse::<u64>(), n.parse::<u64>()) else { continue };
                    let mut m = acked.lock().unwrap();
                    let e = m.entry(k).or_insert(0);
                    *e = (*e).max(n);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(50 + rng.below(250)));
        server.kill();
        let _ = child.wait();
        let _ = reader.join();
        server.restart();
        let c = server.connect("check");
        let acked = acked.lock().unwrap();
        for (key, n) in acked.iter() {
            let stored = counter_of(&c.get(*key).unwrap().unwrap().form.answers).unwrap_or(0);
            assert!(stored >= *n, "round {round}: household {key} acknowledged save {n} but the store has {stored}");
        }
        assert_eq!(c.verify_audit().unwrap().first_broken, None, "round {round}: the audit chain is whole");
        acked_total += acked.len();
    }
    eprintln!("{rounds} SIGKILLs of the server; {acked_total} household checks, every acknowledged save present");
}

// ----- identity and scope, under another uid -----

/// Runs this test binary's `raw_child_entry` as uid `nobody`, asking for `what`.
/// This test binary and the app's, copied where uid `nobody` may run them
/// (the checkout may sit in a folder only root can enter); `None` when the
/// tests do not run as root.
fn nobody_bins() -> Option<&'static (PathBuf, PathBuf)> {
    static BINS: std::sync::OnceLock<Option<(PathBuf, PathBuf)>> = std::sync::OnceLock::new();
    BINS.get_or_init(|| {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: the tests do not run as root, so no client can be run under another uid");
            return None;
        }
        let dir = tempfile::Builder::new().prefix("huitoukan-nobody").tempdir().unwrap().keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let test = dir.join("server-test");
        let app = dir.join("huitoukan");
        std::fs::copy(std::env::current_exe().unwrap(), &test).unwrap();
        std::fs::copy(BIN, &app).unwrap();
        Some((test, app))
    })
    .as_ref()
}

fn as_nobody(socket: &Path, what: &str, key: u64) -> Option<String> {
    use std::os::unix::process::CommandExt;
    let (test, _) = nobody_bins()?;
    let out = Command::new(test)
        .args(["--exact", "raw_child_entry", "--ignored", "--nocapture", "--test-threads=1"])
        .env("RAW_CHILD_SOCKET", socket)
        .env("RAW_CHILD_WHAT", what)
        .env("RAW_CHILD_KEY", key.to_string())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let result: Vec<&str> = text.lines().filter_map(|l| l.split_once("RESULT ").map(|(_, r)| r)).collect();
    assert!(!result.is_empty(), "the client under uid nobody said nothing:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    Some(result.join("\n"))
}

#[test]
#[ignore = "entry point of the child process, not a test by itself"]
fn raw_child_entry() {
    let Some(socket) = std::env::var_os("RAW_CHILD_SOCKET") else { return };
    let what = std::env::var("RAW_CHILD_WHAT").unwrap();
    let key: u64 = std::env::var("RAW_CHILD_KEY").unwrap().parse().unwrap();
    let (mut raw, answer) = Raw::hello(Path::new(&socket), PROTOCOL);
    let result = match answer {
        ServerMsg::Refused(m) => format!("refused {m}"),
        ServerMsg::Welcome { access, .. } if what == "who" => format!("who {} {:?} {}", access.who, access.role, access.scope_label()),
        ServerMsg::Welcome { .. } => {
            let r = match what.as_str() {
                "get" => raw.call(Request::Get(key)),
                "save" => raw.call(Request::SaveDraft { key, base: None, answers: d7("越权保存的内容，应当被拒绝才对。") }),
                "find" => raw.call(Request::Find { query: Query::Pinyin("z".into()), limit: 10_000 }),
                "summaries" => raw.call(Request::Summaries),
                "import" => raw.call(Request::Upsert),
                "clerks" => raw.call(Request::Clerks),
                "raw" => raw.call(Request::Raw),
                // The handbook: another village's household's entries, a new one, a void.
                "entries" => raw.call(Request::Entries(key)),
                "add_entry" => raw.call(Request::AddEntry {
                    key,
                    form: huitoukan::form::schema::handbook_form("visits").unwrap().reference(),
                    answers: Default::default(),
                }),
                "void_entry" => raw.call(Request::VoidEntry { key, form: "visits".into(), seq: 1, reason: "越权作废".into() }),
                "members_import" => raw.call(Request::UpsertEntries {
                    form: huitoukan::form::schema::handbook_form("members").unwrap().reference(),
                    rows: Vec::new(),
                    dry_run: false,
                }),
                other => panic!("{other}"),
            };
            match r {
                Ok(Response::Record(Some(lb))) => format!("record {} {}", lb.household.place.township, lb.household.place.village),
                Ok(Response::Found(f)) => {
                    format!(
                        "found {}",
                        f.shown.iter().map(|s| format!("{}/{}", s.place.township, s.place.village)).collect::<Vec<_>>().join(",")
                    )
                }
                Ok(Response::Summaries(v)) => {
                    format!(
                        "summaries {}",
                        v.iter().map(|s| format!("{}/{}", s.place.township, s.place.village)).collect::<Vec<_>>().join(",")
                    )
                }
                Ok(other) => format!("ok {other:?}").chars().take(200).collect(),
                Err(e) => format!("error {e:?}"),
            }
        }
        other => format!("unexpected {other:?}"),
    };
    println!("RESULT {result}");
}

#[test]
fn identity_and_scope_come_from_the_kernel_not_the_client() {
    let server = Server::start(200);
    if let Some((_, app)) = nobody_bins() {
        // A socket only its owner may use: another login is told what to ask for.
        use std::os::unix::process::CommandExt;
        let out = Command::new(app)
            .args(["show", "张", "--socket", server.socket.to_str().unwrap(), "--db", server.store.to_str().unwrap()])
            .uid(65534)
            .gid(65534)
            .env("HUITOUKAN_CONFIG", "/nonexistent")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("没有权限连接数据服务") && err.contains("用户组"), "{err}");
    }
    // Others may connect (the test opens the folder and socket to them).
    std::fs::set_permissions(server.socket.parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&server.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let admin = server.connect("管理员");
    let all = admin.summaries().unwrap();
    let mine = all[0].place.clone();
    let other = all.iter().find(|s| s.place != mine).expect("two villages").clone();

    // No clerk registered yet: another login gets in under its own name, not the one it claims.
    let Some(who) = as_nobody(&server.socket, "who", 0) else { return };
    assert!(who.starts_with("who nobody "), "{who}");

    // Once clerks are registered, an unregistered login is refused with the command that registers it.
    let admin_clerk = Clerk { login: "root".into(), name: "县管理员".into(), role: Role::Admin, scopes: vec![] };
    admin.add_clerk(&admin_clerk).unwrap();
    let refused = as_nobody(&server.socket, "get", other.key).unwrap();
    assert!(refused.starts_with("refused") && refused.contains("huitoukan clerk add nobody"), "{refused}");

    // A clerk scoped to one village sees and changes only that village.
    let scope = PlaceScope { township: mine.township.clone(), village: Some(mine.village.clone()) };
    admin.add_clerk(&Clerk { login: "nobody".into(), name: "村录入员".into(), role: Role::Entry, scopes: vec![scope] }).unwrap();
    let who = as_nobody(&server.socket, "who", 0).unwrap();
    assert!(who.starts_with("who 村录入员 Entry"), "the name comes from the registration, not the claim: {who}");
    let got = as_nobody(&server.socket, "get", other.key).unwrap();
    assert!(got.starts_with("error Refused") && got.contains("不在你负责的范围"), "{got}");
    let own = all.iter().find(|s| s.place == mine && s.state != FormState::Submitted).expect("an open form in the village");
    let got = as_nobody(&server.socket, "get", own.key).unwrap();
    assert_eq!(got, format!("record {} {}", mine.township, mine.village));
    let before = admin.get(other.key).unwrap();
    let saved = as_nobody(&server.socket, "save", other.key).unwrap();
    assert!(saved.starts_with("error Refused"), "{saved}");
    assert_eq!(admin.get(other.key).unwrap(), before, "nothing written outside the scope");
    let saved = as_nobody(&server.socket, "save", own.key).unwrap();
    assert!(saved.starts_with("ok"), "{saved}");
    assert_eq!(
        admin.history(own.key).unwrap().last().map(|e| e.who.clone()),
        Some("村录入员".into()),
        "the audit log names the registered clerk"
    );
    for what in ["find", "summaries"] {
        let seen = as_nobody(&server.socket, what, 0).unwrap();
        let places: Vec<&str> = seen.split_once(' ').map(|(_, r)| r.split(',').filter(|p| !p.is_empty()).collect()).unwrap_or_default();
        assert!(!places.is_empty(), "{what}: {seen}");
        assert!(places.iter().all(|p| *p == format!("{}/{}", mine.township, mine.village)), "{what} stays in the village: {seen}");
    }
    // Only 管理 imports, snapshots and manages clerks.
    for what in ["import", "clerks", "raw", "members_import"] {
        let r = as_nobody(&server.socket, what, 0).unwrap();
        assert!(r.starts_with("error Refused") && r.contains("管理"), "{what}: {r}");
    }
    // The handbook is kept to the scope too: another village's entries are
    // neither read, added to nor voided.
    let entries_before = admin.entries(other.key).unwrap();
    for what in ["entries", "add_entry", "void_entry"] {
        let r = as_nobody(&server.socket, what, other.key).unwrap();
        assert!(r.starts_with("error Refused") && r.contains("不在你负责的范围"), "{what}: {r}");
    }
    assert_eq!(admin.entries(other.key).unwrap(), entries_before, "nothing written outside the scope");
    let own_entries = as_nobody(&server.socket, "entries", own.key).unwrap();
    assert!(own_entries.starts_with("ok Entries"), "{own_entries}");
    // The command line under that login is kept to the same scope.
    use std::os::unix::process::CommandExt;
    let (_, app) = nobody_bins().expect("checked above");
    let out = Command::new(app)
        .args(["--socket", server.socket.to_str().unwrap(), "--db", server.store.to_str().unwrap(), "report"])
        .uid(65534)
        .gid(65534)
        .env("HUITOUKAN_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains(&other.place.village) || other.place.village == mine.village, "the report stays in scope:\n{text}");
    if let Some(dir) = app.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}
