//! `config.toml` in the config directory: settings a clerk keeps between runs.
//!
//! ```toml
//! ascii = true            # +-| borders (same as --ascii)
//! [backup]
//! every_minutes = 30      # automatic snapshot while editing; 0 turns it off
//! keep = 10               # automatic snapshots kept beside the store
//! on_exit = true          # one more when the app exits cleanly
//! ```
//! A bad entry is reported once, in Chinese, and keeps its default while
//! every good entry applies (as in the keymap); a file that is not TOML at
//! all is reported with its line and the defaults stay.

use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub ascii: bool,
    pub backup: BackupPolicy,
}

/// When automatic snapshots are taken and how many are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// How a TOML value is written, for "… 写的是 X" (strings quoted, as in the file).
fn shown(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(_) => "一组设置".to_string(),
        toml::Value::Array(_) => "一个列表".to_string(),
        other => other.to_string(),
    }
}

/// Where a TOML syntax error is, in Chinese: `第3行` (empty when unknown).
pub(crate) fn toml_error_line(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else { return String::new() };
    let line = text.as_bytes()[..span.start.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1;
    format!("第{line}行")
}

impl Config {
    /// Reads `config.toml` from the config directory; missing = defaults.
    pub fn load() -> (Config, Vec<String>) {
        Self::load_from(&crate::paths::config_dir().join("config.toml"))
    }

    pub fn load_from(path: &Path) -> (Config, Vec<String>) {
        match std::fs::read_to_string(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Config::default(), Vec::new()),
            Err(e) => {
                let why = crate::io::file::describe(&e);
                (Config::default(), vec![format!("读不了设置文件 {}（{why}），全部使用默认设置", path.display())])
            }
            Ok(text) => Self::parse(&text, &path.display().to_string()),
        }
    }

    /// Reads the settings entry by entry, as the keymap does: a bad entry
    /// is named in a warning and keeps its default; the good ones apply.
    pub fn parse(text: &str, source: &str) -> (Config, Vec<String>) {
        let mut config = Config::default();
        let mut warnings = Vec::new();
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let at = toml_error_line(text, &e);
                warnings.push(format!("设置文件 {source} {at}写法有误（每行应是“名称 = 值”，分组写成 [backup]），全部使用默认设置"));
                return (config, warnings);
            }
        };
        let kept = |what: String| format!("{source}：{what}，该项使用默认值");
        for (key, value) in &table {
            match (key.as_str(), value) {
                ("ascii", toml::Value::Boolean(b)) => config.ascii = *b,
                ("ascii", v) => warnings.push(kept(format!("ascii 应为 true 或 false，写的是 {}", shown(v)))),
                ("backup", toml::Value::Table(backup)) => {
                    for (key, value) in backup {
                        let b = &mut config.backup;
                        match (key.as_str(), value) {
                            ("every_minutes", toml::Value::Integer(n)) if *n >= 0 => b.every_minutes = *n as u64,
                            ("every_minutes", v) => {
                                warnings.push(kept(format!("[backup] every_minutes 应为分钟数（0 或正整数），写的是 {}", shown(v))))
                            }
                            ("keep", toml::Value::Integer(n)) if *n >= 0 => b.keep = usize::try_from(*n).unwrap_or(usize::MAX).max(1),
                            ("keep", v) => warnings.push(kept(format!("[backup] keep 应为份数（正整数），写的是 {}", shown(v)))),
                            ("on_exit", toml::Value::Boolean(x)) => b.on_exit = *x,
                            ("on_exit", v) => warnings.push(kept(format!("[backup] on_exit 应为 true 或 false，写的是 {}", shown(v)))),
                            (other, _) => warnings.push(format!(
                                "{source}：[backup] 里没有“{other}”这一项（可用：every_minutes、keep、on_exit），该项未使用"
                            )),
                        }
                    }
                }
                ("backup", v) => warnings.push(kept(format!("backup 应写成一组 [backup]，写的是 {}", shown(v)))),
                (other, _) => warnings.push(format!("{source}：没有“{other}”这一项（可用：ascii、[backup]），该项未使用")),
            }
        }
        (config, warnings)
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

    #[test]
    fn one_bad_entry_keeps_every_good_one_and_says_which() {
        let text = "colour = 1\nascii = true\n[backup]\nevery_minutes = -5\nkeep = 3\non_exit = \"no\"\nextra = 1\n";
        let (c, w) = Config::parse(text, "c.toml");
        assert!(c.ascii, "the good entry applies");
        assert_eq!(c.backup, BackupPolicy { every_minutes: 30, keep: 3, on_exit: true });
        assert_eq!(w.len(), 4, "{w:?}");
        for name in ["“colour”", "every_minutes 应为", "on_exit 应为", "“extra”"] {
            let found: Vec<_> = w.iter().filter(|x| x.contains(name)).collect();
            assert_eq!(found.len(), 1, "{name} in {w:?}");
            assert!(found[0].starts_with("c.toml："), "{found:?}");
        }
        assert!(w.iter().any(|x| x.contains("写的是 -5") && x.contains("默认值")), "{w:?}");
        // Every warning is Chinese: no serde or toml English.
        for warning in &w {
            assert!(!warning.contains("invalid") && !warning.contains("expected") && !warning.contains("unknown field"), "{warning}");
        }
        // A file that is not TOML at all: the line, in Chinese, and defaults.
        let (c, w) = Config::parse("ascii = true\nthis is not toml\n", "c.toml");
        assert_eq!(c, Config::default());
        assert!(w[0].contains("第2行") && !w[0].contains("expected"), "{w:?}");
    }

    #[test]
    fn an_unreadable_file_is_said_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be: read_to_string fails with EISDIR.
        let path = dir.path().join("config.toml");
        std::fs::create_dir(&path).unwrap();
        let (c, w) = Config::load_from(&path);
        assert_eq!(c, Config::default());
        assert!(w[0].contains("读不了设置文件") && w[0].contains("目录") && !w[0].contains("os error"), "{w:?}");
    }
}
