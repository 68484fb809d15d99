//! The traps of issue 14, each as keys → state through the keymap, as the
//! app routes them: no key sequence gives another answer than the one the
//! screen shows.

mod form_support;

use form_support::*;
use huitoukan::form::Value;
use huitoukan::ui::form::FormEffect;

/// Tab until the cursor is on `code` (at most the whole form).
fn go(h: &mut Harness, code: &str) {
    for _ in 0..40 {
        if h.ed.current() == code {
            return;
        }
        h.press("tab");
    }
    panic!("never reached {code}, stuck at {}", h.ed.current());
}

fn not_eliminated() -> Harness {
    Harness::new(vec![section_a(1, "张三", None)])
}

/// The editor box's option line for `label`, as drawn.
fn option_line<'a>(screen: &'a str, label: &str) -> &'a str {
    screen.lines().find(|l| l.contains(label) && (l.contains("[x]") || l.contains("[ ]") || l.contains("[!]"))).unwrap_or("")
}

#[test]
fn trap1_every_checklist_key_toggles_at_once_and_the_screen_says_so() {
    let mut h = not_eliminated();
    go(&mut h, "D9");
    // On the old editor `1` then `1 0` gave 扶志扶智 alone (11), 产业帮扶 dropped silently.
    h.press("1");
    assert_eq!(h.ed.answers().get("D9"), Some(&Value::Multi(vec![0])));
    assert!(h.screen().contains("[x]1.产业帮扶"), "{}", h.screen());
    h.press("0");
    assert_eq!(h.ed.answers().get("D9"), Some(&Value::Multi(vec![0, 9])), "0 is the tenth, 产业帮扶 stays");
    let screen = h.screen();
    assert!(screen.contains("[x]0.综合保障"), "{screen}");
    assert!(screen.contains("[x]1.产业帮扶"), "{screen}");
    h.press("-");
    assert_eq!(h.ed.answers().get("D9"), Some(&Value::Multi(vec![0, 9, 10])), "- is the eleventh");
    h.press("1");
    assert_eq!(h.ed.answers().get("D9"), Some(&Value::Multi(vec![9, 10])), "a second 1 takes the tick off again");
    // Whatever the sequence, the answer is what the screen shows.
    let screen = h.screen();
    for (i, label) in ["产业帮扶", "综合保障", "扶志扶智"].iter().enumerate() {
        let ticked = option_line(&screen, label).contains(&format!("[x]{}.{label}", ["1", "0", "-"][i]));
        assert_eq!(ticked, i > 0, "{label}: {screen}");
    }
}

#[test]
fn trap2_a_tick_repeating_the_main_answer_comes_off_by_its_key_or_space() {
    let mut h = not_eliminated();
    go(&mut h, "D8");
    h.press("3"); // D8 金融帮扶, on to D9
    assert_eq!(h.ed.current(), "D9");
    h.press("1 2 shift-tab");
    assert_eq!(h.ed.current(), "D8");
    h.press("1"); // D8 becomes 产业帮扶, already ticked in D9
    assert_eq!(h.ed.current(), "D9");
    let screen = h.screen();
    assert!(screen.contains("[!]1.产业帮扶"), "the repeated tick is shown ticked and wrong: {screen}");
    assert!(screen.contains("去掉这一勾"), "the message says how to take it off: {screen}");
    h.press("1");
    assert_eq!(h.ed.answers().get("D9"), Some(&Value::Multi(vec![1])), "its number takes it off, 就业帮扶 stays");
    assert!(!h.screen().contains("不能再选"), "the repeat error is gone: {}", h.screen());
    assert!(!h.screen().contains("[!]"), "{}", h.screen());
    h.press("1");
    assert_eq!(h.ed.answers().get("D9"), Some(&Value::Multi(vec![1])), "and it cannot be put back on");
    // Space on the highlighted repeated tick takes it off too.
    h.press("shift-tab 2");
    assert_eq!(h.ed.current(), "D9");
    assert!(h.screen().contains("[!]2.就业帮扶"), "{}", h.screen());
    h.press("left right right space");
    assert_eq!(h.ed.answers().get("D9"), None, "space took the repeated tick off");
}

#[test]
fn trap2_clearing_a_checklist_says_it_cleared_every_tick() {
    let mut h = not_eliminated();
    go(&mut h, "D9");
    h.press("1 2 ctrl-d");
    assert_eq!(h.ed.answers().get("D9"), None);
    let notice = h.ed.notice().unwrap_or_default().to_string();
    assert!(notice.contains("全部勾选"), "{notice}");
}

#[test]
fn trap3_every_option_key_of_a_single_choice_moves_on_at_once() {
    for key in ["1", "2", "9", "0"] {
        let mut h = not_eliminated();
        go(&mut h, "D5"); // ten current risks
        h.press(key);
        assert_eq!(h.ed.current(), "D6", "{key} in a ten-option list");
        let mut h = not_eliminated();
        go(&mut h, "D8"); // eleven measures
        h.press(key);
        assert_eq!(h.ed.current(), "D9", "{key} in an eleven-option list");
    }
    let mut h = not_eliminated();
    go(&mut h, "D8");
    h.press("-");
    assert_eq!(h.ed.answers().get("D8"), Some(&Value::Choice(10)));
    assert_eq!(h.ed.current(), "D9");
}

#[test]
fn trap4_a_phone_with_spaces_is_one_phone() {
    let mut h = not_eliminated();
    go(&mut h, "D1");
    h.type_text("王五");
    h.press("tab");
    h.type_text("138 9654 1234");
    assert_eq!(h.ed.answers().get("D2"), Some(&list(&["13896541234"])));
    assert!(!h.screen().contains("无姓名"), "{}", h.screen());
    h.press("ctrl-d");
    h.type_text("139-1234-5678");
    assert_eq!(h.ed.answers().get("D2"), Some(&list(&["13912345678"])));
}

#[test]
fn trap4_a_seven_digit_landline_under_023_is_an_error() {
    let mut h = not_eliminated();
    go(&mut h, "D1");
    h.type_text("王五");
    h.press("tab");
    h.type_text("023-7886544");
    h.press("tab");
    let stored = h.stored();
    assert_eq!(stored.form.answers.get("D2"), Some(&list(&["023-7886544"])), "kept as typed");
    let findings = stored.findings(h.store.round());
    let d2: Vec<_> = findings.iter().filter(|f| f.code == "D2").collect();
    assert!(d2.iter().any(|f| f.message.contains("8位")), "{d2:?}");
    // Nor does any message suggest a 7-digit local number under 023.
    h.press("shift-tab ctrl-d");
    h.type_text("7886544");
    h.press("tab");
    let findings = h.stored().findings(h.store.round());
    let d2: Vec<_> = findings.iter().filter(|f| f.code == "D2").map(|f| f.message.clone()).collect();
    assert!(d2.iter().any(|m| m.contains("区号")) && !d2.iter().any(|m| m.replace("023-78865441", "").contains("023-7886544")), "{d2:?}");
}

#[test]
fn trap4_a_fourth_name_is_refused_not_glued_onto_the_third() {
    let mut h = not_eliminated();
    go(&mut h, "D1");
    h.type_text("张三 李四 王五 赵六");
    assert_eq!(h.ed.answers().get("D1"), Some(&list(&["张三", "李四", "王五"])));
    assert!(h.ed.notice().unwrap_or_default().contains("最多"), "{:?}", h.ed.notice());
}

#[test]
fn trap4_a_name_with_digits_is_an_error() {
    let mut h = not_eliminated();
    go(&mut h, "D1");
    h.type_text("abc123");
    h.press("tab");
    let findings = h.stored().findings(h.store.round());
    assert!(findings.iter().any(|f| f.code == "D1" && f.message.contains("abc123")), "{findings:?}");
}

#[test]
fn trap5_esc_with_a_changed_field_saves_and_leaves() {
    let mut h = not_eliminated();
    go(&mut h, "D7");
    h.type_text("正在输入的情况说明");
    h.press("esc");
    assert!(h.closed, "Esc leaves the form");
    assert!(!h.ed.has_dialog());
    assert_eq!(h.stored().form.answers.get("D7"), Some(&Value::Text("正在输入的情况说明".into())), "and saved the typing");
    assert!(h.effects.iter().any(|e| matches!(e, FormEffect::SaveDraft { .. })));
}

/// A complete not-eliminated household with no warnings, cursor on D10.
fn complete(h: &mut Harness) {
    h.press(&bc_keys(2));
    h.monitor("王五", "13800001111");
    h.press("4 1 tab");
    h.type_text("户主患慢性病长期服药每月自付医药费约三百元家中缺少劳动力");
    h.press("tab 7 2 tab");
    h.type_text("202112");
}

#[test]
fn trap9_submit_shows_every_answer_on_one_screen_and_one_key_confirms() {
    let mut h = not_eliminated();
    complete(&mut h);
    h.press("ctrl-k ctrl-t");
    assert_eq!(h.stored().form.state, huitoukan::model::FormState::Draft, "no submit without a look, even with no warnings");
    let screen = h.screen();
    assert!(screen.contains("提交前核查一遍"), "{screen}");
    for answer in [
        "B1 否",
        "B4 是",
        "C2 6000-9000元",
        "D1 王五",
        "D2 138****1111",
        "D5 缺劳动力",
        "D6 因病",
        "D8 健康帮扶",
        "D9 就业帮扶",
        "D10 2021-12",
    ] {
        assert!(screen.contains(answer), "{answer} on the review: {screen}");
    }
    h.press("enter");
    assert_eq!(h.stored().form.state, huitoukan::model::FormState::Submitted, "{:?}", h.errors);
}

#[test]
fn trap8_verifying_section_a_is_its_own_act_and_counted_in_the_status() {
    let mut h = not_eliminated();
    complete(&mut h);
    assert!(h.screen().contains("A未核实"), "the status line counts it: {}", h.screen());
    h.press("ctrl-t enter");
    let lb = h.stored();
    assert!(!lb.household.verified, "confirming the review never verifies section A");
    assert_eq!(lb.form.state, huitoukan::model::FormState::Draft);
    h.press("ctrl-k");
    assert!(h.stored().household.verified);
    h.press("enter");
    assert_eq!(h.stored().form.state, huitoukan::model::FormState::Submitted, "{:?}", h.errors);
}

#[test]
fn trap8_warnings_take_one_key_not_one_each_plus_a_final_one() {
    let mut h = not_eliminated();
    h.press("2 2 2 1 1 4 2 2"); // C1 是 and C2 13500元以上: two warnings
    h.monitor("王五", "13800001111");
    h.press("5 tab");
    h.type_text("家中缺少劳动力，耕地大部分撂荒，老人年过八十需要照料。");
    h.press("tab 9 tab");
    h.type_text("202506"); // a third warning
    h.press("ctrl-k ctrl-t");
    let before = h.keystrokes;
    h.press("enter");
    assert_eq!(h.keystrokes - before, 1);
    let lb = h.stored();
    assert_eq!(lb.form.state, huitoukan::model::FormState::Submitted, "{:?}", h.errors);
    assert_eq!(lb.form.confirmed.len(), 3);
}

/// Three households of one village; the first two saved with their people.
fn village_with_people() -> Harness {
    let mut h = Harness::new(vec![section_a(1, "张三", None), section_a(2, "李四", None), section_a(3, "王二", None)]);
    go(&mut h, "D1");
    h.monitor("王五", "13800001111");
    h.press("ctrl-n");
    go(&mut h, "D1");
    h.monitor("李娜", "13912345678");
    h.press("ctrl-n");
    go(&mut h, "D1");
    h
}

#[test]
fn d1_d2_offers_the_village_people_previous_first_and_one_digit_takes_name_and_phone() {
    let mut h = village_with_people();
    let screen = h.screen();
    assert!(screen.contains("1 李娜 139****5678（上一户）"), "{screen}");
    assert!(screen.contains("2 王五 138****1111（本村）"), "{screen}");
    h.press("2");
    assert_eq!(h.ed.answers().get("D1"), Some(&list(&["王五"])));
    assert_eq!(h.ed.answers().get("D2"), Some(&list(&["13800001111"])));
    assert_eq!(h.ed.current(), "D5", "past D2 in one key");
    assert_eq!(h.stored().form.answers.get("D2"), Some(&list(&["13800001111"])), "saved on leaving");
}

#[test]
fn d1_offers_narrow_as_the_clerk_types_by_hanzi_or_pinyin() {
    let mut h = village_with_people();
    h.type_text("w");
    let screen = h.screen();
    assert!(screen.contains("1 王五"), "{screen}");
    assert!(!screen.contains("李娜"), "{screen}");
    h.press("1");
    assert_eq!(h.ed.answers().get("D1"), Some(&list(&["王五"])), "the typed w is replaced by the name");
    assert_eq!(h.ed.answers().get("D2"), Some(&list(&["13800001111"])));
    // A name nobody has: typing goes on as text, no offer.
    let mut h = village_with_people();
    h.type_text("赵");
    assert!(!h.screen().contains("按数字填入"), "{}", h.screen());
}

#[test]
fn a_phone_for_a_known_name_that_differs_is_a_warning() {
    let mut h = village_with_people();
    h.type_text("王五");
    h.press("tab");
    h.type_text("13700009999");
    h.press("tab");
    assert_eq!(h.ed.counts().1, 1, "one warning");
    h.press("shift-tab");
    let screen = h.screen();
    assert!(screen.contains("138****1111不同"), "{screen}");
}

#[test]
fn section_b_in_one_key_is_shown_and_saved() {
    let mut h = not_eliminated();
    h.press("ctrl-l");
    assert_eq!(h.ed.current(), "C1");
    let stored = h.stored().form.answers;
    for (code, v) in [("B1", false), ("B2", false), ("B3", false), ("B4", true)] {
        assert_eq!(stored.get(code), Some(&Value::Bool(v)), "{code}");
    }
    assert!(h.ed.notice().unwrap_or_default().contains("否、否、否、是"), "{:?}", h.ed.notice());
}

#[test]
fn trap7_the_field_being_typed_is_saved_after_a_pause_without_leaving_it() {
    use std::time::{Duration, Instant};
    let mut h = not_eliminated();
    go(&mut h, "D7");
    let t0 = Instant::now();
    h.type_text("户主患慢性病长期服药");
    assert!(h.ed.tick(t0).is_empty(), "typing has only just stopped");
    assert!(h.ed.tick(t0 + Duration::from_millis(1000)).is_empty(), "a second is not a pause yet");
    let fx = h.ed.tick(t0 + Duration::from_millis(1600));
    assert!(matches!(&fx[..], [FormEffect::SaveDraft { .. }]), "{fx:?}");
    h.run(fx);
    assert_eq!(h.stored().form.answers.get("D7"), Some(&Value::Text("户主患慢性病长期服药".into())), "on disk: a kill now loses nothing");
    assert_eq!(h.ed.current(), "D7", "still typing in the same field");
    assert!(!h.ed.is_dirty());
    assert!(h.ed.tick(t0 + Duration::from_millis(5000)).is_empty(), "nothing new: no second save");
    // More typing, a key every 500 ms: no save while the keys keep coming.
    let mut t = t0 + Duration::from_millis(5000);
    for c in "每月自付".chars() {
        h.type_text(&c.to_string());
        t += Duration::from_millis(500);
        assert!(h.ed.tick(t).is_empty());
    }
    let fx = h.ed.tick(t + Duration::from_millis(1600));
    h.run(fx);
    assert_eq!(h.stored().form.answers.get("D7"), Some(&Value::Text("户主患慢性病长期服药每月自付".into())));
}

#[test]
fn labels_use_the_width_of_a_wider_terminal() {
    let h = not_eliminated();
    let plain = huitoukan::ui::theme::Theme { ascii: false, color: false };
    let wide = h.screen_at(100, 30, plain);
    assert!(wide.contains("是否有6-16周岁适龄儿童或少年因贫失学辍学"), "{wide}");
    assert!(wide.contains("是否为收入骤减、支出骤增的严重困难户"), "{wide}");
    let narrow = h.screen_at(80, 24, plain);
    assert!(narrow.contains("是否有6-16周岁适龄儿童或少年…"), "80 columns keep the value's room: {narrow}");
}

#[test]
fn trap8_confirmations_are_remembered_with_their_values_through_a_reopen() {
    let mut h = not_eliminated();
    h.press("2 2 2 1 1 4 2 2"); // C1 是 (new_four_kinds) and C2 13500元以上 (not_eliminated_high_income)
    h.monitor("王五", "13800001111");
    h.press("5 tab");
    h.type_text("家中缺少劳动力，耕地大部分撂荒，老人年过八十需要照料。");
    h.press("tab 9 tab");
    h.type_text("202112");
    h.press("ctrl-k ctrl-t enter");
    let lb = h.stored();
    assert_eq!(lb.form.state, huitoukan::model::FormState::Submitted, "{:?}", h.errors);
    assert_eq!(lb.form.confirmations.len(), 2, "{:?}", lb.form.confirmations);
    let c1 = lb.form.confirmations.iter().find(|c| c.rule == "not_eliminated_high_income").unwrap();
    let codes: Vec<&str> = c1.values.iter().map(|(c, _)| c.as_str()).collect();
    assert!(codes.contains(&"C2") && codes.contains(&"C4") && codes.contains(&"A8"), "what it depends on: {codes:?}");

    // Reopened, nothing they depend on changed: the review says both were confirmed.
    h.press("ctrl-o y");
    assert_eq!(h.stored().form.confirmations.len(), 2, "kept through a reopen");
    h.press("ctrl-t");
    let screen = h.screen();
    assert!(screen.contains("2条提示上次已确认、答案未变"), "{screen}");
    h.press("esc");
    go_back_to(&mut h, "C2");
    h.press("3"); // C2 9000-13500元: the high-income warning is gone; new_four_kinds stays confirmed
    h.press("ctrl-t");
    let screen = h.screen();
    assert!(screen.contains("1条提示上次已确认、答案未变"), "{screen}");
    h.press("esc");
    go_back_to(&mut h, "C1");
    h.press("2 shift-tab 1"); // C1 否, back, 是 again: the same value, still covered
    h.press("ctrl-t");
    assert!(h.screen().contains("1条提示上次已确认、答案未变"), "{}", h.screen());
    h.press("enter");
    assert_eq!(h.stored().form.state, huitoukan::model::FormState::Submitted, "{:?}", h.errors);
}

fn go_back_to(h: &mut Harness, code: &str) {
    for _ in 0..40 {
        if h.ed.current() == code {
            return;
        }
        h.press("shift-tab");
    }
    panic!("never reached {code}");
}

#[test]
fn in_field_keys_come_from_the_keymap_and_a_user_keymap_moves_them() {
    use huitoukan::ui::action::Action;
    use huitoukan::ui::keymap::{Key, Mode};
    let km = huitoukan::ui::keymap::Keymap::shipped();
    let bound = |mode: Mode, key: &str| km.action(mode, Key::parse(key).unwrap());
    assert_eq!(bound(Mode::Choice, "0"), Some(Action::Option10));
    assert_eq!(bound(Mode::Choice, "-"), Some(Action::Option11));
    assert_eq!(bound(Mode::Choice, "y"), Some(Action::ChooseYes));
    assert_eq!(bound(Mode::Choice, "space"), Some(Action::Toggle));
    assert_eq!(bound(Mode::Choice, "tab"), Some(Action::NextField), "then [form]");
    assert_eq!(bound(Mode::Text, "backspace"), Some(Action::DeleteBack));
    assert_eq!(bound(Mode::Text, "ctrl-d"), Some(Action::ClearField), "then [form]");
    assert_eq!(bound(Mode::Text, "a"), None, "characters are text");
    // A clerk's keymap: 是/否 on j/k, the old digit 1 unbound.
    let mut h = not_eliminated();
    let warnings = h.keymap.apply_toml("[choice]\n\"j\" = \"choose-yes\"\n\"k\" = \"choose-no\"\n\"1\" = \"noop\"\n", "user");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(h.ed.current(), "B1");
    h.press("1");
    assert_eq!(h.ed.answers().get("B1"), None, "unbound by the clerk");
    h.press("j k");
    assert_eq!(h.ed.answers().get("B1"), Some(&Value::Bool(true)));
    assert_eq!(h.ed.answers().get("B2"), Some(&Value::Bool(false)));
    // The help lists them with the rest.
    let help = huitoukan::ui::help::Help::new(&h.keymap, Mode::Choice, &[]);
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 40)).unwrap();
    t.draw(|f| help.render(f, f.area(), &huitoukan::ui::theme::Theme { ascii: false, color: false })).unwrap();
    let screen = screen_text(t.backend().buffer());
    assert!(screen.contains("选择题里") && screen.contains("option-10") && screen.contains("choose-yes"), "{screen}");
}

#[test]
fn option_keys_shown_on_screen_follow_the_keymap() {
    let mut h = not_eliminated();
    let warnings = h.keymap.apply_toml("[choice]\n\"a\" = \"option-10\"\n\"0\" = \"noop\"\n", "user");
    assert!(warnings.is_empty(), "{warnings:?}");
    go(&mut h, "D9");
    let screen = h.screen();
    assert!(screen.contains("[ ]a.综合保障"), "{screen}");
    h.press("0");
    assert_eq!(h.ed.answers().get("D9"), None, "0 unbound");
    h.press("a");
    assert_eq!(h.ed.answers().get("D9"), Some(&Value::Multi(vec![9])));
    // The repeat message names the clerk's key too.
    h.press("shift-tab a");
    assert_eq!(h.ed.current(), "D9");
    assert!(h.screen().contains("按a（或移到该项按空格）去掉这一勾"), "{}", h.screen());
}
