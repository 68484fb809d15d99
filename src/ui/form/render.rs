//! Drawing the form at 80×24 and up: a header, the field list (a scrolling
//! viewport over sections A–D), the current field's editor with its message,
//! the counts line and a footer generated from the keymap. Reads state only.

use super::dialog::{Checklist, Dialog, ItemKind};
use super::editor::{FormEditor, Notice, Tone};
use super::input::{FieldInput, Input};
use super::water::{self, WaterPanel};
use super::wrap;
use crate::form::rules::{self, Severity};
use crate::form::schema::{Branch, Field, Helper, Kind, Mask, Section};
use crate::form::{idnum, phone, Value};
use crate::model::FormState;
use crate::ui::action::Action;
use crate::ui::keymap::{Keymap, Mode};
use crate::ui::text;
use crate::ui::text::spans_fit;
use crate::ui::theme::Theme;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use std::cell::Cell;
use tui_textarea::TextArea;

/// Rows of D7's text in the editor.
const LONG_TEXT_ROWS: u16 = 7;
/// Columns of the label in the field list at 80 columns (the least it gets).
const LABEL_COLS: usize = 30;
/// Columns the value keeps before the label grows into a wider terminal.
const VALUE_COLS: usize = 41;

/// The label column for a list `cols` wide: 30 at 80 columns, growing with
/// the terminal until the longest label fits whole.
fn label_cols(form: &crate::form::file::Form, cols: usize) -> usize {
    let longest = form.fields.iter().map(|f| text::width(f.label)).max().unwrap_or(LABEL_COLS);
    // marker, code, label, space, mark, space, value
    cols.saturating_sub(1 + 4 + 1 + 2 + 1 + VALUE_COLS).clamp(LABEL_COLS, longest.max(LABEL_COLS))
}

/// Replaces `{action-name}` with the action's keys (`Ctrl-O`, `Ctrl-S/F2`).
pub fn with_keys(text: &str, keymap: &Keymap, mode: Mode) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        match Action::from_name(name) {
            Some(a) => {
                let keys = keys_label(keymap, mode, a);
                out.push_str(if keys.is_empty() { a.help() } else { &keys });
            }
            None => out.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Moves `offset` as little as possible so that `row` shows in `height` rows of `total`.
fn keep_visible(offset: &Cell<usize>, row: usize, height: usize, total: usize) -> usize {
    let mut o = offset.get();
    if row < o {
        o = row;
    } else if height > 0 && row >= o + height {
        o = row + 1 - height;
    }
    o = o.min(total.saturating_sub(height));
    offset.set(o);
    o
}

/// The value as shown in the list: the fields the form marks as personal
/// data (ID numbers, phones) masked.
fn shown_value(f: &Field, v: &Value) -> String {
    match (f.mask, v) {
        (Some(Mask::Id), Value::Text(s)) => idnum::mask(s),
        (Some(Mask::Phone), Value::List(items)) => items.iter().map(|p| phone::mask(p)).collect::<Vec<_>>().join("、"),
        _ => shown_plain(f, v),
    }
}

fn shown_plain(f: &Field, v: &Value) -> String {
    match (f.kind, v) {
        (Kind::LongText { .. }, Value::Text(s)) => s.replace('\n', " "),
        _ => rules::display_value(f, v),
    }
}

/// Lays option labels out left to right, wrapping at `cols`.
fn flow<'a>(items: Vec<(String, Style)>, cols: usize) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let mut cur: Vec<Span> = Vec::new();
    let mut used = 0;
    for (s, st) in items {
        let s = text::fit(&s, cols);
        let w = text::width(&s);
        if used > 0 && used + 2 + w > cols {
            lines.push(Line::from(std::mem::take(&mut cur)));
            used = 0;
        }
        if used > 0 {
            cur.push(Span::raw("  "));
            used += 2;
        }
        cur.push(Span::styled(s, st));
        used += w;
    }
    if !cur.is_empty() {
        lines.push(Line::from(cur));
    }
    lines
}

fn tone_style(theme: &Theme, tone: Tone) -> Style {
    match tone {
        Tone::Info => Style::default(),
        Tone::Ok => theme.ok(),
        Tone::Error => theme.error(),
    }
}

/// Rows of a text area wrapped to `cols`, the window of `height` rows that
/// shows the cursor, and the cursor's place in that window.
fn text_window(area: &TextArea<'_>, cols: usize, height: usize, scroll: &Cell<usize>) -> (Vec<String>, (u16, u16)) {
    let rows = wrap::wrap(area.lines(), cols);
    let (row, x) = wrap::locate(&rows, area.cursor());
    let start = keep_visible(scroll, row, height, rows.len());
    let shown = rows.iter().skip(start).take(height).map(|r| r.text.replace('\t', " ")).collect();
    (shown, (x.min(cols.saturating_sub(1)) as u16, (row - start) as u16))
}

/// What an input draws: its lines and, for text, where the cursor goes.
struct Drawn<'a> {
    lines: Vec<Line<'a>>,
    cursor: Option<(u16, u16)>,
    /// Lines at the end (the message) kept when the box is short.
    keep: usize,
}

impl FormEditor {
    pub(super) fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme, keymap: &Keymap) {
        f.render_widget(Clear, area);
        if area.width < 30 || area.height < 10 {
            let p = Paragraph::new("窗口太小，请把终端放大到至少 80×24").style(theme.error());
            f.render_widget(p, area);
            return;
        }
        let cols = area.width as usize;
        self.wrap_width.set(area.width.saturating_sub(2));
        let inner = area.width.saturating_sub(2) as usize;
        let body = self.editor_body(theme, keymap, inner);
        let want = body.lines.len() as u16 + 2;
        let edit_h = want.min(area.height - 7);
        let list_h = area.height - 4 - edit_h;
        let header = Rect::new(area.x, area.y, area.width, 1);
        let list = Rect::new(area.x, area.y + 1, area.width, list_h);
        let edit = Rect::new(area.x, list.bottom(), area.width, edit_h);
        let status = Rect::new(area.x, edit.bottom(), area.width, 1);
        let footer = Rect::new(area.x, status.bottom(), area.width, 2);

        f.render_widget(self.header_line(theme, cols), header);
        self.draw_list(f, list, theme);
        self.draw_editor(f, edit, body, theme, keymap);
        f.render_widget(self.status_line(theme, keymap, cols), status);
        f.render_widget(Paragraph::new(self.footer_lines(theme, keymap, cols)), footer);
        self.draw_dialog(f, area, theme, keymap);
    }

    fn header_line(&self, theme: &Theme, cols: usize) -> Line<'static> {
        let h = &self.record.household;
        if let Some(t) = &self.entry {
            let which = match t.seq {
                Some(n) => format!("{}第{n}条 ", self.form.title),
                None => format!("新增{} ", self.form.noun),
            };
            let mut parts = vec![
                (which, theme.title()),
                (format!("{} ", h.a.head), theme.title()),
                (format!("{}{} ", h.place.township, h.place.village), Style::default()),
            ];
            if let Some(reason) = &t.voided {
                parts.push((format!("[作废：{reason}]"), theme.dim()));
            }
            return spans_fit(parts, cols);
        }
        let branch = if rules::eliminated_in(self.form, &self.view()) { Branch::Eliminated } else { Branch::NotEliminated };
        let branch = self.form.branch_label(branch);
        let state = self.record.form.state.label();
        let verified = if h.verified { "A已核实" } else { "A未核实" };
        let state_style = match self.record.form.state {
            FormState::Submitted => theme.ok(),
            _ => theme.title(),
        };
        spans_fit(
            vec![
                ("回头看 ".into(), theme.title()),
                (format!("{} ", h.a.head), theme.title()),
                (format!("{}{} ", h.place.township, h.place.village), Style::default()),
                (format!("{} {} ", h.a.category_short(), branch), Style::default()),
                (format!("[{state}] "), state_style),
                (verified.into(), if h.verified { theme.ok() } else { theme.warning() }),
            ],
            cols,
        )
    }

    fn section_title(&self, s: Section) -> String {
        match s {
            Section::A => {
                format!("{}（只需核实）{}", self.form.section_title(s), if self.record.household.verified { "已核实" } else { "未核实" })
            }
            Section::D => {
                let elim = rules::eliminated_in(self.form, &self.view());
                let branch = if elim { Branch::Eliminated } else { Branch::NotEliminated };
                format!(
                    "{}：{}，填{}（{}{}）",
                    self.form.section_title(s),
                    self.form.branch_label(branch),
                    self.form.branch_codes(branch),
                    self.form.branch_field,
                    if elim { "有值" } else { "为空" }
                )
            }
            _ => self.form.section_title(s).to_string(),
        }
    }

    fn draw_list(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let cols = area.width as usize;
        // Section headers and fields, in order.
        let mut rows: Vec<Option<usize>> = Vec::new();
        let mut last = None;
        for i in self.shown() {
            if last != Some(self.form.fields[i].section) {
                rows.push(None);
                last = Some(self.form.fields[i].section);
            }
            rows.push(Some(i));
        }
        let at = rows.iter().position(|r| *r == Some(self.cursor)).unwrap_or(0);
        // Keep the row above in view too (often the section's title).
        let height = area.height as usize;
        let start = keep_visible(&self.scroll, at.saturating_sub(1), height, rows.len());
        let start = if at >= start + height { at + 1 - height } else { start };
        let mut lines = Vec::new();
        for (k, row) in rows.iter().enumerate().skip(start).take(height) {
            let line = match row {
                None => {
                    let next = rows.get(k + 1).copied().flatten().map(|i| self.form.fields[i].section).unwrap_or(Section::A);
                    spans_fit(vec![(self.section_title(next), theme.title())], cols)
                }
                Some(i) => self.field_line(*i, theme, cols),
            };
            lines.push(line);
        }
        f.render_widget(Paragraph::new(lines), area);
    }

    fn field_line(&self, i: usize, theme: &Theme, cols: usize) -> Line<'static> {
        let fd = &self.form.fields[i];
        let current = i == self.cursor;
        let shows = self.shows_findings(fd);
        let worst = if shows { self.findings_of(fd.code).map(|x| x.severity).min() } else { None };
        let (mark, mark_style) = match worst {
            Some(Severity::Error) => ("错", theme.error()),
            Some(Severity::Warning) => ("提", theme.warning()),
            None => ("  ", Style::default()),
        };
        let (value, value_style) = match self.value_of(fd) {
            Some(v) => (shown_value(fd, &v), Style::default()),
            None if fd.required => ("未填".to_string(), theme.dim()),
            None if matches!(fd.kind, Kind::Multi { .. }) => ("（可不选）".to_string(), theme.dim()),
            None => ("（空）".to_string(), theme.dim()),
        };
        let base = if current { theme.selected() } else { Style::default() };
        let pick = |s: Style| if current { base } else { s };
        let mut line = spans_fit(
            vec![
                (if current { ">".into() } else { " ".into() }, base),
                (format!("{:<4}", fd.code), base),
                (text::pad(&text::fit(fd.label, label_cols(self.form, cols)), label_cols(self.form, cols)), base),
                (" ".into(), base),
                (mark.into(), if current { base } else { mark_style }),
                (" ".into(), base),
                (value, pick(value_style)),
            ],
            cols,
        );
        if current {
            line = line.style(base);
        }
        line
    }

    /// The body of the editor box for the current field.
    fn editor_body(&self, theme: &Theme, keymap: &Keymap, cols: usize) -> Drawn<'static> {
        let fd = self.field();
        let mut lines = vec![spans_fit(vec![(fd.hint.to_string(), theme.dim())], cols)];
        let mut drawn = match &self.input.state {
            Input::ReadOnly if fd.is_prefilled() => {
                let v = self.value_of(fd).map(|v| shown_value(fd, &v)).unwrap_or_else(|| "（空）".into());
                let rows = wrap::wrap(&[v], cols);
                Drawn { lines: rows.into_iter().take(2).map(|r| Line::from(r.text)).collect(), cursor: None, keep: 0 }
            }
            Input::ReadOnly => {
                let v = self.value_of(fd).map(|v| rules::display_value(fd, &v)).unwrap_or_else(|| "（未填）".into());
                let rows = wrap::wrap(&[v.replace('\n', " ")], cols);
                Drawn { lines: rows.into_iter().take(LONG_TEXT_ROWS as usize).map(|r| Line::from(r.text)).collect(), cursor: None, keep: 0 }
            }
            _ => input_body(&self.input, theme, keymap, cols, &self.text_scroll, &self.slot_names(), true),
        };
        drawn.lines.extend(self.offer_lines(theme, cols));
        if let Some(c) = &mut drawn.cursor {
            c.1 += 1;
        }
        lines.append(&mut drawn.lines);
        let message = self.message_lines(theme, keymap, cols);
        let keep = message.len();
        lines.extend(message);
        Drawn { lines, cursor: drawn.cursor, keep }
    }

    /// At D1: the responsible people on offer for the slot being typed, a
    /// digit each (name and phone go in together).
    fn offer_lines(&self, theme: &Theme, cols: usize) -> Vec<Line<'static>> {
        if !matches!(self.field().kind, Kind::Names { .. }) || self.read_only() {
            return Vec::new();
        }
        let Some(typed) = self.input.active_slot_text() else { return Vec::new() };
        let offered = self.suggestions.matching(&typed);
        if offered.is_empty() {
            return Vec::new();
        }
        let mut items = vec![("按数字填入（姓名和电话）：".to_string(), theme.dim())];
        for (i, (m, origin)) in offered.iter().enumerate() {
            items.push((format!("{} {} {}（{}）", i + 1, m.name, phone::mask(&m.phone), origin.label()), theme.key()));
        }
        flow(items, cols)
    }

    /// D1's names, shown beside D2's phones so each pair reads as one.
    fn slot_names(&self) -> Vec<String> {
        match self.field().kind {
            Kind::Phones { names } => match self.answers.get(names) {
                Some(Value::List(n)) => n.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// The field's first finding (if shown), or what has been typed to find an option.
    fn message_lines(&self, theme: &Theme, keymap: &Keymap, cols: usize) -> Vec<Line<'static>> {
        let fd = self.field();
        if let Input::Choice { typed, .. } | Input::Multi { typed, .. } = &self.input.state {
            if !typed.query.is_empty() {
                return vec![spans_fit(vec![(format!("查找：{}", typed.query), theme.key())], cols)];
            }
        }
        let live = matches!(fd.kind, Kind::LongText { .. });
        if !(live || self.shows_findings(fd)) {
            return vec![Line::from("")];
        }
        let mut found: Vec<_> = self.findings_of(fd.code).collect();
        found.sort_by_key(|x| x.severity);
        match found.first() {
            Some(first) => {
                let style = if first.severity == Severity::Error { theme.error() } else { theme.warning() };
                let more = if found.len() > 1 { format!("（另有{}条）", found.len() - 1) } else { String::new() };
                let text = with_keys(&format!("{}：{}{more}", first.severity.label(), first.message), keymap, Mode::Choice);
                wrap::wrap(&[text], cols).into_iter().take(2).map(|r| spans_fit(vec![(r.text, style)], cols)).collect()
            }
            None if fd.is_prefilled() && !self.read_only() => {
                let text = with_keys("基础信息只需核实：相符请按 {verify} 标为已核实，有误请按 {correct} 更正", keymap, Mode::Form);
                vec![spans_fit(vec![(text, theme.dim())], cols)]
            }
            None if self.value_of(fd).is_some() && !fd.is_prefilled() => vec![Line::styled("无误", theme.ok())],
            None => vec![Line::from("")],
        }
    }

    fn draw_editor(&self, f: &mut Frame, area: Rect, body: Drawn<'static>, theme: &Theme, _keymap: &Keymap) {
        let fd = self.field();
        let title = format!(" {} {} ", fd.code, fd.label);
        let mut block = theme.block(Line::from(text::fit(&title, area.width.saturating_sub(14) as usize)), true);
        let (tag, tag_style) = match (&self.input.state, fd.kind) {
            (_, Kind::LongText { min, max }) => {
                let n = match self.answers.get(fd.code) {
                    Some(Value::Text(s)) => crate::form::value::char_count(s),
                    _ => 0,
                };
                let style = if (min..=max).contains(&n) { theme.ok() } else { theme.error() };
                (format!(" {n}/{max} "), style)
            }
            (Input::ReadOnly, _) if fd.is_prefilled() => (" 只读 ".to_string(), theme.dim()),
            (Input::ReadOnly, _) => (" 已提交 ".to_string(), theme.dim()),
            (_, k) => (format!(" {} ", kind_tag(k)), theme.dim()),
        };
        block = block.title(Line::from(Span::styled(tag, tag_style)).right_aligned());
        let inner = block.inner(area);
        f.render_widget(block, area);
        let height = inner.height as usize;
        let mut lines = body.lines;
        // Keep the message (last lines) when space is short.
        if lines.len() > height && height > body.keep {
            let msg = lines.split_off(lines.len() - body.keep);
            lines.truncate(height - body.keep);
            lines.extend(msg);
        }
        f.render_widget(Paragraph::new(lines), inner);
        if self.dialog.is_none() {
            if let Some((x, y)) = body.cursor {
                if (y as usize) < height.saturating_sub(body.keep) {
                    f.set_cursor_position(Position::new(inner.x + x, inner.y + y));
                }
            }
        }
    }

    fn status_line(&self, theme: &Theme, keymap: &Keymap, cols: usize) -> Line<'static> {
        let (errors, warnings) = rules::counts(&self.findings);
        let missing = self.findings.iter().filter(|f| f.rule == "required").count();
        let mut parts = vec![
            (format!("错误 {errors}"), if errors > 0 { theme.error() } else { theme.ok() }),
            (if missing > 0 { format!("（未填 {missing}）") } else { String::new() }, theme.dim()),
            (format!(" 提示 {warnings}"), if warnings > 0 { theme.warning() } else { theme.ok() }),
            // Not a warning to confirm but its own act: still counted where the clerk looks.
            (if self.record.household.verified || self.entry.is_some() { String::new() } else { " A未核实".into() }, theme.warning()),
            ("   ".into(), theme.dim()),
        ];
        match &self.notice {
            Some(Notice { tone, text }) => parts.push((with_keys(text, keymap, Mode::Form), tone_style(theme, *tone))),
            None if self.unsaved() => parts.push(("这一项有修改，离开这一项即保存".into(), theme.dim())),
            None => match self.record.form.saved_at {
                Some(at) => parts.push((format!("已保存 {}", at.local().format("%H:%M:%S")), theme.dim())),
                None => parts.push(("尚未保存".into(), theme.dim())),
            },
        }
        spans_fit(parts, cols)
    }

    fn footer_lines(&self, theme: &Theme, keymap: &Keymap, cols: usize) -> Vec<Line<'static>> {
        let mode = self.mode();
        let wanted: Vec<(Action, &str)> = match &self.dialog {
            Some(Dialog::Correct { .. }) => vec![(Action::NextField, "确认更正"), (Action::ClearField, "清空"), (Action::Back, "取消")],
            Some(Dialog::Water(_)) => vec![(Action::NextField, "下一行"), (Action::PrevField, "上一行"), (Action::Back, "关闭")],
            Some(Dialog::Checklist(_)) => {
                vec![(Action::Confirm, "跳到该项"), (Action::MoveDown, "下一条"), (Action::Back, "关闭")]
            }
            Some(Dialog::Review) if !self.record.household.verified => {
                vec![(Action::Verify, "核实A"), (Action::Confirm, "正式提交"), (Action::Back, "返回修改")]
            }
            Some(Dialog::Review) => vec![(Action::Confirm, "正式提交"), (Action::Back, "返回修改")],
            Some(_) => vec![(Action::Confirm, "是"), (Action::Cancel, "否"), (Action::Back, "取消")],
            None if self.entry.is_some() && self.read_only() => vec![(Action::NextField, "下一项"), (Action::Back, "返回户档")],
            None if self.entry.is_some() => vec![
                (Action::NextField, "下一项"),
                (Action::PrevField, "上一项"),
                (Action::NextProblem, "下个待填"),
                (Action::Save, "保存"),
                (Action::Submit, "填完返回"),
                (Action::Back, "返回户档"),
            ],
            None if self.held_by.is_some() => {
                vec![(Action::Reopen, "接手"), (Action::NextField, "下一项"), (Action::NextHousehold, "下一户"), (Action::Back, "返回")]
            }
            None if self.read_only() => {
                vec![(Action::Reopen, "重新打开"), (Action::NextField, "下一项"), (Action::NextHousehold, "下一户"), (Action::Back, "返回")]
            }
            None => {
                let mut v = Vec::new();
                if self.field().is_prefilled() {
                    v.push((Action::Verify, "核实A"));
                    v.push((Action::Correct, "更正"));
                }
                if self.field().section == Section::B {
                    v.push((Action::BAllOk, "B全部已解决"));
                }
                if self.field().helper == Some(Helper::Water) {
                    v.push((Action::WaterHelper, "饮水计算"));
                }
                v.extend([
                    (Action::NextField, "下一项"),
                    (Action::PrevField, "上一项"),
                    (Action::NextProblem, "下个待填"),
                    (Action::Save, "保存"),
                    (Action::Submit, "提交"),
                    (Action::NextHousehold, "下一户"),
                    (Action::NextSection, "下一部分"),
                    (Action::Back, "返回"),
                ]);
                v
            }
        };
        // Two rows of hints, the help key last so everything else can be found.
        let help = keymap.hint(mode, Action::Help, "帮助");
        let reserve = help.as_deref().map(text::width).unwrap_or(0);
        let mut rows: Vec<Vec<(String, Style)>> = vec![Vec::new(), Vec::new()];
        let mut used = [0usize; 2];
        let mut row = 0;
        for (action, label) in wanted {
            let Some(h) = keymap.hint(mode, action, label) else { continue };
            let w = text::width(&h) + 2;
            let room = if row == 1 { cols.saturating_sub(reserve) } else { cols };
            if used[row] + w > room {
                if row == 1 {
                    break;
                }
                row = 1;
                if used[1] + w > cols.saturating_sub(reserve) {
                    break;
                }
            }
            push_hint(&mut rows[row], &h, theme);
            rows[row].push(("  ".into(), Style::default()));
            used[row] += w;
        }
        if let Some(h) = help {
            push_hint(&mut rows[1], &h, theme);
        }
        rows.into_iter().map(|r| spans_fit(r, cols)).collect()
    }

    // ----- dialogs -----

    fn draw_dialog(&self, f: &mut Frame, area: Rect, theme: &Theme, keymap: &Keymap) {
        let Some(dialog) = &self.dialog else { return };
        let width = area.width;
        let cols = width.saturating_sub(2) as usize;
        let dk = |a: Action| keys_label(keymap, Mode::Dialog, a);
        let (title, lines, cursor): (String, Vec<Line>, Option<(u16, u16)>) = match dialog {
            Dialog::Correct { input, message } => self.correct_lines(input, message.as_deref(), theme, keymap, cols),
            Dialog::BranchSwitch { value, hidden } => {
                let to = match value {
                    Some(v) => format!(
                        "“{}”（{}）",
                        self.form.field(self.form.branch_field).map(|fd| rules::display_value(fd, v)).unwrap_or_default(),
                        self.form.branch_label(Branch::Eliminated)
                    ),
                    None => format!("空（{}）", self.form.branch_label(Branch::NotEliminated)),
                };
                let mut lines = vec![
                    Line::from(format!("把{}改为{to}后，下面这些已填的答案不再属于该户这一类，将被清除：", self.form.branch_field)),
                    Line::from(""),
                ];
                for code in hidden {
                    if let Some(fd) = self.form.field(code) {
                        let v = self.answers.get(*code).map(|v| shown_value(fd, v)).unwrap_or_default();
                        lines.push(spans_fit(vec![(format!("  {} {}：{v}", fd.code, fd.label), theme.warning())], cols));
                    }
                }
                lines.push(Line::from(""));
                lines.push(key_line(&dk(Action::Confirm), "清除这些答案并更正A8（都记入修改记录）", theme));
                lines.push(key_line(&dk(Action::Cancel), "不更正，A8和答案都保持原样", theme));
                ("A8更正会改变填写范围".into(), wrap_lines(lines, cols), None)
            }
            Dialog::Checklist(list) => self.checklist_lines(list, theme, cols, area.height.saturating_sub(6) as usize, &dk),
            Dialog::Review => self.review_lines(theme, keymap, cols, &dk),
            Dialog::TakeOver => (
                "接手别人正在填写的表".into(),
                vec![
                    Line::from(self.held_by.as_ref().map(|h| format!("{}。", h.label())).unwrap_or_default()),
                    Line::from("接手后由你填写，对方之后的保存会被拒绝（不会覆盖你的答案）；此事记入修改记录。"),
                    Line::from(""),
                    key_line(&dk(Action::Confirm), "接手", theme),
                    key_line(&dk(Action::Cancel), "取消", theme),
                ],
                None,
            ),
            Dialog::Reopen => (
                "重新打开已提交的表".into(),
                vec![
                    Line::from("重新打开后该表变回草稿（记入修改记录），修改完需要再次提交。"),
                    Line::from(""),
                    key_line(&dk(Action::Confirm), "重新打开", theme),
                    key_line(&dk(Action::Cancel), "取消", theme),
                ],
                None,
            ),
            Dialog::Water(panel) => water_lines(panel, theme, keymap, cols),
        };
        let lines = wrap_lines(lines, cols);
        // Over the editor, growing upwards; the header, status and footer stay.
        let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(4));
        let bottom = area.bottom().saturating_sub(3);
        let rect = Rect::new(area.x, bottom.saturating_sub(height), width, height);
        f.render_widget(Clear, rect);
        let block = theme.block(Line::from(format!(" {title} ")), true);
        let inner = block.inner(rect);
        f.render_widget(block, rect);
        f.render_widget(Paragraph::new(lines), inner);
        if let Some((x, y)) = cursor {
            if y < inner.height {
                f.set_cursor_position(Position::new(inner.x + x, inner.y + y));
            }
        }
    }

    fn correct_lines(
        &self,
        input: &FieldInput,
        message: Option<&str>,
        theme: &Theme,
        keymap: &Keymap,
        cols: usize,
    ) -> (String, Vec<Line<'static>>, Option<(u16, u16)>) {
        let fd = input.field;
        let old = self.record.household.a.value(fd.code).map(|v| rules::display_value(fd, &v)).unwrap_or_else(|| "（空）".into());
        let mut lines = vec![Line::from(format!("原值：{old}")), Line::from(Span::styled("新值：", theme.title()))];
        let top = lines.len() as u16;
        let body = input_body(input, theme, keymap, cols, &self.text_scroll, &[], false);
        let cursor = body.cursor.map(|(x, y)| (x, y + top));
        lines.extend(body.lines);
        let k = |a| keys_label(keymap, Mode::Form, a);
        if fd.code == self.form.branch_field {
            lines.push(Line::from(Span::styled(format!("清空（{}）表示风险未消除。", k(Action::ClearField)), theme.dim())));
        }
        if let Some(m) = message {
            lines.push(Line::from(Span::styled(m.to_string(), theme.error())));
        }
        lines.push(key_line(&k(Action::NextField), "确认更正（旧值和新值记入修改记录）", theme));
        lines.push(key_line(&k(Action::Back), "取消", theme));
        (format!("更正 {} {}", fd.code, fd.label), lines, cursor)
    }

    fn checklist_lines(
        &self,
        list: &Checklist,
        theme: &Theme,
        cols: usize,
        max_rows: usize,
        dk: &dyn Fn(Action) -> String,
    ) -> (String, Vec<Line<'static>>, Option<(u16, u16)>) {
        let mut tail = vec![Line::from("")];
        // The selected line in full, since the list shows one line per item.
        let selected = &list.items[list.selected.min(list.items.len() - 1)];
        for r in wrap::wrap(&[format!("{} {}", selected.code, selected.message)], cols).into_iter().take(3) {
            tail.push(Line::from(Span::styled(r.text, theme.title())));
        }
        tail.push(key_line(&dk(Action::Confirm), "跳到选中的这一项去改", theme));
        let first = |a| keymap_first(dk(a));
        tail.push(key_line(&format!("{} {}", first(Action::MoveUp), first(Action::MoveDown)), "选择", theme));
        let title = format!("还有{}处错误，不能提交", list.items.len());
        let room = max_rows.saturating_sub(tail.len()).max(1);
        let start = list.selected.saturating_sub(room - 1).min(list.items.len().saturating_sub(room));
        let mut lines = Vec::new();
        for (k, item) in list.items.iter().enumerate().skip(start).take(room) {
            let (tag, style) = match item.kind {
                ItemKind::Error => ("错", theme.error()),
            };
            let sel = k == list.selected;
            let st = if sel { theme.selected() } else { Style::default() };
            lines.push(spans_fit(
                vec![
                    (if sel { ">" } else { " " }.to_string(), st),
                    (text::pad(tag, 4), if sel { st } else { style }),
                    (format!("{:<4}", item.code), st),
                    (item.message.clone(), st),
                ],
                cols,
            ));
        }
        lines.extend(tail);
        (title, lines, None)
    }
}

impl FormEditor {
    /// The review before submitting: every shown answer, section by section
    /// (values as in the list, phones and ID numbers masked, D7 cut to a
    /// line), each warning marked 提 at its field and spelled out below.
    fn review_lines(
        &self,
        theme: &Theme,
        keymap: &Keymap,
        cols: usize,
        dk: &dyn Fn(Action) -> String,
    ) -> (String, Vec<Line<'static>>, Option<(u16, u16)>) {
        let mut lines = Vec::new();
        let mut section = None;
        let mut items: Vec<(String, Style)> = Vec::new();
        for i in self.shown() {
            let fd = &self.form.fields[i];
            if section != Some(fd.section) {
                // One paragraph per section, its title first.
                lines.extend(flow(std::mem::take(&mut items), cols));
                section = Some(fd.section);
                let title = match fd.section {
                    Section::A if self.record.household.verified => "A（已核实）".to_string(),
                    Section::A => "A（未核实）".to_string(),
                    s => format!("{}：", s.title().split('.').next().unwrap_or_default()),
                };
                let style = if fd.section == Section::A && !self.record.household.verified { theme.warning() } else { theme.title() };
                items.push((title, style));
            }
            let worst = self.findings_of(fd.code).map(|x| x.severity).min();
            let (mark, style) = match worst {
                Some(Severity::Error) => ("错", theme.error()),
                Some(Severity::Warning) => ("提", theme.warning()),
                None => ("", Style::default()),
            };
            let value = self.value_of(fd).map(|v| shown_value(fd, &v)).unwrap_or_else(|| "（空）".into());
            let value = if matches!(fd.kind, Kind::LongText { .. }) {
                let n = self.value_of(fd).map(|v| match v {
                    Value::Text(s) => crate::form::value::char_count(&s),
                    _ => 0,
                });
                format!("（{}字）{}", n.unwrap_or(0), text::fit(&value, cols.saturating_sub(12)))
            } else {
                value
            };
            items.push((format!("{mark}{} {value}", fd.code), style));
        }
        lines.extend(flow(items, cols));
        let mut problems: Vec<_> = self.findings.iter().collect();
        problems.sort_by_key(|f| (f.severity, self.form.position(f.code)));
        let mut fresh = 0;
        for p in problems {
            // A warning confirmed at the last submit for these very values says so.
            let again = p.severity == Severity::Warning && self.record.form.confirmations.iter().any(|c| c.covers(p, &self.view()));
            fresh += usize::from(p.severity == Severity::Warning && !again);
            let style = if p.severity == Severity::Error {
                theme.error()
            } else if again {
                theme.dim()
            } else {
                theme.warning()
            };
            let note = if again { "（上次已确认，相关答案未变）" } else { "" };
            let message = with_keys(&p.message, keymap, Mode::Choice);
            for r in wrap::wrap(&[format!("{} {} {message}{note}", p.severity.label(), p.code)], cols) {
                lines.push(spans_fit(vec![(r.text, style)], cols));
            }
        }
        let warnings = self.findings.iter().filter(|f| f.severity == Severity::Warning).count();
        if !self.record.household.verified {
            lines.push(key_line(
                &dk(Action::Verify),
                &format!("核对{}与实际相符后，标为已核实（单独一步）", self.form.section_codes(Section::A)),
                theme,
            ));
        }
        let confirm = match (warnings, fresh) {
            (0, _) => "核查无误，正式提交".to_string(),
            (w, 0) => format!("{w}条提示上次已确认、答案未变，正式提交"),
            (w, f) if f == w => format!("以上{w}条提示已核实，正式提交"),
            (w, f) => format!("以上{w}条提示（新的{f}条）已核实，正式提交"),
        };
        lines.push(key_line(&dk(Action::Confirm), &confirm, theme));
        lines.push(key_line(&dk(Action::Back), "返回修改", theme));
        let h = &self.record.household;
        (format!("提交前核查一遍：{} {}{}", h.a.head, h.place.township, h.place.village), lines, None)
    }
}

fn kind_tag(k: Kind) -> &'static str {
    match k {
        Kind::YesNo => "是/否",
        Kind::Single(_) => "单选",
        Kind::Multi { .. } => "多选",
        Kind::Month => "年月",
        Kind::Date => "日期",
        Kind::Names { .. } => "姓名",
        Kind::Phones { .. } => "电话",
        Kind::Integer { .. } => "整数",
        Kind::IdNumber => "证件号",
        Kind::Text { .. } | Kind::LongText { .. } => "文字",
    }
}

/// Up to two keys of an action, plain keys (arrows before Tab) first: `↑/Shift-Tab`.
fn keys_label(keymap: &Keymap, mode: Mode, action: Action) -> String {
    let mut keys = keymap.keys_for(mode, action);
    keys.sort_by_key(|k| (k.is_function_key(), k.ctrl || k.alt || k.shift, k.code == crate::ui::keymap::KeyCodeOrd::Tab));
    keys.iter().take(2).map(|k| k.label()).collect::<Vec<_>>().join("/")
}

/// The first of `a/b` key labels.
fn keymap_first(labels: String) -> String {
    labels.split('/').next().unwrap_or_default().to_string()
}

fn push_hint(parts: &mut Vec<(String, Style)>, hint: &str, theme: &Theme) {
    match hint.rsplit_once(' ') {
        Some((keys, label)) => {
            parts.push((keys.to_string(), theme.key()));
            parts.push((format!(" {label}"), Style::default()));
        }
        None => parts.push((hint.to_string(), Style::default())),
    }
}

fn key_line(keys: &str, what: &str, theme: &Theme) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{keys:>9}"), theme.key()), Span::raw(format!("  {what}"))])
}

/// Wraps plain lines longer than `cols` (styled lines are already fitted).
fn wrap_lines(lines: Vec<Line<'static>>, cols: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for l in lines {
        if l.width() <= cols || l.spans.len() != 1 {
            out.push(l);
            continue;
        }
        let style = l.spans[0].style;
        for r in wrap::wrap(&[l.spans[0].content.to_string()], cols) {
            out.push(Line::from(Span::styled(r.text, style)));
        }
    }
    out
}

/// The lines of an input (choices, checklist, text, slots) and its cursor.
#[allow(clippy::too_many_arguments)]
fn input_body(
    input: &FieldInput,
    theme: &Theme,
    keymap: &Keymap,
    cols: usize,
    scroll: &Cell<usize>,
    names: &[String],
    tips: bool,
) -> Drawn<'static> {
    let key_of = |i: u16| key_of(keymap, i);
    match &input.state {
        Input::ReadOnly => Drawn { lines: Vec::new(), cursor: None, keep: 0 },
        Input::Choice { opts, yes_no, selected, .. } => {
            let mut items: Vec<(String, Style)> = (0..opts.len() as u16)
                .map(|i| {
                    let on = *selected == Some(i);
                    let label = opts.label(i).unwrap_or("?");
                    (
                        format!("{}{}.{label}", if on { "(*)" } else { "( )" }, key_of(i)),
                        if on { theme.selected() } else { Style::default() },
                    )
                })
                .collect();
            let tip = if *yes_no {
                with_keys("按 {option-1}/{choose-yes} 选“是”，{option-2}/{choose-no} 选“否”，选后自动到下一项", keymap, Mode::Choice)
            } else {
                "按选项前的键选定并到下一项，或输入开头的字/拼音首字母".to_string()
            };
            if tips {
                items.push((tip, theme.dim()));
            }
            Drawn { lines: flow(items, cols), cursor: None, keep: 0 }
        }
        Input::Multi { opts, selected, highlight, blocked, .. } => {
            let mut items: Vec<(String, Style)> = (0..opts.len() as u16)
                .map(|i| {
                    let label = opts.label(i).unwrap_or("?");
                    let on = selected.contains(&i);
                    let main = *blocked == Some(i);
                    // The main field's answer: `[-]` cannot be ticked; `[!]` is ticked and must come off.
                    let mark = match (main, on) {
                        (true, true) => "[!]",
                        (true, false) => "[-]",
                        (false, true) => "[x]",
                        (false, false) => "[ ]",
                    };
                    let style = if i == *highlight {
                        theme.selected()
                    } else if main && on {
                        theme.error()
                    } else if main {
                        theme.dim()
                    } else {
                        Style::default()
                    };
                    (format!("{mark}{}.{label}", key_of(i)), style)
                })
                .collect();
            items.push((
                with_keys("按选项前的键勾选或去掉，或用 {option-prev}/{option-next} 移动、{toggle} 勾选", keymap, Mode::Choice),
                theme.dim(),
            ));
            Drawn { lines: flow(items, cols), cursor: None, keep: 0 }
        }
        Input::Text { multiline, area } => {
            let height = if *multiline { LONG_TEXT_ROWS as usize } else { 1 };
            let (rows, cursor) = text_window(area, cols, height, scroll);
            let mut lines: Vec<Line> = rows.into_iter().map(Line::from).collect();
            while *multiline && lines.len() < height {
                lines.push(Line::from(""));
            }
            if !*multiline && matches!(input.field.kind, Kind::Month) {
                let tip = match input.value() {
                    Some(Value::Month(m)) => format!("  = {}年{}月", m.year, m.month),
                    _ => "  可写成 202104、2021-04 或 2021/4".into(),
                };
                if let Some(l) = lines.first_mut() {
                    l.spans.push(Span::styled(tip, theme.dim()));
                }
            }
            if !*multiline && matches!(input.field.kind, Kind::Date) {
                let tip = match input.value() {
                    Some(Value::Date(d)) => format!("  = {}年{}月{}日", d.year, d.month, d.day),
                    _ => "  可写成 20210408、2021-04-08 或 2021/4/8".into(),
                };
                if let Some(l) = lines.first_mut() {
                    l.spans.push(Span::styled(tip, theme.dim()));
                }
            }
            Drawn { lines, cursor: Some(cursor), keep: 0 }
        }
        Input::Slots { areas, active, .. } => {
            let label_cols = if names.is_empty() { 5 } else { 14 };
            let mut cursor = None;
            let lines = areas
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let who = match names.get(i).filter(|n| !n.trim().is_empty()) {
                        Some(n) => format!("{}.{n}", i + 1),
                        None if !names.is_empty() && !a.is_empty() => format!("{}.（无姓名）", i + 1),
                        None => format!("{}.", i + 1),
                    };
                    let on = i == *active;
                    let head = text::pad(&format!("{}{}", if on { ">" } else { " " }, text::fit(&who, label_cols - 2)), label_cols);
                    let text = a.lines().first().cloned().unwrap_or_default();
                    if on {
                        let x: usize = text.chars().take(a.cursor().1).map(wrap::char_width).sum();
                        cursor = Some(((label_cols + x).min(cols.saturating_sub(1)) as u16, i as u16));
                    }
                    let st = if on { theme.title() } else { Style::default() };
                    spans_fit(vec![(head, st), (text, Style::default())], cols)
                })
                .collect();
            Drawn { lines, cursor, keep: 0 }
        }
    }
}

/// The key shown before option `i`: its `option-N` key in the keymap
/// (`1`–`9`, `0`, `-` by default), or its number when unbound.
fn key_of(keymap: &Keymap, i: u16) -> String {
    Action::option(i)
        .and_then(|a| keymap.keys_for(Mode::Choice, a).into_iter().find(|k| !k.ctrl && !k.alt && !k.is_function_key()))
        .map(|k| k.label())
        .unwrap_or_else(|| (i + 1).to_string())
}

fn water_lines(panel: &WaterPanel, theme: &Theme, keymap: &Keymap, cols: usize) -> (String, Vec<Line<'static>>, Option<(u16, u16)>) {
    let mut lines = Vec::new();
    let mut cursor = None;
    for (i, (label, area)) in water::ROWS.iter().zip(&panel.rows).enumerate() {
        let value = area.lines().join("");
        let on = i == panel.active;
        if on {
            let x: usize = value.chars().take(area.cursor().1).map(wrap::char_width).sum();
            cursor = Some(((24 + x).min(cols.saturating_sub(1)) as u16, i as u16));
        }
        lines.push(spans_fit(
            vec![
                (text::pad(&format!("{}{label}", if on { ">" } else { " " }), 24), if on { theme.title() } else { Style::default() }),
                (value, Style::default()),
            ],
            cols,
        ));
    }
    for (k, (label, _)) in water::STANDARD.quality.iter().enumerate() {
        lines.push(spans_fit(vec![(format!("  水质{}：{label}", k + 1), theme.dim())], cols));
    }
    let a = panel.assessment();
    let aspects: Vec<String> = a.aspects.iter().map(|(n, l)| format!("{n}{}", l.map(|l| l.label()).unwrap_or("？"))).collect();
    lines.push(spans_fit(vec![(aspects.join("  "), Style::default())], cols));
    let style = match a.suggestion {
        Some(true) => theme.ok(),
        Some(false) => theme.error(),
        None => theme.dim(),
    };
    lines.push(spans_fit(vec![(a.reason.clone(), style)], cols));
    let next = keys_label(keymap, Mode::Form, Action::NextField);
    let back = keys_label(keymap, Mode::Form, Action::Back);
    lines.push(spans_fit(vec![(format!("{next} 下一行，在最后一行按 {next} 把建议填入B4；{back} 关闭"), theme.dim())], cols));
    ("饮水安全计算（B4）".into(), lines, cursor)
}
