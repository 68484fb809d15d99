//! huitoukan: the look-back (回头看) review of households monitored to
//! prevent a return to poverty, as a keyboard-only terminal app.
//!
//! Layers, bottom up:
//! - [`form`]: the form's schema, option lists, value types and rules.
//! - [`model`]: households, form records, audit entries, summaries.
//! - [`store`]: the sled store behind a typed API (no sled type leaves it).
//! - [`handbook`]: a household's file (户档) of the monitoring handbook:
//!   members, measures, visits, and the checks across them (疑点).
//! - [`demo`]: deterministic demo data.

pub mod access;
pub mod backend;
pub mod backup;
pub mod cli;
pub mod config;
pub mod demo;
pub mod form;
pub mod handbook;
pub mod io;
pub mod model;
pub mod paths;
pub mod quarter;
pub mod report;
pub mod search;
pub mod server;
pub mod store;
pub mod ui;
