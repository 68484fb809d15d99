//! The handbook's figures for a quarter (按季调度), per village, township
//! and county, as `shouce.md` asks: households visited at least once, visits
//! by 方式, measures started by 措施类别 and 落实情况, households with open
//! 疑点, and households with no visit in the quarter.
//!
//! Computed from the households and their handbook entries as the store's
//! rows stream by (one household at a time), through the one store
//! interface, kept to the clerk's scope like every read.

use crate::backend::{Backend, RowFilter};
use crate::form::file::Form;
use crate::form::schema::{self, Kind};
use crate::form::value::{Day, YearMonth};
use crate::form::{Round, Value};
use crate::handbook::HouseholdFile;
use crate::report::Scope;
use crate::store::Result;
use serde::Serialize;
use std::collections::BTreeMap;

/// A quarter such as `2021Q2`: its label and its months `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarter {
    pub label: String,
    pub start: YearMonth,
    pub end: YearMonth,
}

impl Quarter {
    /// `2021Q2`, `2021q2`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Quarter> {
        let (start, end) = crate::handbook::quarter_months(text)?;
        Some(Quarter { label: start.quarter(), start, end })
    }

    pub fn contains(&self, m: YearMonth) -> bool {
        self.start <= m && m < self.end
    }

    /// The quarter's last day.
    fn last_day(&self) -> Day {
        let first_after = chrono::NaiveDate::from_ymd_opt(self.end.year as i32, self.end.month as u32, 1).unwrap_or_default();
        Day::from_naive(first_after - chrono::Duration::days(1)).unwrap_or_else(Day::today)
    }
}

/// One place's figures for the quarter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub households: usize,
    /// Households with at least one visit in the quarter.
    pub visited: usize,
    /// Households with no visit in the quarter.
    pub not_visited: usize,
    /// Visits in the quarter, by 方式 (the visit form's list, in order).
    pub visits: Vec<usize>,
    /// Measures started in the quarter, by 措施类别 and by 落实情况.
    pub measures_by_category: Vec<usize>,
    pub measures_by_progress: Vec<usize>,
    /// Households whose file has any 疑点 as of the quarter's end.
    pub with_doubts: usize,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.households += o.households;
        self.visited += o.visited;
        self.not_visited += o.not_visited;
        self.with_doubts += o.with_doubts;
        for (a, b) in [
            (&mut self.visits, &o.visits),
            (&mut self.measures_by_category, &o.measures_by_category),
            (&mut self.measures_by_progress, &o.measures_by_progress),
        ] {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// A row of the figures: a village, a township's subtotal (`village: None`)
/// or the total (`township: None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub township: Option<String>,
    pub village: Option<String>,
    pub figures: Figures,
}

/// The figures of a quarter, with the labels of their columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarterReport {
    pub quarter: Quarter,
    pub channels: Vec<String>,
    pub categories: Vec<String>,
    pub progress: Vec<String>,
    pub rows: Vec<Row>,
}

fn labels(form: Option<&Form>, list: &str) -> Vec<String> {
    form.and_then(|f| f.list(list)).map(|l| l.labels.iter().map(|s| s.to_string()).collect()).unwrap_or_default()
}

/// One household's share of the quarter's figures.
fn household(file: &HouseholdFile, q: &Quarter, round: &Round, sizes: (usize, usize, usize)) -> Figures {
    let mut f = Figures {
        households: 1,
        visits: vec![0; sizes.0],
        measures_by_category: vec![0; sizes.1],
        measures_by_progress: vec![0; sizes.2],
        ..Figures::default()
    };
    let mut visited = false;
    for e in file.entries.iter().filter(|e| e.voided.is_none()) {
        match e.form.id.as_str() {
            "visits" => {
                if let Some(d) = crate::handbook::visit_day(e) {
                    if q.contains(d.month()) {
                        visited = true;
                        if let Some(c) = e.choice_in("channel").map(usize::from).filter(|c| *c < f.visits.len()) {
                            f.visits[c] += 1;
                        }
                    }
                }
            }
            "measures" => {
                if let Some(Value::Month(m)) = e.first_answer(|k| matches!(k, Kind::Month)) {
                    if q.contains(*m) {
                        if let Some(c) = e.choice_in("measure").map(usize::from).filter(|c| *c < f.measures_by_category.len()) {
                            f.measures_by_category[c] += 1;
                        }
                        if let Some(p) = e.choice_in("progress").map(usize::from).filter(|p| *p < f.measures_by_progress.len()) {
                            f.measures_by_progress[p] += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if visited {
        f.visited = 1;
    } else {
        f.not_visited = 1;
    }
    let as_of = q.last_day().min(Day::today());
    if !file.doubts(round, as_of).is_empty() {
        f.with_doubts = 1;
    }
    f
}

/// The figures of quarter `q` for the households of `scope` (clamped to the clerk's).
pub fn compute(b: &dyn Backend, scope: &Scope, q: &Quarter) -> Result<QuarterReport> {
    let round = b.round();
    let visits = schema::handbook_form("visits");
    let measures = schema::handbook_form("measures");
    let channels = labels(visits, "channel");
    let categories = labels(measures, "measure");
    let progress = labels(measures, "progress");
    let sizes = (channels.len(), categories.len(), progress.len());
    let mut villages: BTreeMap<(String, String), Figures> = BTreeMap::new();
    let filter = RowFilter { township: scope.township.clone(), village: scope.village.clone(), entries: true };
    for row in b.rows(&filter) {
        let row = row?;
        let place = row.record.household.place.clone();
        let file = HouseholdFile::new(row.record, row.entries);
        villages.entry((place.township, place.village)).or_default().add(&household(&file, q, &round, sizes));
    }
    let mut rows = Vec::new();
    let mut total = Figures::default();
    let mut township: Option<(String, Figures)> = None;
    for ((t, v), f) in villages {
        if township.as_ref().is_some_and(|(name, _)| *name != t) {
            if let Some((name, sub)) = township.take() {
                rows.push(Row { township: Some(name), village: None, figures: sub });
            }
        }
        let (_, sub) = township.get_or_insert_with(|| (t.clone(), Figures::default()));
        sub.add(&f);
        total.add(&f);
        rows.push(Row { township: Some(t), village: Some(v), figures: f });
    }
    if let Some((name, sub)) = township {
        rows.push(Row { township: Some(name), village: None, figures: sub });
    }
    rows.push(Row { township: None, village: None, figures: total });
    Ok(QuarterReport { quarter: q.clone(), channels, categories, progress, rows })
}

/// A household with open 疑点, as a reviewer lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Doubtful {
    pub township: String,
    pub village: String,
    pub head: String,
    /// Masked: the list goes to reviewers' screens and files.
    pub id_number: String,
    pub doubts: Vec<String>,
}

/// The households of `scope` (clamped to the clerk's) whose file has any
/// 疑点 as of `as_of`, by place.
pub fn doubtful(b: &dyn Backend, scope: &Scope, as_of: Day) -> Result<Vec<Doubtful>> {
    let round = b.round();
    let filter = RowFilter { township: scope.township.clone(), village: scope.village.clone(), entries: true };
    let mut out = Vec::new();
    for row in b.rows(&filter) {
        let row = row?;
        let file = HouseholdFile::new(row.record, row.entries);
        let doubts = file.doubts(&round, as_of);
        if !doubts.is_empty() {
            let h = &file.record.household;
            out.push(Doubtful {
                township: h.place.township.clone(),
                village: h.place.village.clone(),
                head: h.a.head.clone(),
                id_number: crate::form::idnum::mask(&h.a.id_number),
                doubts: doubts.into_iter().map(|d| d.message).collect(),
            });
        }
    }
    out.sort_by(|a, b| (&a.township, &a.village, &a.head).cmp(&(&b.township, &b.village, &b.head)));
    Ok(out)
}

impl QuarterReport {
    /// The CSV header: the place, then every figure.
    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = ["乡镇", "村", "户数", "本季走访过的户数", "本季未走访的户数"].map(String::from).to_vec();
        h.extend(self.channels.iter().map(|c| format!("走访次数·{c}")));
        h.extend(self.categories.iter().map(|c| format!("新开始的措施·{c}")));
        h.extend(self.progress.iter().map(|p| format!("新开始的措施·{p}")));
        h.push("有疑点的户数".into());
        h
    }

    /// A row's cells (`（乡镇合计）`, `合计` for subtotals).
    pub fn cells(&self, row: &Row) -> Vec<String> {
        let f = &row.figures;
        let mut out = vec![
            row.township.clone().unwrap_or_else(|| "合计".into()),
            match (&row.township, &row.village) {
                (None, _) => String::new(),
                (Some(_), None) => "（乡镇合计）".into(),
                (Some(_), Some(v)) => v.clone(),
            },
            f.households.to_string(),
            f.visited.to_string(),
            f.not_visited.to_string(),
        ];
        let pad = |v: &Vec<usize>, n: usize| (0..n).map(|i| v.get(i).copied().unwrap_or(0).to_string()).collect::<Vec<_>>();
        out.extend(pad(&f.visits, self.channels.len()));
        out.extend(pad(&f.measures_by_category, self.categories.len()));
        out.extend(pad(&f.measures_by_progress, self.progress.len()));
        out.push(f.with_doubts.to_string());
        out
    }

    /// Plain text, two lines a place, within 80 columns where the names allow.
    pub fn text(&self) -> String {
        let i = self.quarter.end.index() - 1;
        let last = YearMonth { year: (i / 12) as u16, month: (i % 12 + 1) as u8 };
        let mut out = format!("按季调度 {}（{}至{}）\n", self.quarter.label, self.quarter.start, last);
        for row in &self.rows {
            let f = &row.figures;
            let place = match (&row.township, &row.village) {
                (None, _) => "合计".to_string(),
                (Some(t), None) => format!("{t}（乡镇合计）"),
                (Some(t), Some(v)) => format!("{t} {v}"),
            };
            let ways: Vec<String> = self.channels.iter().zip(&f.visits).filter(|(_, n)| **n > 0).map(|(c, n)| format!("{c}{n}")).collect();
            let total_visits: usize = f.visits.iter().sum();
            out.push_str(&format!(
                "{place}：{}户，本季走访过{}户、未走访{}户，有疑点{}户\n",
                f.households, f.visited, f.not_visited, f.with_doubts
            ));
            let started: usize = f.measures_by_category.iter().sum();
            let cats: Vec<String> =
                self.categories.iter().zip(&f.measures_by_category).filter(|(_, n)| **n > 0).map(|(c, n)| format!("{c}{n}")).collect();
            let prog: Vec<String> =
                self.progress.iter().zip(&f.measures_by_progress).filter(|(_, n)| **n > 0).map(|(c, n)| format!("{c}{n}")).collect();
            out.push_str(&format!(
                "  走访{total_visits}次{}；新开始措施{started}项{}{}\n",
                if ways.is_empty() { String::new() } else { format!("（{}）", ways.join("、")) },
                if cats.is_empty() { String::new() } else { format!("（{}）", cats.join("、")) },
                if prog.is_empty() { String::new() } else { format!("，其中{}", prog.join("、")) },
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::schema::handbook_form;
    use crate::model::{Answers, Place, SectionA};
    use crate::store::Store;

    fn a(id: &str, head: &str) -> SectionA {
        SectionA {
            address: "石盘乡石盘村1组".into(),
            head: head.into(),
            id_number: id.into(),
            size: 1,
            category: 1,
            enrol_risk: 7,
            enrolled: YearMonth::new(2020, 5).unwrap(),
            eliminated: None,
        }
    }

    fn visit(day: (u16, u8, u8), channel: u16) -> Answers {
        let mut v = Answers::new();
        v.insert("V1".into(), Value::Date(Day::new(day.0, day.1, day.2).unwrap()));
        v.insert("V2".into(), Value::List(vec!["王五".into()]));
        v.insert("V3".into(), Value::Choice(channel));
        v.insert("V4".into(), Value::Text("入户了解家庭收支情况，一切正常".into()));
        v
    }

    fn measure(start: (u16, u8), category: u16, progress: u16) -> Answers {
        let mut m = Answers::new();
        m.insert("S1".into(), Value::Choice(category));
        m.insert("S3".into(), Value::Month(YearMonth::new(start.0, start.1).unwrap()));
        m.insert("S8".into(), Value::Choice(progress));
        m
    }

    #[test]
    fn a_quarter_counts_visits_measures_and_households_by_village() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::open(&dir.path().join("db")).unwrap());
        let p = |v: &str| Place { township: "石盘乡".into(), village: v.into() };
        let id2 = crate::form::idnum::complete("50024319800101123").unwrap();
        let id3 = crate::form::idnum::complete("50024319810101123").unwrap();
        store
            .upsert_households(
                &[(p("石盘村"), a("11010519491231002X", "张三")), (p("石盘村"), a(&id2, "李四")), (p("龙门村"), a(&id3, "王二"))],
                "t",
            )
            .unwrap();
        let keys: Vec<u64> = store.summaries().unwrap().iter().map(|s| s.key).collect();
        let (visits, measures) = (handbook_form("visits").unwrap().reference(), handbook_form("measures").unwrap().reference());
        // Household 1: two visits in Q2 (入户, 电话), one in Q1; a measure started in Q2.
        store.add_entry(keys[0], &visits, &visit((2021, 4, 2), 0), "t").unwrap();
        store.add_entry(keys[0], &visits, &visit((2021, 5, 9), 1), "t").unwrap();
        store.add_entry(keys[0], &visits, &visit((2021, 3, 9), 0), "t").unwrap();
        store.add_entry(keys[0], &measures, &measure((2021, 4), 6, 2), "t").unwrap();
        // Household 2: a voided Q2 visit only (not visited), a Q1 measure (not counted).
        let e = store.add_entry(keys[1], &visits, &visit((2021, 4, 3), 0), "t").unwrap();
        store.void_entry(keys[1], "visits", e.seq, "录错", "t").unwrap();
        store.add_entry(keys[1], &measures, &measure((2021, 2), 0, 0), "t").unwrap();
        let b = crate::backend::Local::shared(std::sync::Arc::clone(&store), "t");
        let q = Quarter::parse("2021q2").unwrap();
        assert_eq!((q.label.as_str(), q.start.to_string(), q.end.to_string()), ("2021Q2", "2021-04".into(), "2021-07".into()));
        let r = compute(&b, &Scope::default(), &q).unwrap();
        let places: Vec<(Option<&str>, Option<&str>)> = r.rows.iter().map(|r| (r.township.as_deref(), r.village.as_deref())).collect();
        assert_eq!(places, [(Some("石盘乡"), Some("石盘村")), (Some("石盘乡"), Some("龙门村")), (Some("石盘乡"), None), (None, None)]);
        let f = &r.rows[0].figures;
        assert_eq!((f.households, f.visited, f.not_visited), (2, 1, 1));
        assert_eq!(f.visits, [1, 1, 0, 0]);
        assert_eq!(f.measures_by_category.iter().sum::<usize>(), 1);
        assert_eq!(f.measures_by_category[6], 1, "健康帮扶");
        assert_eq!(f.measures_by_progress, [0, 0, 1]);
        let total = &r.rows[3].figures;
        assert_eq!((total.households, total.visited, total.not_visited), (3, 1, 2));
        assert_eq!(r.header().len(), r.cells(&r.rows[0]).len());
        assert_eq!(r.cells(&r.rows[2])[1], "（乡镇合计）");
        assert!(r.text().starts_with("按季调度 2021Q2（2021-04至2021-06）"), "{}", r.text());
        // Scope: one village only.
        let r = compute(&b, &Scope { township: Some("石盘乡".into()), village: Some("龙门村".into()) }, &q).unwrap();
        assert_eq!(r.rows.last().unwrap().figures.households, 1);
    }
}
