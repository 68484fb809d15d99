//! The loop's side: effects run against a real store (in a temporary
//! directory) and their results land in the app — cards, history, saves
//! that update the lists, and a refused save that keeps the form open.

mod ui_support;

use huitoukan::form::Value;
use huitoukan::model::{Answers, FormState};
use huitoukan::store::Store;
use huitoukan::ui::app::{Effect, Screen};
use huitoukan::ui::effects;
use huitoukan::ui::form::FormEffect;
use huitoukan::ui::keymap::Keymap;
use huitoukan::ui::terminal;
use ui_support::*;

fn open(n: usize) -> (tempfile::TempDir, std::sync::Arc<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(&dir.path().join("db")).unwrap());
    huitoukan::demo::fill(&store, n, SEED, |_| {}).unwrap();
    (dir, store)
}

#[test]
fn card_history_and_a_save_that_updates_the_lists() {
    let (_dir, store) = open(200);
    let mut app = terminal::load(&backend(&store), Keymap::shipped(), plain()).unwrap();
    app.operator = "clerk07".into();
    app.resize(80, 24);
    // Filter to 未填 and walk the places until one has such a household.
    press(&mut app, &["tab", "s"]);
    for _ in 0..60 {
        if app.selected().is_some() {
            break;
        }
        press(&mut app, &["shift-tab", "j", "tab"]);
    }
    let s = app.selected().expect("a 未填 household among 200").clone();
    assert_eq!(s.state, FormState::Empty);

    let fx = press(&mut app, &["space"]);
    effects::run(&backend(&store), &mut app, fx);
    assert!(matches!(app.screens.last(), Some(Screen::Card(c)) if c.key == s.key));
    let fx = press(&mut app, &["h"]);
    effects::run(&backend(&store), &mut app, fx);
    assert!(matches!(app.screens.last(), Some(Screen::History(h)) if h.entries.len() == 1));
    press(&mut app, &["esc", "esc"]);

    // The form's save goes to the store; the list and the counts follow.
    let drafts = app.tree.total.draft;
    let fx = press(&mut app, &["enter"]);
    effects::run(&backend(&store), &mut app, fx);
    assert!(matches!(app.screens.last(), Some(Screen::Form(_))));
    let mut answers = Answers::new();
    answers.insert("B1".into(), Value::Bool(false));
    let out = effects::run(
        &backend(&store),
        &mut app,
        vec![Effect::Form(FormEffect::SaveDraft { key: s.key, base: Answers::new(), answers }), Effect::Form(FormEffect::Close)],
    );
    assert!(out.edited);
    assert!(app.screens.is_empty(), "closed after the save");
    assert_eq!(app.tree.total.draft, drafts + 1);
    assert_eq!(store.summary(s.key).unwrap().unwrap().state, FormState::Draft);
    assert!(app.list.rows.iter().all(|&i| app.summaries[i as usize].key != s.key), "no longer 未填, so filtered out");
    assert_eq!(app.summaries, store.summaries().unwrap(), "the app's summaries are the stored ones");
}

#[test]
fn a_refused_save_keeps_the_form_open_and_says_why() {
    let (_dir, store) = open(200);
    let mut app = terminal::load(&backend(&store), Keymap::shipped(), plain()).unwrap();
    let submitted = app.summaries.iter().find(|s| s.state == FormState::Submitted).unwrap().key;
    effects::run(&backend(&store), &mut app, vec![Effect::OpenForm(submitted)]);
    let fx = vec![
        Effect::Form(FormEffect::SaveDraft { key: submitted, base: Answers::new(), answers: Answers::new() }),
        Effect::Form(FormEffect::Close),
    ];
    let out = effects::run(&backend(&store), &mut app, fx);
    assert!(!out.edited);
    assert!(matches!(app.screens.last(), Some(Screen::Form(_))), "the close after a failed save is dropped");
    assert!(app.status.as_ref().is_some_and(|s| s.error && s.text.contains("重新打开")), "{:?}", app.status);
}

#[test]
fn a_missing_household_is_a_message_not_a_crash() {
    let (_dir, store) = open(20);
    let mut app = terminal::load(&backend(&store), Keymap::shipped(), plain()).unwrap();
    effects::run(&backend(&store), &mut app, vec![Effect::Card(9_999)]);
    assert!(app.screens.is_empty());
    assert!(app.status.as_ref().is_some_and(|s| s.error && s.text.contains("没有这一户")));
}

/// The store as the app sees it, through the one store interface.
fn backend(store: &std::sync::Arc<Store>) -> huitoukan::backend::Local {
    huitoukan::backend::Local::shared(std::sync::Arc::clone(store), "clerk")
}

#[test]
fn opening_a_form_offers_the_responsible_people_already_entered_in_the_township() {
    let (_dir, store) = open(200);
    let mut app = terminal::load(&backend(&store), Keymap::shipped(), plain()).unwrap();
    app.resize(80, 24);
    press(&mut app, &["tab"]);
    let s = app.selected().expect("a household").clone();
    // Someone of the same township, filled in earlier (demo drafts carry D1/D2).
    let known: Vec<(u64, Vec<String>)> = app
        .summaries
        .iter()
        .filter(|o| o.place.township == s.place.township && o.key != s.key && o.state != FormState::Empty)
        .filter_map(|o| match store.get(o.key).ok()??.form.answers.get("D1") {
            Some(Value::List(n)) => Some((o.key, n.clone())),
            _ => None,
        })
        .collect();
    assert!(!known.is_empty(), "the demo township has filled-in households");
    let fx = press(&mut app, &["enter"]);
    effects::run(&backend(&store), &mut app, fx);
    let Some(Screen::Form(_)) = app.screens.last() else { panic!("the form is open") };
    let offered = app.monitors.suggestions(s.key, &s.place);
    let names: Vec<String> = offered.village.iter().chain(&offered.township).map(|m| m.name.clone()).collect();
    assert!(known.iter().any(|(_, n)| n.iter().any(|x| names.contains(x))), "{names:?} vs {known:?}");
}
