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
