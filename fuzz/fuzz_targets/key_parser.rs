//! Key strings and whole keymap files from users.
#![no_main]
use huitoukan::ui::keymap::{Key, Keymap, Mode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(k) = Key::parse(s) {
        // Parse and print round-trip.
        assert_eq!(Key::parse(&k.to_string()), Ok(k));
        let _ = k.label();
        let _ = Key::from_event(&k.to_event());
    }
    let mut km = Keymap::shipped();
    let _warnings = km.apply_toml(s, "fuzz");
    for mode in Mode::ALL {
        let _ = km.bindings(mode);
    }
});
