//! Where a store may be opened, created and written next to (issue 12
//! items 3, 4, 6, 7, 8 and issue 16 item 3): a mistyped `--db` makes no
//! data out of nothing, a directory that is not a store is left alone, an
//! emptied or moved store is not replaced by an empty one, and no output
//! file lands inside a store.

mod support;

use huitoukan::config::BackupPolicy;
use huitoukan::store::Store;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_huitoukan"))
}

fn run(db: &Path, args: &[&str]) -> Output {
    bin().arg("--db").arg(db).args(args).env("HUITOUKAN_CONFIG", db.with_file_name("no-config")).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn demo_store(db: &Path, n: usize) {
    let out = bin().args(["demo", "--households", &n.to_string(), "--db"]).arg(db).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn roster_text() -> String {
    format!(
        "乡镇(街道),村(社区),家庭地址,户主姓名,户主证件号码,家庭人口数,对象类别,主要的返致贫风险点,纳入系统时间,标注风险消除年月\n\
         石盘乡,石盘村,石盘村1组,张三,{},3,监测户,因病,202103,\n",
        huitoukan::demo::id_number(1)
    )
}

#[test]
fn a_missing_db_is_refused_by_every_command_that_does_not_create_data() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("typo");
    let roster = tmp.path().join("roster.csv");
    std::fs::write(&roster, roster_text()).unwrap();
    let snap = tmp.path().join("s.htksnap");
    let csv = tmp.path().join("out.csv");
    let cases: Vec<Vec<&str>> = vec![
        vec!["report"],
        vec!["show", "张三"],
        vec!["audit", "verify"],
        vec!["snapshot", "save", snap.to_str().unwrap()],
        vec!["export", csv.to_str().unwrap()],
        vec!["export", "--township", "没有这个乡", csv.to_str().unwrap()],
    ];
    for args in cases {
        let out = run(&db, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("打不开") && err.contains(&db.display().to_string()), "{args:?} names the path: {err}");
        assert!(err.contains("不存在"), "{args:?}: {err}");
        assert!(!err.contains("乡镇名"), "no township blamed: {err}");
        assert!(!db.exists(), "{args:?} created the store");
        assert!(!snap.exists() && !csv.exists(), "{args:?} wrote an output");
    }

    // A dry run checks the roster against no store: nothing is created.
    let out = run(&db, &["import", "--dry-run", roster.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("新增 1 户"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(!db.exists(), "a dry run created the store");

    // Importing a file that is not there creates nothing either.
    let out = run(&db, &["import", tmp.path().join("missing.csv").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("不存在"), "{}", stderr(&out));
    assert!(!db.exists(), "importing a missing file created the store");

    // A real import does create it.
    let out = run(&db, &["import", roster.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(Store::open_existing(&db, "t").unwrap().household_count().unwrap(), 1);
}

#[test]
fn a_directory_that_is_not_a_store_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("documents");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let roster = tmp.path().join("roster.csv");
    std::fs::write(&roster, roster_text()).unwrap();
    for args in [vec!["report"], vec!["import", roster.to_str().unwrap()], vec!["demo", "--households", "5"]] {
        let out = run(&dir, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("notes.txt") && err.contains("不是huitoukan的数据库"), "{args:?}: {err}");
        assert_eq!(mode(&dir), 0o755, "{args:?} chmodded the directory");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["notes.txt"], "{args:?} wrote into it");
    }
    // An empty directory is refused by a reader, and may become a store by a creator.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = run(&empty, &["report"]);
    assert!(stderr(&out).contains("空的"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    assert!(run(&empty, &["import", roster.to_str().unwrap()]).status.success());
    assert_eq!(mode(&empty), 0o700);
    // A plain file is not a store either.
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    assert!(stderr(&run(&file, &["import", roster.to_str().unwrap()])).contains("这是一个文件"));
}

#[test]
fn folders_created_above_the_store_are_owner_only_under_umask_000() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a/b/store");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask 000; exec \"$0\" --db '{}' demo --households 3", db.display()))
        .arg(env!("CARGO_BIN_EXE_huitoukan"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for p in [tmp.path().join("a"), tmp.path().join("a/b"), db.clone()] {
        assert_eq!(mode(&p), 0o700, "{}", p.display());
    }
    let store = Store::open(&db).unwrap();
    let (snaps, _) = huitoukan::backup::take(&store, &BackupPolicy::default()).unwrap();
    assert_eq!(mode(snaps.parent().unwrap()), 0o700);
}

#[test]
fn no_output_lands_inside_a_store_or_its_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    demo_store(&db, 20);
    {
        let store = Store::open(&db).unwrap();
        huitoukan::backup::take(&store, &BackupPolicy::default()).unwrap();
    }
    let snaps = huitoukan::backup::dir_for(&db);
    let before = std::fs::read(db.join("db")).unwrap();
    let inside = [db.join("db"), db.join("conf"), db.join("blobs/x.csv"), db.join("../store/db"), snaps.join("mine.htksnap")];
    for out_path in &inside {
        let p = out_path.to_str().unwrap();
        for args in [vec!["export", p], vec!["export", "--format", "xlsx", p], vec!["snapshot", "save", p], vec!["report", "-o", p]] {
            let out = run(&db, &args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains("里面") && err.contains("换一个目录"), "{args:?}: {err}");
        }
    }
    // A symlinked directory into the store does not get around it.
    std::os::unix::fs::symlink(&db, tmp.path().join("link")).unwrap();
    let out = run(&db, &["export", tmp.path().join("link/db").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(std::fs::read(db.join("db")).unwrap(), before, "sled's file is untouched");
    assert!(!snaps.join("mine.htksnap").exists());
    let out = run(&db, &["audit", "verify"]);
    assert!(out.status.success(), "the store still opens: {}", stderr(&out));
    // Beside the store is fine.
    assert!(run(&db, &["export", tmp.path().join("out.csv").to_str().unwrap()]).status.success());
}

#[test]
fn an_emptied_or_moved_store_is_not_replaced_by_an_empty_one() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    demo_store(&db, 30);
    {
        let store = Store::open(&db).unwrap();
        huitoukan::backup::take(&store, &BackupPolicy::default()).unwrap();
    }
    let roster = tmp.path().join("roster.csv");
    std::fs::write(&roster, roster_text()).unwrap();

    // Emptied: sled's files deleted, ours left.
    let keep = tmp.path().join("keep");
    support::copy_dir(&db, &keep);
    for f in ["db", "conf", "blobs", "snap.0000000000000000"] {
        let p = db.join(f);
        let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
    }
    for args in [vec!["report"], vec!["import", roster.to_str().unwrap()]] {
        let out = run(&db, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("不见了") && err.contains("snapshot restore") && err.contains("30户"), "{args:?}: {err}");
        assert!(!db.join("db").exists(), "{args:?} made a new store");
    }

    // Moved away (or emptied to nothing): a creating command refuses too, naming the snapshot.
    std::fs::remove_dir_all(&db).unwrap();
    for args in [vec!["import", roster.to_str().unwrap()], vec!["report"]] {
        let out = run(&db, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("snapshot restore") && err.contains("30户"), "{args:?}: {err}");
        assert!(!db.exists(), "{args:?} made a new store");
    }

    // An empty store's snapshot never displaces the one with households.
    let empty = Store::open(&db).unwrap();
    let e = huitoukan::backup::take(&empty, &BackupPolicy { keep: 1, ..BackupPolicy::default() }).unwrap_err();
    assert!(e.to_string().contains("一户也没有"), "{e}");
    drop(empty);
    let advice = huitoukan::backup::advice_for_damaged(&db);
    assert!(advice.contains("30户"), "{advice}");
    assert_eq!(huitoukan::backup::list(&db).len(), 1);
    drop(keep);
}

/// The marker check ("the audit log got shorter") refused once; it must
/// refuse at every later open too, not rewrite its own count.
#[test]
fn the_shorter_audit_log_refusal_holds_at_the_second_open() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    demo_store(&db, 10);
    let marker = db.join("huitoukan.check");
    let text = std::fs::read_to_string(&marker).unwrap();
    // One audit entry per household, and one for their handbooks.
    assert_eq!(text.trim(), "audit_entries=11");
    std::fs::write(&marker, "audit_entries=999\n").unwrap();
    for attempt in 0..2 {
        let out = run(&db, &["report"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "attempt {attempt}: {err}");
        assert!(err.contains("999"), "attempt {attempt}: {err}");
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), "audit_entries=999\n", "attempt {attempt} rewrote the marker");
    }
}

/// Right after a SIGKILL the dead process is a zombie until its parent
/// reaps it: its /proc entry stays, and commands said it still held the
/// store (12 of 20 tries). Here it is never reaped before the next command.
#[test]
fn a_killed_holder_that_is_not_yet_reaped_does_not_lock_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    demo_store(&db, 10);
    let roster = tmp.path().join("big.csv");
    std::fs::write(&roster, huitoukan::io::sample::csv(&huitoukan::io::sample::rows(60_000, 3))).unwrap();
    for round in 0..6 {
        let mut child = bin()
            .arg("--db")
            .arg(&db)
            .arg("import")
            .arg(&roster)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it holds the store (its holder file names it).
        let started = std::time::Instant::now();
        while huitoukan::store::lock::read(&db).is_none_or(|h| h.pid != child.id()) {
            assert!(started.elapsed().as_secs() < 20, "the import never opened the store");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(150 * round));
        // SIGKILL, and no wait(): the child stays a zombie meanwhile.
        let killed = Command::new("kill").arg("-KILL").arg(child.id().to_string()).status().unwrap();
        assert!(killed.success());
        let out = run(&db, &["audit", "verify"]);
        assert!(out.status.success(), "round {round}: {}", stderr(&out));
        child.wait().unwrap();
    }
}
