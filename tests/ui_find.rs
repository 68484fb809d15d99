//! Trap 11 of issue 14: the find box clears in one key, and a letter typed
//! with the focus on the results goes back into the box (so Enter opens a
//! hit of what was typed, never a stale one).

mod ui_support;

use huitoukan::ui::app::Effect;
use huitoukan::ui::keymap::Mode;
use ui_support::*;

#[test]
fn ctrl_u_clears_the_whole_query() {
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    press(&mut app, &["ctrl-f"]);
    type_text(&mut app, "zhs");
    let narrowed = app.list.rows.len();
    press(&mut app, &["ctrl-u"]);
    assert_eq!(app.find.as_ref().map(|f| f.text()), Some(String::new()), "one key empties the box");
    assert_eq!(app.list.rows.len(), 300, "and the list widens to everything again (was {narrowed})");
    assert_eq!(app.mode(), Mode::Find);
}

#[test]
fn letters_typed_with_the_focus_on_the_results_go_into_the_box() {
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    let head = app.summaries[200].head.clone();
    let first: String = head.chars().take(1).collect();
    let rest: String = head.chars().skip(1).collect();
    press(&mut app, &["ctrl-f"]);
    type_text(&mut app, "zzzz");
    press(&mut app, &["ctrl-u"]);
    type_text(&mut app, &first);
    press(&mut app, &["tab"]); // focus on the results
    assert_eq!(app.mode(), Mode::Browse);
    // An input method delivers the rest of the name while the focus is on the results.
    type_text(&mut app, &rest);
    assert_eq!(app.find.as_ref().map(|f| f.text()), Some(head.clone()), "not ignored");
    assert_eq!(app.mode(), Mode::Find, "the focus is back in the box");
    // Enter opens a hit of the whole name, not the one selected before.
    press(&mut app, &["tab"]);
    let fx = press(&mut app, &["enter"]);
    let Some(Effect::OpenForm(key)) = fx.first() else { panic!("{:?}", fx.len()) };
    let opened = app.summaries.iter().find(|s| s.key == *key).map(|s| s.head.clone());
    assert_eq!(opened.as_deref(), Some(head.as_str()));
    // A plain key (not bound in the list) typed with the focus on the results goes into the box too.
    press(&mut app, &["tab", "ctrl-u", "tab", "z"]);
    assert_eq!(app.find.as_ref().map(|f| f.text()), Some("z".to_string()));
}
