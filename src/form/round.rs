//! A survey round (统计调查时点/时期): data, not constants.

use super::value::YearMonth;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// Human name of the round, e.g. `2021年回头看`.
    pub name: String,
    /// 统计调查时点 (2021-04-20 24:00 is stored as 2021-04-21 00:00).
    pub reference: NaiveDateTime,
    /// 统计调查时期, inclusive dates.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Income lines in 元 per person per year: monitoring floor, low-income
    /// line, lifted-household average. The C2 warnings say them; C2's
    /// brackets are the notice's labels, which must agree (checked by
    /// [`Round::c2_disagreement`] and its test).
    pub income_lines: [u32; 3],
    /// Year the C2 income estimate is about (C2's question says it).
    pub income_year: u16,
    /// A planned elimination month more than this many months after the
    /// reference month is flagged.
    pub plan_warn_months: i32,
}

impl Round {
    /// The 2021 look-back round of the notice.
    pub fn default_2021() -> Self {
        Self {
            name: "2021年防止返贫监测回头看".into(),
            reference: NaiveDate::from_ymd_opt(2021, 4, 21).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("valid constant date"),
            period_start: NaiveDate::from_ymd_opt(2020, 4, 21).expect("valid constant date"),
            period_end: NaiveDate::from_ymd_opt(2021, 4, 20).expect("valid constant date"),
            income_lines: [6000, 9000, 13500],
            income_year: 2021,
            plan_warn_months: 36,
        }
    }

    /// The month the reference moment falls in (20 April 24:00 is still April).
    pub fn reference_month(&self) -> YearMonth {
        let last_day = self.period_end;
        use chrono::Datelike;
        YearMonth::new(last_day.year() as u16, last_day.month() as u8).expect("valid round date")
    }

    /// `2021年4月20日24时`, as the notice writes the reference moment.
    pub fn reference_label(&self) -> String {
        use chrono::Datelike;
        let e = self.period_end;
        format!("{}年{}月{}日24时", e.year(), e.month(), e.day())
    }
}

impl Round {
    /// Where this round's income lines or year differ from what C2's
    /// question and brackets say (they are the notice's fixed text), in
    /// Chinese; `None` when they agree.
    pub fn c2_disagreement(&self) -> Option<String> {
        let c2 = super::schema::field("C2")?;
        let labels = super::options::INCOME_BRACKET.labels;
        let [floor, low, lifted] = self.income_lines;
        let want = [format!("{floor}元以下"), format!("{floor}-{low}元"), format!("{low}-{lifted}元"), format!("{lifted}元以上")];
        let brackets_agree = labels.len() == want.len() && labels.iter().zip(&want).all(|(l, w)| *l == w);
        let year_agrees = c2.label.contains(&format!("{}年", self.income_year));
        (!brackets_agree || !year_agrees).then(|| {
            format!("本轮的收入线 {floor}/{low}/{lifted} 元或年份 {} 与采集表C2的选项（{}）不一致", self.income_year, labels.join("、"))
        })
    }
}

impl Default for Round {
    fn default() -> Self {
        Self::default_2021()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_month_is_april_2021() {
        let r = Round::default();
        assert_eq!(r.reference_month(), YearMonth::new(2021, 4).unwrap());
        assert_eq!(r.reference_label(), "2021年4月20日24时");
        assert_eq!(r.income_lines, [6000, 9000, 13500]);
    }

    #[test]
    fn income_lines_and_year_are_what_c2_and_its_warnings_say() {
        let r = Round::default();
        assert_eq!(r.c2_disagreement(), None);
        let other = Round { income_lines: [6500, 9500, 14000], ..Round::default() };
        assert!(other.c2_disagreement().is_some_and(|m| m.contains("6500/9500/14000")));
        let other_year = Round { income_year: 2022, ..Round::default() };
        assert!(other_year.c2_disagreement().is_some());
        // The C2 warnings say the round's lines, not a constant.
        let rule = crate::form::rules::CROSS_RULES.iter().find(|c| c.id == "eliminated_low_income").unwrap();
        assert!(rule.message_for(&r).contains("6000元以下"));
        assert!(rule.message_for(&other).contains("6500元以下"));
        for c in crate::form::rules::CROSS_RULES {
            assert!(!c.message_for(&r).contains('{'), "{}: placeholder left: {}", c.id, c.message_for(&r));
        }
    }

    #[test]
    fn period_and_plan_limit_of_2021() {
        let r = Round::default_2021();
        assert_eq!(r.period_start, NaiveDate::from_ymd_opt(2020, 4, 21).unwrap());
        assert_eq!(r.period_end, NaiveDate::from_ymd_opt(2021, 4, 20).unwrap());
        assert_eq!(r.reference, NaiveDate::from_ymd_opt(2021, 4, 21).unwrap().and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(r.income_year, 2021);
        assert_eq!(r.plan_warn_months, 36);
        assert_eq!(Round::default(), r);
    }

    #[test]
    fn a_later_round_is_just_other_data() {
        let r = Round {
            name: "2022年回头看".into(),
            reference: NaiveDate::from_ymd_opt(2022, 7, 1).unwrap().and_hms_opt(0, 0, 0).unwrap(),
            period_start: NaiveDate::from_ymd_opt(2021, 7, 1).unwrap(),
            period_end: NaiveDate::from_ymd_opt(2022, 6, 30).unwrap(),
            income_lines: [6500, 9500, 14000],
            income_year: 2022,
            plan_warn_months: 24,
        };
        assert_eq!(r.reference_month(), YearMonth::new(2022, 6).unwrap());
        assert_eq!(r.reference_label(), "2022年6月30日24时");
    }
}
