//! Form files people edit by hand, and the conditions in them.
//!
//! The first byte picks what the rest is: a whole form file for
//! `form::file::check` (every problem has a message and a line within the
//! file), a file of the handbook's checks across a household (`mode % 4 ==
//! 3`, `handbook::check_checks`), or one condition parsed against the shipped form's fields and
//! evaluated on an empty and a filled record (evaluation reads only fields
//! the condition names).
#![no_main]
use huitoukan::form::expr::Expr;
use huitoukan::form::file;
use huitoukan::form::rules::{validate, RecordDyn};
use huitoukan::form::schema::shipped;
use huitoukan::form::{Round, Value, YearMonth};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::collections::BTreeMap;

struct Noting<'a> {
    rec: &'a BTreeMap<String, Value>,
    read: RefCell<Vec<String>>,
}

impl RecordDyn for Noting<'_> {
    fn get(&self, code: &str) -> Option<Value> {
        self.read.borrow_mut().push(code.to_string());
        self.rec.get(code).cloned()
    }
}

fn filled() -> BTreeMap<String, Value> {
    let ym = |y, m| Value::Month(YearMonth::new(y, m).unwrap());
    [
        ("A4", Value::Int(13)),
        ("A7", ym(2020, 6)),
        ("A8", ym(2021, 3)),
        ("B1", Value::Bool(true)),
        ("B4", Value::Bool(false)),
        ("C2", Value::Choice(0)),
        ("D3", Value::Choice(2)),
        ("D4", Value::Multi(vec![1, 2])),
        ("D7", Value::Text("困难".into())),
        ("D1", Value::List(vec!["李四".into()])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(s) = std::str::from_utf8(rest) else { return };
    if mode % 4 == 3 {
        // A checks file of the handbook (疑点): conditions with count(…), age(…), months_ago(…).
        let lines = s.matches('\n').count() + 1;
        if let Err(problems) = huitoukan::handbook::check_checks(s) {
            assert!(!problems.is_empty());
            for p in &problems {
                assert!(!p.message.is_empty());
                assert!(p.line <= lines, "line {} of {lines}: {}", p.line, p.message);
            }
        }
        return;
    }
    if mode % 2 == 0 {
        let lines = s.matches('\n').count() + 1;
        if let Err(problems) = file::check(s) {
            assert!(!problems.is_empty());
            for p in &problems {
                assert!(!p.message.is_empty());
                assert!(p.line <= lines, "line {} of {lines}: {}", p.line, p.message);
            }
        }
    } else {
        let form = shipped();
        let lookup = |c: &str| form.field(c).map(file::field_type);
        match Expr::parse(s, &lookup) {
            Ok(e) => {
                let named = e.fields();
                assert!(named.iter().all(|c| form.field(c).is_some()));
                for rec in [BTreeMap::new(), filled()] {
                    let noting = Noting { rec: &rec, read: RefCell::new(Vec::new()) };
                    let _ = e.eval(&noting);
                    assert!(noting.read.into_inner().iter().all(|c| named.contains(&c.as_str())));
                }
            }
            Err(msg) => assert!(!msg.is_empty()),
        }
        let _ = validate(&filled(), &Round::default());
    }
});
