//! The household's file (户档) of the monitoring handbook, on one screen:
//! section A, the look-back form's state, the responsible people with their
//! history, the checks across the file (疑点), and the members, measures
//! and visits, one list at a time (Tab switches). Enter edits the selected
//! entry in the form editor, the add key starts a new one, the void key
//! asks for a reason and voids it (the entry stays, shown as 作废).
//!
//! 80×24 (rows 1–21 of the screen, inside a border):
//! ```text
//! A  户主 证件 人口 类别 风险 纳入 消除 核实
//!    地址
//! 回头看  state, errors        责任人 name phone (since); 此前 …
//! 疑点  …
//! [成员 4人]  措施 6项  走访 9次
//!  1 张三  户主  110105******002X  健康  普通劳动力
//!  …
//! (作废原因：… while voiding)
//! ```

use super::action::Action;
use super::app::Effect;
use super::households::shown_id;
use super::text;
use super::theme::Theme;
use crate::form::rules::{self, Severity};
use crate::form::Round;
use crate::handbook::{Doubt, HouseholdFile, Monitor};
use crate::model::{AuditEntry, Entry, FormState, LookBack};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::cell::Cell;

/// Rows above the list inside the border (section A, state, monitors, doubts, tabs).
const HEAD_ROWS: usize = 6;

/// What an action on the file leads to.
pub enum Outcome {
    /// Effects for the loop, and a message for the status line.
    Stay(Vec<Effect>, Option<String>),
    /// Back to where the file was opened from.
    Close,
}

pub struct Dossier {
    pub key: u64,
    pub file: HouseholdFile,
    pub monitors: Vec<Monitor>,
    pub doubts: Vec<Doubt>,
    /// Errors and warnings of each entry (by index into the file's entries).
    pub problems: Vec<(usize, usize)>,
    /// The look-back form's errors and warnings (none while 未填).
    pub look_back: (usize, usize),
    /// The round's reference moment: members' ages are counted at it.
    pub moment: chrono::NaiveDate,
    /// Which list has the cursor (members, measures, visits).
    pub part: usize,
    /// The selected row of each list.
    pub selected: Vec<usize>,
    pub offset: Cell<usize>,
    /// Rows the list showed when last drawn (for paging).
    pub page: Cell<usize>,
    pub revealed: bool,
    /// The reason being typed for voiding the selected entry.
    pub prompt: Option<String>,
    /// The entry to select once the file is read again (the one just edited or added).
    pub focus_entry: Option<(String, u32)>,
}

impl Dossier {
    pub fn new(key: u64, record: LookBack, entries: Vec<Entry>, history: &[AuditEntry], round: &Round) -> Dossier {
        let a = record.household.a.clone();
        let look_back = if record.form.state == FormState::Empty { Vec::new() } else { record.findings(round) };
        let count = |f: &[rules::Finding]| {
            let e = f.iter().filter(|x| x.severity == Severity::Error).count();
            (e, f.len() - e)
        };
        let problems = entries.iter().map(|e| count(&e.findings(&a, round))).collect();
        let file = HouseholdFile::new(record, entries);
        let doubts = file.doubts(round, crate::handbook::as_of(round));
        let monitors = file.monitors(history);
        // Visits open on the latest; the others on the first.
        let selected = file.parts.iter().map(|p| if p.form.id == "visits" { p.rows.len().saturating_sub(1) } else { 0 }).collect();
        Dossier {
            key,
            look_back: count(&look_back),
            file,
            monitors,
            doubts,
            problems,
            part: 0,
            selected,
            offset: Cell::new(0),
            moment: round.reference.date(),
            page: Cell::new(10),
            revealed: false,
            prompt: None,
            focus_entry: None,
        }
    }

    /// A reload of the same household keeps the list and row the clerk was on.
    pub fn keep_place(&mut self, old: &Dossier) {
        if old.key == self.key {
            self.part = old.part.min(self.file.parts.len().saturating_sub(1));
            for (s, o) in self.selected.iter_mut().zip(&old.selected) {
                *s = *o;
            }
            self.clamp();
            self.revealed = old.revealed;
            if let Some((form, seq)) = &old.focus_entry {
                for (p, part) in self.file.parts.iter().enumerate() {
                    if let Some(row) =
                        part.rows.iter().position(|&i| self.file.entries[i].form.id == *form && self.file.entries[i].seq == *seq)
                    {
                        self.part = p;
                        self.selected[p] = row;
                    }
                }
            }
        }
    }

    pub fn title(&self) -> String {
        let h = &self.file.record.household;
        format!("户档：{}（{} {}）", h.a.head, h.place.township, h.place.village)
    }

    fn clamp(&mut self) {
        for (s, p) in self.selected.iter_mut().zip(&self.file.parts) {
            *s = (*s).min(p.rows.len().saturating_sub(1));
        }
    }

    /// The selected entry of the list in focus.
    pub fn selected_entry(&self) -> Option<&Entry> {
        let part = self.file.parts.get(self.part)?;
        part.rows.get(*self.selected.get(self.part)?).map(|&i| &self.file.entries[i])
    }

    /// Whether the reason box is open (its keys are the `prompt` table's).
    pub fn prompting(&self) -> bool {
        self.prompt.is_some()
    }

    /// An action on the file: effects for the loop and a message for the
    /// status line, or [`Outcome::Close`].
    pub fn handle_action(&mut self, action: Action) -> Outcome {
        match self.act(action) {
            Some((effects, message)) => Outcome::Stay(effects, message),
            None => Outcome::Close,
        }
    }

    fn act(&mut self, action: Action) -> Option<(Vec<Effect>, Option<String>)> {
        if let Some(reason) = self.prompt.as_mut() {
            return Some(match action {
                Action::Confirm => {
                    let reason = reason.trim().to_string();
                    if reason.is_empty() {
                        (Vec::new(), Some("请写明作废的原因（如“重复录入”“号码录错，已另录”），再按确认".into()))
                    } else {
                        self.prompt = None;
                        match self.selected_entry() {
                            Some(e) => (vec![Effect::VoidEntry { key: self.key, form: e.form.id.clone(), seq: e.seq, reason }], None),
                            None => (Vec::new(), None),
                        }
                    }
                }
                Action::ClearField => {
                    reason.clear();
                    (Vec::new(), None)
                }
                Action::Back => {
                    self.prompt = None;
                    (Vec::new(), Some("没有作废".into()))
                }
                _ => (Vec::new(), None),
            });
        }
        let n = self.file.parts.get(self.part).map_or(0, |p| p.rows.len());
        let sel = &mut self.selected[self.part];
        let page = self.page.get().max(2) - 1;
        match action {
            Action::MoveUp => *sel = sel.saturating_sub(1),
            Action::MoveDown => *sel = (*sel + 1).min(n.saturating_sub(1)),
            Action::PageUp => *sel = sel.saturating_sub(page),
            Action::PageDown => *sel = (*sel + page).min(n.saturating_sub(1)),
            Action::First => *sel = 0,
            Action::Last => *sel = n.saturating_sub(1),
            Action::FocusNext => self.part = (self.part + 1) % self.file.parts.len().max(1),
            Action::FocusPrev => self.part = (self.part + self.file.parts.len().max(1) - 1) % self.file.parts.len().max(1),
            Action::RevealId => self.revealed = !self.revealed,
            Action::History => return Some((vec![Effect::History(self.key)], None)),
            Action::AddEntry => {
                let form = self.file.parts[self.part].form.reference();
                return Some((vec![Effect::OpenEntry { key: self.key, form, seq: None }], None));
            }
            Action::Open => {
                return Some(match self.selected_entry() {
                    Some(e) => (vec![Effect::OpenEntry { key: self.key, form: e.form.clone(), seq: Some(e.seq) }], None),
                    None => (Vec::new(), Some(format!("还没有{}记录；按新增键添加", self.file.parts[self.part].form.title))),
                });
            }
            Action::VoidEntry => {
                return Some(match self.selected_entry() {
                    None => (Vec::new(), Some("这里没有可作废的记录".into())),
                    Some(e) if e.voided.is_some() => (Vec::new(), Some(format!("{}已经作废了", e.label()))),
                    Some(_) => {
                        self.prompt = Some(String::new());
                        (Vec::new(), None)
                    }
                });
            }
            Action::Back => return None,
            _ => {}
        }
        Some((Vec::new(), None))
    }

    /// A key no table binds: text for the reason box.
    pub fn handle_key(&mut self, ev: KeyEvent) {
        let Some(reason) = self.prompt.as_mut() else { return };
        match ev.code {
            KeyCode::Backspace => {
                reason.pop();
            }
            KeyCode::Char(c)
                if !ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    && !c.is_control()
                    && reason.chars().count() < crate::store::VOID_REASON_MAX =>
            {
                reason.push(c);
            }
            _ => {}
        }
    }

    /// Pasted text goes into the reason box (one line).
    pub fn handle_paste(&mut self, text: &str) {
        if let Some(reason) = self.prompt.as_mut() {
            for c in text.chars().filter(|c| !c.is_control()) {
                if reason.chars().count() >= crate::store::VOID_REASON_MAX {
                    break;
                }
                reason.push(c);
            }
        }
    }

    fn head_lines(&self, theme: &Theme, cols: usize) -> Vec<Line<'static>> {
        let h = &self.file.record.household;
        let a = &h.a;
        let fit = |spans: Vec<(String, Style)>| text::spans_fit(spans, cols);
        let (verified, vstyle) = if h.verified { ("已核实", theme.ok()) } else { ("未核实", theme.warning()) };
        let risk = crate::form::options::ENROL_RISK.label(a.enrol_risk).unwrap_or("?");
        let elim = a.eliminated.map(|m| format!("{m}消除")).unwrap_or_else(|| "风险未消除".into());
        let mut lines = vec![fit(vec![
            ("A ".into(), theme.title()),
            (format!("户主{} ", a.head), Style::default()),
            (format!("{} ", shown_id(&a.id_number, self.revealed)), Style::default()),
            (format!("{}人 {} {} 纳入{} {} ", a.size, a.category_short(), risk, a.enrolled, elim), Style::default()),
            (verified.into(), vstyle),
        ])];
        lines.push(fit(vec![("  ".into(), Style::default()), (a.address.clone(), theme.dim())]));
        let form = &self.file.record.form;
        let (errors, warnings) = self.look_back;
        let (state, sstyle) = match form.state {
            FormState::Empty => ("未填".to_string(), Style::default()),
            FormState::Submitted => ("已提交".to_string(), theme.ok()),
            FormState::Draft if errors > 0 => (format!("草稿，{errors}处错误"), theme.error()),
            FormState::Draft => (format!("草稿，{warnings}处提示"), theme.warning()),
        };
        let mut monitor = match self.monitors.first() {
            Some(m) => {
                // Each person with their phone: `王五 138****5678、李四 139****0000`.
                let phones: Vec<&str> = m.phones.split('、').collect();
                let people: Vec<String> = m
                    .names
                    .split('、')
                    .enumerate()
                    .map(|(i, n)| match phones.get(i).filter(|p| !p.trim().is_empty()) {
                        Some(p) => format!("{n} {}", crate::form::phone::mask(p)),
                        None => n.to_string(),
                    })
                    .collect();
                let since = m.since.map(|t| format!("（{}起）", t.local().format("%Y-%m-%d"))).unwrap_or_default();
                format!("{}{since}", people.join("、"))
            }
            None => "未填".into(),
        };
        if self.monitors.len() > 1 {
            let earlier: Vec<&str> = self.monitors[1..].iter().map(|m| m.names.as_str()).collect();
            monitor.push_str(&format!("；此前：{}", earlier.join("、")));
        }
        lines.push(fit(vec![
            ("回头看 ".into(), theme.title()),
            (format!("{state}  "), sstyle),
            ("监测责任人 ".into(), theme.title()),
            (monitor, Style::default()),
        ]));
        let doubts = if self.doubts.is_empty() {
            vec![("疑点 ".into(), theme.title()), ("无".into(), theme.ok())]
        } else {
            let all: Vec<&str> = self.doubts.iter().map(|d| d.message.as_str()).collect();
            vec![("疑点 ".into(), theme.title()), (format!("{}条：{}", self.doubts.len(), all.join("；")), theme.warning())]
        };
        lines.push(fit(doubts));
        lines.push(Line::from(""));
        let mut tabs = Vec::new();
        for (i, p) in self.file.parts.iter().enumerate() {
            let unit = match p.form.id {
                "members" => "人",
                "measures" => "项",
                _ => "次",
            };
            let label = format!(" {} {}{unit} ", p.form.title, p.live);
            let style = if i == self.part { theme.selected() } else { theme.dim() };
            tabs.push((label, style));
            tabs.push((" ".into(), Style::default()));
        }
        lines.push(fit(tabs));
        lines
    }

    fn row_line(&self, i: usize, selected: bool, theme: &Theme, cols: usize) -> Line<'static> {
        let e = &self.file.entries[i];
        let (errors, warnings) = self.problems.get(i).copied().unwrap_or_default();
        let mut cells = e.summary_cells();
        if let Some(form) = e.definition() {
            // The ID shown in full only when revealed (the cells come masked),
            // and the sex and age it gives beside it: read from it, never typed.
            let mut derived = None;
            for (i, (cell, code)) in cells.iter_mut().zip(form.summary).enumerate() {
                if let (Some(f), Some(crate::form::Value::Text(t))) = (form.field(code), e.answers.get(*code)) {
                    if self.revealed && f.mask.is_some() {
                        *cell = t.clone();
                    }
                    if matches!(f.kind, crate::form::Kind::IdNumber) {
                        let sex = crate::handbook::sex_of(t).unwrap_or("");
                        let age = crate::handbook::age_at(t, self.moment).map(|a| format!("{a}岁")).unwrap_or_default();
                        derived = Some((i + 1, format!("{sex}{age}")));
                    }
                }
            }
            if let Some((at, text)) = derived.filter(|(_, t)| !t.is_empty()) {
                cells.insert(at, text);
            }
        }
        let mark = if e.voided.is_some() {
            "作废".to_string()
        } else if errors > 0 {
            format!("{errors}错")
        } else if warnings > 0 {
            format!("{warnings}提示")
        } else {
            String::new()
        };
        let base = if e.voided.is_some() {
            theme.dim()
        } else if selected {
            theme.selected()
        } else {
            Style::default()
        };
        let base = if selected { base.patch(theme.selected()) } else { base };
        let mark_style = if e.voided.is_some() {
            base
        } else if errors > 0 {
            base.patch(theme.error())
        } else {
            base.patch(theme.warning())
        };
        let mut spans = vec![(format!("{:>3} ", e.seq), base)];
        if !mark.is_empty() {
            spans.push((format!("{mark} "), mark_style));
        }
        let mut line = cells.iter().filter(|c| !c.is_empty()).cloned().collect::<Vec<_>>().join("  ");
        if let Some(v) = &e.voided {
            line.push_str(&format!("  （作废：{}）", v.reason));
        }
        spans.push((line, base));
        let mut out = text::spans_fit(spans, cols);
        if selected {
            let used: usize = out.spans.iter().map(|s| text::width(&s.content)).sum();
            out.spans.push(Span::styled(" ".repeat(cols.saturating_sub(used)), theme.selected()));
        }
        out
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = theme.block(Span::styled(self.title(), theme.title()), true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let cols = inner.width as usize;
        let mut lines = self.head_lines(theme, cols);
        let prompt_rows = usize::from(self.prompt.is_some());
        let room = (inner.height as usize).saturating_sub(HEAD_ROWS + prompt_rows).max(1);
        self.page.set(room);
        let part = &self.file.parts[self.part];
        let sel = self.selected.get(self.part).copied().unwrap_or(0);
        let mut offset = self.offset.get();
        if sel < offset {
            offset = sel;
        } else if sel >= offset + room {
            offset = sel + 1 - room;
        }
        offset = offset.min(part.rows.len().saturating_sub(room));
        self.offset.set(offset);
        if part.rows.is_empty() {
            lines.push(Line::from(Span::styled(format!("  还没有{}记录", part.form.title), theme.dim())));
        }
        for (k, &i) in part.rows.iter().enumerate().skip(offset).take(room) {
            lines.push(self.row_line(i, k == sel, theme, cols));
        }
        if let Some(reason) = &self.prompt {
            while lines.len() < HEAD_ROWS + room {
                lines.push(Line::from(""));
            }
            let what = self.selected_entry().map(|e| e.label()).unwrap_or_default();
            let label = format!("作废{what}的原因：");
            // A reason longer than the row shows its end, where the clerk types.
            let room = cols.saturating_sub(text::width(&label) + 1);
            let mut shown: Vec<char> = Vec::new();
            let mut used = 0;
            for c in reason.chars().rev() {
                let w = text::width(c.encode_utf8(&mut [0; 4]));
                if used + w > room {
                    break;
                }
                used += w;
                shown.push(c);
            }
            let shown: String = shown.into_iter().rev().collect();
            lines.push(text::spans_fit(vec![(label, theme.warning()), (format!("{shown}_"), theme.selected())], cols));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
