//! The ID validator and everything that normalises clerk-typed text.
#![no_main]
use huitoukan::form::{idnum, phone, value::YearMonth};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(n) = idnum::validate(s) {
        // A valid number is normalised: validating it again gives itself.
        assert_eq!(idnum::validate(&n).as_deref(), Ok(n.as_str()));
        assert!(n.len() == 18 || n.len() == 20);
        let _ = idnum::mask(&n);
    }
    let _ = idnum::mask(s);
    if let Ok(p) = phone::validate(s) {
        let _ = phone::mask(&p);
    }
    let _ = phone::mask(s);
    if let Some(m) = YearMonth::parse(s) {
        assert_eq!(YearMonth::parse(&m.to_string()), Some(m));
    }
});
