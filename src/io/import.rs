//! Importing a roster into the store: read and check the file
//! ([`super::roster`]), then commit every accepted row in one atomic,
//! flushed batch ([`Store::upsert_households`]) — a crash or a kill leaves
//! the store as it was before, never half-imported.

use super::roster::{self, Rejection, Roster, RosterError};
use crate::form::idnum;
use crate::store::{Store, StoreError, UpsertOutcome};
use std::path::Path;

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Roster(#[from] RosterError),
    #[error("{}", store_failure(.0))]
    Store(#[from] StoreError),
}

fn store_failure(e: &StoreError) -> String {
    match e {
        // The commit's last step failed: whether it counts is known only at the next open.
        StoreError::Uncertain { .. } => e.to_string(),
        _ => format!("写入数据库失败，名单中的行一行也没有导入（数据库保持导入前的样子）：{e}"),
    }
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub roster: Roster,
    /// Households added, updated and unchanged (planned, for a dry run).
    pub outcome: UpsertOutcome,
    pub dry_run: bool,
}

impl ImportReport {
    /// Rows imported (or that would be).
    pub fn imported(&self) -> usize {
        self.roster.rows.len()
    }

    /// 0: every row imported; 3: some rows rejected, the rest imported;
    /// 1: nothing imported.
    pub fn exit_code(&self) -> i32 {
        match (self.imported(), self.roster.rejected.is_empty()) {
            (_, true) => 0,
            (0, false) => 1,
            (_, false) => 3,
        }
    }
}

/// Where an import is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Rows read and checked so far.
    Checking(usize),
    /// Writing this many households in one batch.
    Writing(usize),
}

/// Reads `path` and, unless `dry_run`, commits its accepted rows as `who`.
pub fn import(
    store: &Store,
    path: &Path,
    who: &str,
    dry_run: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let roster = roster::read(path, store.round(), &mut |n| progress(Progress::Checking(n)))?;
    apply(store, roster, who, dry_run, progress)
}

/// Commits (or, for a dry run, plans) a roster already read and checked
/// against this store's round settings.
pub fn apply(
    store: &Store,
    mut roster: Roster,
    who: &str,
    dry_run: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let (numbers, rows) = roster.take_upserts();
    let outcome = if rows.is_empty() {
        UpsertOutcome::default()
    } else if dry_run {
        store.plan_upsert(&rows)?
    } else {
        progress(Progress::Writing(rows.len()));
        store.upsert_households(&rows, who)?
    };
    roster.put_back(numbers, rows);
    Ok(ImportReport { roster, outcome, dry_run })
}

/// [`import`] through any backend (the store server's, when one runs); the
/// saves are recorded as the backend's clerk.
pub fn import_via(
    backend: &dyn crate::backend::Backend,
    path: &Path,
    dry_run: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let mut roster = roster::read(path, &backend.round(), &mut |n| progress(Progress::Checking(n)))?;
    let (numbers, rows) = roster.take_upserts();
    let outcome = if rows.is_empty() {
        UpsertOutcome::default()
    } else if dry_run {
        backend.plan_upsert(&rows)?
    } else {
        progress(Progress::Writing(rows.len()));
        backend.upsert_households(&rows)?
    };
    roster.put_back(numbers, rows);
    Ok(ImportReport { roster, outcome, dry_run })
}

/// A dry run with no store yet: reads and checks `path` with the default
/// round settings; every accepted row would be added.
pub fn check_only(path: &Path, progress: &mut dyn FnMut(Progress)) -> Result<ImportReport, ImportError> {
    let roster = roster::read(path, &crate::form::Round::default(), &mut |n| progress(Progress::Checking(n)))?;
    let outcome = UpsertOutcome { added: roster.rows.len(), ..UpsertOutcome::default() };
    Ok(ImportReport { roster, outcome, dry_run: true })
}

/// The rejection list as CSV (UTF-8 with BOM, owner-only, atomic):
/// 行号, 列, 读到的值, 原因.
pub fn write_report(path: &Path, rejected: &[Rejection]) -> std::io::Result<()> {
    super::file::refuse_inside_store(path)?;
    super::file::write_atomic(path, |w| {
        w.write_all(super::BOM)?;
        let mut csv = csv::Writer::from_writer(w);
        super::write_csv_record(&mut csv, &["行号", "列", "读到的值", "原因"])?;
        for r in rejected {
            super::write_csv_record(&mut csv, &[r.row.to_string(), r.column.clone(), r.value.clone(), r.reason.clone()])?;
        }
        csv.flush()
    })
}

/// One rejection as a line for the terminal; ID numbers are masked there
/// (the report file keeps them as read, for finding the row).
pub fn describe_rejection(r: &Rejection) -> String {
    let value =
        if r.code == "A3" && r.value.chars().count() > 10 && !r.value.contains('E') { idnum::mask(&r.value) } else { mask_ids(&r.value) };
    let value = shorten(&value, 40);
    let line = if r.column.is_empty() {
        format!("第{}行：{}", r.row, mask_ids(&r.reason))
    } else {
        format!("第{}行 {}“{}”：{}", r.row, r.column, value, mask_ids(&r.reason))
    };
    super::printable(&line).replace('\n', "⏎")
}

/// Masks every run of 15 or more ID characters (digits, X) in `text`: any
/// cell may hold an ID number (a row swallowed by a stray quote holds dozens).
pub fn mask_ids(text: &str) -> String {
    let is_id = |c: char| c.is_ascii_digit() || c == 'X' || c == 'x' || ('０'..='９').contains(&c);
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 15 {
            out.push_str(&idnum::mask(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_id(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// At most `max` characters, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        text.chars().take(max).chain(['…']).collect()
    }
}
