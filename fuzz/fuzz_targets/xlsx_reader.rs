//! Workbooks (.xlsx, also .xls/.ods) as clerks bring them: any bytes go to
//! the roster's workbook reader (calamine from memory, sheet and header
//! search, cell conversion, every row's checks) and come out as a roster or
//! a Chinese error, never a panic. libfuzzer-sys aborts on any panic, even
//! one the reader's `catch_unwind` would turn into a message, so a panic
//! inside calamine is reported here too.
#![no_main]
use huitoukan::form::{idnum, Round};
use huitoukan::io::roster::{self, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let round = Round::default();
    match roster::read_workbook(data, &round, &mut |_| {}) {
        Ok(r) => {
            assert!(matches!(r.source, Source::Workbook { .. }));
            assert_eq!(r.rows.len() + r.rejected_rows(), r.data_rows);
            for row in &r.rows {
                assert_eq!(idnum::validate(&row.a.id_number).as_deref(), Ok(row.a.id_number.as_str()));
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
