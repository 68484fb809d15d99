//! The look-back form editor: one component the app opens for a household.
//!
//! CONTRACT (the app relies on exactly this API):
//! - The app routes keys while the editor is on top: it looks the key up in
//!   the keymap under [`FormEditor::mode`]; a bound action goes to
//!   [`FormEditor::handle_action`] (every action except `help` and `stats`,
//!   which the app shows on top), an unbound key to [`FormEditor::handle_key`]
//!   (text input), a bracketed paste to [`FormEditor::handle_paste`].
//! - Each returns effects the app's loop runs *before reading the next key*
//!   (so a left field is on disk before the next keystroke). After running a
//!   store effect the app calls [`FormEditor::on_saved`] with the record as
//!   stored, or [`FormEditor::on_error`] with the Chinese message (the editor
//!   keeps its answers in memory for a retry).
//! - On SIGHUP / lost terminal / quit the app calls
//!   [`FormEditor::pending_save`] and runs what it returns.
//!
//! STUB: the real editor replaces this module.

use crate::form::{Round, Value};
use crate::model::{Answers, LookBack};
use crate::ui::action::Action;
use crate::ui::keymap::{Keymap, Mode};
use crate::ui::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

/// What the editor asks the app's loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormEffect {
    /// Write these answers as a draft now, flushed (`Store::save_draft`).
    SaveDraft { key: u64, answers: Answers },
    /// Save and submit (`Store::submit`); `confirmed` are the warning rule ids the clerk confirmed.
    Submit { key: u64, answers: Answers, confirmed: Vec<String> },
    /// Reopen a submitted record (`Store::reopen`).
    Reopen { key: u64 },
    /// Mark section A verified or not (`Store::set_verified`).
    SetVerified { key: u64, verified: bool },
    /// Correct one section A value (`Store::correct_section_a`).
    CorrectSectionA { key: u64, code: &'static str, value: Option<Value> },
    /// Close the editor and go back to the list (everything already saved).
    Close,
    /// Open the next / previous household of the list the editor came from.
    OpenNext,
    OpenPrev,
    /// Quit the app (everything already saved).
    Quit,
}

pub struct FormEditor {
    key: u64,
    record: LookBack,
    #[allow(dead_code)]
    round: Round,
    message: Option<String>,
}

impl FormEditor {
    pub fn new(key: u64, record: LookBack, round: Round) -> Self {
        FormEditor { key, record, round, message: None }
    }

    /// The store key of the household being edited.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The keymap mode for the next key: `Form`, or `Dialog` while a dialog is open.
    pub fn mode(&self) -> Mode {
        Mode::Form
    }

    pub fn handle_action(&mut self, action: Action) -> Vec<FormEffect> {
        match action {
            Action::Back => vec![FormEffect::Close],
            Action::Quit => vec![FormEffect::Quit],
            _ => Vec::new(),
        }
    }

    pub fn handle_key(&mut self, _key: KeyEvent) -> Vec<FormEffect> {
        Vec::new()
    }

    pub fn handle_paste(&mut self, _text: &str) -> Vec<FormEffect> {
        Vec::new()
    }

    /// A store effect succeeded; `record` is what is now stored.
    pub fn on_saved(&mut self, record: LookBack) {
        self.record = record;
    }

    /// A store effect failed; the answers stay in memory for a retry.
    pub fn on_error(&mut self, message: String) {
        self.message = Some(message);
    }

    /// The save to run before the app goes away (SIGHUP, quit), if anything is unsaved.
    pub fn pending_save(&mut self) -> Option<FormEffect> {
        None
    }

    /// Whether the current field holds text not yet saved.
    pub fn is_dirty(&self) -> bool {
        false
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let p = ratatui::widgets::Paragraph::new(self.record.household.a.head.clone())
            .block(theme.block("回头看信息采集表", true));
        f.render_widget(p, area);
    }
}
