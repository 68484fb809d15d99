//! The editor's dialogs: correcting a section A
//! value, the branch switch, the submit checklist, reopening, and the B4
//! water helper. A dialog sees keys before the form.

use super::editor::{stored_form, FormEditor, Notice, Tone};
use super::input::{FieldInput, Outcome};
use super::water::WaterPanel;
use super::FormEffect;
use crate::form::rules::{self, Severity};
use crate::form::schema;
use crate::form::Value;
use crate::ui::action::Action;
use crate::ui::keymap::Mode;
use crossterm::event::{KeyCode, KeyEvent};

/// What a submit checklist line is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub code: &'static str,
    pub message: String,
}

/// The submit checklist: errors to fix, each a jump to its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    pub items: Vec<Item>,
    pub selected: usize,
}

pub enum Dialog {
    /// Correcting one section A value; `message` says why the last try was refused.
    Correct {
        input: FieldInput,
        message: Option<String>,
    },
    /// The correction of A8 would hide these answered fields of the other branch.
    BranchSwitch {
        value: Option<Value>,
        hidden: Vec<&'static str>,
    },
    Checklist(Checklist),
    /// The one-screen review before the formal submit: every answer, section
    /// by section, warnings marked; one key submits (and so confirms the
    /// warnings it shows). Section A must be verified first, by its own key.
    Review,
    Reopen,
    /// Take over the form another clerk holds.
    TakeOver,
    Water(WaterPanel),
}

impl FormEditor {
    pub(super) fn dialog_mode(&self) -> Mode {
        match self.dialog {
            // Dialogs that take typed text use the form's keys, so `y`/`n` are text.
            Some(Dialog::Correct { .. } | Dialog::Water(_)) | None => Mode::Form,
            Some(_) => Mode::Dialog,
        }
    }

    pub(super) fn dialog_action(&mut self, action: Action) -> Vec<FormEffect> {
        let Some(dialog) = self.dialog.take() else { return Vec::new() };
        match dialog {
            Dialog::Correct { mut input, message } => match action {
                Action::NextField => self.try_correct(input),
                Action::Back => {
                    self.notice = Some(Notice { tone: Tone::Info, text: "已取消更正".into() });
                    Vec::new()
                }
                Action::ClearField => {
                    input.clear();
                    self.keep(Dialog::Correct { input, message: None })
                }
                _ => self.keep(Dialog::Correct { input, message }),
            },
            Dialog::BranchSwitch { value, hidden } => match action {
                Action::Confirm => {
                    let before = self.answers.clone();
                    for code in &hidden {
                        self.answers.remove(*code);
                    }
                    self.branch_undo = Some((value.is_some(), before));
                    self.refresh();
                    self.notice = Some(Notice {
                        tone: Tone::Ok, text: "已更正A8，另一类的答案已清除（均记入修改记录）".into()
                    });
                    vec![
                        FormEffect::CorrectSectionA { key: self.key, code: self.form.branch_field, value },
                        FormEffect::SaveDraft { key: self.key, base: self.saved.clone(), answers: stored_form(self.form, &self.answers) },
                    ]
                }
                Action::Cancel | Action::Back => {
                    self.notice = Some(Notice { tone: Tone::Info, text: "已取消更正，A8和已填的答案都保持原样".into() });
                    Vec::new()
                }
                _ => self.keep(Dialog::BranchSwitch { value, hidden }),
            },
            Dialog::Checklist(list) => self.checklist_action(list, action),
            Dialog::Review => self.review_action(action),
            Dialog::Reopen => match action {
                Action::Confirm => vec![FormEffect::Reopen { key: self.key }],
                Action::Cancel | Action::Back => Vec::new(),
                _ => self.keep(Dialog::Reopen),
            },
            Dialog::TakeOver => match action {
                Action::Confirm => vec![FormEffect::TakeOver { key: self.key }],
                Action::Cancel | Action::Back => Vec::new(),
                _ => self.keep(Dialog::TakeOver),
            },
            Dialog::Water(mut panel) => match action {
                Action::NextField if panel.active + 1 < panel.rows.len() => {
                    panel.active += 1;
                    self.keep(Dialog::Water(panel))
                }
                Action::NextField => self.apply_water(panel),
                Action::PrevField => {
                    panel.active = panel.active.saturating_sub(1);
                    self.keep(Dialog::Water(panel))
                }
                Action::Back => Vec::new(),
                _ => self.keep(Dialog::Water(panel)),
            },
        }
    }

    fn keep(&mut self, dialog: Dialog) -> Vec<FormEffect> {
        self.dialog = Some(dialog);
        Vec::new()
    }

    pub(super) fn dialog_key(&mut self, key: &KeyEvent) -> Vec<FormEffect> {
        let width = self.wrap_width.get() as usize;
        match &mut self.dialog {
            Some(Dialog::Correct { input, message }) => {
                if let Outcome::Refused(m) = input.key(key, width) {
                    *message = Some(m);
                }
            }
            Some(Dialog::Water(panel)) => match key.code {
                KeyCode::Up => panel.active = panel.active.saturating_sub(1),
                KeyCode::Down => panel.active = (panel.active + 1).min(panel.rows.len() - 1),
                _ => {
                    let ctrl = key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL);
                    super::input::edit_key(&mut panel.rows[panel.active], key, ctrl);
                }
            },
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn dialog_paste(&mut self, text: &str) {
        match &mut self.dialog {
            Some(Dialog::Correct { input, message }) => {
                if let Outcome::Refused(m) = input.paste(text) {
                    *message = Some(m);
                }
            }
            Some(Dialog::Water(panel)) => {
                let clean: String = text.chars().filter(|c| !c.is_control()).collect();
                panel.rows[panel.active].insert_str(clean);
            }
            _ => {}
        }
    }

    // ----- leaving -----

    /// Back / quit: like every other way out of a field, it saves what
    /// changed first (the app stops the batch if that save fails, so the
    /// form stays open with the text).
    pub(super) fn leave_form(&mut self, quit: bool) -> Vec<FormEffect> {
        let end = if quit { FormEffect::Quit } else { FormEffect::Close };
        self.dialog = None;
        self.sync();
        let mut fx = self.commit();
        fx.push(end);
        fx
    }

    // ----- correcting section A -----

    pub(super) fn start_correct(&mut self) -> Vec<FormEffect> {
        let f = self.field();
        if !f.is_prefilled() {
            self.notice =
                Some(Notice { tone: Tone::Info, text: "更正只用于基础信息（A部分）；这一项直接修改即可".into() });
            return Vec::new();
        }
        if self.read_only() {
            return self.refuse_read_only();
        }
        let value = self.record.household.a.value(f.code);
        self.dialog = Some(Dialog::Correct { input: FieldInput::new(f, value.as_ref(), None, false), message: None });
        Vec::new()
    }

    fn try_correct(&mut self, input: FieldInput) -> Vec<FormEffect> {
        let f = input.field;
        let value = match input.raw_text() {
            Some(raw) => match rules::parse_input(f, &raw) {
                Ok(v) => v,
                Err(m) => return self.keep(Dialog::Correct { input, message: Some(m) }),
            },
            None => input.value(),
        };
        let mut a = self.record.household.a.clone();
        if let Err(m) = a.set(f.code, value.clone()) {
            return self.keep(Dialog::Correct { input, message: Some(format!("{m}，请填写新值，或按 Esc 取消")) });
        }
        let view = crate::model::View { a: &a, answers: &self.answers };
        let own = rules::validate_in(self.form, &view, &self.round).into_iter().find(|x| x.code == f.code && x.severity == Severity::Error);
        if let Some(e) = own {
            return self.keep(Dialog::Correct { input, message: Some(e.message) });
        }
        if a == self.record.household.a {
            self.notice = Some(Notice { tone: Tone::Info, text: format!("{}没有改变", f.code) });
            return Vec::new();
        }
        if f.code == self.form.branch_field {
            let hidden = self.hidden_by(value.is_some());
            if !hidden.is_empty() {
                return self.keep(Dialog::BranchSwitch { value, hidden });
            }
        }
        self.notice = Some(Notice { tone: Tone::Ok, text: format!("已更正{}（已记入修改记录）", f.code) });
        vec![FormEffect::CorrectSectionA { key: self.key, code: f.code, value }]
    }

    // ----- submitting -----

    pub(super) fn start_submit(&mut self) -> Vec<FormEffect> {
        if self.read_only() {
            self.notice = Some(Notice { tone: Tone::Info, text: "该表已经提交过了".into() });
            return Vec::new();
        }
        self.sync();
        self.touched.insert(self.field().code);
        self.show_all = true;
        let errors: Vec<Item> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| Item { kind: ItemKind::Error, code: f.code, message: f.message.clone() })
            .collect();
        if let Some(first) = errors.first() {
            let fx = self.goto(self.form.position(first.code).unwrap_or(self.cursor));
            self.dialog = Some(Dialog::Checklist(Checklist { items: errors, selected: 0 }));
            return fx;
        }
        self.dialog = Some(Dialog::Review);
        Vec::new()
    }

    /// The rule ids of the warnings standing now (all shown on the review).
    fn warning_rules(&self) -> Vec<String> {
        self.findings.iter().filter(|f| f.severity == Severity::Warning).map(|f| f.rule.to_string()).collect()
    }

    fn review_action(&mut self, action: Action) -> Vec<FormEffect> {
        match action {
            Action::Confirm if !self.record.household.verified => {
                self.notice = Some(Notice {
                    tone: Tone::Error,
                    text: format!(
                        "基础信息（A部分）还没有核实：对照实际核对{}后按 {{verify}} 标为已核实，再确认提交",
                        self.form.section_codes(schema::Section::A)
                    ),
                });
                self.keep(Dialog::Review)
            }
            Action::Confirm => {
                let confirmed = self.warning_rules();
                vec![FormEffect::Submit {
                    key: self.key,
                    base: self.saved.clone(),
                    answers: stored_form(self.form, &self.answers),
                    confirmed,
                }]
            }
            Action::Verify => {
                let verified = !self.record.household.verified;
                self.notice = Some(Notice {
                    tone: Tone::Ok,
                    text: if verified { "基础信息已标为已核实" } else { "已取消基础信息的“已核实”" }.into(),
                });
                self.dialog = Some(Dialog::Review);
                vec![FormEffect::SetVerified { key: self.key, verified }]
            }
            Action::Cancel | Action::Back => {
                self.notice = Some(Notice { tone: Tone::Info, text: "没有提交；改完后再按 {submit} 提交".into() });
                Vec::new()
            }
            _ => self.keep(Dialog::Review),
        }
    }

    fn checklist_action(&mut self, mut list: Checklist, action: Action) -> Vec<FormEffect> {
        let n = list.items.len();
        match action {
            Action::MoveUp => list.selected = (list.selected + n - 1) % n,
            Action::MoveDown => list.selected = (list.selected + 1) % n,
            Action::Confirm => {
                let code = list.items[list.selected].code;
                return self.goto(self.form.position(code).unwrap_or(self.cursor));
            }
            Action::Cancel | Action::Back => return Vec::new(),
            _ => {}
        }
        self.keep(Dialog::Checklist(list))
    }

    // ----- reopening, the water helper -----

    pub(super) fn start_reopen(&mut self) -> Vec<FormEffect> {
        if self.held_by.is_some() {
            self.dialog = Some(Dialog::TakeOver);
        } else if self.read_only() {
            self.dialog = Some(Dialog::Reopen);
        } else {
            self.notice = Some(Notice { tone: Tone::Info, text: "这张表还没有提交，直接修改即可".into() });
        }
        Vec::new()
    }

    pub(super) fn open_water(&mut self) -> Vec<FormEffect> {
        if self.read_only() {
            return self.refuse_read_only();
        }
        let b4 = self.form.helper_field(schema::Helper::Water).and_then(|f| self.form.position(f.code)).unwrap_or(self.cursor);
        let fx = self.goto(b4);
        self.dialog = Some(Dialog::Water(WaterPanel::default()));
        fx
    }

    fn apply_water(&mut self, panel: WaterPanel) -> Vec<FormEffect> {
        let a = panel.assessment();
        let Some(solved) = a.suggestion else {
            self.notice = Some(Notice { tone: Tone::Error, text: format!("{}，填完再按 Enter（Esc 关闭）", a.reason) });
            return self.keep(Dialog::Water(panel));
        };
        let f = &self.form.fields[self.cursor];
        self.input = FieldInput::new(f, Some(&Value::Bool(solved)), None, false);
        self.sync();
        self.notice = Some(Notice {
            tone: Tone::Ok,
            text: format!("已按计算结果把B4填为“{}”：{}", if solved { "是" } else { "否" }, a.reason),
        });
        self.step(true)
    }

    pub(super) fn refuse_read_only(&mut self) -> Vec<FormEffect> {
        if let Some(h) = &self.held_by {
            let text = format!("{}：只能查看；要接手请按 {{reopen}}（会记入修改记录）", h.label());
            self.notice = Some(Notice { tone: Tone::Error, text });
            return Vec::new();
        }
        self.notice =
            Some(Notice { tone: Tone::Error, text: "该表已提交，只能查看；要修改请先按 {reopen} 重新打开".into() });
        Vec::new()
    }
}
