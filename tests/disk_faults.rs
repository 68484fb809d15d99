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
    let store = Store::open(&path).unwrap();
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
    // Room again: the kept answers save (after reopening if sled needs it).
    std::fs::remove_file(ballast).unwrap();
    let saved = store.save_draft(key, &kept, "clerk");
    let store = match saved {
        Ok(_) => store,
        Err(e) => {
            eprintln!("retry on the same handle failed ({e}); reopening");
            drop(store);
            let s = Store::open(&path).expect("store reopens after space is freed");
            s.save_draft(key, &kept, "clerk").expect("retry succeeds");
            s
        }
    };
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
        let store = Store::open(&path).unwrap();
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
}
