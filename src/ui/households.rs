//! The household list: filters, the visible rows, and how a row is drawn.
//!
//! Columns are chosen to fit the width: the ones that matter most stay
//! (name, masked ID, form state), township and village appear when the list
//! spans more than one, and the risk month shortens before anything drops.

use super::places::scroll_into_view;
use super::text;
use super::theme::Theme;
use crate::backend::LeaseView;
use crate::form::{idnum, options};
use crate::model::{FormState, Summary};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::collections::HashMap;

/// 边缘户 / 监测户 / all; 未填 / 草稿 / 已提交 / all; 未消除 / 已消除 / all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filters {
    pub category: Option<u16>,
    pub state: Option<FormState>,
    /// `Some(true)`: risk eliminated (A8 set).
    pub eliminated: Option<bool>,
}

impl Filters {
    pub fn matches(&self, s: &Summary) -> bool {
        self.category.is_none_or(|c| s.category == c)
            && self.state.is_none_or(|st| s.state == st)
            && self.eliminated.is_none_or(|e| s.eliminated.is_some() == e)
    }

    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// 全部 → 边缘户 → 监测户 (the notice's step 1 names 边缘户 first).
    pub fn cycle_category(&mut self) {
        self.category = match self.category {
            None => Some(options::CATEGORY_MARGINAL),
            Some(options::CATEGORY_MARGINAL) => Some(options::CATEGORY_UNSTABLE),
            Some(_) => None,
        };
    }

    pub fn cycle_state(&mut self) {
        self.state = match self.state {
            None => Some(FormState::Empty),
            Some(FormState::Empty) => Some(FormState::Draft),
            Some(FormState::Draft) => Some(FormState::Submitted),
            Some(FormState::Submitted) => None,
        };
    }

    pub fn cycle_risk(&mut self) {
        self.eliminated = match self.eliminated {
            None => Some(false),
            Some(false) => Some(true),
            Some(true) => None,
        };
    }

    pub fn category_label(&self) -> &'static str {
        self.category.and_then(|c| options::CATEGORY.short_label(c)).unwrap_or("全部")
    }

    pub fn state_label(&self) -> &'static str {
        self.state.map_or("全部", FormState::label)
    }

    pub fn risk_label(&self) -> &'static str {
        match self.eliminated {
            None => "全部",
            Some(false) => "未消除",
            Some(true) => "已消除",
        }
    }
}

/// The rows on show (summary indexes) with the cursor and scroll position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdList {
    pub rows: Vec<u32>,
    pub selected: usize,
    pub offset: usize,
    /// Rows before filtering (the place, or the find results).
    pub unfiltered: usize,
}

impl HouseholdList {
    /// Replaces the rows with `base` filtered, keeping the selected household
    /// when it is still there.
    pub fn fill(&mut self, summaries: &[Summary], base: &[u32], filters: &Filters, height: usize) {
        let keep = self.selected_index().map(|i| summaries[i].key);
        self.rows.clear();
        if filters.is_empty() {
            self.rows.extend_from_slice(base);
        } else {
            self.rows.extend(base.iter().copied().filter(|&i| filters.matches(&summaries[i as usize])));
        }
        self.unfiltered = base.len();
        let found = keep.and_then(|k| self.rows.iter().position(|&i| summaries[i as usize].key == k));
        match found {
            Some(pos) => self.selected = pos,
            None => {
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
                self.offset = 0;
            }
        }
        self.keep_in_view(height);
    }

    /// The selected row's summary index.
    pub fn selected_index(&self) -> Option<usize> {
        self.rows.get(self.selected).map(|&i| i as usize)
    }

    /// Moves by `delta` rows; `None` goes to the last row.
    pub fn move_by(&mut self, delta: Option<isize>, height: usize) {
        if self.rows.is_empty() {
            return;
        }
        self.selected = match delta {
            Some(d) => self.selected.saturating_add_signed(d).min(self.rows.len() - 1),
            None => self.rows.len() - 1,
        };
        self.keep_in_view(height);
    }

    pub fn keep_in_view(&mut self, height: usize) {
        self.offset = scroll_into_view(self.offset.min(self.selected), self.selected, height);
    }
}

/// The state column: 未填 / 草稿·3错 / 已提交.
pub fn state_text(s: &Summary) -> String {
    match s.state {
        FormState::Draft if s.errors > 0 => format!("草稿·{}错", s.errors),
        st => st.label().to_string(),
    }
}

/// The ID as shown: masked unless revealed.
pub fn shown_id(id: &str, revealed: bool) -> String {
    if revealed {
        id.to_string()
    } else {
        idnum::mask(id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Head,
    Township,
    Village,
    Id,
    /// The ID number's end in `w` columns (`…1611`), when the whole one does not fit.
    IdTail(usize),
    Category {
        short: bool,
    },
    Risk {
        month: bool,
    },
    State,
    /// A1, in whatever room is left.
    Address(usize),
}

impl Col {
    fn title(self) -> &'static str {
        match self {
            Col::Head => "户主",
            Col::Township => "乡镇",
            Col::Village => "村(社区)",
            Col::Id => "证件号码",
            Col::IdTail(_) => "证件号",
            Col::Category { .. } => "类别",
            Col::Risk { .. } => "风险",
            Col::State => "表单",
            Col::Address(_) => "家庭地址",
        }
    }

    fn width(self, id_width: usize) -> usize {
        match self {
            Col::Head | Col::Township | Col::Village => 8,
            Col::Id => id_width,
            Col::IdTail(w) => w,
            Col::Category { short: false } => 6,
            Col::Category { short: true } => 4,
            Col::Risk { month: true } => 13,
            Col::Risk { month: false } => 6,
            Col::State => 9,
            Col::Address(w) => w,
        }
    }

    fn cell(self, s: &Summary, revealed: bool) -> String {
        match self {
            Col::Head => s.head.clone(),
            Col::Township => s.place.township.clone(),
            Col::Village => s.place.village.clone(),
            Col::Id => shown_id(&s.id_number, revealed),
            Col::IdTail(w) => {
                // Whole characters from the end, after a "…": never cut mid-number unmarked.
                let id: Vec<char> = shown_id(&s.id_number, revealed).chars().collect();
                let keep = w.saturating_sub(1).min(id.len());
                format!("…{}", id[id.len() - keep..].iter().collect::<String>())
            }
            Col::Category { short: false } => s.category_short().to_string(),
            Col::Category { short: true } => s.category_short().trim_end_matches('户').to_string(),
            Col::Risk { month: true } => match s.eliminated {
                Some(m) => format!("已消除{m}"),
                None => "未消除".to_string(),
            },
            Col::Risk { month: false } => if s.eliminated.is_some() { "已消除" } else { "未消除" }.to_string(),
            Col::State => state_text(s),
            Col::Address(_) => s.address.clone(),
        }
    }

    fn style(self, s: &Summary, theme: &Theme) -> Style {
        match self {
            Col::State => match s.state {
                FormState::Submitted => theme.ok(),
                FormState::Draft if s.errors > 0 => theme.error(),
                FormState::Draft => theme.warning(),
                FormState::Empty => Style::default(),
            },
            Col::Id | Col::IdTail(_) => theme.dim(),
            _ => Style::default(),
        }
    }
}

/// What the list spans, which decides the place columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    pub townships: bool,
    pub villages: bool,
}

/// The columns that fit in `width`, most important kept.
fn columns(width: usize, id_width: usize, spans: Spread) -> Vec<Col> {
    let mut cols = vec![Col::Head];
    if spans.townships {
        cols.push(Col::Township);
    }
    if spans.villages {
        cols.push(Col::Village);
    }
    cols.extend([Col::Id, Col::Category { short: false }, Col::Risk { month: true }, Col::State]);
    let total = |cols: &[Col]| cols.iter().map(|c| c.width(id_width) + 1).sum::<usize>().saturating_sub(1);
    // Narrow first, then drop, in this order.
    let steps: [fn(&mut Vec<Col>); 6] = [
        |c| {
            c.iter_mut().for_each(|c| {
                if let Col::Risk { month } = c {
                    *month = false
                }
            })
        },
        |c| c.retain(|c| *c != Col::Township),
        |c| {
            c.iter_mut().for_each(|c| {
                if let Col::Category { short } = c {
                    *short = true
                }
            })
        },
        |c| c.retain(|c| !matches!(c, Col::Category { .. })),
        |c| c.retain(|c| !matches!(c, Col::Risk { .. })),
        |c| c.retain(|c| *c != Col::Village),
    ];
    for step in steps {
        if total(&cols) <= width {
            break;
        }
        step(&mut cols);
    }
    if total(&cols) > width {
        // Still too wide (a narrow terminal): the ID number shows its end, marked.
        let others = total(&cols) - id_width;
        let w = width.saturating_sub(others).max(6);
        cols.iter_mut().filter(|c| **c == Col::Id).for_each(|c| *c = Col::IdTail(w));
    }
    let room = width.saturating_sub(total(&cols) + 1);
    if room >= 12 {
        cols.push(Col::Address(room));
    }
    cols
}

/// Draws the list inside `area` (the caller draws the border): a heading row, then the rows.
#[allow(clippy::too_many_arguments)]
pub fn render(
    f: &mut Frame,
    area: Rect,
    summaries: &[Summary],
    list: &HouseholdList,
    spans: Spread,
    revealed: Option<u64>,
    leases: &HashMap<u64, LeaseView>,
    focused: bool,
    theme: &Theme,
    empty_note: &str,
) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let w = area.width as usize;
    let body = area.height.saturating_sub(1) as usize;
    let window = &list.rows[list.offset.min(list.rows.len())..list.rows.len().min(list.offset + body)];
    let id_width = window.iter().map(|&i| summaries[i as usize].id_number.chars().count()).max().unwrap_or(18).max(18);
    let cols = columns(w, id_width, spans);
    let mut lines = Vec::with_capacity(window.len() + 1);
    let heading: Vec<String> = cols.iter().map(|c| text::pad(c.title(), c.width(id_width))).collect();
    lines.push(Line::from(Span::styled(text::pad(&heading.join(" "), w), theme.dim())));
    if list.rows.is_empty() {
        lines.push(Line::from(Span::styled(text::fit(empty_note, w), theme.warning())));
    }
    for (n, &i) in window.iter().enumerate() {
        let s = &summaries[i as usize];
        let selected = list.offset + n == list.selected;
        let shown = revealed == Some(s.key);
        let row_style = if selected && focused { Some(theme.selected()) } else { None };
        let mut spans_out = Vec::with_capacity(cols.len() * 2);
        let mut used = 0;
        for (k, c) in cols.iter().enumerate() {
            if k > 0 {
                spans_out.push(Span::styled(" ", row_style.unwrap_or_default()));
                used += 1;
            }
            let cw = c.width(id_width);
            // A form another clerk holds: 在填写 in the state column, who and since when in the address's room.
            let (value, style) = match (c, leases.get(&s.key)) {
                (Col::State, Some(h)) => (format!("{}在填", h.name), theme.warning()),
                (Col::Address(_), Some(h)) => (h.label(), theme.warning()),
                _ => (c.cell(s, shown), c.style(s, theme)),
            };
            let cell = text::pad(&text::fit(&value, cw), cw);
            used += cw;
            spans_out.push(Span::styled(cell, row_style.unwrap_or(style)));
        }
        spans_out.push(Span::styled(" ".repeat(w.saturating_sub(used)), row_style.unwrap_or_default()));
        let mut line = Line::from(spans_out);
        if selected && !focused {
            line = line.style(theme.title());
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_cycle_back_to_all() {
        let mut f = Filters::default();
        f.cycle_category();
        assert_eq!(f.category_label(), "边缘户");
        f.cycle_category();
        assert_eq!(f.category_label(), "监测户");
        f.cycle_category();
        assert!(f.is_empty());
        for _ in 0..4 {
            f.cycle_state();
        }
        for _ in 0..3 {
            f.cycle_risk();
        }
        assert!(f.is_empty());
    }

    #[test]
    fn columns_fit_and_keep_the_essentials() {
        let one = Spread { townships: false, villages: false };
        let all = Spread { townships: true, villages: true };
        let width = |cols: &[Col]| cols.iter().map(|c| c.width(18) + 1).sum::<usize>() - 1;
        assert!(matches!(columns(100, 18, one).last(), Some(Col::Address(w)) if *w == 100 - 59), "the address takes what is left");
        for w in [30, 44, 58, 78, 120] {
            for spans in [one, all] {
                let cols = columns(w, 18, spans);
                let id = cols.iter().any(|c| matches!(c, Col::Id | Col::IdTail(_)));
                assert!(cols.contains(&Col::Head) && id && cols.contains(&Col::State));
                assert!(w < 40 || width(&cols) <= w, "{w}: {cols:?}");
            }
        }
        assert!(columns(58, 18, one).contains(&Col::Risk { month: true }), "80 columns show the month");
        let narrow = columns(30, 18, one);
        assert!(width(&narrow) <= 30, "{narrow:?}");
        assert!(narrow.iter().any(|c| matches!(c, Col::IdTail(_))), "the ID shows its end: {narrow:?}");
        assert!(columns(78, 18, all).contains(&Col::Township), "a store-wide find shows places");
        let township = Spread { townships: false, villages: true };
        assert!(columns(58, 18, township).contains(&Col::Category { short: true }), "a township keeps 边缘/监测");
    }
}
