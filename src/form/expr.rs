//! The small condition language of form files: cross-field warnings (and
//! anything else that depends on answers) are written as
//!
//! ```text
//! A8 != 空 and (B1 == 是 or B2 == 是 or B3 == 是 or B4 == 否)
//! C2 == "6000元以下"      D3 in D4      A4 > 12      not (C1 == 是)
//! ```
//!
//! A condition is parsed once, when the form loads, into an [`Expr`] whose
//! literals are already resolved against the fields they are compared with
//! (an option label becomes its index, 是 a boolean, a month a
//! [`YearMonth`]); evaluating it on each keystroke only reads answers.
//!
//! Semantics: an unanswered (or blank) field equals `空` and nothing else;
//! any other comparison with it is false (so `B4 != 否` is false while B4 is
//! unanswered — write `not (B4 == 否)` for "anything but 否"). `and` and `or`
//! stop at the first operand that decides, left to right.

use super::options::OptionList;
use super::rules::RecordDyn;
use super::value::{normalize_ascii, Value, YearMonth};

/// How deep parentheses and `not` may nest (a bound for hostile files).
const MAX_DEPTH: usize = 32;
/// `and`/`or` a condition may hold: each adds a level to the tree that
/// evaluating walks, so a hostile file's chain of thousands cannot
/// overflow the stack on a keystroke.
const MAX_JOINS: usize = 256;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp { left: Operand, op: Op, right: Operand },
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// The answer to this field.
    Field(String),
    /// `len(M3)`: how many characters a text field's answer has (an
    /// unanswered field has no length: it equals only `空`).
    Len(String),
    /// `count(members)`, `count(measures: S1 == 健康帮扶)`: how many live
    /// entries of a repeating form of the household (that meet the condition).
    Count {
        form: String,
        when: Option<Box<Expr>>,
    },
    /// `age(M3)`: whole years of age, at the round's reference moment, of
    /// the holder of an ID number.
    Age(String),
    /// `months_ago(V1)`: whole months from a date's (or month's) month to today's.
    MonthsAgo(String),
    /// `空`: unanswered.
    Blank,
    Bool(bool),
    Choice(u16),
    Int(i64),
    Month(YearMonth),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// The left choice is among the right field's checked options.
    In,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
        }
    }
}

/// An option list as conditions see it: option labels resolve to indexes.
pub trait Choices {
    /// The list's name; two fields with the same name share the list.
    fn name(&self) -> &str;
    /// The index of a label, short form or alias.
    fn find(&self, text: &str) -> Option<u16>;
    /// "、"-joined labels, for messages.
    fn accepted(&self) -> String;
}

impl Choices for OptionList {
    fn name(&self) -> &str {
        self.name
    }
    fn find(&self, text: &str) -> Option<u16> {
        self.parse(text)
    }
    fn accepted(&self) -> String {
        OptionList::accepted(self)
    }
}

/// What a condition needs to know about a field to resolve literals.
#[derive(Clone, Copy)]
pub enum FieldType<'a> {
    Text,
    Integer,
    YesNo,
    Single(&'a dyn Choices),
    Multi(&'a dyn Choices),
    Month,
    /// Names, phones: only comparable with `空`.
    List,
}

impl Expr {
    /// Parses `text`; `lookup` gives the type of a field code of the form,
    /// or `None` when the form has no such field. The error is in Chinese.
    pub fn parse<'a>(text: &str, lookup: &dyn Fn(&str) -> Option<FieldType<'a>>) -> Result<Expr, String> {
        let tokens = lex(text)?;
        if tokens.is_empty() {
            return Err("条件是空的".into());
        }
        let mut p = Parser { tokens, pos: 0, lookup, joins: 0 };
        let e = p.or(0)?;
        if let Some(t) = p.tokens.get(p.pos) {
            return Err(format!("“{}”之前的条件已完整，多出了“{}”（条件之间要用and或or连接）", p.before(), t.text()));
        }
        Ok(e)
    }

    /// Whether the condition holds for the record.
    pub fn eval(&self, rec: &dyn RecordDyn) -> bool {
        match self {
            Expr::And(a, b) => a.eval(rec) && b.eval(rec),
            Expr::Or(a, b) => a.eval(rec) || b.eval(rec),
            Expr::Not(a) => !a.eval(rec),
            Expr::Cmp { left, op, right } => compare(rec, left, *op, right),
        }
    }

    /// Every field code the condition reads, in order, repeats included.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'s>(&'s self, out: &mut Vec<&'s str>) {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.collect(out);
                b.collect(out);
            }
            Expr::Not(a) => a.collect(out),
            Expr::Cmp { left, right, .. } => {
                for o in [left, right] {
                    if let Operand::Field(c) | Operand::Len(c) | Operand::Age(c) | Operand::MonthsAgo(c) = o {
                        out.push(c);
                    }
                }
            }
        }
    }
}

fn read(rec: &dyn RecordDyn, o: &Operand) -> Option<Value> {
    match o {
        Operand::Field(code) => rec.get(code).filter(|v| !v.is_blank()),
        Operand::Count { form, when } => {
            let n = rec.entries(form).iter().filter(|e| when.as_ref().is_none_or(|w| w.eval(&***e))).count();
            Some(Value::Int(n as i64))
        }
        Operand::Age(code) => match rec.get(code) {
            Some(Value::Text(id)) => crate::handbook::age_at(&id, rec.moment()?).map(|a| Value::Int(a as i64)),
            _ => None,
        },
        Operand::MonthsAgo(code) => {
            let month = match rec.get(code)? {
                Value::Date(d) => d.month(),
                Value::Month(m) => m,
                _ => return None,
            };
            Some(Value::Int(month.months_until(rec.today()?.month()) as i64))
        }
        Operand::Len(code) => match rec.get(code) {
            Some(Value::Text(t)) if !t.trim().is_empty() => Some(Value::Int(super::value::char_count(&t) as i64)),
            _ => None,
        },
        Operand::Blank => None,
        Operand::Bool(b) => Some(Value::Bool(*b)),
        Operand::Choice(i) => Some(Value::Choice(*i)),
        Operand::Int(n) => Some(Value::Int(*n)),
        Operand::Month(m) => Some(Value::Month(*m)),
        Operand::Text(s) => Some(Value::Text(s.clone())),
    }
}

fn compare(rec: &dyn RecordDyn, left: &Operand, op: Op, right: &Operand) -> bool {
    use std::cmp::Ordering;
    let blank_test = matches!(left, Operand::Blank) || matches!(right, Operand::Blank);
    let l = read(rec, left);
    let r = read(rec, right);
    if blank_test {
        let other = if matches!(left, Operand::Blank) { r } else { l };
        return match op {
            Op::Eq => other.is_none(),
            Op::Ne => other.is_some(),
            _ => false,
        };
    }
    let (Some(l), Some(r)) = (l, r) else { return false };
    if op == Op::In {
        return match (l, r) {
            (Value::Choice(i), Value::Multi(items)) => items.contains(&i),
            _ => false,
        };
    }
    let ord = match (&l, &r) {
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::Choice(a), Value::Choice(b)) => a.cmp(b),
        (Value::Int(a), Value::Int(b)) => a.cmp(b),
        (Value::Month(a), Value::Month(b)) => a.cmp(b),
        (Value::Text(a), Value::Text(b)) => a.trim().cmp(b.trim()),
        _ => return false,
    };
    match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::In => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Op(Op),
    And,
    Or,
    Not,
    /// `:` between a form and its condition in `count(form: …)`.
    Colon,
    /// A bare word: a field code, 空, 是/否, an option label, a number, a month.
    Word(String),
    /// A quoted literal.
    Str(String),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Op(o) => o.symbol().into(),
            Tok::And => "and".into(),
            Tok::Or => "or".into(),
            Tok::Not => "not".into(),
            Tok::Colon => ":".into(),
            Tok::Word(w) => w.clone(),
            Tok::Str(s) => format!("\"{s}\""),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | '（' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' | '）' => {
                chars.next();
                out.push(Tok::Close);
            }
            '=' | '!' | '<' | '>' => {
                chars.next();
                let eq = chars.peek() == Some(&'=');
                if eq {
                    chars.next();
                }
                out.push(Tok::Op(match (c, eq) {
                    ('=', true) => Op::Eq,
                    ('!', true) => Op::Ne,
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    ('>', true) => Op::Ge,
                    _ => return Err(format!("“{c}”不是运算符：相等写“==”，不等写“!=”")),
                }));
            }
            ':' | '：' => {
                chars.next();
                out.push(Tok::Colon);
            }
            '"' | '“' => {
                chars.next();
                let close = if c == '"' { '"' } else { '”' };
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some(ch) if ch == close => break,
                        Some(ch) => s.push(ch),
                        None => return Err(format!("引号“{c}”没有配对的结束引号")),
                    }
                }
                out.push(Tok::Str(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || "()（）=!<>\"“:：".contains(ch) {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                out.push(match w.as_str() {
                    "and" | "且" => Tok::And,
                    "or" | "或" => Tok::Or,
                    "not" | "非" => Tok::Not,
                    "in" => Tok::Op(Op::In),
                    _ => Tok::Word(w),
                });
            }
        }
    }
    Ok(out)
}

struct Parser<'l, 'a> {
    tokens: Vec<Tok>,
    pos: usize,
    lookup: &'l dyn Fn(&str) -> Option<FieldType<'a>>,
    /// `and`/`or` joins parsed so far (see [`MAX_JOINS`]).
    joins: usize,
}

/// An operand before it is resolved against the other side.
enum Raw {
    Word(String),
    Str(String),
    /// `len(CODE)`.
    Len(String),
    /// `count(…)`, `age(…)`, `months_ago(…)`: an integer computed, not a field.
    Computed(Operand),
}

impl Raw {
    fn text(&self) -> &str {
        match self {
            Raw::Word(w) | Raw::Str(w) | Raw::Len(w) => w,
            Raw::Computed(_) => "计算值",
        }
    }
}

/// Whether a word is written like a field code (a letter, then digits): such
/// a word that is no field of the form is reported as an unknown field.
fn looks_like_code(w: &str) -> bool {
    let mut c = w.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic())
        && w.len() > 1
        && w[1..].chars().all(|ch| ch.is_ascii_alphanumeric())
        && w[1..].chars().any(|ch| ch.is_ascii_digit())
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    /// The condition up to the current token, for messages.
    fn before(&self) -> String {
        self.tokens[..self.pos.min(self.tokens.len())].iter().map(Tok::text).collect::<Vec<_>>().join(" ")
    }

    fn join(&mut self) -> Result<(), String> {
        self.joins += 1;
        if self.joins > MAX_JOINS {
            return Err(format!("条件里的and、or超过{MAX_JOINS}个，请拆成几条"));
        }
        Ok(())
    }

    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        let mut e = self.and(depth)?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            self.join()?;
            let r = self.and(depth)?;
            e = Expr::Or(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut e = self.unary(depth)?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            self.join()?;
            let r = self.unary(depth)?;
            e = Expr::And(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth >= MAX_DEPTH {
            return Err(format!("条件的括号或not嵌套超过{MAX_DEPTH}层"));
        }
        match self.peek() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary(depth + 1)?)))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let e = self.or(depth + 1)?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(format!("“{}”之后缺少右括号“)”", self.before()));
                }
                self.pos += 1;
                Ok(e)
            }
            _ => self.comparison(),
        }
    }

    /// `count(FORM)` or `count(FORM: CONDITION)`, the condition read with
    /// FORM's fields (`FORM.CODE` to the lookup) and the household's.
    fn count(&mut self) -> Result<Raw, String> {
        let form = match self.tokens.get(self.pos + 2).cloned() {
            Some(Tok::Word(f)) if (self.lookup)(&format!("{f}.")).is_some() => f,
            Some(Tok::Word(f)) => return Err(format!("count({f} …)：没有“{f}”这份可重复填写的表单（可用members、measures、visits）")),
            _ => return Err(format!("“{}”之后应为count(表单)或count(表单: 条件)", self.before())),
        };
        self.pos += 3;
        let when = match self.peek() {
            Some(Tok::Close) => None,
            Some(Tok::Colon) => {
                self.pos += 1;
                let outer = self.lookup;
                let nested = |c: &str| outer(&format!("{form}.{c}")).or_else(|| if c.contains('.') { None } else { outer(c) });
                let mut inner = Parser { tokens: std::mem::take(&mut self.tokens), pos: self.pos, lookup: &nested, joins: self.joins };
                let e = inner.or(1);
                self.tokens = std::mem::take(&mut inner.tokens);
                self.pos = inner.pos;
                self.joins = inner.joins;
                Some(Box::new(e?))
            }
            _ => return Err(format!("“{}”之后应为“:”和条件，或“)”", self.before())),
        };
        if self.peek() != Some(&Tok::Close) {
            return Err(format!("“{}”之后缺少右括号“)”", self.before()));
        }
        self.pos += 1;
        Ok(Raw::Computed(Operand::Count { form, when }))
    }

    fn operand(&mut self) -> Result<Raw, String> {
        if let (Some(Tok::Word(w)), Some(Tok::Open)) = (self.tokens.get(self.pos), self.tokens.get(self.pos + 1)) {
            match w.as_str() {
                "count" => return self.count(),
                f @ ("age" | "months_ago") => {
                    let f = f.to_string();
                    return match (self.tokens.get(self.pos + 2).cloned(), self.tokens.get(self.pos + 3)) {
                        (Some(Tok::Word(code)), Some(Tok::Close)) => {
                            let t = (self.lookup)(&code).ok_or_else(|| format!("条件中的字段“{code}”不存在"))?;
                            let op = match (f.as_str(), t) {
                                ("age", FieldType::Text) => Operand::Age(code),
                                ("months_ago", FieldType::Month | FieldType::List) => Operand::MonthsAgo(code),
                                ("age", _) => return Err(format!("age({code})：{code}不是证件号码字段")),
                                _ => return Err(format!("months_ago({code})：{code}不是日期或年月字段")),
                            };
                            self.pos += 4;
                            Ok(Raw::Computed(op))
                        }
                        _ => Err(format!("“{}”之后应为{f}(字段代码)", self.before())),
                    };
                }
                _ => {}
            }
        }
        if let (Some(Tok::Word(w)), Some(Tok::Open)) = (self.tokens.get(self.pos), self.tokens.get(self.pos + 1)) {
            if w == "len" || w == "字数" {
                return match (self.tokens.get(self.pos + 2).cloned(), self.tokens.get(self.pos + 3)) {
                    (Some(Tok::Word(code)), Some(Tok::Close)) => {
                        self.pos += 4;
                        Ok(Raw::Len(code))
                    }
                    _ => Err(format!("“{}”之后应为len(字段代码)，如len(M3)", self.before())),
                };
            }
        }
        match self.tokens.get(self.pos).cloned() {
            Some(Tok::Word(w)) => {
                self.pos += 1;
                Ok(Raw::Word(w))
            }
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Raw::Str(s))
            }
            Some(t) => Err(format!("“{}”处应为字段代码或值，却是“{}”", self.before(), t.text())),
            None if self.pos == 0 => Err("条件是空的".into()),
            None => Err(format!("“{}”之后缺少字段代码或值", self.before())),
        }
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Tok::Op(op)) => *op,
            Some(t) => return Err(format!("“{}”之后应为比较运算符（== != < <= > >= in），却是“{}”", self.before(), t.text())),
            None => return Err(format!("“{}”之后缺少比较运算符（== != < <= > >= in）", self.before())),
        };
        self.pos += 1;
        let right = self.operand()?;
        self.resolve(left, op, right)
    }

    /// A bare word naming a field of the form; an error for a word written
    /// like a code that is not one.
    fn field_of(&self, raw: &Raw) -> Result<Option<(String, FieldType<'_>)>, String> {
        if let Raw::Len(code) = raw {
            return match (self.lookup)(code) {
                Some(FieldType::Text) => Ok(Some((format!("len({code})"), FieldType::Integer))),
                Some(_) => Err(format!("len({code})：{code}不是文字字段，不能数字数")),
                None => Err(format!("条件中的字段“{code}”不存在")),
            };
        }
        let Raw::Word(w) = raw else { return Ok(None) };
        match (self.lookup)(w) {
            Some(t) => Ok(Some((w.clone(), t))),
            None if looks_like_code(w) => Err(format!("条件中的字段“{w}”不存在")),
            None => Ok(None),
        }
    }

    fn resolve(&self, left: Raw, op: Op, right: Raw) -> Result<Expr, String> {
        // A computed integer against a number, an integer field or another computed one.
        let integer = |raw: Raw| -> Result<Operand, String> {
            match raw {
                Raw::Computed(o) => Ok(o),
                raw => match self.field_of(&raw)? {
                    Some((code, FieldType::Integer)) => Ok(Operand::Field(code)),
                    Some((code, _)) => Err(format!("{code}不是整数，不能与计数或年龄比较")),
                    None => literal("计数", FieldType::Integer, op, &raw),
                },
            }
        };
        if matches!(left, Raw::Computed(_)) || matches!(right, Raw::Computed(_)) {
            if op == Op::In {
                return Err("计数、年龄不能用“in”".into());
            }
            return Ok(Expr::Cmp { left: integer(left)?, op, right: integer(right)? });
        }
        let lf = self.field_of(&left)?;
        let rf = self.field_of(&right)?;
        // A `len(CODE)` side reads its field's length, not its answer.
        let side = |o: Operand| match o {
            Operand::Field(f) => match f.strip_prefix("len(").and_then(|x| x.strip_suffix(')')) {
                Some(code) => Operand::Len(code.to_string()),
                None => Operand::Field(f),
            },
            o => o,
        };
        let cmp = |l: Operand, r: Operand| Ok(Expr::Cmp { left: side(l), op, right: side(r) });
        match (lf, rf) {
            (None, None) => Err(format!("“{} {} {}”两边都不是字段，至少一边应为字段代码", left.text(), op.symbol(), right.text())),
            (Some((l, lt)), Some((r, rt))) => {
                check_pair(&l, lt, op, &r, rt)?;
                cmp(Operand::Field(l), Operand::Field(r))
            }
            (Some((code, t)), None) => {
                if op == Op::In {
                    return Err(format!("“{code} in {}”：in 的右边应为多选字段", right.text()));
                }
                let lit = literal(&code, t, op, &right)?;
                cmp(Operand::Field(code), lit)
            }
            (None, Some((code, t))) => {
                let lit = if op == Op::In {
                    let FieldType::Multi(list) = t else {
                        return Err(format!("“{} in {code}”：{code}不是多选字段", left.text()));
                    };
                    literal(&code, FieldType::Single(list), Op::Eq, &left)?
                } else {
                    literal(&code, t, op, &left)?
                };
                cmp(lit, Operand::Field(code))
            }
        }
    }
}

fn ordered(t: FieldType) -> bool {
    matches!(t, FieldType::Integer | FieldType::Month)
}

fn check_pair(l: &str, lt: FieldType, op: Op, r: &str, rt: FieldType) -> Result<(), String> {
    use FieldType as T;
    let ok = match op {
        Op::In => matches!((lt, rt), (T::Single(a), T::Multi(b)) if a.name() == b.name()),
        Op::Eq | Op::Ne => match (lt, rt) {
            (T::Single(a), T::Single(b)) => a.name() == b.name(),
            (T::Text, T::Text) | (T::Integer, T::Integer) | (T::YesNo, T::YesNo) | (T::Month, T::Month) => true,
            _ => false,
        },
        _ => ordered(lt) && matches!((lt, rt), (T::Integer, T::Integer) | (T::Month, T::Month)),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("字段{l}与{r}的类型不同或不能用“{}”比较", op.symbol()))
    }
}

/// Resolves a literal against the field it is compared with.
fn literal(code: &str, t: FieldType, op: Op, raw: &Raw) -> Result<Operand, String> {
    let text = raw.text();
    if matches!(raw, Raw::Word(w) if w == "空") {
        return match op {
            Op::Eq | Op::Ne => Ok(Operand::Blank),
            _ => Err(format!("“空”只能用“==”或“!=”比较（{code}）")),
        };
    }
    if !matches!(op, Op::Eq | Op::Ne) && !ordered(t) {
        return Err(format!("{code}不是数字或年月，不能用“{}”比较", op.symbol()));
    }
    match t {
        FieldType::YesNo => match text.trim() {
            "是" => Ok(Operand::Bool(true)),
            "否" => Ok(Operand::Bool(false)),
            _ => Err(format!("{code}是“是/否”题，“{text}”应为“是”或“否”")),
        },
        FieldType::Single(list) => {
            list.find(text).map(Operand::Choice).ok_or_else(|| format!("“{text}”不是{code}的选项，可选：{}", list.accepted()))
        }
        FieldType::Multi(_) => Err(format!("多选字段{code}只能与“空”比较，或写“选项 in {code}”")),
        FieldType::Integer => {
            normalize_ascii(text).trim().parse::<i64>().map(Operand::Int).map_err(|_| format!("{code}是整数，“{text}”不是整数"))
        }
        FieldType::Month => YearMonth::parse(text).map(Operand::Month).ok_or_else(|| format!("{code}是年月，“{text}”不是年月（如202104）")),
        FieldType::Text => Ok(Operand::Text(text.trim().to_string())),
        FieldType::List => Err(format!("{code}只能与“空”比较")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    static MEASURE: OptionList =
        OptionList { name: "m", labels: &["产业帮扶", "就业帮扶", "金融帮扶"], aliases: &[], short: &[] };
    static BRACKET: OptionList = OptionList { name: "b", labels: &["6000元以下", "13500元以上"], aliases: &[], short: &[] };

    fn lookup(code: &str) -> Option<FieldType<'static>> {
        Some(match code {
            "A4" => FieldType::Integer,
            "A7" | "A8" => FieldType::Month,
            "B1" | "B4" => FieldType::YesNo,
            "C2" => FieldType::Single(&BRACKET),
            "D3" => FieldType::Single(&MEASURE),
            "D4" => FieldType::Multi(&MEASURE),
            "D7" => FieldType::Text,
            "D1" => FieldType::List,
            _ => return None,
        })
    }

    fn parse(s: &str) -> Result<Expr, String> {
        Expr::parse(s, &lookup)
    }

    fn rec(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    fn holds(s: &str, r: &BTreeMap<String, Value>) -> bool {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).eval(r)
    }

    #[test]
    fn blank_and_yes_no() {
        let empty = rec(&[]);
        let done = rec(&[("A8", Value::Month(YearMonth::new(2021, 3).unwrap())), ("B4", Value::Bool(false))]);
        assert!(holds("A8 == 空", &empty));
        assert!(!holds("A8 != 空", &empty));
        assert!(holds("A8 != 空", &done));
        assert!(holds("空 != A8", &done));
        assert!(holds("B4 == 否", &done));
        assert!(!holds("B4 == 否", &empty), "unanswered equals nothing but 空");
        assert!(!holds("B4 != 否", &empty));
        assert!(holds("not (B4 == 否)", &empty));
        // A blank text counts as unanswered.
        assert!(holds("D7 == 空", &rec(&[("D7", Value::Text("  ".into()))])));
    }

    #[test]
    fn precedence_and_parentheses() {
        let r = rec(&[("B1", Value::Bool(true)), ("B4", Value::Bool(true))]);
        // and binds tighter than or.
        assert!(holds("B1 == 是 or B4 == 否 and A8 != 空", &r));
        assert!(!holds("(B1 == 是 or B4 == 否) and A8 != 空", &r));
        assert!(holds("not B1 == 否", &r));
        assert!(holds("（B1 == 是）且 B4 == 是", &r), "full-width parentheses and 且");
        let e = parse("A8 != 空 and (B1 == 是 or B4 == 否)").unwrap();
        assert_eq!(e.fields(), ["A8", "B1", "B4"]);
    }

    #[test]
    fn options_numbers_months_and_in() {
        let r = rec(&[
            ("C2", Value::Choice(1)),
            ("A4", Value::Int(13)),
            ("A7", Value::Month(YearMonth::new(2020, 5).unwrap())),
            ("A8", Value::Month(YearMonth::new(2021, 2).unwrap())),
            ("D3", Value::Choice(2)),
            ("D4", Value::Multi(vec![0, 2])),
        ]);
        assert!(holds("C2 == \"13500元以上\"", &r));
        assert!(holds("C2 == “13500元以上”", &r));
        assert!(holds("C2 != 6000元以下", &r));
        assert!(holds("A4 > 12 and A4 <= 13 and A4 != 12", &r));
        assert!(holds("A7 < A8 and A8 >= 202102", &r));
        assert!(holds("D3 in D4", &r));
        assert!(holds("产业帮扶 in D4", &r));
        assert!(!holds("就业帮扶 in D4", &r));
        assert!(holds("D7 == 空 and D1 == 空", &r));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        for (text, want) in [
            ("", "条件是空的"),
            ("E5 == 是", "字段“E5”不存在"),
            ("B1 == 也许", "应为“是”或“否”"),
            ("C2 == 9000元", "不是C2的选项"),
            ("B1 == 是 B4 == 否", "多出了“B4”"),
            ("(B1 == 是", "缺少右括号"),
            ("B1 ==", "缺少字段代码或值"),
            ("B1", "缺少比较运算符"),
            ("B1 = 是", "不是运算符"),
            ("B1 > 是", "不能用“>”比较"),
            ("是 == 否", "两边都不是字段"),
            ("B1 == A4", "类型不同"),
            ("D3 in C2", "类型不同"),
            ("D3 in 产业帮扶", "右边应为多选字段"),
            ("A4 == 十二", "不是整数"),
            ("A8 == 2021年13月", "不是年月"),
            ("C2 == \"6000元以下", "没有配对的结束引号"),
            ("D4 == 产业帮扶", "只能与“空”比较"),
            ("A8 < 空", "只能用“==”或“!=”比较"),
            ("and", "应为字段代码或值"),
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.contains(want), "{text}: {err}");
        }
        let deep = format!("{}B1 == 是{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().contains("嵌套"));
        let nots = format!("{}B1 == 是", "not ".repeat(100));
        assert!(parse(&nots).unwrap_err().contains("嵌套"));
        // A chain of thousands of joins is refused, not a tree as deep as the chain.
        let chain = vec!["B1 == 是"; 5000].join(" and ");
        assert!(parse(&chain).unwrap_err().contains("超过256个"));
        let many = vec!["B1 == 是"; 257].join(" or ");
        assert!(parse(&many).is_ok(), "256 joins still parse");
    }
}

#[cfg(test)]
mod len_tests {
    use super::*;
    use std::collections::BTreeMap;

    fn lookup(code: &str) -> Option<FieldType<'static>> {
        match code {
            "M3" => Some(FieldType::Text),
            "A4" => Some(FieldType::Integer),
            _ => None,
        }
    }

    #[test]
    fn len_counts_a_text_answer() {
        let e = Expr::parse("len(M3) == 18", &lookup).unwrap();
        let mut r: BTreeMap<String, Value> = BTreeMap::new();
        assert!(!e.eval(&r), "unanswered has no length");
        r.insert("M3".into(), Value::Text("1".repeat(18)));
        assert!(e.eval(&r));
        r.insert("M3".into(), Value::Text("1".repeat(20)));
        assert!(!e.eval(&r));
        assert_eq!(e.fields(), ["M3"]);
        assert!(Expr::parse("len(A4) == 1", &lookup).unwrap_err().contains("不是文字字段"));
        assert!(Expr::parse("len(Z9) == 1", &lookup).unwrap_err().contains("不存在"));
        assert!(Expr::parse("len(M3 == 1", &lookup).is_err());
    }
}
