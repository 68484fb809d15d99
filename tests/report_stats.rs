//! The statistics screen at 80×24 on a demo store: snapshots of a township
//! (top and scrolled to the end) and of the whole county, and scrolling.

use huitoukan::report::{self, Report, Scope};
use huitoukan::store::Store;
use huitoukan::ui::action::Action;
use huitoukan::ui::stats::StatsView;
use huitoukan::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::OnceLock;

/// Reports of one township and of everything, from one demo store.
fn reports() -> &'static (Report, Report) {
    static R: OnceLock<(Report, Report)> = OnceLock::new();
    R.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        huitoukan::demo::fill(&store, 2000, 7, |_| {}).unwrap();
        let township = store.township_names().unwrap()[0].clone();
        let one = report::compute(&store, &Scope { township: Some(township), village: None }).unwrap();
        let all = report::compute(&store, &Scope::default()).unwrap();
        (one, all)
    })
}

const PLAIN: Theme = Theme { ascii: false, color: false };

fn draw(v: &StatsView, theme: &Theme) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| v.render(f, f.area(), theme)).unwrap();
    t
}

fn township_view() -> StatsView {
    let r = reports().0.clone();
    StatsView::new(format!("统计：{}", r.scope.label()), r)
}

#[test]
fn township_screen() {
    let mut v = township_view();
    insta::assert_snapshot!("stats_township_top", draw(&v, &PLAIN).backend());
    assert!(v.handle_action(Action::Last));
    insta::assert_snapshot!("stats_township_end", draw(&v, &PLAIN).backend());
}

#[test]
fn county_screen() {
    let r = reports().1.clone();
    let mut v = StatsView::new("统计：全部乡镇".into(), r);
    // Past the progress bars to the per-township chart.
    v.handle_action(Action::PageDown);
    insta::assert_snapshot!("stats_county_page2", draw(&v, &PLAIN).backend());
}

#[test]
fn scrolling_stays_within_the_content() {
    let mut v = township_view();
    draw(&v, &PLAIN);
    let page = 22 - 1;
    let end = v.content_height() - 22;
    assert!(end > page, "taller than two screens");
    v.handle_action(Action::MoveDown);
    assert_eq!(v.scroll(), 1);
    v.handle_action(Action::MoveUp);
    v.handle_action(Action::MoveUp);
    assert_eq!(v.scroll(), 0);
    v.handle_action(Action::PageDown);
    assert_eq!(v.scroll(), page);
    v.handle_action(Action::PageUp);
    assert_eq!(v.scroll(), 0);
    v.handle_action(Action::Last);
    assert_eq!(v.scroll(), end);
    v.handle_action(Action::MoveDown);
    v.handle_action(Action::PageDown);
    assert_eq!(v.scroll(), end);
    v.handle_action(Action::First);
    assert_eq!(v.scroll(), 0);
    assert!(v.handle_action(Action::Open), "other actions keep the view open");
    assert!(!v.handle_action(Action::Back));
}

#[test]
fn ascii_theme_draws_no_block_characters() {
    let v = township_view();
    let t = draw(&v, &Theme { ascii: true, color: false });
    let screen = t.backend().to_string();
    assert!(screen.contains('#') && screen.contains('+'));
    assert!(!screen.contains('█') && !screen.contains('┌'), "{screen}");
}
