//! The full-screen app: browse townships → villages → households, find one,
//! see its card and history, open its form, see statistics.
//!
//! - [`app`]: the state, `update`, and the effects the loop runs;
//! - [`effects`]: running them with the store;
//! - [`view`] and the screen modules: drawing, from state only;
//! - [`terminal`]: setup, restore, and the event loop.

pub mod action;
pub mod app;
pub mod card;
pub mod dossier;
pub mod effects;
pub mod find;
pub mod footer;
pub mod form;
pub mod forms;
pub mod help;
pub mod history;
pub mod households;
pub mod keymap;
pub mod places;
pub mod resume;
pub mod scroll;
pub mod stats;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod view;
pub mod wire;

use crate::cli::Global;

/// Opens the app on the store; returns the exit status.
pub fn run(global: &Global) -> anyhow::Result<i32> {
    terminal::run(global)
}
