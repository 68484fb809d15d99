//! A household's audit history: who changed what and when, newest first.

use super::scroll::Scroll;
use super::text;
use super::theme::Theme;
use crate::form::schema::Mask;
use crate::form::{idnum, phone, schema};
use crate::model::AuditEntry;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub struct History {
    pub key: u64,
    pub head: String,
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// ID numbers in corrections shown in full.
    pub revealed: bool,
    pub scroll: Scroll,
}

/// A change to a handbook entry (`members#3 M1`): its form, number and field.
fn entry_field(field: &str) -> Option<(&'static crate::form::file::Form, &str, Option<&'static crate::form::Field>)> {
    let (entry, code) = field.split_once(' ')?;
    let (id, seq) = entry.split_once('#')?;
    let form = schema::handbook_form(id)?;
    Some((form, seq, form.field(code)))
}

/// What an entry's `field` means to a clerk.
fn field_label(field: &str) -> String {
    if let Some((form, seq, f)) = entry_field(field) {
        let what = match (f, field.rsplit(' ').next()) {
            (Some(f), _) => format!(" {}", f.heading()),
            (None, Some("voided")) => " 作废".into(),
            _ => String::new(),
        };
        return format!("{}第{seq}条{what}", form.title);
    }
    match field {
        "handbook" => "监测手册".into(),
        "state" => "表单状态".into(),
        "verified" => "基础信息核实".into(),
        "import" => "导入".into(),
        "township" => "乡镇".into(),
        "village" => "村".into(),
        "round" => "调查轮次".into(),
        code => schema::field(code).map_or_else(|| code.to_string(), |f| f.heading()),
    }
}

impl History {
    pub fn new(key: u64, head: String, mut entries: Vec<AuditEntry>) -> History {
        entries.reverse();
        let scroll = Scroll::new(entries.len());
        History { key, head, entries, revealed: false, scroll }
    }

    fn line(&self, e: &AuditEntry) -> String {
        let mask = schema::field(&e.field).or_else(|| entry_field(&e.field).and_then(|(_, _, f)| f)).and_then(|f| f.mask);
        let show = |v: &str| {
            if self.revealed || v.is_empty() {
                v.replace('\n', " ")
            } else if mask == Some(Mask::Id) {
                idnum::mask(v)
            } else if mask == Some(Mask::Phone) {
                v.split('、').map(|p| phone::mask(p.trim())).collect::<Vec<_>>().join("、")
            } else {
                v.replace('\n', " ")
            }
        };
        let change = match (e.old.is_empty(), e.new.is_empty()) {
            (true, _) => show(&e.new),
            (false, true) => format!("{} → （清空）", show(&e.old)),
            (false, false) => format!("{} → {}", show(&e.old), show(&e.new)),
        };
        let at = e.at.local().format("%Y-%m-%d %H:%M");
        format!("{at} {} {}：{change}", text::pad(&e.who, 8), field_label(&e.field))
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let title = format!("修改记录：{}（{}条，最新的在上）", self.head, self.entries.len());
        let block = theme.block(Span::styled(title, theme.title()), true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let w = inner.width as usize;
        let lines: Vec<Line> = if self.entries.is_empty() {
            vec![Line::from(Span::styled("这一户还没有修改记录", theme.dim()))]
        } else {
            self.entries
                .iter()
                .skip(self.scroll.offset)
                .take(inner.height as usize)
                .map(|e| Line::from(text::fit(&self.line(e), w)))
                .collect()
        };
        f.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn entry(field: &str, old: &str, new: &str) -> AuditEntry {
        AuditEntry {
            seq: 0,
            at: Timestamp(1_619_000_000_000),
            who: "clerk01".into(),
            household: 1,
            field: field.into(),
            old: old.into(),
            new: new.into(),
            prev_hash: [0; 32],
        }
    }

    #[test]
    fn newest_first_with_labels_and_masked_ids() {
        let h = History::new(
            1,
            "张三".into(),
            vec![
                entry("D2", "13812345678", "13812345678、023-78865441"),
                entry("import", "", "张三 500243********1234"),
                entry("A3", "11010519491231002X", "500243198001011234"),
                entry("B1", "否", "是"),
            ],
        );
        let lines: Vec<String> = h.entries.iter().map(|e| h.line(e)).collect();
        assert!(lines[0].contains("B1 是否有基本医疗未保障：否 → 是"), "{}", lines[0]);
        assert!(lines[1].contains("110105********002X → 500243********1234"), "{}", lines[1]);
        assert!(lines[2].contains("导入：张三"), "{}", lines[2]);
        assert!(lines[3].contains("138****5678 → 138****5678、023-******41"), "{}", lines[3]);
        let mut h = h;
        h.revealed = true;
        assert!(h.line(&h.entries[1]).contains("11010519491231002X"));
        assert!(h.line(&h.entries[3]).contains("023-78865441"));
    }
}
