//! Unit tests of the editor, driven by actions and keys, effects applied to
//! an in-memory record (the integration tests in `tests/form_*.rs` use a
//! real store).

use super::*;
use crate::form::value::YearMonth;
use crate::model::{FormRecord, FormState, Household, Place, SectionA, Timestamp};
use crate::ui::keymap::Key;
use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

fn record(eliminated: Option<YearMonth>) -> LookBack {
    LookBack {
        household: Household {
            place: Place { township: "鹿角镇".into(), village: "石坪村".into() },
            a: SectionA {
                address: "石坪村1组".into(),
                head: "张三".into(),
                id_number: crate::form::idnum::complete("50024319800101123").unwrap(),
                size: 3,
                category: 1,
                enrol_risk: 0,
                enrolled: YearMonth::new(2020, 5).unwrap(),
                eliminated,
            },
            verified: false,
            imported_at: Timestamp(0),
        },
        form: FormRecord::default(),
    }
}

/// The editor with a record it saves into, as the app's loop would.
struct Memory {
    ed: FormEditor,
    rec: LookBack,
    keymap: Keymap,
    /// Fail the next store effect with this message.
    fail: Option<String>,
}

impl Memory {
    fn new(rec: LookBack) -> Memory {
        Memory { ed: FormEditor::new(1, rec.clone(), Round::default()), rec, keymap: Keymap::shipped(), fail: None }
    }

    fn press(&mut self, keys: &str) -> Vec<FormEffect> {
        let mut all = Vec::new();
        for k in keys.split_whitespace() {
            let ev = Key::parse(k).unwrap().to_event();
            let fx = match self.keymap.lookup(self.ed.mode(), &ev) {
                Some(a) => self.ed.handle_action(a),
                None => self.ed.handle_key(ev),
            };
            all.extend(fx.clone());
            self.run(fx);
        }
        all
    }

    fn run(&mut self, fx: Vec<FormEffect>) {
        for e in fx {
            if let Some(m) = self.fail.take() {
                self.ed.on_error(m);
                return;
            }
            match e {
                FormEffect::SaveDraft { answers, .. } => {
                    self.rec.form.answers = answers;
                    self.rec.form.state = FormState::Draft;
                }
                FormEffect::Submit { answers, confirmed, .. } => {
                    self.rec.form.answers = answers;
                    self.rec.form.state = FormState::Submitted;
                    self.rec.form.confirmed = confirmed;
                }
                FormEffect::Reopen { .. } => self.rec.form.state = FormState::Draft,
                FormEffect::SetVerified { verified, .. } => self.rec.household.verified = verified,
                FormEffect::CorrectSectionA { code, value, .. } => self.rec.household.a.set(code, value).unwrap(),
                _ => continue,
            }
            self.ed.on_saved(self.rec.clone());
        }
    }
}

#[test]
fn lands_on_the_first_question_and_keeps_answers_of_a_draft() {
    let mut rec = record(None);
    rec.form.answers.insert("B1".into(), Value::Bool(false));
    rec.form.state = FormState::Draft;
    let m = Memory::new(rec);
    assert_eq!(m.ed.current(), "B2");
    assert!(!m.ed.is_dirty());
    assert_eq!(m.ed.mode(), Mode::Choice, "B2 is a yes/no field: its keys come from [choice], then [form]");
}

#[test]
fn a_failed_save_keeps_the_answers_and_is_retried_on_the_next_leave() {
    let mut m = Memory::new(record(None));
    m.fail = Some("磁盘已满".into());
    m.press("1");
    assert_eq!(m.ed.current(), "B2");
    assert!(m.ed.notice().unwrap().contains("磁盘已满"));
    assert!(m.ed.is_dirty(), "B1 is still unsaved");
    assert_eq!(m.rec.form.answers.get("B1"), None);
    let fx = m.press("2");
    assert!(matches!(&fx[..], [FormEffect::SaveDraft { answers, .. }] if answers.len() == 2));
    assert_eq!(m.rec.form.answers.get("B1"), Some(&Value::Bool(true)));
    assert!(!m.ed.is_dirty());
}

#[test]
fn a_failed_branch_correction_puts_the_cleared_answers_back() {
    let mut m = Memory::new(record(None));
    m.press("pagedown pagedown tab tab 4 1 tab");
    assert_eq!(m.rec.form.answers.get("D5"), Some(&Value::Choice(3)));
    m.press("pageup pageup pageup shift-tab ctrl-r");
    assert_eq!(m.ed.mode(), Mode::Form, "the correction takes typed text");
    for c in "202103".chars() {
        m.ed.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    m.press("enter");
    assert_eq!(m.ed.mode(), Mode::Dialog, "the branch question is yes/no");
    m.fail = Some("数据库被另一个程序占用".into());
    let fx = m.press("y");
    assert!(matches!(fx[0], FormEffect::CorrectSectionA { code: "A8", .. }));
    assert_eq!(m.ed.answers().get("D5"), Some(&Value::Choice(3)), "nothing lost");
    assert_eq!(m.ed.answers().get("D6"), Some(&Value::Multi(vec![0])));
    assert!(m.ed.notice().unwrap().contains("另一个程序"));
    assert_eq!(m.rec.household.a.eliminated, None);
}

#[test]
fn only_key_presses_count() {
    let mut m = Memory::new(record(None));
    let mut ev = KeyEvent::new(KeyCode::Char('1'), KeyModifiers::NONE);
    ev.kind = KeyEventKind::Release;
    assert!(m.ed.handle_key(ev).is_empty());
    assert_eq!(m.ed.current(), "B1");
    assert_eq!(m.ed.answers().get("B1"), None);
}

#[test]
fn keys_are_named_from_the_keymap_in_messages() {
    let km = Keymap::shipped();
    assert_eq!(render::with_keys("按 {reopen} 重新打开", &km, Mode::Form), "按 Ctrl-O 重新打开");
    assert_eq!(render::with_keys("{save}", &km, Mode::Form), "Ctrl-S/F2");
    assert_eq!(render::with_keys("{no-such} {", &km, Mode::Form), "{no-such} {");
    let mut user = Keymap::shipped();
    user.apply_toml("[form]\n\"ctrl-o\" = \"noop\"\n\"f9\" = \"reopen\"\n", "user");
    assert_eq!(render::with_keys("{reopen}", &user, Mode::Form), "F9");
}

#[test]
fn submit_of_a_clean_record_is_the_review_then_one_key() {
    let mut m = Memory::new(record(Some(YearMonth::new(2021, 3).unwrap())));
    m.press("2 2 2 1 2 3 1 2");
    for c in "王五".chars() {
        m.ed.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    m.press("tab");
    m.ed.handle_paste("13800001111");
    m.press("tab 5 ctrl-t");
    assert!(m.ed.has_dialog());
    assert!(m.press("enter").is_empty(), "section A is not verified yet: the review refuses");
    let fx = m.press("ctrl-k enter");
    assert_eq!(fx.len(), 2, "{fx:?}");
    assert!(matches!(fx[0], FormEffect::SetVerified { verified: true, .. }));
    assert!(matches!(&fx[1], FormEffect::Submit { confirmed, .. } if confirmed.is_empty()));
    assert_eq!(m.rec.form.state, FormState::Submitted);
    assert!(m.ed.pending_save().is_none(), "nothing to save in a submitted form");
}
