//! The household's file (户档) of the electronic 《防止返贫监测手册》: its
//! look-back record and the entries of its repeating forms (members,
//! measures, visits), put in the order the file shows them, with the
//! responsible person's history and the checks across the file (疑点)
//! that `shouce.md` lists.
//!
//! Domain logic only: the screen that draws it is `ui::dossier`, the store
//! keeps the entries (`store::entries`). Fields are found by the option
//! list or kind the handbook's form files give them, not by code, so a
//! county's edited file keeps working; the look-back form's fields it reads
//! are named once, below.

use crate::form::file::Form;
use crate::form::schema::{self, Kind};
use crate::form::value::{Day, YearMonth};
use crate::form::{Round, Value};
use crate::model::{AuditEntry, Entry, LookBack, Timestamp};

/// The look-back fields the checks across the file read.
const LOOK_BACK_MAIN_RISK: &str = "D5";
const LOOK_BACK_MEDICAL_UNMET: &str = "B1";
const LOOK_BACK_SCHOOL_DROPOUT: &str = "B2";
const LOOK_BACK_MONITOR_NAMES: &str = "D1";
const LOOK_BACK_MONITOR_PHONES: &str = "D2";

/// A visit at least this recent keeps a household whose risk is not
/// eliminated out of the "no recent visit" check.
pub const VISIT_MONTHS: i32 = 3;

/// One of the repeating forms of the file, with its entries in the order shown.
pub struct Part {
    pub form: &'static Form,
    /// Indexes into [`HouseholdFile::entries`], in display order.
    pub rows: Vec<usize>,
    /// Entries not voided.
    pub live: usize,
}

/// One check across the file that does not hold (疑点).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doubt {
    pub id: &'static str,
    pub message: String,
}

/// A responsible person (监测责任人) as recorded over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    pub names: String,
    pub phones: String,
    /// When this person (these people) became the one recorded.
    pub since: Option<Timestamp>,
}

/// A household's whole file.
pub struct HouseholdFile {
    pub record: LookBack,
    pub entries: Vec<Entry>,
    pub parts: Vec<Part>,
}

fn live(e: &Entry) -> bool {
    e.voided.is_none()
}

/// The field of `form` that uses option list `list`.
fn by_list(form: &Form, list: &str) -> Option<&'static str> {
    form.fields.iter().find(|f| f.options().is_some_and(|o| o.name == list)).map(|f| f.code)
}

fn first_of_kind(form: &Form, pick: impl Fn(&Kind) -> bool) -> Option<&'static str> {
    form.fields.iter().find(|f| pick(&f.kind)).map(|f| f.code)
}

/// The index of `label` in the list `list` of `form`.
fn option(form: &Form, list: &str, label: &str) -> Option<u16> {
    form.list(list).and_then(|l| l.parse(label))
}

fn choice(e: &Entry, code: Option<&str>) -> Option<u16> {
    match e.answers.get(code?) {
        Some(Value::Choice(i)) => Some(*i),
        _ => None,
    }
}

impl HouseholdFile {
    /// Puts a household's record and entries in the order the file shows
    /// them: members as entered, measures by category then start, visits by date.
    pub fn new(record: LookBack, entries: Vec<Entry>) -> HouseholdFile {
        let mut parts = Vec::new();
        for form in schema::handbook() {
            let mut rows: Vec<usize> = entries.iter().enumerate().filter(|(_, e)| e.form.id == form.id).map(|(i, _)| i).collect();
            let def = |i: usize| entries[i].definition().unwrap_or(form);
            match form.id {
                "measures" => {
                    rows.sort_by_key(|&i| {
                        let d = def(i);
                        let cat = choice(&entries[i], by_list(d, "measure")).unwrap_or(u16::MAX);
                        let start = first_of_kind(d, |k| matches!(k, Kind::Month)).and_then(|c| match entries[i].answers.get(c) {
                            Some(Value::Month(m)) => Some(*m),
                            _ => None,
                        });
                        (cat, start, entries[i].seq)
                    });
                }
                "visits" => {
                    rows.sort_by_key(|&i| (visit_day(def(i), &entries[i]), entries[i].seq));
                }
                _ => {}
            }
            let live_n = rows.iter().filter(|&&i| live(&entries[i])).count();
            parts.push(Part { form, rows, live: live_n });
        }
        HouseholdFile { record, entries, parts }
    }

    fn live_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| e.form.id == id && live(e))
    }

    /// The look-back answer to `code` (section A included).
    fn answer(&self, code: &str) -> Option<Value> {
        use crate::form::Record;
        self.record.value(code).filter(|v| !v.is_blank())
    }

    fn look_back_choice_is(&self, code: &str, list: &str, label: &str) -> bool {
        let form = self.record.definition().unwrap_or_else(schema::shipped);
        matches!((self.answer(code), option(form, list, label)), (Some(Value::Choice(a)), Some(b)) if a == b)
    }

    /// Whether any live measure is of category `label`.
    fn has_measure(&self, label: &str) -> bool {
        self.live_of("measures").any(|e| {
            let Some(d) = e.definition() else { return false };
            choice(e, by_list(d, "measure")).is_some() && choice(e, by_list(d, "measure")) == option(d, "measure", label)
        })
    }

    /// The checks across the file (疑点) that do not hold, as of `today`.
    pub fn doubts(&self, round: &Round, today: Day) -> Vec<Doubt> {
        let mut out = Vec::new();
        let mut push = |id: &'static str, message: String| out.push(Doubt { id, message });
        let a = &self.record.household.a;
        let shipped = schema::shipped();
        let enrol_is = |label: &str| shipped.list("enrol_risk").and_then(|l| l.parse(label)) == Some(a.enrol_risk);
        let main_is = |label: &str| self.look_back_choice_is(LOOK_BACK_MAIN_RISK, "current_risk", label);
        let no = |code: &str| matches!(self.answer(code), Some(Value::Bool(false)));

        if (main_is("因病") || enrol_is("因大病")) && !self.has_measure("健康帮扶") {
            push("illness_without_health_measure", "风险点是因病（或纳入时因大病），却没有记录健康帮扶措施".into());
        }
        if (main_is("因学") || enrol_is("因学")) && !self.has_measure("教育帮扶") {
            push("school_without_education_measure", "风险点是因学，却没有记录教育帮扶措施".into());
        }
        let members: Vec<&Entry> = self.live_of("members").collect();
        let moment = round.reference.date();
        for m in &members {
            let Some(d) = m.definition() else { continue };
            let name = d.fields.first().and_then(|f| m.answers.get(f.code)).map(|v| crate::form::rules::display_value(&d.fields[0], v)).unwrap_or_default();
            let id = first_of_kind(d, |k| matches!(k, Kind::IdNumber)).and_then(|c| match m.answers.get(c) {
                Some(Value::Text(t)) => Some(t.clone()),
                _ => None,
            });
            if choice(m, by_list(d, "schooling")) == option(d, "schooling", "失学辍学") && choice(m, by_list(d, "schooling")).is_some() {
                if let Some(age) = id.as_deref().and_then(|id| age_at(id, moment)) {
                    if (6..=16).contains(&age) && no(LOOK_BACK_SCHOOL_DROPOUT) {
                        push("dropout_but_b2_no", format!("成员{name}（{age}周岁）失学辍学，采集表B2却填“否”"));
                    }
                }
            }
            if choice(m, by_list(d, "insurance")) == option(d, "insurance", "未参加") && choice(m, by_list(d, "insurance")).is_some() && no(LOOK_BACK_MEDICAL_UNMET) {
                push("uninsured_but_b1_no", format!("成员{name}未参加医保，采集表B1却填“否”"));
            }
        }
        let unable = |m: &&Entry| {
            let Some(d) = m.definition() else { return false };
            let s = choice(m, by_list(d, "skill"));
            s.is_some() && (s == option(d, "skill", "丧失劳动力") || s == option(d, "skill", "无劳动力"))
        };
        let measures: Vec<&Entry> = self.live_of("measures").collect();
        let only_work = !measures.is_empty()
            && measures.iter().all(|e| {
                let Some(d) = e.definition() else { return false };
                let c = choice(e, by_list(d, "measure"));
                c.is_some() && (c == option(d, "measure", "产业帮扶") || c == option(d, "measure", "就业帮扶"))
            });
        if !members.is_empty() && members.iter().all(unable) && only_work {
            push("no_labour_only_work_measures", "全家都丧失劳动力或无劳动力，帮扶措施却只有产业帮扶、就业帮扶".into());
        }
        let eliminated = a.eliminated.is_some();
        let done = measures.iter().any(|e| {
            let Some(d) = e.definition() else { return false };
            let c = choice(e, by_list(d, "progress"));
            c.is_some() && c == option(d, "progress", "已落实")
        });
        if eliminated && !done {
            push("eliminated_without_done_measure", "已标注风险消除，却没有一项已落实的帮扶措施".into());
        }
        if !eliminated {
            let last = self.live_of("visits").filter_map(|e| visit_day(e.definition()?, e)).max();
            let recent = last.is_some_and(|d| d.month().months_until(today.month()) < VISIT_MONTHS);
            if !recent {
                let when = last.map(|d| format!("最近一次是{d}")).unwrap_or_else(|| "还没有走访记录".into());
                push("no_recent_visit", format!("风险未消除，近{VISIT_MONTHS}个月没有走访（{when}）"));
            }
        }
        // The members against section A.
        if let Some(form) = schema::handbook_form("members") {
            let head = option(form, "relation", "户主");
            let heads: Vec<&&Entry> = members.iter().filter(|m| m.definition().is_some_and(|d| choice(m, by_list(d, "relation")) == head)).collect();
            if !members.is_empty() {
                match heads.len() {
                    0 => push("no_head_member", "家庭成员里没有户主".into()),
                    1 => {
                        let id = heads[0].definition().and_then(|d| first_of_kind(d, |k| matches!(k, Kind::IdNumber))).and_then(|c| heads[0].answers.get(c));
                        if matches!(id, Some(Value::Text(t)) if *t != a.id_number) {
                            push("head_id_differs", "家庭成员中户主的证件号码与A3户主证件号码不一致".into());
                        }
                    }
                    n => push("several_heads", format!("家庭成员里有{n}名户主，应只有一名")),
                }
                if members.len() as i64 != a.size {
                    push("member_count_differs", format!("已录入{}名成员，A4家庭人口数为{}人", members.len(), a.size));
                }
            }
        }
        out
    }

    /// The responsible people (D1/D2) over time, newest first: the current
    /// record, then each earlier one the audit log kept.
    pub fn monitors(&self, history: &[AuditEntry]) -> Vec<Monitor> {
        let text = |v: Option<Value>| match v {
            Some(Value::List(items)) => items.into_iter().filter(|s| !s.trim().is_empty()).collect::<Vec<_>>().join("、"),
            _ => String::new(),
        };
        let mut names = text(self.answer(LOOK_BACK_MONITOR_NAMES));
        let mut phones = text(self.answer(LOOK_BACK_MONITOR_PHONES));
        let mut out = Vec::new();
        // Walk the changes of D1/D2 from the newest back.
        let mut changes: Vec<&AuditEntry> =
            history.iter().filter(|h| h.field == LOOK_BACK_MONITOR_NAMES || h.field == LOOK_BACK_MONITOR_PHONES).collect();
        changes.sort_by_key(|h| std::cmp::Reverse(h.seq));
        let mut i = 0;
        while i < changes.len() {
            let at = changes[i].at;
            let (mut old_names, mut old_phones) = (names.clone(), phones.clone());
            while i < changes.len() && changes[i].at == at {
                if changes[i].field == LOOK_BACK_MONITOR_NAMES {
                    old_names = changes[i].old.clone();
                } else {
                    old_phones = changes[i].old.clone();
                }
                i += 1;
            }
            if !names.is_empty() {
                out.push(Monitor { names: names.clone(), phones: phones.clone(), since: Some(at) });
            }
            names = old_names;
            phones = old_phones;
        }
        if !names.is_empty() {
            out.push(Monitor { names, phones, since: None });
        }
        out
    }
}

/// A visit's date (the form's first date field).
fn visit_day(form: &Form, e: &Entry) -> Option<Day> {
    match e.answers.get(first_of_kind(form, |k| matches!(k, Kind::Date))?) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

/// Whole years of age at `moment` of the holder of an 18-digit resident ID
/// (or a 20-digit disability certificate, which starts with it).
pub fn age_at(id: &str, moment: chrono::NaiveDate) -> Option<i32> {
    use chrono::Datelike;
    let birth = chrono::NaiveDate::parse_from_str(id.get(6..14)?, "%Y%m%d").ok()?;
    let mut age = moment.year() - birth.year();
    if (moment.month(), moment.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    Some(age)
}

/// The sex an ID number gives (its 17th digit: odd 男, even 女).
pub fn sex_of(id: &str) -> Option<&'static str> {
    let d = id.as_bytes().get(16)?;
    d.is_ascii_digit().then(|| if (d - b'0') % 2 == 1 { "男" } else { "女" })
}

/// The month a quarter label such as `2021Q2` starts, and the month after it ends.
pub fn quarter_months(label: &str) -> Option<(YearMonth, YearMonth)> {
    let (y, q) = label.trim().split_once(['Q', 'q'])?;
    let (y, q): (u16, u8) = (y.parse().ok()?, q.parse().ok()?);
    if !(1..=4).contains(&q) {
        return None;
    }
    let start = YearMonth::new(y, (q - 1) * 3 + 1)?;
    let end = if q == 4 { YearMonth::new(y + 1, 1)? } else { YearMonth::new(y, q * 3 + 1)? };
    Some((start, end))
}
