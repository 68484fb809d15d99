//! Drawing: the layout of the browse screen and the screens over it. Reads
//! the state only; no I/O, no changes.
//!
//! 80×24, browsing:
//! ```text
//! row 0      header: where you are, who saves
//! row 1      filters (always visible) and counts
//! rows 2–21  places pane | household list   (the list alone while finding)
//! (row 21    the find box, while finding)
//! row 22     status line
//! row 23     key hints
//! ```
//! The focused pane is the wider one at 80 columns; from 110 columns both
//! are wide. Card, history, help and statistics take rows 1–21; the form
//! takes the whole screen.

use super::app::{App, Focus, Screen};
use super::find::FindScope;
use super::footer;
use super::households;
use super::places;
use super::text;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Clear;
use ratatui::Frame;

/// Below this the layout is replaced by a message asking for a larger
/// window: every screen is laid out for 80×24 and narrower would cut
/// labels and columns a clerk needs.
pub const MIN_COLS: u16 = 80;
pub const MIN_ROWS: u16 = 24;

/// Rows of content the panes show (for paging and scrolling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heights {
    pub places: usize,
    pub list: usize,
    pub viewer: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub filters: Rect,
    pub places: Option<Rect>,
    pub list: Rect,
    pub find: Option<Rect>,
    pub status: Rect,
    pub footer: Rect,
    /// Card, history, help, statistics.
    pub screen: Rect,
}

fn row(area: Rect, y: u16) -> Rect {
    Rect { x: area.x, y: area.y + y.min(area.height.saturating_sub(1)), width: area.width, height: 1.min(area.height) }
}

pub fn areas(area: Rect, app: &App) -> Areas {
    let h = area.height;
    let finding = app.find.is_some();
    let bottom = h.saturating_sub(2);
    let main_bottom = if finding { bottom.saturating_sub(1) } else { bottom };
    let main = Rect { x: area.x, y: area.y + 2.min(h), width: area.width, height: main_bottom.saturating_sub(2) };
    let places_w = if finding {
        0
    } else if area.width >= 110 {
        36
    } else if app.focus == Focus::Places {
        34
    } else {
        20
    };
    let places = (places_w > 0).then_some(Rect { width: places_w, ..main });
    let list = Rect { x: main.x + places_w, width: main.width.saturating_sub(places_w), ..main };
    Areas {
        header: row(area, 0),
        filters: row(area, 1),
        places,
        list,
        find: finding.then(|| row(area, main_bottom)),
        status: row(area, bottom),
        footer: row(area, h.saturating_sub(1)),
        screen: Rect { x: area.x, y: area.y + 1.min(h), width: area.width, height: bottom.saturating_sub(1) },
    }
}

pub fn heights(app: &App) -> Heights {
    let a = areas(Rect::new(0, 0, app.size.0, app.size.1), app);
    // Two border rows and the heading row.
    let body = |r: Rect| (r.height as usize).saturating_sub(3).max(1);
    Heights { places: a.places.map_or(1, body), list: body(a.list), viewer: (a.screen.height as usize).saturating_sub(2).max(1) }
}

fn too_small(f: &mut Frame, area: Rect) {
    let msg = format!(
        "窗口太小（{}列×{}行）。请把终端窗口放大到至少 {MIN_COLS}列×{MIN_ROWS}行，放大后立即回到原来的画面。",
        area.width, area.height
    );
    let lines: Vec<ratatui::text::Line> = text::wrap(&msg, area.width as usize).into_iter().map(ratatui::text::Line::from).collect();
    let n = (lines.len() as u16).min(area.height);
    let y = area.y + (area.height - n) / 2;
    f.render_widget(ratatui::widgets::Paragraph::new(lines), Rect { y, height: n, ..area });
}

/// Draws the whole screen for the app's state.
pub fn render(f: &mut Frame, app: &App) {
    render_screens(f, app);
    // Names and addresses are data from files and clerks: a control
    // character left in one must be shown, never sent to the terminal to
    // act on (an escape sequence, an OSC 52 clipboard write).
    for cell in f.buffer_mut().content.iter_mut() {
        if cell.symbol().chars().any(crate::io::is_control) {
            cell.set_symbol("\u{FFFD}");
        }
    }
    if app.theme.ascii {
        super::theme::ascii_safe(f.buffer_mut());
    }
}

fn render_screens(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_COLS || area.height < MIN_ROWS {
        too_small(f, area);
        return;
    }
    let theme = &app.theme;
    let a = areas(area, app);
    match app.screens.last() {
        Some(Screen::Form(ed)) => {
            ed.render(f, area, theme, &app.keymap);
            if app.status.is_some() {
                let last = row(area, area.height - 1);
                f.render_widget(Clear, last);
                footer::render_status(f, last, app);
            }
            return;
        }
        Some(screen) => {
            footer::render_header(f, a.header, app);
            match screen {
                Screen::Card(c) => c.render(f, a.screen, theme),
                Screen::Dossier(d) => d.render(f, a.screen, theme),
                Screen::Forms(c) => c.render(f, a.screen, theme),
                Screen::History(h) => h.render(f, a.screen, theme),
                Screen::Help(h) => h.render(f, a.screen, theme),
                Screen::Stats(s) => s.render(f, a.screen, theme),
                Screen::Form(_) => {}
            }
            footer::render_status(f, a.status, app);
            footer::render_footer(f, a.footer, app);
            return;
        }
        None => {}
    }
    footer::render_header(f, a.header, app);
    footer::render_filters(f, a.filters, app);
    let list_focused = app.find.as_ref().map_or(app.focus == Focus::Households, |f| !f.editing);
    if let Some(p) = a.places {
        let block = theme.block(Span::styled("乡镇 / 村", theme.title()), app.focus == Focus::Places);
        let inner = block.inner(p);
        f.render_widget(block, p);
        places::render(f, inner, &app.tree, &app.places, app.focus == Focus::Places, theme);
    }
    let label = match app.find.as_ref().map(|f| f.scope) {
        Some(FindScope::All) => "查找结果：全部乡镇".to_string(),
        Some(FindScope::Place(p)) => format!("查找结果：{}", app.tree.label(p)),
        None => app.tree.label(app.places.sel),
    };
    let pos = if app.list.rows.is_empty() { String::new() } else { format!(" {}/{}", app.list.selected + 1, app.list.rows.len()) };
    let title = format!("{}{pos}", text::fit(&label, (a.list.width as usize).saturating_sub(16)));
    let block = theme.block(Span::styled(title, theme.title()), list_focused || app.find.is_some());
    let inner = block.inner(a.list);
    f.render_widget(block, a.list);
    let empty = if !app.filters.is_empty() {
        let clear = footer::key_label(app, super::keymap::Mode::Browse, super::action::Action::ClearFilters).unwrap_or_default();
        format!("没有符合筛选条件的户（按 {clear} 清除筛选）")
    } else if app.find.is_some() {
        "没有找到。可以输入姓名、拼音首字母、证件号后4位或地址".to_string()
    } else {
        "这里没有户".to_string()
    };
    households::render(f, inner, &app.summaries, &app.list, app.spread(), app.revealed, &app.leases, list_focused, theme, &empty);
    if let (Some(r), Some(find)) = (a.find, app.find.as_ref()) {
        let scope = match find.scope {
            FindScope::All => "全部乡镇".to_string(),
            FindScope::Place(p) => app.tree.label(p),
        };
        let count = match (find.note, find.results()) {
            (Some(note), _) => note.to_string(),
            (None, Some(r)) => format!("找到{}户", r.len()),
            (None, None) => String::new(),
        };
        find.render(f, r, &format!("查找（{scope}）:"), &count, theme);
    }
    footer::render_status(f, a.status, app);
    footer::render_footer(f, a.footer, app);
}
