//! Reading a roster (监测对象名单) as the monitoring platform, Excel and WPS
//! write it: `.csv` in UTF-8, UTF-8 with BOM or GBK/GB18030, or a workbook
//! (`.xlsx`, also `.xls`). Headers are found by name (`../shared/spec/roster.md`);
//! every value is normalised and checked with the form's own rules
//! ([`rules::parse_input`], the section A checks of [`rules::validate`]),
//! plus the roster-only rules: places must be named, an ID may appear once.
//!
//! Nothing here touches the store: [`read`] turns a file into accepted rows
//! and rejections, and [`super::import`] commits the rows.

use crate::form::rules::{self, Severity};
use crate::form::schema::{self, Field, Kind, Section};
use crate::form::value::{normalize_ascii, YearMonth};
use crate::form::{Round, Value};
use crate::model::{Place, SectionA};
use calamine::{Data, Reader};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Rows searched for the header: some exports put a title above it.
pub(crate) const HEADER_SEARCH_ROWS: usize = 10;
/// Longest township or village name accepted (longer means a wrong column).
const MAX_PLACE_CHARS: usize = 40;

/// Why a roster could not be read at all. Nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("无法读取名单文件 {path}：{reason}")]
    Open { path: String, reason: String },
    #[error("{path} 不是普通文件（{kind}），不能当名单读取。请给出名单文件（.csv 或 .xlsx）本身的路径。")]
    NotAFile { path: String, kind: String },
    #[error("名单文件 {path} 太大（{size}），超过了{limit}的上限。请按乡镇分成几个文件再分别导入。")]
    TooLarge { path: String, size: String, limit: String },
    #[error("名单文件的编码无法识别：它既不是UTF-8，也不是GBK/GB18030（第{offset}字节起无法解码）。请在Excel或WPS中打开它，另存为“CSV UTF-8（逗号分隔）”或.xlsx后再导入。")]
    Encoding { offset: usize },
    #[error("名单文件开头标明是UTF-8，但第{offset}字节起不是UTF-8，文件可能被截断或拼接过。请重新从Excel另存为“CSV UTF-8”后再导入。")]
    BrokenUtf8 { offset: usize },
    #[error("名单文件是UTF-16编码（Excel的“Unicode文本”）。请在Excel中另存为“CSV UTF-8（逗号分隔）”或.xlsx后再导入。")]
    Utf16,
    #[error("无法读取Excel文件：{detail}。文件可能已损坏、加密或不是Excel格式；请在Excel或WPS中打开它，另存为.xlsx后再导入。")]
    Workbook { detail: String },
    #[error("CSV文件第{row}行无法解析：{detail}")]
    Csv { row: usize, detail: String },
    #[error("CSV文件第{line}行有一个没有配对的双引号（{start}……）：从这里到文件末尾的{rest}行都会被读成这一格的内容。请在Excel或WPS中打开名单，改正这一格后重新另存为CSV再导入；数据库没有任何改动。")]
    UnclosedQuote { line: usize, start: String, rest: usize },
    #[error("名单{place}缺少必需的列：{}。{}请补上这些列后再导入；数据库没有任何改动。", .missing.join("、"), found_text(.found))]
    MissingColumns { place: String, missing: Vec<String>, found: Vec<String> },
    #[error("名单{place}中没有数据行（表头下面是空的）。请确认选对了文件和工作表。")]
    NoRows { place: String },
}

fn found_text(found: &[String]) -> String {
    if found.is_empty() {
        "文件第一行没有可识别的列名。".into()
    } else {
        // Without a header the "columns" are a data row: mask its ID numbers.
        let shown: Vec<String> = found.iter().map(|f| super::import::mask_ids(&super::printable(f))).collect();
        format!("文件中的列是：{}。", shown.join("、"))
    }
}

/// How the file was read, for the summary line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Csv { encoding: Encoding },
    Workbook { sheet: String },
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Csv { encoding } => format!("CSV，{}", encoding.label()),
            Source::Workbook { sheet } => format!("Excel，工作表“{sheet}”"),
        }
    }
}

/// The text encodings a roster CSV may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    /// GBK is a subset of GB18030: one decoder reads both.
    Gb18030,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8编码",
            Encoding::Utf8Bom => "UTF-8（带BOM）编码",
            Encoding::Gb18030 => "GBK/GB18030编码",
        }
    }
}

/// One row of the roster that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// Row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub place: Place,
    pub a: SectionA,
}

/// One problem with one cell of a rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub row: usize,
    /// What the column holds: `乡镇`, `村`, or the field code `A1`…`A8`.
    pub code: &'static str,
    /// The column's header as written in the file.
    pub column: String,
    /// The cell as read (as Excel shows it, for numbers and dates).
    pub value: String,
    /// What is wrong and what to do, in Chinese.
    pub reason: String,
}

/// A roster read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub source: Source,
    /// Non-blank data rows below the header.
    pub data_rows: usize,
    pub rows: Vec<RosterRow>,
    /// Problems of rejected rows, in row order (a row may have several).
    pub rejected: Vec<Rejection>,
    /// Headers that are not roster columns (ignored), in file order.
    pub unknown_columns: Vec<String>,
}

impl Roster {
    /// Number of distinct rejected rows.
    pub fn rejected_rows(&self) -> usize {
        let mut rows: Vec<usize> = self.rejected.iter().map(|r| r.row).collect();
        rows.dedup();
        rows.len()
    }

    /// The accepted rows in the shape the store takes.
    pub fn upserts(&self) -> Vec<(Place, SectionA)> {
        self.rows.iter().map(|r| (r.place.clone(), r.a.clone())).collect()
    }

    /// [`Roster::upserts`] moved out rather than copied (a city's roster
    /// is hundreds of megabytes), with the row numbers that
    /// [`Roster::put_back`] needs to return them.
    pub fn take_upserts(&mut self) -> (Vec<usize>, Vec<(Place, SectionA)>) {
        std::mem::take(&mut self.rows).into_iter().map(|r| (r.row, (r.place, r.a))).unzip()
    }

    /// Puts back what [`Roster::take_upserts`] took.
    pub fn put_back(&mut self, rows: Vec<usize>, upserts: Vec<(Place, SectionA)>) {
        self.rows = rows.into_iter().zip(upserts).map(|(row, (place, a))| RosterRow { row, place, a }).collect();
    }
}

/// A cell as read, before any field's rules see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// An Excel date cell: its month, and the date as Excel shows it.
    Date(Option<YearMonth>, String),
}

impl Cell {
    /// The cell as the clerk sees it in Excel (for reports).
    pub fn as_read(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(x) => excel_general(*x),
            Cell::Date(_, shown) => shown.clone(),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// Text a field's parser reads, with spreadsheet artefacts undone: a
    /// number cell becomes the digits Excel shows, a date cell its month.
    fn text_for(&self, field: &Field) -> String {
        match (self, field.kind) {
            (Cell::Empty, _) => String::new(),
            (Cell::Text(s), Kind::Month) => strip_time(s).to_string(),
            (Cell::Text(s), _) => s.clone(),
            (Cell::Date(Some(ym), _), Kind::Month) => ym.to_string(),
            (Cell::Date(_, shown), _) => shown.clone(),
            // An ID typed as a number keeps only 15 digits: show it as Excel
            // does, so the ID rule says plainly that digits were lost.
            (Cell::Number(x), Kind::IdNumber) if x.abs() >= 1e15 => excel_general(*x),
            (Cell::Number(x), _) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
            (Cell::Number(x), _) => excel_general(*x),
        }
    }
}

/// `2021/3/1 0:00` (a date cell Excel saved into a CSV) → `2021/3/1`.
fn strip_time(text: &str) -> &str {
    let t = text.trim();
    match t.split_once([' ', 'T']) {
        Some((date, time)) if time.contains(':') => date,
        _ => t,
    }
}

/// A number as Excel's General format shows it: whole numbers up to 11
/// digits as digits, larger ones as `5.00243E+17`.
pub fn excel_general(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e11 {
        return format!("{}", x as i64);
    }
    if x.abs() >= 1e11 || x.abs() < 1e-9 {
        let s = format!("{x:.5E}");
        let (mantissa, exp) = s.split_once('E').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mantissa}E{sign}{digits:0>2}");
    }
    let s = format!("{x:.9}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What a roster column feeds.
#[derive(Debug, Clone, Copy)]
enum Target {
    Township,
    Village,
    Field(&'static Field),
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code()
    }
}

impl Target {
    fn code(self) -> &'static str {
        match self {
            Target::Township => "乡镇",
            Target::Village => "村",
            Target::Field(f) => f.code,
        }
    }

    /// The names a header may have, the roster's own name first.
    fn names(self) -> Vec<String> {
        match self {
            Target::Township => vec!["乡镇".into(), "乡镇(街道)".into(), "乡镇街道".into()],
            Target::Village => vec!["村".into(), "村(社区)".into(), "村社区".into()],
            Target::Field(f) => {
                let mut names: Vec<String> =
                    ROSTER_ALIASES.iter().filter(|(code, _)| *code == f.code).map(|(_, name)| name.to_string()).collect();
                names.push(f.label.to_string());
                // Our own export's headers, so an export can be imported back.
                names.push(normalize_header(&f.heading()));
                names
            }
        }
    }

    fn all() -> Vec<Target> {
        let mut t = vec![Target::Township, Target::Village];
        t.extend(schema::section_fields(Section::A).map(Target::Field));
        t
    }
}

/// Roster headers that differ from the form's labels (roster.md).
const ROSTER_ALIASES: &[(&str, &str)] = &[("A6", "主要风险点")];

/// Trimmed, full-width brackets and spaces made ASCII, inner spaces and a
/// leading required-marker `*` dropped.
fn normalize_header(h: &str) -> String {
    let n = normalize_ascii(h.trim_start_matches('\u{feff}'));
    let n: String = n.chars().filter(|c| !c.is_whitespace()).collect();
    n.trim_start_matches('*').to_string()
}

/// A column of our own export that is not section A (B1–D10 answers and the
/// record's state): expected in a re-imported export, not worth listing.
fn is_answer_column(key: &str) -> bool {
    schema::FIELDS.iter().any(|f| !f.is_prefilled() && normalize_header(&f.heading()) == key)
        || ["状态", "核实", "最后保存人", "最后保存时间"].contains(&key)
}

/// Where each roster column is in the file.
struct Columns {
    /// (target, column index, header as written)
    cols: Vec<(Target, usize, String)>,
    unknown: Vec<String>,
}

impl Columns {
    fn find(header: &[Cell]) -> (Columns, Vec<String>) {
        let targets = Target::all();
        let names: Vec<(Target, Vec<String>)> = targets.iter().map(|t| (*t, t.names())).collect();
        let mut cols: Vec<(Target, usize, String)> = Vec::new();
        let mut unknown = Vec::new();
        let mut answer_columns = 0;
        for (i, cell) in header.iter().enumerate() {
            let written = cell.as_read().trim().trim_start_matches('\u{feff}').to_string();
            if written.is_empty() {
                continue;
            }
            let key = normalize_header(&written);
            match names.iter().find(|(_, n)| n.contains(&key)) {
                Some((t, _)) if !cols.iter().any(|(c, _, _)| c == t) => cols.push((*t, i, written)),
                Some(_) => unknown.push(format!("{written}（重复的列，只用第一列）")),
                None if is_answer_column(&key) => answer_columns += 1,
                None => unknown.push(written),
            }
        }
        if answer_columns > 0 {
            unknown.push(format!("采集表答案等{answer_columns}列（导入只读基础信息）"));
        }
        let missing = names.iter().filter(|(t, _)| !cols.iter().any(|(c, _, _)| c == t)).map(|(_, n)| n[0].clone()).collect();
        (Columns { cols, unknown }, missing)
    }
}

/// Largest roster file read: a city's roster as CSV is about 200 MB.
pub const MAX_ROSTER_BYTES: u64 = 512 << 20;

/// Reads and checks a roster file. `progress` is called with the number of
/// rows checked so far, now and then.
pub fn read(path: &Path, round: &Round, progress: &mut dyn FnMut(usize)) -> Result<Roster, RosterError> {
    let bytes = read_file(path)?;
    read_bytes(&bytes, round, progress)
}

/// Checks that `path` is a regular file of a size that may be read, without
/// opening it (opening a FIFO would wait for a writer, forever).
pub fn check_file(path: &Path) -> Result<u64, RosterError> {
    let shown = || path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| RosterError::Open { path: shown(), reason: super::file::describe(&e) })?;
    file_ok(path, &meta)
}

fn file_ok(path: &Path, meta: &std::fs::Metadata) -> Result<u64, RosterError> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if !t.is_file() {
        let kind = if t.is_dir() {
            "是一个目录"
        } else if t.is_fifo() {
            "是一个管道"
        } else if t.is_char_device() || t.is_block_device() {
            "是一个设备"
        } else if t.is_socket() {
            "是一个套接字"
        } else {
            "不是普通文件"
        };
        return Err(RosterError::NotAFile { path: path.display().to_string(), kind: kind.into() });
    }
    if meta.len() > MAX_ROSTER_BYTES {
        return Err(RosterError::TooLarge {
            path: path.display().to_string(),
            size: super::snapshot::human_bytes(meta.len()),
            limit: super::snapshot::human_bytes(MAX_ROSTER_BYTES),
        });
    }
    Ok(meta.len())
}

/// Reads a regular file of at most [`MAX_ROSTER_BYTES`]: opened without
/// blocking (a FIFO swapped in after the check does not hang), checked again
/// on the open file, and read with the cap (a file that grows meanwhile).
fn read_file(path: &Path) -> Result<Vec<u8>, RosterError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let open_err = |e: std::io::Error| RosterError::Open { path: path.display().to_string(), reason: super::file::describe(&e) };
    check_file(path)?;
    let f = std::fs::OpenOptions::new().read(true).custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32).open(path).map_err(open_err)?;
    let len = file_ok(path, &f.metadata().map_err(open_err)?)?;
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(MAX_ROSTER_BYTES + 1).read_to_end(&mut bytes).map_err(open_err)?;
    if bytes.len() as u64 > MAX_ROSTER_BYTES {
        return Err(RosterError::TooLarge {
            path: path.display().to_string(),
            size: format!("超过{}", super::snapshot::human_bytes(MAX_ROSTER_BYTES)),
            limit: super::snapshot::human_bytes(MAX_ROSTER_BYTES),
        });
    }
    Ok(bytes)
}

/// Reads and checks a roster from its bytes; the kind of file is found from
/// the content (a workbook starts with a zip or OLE signature).
pub fn read_bytes(bytes: &[u8], round: &Round, progress: &mut dyn FnMut(usize)) -> Result<Roster, RosterError> {
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    if is_zip || is_ole {
        read_workbook(bytes, round, progress)
    } else {
        // The rows are checked as the csv reader yields them: only the
        // accepted ones are kept, not every cell of every row.
        let (text, encoding) = decode_in_place(bytes)?;
        let rows = csv_rows(&text)?;
        check(rows, Source::Csv { encoding }, String::new(), round, progress)
    }
}

/// Detects UTF-8 (with or without BOM) or GB18030 and decodes; refuses
/// anything else rather than guess and show mojibake.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), RosterError> {
    decode_in_place(bytes).map(|(text, encoding)| (text.into_owned(), encoding))
}

/// [`decode`] without a copy of a file that is UTF-8 already.
fn decode_in_place(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, str>, Encoding), RosterError> {
    use std::borrow::Cow;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(RosterError::Utf16);
    }
    if let Some(rest) = bytes.strip_prefix(super::BOM) {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((Cow::Borrowed(s), Encoding::Utf8Bom)),
            Err(e) => Err(RosterError::BrokenUtf8 { offset: e.valid_up_to() + 4 }),
        };
    }
    let utf8_err = match std::str::from_utf8(bytes) {
        Ok(s) => return Ok((Cow::Borrowed(s), Encoding::Utf8)),
        Err(e) => e,
    };
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(s) => Ok((Cow::Owned(s.into_owned()), Encoding::Gb18030)),
        None => Err(RosterError::Encoding { offset: utf8_err.valid_up_to() + 1 }),
    }
}

/// Rows of a CSV as (row number, cells); the delimiter (comma, or tab for
/// Excel's "text" files, or semicolon) is the one a line among the first
/// ten holds most of: the first line may be a title above the header.
fn csv_rows(text: &str) -> Result<impl Iterator<Item = Result<(usize, Vec<Cell>), RosterError>> + '_, RosterError> {
    let most_in_a_line = |d: u8| text.lines().take(10).map(|l| l.bytes().filter(|b| *b == d).count()).max().unwrap_or(0);
    let delimiter = [b',', b'\t', b';'].into_iter().max_by_key(|d| (most_in_a_line(*d), *d == b',')).unwrap_or(b',');
    if let Some((line, start)) = unclosed_quote(text, delimiter) {
        let rest = text[start..].lines().count();
        let start: String = text[start..].chars().take(12).collect();
        let start = super::import::mask_ids(&super::printable(&start).replace('\n', " "));
        return Err(RosterError::UnclosedQuote { line, start, rest });
    }
    let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    Ok(reader.into_records().enumerate().map(|(i, rec)| {
        let rec = rec.map_err(|e| RosterError::Csv { row: i + 1, detail: e.to_string() })?;
        let cells =
            rec.iter().map(|s| if s.is_empty() { Cell::Empty } else { Cell::Text(super::strip_controls(s, false).into_owned()) }).collect();
        Ok((i + 1, cells))
    }))
}

/// Where a quoted field opens and never closes, as (line, byte offset of
/// the quote), reading quotes the way the csv crate does: a quote opens a
/// quoted field only at the start of a field, `""` inside one is a quote.
pub fn unclosed_quote(text: &str, delimiter: u8) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let (mut line, mut field_start, mut open) = (1usize, true, None::<(usize, usize)>);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if open.is_some() {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    open = None;
                }
            } else if b == b'\n' {
                line += 1;
            }
        } else if b == b'"' && field_start {
            open = Some((line, i));
        } else if b == b'\n' {
            line += 1;
            field_start = true;
            i += 1;
            continue;
        }
        field_start = b == delimiter && open.is_none();
        i += 1;
    }
    open
}

fn workbook_error(detail: impl std::fmt::Display) -> RosterError {
    RosterError::Workbook { detail: detail.to_string() }
}

/// Runs calamine code on a workbook from outside. calamine panics on some
/// damaged files (0.31 indexes the shared strings with the number a cell
/// holds, unchecked: found by fuzzing, see docs/fuzzing.md): the panic
/// becomes the workbook error, quietly (see [`super::quietly`]).
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, RosterError> {
    super::quietly(f).map_err(|_| workbook_error("文件内部的结构有错误（例如引用了不存在的内容）"))
}

/// A table as read: (row number, cells) per row.
pub(crate) type Rows = Vec<(usize, Vec<Cell>)>;

/// Reads a table file of any other kind of roster (the members of the
/// handbook): a CSV whole, or the first sheet of a workbook whose first rows
/// hold a row `is_header` accepts (else its first sheet), with the same
/// limits and checks of the file as the household roster.
pub(crate) fn read_table(path: &Path, is_header: &dyn Fn(&[Cell]) -> bool) -> Result<(Source, Rows), RosterError> {
    let bytes = read_file(path)?;
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    if !(is_zip || is_ole) {
        let (text, encoding) = decode_in_place(&bytes)?;
        let rows = csv_rows(&text)?.collect::<Result<Rows, _>>()?;
        return Ok((Source::Csv { encoding }, rows));
    }
    let (sheet, rows) = workbook_sheet(&bytes, is_header)?;
    Ok((Source::Workbook { sheet }, rows))
}

/// The first sheet of a workbook whose first rows hold a row `is_header`
/// accepts, else its first sheet. What calamine would allocate is bounded
/// first (`super::bounds`); calamine runs through [`quietly`].
fn workbook_sheet(bytes: &[u8], is_header: &dyn Fn(&[Cell]) -> bool) -> Result<(String, Rows), RosterError> {
    if bytes.starts_with(b"PK") {
        super::bounds::check_zip(bytes).map_err(workbook_error)?;
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        super::bounds::check_ole(bytes).map_err(workbook_error)?;
    }
    let mut book = quietly(|| calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)))?.map_err(workbook_error)?;
    let mut first: Option<(String, Rows)> = None;
    for name in book.sheet_names() {
        let rows = quietly(|| -> Result<Rows, calamine::Error> {
            let range = book.worksheet_range(&name)?;
            let (row0, col0) = range.start().unwrap_or((0, 0));
            Ok(range
                .rows()
                .enumerate()
                .map(|(i, r)| {
                    let mut cells = vec![Cell::Empty; col0 as usize];
                    cells.extend(r.iter().map(cell_of));
                    (row0 as usize + i + 1, cells)
                })
                .collect())
        })?
        .map_err(workbook_error)?;
        if rows.iter().take(HEADER_SEARCH_ROWS).any(|(_, cells)| is_header(cells)) {
            return Ok((name, rows));
        }
        first.get_or_insert((name, rows));
    }
    first.ok_or_else(|| workbook_error("工作簿中没有工作表"))
}

/// Reads a workbook (`.xlsx`, `.xls`, `.ods`) from its bytes: the first
/// sheet whose header has every roster column. [`read_bytes`] calls this for
/// content with a zip or OLE signature; it is public for fuzzing. calamine is
/// run through [`quietly`]: a damaged workbook must give a message, not a crash.
pub fn read_workbook(bytes: &[u8], round: &Round, progress: &mut dyn FnMut(usize)) -> Result<Roster, RosterError> {
    let (name, rows) = workbook_sheet(bytes, &|cells| Columns::find(cells).1.is_empty())?;
    let place = format!("（工作表“{name}”）");
    check(rows.into_iter().map(Ok), Source::Workbook { sheet: name }, place, round, progress)
}

fn cell_of(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(super::strip_controls(s, false).into_owned()),
        Data::Int(n) => Cell::Number(*n as f64),
        Data::Float(x) => Cell::Number(*x),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        Data::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            Cell::Date(YearMonth::new(y, m), format!("{y:04}-{m:02}-{d:02}"))
        }
        Data::DateTimeIso(s) => Cell::Text(s.clone()),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

/// Index of the row holding every roster column, among the first rows.
fn header_row(rows: &[(usize, Vec<Cell>)]) -> Option<usize> {
    rows.iter().take(HEADER_SEARCH_ROWS).position(|(_, cells)| Columns::find(cells).1.is_empty())
}

/// Finds the header, then checks every data row as it comes.
fn check(
    rows: impl Iterator<Item = Result<(usize, Vec<Cell>), RosterError>>,
    source: Source,
    place: String,
    round: &Round,
    progress: &mut dyn FnMut(usize),
) -> Result<Roster, RosterError> {
    let mut rows = rows;
    let mut head: Rows = Vec::with_capacity(HEADER_SEARCH_ROWS);
    for row in rows.by_ref().take(HEADER_SEARCH_ROWS) {
        head.push(row?);
    }
    let Some(h) = header_row(&head) else {
        // Name what is missing from the row that looks most like a header.
        let best = head.iter().take(HEADER_SEARCH_ROWS).map(|(_, cells)| Columns::find(cells)).min_by_key(|(_, missing)| missing.len());
        let (found, missing) = match best {
            Some((cols, missing)) => (cols.cols.iter().map(|c| c.2.clone()).chain(cols.unknown).collect(), missing),
            None => (Vec::new(), Target::all().iter().map(|t| t.names()[0].clone()).collect()),
        };
        return Err(RosterError::MissingColumns { place, missing, found });
    };
    let (columns, _) = Columns::find(&head[h].1);
    let mut roster = Roster { source, data_rows: 0, rows: Vec::new(), rejected: Vec::new(), unknown_columns: columns.unknown.clone() };
    let mut first_row_of_id: HashMap<String, usize> = HashMap::new();
    for item in head.into_iter().skip(h + 1).map(Ok).chain(rows) {
        let (row, cells) = item?;
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        roster.data_rows += 1;
        match check_row(row, &cells, &columns, round, &mut first_row_of_id) {
            Ok(ok) => roster.rows.push(ok),
            Err(mut problems) => roster.rejected.append(&mut problems),
        }
        if roster.data_rows.is_multiple_of(1000) {
            progress(roster.data_rows);
        }
    }
    progress(roster.data_rows);
    if roster.data_rows == 0 {
        return Err(RosterError::NoRows { place });
    }
    Ok(roster)
}

fn check_row(
    row: usize,
    cells: &[Cell],
    columns: &Columns,
    round: &Round,
    first_row_of_id: &mut HashMap<String, usize>,
) -> Result<RosterRow, Vec<Rejection>> {
    let mut problems = Vec::new();
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    let mut place = Place::default();
    let mut written: HashMap<&str, (&str, String)> = HashMap::new();
    for (target, i, header) in &columns.cols {
        let cell = cells.get(*i).unwrap_or(&Cell::Empty);
        let reject = |reason: String| Rejection { row, code: target.code(), column: header.clone(), value: cell.as_read(), reason };
        match target {
            Target::Township | Target::Village => {
                let (label, slot) = match target {
                    Target::Township => ("乡镇（街道）", &mut place.township),
                    _ => ("村（社区）", &mut place.village),
                };
                match check_place_name(label, &cell.as_read()) {
                    Ok(name) => *slot = name,
                    Err(reason) => problems.push(reject(reason)),
                }
            }
            Target::Field(f) => {
                written.insert(f.code, (header.as_str(), cell.as_read()));
                match rules::parse_input(f, &cell.text_for(f)) {
                    Ok(Some(v)) => {
                        values.insert(f.code.to_string(), v);
                    }
                    Ok(None) => {}
                    Err(reason) => problems.push(reject(reason)),
                }
            }
        }
    }
    // The form's own checks of section A (required, lengths, ranges, the ID,
    // the months against the round and each other). Only values that parsed
    // are checked, so a cell is not reported twice.
    let failed: Vec<String> = problems.iter().map(|p| p.column.clone()).collect();
    for finding in rules::validate(&values, round) {
        let field = schema::field(finding.code);
        if finding.severity != Severity::Error || !field.is_some_and(|f| f.is_prefilled()) {
            continue;
        }
        let (header, value) = written.get(finding.code).cloned().unwrap_or((finding.code, String::new()));
        if failed.iter().any(|c| c == header) {
            continue;
        }
        problems.push(Rejection { row, code: finding.code, column: header.to_string(), value, reason: finding.message });
    }
    if let Some(Value::Text(id)) = values.get("A3") {
        if let Some(first) = first_row_of_id.get(id) {
            let (header, value) = written.get("A3").cloned().unwrap_or(("A3", String::new()));
            problems.push(Rejection {
                row,
                code: "A3",
                column: header.to_string(),
                value,
                reason: format!("证件号码与第{first}行相同：同一户只导入第一次出现的第{first}行，本行未导入。请核对是否重复或号码录错"),
            });
        } else {
            first_row_of_id.insert(id.clone(), row);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    match section_a(&values) {
        Some(a) => Ok(RosterRow { row, place, a }),
        None => {
            Err(vec![Rejection {
                row, code: "", column: String::new(), value: String::new(), reason: "基础信息不完整，请核对本行".into()
            }])
        }
    }
}

fn check_place_name(label: &str, raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(format!("{label}为空，请填写该户所属的{label}"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{label}名称中有不可见的控制字符，请重新输入"));
    }
    let n = name.chars().count();
    if n > MAX_PLACE_CHARS {
        return Err(format!("{label}名称有{n}个字，超过{MAX_PLACE_CHARS}个字，请核对是否填错了列"));
    }
    Ok(name.to_string())
}

/// Section A from checked values (every required one present).
fn section_a(values: &BTreeMap<String, Value>) -> Option<SectionA> {
    let mut a = SectionA {
        address: String::new(),
        head: String::new(),
        id_number: String::new(),
        size: 0,
        category: 0,
        enrol_risk: 0,
        enrolled: YearMonth { year: 1900, month: 1 },
        eliminated: None,
    };
    for f in schema::section_fields(Section::A) {
        a.set(f.code, values.get(f.code).cloned()).ok()?;
    }
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_general_matches_what_excel_shows() {
        assert_eq!(excel_general(500243199001011234.0), "5.00243E+17");
        assert_eq!(excel_general(110105194912310020.0), "1.10105E+17");
        assert_eq!(excel_general(3.0), "3");
        assert_eq!(excel_general(202103.0), "202103");
        assert_eq!(excel_general(3.5), "3.5");
        assert_eq!(excel_general(1e20), "1E+20");
    }

    #[test]
    fn encodings() {
        assert_eq!(decode("乡镇".as_bytes()).unwrap(), ("乡镇".to_string(), Encoding::Utf8));
        assert_eq!(decode(b"\xEF\xBB\xBFabc").unwrap(), ("abc".to_string(), Encoding::Utf8Bom));
        let (gbk, _, _) = encoding_rs::GBK.encode("乡镇,村");
        assert_eq!(decode(&gbk).unwrap(), ("乡镇,村".to_string(), Encoding::Gb18030));
        assert!(matches!(decode(b"\xFF\xFEa\0"), Err(RosterError::Utf16)));
        assert!(matches!(decode(b"ok \x80\xFF"), Err(RosterError::Encoding { offset: 4 })));
        assert!(matches!(decode(b"\xEF\xBB\xBFok\xFF"), Err(RosterError::BrokenUtf8 { .. })));
    }

    #[test]
    fn delimiter_is_found_below_a_title_line() {
        let tab = "彭水县监测对象名单（2021年4月）\n乡镇\t村\t户主姓名\n保家镇\t龙门村\t张三\n";
        let all = |text| csv_rows(text).unwrap().collect::<Result<Rows, _>>().unwrap();
        let rows = all(tab);
        assert_eq!(rows[1].1.len(), 3, "{:?}", rows[1]);
        assert_eq!(rows[2].1[2], Cell::Text("张三".into()));
        let semi = "乡镇;村;户主姓名\n保家镇;龙门村;李四，王五\n";
        assert_eq!(all(semi)[1].1.len(), 3);
        let comma = "名单\n乡镇,村,户主姓名\n保家镇,龙门村,张三\n";
        assert_eq!(all(comma)[2].1.len(), 3);
    }

    #[test]
    fn headers_by_name_and_alias() {
        let header: Vec<Cell> = [
            "  村(社区)",
            "乡镇（街道）",
            "*家庭地址",
            "户主姓名",
            "户主证件号码",
            "家庭人口数",
            "对象类别",
            "主要的返致贫风险点",
            "纳入系统时间",
            "A8 标注风险消除年月",
            "备注",
            "村",
        ]
        .iter()
        .map(|s| Cell::Text(s.to_string()))
        .collect();
        let (cols, missing) = Columns::find(&header);
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(cols.cols[0], (Target::Village, 0, "村(社区)".to_string()));
        assert_eq!(cols.unknown, ["备注", "村（重复的列，只用第一列）"]);
        let (_, missing) = Columns::find(&header[..4]);
        assert_eq!(missing, ["户主证件号码", "家庭人口数", "对象类别", "主要风险点", "纳入系统时间", "标注风险消除年月"]);
    }

    #[test]
    fn our_own_export_reads_as_a_roster() {
        let header: Vec<Cell> = crate::io::export::header().into_iter().map(Cell::Text).collect();
        let (cols, missing) = Columns::find(&header);
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(cols.unknown, ["采集表答案等22列（导入只读基础信息）"]);
    }

    /// Found by fuzzing (xlsx_reader): a damaged workbook whose cells refer to
    /// a shared string past the end of the table made calamine panic; the
    /// panic printed a Rust message before the error.
    #[test]
    fn workbook_with_a_missing_shared_string_is_refused_in_chinese() {
        let bytes = include_bytes!("testdata/fuzz_xlsx_shared_string_index.xlsx");
        for read in [read_workbook, read_bytes] {
            let e = read(bytes, &Round::default(), &mut |_| {}).unwrap_err();
            assert!(matches!(e, RosterError::Workbook { .. }), "{e:?}");
            let text = e.to_string();
            assert!(text.contains("无法读取Excel文件") && text.contains("结构有错误"), "{text}");
        }
        // Other panics still reach the hook: the quiet flag is off again.
        assert!(!crate::io::QUIET.with(|q| q.get()));
    }

    #[test]
    fn an_unclosed_quote_is_found_where_csv_would_swallow_the_rest() {
        assert_eq!(unclosed_quote("a,b\nc,\"d\n\ne,f\n", b','), Some((2, 6)));
        // Closed, escaped, or not at the start of a field: fine.
        assert_eq!(unclosed_quote("a,\"b\nc\",d\ne,\"x\"\"y\"\n", b','), None);
        assert_eq!(unclosed_quote("a,5\"3,b\nc\n", b','), None);
        assert_eq!(unclosed_quote("a\t\"b\n", b'\t'), Some((1, 2)));
        let Err(e) = csv_rows("h1,h2\nx,\"y\nz,w\n") else { panic!("an unclosed quote is refused") };
        assert!(matches!(e, RosterError::UnclosedQuote { line: 2, rest: 2, .. }), "{e:?}");
    }

    #[test]
    fn cell_text_for_fields() {
        let a3 = schema::field("A3").unwrap();
        let a4 = schema::field("A4").unwrap();
        let a7 = schema::field("A7").unwrap();
        assert_eq!(Cell::Number(500243199001011234.0).text_for(a3), "5.00243E+17");
        assert_eq!(Cell::Number(3.0).text_for(a4), "3");
        assert_eq!(Cell::Number(202103.0).text_for(a7), "202103");
        assert_eq!(Cell::Text("2021/3/1 0:00".into()).text_for(a7), "2021/3/1");
        assert_eq!(Cell::Date(YearMonth::new(2021, 3), "2021-03-15".into()).text_for(a7), "2021-03");
    }
}
