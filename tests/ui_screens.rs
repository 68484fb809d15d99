//! Screen tests: the app drawn at 80×24 (and wider, and too small) with
//! Chinese data, kept as insta snapshots. Review a changed snapshot by eye
//! (`cargo insta review`) before accepting it.

mod ui_support;

use huitoukan::ui::app::Loaded;
use huitoukan::ui::theme::Theme;
use ui_support::*;

fn snap(name: &str, app: &huitoukan::ui::app::App, cols: u16, rows: u16) {
    let t = draw(app, cols, rows);
    insta::assert_snapshot!(name, screen_text(&t));
}

#[test]
fn main_screen_places_focused() {
    let app = app_with(&records(3000), plain());
    snap("main_places_80x24", &app, 80, 24);
}

#[test]
fn main_screen_households_focused_in_a_township() {
    let mut app = app_with(&records(3000), plain());
    press(&mut app, &["j", "j", "j"]);
    press(&mut app, &["tab", "j", "j"]);
    snap("main_households_80x24", &app, 80, 24);
}

#[test]
fn main_screen_ascii_borders() {
    let mut app = app_with(&records(3000), Theme { ascii: true, color: false });
    press(&mut app, &["tab", "c"]);
    snap("main_ascii_80x24", &app, 80, 24);
}

#[test]
fn find_across_the_store() {
    let mut app = app_with(&records(3000), plain());
    press(&mut app, &["ctrl-f"]);
    type_text(&mut app, "zs");
    snap("find_all_80x24", &app, 80, 24);
}

#[test]
fn too_small_asks_to_enlarge() {
    let app = app_with(&records(300), plain());
    snap("too_small_50x12", &app, 50, 12);
}

#[test]
fn wide_terminal_shows_both_panes_in_full() {
    let mut app = app_with(&records(3000), plain());
    app.resize(120, 30);
    press(&mut app, &["tab"]);
    snap("main_120x30", &app, 120, 30);
}

#[test]
fn card_and_help() {
    // Times on the card are local; pin the zone so the snapshot is the same everywhere.
    std::env::set_var("TZ", "UTC");
    let recs = records(300);
    let mut app = app_with(&recs, plain());
    press(&mut app, &["tab"]);
    let key = app.selected().unwrap().key;
    press(&mut app, &["space"]);
    app.loaded(Loaded::Card(key, recs[key as usize - 1].clone()));
    snap("card_80x24", &app, 80, 24);
    press(&mut app, &["esc", "?"]);
    snap("help_80x24", &app, 80, 24);
}
