use super::*;
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
