//! The form chooser (选择表单), as in the platform's APP: a household's
//! forms with their state — the round's look-back form and each of the
//! handbook's repeating forms with its entries. Enter opens the one chosen:
//! the look-back form in the editor, a handbook form in the household's
//! file on its list.

use super::action::Action;
use super::app::Effect;
use super::text;
use super::theme::Theme;
use crate::form::schema;
use crate::model::{Entry, FormState, LookBack};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// What an item of the chooser opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    LookBack,
    /// The household's file on the handbook form at this index.
    Part(usize),
}

pub struct FormChooser {
    pub key: u64,
    pub head: String,
    /// (title, state or count, what it opens).
    pub items: Vec<(String, String, Target)>,
    pub selected: usize,
}

impl FormChooser {
    pub fn new(key: u64, record: &LookBack, entries: &[Entry]) -> FormChooser {
        let form = record.definition().unwrap_or_else(schema::shipped);
        let state = match record.form.state {
            FormState::Empty => "未填".to_string(),
            s => s.label().to_string(),
        };
        let mut items = vec![(form.title.to_string(), state, Target::LookBack)];
        for (i, f) in schema::handbook().iter().enumerate() {
            let live = entries.iter().filter(|e| e.form.id == f.id && e.voided.is_none()).count();
            let voided = entries.iter().filter(|e| e.form.id == f.id && e.voided.is_some()).count();
            let count = if voided > 0 { format!("{live}条（另有{voided}条作废）") } else { format!("{live}条") };
            items.push((format!("监测手册·{}", f.title), count, Target::Part(i)));
        }
        FormChooser { key, head: record.household.a.head.clone(), items, selected: 0 }
    }

    /// An action; `None` closes the chooser (Back), `Some(effects)` otherwise.
    pub fn handle_action(&mut self, action: Action) -> Option<Vec<Effect>> {
        let n = self.items.len();
        match action {
            Action::MoveUp => self.selected = self.selected.saturating_sub(1),
            Action::MoveDown => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::First => self.selected = 0,
            Action::Last => self.selected = n.saturating_sub(1),
            Action::Open => {
                return Some(match self.items.get(self.selected).map(|i| i.2) {
                    Some(Target::LookBack) => vec![Effect::OpenForm(self.key)],
                    Some(Target::Part(part)) => vec![Effect::DossierAt { key: self.key, part }],
                    None => Vec::new(),
                })
            }
            Action::Back => return None,
            _ => {}
        }
        Some(Vec::new())
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let width = 56.min(area.width);
        let height = (self.items.len() as u16 + 2).min(area.height);
        let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height.saturating_sub(height)) / 3, width, height };
        f.render_widget(Clear, popup);
        let block = theme.block(Span::styled(format!("选择表单：{}", self.head), theme.title()), true);
        let inner = block.inner(popup);
        f.render_widget(block, popup);
        let cols = inner.width as usize;
        let lines: Vec<Line> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, (title, state, _))| {
                let style = if i == self.selected { theme.selected() } else { ratatui::style::Style::default() };
                let left = format!(" {}. {title}", i + 1);
                let pad = cols.saturating_sub(text::width(&left) + text::width(state) + 1);
                text::spans_fit(vec![(left, style), (" ".repeat(pad), style), (format!("{state} "), style)], cols)
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
}
