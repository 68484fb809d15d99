//! The domain records: a household (place + section A) and its look-back
//! form record, plus the audit entry and the summary the lists show.

use crate::form::file::Form;
use crate::form::rules::{self, Finding, Record};
use crate::form::value::{Value, YearMonth};
use crate::form::{options, registry, schema, FormRef, Round};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Milliseconds since the Unix epoch; shown in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(chrono::Utc::now().timestamp_millis())
    }

    pub fn local(self) -> chrono::DateTime<chrono::Local> {
        chrono::DateTime::from_timestamp_millis(self.0).unwrap_or_default().with_timezone(&chrono::Local)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.local().format("%Y-%m-%d %H:%M:%S"))
    }
}

/// Where a household is: township (乡镇/街道) and village (村/社区).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Place {
    pub township: String,
    pub village: String,
}

/// Section A as imported from the roster (过录指标).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionA {
    /// A1 家庭地址
    pub address: String,
    /// A2 户主姓名
    pub head: String,
    /// A3 户主证件号码, normalised.
    pub id_number: String,
    /// A4 家庭人口数
    pub size: i64,
    /// A5 对象类别: index into [`options::CATEGORY`].
    pub category: u16,
    /// A6 主要的返致贫风险点: index into [`options::ENROL_RISK`].
    pub enrol_risk: u16,
    /// A7 纳入系统时间
    pub enrolled: YearMonth,
    /// A8 标注风险消除年月; `None` = risk not eliminated.
    pub eliminated: Option<YearMonth>,
}

impl SectionA {
    /// The value of one A field, as the schema sees it.
    pub fn value(&self, code: &str) -> Option<Value> {
        Some(match code {
            "A1" => Value::Text(self.address.clone()),
            "A2" => Value::Text(self.head.clone()),
            "A3" => Value::Text(self.id_number.clone()),
            "A4" => Value::Int(self.size),
            "A5" => Value::Choice(self.category),
            "A6" => Value::Choice(self.enrol_risk),
            "A7" => Value::Month(self.enrolled),
            "A8" => Value::Month(self.eliminated?),
            _ => return None,
        })
    }

    /// Sets one A field from a schema value; `None` clears (only A8 may be empty).
    pub fn set(&mut self, code: &str, value: Option<Value>) -> Result<(), String> {
        let field = schema::field(code).ok_or_else(|| format!("没有字段{code}"))?;
        match (code, value) {
            ("A8", None) => self.eliminated = None,
            (_, None) => return Err(format!("{}不能为空", field.label)),
            ("A1", Some(Value::Text(s))) => self.address = s,
            ("A2", Some(Value::Text(s))) => self.head = s,
            ("A3", Some(Value::Text(s))) => self.id_number = s,
            ("A4", Some(Value::Int(n))) => self.size = n,
            ("A5", Some(Value::Choice(i))) if options::CATEGORY.label(i).is_some() => self.category = i,
            ("A6", Some(Value::Choice(i))) if options::ENROL_RISK.label(i).is_some() => self.enrol_risk = i,
            ("A7", Some(Value::Month(m))) => self.enrolled = m,
            ("A8", Some(Value::Month(m))) => self.eliminated = Some(m),
            _ => return Err(format!("{}的值类型不对", field.label)),
        }
        Ok(())
    }

    /// 监测户 / 边缘户.
    pub fn category_short(&self) -> &'static str {
        options::CATEGORY.short_label(self.category).unwrap_or("?")
    }
}

/// A monitored household (监测对象).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub place: Place,
    pub a: SectionA,
    /// Section A checked by the clerk (已核实).
    pub verified: bool,
    pub imported_at: Timestamp,
}

/// 未填 → 草稿 → 已提交.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub enum FormState {
    #[default]
    Empty,
    Draft,
    Submitted,
}

impl FormState {
    pub const ALL: [FormState; 3] = [FormState::Empty, FormState::Draft, FormState::Submitted];

    pub fn label(self) -> &'static str {
        match self {
            FormState::Empty => "未填",
            FormState::Draft => "草稿",
            FormState::Submitted => "已提交",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "未填" | "empty" => Some(FormState::Empty),
            "草稿" | "draft" => Some(FormState::Draft),
            "已提交" | "submitted" => Some(FormState::Submitted),
            _ => None,
        }
    }
}

/// Answers to sections B–D, by field code.
pub type Answers = BTreeMap<String, Value>;

/// One household's look-back form record (stored as format version 3;
/// version 1 had no `confirmations`, see [`FormRecordV1`], version 2 did not
/// name its form, see [`FormRecordV2`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRecord {
    pub answers: Answers,
    pub state: FormState,
    pub saved_by: Option<String>,
    pub saved_at: Option<Timestamp>,
    /// Rule ids of the warnings the clerk confirmed at submit.
    pub confirmed: Vec<String>,
    /// The warnings confirmed at the last submit, each with the values it
    /// was confirmed for: kept through a reopen and drafts, so the review
    /// can tell a warning already confirmed for these very answers from a new one.
    pub confirmations: Vec<Confirmation>,
    /// The form definition the record was made with (its id and version):
    /// it is validated, shown and exported with that one.
    pub form: FormRef,
}

impl Default for FormRecord {
    /// A form not begun, of the shipped look-back form.
    fn default() -> Self {
        FormRecord::new(schema::shipped().reference())
    }
}

impl FormRecord {
    /// A form not begun, of the form `form`.
    pub fn new(form: FormRef) -> Self {
        FormRecord {
            answers: Answers::new(),
            state: FormState::Empty,
            saved_by: None,
            saved_at: None,
            confirmed: Vec::new(),
            confirmations: Vec::new(),
            form,
        }
    }

    /// Not begun: nothing answered, never saved.
    pub fn is_blank(&self) -> bool {
        *self == FormRecord::new(self.form.clone())
    }
}

/// A warning the clerk confirmed, and the values of every field it depends on then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub rule: String,
    pub code: String,
    pub values: Vec<(String, Option<Value>)>,
}

impl Confirmation {
    /// The confirmation of `finding` for the record as it stands.
    pub fn of(finding: &Finding, rec: &impl Record) -> Confirmation {
        let values = crate::form::rules::depends_on(finding, rec).into_iter().map(|c| (c.to_string(), rec.value(c))).collect();
        Confirmation { rule: finding.rule.to_string(), code: finding.code.to_string(), values }
    }

    /// Whether this confirms `finding` with every value it depends on unchanged.
    pub fn covers(&self, finding: &Finding, rec: &impl Record) -> bool {
        self.rule == finding.rule && self.code == finding.code && self.values.iter().all(|(c, v)| rec.value(c) == *v)
    }
}

/// [`FormRecord`] as format version 1 wrote it (decoded from old stores).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FormRecordV1 {
    pub answers: Answers,
    pub state: FormState,
    pub saved_by: Option<String>,
    pub saved_at: Option<Timestamp>,
    pub confirmed: Vec<String>,
}

impl From<FormRecordV1> for FormRecord {
    fn from(v: FormRecordV1) -> FormRecord {
        FormRecordV2 {
            answers: v.answers,
            state: v.state,
            saved_by: v.saved_by,
            saved_at: v.saved_at,
            confirmed: v.confirmed,
            confirmations: Vec::new(),
        }
        .into()
    }
}

/// [`FormRecord`] as format version 2 wrote it: it did not name its form,
/// which was always the 2021 look-back form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FormRecordV2 {
    pub answers: Answers,
    pub state: FormState,
    pub saved_by: Option<String>,
    pub saved_at: Option<Timestamp>,
    pub confirmed: Vec<String>,
    pub confirmations: Vec<Confirmation>,
}

/// The older layout of a record (tests and tools that write a format-1
/// store): everything but the form it names, which version 2 did not record.
impl From<FormRecord> for FormRecordV2 {
    fn from(f: FormRecord) -> FormRecordV2 {
        FormRecordV2 {
            answers: f.answers,
            state: f.state,
            saved_by: f.saved_by,
            saved_at: f.saved_at,
            confirmed: f.confirmed,
            confirmations: f.confirmations,
        }
    }
}

impl From<FormRecordV2> for FormRecord {
    fn from(v: FormRecordV2) -> FormRecord {
        FormRecord {
            answers: v.answers,
            state: v.state,
            saved_by: v.saved_by,
            saved_at: v.saved_at,
            confirmed: v.confirmed,
            confirmations: v.confirmations,
            form: FormRef::look_back_2021(),
        }
    }
}

/// A household with its form: what validation, the editor and exports read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookBack {
    pub household: Household,
    pub form: FormRecord,
}

/// Borrowed view of a household's section A and a set of answers.
pub struct View<'a> {
    pub a: &'a SectionA,
    pub answers: &'a Answers,
}

impl Record for View<'_> {
    fn value(&self, code: &str) -> Option<Value> {
        if code.starts_with('A') {
            self.a.value(code)
        } else {
            self.answers.get(code).cloned()
        }
    }
}

impl Record for LookBack {
    fn value(&self, code: &str) -> Option<Value> {
        self.view().value(code)
    }
}

impl LookBack {
    pub fn view(&self) -> View<'_> {
        View { a: &self.household.a, answers: &self.form.answers }
    }

    /// The definition the form record was made with, when this process knows it.
    pub fn definition(&self) -> Option<&'static Form> {
        registry::get(&self.form.form)
    }

    /// What validation finds, by the record's own definition; a record
    /// whose definition is unknown gets one error that says so.
    pub fn findings(&self, round: &Round) -> Vec<Finding> {
        match self.definition() {
            Some(form) => rules::validate_in(form, &self.view(), round),
            None => vec![rules::unknown_form(&self.form.form)],
        }
    }

    /// The answer to `code` if its branch is taken (what exports and reports
    /// read), by the record's own definition (the shipped one when that is
    /// unknown, so nothing answered is hidden).
    pub fn active_value(&self, code: &str) -> Option<Value> {
        let form = self.definition().unwrap_or_else(schema::shipped);
        let f = form.field(code)?;
        if rules::is_active_in(form, f, &self.view()) {
            self.value(code).filter(|v| !v.is_blank())
        } else {
            None
        }
    }
}

/// What lists, search and counts need of a household, kept small so a
/// million of them fit in memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub key: u64,
    pub place: Place,
    pub head: String,
    pub id_number: String,
    pub address: String,
    pub category: u16,
    pub eliminated: Option<YearMonth>,
    pub verified: bool,
    pub state: FormState,
    pub errors: u16,
    pub warnings: u16,
    pub saved_by: Option<String>,
    pub saved_at: Option<Timestamp>,
}

impl Summary {
    pub fn of(key: u64, lb: &LookBack, round: &Round) -> Self {
        let findings = (lb.form.state != FormState::Empty).then(|| lb.findings(round));
        Summary::with_findings(key, lb, findings.as_deref())
    }

    /// [`Summary::of`] with the form's findings already at hand (`None` for a 未填 form).
    pub fn with_findings(key: u64, lb: &LookBack, findings: Option<&[rules::Finding]>) -> Self {
        let (errors, warnings) = findings.map_or((0, 0), rules::counts);
        let h = &lb.household;
        Summary {
            key,
            place: h.place.clone(),
            head: h.a.head.clone(),
            id_number: h.a.id_number.clone(),
            address: h.a.address.clone(),
            category: h.a.category,
            eliminated: h.a.eliminated,
            verified: h.verified,
            state: lb.form.state,
            errors: errors.min(u16::MAX as usize) as u16,
            warnings: warnings.min(u16::MAX as usize) as u16,
            saved_by: lb.form.saved_by.clone(),
            saved_at: lb.form.saved_at,
        }
    }

    /// 监测户 / 边缘户.
    pub fn category_short(&self) -> &'static str {
        options::CATEGORY.short_label(self.category).unwrap_or("?")
    }

    /// `已消除 2021-03` or `未消除`.
    pub fn risk_label(&self) -> String {
        match self.eliminated {
            Some(m) => format!("已消除 {m}"),
            None => "未消除".to_string(),
        }
    }
}

/// One line of the audit log: who changed what, when; chained by hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub who: String,
    /// The household's store key.
    pub household: u64,
    /// Field code (A1…D10) or one of `state`, `verified`, `import`.
    pub field: String,
    pub old: String,
    pub new: String,
    /// SHA-256 of the previous entry's encoding (zeros for the first).
    pub prev_hash: [u8; 32],
}

/// Counts by form state for a set of households.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub households: usize,
    pub empty: usize,
    pub draft: usize,
    pub submitted: usize,
    pub verified: usize,
    pub with_errors: usize,
}

impl Counts {
    pub fn add(&mut self, s: &Summary) {
        self.households += 1;
        match s.state {
            FormState::Empty => self.empty += 1,
            FormState::Draft => self.draft += 1,
            FormState::Submitted => self.submitted += 1,
        }
        if s.verified {
            self.verified += 1;
        }
        if s.errors > 0 {
            self.with_errors += 1;
        }
    }

    /// Adds another set of counts (a village's to its township's).
    pub fn merge(&mut self, other: &Counts) {
        self.households += other.households;
        self.empty += other.empty;
        self.draft += other.draft;
        self.submitted += other.submitted;
        self.verified += other.verified;
        self.with_errors += other.with_errors;
    }
}

/// A village with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageCounts {
    pub name: String,
    pub counts: Counts,
}

/// A township with its villages (sorted by name) and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownshipCounts {
    pub name: String,
    pub counts: Counts,
    pub villages: Vec<VillageCounts>,
}

/// Groups summaries into townships and villages, sorted by name.
pub fn places(summaries: &[Summary]) -> Vec<TownshipCounts> {
    let mut map: BTreeMap<&str, BTreeMap<&str, Counts>> = BTreeMap::new();
    for s in summaries {
        map.entry(&s.place.township).or_default().entry(&s.place.village).or_default().add(s);
    }
    map.into_iter()
        .map(|(t, villages)| {
            let mut total = Counts::default();
            let villages = villages
                .into_iter()
                .map(|(v, c)| {
                    total.merge(&c);
                    VillageCounts { name: v.to_string(), counts: c }
                })
                .collect();
            TownshipCounts { name: t.to_string(), counts: total, villages }
        })
        .collect()
}

/// Recorded as the operator when nothing gives a name (the app says so).
pub const UNKNOWN_OPERATOR: &str = "未知";

fn env_name(var: &str) -> Option<String> {
    std::env::var(var).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// This process's login name: the OS user database's entry for the real
/// uid, else `USER`.
pub fn login_name() -> Option<String> {
    let from_db = nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name.trim().to_string());
    from_db.filter(|n| !n.is_empty()).or_else(|| env_name("USER"))
}

/// The operator when `--operator` is not given: `HUITOUKAN_OPERATOR`, else
/// the login name; `None` when nothing gives one.
pub fn operator_from_env() -> Option<String> {
    env_name("HUITOUKAN_OPERATOR").or_else(login_name)
}

/// Who holds a store's lock, for the message another process prints.
pub fn login_user() -> String {
    login_name().unwrap_or_else(|| UNKNOWN_OPERATOR.to_string())
}

/// One entry of a household's repeating form (the handbook's 家庭成员,
/// 帮扶措施, 走访记录): kept, never deleted; a wrong one is voided with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The definition the entry was made with.
    pub form: FormRef,
    /// Its number within the household and form (1, 2, …), never reused.
    pub seq: u32,
    pub answers: Answers,
    pub voided: Option<Voided>,
    pub created_at: Timestamp,
    pub saved_at: Timestamp,
    pub saved_by: String,
}

/// Why and by whom an entry was voided (作废).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voided {
    pub reason: String,
    pub at: Timestamp,
    pub by: String,
}

impl Entry {
    /// The definition the entry names, when this process knows it.
    pub fn definition(&self) -> Option<&'static Form> {
        registry::get(&self.form)
    }

    /// What validation finds in the entry, the household's section A read
    /// where the form's rules ask for it.
    pub fn findings(&self, a: &SectionA, round: &Round) -> Vec<Finding> {
        match self.definition() {
            Some(form) => rules::validate_in(form, &View { a, answers: &self.answers }, round),
            None => vec![rules::unknown_form(&self.form)],
        }
    }

    /// The choice it gives in the field of its form that uses option list
    /// `list` (the measure's 措施类别 is the field using `measure`).
    pub fn choice_in(&self, list: &str) -> Option<u16> {
        let f = self.definition()?.fields.iter().find(|f| f.options().is_some_and(|o| o.name == list))?;
        match self.answers.get(f.code) {
            Some(Value::Choice(i)) => Some(*i),
            _ => None,
        }
    }

    /// Its answer to the first field of its form of a kind `pick` accepts
    /// (a visit's date, a measure's start month).
    pub fn first_answer(&self, pick: impl Fn(&schema::Kind) -> bool) -> Option<&Value> {
        let f = self.definition()?.fields.iter().find(|f| pick(&f.kind))?;
        self.answers.get(f.code)
    }

    /// `家庭成员第3条` (or `作废的…`), for the audit log and messages.
    pub fn label(&self) -> String {
        let title = self.definition().map(|f| f.title).unwrap_or("记录");
        format!("{title}第{}条", self.seq)
    }

    /// The audit field of a change to `code` of this entry: `members#3 M1`.
    pub fn audit_field(&self, code: &str) -> String {
        format!("{}#{} {code}", self.form.id, self.seq)
    }

    /// The entry's one-line summary: its form's summary fields, as shown.
    pub fn summary_cells(&self) -> Vec<String> {
        let Some(form) = self.definition() else { return vec![self.form.to_string()] };
        form.summary
            .iter()
            .map(|code| match (form.field(code), self.answers.get(*code)) {
                (Some(f), Some(v)) if !v.is_blank() => {
                    let shown = rules::display_value(f, v);
                    match f.mask {
                        Some(schema::Mask::Id) => crate::form::idnum::mask(&shown),
                        Some(schema::Mask::Phone) => shown.split('、').map(crate::form::phone::mask).collect::<Vec<_>>().join("、"),
                        None => shown,
                    }
                }
                _ => String::new(),
            })
            .collect()
    }
}
