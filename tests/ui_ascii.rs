//! `--ascii` is ASCII-safe: no East-Asian-ambiguous character (`·`, `“ ”`,
//! `…`, arrows) reaches the screen, on any screen, whatever the data holds —
//! a CJK-configured PuTTY draws those double-width and shifts the row.

mod ui_support;

use huitoukan::ui::app::{App, Loaded};
use huitoukan::ui::theme::{is_ambiguous, Theme};
use ui_support::*;

fn ascii() -> Theme {
    Theme { ascii: true, color: false }
}

/// The ambiguous characters on the app's screen, with where they are.
fn ambiguous(app: &App, cols: u16, rows: u16) -> Vec<(u16, u16, String)> {
    let t = draw(app, cols, rows);
    let buf = t.backend().buffer();
    let mut out = Vec::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            if sym.chars().any(is_ambiguous) {
                out.push((x, y, sym.to_string()));
            }
        }
    }
    out
}

#[test]
fn no_ambiguous_width_character_on_any_screen() {
    let mut recs = records(300);
    // A head's name with the 间隔号 of minority names, and quotes in an address.
    recs[0].household.a.head = "阿卜杜·热合曼".into();
    recs[0].household.a.address = "重庆市“石盘”村3组……".into();
    let mut app = app_with(&recs, ascii());
    let mut seen = Vec::new();
    for step in ["", "tab", "c", "ctrl-f", "esc", "?", "esc"] {
        if !step.is_empty() {
            press(&mut app, &[step]);
        }
        for (cols, rows) in [(80, 24), (60, 20), (120, 30)] {
            seen.extend(ambiguous(&app, cols, rows).into_iter().map(|a| (step, cols, a)));
        }
    }
    app.loaded(Loaded::Form(1, recs[0].clone(), None));
    for step in ["", "pagedown", "pagedown", "pagedown", "tab", "tab", "ctrl-t"] {
        if !step.is_empty() {
            press(&mut app, &[step]);
        }
        seen.extend(ambiguous(&app, 80, 24).into_iter().map(|a| (step, 80, a)));
    }
    assert!(seen.is_empty(), "{seen:?}");
    // And the plain theme does draw them (the check finds what it looks for).
    let mut plain_app = app_with(&recs, plain());
    plain_app.loaded(Loaded::Form(1, recs[0].clone(), None));
    assert!(!ambiguous(&plain_app, 80, 24).is_empty());
}
