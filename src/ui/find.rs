//! The find box: narrows the list as you type, in the current place or the
//! whole store, by name, pinyin initials, the last 4+ ID digits or address.
//!
//! Typing on narrows the previous results instead of searching again (a
//! longer pinyin prefix or a longer piece of text can only match fewer
//! households); deleting goes back to a kept earlier result. A search over
//! a large set runs on every core.

use super::places::PlaceSel;
use super::text;
use super::theme::Theme;
use crate::model::Summary;
use crate::search::{Index, Query};
use crossterm::event::KeyEvent;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::Frame;
use tui_textarea::TextArea;

/// Where the find box looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindScope {
    /// The place selected when the box opened (a village, a township, or all).
    Place(PlaceSel),
    All,
}

#[derive(Debug, Clone)]
struct Step {
    query: Query,
    results: Vec<u32>,
}

/// The find box and its results.
#[derive(Debug, Clone)]
pub struct Find {
    input: TextArea<'static>,
    pub scope: FindScope,
    /// Keys go to the box (else to the result list).
    pub editing: bool,
    steps: Vec<Step>,
    /// Why there are no results yet (e.g. too few ID digits).
    pub note: Option<&'static str>,
}

/// Whether every household matching `new` also matches `old`.
fn narrows(old: &Query, new: &Query) -> bool {
    match (old, new) {
        (Query::Pinyin(a), Query::Pinyin(b)) => b.starts_with(a.as_str()),
        (Query::Text(a), Query::Text(b)) => b.contains(a.as_str()),
        (Query::IdDigits(a), Query::IdDigits(b)) => a == b,
        _ => false,
    }
}

/// Whether `c` occurs in `text`. UTF-8 never matches inside another
/// character, so comparing bytes is exact. Written out per length: the
/// standard `contains` and a slice comparison both call `memcmp` per
/// candidate, which is slow for a 汉字 in a million short strings.
fn has_char(text: &str, c: char) -> bool {
    let mut buf = [0u8; 4];
    let bytes = text.as_bytes();
    match *c.encode_utf8(&mut buf).as_bytes() {
        [a] => bytes.contains(&a),
        [a, b] => bytes.windows(2).any(|w| w[0] == a && w[1] == b),
        [a, b, c] => bytes.windows(3).any(|w| w[0] == a && w[1] == b && w[2] == c),
        [a, b, c, d] => bytes.windows(4).any(|w| w[0] == a && w[1] == b && w[2] == c && w[3] == d),
        _ => false,
    }
}

/// Whether summary `i` matches; the same test as [`Index::matches`], with
/// a faster one for a single character (the first 汉字 typed scans
/// everything in scope).
fn matches(summaries: &[Summary], index: &Index, i: usize, q: &Query, one_char: Option<char>) -> bool {
    match (q, one_char) {
        (Query::Text(_), Some(c)) => {
            let s = &summaries[i];
            has_char(&s.head, c) || has_char(&s.address, c)
        }
        _ => index.matches(summaries, i, q),
    }
}

/// Households in `within` that match `q`, in `within`'s order. When
/// `within` is a good part of the store, every household is tested in
/// memory order (place order jumps around the records, and that costs more
/// than testing the rest); large jobs are split over the cores.
pub fn search(within: &[u32], summaries: &[Summary], index: &Index, q: &Query) -> Vec<u32> {
    const PARALLEL_FROM: usize = 100_000;
    let one_char = match q {
        Query::Text(t) if t.chars().count() == 1 => t.chars().next(),
        _ => None,
    };
    let test = |i: usize| matches(summaries, index, i, q, one_char);
    let threads = |n: usize| if n < PARALLEL_FROM { 1 } else { std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) };
    if within.len() * 4 < summaries.len() || within.len() < 1_000 {
        let pick = |part: &[u32]| -> Vec<u32> { part.iter().copied().filter(|&i| test(i as usize)).collect() };
        let chunk = within.len().div_ceil(threads(within.len())).max(1);
        if chunk >= within.len() {
            return pick(within);
        }
        return std::thread::scope(|scope| {
            let jobs: Vec<_> = within.chunks(chunk).map(|part| (part, scope.spawn(move || pick(part)))).collect();
            let mut out = Vec::new();
            for (part, job) in jobs {
                // A part whose thread failed is searched again here.
                out.extend(job.join().unwrap_or_else(|_| pick(part)));
            }
            out
        });
    }
    let mut hit = vec![false; summaries.len()];
    let chunk = hit.len().div_ceil(threads(hit.len())).max(1);
    std::thread::scope(|scope| {
        for (n, part) in hit.chunks_mut(chunk).enumerate() {
            let mut mark = move || {
                for (k, h) in part.iter_mut().enumerate() {
                    *h = test(n * chunk + k);
                }
            };
            if chunk >= summaries.len() {
                mark();
            } else {
                scope.spawn(mark);
            }
        }
    });
    within.iter().copied().filter(|&i| hit.get(i as usize).copied().unwrap_or(false)).collect()
}

fn new_input(text: &str, theme: &Theme) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_string()]);
    t.set_cursor_line_style(Style::default());
    t.set_placeholder_text("姓名、拼音首字母(zs)、证件号后4位或地址");
    t.set_placeholder_style(theme.dim());
    t.move_cursor(tui_textarea::CursorMove::End);
    t
}

/// One line, no tabs: what a find box may hold.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

impl Find {
    pub fn new(scope: FindScope, theme: &Theme) -> Find {
        Find { input: new_input("", theme), scope, editing: true, steps: Vec::new(), note: None }
    }

    /// What is typed.
    pub fn text(&self) -> String {
        self.input.lines().join(" ")
    }

    /// The matching households; `None` while the box is empty (the whole scope shows).
    pub fn results(&self) -> Option<&[u32]> {
        if self.note.is_some() {
            return Some(&[]);
        }
        self.steps.last().map(|s| s.results.as_slice())
    }

    /// A key typed into the box (not bound to an action); true when the text changed.
    pub fn key(&mut self, ev: KeyEvent, theme: &Theme) -> bool {
        let before = self.text();
        self.input.input(ev);
        self.tidy(&before, theme)
    }

    /// Empties the box in one key; true when there was text.
    pub fn clear(&mut self, theme: &Theme) -> bool {
        let had = !self.text().is_empty();
        self.input = new_input("", theme);
        self.editing = true;
        had
    }

    /// Typed or pasted text at the cursor; true when the text changed.
    pub fn insert(&mut self, s: &str, theme: &Theme) -> bool {
        let before = self.text();
        self.input.insert_str(one_line(s));
        self.tidy(&before, theme)
    }

    fn tidy(&mut self, before: &str, theme: &Theme) -> bool {
        let now = self.text();
        if self.input.lines().len() > 1 || now.chars().any(char::is_control) {
            self.input = new_input(&one_line(&now), theme);
        }
        self.text() != before
    }

    /// Searches again after the text or the scope changed; `base` is the scope's households.
    pub fn refresh(&mut self, base: &[u32], summaries: &[Summary], index: &Index) {
        self.note = None;
        let Some(q) = Query::parse(&self.text()) else {
            self.steps.clear();
            return;
        };
        if !q.is_ready() {
            self.steps.clear();
            self.note = Some("证件号码请至少输入最后4位");
            return;
        }
        while self.steps.last().is_some_and(|s| !narrows(&s.query, &q)) {
            self.steps.pop();
        }
        if self.steps.last().is_some_and(|s| s.query == q) {
            return;
        }
        let within = self.steps.last().map_or(base, |s| s.results.as_slice());
        let results = search(within, summaries, index, &q);
        self.steps.push(Step { query: q, results });
    }

    /// Forgets kept results (the scope or the households changed).
    pub fn reset(&mut self) {
        self.steps.clear();
    }

    /// Draws `label: [box]  count` on one line; sets the terminal cursor while editing.
    pub fn render(&self, f: &mut Frame, area: Rect, label: &str, count: &str, theme: &Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let label = text::fit(label, (area.width as usize) / 2);
        let lw = text::width(&label) as u16;
        let cw = (text::width(count) as u16).min(area.width.saturating_sub(lw + 4));
        f.render_widget(Span::styled(label, theme.title()), area);
        let box_area = Rect { x: area.x + lw + 1, width: area.width.saturating_sub(lw + cw + 2), ..area };
        f.render_widget(&self.input, box_area);
        let count_area = Rect { x: area.x + area.width - cw, width: cw, ..area };
        let style = if self.note.is_some() { theme.warning() } else { theme.dim() };
        f.render_widget(Span::styled(count.to_string(), style), count_area);
        if self.editing {
            let (_, col) = self.input.cursor();
            let before: String = self.input.lines()[0].chars().take(col).collect();
            let x = (box_area.x as usize + text::width(&before)).min((box_area.x + box_area.width.saturating_sub(1)) as usize);
            f.set_cursor_position(Position { x: x as u16, y: area.y });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FormState;
    use crate::ui::places::tests::summary;

    fn s(key: u64, head: &str, id: &str) -> Summary {
        let mut s = summary(key, "石盘乡", "石盘村", head, FormState::Empty);
        s.id_number = id.into();
        s
    }

    #[test]
    fn narrows_as_you_type_and_widens_when_you_delete() {
        let list = vec![s(1, "张三", "500243198001011234"), s(2, "张思远", "500243198001015678"), s(3, "李四", "500243198001019999")];
        let index = Index::build(&list);
        let base: Vec<u32> = vec![0, 1, 2];
        let theme = Theme::default();
        let mut f = Find::new(FindScope::All, &theme);
        assert_eq!(f.results(), None, "empty box: everything shows");
        let typed = |f: &mut Find, t: &str| {
            f.insert(t, &theme);
            f.refresh(&base, &list, &index);
            f.results().map(<[u32]>::to_vec)
        };
        assert_eq!(typed(&mut f, "z"), Some(vec![0, 1]));
        assert_eq!(typed(&mut f, "s"), Some(vec![0, 1]));
        assert_eq!(f.steps.len(), 2, "the second letter searched within the first's results");
        assert_eq!(typed(&mut f, "y"), Some(vec![1]));
        f.key(KeyEvent::from(crossterm::event::KeyCode::Backspace), &theme);
        f.refresh(&base, &list, &index);
        assert_eq!(f.results().map(<[u32]>::to_vec), Some(vec![0, 1]));
        assert_eq!(f.steps.len(), 2, "deleting went back to a kept result");
        let mut g = Find::new(FindScope::All, &theme);
        assert_eq!(typed(&mut g, "123"), Some(vec![]));
        assert!(g.note.is_some(), "too few digits says why");
        assert_eq!(typed(&mut g, "4"), Some(vec![0]));
        assert_eq!(typed(&mut g, "\n李"), Some(vec![]), "pasted line breaks become spaces");
        assert_eq!(g.text(), "1234 李");
    }

    #[test]
    fn one_character_is_found_only_whole() {
        assert!(has_char("重庆市彭水县石盘乡", '石'));
        assert!(!has_char("重庆市彭水县", '石'));
        assert!(has_char("ab3组", '3'));
        assert!(!has_char("三口村", '石'));
        assert!(has_char("Müller", 'ü') && has_char("𠀋家", '𠀋'));
    }

    #[test]
    fn a_large_set_is_searched_in_parts_in_order() {
        let list: Vec<Summary> = (0..120_000u64).map(|k| s(k, if k % 3 == 0 { "张三" } else { "李四" }, "500243198001011234")).collect();
        let index = Index::build(&list);
        let base: Vec<u32> = (0..list.len() as u32).collect();
        let found = search(&base, &list, &index, &Query::parse("zs").unwrap());
        assert_eq!(found.len(), 40_000);
        assert!(found.windows(2).all(|w| w[0] < w[1]));
        // A large part of the store, in its own (place) order.
        let part: Vec<u32> = (0..110_000u32).rev().collect();
        let found = search(&part, &list, &index, &Query::parse("张").unwrap());
        assert_eq!(found.len(), 36_667);
        assert!(found.windows(2).all(|w| w[0] > w[1]), "the order of the part is kept");
    }
}
