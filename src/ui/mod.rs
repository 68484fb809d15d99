//! The full-screen app. (The screens arrive with the browse issue.)

pub mod action;
pub mod form;
pub mod keymap;
pub mod stats;
pub mod text;
pub mod theme;

use crate::cli::Global;

/// Opens the app on the store. Until the screens exist it prints a summary.
pub fn run(global: &Global) -> anyhow::Result<i32> {
    let store = crate::cli::open_store(global, "huitoukan")?;
    for t in store.places()? {
        println!("{}  {}户  已提交{}  草稿{}  未填{}", t.name, t.counts.households, t.counts.submitted, t.counts.draft, t.counts.empty);
    }
    Ok(0)
}
