//! The app driven by keys, without a terminal or a store: the clerk's path
//! of the notice (township → village → 边缘户 → find → card) and the rules
//! around it.

mod ui_support;

use huitoukan::form::options;
use huitoukan::model::FormState;
use huitoukan::ui::app::{self, Effect, Focus, Loaded, Screen};
use huitoukan::ui::form::FormEffect;
use huitoukan::ui::keymap::{Keymap, Mode};
use huitoukan::ui::places::PlaceSel;
use pinyin::ToPinyin;
use ui_support::*;

fn initials(name: &str) -> String {
    name.chars().filter_map(|c| c.to_pinyin()).map(|p| p.first_letter()).collect()
}

#[test]
fn township_village_marginal_find_by_initials_then_card() {
    let recs = records(3000);
    let mut app = app_with(&recs, plain());
    assert_eq!(app.mode(), Mode::Browse);
    assert_eq!(app.focus, Focus::Places);

    // Choose the third township: to the top, then down its rows as shown.
    press(&mut app, &["home"]);
    assert_eq!(app.places.sel, PlaceSel::All);
    assert_eq!(app.list.rows.len(), 3000, "全部乡镇 lists every household");
    let mut presses = 0;
    while app.places.sel != PlaceSel::Township(2) {
        press(&mut app, &["j"]);
        presses += 1;
        assert!(presses < 100, "never reached the third township");
    }
    let township = app.tree.townships[2].name.clone();
    assert_eq!(app.list.rows.len(), app.tree.townships[2].counts.households);
    assert!(app.list.rows.iter().all(|&i| app.summaries[i as usize].place.township == township));

    // Its second village.
    press(&mut app, &["j", "j"]);
    assert_eq!(app.places.sel, PlaceSel::Village(2, 1));
    let village = app.tree.townships[2].villages[1].name.clone();
    let in_village = app.list.rows.len();
    assert!(in_village > 5, "{in_village}");
    assert!(app.list.rows.iter().all(|&i| app.summaries[i as usize].place.village == village));

    // Into the list, 边缘户 only.
    press(&mut app, &["enter", "c"]);
    assert_eq!(app.focus, Focus::Households);
    assert_eq!(app.filters.category, Some(options::CATEGORY_MARGINAL));
    assert!(!app.list.rows.is_empty() && app.list.rows.len() < in_village);
    assert!(app.list.rows.iter().all(|&i| app.summaries[i as usize].category == options::CATEGORY_MARGINAL));
    assert!(screen_text(&draw(&app, 80, 24)).contains("类别:边缘户"), "the active filter is on screen");

    // Find the last of them by pinyin initials, in this village.
    let target = app.summaries[*app.list.rows.last().unwrap() as usize].clone();
    press(&mut app, &["/"]);
    assert_eq!(app.mode(), Mode::Find);
    type_text(&mut app, &initials(&target.head));
    let found: Vec<_> = app.list.rows.iter().map(|&i| &app.summaries[i as usize]).collect();
    assert!(found.iter().any(|s| s.key == target.key), "{} not found by {}", target.head, initials(&target.head));
    assert!(found.iter().all(|s| initials(&s.head).starts_with(&initials(&target.head)) && s.category == options::CATEGORY_MARGINAL));
    assert!(found.iter().all(|s| s.place.village == village), "scope is the village");

    // To the list, onto the target, and open its card.
    press(&mut app, &["tab"]);
    assert_eq!(app.mode(), Mode::Browse);
    while app.selected().map(|s| s.key) != Some(target.key) {
        press(&mut app, &["j"]);
    }
    let effects = press(&mut app, &["space"]);
    assert_eq!(effects, vec![Effect::Card(target.key)]);
    app.loaded(Loaded::Card(target.key, recs[target.key as usize - 1].clone()));
    assert!(matches!(app.screens.last(), Some(Screen::Card(c)) if c.key == target.key));
    assert_eq!(app.mode(), Mode::Viewer);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains(&format!("户卡片：{}", target.head)), "{text}");
    assert!(text.contains(&huitoukan::form::idnum::mask(&target.id_number)), "masked ID on the card");
    assert!(!text.contains(&target.id_number));

    // A key away: the history; back twice lands on the list again.
    assert_eq!(press(&mut app, &["h"]), vec![Effect::History(target.key)]);
    press(&mut app, &["esc"]);
    assert!(app.screens.is_empty());
    assert_eq!(app.selected().map(|s| s.key), Some(target.key));
}

#[test]
fn find_across_the_store_shows_places_and_narrows_per_key() {
    let recs = records(3000);
    let mut app = app_with(&recs, plain());
    press(&mut app, &["ctrl-f"]);
    assert_eq!(app.mode(), Mode::Find);
    assert_eq!(app.list.rows.len(), 3000, "an empty box shows everything in scope");
    type_text(&mut app, "z");
    let z = app.list.rows.len();
    type_text(&mut app, "h");
    let zh = app.list.rows.len();
    assert!(zh <= z && zh > 0, "{z} {zh}");
    press(&mut app, &["backspace"]);
    assert_eq!(app.list.rows.len(), z, "deleting widens again");
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("乡镇") && text.contains("村(社区)"), "{text}");
    assert!(text.contains("查找（全部乡镇）"));

    // Last four digits of an ID.
    let id = app.summaries[1234].id_number.clone();
    let tail = &id[id.len() - 4..];
    press(&mut app, &["backspace"]);
    type_text(&mut app, &tail[..3]);
    assert!(app.list.rows.is_empty(), "three digits are not enough");
    assert!(screen_text(&draw(&app, 80, 24)).contains("至少输入最后4位"));
    type_text(&mut app, &tail[3..]);
    assert!(app.list.rows.contains(&1234));

    // Ctrl-F again switches to the place; Esc closes the find.
    press(&mut app, &["ctrl-f"]);
    assert!(app.list.rows.iter().all(|&i| app.summaries[i as usize].place == app.summaries[app.list.rows[0] as usize].place));
    press(&mut app, &["esc"]);
    assert!(app.find.is_none());
    assert_eq!(app.list.rows.len(), app.tree.members(app.places.sel).len());
}

#[test]
fn filters_cycle_and_clear_and_stay_visible() {
    let recs = records(600);
    let mut app = app_with(&recs, plain());
    press(&mut app, &["home"]);
    press(&mut app, &["s"]);
    assert!(app.list.rows.iter().all(|&i| app.summaries[i as usize].state == FormState::Empty));
    press(&mut app, &["s", "r"]);
    assert!(app.list.rows.iter().all(|&i| {
        let s = &app.summaries[i as usize];
        s.state == FormState::Draft && s.eliminated.is_none()
    }));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("表单:草稿") && text.contains("风险:未消除"), "{text}");
    assert!(text.contains(&format!("显示{}/600户", app.list.rows.len())));
    press(&mut app, &["x"]);
    assert_eq!(app.list.rows.len(), 600);
}

#[test]
fn reveal_shows_one_full_id_until_the_cursor_moves() {
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    press(&mut app, &["tab"]);
    let id = app.selected().unwrap().id_number.clone();
    assert!(!screen_text(&draw(&app, 80, 24)).contains(&id));
    press(&mut app, &["i"]);
    assert!(screen_text(&draw(&app, 80, 24)).contains(&id));
    press(&mut app, &["j"]);
    assert_eq!(app.revealed, None);
    assert!(!screen_text(&draw(&app, 80, 24)).contains(&id));
}

#[test]
fn enter_opens_the_form_and_the_form_moves_through_the_list() {
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    press(&mut app, &["enter"]);
    let first = app.selected().unwrap().key;
    let effects = press(&mut app, &["enter"]);
    assert_eq!(effects, vec![Effect::OpenForm(first)]);
    app.loaded(Loaded::Form(first, recs[first as usize - 1].clone(), None));
    assert!(matches!(app.mode(), Mode::Form | Mode::Choice | Mode::Text | Mode::Dialog));
    // The editor asks for the next household: the list moves and the next form is loaded.
    let next = app.summaries[app.list.rows[1] as usize].key;
    let out = app.form_moved(FormEffect::OpenNext);
    assert_eq!(out.last(), Some(&Effect::OpenForm(next)));
    assert_eq!(app.selected().unwrap().key, next);
    app.loaded(Loaded::Form(next, recs[next as usize - 1].clone(), None));
    assert_eq!(app.screens.len(), 1, "the next form replaces the last");
    // Help and statistics open over the form; Esc comes back to it.
    press(&mut app, &["f1"]);
    assert!(matches!(app.screens.last(), Some(Screen::Help(_))));
    press(&mut app, &["esc"]);
    assert!(matches!(app.screens.last(), Some(Screen::Form(_))));
    assert!(matches!(press(&mut app, &["f5"]).as_slice(), [Effect::Stats { .. }]));
    app.form_moved(FormEffect::Close);
    assert!(app.screens.is_empty());
}

#[test]
fn a_saved_summary_updates_counts_list_and_index() {
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    press(&mut app, &["tab"]);
    let mut s = app.selected().unwrap().clone();
    let (t, v) = app.tree.village_of(&s).unwrap();
    let before = app.tree.townships[t].villages[v].counts;
    let submitted = app.tree.total.submitted;
    assert_ne!(s.state, FormState::Submitted);
    s.state = FormState::Submitted;
    s.errors = 0;
    app.form_saved(None, Some(s.clone()));
    assert_eq!(app.tree.townships[t].villages[v].counts.submitted, before.submitted + 1);
    assert_eq!(app.tree.total.submitted, submitted + 1);
    assert_eq!(app.selected().unwrap(), &s, "still selected, now submitted");
}

#[test]
fn store_errors_go_to_the_status_line_and_keymap_warnings_once() {
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    let mut km = Keymap::shipped();
    let warnings = km.apply_toml("[browse]\n\"hyper-q\" = \"quit\"\n", "keymap.toml");
    app.warn(warnings);
    assert!(screen_text(&draw(&app, 80, 24)).contains("keymap.toml"));
    press(&mut app, &["j"]);
    assert!(app.status.is_none(), "shown once");
    app.form_failed("磁盘已满，数据没有保存".into());
    assert!(screen_text(&draw(&app, 80, 24)).contains("磁盘已满"));
    press(&mut app, &["z"]);
    assert!(app.status.as_ref().unwrap().text.contains("没有功能"), "an unbound key says what to do");
}

#[test]
fn paste_starts_a_store_wide_find_and_repeats_and_releases_are_ignored() {
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    let name = app.summaries[42].head.clone();
    app::paste(&mut app, &format!("{name}\n"));
    assert!(app.list.rows.contains(&42));
    let mut ev = huitoukan::ui::keymap::Key::parse("esc").unwrap().to_event();
    ev.kind = crossterm::event::KeyEventKind::Release;
    assert!(app::handle_key(&mut app, ev).is_empty());
    assert!(app.find.is_some(), "a release is not a press");
}

#[test]
fn quit_from_anywhere_but_the_form_leaves_at_once() {
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    press(&mut app, &["?"]);
    press(&mut app, &["ctrl-q"]);
    assert!(app.quit);
    assert!(app.pending_saves().is_empty());
}
