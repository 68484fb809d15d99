//! Where things live: an app variable first, then absolute `XDG_*`, then the
//! platform's directories (via `directories`).

use std::path::PathBuf;

fn xdg(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_absolute())
}

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("cn", "huitoukan", "huitoukan")
}

/// The data directory: `HUITOUKAN_HOME`, `$XDG_DATA_HOME/huitoukan`, or the platform's.
pub fn data_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("HUITOUKAN_HOME").map(PathBuf::from) {
        return p;
    }
    if let Some(p) = xdg("XDG_DATA_HOME") {
        return p.join("huitoukan");
    }
    project().map(|d| d.data_dir().to_path_buf()).unwrap_or_else(|| PathBuf::from(".huitoukan"))
}

/// The real store: `HUITOUKAN_DB`, else `<data>/store`.
pub fn default_store() -> PathBuf {
    std::env::var_os("HUITOUKAN_DB").map(PathBuf::from).unwrap_or_else(|| data_dir().join("store"))
}

/// The demo store, kept apart from the real one: `<data>/demo`.
pub fn demo_store() -> PathBuf {
    data_dir().join("demo")
}

/// The config directory (keymap.toml, config.toml).
pub fn config_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("HUITOUKAN_CONFIG").map(PathBuf::from) {
        return p;
    }
    if let Some(p) = xdg("XDG_CONFIG_HOME") {
        return p.join("huitoukan");
    }
    project().map(|d| d.config_dir().to_path_buf()).unwrap_or_else(|| PathBuf::from(".huitoukan"))
}
