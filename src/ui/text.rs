//! Measuring and clipping by display columns: a 汉字 is two columns, and a
//! character is never split across a column boundary.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Clips `s` to at most `max` columns, ending with `…` when clipped.
pub fn fit(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max.saturating_sub(1) {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Clips or pads with spaces to exactly `cols` columns (a wide character
/// that would straddle the edge becomes a space).
pub fn pad(s: &str, cols: usize) -> String {
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > cols {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.extend(std::iter::repeat_n(' ', cols - w));
    out
}

/// Right-aligns `s` in `cols` columns (clipping from the left never splits a character).
pub fn pad_left(s: &str, cols: usize) -> String {
    let w = width(s);
    if w >= cols {
        return pad(s, cols);
    }
    format!("{}{s}", " ".repeat(cols - w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_two_columns_and_never_split() {
        assert_eq!(width("张三"), 4);
        assert_eq!(fit("张三李四", 5), "张三…");
        assert_eq!(width(&fit("张三李四", 5)), 5);
        assert_eq!(fit("张三", 4), "张三");
        assert_eq!(pad("张三李", 5), "张三 ");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("12", 4), "  12");
    }
}
