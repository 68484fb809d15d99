//! Trap 10 of issue 14: a start or a reconnect opens where this clerk left
//! off (village, filters, selected household), not at the first village.

mod ui_support;

use huitoukan::ui::app::App;
use huitoukan::ui::places::PlaceSel;
use huitoukan::ui::resume;
use ui_support::*;

fn fresh(recs: &[huitoukan::model::LookBack]) -> App {
    app_with(recs, plain())
}

#[test]
fn a_restart_opens_at_the_village_filters_and_household_left() {
    let recs = records(600);
    let mut app = fresh(&recs);
    assert_eq!(app.places.sel, PlaceSel::Village(0, 0), "a first start: the first village");
    // Down the places to another village, filter to 边缘户, into the list, three down.
    for _ in 0..20 {
        press(&mut app, &["j"]);
        if matches!(app.places.sel, PlaceSel::Village(t, v) if (t, v) != (0, 0)) {
            break;
        }
    }
    press(&mut app, &["c", "tab", "j", "j", "j"]);
    let left = app.resume_state();
    assert!(left.village.is_some() && left.category.is_some() && left.household.is_some(), "{left:?}");
    assert_ne!(app.places.sel, PlaceSel::Village(0, 0));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("resume.toml");
    let store = dir.path().join("db");
    resume::save_to(&file, &store, &left).unwrap();

    let mut again = fresh(&recs);
    again.resume(&resume::load_from(&file, &store).expect("remembered"));
    assert_eq!(again.places.sel, app.places.sel);
    assert_eq!(again.filters, app.filters);
    assert_eq!(again.selected().map(|s| s.key), app.selected().map(|s| s.key));
    assert_eq!(again.focus, app.focus);
    assert_eq!(again.resume_state(), left);

    // Another store keeps its own place; a village that is gone leaves the default.
    assert_eq!(resume::load_from(&file, &dir.path().join("other")), None);
    let mut gone = left.clone();
    gone.township = Some("没有这个镇".into());
    let mut third = fresh(&recs);
    third.resume(&gone);
    assert_eq!(third.places.sel, PlaceSel::Village(0, 0));
}
