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
//!   keeps its answers in memory for a retry). Effects of one call run in
//!   order; when one fails, the app drops the rest of that batch (a branch
//!   switch is "correct A8, then save the cleared answers"; a Close after a
//!   failed save would lose text).
//! - On SIGHUP / lost terminal / quit the app calls
//!   [`FormEditor::pending_save`] and runs what it returns.
//!
//! How it works: the editor is driven by the definition the record was
//! made with ([`crate::model::LookBack::definition`]; an older round's
//! record is shown with its own fields and lists, one of an unknown
//! definition read-only with a message); each field gets an input chosen
//! by its kind (`input.rs`), validation is
//! [`crate::form::rules::validate_in`] on the answers as they stand after every
//! key, and every field the clerk leaves is saved as a draft when it changed.
//! Up/Down are deliberately not in the `[form]` keymap: they move between
//! fields, except inside D7's text and D1/D2's slots, where they move by line
//! and leave the field at the edges.

mod dialog;
mod editor;
mod input;
mod keys;
pub mod monitors;
mod render;
pub mod water;
mod wrap;

pub use editor::{EntryTarget, FormEditor, PAUSE_SAVE};

use crate::form::{Round, Value};
use crate::model::{Answers, Entry, LookBack};
use crate::ui::action::Action;
use crate::ui::keymap::{Keymap, Mode};
use crate::ui::theme::Theme;
use crossterm::event::KeyEvent;
use editor::{Notice, Tone};
use ratatui::layout::Rect;
use ratatui::Frame;

/// What the editor asks the app's loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormEffect {
    /// Write these answers as a draft now, flushed (`Store::save_draft`).
    SaveDraft {
        key: u64,
        /// The answers as last loaded or saved: what the screen was based on.
        base: Answers,
        answers: Answers,
    },
    /// Save and submit (`Store::submit`); `confirmed` are the warning rule ids the clerk confirmed.
    Submit {
        key: u64,
        base: Answers,
        answers: Answers,
        confirmed: Vec<String>,
    },
    /// Take over a form another clerk holds (audited).
    TakeOver {
        key: u64,
    },
    /// Reopen a submitted record (`Store::reopen`).
    Reopen {
        key: u64,
    },
    /// Mark section A verified or not (`Store::set_verified`).
    SetVerified {
        key: u64,
        verified: bool,
    },
    /// Correct one section A value (`Store::correct_section_a`).
    CorrectSectionA {
        key: u64,
        code: &'static str,
        value: Option<Value>,
    },
    /// Save one handbook entry (`Backend::add_entry` when `seq` is `None`,
    /// else `Backend::save_entry`).
    SaveEntry {
        key: u64,
        form: crate::form::FormRef,
        seq: Option<u32>,
        base: Answers,
        answers: Answers,
    },
    /// Close the editor and go back to the list (everything already saved).
    Close,
    /// Open the next / previous household of the list the editor came from.
    OpenNext,
    OpenPrev,
    /// Quit the app (everything already saved).
    Quit,
}

impl FormEditor {
    /// Opens the form of household `key`; the cursor lands on the first
    /// unanswered or wrong field of sections B–D.
    pub fn new(key: u64, record: LookBack, round: Round) -> Self {
        FormEditor::open(key, record, round)
    }

    /// Opens one entry of a household's repeating form (a member, a
    /// measure, a visit), or a new one when `entry` is `None`: the same
    /// keys, inputs and inline checks as the look-back form, the household's
    /// section A read by the form's rules. Every field left is saved; the
    /// first save adds the entry. A voided entry opens read-only.
    pub fn for_entry(key: u64, household: LookBack, form: &'static crate::form::file::Form, entry: Option<Entry>, round: Round) -> Self {
        let mut record = household;
        let mut fr = crate::model::FormRecord::new(form.reference());
        if let Some(e) = &entry {
            fr.form = e.form.clone();
            fr.answers = e.answers.clone();
            fr.saved_at = Some(e.saved_at);
            fr.saved_by = Some(e.saved_by.clone());
        }
        fr.state = crate::model::FormState::Draft;
        record.form = fr;
        let mut ed = FormEditor::open(key, record, round);
        ed.entry = Some(editor::EntryTarget {
            form: entry.as_ref().map(|e| e.form.clone()).unwrap_or_else(|| form.reference()),
            seq: entry.as_ref().map(|e| e.seq),
            voided: entry.as_ref().and_then(|e| e.voided.as_ref()).map(|v| v.reason.clone()),
        });
        let start = ed.first_problem_after(None, false).unwrap_or(0);
        ed.enter(start);
        ed.notice = match (&entry, ed.record.definition()) {
            (_, None) => Some(Notice { tone: Tone::Error, text: crate::form::registry::unknown_message(&ed.record.form.form) }),
            (Some(e), _) if e.voided.is_some() => Some(Notice {
                tone: Tone::Info,
                text: format!("这条记录已作废（{}），只能查看", e.voided.as_ref().map(|v| v.reason.as_str()).unwrap_or("")),
            }),
            (None, _) => Some(Notice {
                tone: Tone::Info, text: format!("新增{}：填完一项即保存，按 {{submit}} 填完返回户档", form.noun)
            }),
            _ => None,
        };
        ed
    }

    /// The handbook entry being edited, if this editor is on one.
    pub fn entry(&self) -> Option<&editor::EntryTarget> {
        self.entry.as_ref()
    }

    /// A save of the entry succeeded: `entry` is what is now stored.
    pub fn on_entry_saved(&mut self, entry: Entry) {
        if let Some(t) = self.entry.as_mut() {
            t.seq = Some(entry.seq);
            t.voided = entry.voided.as_ref().map(|v| v.reason.clone());
        }
        let mut record = self.record.clone();
        record.form.answers = entry.answers;
        record.form.saved_at = Some(entry.saved_at);
        record.form.saved_by = Some(entry.saved_by);
        self.stored(record);
    }

    /// The responsible people to offer at D1 (from the village, the
    /// township and the previous household).
    pub fn set_suggestions(&mut self, suggestions: monitors::Suggestions) {
        self.suggestions = suggestions;
        self.refresh();
    }

    /// The store key of the household being edited.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The keymap mode for the next key: `Form`, or `Dialog` while a yes/no
    /// or list dialog is open (dialogs that take text keep `Form`).
    pub fn mode(&self) -> Mode {
        match self.dialog_mode() {
            Mode::Form if self.dialog.is_none() => self.field_mode(),
            m => m,
        }
    }

    pub fn handle_action(&mut self, action: Action) -> Vec<FormEffect> {
        self.on_action(action)
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<FormEffect> {
        self.on_key(key)
    }

    /// Pasted text goes in as text; a newline in it never moves or submits.
    pub fn handle_paste(&mut self, text: &str) -> Vec<FormEffect> {
        self.on_paste(text)
    }

    /// Time passing (the loop calls this every wake-up, ~250 ms): after a
    /// pause in typing ([`editor::PAUSE_SAVE`]) the field being typed is
    /// saved as a draft. `now` comes in so tests drive time without sleeping.
    pub fn tick(&mut self, now: std::time::Instant) -> Vec<FormEffect> {
        self.ticked(now)
    }

    /// A store effect succeeded; `record` is what is now stored.
    pub fn on_saved(&mut self, record: LookBack) {
        self.stored(record);
    }

    /// Who else holds this form: while someone does, it is read-only.
    pub fn held_by(&mut self, holder: Option<crate::backend::LeaseView>) {
        let was = self.read_only();
        self.held_by = holder;
        if was != self.read_only() {
            self.enter(self.cursor);
        }
        if let Some(h) = &self.held_by {
            self.notice = Some(Notice {
                tone: Tone::Error,
                text: format!("{}：只能查看。要接手请按 {{reopen}}（会记入修改记录），对方之后的保存会被拒绝", h.label()),
            });
        }
    }

    /// The form was taken over: the record as stored now, editable.
    pub fn on_taken_over(&mut self, record: LookBack) {
        self.held_by(None);
        self.stored(record);
        self.notice = Some(Notice { tone: Tone::Ok, text: "已接手（已记入修改记录），可以填写了".into() });
    }

    /// The household of this form.
    pub fn is_held(&self) -> bool {
        self.held_by.is_some()
    }

    /// A store effect failed; the answers stay in memory for a retry.
    pub fn on_error(&mut self, message: String) {
        self.failed(message);
    }

    /// The save to run before the app goes away (SIGHUP, quit), if anything is unsaved.
    pub fn pending_save(&mut self) -> Option<FormEffect> {
        self.sync();
        self.unsaved().then(|| self.save_effect())
    }

    /// Whether the current field holds text not yet saved.
    pub fn is_dirty(&self) -> bool {
        self.unsaved()
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, keymap: &Keymap) {
        self.draw(f, area, theme, keymap);
    }

    // ----- read access (tests, the app's status) -----

    /// Code of the current field (A1 … D10).
    pub fn current(&self) -> &'static str {
        self.field().code
    }

    /// The answers as they stand on screen (sections B–D).
    pub fn answers(&self) -> &Answers {
        &self.answers
    }

    /// The record as last stored.
    pub fn record(&self) -> &LookBack {
        &self.record
    }

    /// Errors and warnings of the record as it stands on screen.
    pub fn counts(&self) -> (usize, usize) {
        crate::form::rules::counts(&self.findings)
    }

    /// The message line (notice) as plain text, keys not filled in.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|n| n.text.as_str())
    }

    /// Whether a dialog (confirmation, correction, checklist, helper) is open.
    pub fn has_dialog(&self) -> bool {
        self.dialog.is_some()
    }
}

#[cfg(test)]
mod tests;
