//! Quiet on slow links: the bytes sent to the terminal for the first frame
//! and for one step down the household list, through the app's backend
//! ([`huitoukan::ui::wire::Lean`], crossterm's with a leaner `draw`) into
//! memory. A step must send only what changed: at most 300 bytes at 80×24
//! (issue 15; VisiData sends 480). The figures are printed beside those of
//! ratatui's own crossterm backend, and the bytes are played into a terminal
//! emulator (vt100), which must show every frame cell for cell.

mod ui_support;

use huitoukan::ui::app::App;
use huitoukan::ui::theme::Theme;
use huitoukan::ui::wire::Lean;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use ui_support::*;

/// Bound on one step down the household list, in bytes.
const STEP_BOUND: usize = 300;

/// Keeps what is written to it.
#[derive(Clone, Default)]
struct Tap(Rc<RefCell<Vec<u8>>>);

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn terminal<B: Backend>(backend: B) -> Terminal<B> {
    let options = TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, 80, 24)) };
    Terminal::with_options(backend, options).unwrap()
}

/// The bytes written for one frame, and the frame.
fn frame<B: Backend>(t: &mut Terminal<B>, tap: &Tap, app: &App) -> (Vec<u8>, Buffer) {
    tap.0.borrow_mut().clear();
    let drawn = t.draw(|f| huitoukan::ui::view::render(f, app)).unwrap().buffer.clone();
    (std::mem::take(&mut *tap.0.borrow_mut()), drawn)
}

/// The keys pressed before each frame after the first.
const STEPS: &[&[&str]] = &[&["j"], &["k"], &[], &["j", "j", "j"], &["pagedown"], &["G"], &["g"], &["z", "h"], &["esc"]];

/// Every frame's bytes and the frame, the first frame's first, with the
/// given backend.
fn frames<B: Backend>(backend: B, tap: &Tap, theme: Theme) -> Vec<(Vec<u8>, Buffer)> {
    let mut app = app_with(&records(3000), theme);
    press(&mut app, &["tab", "j", "j"]);
    let mut t = terminal(backend);
    let mut out = vec![frame(&mut t, tap, &app)];
    for keys in STEPS {
        press(&mut app, keys);
        out.push(frame(&mut t, tap, &app));
    }
    out
}

/// The colour as the emulator reports it.
fn vt_colour(c: Color) -> vt100::Color {
    let named = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Indexed(n) => vt100::Color::Idx(n),
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        c => vt100::Color::Idx(named.iter().position(|n| *n == c).unwrap() as u8),
    }
}

/// Plays the frames' bytes into a terminal emulator and checks that after
/// each one it shows the frame: every cell's text, colours and look.
fn check_drawn(name: &str, frames: &[(Vec<u8>, Buffer)]) {
    let mut vt = vt100::Parser::new(24, 80, 0);
    for (i, (bytes, buffer)) in frames.iter().enumerate() {
        vt.process(bytes);
        let s = vt.screen();
        for y in 0..24u16 {
            for x in 0..80u16 {
                let got = s.cell(y, x).unwrap();
                if got.is_wide_continuation() {
                    continue;
                }
                let want = &buffer[(x, y)];
                let m = want.modifier;
                let want = (
                    want.symbol().to_string(),
                    vt_colour(want.fg),
                    vt_colour(want.bg),
                    m.contains(Modifier::BOLD),
                    m.contains(Modifier::ITALIC),
                    m.contains(Modifier::UNDERLINED),
                    m.contains(Modifier::REVERSED),
                );
                // A cell never written holds nothing, which shows as a blank.
                let text = if got.has_contents() { got.contents() } else { " ".to_string() };
                let got = (text, got.fgcolor(), got.bgcolor(), got.bold(), got.italic(), got.underline(), got.inverse());
                assert_eq!(got, want, "{name}: after frame {i} the terminal shows something else at column {x}, row {y}");
            }
        }
    }
}

#[test]
fn one_step_down_sends_at_most_300_bytes_and_the_terminal_shows_the_frames() {
    for (name, theme) in [("no colour", plain()), ("16 colours", Theme::default())] {
        measure(name, theme);
    }
}

fn measure(name: &str, theme: Theme) {
    let tap = Tap::default();
    let ours = frames(Lean::new(tap.clone()), &tap, theme);
    let theirs = frames(CrosstermBackend::new(tap.clone()), &tap, theme);
    let len = |f: &[(Vec<u8>, Buffer)], i: usize| f[i].0.len();
    let (first, step, back, still) = (len(&ours, 0), len(&ours, 1), len(&ours, 2), len(&ours, 3));
    eprintln!(
        "bytes written ({name}): first frame {first}, one step down the list {step}, one step back {back}, \
         unchanged {still}; ratatui's crossterm backend: {}, {}, {}, {}",
        len(&theirs, 0),
        len(&theirs, 1),
        len(&theirs, 2),
        len(&theirs, 3)
    );
    check_drawn(name, &ours);
    assert!(first > 3_000, "{first}");
    assert!(step * 8 < first, "a step repainted too much: {step} of {first}");
    assert!(step <= STEP_BOUND && back <= STEP_BOUND, "a step sent {step} / {back} bytes, more than {STEP_BOUND}");
    assert!(still < 40, "an unchanged frame sends (almost) nothing: {still}");
}
