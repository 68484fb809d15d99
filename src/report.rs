//! Progress and work-summary figures, by township and village.
//!
//! [`compute`] streams every household of the scope out of the store once
//! (nothing is collected, so a million records take the memory of one) and
//! tallies:
//! - progress (填报进度) per village, township and in total: households,
//!   已核实, 未填 / 草稿 / 已提交, the share submitted, households with
//!   errors — the same [`Counts`] the app's lists show, from the same
//!   summaries;
//! - the work-summary figures per township and in total: 对象类别, risk
//!   eliminated or not, and the single-choice answers of [`CHOICE_FIELDS`]
//!   (counted from the option lists, only where the answer's branch is
//!   taken), households with each warning, and planned elimination months
//!   ([`PLAN_FIELD`]) by quarter.
//!
//! Warnings and errors are those of forms that are not 未填, as the lists
//! count them. The report prints as text (80 columns), CSV (UTF-8 with BOM)
//! or JSON ([`Report::to_json`] documents the shape); the statistics screen
//! draws the same [`Block`]s.

use crate::access::Access;
use crate::form::options::OptionList;
use crate::form::rules::{self, Finding, Severity, CROSS_RULES};
use crate::form::schema::{self, Branch, Field, Kind, MonthRule, FIELDS};
use crate::form::{Round, Value};
use crate::model::{Counts, FormState, LookBack, Place, Summary};
use crate::store::{Result, Row, Store};
use crate::ui::text::{fit, pad, pad_left, width};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::io::Write;

/// Which households a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub township: Option<String>,
    pub village: Option<String>,
}

impl Scope {
    /// Whether a household at `place` is in scope.
    pub fn contains(&self, place: &Place) -> bool {
        self.township.as_ref().is_none_or(|t| &place.township == t) && self.village.as_ref().is_none_or(|v| &place.village == v)
    }

    /// `全部乡镇`, `汉葭街道` or `汉葭街道 石坪村`.
    pub fn label(&self) -> String {
        match (&self.township, &self.village) {
            (None, None) => "全部乡镇".to_string(),
            (Some(t), None) => t.clone(),
            (None, Some(v)) => v.clone(),
            (Some(t), Some(v)) => format!("{t} {v}"),
        }
    }
}

/// The single-choice answers the work summary counts, in the order it lists
/// them: 对象类别, current main risk, planned main measure, the measure that
/// eliminated the risk, income bracket, main income source.
pub const CHOICE_FIELDS: [&str; 6] = ["A5", "D5", "D8", "D3", "C2", "C3"];

/// The fields of [`CHOICE_FIELDS`] the form has, with their option lists:
/// one tally each, in [`Figures::choices`] and [`Share::choices`] alike.
fn choice_fields() -> impl Iterator<Item = &'static Field> {
    CHOICE_FIELDS.iter().filter_map(|c| schema::field(c)).filter(|f| f.options().is_some())
}

/// The planned month of risk elimination, counted by quarter.
pub const PLAN_FIELD: &str = "D10";

/// Labels wider than this many columns show their short form.
const LABEL_COLS: usize = 18;

/// Counts of one single-choice field's answers, indexed like its option list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    #[serde(with = "static_str")]
    pub field: Code,
    pub counts: Vec<usize>,
    /// Households for which the field is asked but has no (valid) answer.
    pub unanswered: usize,
}

impl Tally {
    fn new(field: &'static Field) -> Option<Tally> {
        let options = field.options()?;
        Some(Tally { field: field.code, counts: vec![0; options.len()], unanswered: 0 })
    }

    pub fn field(&self) -> Option<&'static Field> {
        schema::field(self.field)
    }

    /// What one household gives the tally of `field` (see [`Share::choices`]).
    fn answer_of(field: &'static Field, lb: &LookBack) -> Option<Option<u16>> {
        if !rules::is_active(field, &lb.view()) {
            return None;
        }
        let options = field.options().map_or(0, OptionList::len);
        Some(match lb.active_value(field.code) {
            Some(Value::Choice(i)) if (i as usize) < options => Some(i),
            _ => None,
        })
    }

    /// Counts one household's answer in (`add`) or out; false when taking
    /// out finds nothing to take (the totals do not hold what was added).
    fn count(&mut self, answer: Option<Option<u16>>, add: bool) -> bool {
        let slot = match answer {
            None => return true,
            Some(Some(i)) => match self.counts.get_mut(i as usize) {
                Some(n) => n,
                None => return false,
            },
            Some(None) => &mut self.unanswered,
        };
        step(slot, add)
    }

    fn merge(&mut self, other: &Tally) {
        for (n, m) in self.counts.iter_mut().zip(&other.counts) {
            *n += m;
        }
        self.unanswered += other.unanswered;
    }

    /// Households that answered.
    pub fn answered(&self) -> usize {
        self.counts.iter().sum()
    }
}

/// One kind of warning: the rule id and the field it is shown at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WarningKind {
    #[serde(with = "static_str")]
    pub field: Code,
    #[serde(with = "static_str")]
    pub rule: Code,
}

/// A field code or rule id of this program's form (an alias, so serde does
/// not take the field for a string borrowed from its input).
pub type Code = &'static str;

/// Field codes and rule ids cross the store server's socket as strings and
/// come back as the program's own `&'static str` (the codes the form and its
/// rules know); an unknown one is a decoding error, not a leak.
mod static_str {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let s = String::deserialize(d)?;
        super::known_str(&s).ok_or_else(|| serde::de::Error::custom(format!("未知的字段或规则：{s}")))
    }
}

/// The program's own copy of a field code or rule id: of the shipped form,
/// else of another form this process knows (an older round's, kept by the
/// store; the client learns them before it asks for a report).
fn known_str(s: &str) -> Option<&'static str> {
    if let Some(f) = schema::field(s) {
        return Some(f.code);
    }
    WarningKind::all().into_iter().find_map(|k| (k.rule == s).then_some(k.rule)).or_else(|| crate::form::registry::known_code(s))
}

/// What a per-field warning says after the field's label, by rule id.
const FIELD_WARNING_LABELS: &[(&str, &str)] =
    &[("large", "偏多"), ("placeholder", "含占位符"), ("phone_repeat", "有重复"), ("far_plan", "过远")];

fn lookup(table: &[(&str, &'static str)], id: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == id).map(|(_, v)| *v)
}

impl WarningKind {
    /// The cross-field rule of this kind, if it is one.
    pub fn cross_rule(&self) -> Option<&'static rules::CrossRule> {
        CROSS_RULES.iter().find(|r| r.id == self.rule && r.field == self.field)
    }

    /// A short Chinese label, e.g. `“新四类人员”家庭` or `家庭人口数偏多`.
    pub fn label(&self) -> String {
        if let Some(rule) = self.cross_rule() {
            return if rule.short.is_empty() { fit(&rule.message_for(&crate::form::Round::default()), 30) } else { rule.short.to_string() };
        }
        let field = schema::field(self.field).map(|f| f.label).unwrap_or(self.field);
        match lookup(FIELD_WARNING_LABELS, self.rule) {
            Some(what) => format!("{field}{what}"),
            None => format!("{field}（{}）", self.rule),
        }
    }

    /// Every warning the rules can give: the cross-field rules in their
    /// table's order, then the fields' own warnings in the form's order.
    /// The per-field rule ids are those `rules::validate` uses.
    pub fn all() -> Vec<WarningKind> {
        let mut out: Vec<WarningKind> = CROSS_RULES.iter().map(|r| WarningKind { field: r.field, rule: r.id }).collect();
        for f in FIELDS {
            let own = match f.kind {
                Kind::Integer { warn_above: Some(_), .. } => Some("large"),
                Kind::LongText { .. } => Some("placeholder"),
                Kind::Phones { .. } => Some("phone_repeat"),
                _ => None,
            };
            out.extend(own.map(|rule| WarningKind { field: f.code, rule }));
            if f.month_rules.contains(&MonthRule::WarnFarAfterReference) {
                out.push(WarningKind { field: f.code, rule: "far_plan" });
            }
        }
        out
    }
}

/// The work-summary figures of a set of households.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Households whose risk is eliminated (A8 set) and not.
    pub eliminated: usize,
    pub not_eliminated: usize,
    /// One tally per code of [`CHOICE_FIELDS`], in that order.
    pub choices: Vec<Tally>,
    /// Forms checked for warnings: those not 未填.
    pub filled: usize,
    /// Households with each kind of warning, [`WarningKind::all`] first.
    pub warnings: Vec<(WarningKind, usize)>,
    /// Planned elimination months by (year, quarter 1–4).
    pub planned: BTreeMap<(u16, u8), usize>,
    /// Households whose risk is not eliminated and that have no planned month.
    pub planned_unanswered: usize,
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            eliminated: 0,
            not_eliminated: 0,
            choices: choice_fields().filter_map(Tally::new).collect(),
            filled: 0,
            warnings: WarningKind::all().into_iter().map(|k| (k, 0)).collect(),
            planned: BTreeMap::new(),
            planned_unanswered: 0,
        }
    }
}

impl Figures {
    /// The tally of one of [`CHOICE_FIELDS`].
    pub fn choice(&self, code: &str) -> Option<&Tally> {
        self.choices.iter().find(|t| t.field == code)
    }

    /// Households with this warning.
    pub fn warning(&self, field: &str, rule: &str) -> usize {
        self.warnings.iter().find(|(k, _)| k.field == field && k.rule == rule).map_or(0, |(_, n)| *n)
    }

    /// Counts one household's share in (`add`) or out; false when taking
    /// out finds a count already at zero.
    fn count(&mut self, share: &Share, add: bool) -> bool {
        let mut whole = step(if share.eliminated { &mut self.eliminated } else { &mut self.not_eliminated }, add);
        if share.choices.len() != self.choices.len() {
            return false;
        }
        for (t, answer) in self.choices.iter_mut().zip(&share.choices) {
            whole &= t.count(*answer, add);
        }
        if let Some(kinds) = &share.warnings {
            whole &= step(&mut self.filled, add);
            for kind in kinds {
                match self.warnings.iter_mut().find(|(k, _)| k == kind) {
                    Some((_, n)) => whole &= step(n, add),
                    None if add => self.warnings.push((*kind, 1)),
                    None => whole = false,
                }
            }
        }
        match share.planned {
            None => {}
            Some(None) => whole &= step(&mut self.planned_unanswered, add),
            Some(Some(q)) => {
                let n = self.planned.entry(q).or_default();
                whole &= step(n, add);
                if *n == 0 {
                    self.planned.remove(&q);
                }
            }
        }
        whole
    }

    /// Adds another set's figures (a village's to its township's).
    fn merge(&mut self, other: &Figures) {
        self.eliminated += other.eliminated;
        self.not_eliminated += other.not_eliminated;
        for t in &mut self.choices {
            if let Some(o) = other.choices.iter().find(|o| o.field == t.field) {
                t.merge(o);
            }
        }
        self.filled += other.filled;
        for (kind, n) in &other.warnings {
            match self.warnings.iter_mut().find(|(k, _)| k == kind) {
                Some((_, m)) => *m += n,
                None => self.warnings.push((*kind, *n)),
            }
        }
        for (q, n) in &other.planned {
            *self.planned.entry(*q).or_default() += n;
        }
        self.planned_unanswered += other.planned_unanswered;
    }
}

/// Counts one household's share in (`add`) or out of progress counts.
fn count_progress(c: &mut Counts, share: &Share, add: bool) -> bool {
    let mut whole = step(&mut c.households, add);
    whole &= step(
        match share.state {
            FormState::Empty => &mut c.empty,
            FormState::Draft => &mut c.draft,
            FormState::Submitted => &mut c.submitted,
        },
        add,
    );
    if share.verified {
        whole &= step(&mut c.verified, add);
    }
    if share.with_errors {
        whole &= step(&mut c.with_errors, add);
    }
    whole
}

/// One more (`add`) or one fewer; false when there is none to take.
fn step(n: &mut usize, add: bool) -> bool {
    if add {
        *n += 1;
        true
    } else if *n > 0 {
        *n -= 1;
        true
    } else {
        false
    }
}

/// What one household adds to the totals of its village: everything a
/// report counts of it, small enough to keep beside each household, so
/// that the store can keep every village's [`Totals`] in the same commit
/// as its records (a save takes the household's old share out and puts
/// the new one in) and a report reads one entry per village instead of
/// every household. [`Report::add`] counts through it too, so a report
/// from the kept totals and one from a scan agree by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub state: FormState,
    pub verified: bool,
    pub with_errors: bool,
    pub eliminated: bool,
    /// Per tally of [`Figures::choices`], in order: `None` where the field
    /// is not asked, `Some(None)` asked and not (validly) answered.
    pub choices: Vec<Option<Option<u16>>>,
    /// The form's distinct warnings; `None` for a 未填 form.
    pub warnings: Option<Vec<WarningKind>>,
    /// The planned elimination quarter: `None` where it is not asked.
    pub planned: Option<Option<(u16, u8)>>,
}

impl Share {
    /// The share of a household whose list summary is `summary`;
    /// `findings` are its form's (`None` for a 未填 form).
    pub fn of(lb: &LookBack, summary: &Summary, findings: Option<&[Finding]>) -> Share {
        let view = lb.view();
        let planned = schema::field(PLAN_FIELD).filter(|f| rules::is_active(f, &view)).map(|_| match lb.active_value(PLAN_FIELD) {
            Some(Value::Month(m)) => Some((m.year, (m.month - 1) / 3 + 1)),
            _ => None,
        });
        Share {
            state: summary.state,
            verified: summary.verified,
            with_errors: summary.errors > 0,
            eliminated: rules::risk_eliminated(&view),
            choices: choice_fields().map(|f| Tally::answer_of(f, lb)).collect(),
            warnings: findings.map(warning_kinds),
            planned,
        }
    }
}

/// Progress and figures of one set of households.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub progress: Counts,
    pub figures: Figures,
}

impl Totals {
    /// Counts one household's share in (`add`) or out. False when taking
    /// it out finds a count already at zero: these totals did not hold
    /// that share, and are not to be trusted any more.
    pub fn count(&mut self, share: &Share, add: bool) -> bool {
        count_progress(&mut self.progress, share, add) & self.figures.count(share, add)
    }

    /// Adds another set's totals.
    pub fn merge(&mut self, other: &Totals) {
        self.progress.merge(&other.progress);
        self.figures.merge(&other.figures);
    }
}

/// A township: its totals and the progress of each village, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Township {
    pub totals: Totals,
    pub villages: BTreeMap<String, Counts>,
}

/// The figures of one report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Households covered (the same as `total.progress.households`).
    pub households: usize,
    pub scope: Scope,
    /// The round's name and reference moment, for headings.
    pub round: String,
    pub reference: String,
    pub total: Totals,
    /// Townships by name.
    pub townships: BTreeMap<String, Township>,
}

/// Computes the report for `scope`: from the totals the store keeps per
/// village when it has them (one read per village), else by reading each
/// household once ([`compute_by_scan`]).
pub fn compute(store: &Store, scope: &Scope) -> Result<Report> {
    compute_for(store, scope, &Access::full(""))
}

/// The report for `scope` as a clerk with `access` sees it: only the
/// households of their places (each once, however their places overlap).
pub fn compute_for(store: &Store, scope: &Scope, access: &Access) -> Result<Report> {
    let Some(villages) = store.village_totals(scope.township.as_deref())? else {
        return compute_by_scan_for(store, scope, access);
    };
    let mut report = Report::new(scope.clone(), store.round());
    for (place, totals) in &villages {
        if scope.contains(place) && access.sees(place) {
            report.add_village(&place.township, &place.village, totals);
        }
    }
    Ok(report)
}

/// The report for `scope` from every household's record, read once each.
pub fn compute_by_scan(store: &Store, scope: &Scope) -> Result<Report> {
    compute_by_scan_for(store, scope, &Access::full(""))
}

/// [`compute_by_scan`] as a clerk with `access` sees it.
pub fn compute_by_scan_for(store: &Store, scope: &Scope, access: &Access) -> Result<Report> {
    let round = store.round();
    let mut report = Report::new(scope.clone(), round);
    if access.is_everywhere() {
        match &scope.township {
            Some(t) => {
                for row in store.rows_in(t, scope.village.as_deref()) {
                    report.add(&row?, round);
                }
            }
            None => {
                for row in store.rows() {
                    let row = row?;
                    if scope.contains(&row.record.household.place) {
                        report.add(&row, round);
                    }
                }
            }
        }
        return Ok(report);
    }
    let mut seen = std::collections::HashSet::new();
    for s in &access.scopes {
        if scope.township.as_ref().is_some_and(|t| t != &s.township) {
            continue;
        }
        if let (Some(a), Some(b)) = (&s.village, &scope.village) {
            if a != b {
                continue;
            }
        }
        let village = s.village.as_deref().or(scope.village.as_deref());
        for row in store.rows_in(&s.township, village) {
            let row = row?;
            if seen.insert(row.key) {
                report.add(&row, round);
            }
        }
    }
    Ok(report)
}

/// The distinct warnings of a form's findings.
fn warning_kinds(findings: &[Finding]) -> Vec<WarningKind> {
    let mut kinds: Vec<WarningKind> =
        findings.iter().filter(|f| f.severity == Severity::Warning).map(|f| WarningKind { field: f.code, rule: f.rule }).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

impl Report {
    /// An empty report for `scope`; [`Report::add`] each household.
    pub fn new(scope: Scope, round: &Round) -> Report {
        Report { scope, round: round.name.clone(), reference: round.reference_label(), ..Report::default() }
    }

    /// Adds one household.
    pub fn add(&mut self, row: &Row, round: &Round) {
        let lb = &row.record;
        let findings = (lb.form.state != FormState::Empty).then(|| lb.findings(round));
        let share = Share::of(lb, &row.summary, findings.as_deref());
        let place = &lb.household.place;
        self.households += 1;
        self.total.count(&share, true);
        if !self.townships.contains_key(&place.township) {
            self.townships.insert(place.township.clone(), Township::default());
        }
        if let Some(t) = self.townships.get_mut(&place.township) {
            t.totals.count(&share, true);
            if !t.villages.contains_key(&place.village) {
                t.villages.insert(place.village.clone(), Counts::default());
            }
            if let Some(c) = t.villages.get_mut(&place.village) {
                count_progress(c, &share, true);
            }
        }
    }

    /// Adds the totals of (some of) a village's households.
    pub fn add_village(&mut self, township: &str, village: &str, totals: &Totals) {
        if totals.progress.households == 0 {
            return;
        }
        self.households += totals.progress.households;
        self.total.merge(totals);
        if !self.townships.contains_key(township) {
            self.townships.insert(township.to_string(), Township::default());
        }
        if let Some(t) = self.townships.get_mut(township) {
            t.totals.merge(totals);
            match t.villages.get_mut(village) {
                Some(c) => c.merge(&totals.progress),
                None => {
                    t.villages.insert(village.to_string(), totals.progress);
                }
            }
        }
    }
}

// ----- blocks: what text, CSV and the screen show -----

/// One labelled count of a [`Block`].
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The full label (CSV).
    pub label: String,
    /// The label for narrow columns (text, screen).
    pub short: String,
    pub count: usize,
    /// Share of the block's base, when it has one.
    pub share: Option<f64>,
}

/// A heading and its labelled counts: one figure of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub heading: String,
    pub items: Vec<Item>,
}

fn share(n: usize, of: usize) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

/// `35.2%`.
pub fn percent(share: Option<f64>) -> String {
    share.map(|s| format!("{:.1}%", s * 100.0)).unwrap_or_default()
}

fn option_label(options: &OptionList, i: usize) -> (String, String) {
    let full = options.label(i as u16).unwrap_or("?");
    let short = if width(full) > LABEL_COLS { options.short_label(i as u16).unwrap_or(full) } else { full };
    (full.to_string(), short.to_string())
}

fn item(label: impl Into<String>, count: usize, share: Option<f64>) -> Item {
    let label = label.into();
    Item { short: label.clone(), label, count, share }
}

/// The count of one form state.
pub fn state_count(c: &Counts, state: FormState) -> usize {
    match state {
        FormState::Empty => c.empty,
        FormState::Draft => c.draft,
        FormState::Submitted => c.submitted,
    }
}

/// The progress figures as a block.
pub fn progress_block(c: &Counts) -> Block {
    let of = |n| share(n, c.households);
    let mut items = vec![item("户数", c.households, None), item("已核实", c.verified, of(c.verified))];
    items.extend(FormState::ALL.iter().map(|s| item(s.label(), state_count(c, *s), of(state_count(c, *s)))));
    items.push(item("有错误", c.with_errors, of(c.with_errors)));
    Block { heading: "填报进度".to_string(), items }
}

/// `2021年第2季度`.
pub fn quarter_label((year, q): (u16, u8)) -> String {
    format!("{year}年第{q}季度")
}

/// `2021Q2` (JSON, CSV keys).
pub fn quarter_key((year, q): (u16, u8)) -> String {
    format!("{year}Q{q}")
}

/// The item of answers not given.
pub const UNANSWERED: &str = "（未答）";

impl Figures {
    /// The figures as blocks, in the work summary's order.
    pub fn blocks(&self) -> Vec<Block> {
        let mut out = Vec::new();
        let tally_block = |t: &Tally| -> Option<Block> {
            let field = t.field()?;
            let options = field.options()?;
            let answered = t.answered();
            let mut items: Vec<Item> = t
                .counts
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let (label, short) = option_label(options, i);
                    Item { label, short, count: *n, share: share(*n, answered) }
                })
                .collect();
            if t.unanswered > 0 {
                items.push(item(UNANSWERED, t.unanswered, None));
            }
            Some(Block { heading: field.heading(), items })
        };
        let mut choices = self.choices.iter().filter_map(tally_block);
        // 对象类别 first, then whether the risk is eliminated.
        out.extend(choices.next());
        let households = self.eliminated + self.not_eliminated;
        let a8 = schema::field(schema::branch_field()).map(|f| f.code).unwrap_or("A8");
        out.push(Block {
            heading: format!("{a8} 风险消除情况"),
            items: vec![
                item(Branch::Eliminated.label(), self.eliminated, share(self.eliminated, households)),
                item(Branch::NotEliminated.label(), self.not_eliminated, share(self.not_eliminated, households)),
            ],
        });
        out.extend(choices);
        let planned: usize = self.planned.values().sum();
        let mut items: Vec<Item> = self.planned.iter().map(|(q, n)| item(quarter_label(*q), *n, share(*n, planned))).collect();
        if self.planned_unanswered > 0 {
            items.push(item(UNANSWERED, self.planned_unanswered, None));
        }
        let heading = schema::field(PLAN_FIELD).map(|f| f.heading()).unwrap_or_default();
        out.push(Block { heading: format!("{heading}（按季度）"), items });
        out.push(Block {
            heading: format!("提示（已填表{}户中）", self.filled),
            items: self.warnings.iter().map(|(k, n)| item(format!("{} {}", k.field, k.label()), *n, share(*n, self.filled))).collect(),
        });
        out
    }
}

// ----- text -----

/// Columns of the text report.
pub const TEXT_COLS: usize = 80;
const NAME_COLS: usize = 22;
const NUM_COLS: usize = 8;
/// Width of one of two side-by-side figure columns.
const HALF_COLS: usize = 38;

/// One block's lines at `cols` columns: the heading, then `  label  count  share`.
fn block_lines(b: &Block, cols: usize) -> Vec<String> {
    let label_cols = cols - 2 - 2 * NUM_COLS - 1;
    let mut out = vec![fit(&b.heading, cols)];
    for it in &b.items {
        out.push(format!(
            "  {}{}{}",
            pad(&fit(&it.short, label_cols), label_cols),
            pad_left(&it.count.to_string(), NUM_COLS),
            pad_left(&percent(it.share), NUM_COLS + 1)
        ));
    }
    out
}

/// Whether a block reads well in half the width.
fn is_narrow(b: &Block) -> bool {
    let label_cols = HALF_COLS - 2 - 2 * NUM_COLS - 1;
    width(&b.heading) <= HALF_COLS && b.items.iter().all(|i| width(&i.short) <= label_cols)
}

/// Blocks two side by side where they fit, else one to a line.
fn figure_lines(blocks: &[Block]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let pair = blocks.get(i + 1).filter(|b| is_narrow(&blocks[i]) && is_narrow(b));
        match pair {
            Some(right) => {
                let (l, r) = (block_lines(&blocks[i], HALF_COLS), block_lines(right, HALF_COLS));
                for j in 0..l.len().max(r.len()) {
                    let left = pad(l.get(j).map(String::as_str).unwrap_or(""), HALF_COLS);
                    let line = format!("{left}    {}", r.get(j).map(String::as_str).unwrap_or(""));
                    out.push(line.trim_end().to_string());
                }
                i += 2;
            }
            None => {
                out.extend(block_lines(&blocks[i], TEXT_COLS - 2));
                i += 1;
            }
        }
        out.push(String::new());
    }
    out
}

/// One row of the progress table.
fn progress_line(name: &str, c: &Counts) -> String {
    let mut line = pad(&fit(name, NAME_COLS), NAME_COLS);
    for it in progress_block(c).items {
        line.push_str(&pad_left(&it.count.to_string(), NUM_COLS));
        if it.label == FormState::Submitted.label() {
            line.push_str(&pad_left(&percent(it.share), NUM_COLS));
        }
    }
    line
}

fn progress_header() -> String {
    let mut line = pad("乡镇（街道）/ 村", NAME_COLS);
    for it in progress_block(&Counts::default()).items {
        line.push_str(&pad_left(&it.label, NUM_COLS));
        if it.label == FormState::Submitted.label() {
            line.push_str(&pad_left("提交率", NUM_COLS));
        }
    }
    line
}

impl Report {
    /// The report as text that fits [`TEXT_COLS`] columns, Chinese aligned by display width.
    pub fn to_text(&self) -> String {
        let mut out = vec![
            fit(&format!("{}  进度和汇总统计", self.round), TEXT_COLS),
            fit(&format!("范围：{}    统计时点：{}", self.scope.label(), self.reference), TEXT_COLS),
            String::new(),
        ];
        if self.households == 0 {
            out.push("范围内没有监测对象。".to_string());
            return out.join("\n") + "\n";
        }
        out.push("一、填报进度".to_string());
        out.push(progress_header());
        for (name, t) in &self.townships {
            out.push(progress_line(name, &t.totals.progress));
            for (v, c) in &t.villages {
                out.push(progress_line(&format!("  {v}"), c));
            }
        }
        if self.townships.len() > 1 {
            out.push(progress_line("合计", &self.total.progress));
        }
        out.push(String::new());
        out.push(format!("二、汇总：{}", self.scope.label()));
        out.extend(figure_lines(&self.total.figures.blocks()));
        if self.townships.len() > 1 {
            out.push("三、各乡镇（街道）汇总".to_string());
            for (name, t) in &self.townships {
                out.push(format!("【{name}】"));
                out.extend(figure_lines(&t.totals.figures.blocks()));
            }
        }
        while out.last().is_some_and(|l| l.is_empty()) {
            out.pop();
        }
        out.join("\n") + "\n"
    }

    // ----- CSV -----

    /// The report as CSV for Excel: UTF-8 with BOM, one figure a row:
    /// `乡镇（街道）,村（社区）,指标,项目,户数,占比`. Village rows carry
    /// progress only; township rows and the `合计` rows carry every figure.
    pub fn write_csv<W: Write>(&self, mut out: W) -> std::io::Result<()> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["乡镇（街道）", "村（社区）", "指标", "项目", "户数", "占比"])?;
        let blocks = |w: &mut csv::Writer<W>, township: &str, village: &str, blocks: Vec<Block>| -> std::io::Result<()> {
            for b in blocks {
                for it in b.items {
                    w.write_record([township, village, &b.heading, &it.label, &it.count.to_string(), &percent(it.share)])?;
                }
            }
            Ok(())
        };
        for (name, t) in &self.townships {
            for (v, c) in &t.villages {
                blocks(&mut w, name, v, vec![progress_block(c)])?;
            }
            let mut all = vec![progress_block(&t.totals.progress)];
            all.extend(t.totals.figures.blocks());
            blocks(&mut w, name, "", all)?;
        }
        let mut all = vec![progress_block(&self.total.progress)];
        all.extend(self.total.figures.blocks());
        blocks(&mut w, "合计", "", all)?;
        w.flush()
    }

    // ----- JSON -----

    /// The report as JSON for scripts. The shape (keys stay; new keys may be added):
    ///
    /// ```text
    /// { "round": "2021年防止返贫监测回头看", "reference": "2021年4月20日24时",
    ///   "scope": { "township": null | "…", "village": null | "…" },
    ///   "total": Totals,
    ///   "townships": [ { "name": "…", "progress": Progress, "figures": Figures,
    ///                    "villages": [ { "name": "…", "progress": Progress } ] } ] }
    /// Totals   = { "progress": Progress, "figures": Figures }
    /// Progress = { "households", "verified", "empty", "draft", "submitted",
    ///              "with_errors": n, "submitted_share": 0.0–1.0 }
    /// Figures  = { "risk": { "eliminated": n, "not_eliminated": n },
    ///              "choices": [ { "field": "A5", "label": "对象类别",
    ///                             "options": [ { "label": "脱贫不稳定户", "count": n } ],
    ///                             "unanswered": n } ],      // A5, D5, D8, D3, C2, C3
    ///              "filled": n,                             // forms checked for warnings
    ///              "warnings": [ { "field": "C1", "rule": "new_four_kinds",
    ///                              "label": "“新四类人员”家庭", "households": n } ],
    ///              "planned": { "field": "D10",
    ///                           "quarters": [ { "quarter": "2021Q2", "count": n } ],
    ///                           "unanswered": n } }
    /// ```
    /// Townships and villages are sorted by name; options keep the form's order.
    pub fn to_json(&self) -> Json {
        json!({
            "round": self.round,
            "reference": self.reference,
            "scope": { "township": self.scope.township, "village": self.scope.village },
            "total": totals_json(&self.total),
            "townships": self.townships.iter().map(|(name, t)| {
                let mut v = totals_json(&t.totals);
                v["name"] = json!(name);
                v["villages"] = t.villages.iter().map(|(n, c)| json!({ "name": n, "progress": progress_json(c) })).collect();
                v
            }).collect::<Vec<_>>(),
        })
    }
}

fn progress_json(c: &Counts) -> Json {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["submitted_share"] = json!(share(c.submitted, c.households).unwrap_or(0.0));
    v
}

fn totals_json(t: &Totals) -> Json {
    let f = &t.figures;
    let choices: Vec<Json> = f
        .choices
        .iter()
        .filter_map(|t| {
            let field = t.field()?;
            let options = field.options()?;
            let opts: Vec<Json> =
                t.counts.iter().enumerate().map(|(i, n)| json!({ "label": options.label(i as u16), "count": n })).collect();
            Some(json!({ "field": field.code, "label": field.label, "options": opts, "unanswered": t.unanswered }))
        })
        .collect();
    json!({
        "progress": progress_json(&t.progress),
        "figures": {
            "risk": { "eliminated": f.eliminated, "not_eliminated": f.not_eliminated },
            "choices": choices,
            "filled": f.filled,
            "warnings": f.warnings.iter().map(|(k, n)| json!({
                "field": k.field, "rule": k.rule, "label": k.label(), "households": n,
            })).collect::<Vec<_>>(),
            "planned": {
                "field": PLAN_FIELD,
                "quarters": f.planned.iter().map(|(q, n)| json!({ "quarter": quarter_key(*q), "count": n })).collect::<Vec<_>>(),
                "unanswered": f.planned_unanswered,
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::value::YearMonth;
    use crate::model::{Answers, FormRecord, Household, SectionA, Summary, Timestamp};

    fn record(eliminated: bool) -> LookBack {
        let a = SectionA {
            address: "重庆市彭水县石盘乡石盘村1组".into(),
            head: "张三".into(),
            id_number: crate::demo::id_number(1),
            size: 14,
            category: 1,
            enrol_risk: 0,
            enrolled: YearMonth::new(2020, 5).unwrap(),
            eliminated: eliminated.then(|| YearMonth::new(2021, 1).unwrap()),
        };
        let household = Household {
            place: Place { township: "石盘乡".into(), village: "石盘村".into() },
            a,
            verified: true,
            imported_at: Timestamp(0),
        };
        LookBack { household, form: FormRecord { state: FormState::Draft, ..FormRecord::default() } }
    }

    fn row(lb: LookBack) -> Row {
        let summary = Summary::of(1, &lb, &Round::default());
        Row { key: 1, record: lb, summary, entries: Vec::new() }
    }

    #[test]
    fn every_field_warning_the_rules_give_is_known() {
        let mut lb = record(false);
        let mut a = Answers::new();
        a.insert("D7".into(), Value::Text("家里情况还不清楚，待核实***，以后再补充完整的描述".into()));
        a.insert("D1".into(), Value::List(vec!["王五".into(), "赵六".into()]));
        a.insert("D2".into(), Value::List(vec!["13800000000".into(), "13800000000".into()]));
        a.insert("D10".into(), Value::Month(YearMonth::new(2026, 1).unwrap()));
        a.insert("C1".into(), Value::Bool(true));
        lb.form.answers = a;
        let found = warning_kinds(&lb.findings(&Round::default()));
        assert!(found.len() >= 5, "{found:?}");
        let known = WarningKind::all();
        for k in &found {
            assert!(known.contains(k), "{k:?} is not in WarningKind::all()");
        }
    }

    #[test]
    fn only_the_taken_branch_counts() {
        let mut lb = record(true);
        lb.form.answers.insert("D3".into(), Value::Choice(2));
        // A D5 answer left over from before A8 was set: not part of the form.
        lb.form.answers.insert("D5".into(), Value::Choice(4));
        lb.form.answers.insert("D10".into(), Value::Month(YearMonth::new(2021, 6).unwrap()));
        let mut r = Report::new(Scope::default(), &Round::default());
        r.add(&row(lb), &Round::default());
        let f = &r.total.figures;
        assert_eq!((f.eliminated, f.not_eliminated), (1, 0));
        assert_eq!(f.choice("D3").unwrap().counts[2], 1);
        assert_eq!(f.choice("D5").unwrap().answered() + f.choice("D5").unwrap().unanswered, 0);
        assert!(f.planned.is_empty());
        assert_eq!(f.planned_unanswered, 0);
        assert_eq!(f.choice("C2").unwrap().unanswered, 1);
        assert_eq!(f.warning("A4", "large"), 1);
    }

    #[test]
    fn text_fits_eighty_columns_and_csv_has_a_bom() {
        let mut r = Report::new(Scope::default(), &Round::default());
        for (i, t) in ["石盘乡", "一个名字特别特别长的乡镇街道办事处"].iter().enumerate() {
            let mut lb = record(i == 0);
            lb.household.place.township = t.to_string();
            lb.form.answers.insert("D10".into(), Value::Month(YearMonth::new(2022, 11).unwrap()));
            r.add(&row(lb), &Round::default());
        }
        let text = r.to_text();
        for line in text.lines() {
            assert!(width(line) <= TEXT_COLS, "{line:?} is {} columns", width(line));
        }
        assert!(text.contains("2022年第4季度"), "{text}");
        let mut csv = Vec::new();
        r.write_csv(&mut csv).unwrap();
        assert!(csv.starts_with("\u{feff}乡镇（街道）".as_bytes()));
        let json = r.to_json();
        assert_eq!(json["total"]["progress"]["households"], 2);
        assert_eq!(json["townships"].as_array().unwrap().len(), 2);
    }
}
