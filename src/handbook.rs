//! The household's file (户档) of the electronic 《防止返贫监测手册》: its
//! look-back record and the entries of its repeating forms (members,
//! measures, visits), put in the order the file shows them, with the
//! responsible person's history and the checks across the file (疑点)
//! that `shouce.md` lists — data, in `forms/checks-1.toml`, read by the
//! condition language with `count(…)`, `age(…)` and `months_ago(…)`.
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
const LOOK_BACK_MONITOR_NAMES: &str = "D1";
const LOOK_BACK_MONITOR_PHONES: &str = "D2";

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

/// The day the checks across a file are made as of: today, or the end of
/// the round's survey period when that is past (a round's file is judged in
/// its round).
pub fn as_of(round: &Round) -> Day {
    Day::from_naive(round.period_end.min(chrono::Local::now().date_naive())).unwrap_or_else(Day::today)
}

impl HouseholdFile {
    /// Puts a household's record and entries in the order the file shows
    /// them: members as entered, measures by category then start, visits by date.
    pub fn new(record: LookBack, entries: Vec<Entry>) -> HouseholdFile {
        let mut parts = Vec::new();
        for form in schema::handbook() {
            let mut rows: Vec<usize> = entries.iter().enumerate().filter(|(_, e)| e.form.id == form.id).map(|(i, _)| i).collect();
            match form.id {
                "measures" => {
                    rows.sort_by_key(|&i| {
                        let e = &entries[i];
                        let start = match e.first_answer(|k| matches!(k, Kind::Month)) {
                            Some(Value::Month(m)) => Some(*m),
                            _ => None,
                        };
                        (e.choice_in("measure").unwrap_or(u16::MAX), start, e.seq)
                    });
                }
                "visits" => {
                    rows.sort_by_key(|&i| (visit_day(&entries[i]), entries[i].seq));
                }
                _ => {}
            }
            let live_n = rows.iter().filter(|&&i| live(&entries[i])).count();
            parts.push(Part { form, rows, live: live_n });
        }
        HouseholdFile { record, entries, parts }
    }

    /// The look-back answer to `code` (section A included).
    fn answer(&self, code: &str) -> Option<Value> {
        use crate::form::Record;
        self.record.value(code).filter(|v| !v.is_blank())
    }

    /// The checks across the file (疑点, `forms/checks-1.toml`) that do not
    /// hold, as of `today` (ages at the round's reference moment).
    pub fn doubts(&self, round: &Round, today: Day) -> Vec<Doubt> {
        let view = FileView { file: self, moment: round.reference.date(), today };
        checks().iter().filter(|c| c.when.eval(&view)).map(|c| Doubt { id: c.id, message: c.message.to_string() }).collect()
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

/// One check across the file: a condition and what it means.
pub struct Check {
    pub id: &'static str,
    pub when: crate::form::expr::Expr,
    pub message: &'static str,
}

/// The shipped checks (`forms/checks-1.toml`), compiled in.
pub const CHECKS_TOML: &str = include_str!("../forms/checks-1.toml");

static CHECKS: std::sync::LazyLock<Vec<Check>> = std::sync::LazyLock::new(|| match load_checks(CHECKS_TOML, true) {
    Ok((c, _)) => c,
    // Part of the program, loaded by a test: this cannot pass review.
    Err(p) => panic!("forms/checks-1.toml: {}", p.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
});

/// The checks across a household's file, as shipped.
pub fn checks() -> &'static [Check] {
    &CHECKS
}

/// How a check's condition sees a field: the look-back form's by code
/// (A1–D10), a handbook form's as `members.M3`, and `members.` for the form itself.
fn check_lookup(code: &str) -> Option<crate::form::expr::FieldType<'static>> {
    match code.split_once('.') {
        Some((form, "")) => schema::handbook_form(form).map(|_| crate::form::expr::FieldType::List),
        Some((form, c)) => schema::handbook_form(form)?.field(c).map(crate::form::file::field_type),
        None => schema::shipped().field(code).map(crate::form::file::field_type),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecks {
    id: String,
    version: u32,
    title: String,
    checks: Vec<toml::Spanned<RawCheck>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    id: toml::Spanned<String>,
    when: toml::Spanned<String>,
    message: String,
}

/// Checks a checks file; every problem with its line, in Chinese.
pub fn check_checks(text: &str) -> Result<usize, Vec<crate::form::file::Problem>> {
    load_checks(text, false).map(|(_, n)| n)
}

/// Parses a checks file; the checks are built (their strings leaked, once
/// per process) only when `build`.
fn load_checks(text: &str, build: bool) -> Result<(Vec<Check>, usize), Vec<crate::form::file::Problem>> {
    use crate::form::file::Problem;
    let line = |offset: usize| text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1;
    let raw: RawChecks = toml::from_str(text).map_err(|e| {
        vec![Problem { line: e.span().map(|s| line(s.start)).unwrap_or(0), message: crate::form::file::translate(e.message()) }]
    })?;
    let _ = (&raw.id, raw.version, &raw.title);
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for c in &raw.checks {
        let c = c.get_ref();
        if !ids.insert(c.id.get_ref().clone()) {
            problems.push(Problem { line: line(c.id.span().start), message: format!("疑点id“{}”重复", c.id.get_ref()) });
        }
        if c.message.trim().is_empty() {
            problems.push(Problem { line: line(c.id.span().start), message: format!("疑点“{}”缺少message", c.id.get_ref()) });
        }
        match crate::form::expr::Expr::parse(c.when.get_ref(), &check_lookup) {
            Ok(e) if build => out.push(Check {
                id: Box::leak(c.id.get_ref().clone().into_boxed_str()),
                when: e,
                message: Box::leak(c.message.clone().into_boxed_str()),
            }),
            Ok(_) => {}
            Err(m) => problems.push(Problem {
                line: line(c.when.span().start),
                message: format!("疑点“{}”的条件“{}”有误：{m}", c.id.get_ref(), c.when.get_ref()),
            }),
        }
    }
    if problems.is_empty() {
        Ok((out, raw.checks.len()))
    } else {
        Err(problems)
    }
}

/// The household's file as the checks read it.
struct FileView<'a> {
    file: &'a HouseholdFile,
    moment: chrono::NaiveDate,
    today: Day,
}

impl crate::form::rules::RecordDyn for FileView<'_> {
    fn get(&self, code: &str) -> Option<Value> {
        self.file.answer(code)
    }
    fn entries(&self, form: &str) -> Vec<Box<dyn crate::form::rules::RecordDyn + '_>> {
        self.file
            .entries
            .iter()
            .filter(|e| e.form.id == form && live(e))
            .map(|entry| Box::new(EntryView { entry, file: self }) as Box<dyn crate::form::rules::RecordDyn>)
            .collect()
    }
    fn moment(&self) -> Option<chrono::NaiveDate> {
        Some(self.moment)
    }
    fn today(&self) -> Option<Day> {
        Some(self.today)
    }
}

/// One entry as a check's `count(…: condition)` reads it: its own fields,
/// and the household's for every other code.
struct EntryView<'a> {
    entry: &'a Entry,
    file: &'a FileView<'a>,
}

impl crate::form::rules::RecordDyn for EntryView<'_> {
    fn get(&self, code: &str) -> Option<Value> {
        match self.entry.definition().and_then(|d| d.field(code)) {
            Some(_) => self.entry.answers.get(code).cloned(),
            None => self.file.get(code),
        }
    }
    fn moment(&self) -> Option<chrono::NaiveDate> {
        Some(self.file.moment)
    }
    fn today(&self) -> Option<Day> {
        Some(self.file.today)
    }
}

/// A visit's date (the form's first date field).
pub fn visit_day(e: &Entry) -> Option<Day> {
    match e.first_answer(|k| matches!(k, Kind::Date)) {
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
                "dropout_but_b2_no",
                "uninsured_but_b1_no",
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

    /// The checks file as shipped loads; a broken copy is refused with the
    /// line and what is wrong, in Chinese.
    #[test]
    fn the_checks_are_data_and_a_broken_file_says_where() {
        assert_eq!(checks().len(), 11);
        assert_eq!(check_checks(CHECKS_TOML), Ok(11));
        let broken = CHECKS_TOML
            .replace("count(measures: S1 == 健康帮扶)", "count(measurez: S1 == 健康帮扶)")
            .replace("age(M3) <= 16", "age(M5) <= 16")
            .replace("months_ago(V1) < 3", "months_ago(V9) < 3");
        let problems = check_checks(&broken).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{text:?}");
        assert!(text[0].contains("measurez") && text[0].starts_with('第'), "{text:?}");
        assert!(text[1].contains("age(M5)") && text[1].contains("不是证件号码字段"), "{text:?}");
        assert!(text[2].contains("V9") && text[2].contains("不存在"), "{text:?}");
        let at = |needle: &str| broken[..broken.find(needle).unwrap()].matches('\n').count() + 1;
        assert_eq!(problems[0].line, at("因大病) and count(measurez"));
        // A file that is not TOML says so in Chinese, with its line.
        let broken = CHECKS_TOML.replacen("when = \"", "when = ", 1);
        let problems = check_checks(&broken).unwrap_err();
        assert!(problems[0].line > 0 && problems[0].message.starts_with("不是有效的TOML"), "{problems:?}");
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
