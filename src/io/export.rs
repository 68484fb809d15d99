//! Exports for Excel: one row per household, columns in the form's order
//! (乡镇, 村, `A1 家庭地址` … `D10 该户计划消除时限`, 状态, 核实, 最后保存人,
//! 最后保存时间). Households stream from the store one at a time, so a
//! million of them are never held at once; the file is written under a
//! temporary name, owner-only, and renamed only when complete.

use super::file::{describe, parent_dir, AtomicFile};
use crate::form::file::Form;
use crate::form::rules::{self, display_value, Record};
use crate::form::schema::{Kind, FIELDS};
use crate::model::{Counts, Entry, FormState, Household, LookBack};
use crate::store::{Row, Store, StoreError};
use rust_xlsxwriter::{Format as CellFormat, FormatAlign, IgnoreError, Workbook, Worksheet, XlsxError};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

/// Data rows one Excel sheet can hold below its header.
pub const XLSX_MAX_ROWS: usize = 1_048_575;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// `.xlsx` → Excel, anything else → CSV.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()) {
            Some(e) if e == "xlsx" => Format::Xlsx,
            _ => Format::Csv,
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" | "excel" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Which households to export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub township: Option<String>,
    pub village: Option<String>,
    pub state: Option<FormState>,
    /// The look-back form only: no sheet or CSV for the handbook's forms
    /// (a city's export without reading every household's entries).
    pub skip_handbook: bool,
}

impl Filter {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.township {
            parts.push(format!("乡镇“{t}”"));
        }
        if let Some(v) = &self.village {
            parts.push(format!("村“{v}”"));
        }
        if let Some(s) = self.state {
            parts.push(format!("状态“{}”", s.label()));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("（{}）", parts.join("，"))
        }
    }

    fn keeps(&self, row: &Row) -> bool {
        let place = &row.record.household.place;
        self.village.as_ref().is_none_or(|v| *v == place.village)
            && self.township.as_ref().is_none_or(|t| *t == place.township)
            && self.state.is_none_or(|s| s == row.record.form.state)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("数据库中没有符合条件的户{filter}，没有生成文件。请检查乡镇、村的名称是否与数据库中的一致（可用 huitoukan report 查看）。")]
    NoRows { filter: String },
    #[error("要导出的户数超过了Excel一张表的上限（{XLSX_MAX_ROWS}行）。请按乡镇分批导出（--township），或导出为CSV。没有生成文件。")]
    TooManyRows,
    #[error("写入导出文件 {path} 失败：{reason}。没有生成文件，原有的同名文件（如果有）没有被改动。")]
    File { path: PathBuf, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub rows: usize,
    pub format: Format,
    /// Each repeating form's entries written (its own sheet, or its own CSV
    /// file beside the main one): title, entries, and the CSV's path.
    pub entries: Vec<(String, usize, Option<PathBuf>)>,
    /// Cells that could not be written as they are (household, field, why);
    /// the rest of the file is complete.
    pub problems: Vec<String>,
}

/// Longest text an Excel cell holds.
pub const XLSX_MAX_CELL_CHARS: usize = 32_767;

/// The header row.
pub fn header() -> Vec<String> {
    let mut h: Vec<String> = vec!["乡镇".into(), "村".into()];
    h.extend(FIELDS.iter().map(|f| f.heading()));
    h.extend(["状态", "核实", "最后保存人", "最后保存时间"].map(String::from));
    h
}

/// One household's row, as the clerk reads the values; fields of the branch
/// not taken are empty, multi-choice answers are joined with `、`.
pub fn cells(lb: &LookBack) -> Vec<String> {
    let h = &lb.household;
    let view = lb.view();
    // Each answer as the record's own definition labels it (an older round's
    // option lists may differ from the shipped form's).
    let own = lb.definition();
    // Which branch is taken is asked once, not once per field.
    let eliminated = rules::eliminated_in(own.unwrap_or_else(crate::form::schema::shipped), &view);
    let mut out = Vec::with_capacity(FIELDS.len() + 6);
    out.push(h.place.township.clone());
    out.push(h.place.village.clone());
    out.extend(FIELDS.iter().map(|f| {
        let f = own.and_then(|d| d.field(f.code)).unwrap_or(f);
        let value = rules::is_active_when(f, eliminated).then(|| view.value(f.code)).flatten();
        value.filter(|v| !v.is_blank()).map(|v| display_value(f, &v)).unwrap_or_default()
    }));
    out.push(lb.form.state.label().to_string());
    out.push(if h.verified { "已核实" } else { "未核实" }.to_string());
    out.push(lb.form.saved_by.clone().unwrap_or_default());
    out.push(lb.form.saved_at.map(|t| t.to_string()).unwrap_or_default());
    out
}

/// The header of a repeating form's sheet: the household, the entry's
/// number, the form's fields, then whether it is voided and who saved it.
pub fn entry_header(form: &Form) -> Vec<String> {
    let mut h: Vec<String> = ["乡镇", "村", "户主姓名", "户主证件号码", "序号"].map(String::from).to_vec();
    h.extend(form.fields.iter().map(|f| f.heading()));
    h.extend(["记录状态", "作废原因", "最后保存人", "最后保存时间"].map(String::from));
    h
}

/// One entry's row: each answer as the entry's own definition labels it.
pub fn entry_cells(h: &Household, e: &Entry, form: &Form) -> Vec<String> {
    let own = e.definition().unwrap_or(form);
    let mut out = vec![h.place.township.clone(), h.place.village.clone(), h.a.head.clone(), h.a.id_number.clone(), e.seq.to_string()];
    out.extend(form.fields.iter().map(|f| {
        let f = own.field(f.code).unwrap_or(f);
        e.answers.get(f.code).filter(|v| !v.is_blank()).map(|v| display_value(f, v)).unwrap_or_default()
    }));
    out.push(if e.voided.is_some() { "作废" } else { "有效" }.to_string());
    out.push(e.voided.as_ref().map(|v| v.reason.clone()).unwrap_or_default());
    out.push(e.saved_by.clone());
    out.push(e.saved_at.to_string());
    out
}

/// Where a repeating form's CSV goes beside the main one: `导出-家庭成员.csv`.
pub fn entry_csv_path(main: &Path, form: &Form) -> PathBuf {
    let stem = main.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "导出".into());
    let ext = main.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_else(|| ".csv".into());
    main.with_file_name(format!("{stem}-{}{ext}", form.title))
}

/// Writes the households `filter` selects to `path`. `progress` is called
/// with the number of rows written, now and then.
pub fn export(
    store: &Store,
    path: &Path,
    format: Format,
    filter: &Filter,
    progress: &mut dyn FnMut(usize),
) -> Result<Exported, ExportError> {
    let rows: Box<dyn Iterator<Item = crate::store::Result<Row>>> = match &filter.township {
        Some(t) => Box::new(store.rows_in(t, filter.village.as_deref())),
        None => Box::new(store.rows()),
    };
    let with_entries = !filter.skip_handbook;
    let rows = rows.map(move |row| {
        let mut row = row?;
        if with_entries {
            row.entries = store.entries(row.key)?;
        }
        Ok(row)
    });
    export_rows(Box::new(rows), path, format, filter, progress)
}

/// [`export`] through any backend (the store server's, when one runs).
pub fn export_via(
    backend: &dyn crate::backend::Backend,
    path: &Path,
    format: Format,
    filter: &Filter,
    progress: &mut dyn FnMut(usize),
) -> Result<Exported, ExportError> {
    let rows = backend.rows(&crate::backend::RowFilter {
        township: filter.township.clone(),
        village: filter.village.clone(),
        entries: !filter.skip_handbook,
    });
    export_rows(rows, path, format, filter, progress)
}

fn export_rows(
    rows: Box<dyn Iterator<Item = crate::store::Result<Row>> + '_>,
    path: &Path,
    format: Format,
    filter: &Filter,
    progress: &mut dyn FnMut(usize),
) -> Result<Exported, ExportError> {
    let file_err = |e: &dyn std::fmt::Display| ExportError::File { path: path.to_path_buf(), reason: e.to_string() };
    super::file::refuse_inside_store(path).map_err(|e| file_err(&describe(&e)))?;
    let mut out = AtomicFile::create(path).map_err(|e| file_err(&describe(&e)))?;
    let rows = rows.filter(|r| r.as_ref().map_or(true, |r| filter.keeps(r)));
    let mut problems = Vec::new();
    let forms: &[&'static Form] = if filter.skip_handbook { &[] } else { crate::form::schema::handbook() };
    let mut counts = vec![0usize; forms.len()];
    let mut extra_files = Vec::new();
    let written = match format {
        Format::Csv => {
            for form in forms {
                let p = entry_csv_path(path, form);
                let f = AtomicFile::create(&p).map_err(|e| ExportError::File { path: p.clone(), reason: describe(&e) })?;
                extra_files.push((p, f));
            }
            let mut files: Vec<&mut AtomicFile> = extra_files.iter_mut().map(|(_, f)| f).collect();
            write_csv(&mut out, &mut files, forms, rows, progress, &mut counts).map_err(|e| match e {
                WriteError::Io(e) => file_err(&describe(&e)),
                WriteError::Store(e) => ExportError::Store(e),
            })?
        }
        Format::Xlsx => super::quietly(|| write_xlsx(&mut out, parent_dir(path), forms, rows, progress, &mut problems, &mut counts))
            .map_err(|panic| {
                let full = panic.contains("No space left") || panic.contains("StorageFull") || panic.contains("code: 28");
                file_err(&if full {
                    "磁盘已满，请清理磁盘空间后再试".to_string()
                } else {
                    format!("写Excel文件时出错（{panic}）")
                })
            })??,
    };
    if written == 0 {
        return Err(ExportError::NoRows { filter: filter.describe() });
    }
    let mut entries = Vec::new();
    for (i, form) in forms.iter().enumerate() {
        entries.push((form.title.to_string(), counts[i], extra_files.get(i).map(|(p, _)| p.clone())));
    }
    for (p, f) in extra_files {
        f.commit().map_err(|e| ExportError::File { path: p.clone(), reason: describe(&e) })?;
    }
    out.commit().map_err(|e| file_err(&describe(&e)))?;
    Ok(Exported { rows: written, format, problems, entries })
}

enum WriteError {
    Io(std::io::Error),
    Store(StoreError),
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e)
    }
}

impl From<csv::Error> for WriteError {
    fn from(e: csv::Error) -> Self {
        WriteError::Io(e.into())
    }
}

fn write_csv(
    out: &mut AtomicFile,
    extra: &mut [&mut AtomicFile],
    forms: &[&'static Form],
    rows: impl Iterator<Item = crate::store::Result<Row>>,
    progress: &mut dyn FnMut(usize),
    counts: &mut [usize],
) -> Result<usize, WriteError> {
    let mut w = out.writer();
    w.write_all(super::BOM)?;
    let mut csv = csv::Writer::from_writer(w);
    super::write_csv_record(&mut csv, &header())?;
    // One CSV per repeating form, one row per entry with the household's ID.
    let mut others = Vec::with_capacity(extra.len());
    for (file, form) in extra.iter_mut().zip(forms) {
        let mut w = file.writer();
        w.write_all(super::BOM)?;
        let mut c = csv::Writer::from_writer(w);
        super::write_csv_record(&mut c, &entry_header(form))?;
        others.push(c);
    }
    let mut n = 0;
    for row in rows {
        let row = row.map_err(WriteError::Store)?;
        super::write_csv_record(&mut csv, &cells(&row.record))?;
        for e in &row.entries {
            if let Some(i) = forms.iter().position(|f| f.id == e.form.id) {
                if let Some(c) = others.get_mut(i) {
                    super::write_csv_record(c, &entry_cells(&row.record.household, e, forms[i]))?;
                    counts[i] += 1;
                }
            }
        }
        n += 1;
        if n % 1000 == 0 {
            progress(n);
        }
    }
    csv.flush()?;
    for mut c in others {
        c.flush()?;
    }
    progress(n);
    Ok(n)
}

/// Column width in Excel's units (about one Latin digit; a CJK character
/// takes two), from the widest value, with a readable floor and ceiling.
fn column_width(header: &str, widest_value: usize) -> f64 {
    let head = header.width().min(16);
    (head.max(widest_value) + 2).clamp(6, 50) as f64
}

fn write_xlsx(
    out: &mut AtomicFile,
    temp_dir: PathBuf,
    forms: &[&'static Form],
    rows: impl Iterator<Item = crate::store::Result<Row>>,
    progress: &mut dyn FnMut(usize),
    problems: &mut Vec<String>,
    counts: &mut [usize],
) -> Result<usize, ExportError> {
    let xlsx_err = |e: XlsxError| match e {
        XlsxError::RowColumnLimitError => ExportError::TooManyRows,
        XlsxError::IoError(e) => ExportError::File { path: temp_dir.clone(), reason: describe(&e) },
        other => ExportError::File { path: temp_dir.clone(), reason: other.to_string() },
    };
    let header = header();
    let int_columns: Vec<bool> =
        [false, false].into_iter().chain(FIELDS.iter().map(|f| matches!(f.kind, Kind::Integer { .. }))).chain([false; 4]).collect();
    let mut widths = vec![0usize; header.len()];
    let mut per_place: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
    let bold = CellFormat::new().set_bold();
    let head_fmt = CellFormat::new().set_bold().set_text_wrap().set_align(FormatAlign::Top);

    let mut book = Workbook::new();
    // Constant-memory sheets spool rows to an unnamed temporary file; keep
    // it on the export's disk rather than in a RAM-backed /tmp.
    book.set_tempdir(&temp_dir).map_err(xlsx_err)?;
    book.add_worksheet_with_constant_memory().set_name("采集结果").map_err(xlsx_err)?;
    // One sheet per repeating form, one row per entry with the household's ID.
    for form in forms {
        let s = book.add_worksheet_with_constant_memory();
        s.set_name(form.title).map_err(xlsx_err)?;
        for (c, h) in entry_header(form).iter().enumerate() {
            s.write_string_with_format(0, c as u16, h, &head_fmt).map_err(xlsx_err)?;
        }
        s.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    }
    let (first, others) = book.worksheets_mut().split_at_mut(1);
    let sheet = &mut first[0];
    sheet.set_row_height(0, 48).map_err(xlsx_err)?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &head_fmt).map_err(xlsx_err)?;
    }
    let mut n = 0usize;
    for row in rows {
        let row = row?;
        if n >= XLSX_MAX_ROWS {
            return Err(ExportError::TooManyRows);
        }
        let r = (n + 1) as u32;
        for (c, text) in cells(&row.record).iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            // One cell Excel cannot hold does not cost the whole file: it
            // says so in the cell, and the household and field are named.
            let too_long = text.chars().count() > XLSX_MAX_CELL_CHARS;
            let shown: &str = if too_long {
                "（内容超过Excel单元格的上限32767字，没有导出，请在程序中查看并改短）"
            } else {
                text
            };
            if too_long {
                let h = &row.record.household;
                problems.push(format!(
                    "{} {} 户主{}（{}）的“{}”有{}个字，超过Excel单元格的上限，没有导出",
                    h.place.township,
                    h.place.village,
                    h.a.head,
                    crate::form::idnum::mask(&h.a.id_number),
                    header[c],
                    text.chars().count()
                ));
            }
            widths[c] = widths[c].max(shown.width().min(60));
            match shown.parse::<f64>() {
                Ok(x) if int_columns[c] => sheet.write_number(r, c as u16, x),
                _ => sheet.write_string(r, c as u16, shown),
            }
            .map_err(xlsx_err)?;
        }
        for e in &row.entries {
            let Some(i) = forms.iter().position(|f| f.id == e.form.id) else { continue };
            if counts[i] >= XLSX_MAX_ROWS {
                return Err(ExportError::TooManyRows);
            }
            let r = (counts[i] + 1) as u32;
            for (c, text) in entry_cells(&row.record.household, e, forms[i]).iter().enumerate() {
                if !text.is_empty() {
                    let text: String = text.chars().take(XLSX_MAX_CELL_CHARS).collect();
                    others[i].write_string(r, c as u16, text).map_err(xlsx_err)?;
                }
            }
            counts[i] += 1;
        }
        let place = &row.record.household.place;
        per_place.entry(place.township.clone()).or_default().entry(place.village.clone()).or_default().add(&row.summary);
        n += 1;
        if n.is_multiple_of(1000) {
            progress(n);
        }
    }
    if n == 0 {
        return Ok(0);
    }
    let last_col = (header.len() - 1) as u16;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    sheet.autofilter(0, 0, n as u32, last_col).map_err(xlsx_err)?;
    // Every cell is text on purpose (ID numbers): no "number stored as text" flags.
    sheet.ignore_error_range(1, 0, n as u32, last_col, IgnoreError::NumberStoredAsText).map_err(xlsx_err)?;
    for (c, h) in header.iter().enumerate() {
        sheet.set_column_width(c as u16, column_width(h, widths[c])).map_err(xlsx_err)?;
    }
    write_summary(book.add_worksheet(), &per_place, &bold).map_err(xlsx_err)?;
    progress(n);
    let mut w = out.writer();
    book.save_to_writer(&mut w).map_err(xlsx_err)?;
    w.flush().map_err(|e| ExportError::File { path: temp_dir.clone(), reason: describe(&e) })?;
    Ok(n)
}

/// The second sheet: counts by township and village, with totals.
fn write_summary(
    sheet: &mut Worksheet,
    per_place: &BTreeMap<String, BTreeMap<String, Counts>>,
    bold: &CellFormat,
) -> Result<(), XlsxError> {
    sheet.set_name("汇总")?;
    let head = ["乡镇", "村", "户数", "未填", "草稿", "已提交", "已核实", "有错误"];
    for (c, h) in head.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, bold)?;
    }
    let figures = |c: &Counts| [c.households, c.empty, c.draft, c.submitted, c.verified, c.with_errors];
    let mut write_line = |r: u32, t: &str, v: &str, c: &Counts, fmt: Option<&CellFormat>| -> Result<(), XlsxError> {
        let plain = CellFormat::new();
        let fmt = fmt.unwrap_or(&plain);
        sheet.write_string_with_format(r, 0, t, fmt)?;
        sheet.write_string_with_format(r, 1, v, fmt)?;
        for (i, x) in figures(c).iter().enumerate() {
            sheet.write_number_with_format(r, 2 + i as u16, *x as f64, fmt)?;
        }
        Ok(())
    };
    let mut r = 1u32;
    let mut total = Counts::default();
    for (township, villages) in per_place {
        let mut sub = Counts::default();
        for (village, c) in villages {
            write_line(r, township, village, c, None)?;
            sub.merge(c);
            r += 1;
        }
        write_line(r, township, "（乡镇合计）", &sub, Some(bold))?;
        total.merge(&sub);
        r += 1;
    }
    write_line(r, "合计", "", &total, Some(bold))?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 16)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_follows_the_form() {
        let h = header();
        assert_eq!(h.len(), 2 + FIELDS.len() + 4);
        assert_eq!(h[2], "A1 家庭地址");
        assert_eq!(h[2 + FIELDS.len() - 1], "D10 该户计划消除时限");
        assert_eq!(h.last().map(String::as_str), Some("最后保存时间"));
    }

    #[test]
    fn widths_are_cjk_aware_and_bounded() {
        assert_eq!(column_width("A2 户主姓名", "张三".width()), 13.0);
        assert_eq!(column_width("A1 家庭地址", 300), 50.0);
        assert_eq!(column_width("核实", 6), 8.0);
    }
}
