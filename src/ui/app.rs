//! The app's state and how it changes.
//!
//! Keys become [`Action`]s through the keymap ([`handle_key`]); an action
//! changes the state in [`update`] and returns [`Effect`]s — loading a
//! household, its history or a report, saving a form — that the loop runs
//! with the store ([`super::effects`]) and feeds back ([`App::loaded`] and
//! friends). Nothing here touches the store or the terminal, so tests drive
//! the whole app with key events and hand-made records.

use super::action::Action;
use super::card::Card;
use super::find::{Find, FindScope};
use super::form::{FormEditor, FormEffect};
use super::help::Help;
use super::history::History;
use super::households::{Filters, HouseholdList, Spread};
use super::keymap::{Keymap, Mode};
use super::places::{PlaceSel, PlacesPane, Tree};
use super::stats::StatsView;
use super::theme::Theme;
use super::view;
use crate::backend::{Event, LeaseView};
use crate::form::Round;
use crate::model::{AuditEntry, LookBack, Summary};
use crate::report::{Report, Scope};
use crate::search::Index;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use std::collections::HashMap;

/// Which pane of the browse screen has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Places,
    Households,
}

/// A screen over the browse screen; the last one is on top and sees keys first.
pub enum Screen {
    Card(Card),
    History(History),
    Help(Help),
    Stats(StatsView),
    Form(Box<FormEditor>),
    /// The household's file (户档): members, measures, visits.
    Dossier(Box<super::dossier::Dossier>),
    /// The household's forms to choose from (选择表单).
    Forms(super::forms::FormChooser),
}

/// Work for the loop, which has the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Load the household and open its form.
    OpenForm(u64),
    /// Load the household and show its card.
    Card(u64),
    /// Load the household's audit history.
    History(u64),
    /// Compute the report for the statistics screen.
    Stats { title: String, scope: Scope },
    /// Something the form editor asked for.
    Form(FormEffect),
    /// Read every summary again (another clerk imported, or the connection came back).
    Reload,
    /// Load the household's file (户档): record, entries, history.
    Dossier(u64),
    /// The household's file with the list of handbook form `part` in focus.
    DossierAt { key: u64, part: usize },
    /// Load the household's forms for the chooser.
    Forms(u64),
    /// Open an entry of a repeating form in the editor (`seq: None`: a new one).
    OpenEntry { key: u64, form: crate::form::FormRef, seq: Option<u32> },
    /// Void an entry with the clerk's reason.
    VoidEntry { key: u64, form: String, seq: u32, reason: String },
}

/// What the loop loaded for an [`Effect`].
pub enum Loaded {
    /// The record, and who else holds its form (then it opens read-only).
    Form(u64, LookBack, Option<LeaseView>),
    Card(u64, LookBack),
    History(u64, Vec<AuditEntry>),
    Stats(String, Report),
    Dossier(u64, LookBack, Vec<crate::model::Entry>, Vec<AuditEntry>),
    Forms(u64, LookBack, Vec<crate::model::Entry>),
    /// A household and the entry to edit (`None`: a new entry of `form`).
    Entry(u64, LookBack, crate::form::FormRef, Option<crate::model::Entry>),
}

/// The status line: one message, until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// Everything on screen, and the data behind it.
pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub round: Round,
    /// Shown in the header: whose saves these are.
    pub operator: String,
    /// The demo store is open (the header says so).
    pub demo: bool,
    /// Every household's summary, in store-key order.
    pub summaries: Vec<Summary>,
    /// Forms other clerks hold now, by household key.
    pub leases: HashMap<u64, LeaseView>,
    pub index: Index,
    pub tree: Tree,
    pub focus: Focus,
    pub places: PlacesPane,
    pub list: HouseholdList,
    pub filters: Filters,
    pub find: Option<Find>,
    /// The household whose full ID number is shown.
    pub revealed: Option<u64>,
    pub screens: Vec<Screen>,
    pub status: Option<Status>,
    /// The server found the store damaged: kept on the status line (one
    /// row) whenever no other message is shown, until the app exits.
    pub damage: Option<String>,
    /// Keymap and settings problems, listed on the help screen.
    pub warnings: Vec<String>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub quit: bool,
    /// Responsible people (D1/D2) learned from the records loaded and saved, offered at D1.
    pub monitors: crate::ui::form::monitors::Directory,
}

impl App {
    /// Builds the app over loaded summaries; the search index and the
    /// places are built side by side.
    pub fn new(summaries: Vec<Summary>, round: Round, keymap: Keymap, theme: Theme) -> App {
        let (index, tree) = std::thread::scope(|scope| {
            let index = scope.spawn(|| Index::build(&summaries));
            let tree = Tree::build(&summaries);
            (index.join().unwrap_or_else(|_| Index::build(&summaries)), tree)
        });
        let mut app = App {
            keymap,
            theme,
            round,
            operator: String::new(),
            demo: false,
            summaries,
            leases: HashMap::new(),
            index,
            tree,
            focus: Focus::Places,
            places: PlacesPane::default(),
            list: HouseholdList::default(),
            filters: Filters::default(),
            find: None,
            revealed: None,
            screens: Vec::new(),
            status: None,
            damage: None,
            warnings: Vec::new(),
            size: (80, 24),
            quit: false,
            monitors: Default::default(),
        };
        // Start in the first township's first village when there is one.
        if app.tree.townships.first().is_some_and(|t| !t.villages.is_empty()) {
            app.places.sel = PlaceSel::Village(0, 0);
        }
        app.places.keep_in_view(&app.tree, app.heights().places);
        app.fill_list();
        if app.summaries.is_empty() {
            app.say("数据库里还没有户。请先导入名单：huitoukan import 名单.xlsx（或用 --demo 打开演示数据）");
        }
        app
    }

    /// Settings and keymap problems: the first in the status line, all on the help screen.
    pub fn warn(&mut self, warnings: Vec<String>) {
        if let Some(first) = warnings.first() {
            let help =
                super::footer::key_label(self, super::keymap::Mode::Browse, super::action::Action::Help).unwrap_or_else(|| "?".into());
            let more =
                if warnings.len() > 1 { format!("（共{}条，按 {help} 在帮助里查看）", warnings.len()) } else { String::new() };
            self.status = Some(Status { text: format!("{first}{more}"), error: true });
        }
        self.warnings.extend(warnings);
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: false });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: true });
    }

    /// The keymap mode the next key is looked up in.
    pub fn mode(&self) -> Mode {
        match self.screens.last() {
            Some(Screen::Form(ed)) => ed.mode(),
            Some(Screen::Dossier(d)) if d.prompting() => Mode::Prompt,
            Some(Screen::Dossier(_)) => Mode::Dossier,
            Some(_) => Mode::Viewer,
            None if self.find.as_ref().is_some_and(|f| f.editing) => Mode::Find,
            None => Mode::Browse,
        }
    }

    /// Row counts of the panes, from the layout.
    pub fn heights(&self) -> view::Heights {
        view::heights(self)
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.size = (cols, rows);
        let h = self.heights();
        self.places.keep_in_view(&self.tree, h.places);
        self.list.keep_in_view(h.list);
    }

    /// The selected household's summary.
    pub fn selected(&self) -> Option<&Summary> {
        self.list.selected_index().map(|i| &self.summaries[i])
    }

    /// What the list spans: with more than one township or village, rows name them.
    pub fn spread(&self) -> Spread {
        let sel = match self.find.as_ref().map(|f| f.scope) {
            Some(FindScope::All) => PlaceSel::All,
            Some(FindScope::Place(p)) => p,
            None => self.places.sel,
        };
        Spread { townships: sel == PlaceSel::All, villages: !matches!(sel, PlaceSel::Village(..)) }
    }

    /// Refills the household list from the place or the find results, through the filters.
    pub fn fill_list(&mut self) {
        let height = self.heights().list;
        let tree = &self.tree;
        let base: &[u32] = match &self.find {
            Some(f) => match (f.results(), f.scope) {
                (Some(r), _) => r,
                (None, FindScope::Place(p)) => tree.members(p),
                (None, FindScope::All) => tree.members(PlaceSel::All),
            },
            None => tree.members(self.places.sel),
        };
        self.list.fill(&self.summaries, base, &self.filters, height);
        // While a form is open its household is the selected one whenever it
        // is in the list (a save can take it out of a filter and bring it back).
        let form = self.screens.iter().find_map(|s| if let Screen::Form(ed) = s { Some(ed.key()) } else { None });
        if let Some(pos) = form.and_then(|k| self.list.rows.iter().position(|&i| self.summaries[i as usize].key == k)) {
            self.list.selected = pos;
            self.list.keep_in_view(height);
        }
        // A full ID stays shown only while its household is the selected one
        // (a filter or a find can move the cursor off it).
        if self.revealed.is_some() && self.revealed != self.list.selected_index().map(|i| self.summaries[i].key) {
            self.revealed = None;
        }
    }

    /// Searches again after the find box changed; the list starts at its top.
    fn refresh_find(&mut self) {
        self.search_again();
        self.list.selected = 0;
        self.list.offset = 0;
        self.list.rows.clear();
        self.fill_list();
    }

    fn search_again(&mut self) {
        let base = match self.find.as_ref().map(|f| f.scope) {
            Some(FindScope::Place(p)) => self.tree.members(p),
            Some(FindScope::All) => self.tree.members(PlaceSel::All),
            None => return,
        };
        if let Some(f) = self.find.as_mut() {
            f.refresh(base, &self.summaries, &self.index);
        }
    }

    /// The place the statistics and titles are about.
    pub fn scope(&self) -> Scope {
        match self.places.sel {
            PlaceSel::All => Scope::default(),
            PlaceSel::Township(t) => Scope { township: Some(self.tree.townships[t].name.clone()), village: None },
            PlaceSel::Village(t, v) => Scope {
                township: Some(self.tree.townships[t].name.clone()),
                village: Some(self.tree.townships[t].villages[v].name.clone()),
            },
        }
    }

    // ----- results from the loop -----

    /// A load finished: its screen opens.
    pub fn loaded(&mut self, loaded: Loaded) {
        match loaded {
            Loaded::Form(key, record, held_by) => {
                self.monitors.learn(key, &record);
                let offered = self.monitors.suggestions(key, &record.household.place);
                let mut editor = Box::new(FormEditor::new(key, record, self.round.clone()));
                editor.set_suggestions(offered);
                editor.held_by(held_by);
                match self.screens.last_mut() {
                    Some(Screen::Form(top)) => *top = editor,
                    _ => self.screens.push(Screen::Form(editor)),
                }
            }
            Loaded::Card(key, record) => {
                let card = Card::new(key, record, &self.round);
                match self.screens.last_mut() {
                    Some(Screen::Card(top)) => *top = card,
                    _ => self.screens.push(Screen::Card(card)),
                }
            }
            Loaded::History(key, entries) => {
                let head = self.summary_of(key).map(|s| s.head.clone()).unwrap_or_default();
                self.screens.push(Screen::History(History::new(key, head, entries)));
            }
            Loaded::Stats(title, report) => self.screens.push(Screen::Stats(StatsView::new(title, report))),
            Loaded::Dossier(key, record, entries, history) => {
                let mut d = Box::new(super::dossier::Dossier::new(key, record, entries, &history, &self.round));
                match self.screens.last_mut() {
                    Some(Screen::Dossier(top)) => {
                        d.keep_place(top);
                        *top = d;
                    }
                    _ => self.screens.push(Screen::Dossier(d)),
                }
            }
            Loaded::Forms(key, record, entries) => {
                self.screens.push(Screen::Forms(super::forms::FormChooser::new(key, &record, &entries)));
            }
            Loaded::Entry(key, record, form, entry) => {
                let Some(def) = crate::form::registry::get(&form) else {
                    self.error(crate::form::registry::unknown_message(&form));
                    return;
                };
                let editor = FormEditor::for_entry(key, record, def, entry, self.round.clone());
                self.screens.push(Screen::Form(Box::new(editor)));
            }
        }
    }

    /// The household's file just opened from the chooser: its list `part` in focus.
    pub fn focus_dossier_part(&mut self, part: usize) {
        if let Some(Screen::Dossier(d)) = self.screens.last_mut() {
            d.part = part.min(d.file.parts.len().saturating_sub(1));
        }
    }

    /// The open card's household handbook, read after the card.
    pub fn card_handbook(&mut self, key: u64, entries: &[crate::model::Entry]) {
        if let Some(Screen::Card(card)) = self.screens.last_mut() {
            if card.key == key {
                card.set_handbook(entries);
            }
        }
    }

    /// A handbook entry was saved: the editor learns its number and what is stored.
    pub fn entry_saved(&mut self, entry: crate::model::Entry) {
        if let Some(ed) = self.editor() {
            ed.on_entry_saved(entry);
        }
    }

    /// The filled-in households of `place`'s township whose responsible
    /// people are not learned yet (all of them the first time one of its
    /// forms opens, then none: saves keep the directory current).
    pub fn monitors_to_read(&mut self, place: &crate::model::Place) -> Vec<u64> {
        if !self.monitors.needs(&place.township) {
            return Vec::new();
        }
        self.monitors.mark_read(&place.township);
        self.summaries
            .iter()
            .filter(|s| s.place.township == place.township && s.state != crate::model::FormState::Empty)
            .map(|s| s.key)
            .collect()
    }

    fn summary_of(&self, key: u64) -> Option<&Summary> {
        self.summaries.binary_search_by_key(&key, |s| s.key).ok().map(|i| &self.summaries[i])
    }

    fn editor(&mut self) -> Option<&mut FormEditor> {
        self.screens.iter_mut().rev().find_map(|s| match s {
            Screen::Form(ed) => Some(ed.as_mut()),
            _ => None,
        })
    }

    /// A store effect of the form succeeded: the editor gets the stored
    /// record and the lists the new summary.
    pub fn form_saved(&mut self, record: Option<LookBack>, summary: Option<Summary>) {
        if let (Some(record), Some(ed)) = (record, self.editor()) {
            let key = ed.key();
            ed.on_saved(record.clone());
            self.monitors.saved(key, &record);
        }
        if let Some(s) = summary {
            self.refresh_summary(s);
        }
    }

    /// The open form was taken over from another clerk.
    pub fn form_taken_over(&mut self, record: LookBack) {
        if let Some(ed) = self.editor() {
            ed.on_taken_over(record);
        }
    }

    /// A store effect of the form failed: the editor keeps its answers.
    pub fn form_failed(&mut self, message: String) {
        if let Some(ed) = self.editor() {
            ed.on_error(message.clone());
        }
        self.error(message);
    }

    /// The form asked to close, move on, or quit (its saves have run).
    pub fn form_moved(&mut self, fe: FormEffect) -> Vec<Effect> {
        match fe {
            FormEffect::Close => {
                if let Some(Screen::Form(ed)) = self.screens.last() {
                    let entry = ed.entry().map(|t| (t.form.id.clone(), t.seq));
                    self.screens.pop();
                    // Back on the household's file: read it again (the entry
                    // changed), with the entry just edited or added selected.
                    if let (Some((form, seq)), Some(Screen::Dossier(d))) = (entry, self.screens.last_mut()) {
                        d.focus_entry = seq.map(|s| (form, s));
                        return vec![Effect::Dossier(d.key)];
                    }
                }
                Vec::new()
            }
            FormEffect::OpenNext | FormEffect::OpenPrev => {
                let delta = if fe == FormEffect::OpenNext { 1 } else { -1 };
                // A save that took the form's household out of the list left the
                // cursor on a neighbour of it: maybe the one wanted.
                if self.cursor_after_form() != Some(delta > 0) {
                    let before = self.list.selected;
                    self.list.move_by(Some(delta), self.heights().list);
                    if self.list.selected == before {
                        self.say(if delta > 0 { "已经是列表中的最后一户" } else { "已经是列表中的第一户" });
                        return Vec::new();
                    }
                }
                self.revealed = None;
                let mut out: Vec<Effect> = self.editor().and_then(|ed| ed.pending_save()).map(Effect::Form).into_iter().collect();
                out.extend(self.selected().map(|s| Effect::OpenForm(s.key)));
                out
            }
            FormEffect::Quit => {
                self.quit = true;
                Vec::new()
            }
            other => vec![Effect::Form(other)],
        }
    }

    /// When the open form's household is no longer in the list (a save
    /// moved it out of a filter or the find): whether the cursor is on the
    /// row that came after it (else on the one before). `None` otherwise.
    fn cursor_after_form(&mut self) -> Option<bool> {
        let key = self.editor()?.key();
        let sel = self.list.selected_index()?;
        let gone = self.summaries.binary_search_by_key(&key, |s| s.key).ok()?;
        if sel == gone {
            return None;
        }
        // Lists keep the order of their place's members.
        let scope = match self.find.as_ref().map(|f| f.scope) {
            Some(FindScope::All) => PlaceSel::All,
            Some(FindScope::Place(p)) => p,
            None => self.places.sel,
        };
        let members = self.tree.members(scope);
        let pos = |i: usize| members.iter().position(|&m| m as usize == i);
        Some(pos(sel)? > pos(gone)?)
    }

    /// Where the clerk is: the place, the filters, the selected household.
    pub fn resume_state(&self) -> crate::ui::resume::Resume {
        let (t, v) = match self.places.sel {
            PlaceSel::All => (None, None),
            PlaceSel::Township(t) => (Some(t), None),
            PlaceSel::Village(t, v) => (Some(t), Some(v)),
        };
        let township = t.and_then(|t| self.tree.townships.get(t));
        crate::ui::resume::Resume {
            township: township.map(|x| x.name.clone()),
            village: v.and_then(|v| township?.villages.get(v)).map(|x| x.name.clone()),
            category: self.filters.category,
            state: self.filters.state.map(crate::ui::resume::state_label),
            eliminated: self.filters.eliminated,
            household: self.selected().map(|s| s.key),
            on_households: self.focus == Focus::Households,
        }
    }

    /// Goes back to a remembered place; names that no longer exist are skipped.
    pub fn resume(&mut self, r: &crate::ui::resume::Resume) {
        let t = r.township.as_ref().and_then(|name| self.tree.townships.iter().position(|x| &x.name == name));
        let v = t.and_then(|t| r.village.as_ref().and_then(|name| self.tree.townships[t].villages.iter().position(|x| &x.name == name)));
        self.places.sel = match (t, v) {
            (Some(t), Some(v)) => PlaceSel::Village(t, v),
            (Some(t), None) if r.village.is_none() => PlaceSel::Township(t),
            (None, _) if r.township.is_none() => PlaceSel::All,
            _ => self.places.sel,
        };
        self.filters =
            Filters { category: r.category, state: r.state.as_deref().and_then(crate::ui::resume::state_of), eliminated: r.eliminated };
        let height = self.heights();
        self.places.keep_in_view(&self.tree, height.places);
        self.list.rows.clear();
        self.list.selected = 0;
        self.list.offset = 0;
        self.fill_list();
        if let Some(pos) = r.household.and_then(|k| self.list.rows.iter().position(|&i| self.summaries[i as usize].key == k)) {
            self.list.selected = pos;
            self.list.keep_in_view(height.list);
        }
        if r.on_households && !self.list.rows.is_empty() {
            self.focus = Focus::Households;
        }
    }

    /// Time passing: the open form saves the field being typed after a pause.
    pub fn tick(&mut self, now: std::time::Instant) -> Vec<Effect> {
        match self.screens.last_mut() {
            Some(Screen::Form(ed)) => ed.tick(now).into_iter().map(Effect::Form).collect(),
            _ => Vec::new(),
        }
    }

    /// Every save that must run before the app goes away.
    pub fn pending_saves(&mut self) -> Vec<Effect> {
        self.screens
            .iter_mut()
            .filter_map(|s| match s {
                Screen::Form(ed) => ed.pending_save().map(Effect::Form),
                _ => None,
            })
            .collect()
    }

    /// The household of the open form, if one is open.
    pub fn form_key(&self) -> Option<u64> {
        // An entry editor holds no lease: only the look-back form is leased.
        self.screens.iter().rev().find_map(|s| if let Screen::Form(ed) = s { ed.entry().is_none().then(|| ed.key()) } else { None })
    }

    /// Something another clerk did, pushed by the store server.
    pub fn apply_event(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Changed(s) => {
                self.refresh_summary(s);
                Vec::new()
            }
            Event::Lease { key, holder } => {
                match holder {
                    Some(h) => self.leases.insert(key, h),
                    None => self.leases.remove(&key),
                };
                Vec::new()
            }
            Event::Reload => vec![Effect::Reload],
            Event::Warning(text) => {
                self.error(text);
                Vec::new()
            }
            Event::Damaged(text) => {
                self.damage = Some(text.clone());
                self.error(text);
                Vec::new()
            }
        }
    }

    /// Every summary read again: the place, the find and the selected
    /// household stay where they were when they still exist.
    pub fn replace_summaries(&mut self, summaries: Vec<Summary>, leases: Vec<(u64, LeaseView)>) {
        let scope = self.scope();
        let selected = self.selected().map(|s| s.key);
        self.index = Index::build(&summaries);
        self.tree = Tree::build(&summaries);
        self.summaries = summaries;
        self.leases = leases.into_iter().collect();
        let t = scope.township.as_ref().and_then(|name| self.tree.townships.iter().position(|t| &t.name == name));
        self.places.sel = match (t, &scope.village) {
            (Some(t), Some(v)) => match self.tree.townships[t].villages.iter().position(|x| &x.name == v) {
                Some(v) => PlaceSel::Village(t, v),
                None => PlaceSel::Township(t),
            },
            (Some(t), None) => PlaceSel::Township(t),
            (None, _) if scope.township.is_none() && self.places.sel == PlaceSel::All => PlaceSel::All,
            (None, _) if self.tree.townships.first().is_some_and(|t| !t.villages.is_empty()) => PlaceSel::Village(0, 0),
            (None, _) => PlaceSel::All,
        };
        if let Some(f) = self.find.as_mut() {
            f.reset();
        }
        self.search_again();
        self.fill_list();
        if let Some(pos) = selected.and_then(|k| self.list.rows.iter().position(|&i| self.summaries[i as usize].key == k)) {
            self.list.selected = pos;
        }
        let h = self.heights();
        self.places.keep_in_view(&self.tree, h.places);
        self.list.keep_in_view(h.list);
    }

    /// Puts a household's new summary everywhere it counts.
    pub fn refresh_summary(&mut self, s: Summary) {
        let Ok(i) = self.summaries.binary_search_by_key(&s.key, |x| x.key) else { return };
        let old = std::mem::replace(&mut self.summaries[i], s);
        let new = &self.summaries[i];
        let matching_changed = old.head != new.head || old.id_number != new.id_number || old.address != new.address;
        self.index.update(i, new);
        for place in [self.tree.village_of(&old), self.tree.village_of(new)].into_iter().flatten() {
            self.tree.refresh_village(&self.summaries, place.0, place.1);
        }
        if matching_changed {
            if let Some(f) = self.find.as_mut() {
                f.reset();
            }
            // The household being worked on stays selected.
            self.search_again();
        }
        self.fill_list();
    }
}

/// Turns the editor's requests into effects, in order.
fn from_editor(effects: Vec<FormEffect>) -> Vec<Effect> {
    effects.into_iter().map(Effect::Form).collect()
}

/// A key from the terminal: looked up in the keymap under the current mode.
pub fn handle_key(app: &mut App, ev: KeyEvent) -> Vec<Effect> {
    if ev.kind != KeyEventKind::Press {
        return Vec::new();
    }
    app.status = None;
    let mode = app.mode();
    let action = app.keymap.lookup(mode, &ev);
    if let Some(Screen::Form(ed)) = app.screens.last_mut() {
        return match action {
            Some(a @ (Action::Help | Action::Stats)) => update(app, a),
            Some(a) => from_editor(ed.handle_action(a)),
            None => from_editor(ed.handle_key(ev)),
        };
    }
    if let Some(Screen::Dossier(d)) = app.screens.last_mut() {
        if action.is_none() {
            d.handle_key(ev);
            return Vec::new();
        }
    }
    match action {
        Some(a) => update(app, a),
        None if mode == Mode::Find => {
            let theme = app.theme;
            if app.find.as_mut().is_some_and(|f| f.key(ev, &theme)) {
                app.refresh_find();
            }
            Vec::new()
        }
        None => {
            if let KeyCode::Char(c) = ev.code {
                let plain = !ev.modifiers.intersects(crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT);
                if mode == Mode::Browse && plain && !c.is_control() && app.find.is_some() {
                    // Focus on the results: a typed character goes back into the box, never nowhere.
                    return input(app, c);
                }
                if mode == Mode::Browse && !c.is_control() {
                    let find = app.keymap.keys_for(Mode::Browse, Action::Find).first().map(|k| k.label()).unwrap_or_default();
                    let help = app.keymap.keys_for(Mode::Browse, Action::Help).first().map(|k| k.label()).unwrap_or_default();
                    app.say(format!("“{c}”键在这里没有功能。查找请按 {find}，全部按键见 {help}"));
                }
            }
            Vec::new()
        }
    }
}

/// A character typed with the focus on the find results: back into the box.
fn input(app: &mut App, c: char) -> Vec<Effect> {
    if let Some(Screen::Form(ed)) = app.screens.last_mut() {
        return from_editor(ed.handle_key(KeyEvent::from(KeyCode::Char(c))));
    }
    let theme = app.theme;
    if app.screens.is_empty() {
        if let Some(f) = app.find.as_mut() {
            // Typed with the focus on the results: back into the box (the list follows it).
            f.editing = true;
            if f.insert(&c.to_string(), &theme) {
                app.refresh_find();
            }
        }
    }
    Vec::new()
}

/// A bracketed paste: into the form, the find box, or a new store-wide find.
pub fn paste(app: &mut App, text: &str) -> Vec<Effect> {
    // A stray paste (350,000 characters) is cut to what the store takes for
    // any one answer, and the clerk is told (each field's own limit is the
    // form editor's).
    let max = crate::store::MAX_TEXT_CHARS;
    let cut: String;
    let text = match text.char_indices().nth(max) {
        Some((at, _)) => {
            app.error(format!("粘贴的内容有{}个字，超过了{max}字的上限，只粘贴了前{max}字", text.chars().count()));
            cut = text[..at].to_string();
            cut.as_str()
        }
        None => text,
    };
    if let Some(Screen::Form(ed)) = app.screens.last_mut() {
        return from_editor(ed.handle_paste(text));
    }
    if let Some(Screen::Dossier(d)) = app.screens.last_mut() {
        d.handle_paste(text);
        return Vec::new();
    }
    if !app.screens.is_empty() {
        return Vec::new();
    }
    if app.find.is_none() {
        open_find(app, FindScope::All);
    }
    let theme = app.theme;
    if let Some(f) = app.find.as_mut() {
        f.editing = true;
        if f.insert(text, &theme) {
            app.refresh_find();
        }
    }
    Vec::new()
}

fn open_find(app: &mut App, scope: FindScope) {
    app.find = Some(Find::new(scope, &app.theme));
    app.focus = Focus::Households;
    app.revealed = None;
    app.refresh_find();
}

/// Changes the state for one action; returns what the loop must do.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Help => {
            if matches!(app.screens.last(), Some(Screen::Help(_))) {
                app.screens.pop();
            } else {
                let help = Help::new(&app.keymap, app.mode(), &app.warnings);
                app.screens.push(Screen::Help(help));
            }
            return Vec::new();
        }
        Action::Quit if !matches!(app.screens.last(), Some(Screen::Form(_))) => {
            app.quit = true;
            return Vec::new();
        }
        Action::Stats => {
            if matches!(app.screens.last(), Some(Screen::Stats(_))) {
                app.screens.pop();
                return Vec::new();
            }
            let scope = app.scope();
            return vec![Effect::Stats { title: format!("统计：{}", scope.label()), scope }];
        }
        _ => {}
    }
    let page = app.heights();
    match app.screens.last_mut() {
        Some(Screen::Form(ed)) => return from_editor(ed.handle_action(action)),
        Some(Screen::Stats(view)) => {
            if !view.handle_action(action) {
                app.screens.pop();
            }
            return Vec::new();
        }
        Some(Screen::Help(help)) => {
            if !help.scroll.handle(action, page.viewer) {
                app.screens.pop();
            }
            return Vec::new();
        }
        Some(Screen::History(h)) => {
            match action {
                Action::RevealId => h.revealed = !h.revealed,
                a if !h.scroll.handle(a, page.viewer) => {
                    app.screens.pop();
                }
                _ => {}
            }
            return Vec::new();
        }
        Some(Screen::Forms(chooser)) => {
            match chooser.handle_action(action) {
                Some(effects) if effects.is_empty() => {}
                Some(effects) => {
                    app.screens.pop();
                    // Opened from the card: the form or the file takes its place.
                    if matches!(app.screens.last(), Some(Screen::Card(_))) {
                        app.screens.pop();
                    }
                    return effects;
                }
                None => {
                    app.screens.pop();
                }
            }
            return Vec::new();
        }
        Some(Screen::Dossier(d)) => {
            match d.handle_action(action) {
                super::dossier::Outcome::Stay(effects, message) => {
                    if let Some(m) = message {
                        app.say(m);
                    }
                    return effects;
                }
                super::dossier::Outcome::Close => {
                    app.screens.pop();
                }
            }
            return Vec::new();
        }
        Some(Screen::Card(card)) => {
            let key = card.key;
            match action {
                Action::Open => {
                    app.screens.pop();
                    return vec![Effect::OpenForm(key)];
                }
                Action::Dossier => {
                    app.screens.pop();
                    return vec![Effect::Dossier(key)];
                }
                Action::Forms => return vec![Effect::Forms(key)],
                Action::History => return vec![Effect::History(key)],
                Action::RevealId => card.revealed = !card.revealed,
                a if !card.scroll.handle(a, page.viewer) => {
                    app.screens.pop();
                }
                _ => {}
            }
            return Vec::new();
        }
        None => {}
    }
    browse(app, action)
}

fn move_focused(app: &mut App, delta: Option<isize>) {
    let h = app.heights();
    app.revealed = None;
    if app.focus == Focus::Places && app.find.is_none() {
        let before = app.places.sel;
        app.places.move_by(&app.tree, delta, h.places);
        if app.places.sel != before {
            app.list.selected = 0;
            app.list.offset = 0;
            app.list.rows.clear();
            app.fill_list();
        }
    } else {
        app.list.move_by(delta, h.list);
    }
}

fn selected_key(app: &mut App) -> Option<u64> {
    let key = app.selected().map(|s| s.key);
    if key.is_none() {
        app.say("列表里没有选中的户");
    }
    key
}

fn browse(app: &mut App, action: Action) -> Vec<Effect> {
    let h = app.heights();
    let page = if app.focus == Focus::Places && app.find.is_none() { h.places } else { h.list }.max(2) as isize - 1;
    match action {
        Action::MoveUp => move_focused(app, Some(-1)),
        Action::MoveDown => move_focused(app, Some(1)),
        Action::PageUp => move_focused(app, Some(-page)),
        Action::PageDown => move_focused(app, Some(page)),
        Action::First => move_focused(app, Some(isize::MIN / 2)),
        Action::Last => move_focused(app, None),
        Action::FocusNext | Action::FocusPrev if app.find.is_some() => {
            if let Some(f) = app.find.as_mut() {
                f.editing = !f.editing;
            }
        }
        Action::FocusNext | Action::FocusPrev => {
            app.focus = match app.focus {
                Focus::Places => Focus::Households,
                Focus::Households => Focus::Places,
            };
        }
        Action::Open => {
            if app.focus == Focus::Places && app.find.is_none() {
                if app.list.rows.is_empty() {
                    app.say("这里没有符合条件的户");
                } else {
                    app.focus = Focus::Households;
                }
            } else if let Some(key) = selected_key(app) {
                return vec![Effect::OpenForm(key)];
            }
        }
        Action::Card => {
            if let Some(key) = selected_key(app) {
                return vec![Effect::Card(key)];
            }
        }
        Action::History => {
            if let Some(key) = selected_key(app) {
                return vec![Effect::History(key)];
            }
        }
        Action::Dossier => {
            if let Some(key) = selected_key(app) {
                return vec![Effect::Dossier(key)];
            }
        }
        Action::Forms => {
            if let Some(key) = selected_key(app) {
                return vec![Effect::Forms(key)];
            }
        }
        Action::RevealId => {
            if let Some(key) = selected_key(app) {
                app.revealed = if app.revealed == Some(key) { None } else { Some(key) };
            }
        }
        Action::Find | Action::FindAll => {
            let wanted = if action == Action::FindAll { FindScope::All } else { FindScope::Place(app.places.sel) };
            match app.find.as_mut() {
                Some(f) if f.editing && action == Action::FindAll => {
                    // Ctrl-F while typing switches between the place and everywhere.
                    f.scope = if f.scope == FindScope::All { FindScope::Place(app.places.sel) } else { FindScope::All };
                    f.reset();
                    app.refresh_find();
                }
                Some(f) => f.editing = true,
                None => open_find(app, wanted),
            }
        }
        Action::ClearField if app.find.is_some() => {
            let theme = app.theme;
            if app.find.as_mut().is_some_and(|f| f.clear(&theme)) {
                app.refresh_find();
            }
        }
        Action::FilterCategory | Action::FilterState | Action::FilterRisk | Action::ClearFilters => {
            match action {
                Action::FilterCategory => app.filters.cycle_category(),
                Action::FilterState => app.filters.cycle_state(),
                Action::FilterRisk => app.filters.cycle_risk(),
                _ => app.filters = Filters::default(),
            }
            app.fill_list();
        }
        Action::Back => {
            if app.find.take().is_some() {
                app.list.rows.clear();
                app.fill_list();
            } else if app.focus == Focus::Households {
                app.focus = Focus::Places;
            } else {
                let quit = app.keymap.keys_for(Mode::Browse, Action::Quit).first().map(|k| k.label()).unwrap_or_default();
                app.say(format!("要退出请按 {quit}"));
            }
        }
        _ => {}
    }
    Vec::new()
}
