//! At 60×20 the household list never cuts an ID number mid-number
//! unmarked: it shows the whole one, or its end behind a "…".

mod ui_support;

use huitoukan::ui::app::App;
use ui_support::*;

/// Every ID on screen is whole or marked; returns how many were shortened.
fn check(app: &App, what: &str) -> usize {
    let screen = screen_text(&draw(app, 60, 20));
    let mut shortened = 0;
    for line in screen.lines() {
        if let Some(i) = line.find("500243") {
            let id: String = line[i..].chars().take_while(|c| c.is_ascii_digit() || *c == '*' || *c == 'X').collect();
            let whole = app.list.rows.iter().any(|&k| {
                let s = &app.summaries[k as usize];
                let masked = huitoukan::form::idnum::mask(&s.id_number);
                masked == id || s.id_number == id
            });
            assert!(whole, "{what}: an ID cut mid-number: {line}\n{screen}");
        } else if line.contains("****") {
            assert!(line.contains('…'), "{what}: {line}\n{screen}");
            shortened += 1;
        }
    }
    shortened
}

#[test]
fn ids_at_60x20_are_whole_or_marked_when_shortened() {
    let mut recs = records(3000);
    // Disability certificates: a valid 18-digit ID and two more digits (20 in all).
    for lb in recs.iter_mut().step_by(3) {
        lb.household.a.id_number.push_str("34");
    }
    let mut app = app_with(&recs, plain());
    app.resize(60, 20);
    press(&mut app, &["tab"]);
    check(&app, "a village");
    press(&mut app, &["i"]);
    check(&app, "a full ID revealed");
    press(&mut app, &["i", "shift-tab", "k", "k", "k", "tab"]);
    check(&app, "a township");
    press(&mut app, &["ctrl-f"]);
    type_text(&mut app, "z");
    let n = check(&app, "a store-wide find");
    eprintln!("shortened in the find: {n}");
}
