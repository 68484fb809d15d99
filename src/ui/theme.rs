//! Borders and colours: ASCII borders for terminals that draw box-drawing
//! characters at double width, and no colour under `NO_COLOR`. Only the 16
//! basic colours are used, so old terminals show them right.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::widgets::{Block, Borders};

/// `+-|` borders.
pub const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub ascii: bool,
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme { ascii: false, color: true }
    }
}

impl Theme {
    /// From the command line and the environment (`NO_COLOR` set and non-empty).
    pub fn new(ascii: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { ascii, color: !no_color }
    }

    pub fn border_set(&self) -> border::Set {
        if self.ascii {
            ASCII_BORDER
        } else {
            border::PLAIN
        }
    }

    /// A bordered block with a title; `focused` draws it brighter.
    pub fn block<'a>(&self, title: impl Into<ratatui::text::Line<'a>>, focused: bool) -> Block<'a> {
        let mut b = Block::default().borders(Borders::ALL).border_set(self.border_set()).title(title);
        if focused {
            b = b.border_style(self.fg(Color::Cyan).add_modifier(Modifier::BOLD));
        }
        b
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    /// The selected row.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Blue).fg(Color::White).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Keys in the footer.
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
}

/// The one-cell ASCII stand-in for a character whose width a CJK-configured
/// terminal (PuTTY with "CJK ambiguous wide") draws differently from
/// ours: `·` `“ ”` `…` arrows and the like. Wide 汉字 and full-width
/// punctuation are the same everywhere and stay.
fn ascii_for(c: char) -> char {
    match c {
        '·' | '•' | '・' => '.',
        '“' | '”' | '″' => '"',
        '‘' | '’' | '′' => '\'',
        '…' | '⋯' => '~',
        '←' => '<',
        '→' | '›' | '»' | '▸' | '▶' => '>',
        '‹' | '«' | '◂' | '◀' => '<',
        '↑' | '▴' | '▲' => '^',
        '↓' | '▾' | '▼' => 'v',
        '—' | '–' | '─' | '━' | '═' => '-',
        '│' | '┃' | '║' => '|',
        '×' => 'x',
        '°' => 'o',
        '±' => '+',
        '§' | '※' => '*',
        '√' | '✓' => 'v',
        _ if c.is_ascii() => c,
        _ => '?',
    }
}

/// Whether `c` is drawn at another width by a terminal that treats
/// East-Asian ambiguous characters as wide.
pub fn is_ambiguous(c: char) -> bool {
    use unicode_width::UnicodeWidthChar;
    !c.is_ascii() && c.width() != c.width_cjk()
}

/// With `--ascii`: every ambiguous-width character left on the screen is
/// replaced by its ASCII stand-in, one cell for one cell, so nothing shifts
/// on a CJK-configured terminal. Runs over the finished frame, so every
/// screen and message is covered, including text from data.
pub fn ascii_safe(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let sym = cell.symbol();
        if sym.chars().any(is_ambiguous) {
            let fixed: String = sym.chars().map(|c| if is_ambiguous(c) { ascii_for(c) } else { c }).collect();
            cell.set_symbol(&fixed);
        }
    }
}
