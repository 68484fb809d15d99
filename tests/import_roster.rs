//! Roster import with real-shaped files built here: a GBK CSV, a UTF-8-BOM
//! CSV and an .xlsx (a numeric ID cell Excel shows as 5.00243E+17, a date
//! cell), each row shape of roster.md giving its documented outcome.

use huitoukan::demo;
use huitoukan::form::{idnum, Value, YearMonth};
use huitoukan::io::import::{self, ImportError};
use huitoukan::io::roster::{Encoding, RosterError, Source};
use huitoukan::model::{Answers, FormState};
use huitoukan::store::Store;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn id(i: u64) -> String {
    demo::id_number(i)
}

fn full_width(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c }).collect()
}

const HEADER: &str =
    "乡镇(街道),村(社区),家庭地址,户主姓名,户主证件号码,家庭人口数,对象类别,主要的返致贫风险点,纳入系统时间,标注风险消除年月,备注";

/// Rows 2–13 of the test roster: (what the row is, the CSV line).
fn rows() -> Vec<String> {
    let lower_x = idnum::complete("11010519491231002").unwrap().to_lowercase(); // ends in x
    vec![
        // 2: lowercase x, 2021年3月, short category, alias risk
        format!("石盘乡,石盘村,石盘村1组,张三,{lower_x},3,监测户,因病,2021年3月,"),
        // 3: full-width digits with spaces around, 2021/3 and 202104
        format!("石盘乡,石盘村,石盘村2组,李四, {} ,4,边缘易致贫户,因学,2021/3,202104", full_width(&id(2))),
        // 4: Excel's scientific notation
        "石盘乡,石盘村,石盘村3组,王五,5.00243E+17,2,监测户,因残,202103,".to_string(),
        // 5: the same ID as row 2, written in capitals
        format!("石盘乡,龙门村,龙门村1组,张三丰,{},3,监测户,因病,202103,", lower_x.to_uppercase()),
        // 6: household size 0
        format!("石盘乡,龙门村,龙门村2组,赵六,{},0,监测户,因病,202103,", id(6)),
        // 7: household size abc
        format!("石盘乡,龙门村,龙门村3组,钱七,{},abc,监测户,因病,202103,", id(7)),
        // 8: household size empty
        format!("石盘乡,龙门村,龙门村4组,孙八,{},,监测户,因病,202103,", id(8)),
        // 9: unknown category
        format!("石盘乡,龙门村,龙门村5组,周九,{},2,贫困户,因病,202103,", id(9)),
        // 10: unknown risk
        format!("石盘乡,龙门村,龙门村6组,吴十,{},2,监测户,因懒,202103,", id(10)),
        // 11: A8 before A7
        format!("石盘乡,龙门村,龙门村7组,郑一,{},2,监测户,因病,2020-06,2020-01", id(11)),
        // 12: blank (skipped, not a data row)
        ",,,,,,,,,,".to_string(),
        // 13: fine, with a note in the unknown column
        format!("石盘乡,龙门村,龙门村8组,王二,{},5,边缘户,因灾,2020-11,,已搬迁", id(13)),
    ]
}

fn gbk_roster() -> Vec<u8> {
    let text = roster_text();
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn roster_text() -> String {
    let mut s = format!("{HEADER}\r\n");
    for r in rows() {
        s.push_str(&r);
        s.push_str("\r\n");
    }
    s
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn bin(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env("HUITOUKAN_HOME", db.parent().unwrap().join("home"))
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Everything the store holds that an import could change.
fn state(db: &Path) -> (usize, u64, Vec<huitoukan::model::Summary>) {
    let s = Store::open(db).unwrap();
    (s.household_count().unwrap(), s.verify_audit().unwrap().entries, s.summaries().unwrap())
}

#[test]
fn gbk_csv_every_row_shape_gets_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let gbk = gbk_roster();
    let file = write(dir.path(), "名单.csv", &gbk);
    let db = dir.path().join("db");
    let store = Store::open(&db).unwrap();
    let report = import::import(&store, &file, "clerk", false, &mut |_| {}).unwrap();
    let roster = &report.roster;
    assert_eq!(roster.source, Source::Csv { encoding: Encoding::Gb18030 });
    assert_eq!(roster.data_rows, 11);
    assert_eq!(roster.unknown_columns, ["备注"]);
    let imported: Vec<usize> = roster.rows.iter().map(|r| r.row).collect();
    assert_eq!(imported, [2, 3, 13]);
    assert_eq!(report.outcome.added, 3);
    assert_eq!(report.exit_code(), 3);

    // Normalised on the way in.
    let r2 = &roster.rows[0].a;
    assert_eq!(r2.id_number, idnum::complete("11010519491231002").unwrap());
    assert!(r2.id_number.ends_with('X'));
    assert_eq!(r2.enrolled, YearMonth::new(2021, 3).unwrap());
    assert_eq!(r2.category, 0);
    let r3 = &roster.rows[1].a;
    assert_eq!(r3.id_number, id(2));
    assert_eq!(r3.enrolled, YearMonth::new(2021, 3).unwrap());
    assert_eq!(r3.eliminated, YearMonth::new(2021, 4));
    assert_eq!(store.household_count().unwrap(), 3);

    let reasons = |row: usize| -> Vec<(String, String, String)> {
        roster.rejected.iter().filter(|r| r.row == row).map(|r| (r.column.clone(), r.value.clone(), r.reason.clone())).collect()
    };
    let one = |row: usize| {
        let r = reasons(row);
        assert_eq!(r.len(), 1, "row {row}: {r:?}");
        r.into_iter().next().unwrap()
    };
    let (col, val, why) = one(4);
    assert_eq!((col.as_str(), val.as_str()), ("户主证件号码", "5.00243E+17"));
    assert!(why.contains("科学计数法") && why.contains("丢失"), "{why}");
    let (col, _, why) = one(5);
    assert_eq!(col, "户主证件号码");
    assert!(why.contains("第2行"), "{why}");
    let (col, val, why) = one(6);
    assert_eq!((col.as_str(), val.as_str()), ("家庭人口数", "0"));
    assert!(why.contains("1–30"), "{why}");
    let (_, val, why) = one(7);
    assert_eq!(val, "abc");
    assert!(why.contains("整数"), "{why}");
    let (col, val, why) = one(8);
    assert_eq!((col.as_str(), val.as_str()), ("家庭人口数", ""));
    assert!(why.contains("未填写"), "{why}");
    let (col, val, why) = one(9);
    assert_eq!((col.as_str(), val.as_str()), ("对象类别", "贫困户"));
    assert!(why.contains("脱贫不稳定户") && why.contains("边缘易致贫户"), "{why}");
    let (col, _, why) = one(10);
    assert_eq!(col, "主要的返致贫风险点");
    assert!(why.contains("因大病") && why.contains("因产业失败"), "{why}");
    let (col, val, why) = one(11);
    assert_eq!((col.as_str(), val.as_str()), ("标注风险消除年月", "2020-01"));
    assert!(why.contains("早于"), "{why}");
    assert_eq!(roster.rejected_rows(), 8);
    assert!(reasons(12).is_empty(), "a blank row is skipped");
}

#[test]
fn binary_exit_codes_report_file_and_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let gbk = gbk_roster();
    let file = write(dir.path(), "roster.csv", &gbk);
    let db = dir.path().join("db");
    let report = dir.path().join("rejected.csv");

    // Dry run: prints what would happen, writes nothing to the store.
    let (code, out, _) = bin(&db, &["import", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("试运行") && out.contains("新增 3 户"), "{out}");
    assert!(out.contains("5.00243E+17"), "{out}");
    assert_eq!(state(&db).0, 0);

    let (code, out, err) = bin(&db, &["import", file.to_str().unwrap(), "--report", report.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.is_empty(), "quiet when stderr is not a terminal: {err}");
    assert!(out.contains("GBK/GB18030"), "{out}");
    assert!(out.contains("未识别的列（已忽略）：备注"), "{out}");
    // IDs are masked on the terminal.
    assert!(!out.contains(&id(2)));
    let bytes = std::fs::read(&report).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(std::fs::metadata(&report).unwrap().permissions().mode() & 0o777, 0o600);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "行号,列,读到的值,原因");
    assert_eq!(lines.len(), 1 + 8);
    assert!(lines[1].starts_with("4,户主证件号码,5.00243E+17,"), "{}", lines[1]);
    assert_eq!(state(&db).0, 3);

    // Everything imported: 0. Nothing imported: 1.
    let good = format!("{HEADER}\n{}\n", rows()[0]);
    let good = write(dir.path(), "good.csv", good.as_bytes());
    assert_eq!(bin(&db, &["import", good.to_str().unwrap()]).0, 0);
    let bad = format!("{HEADER}\n{}\n", rows()[2]);
    let bad = write(dir.path(), "bad.csv", bad.as_bytes());
    assert_eq!(bin(&db, &["import", bad.to_str().unwrap()]).0, 1);
    // Usage: 2.
    assert_eq!(bin(&db, &["import"]).0, 2);
}

#[test]
fn unreadable_files_and_missing_columns_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let gbk = gbk_roster();
    let first = write(dir.path(), "first.csv", &gbk);
    assert_eq!(bin(&db, &["import", first.to_str().unwrap()]).0, 3);
    let before = state(&db);

    // Neither UTF-8 nor GB18030.
    let garbage = write(dir.path(), "garbage.csv", b"\xE4\xB9\xA1\xE9\x95\x87,\x80\x80\xFF\xFE\xFF\n1,2\n");
    let (code, _, err) = bin(&db, &["import", garbage.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("既不是UTF-8，也不是GBK/GB18030"), "{err}");

    // A column missing: named, nothing written.
    let text = roster_text().replace("家庭人口数", "人数");
    let missing = write(dir.path(), "missing.csv", text.as_bytes());
    let (code, _, err) = bin(&db, &["import", missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("缺少必需的列：家庭人口数"), "{err}");
    assert!(err.contains("人数"), "names the columns found: {err}");

    let (code, _, err) = bin(&db, &["import", dir.path().join("nope.csv").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("不存在"), "{err}");
    assert_eq!(state(&db), before);

    let store = Store::open(&db).unwrap();
    let e = import::import(&store, &missing, "t", false, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ImportError::Roster(RosterError::MissingColumns { ref missing, .. }) if missing == &["家庭人口数"]));
}

#[test]
fn utf8_bom_reimport_updates_section_a_keeps_answers_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(roster_text().as_bytes());
    let file = write(dir.path(), "utf8.csv", &bytes);
    let store = Store::open(&dir.path().join("db")).unwrap();
    let first = import::import(&store, &file, "clerk", false, &mut |_| {}).unwrap();
    assert_eq!(first.roster.source, Source::Csv { encoding: Encoding::Utf8Bom });
    assert_eq!(first.outcome.added, 3);

    // The clerk answers a question and verifies section A.
    let key = store.key_of(&id(13)).unwrap().unwrap();
    let mut answers = Answers::new();
    answers.insert("B1".into(), Value::Bool(false));
    store.save_draft(key, &answers, "clerk").unwrap();
    store.set_verified(key, true, "clerk").unwrap();
    let audit_before = store.verify_audit().unwrap().entries;

    // A corrected roster: row 13's size 5 → 6.
    let changed = roster_text().replace(&format!("{},5,边缘户", id(13)), &format!("{},6,边缘户", id(13)));
    let mut bytes2 = b"\xEF\xBB\xBF".to_vec();
    bytes2.extend_from_slice(changed.as_bytes());
    let file2 = write(dir.path(), "utf8-2.csv", &bytes2);
    let second = import::import(&store, &file2, "clerk", false, &mut |_| {}).unwrap();
    assert_eq!((second.outcome.added, second.outcome.updated, second.outcome.unchanged), (0, 1, 2));
    let lb = store.get(key).unwrap().unwrap();
    assert_eq!(lb.household.a.size, 6);
    assert_eq!(lb.form.answers.get("B1"), Some(&Value::Bool(false)));
    assert_eq!(lb.form.state, FormState::Draft);
    assert!(!lb.household.verified, "changed section A must be verified again");
    let hist = store.history(key).unwrap();
    let a4 = hist.iter().find(|e| e.field == "A4").unwrap();
    assert_eq!((a4.old.as_str(), a4.new.as_str(), a4.who.as_str()), ("5", "6", "clerk"));
    let audit_after = store.verify_audit().unwrap();
    assert_eq!(audit_after.first_broken, None);
    assert!(audit_after.entries > audit_before);

    // The same file again changes nothing, not even the audit log.
    let summaries = store.summaries().unwrap();
    let third = import::import(&store, &file2, "clerk", false, &mut |_| {}).unwrap();
    assert_eq!((third.outcome.added, third.outcome.updated, third.outcome.unchanged), (0, 0, 3));
    assert_eq!(store.verify_audit().unwrap().entries, audit_after.entries);
    assert_eq!(store.summaries().unwrap(), summaries);
}

#[test]
fn xlsx_with_numeric_id_cell_and_date_cell() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("名单.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("监测对象").unwrap();
    let header =
        ["乡镇", "村", "家庭地址", "户主姓名", "户主证件号码", "家庭人口数", "对象类别", "主要风险点", "纳入系统时间", "标注风险消除年月"];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    // Row 2: ID as text, size as a number, A7 as an Excel date cell.
    let texts = ["郁山镇", "中井村", "中井村3组", "冉光明"];
    for (c, t) in texts.iter().enumerate() {
        sheet.write_string(1, c as u16, *t).unwrap();
    }
    sheet.write_string(1, 4, id(21)).unwrap();
    sheet.write_number(1, 5, 4).unwrap();
    sheet.write_string(1, 6, "脱贫不稳定户").unwrap();
    sheet.write_string(1, 7, "因大病").unwrap();
    sheet.write_datetime_with_format(1, 8, ExcelDateTime::from_ymd(2020, 7, 15).unwrap(), &date).unwrap();
    // Row 3: the ID typed as a number (Excel shows 5.00243E+17), A7 as the number 202103.
    for (c, t) in ["郁山镇", "中井村", "中井村4组", "向文"].iter().enumerate() {
        sheet.write_string(2, c as u16, *t).unwrap();
    }
    sheet.write_number(2, 4, id(22).parse::<f64>().unwrap()).unwrap();
    sheet.write_number(2, 5, 2).unwrap();
    sheet.write_string(2, 6, "边缘户").unwrap();
    sheet.write_string(2, 7, "因灾").unwrap();
    sheet.write_number(2, 8, 202103).unwrap();
    // Row 4: A7 202103 as a number, A8 as a date cell.
    for (c, t) in ["郁山镇", "中井村", "中井村5组", "庹林"].iter().enumerate() {
        sheet.write_string(3, c as u16, *t).unwrap();
    }
    sheet.write_string(3, 4, id(23)).unwrap();
    sheet.write_number(3, 5, 1).unwrap();
    sheet.write_string(3, 6, "边缘户").unwrap();
    sheet.write_string(3, 7, "因学").unwrap();
    sheet.write_number(3, 8, 202103).unwrap();
    sheet.write_datetime_with_format(3, 9, ExcelDateTime::from_ymd(2021, 4, 1).unwrap(), &date).unwrap();
    book.save(&path).unwrap();

    let store = Store::open(&dir.path().join("db")).unwrap();
    let report = import::import(&store, &path, "clerk", false, &mut |_| {}).unwrap();
    assert_eq!(report.roster.source, Source::Workbook { sheet: "监测对象".into() });
    let ok: Vec<usize> = report.roster.rows.iter().map(|r| r.row).collect();
    assert_eq!(ok, [2, 4]);
    let a = &report.roster.rows[0].a;
    assert_eq!((a.size, a.enrolled), (4, YearMonth::new(2020, 7).unwrap()));
    let a = &report.roster.rows[1].a;
    assert_eq!((a.enrolled, a.eliminated), (YearMonth::new(2021, 3).unwrap(), YearMonth::new(2021, 4)));
    assert_eq!(report.roster.rejected.len(), 1);
    let r = &report.roster.rejected[0];
    assert_eq!((r.row, r.column.as_str(), r.value.as_str()), (3, "户主证件号码", "5.00243E+17"));
    assert!(r.reason.contains("丢失"), "{}", r.reason);
    assert_eq!(store.household_count().unwrap(), 2);
}
