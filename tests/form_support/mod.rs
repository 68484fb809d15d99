//! Drives a `FormEditor` the way the app does — keymap lookup, then action,
//! key or paste — and runs its effects against a real store in a temp dir.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use huitoukan::backend::Local;
use huitoukan::form::idnum;
use huitoukan::form::{Value, YearMonth};
use huitoukan::model::{Answers, LookBack, Place, SectionA};
use huitoukan::store::Store;
use huitoukan::ui::form::{FormEditor, FormEffect};
use huitoukan::ui::keymap::{Key, Keymap};
use huitoukan::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;

pub const WHO: &str = "测试员";

pub fn month(y: u16, m: u8) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

/// Section A of a test household; `eliminated` is A8.
pub fn section_a(n: u32, head: &str, eliminated: Option<YearMonth>) -> SectionA {
    SectionA {
        address: format!("重庆市彭水县鹿角镇石坪村{n}组"),
        head: head.into(),
        id_number: idnum::complete(&format!("50024319800101{n:03}")).unwrap(),
        size: 4,
        category: 0,
        enrol_risk: 0,
        enrolled: month(2020, 5),
        eliminated,
    }
}

/// An answer map from pairs.
pub fn answers(items: &[(&str, Value)]) -> Answers {
    items.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

pub fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| s.to_string()).collect())
}

/// The keys `2 2 2 1 2 {c2} 1 2` answer sections B and C like this: no
/// problem with the three guarantees or water, not a new-four-kinds family,
/// C2 option `c2` (1–4), income from 外出务工, no sudden hardship.
pub fn bc_keys(c2: u16) -> String {
    format!("2 2 2 1 2 {c2} 1 2")
}

pub fn bc_answers(c2: u16) -> Vec<(&'static str, Value)> {
    vec![
        ("B1", Value::Bool(false)),
        ("B2", Value::Bool(false)),
        ("B3", Value::Bool(false)),
        ("B4", Value::Bool(true)),
        ("C1", Value::Bool(false)),
        ("C2", Value::Choice(c2 - 1)),
        ("C3", Value::Choice(0)),
        ("C4", Value::Bool(false)),
    ]
}

pub fn place() -> Place {
    Place { township: "鹿角镇".into(), village: "石坪村".into() }
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    /// The same store as the app sees it, through the one effect runner.
    pub backend: Local,
    /// The household list the editor came from, and where in it we are.
    pub keys: Vec<u64>,
    pub pos: usize,
    pub ed: FormEditor,
    pub keymap: Keymap,
    /// Keys pressed that are not characters of typed text.
    pub keystrokes: usize,
    pub effects: Vec<FormEffect>,
    pub closed: bool,
    pub quit: bool,
    pub errors: Vec<String>,
    /// D1/D2 offers learned from what was saved, as the app keeps them.
    pub monitors: huitoukan::ui::form::monitors::Directory,
}

impl Harness {
    pub fn new(households: Vec<SectionA>) -> Harness {
        Harness::with_form(households, huitoukan::form::schema::shipped())
    }

    /// A store whose households are begun with `form` (a later round's).
    pub fn with_form(households: Vec<SectionA>, form: &'static huitoukan::form::file::Form) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db")).unwrap();
        store.use_form(form);
        let store = Arc::new(store);
        let rows: Vec<_> = households.into_iter().map(|a| (place(), a)).collect();
        store.upsert_households(&rows, WHO).unwrap();
        let mut keys: Vec<u64> = store.summaries().unwrap().iter().map(|s| s.key).collect();
        keys.sort_unstable();
        let ed = FormEditor::new(keys[0], store.get(keys[0]).unwrap().unwrap(), store.round().clone());
        Harness {
            dir,
            backend: Local::shared(Arc::clone(&store), WHO),
            store,
            keys,
            pos: 0,
            ed,
            keymap: Keymap::shipped(),
            keystrokes: 0,
            effects: Vec::new(),
            closed: false,
            quit: false,
            errors: Vec::new(),
            monitors: Default::default(),
        }
    }

    pub fn key(&self) -> u64 {
        self.keys[self.pos]
    }

    pub fn stored(&self) -> LookBack {
        self.store.get(self.key()).unwrap().unwrap()
    }

    /// Presses keys written as in keymap files, separated by spaces: `tab 1 ctrl-s`.
    pub fn press(&mut self, keys: &str) {
        for k in keys.split_whitespace() {
            let key = Key::parse(k).unwrap_or_else(|e| panic!("{k}: {e}"));
            self.keystrokes += 1;
            self.send(key.to_event());
        }
    }

    /// Types text character by character, as an input method delivers it.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    /// D1 and D2 from D1: one monitor's name and phone, leaving the cursor on the field after D2.
    pub fn monitor(&mut self, name: &str, phone: &str) {
        self.type_text(name);
        self.press("tab");
        self.type_text(phone);
        self.press("tab");
    }

    pub fn paste(&mut self, text: &str) {
        let fx = self.ed.handle_paste(text);
        self.run(fx);
    }

    fn send(&mut self, ev: KeyEvent) {
        let fx = match self.keymap.lookup(self.ed.mode(), &ev) {
            Some(action) => self.ed.handle_action(action),
            None => self.ed.handle_key(ev),
        };
        self.run(fx);
    }

    /// Runs effects in order as the app does; the rest of a batch is dropped after a failure.
    pub fn run(&mut self, fx: Vec<FormEffect>) {
        for e in fx {
            self.effects.push(e.clone());
            let key = self.key();
            let result = match e {
                FormEffect::Close => {
                    self.closed = true;
                    continue;
                }
                FormEffect::Quit => {
                    self.quit = true;
                    continue;
                }
                FormEffect::OpenNext | FormEffect::OpenPrev => {
                    let next = if e == FormEffect::OpenNext { self.pos + 1 } else { self.pos.wrapping_sub(1) };
                    if next < self.keys.len() {
                        self.pos = next;
                        let k = self.key();
                        let lb = self.store.get(k).unwrap().unwrap();
                        let offered = self.monitors.suggestions(k, &lb.household.place);
                        self.ed = FormEditor::new(k, lb, self.store.round().clone());
                        self.ed.set_suggestions(offered);
                    }
                    continue;
                }
                FormEffect::TakeOver { .. } => continue,
                ref other => match huitoukan::ui::effects::form_op(&self.backend, other) {
                    Some((_, r)) => r,
                    None => continue,
                },
            };
            match result {
                Ok(()) => {
                    let lb = self.store.get(key).unwrap().unwrap();
                    self.monitors.saved(key, &lb);
                    self.ed.on_saved(lb);
                }
                Err(err) => {
                    self.errors.push(err.to_string());
                    self.ed.on_error(err.to_string());
                    break;
                }
            }
        }
    }

    /// The screen at `w`×`h` as text, one line per row; the cells a wide
    /// character covers are skipped, so 汉字 read as on a terminal.
    pub fn screen_at(&self, w: u16, h: u16, theme: Theme) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| self.ed.render(f, f.area(), &theme, &self.keymap)).unwrap();
        screen_text(t.backend().buffer())
    }

    pub fn screen(&self) -> String {
        self.screen_at(80, 24, Theme { ascii: false, color: false })
    }
}

/// The buffer's rows as text, each ending in `|` so trailing spaces show.
pub fn screen_text(buf: &ratatui::buffer::Buffer) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                continue;
            }
            out.push_str(sym);
            skip = sym.width().saturating_sub(1);
        }
        out.push_str("|\n");
    }
    out
}

/// The screen with the save time (`已保存 18:03:31`) replaced, for snapshots.
pub fn redact_time(screen: &str) -> String {
    let mut out = String::new();
    let mut rest = screen;
    while let Some(i) = rest.find("已保存 ") {
        let start = i + "已保存 ".len();
        out.push_str(&rest[..start]);
        let t = &rest[start..];
        if t.len() >= 8 && t.as_bytes()[2] == b':' && t.as_bytes()[5] == b':' {
            out.push_str("HH:MM:SS");
            rest = &t[8..];
        } else {
            rest = t;
        }
    }
    out.push_str(rest);
    out
}
