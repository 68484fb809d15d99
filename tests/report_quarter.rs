//! `report --quarter` (按季调度) and `report --doubts` through the real
//! binary: the figures agree with the store's entries, a quarter written
//! wrong is refused in Chinese, and the list of households with 疑点 masks
//! ID numbers.

use huitoukan::form::Value;
use huitoukan::store::Store;
use std::path::Path;
use std::process::Command;

fn run(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_huitoukan")).arg("--db").arg(db).arg("report").args(args).output().unwrap()
}

#[test]
fn quarter_figures_agree_with_the_entries_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut visits_in_q1 = 0;
    let mut visited = 0;
    {
        let store = Store::open(&db).unwrap();
        huitoukan::demo::fill(&store, 150, 3, |_| {}).unwrap();
        for s in store.summaries().unwrap() {
            let n = store
                .entries(s.key)
                .unwrap()
                .iter()
                .filter(|e| e.form.id == "visits" && e.voided.is_none())
                .filter(|e| matches!(e.answers.get("V1"), Some(Value::Date(d)) if d.year == 2021 && d.month <= 3))
                .count();
            visits_in_q1 += n;
            visited += usize::from(n > 0);
        }
    }
    let out = run(&db, &["--quarter", "2021Q1", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = &doc["rows"].as_array().unwrap().last().unwrap()["figures"];
    assert_eq!(total["households"], 150);
    assert_eq!(total["visited"], visited);
    assert_eq!(total["visits"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).sum::<usize>(), visits_in_q1);

    let text = String::from_utf8(run(&db, &["--quarter", "2021Q1"]).stdout).unwrap();
    assert!(text.starts_with("按季调度 2021Q1（2021-01至2021-03）"), "{text}");
    assert!(text.contains(&format!("合计：150户，本季走访过{visited}户")), "{text}");

    for bad in ["2021Q5", "21Q1", "二季度"] {
        let out = run(&db, &["--quarter", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("应写成年份加Q加1至4"), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = run(&db, &["--quarter", "2021Q1", "--township", "没有这个乡"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("没有“没有这个乡”这个乡镇"));

    // The reviewer's list: every household named has its doubts, IDs masked.
    let out = run(&db, &["--doubts", "--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(!rows.is_empty() && rows.len() < 150, "{}", rows.len());
    assert!(rows.iter().all(|r| r.contains("********")), "IDs masked");
}
