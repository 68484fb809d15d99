//! `config.toml` in the config directory: settings a clerk keeps between runs.
//!
//! ```toml
//! ascii = true            # +-| borders (same as --ascii)
//! [backup]
//! every_minutes = 30      # automatic snapshot while editing; 0 turns it off
//! keep = 10               # automatic snapshots kept beside the store
//! ```
//! A bad file or entry is reported once, in Chinese, and the default stays.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub ascii: bool,
    pub backup: BackupPolicy,
}

/// When automatic snapshots are taken and how many are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupPolicy {
    /// Minutes of editing between automatic snapshots; 0 = only on clean exit.
    pub every_minutes: u64,
    /// How many automatic snapshots to keep (at least 1).
    pub keep: usize,
    /// Take one when the app exits cleanly.
    pub on_exit: bool,
}

impl Default for BackupPolicy {
    fn default() -> Self {
        BackupPolicy { every_minutes: 30, keep: 10, on_exit: true }
    }
}

impl Config {
    /// Reads `config.toml` from the config directory; missing = defaults.
    pub fn load() -> (Config, Vec<String>) {
        Self::load_from(&crate::paths::config_dir().join("config.toml"))
    }

    pub fn load_from(path: &Path) -> (Config, Vec<String>) {
        match std::fs::read_to_string(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Config::default(), Vec::new()),
            Err(e) => (Config::default(), vec![format!("读不了设置文件 {}（{e}），使用默认设置", path.display())]),
            Ok(text) => Self::parse(&text, &path.display().to_string()),
        }
    }

    pub fn parse(text: &str, source: &str) -> (Config, Vec<String>) {
        match toml::from_str::<Config>(text) {
            Ok(mut c) => {
                c.backup.keep = c.backup.keep.max(1);
                (c, Vec::new())
            }
            Err(e) => {
                let msg = e.message().to_string();
                (Config::default(), vec![format!("设置文件 {source} 有误（{msg}），使用默认设置")])
            }
        }
    }
}

/// How long a store server started by the app waits after its last client
/// before it exits: `HUITOUKAN_SERVER_IDLE` seconds, else five minutes.
pub fn server_idle_exit() -> std::time::Duration {
    let secs = std::env::var("HUITOUKAN_SERVER_IDLE").ok().and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(300);
    std::time::Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_bad_files() {
        assert_eq!(Config::parse("", "c").0, Config::default());
        let (c, w) = Config::parse("ascii = true\n[backup]\nevery_minutes = 5\nkeep = 0\n", "c");
        assert!(w.is_empty());
        assert!(c.ascii);
        assert_eq!(c.backup.every_minutes, 5);
        assert_eq!(c.backup.keep, 1);
        assert!(c.backup.on_exit);
        let (c, w) = Config::parse("ascii = \"yes\"", "c.toml");
        assert_eq!(c, Config::default());
        assert!(w[0].contains("c.toml"), "{w:?}");
        let (_, w) = Config::parse("colour = 1", "c.toml");
        assert_eq!(w.len(), 1);
    }
}
