//! The one store interface: what the app, the commands and the tests ask of
//! the data, whether it is held by this process ([`Local`], over the sled
//! [`Store`](crate::store::Store)) or by the store server over its socket
//! ([`crate::server::Client`]).
//!
//! Who is asking is part of the backend, not of each call: the local one
//! records the operator it was opened with; over the socket the server
//! decides from the peer's login (a registered clerk), and every read and
//! write is kept to that clerk's scope ([`Access`]).

mod local;

pub use crate::access::{Access, Clerk, PlaceScope, Role};
pub use local::{Leases, Local, Shared, LEASE_IDLE};

use crate::form::{Round, Value};
use crate::model::{Answers, AuditEntry, LookBack, Summary, Timestamp};
use crate::report::{Report, Scope};
pub use crate::search::Found;
use crate::search::Query;
use crate::store::{AuditCheck, Result, Row, UpsertOutcome};
use serde::{Deserialize, Serialize};

/// Somebody else's hold on a household's form (正在填写).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseView {
    pub name: String,
    pub since: Timestamp,
}

impl LeaseView {
    /// `张三正在填写（10:32起）`
    pub fn label(&self) -> String {
        format!("{}正在填写（{}起）", self.name, self.since.local().format("%H:%M"))
    }
}

/// A form opened for editing: the record, and who else holds it (then the
/// view is read-only until the clerk takes it over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    pub record: LookBack,
    pub held_by: Option<LeaseView>,
}

/// What changed in the store since a client last looked, pushed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A household's summary after another client's save.
    Changed(Summary),
    /// A household's form was opened (or taken over) by someone, or let go (`None`).
    Lease { key: u64, holder: Option<LeaseView> },
    /// Too much changed to send one by one (an import, a restore): reload.
    Reload,
    /// Something every clerk should see on the status line (a failed automatic snapshot).
    Warning(String),
    /// The store is damaged: what is wrong and the way back, kept on the
    /// clerk's status line for as long as the app runs.
    Damaged(String),
}

/// The households a row scan covers: one township, one of its villages, or all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowFilter {
    pub township: Option<String>,
    pub village: Option<String>,
    /// Each row with its household's handbook entries (an export's other sheets).
    pub entries: bool,
}

/// One village with its progress counts, as the places pane shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageCounts {
    pub place: crate::model::Place,
    pub counts: crate::model::Counts,
}

/// Counts the villages of `summaries` that `within` covers, in place order:
/// what [`Backend::places`] answers when a store keeps no per-village totals.
pub fn count_villages<'a>(summaries: impl IntoIterator<Item = &'a Summary>, within: &Scope) -> Vec<VillageCounts> {
    let mut by_place: std::collections::BTreeMap<crate::model::Place, crate::model::Counts> = Default::default();
    for s in summaries {
        if within.contains(&s.place) {
            by_place.entry(s.place.clone()).or_default().add(s);
        }
    }
    by_place.into_iter().map(|(place, counts)| VillageCounts { place, counts }).collect()
}

/// What a find-box query answers over `summaries` (those `keep` allows):
/// ID digits and pinyin as [`crate::search::Index::matches`]; text in the
/// heads' names, and only when no name has it in the addresses. The one
/// meaning of a query, whether the store's indexes answer it or a scan.
pub fn find_scanning<'a, E>(
    summaries: &mut dyn FnMut() -> Box<dyn Iterator<Item = std::result::Result<Summary, E>> + 'a>,
    query: &Query,
    limit: usize,
    keep: &dyn Fn(&Summary) -> bool,
) -> std::result::Result<Found, E> {
    if let Query::Text(t) = query {
        let named = crate::search::find(summaries(), query, limit, &|s| keep(s) && s.head.contains(t.as_str()))?;
        if named.total > 0 {
            return Ok(named);
        }
    }
    crate::search::find(summaries(), query, limit, keep)
}

/// Called with each raw entry of the store: tree, key, value.
pub type RawVisitor<'a> = dyn FnMut(&[u8], &[u8], &[u8]) -> Result<()> + 'a;

/// The data, as one clerk may see and change it.
///
/// Every write returns only once it is on disk (flushed by the process that
/// owns the store). Reads and writes outside the clerk's scope are refused
/// with a Chinese message; so are writes the clerk's role does not allow.
pub trait Backend {
    /// Where the data is, for messages: the store's path, or the server's socket.
    fn describe(&self) -> String;
    /// Who the saves are recorded as, and what they may do.
    fn access(&self) -> Access;
    /// The survey round's settings.
    fn round(&self) -> Round;
    /// A note to show once after opening (a large write that was undone), if any.
    fn note(&self) -> Option<String>;

    // ----- reads -----
    /// Every household's summary in scope, in store-key order.
    fn summaries(&self) -> Result<Vec<Summary>>;
    fn household_count(&self) -> Result<usize>;
    fn get(&self, key: u64) -> Result<Option<LookBack>>;
    fn summary(&self, key: u64) -> Result<Option<Summary>>;
    fn history(&self, key: u64) -> Result<Vec<AuditEntry>>;
    /// Households matching a find-box query, the first `limit` by place and name.
    fn find(&self, query: &Query, limit: usize) -> Result<Found>;
    /// [`Backend::find`] within `within` (a township or a village; clamped to the clerk's places).
    fn find_in(&self, query: &Query, within: &Scope, limit: usize) -> Result<Found> {
        let all = self.summaries()?;
        let access = self.access();
        find_scanning(&mut || Box::new(all.iter().cloned().map(Ok)), query, limit, &|s: &Summary| {
            within.contains(&s.place) && access.sees(&s.place)
        })
    }
    /// Every village in `within` the clerk may see, with its progress counts, in place order.
    fn places(&self, within: &Scope) -> Result<Vec<VillageCounts>> {
        Ok(count_villages(&self.summaries()?, within))
    }
    /// One village's households, ordered by head's name (refused outside the clerk's places).
    fn village(&self, place: &crate::model::Place) -> Result<Vec<Summary>> {
        self.access().check_place(place)?;
        let mut out: Vec<Summary> = self.summaries()?.into_iter().filter(|s| &s.place == place).collect();
        out.sort_by(|a, b| a.head.cmp(&b.head).then(a.key.cmp(&b.key)));
        Ok(out)
    }
    /// The report for `scope` (clamped to the clerk's).
    fn report(&self, scope: &Scope) -> Result<Report>;
    /// Township names with households in scope, sorted.
    fn township_names(&self) -> Result<Vec<String>>;
    /// Every household in `filter` (and scope) with its form, read as the
    /// iterator goes (a million households are never held at once).
    fn rows<'a>(&'a self, filter: &RowFilter) -> Box<dyn Iterator<Item = Result<Row>> + 'a>;
    /// Walks the audit chain.
    fn verify_audit(&self) -> Result<AuditCheck>;
    /// Checks the records against the digest the audit head commits to.
    fn verify_records(&self) -> Result<crate::store::RecordsCheck>;
    /// How many audit entries the store holds.
    fn audit_entries(&self) -> Result<u64>;
    /// Every form definition the store keeps (id and version, TOML text):
    /// what its records were made with. Not personal data: any clerk may read them.
    fn form_definitions(&self) -> Result<Vec<(crate::form::FormRef, String)>>;
    /// Every raw entry of the store (snapshots; 管理 only): tree, key, value.
    fn for_each_raw(&self, visit: &mut RawVisitor<'_>) -> Result<crate::store::bulk::RawCounts>;

    // ----- the handbook (repeating forms) -----
    /// Every entry of household `key`'s members, measures and visits, voided ones included.
    fn entries(&self, key: u64) -> Result<Vec<crate::model::Entry>>;
    /// Adds an entry (audited); returns it as stored, with its number.
    fn add_entry(&self, key: u64, form: &crate::form::FormRef, answers: &Answers) -> Result<crate::model::Entry>;
    /// Saves entry `seq` of form `form` from a screen based on `base` (as
    /// [`Backend::save_draft`] does for the look-back form).
    fn save_entry(&self, key: u64, form: &str, seq: u32, base: Option<&Answers>, answers: &Answers) -> Result<crate::model::Entry>;
    /// Voids an entry with a reason (作废; kept, audited).
    fn void_entry(&self, key: u64, form: &str, seq: u32, reason: &str) -> Result<crate::model::Entry>;

    // ----- the form being edited -----
    /// Loads a household's form for editing and takes its lease when free.
    fn open_form(&self, key: u64) -> Result<Opened>;
    /// Takes over a form another clerk holds (audited).
    fn take_over(&self, key: u64) -> Result<Opened>;
    /// Lets the form go.
    fn close_form(&self, key: u64) -> Result<()>;
    /// Who holds which form now (other than this client).
    fn leases(&self) -> Result<Vec<(u64, LeaseView)>>;

    // ----- writes -----
    /// Saves a draft. `base` is what the clerk's screen was based on: a field
    /// changed on screen that another save changed since is refused, with
    /// both values; fields not changed on screen keep what is stored.
    fn save_draft(&self, key: u64, base: Option<&Answers>, answers: &Answers) -> Result<usize>;
    fn submit(&self, key: u64, base: Option<&Answers>, answers: &Answers, confirmed: &[String]) -> Result<()>;
    fn reopen(&self, key: u64) -> Result<()>;
    fn set_verified(&self, key: u64, verified: bool) -> Result<()>;
    fn correct_section_a(&self, key: u64, code: &str, value: Option<Value>) -> Result<()>;
    /// What an import would do (管理 only).
    fn plan_upsert(&self, rows: &[(crate::model::Place, crate::model::SectionA)]) -> Result<UpsertOutcome>;
    /// Imports roster rows, all or nothing (管理 only).
    fn upsert_households(&self, rows: &[(crate::model::Place, crate::model::SectionA)]) -> Result<UpsertOutcome>;
    /// Inserts complete records (demo data; 管理 only).
    fn insert_records(&self, records: &[LookBack], note: &str) -> Result<Vec<u64>>;
    /// Files a members roster's people under their households (管理 only; see
    /// [`crate::store::Store::upsert_entries`]).
    fn upsert_entries(
        &self,
        form: &crate::form::FormRef,
        rows: &[(String, Answers)],
        dry_run: bool,
    ) -> Result<crate::store::EntriesOutcome>;
    /// Inserts complete handbook entries for households just inserted (demo data; 管理 only).
    fn insert_entries(&self, entries: &[(u64, Vec<crate::model::Entry>)]) -> Result<()>;

    // ----- clerks (管理 only) -----
    fn clerks(&self) -> Result<Vec<Clerk>>;
    fn add_clerk(&self, clerk: &Clerk) -> Result<()>;
    fn remove_clerk(&self, login: &str) -> Result<bool>;

    // ----- the connection -----
    /// Changes pushed since the last call (never blocks).
    fn events(&self) -> Vec<Event> {
        Vec::new()
    }
    /// Whether the data can be reached now; a dropped connection tries to
    /// come back (starting the server again where it may) and says so.
    fn reconnect(&self) -> Result<bool> {
        Ok(true)
    }
    /// Whether the connection is down (the app says so on its status line).
    fn is_disconnected(&self) -> bool {
        false
    }
    /// The report computed on a connection of its own, so that a long one
    /// (a whole city) does not hold up the keys; `None`: compute it in line.
    fn report_in_background(&self, _scope: &Scope) -> Option<std::sync::mpsc::Receiver<Result<Report>>> {
        None
    }
}
