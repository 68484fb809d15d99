//! Option lists of the form, with the notice's verbatim Chinese labels.
//!
//! Each list is a static slice in the notice's order; answers store the
//! option's index into its list. The order is part of the stored format:
//! append new options, never reorder (bump the store format otherwise).

/// One option list: a stable English name (used in code and docs) and the
/// Chinese labels shown to the clerk.
#[derive(Debug, PartialEq, Eq)]
pub struct OptionList {
    pub name: &'static str,
    pub labels: &'static [&'static str],
    /// Accepted alternative spellings, as (alias, index).
    pub aliases: &'static [(&'static str, u16)],
    /// Short form for narrow screens, same order as `labels` (or empty).
    pub short: &'static [&'static str],
}

impl OptionList {
    pub fn label(&self, idx: u16) -> Option<&'static str> {
        self.labels.get(idx as usize).copied()
    }

    pub fn short_label(&self, idx: u16) -> Option<&'static str> {
        self.short.get(idx as usize).copied().or_else(|| self.label(idx))
    }

    /// Finds an option by its label, short form or alias (after trimming).
    pub fn parse(&self, text: &str) -> Option<u16> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Some(i) = self.labels.iter().position(|l| *l == t) {
            return Some(i as u16);
        }
        if let Some(i) = self.short.iter().position(|l| *l == t) {
            return Some(i as u16);
        }
        self.aliases.iter().find(|(a, _)| *a == t).map(|(_, i)| *i)
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// "、"-joined list of the accepted labels, for messages.
    pub fn accepted(&self) -> String {
        self.labels.join("、")
    }
}

/// A5 对象类别.
pub static CATEGORY: OptionList =
    OptionList {
        name: "category", labels: &["脱贫不稳定户", "边缘易致贫户"], aliases: &[], short: &["监测户", "边缘户"]
    };
pub const CATEGORY_UNSTABLE: u16 = 0;
pub const CATEGORY_MARGINAL: u16 = 1;

/// A6 主要的返致贫风险点 (the enrolment list).
pub static ENROL_RISK: OptionList = OptionList {
    name: "enrol_risk",
    labels: &["因大病", "因学", "因残", "因突发事件", "因灾", "因产业失败", "因就业不稳", "其他"],
    aliases: &[("因病", 0)],
    short: &[],
};

/// C2 估计该户2021年人均收入.
pub static INCOME_BRACKET: OptionList =
    OptionList {
        name: "income_bracket", labels: &["6000元以下", "6000-9000元", "9000-13500元", "13500元以上"], aliases: &[], short: &[]
    };
pub const INCOME_BELOW_LINE: u16 = 0;

/// C3 该户的最主要收入来源.
pub static INCOME_SOURCE: OptionList = OptionList {
    name: "income_source",
    labels: &["外出务工", "发展产业", "低保、特困、养老金收入等综合保障性类转移性收入"],
    aliases: &[],
    short: &["外出务工", "发展产业", "综合保障性转移收入"],
};

/// Assistance measures (帮扶措施): D3, D4, D8, D9.
pub static MEASURE: OptionList = OptionList {
    name: "measure",
    labels: &[
        "产业帮扶",
        "就业帮扶",
        "金融帮扶",
        "生态帮扶",
        "公益岗位帮扶",
        "教育帮扶",
        "健康帮扶",
        "生活条件改善",
        "基础设施建设",
        "综合保障",
        "扶志扶智",
    ],
    aliases: &[],
    short: &[],
};

/// Current risks (风险点): D5, D6. Differs from A6 on purpose.
pub static CURRENT_RISK: OptionList = OptionList {
    name: "current_risk",
    labels: &["因病", "因学", "因残", "缺劳动力", "自身发展动力不足", "因自然灾害", "因意外事故", "因疫情", "因产业失败", "因就业不稳"],
    aliases: &[],
    short: &[],
};

/// 是/否 for yes/no questions (index 0 = 是, 1 = 否 in key order).
pub static YES_NO: OptionList =
    OptionList { name: "yes_no", labels: &["是", "否"], aliases: &[("Y", 0), ("y", 0), ("N", 1), ("n", 1)], short: &[] };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_labels_short_and_aliases() {
        assert_eq!(CATEGORY.parse(" 监测户 "), Some(CATEGORY_UNSTABLE));
        assert_eq!(CATEGORY.parse("边缘易致贫户"), Some(CATEGORY_MARGINAL));
        assert_eq!(CATEGORY.parse("贫困户"), None);
        assert_eq!(ENROL_RISK.parse("因病"), Some(0));
        assert_eq!(MEASURE.len(), 11);
        assert_eq!(CURRENT_RISK.len(), 10);
        assert_eq!(MEASURE.label(10), Some("扶志扶智"));
    }

    const ALL: [&OptionList; 7] = [&CATEGORY, &ENROL_RISK, &INCOME_BRACKET, &INCOME_SOURCE, &MEASURE, &CURRENT_RISK, &YES_NO];

    #[test]
    fn every_label_short_form_and_alias_parses_back_to_its_index() {
        for list in ALL {
            assert!(!list.is_empty(), "{}", list.name);
            assert!(list.short.is_empty() || list.short.len() == list.len(), "{}: short forms", list.name);
            for i in 0..list.len() as u16 {
                let label = list.label(i).unwrap();
                assert_eq!(list.parse(label), Some(i), "{}: {label}", list.name);
                assert_eq!(list.parse(&format!(" {label}\t")), Some(i), "{}: trimmed", list.name);
                let short = list.short_label(i).unwrap();
                assert_eq!(list.parse(short), Some(i), "{}: {short}", list.name);
            }
            for (alias, i) in list.aliases {
                assert!(list.label(*i).is_some(), "{}: alias {alias} out of range", list.name);
                assert_eq!(list.parse(alias), Some(*i), "{}: {alias}", list.name);
            }
            let n = list.len() as u16;
            assert_eq!(list.label(n), None);
            assert_eq!(list.short_label(n), None);
            assert_eq!(list.parse(""), None);
            assert_eq!(list.parse("   "), None);
        }
    }

    #[test]
    fn labels_are_the_notices_in_its_order() {
        assert_eq!(CATEGORY.accepted(), "脱贫不稳定户、边缘易致贫户");
        assert_eq!(ENROL_RISK.accepted(), "因大病、因学、因残、因突发事件、因灾、因产业失败、因就业不稳、其他");
        assert_eq!(INCOME_BRACKET.accepted(), "6000元以下、6000-9000元、9000-13500元、13500元以上");
        assert_eq!(INCOME_SOURCE.labels[2], "低保、特困、养老金收入等综合保障性类转移性收入");
        assert_eq!(
            MEASURE.accepted(),
            "产业帮扶、就业帮扶、金融帮扶、生态帮扶、公益岗位帮扶、教育帮扶、健康帮扶、生活条件改善、基础设施建设、综合保障、扶志扶智"
        );
        assert_eq!(
            CURRENT_RISK.accepted(),
            "因病、因学、因残、缺劳动力、自身发展动力不足、因自然灾害、因意外事故、因疫情、因产业失败、因就业不稳"
        );
        assert_eq!(INCOME_BRACKET.label(INCOME_BELOW_LINE), Some("6000元以下"));
        assert_eq!(CATEGORY.short_label(CATEGORY_UNSTABLE), Some("监测户"));
        assert_eq!(CATEGORY.short_label(CATEGORY_MARGINAL), Some("边缘户"));
        // Multi-choice answers are split on 、: no label of theirs may contain one.
        assert!(MEASURE.labels.iter().chain(CURRENT_RISK.labels).all(|l| !l.contains('、')));
    }

    #[test]
    fn yes_no_spellings() {
        for (t, i) in [("是", 0), ("否", 1), ("y", 0), ("Y", 0), ("n", 1), ("N", 1)] {
            assert_eq!(YES_NO.parse(t), Some(i), "{t}");
        }
        assert_eq!(YES_NO.parse("不知道"), None);
        // A6's list says 因大病; clerks write 因病 (the D5 word) and mean the same.
        assert_eq!(ENROL_RISK.parse("因病"), ENROL_RISK.parse("因大病"));
        assert_eq!(INCOME_SOURCE.parse("综合保障性转移收入"), Some(2));
    }
}
