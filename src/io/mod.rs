//! Files in and out: roster import, exports for Excel, snapshot backups.
//!
//! Everything here speaks to the typed [`crate::store::Store`] API; raw
//! key/value access for snapshots lives in `store::bulk`. Columns, parsing
//! and validation come from the form's schema and rules. Every file created
//! here is owner-only and written atomically ([`file`]). See `docs/io.md`.

pub mod bounds;
pub mod export;
pub mod file;
pub mod import;
pub mod members;
pub mod roster;
pub mod sample;
pub mod snapshot;

use std::borrow::Cow;

/// The UTF-8 byte order mark: Excel and WPS read a CSV as UTF-8 (not as the
/// desktop's GBK) only when it starts with one.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV cell as Excel and WPS should show it. Opening a CSV, Excel turns
/// long digit strings into numbers (an 18-digit ID becomes `5.00243E+17`
/// and loses its last digits), drops leading zeros, turns `2021-04` into a
/// date, and runs cells starting with `=`, `+`, `-` or `@` as formulas. A
/// leading tab makes Excel keep the cell as text; it is invisible in the
/// cell and our own import trims it away.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    if excel_would_convert(text) {
        Cow::Owned(format!("\t{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn excel_would_convert(text: &str) -> bool {
    let b = text.as_bytes();
    if matches!(b.first(), Some(b'=' | b'+' | b'-' | b'@')) {
        return true;
    }
    let digits = b.strip_suffix(b"X").or_else(|| b.strip_suffix(b"x")).unwrap_or(b);
    let all_digits = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit);
    if all_digits && (b.len() >= 12 || (b.len() >= 2 && b[0] == b'0')) {
        return true;
    }
    // YYYY-MM: Excel makes a date of it and shows it in its own way.
    b.len() == 7 && b[4] == b'-' && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
}

/// Writes one CSV record with every cell guarded by [`csv_cell`].
pub(crate) fn write_csv_record<W: std::io::Write, S: AsRef<str>>(w: &mut csv::Writer<W>, cells: &[S]) -> csv::Result<()> {
    for c in cells {
        w.write_field(csv_cell(c.as_ref()).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_excel_would_mangle_are_guarded() {
        for s in ["50024319900101123X", "500243199001011234", "50024319800101123434", "02378865441", "2021-04", "=1+1", "-3", "@x"] {
            assert_eq!(csv_cell(s), format!("\t{s}"), "{s}");
        }
        for s in ["", "张三", "11010519491231002X34", "13812345678", "3", "2021-04-21 10:00:00", "023-78865441", "脱贫不稳定户"] {
            assert_eq!(csv_cell(s), s, "{s}");
        }
    }
}

std::thread_local! {
    /// Set while [`quietly`] runs library code on this thread.
    pub(crate) static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs library code that may panic on bad input or a failing disk
/// (calamine on damaged workbooks; rust_xlsxwriter `expect`s its writes to
/// succeed, so a full disk panicked the export with exit 101). The panic is
/// caught and its message returned, and the panic hook (installed once,
/// handing every other panic on to the hook before it) keeps quiet about
/// it: the clerk sees the Chinese message only, not a Rust panic message.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|panic| {
        panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
    })
}

/// A character a terminal may act on instead of showing: C0 controls, DEL,
/// C1 controls (0x9B is a CSI on some terminals) and the bidi overrides
/// that reorder what is shown.
pub fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Text from a file or a clerk, fit to store: control characters (an
/// escape sequence's ESC, an OSC 52 clipboard write's BEL) are removed;
/// tabs and line breaks become a space, except line breaks where
/// `multiline` keeps them.
pub fn strip_controls(text: &str, multiline: bool) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' if multiline => out.push('\n'),
            '\r' if multiline => {}
            '\t' | '\n' | '\r' => out.push(' '),
            c if is_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text made safe to print on a terminal: every control character but the
/// line break becomes `�` (shown, not acted on).
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_control(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| if c != '\n' && is_control(c) { '\u{FFFD}' } else { c }).collect())
}
