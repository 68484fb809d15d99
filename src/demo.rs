//! Deterministic demo data: townships and villages of 彭水, plausible names,
//! valid ID numbers, both categories, some risks eliminated, some forms in
//! draft and some submitted. The same `(n, seed)` always gives the same data.

use crate::form::idnum;
use crate::form::rules::{self, Severity};
use crate::form::value::{Value, YearMonth};
use crate::form::{options, Round};
use crate::model::{Answers, FormRecord, FormState, Household, LookBack, Place, SectionA, Timestamp};
use crate::store::{Result, Store};

/// The townships (乡镇/街道) of 彭水苗族土家族自治县.
pub const TOWNSHIPS: &[&str] = &[
    "汉葭街道",
    "绍庆街道",
    "靛水街道",
    "保家镇",
    "郁山镇",
    "高谷镇",
    "桑柘镇",
    "鹿角镇",
    "黄家镇",
    "普子镇",
    "龙射镇",
    "连湖镇",
    "万足镇",
    "平安镇",
    "长生镇",
    "新田镇",
    "鞍子镇",
    "太原镇",
    "龙溪镇",
    "梅子垭镇",
    "大同镇",
    "岩东乡",
    "鹿鸣乡",
    "棣棠乡",
    "三义乡",
    "联合乡",
    "石柳乡",
    "走马乡",
    "芦塘乡",
    "乔梓乡",
    "诸佛乡",
    "桐楼乡",
    "善感乡",
    "双龙乡",
    "石盘乡",
    "大垭乡",
    "润溪乡",
    "朗溪乡",
    "龙塘乡",
];

const VILLAGE_A: &[&str] = &[
    "石", "龙", "青", "桃", "高", "大", "新", "长", "双", "白", "黄", "金", "红", "马", "鹿", "梅", "竹", "水", "桐", "岩", "凤", "鸡",
    "杉", "茶", "团", "三", "五", "万", "太", "和",
];
const VILLAGE_B: &[&str] =
    &["坪", "山", "河", "溪", "坝", "塘", "湾", "坡", "林", "口", "门", "桥", "井", "岭", "寨", "田", "园", "峰", "台", "沟"];
const SURNAMES: &[&str] = &[
    "张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗", "冉", "任",
    "向", "庹", "彭", "龚", "田", "谢", "侯", "蔡", "汪", "石", "邓", "文", "秦", "万",
];
const GIVEN: &[&str] = &[
    "明", "华", "国", "建", "军", "平", "志", "强", "文", "勇", "秀", "英", "芳", "兰", "梅", "桂", "清", "玉", "成", "福", "贵", "学",
    "德", "海", "春", "云", "光", "林", "红", "荣", "发", "中", "世", "永", "金", "银", "家", "远", "香", "凤",
];
const HARDSHIP: &[&str] = &[
    "户主患慢性病，长期服药，每月自付医药费约{n}元",
    "妻子{a}岁，因病丧失劳动能力，需要家人照顾",
    "家中有两个孩子在读书，每年教育支出约{n}元",
    "儿子在外务工收入不稳定，今年以来多次失业",
    "房屋为土木结构，年久失修，雨季漏雨",
    "家中老人年过八十，行动不便，需要专人照料",
    "去年种植的辣椒遭遇冰雹，产业收入大幅减少",
    "家庭主要收入来源为低保和养老金，平均每月约{n}元",
    "户主因意外事故腿部受伤，近半年无法外出务工",
    "家中缺少劳动力，耕地大部分撂荒",
    "受疫情影响，家中两人返乡后尚未找到稳定工作",
    "户主为三级肢体残疾，只能从事轻体力劳动",
];

/// SplitMix64: tiny, fast and deterministic across platforms.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// True with probability `pct`%.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// Villages of each township: (township, villages).
pub fn places(n_households: usize, seed: u64) -> Vec<(String, Vec<String>)> {
    let mut rng = Rng::new(seed ^ 0x5157);
    // About 90 households a village on average, at least three villages each.
    let villages_total = (n_households / 90).max(TOWNSHIPS.len() * 3);
    let per_township = villages_total.div_ceil(TOWNSHIPS.len());
    TOWNSHIPS
        .iter()
        .map(|t| {
            let street = t.ends_with("街道");
            let mut names: Vec<String> = Vec::new();
            let mut tries = 0;
            while names.len() < per_township && tries < 10_000 {
                tries += 1;
                let suffix = if street && rng.chance(60) { "社区" } else { "村" };
                let mut name = format!("{}{}{}", rng.pick(VILLAGE_A), rng.pick(VILLAGE_B), suffix);
                if tries > 2_000 {
                    name = format!("{}{}{}", rng.pick(VILLAGE_A), names.len() + 1, suffix);
                }
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            (t.to_string(), names)
        })
        .collect()
}

/// A unique, valid ID number for household `i` (彭水's area code 500243).
pub fn id_number(i: u64) -> String {
    const DAYS: u64 = 21_900; // 1940-01-01 plus up to 60 years
    const SPACE: u64 = DAYS * 1000;
    let p = (i.wrapping_mul(7_368_787) + 12_345) % SPACE;
    let day = p % DAYS;
    let seq = p / DAYS;
    let base = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).expect("valid date");
    let birth = base + chrono::Duration::days(day as i64);
    let first17 = format!("500243{}{:03}", birth.format("%Y%m%d"), seq);
    idnum::complete(&first17).expect("17 digits")
}

fn name(rng: &mut Rng) -> String {
    let mut s = (*rng.pick(SURNAMES)).to_string();
    s.push_str(rng.pick::<&str>(GIVEN));
    if rng.chance(70) {
        s.push_str(rng.pick::<&str>(GIVEN));
    }
    s
}

fn phone(rng: &mut Rng) -> String {
    format!("1{}{:09}", 3 + rng.below(7), rng.below(1_000_000_000))
}

fn month(y: u16, m: u8) -> YearMonth {
    YearMonth::new(y, m).expect("valid demo month")
}

fn hardship(rng: &mut Rng, min_chars: usize) -> String {
    let mut s = String::new();
    while s.chars().count() < min_chars {
        let t = rng.pick(HARDSHIP);
        let t = t.replace("{n}", &(200 + rng.below(30) * 50).to_string()).replace("{a}", &(35 + rng.below(40)).to_string());
        s.push_str(&t);
        s.push('。');
    }
    s
}

/// One generated household with its form.
pub fn household(i: u64, seed: u64, places: &[(String, Vec<String>)], round: &Round) -> LookBack {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(i));
    let (township, villages) = &places[(i as usize) % places.len()];
    let village = &villages[rng.below(villages.len() as u64) as usize];
    let head = name(&mut rng);
    let mut id = id_number(i);
    if rng.chance(3) {
        id = format!("{id}{}{}", 1 + rng.below(7), 1 + rng.below(4));
    }
    let enrolled = month(2020, 1 + rng.below(12) as u8);
    let eliminated = rng.chance(55).then(|| {
        let months = enrolled.months_until(round.reference_month()).max(0) as u64;
        let m = enrolled.index() + rng.below(months + 1) as i32;
        month((m / 12) as u16, (m % 12 + 1) as u8)
    });
    let group = 1 + rng.below(9);
    let a = SectionA {
        address: format!("重庆市彭水县{township}{village}{group}组"),
        head,
        id_number: id,
        size: 1 + rng.below(7) as i64 + if rng.chance(2) { 8 } else { 0 },
        category: if rng.chance(40) { options::CATEGORY_MARGINAL } else { options::CATEGORY_UNSTABLE },
        enrol_risk: rng.below(options::ENROL_RISK.len() as u64) as u16,
        enrolled,
        eliminated,
    };
    let household = Household {
        place: Place { township: township.clone(), village: village.clone() },
        a,
        verified: false,
        imported_at: Timestamp(1_618_800_000_000),
    };
    let mut lb = LookBack { household, form: FormRecord::default() };
    let roll = rng.below(100);
    if roll < 35 {
        return lb;
    }
    let submit = roll >= 65;
    lb.form.answers = answers(&mut rng, lb.household.a.eliminated.is_some(), !submit);
    lb.household.verified = submit || rng.chance(50);
    lb.form.saved_by = Some(format!("clerk{:02}", 1 + rng.below(20)));
    lb.form.saved_at = Some(Timestamp(1_619_000_000_000 + rng.below(600_000) as i64 * 1000));
    lb.form.state = FormState::Draft;
    if submit {
        let findings = lb.findings(round);
        if findings.iter().all(|f| f.severity != Severity::Error) {
            lb.form.state = FormState::Submitted;
            lb.form.confirmed = findings.iter().map(|f| f.rule.to_string()).collect();
        }
    }
    lb
}

fn answers(rng: &mut Rng, eliminated: bool, partial: bool) -> Answers {
    let mut a = Answers::new();
    let mut put = |k: &str, v: Value| {
        a.insert(k.to_string(), v);
    };
    let yes = |rng: &mut Rng, pct| Value::Bool(rng.chance(pct));
    put("B1", yes(rng, 2));
    put("B2", yes(rng, 1));
    put("B3", yes(rng, 3));
    put("B4", yes(rng, 95));
    put("C1", yes(rng, 2));
    let bracket = if eliminated { 1 + rng.below(3) } else { rng.below(3) };
    put("C2", Value::Choice(bracket as u16));
    put("C3", Value::Choice(rng.below(3) as u16));
    put("C4", yes(rng, if eliminated { 1 } else { 15 }));
    let monitors = 1 + rng.below(3) as usize;
    let names: Vec<String> = (0..monitors).map(|_| name(rng)).collect();
    let phones: Vec<String> = (0..monitors).map(|_| phone(rng)).collect();
    put("D1", Value::List(names));
    put("D2", Value::List(phones));
    let others = |rng: &mut Rng, n: u64, main: u16| {
        let mut v: Vec<u16> = (0..rng.below(3)).map(|_| rng.below(n) as u16).filter(|x| *x != main).collect();
        v.sort_unstable();
        v.dedup();
        Value::Multi(v)
    };
    if eliminated {
        let main = rng.below(11) as u16;
        put("D3", Value::Choice(main));
        put("D4", others(rng, 11, main));
    } else {
        let risk = rng.below(10) as u16;
        put("D5", Value::Choice(risk));
        put("D6", others(rng, 10, risk));
        let len = 25 + rng.below(150) as usize;
        put("D7", Value::Text(hardship(rng, len)));
        let m = rng.below(11) as u16;
        put("D8", Value::Choice(m));
        put("D9", others(rng, 11, m));
        put("D10", Value::Month(month(2021 + rng.below(2) as u16, 1 + rng.below(12) as u8).max(month(2021, 4))));
    }
    if partial {
        // A draft stops somewhere in the form.
        let keep = 3 + rng.below(14) as usize;
        let codes: Vec<String> =
            crate::form::FIELDS.iter().filter(|f| a.contains_key(f.code)).skip(keep).map(|f| f.code.to_string()).collect();
        for c in codes {
            a.remove(&c);
        }
    }
    a
}

/// Fills `store` with `n` demo households; calls `progress(done)` per chunk.
pub fn fill(store: &Store, n: usize, seed: u64, progress: impl FnMut(usize)) -> Result<usize> {
    let start = store.household_count()? as u64;
    let round = store.round().clone();
    fill_with(&round, start, n, seed, progress, &mut |batch, entries| {
        let keys = store.insert_records(batch, "demo", "演示数据")?;
        store.insert_entries(&with_keys(keys, entries), "demo")
    })
}

/// [`fill`] through any backend (the store server's, when one runs).
pub fn fill_via(backend: &dyn crate::backend::Backend, n: usize, seed: u64, progress: impl FnMut(usize)) -> Result<usize> {
    let start = backend.household_count()? as u64;
    fill_with(&backend.round(), start, n, seed, progress, &mut |batch, entries| {
        let keys = backend.insert_records(batch, "演示数据")?;
        backend.insert_entries(&with_keys(keys, entries))
    })
}

fn with_keys(keys: Vec<u64>, entries: Vec<Vec<crate::model::Entry>>) -> Vec<(u64, Vec<crate::model::Entry>)> {
    keys.into_iter().zip(entries).collect()
}

/// Writes one chunk of households with their handbooks.
type Insert<'a> = dyn FnMut(&[LookBack], Vec<Vec<crate::model::Entry>>) -> Result<()> + 'a;

fn fill_with(round: &Round, start: u64, n: usize, seed: u64, mut progress: impl FnMut(usize), insert: &mut Insert<'_>) -> Result<usize> {
    let places = places(n, seed);
    let mut done = 0;
    const CHUNK: usize = 5_000;
    while done < n {
        let take = CHUNK.min(n - done);
        let batch: Vec<LookBack> = (0..take).map(|j| household(start + (done + j) as u64, seed, &places, round)).collect();
        let entries = batch.iter().enumerate().map(|(j, lb)| handbook(start + (done + j) as u64, seed, lb, round)).collect();
        insert(&batch, entries)?;
        done += take;
        progress(done);
    }
    Ok(done)
}

/// A complete, submittable answer set of a not-eliminated household whose
/// D7 is `hardship` (crash, kill and load tests write it again and again).
pub fn submittable_answers(hardship: &str) -> Answers {
    let mut a = Answers::new();
    let mut put = |k: &str, v: Value| {
        a.insert(k.to_string(), v);
    };
    for k in ["B1", "B2", "B3", "C1", "C4"] {
        put(k, Value::Bool(false));
    }
    put("B4", Value::Bool(true));
    put("C2", Value::Choice(1));
    put("C3", Value::Choice(0));
    put("D1", Value::List(vec!["王明".into()]));
    put("D2", Value::List(vec!["13812345678".into()]));
    put("D5", Value::Choice(0));
    put("D7", Value::Text(hardship.to_string()));
    put("D8", Value::Choice(6));
    put("D10", Value::Month(YearMonth::new(2021, 12).expect("a valid month")));
    a
}

/// Check that demo generation stays valid: used by tests.
pub fn is_consistent(lb: &LookBack, round: &Round) -> bool {
    let f = rules::validate(&lb.view(), round);
    lb.form.state != FormState::Submitted || f.iter().all(|x| x.severity != Severity::Error)
}

/// Concrete measures by category (措施类别, the look-back form's order) and
/// who carries them out: (what was done, the unit responsible).
const MEASURES: &[(&str, &str)] = &[
    ("发放产业到户补助，养殖生猪3头", "乡农业服务中心"),
    ("推荐到县工业园区务工", "县人力社保局"),
    ("办理小额信贷5万元，用于发展种植", "县农商银行"),
    ("聘为生态护林员", "县林业局"),
    ("安排村级公益性岗位（保洁员）", "乡政府"),
    ("落实教育资助，发放生活补助", "县教委"),
    ("落实医疗救助，大病二次报销", "县医保局"),
    ("实施农村危房改造", "县住房城乡建委"),
    ("修通入户便道，接通自来水", "乡建设环保办"),
    ("纳入农村低保", "县民政局"),
    ("开展技能培训和感恩教育", "乡政府"),
];
const EFFECTS: &[&str] = &[
    "户均增收约3000元，家庭收入趋于稳定",
    "已按时到岗，每月有稳定工资收入",
    "医疗费用负担明显减轻",
    "住房安全得到保障",
    "孩子按时上学，未再出现辍学",
];
const VISIT_NOTES: &[&str] = &[
    "入户了解家庭收支情况，户主身体状况稳定，按时服药",
    "电话回访，家中务工人员已返岗，收入有保障",
    "核实帮扶措施落实情况，产业补助已发放到户",
    "走访了解孩子在校情况，资助已落实",
    "查看住房和饮水情况，未发现新的风险",
    "家中老人住院，已联系医保局落实报销",
];

/// A member's fictional ID: unique in the store (an area code no head uses,
/// and a number per household and member), born on `birth`.
fn member_id(i: u64, j: u64, birth: chrono::NaiveDate) -> String {
    let k = i * 8 + j;
    let first17 = format!("{:06}{}{:03}", 510_000 + k / 1000, birth.format("%Y%m%d"), k % 1000);
    idnum::complete(&first17).expect("17 digits")
}

/// The handbook of one demo household: its members (A4 of them, at most 8;
/// the head first, with A3), the measures taken and the visits made, as of
/// the round. Deterministic like [`household`].
pub fn handbook(i: u64, seed: u64, lb: &LookBack, round: &Round) -> Vec<crate::model::Entry> {
    use crate::form::schema::handbook_form;
    use crate::form::value::Day;
    use chrono::Datelike;
    let mut rng = Rng::new(seed.wrapping_mul(2_000_003).wrapping_add(i).wrapping_add(77));
    let a = &lb.household.a;
    let at = Timestamp(1_619_000_000_000 + rng.below(600_000) as i64 * 1000);
    let by = format!("clerk{:02}", 1 + rng.below(20));
    let mut out = Vec::new();
    let entry = |form: &'static crate::form::file::Form, seq: u32, answers: Answers| crate::model::Entry {
        form: form.reference(),
        seq,
        answers,
        voided: None,
        created_at: at,
        saved_at: at,
        saved_by: by.clone(),
    };
    let (Some(members), Some(measures), Some(visits)) = (handbook_form("members"), handbook_form("measures"), handbook_form("visits"))
    else {
        return out;
    };
    let choice =
        |form: &crate::form::file::Form, list: &str, label: &str| Value::Choice(form.list(list).and_then(|l| l.parse(label)).unwrap_or(0));
    let moment = round.reference.date();
    let head_birth = chrono::NaiveDate::parse_from_str(&a.id_number[6..14], "%Y%m%d").unwrap_or(moment);
    let n = a.size.clamp(1, 8) as u64;
    for j in 0..n {
        let (relation, birth) = match j {
            0 => ("户主", head_birth),
            1 => ("配偶", head_birth + chrono::Duration::days(rng.below(2000) as i64 - 1000)),
            2..=4 if head_birth.year() < 1990 => {
                let b = head_birth + chrono::Duration::days(365 * (22 + rng.below(14)) as i64 + rng.below(365) as i64);
                (if rng.chance(50) { "之子" } else { "之女" }, b.min(moment - chrono::Duration::days(200)))
            }
            _ => {
                let b = head_birth - chrono::Duration::days(365 * (22 + rng.below(8)) as i64);
                (if rng.chance(50) { "之父" } else { "之母" }, b)
            }
        };
        let id = if j == 0 { a.id_number.clone() } else { member_id(i, j, birth) };
        let age = crate::handbook::age_at(&id, moment).unwrap_or(40);
        let mut m = Answers::new();
        let given = name(&mut rng);
        let member_name = match relation {
            "户主" => a.head.clone(),
            // Children mostly take the head's surname.
            "之子" | "之女" if rng.chance(85) => a.head.chars().take(1).chain(given.chars().skip(1)).collect(),
            _ => given,
        };
        m.insert("M1".into(), Value::Text(member_name));
        m.insert("M2".into(), choice(members, "relation", relation));
        m.insert("M3".into(), Value::Text(id.clone()));
        let health = if id.len() == 20 {
            "残疾"
        } else {
            match rng.below(100) {
                0..=69 => "健康",
                70..=84 => "长期慢性病",
                85..=95 => "患有大病",
                _ => "残疾",
            }
        };
        m.insert("M4".into(), choice(members, "health", health));
        let skill = match age {
            0..=15 => "无劳动力",
            16..=59 if health == "健康" => *rng.pick(&["普通劳动力", "普通劳动力", "技能劳动力", "弱劳动力或半劳动力"]),
            16..=59 => *rng.pick(&["弱劳动力或半劳动力", "丧失劳动力", "普通劳动力"]),
            _ => *rng.pick(&["弱劳动力或半劳动力", "丧失劳动力", "无劳动力"]),
        };
        m.insert("M5".into(), choice(members, "skill", skill));
        let school = match age {
            0..=5 => "学前教育",
            6..=11 => "小学",
            12..=14 => "初中",
            15..=17 => *rng.pick(&["高中", "中职"]),
            18..=21 if rng.chance(30) => "高职或大专",
            _ => "非在校生",
        };
        m.insert("M6".into(), choice(members, "schooling", school));
        let insured = match rng.below(100) {
            0..=94 => "居民医保",
            95..=97 => "职工医保",
            _ => "未参加",
        };
        m.insert("M7".into(), choice(members, "insurance", insured));
        if (18..=59).contains(&age) && skill != "丧失劳动力" {
            m.insert("M8".into(), choice(members, "work", rng.pick::<&str>(&["县内务工", "县外市内务工", "市外务工", "未务工"])));
        }
        out.push(entry(members, j as u32 + 1, m));
    }
    // Measures: one to four; a health measure for most households at risk through illness.
    let n = 1 + rng.below(4);
    let reference = round.reference_month();
    let months = a.enrolled.months_until(reference).max(0) as u64;
    let ill = options::ENROL_RISK.label(a.enrol_risk) == Some("因大病");
    for j in 0..n {
        let cat = if j == 0 && ill && rng.chance(85) { 6 } else { rng.below(MEASURES.len() as u64) as usize };
        let (what, unit) = MEASURES[cat];
        let start_index = a.enrolled.index() + rng.below(months + 1) as i32;
        let start = month((start_index / 12) as u16, (start_index % 12 + 1) as u8);
        let progress = if a.eliminated.is_some() || rng.chance(60) { "已落实" } else { *rng.pick(&["计划", "实施中"]) };
        let mut s = Answers::new();
        s.insert("S1".into(), Value::Choice(cat as u16));
        s.insert("S2".into(), Value::Text(what.into()));
        s.insert("S3".into(), Value::Month(start));
        s.insert("S5".into(), Value::Text(unit.into()));
        if rng.chance(50) {
            s.insert("S6".into(), Value::Text(name(&mut rng)));
        }
        if rng.chance(60) {
            s.insert("S7".into(), Value::Int((1 + rng.below(50) as i64) * 200));
        }
        s.insert("S8".into(), choice(measures, "progress", progress));
        if progress == "已落实" && rng.chance(90) {
            s.insert("S9".into(), Value::Text((*rng.pick(EFFECTS)).into()));
        }
        out.push(entry(measures, j as u32 + 1, s));
    }
    // Visits: one to five between enrolment and the end of the round, most recent last.
    let end = round.period_end.min(chrono::Local::now().date_naive());
    let first = chrono::NaiveDate::from_ymd_opt(a.enrolled.year as i32, a.enrolled.month as u32, 1)
        .unwrap_or(end)
        .max(end - chrono::Duration::days(330));
    let span = (end - first).num_days().max(1) as u64;
    let n = 1 + rng.below(5);
    let mut days: Vec<u64> = (0..n).map(|_| rng.below(span)).collect();
    if rng.chance(85) {
        // Most households were visited in the last weeks of the round.
        days[0] = span.saturating_sub(1 + rng.below(60));
    }
    days.sort_unstable();
    let monitors = match lb.form.answers.get("D1") {
        Some(Value::List(names)) if !names.is_empty() => names.clone(),
        _ => vec![name(&mut rng)],
    };
    for (j, d) in days.into_iter().enumerate() {
        let date = first + chrono::Duration::days(d as i64);
        let mut v = Answers::new();
        v.insert("V1".into(), Value::Date(Day::from_naive(date).unwrap_or(Day { year: 2021, month: 4, day: 1 })));
        v.insert("V2".into(), Value::List(vec![monitors[j % monitors.len()].clone()]));
        v.insert("V3".into(), choice(visits, "channel", rng.pick::<&str>(&["入户走访", "入户走访", "电话", "视频"])));
        v.insert("V4".into(), Value::Text((*rng.pick(VISIT_NOTES)).into()));
        if rng.chance(15) {
            v.insert("V5".into(), Value::Multi(vec![rng.below(10) as u16]));
        }
        out.push(entry(visits, j as u32 + 1, v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..50_000 {
            let id = id_number(i);
            assert_eq!(idnum::validate(&id).as_deref(), Ok(id.as_str()));
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn deterministic_and_valid() {
        let round = Round::default();
        let p = places(3000, 7);
        let a: Vec<_> = (0..300).map(|i| household(i, 7, &p, &round)).collect();
        let b: Vec<_> = (0..300).map(|i| household(i, 7, &p, &round)).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|lb| is_consistent(lb, &round)));
        let states: std::collections::HashSet<_> = a.iter().map(|lb| lb.form.state).collect();
        assert_eq!(states.len(), 3, "all three states appear");
        assert!(a.iter().any(|lb| lb.household.a.eliminated.is_some()));
        assert!(a.iter().any(|lb| lb.household.a.category == options::CATEGORY_MARGINAL));
        // Section A of every generated household passes its own checks.
        for lb in &a {
            let errs: Vec<_> = rules::validate(&lb.view(), &round)
                .into_iter()
                .filter(|f| f.code.starts_with('A') && f.severity == Severity::Error)
                .collect();
            assert!(errs.is_empty(), "{errs:?}");
        }
    }

    /// Every demo household has its members (the head with A3 first), at
    /// least one measure and one visit, all passing their own forms' checks,
    /// and no member's ID number is anyone else's.
    #[test]
    fn handbooks_are_complete_valid_and_ids_unique() {
        let round = Round::default();
        let p = places(3000, 7);
        let mut ids = std::collections::HashSet::new();
        let mut doubts = 0;
        for i in 0..300 {
            let lb = household(i, 7, &p, &round);
            assert!(ids.insert(lb.household.a.id_number.clone()));
            let entries = handbook(i, 7, &lb, &round);
            assert_eq!(entries, handbook(i, 7, &lb, &round), "deterministic");
            let of = |id: &str| entries.iter().filter(|e| e.form.id == id).count();
            assert_eq!(of("members") as i64, lb.household.a.size.min(8));
            assert!(of("measures") >= 1 && of("visits") >= 1);
            assert_eq!(entries[0].answers.get("M3"), Some(&Value::Text(lb.household.a.id_number.clone())));
            for e in &entries {
                let errors: Vec<_> = e.findings(&lb.household.a, &round).into_iter().filter(|f| f.severity == Severity::Error).collect();
                assert!(errors.is_empty(), "household {i} {}: {errors:?}", e.label());
                if e.form.id == "members" && e.seq > 1 {
                    let Some(Value::Text(id)) = e.answers.get("M3") else { panic!("member without ID") };
                    assert!(ids.insert(id.clone()), "{id} twice");
                }
            }
            let file = crate::handbook::HouseholdFile::new(lb, entries);
            doubts += usize::from(!file.doubts(&round, crate::form::value::Day::today()).is_empty());
        }
        assert!(doubts > 0 && doubts < 300, "some households have 疑点, not all: {doubts}");
    }
}
