//! The B4 drinking-water helper: the notice's four aspects (水量, 水质,
//! 方便程度, 供水保证率), each 达标 / 基本达标 / 不达标, and the 是/否 they
//! suggest. The thresholds are the table [`STANDARD`]; the assessment knows
//! nothing of screens.

use crate::form::value::normalize_ascii;
use tui_textarea::TextArea;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Failed,
    Basic,
    Met,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Failed => "不达标",
            Level::Basic => "基本达标",
            Level::Met => "达标",
        }
    }
}

/// One measured aspect: `met` or better is 达标, `basic` or better 基本达标.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub met: f64,
    pub basic: f64,
    /// Times and distances: smaller is better.
    pub lower_is_better: bool,
}

impl Limit {
    pub fn level(&self, v: f64) -> Level {
        let ok = |limit: f64| if self.lower_is_better { v <= limit } else { v >= limit };
        if ok(self.met) {
            Level::Met
        } else if ok(self.basic) {
            Level::Basic
        } else {
            Level::Failed
        }
    }
}

/// The 农村饮水安全 thresholds the notice quotes (附件2, B4).
#[derive(Debug)]
pub struct WaterStandard {
    /// Litres per person per day.
    pub quantity: Limit,
    /// Round trip to fetch water, minutes.
    pub minutes: Limit,
    /// Horizontal and vertical distance to the water, metres (both must hold).
    pub distance: Limit,
    pub vertical: Limit,
    /// Supply reliability, percent.
    pub reliability: Limit,
    /// Water quality by supply situation, numbered from 1 in the panel.
    pub quality: &'static [(&'static str, Level)],
}

pub static STANDARD: WaterStandard = WaterStandard {
    quantity: Limit { met: 60.0, basic: 35.0, lower_is_better: false },
    minutes: Limit { met: 10.0, basic: 20.0, lower_is_better: true },
    distance: Limit { met: 400.0, basic: 800.0, lower_is_better: true },
    vertical: Limit { met: 40.0, basic: 80.0, lower_is_better: true },
    reliability: Limit { met: 95.0, basic: 90.0, lower_is_better: false },
    quality: &[
        ("千吨万人供水工程，符合生活饮用水卫生标准", Level::Met),
        ("小型集中供水工程，符合农村供水水质宽限规定", Level::Met),
        ("分散供水，无肉眼可见杂质、无异色异味、长期饮用无不良反应", Level::Basic),
        ("以上都不符合", Level::Failed),
    ],
};

/// What the clerk saw; `None` where nothing was entered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readings {
    pub quantity: Option<f64>,
    /// 0-based index into [`WaterStandard::quality`].
    pub quality: Option<usize>,
    pub minutes: Option<f64>,
    pub distance: Option<f64>,
    pub vertical: Option<f64>,
    pub reliability: Option<f64>,
}

/// The four aspects' levels (`None`: not enough entered) and the suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub aspects: [(&'static str, Option<Level>); 4],
    /// `Some(true)` = B4 是 (solved), `Some(false)` = 否; `None` until every aspect is known.
    pub suggestion: Option<bool>,
    /// Why, in Chinese: the aspects that failed or are missing.
    pub reason: String,
}

/// Judges the readings: every aspect at least 基本达标 means solved.
pub fn assess(r: &Readings, s: &WaterStandard) -> Assessment {
    let quantity = r.quantity.map(|v| s.quantity.level(v));
    let quality = r.quality.and_then(|i| s.quality.get(i)).map(|(_, l)| *l);
    // 往返时间, or 水平距离 together with 垂直距离 (left empty: level ground).
    let by_time = r.minutes.map(|v| s.minutes.level(v));
    let by_distance = r.distance.map(|d| s.distance.level(d).min(s.vertical.level(r.vertical.unwrap_or(0.0))));
    let convenience = by_time.max(by_distance);
    let reliability = r.reliability.map(|v| s.reliability.level(v));
    let aspects = [("水量", quantity), ("水质", quality), ("方便程度", convenience), ("供水保证率", reliability)];
    let missing: Vec<&str> = aspects.iter().filter(|(_, l)| l.is_none()).map(|(n, _)| *n).collect();
    // What was seen, for the aspects that failed.
    let seen = [
        r.quantity.map(|v| format!("每人每天{v}升，不到{}升", s.quantity.basic)),
        None,
        match (r.minutes, r.distance) {
            (Some(m), _) => Some(format!("往返{m}分钟，超过{}分钟", s.minutes.basic)),
            (None, Some(d)) => Some(format!("水平{d}米、垂直{}米", r.vertical.unwrap_or(0.0))),
            (None, None) => None,
        },
        r.reliability.map(|v| format!("{v}%，不到{}%", s.reliability.basic)),
    ];
    let failed: Vec<String> = aspects
        .iter()
        .zip(seen)
        .filter(|((_, l), _)| *l == Some(Level::Failed))
        .map(|((n, _), d)| match d {
            Some(d) => format!("{n}（{d}）"),
            None => n.to_string(),
        })
        .collect();
    let (suggestion, reason) = if !failed.is_empty() {
        (Some(false), format!("不达标：{}，建议B4填“否”", failed.join("、")))
    } else if !missing.is_empty() {
        (None, format!("还缺：{}", missing.join("、")))
    } else {
        (Some(true), "四个方面都达到基本达标及以上，建议B4填“是”".to_string())
    };
    Assessment { aspects, suggestion, reason }
}

/// The panel's rows: label and what the row takes.
pub const ROWS: [&str; 6] =
    ["水量（升/人/天）", "水质（填序号1至4）", "往返取水时间（分钟）", "取水水平距离（米）", "取水垂直距离（米）", "供水保证率（%）"];

/// The helper's inputs, one line each.
pub struct WaterPanel {
    pub rows: Vec<TextArea<'static>>,
    pub active: usize,
}

impl Default for WaterPanel {
    fn default() -> Self {
        WaterPanel { rows: ROWS.iter().map(|_| TextArea::default()).collect(), active: 0 }
    }
}

impl WaterPanel {
    pub fn readings(&self) -> Readings {
        let num = |i: usize| {
            let t = normalize_ascii(&self.rows[i].lines().join(""));
            t.trim().trim_end_matches('%').parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
        };
        Readings {
            quantity: num(0),
            quality: num(1).filter(|v| v.fract() == 0.0 && *v >= 1.0).map(|v| v as usize - 1),
            minutes: num(2),
            distance: num(3),
            vertical: num(4),
            reliability: num(5),
        }
    }

    pub fn assessment(&self) -> Assessment {
        assess(&self.readings(), &STANDARD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(q: f64, quality: usize, minutes: Option<f64>, distance: Option<f64>, rel: f64) -> Readings {
        Readings { quantity: Some(q), quality: Some(quality), minutes, distance, vertical: None, reliability: Some(rel) }
    }

    #[test]
    fn thresholds_from_the_notice() {
        assert_eq!(STANDARD.quantity.level(60.0), Level::Met);
        assert_eq!(STANDARD.quantity.level(35.0), Level::Basic);
        assert_eq!(STANDARD.quantity.level(34.9), Level::Failed);
        assert_eq!(STANDARD.minutes.level(10.0), Level::Met);
        assert_eq!(STANDARD.minutes.level(20.0), Level::Basic);
        assert_eq!(STANDARD.minutes.level(21.0), Level::Failed);
        assert_eq!(STANDARD.reliability.level(95.0), Level::Met);
        assert_eq!(STANDARD.reliability.level(90.0), Level::Basic);
        assert_eq!(STANDARD.reliability.level(89.0), Level::Failed);
    }

    #[test]
    fn suggests_yes_no_with_the_failing_aspect() {
        let a = assess(&r(40.0, 2, Some(15.0), None, 92.0), &STANDARD);
        assert_eq!(a.suggestion, Some(true));
        let a = assess(&r(20.0, 0, Some(5.0), None, 99.0), &STANDARD);
        assert_eq!(a.suggestion, Some(false));
        assert_eq!(a.reason, "不达标：水量（每人每天20升，不到35升），建议B4填“否”");
        // Distance and vertical together: 300 m but 100 m up is not convenient.
        let mut x = r(80.0, 0, None, Some(300.0), 99.0);
        x.vertical = Some(100.0);
        let a = assess(&x, &STANDARD);
        assert_eq!(a.aspects[2].1, Some(Level::Failed));
        assert_eq!(a.reason, "不达标：方便程度（水平300米、垂直100米），建议B4填“否”");
        // A short round trip is enough on its own.
        x.minutes = Some(8.0);
        assert_eq!(assess(&x, &STANDARD).suggestion, Some(true));
        let a = assess(&Readings { quantity: Some(70.0), ..Default::default() }, &STANDARD);
        assert_eq!(a.suggestion, None);
        assert_eq!(a.reason, "还缺：水质、方便程度、供水保证率");
    }
}
