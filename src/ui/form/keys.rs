//! Actions, keys and pastes reaching the form (dialogs see them first).

use super::editor::{FormEditor, Notice, Tone};
use super::input::Outcome;
use super::FormEffect;
use crate::ui::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

impl FormEditor {
    pub(super) fn on_action(&mut self, action: Action) -> Vec<FormEffect> {
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
                self.notice = Some(Notice { tone: Tone::Ok, text: "草稿已保存".into() });
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
        for (code, v) in [("B1", false), ("B2", false), ("B3", false), ("B4", true)] {
            self.answers.insert(code.into(), Value::Bool(v));
            self.touched.insert(code);
        }
        let here = self.field().section;
        if here == Section::B {
            // The input on screen must show the new answer, not write back its old one.
            self.enter(self.cursor);
        }
        self.refresh();
        self.notice =
            Some(Notice { tone: Tone::Ok, text: "已填B1至B4：否、否、否、是（三保障和饮水安全均已解决）".into() });
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
