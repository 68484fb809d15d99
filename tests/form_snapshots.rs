//! The form at 80×24 (ratatui TestBackend): with errors showing, with the D7
//! editor, with the review before submitting, and the B4 helper with ASCII borders.

mod form_support;

use form_support::*;
use huitoukan::ui::theme::Theme;

fn snap(h: &Harness) -> String {
    redact_time(&h.screen())
}

#[test]
fn form_with_errors_showing() {
    let mut h = Harness::new(vec![section_a(1, "张三", None)]);
    h.press(&bc_keys(2));
    h.monitor("王五", "1380000111");
    h.press("4 tab");
    h.type_text("家里困难");
    h.press("tab tab tab");
    h.type_text("2020-12");
    h.press("ctrl-t esc");
    assert_eq!(h.ed.current(), "D2", "the first error");
    insta::assert_snapshot!("form_errors", snap(&h));
}

#[test]
fn form_with_the_d7_editor() {
    let mut h = Harness::new(vec![section_a(2, "李四", None)]);
    h.press("2 2 2 1 2 1 3 1");
    h.monitor("赵六", "023-78865441");
    h.press("1 3 4 tab"); // D5 因病 moves on at once; D6 因残、缺劳动力
    h.type_text("户主李四2020年3月在县人民医院确诊尿毒症，每周透析两次，平均每月自付医药费约1200元；");
    h.paste("妻子在家照顾，无固定收入。\n儿子在外务工，月收入约2500元，");
    h.type_text("家庭主要收入来源为务工和低保。");
    insta::assert_snapshot!("form_d7_editor", snap(&h));
}

#[test]
fn form_with_the_review_before_submitting() {
    let mut h = Harness::new(vec![section_a(3, "王二", None)]);
    h.press("2 2 2 1 1 4 2 2"); // C1 是 and C2 13500元以上: two warnings
    h.monitor("王五", "13800001111");
    h.press("5 tab");
    h.type_text("家中缺少劳动力，耕地大部分撂荒，老人年过八十需要照料。");
    h.press("tab 9 tab");
    h.type_text("202506"); // more than 36 months away: a third warning
    h.press("ctrl-t");
    insta::assert_snapshot!("form_submit_review", snap(&h));
}

#[test]
fn form_water_helper_with_ascii_borders() {
    let mut h = Harness::new(vec![section_a(4, "陈六", None)]);
    h.press("2 2 2 ctrl-y");
    assert_eq!(h.ed.current(), "B4");
    h.type_text("30");
    h.press("enter");
    h.type_text("3");
    h.press("enter");
    h.type_text("15");
    h.press("enter enter enter");
    h.type_text("92");
    let screen = redact_time(&h.screen_at(80, 24, Theme { ascii: true, color: false }));
    insta::assert_snapshot!("form_water_helper_ascii", screen);
    h.press("enter");
    assert_eq!(h.ed.answers().get("B4"), Some(&huitoukan::form::Value::Bool(false)));
    assert_eq!(h.ed.current(), "C1", "the answer moves on like a typed one");
}
