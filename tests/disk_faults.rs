//! A full disk and a read-only store give clear Chinese messages, and what
//! the clerk typed is kept for a retry.
//!
//! These tests mount a small tmpfs (CI runs as root). Where mounting is not
//! permitted they say so and check the error mapping alone.

use huitoukan::demo;
use huitoukan::form::Value;
use huitoukan::model::Answers;
use huitoukan::store::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Tmpfs {
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let tmp = tempfile::tempdir().ok()?;
        let dir = tmp.path().join("mnt");
        std::fs::create_dir(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("note: cannot mount a tmpfs here (not root?); only the error mapping is checked");
            return None;
        }
        Some(Tmpfs { dir, _tmp: tmp })
    }

    fn remount_ro(&self) {
        let s = Command::new("mount").args(["-o", "remount,ro"]).arg(&self.dir).status().unwrap();
        assert!(s.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn long_answers(i: usize) -> Answers {
    let mut a = Answers::new();
    a.insert("D7".into(), Value::Text(format!("{i} {}", "因病致贫，长期服药。".repeat(150))));
    a
}

fn fill_disk(dir: &Path) -> PathBuf {
    // Leave almost no room: one big ballast file.
    let ballast = dir.join("ballast");
    let mut f = std::fs::File::create(&ballast).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    use std::io::Write;
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    ballast
}

#[test]
fn full_disk_gives_a_clear_message_and_keeps_the_answers() {
    let Some(fs) = Tmpfs::mount("24m") else {
        let e = StoreError::from_io_for_tests(Path::new("/x"), std::io::Error::from_raw_os_error(28));
        assert!(e.to_string().contains("磁盘已满"));
        return;
    };
    let path = fs.dir.join("store");
    let store = std::sync::Arc::new(Store::open(&path).unwrap());
    demo::fill(&store, 50, 1, |_| {}).unwrap();
    let key = store.summaries().unwrap()[0].key;
    let ballast = fill_disk(&fs.dir);
    let mut failure = None;
    for i in 0..2000 {
        let answers = long_answers(i);
        match store.save_draft(key, &answers, "clerk") {
            Ok(_) => {}
            Err(e) => {
                failure = Some((e, answers));
                break;
            }
        }
    }
    let (err, kept) = failure.expect("a full disk must make a save fail");
    let msg = err.to_string();
    assert!(matches!(err, StoreError::DiskFull { .. }), "{err:?}");
    assert!(msg.contains("磁盘已满") && msg.contains("不会丢失"), "{msg}");
    assert!(err.is_retryable());
    // Room again: the kept answers save on the same handle (the store
    // reopens sled itself when a failed write left it refusing writes).
    std::fs::remove_file(ballast).unwrap();
    store.save_draft(key, &kept, "clerk").expect("the retry saves once there is room");
    assert_eq!(store.get(key).unwrap().unwrap().form.answers.get("D7"), kept.get("D7"));
    assert_eq!(store.verify_audit().unwrap().first_broken, None, "the audit chain stays whole across the reopen");
    drop(store);
    let store = std::sync::Arc::new(Store::open(&path).unwrap());
    assert_eq!(store.get(key).unwrap().unwrap().form.answers.get("D7"), kept.get("D7"));
}

#[test]
fn read_only_store_gives_a_clear_message() {
    let Some(fs) = Tmpfs::mount("16m") else {
        let e = StoreError::from_io_for_tests(Path::new("/x"), std::io::Error::from_raw_os_error(30));
        assert!(e.to_string().contains("没有写入权限"));
        return;
    };
    let path = fs.dir.join("store");
    {
        let store = std::sync::Arc::new(Store::open(&path).unwrap());
        demo::fill(&store, 20, 1, |_| {}).unwrap();
    }
    fs.remount_ro();
    let err = match Store::open(&path) {
        Err(e) => e,
        Ok(store) => {
            // Opened: the first write must fail clearly.
            let key = store.summaries().unwrap()[0].key;
            store.save_draft(key, &long_answers(1), "clerk").unwrap_err()
        }
    };
    let msg = err.to_string();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}: {msg}");
    assert!(msg.contains("没有写入权限"), "{msg}");
    // The command line says the same, in Chinese, with status 1.
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan")).arg("--db").arg(&path).args(["audit", "verify"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("没有写入权限") && stderr.contains(&path.display().to_string()), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// In the app: a save refused by a full disk shows the message in the status
/// line, the form stays open with what was typed, and the same text saves
/// once there is room again.
#[test]
fn app_keeps_the_typed_text_when_the_disk_is_full() {
    use huitoukan::ui::app::{self, Screen};
    use huitoukan::ui::keymap::{Key, Keymap};
    use huitoukan::ui::theme::Theme;
    use huitoukan::ui::{effects, terminal};
    let Some(fs) = Tmpfs::mount("24m") else { return };
    let path = fs.dir.join("store");
    let store = std::sync::Arc::new(Store::open(&path).unwrap());
    demo::fill(&store, 50, 1, |_| {}).unwrap();
    let key = store
        .summaries()
        .unwrap()
        .iter()
        .filter(|s| s.state != huitoukan::model::FormState::Submitted)
        .map(|s| s.key)
        .find(|&k| store.get(k).unwrap().unwrap().household.a.eliminated.is_none())
        .expect("a not-eliminated household not yet submitted");
    let mut app = terminal::load(&backend(&store), Keymap::shipped(), Theme { ascii: false, color: false }).unwrap();
    app.resize(80, 24);
    effects::run(&backend(&store), &mut app, vec![app::Effect::OpenForm(key)]);
    let press = |app: &mut app::App, k: &str| app::handle_key(app, Key::parse(k).unwrap().to_event());
    let editor = |app: &app::App| match app.screens.last() {
        Some(Screen::Form(ed)) => ed.current(),
        other => panic!("the form must stay open, found {}", other.is_some()),
    };
    // Go to D7 (the long text) through the fields.
    for _ in 0..40 {
        if editor(&app) == "D7" {
            break;
        }
        let fx = press(&mut app, "tab");
        effects::run(&backend(&store), &mut app, fx);
    }
    assert_eq!(editor(&app), "D7");
    let ballast = fill_disk(&fs.dir);
    let mut typed = match app.screens.last() {
        Some(Screen::Form(ed)) => match ed.answers().get("D7") {
            Some(Value::Text(t)) => t.clone(),
            _ => String::new(),
        },
        _ => unreachable!(),
    };
    let mut refused = false;
    for i in 0..400 {
        let chunk = format!("第{i}段：家中老人常年患病，子女外出务工收入不稳定，需要持续关注。");
        typed.push_str(&chunk);
        app::paste(&mut app, &chunk);
        let fx = press(&mut app, "ctrl-s");
        effects::run(&backend(&store), &mut app, fx);
        if app.status.as_ref().is_some_and(|s| s.error) {
            refused = true;
            break;
        }
    }
    // (sled may refuse reads too until the store is reopened by the next save.)
    let stored = store.get(key).ok().flatten().and_then(|lb| lb.form.answers.get("D7").cloned());
    assert!(
        refused,
        "a full disk must refuse a save; status {:?}, stored {} chars of {}",
        app.status,
        stored.map_or(0, |v| match v {
            Value::Text(t) => t.chars().count(),
            _ => 0,
        }),
        typed.chars().count()
    );
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("磁盘已满"), "{}", status.text);
    assert_eq!(editor(&app), "D7");
    let pending = app.pending_saves();
    assert_eq!(pending.len(), 1, "the typed text is still waiting to be saved");
    std::fs::remove_file(ballast).unwrap();
    let out = effects::run(&backend(&store), &mut app, pending);
    assert!(out.edited, "saved once there is room: {:?}", app.status);
    assert_eq!(store.get(key).unwrap().unwrap().form.answers.get("D7"), Some(&Value::Text(typed)));
}

/// The store as the app sees it, through the one store interface.
fn backend(store: &std::sync::Arc<Store>) -> huitoukan::backend::Local {
    huitoukan::backend::Local::shared(std::sync::Arc::clone(store), "clerk")
}

/// rust_xlsxwriter `expect`s its writes to succeed: on a full disk the
/// export panicked (exit 101, a Rust backtrace on the clerk's terminal).
#[test]
fn xlsx_export_on_a_full_disk_says_so_and_leaves_nothing() {
    let Some(fs) = Tmpfs::mount("3m") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    {
        let store = Store::open(&db).unwrap();
        demo::fill(&store, 3000, 1, |_| {}).unwrap();
    }
    let _ballast = fill_disk(&fs.dir);
    let out =
        Command::new(env!("CARGO_BIN_EXE_huitoukan")).arg("--db").arg(&db).arg("export").arg(fs.dir.join("out.xlsx")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("磁盘已满") && !err.contains("panicked"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&fs.dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["ballast"], "no output or temporary file left");
}

/// On a full disk (issue 12 item 17): reading commands still work (sled
/// zero-fills its log's tail at every open: the store keeps a small reserve
/// to give up for that), the store is not left looking damaged afterwards
/// (sled's unfinished `snap.*.generating` file), and an import the disk
/// cannot hold is refused before it writes instead of filling the disk.
#[test]
fn a_full_disk_still_reads_and_refuses_an_import_it_cannot_hold() {
    let Some(fs) = Tmpfs::mount("40m") else { return };
    let db = fs.dir.join("store");
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_huitoukan")).arg("--db").arg(&db).args(args).output().unwrap();
    let out = run(&["demo", "--households", "1500"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(db.join("huitoukan.reserve").exists());
    let outside = tempfile::tempdir().unwrap();
    let roster = outside.path().join("roster.csv");
    std::fs::write(&roster, huitoukan::io::sample::csv(&huitoukan::io::sample::rows(12_000, 77))).unwrap();
    let ballast = fill_disk(&fs.dir);
    for args in [vec!["report"], vec!["export", outside.path().join("o.csv").to_str().unwrap()], vec!["audit", "verify"]] {
        let out = run(&args);
        assert!(out.status.success(), "{args:?} on a full disk: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Room for a little, not for 12,000 households.
    std::fs::remove_file(&ballast).unwrap();
    let mut f = std::fs::File::create(&ballast).unwrap();
    use std::io::Write;
    let free = |p: &Path| huitoukan::store::free_space(p).unwrap();
    while free(&fs.dir) > 12 << 20 {
        f.write_all(&vec![0u8; 1 << 20]).unwrap();
    }
    f.sync_all().unwrap();
    let before = std::fs::metadata(db.join("db")).unwrap().len();
    let out = run(&["import", roster.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("磁盘空间不够") && err.contains("保持原样"), "{err}");
    assert!(std::fs::metadata(db.join("db")).unwrap().len() <= before + (1 << 20), "the log did not grow");
    drop(f);
    std::fs::remove_file(&ballast).unwrap();
    let store = Store::open_existing(&db, "t").unwrap();
    assert_eq!(store.household_count().unwrap(), 1500);
    assert_eq!(store.verify_audit().unwrap().first_broken, None);
}
