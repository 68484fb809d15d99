//! Soft wrapping by display columns, with the cursor mapped onto the
//! wrapped rows. tui-textarea 0.7 edits text but does not wrap it, so the
//! editor keeps the text in a `TextArea` and draws it through this.

use unicode_width::UnicodeWidthChar;

/// One screen row of wrapped text: chars `start..end` of logical line `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Wraps `lines` to `width` columns; a wide character never straddles the
/// edge. Every logical line gives at least one row.
pub fn wrap(lines: &[String], width: usize) -> Vec<Row> {
    let width = width.max(2);
    let mut rows = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        let mut row = Row { line: li, start: 0, end: 0, text: String::new() };
        let mut cols = 0;
        for (ci, c) in line.chars().enumerate() {
            let cw = char_width(c);
            if cols + cw > width && !row.text.is_empty() {
                let next = Row { line: li, start: ci, end: ci, text: String::new() };
                rows.push(std::mem::replace(&mut row, next));
                cols = 0;
            }
            row.text.push(c);
            row.end = ci + 1;
            cols += cw;
        }
        rows.push(row);
    }
    rows
}

/// Columns a character takes on screen (control characters: one, drawn as a space).
pub fn char_width(c: char) -> usize {
    if c == '\t' {
        return 1;
    }
    c.width().unwrap_or(1).max(if c.is_control() { 1 } else { 0 })
}

/// The row index and column of a logical cursor `(line, char)` within `rows`.
pub fn locate(rows: &[Row], cursor: (usize, usize)) -> (usize, usize) {
    let (line, col) = cursor;
    let mut found = None;
    for (i, r) in rows.iter().enumerate() {
        if r.line != line {
            if found.is_some() {
                break;
            }
            continue;
        }
        found = Some(i);
        if col < r.end || (col == r.end && rows.get(i + 1).is_none_or(|n| n.line != line)) {
            let x = r.text.chars().take(col.saturating_sub(r.start)).map(char_width).sum();
            return (i, x);
        }
    }
    let i = found.unwrap_or(rows.len().saturating_sub(1));
    (i, rows.get(i).map(|r| r.text.chars().map(char_width).sum()).unwrap_or(0))
}

/// The logical cursor nearest to column `x` of row `row` (for moving up and down).
pub fn cursor_at(rows: &[Row], row: usize, x: usize) -> (usize, usize) {
    let Some(r) = rows.get(row) else { return (0, 0) };
    let mut cols = 0;
    let mut col = r.start;
    for c in r.text.chars() {
        let cw = char_width(c);
        if cols + cw > x {
            break;
        }
        cols += cw;
        col += 1;
    }
    // The end of a row that continues on the next one is the next row's start.
    if col == r.end && rows.get(row + 1).is_some_and(|n| n.line == r.line) && r.end > r.start {
        col -= 1;
    }
    (r.line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn chinese_wraps_by_two_columns_without_splitting() {
        let rows = wrap(&s(&["张三李四王五"]), 5);
        let texts: Vec<_> = rows.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["张三", "李四", "王五"]);
        assert_eq!((rows[1].start, rows[1].end), (2, 4));
        let rows = wrap(&s(&["ab张三", "", "x"]), 4);
        let texts: Vec<_> = rows.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["ab张", "三", "", "x"]);
    }

    #[test]
    fn cursor_maps_both_ways() {
        let rows = wrap(&s(&["张三李四王五"]), 4);
        assert_eq!(locate(&rows, (0, 0)), (0, 0));
        assert_eq!(locate(&rows, (0, 1)), (0, 2));
        // At a row boundary the cursor shows at the next row's start.
        assert_eq!(locate(&rows, (0, 2)), (1, 0));
        assert_eq!(locate(&rows, (0, 6)), (2, 4));
        assert_eq!(cursor_at(&rows, 1, 2), (0, 3));
        assert_eq!(cursor_at(&rows, 2, 9), (0, 6));
        assert_eq!(cursor_at(&rows, 0, 9), (0, 1));
        let rows = wrap(&s(&["", "ab"]), 10);
        assert_eq!(locate(&rows, (1, 2)), (1, 2));
        assert_eq!(cursor_at(&rows, 0, 5), (0, 0));
    }
}
