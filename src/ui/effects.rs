//! Running the app's effects with the data, and feeding the results back.
//! The only part of the UI that calls the [`Backend`] (the store server
//! over its socket, or a store this process holds).

use super::app::{App, Effect, Loaded};
use super::form::FormEffect;
use crate::backend::Backend;
use crate::store::StoreError;

/// What the loop tells the backup schedule.
#[derive(Debug, Default)]
pub struct Outcome {
    /// A save changed the store.
    pub edited: bool,
    /// A report being computed off the loop: its title and where it arrives.
    pub report: Option<(String, std::sync::mpsc::Receiver<crate::store::Result<crate::report::Report>>)>,
}

fn missing(key: u64) -> String {
    StoreError::NotFound(key).to_string()
}

/// Runs a store effect of the form; `None` for the ones that are not
/// (closing, moving on, taking over). Test harnesses of the editor alone use
/// it too, so there is one way an effect reaches the data.
pub fn form_op(b: &dyn Backend, fe: &FormEffect) -> Option<(u64, crate::store::Result<()>)> {
    Some(match fe {
        FormEffect::SaveDraft { key, base, answers } => (*key, b.save_draft(*key, Some(base), answers).map(|_| ())),
        FormEffect::Submit { key, base, answers, confirmed } => (*key, b.submit(*key, Some(base), answers, confirmed)),
        FormEffect::Reopen { key } => (*key, b.reopen(*key)),
        FormEffect::SetVerified { key, verified } => (*key, b.set_verified(*key, *verified)),
        FormEffect::CorrectSectionA { key, code, value } => (*key, b.correct_section_a(*key, code, value.clone())),
        FormEffect::SaveEntry { key, .. } => (*key, save_entry(b, fe).map(|_| ())),
        FormEffect::TakeOver { .. } | FormEffect::Close | FormEffect::OpenNext | FormEffect::OpenPrev | FormEffect::Quit => return None,
    })
}

/// Reads a household's file (record, entries, history) into the app;
/// whether it is there now.
fn load_dossier(b: &dyn Backend, app: &mut App, key: u64) -> bool {
    match b.get(key).and_then(|lb| Ok((lb, b.entries(key)?, b.history(key)?))) {
        Ok((Some(lb), entries, history)) => {
            app.loaded(Loaded::Dossier(key, lb, entries, history));
            true
        }
        Ok((None, ..)) => {
            app.error(missing(key));
            false
        }
        Err(e) => {
            app.error(e.to_string());
            false
        }
    }
}

/// Adds or saves the handbook entry of a [`FormEffect::SaveEntry`].
fn save_entry(b: &dyn Backend, fe: &FormEffect) -> crate::store::Result<crate::model::Entry> {
    match fe {
        FormEffect::SaveEntry { key, form, seq: None, answers, .. } => b.add_entry(*key, form, answers),
        FormEffect::SaveEntry { key, form, seq: Some(seq), base, answers } => b.save_entry(*key, &form.id, *seq, Some(base), answers),
        _ => Err(StoreError::Internal("not an entry save".into())),
    }
}

/// Runs `effects` in order, and whatever they lead to. When a form save
/// fails, the rest of that batch is dropped (the editor keeps its answers).
pub fn run(b: &dyn Backend, app: &mut App, effects: Vec<Effect>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        let more = match effect {
            Effect::OpenForm(key) => match b.open_form(key) {
                Ok(o) => {
                    // D1/D2 offers: the township's filled-in records, read once.
                    for k in app.monitors_to_read(&o.record.household.place) {
                        if let Ok(Some(other)) = b.get(k) {
                            app.monitors.learn(k, &other);
                        }
                    }
                    app.loaded(Loaded::Form(key, o.record, o.held_by));
                    Vec::new()
                }
                Err(e) => {
                    app.error(e.to_string());
                    Vec::new()
                }
            },
            Effect::Card(key) => match b.get(key) {
                Ok(Some(lb)) => {
                    app.loaded(Loaded::Card(key, lb));
                    if let Ok(entries) = b.entries(key) {
                        app.card_handbook(key, &entries);
                    }
                    Vec::new()
                }
                Ok(None) => {
                    app.error(missing(key));
                    Vec::new()
                }
                Err(e) => {
                    app.error(e.to_string());
                    Vec::new()
                }
            },
            Effect::History(key) => match b.history(key) {
                Ok(entries) => {
                    app.loaded(Loaded::History(key, entries));
                    Vec::new()
                }
                Err(e) => {
                    app.error(e.to_string());
                    Vec::new()
                }
            },
            Effect::Stats { title, scope } => match b.report_in_background(&scope) {
                Some(rx) => {
                    app.say("正在统计，完成后自动显示（这期间可以继续操作）");
                    outcome.report = Some((title, rx));
                    Vec::new()
                }
                None => match b.report(&scope) {
                    Ok(report) => {
                        app.loaded(Loaded::Stats(title, report));
                        Vec::new()
                    }
                    Err(e) => {
                        app.error(e.to_string());
                        Vec::new()
                    }
                },
            },
            Effect::Reload => {
                match b.summaries().and_then(|s| Ok((s, b.leases()?))) {
                    Ok((summaries, leases)) => app.replace_summaries(summaries, leases),
                    Err(e) => app.error(format!("列表没有刷新：{e}")),
                }
                Vec::new()
            }
            Effect::Form(FormEffect::TakeOver { key }) => {
                match b.take_over(key) {
                    Ok(o) => app.form_taken_over(o.record),
                    Err(e) => app.form_failed(e.to_string()),
                }
                Vec::new()
            }
            Effect::Form(fe @ FormEffect::SaveEntry { .. }) => {
                match save_entry(b, &fe) {
                    Ok(entry) => {
                        outcome.edited = true;
                        app.entry_saved(entry);
                    }
                    Err(e) => {
                        app.form_failed(e.to_string());
                        queue.retain(|e| !matches!(e, Effect::Form(_) | Effect::OpenForm(_)));
                    }
                }
                Vec::new()
            }
            Effect::Dossier(key) => {
                load_dossier(b, app, key);
                Vec::new()
            }
            Effect::DossierAt { key, part } => {
                if load_dossier(b, app, key) {
                    app.focus_dossier_part(part);
                }
                Vec::new()
            }
            Effect::Forms(key) => {
                match b.get(key).and_then(|lb| Ok((lb, b.entries(key)?))) {
                    Ok((Some(lb), entries)) => app.loaded(Loaded::Forms(key, lb, entries)),
                    Ok((None, _)) => app.error(missing(key)),
                    Err(e) => app.error(e.to_string()),
                }
                Vec::new()
            }
            Effect::OpenEntry { key, form, seq } => {
                match b.get(key).and_then(|lb| Ok((lb, if seq.is_some() { b.entries(key)? } else { Vec::new() }))) {
                    Ok((Some(lb), entries)) => {
                        let entry = seq.and_then(|s| entries.into_iter().find(|e| e.form.id == form.id && e.seq == s));
                        app.loaded(Loaded::Entry(key, lb, form, entry));
                    }
                    Ok((None, _)) => app.error(missing(key)),
                    Err(e) => app.error(e.to_string()),
                }
                Vec::new()
            }
            Effect::VoidEntry { key, form, seq, reason } => match b.void_entry(key, &form, seq, &reason) {
                Ok(e) => {
                    outcome.edited = true;
                    app.say(format!("已作废{}（原因：{reason}），记录保留，可在修改记录里查到", e.label()));
                    vec![Effect::Dossier(key)]
                }
                Err(e) => {
                    app.error(format!("没有作废：{e}"));
                    Vec::new()
                }
            },
            Effect::Form(fe) => match form_op(b, &fe) {
                Some((key, Ok(()))) => {
                    outcome.edited = true;
                    let record = b.get(key).ok().flatten();
                    let summary = b.summary(key).ok().flatten();
                    app.form_saved(record, summary);
                    Vec::new()
                }
                Some((_, Err(e))) => {
                    app.form_failed(e.to_string());
                    // The rest of the batch (a close, the next household) waits for a retry.
                    queue.retain(|e| !matches!(e, Effect::Form(_) | Effect::OpenForm(_)));
                    Vec::new()
                }
                None => {
                    // Leaving the form lets it go for the other clerks.
                    if let Some(key) = app.form_key() {
                        let _ = b.close_form(key);
                    }
                    app.form_moved(fe)
                }
            },
        };
        queue.extend(more);
    }
    outcome
}
