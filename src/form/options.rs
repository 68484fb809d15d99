//! Option lists of the form, with the notice's verbatim Chinese labels.
//!
//! The lists are data (`[lists.*]` of `forms/huitoukan-2021.toml`), in the
//! notice's order; the statics here name them for code. Answers store the
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

/// One of the shipped form's option lists, by name (`forms/huitoukan-2021.toml`,
/// `[lists.NAME]`): derefs to the [`OptionList`], so `MEASURE.label(i)` and
/// `&*MEASURE` work as on a static list.
pub struct ListRef(pub &'static str);

impl std::ops::Deref for ListRef {
    type Target = OptionList;
    fn deref(&self) -> &'static OptionList {
        match super::schema::shipped().list(self.0) {
            Some(l) => l,
            // The shipped file is part of the program; a test resolves every list.
            None => panic!("forms/huitoukan-2021.toml has no list `{}`", self.0),
        }
    }
}

/// A5 对象类别.
pub static CATEGORY: ListRef = ListRef("category");
pub const CATEGORY_UNSTABLE: u16 = 0;
pub const CATEGORY_MARGINAL: u16 = 1;

/// A6 主要的返致贫风险点 (the enrolment list).
pub static ENROL_RISK: ListRef = ListRef("enrol_risk");

/// C2 估计该户2021年人均收入.
pub static INCOME_BRACKET: ListRef = ListRef("income_bracket");
pub const INCOME_BELOW_LINE: u16 = 0;

/// C3 该户的最主要收入来源.
pub static INCOME_SOURCE: ListRef = ListRef("income_source");

/// Assistance measures (帮扶措施): D3, D4, D8, D9.
pub static MEASURE: ListRef = ListRef("measure");

/// Current risks (风险点): D5, D6. Differs from A6 on purpose.
pub static CURRENT_RISK: ListRef = ListRef("current_risk");

/// 是/否 for yes/no questions (index 0 = 是, 1 = 否 in key order).
pub static YES_NO: ListRef = ListRef("yes_no");

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

    fn all() -> [&'static OptionList; 7] {
        [&CATEGORY, &ENROL_RISK, &INCOME_BRACKET, &INCOME_SOURCE, &MEASURE, &CURRENT_RISK, &YES_NO].map(|l| &**l)
    }

    /// Every list the code names is in the shipped file, and nothing else is.
    #[test]
    fn every_named_list_is_in_the_shipped_file() {
        let names: Vec<_> = all().iter().map(|l| l.name).collect();
        let mut file: Vec<_> = super::super::schema::shipped().lists.iter().map(|l| l.name).collect();
        file.sort_unstable();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(file, sorted);
        assert_eq!(names, ["category", "enrol_risk", "income_bracket", "income_source", "measure", "current_risk", "yes_no"]);
    }

    #[test]
    fn every_label_short_form_and_alias_parses_back_to_its_index() {
        for list in all() {
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
