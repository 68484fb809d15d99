//! The household card: section A, whether it is verified, the form's state,
//! and who saved it last and when. The audit history is a key away.

use super::households::shown_id;
use super::scroll::Scroll;
use super::text;
use super::theme::Theme;
use crate::form::rules::{self, Severity};
use crate::form::schema::{self, Section};
use crate::form::Round;
use crate::model::{FormState, LookBack};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Findings listed on the card; the form shows them all.
const SHOWN_PROBLEMS: usize = 3;

pub struct Card {
    pub key: u64,
    pub record: LookBack,
    /// Errors and warnings of the saved form (none while 未填).
    pub errors: usize,
    pub warnings: usize,
    /// The first few findings, as `code message`.
    pub problems: Vec<(bool, String)>,
    pub revealed: bool,
    pub scroll: Scroll,
    /// The household's handbook in one line (its forms and their entries), once read.
    pub handbook: Option<String>,
}

/// Splits `s` into pieces of at most `cols` columns, never inside a character.
fn wrap(s: &str, cols: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut w = 0;
    for c in s.chars() {
        let cw = text::width(c.encode_utf8(&mut [0; 4]));
        if w + cw > cols.max(2) {
            out.push(String::new());
            w = 0;
        }
        out.last_mut().expect("never empty").push(c);
        w += cw;
    }
    out
}

impl Card {
    pub fn new(key: u64, record: LookBack, round: &Round) -> Card {
        let findings = if record.form.state == FormState::Empty { Vec::new() } else { record.findings(round) };
        let errors = findings.iter().filter(|x| x.severity == Severity::Error).count();
        let warnings = findings.len() - errors;
        let problems: Vec<(bool, String)> = findings
            .iter()
            .filter(|f| record.form.state != FormState::Submitted || f.severity == Severity::Error)
            .take(SHOWN_PROBLEMS)
            // A record of an unknown form's one finding belongs to no field.
            .map(|f| (f.severity == Severity::Error, format!("{} {}", f.code, f.message).trim_start().to_string()))
            .collect();
        let fields = schema::section_fields(Section::A).count();
        let len = fields + 6 + problems.len();
        Card { key, record, errors, warnings, problems, revealed: false, scroll: Scroll::new(len), handbook: None }
    }

    /// The household's handbook entries, read after the card: each
    /// repeating form with its live entries (`家庭成员6人，帮扶措施2项…`).
    pub fn set_handbook(&mut self, entries: &[crate::model::Entry]) {
        let parts: Vec<String> = schema::handbook()
            .iter()
            .map(|form| {
                let n = entries.iter().filter(|e| e.form.id == form.id && e.voided.is_none()).count();
                format!("{}{n}条", form.title)
            })
            .collect();
        self.handbook = Some(format!("{}（详见户档）", parts.join("，")));
        self.scroll = Scroll::new(self.scroll.len + 1);
    }

    pub fn title(&self) -> String {
        let h = &self.record.household;
        format!("户卡片：{}（{} {}）", h.a.head, h.place.township, h.place.village)
    }

    /// (label, value, style) rows, before wrapping.
    fn rows(&self, theme: &Theme) -> Vec<(String, String, Style)> {
        let h = &self.record.household;
        let mut rows = Vec::new();
        for f in schema::section_fields(Section::A) {
            let value = match (f.code, h.a.value(f.code)) {
                ("A3", _) => shown_id(&h.a.id_number, self.revealed),
                ("A8", None) => "（空：风险未消除）".to_string(),
                ("A5", Some(v)) => format!("{}（{}）", rules::display_value(f, &v), h.a.category_short()),
                (_, Some(v)) => rules::display_value(f, &v),
                (_, None) => String::new(),
            };
            rows.push((f.heading(), value, Style::default()));
        }
        rows.push((String::new(), String::new(), Style::default()));
        let (verified, vstyle) = if h.verified { ("已核实", theme.ok()) } else { ("未核实", theme.warning()) };
        rows.push(("基础信息".into(), verified.into(), vstyle));
        let form = &self.record.form;
        let (state, sstyle) = match form.state {
            FormState::Empty => ("未填".to_string(), Style::default()),
            FormState::Submitted => ("已提交".to_string(), theme.ok()),
            FormState::Draft if self.errors > 0 => (format!("草稿：{}处错误，{}处提示", self.errors, self.warnings), theme.error()),
            FormState::Draft => (format!("草稿：没有错误，{}处提示", self.warnings), theme.warning()),
        };
        rows.push(("采集表".into(), state, sstyle));
        for (error, text) in &self.problems {
            let (label, style) = if *error { ("  错误", theme.error()) } else { ("  提示", theme.warning()) };
            rows.push((label.into(), text.clone(), style));
        }
        let saved = match (&form.saved_by, form.saved_at) {
            (Some(who), Some(at)) => format!("{who}，{at}"),
            (Some(who), None) => who.clone(),
            (None, _) => "还没有保存过".into(),
        };
        rows.push(("最后保存".into(), saved, Style::default()));
        rows.push(("名单导入".into(), h.imported_at.to_string(), theme.dim()));
        if let Some(hb) = &self.handbook {
            rows.push(("监测手册".into(), hb.clone(), Style::default()));
        }
        rows
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = theme.block(Span::styled(self.title(), theme.title()), true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let rows = self.rows(theme);
        let label_w = rows.iter().map(|(l, _, _)| text::width(l)).max().unwrap_or(0) + 2;
        let value_w = (inner.width as usize).saturating_sub(label_w + 1);
        let mut lines = Vec::new();
        for (label, value, style) in rows.into_iter().skip(self.scroll.offset) {
            for (i, piece) in wrap(&value, value_w).into_iter().enumerate() {
                let l = if i == 0 { text::pad(&label, label_w) } else { " ".repeat(label_w) };
                lines.push(Line::from(vec![Span::styled(l, theme.dim()), Span::raw(" "), Span::styled(piece, style)]));
            }
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_by_columns_without_splitting() {
        assert_eq!(wrap("重庆市彭水县", 5), ["重庆", "市彭", "水县"]);
        assert_eq!(wrap("ab", 10), ["ab"]);
    }
}
