//! Running the app's effects with the store, and feeding the results back.
//! The only part of the UI that calls the store.

use super::app::{App, Effect, Loaded};
use super::form::FormEffect;
use crate::store::{Store, StoreError};

/// What the loop tells the backup schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// A save changed the store.
    pub edited: bool,
}

fn missing(key: u64) -> String {
    StoreError::NotFound(key).to_string()
}

/// Runs a store effect of the form; `None` for the ones that are not.
fn store_op(store: &Store, who: &str, fe: &FormEffect) -> Option<(u64, crate::store::Result<()>)> {
    Some(match fe {
        FormEffect::SaveDraft { key, answers } => (*key, store.save_draft(*key, answers, who).map(|_| ())),
        FormEffect::Submit { key, answers, confirmed } => (*key, store.submit(*key, answers, confirmed, who)),
        FormEffect::Reopen { key } => (*key, store.reopen(*key, who)),
        FormEffect::SetVerified { key, verified } => (*key, store.set_verified(*key, *verified, who)),
        FormEffect::CorrectSectionA { key, code, value } => (*key, store.correct_section_a(*key, code, value.clone(), who)),
        FormEffect::Close | FormEffect::OpenNext | FormEffect::OpenPrev | FormEffect::Quit => return None,
    })
}

/// Runs `effects` in order, and whatever they lead to. When a form save
/// fails, the rest of that batch is dropped (the editor keeps its answers).
pub fn run(store: &Store, app: &mut App, effects: Vec<Effect>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    let who = app.operator.clone();
    while let Some(effect) = queue.pop_front() {
        let more = match effect {
            Effect::OpenForm(key) | Effect::Card(key) => {
                let form = matches!(effect, Effect::OpenForm(_));
                match store.get(key) {
                    Ok(Some(lb)) => {
                        // D1/D2 offers: the village's records, read once.
                        for k in if form { app.monitors_to_read(&lb.household.place) } else { Vec::new() } {
                            if let Ok(Some(other)) = store.get(k) {
                                app.monitors.learn(k, &other);
                            }
                        }
                        app.loaded(if form { Loaded::Form(key, lb) } else { Loaded::Card(key, lb) })
                    }
                    Ok(None) => {
                        app.error(missing(key));
                        Vec::new()
                    }
                    Err(e) => {
                        app.error(e.to_string());
                        Vec::new()
                    }
                }
            }
            Effect::History(key) => match store.history(key) {
                Ok(entries) => app.loaded(Loaded::History(key, entries)),
                Err(e) => {
                    app.error(e.to_string());
                    Vec::new()
                }
            },
            Effect::Stats { title, scope } => match crate::report::compute(store, &scope) {
                Ok(report) => app.loaded(Loaded::Stats(title, report)),
                Err(e) => {
                    app.error(e.to_string());
                    Vec::new()
                }
            },
            Effect::Form(fe) => match store_op(store, &who, &fe) {
                Some((key, Ok(()))) => {
                    outcome.edited = true;
                    let record = store.get(key).ok().flatten();
                    let summary = store.summary(key).ok().flatten();
                    app.form_saved(record, summary);
                    Vec::new()
                }
                Some((_, Err(e))) => {
                    app.form_failed(e.to_string());
                    // The rest of the batch (a close, the next household) waits for a retry.
                    queue.retain(|e| !matches!(e, Effect::Form(_) | Effect::OpenForm(_)));
                    Vec::new()
                }
                None => app.form_moved(fe),
            },
        };
        queue.extend(more);
    }
    outcome
}
