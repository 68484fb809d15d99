//! Roster CSV files as clerks bring them: any bytes go through encoding
//! detection (UTF-8, UTF-8 with BOM, GBK/GB18030, refused UTF-16), delimiter
//! sniffing, header search by name and every row's checks, and come out as a
//! roster or a Chinese error, never a panic.
#![no_main]
use huitoukan::form::{idnum, Round};
use huitoukan::io::import::describe_rejection;
use huitoukan::io::roster::{self, Encoding, Roster, Source};
use libfuzzer_sys::fuzz_target;

const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fuzz_target!(|data: &[u8]| {
    // Workbooks are the xlsx_reader target's.
    if data.starts_with(b"PK\x03\x04") || data.starts_with(&OLE) {
        return;
    }
    if let Ok((text, encoding)) = roster::decode(data) {
        match encoding {
            Encoding::Utf8 => assert_eq!(text.as_bytes(), data),
            Encoding::Utf8Bom => assert_eq!(text.as_bytes(), &data[3..]),
            Encoding::Gb18030 => assert!(std::str::from_utf8(data).is_err()),
        }
    }
    let round = Round::default();
    let mut last = 0;
    let read = roster::read_bytes(data, &round, &mut |n| {
        assert!(n >= last, "progress went back");
        last = n;
    });
    match read {
        Ok(r) => {
            assert!(matches!(r.source, Source::Csv { .. }));
            check_roster(&r);
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty());
            assert_clean(&text);
        }
    }
    // A stray quote is always reported with its line, never swallowing the rest silently.
    if let Ok((text, _)) = roster::decode(data) {
        for d in [b',', b'\t', b';'] {
            if let Some((line, at)) = roster::unclosed_quote(&text, d) {
                assert!(line >= 1 && text.as_bytes()[at] == b'"');
            }
        }
    }
});

/// What reaches the terminal: no control character but the line break, no ID number in full.
fn assert_clean(text: &str) {
    assert!(!text.chars().any(|c| c != '\n' && huitoukan::io::is_control(c)), "control character in {text:?}");
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        assert!(run < 15, "an ID-like number in full: {text:?}");
    }
}

fn check_roster(r: &Roster) {
    assert_eq!(r.rows.len() + r.rejected_rows(), r.data_rows);
    let _ = r.source.describe();
    for row in &r.rows {
        assert!(!row.place.township.trim().is_empty() && !row.place.village.trim().is_empty());
        // An accepted ID is already normalised.
        assert_eq!(idnum::validate(&row.a.id_number).as_deref(), Ok(row.a.id_number.as_str()));
    }
    for rej in &r.rejected {
        assert!(!rej.reason.is_empty());
        assert_clean(&describe_rejection(rej));
    }
}
