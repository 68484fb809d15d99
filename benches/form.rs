//! A keystroke in the form editor on a 22,000-household store (a scratch
//! copy of the shared demo store of `benches/common`, seed 2021): the key is handled, the record
//! validated, and the 80×24 screen redrawn to a ratatui `TestBackend`.
//! Target: under 5 ms per keystroke.
//!
//! ```sh
//! cargo bench --bench form
//! ```
//!
//! - `type_in_d7`: a character into D7 holding ~1,000 characters (then a
//!   Backspace, so the text stays the same length), each with its redraw;
//! - `toggle_in_checklist`: a number toggling a D9 measure, with redraw;
//! - `answer_and_save`: a yes/no answer that leaves the field, so the draft
//!   is written (flushed) to the 22,000-household store before the redraw —
//!   what a clerk waits for on every answer.
//! - `burst_2000_in_d7` (group `form_burst_22000`): 2,000 汉字 arriving at
//!   once without bracketed paste (an input method, a terminal pasting as
//!   keys), handled key by key as the loop does and then drawn once: the
//!   time from the burst arriving to all of it on screen. Target: one frame.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use huitoukan::model::FormState;
use huitoukan::store::Store;
use huitoukan::ui::form::{FormEditor, FormEffect};
use huitoukan::ui::keymap::{Key, Keymap};
use huitoukan::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::Duration;

mod common;

const HOUSEHOLDS: usize = common::COUNTY;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    keymap: Keymap,
    theme: Theme,
    term: Terminal<TestBackend>,
}

impl Fixture {
    fn new() -> Fixture {
        // The form saves drafts: a scratch copy of the shared store.
        let (dir, path) = common::scratch_copy(HOUSEHOLDS);
        let store = Store::open(&path).expect("open the bench store");
        Fixture {
            _dir: dir,
            store,
            keymap: Keymap::shipped(),
            theme: Theme { ascii: false, color: true },
            term: Terminal::new(TestBackend::new(80, 24)).expect("test terminal"),
        }
    }

    /// A draft household whose risk is not eliminated (sections D5–D10 shown).
    fn editor(&self) -> FormEditor {
        let s = self
            .store
            .summaries()
            .expect("summaries")
            .into_iter()
            .find(|s| s.state == FormState::Draft && s.eliminated.is_none())
            .expect("a draft, not-eliminated household");
        let lb = self.store.get(s.key).expect("get").expect("household");
        FormEditor::new(s.key, lb, self.store.round().clone())
    }

    /// One key as the app routes it, its effects run against the store, then a redraw.
    fn key(&mut self, ed: &mut FormEditor, ev: KeyEvent) {
        let fx = match self.keymap.lookup(ed.mode(), &ev) {
            Some(a) => ed.handle_action(a),
            None => ed.handle_key(ev),
        };
        for e in fx {
            if let FormEffect::SaveDraft { key, answers, .. } = e {
                self.store.save_draft(key, &answers, "bench").expect("save");
                ed.on_saved(self.store.get(key).expect("get").expect("household"));
            }
        }
        let (theme, keymap) = (self.theme, &self.keymap);
        self.term.draw(|f| ed.render(f, f.area(), &theme, keymap)).expect("draw");
        black_box(self.term.backend());
    }

    fn press(&mut self, ed: &mut FormEditor, keys: &str) {
        for k in keys.split_whitespace() {
            self.key(ed, Key::parse(k).expect("key").to_event());
        }
    }

    fn goto(&mut self, ed: &mut FormEditor, code: &str) {
        self.press(ed, "pagedown pagedown pagedown pagedown");
        for _ in 0..30 {
            if ed.current() == code {
                return;
            }
            self.press(ed, "tab");
        }
        panic!("no field {code}");
    }
}

fn char_key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn form_benches(c: &mut Criterion) {
    let mut fx = Fixture::new();
    let mut g = c.benchmark_group("form_keystroke_22000");

    let mut ed = fx.editor();
    fx.goto(&mut ed, "D7");
    ed.handle_paste(&"家庭困难情况说明".repeat(125));
    let mut typed = false;
    g.bench_function("type_in_d7", |b| {
        b.iter(|| {
            let ev = if typed { KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE) } else { char_key('病') };
            typed = !typed;
            fx.key(&mut ed, ev);
        })
    });

    let mut ed = fx.editor();
    fx.goto(&mut ed, "D9");
    g.bench_function("toggle_in_checklist", |b| b.iter(|| fx.key(&mut ed, char_key('4'))));

    let mut ed = fx.editor();
    fx.press(&mut ed, "pageup pageup pageup pageup pagedown");
    assert_eq!(ed.current(), "B1");
    let mut yes = false;
    g.bench_function("answer_and_save", |b| {
        b.iter(|| {
            yes = !yes;
            fx.key(&mut ed, char_key(if yes { '1' } else { '2' }));
            fx.press(&mut ed, "shift-tab");
        })
    });
    g.finish();

    let mut g = c.benchmark_group("form_burst_22000");
    let burst: Vec<KeyEvent> = "家庭困难情况说明户主患病".chars().cycle().take(2000).map(char_key).collect();
    g.bench_function("burst_2000_in_d7", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // Not timed: an empty D7.
                let mut ed = fx.editor();
                fx.goto(&mut ed, "D7");
                fx.press(&mut ed, "ctrl-d");
                let started = std::time::Instant::now();
                for ev in &burst {
                    let effects = match fx.keymap.lookup(ed.mode(), ev) {
                        Some(a) => ed.handle_action(a),
                        None => ed.handle_key(*ev),
                    };
                    assert!(effects.is_empty(), "typing into D7 saves nothing until a pause");
                }
                let (theme, keymap) = (fx.theme, &fx.keymap);
                fx.term.draw(|f| ed.render(f, f.area(), &theme, keymap)).expect("draw");
                black_box(fx.term.backend());
                total += started.elapsed();
            }
            total
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = form_benches
}
criterion_main!(benches);
