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

/// Breaks `s` into lines of at most `cols` columns, never splitting a
/// character: at a space or after Chinese punctuation when one falls in the
/// last third of the line, else wherever the line is full. `\n` always breaks.
pub fn wrap(s: &str, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    if cols == 0 {
        return lines;
    }
    for para in s.split('\n') {
        let mut line = String::new();
        let mut w = 0;
        // Byte offset and width just after the last good break in `line`.
        let mut brk: Option<(usize, usize)> = None;
        for c in para.chars() {
            let cw = c.width().unwrap_or(0);
            if w + cw > cols && !line.is_empty() {
                match brk.filter(|&(_, bw)| bw * 3 >= cols * 2) {
                    Some((at, _)) => {
                        let rest = line.split_off(at);
                        lines.push(line.trim_end().to_string());
                        line = rest.trim_start().to_string();
                        w = width(&line);
                    }
                    None => {
                        lines.push(std::mem::take(&mut line));
                        w = 0;
                    }
                }
                brk = None;
            }
            line.push(c);
            w += cw;
            if c == ' ' || "，。；：、）！？".contains(c) {
                brk = Some((line.len(), w));
            }
        }
        lines.push(line);
    }
    lines
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

/// Styled pieces of a line, padded or clipped to `cols` columns.
pub fn spans_fit<'a>(parts: Vec<(String, ratatui::style::Style)>, cols: usize) -> ratatui::text::Line<'a> {
    let mut used = 0;
    let mut spans = Vec::new();
    for (s, st) in parts {
        if used >= cols {
            break;
        }
        let w = width(&s);
        let s = if used + w > cols { fit(&s, cols - used) } else { s };
        used += width(&s);
        spans.push(ratatui::text::Span::styled(s, st));
    }
    if used < cols {
        spans.push(ratatui::text::Span::raw(" ".repeat(cols - used)));
    }
    ratatui::text::Line::from(spans)
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

    #[test]
    fn wrap_keeps_every_character_within_the_width() {
        let msg = "设置文件 /home/clerk/.config/huitoukan/config.toml：没有“colour”这一项（可用：ascii、[backup]），该项未使用";
        for cols in [2, 3, 10, 41, 80] {
            let lines = wrap(msg, cols);
            assert!(lines.iter().all(|l| width(l) <= cols), "{cols}: {lines:?}");
            let joined: String = lines.concat();
            assert_eq!(joined.replace(' ', ""), msg.replace(' ', ""), "{cols}: nothing lost");
        }
        // A break after punctuation near the end of the line is preferred.
        assert_eq!(wrap("一二三四五六七，八九", 16), ["一二三四五六七，", "八九"]);
        assert_eq!(wrap("ab\ncd", 80), ["ab", "cd"]);
        assert!(wrap("x", 0).is_empty());
    }
}
