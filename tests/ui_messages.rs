//! Messages a clerk must read are never cut at 80 columns: a long status
//! message wraps over the rows above the status line (until the next key),
//! and a window smaller than 80×24 asks to be enlarged instead of drawing
//! with text cut off.

mod ui_support;

use ui_support::*;

/// The screen's text with the line breaks and padding taken out, to find a
/// message however it was wrapped.
fn flat(t: &ratatui::Terminal<ratatui::backend::TestBackend>) -> String {
    screen_text(t).lines().map(str::trim_end).collect::<String>().replace(' ', "")
}

#[test]
fn long_warnings_wrap_and_say_how_to_see_the_rest() {
    let mut app = app_with(&records(300), plain());
    let first = "/home/clerk/.config/huitoukan/config.toml：[backup] every_minutes 应为分钟数（0 或正整数），写的是 -5，该项使用默认值";
    app.warn(vec![first.to_string(), "第二条".to_string(), "第三条".to_string()]);
    let status = app.status.as_ref().unwrap().text.clone();
    assert!(huitoukan::ui::text::width(&status) > 80, "the test needs a message wider than the screen");
    let t = draw(&app, 80, 24);
    insta::assert_snapshot!("long_warning_80x24", screen_text(&t));
    let screen = flat(&t);
    assert!(screen.contains(&status.replace(' ', "")), "message cut:\n{}", screen_text(&t));
    assert!(status.ends_with("（共3条，按 ? 在帮助里查看）"), "{status}");
    // The footer's key hints stay on the last row.
    let last = screen_text(&t).lines().last().unwrap().to_string();
    assert!(last.contains("帮助"), "{last}");
    // The next key clears it and the panes are whole again.
    press(&mut app, &["j"]);
    assert!(!flat(&draw(&app, 80, 24)).contains("every_minutes"));
}

#[test]
fn the_empty_store_hint_is_whole_at_80_columns() {
    let app = app_with(&[], plain());
    let status = app.status.as_ref().unwrap().text.clone();
    let t = draw(&app, 80, 24);
    assert!(flat(&t).contains(&status.replace(' ', "")), "{}", screen_text(&t));
}

#[test]
fn smaller_than_80_by_24_asks_to_enlarge() {
    let app = app_with(&records(300), plain());
    for (cols, rows) in [(79, 24), (80, 23), (70, 20), (60, 16), (30, 8)] {
        let t = draw(&app, cols, rows);
        let screen = flat(&t);
        assert!(screen.contains("窗口太小") && screen.contains("80列×24行"), "{cols}×{rows}:\n{}", screen_text(&t));
        assert!(!screen.contains("乡镇/村"), "{cols}×{rows}: the layout is drawn:\n{}", screen_text(&t));
    }
    let screen = flat(&draw(&app, 80, 24));
    assert!(!screen.contains("窗口太小") && screen.contains("乡镇/村"));
}

/// The server found the store damaged: the whole message when it arrives,
/// then, after the next key, its start stays on the status line (one row,
/// the panes whole) on the browse screen and on every other screen.
#[test]
fn a_damaged_store_stays_on_the_status_line() {
    use huitoukan::backend::Event;
    let mut app = app_with(&records(300), plain());
    let note = "数据库的文件已损坏，看到的户可能不全。请退出程序，运行 huitoukan --db /srv/huitoukan/store snapshot restore /srv/huitoukan/store.snapshots/auto-20261202-134557.htksnap（恢复到2026-12-02 13:45:57的快照，其后的录入需重做）";
    app.apply_event(Event::Damaged(note.into()));
    assert!(flat(&draw(&app, 80, 24)).contains(&note.replace(' ', "")), "the whole note when it arrives");
    press(&mut app, &["j"]);
    let t = draw(&app, 80, 24);
    let text = screen_text(&t);
    let status_row = text.lines().nth(22).unwrap();
    assert!(status_row.starts_with("数据库的文件已损坏，看到的户可能不全"), "{text}");
    assert!(text.lines().nth(21).unwrap().starts_with('└'), "one row only, the panes whole:\n{text}");
    assert!(status_row.contains("huitoukan --db /srv"), "{status_row}");
    press(&mut app, &["?"]);
    assert!(screen_text(&draw(&app, 80, 24)).contains("数据库的文件已损坏"), "on the help screen too");
}
