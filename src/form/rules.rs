//! Validation: a record in, a list of findings out.
//!
//! Per-field checks follow the field's kind and month rules in the schema;
//! cross-field warnings are the form file's `[[warnings]]` ([`CROSS_RULES`]). Messages are Chinese
//! and say what is wrong and what to enter instead.

use super::expr::Expr;
use super::file::Form;
use super::idnum;
use super::options::OptionList;
use super::phone;
use super::round::Round;
use super::schema::{self, Branch, DateRule, Field, Kind, MonthRule};
use super::value::{char_count, Day, Value, YearMonth};

/// Read access to every field of one household's form (section A included).
pub trait Record {
    /// The answer to `code`, or `None` when unanswered.
    fn value(&self, code: &str) -> Option<Value>;
}

impl Record for std::collections::BTreeMap<String, Value> {
    fn value(&self, code: &str) -> Option<Value> {
        self.get(code).cloned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Severity {
    /// 错误: blocks submitting, not saving.
    Error,
    /// 提示: allowed, confirmed one by one at submit.
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "提示",
        }
    }
}

/// One thing validation found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The field it is about (where the editor shows it).
    pub code: &'static str,
    pub severity: Severity,
    /// Stable id of the rule, for counting in reports.
    pub rule: &'static str,
    pub message: String,
}

impl Finding {
    fn error(code: &'static str, rule: &'static str, message: impl Into<String>) -> Self {
        Self { code, severity: Severity::Error, rule, message: message.into() }
    }
    fn warning(code: &'static str, rule: &'static str, message: impl Into<String>) -> Self {
        Self { code, severity: Severity::Warning, rule, message: message.into() }
    }
}

/// Whether A8 marks the risk as eliminated.
pub fn risk_eliminated(rec: &impl Record) -> bool {
    eliminated_in(schema::shipped(), rec)
}

/// [`risk_eliminated`] by `form`'s branch field.
pub fn eliminated_in(form: &Form, rec: &impl Record) -> bool {
    matches!(rec.value(form.branch_field), Some(v) if !v.is_blank())
}

/// Whether a field is part of the form as the record stands (its branch is taken).
pub fn is_active(field: &Field, rec: &impl Record) -> bool {
    is_active_in(schema::shipped(), field, rec)
}

/// [`is_active`] for a field of `form`.
pub fn is_active_in(form: &Form, field: &Field, rec: &impl Record) -> bool {
    field.branch == Branch::Always || is_active_when(field, eliminated_in(form, rec))
}

/// [`is_active`] for a record whose risk is `eliminated` or not (the
/// question [`risk_eliminated`] answers, asked once for every field).
pub fn is_active_when(field: &Field, eliminated: bool) -> bool {
    match field.branch {
        Branch::Always => true,
        Branch::Eliminated => eliminated,
        Branch::NotEliminated => !eliminated,
    }
}

/// All findings for the record: every active field, then the cross-field rules.
pub fn validate(rec: &impl Record, round: &Round) -> Vec<Finding> {
    validate_in(schema::shipped(), rec, round)
}

/// [`validate`] against a given form definition.
pub fn validate_in(form: &'static Form, rec: &impl Record, round: &Round) -> Vec<Finding> {
    let mut out = Vec::new();
    let eliminated = eliminated_in(form, rec);
    for f in form.fields {
        if is_active_when(f, eliminated) {
            check_field(form, f, rec, round, &mut out);
        }
    }
    for rule in form.warnings {
        if rule.applies(rec) {
            out.push(Finding::warning(rule.field, rule.id, rule.message_for(round)));
        }
    }
    out
}

/// The one finding of a record whose definition this process does not know
/// (see [`super::registry::unknown_message`]).
pub fn unknown_form(form: &super::FormRef) -> Finding {
    Finding::error("", "unknown_form", super::registry::unknown_message(form))
}

/// Findings shown beside one field (its own checks and cross rules anchored on it).
pub fn validate_field(code: &str, rec: &impl Record, round: &Round) -> Vec<Finding> {
    validate(rec, round).into_iter().filter(|f| f.code == code).collect()
}

/// Counts of (errors, warnings).
pub fn counts(findings: &[Finding]) -> (usize, usize) {
    let e = findings.iter().filter(|f| f.severity == Severity::Error).count();
    (e, findings.len() - e)
}

fn check_field(form: &Form, f: &'static Field, rec: &impl Record, round: &Round, out: &mut Vec<Finding>) {
    let value = rec.value(f.code).filter(|v| !v.is_blank());
    let Some(value) = value else {
        if f.required {
            out.push(Finding::error(f.code, "required", format!("{}未填写：{}", f.label, f.hint)));
        }
        return;
    };
    let wrong_kind = || Finding::error(f.code, "kind", format!("{}的值类型不对，请重新填写", f.label));
    match (f.kind, &value) {
        (Kind::Text { min, max }, Value::Text(s)) => {
            let n = char_count(s);
            if n < min || n > max {
                out.push(Finding::error(f.code, "length", format!("{}应为{min}–{max}个字，现有{n}个字", f.label)));
            }
        }
        (Kind::LongText { min, max }, Value::Text(s)) => {
            let n = char_count(s);
            if n < min {
                out.push(Finding::error(f.code, "length", format!("{}至少{min}个字，现有{n}个字，请再补充{}个字以上", f.label, min - n)));
            } else if n > max {
                out.push(Finding::error(f.code, "length", format!("{}最多{max}个字，现有{n}个字，请删减{}个字", f.label, n - max)));
            }
            // The notice's template leaves `***`, `**` and `??` to fill in (full-width too).
            let plain = super::value::normalize_ascii(s);
            if plain.contains("**") || plain.contains("??") {
                out.push(Finding::warning(f.code, "placeholder", format!("{}中还有“**”或“??”占位符，请换成实际情况", f.label)));
            }
        }
        (Kind::IdNumber, Value::Text(s)) => {
            if let Err(e) = idnum::validate(s) {
                out.push(Finding::error(f.code, "id_number", e.to_string()));
            }
        }
        (Kind::Integer { min, max, warn_above }, Value::Int(n)) => {
            if *n < min || *n > max {
                out.push(Finding::error(f.code, "range", format!("{}应在{min}–{max}之间，现为{n}", f.label)));
            } else if let Some(w) = warn_above.filter(|w| n > w) {
                out.push(Finding::warning(f.code, "large", format!("{}为{n}人，超过{w}人，请核实是否为共同生活、共同开支的人数", f.label)));
            }
        }
        (Kind::YesNo, Value::Bool(_)) => {}
        (Kind::Single(opts), Value::Choice(i)) => {
            if opts.label(*i).is_none() {
                out.push(bad_option(f, opts));
            }
        }
        (Kind::Multi { options: opts, main }, Value::Multi(items)) => {
            if items.iter().any(|i| opts.label(*i).is_none()) {
                out.push(bad_option(f, opts));
            }
            let mut seen = std::collections::HashSet::new();
            if !items.iter().all(|i| seen.insert(*i)) {
                out.push(Finding::error(f.code, "repeat", format!("{}中有重复的选项，请去掉重复的", f.label)));
            }
            if let Some(Value::Choice(m)) = rec.value(main) {
                if items.contains(&m) {
                    let main_field = form.field(main).map(|f| f.label).unwrap_or(main);
                    out.push(Finding::error(
                        f.code,
                        "repeats_main",
                        format!("{}不能再选“{}”，它已是{main}{main_field}的答案", f.label, opts.label(m).unwrap_or("?")),
                    ));
                }
            }
        }
        (Kind::Month, Value::Month(ym)) => check_month(form, f, *ym, rec, round, out),
        (Kind::Date, Value::Date(d)) => check_date(form, f, *d, rec, out),
        (Kind::Names { max }, Value::List(names)) => {
            let names: Vec<&String> = names.iter().filter(|n| !n.trim().is_empty()).collect();
            if names.len() > max {
                out.push(Finding::error(f.code, "count", format!("{}最多{max}名，现有{}名", f.label, names.len())));
            }
            for n in names {
                let c = char_count(n);
                if c > 20 {
                    out.push(Finding::error(f.code, "length", format!("{}“{n}”超过20个字", person(f))));
                } else if !is_name(n) {
                    out.push(Finding::error(
                        f.code,
                        "name_chars",
                        format!("{}“{}”含有数字或符号，请只填姓名（少数民族姓名中间可用“·”）", person(f), n.trim()),
                    ));
                }
            }
        }
        (Kind::Phones { names }, Value::List(phones)) => check_phones(f, names, phones, rec, out),
        _ => out.push(wrong_kind()),
    }
}

/// What one name of a names field is called in messages: `责任人姓名` for
/// D1 监测责任人姓名, `走访人` for a visit's 走访人.
fn person(f: &Field) -> String {
    let l = f.label.strip_prefix("监测").unwrap_or(f.label);
    if l.ends_with("姓名") {
        l.to_string()
    } else {
        format!("{l}姓名")
    }
}

/// A person's name: letters (汉字 or Latin) with `·` between parts, no digits or symbols.
fn is_name(n: &str) -> bool {
    n.trim().chars().all(|c| c.is_alphabetic() || matches!(c, '·' | '•' | '.' | '．' | ' '))
}

fn bad_option(f: &Field, opts: &OptionList) -> Finding {
    Finding::error(f.code, "option", format!("{}的选项无效，可选：{}", f.label, opts.accepted()))
}

fn check_month(form: &Form, f: &'static Field, ym: YearMonth, rec: &impl Record, round: &Round, out: &mut Vec<Finding>) {
    let refm = round.reference_month();
    for rule in f.month_rules {
        match *rule {
            MonthRule::NotAfterReference if ym > refm => out.push(Finding::error(
                f.code,
                "after_reference",
                format!("{}{ym}晚于统计时点（{}），请核对年月", f.label, round.reference_label()),
            )),
            MonthRule::NotBeforeReference if ym < refm => {
                out.push(Finding::error(f.code, "before_reference", format!("{}{ym}早于统计时点所在月{refm}，应为{refm}或以后", f.label)))
            }
            MonthRule::NotBefore(other) => {
                if let Some(Value::Month(o)) = rec.value(other) {
                    if ym < o {
                        let ol = form.field(other).map(|f| f.label).unwrap_or(other);
                        out.push(Finding::error(f.code, "before_other", format!("{}{ym}早于{other}{ol}{o}，请核对", f.label)));
                    }
                }
            }
            MonthRule::NotAfterCurrent => {
                let now = Day::today().month();
                if ym > now {
                    out.push(Finding::error(f.code, "after_current", format!("{}{ym}晚于本月（{now}），请核对年月", f.label)));
                }
            }
            MonthRule::WarnFarAfterReference if refm.months_until(ym) > round.plan_warn_months => out.push(Finding::warning(
                f.code,
                "far_plan",
                format!("{}{ym}距统计时点超过{}个月，请核实计划是否过于遥远", f.label, round.plan_warn_months),
            )),
            _ => {}
        }
    }
}

fn check_date(form: &Form, f: &'static Field, day: Day, rec: &impl Record, out: &mut Vec<Finding>) {
    for rule in f.date_rules {
        match *rule {
            DateRule::NotFuture => {
                let today = Day::today();
                if day > today {
                    out.push(Finding::error(f.code, "future", format!("{}{day}晚于今天（{today}），不能填将来的日期", f.label)));
                }
            }
            DateRule::NotBeforeMonth(other) => {
                if let Some(Value::Month(m)) = rec.value(other) {
                    if day.month() < m {
                        let ol = form.field(other).or_else(|| schema::field(other)).map(|f| f.label).unwrap_or(other);
                        out.push(Finding::error(f.code, "before_month", format!("{}{day}早于{ol}{m}，请核对", f.label)));
                    }
                }
            }
            DateRule::After(other) => {
                if let Some(Value::Date(o)) = rec.value(other) {
                    if day <= o {
                        let ol = form.field(other).map(|f| f.label).unwrap_or(other);
                        out.push(Finding::error(f.code, "not_after", format!("{}{day}应晚于{ol}{o}", f.label)));
                    }
                }
            }
        }
    }
}

fn check_phones(f: &'static Field, names_code: &str, phones: &[String], rec: &impl Record, out: &mut Vec<Finding>) {
    let names = match rec.value(names_code) {
        Some(Value::List(n)) => n,
        _ => Vec::new(),
    };
    let count = names.len().max(phones.len());
    let mut seen = std::collections::HashSet::new();
    for i in 0..count {
        let name = names.get(i).map(|s| s.trim()).unwrap_or("");
        let phone = phones.get(i).map(|s| s.trim()).unwrap_or("");
        match (name.is_empty(), phone.is_empty()) {
            (true, true) => {}
            (false, true) => out.push(Finding::error(f.code, "paired", format!("第{}名责任人“{name}”缺少联系电话", i + 1))),
            (true, false) => {
                out.push(Finding::error(f.code, "paired", format!("第{}个电话{phone}没有对应的责任人姓名，请在D1补上姓名", i + 1)))
            }
            (false, false) => match phone::validate(phone) {
                Err(msg) => out.push(Finding::error(f.code, "phone", format!("第{}个电话：{msg}", i + 1))),
                Ok(p) => {
                    if !seen.insert(p.clone()) {
                        out.push(Finding::warning(f.code, "phone_repeat", format!("第{}个电话{p}与前面的重复，请核实", i + 1)));
                    }
                }
            },
        }
    }
}

/// The fields whose values a finding depends on: its own field, and for a
/// cross-field rule every field its predicate reads (found by running it on
/// a record that notes what is read).
pub fn depends_on(finding: &Finding, rec: &impl Record) -> Vec<&'static str> {
    struct Noting<'a, R: Record> {
        rec: &'a R,
        read: std::cell::RefCell<Vec<String>>,
    }
    impl<R: Record> RecordDyn for Noting<'_, R> {
        fn get(&self, code: &str) -> Option<Value> {
            self.read.borrow_mut().push(code.to_string());
            self.rec.value(code)
        }
    }
    let mut codes = vec![finding.code];
    if let Some(rule) = CROSS_RULES.iter().find(|r| r.id == finding.rule) {
        let noting = Noting { rec, read: Default::default() };
        rule.applies(&noting);
        for c in noting.read.into_inner() {
            if let Some(f) = schema::field(&c) {
                codes.push(f.code);
            }
        }
    }
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// A cross-field warning of the form file: the condition, the field it is
/// shown at, its message and short label.
#[derive(Debug)]
pub struct CrossRule {
    pub id: &'static str,
    pub field: &'static str,
    /// The message; `{底线}` and `{脱贫户平均}` stand for the round's income
    /// lines ([`Round::income_lines`] 0 and 2), see [`CrossRule::message_for`].
    pub message: &'static str,
    /// A short label for reports and lists.
    pub short: &'static str,
    /// The condition, parsed when the form loaded.
    pub when: Expr,
}

impl CrossRule {
    /// The message with the round's income lines filled in.
    pub fn message_for(&self, round: &Round) -> String {
        let [floor, _, lifted] = round.income_lines;
        self.message.replace("{底线}", &floor.to_string()).replace("{脱贫户平均}", &lifted.to_string())
    }

    /// Whether the warning applies to the record.
    pub fn applies(&self, rec: &dyn RecordDyn) -> bool {
        self.when.eval(rec)
    }
}

/// Object-safe view of [`Record`] for conditions.
pub trait RecordDyn {
    fn get(&self, code: &str) -> Option<Value>;
    /// The live entries of a repeating form (`count(members: …)`); none
    /// outside a household's file.
    fn entries(&self, _form: &str) -> Vec<Box<dyn RecordDyn + '_>> {
        Vec::new()
    }
    /// The moment ages are counted at (`age(M3)`): the round's reference.
    fn moment(&self) -> Option<chrono::NaiveDate> {
        None
    }
    /// The day `months_ago(V1)` counts back from.
    fn today(&self) -> Option<super::value::Day> {
        None
    }
}

impl<T: Record> RecordDyn for T {
    fn get(&self, code: &str) -> Option<Value> {
        self.value(code)
    }
}

/// Cross-field warnings (提示) of the shipped form, each confirmed by the
/// clerk at submit (`[[warnings]]` of `forms/huitoukan-2021.toml`).
pub static CROSS_RULES: CrossRules = CrossRules;

/// See [`CROSS_RULES`].
#[derive(Clone, Copy)]
pub struct CrossRules;

impl std::ops::Deref for CrossRules {
    type Target = [CrossRule];
    fn deref(&self) -> &'static [CrossRule] {
        schema::shipped().warnings
    }
}

impl IntoIterator for CrossRules {
    type Item = &'static CrossRule;
    type IntoIter = std::slice::Iter<'static, CrossRule>;
    fn into_iter(self) -> Self::IntoIter {
        schema::shipped().warnings.iter()
    }
}

/// Parses clerk-typed text into the value a field of this kind stores.
/// Used by the editor and by the roster import alike.
pub fn parse_input(f: &Field, text: &str) -> Result<Option<Value>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match f.kind {
        Kind::Text { .. } | Kind::LongText { .. } => Ok(Some(Value::Text(t.to_string()))),
        Kind::IdNumber => idnum::validate(t).map(|n| Some(Value::Text(n))).map_err(|e| e.to_string()),
        Kind::Integer { .. } => {
            let n = super::value::normalize_ascii(t);
            let n = n.trim().trim_end_matches('人');
            match n.parse::<i64>() {
                Ok(v) => Ok(Some(Value::Int(v))),
                Err(_) => match n.parse::<f64>() {
                    Ok(x) if x.fract() == 0.0 && x.abs() < 1e9 => Ok(Some(Value::Int(x as i64))),
                    _ => Err(format!("{}应为整数，“{t}”不是整数", f.label)),
                },
            }
        }
        Kind::YesNo => match f.options().and_then(|o| o.parse(t)) {
            Some(i) => Ok(Some(Value::Bool(i == 0))),
            None => Err(format!("{}请填“是”或“否”", f.label)),
        },
        Kind::Single(opts) => {
            opts.parse(t).map(|i| Some(Value::Choice(i))).ok_or_else(|| format!("{}“{t}”不是可选项，可选：{}", f.label, opts.accepted()))
        }
        Kind::Multi { options: opts, .. } => {
            let mut items = Vec::new();
            for part in t.split(['、', ',', '，', ';', '；']).map(str::trim).filter(|p| !p.is_empty()) {
                let i = opts.parse(part).ok_or_else(|| format!("{}“{part}”不是可选项，可选：{}", f.label, opts.accepted()))?;
                if !items.contains(&i) {
                    items.push(i);
                }
            }
            Ok(Some(Value::Multi(items)))
        }
        Kind::Month => YearMonth::parse(t)
            .map(|m| Some(Value::Month(m)))
            .ok_or_else(|| format!("{}“{t}”不是年月，请写成如202104、2021-04或2021年4月", f.label)),
        Kind::Date => Day::parse(t)
            .map(|d| Some(Value::Date(d)))
            .ok_or_else(|| format!("{}“{t}”不是日期，请写成如2021-04-08、20210408或2021年4月8日", f.label)),
        Kind::Names { .. } | Kind::Phones { .. } => {
            Ok(Some(Value::List(t.split(['、', ',', '，', ';', '；']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())))
        }
    }
}

/// The value as the clerk reads it (export cells, the card, the show command).
pub fn display_value(f: &Field, v: &Value) -> String {
    match (f.kind, v) {
        (_, Value::Text(s)) => s.clone(),
        (_, Value::Int(n)) => n.to_string(),
        (_, Value::Bool(b)) => if *b { "是" } else { "否" }.to_string(),
        (_, Value::Month(m)) => m.to_string(),
        (_, Value::Date(d)) => d.to_string(),
        (_, Value::List(items)) => items.join("、"),
        (k, Value::Choice(i)) => match k {
            Kind::Single(o) => o.label(*i).unwrap_or("?").to_string(),
            _ => i.to_string(),
        },
        (k, Value::Multi(items)) => match k {
            Kind::Multi { options: o, .. } => items.iter().map(|i| o.label(*i).unwrap_or("?")).collect::<Vec<_>>().join("、"),
            _ => String::new(),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests;
