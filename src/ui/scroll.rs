//! Scrolling for the read-only views (help, card, history).

use super::action::Action;

/// A view's first shown line, over `len` lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    pub offset: usize,
    pub len: usize,
}

impl Scroll {
    pub fn new(len: usize) -> Self {
        Scroll { offset: 0, len }
    }

    /// Moves for a list action in a window of `height` lines; `false` when
    /// the action closes the view (`back`).
    pub fn handle(&mut self, action: Action, height: usize) -> bool {
        let last = self.len.saturating_sub(height.max(1));
        let page = height.max(2) - 1;
        self.offset = match action {
            Action::MoveUp => self.offset.saturating_sub(1),
            Action::MoveDown => self.offset + 1,
            Action::PageUp => self.offset.saturating_sub(page),
            Action::PageDown => self.offset + page,
            Action::First => 0,
            Action::Last => last,
            Action::Back => return false,
            _ => self.offset,
        }
        .min(last);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_the_content() {
        let mut s = Scroll::new(30);
        assert!(s.handle(Action::PageDown, 10));
        assert_eq!(s.offset, 9);
        s.handle(Action::Last, 10);
        assert_eq!(s.offset, 20);
        s.handle(Action::MoveDown, 10);
        assert_eq!(s.offset, 20);
        s.handle(Action::First, 10);
        assert_eq!(s.offset, 0);
        assert!(!s.handle(Action::Back, 10));
        let mut short = Scroll::new(3);
        short.handle(Action::PageDown, 10);
        assert_eq!(short.offset, 0);
    }
}
