//! Roster files built from [`crate::demo`] households, for tests,
//! benchmarks and trying the import: the columns of `roster.md`, the values
//! as the platform writes them.

use crate::demo;
use crate::form::rules::display_value;
use crate::form::schema::{self, Section};
use crate::form::Round;
use crate::model::LookBack;

/// The roster's headers, as `roster.md` names them.
pub const HEADER: [&str; 10] =
    ["乡镇", "村", "家庭地址", "户主姓名", "户主证件号码", "家庭人口数", "对象类别", "主要风险点", "纳入系统时间", "标注风险消除年月"];

/// One roster row for a household.
pub fn row(lb: &LookBack) -> Vec<String> {
    let h = &lb.household;
    let mut out = vec![h.place.township.clone(), h.place.village.clone()];
    out.extend(
        schema::section_fields(Section::A)
            .map(|f| h.a.value(f.code).map(|v| display_value(f, &v)).unwrap_or_default()),
    );
    out
}

/// Header and `n` rows of demo households `0..n` with this seed.
pub fn rows(n: usize, seed: u64) -> Vec<Vec<String>> {
    let round = Round::default();
    let places = demo::places(n, seed);
    let mut out = vec![HEADER.iter().map(|s| s.to_string()).collect()];
    out.extend((0..n as u64).map(|i| row(&demo::household(i, seed, &places, &round))));
    out
}

/// A roster CSV as Excel saves "CSV UTF-8": UTF-8 with a BOM.
pub fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(super::BOM.to_vec());
    for r in rows {
        // Writing into a Vec cannot fail.
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_roster_reads_back_whole() {
        let rows = rows(200, 3);
        let roster = super::super::roster::read_bytes(&csv(&rows), &Round::default(), &mut |_| {}).unwrap();
        assert!(roster.rejected.is_empty(), "{:?}", roster.rejected.first());
        assert_eq!(roster.rows.len(), 200);
        assert!(roster.unknown_columns.is_empty());
        let places = demo::places(200, 3);
        let first = demo::household(0, 3, &places, &Round::default()).household;
        assert_eq!((&roster.rows[0].place, &roster.rows[0].a), (&first.place, &first.a));
        assert_eq!(roster.rows[0].row, 2);
    }
}
