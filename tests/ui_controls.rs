//! A name stored before import cleaned control characters (or by a release
//! that did not) is drawn as `�`: the app never sends an escape sequence or
//! an OSC 52 clipboard write from data to the clerk's terminal (issue 12 item 12).

mod ui_support;

use ui_support::*;

#[test]
fn control_characters_in_data_are_shown_not_sent() {
    let mut recs = records(40);
    for lb in &mut recs {
        lb.household.a.head = "张\x1b]52;c;ZWNobyBoaQ==\x07三".into();
        lb.household.place.village = "石\x1b[2J盘村".into();
    }
    let mut app = app_with(&recs, plain());
    press(&mut app, &["tab"]);
    let t = draw(&app, 80, 24);
    let cells = &t.backend().buffer().content;
    assert!(cells.iter().all(|c| !c.symbol().chars().any(|ch| ch.is_control())), "a control character reached the terminal");
    assert!(cells.iter().any(|c| c.symbol() == "\u{FFFD}"), "the data is still visible as data");
}

/// A stray paste of 350,000 characters (issue 12 item 13) is cut to what
/// the store takes for one answer, the clerk is told, and the draft saves.
#[test]
fn a_huge_paste_is_cut_and_the_draft_still_saves() {
    use huitoukan::form::Value;
    use huitoukan::store::Store;
    use huitoukan::ui::app::{self, Screen};
    use huitoukan::ui::keymap::{Key, Keymap};
    use huitoukan::ui::{effects, terminal};
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(&dir.path().join("store")).unwrap());
    huitoukan::demo::fill(&store, 30, 1, |_| {}).unwrap();
    let key = store
        .summaries()
        .unwrap()
        .iter()
        .filter(|s| s.state != huitoukan::model::FormState::Submitted)
        .map(|s| s.key)
        .find(|&k| store.get(k).unwrap().unwrap().household.a.eliminated.is_none())
        .unwrap();
    let mut app = terminal::load(&backend(&store), Keymap::shipped(), plain()).unwrap();
    app.resize(80, 24);
    effects::run(&backend(&store), &mut app, vec![app::Effect::OpenForm(key)]);
    let press = |app: &mut app::App, k: &str| app::handle_key(app, Key::parse(k).unwrap().to_event());
    let current = |app: &app::App| match app.screens.last() {
        Some(Screen::Form(ed)) => ed.current(),
        _ => panic!("the form is open"),
    };
    for _ in 0..40 {
        if current(&app) == "D7" {
            break;
        }
        let fx = press(&mut app, "tab");
        effects::run(&backend(&store), &mut app, fx);
    }
    assert_eq!(current(&app), "D7");
    app::paste(&mut app, &"因病致贫".repeat(87_500));
    let status = app.status.clone().expect("the clerk is told");
    assert!(status.error && status.text.contains("350000") && status.text.contains("上限"), "{}", status.text);
    let fx = press(&mut app, "ctrl-s");
    effects::run(&backend(&store), &mut app, fx);
    let saved = store.get(key).unwrap().unwrap();
    match saved.form.answers.get("D7") {
        Some(Value::Text(t)) => assert!(t.chars().count() <= huitoukan::store::MAX_TEXT_CHARS && t.starts_with("因病致贫"), "{}", t.len()),
        other => panic!("D7 saved as a draft: {other:?}; status {:?}", app.status),
    }
}

/// The store as the app sees it, through the one store interface.
fn backend(store: &std::sync::Arc<huitoukan::store::Store>) -> huitoukan::backend::Local {
    huitoukan::backend::Local::shared(std::sync::Arc::clone(store), "clerk")
}
