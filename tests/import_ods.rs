//! An .ods roster shaped as LibreOffice Calc saves one: the `mimetype`
//! member first and stored, automatic styles, an ID as text and one typed
//! as a number, date cells, and the trailing empty region Calc always
//! writes (the last row repeated 1,048,5xx times, 1,024 columns). The
//! bounds that refuse hostile workbooks (issue 12 item 9) must let this
//! real shape through, and every row gets the outcome roster.md gives it.

use huitoukan::demo;
use huitoukan::form::YearMonth;
use huitoukan::io::import;
use huitoukan::io::roster::Source;
use huitoukan::store::Store;
use std::io::Write;

fn s(t: &str) -> String {
    format!(r#"<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{t}</text:p></table:table-cell>"#)
}
fn f(v: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="float" office:value="{v}" calcext:value-type="float"><text:p>{v}</text:p></table:table-cell>"#
    )
}
fn d(v: &str) -> String {
    format!(
        r#"<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="{v}" calcext:value-type="date"><text:p>{v}</text:p></table:table-cell>"#
    )
}
/// The empty cells Calc writes to the end of a row.
fn rest(used: usize) -> String {
    format!(r#"<table:table-cell table:number-columns-repeated="{}"/>"#, 1024 - used)
}

fn calc_ods() -> Vec<u8> {
    let header =
        ["乡镇", "村", "家庭地址", "户主姓名", "户主证件号码", "家庭人口数", "对象类别", "主要风险点", "纳入系统时间", "标注风险消除年月"];
    let rows = [
        header.iter().map(|h| s(h)).collect::<String>() + &rest(10),
        // Row 2: fine; A7 a date cell.
        [
            s("郁山镇"),
            s("中井村"),
            s("中井村3组"),
            s("冉光明"),
            s(&demo::id_number(21)),
            f("4"),
            s("脱贫不稳定户"),
            s("因大病"),
            d("2020-07-15"),
        ]
        .concat()
            + &rest(9),
        // Row 3: the ID typed as a number: its last digits are gone.
        [
            s("郁山镇"),
            s("中井村"),
            s("中井村4组"),
            s("向文"),
            f(&format!("{:E}", demo::id_number(22).parse::<f64>().unwrap())),
            f("2"),
            s("边缘户"),
            s("因灾"),
            f("202103"),
        ]
        .concat()
            + &rest(9),
        // Row 4: A7 as 2021年3月, A8 a date cell.
        [
            s("郁山镇"),
            s("中井村"),
            s("中井村5组"),
            s("庹林"),
            s(&demo::id_number(23)),
            f("1"),
            s("边缘户"),
            s("因学"),
            s("2021年3月"),
            d("2021-04-01"),
        ]
        .concat()
            + &rest(10),
    ];
    let body: String = rows.iter().map(|r| format!(r#"<table:table-row table:style-name="ro1">{r}</table:table-row>"#)).collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.3"><office:automatic-styles><style:style style:name="ro1" style:family="table-row"><style:table-row-properties style:row-height="0.178in" fo:break-before="auto" style:use-optimal-row-height="true"/></style:style><number:date-style style:name="N37"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style><style:style style:name="ce1" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N37"/></office:automatic-styles><office:body><office:spreadsheet><table:calculation-settings table:automatic-find-labels="false"/><table:table table:name="监测对象" table:style-name="ta1"><table:table-column table:style-name="co1" table:number-columns-repeated="1024" table:default-cell-style-name="Default"/>{body}<table:table-row table:style-name="ro1" table:number-rows-repeated="1048572"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table><table:named-expressions/></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("content.xml", deflated).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.start_file("META-INF/manifest.xml", deflated).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn an_ods_as_calc_saves_it_imports_with_each_rows_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("名单.ods");
    std::fs::write(&path, calc_ods()).unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let report = import::import(&store, &path, "clerk", false, &mut |_| {}).unwrap();
    assert_eq!(report.roster.source, Source::Workbook { sheet: "监测对象".into() });
    let ok: Vec<usize> = report.roster.rows.iter().map(|r| r.row).collect();
    assert_eq!(ok, [2, 4]);
    let a = &report.roster.rows[0].a;
    assert_eq!((a.size, a.enrolled, a.eliminated), (4, YearMonth::new(2020, 7).unwrap(), None));
    let a = &report.roster.rows[1].a;
    assert_eq!((a.enrolled, a.eliminated), (YearMonth::new(2021, 3).unwrap(), YearMonth::new(2021, 4)));
    assert_eq!(report.roster.rejected.len(), 1, "{:?}", report.roster.rejected);
    let r = &report.roster.rejected[0];
    assert_eq!((r.row, r.column.as_str()), (3, "户主证件号码"));
    assert!(r.reason.contains("丢失"), "{}", r.reason);
    assert_eq!(store.household_count().unwrap(), 2);
}
