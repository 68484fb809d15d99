//! Progress and work-summary figures (by township and village).
//!
//! STUB: the report issue replaces this module; the API below is the
//! contract the app's statistics screen uses.

use crate::store::{Result, Store};

/// Which households a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub township: Option<String>,
    pub village: Option<String>,
}

/// The figures of one report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub households: usize,
}

/// Computes the report for `scope` from the store.
pub fn compute(store: &Store, scope: &Scope) -> Result<Report> {
    let n = store
        .summaries()?
        .iter()
        .filter(|s| scope.township.as_ref().is_none_or(|t| &s.place.township == t))
        .filter(|s| scope.village.as_ref().is_none_or(|v| &s.place.village == v))
        .count();
    Ok(Report { households: n })
}
