//! Exports: columns in the form's order, CSV with BOM and guarded IDs,
//! XLSX with text ID cells and a summary sheet, filters, owner-only files,
//! and nothing written when there is nothing to export.

use calamine::{Data, Reader};
use huitoukan::form::FIELDS;
use huitoukan::io::export::{self, ExportError, Filter, Format};
use huitoukan::model::FormState;
use huitoukan::store::Store;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn demo_store(dir: &Path, n: usize) -> Store {
    let store = Store::open(&dir.join("db")).unwrap();
    huitoukan::demo::fill(&store, n, 7, |_| {}).unwrap();
    store
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "CSV starts with a BOM");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn csv_has_every_household_in_form_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 300);
    let path = dir.path().join("out.csv");
    let done = export::export(&store, &path, Format::Csv, &Filter::default(), &mut |_| {}).unwrap();
    assert_eq!(done.rows, 300);
    assert_eq!(mode(&path), 0o600);
    let rows = read_csv(&path);
    assert_eq!(rows.len(), 301);
    let header = &rows[0];
    let mut expected = vec!["乡镇".to_string(), "村".to_string()];
    expected.extend(FIELDS.iter().map(|f| f.heading()));
    expected.extend(["状态", "核实", "最后保存人", "最后保存时间"].map(String::from));
    assert_eq!(header, &expected);
    assert_eq!(header[2], "A1 家庭地址");
    assert_eq!(header[2 + FIELDS.len() - 1], "D10 该户计划消除时限");

    let (a3, a8, d3, d4, d5, d10, state) = (
        col(header, "A3 户主证件号码"),
        col(header, "A8 标注风险消除年月"),
        col(header, "D3 风险消除的最主要帮扶措施"),
        col(header, "D4 其他帮扶措施"),
        col(header, "D5 当前该户最主要的风险点"),
        col(header, "D10 该户计划消除时限"),
        col(header, "状态"),
    );
    let summaries = store.summaries().unwrap();
    for row in &rows[1..] {
        // IDs keep every digit in Excel: a leading tab makes the cell text.
        let id = row[a3].strip_prefix('\t').unwrap_or(&row[a3]);
        assert!(summaries.iter().any(|s| s.id_number == id), "{id}");
        assert!(row[a3].starts_with('\t') || !id.bytes().all(|b| b.is_ascii_digit()));
        // Fields of the branch not taken are empty.
        if row[a8].is_empty() {
            assert!(row[d3].is_empty() && row[d4].is_empty());
        } else {
            assert!((d5..=d10).all(|c| row[c].is_empty()), "{row:?}");
        }
        assert!(["未填", "草稿", "已提交"].contains(&row[state].as_str()));
    }
    // Multi-choice answers are joined with 、.
    assert!(rows[1..].iter().any(|r| r[d4].contains('、') || r[col(header, "D6 其他风险")].contains('、')));
    // Submitted records carry who saved them and when.
    let submitted = rows[1..].iter().find(|r| r[state] == "已提交").unwrap();
    assert!(!submitted[col(header, "最后保存人")].is_empty());
    assert!(!submitted[col(header, "最后保存时间")].is_empty());
}

#[test]
fn xlsx_has_text_id_cells_number_sizes_and_summary_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 300);
    let path = dir.path().join("out.xlsx");
    let done = export::export(&store, &path, Format::Xlsx, &Filter::default(), &mut |_| {}).unwrap();
    assert_eq!(done.rows, 300);
    assert_eq!(mode(&path), 0o600);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["采集结果", "家庭成员", "帮扶措施", "走访记录", "汇总"]);
    let data = book.worksheet_range("采集结果").unwrap();
    assert_eq!(data.height(), 301);
    let header: Vec<String> = data.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header, export::header());
    let a3 = col(&header, "A3 户主证件号码");
    let a4 = col(&header, "A4 家庭人口数");
    for row in data.rows().skip(1) {
        assert!(matches!(&row[a3], Data::String(s) if s.len() >= 18), "{:?}", row[a3]);
        assert!(matches!(row[a4], Data::Float(_) | Data::Int(_)), "{:?}", row[a4]);
    }
    let summary = book.worksheet_range("汇总").unwrap();
    let last = summary.rows().next_back().unwrap();
    assert_eq!(last[0], Data::String("合计".into()));
    assert_eq!(last[2], Data::Float(300.0));
    let places = store.places().unwrap();
    let first_township = &places[0];
    let subtotal =
        summary.rows().find(|r| r[0] == Data::String(first_township.name.clone()) && r[1] == Data::String("（乡镇合计）".into())).unwrap();
    assert_eq!(subtotal[2], Data::Float(first_township.counts.households as f64));
    assert_eq!(subtotal[5], Data::Float(first_township.counts.submitted as f64));
}

#[test]
fn filters_select_by_place_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 400);
    let places = store.places().unwrap();
    let t = &places[2];
    let v = &t.villages[0];
    let path = dir.path().join("t.csv");
    let run = |filter: Filter| export::export(&store, &path, Format::Csv, &filter, &mut |_| {}).map(|d| (d.rows, read_csv(&path)));

    let (n, rows) = run(Filter { township: Some(t.name.clone()), ..Filter::default() }).unwrap();
    assert_eq!(n, t.counts.households);
    assert!(rows[1..].iter().all(|r| r[0] == t.name));
    let (n, rows) = run(Filter { township: Some(t.name.clone()), village: Some(v.name.clone()), ..Filter::default() }).unwrap();
    assert_eq!(n, v.counts.households);
    assert!(rows[1..].iter().all(|r| r[1] == v.name));
    // A village name alone: every township that has a village of that name.
    let same_name: usize = places.iter().flat_map(|t| &t.villages).filter(|x| x.name == v.name).map(|x| x.counts.households).sum();
    assert_eq!(run(Filter { village: Some(v.name.clone()), ..Filter::default() }).unwrap().0, same_name);
    let drafts: usize = places.iter().map(|t| t.counts.draft).sum();
    let (n, rows) = run(Filter { state: Some(FormState::Draft), ..Filter::default() }).unwrap();
    assert_eq!(n, drafts);
    let state = col(&rows[0], "状态");
    assert!(rows[1..].iter().all(|r| r[state] == "草稿"));

    // Nothing matches: an error, and the earlier file is left as it was.
    let before = std::fs::read(&path).unwrap();
    let e = run(Filter { township: Some("没有这个乡".into()), ..Filter::default() }).unwrap_err();
    assert!(matches!(e, ExportError::NoRows { .. }));
    assert!(e.to_string().contains("没有这个乡"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // The store, t.csv and its three handbook CSVs (t-家庭成员.csv …) from before: no temporary file.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5, "no temporary file is left");
}

#[test]
fn binary_exports_and_refuses_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    drop(demo_store(dir.path(), 50));
    let db = dir.path().join("db");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_huitoukan"))
            .args(args)
            .arg("--db")
            .arg(&db)
            .env("HUITOUKAN_HOME", dir.path().join("home"))
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let xlsx = dir.path().join("a.xlsx");
    let (code, out) = run(&["export", xlsx.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("50 户"), "{out}");
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"), "format from the extension");
    let csv = dir.path().join("a.txt");
    assert_eq!(run(&["export", csv.to_str().unwrap(), "--format", "csv", "--state", "已提交"]).0, Some(0));
    assert!(std::fs::read(&csv).unwrap().starts_with(b"\xEF\xBB\xBF"));
    let (code, out) = run(&["export", csv.to_str().unwrap(), "--state", "完成"]);
    assert_eq!(code, Some(2));
    assert!(out.contains("未填、草稿 或 已提交"), "{out}");
    assert_eq!(run(&["export", csv.to_str().unwrap(), "--format", "pdf"]).0, Some(2));
    let (code, out) = run(&["export", csv.to_str().unwrap(), "--township", "没有这个乡"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("没有符合条件的户"), "{out}");
}

/// The handbook's forms: one sheet each in xlsx, one CSV each beside the
/// main file, one row per entry with the household's ID, in the form's
/// columns; a voided entry is exported as such with its reason.
#[test]
fn every_form_has_its_sheet_or_its_csv_one_row_per_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 120);
    let key = store.summaries().unwrap()[3].key;
    let e = store.entries(key).unwrap().into_iter().find(|e| e.form.id == "visits").unwrap();
    store.void_entry(key, "visits", e.seq, "日期录错", "t").unwrap();
    let mut all = Vec::new();
    for s in store.summaries().unwrap() {
        all.extend(store.entries(s.key).unwrap());
    }
    let count = |id: &str| all.iter().filter(|e| e.form.id == id).count();

    let path = dir.path().join("导出.csv");
    let done = export::export(&store, &path, Format::Csv, &Filter::default(), &mut |_| {}).unwrap();
    let titles: Vec<(&str, usize)> = done.entries.iter().map(|(t, n, _)| (t.as_str(), *n)).collect();
    assert_eq!(titles, [("家庭成员", count("members")), ("帮扶措施", count("measures")), ("走访记录", count("visits"))]);
    for (form, (_, n, file)) in huitoukan::form::schema::handbook().iter().zip(&done.entries) {
        let file = file.as_ref().expect("a CSV of its own");
        assert_eq!(file, &dir.path().join(format!("导出-{}.csv", form.title)));
        assert_eq!(mode(file), 0o600);
        let rows = read_csv(file);
        assert_eq!(rows[0], export::entry_header(form));
        assert_eq!(rows.len(), n + 1);
        // Every row names its household by the head's full ID number.
        let id = col(&rows[0], "户主证件号码");
        assert!(rows[1..].iter().all(|r| r[id].len() >= 18));
    }
    let visits = read_csv(done.entries[2].2.as_ref().unwrap());
    let (state, reason) = (col(&visits[0], "记录状态"), col(&visits[0], "作废原因"));
    assert_eq!(visits.iter().filter(|r| r[state] == "作废" && r[reason] == "日期录错").count(), 1);
    let channel = col(&visits[0], "V3 方式");
    assert!(visits[1..].iter().all(|r| ["入户走访", "电话", "视频", "其他"].contains(&r[channel].as_str())));

    let path = dir.path().join("导出.xlsx");
    let done = export::export(&store, &path, Format::Xlsx, &Filter::default(), &mut |_| {}).unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    for (title, n, file) in &done.entries {
        assert!(file.is_none());
        let data = book.worksheet_range(title).unwrap();
        assert_eq!(data.height(), n + 1, "{title}");
    }
    // A filter applies to the entries too: one village's households only.
    let p = store.summaries().unwrap()[0].place.clone();
    let filter = Filter { township: Some(p.township.clone()), village: Some(p.village.clone()), ..Filter::default() };
    let path = dir.path().join("一村.csv");
    let done = export::export(&store, &path, Format::Csv, &filter, &mut |_| {}).unwrap();
    let members = read_csv(done.entries[0].2.as_ref().unwrap());
    assert!(members.len() > 1 && members[1..].iter().all(|r| r[1] == p.village));
    // The look-back form only, on request: no handbook files.
    let path = dir.path().join("只要采集表.csv");
    let done = export::export(&store, &path, Format::Csv, &Filter { skip_handbook: true, ..Filter::default() }, &mut |_| {}).unwrap();
    assert!(done.entries.is_empty());
    assert!(!dir.path().join("只要采集表-家庭成员.csv").exists());
}
