//! The look-back form as data: one entry per field, A1–D10.
//!
//! Everything else — the editor, validation, export columns, help — reads
//! this table. Adding a field is adding one entry here.

use super::options::{self, OptionList};

/// The four sections of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    A,
    B,
    C,
    D,
}

impl Section {
    pub const ALL: [Section; 4] = [Section::A, Section::B, Section::C, Section::D];

    pub fn title(self) -> &'static str {
        match self {
            Section::A => "A. 基础信息",
            Section::B => "B. 三保障及饮水安全情况",
            Section::C => "C. 收入情况",
            Section::D => "D. 帮扶措施情况",
        }
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
    pub fn label(self) -> &'static str {
        match self {
            Branch::Always => "",
            Branch::Eliminated => "风险已消除户",
            Branch::NotEliminated => "未消除风险户",
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
}

impl Field {
    /// `A1 家庭地址`: the export column header and the editor's label.
    pub fn heading(&self) -> String {
        format!("{} {}", self.code, self.label)
    }

    pub fn options(&self) -> Option<&'static OptionList> {
        match self.kind {
            Kind::Single(o) | Kind::Multi { options: o, .. } => Some(o),
            Kind::YesNo => Some(&options::YES_NO),
            _ => None,
        }
    }

    /// Section A comes from the roster and is read-only in the form.
    pub fn is_prefilled(&self) -> bool {
        self.section == Section::A
    }
}

use Kind::*;
use MonthRule::*;

macro_rules! field {
    ($code:literal, $label:literal, $section:ident, $kind:expr, $req:literal, $branch:ident, $hint:literal) => {
        field!($code, $label, $section, $kind, $req, $branch, $hint, [])
    };
    ($code:literal, $label:literal, $section:ident, $kind:expr, $req:literal, $branch:ident, $hint:literal, [$($rule:expr),*]) => {
        Field {
            code: $code,
            label: $label,
            hint: $hint,
            section: Section::$section,
            kind: $kind,
            required: $req,
            branch: Branch::$branch,
            month_rules: &[$($rule),*],
        }
    };
}

/// Every field of the 监测对象“回头看”信息采集表, in the form's order.
pub static FIELDS: &[Field] = &[
    field!("A1", "家庭地址", A, Text { min: 1, max: 100 }, true, Always, "监测对象当前实际居住的地址"),
    field!("A2", "户主姓名", A, Text { min: 1, max: 20 }, true, Always, "户主姓名，可以是户口簿上的户主姓名"),
    field!("A3", "户主证件号码", A, IdNumber, true, Always, "18位居民身份证号，或20位残疾证号（身份证号+残疾类别+残疾等级）"),
    field!(
        "A4",
        "家庭人口数",
        A,
        Integer { min: 1, max: 30, warn_above: Some(12) },
        true,
        Always,
        "家中实际共同生活、共同开支的家庭成员数量"
    ),
    field!("A5", "对象类别", A, Single(&options::CATEGORY), true, Always, "脱贫不稳定户（监测户）或边缘易致贫户（边缘户）"),
    field!("A6", "主要的返致贫风险点", A, Single(&options::ENROL_RISK), true, Always, "识别纳入系统时的主要风险点"),
    field!("A7", "纳入系统时间", A, Month, true, Always, "按规定流程识别录入系统的时间，精确到年月", [NotAfterReference]),
    field!(
        "A8",
        "标注风险消除年月",
        A,
        Month,
        false,
        Always,
        "在系统中标注风险消除的年月；未消除风险的为空",
        [NotBefore("A7"), NotAfterReference]
    ),
    field!("B1", "是否有基本医疗未保障", B, YesNo, true, Always, "居民医保和职工医保均未参加的为“是”（“是”表示有问题）"),
    field!(
        "B2",
        "是否有6-16周岁适龄儿童或少年因贫失学辍学",
        B,
        YesNo,
        true,
        Always,
        "有应上学的6-16周岁儿童少年失学辍学的为“是”（“是”表示有问题）"
    ),
    field!("B3", "是否危房户", B, YesNo, true, Always, "仍住危房的为“是”（“是”表示有问题）"),
    field!("B4", "是否解决安全饮用水问题", B, YesNo, true, Always, "从水质、水量、用水方便程度和供水保证率四方面看；“是”表示已解决"),
    field!("C1", "该户是否为“新四类人员”家庭", C, YesNo, true, Always, "家中有购买小轿车、商品房，经商办企业，机关企事业公职人员的为“是”"),
    field!(
        "C2",
        "估计该户2021年人均收入",
        C,
        Single(&options::INCOME_BRACKET),
        true,
        Always,
        "通过面访和实地查看，估算2021年家庭年人均收入所处范围"
    ),
    field!("C3", "该户的最主要收入来源", C, Single(&options::INCOME_SOURCE), true, Always, "家庭收入中占比最大的一类"),
    field!("C4", "是否为收入骤减、支出骤增的严重困难户", C, YesNo, true, Always, "已影响基本生活、有严重返贫致贫风险的为“是”"),
    field!("D1", "监测责任人姓名", D, Names { max: 3 }, true, Always, "每户至少确定一名监测责任人，最多3名"),
    field!("D2", "监测责任人联系电话", D, Phones { names: "D1" }, true, Always, "每名责任人一个电话：11位手机号或带区号的固定电话"),
    field!(
        "D3",
        "风险消除的最主要帮扶措施",
        D,
        Single(&options::MEASURE),
        true,
        Eliminated,
        "风险已消除户：使风险消除的最主要措施（单选）"
    ),
    field!(
        "D4",
        "其他帮扶措施",
        D,
        Multi { options: &options::MEASURE, main: "D3" },
        false,
        Eliminated,
        "风险已消除户：其他帮扶措施（可多选，不含D3已选的）"
    ),
    field!(
        "D5",
        "当前该户最主要的风险点",
        D,
        Single(&options::CURRENT_RISK),
        true,
        NotEliminated,
        "未消除风险户：当前最主要的风险点（单选）"
    ),
    field!(
        "D6",
        "其他风险",
        D,
        Multi { options: &options::CURRENT_RISK, main: "D5" },
        false,
        NotEliminated,
        "未消除风险户：其他风险（可多选，不含D5已选的）"
    ),
    field!(
        "D7",
        "家庭困难现状描述",
        D,
        LongText { min: 20, max: 2000 },
        true,
        NotEliminated,
        "结合风险点简要描述家庭目前的主要困难，20-2000字"
    ),
    field!("D8", "已规划的主要帮扶措施", D, Single(&options::MEASURE), true, NotEliminated, "未消除风险户：已规划的主要帮扶措施（单选）"),
    field!(
        "D9",
        "其他已规划帮扶措施",
        D,
        Multi { options: &options::MEASURE, main: "D8" },
        false,
        NotEliminated,
        "未消除风险户：其他已规划措施（可多选，不含D8已选的）"
    ),
    field!(
        "D10",
        "该户计划消除时限",
        D,
        Month,
        true,
        NotEliminated,
        "预计该户消除风险的年月，不早于统计时点所在月",
        [NotBeforeReference, WarnFarAfterReference]
    ),
];

/// The field with this code.
pub fn field(code: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.code == code)
}

/// Position of a field in the form's order.
pub fn position(code: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.code == code)
}

/// Fields of one section, in order.
pub fn section_fields(section: Section) -> impl Iterator<Item = &'static Field> {
    FIELDS.iter().filter(move |f| f.section == section)
}

/// The field that decides the branch of section D.
pub const BRANCH_FIELD: &str = "A8";

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
        assert_eq!(field(BRANCH_FIELD).unwrap().label, "标注风险消除年月");
        assert_eq!(Section::D.title(), "D. 帮扶措施情况");
        assert_eq!(Branch::Eliminated.label(), "风险已消除户");
        assert_eq!(Branch::NotEliminated.label(), "未消除风险户");
    }
}
