//! The form definitions this process knows, by id and version: the forms
//! compiled in, and those a store keeps for the records it holds (given by
//! the store as it opens, or fetched by a client from its server). Each
//! distinct text is compiled once; a definition lives as long as the process.
//!
//! A record names the definition it was made with ([`FormRef`]), so it is
//! validated, shown and exported with that one even after the compiled-in
//! file has moved on to a newer version.

use super::file::{self, Form, FormRef, Problem};
use super::schema;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, RwLock};

/// The 2021 look-back form's file, compiled in for good: every record
/// written before records named their form was made with it, so a store of
/// format 1 is migrated onto it whatever form a later release ships.
pub const LOOK_BACK_2021_TOML: &str = include_str!("../../forms/huitoukan-2021.toml");

#[derive(Default)]
struct Registry {
    by_ref: HashMap<FormRef, &'static Form>,
    by_text: HashMap<&'static str, &'static Form>,
}

impl Registry {
    fn insert(&mut self, form: &'static Form) {
        self.by_ref.insert(form.reference(), form);
        self.by_text.insert(form.source, form);
    }
}

static REGISTRY: LazyLock<RwLock<Registry>> = LazyLock::new(|| {
    let mut r = Registry::default();
    let shipped = schema::shipped();
    // While the shipped file is the 2021 one, its compiled form is the one
    // (compiling the text again would leak a copy nothing refers to).
    if LOOK_BACK_2021_TOML != shipped.source {
        if let Ok(old) = file::load(LOOK_BACK_2021_TOML) {
            r.insert(old);
        }
    }
    for form in schema::handbook() {
        r.insert(form);
    }
    // The shipped form last: it is the one its id and version mean here.
    r.insert(shipped);
    RwLock::new(r)
});

/// Bumped whenever a reference may come to mean another definition.
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The last definition this thread looked up, with the generation it
    /// was valid in: validation and exports look up the same form for
    /// every field of every row (a report over a county did 200,000
    /// lookups under the lock).
    static LAST: RefCell<Option<(u64, &'static Form)>> = const { RefCell::new(None) };
}

/// The definition `form` names, when this process knows it.
pub fn get(form: &FormRef) -> Option<&'static Form> {
    let generation = GENERATION.load(Ordering::Acquire);
    let hit = LAST.with(|last| match *last.borrow() {
        Some((g, f)) if g == generation && f.version == form.version && f.id == form.id => Some(f),
        _ => None,
    });
    if hit.is_some() {
        return hit;
    }
    let found = REGISTRY.read().unwrap_or_else(|p| p.into_inner()).by_ref.get(form).copied();
    if let Some(f) = found {
        LAST.with(|last| *last.borrow_mut() = Some((generation, f)));
    }
    found
}

/// Compiles a definition (once per distinct text) and makes it the one its
/// id and version mean in this process. A store registers the definitions
/// it keeps as it opens: its records were made with those, so a kept text
/// wins over a compiled-in file of the same id and version that was edited
/// without a new version.
pub fn register(text: &str) -> Result<&'static Form, Vec<Problem>> {
    register_checked(text, None)
}

/// [`register`] of a text kept (or sent) under `expected`: a text that
/// names another form or version is refused before it can stand for
/// anything, so a misfiled definition never replaces the one it names.
pub fn register_as(expected: &FormRef, text: &str) -> Result<&'static Form, Vec<Problem>> {
    register_checked(text, Some(expected))
}

fn register_checked(text: &str, expected: Option<&FormRef>) -> Result<&'static Form, Vec<Problem>> {
    let compiled = REGISTRY.read().unwrap_or_else(|p| p.into_inner()).by_text.get(text).copied();
    let form = match compiled {
        Some(form) => form,
        None => file::load(text)?,
    };
    if let Some(expected) = expected.filter(|e| **e != form.reference()) {
        return Err(vec![Problem { line: 0, message: format!("保存在{expected}下，内容却是{}", form.reference()) }]);
    }
    let mut r = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
    match compiled {
        Some(form) => {
            r.by_ref.insert(form.reference(), form);
        }
        None => r.insert(form),
    }
    drop(r);
    GENERATION.fetch_add(1, Ordering::AcqRel);
    Ok(form)
}

/// This process's own copy of a field code or warning id of any form it
/// knows (a report crossing the server's socket names them as strings).
pub fn known_code(s: &str) -> Option<&'static str> {
    let r = REGISTRY.read().unwrap_or_else(|p| p.into_inner());
    r.by_text.values().find_map(|form| form.fields.iter().map(|f| f.code).chain(form.warnings.iter().map(|w| w.id)).find(|c| *c == s))
}

/// What a record whose definition is unknown gets, wherever it is shown or
/// saved: what is wrong and what to do; its answers stay as they are.
pub fn unknown_message(form: &FormRef) -> String {
    format!(
        "这份记录是用{form}填的，本程序和数据库里都没有这个版本的表单定义，无法校验或修改；已填的内容原样保留。\
         请用更新版本的huitoukan打开，或把数据库快照交给管理员"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_kept_under_another_form_or_version_replaces_nothing() {
        let before = get(&FormRef::look_back_2021()).unwrap();
        let misfiled = FormRef { id: "huitoukan".into(), version: 7777 };
        let err = register_as(&misfiled, LOOK_BACK_2021_TOML).unwrap_err();
        assert!(err[0].message.contains("第7777版") || err[0].message.contains("7777"), "{}", err[0]);
        assert!(get(&misfiled).is_none(), "not known under the key it was filed under");
        assert!(std::ptr::eq(get(&FormRef::look_back_2021()).unwrap(), before), "the 2021 form is the one it was");
        assert!(std::ptr::eq(register_as(&FormRef::look_back_2021(), LOOK_BACK_2021_TOML).unwrap(), before));
    }

    #[test]
    fn the_shipped_and_the_2021_forms_are_known_and_others_are_not() {
        assert!(std::ptr::eq(get(&schema::shipped().reference()).unwrap(), schema::shipped()));
        assert_eq!(get(&FormRef::look_back_2021()).unwrap().version, 2021);
        assert!(get(&FormRef { id: "huitoukan".into(), version: 1999 }).is_none());
        let msg = unknown_message(&FormRef { id: "huitoukan".into(), version: 1999 });
        assert!(msg.contains("表单huitoukan第1999版") && msg.contains("原样保留"), "{msg}");
    }

    #[test]
    fn a_registered_text_is_compiled_once_and_found_by_its_reference() {
        let text = LOOK_BACK_2021_TOML.replace("version = 2021", "version = 1998");
        let a = register(&text).unwrap();
        let b = register(&text).unwrap();
        assert!(std::ptr::eq(a, b));
        assert!(std::ptr::eq(get(&FormRef { id: "huitoukan".into(), version: 1998 }).unwrap(), a));
        assert!(register("id = 1").is_err());
        // The same reference registered with another text means that text from then on.
        let other = format!("{text}\n# 另一份\n");
        let b = register(&other).unwrap();
        assert!(!std::ptr::eq(a, b));
        assert!(std::ptr::eq(get(&FormRef { id: "huitoukan".into(), version: 1998 }).unwrap(), b));
    }
}
