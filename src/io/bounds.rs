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

/// An OLE compound file (.xls) checked as calamine will read it: calamine
/// allocates from the header's counts, grows its sector buffer to any
/// sector number a chain names, and reserves a stream's declared size
/// (a 4.6 KB xls made it abort). Every count, every sector number in the
/// DIFAT and the FAT, and every directory entry's size must fit the file.
pub fn check_ole(bytes: &[u8]) -> Result<(), String> {
    const SPECIAL: u32 = 0xFFFF_FFFA;
    const DIFSECT: u32 = 0xFFFF_FFFC;
    const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
    let bad = |what: &str| Err(format!("文件内部的结构有错误（{what}超出了文件的范围）"));
    let u16_at = |i: usize| bytes.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |i: usize| bytes.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if bytes.len() < 512 {
        return bad("文件头");
    }
    let size: usize = match u16_at(30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Err("文件内部的结构有错误（扇区大小不对）".into()),
    };
    let sectors = (bytes.len().saturating_sub(size) / size + 1) as u64;
    let ok_id = |id: u32| u64::from(id) < sectors || id >= SPECIAL;
    let sector = |id: u32| -> Option<&[u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        bytes.get(start..start.checked_add(size)?.min(bytes.len()))
    };
    for (at, what) in [(40, "目录扇区数"), (44, "FAT扇区数"), (64, "小FAT扇区数"), (72, "DIFAT扇区数")] {
        if u64::from(u32_at(at).unwrap_or(u32::MAX)) > sectors {
            return bad(what);
        }
    }
    // The DIFAT: 109 entries in the header, then a chain of sectors.
    let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(76 + 4 * i)).collect();
    let mut next = u32_at(68).unwrap_or(u32::MAX);
    let mut steps = 0u64;
    while next < SPECIAL {
        steps += 1;
        if !ok_id(next) || steps > sectors {
            return bad("DIFAT链");
        }
        let Some(s) = sector(next) else { return bad("DIFAT链") };
        let ids: Vec<u32> = s.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let Some((&last, rest)) = ids.split_last() else { return bad("DIFAT链") };
        fat_sectors.extend_from_slice(rest);
        next = last;
    }
    // calamine reads every DIFAT entry below DIFSECT as a FAT sector.
    let mut fat = Vec::new();
    for id in fat_sectors.into_iter().filter(|id| *id < DIFSECT) {
        if u64::from(id) >= sectors {
            return bad("FAT扇区号");
        }
        let Some(s) = sector(id) else { return bad("FAT扇区号") };
        fat.extend(s.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        if fat.len() as u64 > sectors.saturating_mul(size as u64 / 4) {
            return bad("FAT");
        }
    }
    // calamine follows a chain until ENDOFCHAIN, reading any other number as
    // a sector (its buffer grows to it): every link must be a sector of the
    // file, and the chain must end within as many steps.
    let chain = |start: u32, table: &[u32], count: u64, what: &str| -> Result<Vec<u32>, String> {
        let mut out = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            if u64::from(id) >= count || out.len() as u64 >= count {
                return Err(format!("文件内部的结构有错误（{what}的扇区链超出了文件的范围）"));
            }
            out.push(id);
            id = table.get(id as usize).copied().unwrap_or(u32::MAX);
        }
        Ok(out)
    };
    let mut dir_bytes = Vec::new();
    for id in chain(u32_at(48).unwrap_or(u32::MAX), &fat, sectors, "目录")? {
        dir_bytes.extend_from_slice(sector(id).unwrap_or_default());
    }
    // Name, start sector and declared length of every directory entry.
    let entries: Vec<(bool, u32, u64)> = dir_bytes
        .chunks_exact(128)
        .map(|e| {
            let start = u32::from_le_bytes([e[116], e[117], e[118], e[119]]);
            let len = u64::from_le_bytes(e[120..128].try_into().unwrap_or([0; 8]));
            (e[0] != 0 || e[1] != 0, start, if size == 512 { len & 0xFFFF_FFFF } else { len })
        })
        .collect();
    let Some(&(_, root_start, root_len)) = entries.first() else { return bad("目录") };
    for (_, _, len) in &entries {
        if *len > bytes.len() as u64 {
            return Err(format!("文件内部的结构有错误（一个数据流声明有{len}字节，文件只有{}字节）", bytes.len()));
        }
    }
    // The mini stream (in the root entry's chain) and its FAT.
    let mini_fat_len = u32_at(64).unwrap_or(0);
    let mut mini_fat = Vec::new();
    let mut mini_count = 0u64;
    if mini_fat_len > 0 {
        chain(root_start, &fat, sectors, "小扇区数据流")?;
        for id in chain(u32_at(60).unwrap_or(u32::MAX), &fat, sectors, "小FAT")? {
            let s = sector(id).unwrap_or_default();
            mini_fat.extend(s.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        }
        mini_count = root_len.div_ceil(64);
    }
    // Every named stream, as calamine looks them up: under 4096 bytes in
    // the mini stream, else in the file's sectors.
    for &(named, start, len) in entries.iter().skip(1).filter(|e| e.0) {
        if len < 4096 {
            chain(start, &mini_fat, mini_count, "数据流")?;
        } else {
            chain(start, &fat, sectors, "数据流")?;
        }
        let _ = named;
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

    /// A small, well-formed compound file: FAT in sector 0, directory in 1,
    /// an 8-sector "Workbook" stream in 2–9.
    fn cfb() -> Vec<u8> {
        let mut b = vec![0u8; 512 * 11];
        b[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        let put16 = |b: &mut Vec<u8>, at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
        let put32 = |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        put16(&mut b, 24, 0x3E);
        put16(&mut b, 26, 3);
        put16(&mut b, 28, 0xFFFE);
        put16(&mut b, 30, 9);
        put16(&mut b, 32, 6);
        put32(&mut b, 44, 1);
        put32(&mut b, 48, 1);
        put32(&mut b, 56, 4096);
        put32(&mut b, 60, 0xFFFF_FFFE);
        put32(&mut b, 68, 0xFFFF_FFFE);
        for i in 0..109 {
            put32(&mut b, 76 + 4 * i, if i == 0 { 0 } else { 0xFFFF_FFFF });
        }
        let fat = 512;
        for i in 0..128 {
            let v = match i {
                0 => 0xFFFF_FFFD,
                1 | 9 => 0xFFFF_FFFE,
                2..=8 => i as u32 + 1,
                _ => 0xFFFF_FFFF,
            };
            put32(&mut b, fat + 4 * i, v);
        }
        let dir = 1024;
        for (n, (name, kind, start, size)) in [("Root Entry", 5u8, 0xFFFF_FFFEu32, 0u32), ("Workbook", 2, 2, 4096)].iter().enumerate() {
            let e = dir + 128 * n;
            for (k, c) in name.encode_utf16().enumerate() {
                put16(&mut b, e + 2 * k, c);
            }
            put16(&mut b, e + 64, (name.len() as u16 + 1) * 2);
            b[e + 66] = *kind;
            put32(&mut b, e + 116, *start);
            put32(&mut b, e + 120, *size);
        }
        b
    }

    #[test]
    fn compound_files_whose_numbers_exceed_the_file_are_refused() {
        let good = cfb();
        check_ole(&good).unwrap();
        let with = |at: usize, v: u32| {
            let mut b = good.clone();
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
            b
        };
        for (what, bad) in [
            ("FAT sector count", with(44, 0x4000_0000)),
            ("DIFAT sector count", with(72, 0x4000_0000)),
            ("a FAT sector past the end", with(76, 0x0FFF_FFFF)),
            ("a chain link past the end", with(512 + 4 * 3, 0x7FFF_FFFF)),
            ("a stream size past the end", with(1024 + 128 + 120, 0xFFFF_FF00)),
            ("a DIFAT chain past the end", with(68, 0x0100_0000)),
        ] {
            let e = check_ole(&bad).expect_err(what);
            assert!(e.contains("超出了文件的范围") || e.contains("声明有"), "{what}: {e}");
            // And through the roster reader: a Chinese message, not an abort.
            let r = crate::io::roster::read_workbook(&bad, &crate::form::Round::default(), &mut |_| {});
            assert!(r.is_err(), "{what}");
        }
        assert!(check_ole(&good[..300]).is_err());
    }

    /// Seeded mutations of a good compound file: whatever check_ole lets
    /// through, calamine reads without aborting (an abort fails the run).
    #[test]
    fn mutated_compound_files_never_abort_the_reader() {
        let good = cfb();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let mut b = good.clone();
            for _ in 0..1 + next() % 4 {
                // Most edits where the structure is: header, FAT, directory.
                let span = if next() % 4 == 0 { b.len() } else { 1536 };
                let at = (next() % span as u64) as usize;
                let v = next();
                match v % 3 {
                    0 => b[at] = v as u8,
                    1 if at + 4 <= b.len() => b[at..at + 4].copy_from_slice(&(v as u32).to_le_bytes()),
                    _ => b[at] ^= 0xFF,
                }
            }
            b[..8].copy_from_slice(&good[..8]);
            let _ = crate::io::roster::read_workbook(&b, &crate::form::Round::default(), &mut |_| {});
        }
    }
}
