//! A8 decides the branch of section D. Correcting it mid-entry shows the
//! other branch's fields; answers the switch would hide are listed and
//! cleared only when the clerk agrees; refusing keeps everything.

mod form_support;

use form_support::*;
use huitoukan::form::rules::{self, Severity};
use huitoukan::form::{Value, YearMonth};
use huitoukan::io::export;
use huitoukan::model::LookBack;
use huitoukan::ui::form::{FormEditor, FormEffect};

/// The export row of a record, by column heading (`D5 当前该户最主要的风险点`).
fn exported(lb: &LookBack, code: &str) -> String {
    let col = export::header().iter().position(|h| h.split(' ').next() == Some(code)).unwrap();
    export::cells(lb)[col].clone()
}

fn codes_with_findings(h: &Harness) -> Vec<&'static str> {
    let lb = h.stored();
    let mut codes: Vec<_> = lb.findings(h.store.round()).iter().map(|f| f.code).collect();
    codes.dedup();
    codes
}

#[test]
fn flipping_a8_mid_entry_lists_the_hidden_answers_and_clears_them_only_when_agreed() {
    let mut h = Harness::new(vec![section_a(1, "张三", None)]);
    h.press(&bc_keys(2));
    h.monitor("王五", "13800001111");
    h.press("4 1 6 tab");
    h.type_text("户主患慢性病，长期服药，每月自付医药费约三百元。");
    assert_eq!(h.ed.current(), "D7");

    // Back to A8 (leaving D7 saves it), then correct it.
    h.press("pageup pageup pageup shift-tab");
    assert_eq!(h.ed.current(), "A8");
    assert!(matches!(h.stored().form.answers.get("D7"), Some(Value::Text(_))), "D7 was saved on leaving");
    h.press("ctrl-r");
    assert!(h.ed.has_dialog());
    h.type_text("2021-03");
    h.press("enter");
    let screen = h.screen();
    for must in ["A8更正会改变填写范围", "D5 当前该户最主要的风险点：缺劳动力", "D6 其他风险：因病、因自然灾害", "D7 家庭困难现状描述"]
    {
        assert!(screen.contains(must), "{must}\n{screen}");
    }
    assert!(!h.effects.iter().any(|e| matches!(e, FormEffect::CorrectSectionA { .. })), "nothing is changed before the answer");

    // Refusing keeps A8 and every answer.
    h.press("n");
    assert!(!h.ed.has_dialog());
    let lb = h.stored();
    assert_eq!(lb.household.a.eliminated, None);
    for code in ["D5", "D6", "D7"] {
        assert!(lb.form.answers.contains_key(code), "{code} kept");
        assert!(h.ed.answers().contains_key(code), "{code} kept on screen");
    }

    // Agreeing corrects A8 and clears the other branch, both audited.
    h.press("ctrl-r");
    h.type_text("202103");
    h.press("enter y");
    assert!(h.errors.is_empty(), "{:?}", h.errors);
    let lb = h.stored();
    assert_eq!(lb.household.a.eliminated, YearMonth::new(2021, 3));
    for code in ["D5", "D6", "D7"] {
        assert!(!lb.form.answers.contains_key(code), "{code} cleared in the store");
        assert!(!h.ed.answers().contains_key(code), "{code} cleared on screen");
    }
    assert_eq!(lb.form.answers.get("D1"), Some(&list(&["王五"])), "the rest stays");
    let history = h.store.history(h.key()).unwrap();
    for code in ["A8", "D5", "D6", "D7"] {
        assert!(history.iter().any(|e| e.field == code), "{code} audited");
    }

    // The other branch's fields are shown now; the hidden ones are not.
    h.press("pagedown pagedown pagedown tab tab tab");
    assert_eq!(h.ed.current(), "D4");
    let screen = h.screen();
    assert!(screen.contains("D3  风险消除的最主要帮扶措施"), "{screen}");
    assert!(screen.contains("D4  其他帮扶措施"), "{screen}");
    assert!(!screen.contains("D5 "), "{screen}");
    assert!(screen.contains("风险已消除户"), "{screen}");

    // Validation and exports follow the branch taken.
    let found = codes_with_findings(&h);
    assert!(found.contains(&"D3"), "D3 is now required: {found:?}");
    for code in ["D5", "D6", "D7", "D8", "D9", "D10"] {
        assert!(!found.contains(&code), "{code} not validated: {found:?}");
        assert_eq!(exported(&lb, code), "", "{code} not exported");
    }

    // The new branch is filled and submitted as usual.
    h.press("shift-tab 3"); // D3 金融帮扶, on to D4
    assert_eq!(h.ed.current(), "D4");
    h.press("ctrl-k ctrl-t enter");
    let lb = h.stored();
    assert_eq!(lb.form.state, huitoukan::model::FormState::Submitted, "{:?}", h.errors);
    assert_eq!(lb.form.answers.get("D3"), Some(&Value::Choice(2)));
    assert_eq!(exported(&lb, "D3"), "金融帮扶");
    assert_eq!(exported(&lb, "A8"), "2021-03");
}

#[test]
fn answers_left_in_the_branch_not_taken_are_named_not_shown_checked_or_exported() {
    // An older record: A8 set, yet D5 and D7 answered (written before A8 was).
    let h = Harness::new(vec![section_a(4, "吴八", Some(month(2021, 1)))]);
    let mut a = answers(&bc_answers(2));
    a.insert("D5".into(), Value::Choice(0));
    a.insert("D7".into(), Value::Text("短".into()));
    h.store.save_draft(h.key(), &a, WHO).unwrap();
    let lb = h.stored();
    let ed = FormEditor::new(h.key(), lb.clone(), h.store.round().clone());
    assert!(ed.notice().unwrap().starts_with("D5、D7是另一类户的旧答案"), "{:?}", ed.notice());
    let mut h = Harness { ed, ..h };
    h.press("pagedown pagedown tab tab");
    assert_eq!(h.ed.current(), "D3");
    let screen = h.screen();
    assert!(screen.contains("D2  监测责任人联系电话"), "{screen}");
    assert!(!screen.contains("D5 ") && !screen.contains("D7 "), "{screen}");
    let found = codes_with_findings(&h);
    assert!(!found.contains(&"D7"), "the short D7 is not checked: {found:?}");
    assert_eq!(exported(&lb, "D5"), "");
    assert_eq!(exported(&lb, "D7"), "");
}

#[test]
fn clearing_a8_lists_the_eliminated_branch_answers() {
    let mut h = Harness::new(vec![section_a(2, "李四", Some(month(2021, 2)))]);
    h.press(&bc_keys(3));
    h.monitor("李娜", "13912345678");
    h.press("5 tab 1 2");
    assert_eq!(h.ed.answers().get("D4"), Some(&Value::Multi(vec![0, 1])));
    h.press("ctrl-e"); // nothing is wrong: stays, says so
    h.press("pageup pageup pageup shift-tab ctrl-r ctrl-d enter");
    let screen = h.screen();
    assert!(screen.contains("把A8改为空（未消除风险户）"), "{screen}");
    assert!(screen.contains("D3 风险消除的最主要帮扶措施：公益岗位帮扶"), "{screen}");
    assert!(screen.contains("D4 其他帮扶措施：产业帮扶、就业帮扶"), "{screen}");
    h.press("y");
    let lb = h.stored();
    assert_eq!(lb.household.a.eliminated, None);
    assert!(!lb.form.answers.contains_key("D3") && !lb.form.answers.contains_key("D4"));
    // D5–D10 are asked for now.
    let errors: Vec<_> =
        rules::validate(&lb.view(), h.store.round()).into_iter().filter(|f| f.severity == Severity::Error).map(|f| f.code).collect();
    assert_eq!(errors, ["D5", "D7", "D8", "D10"]);
    h.press("ctrl-e");
    assert_eq!(h.ed.current(), "D5", "next-problem goes to the first of the new questions");
}

#[test]
fn a_correction_that_changes_no_branch_or_is_wrong() {
    let mut h = Harness::new(vec![section_a(3, "王二", Some(month(2021, 2)))]);
    h.press(&bc_keys(3));
    h.press("pageup pageup shift-tab ctrl-r");
    // Before A7 (2020-05): refused inside the dialog, nothing stored.
    h.press("ctrl-d");
    h.type_text("2019-01");
    h.press("enter");
    assert!(h.ed.has_dialog());
    assert!(h.screen().contains("早于A7纳入系统时间2020-05"), "{}", h.screen());
    h.press("ctrl-d");
    h.type_text("2021年4月");
    h.press("enter");
    assert!(!h.ed.has_dialog(), "same branch, nothing to clear: no question");
    assert_eq!(h.stored().household.a.eliminated, YearMonth::new(2021, 4));
    assert!(h.ed.notice().unwrap().contains("已更正A8"));
    // Esc cancels a correction.
    h.press("ctrl-r esc");
    assert!(!h.ed.has_dialog());
}
