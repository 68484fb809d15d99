//! Answer values and the small value types the form uses.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar month (年月). Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct YearMonth {
    pub year: u16,
    pub month: u8,
}

impl YearMonth {
    pub fn new(year: u16, month: u8) -> Option<Self> {
        if (1900..=2200).contains(&year) && (1..=12).contains(&month) {
            Some(Self { year, month })
        } else {
            None
        }
    }

    /// Months since year 0, for differences.
    pub fn index(self) -> i32 {
        self.year as i32 * 12 + (self.month as i32 - 1)
    }

    pub fn months_until(self, later: YearMonth) -> i32 {
        later.index() - self.index()
    }

    /// Quarter label such as `2021Q2`.
    pub fn quarter(self) -> String {
        format!("{}Q{}", self.year, (self.month - 1) / 3 + 1)
    }

    /// Parses what clerks and roster files write: `202104`, `2021-04`,
    /// `2021/4`, `2021.4`, `2021年4月`, `2021-04-01` (day ignored), with
    /// full-width digits. Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let t = normalize_ascii(text);
        let t = t.trim();
        if t.is_empty() {
            return None;
        }
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            let y = t[..4].parse().ok()?;
            let m = t[4..].parse().ok()?;
            return Self::new(y, m);
        }
        if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
            // 20210401: a full date; keep the month.
            let y = t[..4].parse().ok()?;
            let m = t[4..6].parse().ok()?;
            let d: u32 = t[6..].parse().ok()?;
            chrono::NaiveDate::from_ymd_opt(y as i32, m as u32, d)?;
            return Self::new(y, m);
        }
        let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        if parts[0].len() != 4 || parts[1].len() > 2 {
            return None;
        }
        let y = parts[0].parse().ok()?;
        let m = parts[1].parse().ok()?;
        if parts.len() == 3 {
            let d: u32 = parts[2].parse().ok()?;
            chrono::NaiveDate::from_ymd_opt(y as i32, m as u32, d)?;
        }
        Self::new(y, m)
    }

    /// The month of an Excel serial date (days since 1899-12-30).
    pub fn from_excel_serial(serial: f64) -> Option<Self> {
        if !(1.0..2_958_466.0).contains(&serial) {
            return None;
        }
        let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
        let d = base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))?;
        use chrono::Datelike;
        Self::new(d.year() as u16, d.month() as u8)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A calendar day (年月日). Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Day {
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        YearMonth::new(year, month)?;
        chrono::NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)?;
        Some(Day { year, month, day })
    }

    pub fn month(self) -> YearMonth {
        YearMonth { year: self.year, month: self.month }
    }

    pub fn from_naive(d: chrono::NaiveDate) -> Option<Self> {
        use chrono::Datelike;
        Day::new(u16::try_from(d.year()).ok()?, d.month() as u8, d.day() as u8)
    }

    pub fn naive(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year as i32, self.month as u32, self.day as u32).unwrap_or_default()
    }

    /// Today, in local time.
    pub fn today() -> Self {
        Day::from_naive(chrono::Local::now().date_naive()).unwrap_or(Day { year: 2021, month: 1, day: 1 })
    }

    /// Parses `2021-04-08`, `20210408`, `2021/4/8`, `2021.4.8`, `2021年4月8日`
    /// (full-width digits too). `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let t = normalize_ascii(text);
        let t = t.trim().trim_end_matches('日');
        if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
            return Day::new(t[..4].parse().ok()?, t[4..6].parse().ok()?, t[6..].parse().ok()?);
        }
        let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月']).collect();
        if parts.len() != 3 || parts[0].len() != 4 || parts[1].is_empty() || parts[1].len() > 2 || parts[2].is_empty() || parts[2].len() > 2
        {
            return None;
        }
        Day::new(parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An answer to one field. Choices are indexes into the field's option list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    Text(String),
    Int(i64),
    /// 是 = true, 否 = false.
    Bool(bool),
    Choice(u16),
    Multi(Vec<u16>),
    Month(YearMonth),
    /// Up to three short texts (D1 names, D2 phones; the i-th phone belongs to the i-th name).
    List(Vec<String>),
    /// A calendar day (a visit's 走访日期). Added after the others: stored
    /// records keep their variant indexes.
    Date(Day),
}

impl Value {
    /// True when the value carries no answer (empty text, no choices, empty list).
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Text(s) => s.trim().is_empty(),
            Value::Multi(v) => v.is_empty(),
            Value::List(v) => v.iter().all(|s| s.trim().is_empty()),
            _ => false,
        }
    }
}

/// Full-width ASCII (U+FF01..U+FF5E) and the ideographic space to ASCII.
pub fn normalize_ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Counts characters as the notice does: one per Unicode scalar, surrounding
/// whitespace not counted.
pub fn char_count(text: &str) -> usize {
    text.trim().chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_month_forms() {
        let ym = YearMonth::new(2021, 3).unwrap();
        for s in ["202103", "2021-03", "2021/3", "2021年3月", "2021.3", "２０２１年３月", " 2021-3 ", "2021-03-15", "20210315"] {
            assert_eq!(YearMonth::parse(s), Some(ym), "{s}");
        }
        for s in ["", "2021", "202113", "2021-00", "21-03", "2021-02-30", "三月", "2021年", "abc"] {
            assert_eq!(YearMonth::parse(s), None, "{s}");
        }
        assert_eq!(ym.to_string(), "2021-03");
        assert!(YearMonth::new(2021, 4).unwrap() > ym);
        assert_eq!(ym.quarter(), "2021Q1");
    }

    #[test]
    fn excel_serial_dates() {
        // 44287 = 2021-04-01 in Excel's 1900 system.
        assert_eq!(YearMonth::from_excel_serial(44287.0), YearMonth::new(2021, 4));
        assert_eq!(YearMonth::from_excel_serial(-3.0), None);
    }

    #[test]
    fn counting_and_normalising() {
        assert_eq!(char_count("  张三家 \n"), 3);
        assert_eq!(normalize_ascii("５００２４３ｘ"), "500243x");
        assert!(Value::Text("  ".into()).is_blank());
        assert!(!Value::Bool(false).is_blank());
    }

    #[test]
    fn year_month_bounds_and_arithmetic() {
        assert_eq!(YearMonth::new(1899, 12), None);
        assert_eq!(YearMonth::new(2201, 1), None);
        assert_eq!(YearMonth::new(2021, 0), None);
        assert_eq!(YearMonth::new(2021, 13), None);
        let apr = YearMonth::new(2021, 4).unwrap();
        assert_eq!(apr.months_until(YearMonth::new(2024, 4).unwrap()), 36);
        assert_eq!(apr.months_until(YearMonth::new(2020, 12).unwrap()), -4);
        assert_eq!(YearMonth::new(2021, 12).unwrap().index() + 1, YearMonth::new(2022, 1).unwrap().index());
        let quarters: Vec<_> = (1..=12).map(|m| YearMonth::new(2021, m).unwrap().quarter()).collect();
        assert_eq!(quarters[..4], ["2021Q1", "2021Q1", "2021Q1", "2021Q2"]);
        assert_eq!(quarters[11], "2021Q4");
        assert_eq!(YearMonth::new(1990, 1).unwrap().to_string(), "1990-01");
    }

    #[test]
    fn year_month_more_written_forms() {
        let apr = YearMonth::new(2021, 4);
        for s in ["2021年04月", "2021年4月1日", "2021.04.01", "2021/04/30", "２０２１－０４"] {
            assert_eq!(YearMonth::parse(s), apr, "{s}");
        }
        for s in ["2021/4/31", "20210431", "2021-4-1-1", "4/2021", "2021-123", "1899-12"] {
            assert_eq!(YearMonth::parse(s), None, "{s}");
        }
    }

    #[test]
    fn blank_values_of_every_variant() {
        assert!(Value::Text("\u{3000} \n".into()).is_blank(), "ideographic space");
        assert!(Value::Multi(vec![]).is_blank());
        assert!(!Value::Multi(vec![0]).is_blank());
        assert!(Value::List(vec![]).is_blank());
        assert!(Value::List(vec![" ".into(), String::new()]).is_blank());
        assert!(!Value::List(vec![String::new(), "李四".into()]).is_blank());
        for v in [Value::Int(0), Value::Bool(false), Value::Choice(0), Value::Month(YearMonth::new(2021, 4).unwrap())] {
            assert!(!v.is_blank(), "{v:?}");
        }
    }

    #[test]
    fn characters_not_bytes() {
        assert_eq!(char_count("阿卜杜·热合曼"), 7);
        assert_eq!(char_count("ab汉字12"), 6);
        assert_eq!(char_count("\u{3000}困难\u{3000}"), 2, "full-width spaces around are trimmed");
        assert_eq!(char_count("困 难"), 3, "inner spaces count");
        assert_eq!(normalize_ascii("ＡＢ　１－２"), "AB 1-2");
    }
}

#[cfg(test)]
mod day_tests {
    use super::Day;

    #[test]
    fn days_parse_as_clerks_write_them() {
        let d = Day::new(2021, 4, 8).unwrap();
        for s in ["2021-04-08", "20210408", "2021/4/8", "2021.4.8", "2021年4月8日", "２０２１-０４-０８"] {
            assert_eq!(Day::parse(s), Some(d), "{s}");
        }
        for s in ["2021-02-30", "2021-13-01", "202104", "2021-04", "", "明天", "2021-4-8-1"] {
            assert_eq!(Day::parse(s), None, "{s}");
        }
        assert_eq!(d.to_string(), "2021-04-08");
        assert!(Day::new(2021, 4, 9).unwrap() > d);
    }
}
