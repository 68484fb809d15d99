//! `huitoukan report` on a demo store: every figure of every format is
//! checked against counts this test makes itself, straight from the
//! records `Store::get` returns.

use huitoukan::form::options::{self, OptionList};
use huitoukan::form::rules::Severity;
use huitoukan::form::value::YearMonth;
use huitoukan::form::{Round, Value};
use huitoukan::model::{Answers, FormState, LookBack};
use huitoukan::report::WarningKind;
use huitoukan::store::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Figures of one scope: (what, item) → count. `what` is a field code,
/// `progress` or `warning`; items are full option labels, `eliminated` /
/// `not_eliminated`, `2021Q2`, `unanswered`, rule ids.
type Figures = BTreeMap<(String, String), usize>;
/// Scope (`合计`, a township, or `township/village`) → figures.
type All = BTreeMap<String, Figures>;

const TOTAL: &str = "合计";

fn bump(all: &mut All, scopes: &[&str], what: &str, item: &str) {
    for s in scopes {
        *all.entry(s.to_string()).or_default().entry((what.to_string(), item.to_string())).or_default() += 1;
    }
}

fn choice_label(answers: &Answers, code: &str, list: &OptionList) -> String {
    match answers.get(code) {
        Some(Value::Choice(i)) => list.labels[*i as usize].to_string(),
        _ => "unanswered".to_string(),
    }
}

/// The expected figures, from each record on its own.
fn expected(store: &Store, n: u64) -> All {
    let round = Round::default();
    let mut all = All::new();
    for key in 1..=n {
        let lb: LookBack = store.get(key).unwrap().unwrap();
        let h = &lb.household;
        let village = format!("{}/{}", h.place.township, h.place.village);
        let everywhere = [TOTAL, h.place.township.as_str(), village.as_str()];
        let figures = &everywhere[..2];
        let p = |all: &mut All, item: &str| bump(all, &everywhere, "progress", item);
        p(&mut all, "households");
        if h.verified {
            p(&mut all, "verified");
        }
        p(&mut all, ["empty", "draft", "submitted"][lb.form.state as usize]);
        let findings = if lb.form.state == FormState::Empty { Vec::new() } else { lb.findings(&round) };
        if findings.iter().any(|f| f.severity == Severity::Error) {
            p(&mut all, "with_errors");
        }

        bump(&mut all, figures, "A5", options::CATEGORY.labels[h.a.category as usize]);
        let ans = &lb.form.answers;
        for (code, list) in [("C2", &options::INCOME_BRACKET), ("C3", &options::INCOME_SOURCE)] {
            bump(&mut all, figures, code, &choice_label(ans, code, list));
        }
        if h.a.eliminated.is_some() {
            bump(&mut all, figures, "A8", "eliminated");
            bump(&mut all, figures, "D3", &choice_label(ans, "D3", &options::MEASURE));
        } else {
            bump(&mut all, figures, "A8", "not_eliminated");
            bump(&mut all, figures, "D5", &choice_label(ans, "D5", &options::CURRENT_RISK));
            bump(&mut all, figures, "D8", &choice_label(ans, "D8", &options::MEASURE));
            let q = match ans.get("D10") {
                Some(Value::Month(m)) => m.quarter(),
                _ => "unanswered".to_string(),
            };
            bump(&mut all, figures, "D10", &q);
        }
        if lb.form.state != FormState::Empty {
            bump(&mut all, figures, "warning", "filled");
            let rules: BTreeSet<_> =
                findings.iter().filter(|f| f.severity == Severity::Warning).map(|f| format!("{}/{}", f.code, f.rule)).collect();
            for r in rules {
                bump(&mut all, figures, "warning", &r);
            }
        }
    }
    all
}

/// Fills a store and adds the cases demo data lacks: answers left in the
/// branch not taken, rare warnings, a plan far in the future.
fn make_store(db: &Path, n: usize) -> All {
    let store = Store::open(db).unwrap();
    huitoukan::demo::fill(&store, n, 5, |_| {}).unwrap();
    let mut edited = 0;
    for key in 1..=n as u64 {
        let lb = store.get(key).unwrap().unwrap();
        if lb.form.state != FormState::Draft {
            continue;
        }
        let mut a = lb.form.answers.clone();
        if lb.household.a.eliminated.is_some() {
            // Eliminated, yet low income, and a stale D5 from the other branch.
            a.insert("C2".into(), Value::Choice(options::INCOME_BELOW_LINE));
            a.insert("D5".into(), Value::Choice(3));
            a.insert("D10".into(), Value::Month(YearMonth::new(2021, 9).unwrap()));
        } else {
            a.insert("D7".into(), Value::Text("家中情况待补充***，户主长期患病，需要继续帮扶和跟踪".into()));
            a.insert("D10".into(), Value::Month(YearMonth::new(2026, 2).unwrap()));
            a.insert("D3".into(), Value::Choice(1));
        }
        store.save_draft(key, &a, "tester").unwrap();
        edited += 1;
        if edited == 12 {
            break;
        }
    }
    expected(&store, n as u64)
}

fn run_report(db: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan")).arg("--db").arg(db).arg("report").args(args).output().unwrap();
    assert!(out.status.success(), "report {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

// ----- turning each format back into figures -----

/// The expected item name for a shown label of field `code`.
fn item_of(code: &str, label: &str) -> String {
    if label == "（未答）" {
        return "unanswered".into();
    }
    if let Some((y, q)) = label.strip_suffix("季度").and_then(|l| l.split_once("年第")) {
        return format!("{y}Q{q}");
    }
    match label {
        "风险已消除户" => return "eliminated".into(),
        "未消除风险户" => return "not_eliminated".into(),
        _ => {}
    }
    let list = match code {
        "A5" => &options::CATEGORY,
        "C2" => &options::INCOME_BRACKET,
        "C3" => &options::INCOME_SOURCE,
        "D5" => &options::CURRENT_RISK,
        _ => &options::MEASURE,
    };
    let i = list.parse(label).unwrap_or_else(|| panic!("{code}: unknown label {label}"));
    list.labels[i as usize].to_string()
}

/// A warning's shown label (`C1 “新四类人员”家庭`) as `C1/new_four_kinds`.
fn warning_of(label: &str) -> String {
    WarningKind::all()
        .into_iter()
        .find(|k| format!("{} {}", k.field, k.label()) == label)
        .map(|k| format!("{}/{}", k.field, k.rule))
        .unwrap_or_else(|| panic!("unknown warning {label}"))
}

fn progress_of(label: &str) -> &'static str {
    match label {
        "户数" => "households",
        "已核实" => "verified",
        "未填" => "empty",
        "草稿" => "draft",
        "已提交" => "submitted",
        "有错误" => "with_errors",
        other => panic!("unknown progress item {other}"),
    }
}

/// Drops zero counts (the report lists every option; the expectation only what occurs).
fn nonzero(mut all: All) -> All {
    for f in all.values_mut() {
        f.retain(|_, n| *n > 0);
    }
    all.retain(|_, f| !f.is_empty());
    all
}

fn put(all: &mut All, scope: &str, what: &str, item: String, n: usize) {
    let prev = all.entry(scope.to_string()).or_default().insert((what.to_string(), item.clone()), n);
    assert!(prev.is_none(), "{scope} {what} {item} listed twice");
}

fn from_json(doc: &serde_json::Value) -> All {
    let mut all = All::new();
    let totals = |all: &mut All, scope: &str, t: &serde_json::Value| {
        let f = &t["figures"];
        for (k, v) in f["risk"].as_object().unwrap() {
            put(all, scope, "A8", k.clone(), v.as_u64().unwrap() as usize);
        }
        for c in f["choices"].as_array().unwrap() {
            let code = c["field"].as_str().unwrap();
            for o in c["options"].as_array().unwrap() {
                put(all, scope, code, o["label"].as_str().unwrap().into(), o["count"].as_u64().unwrap() as usize);
            }
            put(all, scope, code, "unanswered".into(), c["unanswered"].as_u64().unwrap() as usize);
        }
        put(all, scope, "warning", "filled".into(), f["filled"].as_u64().unwrap() as usize);
        for w in f["warnings"].as_array().unwrap() {
            let id = format!("{}/{}", w["field"].as_str().unwrap(), w["rule"].as_str().unwrap());
            put(all, scope, "warning", id, w["households"].as_u64().unwrap() as usize);
        }
        for q in f["planned"]["quarters"].as_array().unwrap() {
            put(all, scope, "D10", q["quarter"].as_str().unwrap().into(), q["count"].as_u64().unwrap() as usize);
        }
        put(all, scope, "D10", "unanswered".into(), f["planned"]["unanswered"].as_u64().unwrap() as usize);
    };
    let progress = |all: &mut All, scope: &str, p: &serde_json::Value| {
        for k in ["households", "verified", "empty", "draft", "submitted", "with_errors"] {
            put(all, scope, "progress", k.into(), p[k].as_u64().unwrap() as usize);
        }
        let share = p["submitted_share"].as_f64().unwrap();
        let want = p["submitted"].as_f64().unwrap() / p["households"].as_f64().unwrap();
        assert!((share - want).abs() < 1e-9);
    };
    totals(&mut all, TOTAL, &doc["total"]);
    progress(&mut all, TOTAL, &doc["total"]["progress"]);
    for t in doc["townships"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        totals(&mut all, name, t);
        progress(&mut all, name, &t["progress"]);
        for v in t["villages"].as_array().unwrap() {
            progress(&mut all, &format!("{name}/{}", v["name"].as_str().unwrap()), &v["progress"]);
        }
    }
    all
}

fn from_csv(bytes: &[u8]) -> All {
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).expect("CSV starts with a UTF-8 BOM");
    let mut r = csv::Reader::from_reader(body);
    assert_eq!(r.headers().unwrap(), vec!["乡镇（街道）", "村（社区）", "指标", "项目", "户数", "占比"]);
    let mut all = All::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let scope = match &rec[1] {
            "" => rec[0].to_string(),
            v => format!("{}/{v}", &rec[0]),
        };
        let n: usize = rec[4].parse().unwrap();
        let heading = &rec[2];
        let label = &rec[3];
        if heading == "填报进度" {
            put(&mut all, &scope, "progress", progress_of(label).into(), n);
        } else if heading.starts_with("提示") {
            put(&mut all, &scope, "warning", warning_of(label), n);
            let filled: usize = heading.trim_start_matches("提示（已填表").trim_end_matches("户中）").parse().unwrap();
            all.get_mut(&scope).unwrap().insert(("warning".into(), "filled".into()), filled);
        } else {
            let code = heading.split_whitespace().next().unwrap();
            put(&mut all, &scope, code, item_of(code, label), n);
        }
    }
    all
}

/// Splits a line at a display column.
fn split_at_col(line: &str, col: usize) -> (&str, &str) {
    let mut w = 0;
    for (i, c) in line.char_indices() {
        if w >= col {
            return (&line[..i], &line[i..]);
        }
        w += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
    }
    (line, "")
}

fn is_count(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// Text: the progress table, and the figure blocks (two side by side,
/// the right one from column 42; full-width blocks alone).
fn from_text(text: &str) -> All {
    let mut all = All::new();
    let mut section = String::new();
    let mut township = String::new();
    let mut scope = String::new();
    let mut headings: Vec<String> = Vec::new();
    for line in text.lines() {
        assert!(unicode_width::UnicodeWidthStr::width(line) <= 80, "wider than 80 columns: {line}");
        if line.starts_with("一、") || line.starts_with("二、") || line.starts_with("三、") {
            section = line.chars().take(2).collect();
            scope = TOTAL.to_string();
            continue;
        }
        if let Some(name) = line.strip_prefix('【').and_then(|l| l.strip_suffix('】')) {
            scope = name.to_string();
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.is_empty() || section.is_empty() {
            continue;
        }
        if section == "一、" {
            if tokens[0].starts_with("乡镇") {
                continue;
            }
            let name = if line.starts_with("  ") {
                format!("{township}/{}", tokens[0])
            } else {
                township = tokens[0].to_string();
                township.clone()
            };
            let nums: Vec<usize> = tokens[1..].iter().filter(|t| is_count(t)).map(|t| t.parse().unwrap()).collect();
            assert_eq!(nums.len(), 6, "{line}");
            for (k, n) in ["households", "verified", "empty", "draft", "submitted", "with_errors"].iter().zip(nums) {
                put(&mut all, &name, "progress", k.to_string(), n);
            }
            assert!(tokens[6].ends_with('%'), "{line}");
            continue;
        }
        if !tokens.iter().any(|t| is_count(t)) {
            // Heading line: one block, or two side by side.
            let (l, r) = split_at_col(line, 42);
            headings = [l, r].iter().map(|h| h.trim().to_string()).filter(|h| !h.is_empty()).collect();
            if headings.len() == 1 {
                headings = vec![line.trim().to_string()];
            }
            for h in &headings {
                if let Some(n) = h.strip_prefix("提示（已填表").and_then(|h| h.strip_suffix("户中）")) {
                    put(&mut all, &scope, "warning", "filled".into(), n.parse().unwrap());
                }
            }
            continue;
        }
        let columns: Vec<&str> = if headings.len() == 2 {
            let (l, r) = split_at_col(line, 42);
            vec![l, r]
        } else {
            vec![line]
        };
        for (heading, col) in headings.iter().zip(columns) {
            let mut t: Vec<&str> = col.split_whitespace().collect();
            if t.is_empty() {
                continue;
            }
            if t.last().is_some_and(|x| x.ends_with('%')) {
                t.pop();
            }
            let n: usize = t.pop().unwrap().parse().unwrap_or_else(|_| panic!("no count in {col:?}"));
            let label = t.join(" ");
            if heading.starts_with("提示") {
                put(&mut all, &scope, "warning", warning_of(&label), n);
            } else {
                let code = heading.split_whitespace().next().unwrap();
                put(&mut all, &scope, code, item_of(code, &label), n);
            }
        }
    }
    all
}

#[test]
fn every_format_agrees_with_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let want = nonzero(make_store(&db, 2500));
    // Sanity: the edits produced what they were meant to.
    assert!(want[TOTAL].contains_key(&("warning".into(), "C2/eliminated_low_income".into())));
    assert!(want[TOTAL].contains_key(&("warning".into(), "D10/far_plan".into())));
    assert!(want[TOTAL].contains_key(&("warning".into(), "D7/placeholder".into())));

    let json: serde_json::Value = serde_json::from_slice(&run_report(&db, &["--format", "json"])).unwrap();
    assert_eq!(json["scope"]["township"], serde_json::Value::Null);
    assert_eq!(nonzero(from_json(&json)), want, "JSON");

    assert_eq!(nonzero(from_csv(&run_report(&db, &["--format", "csv"]))), want, "CSV");

    let text = String::from_utf8(run_report(&db, &[])).unwrap();
    assert_eq!(nonzero(from_text(&text)), want, "text");

    // One township: the same figures for it alone.
    let township = want.keys().find(|k| *k != TOTAL && !k.contains('/')).unwrap().clone();
    let only: All = want
        .iter()
        .filter(|(k, _)| **k == township || k.starts_with(&format!("{township}/")))
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(std::iter::once((TOTAL.to_string(), want[&township].clone())))
        .collect();
    let json: serde_json::Value = serde_json::from_slice(&run_report(&db, &["--township", &township, "--format", "json"])).unwrap();
    assert_eq!(nonzero(from_json(&json)), only, "JSON, one township");
    let text = String::from_utf8(run_report(&db, &["--township", &township])).unwrap();
    let got = nonzero(from_text(&text));
    // One township's text has its progress row in the table and its figures once, under 二.
    let mut both = got[&township].clone();
    both.extend(got[TOTAL].clone());
    assert_eq!(both, want[&township], "text, one township");
    let villages = |a: &All| a.iter().filter(|(k, _)| k.contains('/')).map(|(k, v)| (k.clone(), v.clone())).collect::<All>();
    assert_eq!(villages(&got), villages(&only), "text, one township's villages");
}

#[test]
fn output_file_is_owner_only_and_unknown_places_say_what_exists() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    {
        let store = Store::open(&db).unwrap();
        huitoukan::demo::fill(&store, 300, 9, |_| {}).unwrap();
    }
    let file = dir.path().join("进度.csv");
    std::fs::write(&file, "old").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    run_report(&db, &["--format", "csv", "--output", file.to_str().unwrap()]);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(std::fs::read(&file).unwrap().starts_with("\u{feff}".as_bytes()));

    let bin = || Command::new(env!("CARGO_BIN_EXE_huitoukan"));
    let out = bin().arg("--db").arg(&db).args(["report", "--township", "没有这个乡"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("没有“没有这个乡”这个乡镇") && err.contains(huitoukan::demo::TOWNSHIPS[0]), "{err}");

    let out = bin().arg("--db").arg(&db).args(["report", "--format", "xml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let out = bin().arg("--db").arg(dir.path().join("nowhere")).arg("report").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("不存在"));
    assert!(!dir.path().join("nowhere").exists(), "a mistyped --db is not created");
}
