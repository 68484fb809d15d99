//! The help screen, generated from the keymap: every binding, grouped by
//! where it applies, the current screen's group first. Never hand-written,
//! so a user keymap shows as it really is.

use super::action::Action;
use super::keymap::{Keymap, Mode};
use super::scroll::Scroll;
use super::text;
use super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Kind of a help line, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heading,
    Binding,
    Warning,
    Note,
}

pub struct Help {
    lines: Vec<(Kind, String, String)>,
    pub scroll: Scroll,
}

/// Modes in help order: the one the help was opened from first.
fn order(context: Mode) -> Vec<Mode> {
    let context = if context == Mode::Dialog { Mode::Form } else { context };
    let mut modes = vec![context];
    if matches!(context, Mode::Choice | Mode::Text) {
        modes.push(Mode::Form);
    }
    for m in [
        Mode::Global,
        Mode::Browse,
        Mode::Find,
        Mode::Viewer,
        Mode::Dossier,
        Mode::Form,
        Mode::Choice,
        Mode::Text,
        Mode::Dialog,
        Mode::Prompt,
    ] {
        if !modes.contains(&m) {
            modes.push(m);
        }
    }
    modes
}

/// `(keys, action)` for one mode's own table, one row per action, in help order.
pub fn grouped(keymap: &Keymap, mode: Mode) -> Vec<(String, Action)> {
    let own = keymap.own_bindings(mode);
    Action::ALL
        .iter()
        .filter_map(|a| {
            let mut keys: Vec<_> = own.iter().filter(|(_, b)| b == a).map(|(k, _)| *k).collect();
            keys.sort_by_key(|k| (k.is_function_key(), k.ctrl || k.alt, *k));
            (!keys.is_empty()).then(|| (keys.iter().map(|k| k.label()).collect::<Vec<_>>().join(" "), *a))
        })
        .collect()
}

impl Help {
    pub fn new(keymap: &Keymap, context: Mode, warnings: &[String]) -> Help {
        let mut lines = Vec::new();
        if !warnings.is_empty() {
            lines.push((Kind::Heading, "启动时的提示（设置和键位文件里这些项没有生效）".to_string(), String::new()));
            // Wrapped for the narrowest screen the app draws (80 columns less the border), never cut.
            let cols = usize::from(super::view::MIN_COLS) - 2;
            lines.extend(warnings.iter().flat_map(|w| text::wrap(w, cols)).map(|w| (Kind::Warning, w, String::new())));
            lines.push((Kind::Note, String::new(), String::new()));
        }
        for mode in order(context) {
            let rows = grouped(keymap, mode);
            if rows.is_empty() {
                continue;
            }
            lines.push((Kind::Heading, format!("【{}】", mode.title()), format!("[{}]", mode.name())));
            lines.extend(rows.into_iter().map(|(keys, a)| (Kind::Binding, format!("{}\t{}", keys, a.help()), a.name().to_string())));
            lines.push((Kind::Note, String::new(), String::new()));
        }
        let file = crate::paths::config_dir().join("keymap.toml");
        let how = format!("改键：在 {} 里写 \"按键\" = \"动作名\"（如 \"ctrl-s\" = \"save\"），", file.display());
        lines.extend(text::wrap(&how, usize::from(super::view::MIN_COLS) - 2).into_iter().map(|l| (Kind::Note, l, String::new())));
        lines.push((Kind::Note, "放在对应的 [组名] 下；或启动时加 --keymap 文件。没写的键保持默认。".to_string(), String::new()));
        let scroll = Scroll::new(lines.len());
        Help { lines, scroll }
    }

    /// "第2/5页 【填写采集表】": the page shown of how many for a window of
    /// `height` lines, and the group its first line belongs to.
    pub fn page_label(&self, height: usize) -> String {
        let height = height.max(1);
        let pages = self.lines.len().div_ceil(height).max(1);
        let last_page = self.lines.len().saturating_sub(height);
        let page = if self.scroll.offset >= last_page { pages } else { (self.scroll.offset / height + 1).min(pages) };
        let group = self.lines[..=self.scroll.offset.min(self.lines.len().saturating_sub(1))]
            .iter()
            .rev()
            .find(|l| l.0 == Kind::Heading)
            .map(|l| l.1.clone())
            .unwrap_or_default();
        format!("第{page}/{pages}页 {group}")
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let height = area.height.saturating_sub(2) as usize;
        let title = format!("帮助：全部按键 {}（PgDn/PgUp 翻页）", self.page_label(height));
        let block = theme.block(Span::styled(title, theme.title()), true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let w = inner.width as usize;
        let key_w = 18.min(w / 3);
        let lines: Vec<Line> = self
            .lines
            .iter()
            .skip(self.scroll.offset)
            .take(inner.height as usize)
            .map(|(kind, left, right)| match kind {
                Kind::Heading => {
                    let rw = text::width(right);
                    Line::from(vec![
                        Span::styled(text::pad(left, w.saturating_sub(rw)), theme.title()),
                        Span::styled(right.clone(), theme.dim()),
                    ])
                }
                Kind::Binding => {
                    let (keys, help) = left.split_once('\t').unwrap_or((left, ""));
                    let name_w = text::width(right).min(w.saturating_sub(key_w + 8));
                    let help_w = w.saturating_sub(key_w + 2 + name_w + 1);
                    Line::from(vec![
                        Span::styled(format!("  {}", text::pad(&text::fit(keys, key_w), key_w)), theme.key()),
                        Span::raw(text::pad(&text::fit(help, help_w), help_w)),
                        Span::raw(" "),
                        Span::styled(text::fit(right, name_w), theme.dim()),
                    ])
                }
                Kind::Warning => Line::from(Span::styled(text::fit(left, w), theme.error())),
                Kind::Note => Line::from(Span::styled(text::fit(left, w), Style::default())),
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_shipped_binding_with_the_context_first() {
        let km = Keymap::shipped();
        let help = Help::new(&km, Mode::Find, &[]);
        let first = help.lines.iter().find(|l| l.0 == Kind::Heading).unwrap();
        assert!(first.1.contains(Mode::Find.title()));
        for mode in Mode::ALL {
            for (key, action) in km.own_bindings(mode) {
                let label = key.label();
                assert!(
                    help.lines.iter().any(|(k, l, r)| *k == Kind::Binding
                        && r == action.name()
                        && l.split('\t').next().unwrap().split(' ').any(|x| x == label)),
                    "[{}] {label} {action} missing",
                    mode.name()
                );
            }
        }
    }

    #[test]
    fn says_which_page_and_group_it_shows() {
        let mut help = Help::new(&Keymap::shipped(), Mode::Form, &[]);
        let first = help.page_label(20);
        assert!(first.starts_with("第1/") && first.contains(Mode::Form.title()), "{first}");
        let pages: usize = first.trim_start_matches("第1/").split('页').next().unwrap().parse().unwrap();
        assert!(pages > 1);
        help.scroll.offset = help.lines.len() - 20;
        assert!(help.page_label(20).starts_with(&format!("第{pages}/{pages}页")), "{}", help.page_label(20));
        help.scroll.offset = 20;
        assert!(help.page_label(20).starts_with(&format!("第2/{pages}页")));
    }

    #[test]
    fn keymap_warnings_come_first() {
        let help = Help::new(&Keymap::shipped(), Mode::Browse, &["键位文件：不认识的按键“hyper-q”".to_string()]);
        assert_eq!(help.lines[1].0, Kind::Warning);
    }

    #[test]
    fn a_long_warning_wraps_whole_at_80_columns() {
        let long = format!("{}/config.toml：[backup] keep 应为份数（正整数），写的是 \"many\"，该项使用默认值", "/home/clerk".repeat(4));
        let help = Help::new(&Keymap::shipped(), Mode::Browse, std::slice::from_ref(&long));
        let warned: Vec<&String> = help.lines.iter().filter(|l| l.0 == Kind::Warning).map(|l| &l.1).collect();
        assert!(warned.len() > 1, "{warned:?}");
        assert!(warned.iter().all(|l| text::width(l) <= 78), "{warned:?}");
        assert_eq!(warned.iter().map(|l| l.as_str()).collect::<String>().replace(' ', ""), long.replace(' ', ""));
    }
}
