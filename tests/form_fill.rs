//! Whole forms filled by keys alone, for each branch, saved, submitted and
//! read back from the store exactly as typed.

mod form_support;

use form_support::*;
use huitoukan::form::{Value, YearMonth};
use huitoukan::model::{Answers, FormState};
use huitoukan::ui::form::FormEffect;

/// A description of `n` Chinese characters.
fn hardship(n: usize) -> String {
    "户主患慢性病长期服药每月自付医药费约三百元家中两个孩子上学妻子在家照顾老人收入主要靠务工".chars().cycle().take(n).collect()
}

/// Fills a not-eliminated household (A8 empty) from the landing field B1 to
/// D10, pressing only what a clerk would. Returns the expected answers.
fn fill_not_eliminated(h: &mut Harness, d7: &str) -> Answers {
    assert_eq!(h.ed.current(), "B1", "the cursor lands on the first question to answer");
    h.press(&bc_keys(2)); // B1–B4 否 否 否 是, C1 否, C2 6000-9000元, C3 外出务工, C4 否: each moves on by itself
    assert_eq!(h.ed.current(), "D1");
    h.monitor("王五", "13800001111");
    h.press("4"); // D5 缺劳动力 (one digit of ten: no second digit can follow 4)
    h.press("1 6 tab"); // D6 因病, 因自然灾害
    assert_eq!(h.ed.current(), "D7");
    h.type_text(d7);
    h.press("tab");
    h.press("7"); // D8 健康帮扶
    h.press("1 2 tab"); // D9 产业帮扶, 就业帮扶 (1 then 2 is not 12: there are 11)
    assert_eq!(h.ed.current(), "D10");
    h.type_text("202112");
    let mut expected = bc_answers(2);
    expected.extend([
        ("D1", list(&["王五"])),
        ("D2", list(&["13800001111"])),
        ("D5", Value::Choice(3)),
        ("D6", Value::Multi(vec![0, 5])),
        ("D7", Value::Text(d7.to_string())),
        ("D8", Value::Choice(6)),
        ("D9", Value::Multi(vec![0, 1])),
        ("D10", Value::Month(YearMonth::new(2021, 12).unwrap())),
    ]);
    answers(&expected)
}

#[test]
fn not_eliminated_household_with_2000_characters_is_submitted_as_typed() {
    let mut h = Harness::new(vec![section_a(1, "张三", None)]);
    let d7 = hardship(2000);
    let expected = fill_not_eliminated(&mut h, &d7);
    // Every field left so far is already on disk, before submitting.
    let draft = h.stored();
    assert_eq!(draft.form.state, FormState::Draft);
    assert_eq!(draft.form.answers.get("D9"), expected.get("D9"));
    assert_eq!(h.ed.counts(), (0, 0));

    h.press("ctrl-s");
    assert_eq!(h.stored().form.answers, expected, "Ctrl-S saves the field being typed too");
    h.press("ctrl-t"); // no warnings: the review, section A not verified yet
    assert!(h.ed.has_dialog());
    h.press("enter");
    assert_eq!(h.stored().form.state, FormState::Draft, "the review refuses while section A is not verified");
    assert!(h.ed.notice().unwrap_or_default().contains("核实"), "{:?}", h.ed.notice());
    h.press("ctrl-k enter"); // verified as its own act, then submitted
    assert!(h.errors.is_empty(), "{:?}", h.errors);
    let lb = h.stored();
    assert_eq!(lb.form.state, FormState::Submitted);
    assert!(lb.household.verified);
    assert_eq!(lb.form.answers, expected);
    match lb.form.answers.get("D7") {
        Some(Value::Text(s)) => assert_eq!(s.chars().count(), 2000),
        other => panic!("{other:?}"),
    }
}

#[test]
fn eliminated_household_is_submitted_as_typed() {
    let mut h = Harness::new(vec![section_a(2, "李四", Some(month(2021, 3)))]);
    assert_eq!(h.ed.current(), "B1");
    h.press(&bc_keys(3)); // C2 9000-13500元
    h.type_text("李娜 赵强");
    h.press("tab");
    h.paste("023-78865441\n13912345678\n"); // a pasted newline stays in the field
    assert_eq!(h.ed.current(), "D2");
    h.press("tab");
    assert_eq!(h.ed.current(), "D3", "the eliminated branch: D3, not D5");
    h.press("1"); // D3 产业帮扶, on to D4 at once
    h.press("2 7"); // D4 就业帮扶, 健康帮扶
    h.press("ctrl-k ctrl-t"); // verify section A, submit: the review
    assert!(h.ed.has_dialog(), "the review before submitting");
    assert_eq!(h.stored().form.state, FormState::Draft);
    h.press("enter");
    assert!(h.errors.is_empty(), "{:?}", h.errors);
    let lb = h.stored();
    assert_eq!(lb.form.state, FormState::Submitted);
    let mut expected = bc_answers(3);
    expected.extend([
        ("D1", list(&["李娜", "赵强"])),
        ("D2", list(&["023-78865441", "13912345678"])),
        ("D3", Value::Choice(0)),
        ("D4", Value::Multi(vec![1, 6])),
    ]);
    assert_eq!(lb.form.answers, answers(&expected));
    assert!(lb.household.verified);
}

#[test]
fn a_description_of_19_characters_is_refused_at_submit_and_kept_as_draft() {
    let mut h = Harness::new(vec![section_a(3, "王二", None)]);
    let d7 = hardship(19);
    fill_not_eliminated(&mut h, &d7);
    h.press("ctrl-t");
    assert!(h.ed.has_dialog(), "the error list is shown");
    assert_eq!(h.ed.current(), "D7", "and the cursor is on the first error");
    assert!(!h.effects.iter().any(|e| matches!(e, FormEffect::Submit { .. })));
    let lb = h.stored();
    assert_eq!(lb.form.state, FormState::Draft);
    assert_eq!(lb.form.answers.get("D7"), Some(&Value::Text(d7.clone())), "the short text is saved as draft");
    let screen = h.screen();
    assert!(screen.contains("还有1处错误，不能提交"), "{screen}");
    assert!(screen.contains("至少20个字，现有19个字"), "{screen}");

    // One more character and it goes through.
    h.press("esc");
    h.press("end");
    h.type_text("元");
    h.press("ctrl-k ctrl-t enter");
    assert_eq!(h.stored().form.state, FormState::Submitted, "{:?}", h.errors);
}

/// Keys counted: every key pressed through the keymap (`press`), not the
/// characters of typed text (`type_text`: D7, a name, a phone, D10's month).
/// The first household of the village is filled by typing D1/D2; the count
/// is of the second, from its fresh record to submitted, D1/D2 taken from the
/// offer, the review's confirm key and Ctrl-K (verifying section A) included.
fn second_household(eliminated: Option<huitoukan::form::YearMonth>) -> Harness {
    let mut h = Harness::new(vec![section_a(4, "陈六", eliminated), section_a(5, "周七", eliminated)]);
    h.press("ctrl-l 2 1 1 2");
    h.monitor("王五", "13800001111");
    h.press("ctrl-n");
    assert_eq!(h.ed.key(), h.keys[1], "heads-down: the next household is open");
    assert_eq!(h.ed.current(), "B1", "a fresh record");
    h.keystrokes = 0;
    h
}

#[test]
fn keystrokes_for_a_typical_not_eliminated_household() {
    let mut h = second_household(None);
    h.press("ctrl-l"); // B1–B3 否, B4 是
    h.press("2 1 1 2"); // C1 否, C2 6000元以下, C3 外出务工, C4 否
    assert_eq!(h.ed.current(), "D1");
    h.press("1"); // D1/D2: the previous household's 王五 with his phone, on to D5
    assert_eq!(h.ed.current(), "D5");
    h.press("4"); // D5 缺劳动力
    h.press("1 tab"); // D6 因病
    h.type_text(&hardship(60));
    h.press("tab"); // D7 typed
    h.press("7"); // D8 健康帮扶
    h.press("2 tab"); // D9 就业帮扶
    h.type_text("202112");
    h.press("ctrl-k ctrl-t enter"); // verify A, the review, its confirm key
    let lb = h.stored();
    assert_eq!(lb.form.state, FormState::Submitted, "{:?}", h.errors);
    assert_eq!(lb.form.answers.get("D1"), Some(&list(&["王五"])));
    assert_eq!(lb.form.answers.get("D2"), Some(&list(&["13800001111"])));
    assert_eq!(lb.form.answers.get("B4"), Some(&Value::Bool(true)));
    assert_eq!(lb.form.answers.get("D6"), Some(&Value::Multi(vec![0])));
    eprintln!("not eliminated: keys besides typed text: {}", h.keystrokes);
    assert_eq!(h.keystrokes, 16);
    assert!(h.keystrokes <= 20);
}

#[test]
fn keystrokes_for_a_typical_eliminated_household() {
    let mut h = second_household(Some(month(2021, 3)));
    h.press("ctrl-l 2 3 1 2"); // B in one key; C1 否, C2 9000-13500元, C3 外出务工, C4 否
    h.press("1"); // D1/D2 from the previous household, on to D3
    assert_eq!(h.ed.current(), "D3");
    h.press("1"); // D3 产业帮扶, on to D4
    h.press("2"); // D4 就业帮扶
    h.press("ctrl-k ctrl-t enter");
    let lb = h.stored();
    assert_eq!(lb.form.state, FormState::Submitted, "{:?}", h.errors);
    assert_eq!(lb.form.answers.get("D4"), Some(&Value::Multi(vec![1])));
    eprintln!("eliminated: keys besides typed text: {}", h.keystrokes);
    assert_eq!(h.keystrokes, 11);
    assert!(h.keystrokes <= 12);
}

#[test]
fn keystrokes_without_the_shortcuts_typing_d1_d2_and_each_b_answer() {
    let mut h = second_household(None);
    h.press(&bc_keys(2));
    h.monitor("李娜", "13912345678"); // typed: two Tabs
    h.press("4 1 tab");
    h.type_text(&hardship(60));
    h.press("tab 7 2 tab");
    h.type_text("202112");
    h.press("ctrl-k ctrl-t enter");
    assert_eq!(h.stored().form.state, FormState::Submitted, "{:?}", h.errors);
    eprintln!("not eliminated, no shortcuts: {}", h.keystrokes);
    assert_eq!(h.keystrokes, 20);
}
