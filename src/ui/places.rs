//! The places pane: townships with their villages and counts.
//!
//! [`Tree`] groups every household once, at load: one array of summary
//! indexes in township → village → head-name order, and each place is a
//! range of it. Lists and the find box read those ranges, so showing a
//! township of 25,000 households or the whole store copies nothing.

use super::text;
use super::theme::Theme;
use crate::model::{Counts, Summary};
use pinyin::ToPinyin;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    pub name: String,
    pub counts: Counts,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Township {
    pub name: String,
    pub counts: Counts,
    pub range: Range<usize>,
    pub villages: Vec<Village>,
}

/// Every household grouped by place, with counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub townships: Vec<Township>,
    pub total: Counts,
    /// Summary indexes in township, village, head-name order.
    pub order: Vec<u32>,
}

/// A row of the places pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlaceSel {
    /// Every township.
    #[default]
    All,
    Township(usize),
    Village(usize, usize),
}

impl PlaceSel {
    /// The township this row belongs to (the one shown opened).
    pub fn township(self) -> Option<usize> {
        match self {
            PlaceSel::All => None,
            PlaceSel::Township(t) | PlaceSel::Village(t, _) => Some(t),
        }
    }
}

fn counts_of(summaries: &[Summary], members: &[u32]) -> Counts {
    let mut c = Counts::default();
    for &i in members {
        c.add(&summaries[i as usize]);
    }
    c
}

/// Appends the order clerks look things up in: by pinyin, syllable by
/// syllable (李四 before 林, 王 before 张).
fn push_pinyin_key(key: &mut String, name: &str) {
    for c in name.chars() {
        match c.to_pinyin() {
            Some(p) => key.push_str(p.plain()),
            None => key.extend(c.to_lowercase()),
        }
        key.push(' ');
    }
}

pub fn pinyin_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 2);
    push_pinyin_key(&mut key, name);
    key
}

/// Pinyin sort keys of many names in one buffer: `(start, end, summary index)`.
#[derive(Default)]
struct Keys {
    text: String,
}

impl Keys {
    fn add(&mut self, name: &str, i: u32) -> (u32, u32, u32) {
        let start = self.text.len() as u32;
        push_pinyin_key(&mut self.text, name);
        (start, self.text.len() as u32, i)
    }

    fn get(&self, k: &(u32, u32, u32)) -> &str {
        &self.text[k.0 as usize..k.1 as usize]
    }

    /// Sorts by pinyin, then by the characters, then by store key.
    fn sort(&self, summaries: &[Summary], keyed: &mut [(u32, u32, u32)]) {
        keyed.sort_unstable_by(|a, b| {
            self.get(a).cmp(self.get(b)).then_with(|| {
                let (x, y) = (&summaries[a.2 as usize], &summaries[b.2 as usize]);
                x.head.cmp(&y.head).then(x.key.cmp(&y.key))
            })
        });
    }
}

/// Sorts households by their head's name in pinyin order.
fn sort_by_head(summaries: &[Summary], members: &mut [u32]) {
    let mut keys = Keys::default();
    let mut keyed: Vec<_> = members.iter().map(|&i| keys.add(&summaries[i as usize].head, i)).collect();
    keys.sort(summaries, &mut keyed);
    for (slot, k) in members.iter_mut().zip(keyed) {
        *slot = k.2;
    }
}

/// FNV-1a: the places map is hashed once per household, and the keys are
/// our own data, so a fast hash beats a DoS-resistant one here.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

impl Tree {
    pub fn build(summaries: &[Summary]) -> Tree {
        // One pass in store order (the memory order): place, counts and sort key.
        type Group = (Counts, Vec<(u32, u32, u32)>);
        let mut groups: HashMap<(&str, &str), Group, BuildHasherDefault<Fnv>> = HashMap::default();
        let mut keys = Keys { text: String::with_capacity(summaries.len() * 12) };
        for (i, s) in summaries.iter().enumerate() {
            let g = groups.entry((s.place.township.as_str(), s.place.village.as_str())).or_default();
            g.0.add(s);
            g.1.push(keys.add(&s.head, i as u32));
        }
        let mut groups: Vec<_> = groups.into_iter().map(|((t, v), group)| ((pinyin_key(t), t), (pinyin_key(v), v), group)).collect();
        groups.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut tree = Tree { order: Vec::with_capacity(summaries.len()), ..Tree::default() };
        for ((_, township), (_, village), (counts, mut keyed)) in groups {
            keys.sort(summaries, &mut keyed);
            let start = tree.order.len();
            tree.order.extend(keyed.into_iter().map(|k| k.2));
            let range = start..tree.order.len();
            if tree.townships.last().is_none_or(|t| t.name != township) {
                tree.townships.push(Township {
                    name: township.to_string(),
                    counts: Counts::default(),
                    range: start..start,
                    villages: Vec::new(),
                });
            }
            let t = tree.townships.last_mut().expect("just pushed");
            t.counts.merge(&counts);
            tree.total.merge(&counts);
            t.range.end = range.end;
            t.villages.push(Village { name: village.to_string(), counts, range });
        }
        tree
    }

    /// The households of a place, in list order.
    pub fn members(&self, sel: PlaceSel) -> &[u32] {
        let range = match sel {
            PlaceSel::All => 0..self.order.len(),
            PlaceSel::Township(t) => self.townships.get(t).map_or(0..0, |t| t.range.clone()),
            PlaceSel::Village(t, v) => self.townships.get(t).and_then(|t| t.villages.get(v)).map_or(0..0, |v| v.range.clone()),
        };
        &self.order[range]
    }

    pub fn counts(&self, sel: PlaceSel) -> &Counts {
        match sel {
            PlaceSel::All => &self.total,
            PlaceSel::Township(t) => &self.townships[t].counts,
            PlaceSel::Village(t, v) => &self.townships[t].villages[v].counts,
        }
    }

    /// `township › village` for headers and titles.
    pub fn label(&self, sel: PlaceSel) -> String {
        match sel {
            PlaceSel::All => "全部乡镇".to_string(),
            PlaceSel::Township(t) => self.townships[t].name.clone(),
            PlaceSel::Village(t, v) => format!("{} › {}", self.townships[t].name, self.townships[t].villages[v].name),
        }
    }

    /// The village a household belongs to, found by name.
    pub fn village_of(&self, s: &Summary) -> Option<(usize, usize)> {
        let t = self.townships.iter().position(|t| t.name == s.place.township)?;
        let v = self.townships[t].villages.iter().position(|v| v.name == s.place.village)?;
        Some((t, v))
    }

    /// Re-sorts and recounts one village after a household in it changed.
    pub fn refresh_village(&mut self, summaries: &[Summary], t: usize, v: usize) {
        let range = self.townships[t].villages[v].range.clone();
        sort_by_head(summaries, &mut self.order[range.clone()]);
        self.townships[t].villages[v].counts = counts_of(summaries, &self.order[range]);
        let mut tc = Counts::default();
        for v in &self.townships[t].villages {
            tc.merge(&v.counts);
        }
        self.townships[t].counts = tc;
        let mut total = Counts::default();
        for t in &self.townships {
            total.merge(&t.counts);
        }
        self.total = total;
    }

    /// The rows shown: every township, with the villages of the one holding the cursor.
    pub fn rows(&self, sel: PlaceSel) -> Vec<PlaceSel> {
        let open = sel.township();
        let mut rows = vec![PlaceSel::All];
        for (t, tw) in self.townships.iter().enumerate() {
            rows.push(PlaceSel::Township(t));
            if open == Some(t) {
                rows.extend((0..tw.villages.len()).map(|v| PlaceSel::Village(t, v)));
            }
        }
        rows
    }
}

/// The places pane's cursor and scroll position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlacesPane {
    pub sel: PlaceSel,
    pub offset: usize,
}

/// Keeps row `pos` inside a window of `height` rows starting at `offset`.
pub fn scroll_into_view(offset: usize, pos: usize, height: usize) -> usize {
    let height = height.max(1);
    if pos < offset {
        pos
    } else if pos >= offset + height {
        pos + 1 - height
    } else {
        offset
    }
}

impl PlacesPane {
    /// Moves the cursor by `delta` rows as they are shown (the township under
    /// the cursor is the one opened); `None` goes to the last row.
    pub fn move_by(&mut self, tree: &Tree, delta: Option<isize>, height: usize) {
        let rows = tree.rows(self.sel);
        let pos = rows.iter().position(|r| *r == self.sel).unwrap_or(0);
        let target = match delta {
            Some(d) => pos.saturating_add_signed(d).min(rows.len() - 1),
            None => rows.len() - 1,
        };
        self.sel = rows[target];
        if delta.is_none() {
            // The last township has just opened: go to its last village.
            self.sel = *tree.rows(self.sel).last().unwrap_or(&PlaceSel::All);
        }
        self.keep_in_view(tree, height);
    }

    pub fn keep_in_view(&mut self, tree: &Tree, height: usize) {
        let rows = tree.rows(self.sel);
        let pos = rows.iter().position(|r| *r == self.sel).unwrap_or(0);
        self.offset = scroll_into_view(self.offset.min(rows.len().saturating_sub(1)), pos, height);
    }
}

/// Numbers over 99,999 as 万 so that a million-household store still fits.
fn count_label(n: usize) -> String {
    if n > 99_999 {
        format!("{}万", n / 10_000)
    } else {
        n.to_string()
    }
}

const HEADINGS: [&str; 4] = ["户数", "已交", "草稿", "未填"];

fn numbers(c: &Counts) -> [String; 4] {
    [c.households, c.submitted, c.draft, c.empty].map(count_label)
}

/// Draws the pane's inside (the caller draws the border). Wide enough: a
/// heading row and four counts a row; narrow: submitted/total only.
pub fn render(f: &mut Frame, area: Rect, tree: &Tree, pane: &PlacesPane, focused: bool, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let w = area.width as usize;
    let rows = tree.rows(pane.sel);
    let body = area.height.saturating_sub(1) as usize;
    let window = &rows[pane.offset.min(rows.len())..rows.len().min(pane.offset + body)];
    let shown: Vec<(PlaceSel, [String; 4])> = window.iter().map(|r| (*r, numbers(tree.counts(*r)))).collect();
    let col = shown.iter().flat_map(|(_, n)| n.iter().map(|s| text::width(s))).max().unwrap_or(0).max(4);
    let full = w >= 10 + 4 * (col + 1);
    let (open, closed) = if theme.ascii { ("-", "+") } else { ("▾", "▸") };
    let mut lines = Vec::with_capacity(shown.len() + 1);
    let heading = if full {
        let mut s = text::pad("", w - 4 * (col + 1));
        for h in HEADINGS {
            s.push(' ');
            s.push_str(&text::pad_left(h, col));
        }
        s
    } else {
        text::pad_left("已交/户数", w)
    };
    lines.push(Line::from(Span::styled(heading, theme.dim())));
    for (sel, nums) in shown {
        let name = match sel {
            PlaceSel::All => "全部乡镇".to_string(),
            PlaceSel::Township(t) => {
                let mark = if pane.sel.township() == Some(t) { open } else { closed };
                format!("{mark}{}", tree.townships[t].name)
            }
            PlaceSel::Village(t, v) => format!("  {}", tree.townships[t].villages[v].name),
        };
        let right = if full {
            nums.iter().map(|n| format!(" {}", text::pad_left(n, col))).collect::<String>()
        } else {
            let c = tree.counts(sel);
            format!(" {}/{}", count_label(c.submitted), nums[0])
        };
        let name_w = w.saturating_sub(text::width(&right));
        let line = format!("{}{right}", text::pad(&text::fit(&name, name_w), name_w));
        let style = if sel == pane.sel {
            if focused {
                theme.selected()
            } else {
                theme.title()
            }
        } else if matches!(sel, PlaceSel::Village(..)) {
            ratatui::style::Style::default()
        } else {
            theme.title().remove_modifier(ratatui::style::Modifier::BOLD)
        };
        lines.push(Line::from(Span::styled(line, style)));
    }
    f.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{FormState, Place};

    /// A summary for tests.
    pub(crate) fn summary(key: u64, t: &str, v: &str, head: &str, state: FormState) -> Summary {
        Summary {
            key,
            place: Place { township: t.into(), village: v.into() },
            head: head.into(),
            id_number: format!("50024319800101{key:04}"),
            address: format!("{t}{v}1组"),
            category: 0,
            eliminated: None,
            verified: false,
            state,
            errors: 0,
            warnings: 0,
            saved_by: None,
            saved_at: None,
        }
    }

    fn sample() -> Vec<Summary> {
        vec![
            summary(1, "石盘乡", "龙门村", "王五", FormState::Empty),
            summary(2, "保家镇", "新田村", "李四", FormState::Submitted),
            summary(3, "石盘乡", "龙门村", "张三", FormState::Draft),
            summary(4, "石盘乡", "大坪村", "赵六", FormState::Empty),
        ]
    }

    #[test]
    fn groups_sorts_and_counts() {
        let s = sample();
        let tree = Tree::build(&s);
        let names: Vec<_> = tree.townships.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["保家镇", "石盘乡"], "by pinyin: bao before shi");
        assert_eq!(tree.total.households, 4);
        let sp = &tree.townships[1];
        assert_eq!(sp.counts.households, 3);
        assert_eq!(sp.villages.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["大坪村", "龙门村"]);
        let heads: Vec<_> = tree.members(PlaceSel::Village(1, 1)).iter().map(|&i| s[i as usize].head.as_str()).collect();
        assert_eq!(heads, ["王五", "张三"], "wang before zhang");
        assert_eq!(tree.members(PlaceSel::Township(1)).len(), 3);
        assert_eq!(tree.members(PlaceSel::All).len(), 4);
        assert_eq!(tree.counts(PlaceSel::Village(1, 1)).draft, 1);
        assert_eq!(tree.village_of(&s[0]), Some((1, 1)));
    }

    #[test]
    fn pinyin_order_goes_syllable_by_syllable() {
        let mut names = ["林", "李四", "张三", "王五", "万足镇", "三义乡"];
        names.sort_by_key(|n| pinyin_key(n));
        assert_eq!(names, ["李四", "林", "三义乡", "万足镇", "王五", "张三"]);
    }

    #[test]
    fn refresh_recounts_up_the_tree() {
        let mut s = sample();
        let mut tree = Tree::build(&s);
        s[0].state = FormState::Submitted;
        tree.refresh_village(&s, 1, 1);
        assert_eq!(tree.counts(PlaceSel::Village(1, 1)).submitted, 1);
        assert_eq!(tree.townships[1].counts.submitted, 1);
        assert_eq!(tree.total.submitted, 2);
    }

    #[test]
    fn the_cursor_township_is_the_open_one() {
        let s = sample();
        let tree = Tree::build(&s);
        let mut pane = PlacesPane::default();
        assert_eq!(tree.rows(pane.sel).len(), 3, "全部 and two closed townships");
        pane.move_by(&tree, Some(1), 10);
        assert_eq!(pane.sel, PlaceSel::Township(0));
        pane.move_by(&tree, Some(1), 10);
        assert_eq!(pane.sel, PlaceSel::Village(0, 0), "down enters the open township");
        pane.move_by(&tree, Some(1), 10);
        assert_eq!(pane.sel, PlaceSel::Township(1));
        pane.move_by(&tree, Some(-1), 10);
        assert_eq!(pane.sel, PlaceSel::Township(0), "up lands on the row shown above");
        pane.move_by(&tree, None, 10);
        assert_eq!(pane.sel, PlaceSel::Village(1, 1), "last row of the last township");
        pane.move_by(&tree, Some(-100), 2);
        assert_eq!((pane.sel, pane.offset), (PlaceSel::All, 0));
    }

    #[test]
    fn scrolling_keeps_the_row_visible() {
        assert_eq!(scroll_into_view(0, 5, 10), 0);
        assert_eq!(scroll_into_view(0, 12, 10), 3);
        assert_eq!(scroll_into_view(8, 2, 10), 2);
        assert_eq!(count_label(1_000_000), "100万");
        assert_eq!(count_label(99_999), "99999");
    }
}
