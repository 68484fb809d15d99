//! Keymaps are data: mode → key → action.
//!
//! `keymaps/default.toml` is compiled in; a user file (`--keymap FILE`, else
//! `keymap.toml` in the config directory) overrides key by key. A bad entry
//! is reported once, in Chinese, and the default stays.
//!
//! Key strings: optional `ctrl-`, `alt-`, `shift-` then a key: one character,
//! or `enter esc tab backspace delete insert home end pageup pagedown up
//! down left right space minus f1`…`f12`. They parse and print round-trip.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The shipped bindings.
pub const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");

/// Where a binding applies. A mode's own table is tried first, then `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Global,
    /// The places pane and the household list.
    Browse,
    /// Typing in the find box.
    Find,
    /// The form editor.
    Form,
    /// A yes/no or choice dialog.
    Dialog,
    /// Scrollable views: help, audit history, card, statistics.
    Viewer,
    /// Inside a choice field of the form (是/否, single, checklist); then `form`.
    Choice,
    /// Inside a text field of the form (text, D7, names, phones, months); then `form`.
    Text,
    /// The household's file (户档): members, measures, visits.
    Dossier,
    /// A one-line text box over a screen (the reason for voiding an entry).
    Prompt,
}

impl Mode {
    pub const ALL: [Mode; 10] = [
        Mode::Global,
        Mode::Browse,
        Mode::Find,
        Mode::Form,
        Mode::Dialog,
        Mode::Viewer,
        Mode::Choice,
        Mode::Text,
        Mode::Dossier,
        Mode::Prompt,
    ];

    /// The table tried after this one's own (then `global`).
    pub fn parent(self) -> Option<Mode> {
        match self {
            Mode::Global => None,
            Mode::Choice | Mode::Text => Some(Mode::Form),
            _ => Some(Mode::Global),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Browse => "browse",
            Mode::Find => "find",
            Mode::Form => "form",
            Mode::Dialog => "dialog",
            Mode::Viewer => "viewer",
            Mode::Choice => "choice",
            Mode::Text => "text",
            Mode::Dossier => "dossier",
            Mode::Prompt => "prompt",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Mode::Global => "任何时候",
            Mode::Browse => "浏览乡镇、村和户",
            Mode::Find => "查找框",
            Mode::Form => "填写采集表",
            Mode::Dialog => "确认框",
            Mode::Viewer => "查看（帮助、卡片、记录、统计）",
            Mode::Choice => "选择题里（是/否、单选、多选）",
            Mode::Text => "文字框里（文字、姓名、电话、年月）",
            Mode::Dossier => "户档（成员、帮扶措施、走访记录）",
            Mode::Prompt => "输入框（如作废的原因）",
        }
    }

    pub fn from_name(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// A key with its modifiers, normalised so that equal keys compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// The key codes a binding may use (an orderable subset of crossterm's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
}

const NAMED: &[(&str, KeyCodeOrd)] = &[
    ("enter", KeyCodeOrd::Enter),
    ("esc", KeyCodeOrd::Esc),
    ("tab", KeyCodeOrd::Tab),
    ("backspace", KeyCodeOrd::Backspace),
    ("delete", KeyCodeOrd::Delete),
    ("insert", KeyCodeOrd::Insert),
    ("home", KeyCodeOrd::Home),
    ("end", KeyCodeOrd::End),
    ("pageup", KeyCodeOrd::PageUp),
    ("pagedown", KeyCodeOrd::PageDown),
    ("up", KeyCodeOrd::Up),
    ("down", KeyCodeOrd::Down),
    ("left", KeyCodeOrd::Left),
    ("right", KeyCodeOrd::Right),
    ("space", KeyCodeOrd::Char(' ')),
    ("minus", KeyCodeOrd::Char('-')),
];

impl Key {
    pub fn plain(code: KeyCodeOrd) -> Self {
        Key { code, ctrl: false, alt: false, shift: false }
    }

    /// Normalises a terminal key event; `None` for keys no binding can name.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let m = ev.modifiers;
        let mut key = Key {
            code: KeyCodeOrd::Esc,
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT),
        };
        key.code = match ev.code {
            KeyCode::Char(c) => {
                // The character already carries the shift (`?`, `A`).
                key.shift = false;
                // Terminals send ctrl-letters in either case.
                KeyCodeOrd::Char(if key.ctrl { c.to_ascii_lowercase() } else { c })
            }
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => {
                key.shift = true;
                KeyCodeOrd::Tab
            }
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Insert => KeyCodeOrd::Insert,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            _ => return None,
        };
        Some(key)
    }

    /// The crossterm event this key stands for (tests, replays).
    pub fn to_event(self) -> KeyEvent {
        let mut m = KeyModifiers::NONE;
        if self.ctrl {
            m |= KeyModifiers::CONTROL;
        }
        if self.alt {
            m |= KeyModifiers::ALT;
        }
        let code = match self.code {
            KeyCodeOrd::Char(c) => KeyCode::Char(c),
            KeyCodeOrd::F(n) => KeyCode::F(n),
            KeyCodeOrd::Enter => KeyCode::Enter,
            KeyCodeOrd::Esc => KeyCode::Esc,
            KeyCodeOrd::Tab if self.shift => {
                m |= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            KeyCodeOrd::Tab => KeyCode::Tab,
            KeyCodeOrd::Backspace => KeyCode::Backspace,
            KeyCodeOrd::Delete => KeyCode::Delete,
            KeyCodeOrd::Insert => KeyCode::Insert,
            KeyCodeOrd::Home => KeyCode::Home,
            KeyCodeOrd::End => KeyCode::End,
            KeyCodeOrd::PageUp => KeyCode::PageUp,
            KeyCodeOrd::PageDown => KeyCode::PageDown,
            KeyCodeOrd::Up => KeyCode::Up,
            KeyCodeOrd::Down => KeyCode::Down,
            KeyCodeOrd::Left => KeyCode::Left,
            KeyCodeOrd::Right => KeyCode::Right,
        };
        if self.shift && !matches!(code, KeyCode::BackTab | KeyCode::Char(_)) {
            m |= KeyModifiers::SHIFT;
        }
        KeyEvent::new(code, m)
    }

    /// Parses `ctrl-s`, `shift-tab`, `f2`, `?`, `space`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("按键为空".into());
        }
        let mut key = Key::plain(KeyCodeOrd::Esc);
        let mut rest = t;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (flag, len) = if lower.starts_with("ctrl-") && rest.len() > 5 {
                (&mut key.ctrl, 5)
            } else if lower.starts_with("alt-") && rest.len() > 4 {
                (&mut key.alt, 4)
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                (&mut key.shift, 6)
            } else {
                break;
            };
            if *flag {
                return Err(format!("按键“{t}”重复写了修饰键"));
            }
            *flag = true;
            rest = &rest[len..];
        }
        let lower = rest.to_ascii_lowercase();
        key.code = if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
            *code
        } else if let Some(n) = lower.strip_prefix('f').and_then(|d| d.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return Err(format!("功能键“{t}”应为F1–F12"));
            }
            KeyCodeOrd::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => {
                    if key.shift && c.is_ascii_alphabetic() {
                        // shift-a is A.
                        key.shift = false;
                        KeyCodeOrd::Char(c.to_ascii_uppercase())
                    } else if key.ctrl {
                        KeyCodeOrd::Char(c.to_ascii_lowercase())
                    } else {
                        KeyCodeOrd::Char(c)
                    }
                }
                _ => return Err(format!("不认识的按键“{t}”")),
            }
        };
        if key.shift && matches!(key.code, KeyCodeOrd::Char(_)) {
            return Err(format!("按键“{t}”：字符键请直接写字符本身（如 ? 或 A），不要加 shift-"));
        }
        Ok(key)
    }

    /// Short form for the footer and help: `Ctrl-S`, `F2`, `Shift-Tab`, `?`.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.ctrl {
            s.push_str("Ctrl-");
        }
        if self.alt {
            s.push_str("Alt-");
        }
        if self.shift {
            s.push_str("Shift-");
        }
        match self.code {
            KeyCodeOrd::Char(' ') => s.push_str("空格"),
            KeyCodeOrd::Char(c) if self.ctrl || self.alt => s.push(c.to_ascii_uppercase()),
            KeyCodeOrd::Char(c) => s.push(c),
            KeyCodeOrd::F(n) => s.push_str(&format!("F{n}")),
            KeyCodeOrd::Enter => s.push_str("Enter"),
            KeyCodeOrd::Esc => s.push_str("Esc"),
            KeyCodeOrd::Tab => s.push_str("Tab"),
            KeyCodeOrd::Backspace => s.push_str("Backspace"),
            KeyCodeOrd::Delete => s.push_str("Del"),
            KeyCodeOrd::Insert => s.push_str("Ins"),
            KeyCodeOrd::Home => s.push_str("Home"),
            KeyCodeOrd::End => s.push_str("End"),
            KeyCodeOrd::PageUp => s.push_str("PgUp"),
            KeyCodeOrd::PageDown => s.push_str("PgDn"),
            KeyCodeOrd::Up => s.push('↑'),
            KeyCodeOrd::Down => s.push('↓'),
            KeyCodeOrd::Left => s.push('←'),
            KeyCodeOrd::Right => s.push('→'),
        }
        s
    }

    pub fn is_function_key(&self) -> bool {
        matches!(self.code, KeyCodeOrd::F(_))
    }
}

impl fmt::Display for Key {
    /// The canonical keymap-file spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        if let Some((name, _)) = NAMED.iter().find(|(_, c)| *c == self.code) {
            return f.write_str(name);
        }
        match self.code {
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
            _ => unreachable!("every other code is in NAMED"),
        }
    }
}

/// The bindings of every mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    modes: BTreeMap<Mode, BTreeMap<Key, Action>>,
}

impl Keymap {
    /// The shipped keymap. It is tested to parse cleanly.
    pub fn shipped() -> Keymap {
        let mut km = Keymap { modes: BTreeMap::new() };
        let warnings = km.apply_toml(DEFAULT_TOML, "内置键位");
        debug_assert!(warnings.is_empty(), "{warnings:?}");
        km
    }

    /// The shipped keymap with the user's file applied on top; the
    /// warnings say, in Chinese, which entries were ignored.
    pub fn load(user_file: Option<&Path>) -> (Keymap, Vec<String>) {
        let mut km = Keymap::shipped();
        let default_path = crate::paths::config_dir().join("keymap.toml");
        let (path, explicit) = match user_file {
            Some(p) => (p.to_path_buf(), true),
            None => (default_path, false),
        };
        let warnings = match std::fs::read_to_string(&path) {
            Ok(text) => km.apply_toml(&text, &path.display().to_string()),
            Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => vec![format!("读不了键位文件 {}（{}），使用默认键位", path.display(), crate::io::file::describe(&e))],
        };
        (km, warnings)
    }

    /// Applies `text` key by key; returns a warning per bad entry.
    pub fn apply_toml(&mut self, text: &str, source: &str) -> Vec<String> {
        let mut warnings = Vec::new();
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let at = crate::config::toml_error_line(text, &e);
                return vec![format!("{source}：{at}不是有效的TOML写法（每行应是“按键 = 动作”），整个文件未使用，沿用默认键位")];
            }
        };
        for (mode_name, entries) in &table {
            let Some(mode) = Mode::from_name(mode_name) else {
                warnings.push(format!("{source}：没有“{mode_name}”这一组，可用：global、browse、find、form、choice、text、dialog、viewer"));
                continue;
            };
            let Some(entries) = entries.as_table() else {
                warnings.push(format!("{source}：[{mode_name}] 应是“按键 = 动作”的表"));
                continue;
            };
            let mut seen: BTreeMap<Key, &str> = BTreeMap::new();
            for (key_text, action) in entries {
                let key = match Key::parse(key_text) {
                    Ok(k) => k,
                    Err(e) => {
                        warnings.push(format!("{source}：[{mode_name}] {e}，该项未使用"));
                        continue;
                    }
                };
                let Some(action) = action.as_str().and_then(Action::from_name) else {
                    warnings.push(format!("{source}：[{mode_name}] “{key_text}”对应的动作“{action}”不存在，该项未使用（可用动作见帮助）"));
                    continue;
                };
                if let Some(prev) = seen.insert(key, key_text) {
                    warnings.push(format!("{source}：[{mode_name}] “{prev}”和“{key_text}”是同一个键，后一项覆盖前一项"));
                }
                self.modes.entry(mode).or_default().insert(key, action);
            }
        }
        warnings
    }

    /// The action bound to `key` in `mode` (or globally). `Noop` hides a default.
    pub fn action(&self, mode: Mode, key: Key) -> Option<Action> {
        let mut at = Some(mode);
        while let Some(m) = at {
            if let Some(a) = self.modes.get(&m).and_then(|t| t.get(&key)) {
                return Some(*a).filter(|a| *a != Action::Noop);
            }
            at = m.parent();
        }
        None
    }

    /// Lookup straight from a terminal event.
    pub fn lookup(&self, mode: Mode, ev: &KeyEvent) -> Option<Action> {
        Key::from_event(ev).and_then(|k| self.action(mode, k))
    }

    /// Keys bound to `action` in `mode` itself or globally (not shadowed), best first:
    /// plain keys, then ctrl, then F-keys.
    pub fn keys_for(&self, mode: Mode, action: Action) -> Vec<Key> {
        let mut keys: Vec<Key> = self.bindings(mode).into_iter().filter(|(_, a)| *a == action).map(|(k, _)| k).collect();
        keys.sort_by_key(|k| (k.is_function_key(), k.ctrl || k.alt, *k));
        keys
    }

    /// Every binding visible in `mode`: the mode's own, plus global ones it does not shadow.
    pub fn bindings(&self, mode: Mode) -> Vec<(Key, Action)> {
        let mut seen: BTreeMap<Key, Action> = BTreeMap::new();
        let mut at = Some(mode);
        while let Some(m) = at {
            for (k, a) in self.modes.get(&m).into_iter().flatten() {
                seen.entry(*k).or_insert(*a);
            }
            at = m.parent();
        }
        seen.into_iter().filter(|(_, a)| *a != Action::Noop).collect()
    }

    /// The mode's own table only (for the help screen's grouping).
    pub fn own_bindings(&self, mode: Mode) -> Vec<(Key, Action)> {
        self.modes.get(&mode).map(|m| m.iter().filter(|(_, a)| **a != Action::Noop).map(|(k, a)| (*k, *a)).collect()).unwrap_or_default()
    }

    /// `Ctrl-S/F2 保存草稿`-style hint for the footer; `None` when unbound.
    pub fn hint(&self, mode: Mode, action: Action, label: &str) -> Option<String> {
        let keys = self.keys_for(mode, action);
        if keys.is_empty() {
            return None;
        }
        let shown: Vec<String> = keys.iter().take(2).map(Key::label).collect();
        Some(format!("{} {label}", shown.join("/")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_keymap_parses_cleanly() {
        let mut km = Keymap { modes: BTreeMap::new() };
        let warnings = km.apply_toml(DEFAULT_TOML, "default.toml");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn shipped_keymap_binds_no_key_twice_in_a_mode() {
        let table: toml::Table = DEFAULT_TOML.parse().unwrap();
        for (mode, entries) in &table {
            let mut seen = std::collections::HashMap::new();
            for (k, _) in entries.as_table().unwrap() {
                let key = Key::parse(k).unwrap();
                assert!(seen.insert(key, k.clone()).is_none(), "[{mode}] {k} bound twice");
            }
        }
    }

    #[test]
    fn every_function_key_has_an_alternative() {
        let km = Keymap::shipped();
        for mode in Mode::ALL {
            for (key, action) in km.bindings(mode) {
                if key.is_function_key() {
                    let alts = km.keys_for(mode, action);
                    assert!(alts.iter().any(|k| !k.is_function_key()), "[{}] {action} is only on {key}", mode.name());
                }
            }
        }
    }

    #[test]
    fn key_strings_round_trip() {
        for s in [
            "ctrl-s",
            "shift-tab",
            "f2",
            "f10",
            "?",
            "/",
            "enter",
            "esc",
            "space",
            "minus",
            "alt-x",
            "ctrl-alt-delete",
            "A",
            "pagedown",
            "up",
        ] {
            let k = Key::parse(s).unwrap();
            assert_eq!(k.to_string(), s, "{s}");
            assert_eq!(Key::parse(&k.to_string()).unwrap(), k);
            assert_eq!(Key::from_event(&k.to_event()), Some(k), "{s}");
        }
        assert_eq!(Key::parse("Ctrl-S").unwrap(), Key::parse("ctrl-s").unwrap());
        assert_eq!(Key::parse("shift-a").unwrap(), Key::parse("A").unwrap());
        for bad in ["", "ctrl-", "f13", "hyper-x", "ab", "shift-?", "ctrl-ctrl-s"] {
            assert!(Key::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_file_overrides_key_by_key_and_reports_bad_entries_once() {
        let mut km = Keymap::shipped();
        let save = km.keys_for(Mode::Form, Action::Save);
        let w = km.apply_toml(
            "[form]\n\"ctrl-w\" = \"save\"\n\"ctrl-e\" = \"no-such-action\"\n\"hyper-q\" = \"quit\"\n[nomode]\nx = \"quit\"\n",
            "user.toml",
        );
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w.iter().all(|m| m.contains("user.toml")));
        assert_eq!(km.action(Mode::Form, Key::parse("ctrl-w").unwrap()), Some(Action::Save));
        for k in save {
            assert_eq!(km.action(Mode::Form, k), Some(Action::Save), "defaults stay");
        }
        let w = km.apply_toml("not [ toml", "broken.toml");
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("不是有效的TOML"));
    }

    #[test]
    fn noop_unbinds() {
        let mut km = Keymap::shipped();
        let q = km.keys_for(Mode::Browse, Action::Quit)[0];
        km.apply_toml(&format!("[global]\n\"{q}\" = \"noop\"\n[browse]\n\"{q}\" = \"noop\"\n"), "u");
        assert_eq!(km.action(Mode::Browse, q), None);
    }
}
