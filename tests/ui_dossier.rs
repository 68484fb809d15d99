//! The household's file (户档) of the monitoring handbook, driven by keys
//! through the keymap with the effects run against a real store: the
//! parts it shows, adding a visit in the form editor, voiding with a
//! reason, a member whose ID belongs to another household, and the screen
//! at 80×24.

mod ui_support;

use huitoukan::form::value::Day;
use huitoukan::form::Value;
use huitoukan::store::Store;
use huitoukan::ui::app::{App, Screen};
use huitoukan::ui::effects;
use huitoukan::ui::keymap::Keymap;
use huitoukan::ui::terminal;
use std::sync::Arc;
use ui_support::*;

fn backend(store: &Arc<Store>) -> huitoukan::backend::Local {
    huitoukan::backend::Local::shared(Arc::clone(store), "clerk07")
}

fn open(n: usize) -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("db")).unwrap());
    huitoukan::demo::fill(&store, n, SEED, |_| {}).unwrap();
    (dir, store)
}

/// Presses keys one by one, running each key's effects as the loop does.
fn keys(app: &mut App, store: &Arc<Store>, names: &[&str]) {
    for k in names {
        let fx = press(app, &[k]);
        effects::run(&backend(store), app, fx);
    }
}

fn typed(app: &mut App, text: &str) {
    type_text(app, text);
}

fn dossier(app: &App) -> &huitoukan::ui::dossier::Dossier {
    match app.screens.last() {
        Some(Screen::Dossier(d)) => d,
        _ => panic!("the household's file is not on top"),
    }
}

fn app_on(store: &Arc<Store>) -> App {
    let mut app = terminal::load(&backend(store), Keymap::shipped(), plain()).unwrap();
    app.operator = "clerk07".into();
    app.resize(80, 24);
    app
}

#[test]
fn the_file_shows_members_measures_and_visits_and_a_new_visit_is_saved_field_by_field() {
    let (_dir, store) = open(120);
    let mut app = app_on(&store);
    keys(&mut app, &store, &["tab", "m"]);
    let key = dossier(&app).key;
    let stored = store.entries(key).unwrap();
    let d = dossier(&app);
    let titles: Vec<&str> = d.file.parts.iter().map(|p| p.form.title).collect();
    assert_eq!(titles, ["家庭成员", "帮扶措施", "走访记录"]);
    for p in &d.file.parts {
        assert_eq!(p.rows.len(), stored.iter().filter(|e| e.form.id == p.form.id).count(), "{}", p.form.title);
    }
    let visits_before = d.file.parts[2].rows.len();

    // Tab to the visits, add one: the editor opens on the visit form.
    keys(&mut app, &store, &["tab", "tab", "a"]);
    let Some(Screen::Form(ed)) = app.screens.last() else { panic!("no editor") };
    assert_eq!(ed.entry().map(|t| (t.form.id.as_str(), t.seq)), Some(("visits", None)));
    assert_eq!(ed.current(), "V1");
    typed(&mut app, "20210415");
    keys(&mut app, &store, &["enter"]);
    // The first field left added the entry: it has its number now.
    let Some(Screen::Form(ed)) = app.screens.last() else { panic!("no editor") };
    let seq = ed.entry().and_then(|t| t.seq).expect("added on the first save");
    assert_eq!(seq as usize, visits_before + 1);
    typed(&mut app, "王五");
    keys(&mut app, &store, &["enter", "2"]);
    typed(&mut app, "电话了解近况，家中务工人员已返岗");
    keys(&mut app, &store, &["ctrl-t"]);

    // Back on the file, read again, the new visit selected.
    let d = dossier(&app);
    assert_eq!(d.part, 2);
    let e = d.selected_entry().expect("selected");
    assert_eq!((e.form.id.as_str(), e.seq), ("visits", seq));
    let stored = store.entries(key).unwrap().into_iter().find(|e| e.form.id == "visits" && e.seq == seq).unwrap();
    assert_eq!(stored.answers.get("V1"), Some(&Value::Date(Day::new(2021, 4, 15).unwrap())));
    assert_eq!(stored.answers.get("V2"), Some(&Value::List(vec!["王五".into()])));
    assert_eq!(stored.answers.get("V3"), Some(&Value::Choice(1)));
    assert_eq!(stored.answers.get("V4"), Some(&Value::Text("电话了解近况，家中务工人员已返岗".into())));
    assert!(stored.findings(&store.get(key).unwrap().unwrap().household.a, &huitoukan::form::Round::default()).is_empty());
    let history = store.history(key).unwrap();
    assert!(history.iter().any(|h| h.field == format!("visits#{seq} V4") && h.who == "clerk07"), "audited");
}

#[test]
fn voiding_asks_why_keeps_the_entry_and_a_voided_entry_opens_read_only() {
    let (_dir, store) = open(60);
    let mut app = app_on(&store);
    keys(&mut app, &store, &["tab", "m", "tab"]);
    let key = dossier(&app).key;
    let target = dossier(&app).selected_entry().cloned().expect("a measure");
    keys(&mut app, &store, &["x"]);
    assert!(dossier(&app).prompting());
    // No reason, no void: the box stays and says what to write.
    keys(&mut app, &store, &["enter"]);
    assert!(dossier(&app).prompting());
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("原因")), "{:?}", app.status);
    typed(&mut app, "重复录入");
    keys(&mut app, &store, &["enter"]);
    let stored = store.entries(key).unwrap();
    let voided = stored.iter().find(|e| e.form.id == target.form.id && e.seq == target.seq).unwrap();
    assert_eq!(voided.voided.as_ref().map(|v| v.reason.as_str()), Some("重复录入"));
    assert_eq!(stored.len(), store.entries(key).unwrap().len(), "nothing removed");
    let d = dossier(&app);
    assert_eq!(d.selected_entry().map(|e| e.voided.is_some()), Some(true), "still listed, as voided");
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("作废") && text.contains("重复录入"), "{text}");
    // Voiding it again says so; opening it shows it read-only.
    keys(&mut app, &store, &["x"]);
    assert!(!dossier(&app).prompting());
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("已经作废")));
    keys(&mut app, &store, &["enter"]);
    let Some(Screen::Form(ed)) = app.screens.last() else { panic!("no editor") };
    assert!(ed.notice().is_some_and(|n| n.contains("已作废")), "{:?}", ed.notice());
    keys(&mut app, &store, &["ctrl-n"]);
    let Some(Screen::Form(ed)) = app.screens.last() else { panic!("the entry editor does not move to another household") };
    assert!(ed.notice().is_some_and(|n| n.contains("户档")));
    keys(&mut app, &store, &["esc"]);
    assert!(matches!(app.screens.last(), Some(Screen::Dossier(_))));
}

#[test]
fn a_member_whose_id_is_another_households_head_is_refused_and_nothing_typed_is_lost() {
    let (_dir, store) = open(60);
    let mut app = app_on(&store);
    let other = store.summaries().unwrap()[5].clone();
    let other_id = store.get(other.key).unwrap().unwrap().household.a.id_number;
    keys(&mut app, &store, &["tab", "m"]);
    let key = dossier(&app).key;
    assert_ne!(key, other.key);
    let before = store.entries(key).unwrap().len();
    keys(&mut app, &store, &["a"]);
    typed(&mut app, "冉小明");
    keys(&mut app, &store, &["enter", "3"]);
    typed(&mut app, &other_id);
    keys(&mut app, &store, &["enter"]);
    // The add (name, relation) went in; the ID of another household's head did not.
    let msg = app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default();
    assert!(msg.contains("另一户") && msg.contains("户主"), "{msg}");
    let Some(Screen::Form(ed)) = app.screens.last() else { panic!("the editor stays open") };
    assert_eq!(ed.answers().get("M3"), Some(&Value::Text(other_id.clone())), "kept on screen for a correction");
    let stored = store.entries(key).unwrap();
    assert_eq!(stored.len(), before + 1);
    assert!(stored.iter().all(|e| e.answers.get("M3") != Some(&Value::Text(other_id.clone()))));
}

#[test]
fn the_file_at_80x24() {
    std::env::set_var("TZ", "UTC");
    let (_dir, store) = open(40);
    let mut app = app_on(&store);
    keys(&mut app, &store, &["tab", "m"]);
    insta::assert_snapshot!("dossier_members_80x24", screen_text(&draw(&app, 80, 24)));
    keys(&mut app, &store, &["tab"]);
    insta::assert_snapshot!("dossier_measures_80x24", screen_text(&draw(&app, 80, 24)));
    keys(&mut app, &store, &["tab", "x"]);
    typed(&mut app, "日期录错");
    insta::assert_snapshot!("dossier_void_prompt_80x24", screen_text(&draw(&app, 80, 24)));
}

#[test]
fn the_form_chooser_lists_the_forms_with_their_state_and_opens_the_one_chosen() {
    let (_dir, store) = open(40);
    let mut app = app_on(&store);
    keys(&mut app, &store, &["tab", "space", "f"]);
    let Some(Screen::Forms(c)) = app.screens.last() else { panic!("no chooser") };
    let key = c.key;
    let titles: Vec<&str> = c.items.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(titles, ["监测对象“回头看”信息采集表", "监测手册·家庭成员", "监测手册·帮扶措施", "监测手册·走访记录"]);
    let members = store.entries(key).unwrap().iter().filter(|e| e.form.id == "members").count();
    assert_eq!(c.items[1].1, format!("{members}条"));
    insta::assert_snapshot!("form_chooser_80x24", screen_text(&draw(&app, 80, 24)));
    // The third: the file on its measures; back, then the first: the look-back form.
    keys(&mut app, &store, &["down", "down", "enter"]);
    assert_eq!(dossier(&app).part, 1);
    keys(&mut app, &store, &["esc", "f", "enter"]);
    assert!(matches!(app.screens.last(), Some(Screen::Form(ed)) if ed.key() == key && ed.entry().is_none()));
}

/// Members show the sex and age their ID gives (never typed); a reason
/// longer than the row shows its end, where the clerk is typing.
#[test]
fn members_show_sex_and_age_and_a_long_reason_shows_its_end() {
    let (_dir, store) = open(40);
    let mut app = app_on(&store);
    keys(&mut app, &store, &["tab", "m"]);
    let d = dossier(&app);
    let head = d.file.record.household.a.id_number.clone();
    let age = huitoukan::handbook::age_at(&head, huitoukan::form::Round::default().reference.date()).unwrap();
    let sex = huitoukan::handbook::sex_of(&head).unwrap();
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains(&format!("{sex}{age}岁")), "{text}");
    keys(&mut app, &store, &["x"]);
    let reason = format!("{}末尾四字", "号码录错已另行登记".repeat(8));
    typed(&mut app, &reason);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("末尾四字_"), "{text}");
    keys(&mut app, &store, &["enter"]);
    let key = dossier(&app).key;
    let voided = store.entries(key).unwrap().into_iter().find(|e| e.voided.is_some()).expect("voided");
    assert_eq!(voided.voided.unwrap().reason, reason, "the whole reason is kept");
}
