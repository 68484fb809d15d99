//! Actions, keys and pastes reaching the form (dialogs see them first).

use super::editor::{FormEditor, Notice, Tone};
use super::input::Input;
use super::input::Outcome;
use super::FormEffect;
use crate::ui::action::Action;
use crate::ui::keymap::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The key an in-field action stands for, as the field's input reads it
/// (so a user keymap can move any of them to another key).
fn in_field_key(action: Action) -> Option<KeyEvent> {
    let ch = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let code = |c: KeyCode| KeyEvent::new(c, KeyModifiers::NONE);
    let option = |n: u16| super::input::option_key(n).map(ch);
    Some(match action {
        Action::Option1 => return option(0),
        Action::Option2 => return option(1),
        Action::Option3 => return option(2),
        Action::Option4 => return option(3),
        Action::Option5 => return option(4),
        Action::Option6 => return option(5),
        Action::Option7 => return option(6),
        Action::Option8 => return option(7),
        Action::Option9 => return option(8),
        Action::Option10 => return option(9),
        Action::Option11 => return option(10),
        Action::ChooseYes => ch('y'),
        Action::ChooseNo => ch('n'),
        Action::Toggle => ch(' '),
        Action::OptionPrev | Action::CursorLeft => code(KeyCode::Left),
        Action::OptionNext | Action::CursorRight => code(KeyCode::Right),
        Action::DeleteBack => code(KeyCode::Backspace),
        Action::DeleteForward => code(KeyCode::Delete),
        Action::LineStart => code(KeyCode::Home),
        Action::LineEnd => code(KeyCode::End),
        Action::LineUp => code(KeyCode::Up),
        Action::LineDown => code(KeyCode::Down),
        Action::DeleteToStart => KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
        Action::Undo => KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL),
        _ => return None,
    })
}

impl FormEditor {
    /// Whether an unbound key is text for the current field (see [`Self::field_key`]).
    fn is_text_key(&self, key: &KeyEvent) -> bool {
        let KeyCode::Char(c) = key.code else { return false };
        if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
            return false;
        }
        match &self.input.state {
            Input::Choice { yes_no: true, .. } => !c.is_ascii(),
            Input::Choice { .. } | Input::Multi { .. } => !(c.is_ascii_digit() || c == '-' || c.is_whitespace()),
            _ => true,
        }
    }

    /// The keymap table for keys inside the current field.
    pub(super) fn field_mode(&self) -> Mode {
        match self.input.state {
            Input::Choice { .. } | Input::Multi { .. } => Mode::Choice,
            Input::Text { .. } | Input::Slots { .. } => Mode::Text,
            Input::ReadOnly => Mode::Form,
        }
    }

    pub(super) fn on_action(&mut self, action: Action) -> Vec<FormEffect> {
        // In-field actions ([choice], [text]) are the keys the input understands.
        if let Some(ev) = in_field_key(action) {
            return self.field_key(ev, true);
        }
        self.keys_seen += 1;
        match action {
            Action::Quit => return self.leave_form(true),
            Action::Help | Action::Stats | Action::Noop => return Vec::new(),
            _ => {}
        }
        if self.dialog.is_some() {
            return self.dialog_action(action);
        }
        self.notice = None;
        if self.entry.is_some() {
            match action {
                // 完成: the entry is saved field by field; back to the household's file.
                Action::Submit => {
                    self.sync();
                    self.show_all = true;
                    let mut fx = if self.read_only() { Vec::new() } else { self.commit() };
                    fx.push(FormEffect::Close);
                    return fx;
                }
                Action::Reopen | Action::Verify | Action::Correct | Action::NextHousehold | Action::PrevHousehold | Action::WaterHelper => {
                    self.notice = Some(Notice {
                        tone: Tone::Info, text: "户档的记录里没有这一步；按 {submit} 填完返回户档".into()
                    });
                    return Vec::new();
                }
                _ => {}
            }
        }
        match action {
            Action::NextField => self.step(true),
            Action::PrevField => self.step(false),
            Action::NextSection => self.section_step(true),
            Action::PrevSection => self.section_step(false),
            Action::NextProblem => self.next_problem(),
            Action::Save if self.read_only() => self.refuse_read_only(),
            Action::Save => {
                self.sync();
                self.touched.insert(self.field().code);
                self.notice =
                    Some(Notice { tone: Tone::Ok, text: if self.entry.is_some() { "已保存" } else { "草稿已保存" }.into() });
                vec![self.save_effect()]
            }
            Action::Submit => self.start_submit(),
            Action::Reopen => self.start_reopen(),
            Action::Verify => {
                let verified = !self.record.household.verified;
                self.notice = Some(Notice {
                    tone: Tone::Ok,
                    text: if verified { "基础信息已标为已核实" } else { "已取消基础信息的“已核实”" }.into(),
                });
                vec![FormEffect::SetVerified { key: self.key, verified }]
            }
            Action::Correct => self.start_correct(),
            Action::ClearField if self.read_only() => self.refuse_read_only(),
            Action::ClearField if self.field().is_prefilled() => self.refuse_section_a(),
            Action::ClearField => {
                let had = self.input.value().is_some();
                self.input.clear();
                self.sync();
                if had {
                    let f = self.field();
                    let what = if matches!(f.kind, crate::form::schema::Kind::Multi { .. }) { "全部勾选" } else { "内容" };
                    self.notice =
                        Some(Notice { tone: Tone::Info, text: format!("已清空{}的{what}，离开这一项即保存", f.code) });
                }
                Vec::new()
            }
            Action::NextHousehold | Action::PrevHousehold => {
                self.sync();
                let mut fx = self.commit();
                fx.push(if action == Action::NextHousehold { FormEffect::OpenNext } else { FormEffect::OpenPrev });
                fx
            }
            Action::WaterHelper => self.open_water(),
            Action::BAllOk if self.read_only() => self.refuse_read_only(),
            Action::BAllOk => self.b_all_ok(),
            Action::Back => self.leave_form(false),
            _ => Vec::new(),
        }
    }

    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<FormEffect> {
        self.field_key(key, false)
    }

    /// A key for the field; `from_action` when a [choice]/[text] binding sent
    /// it. A key no table binds is only text: a character typed into a text
    /// field, or the first characters of an option's name in a choice field.
    /// Digits, Space, arrows, Backspace and the like act only through the
    /// keymap, so a clerk's keymap can move or unbind every one of them.
    fn field_key(&mut self, key: KeyEvent, from_action: bool) -> Vec<FormEffect> {
        if key.kind != KeyEventKind::Press {
            return Vec::new();
        }
        self.keys_seen += 1;
        if self.dialog.is_some() {
            return self.dialog_key(&key);
        }
        self.notice = None;
        if self.read_only() || self.field().is_prefilled() {
            return match key.code {
                KeyCode::Up => self.step(false),
                KeyCode::Down => self.step(true),
                KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete if self.read_only() => self.refuse_read_only(),
                KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete => self.refuse_section_a(),
                _ => Vec::new(),
            };
        }
        if !from_action && !self.is_text_key(&key) {
            return Vec::new();
        }
        // A digit at D1 is never part of a name: it picks an offered person.
        if let (crossterm::event::KeyCode::Char(c @ '1'..='9'), crate::form::schema::Kind::Names { .. }) = (key.code, self.field().kind) {
            if key.modifiers.is_empty() || key.modifiers == crossterm::event::KeyModifiers::SHIFT {
                if let Some(fx) = self.pick_monitor(c as usize - '0' as usize) {
                    return fx;
                }
            }
        }
        let outcome = self.input.key(&key, self.wrap_width.get() as usize);
        self.sync();
        self.after(outcome)
    }

    pub(super) fn on_paste(&mut self, text: &str) -> Vec<FormEffect> {
        self.keys_seen += 1;
        if self.dialog.is_some() {
            self.dialog_paste(text);
            return Vec::new();
        }
        self.notice = None;
        if self.read_only() {
            return self.refuse_read_only();
        }
        if self.field().is_prefilled() {
            return self.refuse_section_a();
        }
        let outcome = self.input.paste(text);
        self.sync();
        // A paste never moves to another field.
        match outcome {
            Outcome::Refused(m) => self.after(Outcome::Refused(m)),
            _ => Vec::new(),
        }
    }

    fn after(&mut self, outcome: Outcome) -> Vec<FormEffect> {
        match outcome {
            Outcome::Advance | Outcome::LeaveNext => self.step(true),
            Outcome::LeavePrev => self.step(false),
            Outcome::Refused(text) => {
                self.notice = Some(Notice { tone: Tone::Error, text });
                Vec::new()
            }
            Outcome::Changed | Outcome::Unchanged => Vec::new(),
        }
    }

    /// B1–B3 否 and B4 是 in one key; from section A or B the cursor goes on to C1.
    fn b_all_ok(&mut self) -> Vec<FormEffect> {
        use crate::form::schema::Section;
        use crate::form::Value;
        self.sync();
        // Each 是/否 field of section B gets the answer the form calls "no problem".
        let fills: Vec<(&'static str, bool)> = self.form.section_fields(Section::B).filter_map(|f| f.ok.map(|ok| (f.code, ok))).collect();
        for &(code, v) in &fills {
            self.answers.insert(code.into(), Value::Bool(v));
            self.touched.insert(code);
        }
        let here = self.field().section;
        if here == Section::B {
            // The input on screen must show the new answer, not write back its old one.
            self.enter(self.cursor);
        }
        self.refresh();
        let codes: Vec<&str> = fills.iter().map(|(c, _)| *c).collect();
        let answers: Vec<&str> = fills.iter().map(|(_, v)| if *v { "是" } else { "否" }).collect();
        self.notice = Some(Notice {
            tone: Tone::Ok,
            text: format!("已填{}：{}（三保障和饮水安全均已解决）", crate::form::schema::codes_label(&codes), answers.join("、")),
        });
        match self.first_of(Section::C) {
            Some(c1) if here <= Section::B => self.goto(c1),
            _ => self.commit(),
        }
    }

    fn refuse_section_a(&mut self) -> Vec<FormEffect> {
        self.notice = Some(Notice {
            tone: Tone::Info,
            text: "基础信息只需核实：相符请按 {verify} 标为已核实，有误请按 {correct} 更正".into(),
        });
        Vec::new()
    }
}
