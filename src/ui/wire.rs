//! What goes down the wire to the terminal: ratatui's crossterm backend,
//! with the frame's cells written in fewer bytes.
//!
//! Everything but [`Backend::draw`] and the cursor's visibility is
//! crossterm's. `draw` differs in three ways, each measured on one step
//! down the household list at 80×24 (tests/ui_bytes.rs):
//!
//! - after a 汉字 the cursor is known to be two columns on, so the next cell
//!   is not reached with a fresh cursor move (crossterm moves after every
//!   wide character: 7 bytes per 汉字 in a 3-byte character); a gap on the
//!   same row is crossed with a cursor-forward (`ESC[nC`), shorter than an
//!   absolute move;
//! - a change of style is one SGR sequence with every parameter in it, the
//!   16 named colours as `3x`/`9x`/`4x`/`10x` rather than `38;5;n`, and
//!   whichever of "reset, then set" and "switch off what went" is shorter;
//! - the frame ends with one `ESC[0m`, only if a style is on, and a hidden
//!   cursor is not hidden again on every frame.
//!
//! Only characters that every terminal draws two columns wide (the CJK and
//! Hangul blocks, full-width forms) are trusted to move the cursor by two;
//! after anything else of width 2 (emoji, whose width terminals disagree
//! on) the next cell is reached with a cursor move, as before.

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};
use std::fmt::Write as _;
use std::io::{self, Write};
use unicode_width::UnicodeWidthStr;

/// crossterm's backend with a leaner `draw`.
pub struct Lean<W: Write> {
    inner: CrosstermBackend<W>,
    /// Whether the cursor is hidden, when known.
    hidden: Option<bool>,
}

impl<W: Write> Lean<W> {
    pub fn new(writer: W) -> Lean<W> {
        Lean { inner: CrosstermBackend::new(writer), hidden: None }
    }
}

/// The terminal's pen: what the next character is drawn with.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

const RESET: Pen = Pen { fg: Color::Reset, bg: Color::Reset, underline: Color::Reset, modifier: Modifier::empty() };

impl Pen {
    fn of(cell: &Cell) -> Pen {
        Pen { fg: cell.fg, bg: cell.bg, underline: cell.underline_color, modifier: cell.modifier }
    }
}

/// SGR parameter of a modifier, switched on.
const ON: [(Modifier, &str); 9] = [
    (Modifier::BOLD, "1"),
    (Modifier::DIM, "2"),
    (Modifier::ITALIC, "3"),
    (Modifier::UNDERLINED, "4"),
    (Modifier::SLOW_BLINK, "5"),
    (Modifier::RAPID_BLINK, "6"),
    (Modifier::REVERSED, "7"),
    (Modifier::HIDDEN, "8"),
    (Modifier::CROSSED_OUT, "9"),
];

/// The colour's SGR parameters; `base` is 30 (foreground), 40 (background)
/// or 50 (underline, which has no short forms).
fn colour(out: &mut String, c: Color, base: u8) {
    let named = |n: u8| -> Option<u8> {
        match base {
            30 | 40 if n < 8 => Some(base + n),
            30 | 40 => Some(base + 60 + n - 8),
            _ => None,
        }
    };
    let index = match c {
        Color::Reset => {
            let _ = write!(out, "{}", base + 9);
            return;
        }
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(n) => {
            let _ = write!(out, "{};5;{n}", base + 8);
            return;
        }
        Color::Rgb(r, g, b) => {
            let _ = write!(out, "{};2;{r};{g};{b}", base + 8);
            return;
        }
    };
    match named(index) {
        Some(p) => {
            let _ = write!(out, "{p}");
        }
        None => {
            let _ = write!(out, "{};5;{index}", base + 8);
        }
    }
}

/// Appends one parameter list's entry.
fn param(out: &mut String, p: impl FnOnce(&mut String)) {
    if !out.is_empty() {
        out.push(';');
    }
    p(out);
}

/// The parameters that take the pen from `from` to `to`: reset first, then
/// everything `to` has.
fn by_reset(to: Pen) -> String {
    let mut s = String::from("0");
    for (m, p) in ON {
        if to.modifier.contains(m) {
            param(&mut s, |s| s.push_str(p));
        }
    }
    for (c, base) in [(to.fg, 30), (to.bg, 40), (to.underline, 50)] {
        if c != Color::Reset {
            param(&mut s, |s| colour(s, c, base));
        }
    }
    s
}

/// The parameters that take the pen from `from` to `to` by switching off
/// what went and on what came.
fn by_change(from: Pen, to: Pen) -> String {
    let mut s = String::new();
    let gone = from.modifier - to.modifier;
    let mut on = to.modifier - from.modifier;
    // 22 ends bold and dim alike: whichever stays is switched on again.
    if gone.intersects(Modifier::BOLD | Modifier::DIM) {
        param(&mut s, |s| s.push_str("22"));
        on |= to.modifier & (Modifier::BOLD | Modifier::DIM);
    }
    for (m, p) in [
        (Modifier::ITALIC, "23"),
        (Modifier::UNDERLINED, "24"),
        (Modifier::SLOW_BLINK | Modifier::RAPID_BLINK, "25"),
        (Modifier::REVERSED, "27"),
        (Modifier::HIDDEN, "28"),
        (Modifier::CROSSED_OUT, "29"),
    ] {
        if gone.intersects(m) {
            param(&mut s, |s| s.push_str(p));
            if m.contains(Modifier::SLOW_BLINK) {
                on |= to.modifier & m;
            }
        }
    }
    for (m, p) in ON {
        if on.contains(m) {
            param(&mut s, |s| s.push_str(p));
        }
    }
    for (a, b, base) in [(from.fg, to.fg, 30), (from.bg, to.bg, 40), (from.underline, to.underline, 50)] {
        if a != b {
            param(&mut s, |s| colour(s, b, base));
        }
    }
    s
}

/// Whether every terminal draws `c` two columns wide.
fn surely_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F          // Hangul Jamo initials
        | 0x2E80..=0x303E        // CJK radicals, symbols and punctuation
        | 0x3041..=0x33FF        // kana, bopomofo, CJK compatibility
        | 0x3400..=0x4DBF        // CJK extension A
        | 0x4E00..=0x9FFF        // CJK unified ideographs
        | 0xA000..=0xA4CF        // Yi
        | 0xAC00..=0xD7A3        // Hangul syllables
        | 0xF900..=0xFAFF        // CJK compatibility ideographs
        | 0xFE30..=0xFE4F        // CJK compatibility forms
        | 0xFF01..=0xFF60        // full-width forms
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD) // CJK extensions B–
}

/// How far the terminal's cursor moves after writing `symbol`, when sure.
fn advance(symbol: &str) -> Option<u16> {
    match symbol.width() {
        1 => Some(1),
        2 if symbol.chars().count() == 1 && symbol.chars().all(surely_wide) => Some(2),
        _ => None,
    }
}

/// Writes the cells: the bytes of one frame's changes.
fn encode<'a>(out: &mut Vec<u8>, content: impl Iterator<Item = (u16, u16, &'a Cell)>) {
    let mut pen = RESET;
    // Where the terminal's cursor is, when known.
    let mut at: Option<(u16, u16)> = None;
    let mut sgr = String::new();
    for (x, y, cell) in content {
        match at {
            Some(p) if p == (x, y) => {}
            Some((ax, ay)) if ay == y && ax < x => {
                let n = x - ax;
                if n == 1 {
                    out.extend_from_slice(b"\x1b[C");
                } else {
                    let _ = write!(out, "\x1b[{n}C");
                }
            }
            _ => {
                let _ = write!(out, "\x1b[{};{}H", y + 1, x + 1);
            }
        }
        let want = Pen::of(cell);
        if want != pen {
            let a = by_reset(want);
            let b = by_change(pen, want);
            sgr.clear();
            sgr.push_str(if b.len() < a.len() { &b } else { &a });
            let _ = write!(out, "\x1b[{sgr}m");
            pen = want;
        }
        out.extend_from_slice(cell.symbol().as_bytes());
        at = advance(cell.symbol()).map(|w| (x + w, y));
    }
    if pen != RESET {
        out.extend_from_slice(b"\x1b[0m");
    }
}

impl<W: Write> Backend for Lean<W> {
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut out = Vec::with_capacity(1024);
        encode(&mut out, content);
        Write::write_all(&mut self.inner, &out)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.hidden == Some(true) {
            return Ok(());
        }
        self.inner.hide_cursor()?;
        self.hidden = Some(true);
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()?;
        self.hidden = Some(false);
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    fn cell(s: &'static str, style: Style) -> Cell {
        let mut c = Cell::new(s);
        c.set_style(style);
        c
    }

    fn bytes(cells: &[(u16, u16, Cell)]) -> String {
        let mut out = Vec::new();
        encode(&mut out, cells.iter().map(|(x, y, c)| (*x, *y, c)));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_wide_character_moves_the_cursor_by_two() {
        let plain = Style::default();
        let s = bytes(&[(0, 0, cell("龚", plain)), (2, 0, cell("金", plain)), (4, 0, cell("a", plain))]);
        assert_eq!(s, "\x1b[1;1H龚金a");
    }

    #[test]
    fn an_emoji_is_followed_by_a_cursor_move() {
        let plain = Style::default();
        let s = bytes(&[(0, 0, cell("😀", plain)), (2, 0, cell("a", plain))]);
        assert_eq!(s, "\x1b[1;1H😀\x1b[1;3Ha");
    }

    #[test]
    fn a_gap_on_the_row_is_crossed_forward() {
        let plain = Style::default();
        let s = bytes(&[(0, 3, cell("a", plain)), (2, 3, cell("b", plain)), (9, 3, cell("c", plain)), (0, 4, cell("d", plain))]);
        assert_eq!(s, "\x1b[4;1Ha\x1b[Cb\x1b[6Cc\x1b[5;1Hd");
    }

    #[test]
    fn styles_are_one_short_sequence_and_end_reset() {
        let sel = Style::default().fg(Color::White).bg(Color::Blue).add_modifier(Modifier::BOLD);
        let dim = Style::default().fg(Color::DarkGray);
        let s = bytes(&[(0, 0, cell("a", sel)), (1, 0, cell("b", dim)), (2, 0, cell("c", Style::default()))]);
        assert_eq!(s, "\x1b[1;1H\x1b[1;97;44ma\x1b[0;90mb\x1b[0mc");
        let s = bytes(&[(0, 0, cell("a", Style::default().fg(Color::Indexed(208)).add_modifier(Modifier::REVERSED)))]);
        assert_eq!(s, "\x1b[1;1H\x1b[7;38;5;208ma\x1b[0m");
    }

    #[test]
    fn dim_stays_when_bold_goes() {
        let both = Style::default().add_modifier(Modifier::BOLD | Modifier::DIM | Modifier::UNDERLINED);
        let dim = Style::default().add_modifier(Modifier::DIM | Modifier::UNDERLINED);
        let s = bytes(&[(0, 0, cell("a", both)), (1, 0, cell("b", dim))]);
        assert_eq!(s, "\x1b[1;1H\x1b[1;2;4ma\x1b[22;2mb\x1b[0m");
    }

    #[test]
    fn nothing_changed_sends_nothing() {
        assert_eq!(bytes(&[]), "");
    }
}
