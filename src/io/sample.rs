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
    out.extend(schema::section_fields(Section::A).map(|f| h.a.value(f.code).map(|v| display_value(f, &v)).unwrap_or_default()));
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

    /// Writes the seed files of the fuzz targets `roster_csv`, `xlsx_reader`
    /// and `snapshot_reader` into `fuzz/corpus_seeds/` (see docs/fuzzing.md):
    /// `cargo test --lib write_fuzz_seeds -- --ignored`.
    #[test]
    #[ignore = "writes files into fuzz/corpus_seeds"]
    fn write_fuzz_seeds() {
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus_seeds");
        let write = |target: &str, name: &str, bytes: &[u8]| {
            let dir = seeds.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), bytes).unwrap();
        };
        let rows = rows(3, 7);
        let round = Round::default();
        let read = |bytes: &[u8]| super::super::roster::read_bytes(bytes, &round, &mut |_| {});

        // CSV: as Excel saves "CSV UTF-8" (with BOM), as the platform and
        // older Excel save it (GBK), and a tab-separated one with a title
        // line above the header and two bad rows.
        let bom = csv(&rows);
        assert_eq!(read(&bom).unwrap().rows.len(), 3);
        write("roster_csv", "utf8_bom.csv", &bom);
        let text = String::from_utf8(bom[3..].to_vec()).unwrap();
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
        assert!(!unmappable);
        assert_eq!(read(&gbk).unwrap().rows.len(), 3);
        write("roster_csv", "gbk.csv", &gbk);
        let mut title = String::from("某县防止返贫监测对象名单\n");
        for (i, r) in rows.iter().enumerate() {
            let mut r = r.clone();
            match i {
                2 => r[4] = "5.00243E+17".into(),
                3 => r[1].clear(),
                _ => {}
            }
            title.push_str(&r.join(","));
            title.push('\n');
        }
        let roster = read(title.as_bytes()).unwrap();
        assert_eq!((roster.rows.len(), roster.rejected_rows()), (1, 2));
        write("roster_csv", "title_bad_rows.csv", title.as_bytes());
        let tab: String = rows[..2].iter().map(|r| r.join("\t") + "\r\n").collect();
        assert_eq!(read(tab.as_bytes()).unwrap().rows.len(), 1);
        write("roster_csv", "tab.csv", tab.as_bytes());
        write("roster_csv", "utf16.csv", b"\xFF\xFE\x61\x4E\x47\x95");

        // A workbook as Excel saves it: a title row, numbers and a date cell.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("名单").unwrap();
        sheet.write_string(0, 0, "某县防止返贫监测对象名单").unwrap();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for (i, r) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            for (c, cell) in r.iter().enumerate() {
                let col = c as u16;
                let month = crate::form::value::YearMonth::parse(cell).filter(|_| i > 0);
                if i > 0 && c == 5 {
                    sheet.write_number(row, col, cell.parse::<f64>().unwrap()).unwrap();
                } else if let (true, Some(m)) = (c == 8, month) {
                    let d = rust_xlsxwriter::ExcelDateTime::from_ymd(m.year, m.month, 1).unwrap();
                    sheet.write_datetime_with_format(row, col, &d, &date).unwrap();
                } else {
                    sheet.write_string(row, col, cell).unwrap();
                }
            }
        }
        let xlsx = book.save_to_buffer().unwrap();
        assert_eq!(read(&xlsx).unwrap().rows.len(), 3);
        write("xlsx_reader", "roster.xlsx", &xlsx);

        // A snapshot of a store with two demo households.
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("store")).unwrap();
        demo::fill(&store, 2, 7, |_| {}).unwrap();
        let snap = dir.path().join("snap.htksnap");
        super::super::snapshot::save(&store, &snap).unwrap();
        let bytes = std::fs::read(&snap).unwrap();
        assert!(super::super::snapshot::verify_bytes(&bytes).is_ok());
        write("snapshot_reader", "two_households.htksnap", &bytes);
    }
}
