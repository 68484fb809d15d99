//! Form files: `huitoukan form check FILE` on broken copies of the shipped
//! look-back form (every problem with its line, in Chinese, exit 1), and an
//! optional field added to a copy with no Rust change, filled and validated.

mod form_support;

use huitoukan::form::file;
use huitoukan::form::rules::{self, Severity};
use huitoukan::form::schema::{self, Kind, Section, SHIPPED_TOML};
use huitoukan::form::{Round, Value, YearMonth};
use std::collections::BTreeMap;
use std::process::Command;

/// Runs `huitoukan form check` on `text`: (exit code, stdout).
fn check_cli(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("form.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan")).args(["form", "check"]).arg(&path).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The shipped text with `old` (which must occur exactly once) replaced, and
/// the 1-based line where `old` started.
fn broken(old: &str, new: &str) -> (String, usize) {
    assert_eq!(SHIPPED_TOML.matches(old).count(), 1, "{old}");
    let at = SHIPPED_TOML.find(old).unwrap();
    let line = SHIPPED_TOML[..at].matches('\n').count() + 1;
    (SHIPPED_TOML.replacen(old, new, 1), line)
}

#[test]
fn the_shipped_file_checks_clean() {
    let (code, out) = check_cli(SHIPPED_TOML);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("表单 huitoukan（监测对象“回头看”信息采集表）版本 2021"), "{out}");
    assert!(out.contains("26个字段") && out.contains("6条跨字段提示") && out.contains("未发现问题"), "{out}");
    let form = schema::shipped();
    assert_eq!((form.id, form.version, form.fields.len()), ("huitoukan", 2021, 26));
}

#[test]
fn broken_files_name_each_problem_and_its_line() {
    // (what to replace, with what, the line offset from the replaced text's start, the message)
    let cases: &[(&str, &str, usize, &str)] = &[
        // A duplicate code: the second D5 is reported at its own line.
        ("code = \"D6\"", "code = \"D5\"", 0, "字段代码“D5”重复"),
        // A condition reading a field the form does not have.
        ("when = \"C1 == 是\"", "when = \"E1 == 是\"", 0, "条件中的字段“E1”不存在"),
        // An option list that is not defined.
        ("options = \"income_source\"", "options = \"income_sources\"", 0, "选项表“income_sources”没有定义"),
        // A condition that does not parse.
        ("when = \"A8 != 空 and C4 == 是\"", "when = \"A8 != 空 and (C4 == 是\"", 0, "缺少右括号"),
        ("when = \"C1 == 是 and C4 == 是\"", "when = \"C1 == 是 C4 == 是\"", 0, "多出了“C4”"),
        // An option label a condition compares with that is not in the list.
        ("C2 == \\\"13500元以上\\\"", "C2 == \\\"一万元以上\\\"", 0, "“一万元以上”不是C2的选项"),
        // Unknown kind and helper; a kind's missing limit; a misspelt key.
        ("kind = \"long_text\"", "kind = \"essay\"", 0, "未知的类型“essay”"),
        ("helper = \"water\"", "helper = \"well\"", 0, "未知的辅助工具“well”"),
        ("kind = \"names\"\nmax = 3\n", "kind = \"names\"\n", 0, "字段D1是names类型，缺少max"),
        ("warn_above = 12", "warn_abov = 12", 0, "不认识的键“warn_abov”"),
        // A reference to a field that does not exist.
        ("main = \"D8\"", "main = \"D88\"", 0, "main“D88”不存在"),
        ("\"not_before:A7\"", "\"not_before:A9\"", 0, "引用的字段“A9”不存在"),
        // Bad TOML.
        ("title = \"C. 收入情况\"", "title = \"C. 收入情况", 0, "不是有效的TOML"),
    ];
    for (old, new, offset, want) in cases {
        let (text, line) = broken(old, new);
        let (code, out) = check_cli(&text);
        assert_eq!(code, 1, "{old} → {new}: {out}");
        let expect = format!("第{}行：", line + offset);
        assert!(out.lines().any(|l| l.contains(&expect) && l.contains(want)), "{old} → {new}: want {expect}…{want}, got\n{out}");
        assert!(out.contains("共") && out.contains("个问题"), "{out}");
        // The library says the same.
        let problems = file::check(&text).unwrap_err();
        assert!(problems.iter().any(|p| p.line == line + offset && p.message.contains(want)), "{problems:?}");
    }
}

#[test]
fn several_problems_are_all_listed_in_line_order() {
    let text = SHIPPED_TOML
        .replacen("code = \"D6\"", "code = \"D5\"", 1)
        .replacen("options = \"income_source\"", "options = \"nowhere\"", 1)
        .replacen("when = \"C1 == 是\"", "when = \"Z9 == 是\"", 1);
    let problems = file::check(&text).unwrap_err();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems.windows(2).all(|w| w[0].line <= w[1].line), "{problems:?}");
    let (code, out) = check_cli(&text);
    assert_eq!(code, 1);
    assert!(out.contains("共3个问题"), "{out}");
}

#[test]
fn unreadable_and_non_utf8_files_get_a_chinese_message() {
    let (code, out) = check_cli("\u{0}\u{1}not toml at all [[[");
    assert_eq!(code, 1);
    assert!(out.contains("第1行") && out.contains("不是有效的TOML"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gbk.toml");
    std::fs::write(&path, [0xb1, 0xed, 0xb5, 0xa5]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan")).args(["form", "check"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("UTF-8"));
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan")).args(["form", "check"]).arg(dir.path().join("none.toml")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("读不出表单文件"));
}

/// One entry appended to section D: a text field D11, optional, on the
/// not-eliminated branch. No Rust changes.
const D11: &str = r#"
[[fields]]
code = "D11"
label = "其他需要说明的情况"
section = "D"
kind = "text"
min = 2
max = 50
required = false
branch = "not_eliminated"
hint = "上面各项没有包括、需要说明的情况（可不填）"
"#;

fn with_d11() -> &'static file::Form {
    // Fields are in the form's order: D11 goes after D10, before the warnings.
    let at = SHIPPED_TOML.find("# Cross-field warnings").unwrap();
    let text = format!("{}{D11}\n{}", &SHIPPED_TOML[..at], &SHIPPED_TOML[at..]);
    file::load(&text).unwrap_or_else(|p| panic!("{p:?}"))
}

fn clean_record() -> BTreeMap<String, Value> {
    let ym = |y, m| Value::Month(YearMonth::new(y, m).unwrap());
    let text = |s: &str| Value::Text(s.into());
    [
        ("A1", text("重庆市彭水县石盘乡石盘村3组")),
        ("A2", text("张三")),
        ("A3", text("11010519491231002X")),
        ("A4", Value::Int(4)),
        ("A5", Value::Choice(0)),
        ("A6", Value::Choice(0)),
        ("A7", ym(2020, 6)),
        ("B1", Value::Bool(false)),
        ("B2", Value::Bool(false)),
        ("B3", Value::Bool(false)),
        ("B4", Value::Bool(true)),
        ("C1", Value::Bool(false)),
        ("C2", Value::Choice(1)),
        ("C3", Value::Choice(0)),
        ("C4", Value::Bool(false)),
        ("D1", Value::List(vec!["李四".into()])),
        ("D2", Value::List(vec!["13812345678".into()])),
        ("D5", Value::Choice(0)),
        ("D7", text("户主张三患慢性病，每月自付医药费约600元，家庭主要收入来源为务工。")),
        ("D8", Value::Choice(6)),
        ("D10", ym(2021, 12)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[test]
fn an_optional_field_added_to_the_file_is_filled_and_validated() {
    let form = with_d11();
    assert_eq!(form.fields.len(), 27);
    let d11 = form.field("D11").expect("D11 loaded");
    assert_eq!(form.position("D11"), Some(26));
    assert_eq!((d11.section, d11.kind, d11.required), (Section::D, Kind::Text { min: 2, max: 50 }, false));
    assert_eq!(d11.heading(), "D11 其他需要说明的情况");
    assert_eq!(form.section_fields(Section::D).count(), 11);
    let round = Round::default();

    // Optional: a clean record without it has no findings, with the new form as with the shipped one.
    let mut rec = clean_record();
    assert_eq!(rules::validate_in(form, &rec, &round), vec![]);
    assert_eq!(rules::validate(&rec, &round), vec![]);

    // Filled as the editor and the import fill any field: typed text parsed by its kind.
    let v = rules::parse_input(d11, "  家中老人需长期照护  ").unwrap().unwrap();
    assert_eq!(v, Value::Text("家中老人需长期照护".into()));
    rec.insert("D11".into(), v.clone());
    assert_eq!(rules::validate_in(form, &rec, &round), vec![]);
    assert_eq!(rules::display_value(d11, &v), "家中老人需长期照护");

    // Its limits come from the file.
    rec.insert("D11".into(), Value::Text("长".repeat(51)));
    let found = rules::validate_in(form, &rec, &round);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].code, found[0].rule, found[0].severity), ("D11", "length", Severity::Error));
    assert!(found[0].message.contains("其他需要说明的情况应为2–50个字"), "{}", found[0].message);

    // On the not-eliminated branch only: once A8 is set it is not part of the form.
    assert!(rules::is_active_in(form, d11, &rec));
    rec.insert("A8".into(), Value::Month(YearMonth::new(2021, 3).unwrap()));
    assert!(!rules::is_active_in(form, d11, &rec));
    assert!(!rules::validate_in(form, &rec, &round).iter().any(|f| f.code == "D11"));
}

#[test]
fn a_warning_added_to_the_file_can_read_the_new_field() {
    let at = SHIPPED_TOML.find("# Cross-field warnings").unwrap();
    let warning = r#"
[[warnings]]
id = "d11_with_hardship"
field = "D11"
when = "D11 != 空 and C4 == 是"
message = "严重困难户请在D11说明之外另报乡镇"
short = "严重困难户有补充说明"
"#;
    let text = format!("{}{D11}\n{}{warning}", &SHIPPED_TOML[..at], &SHIPPED_TOML[at..]);
    let form = file::load(&text).unwrap_or_else(|p| panic!("{p:?}"));
    let mut rec = clean_record();
    rec.insert("D11".into(), Value::Text("需照护".into()));
    assert_eq!(rules::validate_in(form, &rec, &Round::default()), vec![]);
    rec.insert("C4".into(), Value::Bool(true));
    let found = rules::validate_in(form, &rec, &Round::default());
    assert!(found.iter().any(|f| f.code == "D11" && f.rule == "d11_with_hardship" && f.severity == Severity::Warning), "{found:?}");
}

/// A record as the 2021 round's form would hold it.
fn as_2021(mut lb: huitoukan::model::LookBack) -> huitoukan::model::LookBack {
    lb.form.form = huitoukan::form::FormRef::look_back_2021();
    lb.form.answers.remove("D11");
    lb
}

/// The file with D11, as a later round's form (its own version): the store
/// begins households with it, the editor shows and saves D11 with no Rust
/// change, and the store keeps that definition beside the 2021 one.
#[test]
fn a_later_round_with_a_new_field_is_entered_in_the_editor_and_kept_by_the_store() {
    let at = SHIPPED_TOML.find("# Cross-field warnings").unwrap();
    let text = format!("{}{D11}\n{}", &SHIPPED_TOML[..at], &SHIPPED_TOML[at..]).replace("version = 2021", "version = 2031");
    let later = huitoukan::form::registry::register(&text).unwrap();
    let mut h = form_support::Harness::with_form(vec![form_support::section_a(1, "张三", None)], later);
    assert_eq!(h.ed.record().form.form, later.reference());
    // Sections B and C as a clerk types them: saved as the later round's record.
    h.press(&form_support::bc_keys(1));
    let d11 = later.field("D11").unwrap();
    let stored = h.stored();
    assert_eq!(stored.form.form, later.reference(), "the record names the later round's form");
    let mut answers = stored.form.answers.clone();
    answers.insert("D11".into(), rules::parse_input(d11, "家中老人需长期照护").unwrap().unwrap());
    h.store.save_draft(h.key(), &answers, "t").unwrap();
    let stored = h.stored();
    assert_eq!(
        stored.form.answers.get("D11"),
        Some(&Value::Text("家中老人需长期照护".into())),
        "D11 is kept: it is a field of the record's own form"
    );
    let mut kept = h.store.definitions().unwrap();
    kept.sort();
    assert_eq!(kept, vec![later.reference()]);
    // Reopened, the editor is driven by the record's form: D11 is on screen.
    h.ed = huitoukan::ui::form::FormEditor::new(h.key(), stored, h.store.round().clone());
    let tall = h.screen_at(80, 50, huitoukan::ui::theme::Theme { ascii: false, color: false });
    assert!(tall.contains("D11 其他需要说明的情况") && tall.contains("家中老人需长期照护"), "{tall}");
    // An editor on a 2021 record of the same store shows no D11.
    let old = huitoukan::ui::form::FormEditor::new(h.key(), as_2021(h.stored()), h.store.round().clone());
    h.ed = old;
    let tall = h.screen_at(80, 50, huitoukan::ui::theme::Theme { ascii: false, color: false });
    assert!(!tall.contains("D11"), "{tall}");
}

/// A record whose form version no definition is known for opens read-only,
/// says so in Chinese, and keeps every answer.
#[test]
fn a_record_of_an_unknown_form_version_opens_read_only_with_a_message() {
    let mut h = form_support::Harness::new(vec![form_support::section_a(1, "张三", None)]);
    let mut lb = h.stored();
    lb.form.form = huitoukan::form::FormRef { id: "huitoukan".into(), version: 9999 };
    lb.form.state = huitoukan::model::FormState::Draft;
    lb.form.answers.insert("B1".into(), Value::Bool(false));
    h.ed = huitoukan::ui::form::FormEditor::new(h.key(), lb.clone(), Round::default());
    let screen = h.screen();
    assert!(screen.contains("第9999版"), "{screen}");
    h.press("2 1 tab");
    assert_eq!(h.ed.answers(), &lb.form.answers, "nothing typed over it");
    assert!(h.effects.iter().all(|e| !matches!(e, huitoukan::ui::form::FormEffect::SaveDraft { .. })), "{:?}", h.effects);
}
