//! The statistics screen: the report's figures for the selected township or
//! village, drawn as horizontal bar charts with the numbers beside each bar.
//!
//! CONTRACT: the app opens it with `StatsView::new(title, report)` after
//! computing `report::compute(store, scope)` in its effect loop; keys go to
//! `handle_action` (returns false when the view wants to close); `render`
//! draws it. The view reads only the report: no I/O.
//!
//! The content is taller than a terminal, so it is drawn whole into an
//! off-screen buffer and the visible rows are copied out; the Viewer-mode
//! actions (move-up/down, page-up/down, first/last) scroll it.

use crate::model::Counts;
use crate::report::{self, percent, Block, Item, Report};
use crate::ui::action::Action;
use crate::ui::text::{fit, pad, pad_left, width};
use crate::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Direction, Rect};
use ratatui::style::Style;
use ratatui::symbols::bar;
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Widget};
use ratatui::Frame;
use std::cell::Cell;

/// Bars drawn with `#` for terminals that show block characters badly.
const ASCII_BARS: bar::Set = bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "#",
    five_eighths: "#",
    half: "#",
    three_eighths: "#",
    one_quarter: "#",
    one_eighth: "#",
    empty: " ",
};

/// Columns of the count and share after each bar label.
const NUMBER_COLS: usize = 16;
/// Narrowest bar worth drawing.
const MIN_BAR_COLS: usize = 10;
/// Columns bars are indented under their heading.
const INDENT: u16 = 2;
/// Bars of shares are scaled to this (per mille).
const PER_MILLE: u64 = 1000;

/// How a part of the screen looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Plain,
    Good,
    Caution,
}

/// One bar: its name, the numbers shown beside it, and its length.
#[derive(Debug, Clone, PartialEq)]
struct BarRow {
    name: String,
    numbers: String,
    value: u64,
}

/// One piece of the screen, top to bottom.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(Vec<String>),
    /// A heading over horizontal bars; `max` fixes the full-length value.
    Bars {
        heading: String,
        rows: Vec<BarRow>,
        max: Option<u64>,
        tone: Tone,
    },
}

impl Part {
    /// Rows it takes, with the blank line after it.
    fn height(&self) -> usize {
        match self {
            Part::Text(lines) => lines.len() + 1,
            Part::Bars { rows, .. } => rows.len() + 2,
        }
    }
}

fn numbers(count: &str, share: Option<f64>) -> String {
    format!("{}{}", pad_left(count, NUMBER_COLS - 7), pad_left(&percent(share), 7))
}

/// A report block as bars; answers not given go into the heading, not a bar.
fn block_part(b: &Block, tone: Tone) -> Part {
    let (bars, unanswered): (Vec<&Item>, Vec<&Item>) = b.items.iter().partition(|i| i.label != report::UNANSWERED);
    let mut heading = b.heading.clone();
    for u in unanswered {
        heading.push_str(&format!("  {}{}户", u.short, u.count));
    }
    let rows = bars
        .iter()
        .map(|i| BarRow { name: i.short.clone(), numbers: numbers(&i.count.to_string(), i.share), value: i.count as u64 })
        .collect();
    Part::Bars { heading, rows, max: None, tone }
}

/// Submitted share of each place, as bars of equal scale.
fn places_part(heading: &str, places: Vec<(&str, &Counts)>) -> Part {
    let rows = places
        .into_iter()
        .map(|(name, c)| {
            let value = if c.households == 0 { 0 } else { c.submitted as u64 * PER_MILLE / c.households as u64 };
            let share = (c.households > 0).then(|| c.submitted as f64 / c.households as f64);
            BarRow { name: name.to_string(), numbers: numbers(&format!("{}/{}", c.submitted, c.households), share), value }
        })
        .collect();
    Part::Bars { heading: heading.to_string(), rows, max: Some(PER_MILLE), tone: Tone::Good }
}

/// Everything the screen shows, for this report.
fn parts(r: &Report) -> Vec<Part> {
    let c = &r.total.progress;
    let mut out = vec![Part::Text(vec![
        fit(&format!("{}（统计时点{}）", r.round, r.reference), 200),
        format!("范围：{}    共{}户", r.scope.label(), c.households),
    ])];
    if r.households == 0 {
        out.push(Part::Text(vec!["范围内没有监测对象。".to_string()]));
        return out;
    }
    // Progress: each state against all households.
    let progress = report::progress_block(c);
    let items: Vec<Item> = progress.items.into_iter().skip(1).collect();
    let mut part = block_part(&Block { heading: "填报进度".to_string(), items }, Tone::Good);
    if let Part::Bars { max, .. } = &mut part {
        *max = Some(c.households as u64);
    }
    out.push(part);
    // Progress per village of a township, or per township of the county.
    match (&r.scope.village, r.townships.len()) {
        (Some(_), _) => {}
        (None, 1) => {
            let villages = r.townships.values().flat_map(|t| t.villages.iter().map(|(n, c)| (n.as_str(), c))).collect();
            out.push(places_part("各村（社区）提交率（已提交/户数）", villages));
        }
        _ => {
            let towns = r.townships.iter().map(|(n, t)| (n.as_str(), &t.totals.progress)).collect();
            out.push(places_part("各乡镇（街道）提交率（已提交/户数）", towns));
        }
    }
    let blocks = r.total.figures.blocks();
    let last = blocks.len().saturating_sub(1);
    for (i, b) in blocks.iter().enumerate() {
        // The last block is the warnings.
        out.push(block_part(b, if i == last { Tone::Caution } else { Tone::Plain }));
    }
    out
}

pub struct StatsView {
    title: String,
    report: Report,
    parts: Vec<Part>,
    /// First content row shown.
    scroll: usize,
    /// Content rows visible at the last render: the page size.
    viewport: Cell<usize>,
}

impl StatsView {
    pub fn new(title: String, report: Report) -> Self {
        let parts = parts(&report);
        StatsView { title, report, parts, scroll: 0, viewport: Cell::new(20) }
    }

    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Rows of the whole content.
    pub fn content_height(&self) -> usize {
        self.parts.iter().map(Part::height).sum()
    }

    /// The first content row shown.
    pub fn scroll(&self) -> usize {
        self.scroll
    }

    fn max_scroll(&self) -> usize {
        self.content_height().saturating_sub(self.viewport.get().max(1))
    }

    /// Handles a key's action; `false` means close the view.
    pub fn handle_action(&mut self, action: Action) -> bool {
        let page = self.viewport.get().saturating_sub(1).max(1);
        self.scroll = match action {
            Action::Back | Action::Stats => return false,
            Action::MoveUp => self.scroll.saturating_sub(1),
            Action::MoveDown => self.scroll + 1,
            Action::PageUp => self.scroll.saturating_sub(page),
            Action::PageDown => self.scroll + page,
            Action::First => 0,
            Action::Last => usize::MAX,
            _ => self.scroll,
        }
        .min(self.max_scroll());
        true
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let outer = theme.block(self.title.clone(), true);
        let inner = outer.inner(area);
        self.viewport.set(inner.height as usize);
        let total = self.content_height();
        let top = self.scroll.min(self.max_scroll());
        let shown = total.min(top + inner.height as usize);
        let position = format!(" {}–{}/{}行 ", (top + 1).min(shown), shown, total);
        f.render_widget(outer.title_bottom(Line::from(position).right_aligned()), area);
        if inner.is_empty() {
            return;
        }
        // Draw everything off screen, then copy the visible rows.
        let height = u16::try_from(total).unwrap_or(u16::MAX);
        let mut canvas = Buffer::empty(Rect::new(0, 0, inner.width, height));
        let mut y = 0u16;
        for part in &self.parts {
            let h = u16::try_from(part.height()).unwrap_or(u16::MAX);
            if y.saturating_add(h) > height {
                break;
            }
            draw_part(part, Rect::new(0, y, inner.width, h - 1), &mut canvas, theme);
            y += h;
        }
        let buf = f.buffer_mut();
        for row in 0..inner.height {
            let Ok(src_y) = u16::try_from(top + row as usize) else { break };
            if src_y >= height {
                break;
            }
            for col in 0..inner.width {
                buf[(inner.x + col, inner.y + row)] = canvas[(col, src_y)].clone();
            }
        }
    }
}

fn tone_style(tone: Tone, theme: &Theme) -> Style {
    match tone {
        Tone::Plain => theme.title(),
        Tone::Good => theme.ok(),
        Tone::Caution => theme.warning(),
    }
}

fn draw_part(part: &Part, area: Rect, buf: &mut Buffer, theme: &Theme) {
    match part {
        Part::Text(lines) => {
            let lines: Vec<Line> = lines.iter().map(|l| Line::from(l.as_str())).collect();
            Paragraph::new(lines).render(area, buf);
        }
        Part::Bars { heading, rows, max, tone } => {
            buf.set_line(area.x, area.y, &Line::styled(fit(heading, area.width as usize), theme.title()), area.width);
            // Bars sit under their heading, indented, clear of the right border.
            let area = Rect { x: area.x + INDENT, width: area.width.saturating_sub(INDENT + 1), ..area };
            let cols = area.width as usize;
            let widest = rows.iter().map(|r| width(&r.name)).max().unwrap_or(0);
            let name_cols = widest.min(cols.saturating_sub(NUMBER_COLS + MIN_BAR_COLS + 1));
            let label_cols = name_cols + NUMBER_COLS;
            // The chart needs a column for the bar after the label.
            if rows.is_empty() || name_cols < 2 || label_cols + 2 > cols {
                return;
            }
            let bars: Vec<Bar> = rows
                .iter()
                .map(|r| {
                    let label = format!("{}{}", pad(&fit(&r.name, name_cols), name_cols), r.numbers);
                    Bar::default().value(r.value).label(Line::from(pad(&label, label_cols))).text_value(String::new())
                })
                .collect();
            let mut chart = BarChart::default()
                .direction(Direction::Horizontal)
                .bar_width(1)
                .bar_gap(0)
                .bar_style(tone_style(*tone, theme))
                .bar_set(if theme.ascii { ASCII_BARS } else { bar::NINE_LEVELS })
                .data(BarGroup::default().bars(&bars));
            if let Some(m) = max {
                chart = chart.max(*m);
            }
            let chart_area = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
            chart.render(chart_area, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Scope;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn view() -> StatsView {
        let r = Report { households: 0, scope: Scope::default(), ..Report::default() };
        StatsView::new("统计".into(), r)
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let v = view();
        for (w, h) in [(1, 1), (2, 2), (10, 3), (20, 5), (80, 24)] {
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| v.render(f, f.area(), &Theme::default())).unwrap();
        }
    }

    #[test]
    fn back_and_stats_close() {
        let mut v = view();
        assert!(v.handle_action(Action::MoveDown));
        assert!(!v.handle_action(Action::Back));
        assert!(!v.handle_action(Action::Stats));
    }
}
