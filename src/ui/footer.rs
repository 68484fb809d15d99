//! The lines around the panes: the header (where you are), the filters
//! (always visible), the status line and the footer of key hints, all
//! generated from the keymap so a user keymap shows as it really is.

use super::action::Action;
use super::app::{App, Focus, Screen};
use super::find::FindScope;
use super::keymap::Mode;
use super::places::PlaceSel;
use super::text;
use super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The hints that matter on the current screen, most important first.
fn hints(app: &App) -> (Mode, &'static [(Action, &'static str)]) {
    let mode = app.mode();
    let list: &'static [(Action, &'static str)] = match (mode, app.screens.last()) {
        (Mode::Viewer, Some(Screen::Card(_))) => &[
            (Action::Open, "填表"),
            (Action::Dossier, "户档"),
            (Action::History, "修改记录"),
            (Action::RevealId, "证件号"),
            (Action::Back, "返回"),
        ],
        (Mode::Dossier, _) => &[
            (Action::Open, "修改"),
            (Action::AddEntry, "新增"),
            (Action::VoidEntry, "作废"),
            (Action::FocusNext, "成员/措施/走访"),
            (Action::History, "修改记录"),
            (Action::Back, "返回"),
        ],
        (Mode::Prompt, _) => &[(Action::Confirm, "确认作废"), (Action::ClearField, "清空"), (Action::Back, "取消")],
        (Mode::Viewer, Some(Screen::Forms(_))) => &[(Action::Open, "打开"), (Action::MoveDown, "选择"), (Action::Back, "返回")],
        (Mode::Viewer, Some(Screen::History(_))) => &[(Action::PageDown, "翻页"), (Action::RevealId, "完整号码"), (Action::Back, "返回")],
        (Mode::Viewer, _) => &[(Action::PageDown, "翻页"), (Action::Back, "返回")],
        (Mode::Find, _) => &[
            (Action::Open, "填表"),
            (Action::MoveDown, "选择"),
            (Action::FocusNext, "到列表"),
            (Action::FindAll, "本村/全部"),
            (Action::Back, "关闭查找"),
        ],
        _ if app.find.is_some() => &[
            (Action::Open, "填表"),
            (Action::Card, "卡片"),
            (Action::Find, "改查找词"),
            (Action::RevealId, "证件号"),
            (Action::Back, "关闭查找"),
            (Action::Help, "帮助"),
        ],
        _ if app.focus == Focus::Places => &[
            (Action::Open, "看户"),
            (Action::Find, "查找"),
            (Action::FindAll, "全部查找"),
            (Action::Stats, "统计"),
            (Action::Help, "帮助"),
            (Action::Quit, "退出"),
        ],
        _ => &[
            (Action::Open, "填表"),
            (Action::Card, "卡片"),
            (Action::Find, "查找"),
            (Action::RevealId, "证件号"),
            (Action::FocusPrev, "乡镇村"),
            (Action::Help, "帮助"),
            (Action::Quit, "退出"),
        ],
    };
    (mode, list)
}

/// The first key bound to `action` in `mode`, as the footer writes it.
/// Plain keys first (`←` reads better than `Shift-Tab`), F-keys last
/// (many SSH clients swallow them).
pub fn key_label(app: &App, mode: Mode, action: Action) -> Option<String> {
    let mut keys = app.keymap.keys_for(mode, action);
    keys.sort_by_key(|k| (k.is_function_key(), k.ctrl || k.alt, k.shift));
    keys.first().map(|k| k.label())
}

pub fn render_footer(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let (mode, list) = hints(app);
    let mut spans = Vec::new();
    let mut used = 0;
    for (action, label) in list {
        let Some(key) = key_label(app, mode, *action) else { continue };
        let w = text::width(&key) + 1 + text::width(label) + 2;
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Rows a message may take: its own and, until the next key, two above it.
pub const STATUS_MAX_ROWS: usize = 3;

/// The message of the moment, wrapped to the width: a long one also covers
/// the rows above `area` (the panes' bottom) until the next key, so nothing
/// a clerk must read is cut at 80 columns. On the browse screen without a
/// message, the full counts of the selected place (the narrow places pane
/// shows only some).
pub fn render_status(f: &mut Frame, area: Rect, app: &App) {
    let mut max = STATUS_MAX_ROWS.min(area.y as usize + 1);
    let (line, style) = match &app.status {
        Some(s) => (s.text.clone(), if s.error { app.theme.error() } else { app.theme.ok() }),
        // Shown in full when it arrived; after that one row, on every screen.
        None if app.damage.is_some() => {
            max = 1;
            (app.damage.clone().unwrap_or_default(), app.theme.error())
        }
        // The selected household's form is held by another clerk: who, and since when.
        None if app.screens.is_empty() && app.selected().is_some_and(|s| app.leases.contains_key(&s.key)) => {
            let s = app.selected().map(|s| (s.head.clone(), app.leases.get(&s.key).map(|l| l.label())));
            let (head, label) = s.unwrap_or_default();
            (format!("{head}：{}", label.unwrap_or_default()), app.theme.warning())
        }
        None if app.screens.is_empty() && app.find.is_none() => (place_counts(app), app.theme.dim()),
        None => return,
    };
    let cols = area.width as usize;
    let mut lines = if max == 1 { vec![text::fit(&line, cols)] } else { text::wrap(&line, cols) };
    if lines.len() > max {
        // Only past three full rows (the help screen lists every warning).
        let rest = lines.split_off(max - 1).concat();
        lines.push(text::fit(&rest, cols));
    }
    let n = lines.len().max(1) as u16;
    let top = Rect { y: area.y + 1 - n, height: n, ..area };
    f.render_widget(ratatui::widgets::Clear, top);
    let lines: Vec<Line> = lines.into_iter().map(|l| Line::from(Span::styled(l, style))).collect();
    f.render_widget(Paragraph::new(lines), top);
}

/// `红寨村：27户 · 已提交6 · 草稿11（有错9）· 未填10 · 已核实12`
pub fn place_counts(app: &App) -> String {
    let c = app.tree.counts(app.places.sel);
    let name = match app.places.sel {
        PlaceSel::All => "全部乡镇",
        PlaceSel::Township(t) => &app.tree.townships[t].name,
        PlaceSel::Village(t, v) => &app.tree.townships[t].villages[v].name,
    };
    format!(
        "{name}：{}户 · 已提交{} · 草稿{}（有错{}）· 未填{} · 已核实{}",
        c.households, c.submitted, c.draft, c.with_errors, c.empty, c.verified
    )
}

/// ` 回头看  汉葭街道 › 石坪村 › 张三            演示数据 · 操作人 clerk01`
pub fn render_header(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let household = match app.screens.last() {
        Some(Screen::Form(ed)) => Some(&ed.record().household),
        Some(Screen::Card(c)) => Some(&c.record.household),
        _ => None,
    };
    let place = match (household, app.find.as_ref().map(|f| f.scope)) {
        (Some(h), _) => format!("{} › {} › {}", h.place.township, h.place.village, h.a.head),
        (None, Some(FindScope::All)) => "查找：全部乡镇".to_string(),
        (None, Some(FindScope::Place(p))) => format!("查找：{}", app.tree.label(p)),
        (None, None) => app.tree.label(app.places.sel),
    };
    let mut right = format!("操作人 {}", app.operator);
    if app.demo {
        right = format!("演示数据 · {right}");
    }
    let w = area.width as usize;
    let right = text::fit(&right, w / 3);
    let left_w = w.saturating_sub(text::width(&right) + 1);
    let title = " 回头看 ";
    let place = text::fit(&place, left_w.saturating_sub(text::width(title) + 1));
    let pad = left_w.saturating_sub(text::width(title) + 1 + text::width(&place));
    let line = Line::from(vec![
        Span::styled(title, reverse(theme)),
        Span::raw(" "),
        Span::styled(place, theme.title()),
        Span::raw(" ".repeat(pad + 1)),
        Span::styled(right, if app.demo { theme.warning() } else { theme.dim() }),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn reverse(theme: &Theme) -> Style {
    theme.selected()
}

/// `c 类别:边缘户  s 表单:全部  r 风险:全部      显示 40/92 户`
pub fn render_filters(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let items = [
        (Action::FilterCategory, "类别", app.filters.category_label()),
        (Action::FilterState, "表单", app.filters.state_label()),
        (Action::FilterRisk, "风险", app.filters.risk_label()),
    ];
    let mut spans = vec![Span::styled("筛选 ", theme.dim())];
    for (action, name, value) in items {
        let key = key_label(app, Mode::Browse, action).unwrap_or_default();
        let active = value != "全部";
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {name}:")));
        spans.push(Span::styled(
            value,
            if active { theme.warning().add_modifier(ratatui::style::Modifier::BOLD) } else { Style::default() },
        ));
        spans.push(Span::raw("  "));
    }
    let shown = app.list.rows.len();
    let count = if shown == app.list.unfiltered { format!("共{shown}户") } else { format!("显示{shown}/{}户", app.list.unfiltered) };
    let used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    let w = area.width as usize;
    if used + text::width(&count) < w {
        spans.push(Span::raw(" ".repeat(w - used - text::width(&count))));
        spans.push(Span::styled(count, theme.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
