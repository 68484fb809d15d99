//! `rust-version` in Cargo.toml is the true minimum: no locked dependency
//! declares a newer one. Otherwise a clerk's IT person on an older toolchain
//! gets cargo's refusal for some crate instead of ours, or a build that the
//! declared version promised would work does not.
//!
//! Runs `cargo metadata --locked --offline` for the host platform (the
//! program is Unix-only; Windows- and Android-only crates are never built),
//! so it needs no network once the dependencies are fetched, as they are for
//! any build. `.ci/run` runs it first, by name.

use serde_json::Value;
use std::process::Command;

/// `"1.88"`, `"1.85.0"` → comparable (major, minor, patch).
fn version(v: &str) -> Option<(u64, u64, u64)> {
    let mut parts = v.trim().split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

fn host() -> String {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())).arg("-vV").output().expect("run rustc -vV");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc -vV names the host").trim().to_string()
}

#[test]
fn declared_rust_version_covers_every_locked_dependency() {
    let declared = env!("CARGO_PKG_RUST_VERSION");
    let ours = version(declared).unwrap_or_else(|| panic!("Cargo.toml's rust-version {declared:?} is not a version"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline", "--filter-platform"])
        .arg(host())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let packages = meta["packages"].as_array().expect("a package list");
    assert!(packages.len() > 50, "only {} packages: not the whole lock file", packages.len());
    let mut newer: Vec<String> = packages
        .iter()
        .filter(|p| p["name"] != "huitoukan")
        .filter_map(|p| {
            let needs = p["rust_version"].as_str()?;
            let v = version(needs)?;
            (v > ours).then(|| format!("{} {} needs {needs}", p["name"].as_str().unwrap_or("?"), p["version"].as_str().unwrap_or("?")))
        })
        .collect();
    newer.sort();
    assert!(
        newer.is_empty(),
        "Cargo.toml declares rust-version = {declared:?}, but locked dependencies need more:\n  {}\n\
         Raise rust-version to the highest of these (or pin the dependency lower).",
        newer.join("\n  ")
    );
}

#[test]
fn versions_compare_numerically() {
    assert_eq!(version("1.88"), Some((1, 88, 0)));
    assert_eq!(version("1.85.0"), Some((1, 85, 0)));
    assert!(version("1.100").unwrap() > version("1.88").unwrap());
    assert_eq!(version("x"), None);
}
