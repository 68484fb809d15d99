//! The editor's state and its moves: which field the cursor is on, what is
//! answered, what is saved, and what validation says. Keys and dialogs live
//! in `keys.rs` and `dialog.rs`; drawing in `render.rs`.

use super::dialog::Dialog;
use super::input::FieldInput;
use super::FormEffect;
use crate::form::file::Form;
use crate::form::rules::{self, Finding, Severity};
use crate::form::schema::{self, Field, Section};
use crate::form::{Round, Value};
use crate::model::{Answers, FormState, LookBack, View};
use std::cell::Cell;
use std::collections::BTreeSet;

/// How a notice is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Ok,
    Error,
}

/// A one-line message for the clerk. `{action-name}` in the text is replaced
/// by that action's keys when drawn (the keymap may be the user's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub tone: Tone,
    pub text: String,
}

/// The form of one household being edited.
pub struct FormEditor {
    pub(super) key: u64,
    /// The record as last stored (section A, state, saved answers).
    pub(super) record: LookBack,
    /// The definition the record was made with (the shipped form for a
    /// record whose definition is unknown: then read-only).
    pub(super) form: &'static Form,
    pub(super) round: Round,
    /// The answers as they stand on screen, the current field's input included.
    pub(super) answers: Answers,
    /// The answers as last stored (blank ones dropped).
    pub(super) saved: Answers,
    /// Index into the form's fields of the current field (always a shown one).
    pub(super) cursor: usize,
    pub(super) input: FieldInput,
    /// Fields the clerk has left: their findings are shown.
    pub(super) touched: BTreeSet<&'static str>,
    /// After a submit attempt every finding is shown.
    pub(super) show_all: bool,
    pub(super) findings: Vec<Finding>,
    pub(super) dialog: Option<Dialog>,
    /// Another clerk holds this form: read-only until taken over.
    pub(super) held_by: Option<crate::backend::LeaseView>,
    pub(super) notice: Option<Notice>,
    /// Answers as they were before a branch switch cleared some, until the
    /// correction is stored (restored if it fails).
    pub(super) branch_undo: Option<(bool, Answers)>,
    /// Wrap width of long text and the list's scroll offset, as last drawn.
    pub(super) wrap_width: Cell<u16>,
    pub(super) scroll: Cell<usize>,
    pub(super) text_scroll: Cell<usize>,
    /// Responsible people offered at D1.
    pub(super) suggestions: super::monitors::Suggestions,
    /// Keys and pastes handled so far, and the count and time the last
    /// [`FormEditor::tick`] saw: a pause in typing is a count that stands still.
    pub(super) keys_seen: u64,
    pub(super) quiet: Option<(u64, std::time::Instant)>,
    /// Editing one entry of a repeating form (the handbook) rather than the
    /// household's look-back form.
    pub(super) entry: Option<EntryTarget>,
}

/// The handbook entry an editor works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryTarget {
    pub form: crate::form::FormRef,
    /// `None` until the first save adds it.
    pub seq: Option<u32>,
    pub voided: Option<String>,
}

/// After this long without a key, the field being typed is saved as a draft.
pub const PAUSE_SAVE: std::time::Duration = std::time::Duration::from_millis(1500);

/// Answers without blanks and without section A codes, as the store keeps them.
pub(super) fn stored_form(form: &Form, answers: &Answers) -> Answers {
    answers
        .iter()
        .filter(|(k, v)| form.field(k).is_some_and(|f| !f.is_prefilled()) && !v.is_blank())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl FormEditor {
    pub(super) fn open(key: u64, record: LookBack, round: Round) -> Self {
        let form = record.definition().unwrap_or_else(schema::shipped);
        let answers = stored_form(form, &record.form.answers);
        let mut ed = FormEditor {
            key,
            saved: answers.clone(),
            answers,
            record,
            form,
            round,
            cursor: 0,
            input: FieldInput::new(&form.fields[0], None, None, true),
            touched: BTreeSet::new(),
            show_all: false,
            findings: Vec::new(),
            dialog: None,
            held_by: None,
            notice: None,
            branch_undo: None,
            wrap_width: Cell::new(76),
            scroll: Cell::new(0),
            text_scroll: Cell::new(0),
            suggestions: Default::default(),
            keys_seen: 0,
            quiet: None,
            entry: None,
        };
        ed.refresh();
        let start = ed.first_problem_after(None, false).unwrap_or_else(|| ed.first_of(Section::B).unwrap_or(0));
        ed.enter(start);
        let hidden = ed.hidden_by(rules::eliminated_in(ed.form, &ed.view()));
        if ed.record.definition().is_none() {
            ed.notice = Some(Notice { tone: Tone::Error, text: crate::form::registry::unknown_message(&ed.record.form.form) });
        } else if !hidden.is_empty() {
            // Answers of the branch not taken (from an older A8): say so, never hide them silently.
            ed.notice = Some(Notice {
                tone: Tone::Info,
                text: format!("{}是另一类户的旧答案，按A8现在的值不显示、不检查、不导出", hidden.join("、")),
            });
        } else if ed.read_only() {
            ed.notice =
                Some(Notice { tone: Tone::Info, text: "该表已提交，只能查看；要修改请按 {reopen} 重新打开".into() });
        }
        ed
    }

    /// Section A and the working answers, as validation reads them.
    pub(super) fn view(&self) -> View<'_> {
        View { a: &self.record.household.a, answers: &self.answers }
    }

    pub(super) fn field(&self) -> &'static Field {
        &self.form.fields[self.cursor]
    }

    pub(super) fn is_shown(&self, i: usize) -> bool {
        rules::is_active_in(self.form, &self.form.fields[i], &self.view())
    }

    /// Indexes of the fields shown for the branch A8 selects, in form order.
    pub(super) fn shown(&self) -> Vec<usize> {
        (0..self.form.fields.len()).filter(|i| self.is_shown(*i)).collect()
    }

    pub(super) fn first_of(&self, section: Section) -> Option<usize> {
        (0..self.form.fields.len()).find(|i| self.form.fields[*i].section == section && self.is_shown(*i))
    }

    pub(super) fn read_only(&self) -> bool {
        if let Some(t) = &self.entry {
            return t.voided.is_some() || self.record.definition().is_none();
        }
        self.held_by.is_some() || self.record.form.state == FormState::Submitted || self.record.definition().is_none()
    }

    pub(super) fn unsaved(&self) -> bool {
        !self.read_only() && stored_form(self.form, &self.answers) != self.saved
    }

    pub(super) fn refresh(&mut self) {
        self.findings = match self.record.definition() {
            Some(form) => rules::validate_in(form, &self.view(), &self.round),
            None => vec![rules::unknown_form(&self.record.form.form)],
        };
        // Text kept in a field that takes a month (typed, did not parse):
        // say what is wrong with it rather than "wrong kind".
        for x in self.findings.iter_mut() {
            match x.rule {
                "kind" => {
                    if let (Some(f), Some(Value::Text(s))) = (self.form.field(x.code), self.answers.get(x.code)) {
                        if let Err(m) = rules::parse_input(f, s) {
                            x.message = m;
                        }
                    }
                }
                // Say which key takes the repeated tick off (the others stay).
                "repeats_main" => {
                    if let Some(schema::Kind::Multi { main, .. }) = self.form.field(x.code).map(|f| f.kind) {
                        if let Some(action) = match self.answers.get(main) {
                            Some(Value::Choice(m)) => crate::ui::action::Action::option(*m),
                            _ => None,
                        } {
                            // Keys named as {action} are filled in from the keymap when drawn.
                            x.message.push_str(&format!("；在{}按{{{action}}}（或移到该项按{{toggle}}）去掉这一勾，其他勾选不变", x.code));
                        }
                    }
                }
                _ => {}
            }
        }
        self.phone_differs();
    }

    /// A phone typed for a known responsible person that differs from the
    /// one already entered for them in the village or township: a warning.
    fn phone_differs(&mut self) {
        let list = |code: &str| match self.answers.get(code) {
            Some(Value::List(items)) => items.clone(),
            _ => Vec::new(),
        };
        let (names, phones) = (list("D1"), list("D2"));
        for (i, (name, typed)) in names.iter().zip(phones.iter()).enumerate() {
            let Ok(typed) = crate::form::phone::validate(typed) else { continue };
            let known = self.suggestions.phones_of(name);
            if !known.is_empty() && !known.contains(&typed.as_str()) {
                let masked: Vec<String> = known.iter().map(|p| crate::form::phone::mask(p)).collect();
                self.findings.push(Finding {
                    code: "D2",
                    severity: Severity::Warning,
                    rule: "phone_differs",
                    message: format!(
                        "第{}名责任人{}的电话与本村（镇）已录入的{}不同，请核实哪个是对的",
                        i + 1,
                        name.trim(),
                        masked.join("、")
                    ),
                });
            }
        }
    }

    /// A digit at D1 picks the n-th offered person (name and phone) for the
    /// slot being typed and moves on past D2; `None` when nothing is offered.
    pub(super) fn pick_monitor(&mut self, n: usize) -> Option<Vec<FormEffect>> {
        let typed = self.input.active_slot_text()?;
        let offered = self.suggestions.matching(&typed);
        if offered.is_empty() {
            return None;
        }
        let Some((m, _)) = offered.get(n.wrapping_sub(1)) else {
            self.notice = Some(Notice {
                tone: Tone::Error,
                text: format!("只有{}个可选的责任人，请按1至{}", offered.len(), offered.len()),
            });
            return Some(Vec::new());
        };
        let slot = self.input.set_active_slot(&m.name);
        self.sync();
        let mut phones = match self.answers.get("D2") {
            Some(Value::List(p)) => p.clone(),
            _ => Vec::new(),
        };
        if phones.len() <= slot {
            phones.resize(slot + 1, String::new());
        }
        phones[slot] = m.phone.clone();
        self.answers.insert("D2".into(), Value::List(phones));
        self.refresh();
        self.notice = Some(Notice {
            tone: Tone::Ok,
            text: format!("已填入责任人{}及其电话{}；要再加一名请按 {{prev-field}} 回到D1", m.name, crate::form::phone::mask(&m.phone)),
        });
        let after =
            self.shown().into_iter().find(|i| self.form.fields[*i].code == "D2").and_then(|d2| self.shown().into_iter().find(|i| *i > d2));
        self.touched.insert("D2");
        Some(match after {
            Some(i) => self.goto(i),
            None => self.commit(),
        })
    }

    /// Findings about one field.
    pub(super) fn findings_of<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.code == code)
    }

    pub(super) fn has_error(&self, code: &str) -> bool {
        self.findings_of(code).any(|f| f.severity == Severity::Error)
    }

    /// Whether a field's findings are shown: once left, answered, or after submit.
    pub(super) fn shows_findings(&self, f: &Field) -> bool {
        self.show_all || f.is_prefilled() || self.touched.contains(f.code) || self.answers.get(f.code).is_some_and(|v| !v.is_blank())
    }

    /// The value of a field as on screen (section A from the record).
    pub(super) fn value_of(&self, f: &Field) -> Option<Value> {
        use crate::form::Record;
        self.view().value(f.code).filter(|v| !v.is_blank())
    }

    /// The next shown field after `from` (wrapping) with an error; section A
    /// only when `with_a`.
    pub(super) fn first_problem_after(&self, from: Option<usize>, with_a: bool) -> Option<usize> {
        let shown = self.shown();
        let start = from.and_then(|c| shown.iter().position(|i| *i == c)).map(|p| p + 1).unwrap_or(0);
        (0..shown.len())
            .map(|k| shown[(start + k) % shown.len()])
            .find(|i| (with_a || !self.form.fields[*i].is_prefilled()) && self.has_error(self.form.fields[*i].code))
    }

    /// Makes `i` the current field with a fresh input showing its answer.
    pub(super) fn enter(&mut self, i: usize) {
        self.cursor = i;
        let f = &self.form.fields[i];
        let blocked = match f.kind {
            schema::Kind::Multi { main, .. } => match self.answers.get(main) {
                Some(Value::Choice(c)) => Some(*c),
                _ => None,
            },
            _ => None,
        };
        let value = if f.is_prefilled() { None } else { self.answers.get(f.code) };
        self.input = FieldInput::new(f, value, blocked, f.is_prefilled() || self.read_only());
        self.text_scroll.set(0);
    }

    /// Writes the input's value into the answers and validates.
    pub(super) fn sync(&mut self) {
        let f = self.field();
        if !f.is_prefilled() && !self.read_only() {
            match self.input.value() {
                Some(v) => self.answers.insert(f.code.to_string(), v),
                None => self.answers.remove(f.code),
            };
        }
        self.refresh();
    }

    pub(super) fn save_effect(&self) -> FormEffect {
        if let Some(t) = &self.entry {
            return FormEffect::SaveEntry {
                key: self.key,
                form: t.form.clone(),
                seq: t.seq,
                base: self.saved.clone(),
                answers: stored_form(self.form, &self.answers),
            };
        }
        FormEffect::SaveDraft { key: self.key, base: self.saved.clone(), answers: stored_form(self.form, &self.answers) }
    }

    /// Leaving the current field: its findings show from now on, and the
    /// answers are saved if anything changed since the last save.
    pub(super) fn commit(&mut self) -> Vec<FormEffect> {
        self.touched.insert(self.field().code);
        if self.unsaved() {
            vec![self.save_effect()]
        } else {
            Vec::new()
        }
    }

    /// Leaves the current field for field `i`.
    pub(super) fn goto(&mut self, i: usize) -> Vec<FormEffect> {
        let fx = self.commit();
        if i != self.cursor {
            self.enter(i);
        }
        fx
    }

    /// Moves by `step` shown fields; at either end stays and says so.
    pub(super) fn step(&mut self, forward: bool) -> Vec<FormEffect> {
        let shown = self.shown();
        let pos = shown.iter().position(|i| *i == self.cursor).unwrap_or(0);
        let next = if forward { shown.get(pos + 1) } else { pos.checked_sub(1).and_then(|p| shown.get(p)) };
        match next {
            Some(i) => self.goto(*i),
            None => {
                self.notice = Some(if forward {
                    Notice {
                        tone: Tone::Info,
                        text: if self.entry.is_some() {
                            "已是最后一项；按 {submit} 填完返回户档"
                        } else {
                            "已是最后一项；检查无误后按 {submit} 正式提交"
                        }
                        .into(),
                    }
                } else {
                    Notice { tone: Tone::Info, text: "已是第一项".into() }
                });
                self.commit()
            }
        }
    }

    /// PageDown / PageUp: the first field of the next section, or of this
    /// (then the previous) section.
    pub(super) fn section_step(&mut self, forward: bool) -> Vec<FormEffect> {
        let here = self.field().section;
        let target = if forward {
            Section::ALL.iter().filter(|s| **s > here).find_map(|s| self.first_of(*s))
        } else {
            match self.first_of(here) {
                Some(first) if first != self.cursor => Some(first),
                _ => Section::ALL.iter().rev().filter(|s| **s < here).find_map(|s| self.first_of(*s)),
            }
        };
        match target {
            Some(i) => self.goto(i),
            None => {
                self.notice =
                    Some(Notice { tone: Tone::Info, text: if forward { "已是最后一部分" } else { "已是第一部分" }.into() });
                Vec::new()
            }
        }
    }

    pub(super) fn next_problem(&mut self) -> Vec<FormEffect> {
        self.sync();
        match self.first_problem_after(Some(self.cursor), true) {
            Some(i) if i != self.cursor => self.goto(i),
            _ => {
                self.notice = Some(Notice {
                    tone: Tone::Ok,
                    text: if self.has_error(self.field().code) {
                        "只剩这一项有错误或未填".into()
                    } else if self.entry.is_some() {
                        "没有错误或未填的项了；按 {submit} 填完返回户档".into()
                    } else {
                        "没有错误或未填的项了；检查无误后按 {submit} 正式提交".into()
                    },
                });
                self.commit()
            }
        }
    }

    /// Codes of answered fields that the branch `eliminated` hides.
    pub(super) fn hidden_by(&self, eliminated: bool) -> Vec<&'static str> {
        self.form
            .fields
            .iter()
            .filter(|f| match f.branch {
                schema::Branch::Always => false,
                schema::Branch::Eliminated => !eliminated,
                schema::Branch::NotEliminated => eliminated,
            })
            .filter(|f| self.answers.get(f.code).is_some_and(|v| !v.is_blank()))
            .map(|f| f.code)
            .collect()
    }

    /// A stored record came back: keep it, and keep the cursor on a shown field.
    pub(super) fn stored(&mut self, record: LookBack) {
        let was = self.record.form.state;
        self.record = record;
        let saved = stored_form(self.form, &self.record.form.answers);
        // A field not changed on screen since the last save takes what is
        // stored now (another clerk's save merged in by the store).
        for f in self.form.fields.iter().filter(|f| !f.is_prefilled()) {
            if self.answers.get(f.code) == self.saved.get(f.code)
                && saved.get(f.code) != self.saved.get(f.code)
                && f.code != self.field().code
            {
                match saved.get(f.code) {
                    Some(v) => self.answers.insert(f.code.to_string(), v.clone()),
                    None => self.answers.remove(f.code),
                };
            }
        }
        self.saved = saved;
        if let Some((target, _)) = &self.branch_undo {
            if rules::eliminated_in(self.form, &self.view()) == *target {
                self.branch_undo = None;
            }
        }
        match (was, self.record.form.state) {
            (FormState::Submitted, FormState::Submitted) => {}
            (_, FormState::Submitted) => {
                self.dialog = None;
                self.notice =
                    Some(Notice { tone: Tone::Ok, text: "已正式提交。按 {next-household} 保存并打开下一户".into() });
            }
            (FormState::Submitted, _) => {
                self.notice =
                    Some(Notice { tone: Tone::Ok, text: "已重新打开（已记入修改记录），修改后请再次提交".into() });
            }
            _ => {}
        }
        if !self.is_shown(self.cursor) {
            let i = self.first_problem_after(None, false).unwrap_or(0);
            self.enter(i);
        } else if (was == FormState::Submitted) != self.read_only() {
            // Read-only or editable now; otherwise the input (and its text cursor) stays as it is.
            self.enter(self.cursor);
        }
        self.refresh();
    }

    /// Time passing: once typing has paused for [`PAUSE_SAVE`], the whole
    /// record with the field being typed is saved as a draft (not left, not
    /// submitted), so a kill or power cut loses at most that pause.
    pub(super) fn ticked(&mut self, now: std::time::Instant) -> Vec<FormEffect> {
        match self.quiet {
            Some((seen, since)) if seen == self.keys_seen => {
                if now.saturating_duration_since(since) >= PAUSE_SAVE && self.dialog.is_none() && self.unsaved() {
                    self.quiet = Some((seen, now));
                    return vec![self.save_effect()];
                }
            }
            _ => self.quiet = Some((self.keys_seen, now)),
        }
        Vec::new()
    }

    pub(super) fn failed(&mut self, message: String) {
        if let Some((_, previous)) = self.branch_undo.take() {
            self.answers = previous;
            self.enter(self.cursor);
            self.refresh();
        }
        self.notice = Some(Notice { tone: Tone::Error, text: format!("没有保存成功：{message}") });
    }
}
