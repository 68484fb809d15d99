//! Shared by the app's tests: an app over deterministic demo households,
//! built without a store or a terminal, and key presses by name.
#![allow(dead_code)]

use huitoukan::demo;
use huitoukan::form::Round;
use huitoukan::model::{LookBack, Summary};
use huitoukan::ui::app::{self, App, Effect};
use huitoukan::ui::keymap::{Key, Keymap};
use huitoukan::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

pub const SEED: u64 = 2021;

/// `n` demo households with their records (store keys 1…n).
pub fn records(n: usize) -> Vec<LookBack> {
    let round = Round::default();
    let places = demo::places(n, SEED);
    (0..n as u64).map(|i| demo::household(i, SEED, &places, &round)).collect()
}

pub fn app_with(records: &[LookBack], theme: Theme) -> App {
    let round = Round::default();
    let summaries: Vec<Summary> = records.iter().enumerate().map(|(i, lb)| Summary::of(i as u64 + 1, lb, &round)).collect();
    let mut app = App::new(summaries, round, Keymap::shipped(), theme);
    app.operator = "clerk07".into();
    app.resize(80, 24);
    app
}

/// Colours off so that tests do not depend on `NO_COLOR`.
pub fn plain() -> Theme {
    Theme { ascii: false, color: false }
}

/// Presses the keys named as in keymap files (`j`, `tab`, `ctrl-f`, `space`).
pub fn press(app: &mut App, keys: &[&str]) -> Vec<Effect> {
    let mut out = Vec::new();
    for k in keys {
        let ev = Key::parse(k).unwrap_or_else(|e| panic!("{k}: {e}")).to_event();
        out.extend(app::handle_key(app, ev));
    }
    out
}

/// Types text the way the terminal delivers what an input method commits:
/// one key event per character, through the keymap like any key.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        let ev = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c));
        assert!(app::handle_key(app, ev).is_empty(), "typing {c:?} in {text:?} asked for an effect");
    }
}

/// Draws the app into a test terminal of the given size.
pub fn draw(app: &App, cols: u16, rows: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(cols, rows)).unwrap();
    t.draw(|f| huitoukan::ui::view::render(f, app)).unwrap();
    t
}

/// The screen as lines of text.
pub fn screen_text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let s = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(s).saturating_sub(1);
            out.push_str(s);
        }
        out.push('\n');
    }
    out
}
