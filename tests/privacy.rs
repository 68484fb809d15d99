//! Personal data stays private: every file and directory the program makes
//! is owner-only even under a permissive umask, and ID numbers and phone
//! numbers are masked wherever they are shown without being asked for.
//!
//! File modes: the real binary runs under `umask 022` (set by `sh` before it
//! execs the program, so nothing here depends on the test's own umask):
//! - the store directory is 0700; sled's own files inside it are created
//!   with the umask (0644 under 022) and are reachable only through that
//!   directory, so the directory's mode is what protects them; the
//!   program's own files in it (holder, check marker, summary cache) are 0600;
//! - exports (CSV, XLSX), `report --output` files (csv, json, text),
//!   `import --report` files and snapshots are 0600, also when a file of
//!   that name existed with a wider mode;
//! - a restored store and the old one kept beside it are 0700;
//! - in an app session (in a pseudo-terminal) the holder file is 0600, and
//!   the exit snapshot and its folder are 0600 and 0700.
//!
//! Masks: `huitoukan show` prints masked ID numbers unless `--full-id` and
//! never a phone number; `report` in every format has neither; the app's
//! household list, find results, card, history and form at 80×24 show no
//! full ID number (or phone) until the card's reveal key shows that one.
#![cfg(unix)]

mod ui_support;

use huitoukan::form::{idnum, Value};
use huitoukan::store::Store;
use huitoukan::ui::app::{self, Screen};
use huitoukan::ui::keymap::Keymap;
use huitoukan::ui::{effects, terminal};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use ui_support::{plain, press, screen_text};

const BIN: &str = env!("CARGO_BIN_EXE_huitoukan");
const HOUSEHOLDS: usize = 300;

/// The binary under `umask 022`, with its data and config directories in `home`.
fn huitoukan(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .env("HUITOUKAN_HOME", home.join("data"))
        .env("HUITOUKAN_CONFIG", home.join("config"))
        .env("HUITOUKAN_OPERATOR", "privacy-test")
        .env("HUITOUKAN_SERVER_IDLE", "0")
        .stdin(Stdio::null());
    cmd
}

fn run(home: &Path, args: &[&str]) -> String {
    let out: Output = huitoukan(home, args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "huitoukan {args:?}: {:?}\n{text}", out.status);
    text
}

fn stdout(home: &Path, args: &[&str]) -> String {
    let out = huitoukan(home, args).output().unwrap();
    assert!(out.status.success(), "huitoukan {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every entry under `dir` with its mode.
fn walk(dir: &Path, out: &mut Vec<(PathBuf, u32)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        out.push((p.clone(), mode(&p)));
        if p.is_dir() {
            walk(&p, out);
        }
    }
}

/// The store directory is owner-only and the program's own files in it are
/// 0600; sled's files may follow the umask, the directory shuts them in.
fn assert_store_private(db: &Path) -> Vec<String> {
    assert_eq!(mode(db), 0o700, "{}", db.display());
    let mut entries = Vec::new();
    walk(db, &mut entries);
    let mut wider = Vec::new();
    for (p, m) in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("huitoukan.") {
            assert_eq!(m, 0o600, "{}", p.display());
        } else if m & 0o077 != 0 {
            wider.push(format!("{name} {m:o}"));
        }
    }
    wider
}

fn assert_private_file(p: &Path) {
    assert_eq!(mode(p), 0o600, "{}", p.display());
}

/// A file of that name already there, readable by everyone.
fn open_file(p: &Path) {
    std::fs::write(p, "old").unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn files_are_owner_only_under_umask_022() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("db");
    let out = home.join("out");
    std::fs::create_dir(&out).unwrap();
    run(home, &["--db", s(&db), "demo", "--households", &HOUSEHOLDS.to_string()]);
    let wider = assert_store_private(&db);
    eprintln!("sled's files under umask 022, shut in by the 0700 store directory: {wider:?}");

    // Exports, over a wider file of the same name too.
    let csv = out.join("export.csv");
    open_file(&csv);
    run(home, &["--db", s(&db), "export", s(&csv)]);
    assert_private_file(&csv);
    // The handbook's forms beside it: members' ID numbers, visits' notes.
    for form in ["家庭成员", "帮扶措施", "走访记录"] {
        assert_private_file(&out.join(format!("export-{form}.csv")));
    }
    let xlsx = out.join("export.xlsx");
    run(home, &["--db", s(&db), "export", s(&xlsx)]);
    assert_private_file(&xlsx);

    // Report files in every format.
    for format in ["csv", "json", "text"] {
        let f = out.join(format!("report.{format}"));
        if format == "csv" {
            open_file(&f);
        }
        run(home, &["--db", s(&db), "report", "--format", format, "--output", s(&f)]);
        assert_private_file(&f);
    }

    // The import's report of rejected rows.
    let mut rows = huitoukan::io::sample::rows(20, 3);
    rows[5][4] = "12345".into();
    let roster = out.join("roster.csv");
    std::fs::write(&roster, huitoukan::io::sample::csv(&rows)).unwrap();
    let rejected = out.join("rejected.csv");
    let imported = home.join("imported");
    let _ = huitoukan(home, &["--db", s(&imported), "import", s(&roster), "--report", s(&rejected)]).output().unwrap();
    assert!(std::fs::read_to_string(&rejected).unwrap().contains("12345"), "the report lists the bad row");
    assert_private_file(&rejected);
    assert_store_private(&imported);

    // Snapshots, and a restore: the new store and the kept old one.
    let snap = out.join("s.htksnap");
    run(home, &["--db", s(&db), "snapshot", "save", s(&snap)]);
    assert_private_file(&snap);
    run(home, &["--db", s(&imported), "snapshot", "restore", s(&snap), "--yes"]);
    assert_store_private(&imported);
    let kept: Vec<PathBuf> = std::fs::read_dir(home)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("imported.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "the old store is kept beside");
    assert_eq!(mode(&kept[0]), 0o700);

    // Nothing else was left in the output folder (no temporary files).
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "export-家庭成员.csv",
            "export-帮扶措施.csv",
            "export-走访记录.csv",
            "export.csv",
            "export.xlsx",
            "rejected.csv",
            "report.csv",
            "report.json",
            "report.text",
            "roster.csv",
            "s.htksnap"
        ]
    );
}

/// The app in a pseudo-terminal: the holder file while it runs, the exit
/// snapshot and its folder after a clean quit.
#[test]
fn an_app_session_holder_and_exit_snapshot_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("db");
    run(home, &["--db", s(&db), "demo", "--households", "100"]);
    let mut cmd = huitoukan(home, &["--db", s(&db)]);
    cmd.env("TERM", "xterm").stdin(Stdio::inherit());
    let mut session = expectrl::Session::spawn(cmd).expect("spawn the app in a pty");
    session.get_process_mut().set_window_size(80, 24).unwrap();
    let holder = huitoukan::store::lock::holder_path(&db);
    let cache = db.join(huitoukan::store::browse::SUMMARY_CACHE);
    let started = Instant::now();
    let mut buf = [0u8; 8192];
    while !(holder.exists() && cache.exists()) {
        assert!(started.elapsed() < Duration::from_secs(20), "the app did not open the store");
        let _ = session.try_read(&mut buf);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_private_file(&holder);
    assert_private_file(&cache);
    session.send("q").unwrap();
    loop {
        let _ = session.try_read(&mut buf);
        let status = session.get_process().status().unwrap();
        if status != expectrl::WaitStatus::StillAlive {
            assert!(matches!(status, expectrl::WaitStatus::Exited(_, 0)), "{status:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the app did not quit");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The exit snapshot is the store server's: it takes it once its last client has gone.
    let socket = huitoukan::server::default_socket(&db);
    // The socket goes first, the holder file when the store closes just after.
    while socket.exists() || holder.exists() {
        assert!(started.elapsed() < Duration::from_secs(30), "the store server did not stop after the app quit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let snapshots = huitoukan::backup::dir_for(&db);
    assert_eq!(mode(&snapshots), 0o700);
    let taken = huitoukan::backup::list(&db);
    assert_eq!(taken.len(), 1, "the exit snapshot of a store no snapshot holds yet");
    assert_private_file(&taken[0]);
    assert_store_private(&db);
}

/// Every ID number and phone number in the store.
fn secrets(store: &Store) -> (Vec<String>, Vec<String>) {
    let mut ids = Vec::new();
    let mut phones = Vec::new();
    for s in store.summaries().unwrap() {
        ids.push(s.id_number.clone());
        let lb = store.get(s.key).unwrap().unwrap();
        if let Some(Value::List(p)) = lb.form.answers.get("D2") {
            phones.extend(p.iter().filter(|p| p.len() >= 7).cloned());
        }
    }
    assert!(!phones.is_empty(), "demo forms have phone numbers");
    (ids, phones)
}

/// The secrets that occur in `text`.
fn leaked<'a>(text: &str, secrets: &'a [String]) -> Vec<&'a str> {
    secrets.iter().map(String::as_str).filter(|s| text.contains(*s)).collect()
}

#[test]
fn show_and_report_print_no_full_id_or_phone() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("db");
    run(home, &["--db", s(&db), "demo", "--households", &HOUSEHOLDS.to_string()]);
    let (ids, phones) = secrets(&Store::open(&db).unwrap());
    let all: Vec<String> = ids.iter().chain(&phones).cloned().collect();
    let store_summaries = Store::open(&db).unwrap().summaries().unwrap();
    let one = &store_summaries[17];
    let tail = &one.id_number[one.id_number.len() - 4..];

    for query in [one.id_number.as_str(), tail, one.head.as_str(), "z"] {
        for json in [false, true] {
            let mut args = vec!["--db", s(&db), "show", query, "--limit", "50"];
            if json {
                args.push("--json");
            }
            let text = stdout(home, &args);
            assert!(!text.is_empty());
            // JSON echoes the query as given: the caller's own input, not a leak.
            let text = text.replace(&format!("\"query\": \"{query}\""), "\"query\": …");
            assert_eq!(leaked(&text, &all), Vec::<&str>::new(), "show {query} (json {json}):\n{text}");
            if query == one.id_number {
                assert!(text.contains(&idnum::mask(&one.id_number)), "the masked ID is shown:\n{text}");
            }
        }
    }
    let text = stdout(home, &["--db", s(&db), "show", &one.id_number, "--full-id"]);
    assert!(text.contains(&one.id_number), "--full-id shows it:\n{text}");
    assert!(leaked(&text, &phones).is_empty(), "never a phone:\n{text}");

    for format in ["text", "csv", "json"] {
        let text = stdout(home, &["--db", s(&db), "report", "--format", format]);
        assert!(text.len() > 200, "{format}");
        assert_eq!(leaked(&text, &all), Vec::<&str>::new(), "report --format {format}");
        let t = &one.place.township;
        let text = stdout(home, &["--db", s(&db), "report", "--format", format, "--township", t]);
        assert_eq!(leaked(&text, &all), Vec::<&str>::new(), "report --format {format} --township {t}");
    }
}

#[test]
fn the_app_shows_masked_ids_until_the_card_reveals_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(&dir.path().join("db")).unwrap());
    huitoukan::demo::fill(&store, HOUSEHOLDS, 11, |_| {}).unwrap();
    let (ids, phones) = secrets(&store);
    let all: Vec<String> = ids.iter().chain(&phones).cloned().collect();
    let mut app = terminal::load(&backend(&store), Keymap::shipped(), plain()).unwrap();
    app.resize(80, 24);
    let screen = |app: &huitoukan::ui::app::App| screen_text(&ui_support::draw(app, 80, 24));
    let clean = |app: &huitoukan::ui::app::App, what: &str| {
        let text = screen(app);
        assert_eq!(leaked(&text, &all), Vec::<&str>::new(), "{what}:\n{text}");
        text
    };

    // Every household in the list, page by page, and their masks are on screen.
    press(&mut app, &["home", "tab"]);
    assert_eq!(app.list.rows.len(), HOUSEHOLDS);
    let mut shown = 0;
    for page in 0..HOUSEHOLDS {
        let text = clean(&app, &format!("the list, page {page}"));
        shown += app.summaries.iter().filter(|s| text.contains(&idnum::mask(&s.id_number))).count();
        if app.list.selected + 1 == app.list.rows.len() {
            break;
        }
        press(&mut app, &["pagedown"]);
    }
    assert!(shown >= HOUSEHOLDS, "masked IDs are shown ({shown})");

    // Find results: by the last four digits, by name, store-wide.
    let target = app.summaries[123].clone();
    let tail = &target.id_number[target.id_number.len() - 4..];
    for query in [tail, target.head.as_str()] {
        press(&mut app, &["esc", "esc", "ctrl-f"]);
        app::paste(&mut app, query);
        assert!(app.list.rows.contains(&123), "{query}");
        let text = clean(&app, &format!("find {query}"));
        assert!(text.contains(&idnum::mask(&target.id_number)));
    }

    // Its card: masked, until the reveal key; then that one ID only.
    press(&mut app, &["tab"]);
    while app.selected().map(|s| s.key) != Some(target.key) {
        press(&mut app, &["j"]);
    }
    let fx = press(&mut app, &["space"]);
    effects::run(&backend(&store), &mut app, fx);
    assert!(matches!(app.screens.last(), Some(Screen::Card(_))));
    clean(&app, "the card");
    press(&mut app, &["i"]);
    let text = screen(&app);
    assert!(text.contains(&target.id_number), "revealed on the card:\n{text}");
    let others: Vec<String> = all.iter().filter(|s| **s != target.id_number).cloned().collect();
    assert_eq!(leaked(&text, &others), Vec::<&str>::new(), "nothing else");
    press(&mut app, &["i"]);
    clean(&app, "the card, hidden again");

    // Its history, and its form.
    let fx = press(&mut app, &["h"]);
    effects::run(&backend(&store), &mut app, fx);
    assert!(matches!(app.screens.last(), Some(Screen::History(_))));
    clean(&app, "the history");
    press(&mut app, &["esc", "esc"]);
    let fx = press(&mut app, &["enter"]);
    effects::run(&backend(&store), &mut app, fx);
    assert!(matches!(app.screens.last(), Some(Screen::Form(_))));
    let text = screen(&app);
    assert!(!text.contains(&target.id_number), "the form shows section A's ID masked:\n{text}");
}

/// The store as the app sees it, through the one store interface.
fn backend(store: &std::sync::Arc<Store>) -> huitoukan::backend::Local {
    huitoukan::backend::Local::shared(std::sync::Arc::clone(store), "clerk")
}
