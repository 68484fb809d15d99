//! The household's file (户档) of the monitoring handbook: opening one with
//! 10 members, 20 measures and 50 visits — reading it from the store,
//! putting it in order with its checks across the file, and drawing it at
//! 80×24 — and validating one entry as the editor does on each keystroke.
//!
//! ```sh
//! cargo bench --bench handbook
//! ```
//!
//! Target (issue 13): the file drawn in under 5 ms.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use huitoukan::form::schema::handbook_form;
use huitoukan::form::value::Day;
use huitoukan::form::{Round, Value};
use huitoukan::model::{Answers, Entry, Timestamp, View};
use huitoukan::store::Store;
use huitoukan::ui::app::{App, Effect};
use huitoukan::ui::effects;
use huitoukan::ui::keymap::Keymap;
use huitoukan::ui::terminal;
use huitoukan::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;

/// One demo household's handbook, grown to 10 members, 20 measures and 50 visits.
fn big_handbook(store: &Store, key: u64) -> Vec<Entry> {
    let round = Round::default();
    let lb = store.get(key).expect("get").expect("household");
    let base = huitoukan::demo::handbook(0, 9, &lb, &round);
    let pick = |id: &str| base.iter().find(|e| e.form.id == id).cloned().expect("one of each");
    let mut out = Vec::new();
    let member = pick("members");
    out.push(member.clone());
    for j in 1..10u32 {
        let mut m = member.clone();
        m.seq = j + 1;
        let id = huitoukan::form::idnum::complete(&format!("5200001990010{:04}", j)).expect("id");
        m.answers.insert("M3".into(), Value::Text(id));
        m.answers.insert("M2".into(), Value::Choice(2));
        out.push(m);
    }
    let measure = pick("measures");
    for j in 0..20u32 {
        let mut m = measure.clone();
        m.seq = j + 1;
        m.answers.insert("S1".into(), Value::Choice((j % 11) as u16));
        out.push(m);
    }
    let visit = pick("visits");
    for j in 0..50u32 {
        let mut v = visit.clone();
        v.seq = j + 1;
        let day = chrono::NaiveDate::from_ymd_opt(2020, 6, 1).expect("date") + chrono::Duration::days(j as i64 * 6);
        v.answers.insert("V1".into(), Value::Date(Day::from_naive(day).expect("day")));
        out.push(v);
    }
    for e in &mut out {
        e.created_at = Timestamp(0);
    }
    out
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(&dir.path().join("db")).expect("open"));
    // Households without a handbook of their own, then one with the big one.
    let round = Round::default();
    let places = huitoukan::demo::places(200, 9);
    let records: Vec<_> = (0..200).map(|i| huitoukan::demo::household(i, 9, &places, &round)).collect();
    let keys = store.insert_records(&records, "bench", "bench").expect("insert");
    let key = keys[0];
    let entries = big_handbook(&store, key);
    store.insert_entries(&[(key, entries)], "bench").expect("entries");
    let backend = huitoukan::backend::Local::shared(Arc::clone(&store), "bench");
    let mut app: App = terminal::load(&backend, Keymap::shipped(), Theme { ascii: false, color: true }).expect("load");
    app.resize(80, 24);
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");

    c.bench_function("household_file_10_20_50_open_and_draw", |b| {
        b.iter(|| {
            app.screens.clear();
            effects::run(&backend, &mut app, vec![Effect::Dossier(key)]);
            term.draw(|f| huitoukan::ui::view::render(f, &app)).expect("draw");
        })
    });
    c.bench_function("household_file_10_20_50_draw_only", |b| {
        b.iter(|| {
            term.draw(|f| huitoukan::ui::view::render(f, &app)).expect("draw");
        })
    });

    // One keystroke's validation of a visit being typed.
    let a = store.get(key).expect("get").expect("household").household.a;
    let visits = handbook_form("visits").expect("visits");
    let mut answers = Answers::new();
    answers.insert("V1".into(), Value::Date(Day::new(2021, 4, 8).expect("day")));
    answers.insert("V4".into(), Value::Text("入户了解家庭收支情况，户主身体状况稳定，按时服药".repeat(10)));
    c.bench_function("visit_validate_per_keystroke", |b| {
        b.iter(|| huitoukan::form::rules::validate_in(visits, &View { a: &a, answers: black_box(&answers) }, &round))
    });
}

criterion_group!(handbook_benches, benches);
criterion_main!(handbook_benches);
