//! The look-back form's typed shape: sections, kinds, fields.
//!
//! The fields themselves are data: `forms/huitoukan-2021.toml`, compiled in
//! and loaded once by [`shipped`] (see [`super::file`]). Everything else —
//! the editor, validation, export columns, help — reads [`FIELDS`]. Adding
//! an optional field is one entry in that file.

use super::file::{self, Form};
use super::options::{self, OptionList};
use std::sync::LazyLock;

/// The four sections of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    A,
    B,
    C,
    D,
    /// The one part of a repeating form (a handbook entry): no sections.
    Entry,
}

impl Section {
    pub const ALL: [Section; 4] = [Section::A, Section::B, Section::C, Section::D];

    /// The section's title in the shipped form, e.g. `D. 帮扶措施情况`.
    pub fn title(self) -> &'static str {
        shipped().section_title(self)
    }
}

/// Which branch of section D a field belongs to; A8 decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Branch {
    Always,
    /// 风险已消除户: A8 set.
    Eliminated,
    /// 未消除风险户: A8 empty.
    NotEliminated,
}

impl Branch {
    /// The branch's name in the shipped form, e.g. `风险已消除户` (empty for `Always`).
    pub fn label(self) -> &'static str {
        match self {
            Branch::Always => "",
            b => shipped().branch_label(b),
        }
    }
}

/// What kind of answer a field takes, with the kind's own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text, `min..=max` characters.
    Text {
        min: usize,
        max: usize,
    },
    /// Multi-line text (D7), `min..=max` characters after trimming.
    LongText {
        min: usize,
        max: usize,
    },
    /// Resident ID or disability certificate number (A3).
    IdNumber,
    /// Whole number in `min..=max`; a warning above `warn_above`.
    Integer {
        min: i64,
        max: i64,
        warn_above: Option<i64>,
    },
    /// 是/否.
    YesNo,
    Single(&'static OptionList),
    /// Checklist; must not repeat the answer of the field `main`.
    Multi {
        options: &'static OptionList,
        main: &'static str,
    },
    /// 年月.
    Month,
    /// 年月日 (a visit's date).
    Date,
    /// Up to `max` names (D1).
    Names {
        max: usize,
    },
    /// One phone per name of the field `names` (D2).
    Phones {
        names: &'static str,
    },
}

/// Month-ordering rules, checked after the value itself parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthRule {
    /// Not after the round's reference month.
    NotAfterReference,
    /// Not before the round's reference month.
    NotBeforeReference,
    /// Not before the month in another field.
    NotBefore(&'static str),
    /// A warning when more than the round's `plan_warn_months` after the reference month.
    WarnFarAfterReference,
    /// Not after the month it is entered in (a measure's 开始年月).
    NotAfterCurrent,
}

/// Day rules, checked after the date itself parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRule {
    /// Not after today.
    NotFuture,
    /// Its month not before the month in another field (a visit and the
    /// household's A7 纳入系统时间).
    NotBeforeMonth(&'static str),
    /// Strictly after the date in another field (下次走访 after 走访日期).
    After(&'static str),
}

/// One field of the form.
#[derive(Debug)]
pub struct Field {
    /// A1 … D10: what the paper form, exports and people on the phone use.
    pub code: &'static str,
    /// Verbatim Chinese label.
    pub label: &'static str,
    /// One-line explanation from the notice's 指标解释, shown as help.
    pub hint: &'static str,
    pub section: Section,
    pub kind: Kind,
    pub required: bool,
    pub branch: Branch,
    pub month_rules: &'static [MonthRule],
    pub date_rules: &'static [DateRule],
    /// Personal data shown masked unless revealed.
    pub mask: Option<Mask>,
    /// A helper the editor offers on this field.
    pub helper: Option<Helper>,
    /// For a 是/否 field: the answer meaning "no problem" (section B's one-key fill).
    pub ok: Option<bool>,
}

/// How a field's personal data is masked on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// An ID number: first 6 and last 4 shown.
    Id,
    /// Phone numbers.
    Phone,
}

/// Helpers a form file can attach to a field by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helper {
    /// `helper = "water"`: the B4 drinking-water assessment.
    Water,
}

impl Field {
    /// `A1 家庭地址`: the export column header and the editor's label.
    pub fn heading(&self) -> String {
        format!("{} {}", self.code, self.label)
    }

    pub fn options(&self) -> Option<&'static OptionList> {
        match self.kind {
            Kind::Single(o) | Kind::Multi { options: o, .. } => Some(o),
            Kind::YesNo => Some(&*options::YES_NO),
            _ => None,
        }
    }

    /// Section A comes from the roster and is read-only in the form.
    pub fn is_prefilled(&self) -> bool {
        self.section == Section::A
    }
}

/// The shipped look-back form's file, compiled in.
pub const SHIPPED_TOML: &str = include_str!("../../forms/huitoukan-2021.toml");

static SHIPPED: LazyLock<&'static Form> = LazyLock::new(|| match file::load(SHIPPED_TOML) {
    Ok(form) => form,
    // The file is part of the program and a test loads it: this cannot pass review.
    Err(problems) => panic!("forms/huitoukan-2021.toml: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
});

/// The handbook's repeating forms, compiled in: 家庭成员, 帮扶措施, 走访记录
/// (`forms/members-1.toml`, `measures-1.toml`, `visits-1.toml`), in the order
/// the household's file shows them.
pub const HANDBOOK_TOML: [(&str, &str); 3] = [
    ("forms/members-1.toml", include_str!("../../forms/members-1.toml")),
    ("forms/measures-1.toml", include_str!("../../forms/measures-1.toml")),
    ("forms/visits-1.toml", include_str!("../../forms/visits-1.toml")),
];

static HANDBOOK: LazyLock<Vec<&'static Form>> = LazyLock::new(|| {
    HANDBOOK_TOML
        .iter()
        .map(|(name, text)| match file::load(text) {
            Ok(form) => form,
            // Part of the program, loaded by a test: this cannot pass review.
            Err(problems) => panic!("{name}: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
        })
        .collect()
});

/// The handbook's repeating forms as shipped, in order (members, measures, visits).
pub fn handbook() -> &'static [&'static Form] {
    &HANDBOOK
}

/// The shipped handbook form with this id (`members`, `measures`, `visits`).
pub fn handbook_form(id: &str) -> Option<&'static Form> {
    handbook().iter().copied().find(|f| f.id == id)
}

/// The shipped look-back form (`forms/huitoukan-2021.toml`), loaded once.
pub fn shipped() -> &'static Form {
    &SHIPPED
}

/// Every field of the 监测对象“回头看”信息采集表, in the form's order: the
/// shipped form's fields (`for f in FIELDS`, `FIELDS.iter()`, `FIELDS[i]`).
pub static FIELDS: Fields = Fields;

/// See [`FIELDS`].
#[derive(Clone, Copy)]
pub struct Fields;

impl std::ops::Deref for Fields {
    type Target = [Field];
    fn deref(&self) -> &'static [Field] {
        shipped().fields
    }
}

impl IntoIterator for Fields {
    type Item = &'static Field;
    type IntoIter = std::slice::Iter<'static, Field>;
    fn into_iter(self) -> Self::IntoIter {
        shipped().fields.iter()
    }
}

/// The field with this code.
pub fn field(code: &str) -> Option<&'static Field> {
    shipped().field(code)
}

/// Position of a field in the form's order.
pub fn position(code: &str) -> Option<usize> {
    shipped().position(code)
}

/// Fields of one section, in order.
pub fn section_fields(section: Section) -> impl Iterator<Item = &'static Field> {
    shipped().section_fields(section)
}

/// Codes as screens list them: `D3、D4` for two, `D5至D10` for a run of more.
pub fn codes_label(codes: &[&str]) -> String {
    match codes {
        [] => String::new(),
        [one] => one.to_string(),
        [a, b] => format!("{a}、{b}"),
        [first, .., last] => format!("{first}至{last}"),
    }
}

/// The field that decides the branch of section D (A8).
pub fn branch_field() -> &'static str {
    shipped().branch_field
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_unique_and_in_order() {
        let codes: Vec<_> = FIELDS.iter().map(|f| f.code).collect();
        assert_eq!(codes.len(), 26);
        assert_eq!(codes.iter().collect::<HashSet<_>>().len(), codes.len());
        assert_eq!(codes.first(), Some(&"A1"));
        assert_eq!(codes.last(), Some(&"D10"));
        let mut last = Section::A;
        for f in FIELDS {
            assert!(f.section >= last, "{} out of section order", f.code);
            last = f.section;
        }
    }

    #[test]
    fn references_point_at_existing_fields() {
        for f in FIELDS {
            match f.kind {
                Kind::Multi { main, .. } => assert!(field(main).is_some(), "{}", f.code),
                Kind::Phones { names } => assert!(field(names).is_some(), "{}", f.code),
                _ => {}
            }
            for r in f.month_rules {
                if let MonthRule::NotBefore(other) = r {
                    assert!(field(other).is_some());
                }
            }
        }
    }

    #[test]
    fn branches() {
        let elim: Vec<_> = FIELDS.iter().filter(|f| f.branch == Branch::Eliminated).map(|f| f.code).collect();
        let not: Vec<_> = FIELDS.iter().filter(|f| f.branch == Branch::NotEliminated).map(|f| f.code).collect();
        assert_eq!(elim, ["D3", "D4"]);
        assert_eq!(not, ["D5", "D6", "D7", "D8", "D9", "D10"]);
    }

    /// form.md's tables, field by field: code, verbatim label, required.
    #[test]
    fn every_field_as_form_md_gives_it() {
        let want = [
            ("A1", "家庭地址", true),
            ("A2", "户主姓名", true),
            ("A3", "户主证件号码", true),
            ("A4", "家庭人口数", true),
            ("A5", "对象类别", true),
            ("A6", "主要的返致贫风险点", true),
            ("A7", "纳入系统时间", true),
            ("A8", "标注风险消除年月", false),
            ("B1", "是否有基本医疗未保障", true),
            ("B2", "是否有6-16周岁适龄儿童或少年因贫失学辍学", true),
            ("B3", "是否危房户", true),
            ("B4", "是否解决安全饮用水问题", true),
            ("C1", "该户是否为“新四类人员”家庭", true),
            ("C2", "估计该户2021年人均收入", true),
            ("C3", "该户的最主要收入来源", true),
            ("C4", "是否为收入骤减、支出骤增的严重困难户", true),
            ("D1", "监测责任人姓名", true),
            ("D2", "监测责任人联系电话", true),
            ("D3", "风险消除的最主要帮扶措施", true),
            ("D4", "其他帮扶措施", false),
            ("D5", "当前该户最主要的风险点", true),
            ("D6", "其他风险", false),
            ("D7", "家庭困难现状描述", true),
            ("D8", "已规划的主要帮扶措施", true),
            ("D9", "其他已规划帮扶措施", false),
            ("D10", "该户计划消除时限", true),
        ];
        let got: Vec<_> = FIELDS.iter().map(|f| (f.code, f.label, f.required)).collect();
        assert_eq!(got, want);
        for f in FIELDS {
            assert!(!f.hint.is_empty(), "{} has help", f.code);
            assert_eq!(position(f.code).map(|i| FIELDS[i].code), Some(f.code));
        }
        assert_eq!(field("D11").map(|f| f.code), None);
        assert_eq!(position("A0"), None);
    }

    #[test]
    fn kinds_limits_and_options() {
        use super::options::*;
        let kind = |c: &str| field(c).unwrap().kind;
        assert_eq!(kind("A1"), Kind::Text { min: 1, max: 100 });
        assert_eq!(kind("A2"), Kind::Text { min: 1, max: 20 });
        assert_eq!(kind("A3"), Kind::IdNumber);
        assert_eq!(kind("A4"), Kind::Integer { min: 1, max: 30, warn_above: Some(12) });
        assert_eq!(kind("D1"), Kind::Names { max: 3 });
        assert_eq!(kind("D2"), Kind::Phones { names: "D1" });
        assert_eq!(kind("D7"), Kind::LongText { min: 20, max: 2000 });
        for c in ["A7", "A8", "D10"] {
            assert_eq!(kind(c), Kind::Month, "{c}");
        }
        let opts = |c: &str| field(c).unwrap().options().map(|o| o.name);
        for (c, list) in [
            ("A5", CATEGORY.name),
            ("A6", ENROL_RISK.name),
            ("C2", INCOME_BRACKET.name),
            ("C3", INCOME_SOURCE.name),
            ("D3", MEASURE.name),
            ("D4", MEASURE.name),
            ("D5", CURRENT_RISK.name),
            ("D6", CURRENT_RISK.name),
            ("D8", MEASURE.name),
            ("D9", MEASURE.name),
        ] {
            assert_eq!(opts(c), Some(list), "{c}");
        }
        for c in ["B1", "B2", "B3", "B4", "C1", "C4"] {
            assert_eq!(kind(c), Kind::YesNo, "{c}");
            assert_eq!(opts(c), Some(YES_NO.name), "{c}");
        }
        for c in ["A1", "A3", "A4", "A7", "D1", "D2", "D7", "D10"] {
            assert_eq!(opts(c), None, "{c}");
        }
        let mains: Vec<_> = FIELDS
            .iter()
            .filter_map(|f| match f.kind {
                Kind::Multi { main, .. } => Some((f.code, main)),
                _ => None,
            })
            .collect();
        assert_eq!(mains, [("D4", "D3"), ("D6", "D5"), ("D9", "D8")]);
    }

    #[test]
    fn month_rules_sections_and_headings() {
        use MonthRule::*;
        let rules = |c: &str| field(c).unwrap().month_rules;
        assert_eq!(rules("A7"), [NotAfterReference]);
        assert_eq!(rules("A8"), [NotBefore("A7"), NotAfterReference]);
        assert_eq!(rules("D10"), [NotBeforeReference, WarnFarAfterReference]);
        let sizes: Vec<_> = Section::ALL.iter().map(|s| section_fields(*s).count()).collect();
        assert_eq!(sizes, [8, 4, 4, 10]);
        assert!(section_fields(Section::A).all(|f| f.is_prefilled()));
        assert!(FIELDS.iter().filter(|f| f.section != Section::A).all(|f| !f.is_prefilled()));
        assert_eq!(field("A1").unwrap().heading(), "A1 家庭地址");
        assert_eq!(field(branch_field()).unwrap().label, "标注风险消除年月");
        assert_eq!(Section::D.title(), "D. 帮扶措施情况");
        assert_eq!(Branch::Eliminated.label(), "风险已消除户");
        assert_eq!(Branch::NotEliminated.label(), "未消除风险户");
    }
}

#[cfg(test)]
mod handbook_tests {
    use super::*;

    /// shouce.md's tables, field by field: the shipped files give them.
    #[test]
    fn the_handbook_forms_are_as_shouce_md_gives_them() {
        let forms = handbook();
        let ids: Vec<_> = forms.iter().map(|f| (f.id, f.title, f.noun, f.repeating)).collect();
        assert_eq!(
            ids,
            [("members", "家庭成员", "成员", true), ("measures", "帮扶措施", "措施", true), ("visits", "走访记录", "走访", true)]
        );
        let labels = |id: &str| handbook_form(id).unwrap().fields.iter().map(|f| (f.label, f.required)).collect::<Vec<_>>();
        assert_eq!(
            labels("members"),
            [
                ("姓名", true),
                ("与户主关系", true),
                ("证件号码", true),
                ("健康状况", true),
                ("劳动技能", true),
                ("在校情况", true),
                ("参加医保", true),
                ("务工情况", false)
            ]
        );
        assert_eq!(
            labels("measures"),
            [
                ("措施类别", true),
                ("具体措施", true),
                ("开始年月", true),
                ("结束年月", false),
                ("责任单位", true),
                ("帮扶责任人", false),
                ("资金（元）", false),
                ("落实情况", true),
                ("成效", false)
            ]
        );
        assert_eq!(
            labels("visits"),
            [
                ("走访日期", true),
                ("走访人", true),
                ("方式", true),
                ("情况记录", true),
                ("发现的风险", false),
                ("下一步", false),
                ("下次走访", false)
            ]
        );
        // The measures and risks are the look-back form's, in the same order.
        let m = handbook_form("measures").unwrap().list("measure").unwrap();
        assert_eq!(m.labels, shipped().list("measure").unwrap().labels);
        let r = handbook_form("visits").unwrap().list("current_risk").unwrap();
        assert_eq!(r.labels, shipped().list("current_risk").unwrap().labels);
        for f in forms {
            assert!(f.fields.iter().all(|x| x.section == Section::Entry && x.branch == Branch::Always && !x.is_prefilled()));
            assert!(crate::form::registry::get(&f.reference()).is_some());
        }
        assert_eq!(handbook_form("visits").unwrap().field("V1").unwrap().kind, Kind::Date);
    }
}
