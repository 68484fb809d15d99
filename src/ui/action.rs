//! Every action a key can trigger: one enum, kebab-case names in keymap
//! files, a Chinese line each for the help screen and footer.

use std::fmt;

macro_rules! actions {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $help:literal; )*) => {
        /// What a key does. Keymaps name these in kebab-case.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( $(#[$doc])* $variant, )*
        }

        impl Action {
            /// Every action, in help order.
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The kebab-case name used in keymap files.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            /// One line of Chinese for the help screen.
            pub fn help(self) -> &'static str {
                match self { $(Action::$variant => $help,)* }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    // ---- anywhere ----
    /// Leave the app (asks first when something is unsaved).
    Quit = "quit", "退出";
    Help = "help", "帮助：列出全部按键";
    Stats = "stats", "统计：进度和汇总图表";
    /// Close the top popup / go back one screen.
    Back = "back", "返回 / 关闭弹窗";
    /// Explicitly do nothing: unbinds a key in a user keymap.
    Noop = "noop", "（无动作，用来取消某个按键）";

    // ---- lists (places, households) ----
    MoveUp = "move-up", "上移一行";
    MoveDown = "move-down", "下移一行";
    PageUp = "page-up", "上翻一页";
    PageDown = "page-down", "下翻一页";
    First = "first", "到第一行";
    Last = "last", "到最后一行";
    /// Switch focus between the places pane and the household list.
    FocusNext = "focus-next", "切换窗格";
    FocusPrev = "focus-prev", "切换窗格（反向）";
    /// Open the selected village / household.
    Open = "open", "打开";
    /// Find within the current village.
    Find = "find", "查找（本村）";
    /// Find across the whole store.
    FindAll = "find-all", "查找（全部乡镇）";
    FilterCategory = "filter-category", "筛选对象类别：全部/边缘户/监测户";
    FilterState = "filter-state", "筛选表单状态：全部/未填/草稿/已提交";
    FilterRisk = "filter-risk", "筛选风险：全部/未消除/已消除";
    ClearFilters = "clear-filters", "清除全部筛选";
    /// Reveal (or hide again) the full ID number of the selected household.
    RevealId = "reveal-id", "显示/隐藏完整证件号码";
    /// Audit history of the selected household.
    History = "history", "修改记录（审计日志）";
    /// The household card (section A, state, last saved).
    Card = "card", "户卡片";
    /// The household's file (户档): section A, the look-back form's state,
    /// the responsible people, members, measures and visits.
    Dossier = "dossier", "户档（监测手册）：成员、帮扶措施、走访记录";
    /// The household's forms to choose from (选择表单).
    Forms = "forms", "选择表单：回头看采集表或监测手册的成员、措施、走访";
    /// Add an entry to the list shown (a member, a measure, a visit).
    AddEntry = "add-entry", "户档里新增一条（成员、措施或走访）";
    /// Void the selected entry with a reason (kept, audited).
    VoidEntry = "void-entry", "户档里作废选中的一条（要写原因，记录保留）";

    // ---- the form ----
    NextField = "next-field", "下一项";
    PrevField = "prev-field", "上一项";
    NextSection = "next-section", "下一部分（A/B/C/D）";
    PrevSection = "prev-section", "上一部分";
    /// Jump to the next field with an error or without an answer.
    NextProblem = "next-problem", "跳到下一个有错或未填的项";
    Save = "save", "保存草稿";
    Submit = "submit", "正式提交（先逐项检查）";
    /// Reopen a submitted form for change (audited).
    Reopen = "reopen", "重新打开已提交的表";
    /// Mark section A as verified (已核实) / not verified.
    Verify = "verify", "基础信息（A部分）标为已核实/取消";
    /// Correct a pre-filled section A value (asks, validates, audits).
    Correct = "correct", "更正基础信息中的这一项";
    ClearField = "clear-field", "清空这一项";
    /// Save and open the next household of the same list.
    NextHousehold = "next-household", "保存并打开下一户";
    PrevHousehold = "prev-household", "保存并打开上一户";
    /// Section B in one key: the three guarantees and drinking water all
    /// solved (B1–B3 否, B4 是), the answers shown at once.
    BAllOk = "b-all-ok", "B部分一键填写：三保障和饮水安全均已解决（B1至B3否，B4是）";
    /// The B4 drinking-water helper.
    WaterHelper = "water-helper", "饮水安全计算器（B4）";
    // ---- inside a field (the [choice] and [text] tables) ----
    Option1 = "option-1", "选第1项（多选题：勾选或去掉）";
    Option2 = "option-2", "选第2项（多选题：勾选或去掉）";
    Option3 = "option-3", "选第3项（多选题：勾选或去掉）";
    Option4 = "option-4", "选第4项（多选题：勾选或去掉）";
    Option5 = "option-5", "选第5项（多选题：勾选或去掉）";
    Option6 = "option-6", "选第6项（多选题：勾选或去掉）";
    Option7 = "option-7", "选第7项（多选题：勾选或去掉）";
    Option8 = "option-8", "选第8项（多选题：勾选或去掉）";
    Option9 = "option-9", "选第9项（多选题：勾选或去掉）";
    Option10 = "option-10", "选第10项（多选题：勾选或去掉）";
    Option11 = "option-11", "选第11项（多选题：勾选或去掉）";
    /// 是 in a yes/no field (elsewhere the letter, for finding an option by pinyin).
    ChooseYes = "choose-yes", "是/否题选“是”";
    ChooseNo = "choose-no", "是/否题选“否”";
    /// Tick or untick the highlighted option of a checklist.
    Toggle = "toggle", "多选题：勾选或去掉光标所在的项";
    OptionPrev = "option-prev", "光标移到上一个选项（单选题：选上一个）";
    OptionNext = "option-next", "光标移到下一个选项（单选题：选下一个）";
    DeleteBack = "delete-back", "删除光标前的一个字（查找选项时删去一个字）";
    DeleteForward = "delete-forward", "删除光标处的一个字";
    CursorLeft = "cursor-left", "光标左移（在开头时到上一个姓名/电话）";
    CursorRight = "cursor-right", "光标右移（在末尾时到下一个姓名/电话）";
    LineStart = "line-start", "光标到行首";
    LineEnd = "line-end", "光标到行尾";
    /// Up / down a line of D7 or a name/phone slot; at the edge, the field before / after.
    LineUp = "line-up", "上一行（在第一行时到上一项）";
    LineDown = "line-down", "下一行（在最后一行时到下一项）";
    DeleteToStart = "delete-to-start", "删除光标前的整行";
    Undo = "undo", "撤销上一次修改";

    /// Confirm in a dialog (yes).
    Confirm = "confirm", "确认";
    /// Refuse in a dialog (no).
    Cancel = "cancel", "取消";
}

impl Action {
    /// The action that picks option `i` (0-based) of a list, for `i` < 11.
    pub fn option(i: u16) -> Option<Action> {
        const OPTIONS: [Action; 11] = [
            Action::Option1,
            Action::Option2,
            Action::Option3,
            Action::Option4,
            Action::Option5,
            Action::Option6,
            Action::Option7,
            Action::Option8,
            Action::Option9,
            Action::Option10,
            Action::Option11,
        ];
        OPTIONS.get(i as usize).copied()
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_kebab_case() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(*a));
            assert!(a.name().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{a}");
            assert!(!a.help().is_empty());
        }
    }
}
