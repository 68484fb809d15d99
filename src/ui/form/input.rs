//! The input of one field, chosen by the field's kind: a choice (是/否 or
//! single), a checklist (multi), text (one line or D7's long text), or up to
//! three slots (D1 names, D2 phones). Keys that no keymap binds and pasted
//! text arrive here; the editor writes [`FieldInput::value`] into the answers.

use super::wrap;
use crate::form::options::{OptionList, YES_NO};
use crate::form::rules;
use crate::form::schema::{Field, Kind};
use crate::form::{phone, Value};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pinyin::ToPinyin;
use tui_textarea::{CursorMove, TextArea};

/// What a key or a paste did to the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing changed (the cursor may have moved inside the field).
    Unchanged,
    /// The value changed.
    Changed,
    /// The value changed and the answer is complete: go to the next field.
    Advance,
    /// The cursor left the top / bottom edge of the field.
    LeavePrev,
    LeaveNext,
    /// The key was refused; the message says why and what to do.
    Refused(String),
}

/// Option numbers and the first characters typed since the field was entered.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// Characters typed to find an option (汉字 prefix or pinyin initials).
    pub query: String,
}

pub enum Input {
    /// Section A in the form: shown, not typed into.
    ReadOnly,
    /// 是/否 or one option of a list.
    Choice { opts: &'static OptionList, yes_no: bool, selected: Option<u16>, typed: Typed },
    /// A checklist; `blocked` is the main field's answer, which must not be repeated.
    Multi { opts: &'static OptionList, selected: Vec<u16>, highlight: u16, blocked: Option<u16>, typed: Typed },
    /// Text, one line or several (D7).
    Text { multiline: bool, area: Box<TextArea<'static>> },
    /// Up to `max` short texts (names, phones), one slot each. `overflow`:
    /// a separator was typed in the last slot, so what follows is refused
    /// until the clerk deletes or moves (it would glue onto the last one).
    Slots { areas: Vec<TextArea<'static>>, active: usize, overflow: bool },
}

impl Typed {
    /// Adds `c` to the characters typed to find an option; a character that
    /// matches nothing is refused and dropped.
    fn find(&mut self, field: &Field, opts: &OptionList, c: char) -> Result<u16, Outcome> {
        self.query.push(c);
        find_option(opts, &self.query).ok_or_else(|| {
            let q = self.query.clone();
            self.query.pop();
            Outcome::Refused(format!("没有以“{q}”开头的选项（{}），可按{}", field.label, option_keys_text(opts.len())))
        })
    }
}

/// A field and the state of its input.
pub struct FieldInput {
    pub field: &'static Field,
    pub state: Input,
}

/// Keys that move to the next name slot.
const SEPARATORS: [char; 6] = [' ', '、', ',', '，', ';', '；'];
/// Keys that move to the next phone slot: a space or hyphen inside one
/// number (`138 9654 1234`, `023-78865441`) is part of it.
const PHONE_SEPARATORS: [char; 5] = ['、', ',', '，', ';', '；'];

fn text_area(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let mut area = TextArea::new(lines);
    area.move_cursor(CursorMove::Bottom);
    area.move_cursor(CursorMove::End);
    area
}

fn area_text(area: &TextArea<'_>) -> String {
    area.lines().join("\n")
}

impl FieldInput {
    /// The input for `field` showing `value`. `read_only` is for section A in
    /// the form (a correction dialog edits A fields with `read_only` false).
    pub fn new(field: &'static Field, value: Option<&Value>, blocked: Option<u16>, read_only: bool) -> Self {
        let state = if read_only {
            Input::ReadOnly
        } else {
            match field.kind {
                Kind::YesNo => Input::Choice {
                    opts: &YES_NO,
                    yes_no: true,
                    selected: match value {
                        Some(Value::Bool(b)) => Some(if *b { 0 } else { 1 }),
                        _ => None,
                    },
                    typed: Typed::default(),
                },
                Kind::Single(opts) => Input::Choice {
                    opts,
                    yes_no: false,
                    selected: match value {
                        Some(Value::Choice(i)) => Some(*i),
                        _ => None,
                    },
                    typed: Typed::default(),
                },
                Kind::Multi { options, .. } => {
                    let mut selected = match value {
                        Some(Value::Multi(v)) => v.clone(),
                        _ => Vec::new(),
                    };
                    selected.sort_unstable();
                    selected.dedup();
                    Input::Multi { opts: options, selected, highlight: 0, blocked, typed: Typed::default() }
                }
                Kind::Names { max } => Input::Slots { areas: slots(value, max), active: 0, overflow: false },
                Kind::Phones { .. } => Input::Slots { areas: slots(value, 3), active: 0, overflow: false },
                Kind::LongText { .. } => Input::Text { multiline: true, area: Box::new(text_area(&shown(field, value))) },
                Kind::Text { .. } | Kind::IdNumber | Kind::Integer { .. } | Kind::Month | Kind::Date => {
                    Input::Text { multiline: false, area: Box::new(text_area(&shown(field, value))) }
                }
            }
        };
        FieldInput { field, state }
    }

    /// The value as typed so far. Text that does not parse (a month such as
    /// `2021-13`) is kept as text, so nothing typed is lost; validation
    /// reports it.
    pub fn value(&self) -> Option<Value> {
        match &self.state {
            Input::ReadOnly => None,
            Input::Choice { yes_no: true, selected, .. } => selected.map(|i| Value::Bool(i == 0)),
            Input::Choice { selected, .. } => selected.map(Value::Choice),
            Input::Multi { selected, .. } => (!selected.is_empty()).then(|| Value::Multi(selected.clone())),
            Input::Text { area, .. } => {
                let raw = area_text(area);
                match rules::parse_input(self.field, &raw) {
                    Ok(v) => v,
                    Err(_) => Some(Value::Text(raw.trim().to_string())),
                }
            }
            Input::Slots { areas, .. } => {
                let phones = matches!(self.field.kind, Kind::Phones { .. });
                let mut items: Vec<String> = areas
                    .iter()
                    .map(|a| {
                        let t = area_text(a).trim().to_string();
                        if phones && !t.is_empty() {
                            phone::validate(&t).unwrap_or(t)
                        } else {
                            t
                        }
                    })
                    .collect();
                while items.last().is_some_and(|s| s.is_empty()) {
                    items.pop();
                }
                (!items.is_empty()).then_some(Value::List(items))
            }
        }
    }

    /// The raw text of a text input (for parsing with its own message in dialogs).
    pub fn raw_text(&self) -> Option<String> {
        match &self.state {
            Input::Text { area, .. } => Some(area_text(area)),
            _ => None,
        }
    }

    /// The text of the slot being typed (names, phones), if this is a slot input.
    pub fn active_slot_text(&self) -> Option<String> {
        match &self.state {
            Input::Slots { areas, active, .. } => Some(area_text(&areas[*active])),
            _ => None,
        }
    }

    /// Replaces the text of the slot being typed; returns its index.
    pub fn set_active_slot(&mut self, text: &str) -> usize {
        match &mut self.state {
            Input::Slots { areas, active, overflow } => {
                areas[*active] = text_area(text);
                *overflow = false;
                *active
            }
            _ => 0,
        }
    }

    /// Empties the input.
    pub fn clear(&mut self) {
        match &mut self.state {
            Input::ReadOnly => {}
            Input::Choice { selected, typed, .. } => {
                *selected = None;
                *typed = Typed::default();
            }
            Input::Multi { selected, typed, .. } => {
                selected.clear();
                *typed = Typed::default();
            }
            Input::Text { area, .. } => **area = text_area(""),
            Input::Slots { areas, active, overflow } => {
                areas.iter_mut().for_each(|a| *a = text_area(""));
                *active = 0;
                *overflow = false;
            }
        }
    }

    /// Handles a key no binding took. `width` is the wrap width of long text.
    pub fn key(&mut self, key: &KeyEvent, width: usize) -> Outcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Up if !matches!(self.state, Input::Text { multiline: true, .. } | Input::Slots { .. }) => return Outcome::LeavePrev,
            KeyCode::Down if !matches!(self.state, Input::Text { multiline: true, .. } | Input::Slots { .. }) => return Outcome::LeaveNext,
            _ => {}
        }
        if alt {
            return Outcome::Unchanged;
        }
        let field = self.field;
        match &mut self.state {
            Input::ReadOnly => Outcome::Unchanged,
            Input::Choice { opts, yes_no, selected, typed } => choice_key(field, opts, *yes_no, selected, typed, key, ctrl),
            Input::Multi { opts, selected, highlight, blocked, typed } => {
                multi_key(field, opts, selected, highlight, *blocked, typed, key, ctrl)
            }
            Input::Text { multiline, area } => text_key(area, *multiline, key, ctrl, width),
            Input::Slots { areas, active, overflow } => {
                let seps: &[char] = if matches!(field.kind, Kind::Phones { .. }) { &PHONE_SEPARATORS } else { &SEPARATORS };
                slots_key(areas, active, overflow, seps, key, ctrl)
            }
        }
    }

    /// Pasted text goes in as text: a newline never moves to another field.
    pub fn paste(&mut self, text: &str) -> Outcome {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let field = self.field;
        match &mut self.state {
            Input::ReadOnly => Outcome::Unchanged,
            Input::Text { multiline, area } => {
                let clean: String = text
                    .chars()
                    .map(|c| if (c == '\n' && !*multiline) || c == '\t' { ' ' } else { c })
                    .filter(|c| *c == '\n' || !c.is_control())
                    .collect();
                if area.insert_str(clean) {
                    Outcome::Changed
                } else {
                    Outcome::Unchanged
                }
            }
            Input::Slots { areas, active, .. } => {
                let parts: Vec<&str> =
                    text.split(['\n', '\t', '、', ',', '，', ';', '；']).map(str::trim).filter(|p| !p.is_empty()).collect();
                let Some((first, rest)) = parts.split_first() else { return Outcome::Unchanged };
                areas[*active].insert_str(*first);
                let mut left = Vec::new();
                for p in rest {
                    match (*active + 1..areas.len()).find(|i| areas[*i].is_empty()) {
                        Some(i) => {
                            areas[i] = text_area(p);
                            *active = i;
                        }
                        None => left.push(*p),
                    }
                }
                if left.is_empty() {
                    Outcome::Changed
                } else {
                    Outcome::Refused(format!("最多填{}个，多出的“{}”没有粘贴进来", areas.len(), left.join("、")))
                }
            }
            Input::Choice { opts, yes_no, selected, .. } => match pick(opts, *yes_no, text.trim()) {
                Some(i) => {
                    *selected = Some(i);
                    Outcome::Changed
                }
                None => Outcome::Refused(not_an_option(field, opts, text.trim())),
            },
            Input::Multi { opts, selected, blocked, .. } => {
                let mut bad = Vec::new();
                for part in text.split(['\n', '\t', '、', ',', '，', ';', '；', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
                    match pick(opts, false, part) {
                        Some(i) if Some(i) != *blocked => {
                            if !selected.contains(&i) {
                                selected.push(i);
                            }
                        }
                        _ => bad.push(part),
                    }
                }
                selected.sort_unstable();
                if bad.is_empty() {
                    Outcome::Changed
                } else {
                    Outcome::Refused(format!("“{}”不是{}可选的项，其余已勾选", bad.join("、"), field.label))
                }
            }
        }
    }
}

fn shown(field: &Field, value: Option<&Value>) -> String {
    value.map(|v| rules::display_value(field, v)).unwrap_or_default()
}

fn slots(value: Option<&Value>, max: usize) -> Vec<TextArea<'static>> {
    let items = match value {
        Some(Value::List(items)) => items.clone(),
        Some(Value::Text(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    (0..max.max(items.len())).map(|i| text_area(items.get(i).map(String::as_str).unwrap_or(""))).collect()
}

/// Pinyin initials of a label: 产业帮扶 → cybf.
fn initials(label: &str) -> String {
    label
        .chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None => c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase()),
        })
        .collect()
}

/// The first option whose label (or short label) starts with `query`, or
/// whose pinyin initials do when `query` is ASCII letters.
pub fn find_option(opts: &OptionList, query: &str) -> Option<u16> {
    if query.is_empty() {
        return None;
    }
    let q = query.to_ascii_lowercase();
    let pinyin = q.chars().all(|c| c.is_ascii_alphabetic());
    (0..opts.len() as u16).find(|i| {
        let label = opts.label(*i).unwrap_or("");
        let short = opts.short_label(*i).unwrap_or("");
        label.starts_with(query) || short.starts_with(query) || (pinyin && initials(label).starts_with(&q))
    })
}

/// An option from pasted or typed text: its label, its number, or its first characters.
fn pick(opts: &OptionList, yes_no: bool, text: &str) -> Option<u16> {
    let t = crate::form::value::normalize_ascii(text);
    let t = t.trim();
    if yes_no {
        if let Some(i) = YES_NO.parse(t) {
            return Some(i);
        }
    }
    opts.parse(t)
        .or_else(|| t.parse::<usize>().ok().filter(|n| (1..=opts.len()).contains(n)).map(|n| n as u16 - 1))
        .or_else(|| find_option(opts, t))
}

fn not_an_option(field: &Field, opts: &OptionList, text: &str) -> String {
    format!("“{text}”不是{}的选项，请按序号（1至{}）或输入选项开头的字", field.label, opts.len())
}

/// The key that picks option `i` (0-based) of a list: `1`–`9`, then `0`
/// for the tenth and `-` for the eleventh, as on the keyboard's top row.
/// Every key acts at once: no key waits for a second one, so what the screen
/// shows after a key is what that key did.
pub fn option_key(i: u16) -> Option<char> {
    match i {
        0..=8 => char::from_digit(i as u32 + 1, 10),
        9 => Some('0'),
        10 => Some('-'),
        _ => None,
    }
}

/// The option (0-based) that key `c` picks in a list of `n`, if any.
fn option_of_key(c: char, n: usize) -> Option<u16> {
    let i = match c {
        '1'..='9' => c as u16 - '1' as u16,
        '0' => 9,
        '-' => 10,
        _ => return None,
    };
    ((i as usize) < n).then_some(i)
}

/// Whether `c` is one of the option keys (`0`–`9`, `-`).
fn is_option_key(c: char) -> bool {
    c.is_ascii_digit() || c == '-'
}

/// "按1至9、0（第10项）" — the keys of a list of `n`, for messages.
fn option_keys_text(n: usize) -> String {
    match n {
        0..=9 => format!("1至{n}"),
        10 => "1至9，或0（第10项）".into(),
        _ => "1至9，或0（第10项）、-（第11项）".into(),
    }
}

fn choice_key(
    field: &Field,
    opts: &'static OptionList,
    yes_no: bool,
    selected: &mut Option<u16>,
    typed: &mut Typed,
    key: &KeyEvent,
    ctrl: bool,
) -> Outcome {
    let n = opts.len() as u16;
    match key.code {
        KeyCode::Char(_) if ctrl => Outcome::Unchanged,
        KeyCode::Char(c) if yes_no && matches!(c, 'y' | 'Y' | '是') => {
            *selected = Some(0);
            Outcome::Advance
        }
        KeyCode::Char(c) if yes_no && matches!(c, 'n' | 'N' | '否') => {
            *selected = Some(1);
            Outcome::Advance
        }
        KeyCode::Char(c) if is_option_key(c) => {
            typed.query.clear();
            match option_of_key(c, opts.len()) {
                Some(i) => {
                    *selected = Some(i);
                    Outcome::Advance
                }
                None => Outcome::Refused(format!("这一项没有“{c}”对应的选项，请按{}", option_keys_text(opts.len()))),
            }
        }
        KeyCode::Char(_) if yes_no => Outcome::Refused("请按 1 或 y 选“是”，2 或 n 选“否”".into()),
        KeyCode::Char(c) if !c.is_whitespace() && !c.is_control() => match typed.find(field, opts, c) {
            Ok(i) => {
                *selected = Some(i);
                Outcome::Changed
            }
            Err(refused) => refused,
        },
        KeyCode::Backspace if !typed.query.is_empty() => {
            typed.query.pop();
            Outcome::Unchanged
        }
        KeyCode::Left | KeyCode::Right => {
            let forward = key.code == KeyCode::Right;
            let next = match *selected {
                None if forward => 0,
                None => n - 1,
                Some(i) if forward => (i + 1) % n,
                Some(i) => (i + n - 1) % n,
            };
            *selected = Some(next);
            *typed = Typed::default();
            Outcome::Changed
        }
        _ => Outcome::Unchanged,
    }
}

#[allow(clippy::too_many_arguments)]
fn multi_key(
    field: &Field,
    opts: &'static OptionList,
    selected: &mut Vec<u16>,
    highlight: &mut u16,
    blocked: Option<u16>,
    typed: &mut Typed,
    key: &KeyEvent,
    ctrl: bool,
) -> Outcome {
    let n = opts.len() as u16;
    let main_code = match field.kind {
        Kind::Multi { main, .. } => main,
        _ => "",
    };
    let blocked_msg = |i: u16| format!("“{}”已是{main_code}的答案，这里不用再选", opts.label(i).unwrap_or("?"));
    let toggle = |selected: &mut Vec<u16>, i: u16| {
        if let Some(p) = selected.iter().position(|x| *x == i) {
            selected.remove(p);
        } else {
            selected.push(i);
            selected.sort_unstable();
        }
    };
    match key.code {
        KeyCode::Char(_) if ctrl => Outcome::Unchanged,
        KeyCode::Char(c) if is_option_key(c) => {
            typed.query.clear();
            match option_of_key(c, opts.len()) {
                Some(i) => {
                    *highlight = i;
                    // A tick of the main field's answer can always be taken off, never put on.
                    if Some(i) == blocked && !selected.contains(&i) {
                        return Outcome::Refused(blocked_msg(i));
                    }
                    toggle(selected, i);
                    Outcome::Changed
                }
                None => Outcome::Refused(format!("这一项没有“{c}”对应的选项，请按{}", option_keys_text(opts.len()))),
            }
        }
        KeyCode::Char(' ') => {
            *typed = Typed::default();
            if Some(*highlight) == blocked && !selected.contains(highlight) {
                return Outcome::Refused(blocked_msg(*highlight));
            }
            toggle(selected, *highlight);
            Outcome::Changed
        }
        KeyCode::Char(c) if !c.is_whitespace() && !c.is_control() => match typed.find(field, opts, c) {
            Ok(i) => {
                *highlight = i;
                Outcome::Unchanged
            }
            Err(refused) => refused,
        },
        KeyCode::Backspace if !typed.query.is_empty() => {
            typed.query.pop();
            Outcome::Unchanged
        }
        KeyCode::Left => {
            *highlight = (*highlight + n - 1) % n;
            *typed = Typed::default();
            Outcome::Unchanged
        }
        KeyCode::Right => {
            *highlight = (*highlight + 1) % n;
            *typed = Typed::default();
            Outcome::Unchanged
        }
        _ => Outcome::Unchanged,
    }
}

fn changed(modified: bool) -> Outcome {
    if modified {
        Outcome::Changed
    } else {
        Outcome::Unchanged
    }
}

/// Editing keys shared by text and slots; `None` when the key is not one of them.
pub(super) fn edit_key(area: &mut TextArea<'_>, key: &KeyEvent, ctrl: bool) -> Option<Outcome> {
    Some(match key.code {
        KeyCode::Char('z') if ctrl => changed(area.undo()),
        KeyCode::Char('u') if ctrl => changed(area.delete_line_by_head()),
        KeyCode::Char(_) if ctrl => Outcome::Unchanged,
        KeyCode::Char(c) if !c.is_control() => {
            area.insert_char(c);
            Outcome::Changed
        }
        KeyCode::Backspace => changed(area.delete_char()),
        KeyCode::Delete => changed(area.delete_next_char()),
        KeyCode::Left => {
            area.move_cursor(CursorMove::Back);
            Outcome::Unchanged
        }
        KeyCode::Right => {
            area.move_cursor(CursorMove::Forward);
            Outcome::Unchanged
        }
        KeyCode::Home => {
            area.move_cursor(CursorMove::Head);
            Outcome::Unchanged
        }
        KeyCode::End => {
            area.move_cursor(CursorMove::End);
            Outcome::Unchanged
        }
        _ => return None,
    })
}

fn text_key(area: &mut TextArea<'static>, multiline: bool, key: &KeyEvent, ctrl: bool, width: usize) -> Outcome {
    match key.code {
        KeyCode::Up | KeyCode::Down if multiline => {
            let rows = wrap::wrap(area.lines(), width);
            let (row, x) = wrap::locate(&rows, area.cursor());
            let target = if key.code == KeyCode::Up { row.checked_sub(1) } else { Some(row + 1).filter(|r| *r < rows.len()) };
            match target {
                None if key.code == KeyCode::Up => Outcome::LeavePrev,
                None => Outcome::LeaveNext,
                Some(t) => {
                    let (l, c) = wrap::cursor_at(&rows, t, x);
                    area.move_cursor(CursorMove::Jump(l.min(u16::MAX as usize) as u16, c.min(u16::MAX as usize) as u16));
                    Outcome::Unchanged
                }
            }
        }
        _ => edit_key(area, key, ctrl).unwrap_or(Outcome::Unchanged),
    }
}

fn slots_key(
    areas: &mut [TextArea<'static>],
    active: &mut usize,
    overflow: &mut bool,
    seps: &[char],
    key: &KeyEvent,
    ctrl: bool,
) -> Outcome {
    let last = areas.len() - 1;
    let a = *active;
    let at_start = areas[a].cursor().1 == 0;
    let at_end = areas[a].cursor().1 >= areas[a].lines()[0].chars().count();
    let full = || format!("最多填{}个，第{}个没有填进去；要换人请先删掉一个", areas.len(), areas.len() + 1);
    match key.code {
        KeyCode::Char(c) if !ctrl && *overflow && !c.is_control() => return Outcome::Refused(full()),
        _ => *overflow = false,
    }
    let target = match key.code {
        KeyCode::Char(c) if !ctrl && seps.contains(&c) => {
            if a < last {
                Some((a + 1, true))
            } else if areas[a].is_empty() {
                return Outcome::Unchanged;
            } else {
                *overflow = true;
                return Outcome::Refused(full());
            }
        }
        KeyCode::Up if a > 0 => Some((a - 1, true)),
        KeyCode::Up => return Outcome::LeavePrev,
        KeyCode::Down if a < last && !areas[a].is_empty() => Some((a + 1, true)),
        KeyCode::Down => return Outcome::LeaveNext,
        KeyCode::Backspace | KeyCode::Left if at_start && a > 0 => Some((a - 1, true)),
        KeyCode::Right if at_end && a < last => Some((a + 1, false)),
        _ => None,
    };
    match target {
        Some((to, end)) => {
            *active = to;
            areas[to].move_cursor(if end { CursorMove::End } else { CursorMove::Head });
            Outcome::Unchanged
        }
        None => edit_key(&mut areas[a], key, ctrl).unwrap_or(Outcome::Unchanged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::schema::field;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
    fn ch(c: char) -> KeyEvent {
        k(KeyCode::Char(c))
    }

    #[test]
    fn option_keys_act_at_once_one_key_per_option() {
        assert_eq!((0..11).map(|i| option_key(i).unwrap()).collect::<String>(), "1234567890-");
        assert_eq!(option_of_key('0', 11), Some(9));
        assert_eq!(option_of_key('-', 11), Some(10));
        assert_eq!(option_of_key('-', 10), None);
        assert_eq!(option_of_key('0', 4), None);
        assert_eq!(option_of_key('5', 4), None);
    }

    #[test]
    fn yes_no_by_digit_letter_or_hanzi() {
        let f = field("B1").unwrap();
        for (c, v) in [('1', true), ('y', true), ('是', true), ('2', false), ('N', false), ('否', false)] {
            let mut i = FieldInput::new(f, None, None, false);
            assert_eq!(i.key(&ch(c), 40), Outcome::Advance, "{c}");
            assert_eq!(i.value(), Some(Value::Bool(v)), "{c}");
        }
        let mut i = FieldInput::new(f, None, None, false);
        assert!(matches!(i.key(&ch('x'), 40), Outcome::Refused(_)));
        assert_eq!(i.value(), None);
    }

    #[test]
    fn single_choice_by_number_or_first_characters() {
        let f = field("D8").unwrap();
        let mut i = FieldInput::new(f, None, None, false);
        assert_eq!(i.key(&ch('1'), 40), Outcome::Advance, "1 never waits for a second digit");
        assert_eq!(i.value(), Some(Value::Choice(0)));
        let mut i = FieldInput::new(f, None, None, false);
        assert_eq!(i.key(&ch('0'), 40), Outcome::Advance);
        assert_eq!(i.value(), Some(Value::Choice(9)));
        let mut i = FieldInput::new(f, None, None, false);
        i.key(&ch('教'), 40);
        assert_eq!(i.value(), Some(Value::Choice(5)));
        let mut i = FieldInput::new(f, None, None, false);
        for c in "shtj".chars() {
            i.key(&ch(c), 40);
        }
        assert_eq!(i.value(), Some(Value::Choice(7)), "生活条件改善 by pinyin initials");
        assert!(matches!(i.key(&ch('q'), 40), Outcome::Refused(_)));
        assert_eq!(i.value(), Some(Value::Choice(7)));
    }

    #[test]
    fn checklist_toggles_and_refuses_the_main_answer() {
        let f = field("D9").unwrap();
        let mut i = FieldInput::new(f, None, Some(0), false);
        assert!(matches!(i.key(&ch('1'), 40), Outcome::Refused(_)));
        i.key(&ch('2'), 40);
        i.key(&ch('-'), 40);
        assert_eq!(i.value(), Some(Value::Multi(vec![1, 10])));
        i.key(&ch(' '), 40);
        assert_eq!(i.value(), Some(Value::Multi(vec![1])), "space toggles the highlighted 11");
        assert_eq!(i.paste("健康帮扶、产业帮扶"), Outcome::Refused("“产业帮扶”不是其他已规划帮扶措施可选的项，其余已勾选".into()));
        assert_eq!(i.value(), Some(Value::Multi(vec![1, 6])));
    }

    #[test]
    fn slots_split_on_separators_and_keep_pairs() {
        let f = field("D2").unwrap();
        let mut i = FieldInput::new(f, None, None, false);
        for c in "138 0000 1111、139-2222-3333".chars() {
            i.key(&ch(c), 40);
        }
        assert_eq!(i.value(), Some(Value::List(vec!["13800001111".into(), "13922223333".into()])), "spaces and hyphens stay in one phone");
        let mut i = FieldInput::new(f, None, None, false);
        assert_eq!(i.paste("13800001111\n023-78865441\n"), Outcome::Changed);
        assert_eq!(i.value(), Some(Value::List(vec!["13800001111".into(), "023-78865441".into()])));
        let f = field("D1").unwrap();
        let mut i = FieldInput::new(f, Some(&Value::List(vec!["张三".into()])), None, false);
        i.key(&ch(' '), 40);
        i.key(&ch('李'), 40);
        i.key(&k(KeyCode::Backspace), 40);
        i.key(&k(KeyCode::Backspace), 40);
        i.key(&k(KeyCode::Backspace), 40);
        assert_eq!(i.value(), Some(Value::List(vec!["张".into()])));
    }

    #[test]
    fn long_text_moves_by_wrapped_rows_and_leaves_at_the_edges() {
        let f = field("D7").unwrap();
        let mut i = FieldInput::new(f, Some(&Value::Text("一二三四五六七八九十".into())), None, false);
        assert_eq!(i.key(&k(KeyCode::Down), 8), Outcome::LeaveNext);
        assert_eq!(i.key(&k(KeyCode::Up), 8), Outcome::Unchanged);
        assert_eq!(i.key(&k(KeyCode::Up), 8), Outcome::Unchanged);
        assert_eq!(i.key(&k(KeyCode::Up), 8), Outcome::LeavePrev);
        i.key(&ch('〇'), 8);
        assert_eq!(i.value(), Some(Value::Text("一二〇三四五六七八九十".into())));
        assert_eq!(i.paste("甲\r\n乙"), Outcome::Changed);
        assert_eq!(i.value(), Some(Value::Text("一二〇甲\n乙三四五六七八九十".into())));
    }

    #[test]
    fn month_text_that_does_not_parse_is_kept() {
        let f = field("D10").unwrap();
        let mut i = FieldInput::new(f, None, None, false);
        i.paste("2021/4\n");
        assert_eq!(i.value(), Some(Value::Month(crate::form::YearMonth::new(2021, 4).unwrap())));
        i.clear();
        i.paste("2021-13");
        assert_eq!(i.value(), Some(Value::Text("2021-13".into())));
    }
}
