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
            let name = d
                .fields
                .first()
                .and_then(|f| m.answers.get(f.code))
                .map(|v| crate::form::rules::display_value(&d.fields[0], v))
                .unwrap_or_default();
            let id = first_of_kind(d, |k| matches!(k, Kind::IdNumber)).and_then(|c| match m.answers.get(c) {
                Some(Value::Text(t)) => Some(t.clone()),
                _ => None,
            });
            if choice(m, by_list(d, "schooling")) == option(d, "schooling", "失学辍学") && choice(m, by_list(d, "schooling")).is_some()
            {
                if let Some(age) = id.as_deref().and_then(|id| age_at(id, moment)) {
                    if (6..=16).contains(&age) && no(LOOK_BACK_SCHOOL_DROPOUT) {
                        push("dropout_but_b2_no", format!("成员{name}（{age}周岁）失学辍学，采集表B2却填“否”"));
                    }
                }
            }
            if choice(m, by_list(d, "insurance")) == option(d, "insurance", "未参加")
                && choice(m, by_list(d, "insurance")).is_some()
                && no(LOOK_BACK_MEDICAL_UNMET)
            {
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
            let heads: Vec<&&Entry> =
                members.iter().filter(|m| m.definition().is_some_and(|d| choice(m, by_list(d, "relation")) == head)).collect();
            if !members.is_empty() {
                match heads.len() {
                    0 => push("no_head_member", "家庭成员里没有户主".into()),
                    1 => {
                        let id = heads[0]
                            .definition()
                            .and_then(|d| first_of_kind(d, |k| matches!(k, Kind::IdNumber)))
                            .and_then(|c| heads[0].answers.get(c));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::schema::handbook_form;
    use crate::model::{Answers, FormRecord, FormState, Household, Place, SectionA};

    fn record(eliminated: bool, enrol_risk: &str) -> LookBack {
        let a = SectionA {
            address: "石盘乡石盘村1组".into(),
            head: "张三".into(),
            id_number: "11010519491231002X".into(),
            size: 2,
            category: 1,
            enrol_risk: crate::form::options::ENROL_RISK.parse(enrol_risk).unwrap(),
            enrolled: YearMonth::new(2020, 5).unwrap(),
            eliminated: eliminated.then(|| YearMonth::new(2021, 1).unwrap()),
        };
        let household = Household {
            place: Place { township: "石盘乡".into(), village: "石盘村".into() },
            a,
            verified: true,
            imported_at: Timestamp(0),
        };
        LookBack { household, form: FormRecord::default() }
    }

    fn entry(form: &str, seq: u32, pairs: &[(&str, Value)]) -> Entry {
        let def = handbook_form(form).unwrap();
        let answers: Answers = pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        Entry { form: def.reference(), seq, answers, voided: None, created_at: Timestamp(0), saved_at: Timestamp(0), saved_by: "t".into() }
    }

    fn pick(form: &str, list: &str, label: &str) -> Value {
        Value::Choice(handbook_form(form).unwrap().list(list).unwrap().parse(label).unwrap())
    }

    fn member(seq: u32, relation: &str, id: &str, skill: &str, school: &str, insured: &str) -> Entry {
        entry(
            "members",
            seq,
            &[
                ("M1", Value::Text(format!("成员{seq}"))),
                ("M2", pick("members", "relation", relation)),
                ("M3", Value::Text(id.into())),
                ("M5", pick("members", "skill", skill)),
                ("M6", pick("members", "schooling", school)),
                ("M7", pick("members", "insurance", insured)),
            ],
        )
    }

    fn measure(seq: u32, category: &str, progress: &str) -> Entry {
        entry("measures", seq, &[("S1", pick("measures", "measure", category)), ("S8", pick("measures", "progress", progress))])
    }

    fn visit(seq: u32, day: Day) -> Entry {
        entry("visits", seq, &[("V1", Value::Date(day))])
    }

    fn ids(file: &HouseholdFile, today: Day) -> Vec<&'static str> {
        file.doubts(&Round::default(), today).into_iter().map(|d| d.id).collect()
    }

    const TODAY: Day = Day { year: 2021, month: 4, day: 20 };

    #[test]
    fn each_check_across_the_file_fires_and_clears() {
        let child = crate::form::idnum::complete("11010520100101003").unwrap(); // 11 at the 2021 reference
        let head = "11010519491231002X";
        // Ill, not eliminated, a child out of school while B2 says no, uninsured while B1 says no, no visit.
        let mut lb = record(false, "因大病");
        lb.form.state = FormState::Draft;
        lb.form.answers.insert("B1".into(), Value::Bool(false));
        lb.form.answers.insert("B2".into(), Value::Bool(false));
        let entries = vec![
            member(1, "户主", head, "丧失劳动力", "非在校生", "未参加"),
            member(2, "之子", &child, "无劳动力", "失学辍学", "居民医保"),
            measure(1, "产业帮扶", "计划"),
        ];
        let file = HouseholdFile::new(lb.clone(), entries);
        assert_eq!(
            ids(&file, TODAY),
            [
                "illness_without_health_measure",
                "uninsured_but_b1_no",
                "dropout_but_b2_no",
                "no_labour_only_work_measures",
                "no_recent_visit"
            ]
        );
        // The measures and the visit that answer them.
        let entries = vec![
            member(1, "户主", head, "普通劳动力", "非在校生", "居民医保"),
            member(2, "之子", &child, "无劳动力", "小学", "居民医保"),
            measure(1, "健康帮扶", "已落实"),
            visit(1, Day::new(2021, 3, 1).unwrap()),
        ];
        assert!(ids(&HouseholdFile::new(lb.clone(), entries.clone()), TODAY).is_empty());
        // A visit four months back is not recent; a voided measure does not count.
        let mut old = entries.clone();
        old[3] = visit(1, Day::new(2020, 12, 1).unwrap());
        old[2].voided = Some(crate::model::Voided { reason: "录错".into(), at: Timestamp(0), by: "t".into() });
        assert_eq!(ids(&HouseholdFile::new(lb, old), TODAY), ["illness_without_health_measure", "no_recent_visit"]);
        // Eliminated without a measure carried out; the members against A2–A4.
        let lb = record(true, "其他");
        let entries = vec![member(1, "之子", &child, "普通劳动力", "非在校生", "居民医保"), measure(1, "综合保障", "实施中")];
        assert_eq!(
            ids(&HouseholdFile::new(lb.clone(), entries), TODAY),
            ["eliminated_without_done_measure", "no_head_member", "member_count_differs"]
        );
        let entries = vec![
            member(1, "户主", &child, "普通劳动力", "非在校生", "居民医保"),
            member(2, "户主", head, "普通劳动力", "非在校生", "居民医保"),
        ];
        assert!(ids(&HouseholdFile::new(lb.clone(), entries), TODAY).contains(&"several_heads"));
        let entries = vec![member(1, "户主", &child, "普通劳动力", "非在校生", "居民医保")];
        assert!(ids(&HouseholdFile::new(lb, entries), TODAY).contains(&"head_id_differs"));
    }

    #[test]
    fn the_file_orders_measures_by_category_and_visits_by_date() {
        let entries = vec![
            visit(1, Day::new(2021, 3, 1).unwrap()),
            measure(1, "综合保障", "计划"),
            visit(2, Day::new(2020, 9, 1).unwrap()),
            measure(2, "产业帮扶", "已落实"),
        ];
        let file = HouseholdFile::new(record(false, "其他"), entries);
        let seqs = |p: usize| file.parts[p].rows.iter().map(|&i| file.entries[i].seq).collect::<Vec<_>>();
        assert_eq!(seqs(1), [2, 1], "产业帮扶 before 综合保障");
        assert_eq!(seqs(2), [2, 1], "by date");
        assert_eq!(file.parts.iter().map(|p| p.live).collect::<Vec<_>>(), [0, 2, 2]);
    }

    #[test]
    fn the_responsible_person_keeps_its_history() {
        let mut lb = record(false, "其他");
        lb.form.answers.insert("D1".into(), Value::List(vec!["王五".into()]));
        lb.form.answers.insert("D2".into(), Value::List(vec!["13800000000".into()]));
        let change = |seq, at, field: &str, old: &str, new: &str| AuditEntry {
            seq,
            at: Timestamp(at),
            who: "t".into(),
            household: 1,
            field: field.into(),
            old: old.into(),
            new: new.into(),
            prev_hash: [0; 32],
        };
        let history = vec![
            change(1, 10, "D1", "", "李四"),
            change(2, 10, "D2", "", "13900000000"),
            change(3, 20, "D1", "李四", "王五"),
            change(4, 20, "D2", "13900000000", "13800000000"),
        ];
        let file = HouseholdFile::new(lb, Vec::new());
        let m = file.monitors(&history);
        assert_eq!(
            m.iter().map(|m| (m.names.as_str(), m.phones.as_str(), m.since)).collect::<Vec<_>>(),
            [("王五", "13800000000", Some(Timestamp(20))), ("李四", "13900000000", Some(Timestamp(10)))]
        );
    }

    #[test]
    fn ages_sexes_and_quarters() {
        let moment = chrono::NaiveDate::from_ymd_opt(2021, 4, 20).unwrap();
        assert_eq!(age_at("11010519491231002X", moment), Some(71));
        assert_eq!(age_at("110105201004200031", moment), Some(11));
        assert_eq!(age_at("110105201004210031", moment), Some(10), "the day before the birthday");
        assert_eq!(sex_of("11010519491231002X"), Some("女"));
        assert_eq!(sex_of("110105201004200031"), Some("男"));
        let (s, e) = quarter_months("2021Q2").unwrap();
        assert_eq!((s.to_string(), e.to_string()), ("2021-04".into(), "2021-07".into()));
        assert!(quarter_months("2021Q5").is_none() && quarter_months("Q2").is_none());
    }
}
