//! The editor's behaviour key by key: saving on leaving, pastes, input
//! methods, leaving with unsaved text (saved), read-only after submit, section A,
//! heads-down, moving around, and never panicking.

mod form_support;

use form_support::*;
use huitoukan::form::{Value, YearMonth};
use huitoukan::model::FormState;
use huitoukan::ui::form::FormEffect;
use huitoukan::ui::theme::Theme;

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::Text(s)) => s.clone(),
        other => panic!("not text: {other:?}"),
    }
}

/// A complete, valid not-eliminated record, stored as submitted.
fn submitted(h: &Harness) {
    let mut a = bc_answers(2);
    a.extend([
        ("D1", list(&["王五"])),
        ("D2", list(&["13800001111"])),
        ("D5", Value::Choice(0)),
        ("D7", Value::Text("户主患慢性病长期服药每月自付医药费约三百元家中缺少劳动力".into())),
        ("D8", Value::Choice(6)),
        ("D10", Value::Month(YearMonth::new(2021, 12).unwrap())),
    ]);
    h.store.submit(h.key(), &answers(&a), &[], WHO).unwrap();
}

fn reopen_editor(h: &mut Harness) {
    h.ed = huitoukan::ui::form::FormEditor::new(h.key(), h.stored(), h.store.round().clone());
}

#[test]
fn a_field_is_on_disk_when_left_and_the_one_being_typed_on_sighup() {
    let mut h = Harness::new(vec![section_a(1, "张三", None)]);
    h.press("2");
    assert!(matches!(h.effects.last(), Some(FormEffect::SaveDraft { .. })));
    assert_eq!(h.stored().form.answers.get("B1"), Some(&Value::Bool(false)));
    h.press("pagedown pagedown");
    while h.ed.current() != "D7" {
        h.press("tab");
    }
    h.type_text("正在输入的情况说明");
    assert!(h.ed.is_dirty());
    assert!(!h.stored().form.answers.contains_key("D7"), "not saved while typing");
    // SIGHUP: the app asks for what is pending and runs it.
    let fx = h.ed.pending_save().expect("unsaved text is returned");
    h.run(vec![fx]);
    assert_eq!(text_of(h.stored().form.answers.get("D7")), "正在输入的情况说明");
    assert!(!h.ed.is_dirty());
    assert!(h.ed.pending_save().is_none());
}

#[test]
fn a_newline_in_a_paste_never_moves_or_submits() {
    let mut h = Harness::new(vec![section_a(2, "李四", None)]);
    h.paste("是\n");
    assert_eq!(h.ed.current(), "B1");
    assert_eq!(h.ed.answers().get("B1"), Some(&Value::Bool(true)));
    h.press("pagedown pagedown pagedown");
    while h.ed.current() != "D7" {
        h.press("tab");
    }
    h.paste("第一行情况\r\n第二行情况\n");
    assert_eq!(h.ed.current(), "D7");
    assert_eq!(text_of(h.ed.answers().get("D7")), "第一行情况\n第二行情况");
    h.press("tab tab tab");
    assert_eq!(h.ed.current(), "D10");
    h.paste("2021-06\n");
    assert_eq!(h.ed.current(), "D10");
    assert_eq!(h.ed.answers().get("D10"), Some(&Value::Month(YearMonth::new(2021, 6).unwrap())));
    assert!(!h.effects.iter().any(|e| matches!(e, FormEffect::Submit { .. })));
}

#[test]
fn input_method_text_counts_as_characters() {
    let mut h = Harness::new(vec![section_a(3, "王二", None)]);
    h.press("pagedown pagedown pagedown");
    while h.ed.current() != "D7" {
        h.press("tab");
    }
    h.type_text("一二三四五六七八九十一二三四五六七八九");
    assert!(h.screen().contains("19/2000"), "{}", h.screen());
    assert!(h.screen().contains("至少20个字，现有19个字"), "D7 is checked as it is typed");
    h.type_text("十");
    assert!(h.screen().contains("20/2000"));
    assert!(!h.screen().contains("现有"));
}

#[test]
fn leaving_with_unsaved_text_saves_it_like_every_other_way_out() {
    // A name typed into D1, not yet left.
    let typing = |n: u32| {
        let mut h = Harness::new(vec![section_a(n, "陈六", None)]);
        h.press("pagedown pagedown");
        h.type_text("王五");
        h
    };
    let mut h = typing(4);
    h.press("esc");
    assert!(h.closed && !h.ed.has_dialog(), "no question");
    assert_eq!(h.stored().form.answers.get("D1"), Some(&list(&["王五"])));

    // Quit: saved, then quit.
    let mut h = typing(6);
    h.press("ctrl-q");
    assert!(h.quit);
    assert_eq!(h.stored().form.answers.get("D1"), Some(&list(&["王五"])));
    let mut h = Harness::new(vec![section_a(7, "郑九", None)]);
    h.press("esc");
    assert!(h.closed && !h.ed.has_dialog());
}

#[test]
fn a_submitted_form_is_read_only_until_reopened() {
    let mut h = Harness::new(vec![section_a(8, "冯十", None)]);
    submitted(&h);
    reopen_editor(&mut h);
    let before = h.ed.answers().clone();
    h.press("1");
    h.type_text("改");
    assert_eq!(h.ed.answers(), &before);
    assert!(h.ed.notice().unwrap().contains("已提交"), "{:?}", h.ed.notice());
    assert!(h.screen().contains("Ctrl-O 重新打开"), "{}", h.screen());
    h.press("ctrl-s ctrl-d");
    assert!(!h.effects.iter().any(|e| matches!(e, FormEffect::SaveDraft { .. })));
    h.press("ctrl-o");
    assert!(h.ed.has_dialog());
    h.press("y");
    assert_eq!(h.stored().form.state, FormState::Draft);
    assert!(h.store.history(h.key()).unwrap().iter().any(|e| e.new.contains("重新打开")), "reopening is audited");
    h.press("1"); // B1 是: now it takes
    assert_eq!(h.stored().form.answers.get("B1"), Some(&Value::Bool(true)));
}

#[test]
fn section_a_is_verified_by_one_key_and_corrected_explicitly() {
    let mut h = Harness::new(vec![section_a(9, "褚一", None)]);
    h.press("shift-tab shift-tab shift-tab shift-tab shift-tab");
    assert_eq!(h.ed.current(), "A4");
    h.type_text("5");
    assert!(h.ed.notice().unwrap().contains("只需核实"));
    h.press("ctrl-k");
    assert!(h.stored().household.verified);
    h.press("ctrl-k");
    assert!(!h.stored().household.verified);
    h.press("ctrl-r ctrl-d");
    h.type_text("40");
    h.press("enter");
    assert!(h.ed.has_dialog(), "40 is out of range: asked again");
    assert!(h.screen().contains("家庭人口数应在1–30之间"), "{}", h.screen());
    h.press("ctrl-d");
    h.type_text("5");
    h.press("enter");
    assert!(!h.ed.has_dialog());
    assert_eq!(h.stored().household.a.size, 5);
    let hist = h.store.history(h.key()).unwrap();
    assert!(hist.iter().any(|e| e.field == "A4" && e.old == "4" && e.new == "5"), "{hist:?}");
    // Correcting is only for section A.
    h.press("pagedown ctrl-r");
    assert!(!h.ed.has_dialog());
}

#[test]
fn heads_down_saves_and_opens_the_next_and_previous_household() {
    let mut h = Harness::new(vec![section_a(10, "卫二", None), section_a(11, "蒋三", None)]);
    let first = h.key();
    h.press("2 2");
    h.press("ctrl-n");
    assert_ne!(h.key(), first);
    assert_eq!(h.ed.current(), "B1");
    h.press("1 ctrl-p");
    assert_eq!(h.key(), first);
    assert_eq!(h.ed.answers().get("B2"), Some(&Value::Bool(false)), "the draft is there on reopening");
    assert_eq!(h.ed.current(), "B3", "and the cursor is where the clerk stopped");
    assert_eq!(h.store.get(h.keys[1]).unwrap().unwrap().form.answers.get("B1"), Some(&Value::Bool(true)));
}

#[test]
fn moving_by_field_section_and_problem() {
    let mut h = Harness::new(vec![section_a(12, "沈四", None)]);
    h.press("pagedown");
    assert_eq!(h.ed.current(), "C1");
    h.press("pagedown");
    assert_eq!(h.ed.current(), "D1");
    h.press("pageup");
    assert_eq!(h.ed.current(), "C1");
    h.press("down down");
    assert_eq!(h.ed.current(), "C3");
    h.press("up");
    assert_eq!(h.ed.current(), "C2");
    h.press("ctrl-e");
    assert_eq!(h.ed.current(), "C3", "the next field with an error or without an answer");
    // C3 by the first characters of an option, or its pinyin initials.
    h.type_text("发展");
    assert_eq!(h.ed.answers().get("C3"), Some(&Value::Choice(1)));
    h.press("ctrl-d");
    h.type_text("dbzb"); // 低保… no: 低保、特困 is dbtk; this finds nothing
    assert!(h.ed.notice().is_some());
    h.press("ctrl-d");
    h.type_text("wc");
    assert_eq!(h.ed.answers().get("C3"), Some(&Value::Choice(0)), "外出务工 by wc");
    // Inside D7 Up/Down move by line and leave at the edges.
    h.press("pagedown");
    while h.ed.current() != "D7" {
        h.press("tab");
    }
    h.type_text(&"字".repeat(100)); // three rows at 80 columns
    h.screen();
    h.press("up up");
    assert_eq!(h.ed.current(), "D7");
    h.press("up");
    assert_eq!(h.ed.current(), "D6");
}

#[test]
fn warnings_are_shown_on_the_review_and_confirmed_by_its_one_key() {
    let mut h = Harness::new(vec![section_a(13, "韩五", None)]);
    h.press("2 2 2 1 1 2 1 2"); // C1 是: a warning
    h.monitor("王五", "13800001111");
    h.press("5 tab");
    h.type_text("家中缺少劳动力，耕地大部分撂荒，老人年过八十需要照料。");
    h.press("tab 9 tab");
    h.type_text("202112");
    h.press("ctrl-k ctrl-t");
    assert!(h.ed.has_dialog());
    let screen = h.screen();
    assert!(screen.contains("提C1 是"), "the warning is marked at its answer: {screen}");
    assert!(screen.contains("以上1条提示已核实，正式提交"), "{screen}");
    h.press("esc"); // goes back instead of submitting
    assert_eq!(h.stored().form.state, FormState::Draft);
    assert!(!h.ed.has_dialog());
    h.press("ctrl-t enter");
    let lb = h.stored();
    assert_eq!(lb.form.state, FormState::Submitted, "{:?}", h.errors);
    assert_eq!(lb.form.confirmed, ["new_four_kinds"]);
}

/// A fixed pseudo-random walk over keys, pastes and screen sizes: the editor
/// never panics, every effect it asks for is one the store accepts or
/// refuses with a Chinese message, each screen names the household (or asks
/// for a larger window), and what is on disk afterwards is consistent (a submitted form has no
/// error).
#[test]
fn random_keys_never_panic() {
    let keys = [
        "tab",
        "shift-tab",
        "enter",
        "up",
        "down",
        "left",
        "right",
        "home",
        "end",
        "backspace",
        "delete",
        "pageup",
        "pagedown",
        "ctrl-e",
        "ctrl-s",
        "ctrl-t",
        "ctrl-o",
        "ctrl-k",
        "ctrl-r",
        "ctrl-d",
        "ctrl-y",
        "esc",
        "space",
        "y",
        "n",
        "1",
        "2",
        "3",
        "9",
        "0",
        "x",
        "f10",
        "ctrl-z",
        "ctrl-u",
    ];
    let texts = ["张", "三", "2021", "-", "13800001111", "\n", "、", "因病", "，", "12", "是"];
    let mut h = Harness::new(vec![section_a(14, "杨六", None), section_a(15, "朱七", Some(month(2021, 1))), section_a(16, "秦八", None)]);
    let mut seed: u64 = 0x2021_0420;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    for step in 0..4000 {
        match next(10) {
            0 => h.type_text(texts[next(texts.len())]),
            1 => h.paste(texts[next(texts.len())]),
            2 if step % 7 == 0 => h.press(["ctrl-n", "ctrl-p"][next(2)]),
            _ => h.press(keys[next(keys.len())]),
        }
        if h.closed || h.quit {
            h.closed = false;
            h.quit = false;
            reopen_editor(&mut h);
        }
        if step % 97 == 0 {
            let sizes = [(80, 24), (20, 5), (40, 12), (120, 40), (80, 10)];
            let (w, hh) = sizes[next(sizes.len())];
            let screen = h.screen_at(w, hh, Theme { ascii: step % 2 == 0, color: true });
            assert_eq!(screen.lines().count(), hh as usize, "step {step}: {w}×{hh}");
            for line in screen.lines() {
                // Each row is exactly the width (plus screen_text's `|`): no wide character straddles the edge.
                assert_eq!(unicode_width::UnicodeWidthStr::width(line), w as usize + 1, "step {step}: {line}");
            }
            if w >= 80 && hh >= 24 {
                let head = h.stored().household.a.head;
                assert!(screen.contains(&head), "step {step}: {w}×{hh} does not name {head}:\n{screen}");
            } else if w < 30 || hh < 10 {
                assert!(screen.contains("窗口太小"), "step {step}: {w}×{hh}:\n{screen}");
            }
        }
    }
    // The walk did real work: answers saved, and the store saw them.
    let saves = h.effects.iter().filter(|e| matches!(e, FormEffect::SaveDraft { .. })).count();
    assert!(saves > 100, "only {saves} saves in 4000 steps");
    for e in &h.errors {
        assert!(e.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "a refusal not in Chinese: {e}");
    }
    let round = h.store.round().clone();
    let on_disk = h.keys.iter().filter(|&&k| h.store.get(k).unwrap().is_some_and(|lb| !lb.form.answers.is_empty())).count();
    assert!(on_disk > 0, "no answers reached the store");
    for key in h.keys.clone() {
        let lb = h.store.get(key).unwrap().unwrap();
        let summary = huitoukan::model::Summary::of(key, &lb, &round);
        if summary.state == FormState::Submitted {
            assert_eq!(summary.errors, 0, "household {key} submitted with errors: {:?}", lb.form.answers);
        }
    }
}
