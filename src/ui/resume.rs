//! Where this clerk left off: the village, the filters and the selected
//! household, per store, in a small per-user state file
//! (`<data dir>/resume.toml`, owner-only, written atomically). Kept out of
//! the store on purpose: it is one clerk's place, not data about families.
//! A missing or broken file is ignored without a word.

use crate::model::FormState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One store's remembered place (names, not indexes: an import may add villages).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    pub township: Option<String>,
    pub village: Option<String>,
    pub category: Option<u16>,
    /// `未填` / `草稿` / `已提交`.
    pub state: Option<String>,
    pub eliminated: Option<bool>,
    /// Store key of the selected household.
    pub household: Option<u64>,
    /// The focus was on the household list (else on the places).
    #[serde(default)]
    pub on_households: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    stores: BTreeMap<String, Resume>,
}

pub fn state_label(s: FormState) -> String {
    s.label().to_string()
}

pub fn state_of(label: &str) -> Option<FormState> {
    [FormState::Empty, FormState::Draft, FormState::Submitted].into_iter().find(|s| s.label() == label)
}

/// The state file.
pub fn file() -> PathBuf {
    crate::paths::data_dir().join("resume.toml")
}

/// The key for a store: its absolute path when it can be had.
fn store_key(store: &Path) -> String {
    std::fs::canonicalize(store).unwrap_or_else(|_| store.to_path_buf()).display().to_string()
}

fn read(path: &Path) -> File {
    std::fs::read_to_string(path).ok().and_then(|t| toml::from_str(&t).ok()).unwrap_or_default()
}

/// The place remembered for `store` in the state file at `path`, if any.
pub fn load_from(path: &Path, store: &Path) -> Option<Resume> {
    read(path).stores.remove(&store_key(store))
}

/// Remembers `place` for `store` (other stores' entries kept).
pub fn save_to(path: &Path, store: &Path, place: &Resume) -> std::io::Result<()> {
    let mut f = read(path);
    f.stores.insert(store_key(store), place.clone());
    let text = toml::to_string(&f).map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::io::file::write_atomic(path, |w| w.write_all(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_per_store_owner_only_and_ignores_a_broken_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("resume.toml");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        assert_eq!(load_from(&path, &a), None, "no file: nothing");
        let place =
            Resume { township: Some("鹿角镇".into()), village: Some("石坪村".into()), household: Some(7), ..Resume::default() };
        save_to(&path, &a, &place).unwrap();
        save_to(&path, &b, &Resume::default()).unwrap();
        assert_eq!(load_from(&path, &a), Some(place));
        assert_eq!(load_from(&path, &b), Some(Resume::default()));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::write(&path, "stores = [broken").unwrap();
        assert_eq!(load_from(&path, &a), None, "a broken file is ignored");
        assert_eq!(state_of(&state_label(FormState::Draft)), Some(FormState::Draft));
    }
}
