//! What a zipped workbook (.xlsx, .ods) may cost, checked before calamine
//! reads it: calamine allocates from what the file declares (a 1.7 KB xlsx
//! with two cells at A1 and XFD1048576 made it allocate 550 GB and abort;
//! an ods repeating a cell a billion times likewise), and inflates parts
//! without a limit (a 1.5 MB xlsx held a 1.5 GB cell). Every part is
//! inflated here with a cap and scanned as it streams: the cell area a
//! sheet spans, the shared-string counts, the ods repeat counts.

use std::io::Read;

/// Most bytes all parts of a workbook may inflate to.
pub const MAX_INFLATED: u64 = 768 << 20;
/// Most bytes one part may inflate to.
pub const MAX_PART: u64 = 512 << 20;
/// Most parts a workbook may hold.
pub const MAX_PARTS: usize = 10_000;
/// Most cells the area of one sheet may span (a city's roster: about 12 million).
pub const MAX_CELLS: u64 = 40_000_000;
/// Most shared strings a workbook may declare.
pub const MAX_SHARED_STRINGS: u64 = 20_000_000;
/// Longest text between two tags: an Excel cell holds 32,767 characters
/// (up to 3 bytes each in UTF-8, more as `&#…;` entities).
pub const MAX_TEXT_RUN: u64 = 32_767 * 8;
/// Most times an ods may repeat one row or cell.
pub const MAX_REPEAT: u64 = 1_048_576;

/// Why a workbook is refused, in Chinese (the detail of `RosterError::Workbook`).
pub fn check_zip(bytes: &[u8]) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("压缩结构有错误（{e}）"))?;
    if zip.len() > MAX_PARTS {
        return Err(format!("文件里有{}个部件，不像名单", zip.len()));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| format!("压缩结构有错误（{e}）"))?;
        let name = part.name().to_string();
        if part.size() > MAX_PART {
            return Err(too_big(&name, part.size()));
        }
        let kind = if name.starts_with("xl/worksheets/") {
            Part::Sheet
        } else if name.ends_with("sharedStrings.xml") {
            Part::SharedStrings
        } else if name == "content.xml" {
            Part::OdsContent
        } else {
            Part::Other
        };
        let mut scan = Scan::new(kind);
        let mut buf = vec![0u8; 64 * 1024];
        let mut read = 0u64;
        loop {
            let n = match part.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                // A damaged part (a bad checksum) is calamine's to judge:
                // only what it would inflate is bounded here.
                Err(_) => break,
            };
            read += n as u64;
            total += n as u64;
            if read > MAX_PART {
                return Err(too_big(&name, read));
            }
            if total > MAX_INFLATED {
                return Err(format!("解压后超过{}，不像名单；请按乡镇分成几个文件再导入", mb(MAX_INFLATED)));
            }
            scan.feed(&buf[..n])?;
        }
        scan.finish(&name)?;
    }
    Ok(())
}

fn mb(n: u64) -> String {
    format!("{} MB", n >> 20)
}

fn too_big(name: &str, n: u64) -> String {
    format!("部件{name}解压后超过{}（至少{}），不像名单；请按乡镇分成几个文件再导入", mb(MAX_PART), mb(n))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Sheet,
    SharedStrings,
    OdsContent,
    Other,
}

/// Scans a part as it streams for the attributes that make calamine allocate.
struct Scan {
    kind: Part,
    /// The end of the previous chunk: an attribute may straddle two.
    tail: Vec<u8>,
    rows: Option<(u64, u64)>,
    cols: Option<(u64, u64)>,
    /// Bytes since the last `<`.
    run: u64,
}

impl Scan {
    fn new(kind: Part) -> Self {
        Scan { kind, tail: Vec::new(), rows: None, cols: None, run: 0 }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), String> {
        if self.kind == Part::Other {
            return Ok(());
        }
        for b in chunk {
            self.run = if *b == b'<' { 0 } else { self.run + 1 };
            if self.run > MAX_TEXT_RUN {
                return Err("有一格的内容超过了Excel单元格的上限（32767字），不像名单".into());
            }
        }
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(chunk);
        match self.kind {
            Part::Sheet => {
                for v in values(&window, b" r=\"").chain(values(&window, b" ref=\"")) {
                    for cell in v.split(|b| *b == b':') {
                        if let Some((col, row)) = cell_ref(cell) {
                            widen(&mut self.rows, row);
                            widen(&mut self.cols, col);
                        }
                    }
                }
                if let (Some(r), Some(c)) = (self.rows, self.cols) {
                    let cells = (r.1 - r.0 + 1).saturating_mul(c.1 - c.0 + 1);
                    if cells > MAX_CELLS {
                        return Err(format!("工作表的范围有{cells}个单元格（超过{MAX_CELLS}个），不像名单；请只保留名单所在的区域"));
                    }
                }
            }
            Part::SharedStrings => {
                for v in values(&window, b"count=\"").chain(values(&window, b"uniqueCount=\"")) {
                    if number(v).is_some_and(|n| n > MAX_SHARED_STRINGS) {
                        return Err(format!("文件声明有{}个共享文本，不像名单", String::from_utf8_lossy(v)));
                    }
                }
            }
            Part::OdsContent => {
                for key in [&b"number-rows-repeated=\""[..], b"number-columns-repeated=\""] {
                    for v in values(&window, key) {
                        if number(v).is_none_or(|n| n > MAX_REPEAT) {
                            return Err(format!("表格把一行或一格重复了{}次，不像名单", String::from_utf8_lossy(v)));
                        }
                    }
                }
            }
            Part::Other => {}
        }
        let keep = window.len().min(64);
        self.tail = window[window.len() - keep..].to_vec();
        Ok(())
    }

    fn finish(&mut self, _name: &str) -> Result<(), String> {
        Ok(())
    }
}

/// The values of every `key"…"` in `text` whose closing quote is there too.
fn values<'a>(text: &'a [u8], key: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut at = 0;
    std::iter::from_fn(move || loop {
        let i = at + find(&text[at..], key)?;
        let start = i + key.len();
        at = start;
        if let Some(len) = text[start..].iter().take(40).position(|b| *b == b'"') {
            return Some(&text[start..start + len]);
        }
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn number(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v).ok()?.trim().parse().ok()
}

/// `XFD1048576` → (column, row), both from 1; `$` signs allowed.
fn cell_ref(v: &[u8]) -> Option<(u64, u64)> {
    let v: Vec<u8> = v.iter().copied().filter(|b| *b != b'$').collect();
    let letters = v.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 4 || letters == v.len() {
        return None;
    }
    let col = v[..letters].iter().fold(0u64, |c, b| c * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1));
    let row = number(&v[letters..])?;
    Some((col, row.max(1)))
}

fn widen(range: &mut Option<(u64, u64)>, x: u64) {
    *range = Some(match *range {
        None => (x, x),
        Some((lo, hi)) => (lo.min(x), hi.max(x)),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in parts {
                z.start_file(*name, opts).unwrap();
                z.write_all(data).unwrap();
            }
            z.finish().unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn refs_and_areas() {
        assert_eq!(cell_ref(b"A1"), Some((1, 1)));
        assert_eq!(cell_ref(b"$XFD$1048576"), Some((16384, 1_048_576)));
        assert_eq!(cell_ref(b"12"), None);
        let far = b"<sheetData><row r=\"1\"><c r=\"A1\"/></row><row r=\"1048576\"><c r=\"XFD1048576\"/></row></sheetData>";
        let e = check_zip(&zip_of(&[("xl/worksheets/sheet1.xml", far)])).unwrap_err();
        assert!(e.contains("单元格"), "{e}");
        let dim = b"<dimension ref=\"A1:XFD1048576\"/>";
        assert!(check_zip(&zip_of(&[("xl/worksheets/sheet1.xml", dim)])).is_err());
        let fine = b"<dimension ref=\"A1:L30001\"/><row r=\"30001\"><c r=\"L30001\"/></row>";
        check_zip(&zip_of(&[("xl/worksheets/sheet1.xml", fine)])).unwrap();
    }

    #[test]
    fn counts_repeats_and_sizes() {
        let sst = b"<sst count=\"4000000000\" uniqueCount=\"4000000000\">";
        assert!(check_zip(&zip_of(&[("xl/sharedStrings.xml", sst)])).unwrap_err().contains("共享文本"));
        let ods = b"<table:table-cell table:number-columns-repeated=\"999999999\" office:value-type=\"string\">";
        assert!(check_zip(&zip_of(&[("content.xml", ods)])).unwrap_err().contains("重复"));
        // A straddling attribute is still seen (the window keeps the previous chunk's end).
        let mut long = vec![b' '; 64 * 1024 - 10];
        long.extend_from_slice(b"<c r=\"XFD1048576\"/><c r=\"A1\"/>");
        assert!(check_zip(&zip_of(&[("xl/worksheets/sheet1.xml", &long)])).is_err());
        assert!(check_zip(b"PK\x03\x04 not really").is_err());
        let mut cell = b"<c r=\"A1\" t=\"inlineStr\"><is><t>".to_vec();
        cell.extend(std::iter::repeat_n(b'x', 400_000));
        cell.extend_from_slice(b"</t></is></c>");
        assert!(check_zip(&zip_of(&[("xl/worksheets/sheet1.xml", &cell)])).unwrap_err().contains("32767"));
    }
}
