//! `huitoukan show QUERY`: answer "what is the status of household X?".
//!
//! The query is read as the app's find box reads it ([`search::Query`]): a
//! full ID number, its last 4+ digits, a name or part of it, or pinyin
//! initials, each looked up in the store's indexes (no scan). Part of an
//! address that no name has is searched in the summaries, a chunk at a
//! time, so a large store is never held in memory at once.

use super::Global;
use crate::form::rules::display_value;
use crate::form::{idnum, schema, Round};
use crate::model::{FormState, LookBack, Summary};
use crate::search::Query;
use crate::ui::text::{fit, pad, width};
use clap::Args;
use serde_json::{json, Value as Json};

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: super::StoreArgs,
    /// 完整证件号码、其后4位以上数字、姓名或拼音首字母
    pub query: String,
    /// 输出JSON
    #[arg(long)]
    pub json: bool,
    /// 显示完整证件号码
    #[arg(long)]
    pub full_id: bool,
    /// 找到多户时最多列出几户
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
}

/// The answers a card shows when filled: what eliminated the risk, or the
/// current main risk, the planned measure and the planned month.
const CARD_ANSWERS: [&str; 4] = ["D3", "D5", "D8", "D10"];

pub fn run(global: &Global, args: &ShowArgs) -> anyhow::Result<i32> {
    let Some(query) = Query::parse(&args.query) else {
        eprintln!("查询内容是空的。请输入完整证件号码、其后4位以上数字、户主姓名或拼音首字母（如 zs）。");
        return Ok(2);
    };
    if !query.is_ready() {
        eprintln!("证件号码请至少输入后4位数字（“{}”不够4位）。", args.query.trim());
        return Ok(2);
    }
    let store = super::report::open_existing(global, "huitoukan show")?;
    let found = store.find(&query, args.limit.max(1))?;
    let round = store.round();
    let mut cards = Vec::with_capacity(found.shown.len());
    for s in &found.shown {
        if let Some(lb) = store.get(s.key)? {
            cards.push((Summary::of(s.key, &lb, &round), lb));
        }
    }
    // One household's card (or every card of the JSON) says what its handbook holds.
    let handbooks: Vec<Handbook> = if args.json || (cards.len() == 1 && found.total == 1) {
        cards.iter().map(|(s, lb)| Ok(Handbook::of(lb, store.entries(s.key)?, &round))).collect::<anyhow::Result<_>>()?
    } else {
        Vec::new()
    };
    let mut out = String::new();
    if args.json {
        let households: Vec<Json> = cards.iter().zip(&handbooks).map(|((s, lb), hb)| card_json(s, lb, hb, args.full_id)).collect();
        // A full ID number typed as the query is masked like the ones found.
        let echoed = match &query {
            Query::IdDigits(d) if d.len() > 10 => shown_id(d, args.full_id),
            _ => args.query.clone(),
        };
        let doc = json!({ "query": echoed, "total": found.total, "households": households });
        out = serde_json::to_string_pretty(&doc)? + "\n";
    }
    match cards.len() {
        0 => eprintln!(
            "没有找到与“{}”相符的监测对象。可以输入完整证件号码、其后4位以上数字、户主姓名或拼音首字母（如 zs）。",
            args.query.trim()
        ),
        _ if args.json => {}
        1 if found.total == 1 => out = card_text(&cards[0].0, &cards[0].1, &handbooks[0], &round, args.full_id),
        _ => {
            out = if found.total > cards.len() {
                format!("共找到{}户，列出前{}户（可用 --limit 多列，或输入更完整的证件号码、姓名）：\n", found.total, cards.len())
            } else {
                format!("共找到{}户：\n", found.total)
            };
            for (s, _) in &cards {
                out.push_str(&list_line(s, args.full_id));
                out.push('\n');
            }
        }
    }
    super::report::print_out(out.as_bytes())?;
    Ok(if cards.is_empty() { 1 } else { 0 })
}

fn shown_id(id: &str, full: bool) -> String {
    if full {
        id.to_string()
    } else {
        idnum::mask(id)
    }
}

/// `草稿（错误2处，提示1处）`, or just the state when the form is not filled.
fn state_text(s: &Summary) -> String {
    match s.state {
        FormState::Empty => s.state.label().to_string(),
        _ => format!("{}（错误{}处，提示{}处）", s.state.label(), s.errors, s.warnings),
    }
}

/// (heading, value) pairs; `None` is an empty field.
type Headed = Vec<(String, Option<String>)>;

/// How the text card shows an empty field (JSON has `null`).
const EMPTY: &str = "（空）";

/// Section A values and the card's answers as (heading, value), ID masked unless `full_id`.
fn card_fields(lb: &LookBack, full_id: bool) -> (Headed, Headed) {
    let a = schema::section_fields(schema::Section::A)
        .map(|f| {
            let v = match (f.kind, lb.household.a.value(f.code)) {
                (schema::Kind::IdNumber, Some(_)) => Some(shown_id(&lb.household.a.id_number, full_id)),
                (_, v) => v.map(|v| display_value(f, &v)),
            };
            (f.heading(), v)
        })
        .collect();
    // Labelled by the record's own definition (an older round's lists may differ).
    let form = lb.definition().unwrap_or_else(schema::shipped);
    let answers = CARD_ANSWERS
        .iter()
        .filter_map(|c| Some((form.field(c)?, lb.active_value(c)?)))
        .map(|(f, v)| (f.heading(), Some(display_value(f, &v))))
        .collect();
    (a, answers)
}

/// What a household's handbook holds, for the card: live entries per form,
/// the latest visit, and the 疑点.
struct Handbook {
    counts: Vec<(&'static str, usize)>,
    last_visit: Option<String>,
    doubts: Vec<String>,
}

impl Handbook {
    fn of(lb: &LookBack, entries: Vec<crate::model::Entry>, round: &Round) -> Handbook {
        let file = crate::handbook::HouseholdFile::new(lb.clone(), entries);
        let counts = file.parts.iter().map(|p| (p.form.title, p.live)).collect();
        let last_visit = file.parts.iter().find(|p| p.form.id == "visits").and_then(|p| {
            p.rows.iter().rev().map(|&i| &file.entries[i]).find(|e| e.voided.is_none()).and_then(|e| e.summary_cells().first().cloned())
        });
        let doubts = file.doubts(round, crate::handbook::as_of(round)).into_iter().map(|d| d.message).collect();
        Handbook { counts, last_visit, doubts }
    }

    fn line(&self) -> String {
        let parts: Vec<String> = self.counts.iter().map(|(t, n)| format!("{t}{n}条")).collect();
        match &self.last_visit {
            Some(d) => format!("{}（最近一次走访{d}）", parts.join("，")),
            None => parts.join("，"),
        }
    }
}

/// The one-household card, labels aligned by display width.
fn card_text(s: &Summary, lb: &LookBack, hb: &Handbook, round: &Round, full_id: bool) -> String {
    let (a, answers) = card_fields(lb, full_id);
    let saved = match (&s.saved_by, s.saved_at) {
        (Some(who), Some(at)) => format!("{who}，{at}"),
        (Some(who), None) => who.clone(),
        (None, Some(at)) => at.to_string(),
        (None, None) => "还没有保存过".to_string(),
    };
    let mut lines: Vec<(String, String)> = vec![("乡镇（街道）/ 村".into(), format!("{} {}", s.place.township, s.place.village))];
    let text = |pairs: Headed| pairs.into_iter().map(|(k, v)| (k, v.unwrap_or_else(|| EMPTY.to_string())));
    lines.extend(text(a));
    lines.push(("基础信息".into(), if s.verified { "已核实" } else { "未核实" }.into()));
    lines.push(("风险".into(), s.risk_label()));
    lines.push(("采集表".into(), state_text(s)));
    lines.push(("最后保存".into(), saved));
    lines.extend(text(answers));
    lines.push(("监测手册".into(), hb.line()));
    lines.push(("疑点".into(), if hb.doubts.is_empty() { "无".into() } else { hb.doubts.join("；") }));
    let cols = lines.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let mut out = format!("{}（{}）  {}\n", s.head, s.category_short(), round.name);
    for (k, v) in lines {
        out.push_str(&format!("  {}  {v}\n", pad(&k, cols)));
    }
    out
}

/// One line of a list of matches, within 80 columns.
fn list_line(s: &Summary, full_id: bool) -> String {
    let cols: [(String, usize); 6] = [
        (s.place.township.clone(), 10),
        (s.place.village.clone(), 10),
        (s.head.clone(), 8),
        (shown_id(&s.id_number, full_id), 20),
        (s.category_short().to_string(), 6),
        (s.risk_label(), 14),
    ];
    let mut line: String = cols.iter().map(|(t, w)| pad(&fit(t, *w), *w) + " ").collect();
    line.push_str(s.state.label());
    line
}

fn state_code(state: FormState) -> &'static str {
    match state {
        FormState::Empty => "empty",
        FormState::Draft => "draft",
        FormState::Submitted => "submitted",
    }
}

/// The card as JSON: `{ key, township, village, head, id_number, category,
/// section_a: { "A1": "…", "A8": null (empty), … }, verified, risk: { eliminated, month },
/// state, state_label, errors, warnings, saved_by, saved_at, answers: { "D5": "…", … },
/// handbook: { entries: { "家庭成员": 4, … }, last_visit, doubts: ["…"] } }`.
fn card_json(s: &Summary, lb: &LookBack, hb: &Handbook, full_id: bool) -> Json {
    let (a, answers) = card_fields(lb, full_id);
    let code = |h: String| h.split_whitespace().next().unwrap_or_default().to_string();
    let map = |pairs: Headed| -> serde_json::Map<String, Json> {
        pairs.into_iter().map(|(h, v)| (code(h), v.map_or(Json::Null, Json::String))).collect()
    };
    json!({
        "key": s.key,
        "township": s.place.township,
        "village": s.place.village,
        "head": s.head,
        "id_number": shown_id(&s.id_number, full_id),
        "category": s.category_short(),
        "section_a": map(a),
        "verified": s.verified,
        "risk": { "eliminated": s.eliminated.is_some(), "month": s.eliminated.map(|m| m.to_string()) },
        "state": state_code(s.state),
        "state_label": s.state.label(),
        "errors": s.errors,
        "warnings": s.warnings,
        "saved_by": s.saved_by,
        "saved_at": s.saved_at.map(|t| t.to_string()),
        "answers": map(answers),
        "handbook": {
            "entries": hb.counts.iter().map(|(t, n)| ((*t).to_string(), Json::from(*n))).collect::<serde_json::Map<String, Json>>(),
            "last_visit": hb.last_visit,
            "doubts": hb.doubts,
        },
    })
}
