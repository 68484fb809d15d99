//! Quiet on slow links: the bytes sent to the terminal for the first frame
//! and for one step down the household list, through the real crossterm
//! backend into memory. A step must send only what changed.

mod ui_support;

use huitoukan::ui::app::App;
use huitoukan::ui::theme::Theme;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;
use ui_support::*;

/// Counts what is written to it.
#[derive(Clone, Default)]
struct Tap(Rc<Cell<usize>>);

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn terminal(tap: &Tap) -> Terminal<CrosstermBackend<Tap>> {
    let options = TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, 80, 24)) };
    Terminal::with_options(CrosstermBackend::new(tap.clone()), options).unwrap()
}

/// Bytes written for one frame.
fn frame(t: &mut Terminal<CrosstermBackend<Tap>>, tap: &Tap, app: &App) -> usize {
    tap.0.set(0);
    t.draw(|f| huitoukan::ui::view::render(f, app)).unwrap();
    tap.0.get()
}

#[test]
fn one_step_down_sends_a_small_fraction_of_the_first_frame() {
    for (name, theme) in [("no colour", plain()), ("16 colours", Theme::default())] {
        measure(name, theme);
    }
}

fn measure(name: &str, theme: Theme) {
    let mut app = app_with(&records(3000), theme);
    press(&mut app, &["tab", "j", "j"]);
    let tap = Tap::default();
    let mut t = terminal(&tap);
    let first = frame(&mut t, &tap, &app);
    press(&mut app, &["j"]);
    let step = frame(&mut t, &tap, &app);
    press(&mut app, &["k"]);
    let back = frame(&mut t, &tap, &app);
    eprintln!("bytes written ({name}): first frame {first}, one step down the list {step}, one step back {back}");
    assert!(first > 3_000, "{first}");
    assert!(step * 8 < first, "a step repainted too much: {step} of {first}");
    let still = frame(&mut t, &tap, &app);
    assert!(still < 40, "an unchanged frame sends (almost) nothing: {still}");
}
