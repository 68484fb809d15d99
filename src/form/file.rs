//! Form files: a form's TOML text in, a checked and compiled [`Form`] out.
//!
//! [`check`] parses the text into raw serde structs and checks everything a
//! form needs (codes, kinds and their limits, option lists, sections,
//! branches, month rules, helpers, conditions), collecting every problem
//! with its line, in Chinese. [`load`] then compiles a clean file into the
//! typed [`Field`]s the rest of the program reads; their strings are leaked
//! once, which is right for a definition that lives as long as the process
//! (the shipped form, see [`super::schema::shipped`]). Checking alone leaks
//! nothing, so `huitoukan form check` and the fuzz target may run it freely.

use super::expr::{Choices, Expr, FieldType};
use super::options::OptionList;
use super::rules::CrossRule;
use super::schema::{Branch, DateRule, Field, Helper, Kind, Mask, MonthRule, Section};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use toml::Spanned;

/// One problem in a form file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the file (0 when the problem has no place).
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "第{}行：{}", self.line, self.message)
        }
    }
}

/// A compiled form definition.
#[derive(Debug)]
pub struct Form {
    pub id: &'static str,
    pub version: u32,
    pub title: &'static str,
    /// The field whose answer decides section D's branch (A8); empty for a
    /// form without branches (a handbook's repeating form).
    pub branch_field: &'static str,
    /// A repeating form (the handbook's 家庭成员, 帮扶措施, 走访记录): a
    /// household holds a list of its entries; its fields have no sections,
    /// and its rules may read the household's section A (A1–A8).
    pub repeating: bool,
    /// What one entry is called (`成员`, `措施`, `走访`), for screens.
    pub noun: &'static str,
    /// The fields a list of entries shows on one line, in order.
    pub summary: &'static [&'static str],
    pub sections: Vec<(Section, &'static str)>,
    pub branches: Vec<(Branch, &'static str)>,
    pub lists: Vec<&'static OptionList>,
    pub fields: &'static [Field],
    pub warnings: &'static [CrossRule],
    /// The file's text as loaded: what a store keeps of the definition its
    /// records were made with.
    pub source: &'static str,
}

impl Form {
    /// The form's id and version, as a record names it.
    pub fn reference(&self) -> FormRef {
        FormRef { id: self.id.to_string(), version: self.version }
    }

    pub fn field(&self, code: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.code == code)
    }

    pub fn position(&self, code: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.code == code)
    }

    pub fn list(&self, name: &str) -> Option<&'static OptionList> {
        self.lists.iter().copied().find(|l| l.name == name)
    }

    pub fn section_title(&self, s: Section) -> &'static str {
        self.sections.iter().find(|(x, _)| *x == s).map(|(_, t)| *t).unwrap_or("")
    }

    pub fn branch_label(&self, b: Branch) -> &'static str {
        self.branches.iter().find(|(x, _)| *x == b).map(|(_, t)| *t).unwrap_or("")
    }

    /// The fields of one section, in order.
    pub fn section_fields(&self, s: Section) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(move |f| f.section == s)
    }

    /// The field a helper works on (the water helper: B4).
    pub fn helper_field(&self, h: Helper) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.helper == Some(h))
    }

    /// The codes of one branch's fields, as screens list them (`D5至D10`).
    pub fn branch_codes(&self, branch: Branch) -> String {
        let codes: Vec<&str> = self.fields.iter().filter(|f| f.branch == branch).map(|f| f.code).collect();
        super::schema::codes_label(&codes)
    }

    /// The codes of one section's fields (`A1至A8`).
    pub fn section_codes(&self, section: Section) -> String {
        let codes: Vec<&str> = self.section_fields(section).map(|f| f.code).collect();
        super::schema::codes_label(&codes)
    }
}

/// Which form definition a record was made with: the form's id and version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct FormRef {
    pub id: String,
    pub version: u32,
}

impl FormRef {
    /// The 2021 look-back form (`forms/huitoukan-2021.toml`): what every
    /// record written before records named their form was made with.
    pub fn look_back_2021() -> FormRef {
        FormRef { id: "huitoukan".into(), version: 2021 }
    }
}

impl fmt::Display for FormRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "表单{}第{}版", self.id, self.version)
    }
}

/// Checks a form file; `Ok` when it has no problem.
pub fn check(text: &str) -> Result<(), Vec<Problem>> {
    compile(text, false).map(|_| ())
}

/// Checks and compiles a form file. A clean file's strings are leaked (see
/// the module's documentation): load a definition once, not per use.
pub fn load(text: &str) -> Result<&'static Form, Vec<Problem>> {
    match compile(text, true)? {
        Some(form) => Ok(form),
        None => Err(vec![Problem { line: 0, message: "表单未能生成".into() }]),
    }
}

/// A one-line summary of a loaded form, for `huitoukan form check`.
pub fn summary(form: &Form) -> String {
    format!(
        "表单 {}（{}）版本 {}：{}个部分，{}个字段，{}个选项表，{}条跨字段提示，未发现问题",
        form.id,
        form.title,
        form.version,
        form.sections.len(),
        form.fields.len(),
        form.lists.len(),
        form.warnings.len()
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    id: Spanned<String>,
    version: u32,
    title: String,
    #[serde(default)]
    repeating: bool,
    #[serde(default)]
    noun: String,
    #[serde(default)]
    summary: Vec<Spanned<String>>,
    branch_field: Option<Spanned<String>>,
    #[serde(default)]
    sections: Vec<Spanned<RawSection>>,
    #[serde(default)]
    branches: Vec<Spanned<RawBranch>>,
    #[serde(default)]
    lists: BTreeMap<String, Spanned<RawList>>,
    fields: Vec<Spanned<RawField>>,
    #[serde(default)]
    warnings: Vec<Spanned<RawWarning>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    code: Spanned<String>,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBranch {
    name: Spanned<String>,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    labels: Vec<String>,
    #[serde(default)]
    short: Vec<String>,
    #[serde(default)]
    aliases: BTreeMap<String, u16>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    code: Spanned<String>,
    label: String,
    hint: String,
    section: Option<Spanned<String>>,
    kind: Spanned<String>,
    min: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    warn_above: Option<Spanned<i64>>,
    options: Option<Spanned<String>>,
    main: Option<Spanned<String>>,
    names: Option<Spanned<String>>,
    #[serde(default = "yes")]
    required: bool,
    branch: Option<Spanned<String>>,
    #[serde(default)]
    month_rules: Vec<Spanned<String>>,
    #[serde(default)]
    date_rules: Vec<Spanned<String>>,
    mask: Option<Spanned<String>>,
    helper: Option<Spanned<String>>,
    ok: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWarning {
    id: Spanned<String>,
    field: Spanned<String>,
    when: Spanned<String>,
    message: String,
    short: String,
}

/// Line numbers of byte offsets.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Lines(text.match_indices('\n').map(|(i, _)| i).collect())
    }
    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

/// Chinese for the messages serde and toml give in English.
pub(crate) fn translate(msg: &str) -> String {
    let msg = msg.trim();
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or("").to_string();
    if msg.starts_with("unknown field") {
        format!("不认识的键“{}”", quoted(msg))
    } else if msg.starts_with("missing field") {
        format!("缺少键“{}”", quoted(msg))
    } else if msg.starts_with("duplicate key") {
        format!("键“{}”重复", quoted(msg))
    } else if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
        // serde's "invalid type: string \"x\", expected u32": what was expected, in Chinese.
        let expected = msg.split("expected").nth(1).unwrap_or("").trim();
        let word = expected.split_whitespace().last().unwrap_or("");
        let integer = (word.len() > 1 && matches!(word.as_bytes()[0], b'u' | b'i') && word[1..].bytes().all(|b| b.is_ascii_digit()))
            || matches!(word, "usize" | "isize" | "integer");
        let want = if integer {
            "整数"
        } else if expected.contains("bool") {
            "true 或 false"
        } else if expected.contains("str") {
            "带引号的文字"
        } else if expected.contains("sequence") || expected.contains("array") {
            "方括号里的列表"
        } else if expected.contains("map") || expected.contains("struct") || expected.contains("table") {
            "表"
        } else {
            ""
        };
        if want.is_empty() {
            "值的类型不对".to_string()
        } else {
            format!("值的类型不对，这里应为{want}")
        }
    } else {
        "不是有效的TOML（请检查这一行的引号、括号、等号和逗号）".to_string()
    }
}

/// The kinds of answer a file may name.
const KINDS: &str = "text、long_text、id_number、integer、yes_no、single、multi、month、date、names、phones";

/// What the checks learn about a field, for the fields after it and the conditions.
#[derive(Clone, Copy)]
enum Shape {
    Text,
    LongText,
    IdNumber,
    Integer,
    YesNo,
    Single,
    Multi,
    Month,
    Date,
    Names,
    Phones,
}

fn shape(kind: &str) -> Option<Shape> {
    Some(match kind {
        "text" => Shape::Text,
        "long_text" => Shape::LongText,
        "id_number" => Shape::IdNumber,
        "integer" => Shape::Integer,
        "yes_no" => Shape::YesNo,
        "single" => Shape::Single,
        "multi" => Shape::Multi,
        "month" => Shape::Month,
        "date" => Shape::Date,
        "names" => Shape::Names,
        "phones" => Shape::Phones,
        _ => return None,
    })
}

struct Ctx {
    lines: Lines,
    problems: Vec<Problem>,
}

impl Ctx {
    fn at(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        let line = self.lines.of(span.start);
        self.problems.push(Problem { line, message: message.into() });
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn compile(text: &str, build: bool) -> Result<Option<&'static Form>, Vec<Problem>> {
    let lines = Lines::new(text);
    let raw: RawForm = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| lines.of(s.start)).unwrap_or(0);
            return Err(vec![Problem { line, message: translate(e.message()) }]);
        }
    };
    let mut cx = Ctx { lines, problems: Vec::new() };

    if raw.id.get_ref().trim().is_empty() {
        cx.at(raw.id.span(), "表单id不能为空");
    }

    // Sections: A–D, each once, in order.
    let mut sections: Vec<(Section, String)> = Vec::new();
    for s in &raw.sections {
        let code = s.get_ref().code.get_ref();
        let sec = match code.as_str() {
            "A" => Section::A,
            "B" => Section::B,
            "C" => Section::C,
            "D" => Section::D,
            _ => {
                cx.at(s.get_ref().code.span(), format!("未知的部分“{code}”（只能是A、B、C、D）"));
                continue;
            }
        };
        if sections.iter().any(|(x, _)| *x == sec) {
            cx.at(s.get_ref().code.span(), format!("部分“{code}”重复"));
        } else if sections.last().is_some_and(|(x, _)| *x > sec) {
            cx.at(s.get_ref().code.span(), format!("部分“{code}”不在A、B、C、D的顺序上"));
        }
        sections.push((sec, s.get_ref().title.clone()));
    }

    let mut branches: Vec<(Branch, String)> = Vec::new();
    for b in &raw.branches {
        let name = b.get_ref().name.get_ref();
        let br = match name.as_str() {
            "eliminated" => Branch::Eliminated,
            "not_eliminated" => Branch::NotEliminated,
            _ => {
                cx.at(b.get_ref().name.span(), format!("未知的分支“{name}”（只能是eliminated或not_eliminated）"));
                continue;
            }
        };
        if branches.iter().any(|(x, _)| *x == br) {
            cx.at(b.get_ref().name.span(), format!("分支“{name}”重复"));
        }
        branches.push((br, b.get_ref().label.clone()));
    }

    // Option lists.
    for (name, l) in &raw.lists {
        let list = l.get_ref();
        let span = l.span();
        if list.labels.is_empty() {
            cx.at(span.clone(), format!("选项表“{name}”没有选项"));
        }
        let mut seen = HashSet::new();
        for label in &list.labels {
            if label.trim().is_empty() {
                cx.at(span.clone(), format!("选项表“{name}”有空白的选项"));
            } else if !seen.insert(label.trim()) {
                cx.at(span.clone(), format!("选项表“{name}”的选项“{label}”重复"));
            }
        }
        if !list.short.is_empty() && list.short.len() != list.labels.len() {
            cx.at(span.clone(), format!("选项表“{name}”的简称有{}个，应与选项一样多（{}个）或不写", list.short.len(), list.labels.len()));
        }
        for (alias, i) in &list.aliases {
            if *i as usize >= list.labels.len() {
                cx.at(span.clone(), format!("选项表“{name}”的别名“{alias}”指向第{}项，但只有{}项", *i as usize + 1, list.labels.len()));
            }
        }
    }

    if raw.repeating {
        if raw.noun.trim().is_empty() {
            cx.at(raw.id.span(), "重复填写的表单（repeating）要写noun（一条记录叫什么，如“成员”）");
        }
        if let Some(s) = raw.sections.first() {
            cx.at(s.span(), "重复填写的表单不分部分，不用sections");
        }
        if let Some(b) = &raw.branch_field {
            cx.at(b.span(), "重复填写的表单没有分支，不用branch_field");
        }
        if raw.summary.is_empty() {
            cx.at(raw.id.span(), "重复填写的表单要写summary（列表中一行显示的字段）");
        }
    } else {
        if !raw.noun.is_empty() {
            cx.at(raw.id.span(), "noun只用于重复填写的表单（repeating = true）");
        }
        if let Some(s) = raw.summary.first() {
            cx.at(s.span(), "summary只用于重复填写的表单（repeating = true）");
        }
        if raw.sections.is_empty() {
            cx.at(raw.id.span(), "缺少sections（表单的部分）");
        }
    }

    // Fields, first pass: codes, kinds, sections.
    let mut shapes: HashMap<String, (Shape, Option<String>)> = HashMap::new();
    // A repeating form's rules may read the household's section A.
    if raw.repeating {
        for f in super::schema::shipped().section_fields(Section::A) {
            shapes.insert(f.code.to_string(), (shape_of(f.kind), f.options().map(|o| o.name.to_string())));
        }
    }
    let household_codes: HashSet<String> = shapes.keys().cloned().collect();
    let mut last_section = None;
    for f in &raw.fields {
        let rf = f.get_ref();
        let code = rf.code.get_ref();
        if !valid_code(code) {
            cx.at(rf.code.span(), format!("字段代码“{code}”应为一个英文字母加数字，如D11"));
        } else if household_codes.contains(code) {
            cx.at(rf.code.span(), format!("字段代码“{code}”是户的基础信息，重复填写的表单要换一个代码"));
        } else if shapes.contains_key(code) {
            cx.at(rf.code.span(), format!("字段代码“{code}”重复"));
        }
        match (&rf.section, raw.repeating) {
            (Some(sec), true) => cx.at(sec.span(), format!("重复填写的表单不分部分，字段{code}不用section")),
            (None, true) => {}
            (None, false) => cx.at(rf.code.span(), format!("字段{code}缺少section（所属部分）")),
            (Some(sec), false) => match sections.iter().find(|(s, _)| section_code(*s) == sec.get_ref()) {
                Some((s, _)) => {
                    if last_section.is_some_and(|l| l > *s) {
                        cx.at(sec.span(), format!("字段{code}属于部分{}，但排在后面部分的字段之后", sec.get_ref()));
                    }
                    last_section = Some(*s);
                }
                None => cx.at(sec.span(), format!("字段{code}的部分“{}”没有在sections中定义", sec.get_ref())),
            },
        }
        if rf.label.trim().is_empty() {
            cx.at(rf.code.span(), format!("字段{code}的标签不能为空"));
        }
        if rf.hint.trim().is_empty() {
            cx.at(rf.code.span(), format!("字段{code}缺少说明（hint）"));
        }
        let Some(sh) = shape(rf.kind.get_ref()) else {
            cx.at(rf.kind.span(), format!("未知的类型“{}”（可用：{KINDS}）", rf.kind.get_ref()));
            continue;
        };
        let list = rf.options.as_ref().map(|o| o.get_ref().clone());
        shapes.entry(code.clone()).or_insert((sh, list));
    }
    match &raw.branch_field {
        Some(b) if !shapes.contains_key(b.get_ref()) => cx.at(b.span(), format!("分支字段“{}”不存在", b.get_ref())),
        Some(_) => {}
        None if !raw.repeating => cx.at(raw.id.span(), "缺少branch_field（决定D部分分支的字段）"),
        None => {}
    }
    for c in &raw.summary {
        if !shapes.contains_key(c.get_ref()) || household_codes.contains(c.get_ref()) {
            cx.at(c.span(), format!("summary中的字段“{}”不在本表中", c.get_ref()));
        }
    }

    // Fields, second pass: each kind's limits and references.
    let mut helpers = HashSet::new();
    for f in &raw.fields {
        check_field(&mut cx, f.get_ref(), &raw, &shapes, &branches, &mut helpers);
    }

    // Conditions.
    let named: Vec<Named> = raw.lists.iter().map(|(n, l)| Named(n, l.get_ref())).collect();
    let field_type = |code: &str| -> Option<FieldType<'_>> {
        if household_codes.contains(code) {
            return super::schema::shipped().field(code).map(field_type);
        }
        let (sh, list) = shapes.get(code)?;
        let list = || list.as_ref().and_then(|n| named.iter().find(|l| l.0 == n.as_str())).map(|l| l as &dyn Choices);
        Some(match sh {
            Shape::Text | Shape::LongText | Shape::IdNumber => FieldType::Text,
            Shape::Integer => FieldType::Integer,
            Shape::YesNo => FieldType::YesNo,
            Shape::Single => FieldType::Single(list()?),
            Shape::Multi => FieldType::Multi(list()?),
            Shape::Month => FieldType::Month,
            Shape::Date | Shape::Names | Shape::Phones => FieldType::List,
        })
    };
    let mut ids = HashSet::new();
    let mut exprs = Vec::new();
    for w in &raw.warnings {
        let rw = w.get_ref();
        if !ids.insert(rw.id.get_ref().as_str()) {
            cx.at(rw.id.span(), format!("提示id“{}”重复", rw.id.get_ref()));
        }
        if !shapes.contains_key(rw.field.get_ref()) {
            cx.at(rw.field.span(), format!("提示“{}”所在的字段“{}”不存在", rw.id.get_ref(), rw.field.get_ref()));
        }
        if rw.message.trim().is_empty() || rw.short.trim().is_empty() {
            cx.at(rw.id.span(), format!("提示“{}”的message和short不能为空", rw.id.get_ref()));
        }
        match Expr::parse(rw.when.get_ref(), &field_type) {
            Ok(e) => exprs.push(e),
            Err(msg) => cx.at(rw.when.span(), format!("提示“{}”的条件“{}”有误：{msg}", rw.id.get_ref(), rw.when.get_ref())),
        }
    }

    if !cx.problems.is_empty() {
        cx.problems.sort_by_key(|p| p.line);
        return Err(cx.problems);
    }
    if !build {
        return Ok(None);
    }
    Ok(Some(assemble(text, raw, sections, branches, exprs)))
}

fn section_code(s: Section) -> &'static str {
    match s {
        Section::A => "A",
        Section::B => "B",
        Section::C => "C",
        Section::D => "D",
        Section::Entry => "",
    }
}

fn valid_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() >= 2 && b.len() <= 8 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// A list of the file while it is checked (nothing leaked yet).
struct Named<'a>(&'a str, &'a RawList);

impl Choices for Named<'_> {
    fn name(&self) -> &str {
        self.0
    }
    fn find(&self, text: &str) -> Option<u16> {
        let t = text.trim();
        let l = self.1;
        let at = |v: &[String]| v.iter().position(|x| x == t).map(|i| i as u16);
        if t.is_empty() {
            return None;
        }
        at(&l.labels).or_else(|| at(&l.short)).or_else(|| l.aliases.get(t).copied())
    }
    fn accepted(&self) -> String {
        self.1.labels.join("、")
    }
}

fn owned_list(name: &str, l: &RawList) -> OptionList {
    let labels: Vec<&'static str> = l.labels.iter().map(|s| leak(s)).collect();
    let short: Vec<&'static str> = l.short.iter().map(|s| leak(s)).collect();
    let aliases: Vec<(&'static str, u16)> = l.aliases.iter().map(|(a, i)| (leak(a), *i)).collect();
    OptionList {
        name: leak(name),
        labels: Box::leak(labels.into_boxed_slice()),
        aliases: Box::leak(aliases.into_boxed_slice()),
        short: Box::leak(short.into_boxed_slice()),
    }
}

#[allow(clippy::too_many_arguments)]
fn check_field(
    cx: &mut Ctx,
    rf: &RawField,
    raw: &RawForm,
    shapes: &HashMap<String, (Shape, Option<String>)>,
    branches: &[(Branch, String)],
    helpers: &mut HashSet<String>,
) {
    let code = rf.code.get_ref();
    let Some(sh) = shape(rf.kind.get_ref()) else { return };
    let kind = rf.kind.get_ref();
    let needs = |cx: &mut Ctx, what: &str, v: &Option<Spanned<i64>>| {
        if v.is_none() {
            cx.at(rf.kind.span(), format!("字段{code}是{kind}类型，缺少{what}"));
        }
    };
    let unused = |cx: &mut Ctx, what: &str, span: Option<std::ops::Range<usize>>| {
        if let Some(span) = span {
            cx.at(span, format!("字段{code}是{kind}类型，不用{what}"));
        }
    };
    let span_i = |v: &Option<Spanned<i64>>| v.as_ref().map(|s| s.span());
    let span_s = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.span());
    let uses_min = matches!(sh, Shape::Text | Shape::LongText | Shape::Integer);
    let uses_max = uses_min || matches!(sh, Shape::Names);
    if uses_min {
        needs(cx, "min", &rf.min);
    } else {
        unused(cx, "min", span_i(&rf.min));
    }
    if uses_max {
        needs(cx, "max", &rf.max);
    } else {
        unused(cx, "max", span_i(&rf.max));
    }
    if let (Some(min), Some(max)) = (&rf.min, &rf.max) {
        if uses_min && min.get_ref() > max.get_ref() {
            cx.at(min.span(), format!("字段{code}的min（{}）大于max（{}）", min.get_ref(), max.get_ref()));
        }
    }
    for v in [&rf.min, &rf.max].into_iter().flatten() {
        if !matches!(sh, Shape::Integer) && *v.get_ref() < 0 {
            cx.at(v.span(), format!("字段{code}的字数不能是负数"));
        }
        if !matches!(sh, Shape::Integer) && *v.get_ref() > 1_000_000 {
            cx.at(v.span(), format!("字段{code}的字数上限过大"));
        }
    }
    if !matches!(sh, Shape::Integer) {
        unused(cx, "warn_above", span_i(&rf.warn_above));
    }
    if matches!(sh, Shape::Names) && rf.max.as_ref().is_some_and(|m| *m.get_ref() < 1) {
        cx.at(rf.kind.span(), format!("字段{code}的max至少为1"));
    }
    // Option lists.
    if matches!(sh, Shape::Single | Shape::Multi) {
        match &rf.options {
            None => cx.at(rf.kind.span(), format!("字段{code}是{kind}类型，缺少options（选项表名）")),
            Some(o) => {
                if let Some(l) = raw.lists.get(o.get_ref()) {
                    if matches!(sh, Shape::Multi) && l.get_ref().labels.iter().any(|x| x.contains('、')) {
                        cx.at(o.span(), format!("多选字段{code}的选项表“{}”中有含“、”的选项（多选答案以“、”分隔）", o.get_ref()));
                    }
                } else {
                    cx.at(o.span(), format!("字段{code}的选项表“{}”没有定义", o.get_ref()));
                }
            }
        }
    } else {
        unused(cx, "options", span_s(&rf.options));
    }
    // References to other fields.
    if matches!(sh, Shape::Multi) {
        match &rf.main {
            None => {}
            Some(m) => match shapes.get(m.get_ref()) {
                Some((Shape::Single, list)) if list.as_ref() == rf.options.as_ref().map(|o| o.get_ref()) => {}
                Some(_) => cx.at(m.span(), format!("字段{code}的main“{}”应为用同一选项表的单选字段", m.get_ref())),
                None => cx.at(m.span(), format!("字段{code}的main“{}”不存在", m.get_ref())),
            },
        }
    } else {
        unused(cx, "main", span_s(&rf.main));
    }
    if matches!(sh, Shape::Phones) {
        match &rf.names {
            None => cx.at(rf.kind.span(), format!("电话字段{code}缺少names（对应的姓名字段）")),
            Some(n) => match shapes.get(n.get_ref()) {
                Some((Shape::Names, _)) => {}
                Some(_) => cx.at(n.span(), format!("字段{code}的names“{}”不是姓名字段", n.get_ref())),
                None => cx.at(n.span(), format!("字段{code}的names“{}”不存在", n.get_ref())),
            },
        }
    } else {
        unused(cx, "names", span_s(&rf.names));
    }
    // Branch.
    if let Some(b) = &rf.branch {
        let br = match b.get_ref().as_str() {
            "eliminated" => Some(Branch::Eliminated),
            "not_eliminated" => Some(Branch::NotEliminated),
            _ => None,
        };
        match br {
            Some(br) if branches.iter().any(|(x, _)| *x == br) => {}
            Some(_) => cx.at(b.span(), format!("字段{code}的分支“{}”没有在branches中定义", b.get_ref())),
            None => cx.at(b.span(), format!("字段{code}的分支“{}”未知（只能是eliminated或not_eliminated）", b.get_ref())),
        }
    }
    // Month rules.
    for r in &rf.month_rules {
        if !matches!(sh, Shape::Month) {
            cx.at(r.span(), format!("字段{code}不是年月，不能有month_rules"));
            continue;
        }
        match r.get_ref().as_str() {
            "not_after_reference" | "not_before_reference" | "warn_far_after_reference" | "not_after_current" => {}
            other => match other.strip_prefix("not_before:") {
                Some(o) => match shapes.get(o) {
                    Some((Shape::Month, _)) => {}
                    Some(_) => cx.at(r.span(), format!("字段{code}的月份规则引用的“{o}”不是年月字段")),
                    None => cx.at(r.span(), format!("字段{code}的月份规则引用的字段“{o}”不存在")),
                },
                None => cx.at(
                    r.span(),
                    format!("未知的月份规则“{other}”（可用：not_after_reference、not_before_reference、warn_far_after_reference、not_after_current、not_before:字段）"),
                ),
            },
        }
    }
    // Day rules.
    for r in &rf.date_rules {
        if !matches!(sh, Shape::Date) {
            cx.at(r.span(), format!("字段{code}不是日期，不能有date_rules"));
            continue;
        }
        let rule = r.get_ref().as_str();
        let (want, other) = if let Some(o) = rule.strip_prefix("not_before_month:") {
            ("month", o)
        } else if let Some(o) = rule.strip_prefix("after:") {
            ("date", o)
        } else if rule == "not_future" {
            continue;
        } else {
            cx.at(r.span(), format!("未知的日期规则“{rule}”（可用：not_future、not_before_month:字段、after:字段）"));
            continue;
        };
        match (shapes.get(other), want) {
            (Some((Shape::Month, _)), "month") | (Some((Shape::Date, _)), "date") => {}
            (Some(_), "month") => cx.at(r.span(), format!("字段{code}的日期规则引用的“{other}”不是年月字段")),
            (Some(_), _) => cx.at(r.span(), format!("字段{code}的日期规则引用的“{other}”不是日期字段")),
            (None, _) => cx.at(r.span(), format!("字段{code}的日期规则引用的字段“{other}”不存在")),
        }
    }
    // Masking, helpers, the "no problem" answer.
    if let Some(m) = &rf.mask {
        match (m.get_ref().as_str(), sh) {
            ("id", Shape::IdNumber | Shape::Text) | ("phone", Shape::Phones) => {}
            ("id" | "phone", _) => cx.at(m.span(), format!("字段{code}是{kind}类型，不能按“{}”遮蔽", m.get_ref())),
            (other, _) => cx.at(m.span(), format!("未知的遮蔽方式“{other}”（可用：id、phone）")),
        }
    }
    if let Some(h) = &rf.helper {
        match h.get_ref().as_str() {
            "water" if matches!(sh, Shape::YesNo) => {
                if !helpers.insert("water".to_string()) {
                    cx.at(h.span(), "饮水计算（water）只能用在一个字段上");
                }
            }
            "water" => cx.at(h.span(), format!("饮水计算只能用在“是/否”字段上，{code}是{kind}")),
            other => cx.at(h.span(), format!("未知的辅助工具“{other}”（可用：water）")),
        }
    }
    if let Some(ok) = &rf.ok {
        if !matches!(sh, Shape::YesNo) {
            cx.at(ok.span(), format!("字段{code}不是“是/否”题，不能有ok"));
        } else if !matches!(ok.get_ref().as_str(), "是" | "否") {
            cx.at(ok.span(), format!("字段{code}的ok应为“是”或“否”"));
        }
    }
}

/// Builds the typed form from a file that passed every check.
fn assemble(
    text: &str,
    raw: RawForm,
    sections: Vec<(Section, String)>,
    branches: Vec<(Branch, String)>,
    exprs: Vec<Expr>,
) -> &'static Form {
    let lists: Vec<&'static OptionList> = raw.lists.iter().map(|(n, l)| &*Box::leak(Box::new(owned_list(n, l.get_ref())))).collect();
    let list = |name: &Option<Spanned<String>>| name.as_ref().and_then(|n| lists.iter().copied().find(|l| l.name == n.get_ref()));
    let yes_no = lists.iter().copied().find(|l| l.name == "yes_no");
    // The checks made sure every field's list exists: this stand-in is never
    // needed, so it is made (and leaked) only if it were, once per form at most.
    let stand_in: std::cell::OnceCell<&'static OptionList> = std::cell::OnceCell::new();
    let empty = || -> &'static OptionList {
        yes_no
            .unwrap_or_else(|| stand_in.get_or_init(|| Box::leak(Box::new(OptionList { name: "", labels: &[], aliases: &[], short: &[] }))))
    };
    let mut fields = Vec::with_capacity(raw.fields.len());
    for f in &raw.fields {
        let rf = f.get_ref();
        let num = |v: &Option<Spanned<i64>>| v.as_ref().map(|s| *s.get_ref()).unwrap_or(0);
        let size = |v: &Option<Spanned<i64>>| num(v).max(0) as usize;
        let code_ref = |v: &Option<Spanned<String>>| leak(v.as_ref().map(|s| s.get_ref().as_str()).unwrap_or(""));
        let kind = match shape(rf.kind.get_ref()).unwrap_or(Shape::Text) {
            Shape::Text => Kind::Text { min: size(&rf.min), max: size(&rf.max) },
            Shape::LongText => Kind::LongText { min: size(&rf.min), max: size(&rf.max) },
            Shape::IdNumber => Kind::IdNumber,
            Shape::Integer => {
                Kind::Integer { min: num(&rf.min), max: num(&rf.max), warn_above: rf.warn_above.as_ref().map(|w| *w.get_ref()) }
            }
            Shape::YesNo => Kind::YesNo,
            Shape::Single => Kind::Single(list(&rf.options).unwrap_or_else(empty)),
            Shape::Multi => Kind::Multi { options: list(&rf.options).unwrap_or_else(empty), main: code_ref(&rf.main) },
            Shape::Month => Kind::Month,
            Shape::Date => Kind::Date,
            Shape::Names => Kind::Names { max: size(&rf.max) },
            Shape::Phones => Kind::Phones { names: code_ref(&rf.names) },
        };
        let month_rules: Vec<MonthRule> = rf
            .month_rules
            .iter()
            .filter_map(|r| match r.get_ref().as_str() {
                "not_after_reference" => Some(MonthRule::NotAfterReference),
                "not_before_reference" => Some(MonthRule::NotBeforeReference),
                "warn_far_after_reference" => Some(MonthRule::WarnFarAfterReference),
                "not_after_current" => Some(MonthRule::NotAfterCurrent),
                other => other.strip_prefix("not_before:").map(|o| MonthRule::NotBefore(leak(o))),
            })
            .collect();
        let date_rules: Vec<DateRule> = rf
            .date_rules
            .iter()
            .filter_map(|r| {
                let r = r.get_ref().as_str();
                if r == "not_future" {
                    Some(DateRule::NotFuture)
                } else if let Some(o) = r.strip_prefix("not_before_month:") {
                    Some(DateRule::NotBeforeMonth(leak(o)))
                } else {
                    r.strip_prefix("after:").map(|o| DateRule::After(leak(o)))
                }
            })
            .collect();
        let section = match &rf.section {
            None => Section::Entry,
            Some(sec) => sections.iter().map(|(s, _)| *s).find(|s| section_code(*s) == sec.get_ref()).unwrap_or(Section::A),
        };
        fields.push(Field {
            code: leak(rf.code.get_ref()),
            label: leak(&rf.label),
            hint: leak(&rf.hint),
            section,
            kind,
            required: rf.required,
            branch: match rf.branch.as_ref().map(|b| b.get_ref().as_str()) {
                Some("eliminated") => Branch::Eliminated,
                Some("not_eliminated") => Branch::NotEliminated,
                _ => Branch::Always,
            },
            month_rules: Box::leak(month_rules.into_boxed_slice()),
            date_rules: Box::leak(date_rules.into_boxed_slice()),
            mask: match rf.mask.as_ref().map(|m| m.get_ref().as_str()) {
                Some("id") => Some(Mask::Id),
                Some("phone") => Some(Mask::Phone),
                _ => None,
            },
            helper: rf.helper.as_ref().map(|_| Helper::Water),
            ok: rf.ok.as_ref().map(|o| o.get_ref() == "是"),
        });
    }
    let warnings: Vec<CrossRule> = raw
        .warnings
        .iter()
        .zip(exprs)
        .map(|(w, when)| {
            let w = w.get_ref();
            CrossRule { id: leak(w.id.get_ref()), field: leak(w.field.get_ref()), message: leak(&w.message), short: leak(&w.short), when }
        })
        .collect();
    Box::leak(Box::new(Form {
        id: leak(raw.id.get_ref()),
        version: raw.version,
        title: leak(&raw.title),
        branch_field: leak(raw.branch_field.as_ref().map(|b| b.get_ref().as_str()).unwrap_or("")),
        repeating: raw.repeating,
        noun: leak(&raw.noun),
        summary: Box::leak(raw.summary.iter().map(|c| leak(c.get_ref())).collect::<Vec<_>>().into_boxed_slice()),
        sections: sections.into_iter().map(|(s, t)| (s, leak(&t))).collect(),
        branches: branches.into_iter().map(|(b, t)| (b, leak(&t))).collect(),
        lists,
        fields: Box::leak(fields.into_boxed_slice()),
        warnings: Box::leak(warnings.into_boxed_slice()),
        source: leak(text),
    }))
}

/// How conditions see a compiled field (the fuzz target parses conditions
/// against the shipped form with it).
pub fn field_type(f: &Field) -> FieldType<'static> {
    match f.kind {
        Kind::Text { .. } | Kind::LongText { .. } | Kind::IdNumber => FieldType::Text,
        Kind::Integer { .. } => FieldType::Integer,
        Kind::YesNo => FieldType::YesNo,
        Kind::Single(l) => FieldType::Single(l),
        Kind::Multi { options, .. } => FieldType::Multi(options),
        Kind::Month => FieldType::Month,
        Kind::Date | Kind::Names { .. } | Kind::Phones { .. } => FieldType::List,
    }
}

/// What the checks need to know of a compiled field's kind.
fn shape_of(kind: Kind) -> Shape {
    match kind {
        Kind::Text { .. } => Shape::Text,
        Kind::LongText { .. } => Shape::LongText,
        Kind::IdNumber => Shape::IdNumber,
        Kind::Integer { .. } => Shape::Integer,
        Kind::YesNo => Shape::YesNo,
        Kind::Single(_) => Shape::Single,
        Kind::Multi { .. } => Shape::Multi,
        Kind::Month => Shape::Month,
        Kind::Date => Shape::Date,
        Kind::Names { .. } => Shape::Names,
        Kind::Phones { .. } => Shape::Phones,
    }
}

#[cfg(test)]
mod translate_tests {
    use super::translate;

    #[test]
    fn the_parsers_english_is_said_in_chinese() {
        for (english, want) in [
            ("invalid type: string \"x\", expected u32", "值的类型不对，这里应为整数"),
            ("invalid type: integer `3`, expected a boolean", "值的类型不对，这里应为true 或 false"),
            ("invalid type: integer `3`, expected a string", "值的类型不对，这里应为带引号的文字"),
            ("invalid type: string \"a\", expected a sequence", "值的类型不对，这里应为方括号里的列表"),
            ("invalid type: string \"a\", expected something odd", "值的类型不对"),
        ] {
            assert_eq!(translate(english), want, "{english}");
        }
        let syntax = translate("expected `=`, found newline");
        assert!(syntax.starts_with("不是有效的TOML") && !syntax.contains("expected"), "{syntax}");
        assert!(!translate("unknown field `tittle`, expected one of `id`").contains("expected"));
    }
}
