//! The statistics screen.
//!
//! CONTRACT: the app opens it with `StatsView::new(title, report)` after
//! computing `report::compute(store, scope)` in its effect loop; keys go to
//! `handle_action` (returns false when the view wants to close); `render`
//! draws it. STUB: the report issue replaces this module.

use crate::report::Report;
use crate::ui::action::Action;
use crate::ui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::Frame;

pub struct StatsView {
    title: String,
    report: Report,
}

impl StatsView {
    pub fn new(title: String, report: Report) -> Self {
        StatsView { title, report }
    }

    /// Handles a key's action; `false` means close the view.
    pub fn handle_action(&mut self, action: Action) -> bool {
        !matches!(action, Action::Back | Action::Stats)
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let p = ratatui::widgets::Paragraph::new(format!("{}户", self.report.households))
            .block(theme.block(self.title.clone(), true));
        f.render_widget(p, area);
    }
}
