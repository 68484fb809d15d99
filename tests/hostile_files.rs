//! Hostile roster files and hostile text (issue 12 items 10–13): only
//! regular files of a bounded size are read, a stray quote is reported with
//! its line, ID numbers are masked in every line on the terminal, control
//! characters never reach the store or the terminal, and one over-long
//! answer neither enters the store nor costs a whole export.

use huitoukan::demo;
use huitoukan::form::Value;
use huitoukan::model::{Answers, LookBack};
use huitoukan::store::{Store, StoreError};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_huitoukan"))
}

/// Runs with a deadline: a hang is a failure, not a stuck test run.
fn run_within(db: &Path, args: &[&str], secs: u64) -> Output {
    let mut child = bin().arg("--db").arg(db).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("{args:?} still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A run of 15 or more digits (an unmasked ID number), if any.
fn full_id(s: &str) -> Option<String> {
    let mut run = String::new();
    for c in s.chars().chain([' ']) {
        if c.is_ascii_digit() || c == 'X' {
            run.push(c);
        } else if run.len() >= 15 {
            return Some(run);
        } else {
            run.clear();
        }
    }
    None
}

const HEADER: &str =
    "乡镇(街道),村(社区),家庭地址,户主姓名,户主证件号码,家庭人口数,对象类别,主要的返致贫风险点,纳入系统时间,标注风险消除年月";

fn line(i: u64, name: &str, address: &str) -> String {
    format!("石盘乡,石盘村,{address},{name},{},3,监测户,因病,202103,", demo::id_number(i))
}

#[test]
fn only_regular_files_are_read_and_nothing_hangs_holding_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    Store::open(&db).unwrap();
    let fifo = tmp.path().join("roster.csv");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let dir = tmp.path().join("dir.csv");
    std::fs::create_dir(&dir).unwrap();
    for (path, what) in [(fifo.as_path(), "管道"), (Path::new("/dev/zero"), "设备"), (dir.as_path(), "目录")] {
        for dry in [true, false] {
            let mut args = vec!["import"];
            if dry {
                args.push("--dry-run");
            }
            args.push(path.to_str().unwrap());
            let out = run_within(&db, &args, 10);
            let t = text(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {t}");
            assert!(t.contains("不是普通文件") && t.contains(what), "{args:?}: {t}");
        }
    }
    // The store was never held: it opens at once.
    Store::open_existing(&db, "t").unwrap();
}

#[test]
fn a_stray_quote_is_reported_with_its_line_and_ids_stay_masked() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    let mut rows = vec![HEADER.to_string(), line(1, "张三", "\"石盘村1组")];
    rows.extend((2..31).map(|i| line(i, "李四", "石盘村2组")));
    let file = tmp.path().join("quote.csv");
    std::fs::write(&file, rows.join("\n") + "\n").unwrap();
    let out = run_within(&db, &["import", file.to_str().unwrap()], 30);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("第2行") && t.contains("双引号") && t.contains("30行"), "{t}");
    assert_eq!(full_id(&t), None, "an ID printed in full: {t}");
    assert!(!db.exists(), "nothing imported, no store made");

    // Rejection lines mask an ID wherever it sits (here, in an over-long address).
    let long_address = format!("石盘村{}号{}", demo::id_number(7), "很长的地址".repeat(25));
    let file = tmp.path().join("long.csv");
    std::fs::write(&file, [HEADER.to_string(), line(8, "王五", &long_address), line(9, "赵六", "石盘村3组")].join("\n")).unwrap();
    let out = run_within(&db, &["import", file.to_str().unwrap()], 30);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("第2行") && t.contains("家庭地址"), "{t}");
    assert_eq!(full_id(&t), None, "an ID printed in full: {t}");
}

#[test]
fn control_characters_never_reach_the_store_or_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    // An OSC 52 clipboard write and a colour sequence in a name and an address.
    let name = "张\x1b]52;c;ZWNobyBoaQ==\x07三";
    let address = "石盘村\x1b[31m1组\u{202e}";
    let file = tmp.path().join("ctl.csv");
    std::fs::write(&file, [HEADER.to_string(), line(1, name, address)].join("\n")).unwrap();
    let out = run_within(&db, &["import", file.to_str().unwrap()], 30);
    assert!(out.status.success(), "{}", text(&out));
    let store = Store::open_existing(&db, "t").unwrap();
    let lb = store.get(1).unwrap().unwrap();
    assert_eq!(lb.household.a.head, "张]52;c;ZWNobyBoaQ==三");
    assert_eq!(lb.household.a.address, "石盘村[31m1组");
    // At entry too, whatever the editor let through.
    let mut answers = Answers::new();
    answers.insert("D7".into(), Value::Text("因病\x1b[2J致贫\n长期\x07服药，家中无劳动力，收入很低，需要帮扶。".into()));
    answers.insert("D1".into(), Value::List(vec!["李\x1b[8m四".into()]));
    store.save_draft(1, &answers, "t").unwrap();
    let lb = store.get(1).unwrap().unwrap();
    assert_eq!(lb.form.answers.get("D7"), Some(&Value::Text("因病[2J致贫\n长期服药，家中无劳动力，收入很低，需要帮扶。".into())));
    assert_eq!(lb.form.answers.get("D1"), Some(&Value::List(vec!["李[8m四".into()])));
    drop(store);
    let out = run_within(&db, &["show", "张"], 30);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!out.stdout.iter().any(|b| *b == 0x1b || *b == 0x07), "{}", text(&out));
}

#[test]
fn an_over_long_answer_is_refused_and_an_export_names_the_cell_it_cannot_write() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    let store = Store::open(&db).unwrap();
    demo::fill(&store, 20, 1, |_| {}).unwrap();
    let paste = "2".repeat(350_000);
    for code in ["D10", "D7", "B2"] {
        let mut answers = Answers::new();
        answers.insert(code.into(), Value::Text(paste.clone()));
        let e = store.save_draft(1, &answers, "t").unwrap_err();
        assert!(matches!(e, StoreError::Refused(_)) && e.to_string().contains(code) && e.to_string().contains("350000"), "{e}");
    }
    // A record already holding one (written before this check): the export
    // writes every other cell and household, and names the one it could not.
    let round = store.round().clone();
    let places = demo::places(20, 1);
    let mut lb: LookBack = demo::household(99, 1, &places, &round);
    lb.form.answers.insert("D7".into(), Value::Text("很长".repeat(20_000)));
    store.insert_records(&[lb], "t", "test").unwrap();
    drop(store);
    let xlsx = tmp.path().join("out.xlsx");
    let out = run_within(&db, &["export", xlsx.to_str().unwrap()], 60);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("已导出 21 户") && t.contains("D7") && t.contains("40000个字"), "{t}");
    assert_eq!(full_id(&t), None, "{t}");
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1000);
}

/// A 20-digit disability certificate (18-digit ID + category + level)
/// whose ID ends in X: `show` took it for a name and found nothing (item 20).
#[test]
fn a_disability_certificate_is_found_by_its_number() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    let id_x = (0..100u64)
        .map(|i| format!("5002431990010{:04}", 1000 + i))
        .find_map(|first17| huitoukan::form::idnum::complete(&first17).filter(|id| id.ends_with('X')))
        .unwrap();
    let cert = format!("{id_x}31");
    let row = format!("石盘乡,石盘村,石盘村1组,张残,{cert},2,监测户,因残,202103,");
    let file = tmp.path().join("cert.csv");
    std::fs::write(&file, [HEADER.to_string(), row, line(5, "李四", "石盘村2组")].join("\n")).unwrap();
    let out = run_within(&db, &["import", file.to_str().unwrap()], 30);
    assert!(out.status.success(), "{}", text(&out));
    for query in [cert.clone(), cert.to_lowercase()] {
        let out = run_within(&db, &["show", &query], 30);
        let t = text(&out);
        assert!(out.status.success() && t.contains("张残"), "{query}: {t}");
        assert_eq!(full_id(&t), None, "{t}");
    }
}

/// A minimal xlsx around one sheet (and shared strings when given).
fn xlsx(sheet: &[u8], shared: Option<&[u8]>) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let rels = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#;
    let mut parts: Vec<(&str, Vec<u8>)> = vec![
        ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_vec()),
        ("_rels/.rels", format!(r#"{rels}<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).into_bytes()),
        ("xl/workbook.xml", br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec()),
        ("xl/_rels/workbook.xml.rels", format!(r#"{rels}<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#).into_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.to_vec()),
    ];
    if let Some(s) = shared {
        parts.push(("xl/sharedStrings.xml", s.to_vec()));
    }
    for (name, data) in parts {
        z.start_file(name, opts).unwrap();
        z.write_all(&data).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

/// Workbooks that made calamine allocate without bound (item 9): each is
/// refused with a Chinese message, fast and small, never an abort.
#[test]
fn workbooks_that_would_cost_without_bound_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    let head = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;
    let far = format!(
        r#"{head}<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row></sheetData></worksheet>"#
    );
    let dim = format!(
        r#"{head}<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#
    );
    let sst_sheet = format!(r#"{head}<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#);
    let sst = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>"#;
    let big = format!(
        r#"{head}<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row></sheetData></worksheet>"#,
        "x".repeat(50_000_000)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("far.xlsx", xlsx(far.as_bytes(), None), "单元格"),
        ("dim.xlsx", xlsx(dim.as_bytes(), None), "单元格"),
        ("sst.xlsx", xlsx(sst_sheet.as_bytes(), Some(sst)), "共享文本"),
        ("big.xlsx", xlsx(big.as_bytes(), None), "32767"),
    ];
    for (name, bytes, why) in cases {
        assert!(bytes.len() < 200_000, "{name} is small: {}", bytes.len());
        let file = tmp.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let out = run_within(&db, &["import", "--dry-run", file.to_str().unwrap()], 20);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {t}");
        assert!(t.contains("无法读取Excel文件") && t.contains(why), "{name}: {t}");
    }
}
