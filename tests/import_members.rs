//! `huitoukan import --members FILE`: people into the handbook's 家庭成员,
//! the household found by its head's ID number, through the real binary:
//! new people added, known people updated, bad cells and rows the store
//! cannot file (no such household, an ID that is another household's
//! head's) refused with their reasons, and a dry run that writes nothing.

use huitoukan::form::Value;
use huitoukan::store::Store;
use std::path::Path;
use std::process::Command;

fn import(db: &Path, file: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan"))
        .arg("--db")
        .arg(db)
        .arg("--operator")
        .arg("管理员")
        .arg("import")
        .arg("--members")
        .args(extra)
        .arg(file)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn id(prefix17: &str) -> String {
    huitoukan::form::idnum::complete(prefix17).unwrap()
}

#[test]
fn members_are_added_updated_or_refused_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let (h1, h2, h3, known) = {
        let store = Store::open(&db).unwrap();
        huitoukan::demo::fill(&store, 30, 4, |_| {}).unwrap();
        let s = store.summaries().unwrap();
        let head = |k: u64| store.get(k).unwrap().unwrap().household.a.id_number;
        let known = store.entries(s[1].key).unwrap().into_iter().find(|e| e.form.id == "members").unwrap();
        (head(s[0].key), head(s[1].key), head(s[2].key), known)
    };
    let Some(Value::Text(known_id)) = known.answers.get("M3").cloned() else { panic!("a member's ID") };
    let Some(Value::Text(known_name)) = known.answers.get("M1").cloned() else { panic!("a name") };
    let known_relation = if known.seq == 1 { "户主" } else { "其他" };
    let new_id = id("52000020100315001");
    let csv = format!(
        "户主证件号码,姓名,与户主关系,证件号码,健康状况,劳动技能,在校情况,参加医保,务工情况,备注\n\
         {h1},冉小明,之子,{new_id},健康,无劳动力,小学,居民医保,,新增\n\
         {h2},{known_name},{known_relation},{known_id},患有大病,弱劳动力或半劳动力,非在校生,居民医保,,更新\n\
         {nobody},王二,之女,{other},健康,无劳动力,小学,居民医保,,没有这户\n\
         {h1},张冒,之子,{h3},健康,普通劳动力,非在校生,居民医保,县内务工,别户户主\n\
         {h1},李四,表哥,{other2},健康,普通劳动力,非在校生,居民医保,,关系不对\n\
         {h2},冉小明,之子,{new_id},健康,无劳动力,小学,居民医保,,重复\n",
        nobody = id("11010519700101001"),
        other = id("52000020120101002"),
        other2 = id("52000019900101003"),
    );
    let file = dir.path().join("成员.csv");
    std::fs::write(&file, csv).unwrap();

    let (code, out) = import(&db, &file, &["--dry-run"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("试运行") && out.contains("新增 1 人，更新 1 人"), "{out}");
    let before = Store::open(&db).unwrap().entries(1).unwrap().len();

    let report = dir.path().join("拒绝.csv");
    let (code, out) = import(&db, &file, &["--report", report.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("可导入 2 行，拒绝 4 行"), "{out}");
    assert!(out.contains("第4行") && out.contains("没有户主证件号码为"), "{out}");
    assert!(out.contains("第5行") && out.contains("另一户") && out.contains("户主"), "{out}");
    assert!(out.contains("第6行") && out.contains("与户主关系"), "{out}");
    assert!(out.contains("第7行") && out.contains("与第2行是同一个证件号码"), "{out}");
    assert!(out.contains("未识别的列（已忽略）：备注"), "{out}");
    let rejected = std::fs::read_to_string(&report).unwrap();
    assert_eq!(rejected.lines().count(), 5, "{rejected}");

    let store = Store::open(&db).unwrap();
    let k1 = store.key_of(&h1).unwrap().unwrap();
    let k2 = store.key_of(&h2).unwrap().unwrap();
    let added = store.entries(k1).unwrap().into_iter().find(|e| e.answers.get("M3") == Some(&Value::Text(new_id.clone()))).unwrap();
    assert_eq!(added.answers.get("M1"), Some(&Value::Text("冉小明".into())));
    assert_eq!(store.entries(k1).unwrap().len(), before + 1);
    let updated = store.entries(k2).unwrap().into_iter().find(|e| e.seq == known.seq && e.form.id == "members").unwrap();
    assert_eq!(updated.answers.get("M4"), Some(&Value::Choice(2)), "患有大病");
    assert!(store.history(k2).unwrap().iter().any(|h| h.field == format!("members#{} M4", known.seq) && h.who == "管理员"));
    // Importing the same file again changes nothing.
    drop(store);
    let (_, out) = import(&db, &file, &[]);
    assert!(out.contains("没有改动") || out.contains("新增 0 人，更新 0 人"), "{out}");
}

#[test]
fn a_members_file_without_the_columns_says_which_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    Store::open(&db).unwrap();
    let file = dir.path().join("成员.csv");
    std::fs::write(&file, "姓名,证件号码\n张三,11010519491231002X\n").unwrap();
    let (code, out) = import(&db, &file, &[]);
    assert_ne!(code, 0);
    assert!(out.contains("户主证件号码") && out.contains("与户主关系"), "{out}");
}
