//! Who holds the store: a small file beside sled's own lock, so a second
//! process can say which PID and user have it open.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const HOLDER_FILE: &str = "huitoukan.holder";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub user: String,
    pub since: String,
    pub program: String,
}

impl Holder {
    pub fn current(program: &str) -> Self {
        Holder {
            pid: std::process::id(),
            user: crate::model::login_user(),
            since: chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
            program: program.to_string(),
        }
    }

    /// Whether the process still runs (Linux: /proc; elsewhere assume yes).
    /// A process killed but not yet reaped by its parent (a zombie, state
    /// `Z`, or `X` dying) still has its /proc entry: right after a SIGKILL
    /// commands said the dead process held the store (12 of 20 tries).
    pub fn alive(&self) -> bool {
        if !Path::new("/proc/self").exists() {
            return true;
        }
        let Ok(stat) = fs::read_to_string(format!("/proc/{}/stat", self.pid)) else { return false };
        // `pid (comm) S …`: comm may hold spaces and parentheses, the state follows the last `)`.
        if matches!(stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next()), Some('Z' | 'X')) {
            return false;
        }
        // Killed and still tearing down (a large process takes a moment): a pending SIGKILL.
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let sigkill = 1u64 << 8;
        !status
            .lines()
            .filter_map(|l| l.strip_prefix("ShdPnd:").or_else(|| l.strip_prefix("SigPnd:")))
            .any(|mask| u64::from_str_radix(mask.trim(), 16).is_ok_and(|m| m & sigkill != 0))
    }

    pub fn describe(&self) -> String {
        format!("进程{}（用户{}，{}起，{}）", self.pid, self.user, self.since, self.program)
    }
}

pub fn holder_path(store: &Path) -> PathBuf {
    store.join(HOLDER_FILE)
}

pub fn write(store: &Path, h: &Holder) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(holder_path(store))?;
    writeln!(f, "pid={}\nuser={}\nsince={}\nprogram={}", h.pid, h.user, h.since, h.program)?;
    Ok(())
}

pub fn read(store: &Path) -> Option<Holder> {
    let text = fs::read_to_string(holder_path(store)).ok()?;
    let get = |k: &str| text.lines().find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('='))).map(str::to_string);
    Some(Holder {
        pid: get("pid")?.parse().ok()?,
        user: get("user").unwrap_or_default(),
        since: get("since").unwrap_or_default(),
        program: get("program").unwrap_or_default(),
    })
}

pub fn remove(store: &Path) {
    let _ = fs::remove_file(holder_path(store));
}
