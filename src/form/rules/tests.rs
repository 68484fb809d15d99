use super::*;
use crate::form::options;
use crate::form::schema::FIELDS;
use crate::form::value::YearMonth;
use std::collections::BTreeMap;

fn ym(y: u16, m: u8) -> Value {
    Value::Month(YearMonth::new(y, m).unwrap())
}

/// A complete, clean not-eliminated record.
pub(crate) fn clean_not_eliminated() -> BTreeMap<String, Value> {
    let mut r = BTreeMap::new();
    let mut put = |k: &str, v: Value| {
        r.insert(k.to_string(), v);
    };
    put("A1", Value::Text("重庆市彭水县石盘乡石盘村3组".into()));
    put("A2", Value::Text("张三".into()));
    put("A3", Value::Text("11010519491231002X".into()));
    put("A4", Value::Int(4));
    put("A5", Value::Choice(0));
    put("A6", Value::Choice(0));
    put("A7", ym(2020, 6));
    put("B1", Value::Bool(false));
    put("B2", Value::Bool(false));
    put("B3", Value::Bool(false));
    put("B4", Value::Bool(true));
    put("C1", Value::Bool(false));
    put("C2", Value::Choice(1));
    put("C3", Value::Choice(0));
    put("C4", Value::Bool(false));
    put("D1", Value::List(vec!["李四".into()]));
    put("D2", Value::List(vec!["13812345678".into()]));
    put("D5", Value::Choice(0));
    put("D6", Value::Multi(vec![3]));
    put("D7", Value::Text("户主张三患慢性病，每月自付医药费约600元，家庭主要收入来源为务工。".into()));
    put("D8", Value::Choice(6));
    put("D9", Value::Multi(vec![1]));
    put("D10", ym(2021, 12));
    r
}

fn rules_of(rec: &BTreeMap<String, Value>) -> Vec<(&'static str, &'static str, Severity)> {
    validate(rec, &Round::default()).into_iter().map(|f| (f.code, f.rule, f.severity)).collect()
}

#[test]
fn clean_record_has_no_findings() {
    assert_eq!(rules_of(&clean_not_eliminated()), vec![]);
}

#[test]
fn d7_counts_characters_after_trimming() {
    let mut r = clean_not_eliminated();
    r.insert("D7".into(), Value::Text(format!("  {}  ", "困".repeat(19))));
    assert_eq!(rules_of(&r), vec![("D7", "length", Severity::Error)]);
    r.insert("D7".into(), Value::Text(format!("  {}\n", "困".repeat(20))));
    assert_eq!(rules_of(&r), vec![]);
    r.insert("D7".into(), Value::Text("困".repeat(2000)));
    assert_eq!(rules_of(&r), vec![]);
    r.insert("D7".into(), Value::Text("困".repeat(2001)));
    assert_eq!(rules_of(&r), vec![("D7", "length", Severity::Error)]);
}

// ---------------------------------------------------------------------------
// Helpers: records built from the clean ones, and exact expectations.

type Rec = BTreeMap<String, Value>;

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| s.to_string()).collect())
}

/// A complete, clean risk-eliminated record (A8 set: D3–D4 instead of D5–D10).
pub(crate) fn clean_eliminated() -> Rec {
    let mut r = clean_not_eliminated();
    for code in ["D5", "D6", "D7", "D8", "D9", "D10"] {
        r.remove(code);
    }
    r.insert("A8".into(), ym(2021, 3));
    r.insert("D3".into(), Value::Choice(0));
    r.insert("D4".into(), Value::Multi(vec![1]));
    r
}

trait Edit: Sized {
    fn with(self, code: &str, v: Value) -> Self;
    fn without(self, code: &str) -> Self;
}

impl Edit for Rec {
    fn with(mut self, code: &str, v: Value) -> Self {
        self.insert(code.to_string(), v);
        self
    }
    fn without(mut self, code: &str) -> Self {
        self.remove(code);
        self
    }
}

/// The base record whose branch includes `code`.
fn clean_for(code: &str) -> Rec {
    match schema::field(code).map(|f| f.branch) {
        Some(Branch::Eliminated) => clean_eliminated(),
        _ => clean_not_eliminated(),
    }
}

/// Validates and asserts the findings are exactly `want` (code, rule, severity), in order.
#[track_caller]
fn check(rec: &Rec, want: &[(&str, &str, Severity)]) -> Vec<Finding> {
    let got = validate(rec, &Round::default());
    let keys: Vec<_> = got.iter().map(|f| (f.code, f.rule, f.severity)).collect();
    assert_eq!(keys, want, "{got:#?}");
    got
}

/// Asserts exactly one finding, with this code, rule and severity, whose
/// message mentions each of `says` (what is wrong and what to enter).
#[track_caller]
fn one(rec: &Rec, code: &str, rule: &str, severity: Severity, says: &[&str]) -> Finding {
    let f = check(rec, &[(code, rule, severity)]).remove(0);
    says_all(&f, says);
    f
}

#[track_caller]
fn says_all(f: &Finding, says: &[&str]) {
    for s in says {
        assert!(f.message.contains(s), "{} {}: message should mention “{s}”: {}", f.code, f.rule, f.message);
    }
}

// ---------------------------------------------------------------------------
// Both clean records, and what every field must have.

#[test]
fn clean_eliminated_record_has_no_findings() {
    check(&clean_eliminated(), &[]);
}

#[test]
fn every_required_field_blank_is_an_error_saying_what_to_enter() {
    let mut covered = Vec::new();
    for f in FIELDS.iter().filter(|f| f.required) {
        let base = clean_for(f.code);
        let mut blanks = vec![base.clone().without(f.code)];
        match f.kind {
            Kind::Text { .. } | Kind::LongText { .. } | Kind::IdNumber => blanks.push(base.clone().with(f.code, text(" \u{3000}\n"))),
            Kind::Names { .. } | Kind::Phones { .. } => blanks.push(base.clone().with(f.code, list(&["", " "]))),
            _ => {}
        }
        for rec in blanks {
            let got = validate(&rec, &Round::default());
            let mine: Vec<_> = got.iter().filter(|x| x.code == f.code).collect();
            assert_eq!(mine.len(), 1, "{}: {got:#?}", f.code);
            assert_eq!((mine[0].rule, mine[0].severity), ("required", E), "{}", f.code);
            says_all(mine[0], &[f.label, "未填写", f.hint]);
            // Only D2 follows D1: its phones lose their names.
            let others: Vec<_> = got.iter().filter(|x| x.code != f.code).map(|x| (x.code, x.rule)).collect();
            let expected: &[(&str, &str)] = if f.code == "D1" { &[("D2", "paired")] } else { &[] };
            assert_eq!(others, expected, "{}", f.code);
        }
        covered.push(f.code);
    }
    assert_eq!(
        covered,
        [
            "A1", "A2", "A3", "A4", "A5", "A6", "A7", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4", "D1", "D2", "D3", "D5", "D7", "D8",
            "D10"
        ]
    );
}

#[test]
fn optional_fields_may_stay_blank() {
    check(&clean_not_eliminated().without("A8"), &[]);
    check(&clean_eliminated().without("D4"), &[]);
    check(&clean_eliminated().with("D4", Value::Multi(vec![])), &[]);
    for code in ["D6", "D9"] {
        check(&clean_not_eliminated().without(code), &[]);
        check(&clean_not_eliminated().with(code, Value::Multi(vec![])), &[]);
    }
}

#[test]
fn every_field_refuses_a_value_of_the_wrong_kind() {
    for f in FIELDS {
        let wrong = match f.kind {
            Kind::Text { .. } | Kind::LongText { .. } | Kind::IdNumber => Value::Bool(true),
            _ => text("错"),
        };
        let rec = clean_for(f.code).with(f.code, wrong);
        let got: Vec<_> = validate(&rec, &Round::default()).into_iter().filter(|x| x.code == f.code).collect();
        assert_eq!(got.len(), 1, "{}: {got:#?}", f.code);
        assert_eq!((got[0].rule, got[0].severity), ("kind", E), "{}", f.code);
        says_all(&got[0], &[f.label, "请重新填写"]);
    }
}

// ---------------------------------------------------------------------------
// Section A.

#[test]
fn a1_address_is_1_to_100_characters() {
    check(&clean_not_eliminated().with("A1", text(&"址".repeat(100))), &[]);
    check(&clean_not_eliminated().with("A1", text("1组")), &[]);
    one(&clean_not_eliminated().with("A1", text(&"址".repeat(101))), "A1", "length", E, &["家庭地址", "1–100个字", "现有101个字"]);
}

#[test]
fn a2_head_name_is_1_to_20_characters_and_may_contain_a_middle_dot() {
    check(&clean_not_eliminated().with("A2", text("阿卜杜·热合曼")), &[]);
    check(&clean_not_eliminated().with("A2", text("买买提·艾力·阿卜杜热合曼")), &[]);
    check(&clean_not_eliminated().with("A2", text(&"名".repeat(20))), &[]);
    one(&clean_not_eliminated().with("A2", text(&"名".repeat(21))), "A2", "length", E, &["户主姓名", "1–20个字", "现有21个字"]);
}

/// A3 in a record: the rules report what `idnum` says.
#[track_caller]
fn a3(id: &str, says: &[&str]) {
    let rec = clean_not_eliminated().with("A3", text(id));
    if says.is_empty() {
        check(&rec, &[]);
    } else {
        one(&rec, "A3", "id_number", E, says);
    }
}

#[test]
fn a3_resident_id_numbers() {
    a3("11010519491231002X", &[]);
    a3("11010519491231002x", &[]);
    a3(" 110105 19491231 002X ", &[]);
    a3("１１０１０５１９４９１２３１００２Ｘ", &[]);
    a3("１１０１０５１９４９１２３１００２ｘ", &[]);
    a3("110105194912310021", &["校验位应为X", "实为1", "逐位核对"]);
    let feb30 = idnum::complete("50024319900230123").unwrap();
    a3(&feb30, &["出生日期19900230", "不是有效日期"]);
    a3("11010519491231002", &["17位", "18位身份证号或20位残疾证号"]);
    a3("5.00243E+17", &["科学计数法", "文本", "完整号码"]);
    a3("5.00243e+17", &["科学计数法"]);
    a3("11010519491231002Y", &["只填数字", "X"]);
}

#[test]
fn a3_disability_certificate_numbers() {
    for cat in 1..=7 {
        for lvl in 1..=4 {
            a3(&format!("11010519491231002X{cat}{lvl}"), &[]);
        }
    }
    a3("11010519491231002x34", &[]);
    a3("11010519491231002X04", &["第19位", "1–7", "实为0"]);
    a3("11010519491231002X84", &["第19位", "1–7", "实为8"]);
    a3("11010519491231002X30", &["第20位", "1–4", "实为0"]);
    a3("11010519491231002X35", &["第20位", "1–4", "实为5"]);
    a3("11010519491231002134", &["校验位应为X"]);
    a3("11010519491231002X345", &["21位"]);
}

#[test]
fn a4_household_size() {
    for n in [1, 4, 12] {
        check(&clean_not_eliminated().with("A4", Value::Int(n)), &[]);
    }
    one(&clean_not_eliminated().with("A4", Value::Int(0)), "A4", "range", E, &["家庭人口数", "1–30", "现为0"]);
    one(&clean_not_eliminated().with("A4", Value::Int(31)), "A4", "range", E, &["1–30", "现为31"]);
    one(&clean_not_eliminated().with("A4", Value::Int(-2)), "A4", "range", E, &["1–30"]);
    one(&clean_not_eliminated().with("A4", Value::Int(13)), "A4", "large", W, &["13人", "超过12人", "共同生活、共同开支"]);
    one(&clean_not_eliminated().with("A4", Value::Int(30)), "A4", "large", W, &["30人"]);
}

#[test]
fn a5_a6_single_choices() {
    for (code, n, says) in [("A5", 2u16, "脱贫不稳定户、边缘易致贫户"), ("A6", 8, "因大病、因学、因残")] {
        for i in 0..n {
            check(&clean_not_eliminated().with(code, Value::Choice(i)), &[]);
        }
        one(&clean_not_eliminated().with(code, Value::Choice(n)), code, "option", E, &["选项无效", "可选", says]);
        one(&clean_not_eliminated().with(code, Value::Choice(u16::MAX)), code, "option", E, &[says]);
    }
}

#[test]
fn a7_enrolment_not_after_the_reference_month() {
    check(&clean_not_eliminated().with("A7", ym(2021, 4)), &[]);
    check(&clean_not_eliminated().with("A7", ym(2016, 1)), &[]);
    one(
        &clean_not_eliminated().with("A7", ym(2021, 5)),
        "A7",
        "after_reference",
        E,
        &["纳入系统时间2021-05", "晚于统计时点", "2021年4月20日24时", "核对"],
    );
}

#[test]
fn a8_not_before_a7_and_not_after_the_reference_month() {
    // clean_eliminated: A7 2020-06, A8 2021-03.
    check(&clean_eliminated().with("A8", ym(2020, 6)), &[]);
    check(&clean_eliminated().with("A8", ym(2021, 4)), &[]);
    one(&clean_eliminated().with("A8", ym(2020, 5)), "A8", "before_other", E, &["标注风险消除年月2020-05", "早于A7纳入系统时间2020-06"]);
    one(&clean_eliminated().with("A8", ym(2021, 5)), "A8", "after_reference", E, &["2021-05", "晚于统计时点", "2021年4月20日24时"]);
    // Without A7 there is nothing to compare with: only A7's own error.
    check(&clean_eliminated().without("A7"), &[("A7", "required", E)]);
}

// ---------------------------------------------------------------------------
// Sections B and C.

#[test]
fn b_and_c_yes_no_take_either_answer() {
    for code in ["B1", "B2", "B3", "B4", "C1", "C4"] {
        let yes = clean_not_eliminated().with(code, Value::Bool(true));
        let no = clean_not_eliminated().with(code, Value::Bool(false));
        // Only cross-field warnings may follow an answer (tested below); never an error.
        for rec in [yes, no] {
            assert!(validate(&rec, &Round::default()).iter().all(|f| f.severity == W), "{code}");
        }
    }
}

#[test]
fn c2_c3_options() {
    for i in 0..3u16 {
        check(&clean_not_eliminated().with("C3", Value::Choice(i)), &[]);
    }
    one(&clean_not_eliminated().with("C3", Value::Choice(3)), "C3", "option", E, &["最主要收入来源", "外出务工、发展产业、低保、特困"]);
    for i in 0..3u16 {
        check(&clean_not_eliminated().with("C2", Value::Choice(i)), &[]);
    }
    // 13500元以上 is valid but draws a warning when the risk is not eliminated (see the cross rules).
    check(&clean_eliminated().with("C2", Value::Choice(3)), &[]);
    one(&clean_not_eliminated().with("C2", Value::Choice(4)), "C2", "option", E, &["6000元以下、6000-9000元、9000-13500元、13500元以上"]);
}

// ---------------------------------------------------------------------------
// D1 and D2: monitors and their phones.

#[test]
fn d1_one_to_three_names() {
    let three = clean_not_eliminated()
        .with("D1", list(&["李四", "王五", "阿卜杜·热合曼"]))
        .with("D2", list(&["13812345678", "023-78865441", "19912345678"]));
    check(&three, &[]);
    let four = clean_not_eliminated()
        .with("D1", list(&["李四", "王五", "赵六", "孙七"]))
        .with("D2", list(&["13812345678", "13912345678", "13712345678", "13612345678"]));
    one(&four, "D1", "count", E, &["监测责任人姓名", "最多3名", "现有4名"]);
    let long = clean_not_eliminated().with("D1", list(&[&"名".repeat(21)]));
    one(&long, "D1", "length", E, &["超过20个字"]);
}

#[test]
fn d2_phones_pair_with_names() {
    let name_without_phone = clean_not_eliminated().with("D1", list(&["李四", "王五"]));
    one(&name_without_phone, "D2", "paired", E, &["第2名责任人", "王五", "缺少联系电话"]);
    let phone_without_name = clean_not_eliminated().with("D2", list(&["13812345678", "13912345678"]));
    one(&phone_without_name, "D2", "paired", E, &["第2个电话13912345678", "没有对应的责任人姓名", "在D1补上姓名"]);
    // A gap in the middle: the second name has no phone, the third phone no name... paired by position.
    let gap = clean_not_eliminated().with("D1", list(&["李四", "王五", ""])).with("D2", list(&["13812345678", "", "13912345678"]));
    check(&gap, &[("D2", "paired", E), ("D2", "paired", E)]);
    // D2 blank while D1 is set: D2 is required.
    one(&clean_not_eliminated().without("D2"), "D2", "required", E, &["监测责任人联系电话", "手机号"]);
}

#[test]
fn d2_mobile_and_landline_numbers() {
    for ok in ["13812345678", "19912345678", "023-78865441", "02378865441", "0851-1234567", "+86 138 1234 5678", "１３８１２３４５６７８"]
    {
        check(&clean_not_eliminated().with("D2", list(&[ok])), &[]);
    }
    let bad = |p: &str, says: &[&str]| {
        one(&clean_not_eliminated().with("D2", list(&[p])), "D2", "phone", E, says);
    };
    bad("12812345678", &["第1个电话", "第二位应为3–9"]);
    bad("1381234567", &["有10位", "手机号应为11位", "023-78865441"]);
    bad("78865441", &["缺少区号", "023-78865441"]);
    bad("23-78865441", &["格式不对", "023-78865441"]);
    bad("电话待补", &["格式不对", "11位手机号"]);
    bad("+86", &["电话为空", "11位"]);
}

#[test]
fn d2_repeated_phone_is_a_warning() {
    let twice = clean_not_eliminated().with("D1", list(&["李四", "王五"])).with("D2", list(&["13812345678", "138 1234 5678"]));
    one(&twice, "D2", "phone_repeat", W, &["第2个电话13812345678", "重复", "核实"]);
    let distinct = twice.with("D2", list(&["13812345678", "13812345679"]));
    check(&distinct, &[]);
}

// ---------------------------------------------------------------------------
// D3–D10: the two branches.

#[test]
fn multi_choices_must_not_repeat_their_main_choice_or_themselves() {
    for (multi, main, options) in [("D4", "D3", &options::MEASURE), ("D6", "D5", &options::CURRENT_RISK), ("D9", "D8", &options::MEASURE)] {
        let base = clean_for(multi);
        let Some(Value::Choice(m)) = base.get(main).cloned() else { panic!("{main} answered in the clean record") };
        let other = (m + 1) % options.len() as u16;
        let third = (m + 2) % options.len() as u16;
        check(&base.clone().with(multi, Value::Multi(vec![other, third])), &[]);
        let label = options.label(m).unwrap();
        let main_label = schema::field(main).unwrap().label;
        one(&base.clone().with(multi, Value::Multi(vec![other, m])), multi, "repeats_main", E, &["不能再选", label, main, main_label]);
        one(&base.clone().with(multi, Value::Multi(vec![other, other])), multi, "repeat", E, &["重复的选项", "去掉重复的"]);
        let n = options.len() as u16;
        one(&base.clone().with(multi, Value::Multi(vec![n])), multi, "option", E, &["选项无效", options.labels[0]]);
        // Once the main choice moves, the same list is fine.
        check(&base.with(main, Value::Choice(third)).with(multi, Value::Multi(vec![other])), &[]);
    }
}

#[test]
fn d3_d5_d8_options() {
    for (code, multi, options) in [("D3", "D4", &options::MEASURE), ("D5", "D6", &options::CURRENT_RISK), ("D8", "D9", &options::MEASURE)] {
        let base = clean_for(code).without(multi);
        for i in 0..options.len() as u16 {
            check(&base.clone().with(code, Value::Choice(i)), &[]);
        }
        one(&base.with(code, Value::Choice(options.len() as u16)), code, "option", E, &["选项无效", options.labels[0]]);
    }
}

#[test]
fn d7_messages_say_how_many_characters_to_add_or_cut() {
    let f = one(
        &clean_not_eliminated().with("D7", text(&"困".repeat(19))),
        "D7",
        "length",
        E,
        &["家庭困难现状描述", "至少20个字", "现有19个字"],
    );
    says_all(&f, &["再补充1个字"]);
    one(&clean_not_eliminated().with("D7", text(&"困".repeat(2001))), "D7", "length", E, &["最多2000个字", "现有2001个字", "删减1个字"]);
    // Each 汉字, letter, digit and inner space is one character; surrounding whitespace is not.
    check(&clean_not_eliminated().with("D7", text("\u{3000}户主患病ab 12，每月自付药费约600元。 \n")), &[]);
    one(&clean_not_eliminated().with("D7", text("\u{3000}户主患病ab 12，每月自付药费约6元 \n")), "D7", "length", E, &["现有19个字"]);
}

#[test]
fn d7_template_placeholders_are_flagged() {
    let filled = "户主冉某患糖尿病，平均每个月需要自付医药费300元，家庭收入主要来源是务工。";
    check(&clean_not_eliminated().with("D7", text(filled)), &[]);
    check(&clean_not_eliminated().with("D7", text(&format!("{filled}（*注：已核实？）"))), &[]);
    for hole in ["病人姓名为***", "平均每个月需要自付医药费??元", "平均每月收入大概？？元", "与户主关系为**", "在＊＊医院确诊"]
    {
        let rec = clean_not_eliminated().with("D7", text(&format!("{filled}{hole}")));
        one(&rec, "D7", "placeholder", W, &["占位符", "换成实际情况"]);
    }
}

#[test]
fn d10_plan_month() {
    for (y, m) in [(2021, 4), (2022, 12), (2024, 4)] {
        check(&clean_not_eliminated().with("D10", ym(y, m)), &[]);
    }
    one(
        &clean_not_eliminated().with("D10", ym(2021, 3)),
        "D10",
        "before_reference",
        E,
        &["该户计划消除时限2021-03", "早于统计时点所在月2021-04", "应为2021-04或以后"],
    );
    one(&clean_not_eliminated().with("D10", ym(2024, 5)), "D10", "far_plan", W, &["2024-05", "超过36个月", "核实"]);
    one(&clean_not_eliminated().with("D10", ym(2030, 1)), "D10", "far_plan", W, &["2030-01"]);
}

#[test]
fn the_plan_limit_comes_from_the_round() {
    let round = Round { plan_warn_months: 12, ..Round::default() };
    let rec = clean_not_eliminated().with("D10", ym(2022, 5));
    let got: Vec<_> = validate(&rec, &round).into_iter().map(|f| (f.code, f.rule)).collect();
    assert_eq!(got, [("D10", "far_plan")]);
    assert!(validate(&rec.clone().with("D10", ym(2022, 4)), &round).is_empty());
    assert!(validate(&rec, &Round::default()).is_empty());
}

#[test]
fn the_branch_not_taken_is_neither_required_nor_validated() {
    // A8 set: D5–D10 answered, even wrongly, give nothing.
    let eliminated_with_d5_to_d10 = clean_eliminated()
        .with("D5", Value::Choice(99))
        .with("D6", Value::Multi(vec![4, 4, 99]))
        .with("D7", text("短"))
        .with("D8", Value::Choice(2))
        .with("D9", Value::Multi(vec![2]))
        .with("D10", ym(2019, 1));
    check(&eliminated_with_d5_to_d10, &[]);
    // A8 empty: D3–D4 answered, even wrongly, give nothing.
    let open_with_d3_d4 = clean_not_eliminated().with("D3", Value::Choice(99)).with("D4", Value::Multi(vec![1, 1]));
    check(&open_with_d3_d4, &[]);
    // Clearing A8 switches branch: D5, D7, D8 and D10 become required; D3–D4 are ignored.
    check(
        &clean_eliminated().without("A8"),
        &[("D5", "required", E), ("D7", "required", E), ("D8", "required", E), ("D10", "required", E)],
    );
    check(&clean_not_eliminated().with("A8", ym(2021, 1)), &[("D3", "required", E)]);
}

#[test]
fn which_fields_are_active() {
    let open = clean_not_eliminated();
    let done = clean_eliminated();
    assert!(!risk_eliminated(&open));
    assert!(risk_eliminated(&done));
    for f in FIELDS {
        let (in_open, in_done) = match f.branch {
            Branch::Always => (true, true),
            Branch::Eliminated => (false, true),
            Branch::NotEliminated => (true, false),
        };
        assert_eq!(is_active(f, &open), in_open, "{}", f.code);
        assert_eq!(is_active(f, &done), in_done, "{}", f.code);
    }
}

// ---------------------------------------------------------------------------
// Cross-field warnings.

/// (rule id, anchored at, a record that trips it, the message's words).
fn cross_cases() -> Vec<(&'static str, &'static str, Rec, &'static [&'static str])> {
    let done = clean_eliminated;
    let open = clean_not_eliminated;
    vec![
        ("eliminated_guarantees_unmet", "A8", done().with("B1", Value::Bool(true)), &["已标注风险消除", "B1–B3", "核实"]),
        ("eliminated_guarantees_unmet", "A8", done().with("B2", Value::Bool(true)), &["三保障"]),
        ("eliminated_guarantees_unmet", "A8", done().with("B3", Value::Bool(true)), &["三保障"]),
        ("eliminated_guarantees_unmet", "A8", done().with("B4", Value::Bool(false)), &["B4为“否”"]),
        ("eliminated_low_income", "C2", done().with("C2", Value::Choice(0)), &["6000元以下", "核实"]),
        ("eliminated_hardship", "C4", done().with("C4", Value::Bool(true)), &["严重困难户", "核实"]),
        ("new_four_kinds", "C1", open().with("C1", Value::Bool(true)), &["新四类人员", "复核"]),
        ("new_four_kinds", "C1", done().with("C1", Value::Bool(true)), &["新四类人员"]),
        ("not_eliminated_high_income", "C2", open().with("C2", Value::Choice(3)), &["13500元以上", "是否应标注风险消除"]),
    ]
}

#[test]
fn each_cross_rule_trips_alone_with_its_message() {
    let mut ids = std::collections::BTreeSet::new();
    for (id, code, rec, says) in cross_cases() {
        let f = one(&rec, code, id, W, says);
        let rule = CROSS_RULES.iter().find(|r| r.id == id).unwrap();
        assert_eq!((f.code, f.message), (rule.field, rule.message_for(&Round::default())));
        ids.insert(id);
    }
    // Both at once: the new-four-kinds family marked as in severe hardship.
    let both = clean_not_eliminated().with("C1", Value::Bool(true)).with("C4", Value::Bool(true));
    let f = check(&both, &[("C1", "new_four_kinds", W), ("C4", "new_four_kinds_hardship", W)]);
    says_all(&f[1], &["矛盾", "核实"]);
    ids.insert("new_four_kinds_hardship");
    let all: std::collections::BTreeSet<_> = CROSS_RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids, all, "every cross rule has a tripping case");
}

#[test]
fn cross_rules_stay_quiet_when_their_condition_is_not_met() {
    // The same answers without the risk eliminated (or with it, for the last rule).
    let open = clean_not_eliminated;
    for (code, v) in [
        ("B1", Value::Bool(true)),
        ("B2", Value::Bool(true)),
        ("B3", Value::Bool(true)),
        ("B4", Value::Bool(false)),
        ("C2", Value::Choice(0)),
        ("C4", Value::Bool(true)),
    ] {
        check(&open().with(code, v), &[]);
    }
    check(&open().with("C2", Value::Choice(3)).with("C4", Value::Bool(true)), &[]);
    check(&clean_eliminated().with("C2", Value::Choice(3)), &[]);
    check(&open().with("C1", Value::Bool(false)), &[]);
    // Unanswered B/C questions count as neither 是 nor 否.
    check(&clean_eliminated().without("B4"), &[("B4", "required", E)]);
    check(&open().without("C4").with("C2", Value::Choice(3)), &[("C4", "required", E)]);
}

#[test]
fn an_eliminated_record_can_trip_several_warnings() {
    let rec = clean_eliminated().with("B3", Value::Bool(true)).with("C2", Value::Choice(0)).with("C4", Value::Bool(true));
    check(&rec, &[("A8", "eliminated_guarantees_unmet", W), ("C2", "eliminated_low_income", W), ("C4", "eliminated_hardship", W)]);
}

#[test]
fn cross_rules_are_warnings_anchored_at_real_fields() {
    for r in CROSS_RULES {
        assert!(schema::field(r.field).is_some(), "{}", r.id);
        assert!(r.message.contains("核实"), "{}: {}", r.id, r.message);
    }
    let ids: std::collections::HashSet<_> = CROSS_RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), CROSS_RULES.len(), "ids unique");
}

#[test]
fn validate_field_counts_and_labels() {
    let rec = clean_eliminated().with("C4", Value::Bool(true)).with("C1", Value::Bool(true)).without("C3");
    let c4: Vec<_> = validate_field("C4", &rec, &Round::default()).into_iter().map(|f| f.rule).collect();
    assert_eq!(c4, ["eliminated_hardship", "new_four_kinds_hardship"]);
    let all = validate(&rec, &Round::default());
    assert_eq!(counts(&all), (1, 3));
    assert_eq!(counts(&[]), (0, 0));
    assert_eq!((Severity::Error.label(), Severity::Warning.label()), ("错误", "提示"));
}

// ---------------------------------------------------------------------------
// parse_input and display_value, for every kind.

fn parse(code: &str, t: &str) -> Result<Option<Value>, String> {
    parse_input(schema::field(code).unwrap(), t)
}

fn display(code: &str, v: &Value) -> String {
    display_value(schema::field(code).unwrap(), v)
}

#[test]
fn parse_blank_is_no_answer_for_every_field() {
    for f in FIELDS {
        assert_eq!(parse_input(f, ""), Ok(None), "{}", f.code);
        assert_eq!(parse_input(f, " \u{3000}\t"), Ok(None), "{}", f.code);
    }
}

#[test]
fn parse_text_id_and_integers() {
    assert_eq!(parse("A1", "  重庆市彭水县石盘乡石盘村3组 "), Ok(Some(text("重庆市彭水县石盘乡石盘村3组"))));
    assert_eq!(parse("D7", "\n 户主患病。\n"), Ok(Some(text("户主患病。"))));
    assert_eq!(parse("A3", " 11010519491231002x "), Ok(Some(text("11010519491231002X"))));
    assert_eq!(parse("A3", "１１０１０５１９４９１２３１００２Ｘ３４"), Ok(Some(text("11010519491231002X34"))));
    assert!(parse("A3", "5.00243E+17").unwrap_err().contains("科学计数法"));
    for (t, n) in [("4", 4), ("４", 4), (" １２ ", 12), ("5人", 5), ("3.0", 3), ("31", 31), ("-1", -1)] {
        assert_eq!(parse("A4", t), Ok(Some(Value::Int(n))), "{t}");
    }
    for t in ["四", "3.5", "4口"] {
        let e = parse("A4", t).unwrap_err();
        assert!(e.contains("家庭人口数应为整数") && e.contains(t), "{e}");
    }
}

#[test]
fn parse_yes_no() {
    for (t, b) in [("是", true), ("否", false), ("y", true), ("Y", true), ("n", false), ("N", false), (" 是 ", true)] {
        assert_eq!(parse("B1", t), Ok(Some(Value::Bool(b))), "{t}");
    }
    let e = parse("B4", "有").unwrap_err();
    assert!(e.contains("是否解决安全饮用水问题") && e.contains("请填“是”或“否”"), "{e}");
}

#[test]
fn parse_single_by_label_short_form_or_alias() {
    assert_eq!(parse("A5", "边缘易致贫户"), Ok(Some(Value::Choice(1))));
    assert_eq!(parse("A5", "监测户"), Ok(Some(Value::Choice(0))), "short form");
    assert_eq!(parse("A6", "因病"), Ok(Some(Value::Choice(0))), "alias of 因大病");
    assert_eq!(parse("C2", "9000-13500元"), Ok(Some(Value::Choice(2))));
    assert_eq!(parse("C3", "综合保障性转移收入"), Ok(Some(Value::Choice(2))), "short form");
    assert_eq!(parse("C3", "低保、特困、养老金收入等综合保障性类转移性收入"), Ok(Some(Value::Choice(2))), "label with 、");
    assert_eq!(parse("D5", "缺劳动力"), Ok(Some(Value::Choice(3))));
    assert_eq!(parse("D8", "扶志扶智"), Ok(Some(Value::Choice(10))));
    let e = parse("A5", "贫困户").unwrap_err();
    assert!(e.contains("“贫困户”不是可选项") && e.contains("脱贫不稳定户、边缘易致贫户"), "{e}");
}

#[test]
fn parse_multi_with_any_separator() {
    let want = Ok(Some(Value::Multi(vec![1, 2, 3])));
    for t in
        ["就业帮扶、金融帮扶、生态帮扶", "就业帮扶，金融帮扶，生态帮扶", "就业帮扶,金融帮扶;生态帮扶", "就业帮扶 、 金融帮扶；生态帮扶、"]
    {
        assert_eq!(parse("D4", t), want, "{t}");
    }
    assert_eq!(parse("D9", "金融帮扶、金融帮扶"), Ok(Some(Value::Multi(vec![2]))), "duplicates dropped");
    assert_eq!(parse("D6", "因疫情、因病"), Ok(Some(Value::Multi(vec![7, 0]))), "typed order kept");
    let e = parse("D6", "因病、因穷").unwrap_err();
    assert!(e.contains("其他风险“因穷”不是可选项") && e.contains("缺劳动力"), "{e}");
}

#[test]
fn parse_months() {
    let apr = Ok(Some(ym(2021, 4)));
    for t in ["202104", "2021-04", "2021/4", "2021年4月", "２０２１年４月", "2021.04"] {
        assert_eq!(parse("A7", t), apr, "{t}");
        assert_eq!(parse("D10", t), apr, "{t}");
    }
    for t in ["2021", "四月", "202113"] {
        let e = parse("A8", t).unwrap_err();
        assert!(e.contains("不是年月") && e.contains("202104、2021-04或2021年4月"), "{e}");
    }
}

#[test]
fn parse_names_and_phones_lists() {
    assert_eq!(parse("D1", "李四、王五，赵六"), Ok(Some(list(&["李四", "王五", "赵六"]))));
    assert_eq!(parse("D1", " 阿卜杜·热合曼 "), Ok(Some(list(&["阿卜杜·热合曼"]))));
    assert_eq!(parse("D2", "13812345678，023-78865441；19912345678"), Ok(Some(list(&["13812345678", "023-78865441", "19912345678"]))));
    assert_eq!(parse("D2", "13812345678、、"), Ok(Some(list(&["13812345678"]))));
}

#[test]
fn display_every_kind() {
    let rec = clean_not_eliminated();
    let shown = |code: &str| display(code, rec.get(code).unwrap());
    assert_eq!(shown("A1"), "重庆市彭水县石盘乡石盘村3组");
    assert_eq!(shown("A3"), "11010519491231002X");
    assert_eq!(shown("A4"), "4");
    assert_eq!(shown("A5"), "脱贫不稳定户");
    assert_eq!(shown("A6"), "因大病");
    assert_eq!(shown("A7"), "2020-06");
    assert_eq!(shown("B1"), "否");
    assert_eq!(shown("B4"), "是");
    assert_eq!(shown("C2"), "6000-9000元");
    assert_eq!(shown("C3"), "外出务工");
    assert_eq!(shown("D1"), "李四");
    assert_eq!(shown("D2"), "13812345678");
    assert_eq!(shown("D5"), "因病");
    assert_eq!(shown("D6"), "缺劳动力");
    assert_eq!(shown("D8"), "健康帮扶");
    assert_eq!(shown("D9"), "就业帮扶");
    assert_eq!(shown("D10"), "2021-12");
    assert_eq!(display("D4", &Value::Multi(vec![0, 10])), "产业帮扶、扶志扶智");
    assert_eq!(display("D4", &Value::Multi(vec![])), "");
    assert_eq!(display("D1", &list(&["李四", "王五"])), "李四、王五");
    assert_eq!(display("D2", &list(&["13812345678", "023-78865441"])), "13812345678、023-78865441");
    assert_eq!(display("A8", &ym(2021, 3)), "2021-03");
    // Out-of-range choices show as ? rather than failing.
    assert_eq!(display("A5", &Value::Choice(9)), "?");
    assert_eq!(display("D9", &Value::Multi(vec![1, 99])), "就业帮扶、?");
}

#[test]
fn what_is_displayed_parses_back_to_the_same_value() {
    for rec in [clean_not_eliminated(), clean_eliminated()] {
        for (code, v) in &rec {
            let shown = display(code, v);
            assert_eq!(parse(code, &shown), Ok(Some(v.clone())), "{code}: {shown}");
        }
    }
}
