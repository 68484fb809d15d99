//! `huitoukan show QUERY` run as a program on a demo store with one known
//! household: each kind of query, no match, many matches, usage errors,
//! and a store another process holds.

use huitoukan::form::value::YearMonth;
use huitoukan::form::{idnum, Value};
use huitoukan::model::{Answers, Place, SectionA};
use huitoukan::store::Store;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HEAD: &str = "欧阳锋";

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    id: String,
    /// Head and address of every household, to count matches independently.
    heads: Vec<(String, String)>,
}

/// 1200 demo households plus 欧阳锋 (an ID from another area code, a name
/// and initials no demo name has) with a draft form in the not-eliminated branch.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let id = idnum::complete("11010519800101123").unwrap();
    let store = Store::open(&db).unwrap();
    huitoukan::demo::fill(&store, 1200, 4, |_| {}).unwrap();
    let a = SectionA {
        address: "重庆市彭水县石盘乡石盘村5组".into(),
        head: HEAD.into(),
        id_number: id.clone(),
        size: 4,
        category: 1,
        enrol_risk: 2,
        enrolled: YearMonth::new(2020, 6).unwrap(),
        eliminated: None,
    };
    let place = Place { township: "石盘乡".into(), village: "石盘村".into() };
    store.upsert_households(&[(place, a)], "tester").unwrap();
    let key = store.key_of(&id).unwrap().unwrap();
    let mut answers = Answers::new();
    answers.insert("D5".into(), Value::Choice(2)); // 因残
    answers.insert("D8".into(), Value::Choice(6)); // 健康帮扶
    answers.insert("D10".into(), Value::Month(YearMonth::new(2022, 6).unwrap()));
    answers.insert("D3".into(), Value::Choice(0)); // other branch: not shown
    store.save_draft(key, &answers, "clerk9").unwrap();
    let heads = store.summaries().unwrap().into_iter().map(|s| (s.head, s.address)).collect();
    Fixture { _dir: dir, db, id, heads }
}

fn show(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huitoukan")).arg("--db").arg(db).arg("show").args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The card of 欧阳锋, whatever query found it.
fn assert_card(o: &Output, id: &str) {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    let out = stdout(o);
    assert!(out.starts_with(&format!("{HEAD}（边缘户）")), "{out}");
    for want in [
        "石盘乡 石盘村",
        "A1 家庭地址",
        &idnum::mask(id),
        "未核实",
        "未消除",
        "草稿（错误",
        "clerk9",
        "D5 当前该户最主要的风险点",
        "因残",
        "D8 已规划的主要帮扶措施",
        "健康帮扶",
        "D10 该户计划消除时限",
        "2022-06",
    ] {
        assert!(out.contains(want), "card lacks {want}:\n{out}");
    }
    assert!(!out.contains(id), "ID number shown unmasked:\n{out}");
    assert!(!out.contains("D3"), "an answer of the branch not taken is shown:\n{out}");
}

#[test]
fn each_kind_of_query_finds_the_household() {
    let f = fixture();
    assert_card(&show(&f.db, &[&f.id]), &f.id);
    assert_card(&show(&f.db, &[&f.id.to_lowercase()]), &f.id);
    assert_card(&show(&f.db, &[&f.id[f.id.len() - 6..]]), &f.id);
    assert_card(&show(&f.db, &[HEAD]), &f.id);
    assert_card(&show(&f.db, &["欧阳"]), &f.id);
    assert_card(&show(&f.db, &["oyf"]), &f.id);
    assert_card(&show(&f.db, &["OuYang"]), &f.id);

    let full = stdout(&show(&f.db, &[HEAD, "--full-id"]));
    assert!(full.contains(&f.id), "{full}");

    let o = show(&f.db, &["oyf", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["total"], 1);
    let h = &doc["households"][0];
    assert_eq!(h["head"], HEAD);
    assert_eq!(h["id_number"], idnum::mask(&f.id));
    assert_eq!(h["section_a"]["A3"], idnum::mask(&f.id));
    // An empty field is null, not the text card's placeholder.
    assert_eq!(h["section_a"]["A8"], serde_json::Value::Null, "{h}");
    assert!(!stdout(&o).contains("（空）"));
    assert_eq!(h["state"], "draft");
    assert_eq!(h["saved_by"], "clerk9");
    assert_eq!(h["risk"]["eliminated"], false);
    assert_eq!(h["answers"]["D5"], "因残");
    assert_eq!(h["answers"]["D10"], "2022-06");
    assert!(h["answers"].get("D3").is_none());
    assert!(h["errors"].as_u64().unwrap() > 0);
    // The imported household has no handbook yet: its 疑点 say so (no members, no visit).
    assert_eq!(h["handbook"]["entries"]["家庭成员"], 0);
    assert_eq!(h["handbook"]["last_visit"], serde_json::Value::Null);
    let doubts: Vec<&str> = h["handbook"]["doubts"].as_array().unwrap().iter().filter_map(|d| d.as_str()).collect();
    assert!(doubts.iter().any(|d| d.contains("没有走访")), "{doubts:?}");
    let card = stdout(&show(&f.db, &["oyf"]));
    assert!(card.contains("监测手册") && card.contains("家庭成员0条") && card.contains("疑点"), "{card}");

    // A full ID number as the query is not echoed back in full either.
    let o = show(&f.db, &[&f.id, "--json"]);
    let text = stdout(&o);
    assert!(!text.contains(&f.id), "{text}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["query"], idnum::mask(&f.id));
}

#[test]
fn many_matches_list_one_line_each_up_to_the_limit() {
    let f = fixture();
    // Names are looked up in the store's index; addresses only when no name has the text.
    let total = f.heads.iter().filter(|(h, _)| h.contains('张')).count();
    assert!(total > 20, "the demo data has many 张: {total}");
    let o = show(&f.db, &["张"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let mut lines = out.lines();
    let first = lines.next().unwrap();
    assert!(first.contains(&format!("共找到{total}户")) && first.contains("前20户"), "{first}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 20);
    for r in &rows {
        assert!(r.contains('张'), "{r}");
        assert!(r.contains("********"), "ID masked: {r}");
        assert!(unicode_width::UnicodeWidthStr::width(*r) <= 80, "{r}");
    }

    let o = show(&f.db, &["张", "--limit", "3", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["total"], total);
    assert_eq!(doc["households"].as_array().unwrap().len(), 3);

    // Part of an address that no name has is still found (by a scan).
    let by_address = f.heads.iter().filter(|(_, a)| a.contains("石盘村5组")).count();
    let o = show(&f.db, &["石盘村5组", "--limit", "500", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["total"], by_address);
    assert!(by_address >= 1);

    // Few enough to list them all.
    let initials = "oy";
    let o = show(&f.db, &[initials, "--limit", "500"]);
    assert!(stdout(&o).contains(HEAD));
}

#[test]
fn no_match_and_usage_errors() {
    let f = fixture();
    let o = show(&f.db, &["查无此人"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("没有找到与“查无此人”相符的监测对象"), "{}", stderr(&o));

    let o = show(&f.db, &["9999999"]);
    assert_eq!(o.status.code(), Some(1), "digits that end no ID number");

    let o = show(&f.db, &["zzzzq", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["total"], 0);

    let o = show(&f.db, &[]);
    assert_eq!(o.status.code(), Some(2), "no query");
    let o = show(&f.db, &["123"]);
    assert_eq!(o.status.code(), Some(2), "fewer than 4 digits");
    assert!(stderr(&o).contains("至少输入后4位"));
    let o = show(&f.db, &["  "]);
    assert_eq!(o.status.code(), Some(2), "blank query");
    let o = show(&f.db, &[HEAD, "--bogus"]);
    assert_eq!(o.status.code(), Some(2));

    let o = show(&f.db.with_file_name("none"), &[HEAD]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("不存在"));
}

#[test]
fn a_store_held_by_another_process_is_named() {
    let f = fixture();
    let _held = Store::open_as(&f.db, "huitoukan").unwrap();
    let o = show(&f.db, &[HEAD]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("正被另一个程序使用"), "{err}");
    assert!(err.contains(&format!("进程{}", std::process::id())), "{err}");
    assert!(o.stdout.is_empty());
}
