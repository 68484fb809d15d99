//! [`Local`]: the backend over a sled store held by this process. The
//! store server runs one per connection over its one store, with the
//! connection's clerk and the leases and subscribers all its connections
//! share ([`Shared`]); a command with no server runs one on its own.

use super::{Backend, Event, Found, LeaseView, Opened, RowFilter, VillageCounts};
use crate::access::{Access, Clerk, Role};
use crate::form::{Round, Value};
use crate::model::{Answers, AuditEntry, LookBack, Place, SectionA, Summary, Timestamp};
use crate::report::{Report, Scope};
use crate::search::Query;
use crate::store::browse::SummarySource;
use crate::store::bulk::RawCounts;
use crate::store::{AuditCheck, Result, Row, Store, StoreError, UpsertOutcome};
use std::collections::HashMap;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a form stays held without a save or a key from its holder.
pub const LEASE_IDLE: Duration = Duration::from_secs(15 * 60);

struct Held {
    conn: u64,
    view: LeaseView,
    last: Instant,
}

/// Who holds which household's form: one holder at a time; a hold ends when
/// its connection goes, when it is let go, or after [`Leases::idle`].
pub struct Leases {
    held: Mutex<HashMap<u64, Held>>,
    idle: Duration,
}

impl Leases {
    pub fn new(idle: Duration) -> Leases {
        Leases { held: Mutex::new(HashMap::new()), idle }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Held>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Another connection's live hold on `key`.
    fn other(&self, key: u64, conn: u64) -> Option<LeaseView> {
        self.lock().get(&key).filter(|h| h.conn != conn && h.last.elapsed() < self.idle).map(|h| h.view.clone())
    }

    /// Takes `key` for `conn` unless another live hold has it; `Err` is that hold.
    fn acquire(&self, key: u64, conn: u64, name: &str) -> std::result::Result<bool, LeaseView> {
        let mut held = self.lock();
        match held.get_mut(&key) {
            Some(h) if h.conn != conn && h.last.elapsed() < self.idle => Err(h.view.clone()),
            Some(h) if h.conn == conn => {
                h.last = Instant::now();
                Ok(false)
            }
            _ => {
                held.insert(key, Held { conn, view: LeaseView { name: name.to_string(), since: Timestamp::now() }, last: Instant::now() });
                Ok(true)
            }
        }
    }

    /// Takes `key` for `conn` whoever holds it; the hold it replaced.
    fn take(&self, key: u64, conn: u64, name: &str) -> Option<LeaseView> {
        let new = Held { conn, view: LeaseView { name: name.to_string(), since: Timestamp::now() }, last: Instant::now() };
        self.lock().insert(key, new).filter(|h| h.conn != conn).map(|h| h.view)
    }

    fn touch(&self, key: u64, conn: u64) {
        if let Some(h) = self.lock().get_mut(&key).filter(|h| h.conn == conn) {
            h.last = Instant::now();
        }
    }

    fn release(&self, key: u64, conn: u64) -> bool {
        let mut held = self.lock();
        if held.get(&key).is_some_and(|h| h.conn == conn) {
            held.remove(&key);
            return true;
        }
        false
    }

    /// Ends every hold of a connection that went; the keys it held.
    pub fn release_all(&self, conn: u64) -> Vec<u64> {
        let mut held = self.lock();
        let keys: Vec<u64> = held.iter().filter(|(_, h)| h.conn == conn).map(|(k, _)| *k).collect();
        for k in &keys {
            held.remove(k);
        }
        keys
    }

    /// Ends the holds idle for longer than allowed; their keys.
    pub fn expire(&self) -> Vec<u64> {
        let mut held = self.lock();
        let keys: Vec<u64> = held.iter().filter(|(_, h)| h.last.elapsed() >= self.idle).map(|(k, _)| *k).collect();
        for k in &keys {
            held.remove(k);
        }
        keys
    }

    fn list(&self, conn: u64) -> Vec<(u64, LeaseView)> {
        self.lock().iter().filter(|(_, h)| h.conn != conn && h.last.elapsed() < self.idle).map(|(k, h)| (*k, h.view.clone())).collect()
    }
}

struct Subscriber {
    access: Access,
    tx: SyncSender<Event>,
    /// An event was dropped on a full queue: the next one sent is a reload.
    overflowed: bool,
}

/// What every connection of one server shares: the leases, and who is told of changes.
pub struct Shared {
    pub leases: Leases,
    subscribers: Mutex<HashMap<u64, Subscriber>>,
}

impl Shared {
    pub fn new(lease_idle: Duration) -> Shared {
        Shared { leases: Leases::new(lease_idle), subscribers: Mutex::new(HashMap::new()) }
    }

    pub fn subscribe(&self, conn: u64, access: Access, tx: SyncSender<Event>) {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner()).insert(conn, Subscriber { access, tx, overflowed: false });
    }

    pub fn unsubscribe(&self, conn: u64) {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner()).remove(&conn);
    }

    pub fn connections(&self) -> usize {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Tells every other connection that may see `place` (all of them for `None`).
    pub fn publish(&self, from: u64, place: Option<&Place>, event: Event) {
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        for (conn, sub) in subs.iter_mut() {
            if *conn == from || !place.is_none_or(|p| sub.access.sees(p)) {
                continue;
            }
            // A client that does not read its events is not waited for: it
            // misses them and is told to reload once there is room again.
            let next = if sub.overflowed { Event::Reload } else { event.clone() };
            match sub.tx.try_send(next) {
                Ok(()) => sub.overflowed = false,
                Err(TrySendError::Full(_)) => sub.overflowed = true,
                // A closed channel is a connection on its way out.
                Err(TrySendError::Disconnected(_)) => {}
            }
        }
    }

    /// Tells the others that `key`'s form is held by `holder` now (or free).
    pub fn publish_lease(&self, store: &Store, from: u64, key: u64, holder: Option<LeaseView>) {
        let place = store.summary(key).ok().flatten().map(|s| s.place);
        if let Some(place) = place {
            self.publish(from, Some(&place), Event::Lease { key, holder });
        }
    }
}

/// The backend over a store this process holds.
pub struct Local {
    store: Arc<Store>,
    access: Access,
    conn: u64,
    shared: Arc<Shared>,
}

impl Local {
    /// One program on its own store: everything, recorded as `who`.
    pub fn new(store: Store, who: &str) -> Local {
        Local { store: Arc::new(store), access: Access::full(who), conn: 0, shared: Arc::new(Shared::new(LEASE_IDLE)) }
    }

    /// [`Local::new`] over a store others hold too (tests that also read it directly).
    pub fn shared(store: Arc<Store>, who: &str) -> Local {
        Local { store, access: Access::full(who), conn: 0, shared: Arc::new(Shared::new(LEASE_IDLE)) }
    }

    /// One connection of the store server.
    pub fn for_connection(store: Arc<Store>, access: Access, conn: u64, shared: Arc<Shared>) -> Local {
        Local { store, access, conn, shared }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn check_key(&self, key: u64) -> Result<LookBack> {
        let lb = self.store.get(key)?.ok_or(StoreError::NotFound(key))?;
        self.access.check_place(&lb.household.place)?;
        Ok(lb)
    }

    /// A write to `key`'s form: in scope, allowed, and not held by another clerk.
    fn check_write(&self, key: u64, allowed: &[Role], what: &str) -> Result<LookBack> {
        self.access.check_role(allowed, what)?;
        let lb = self.check_key(key)?;
        if let Some(other) = self.shared.leases.other(key, self.conn) {
            return Err(StoreError::Refused(format!(
                "{}，你的修改没有保存。要接手请在采集表里按接手键（会记入修改记录），或等对方填完",
                other.label()
            )));
        }
        self.shared.leases.touch(key, self.conn);
        Ok(lb)
    }

    /// Tells the other connections what a write changed.
    fn changed(&self, key: u64) {
        if let Ok(Some(s)) = self.store.summary(key) {
            let place = s.place.clone();
            self.shared.publish(self.conn, Some(&place), Event::Changed(s));
        }
    }

    fn in_scope(&self, s: &Summary) -> bool {
        self.access.sees(&s.place)
    }

    /// A find within `within` and the clerk's places: through the store's
    /// indexes (no scan), a village's few hundred households read whole;
    /// text no name has is looked for in the addresses, of `within` only.
    fn find_within(&self, query: &Query, within: &Scope, limit: usize) -> Result<Found> {
        let wanted = |s: &Summary| within.contains(&s.place) && self.in_scope(s);
        if let (Some(t), Some(v)) = (&within.township, &within.village) {
            let place = Place { township: t.clone(), village: v.clone() };
            if !self.access.sees(&place) {
                return Ok(Found::default());
            }
            // In store-key order, as the indexes give them: the same first `limit`.
            let mut rows = self.store.village(&place)?;
            rows.sort_by_key(|s| s.key);
            return super::find_scanning(&mut || Box::new(rows.iter().cloned().map(Ok::<_, StoreError>)), query, limit, &wanted);
        }
        if let Query::IdDigits(d) = query {
            if let Some(key) = self.store.key_of(d)? {
                let shown: Vec<Summary> = self.store.summary(key)?.into_iter().filter(|s| wanted(s)).collect();
                if !shown.is_empty() {
                    return Ok(Found { total: 1, shown });
                }
            }
        }
        if !query.is_ready() {
            return Ok(Found::default());
        }
        let everywhere = self.access.is_everywhere() && within.township.is_none() && within.village.is_none();
        // The store's indexes, kept in the same commit as the records: no scan.
        let keys = match query {
            Query::IdDigits(d) => self.store.keys_by_id_tail(d)?,
            Query::Pinyin(p) => self.store.keys_by_pinyin(p)?,
            Query::Text(t) => self.store.keys_by_name(t)?,
        };
        let mut found = Found::default();
        for key in keys {
            if found.shown.len() >= limit && everywhere {
                found.total += 1;
                continue;
            }
            let Some(s) = self.store.summary(key)? else { continue };
            if !wanted(&s) {
                continue;
            }
            found.total += 1;
            if found.shown.len() < limit {
                found.shown.push(s);
            }
        }
        if found.total == 0 && matches!(query, Query::Text(_)) {
            // Part of an address (no name in reach has it): addresses are not indexed.
            return match &within.township {
                Some(_) => {
                    let mut rows = Vec::new();
                    for v in self.places(within)? {
                        rows.extend(self.store.village(&v.place)?);
                    }
                    rows.sort_by_key(|s| s.key);
                    crate::search::find(rows.into_iter().map(Ok::<_, StoreError>), query, limit, &wanted)
                }
                None => crate::search::find(self.store.summaries_streamed(), query, limit, &wanted),
            };
        }
        found.shown.sort_by(|a, b| a.place.cmp(&b.place).then(a.head.cmp(&b.head)).then(a.key.cmp(&b.key)));
        Ok(found)
    }
}

const EDIT: &[Role] = &[Role::Entry, Role::Admin];
/// Changes past which the summary cache is rewritten after a load.
const CACHE_REWRITE_AFTER: usize = 2_000;

impl Backend for Local {
    fn describe(&self) -> String {
        self.store.path().display().to_string()
    }

    fn access(&self) -> Access {
        self.access.clone()
    }

    fn round(&self) -> Round {
        self.store.round().clone()
    }

    fn note(&self) -> Option<String> {
        self.store.recovery_note()
    }

    fn summaries(&self) -> Result<Vec<Summary>> {
        // The summary cache makes this quick on a large store; it is brought
        // up to date when it lagged far behind.
        let (mut all, source) = self.store.load_summaries()?;
        let stale = match source {
            SummarySource::Scan => true,
            SummarySource::CachePlus(n) => n > CACHE_REWRITE_AFTER,
            SummarySource::Cache => false,
        };
        if stale {
            // Not fatal: the next load is only slower.
            let _ = self.store.write_summary_cache(&all);
        }
        if !self.access.is_everywhere() {
            all.retain(|s| self.in_scope(s));
        }
        Ok(all)
    }

    fn household_count(&self) -> Result<usize> {
        if self.access.is_everywhere() {
            return self.store.household_count();
        }
        let mut n = 0;
        for s in self.store.summaries_streamed() {
            n += usize::from(self.in_scope(&s?));
        }
        Ok(n)
    }

    fn get(&self, key: u64) -> Result<Option<LookBack>> {
        match self.store.get(key)? {
            Some(lb) => {
                self.access.check_place(&lb.household.place)?;
                Ok(Some(lb))
            }
            None => Ok(None),
        }
    }

    fn summary(&self, key: u64) -> Result<Option<Summary>> {
        match self.store.summary(key)? {
            Some(s) => {
                self.access.check_place(&s.place)?;
                Ok(Some(s))
            }
            None => Ok(None),
        }
    }

    fn history(&self, key: u64) -> Result<Vec<AuditEntry>> {
        if key != 0 {
            self.check_key(key)?;
        } else {
            self.access.check_admin("查看全库的修改记录")?;
        }
        self.store.history(key)
    }

    fn find(&self, query: &Query, limit: usize) -> Result<Found> {
        self.find_within(query, &Scope::default(), limit)
    }

    fn find_in(&self, query: &Query, within: &Scope, limit: usize) -> Result<Found> {
        self.find_within(query, within, limit)
    }

    fn places(&self, within: &Scope) -> Result<Vec<VillageCounts>> {
        // The per-village totals kept in the same commit as the records: one
        // entry a village. A store that keeps none it can vouch for is counted.
        let kept = self.store.village_totals(within.township.as_deref())?;
        let mut out: Vec<VillageCounts> = match kept {
            Some(villages) => villages
                .into_iter()
                .filter(|(place, totals)| totals.progress.households > 0 && within.contains(place))
                .map(|(place, totals)| VillageCounts { place, counts: totals.progress })
                .collect(),
            None => {
                let mut all = Vec::new();
                for s in self.store.summaries_streamed() {
                    let s = s?;
                    if within.contains(&s.place) {
                        all.push(s);
                    }
                }
                super::count_villages(&all, within)
            }
        };
        out.retain(|v| self.access.sees(&v.place));
        out.sort_by(|a, b| a.place.cmp(&b.place));
        Ok(out)
    }

    fn village(&self, place: &Place) -> Result<Vec<Summary>> {
        if !self.access.sees(place) {
            return Err(StoreError::Refused(format!(
                "{} {}不在你负责的范围（{}）内，不能查看。如需要，请管理员调整你的范围",
                place.township,
                place.village,
                self.access.scope_label()
            )));
        }
        self.store.village(place)
    }

    fn report(&self, scope: &Scope) -> Result<Report> {
        crate::report::compute_for(&self.store, scope, &self.access)
    }

    fn township_names(&self) -> Result<Vec<String>> {
        let mut names = self.store.township_names()?;
        if !self.access.is_everywhere() {
            names.retain(|t| self.access.scopes.iter().any(|s| &s.township == t));
        }
        Ok(names)
    }

    fn rows<'a>(&'a self, filter: &RowFilter) -> Box<dyn Iterator<Item = Result<Row>> + 'a> {
        let rows: Box<dyn Iterator<Item = Result<Row>>> = match &filter.township {
            Some(t) => Box::new(self.store.rows_in(t, filter.village.as_deref())),
            None => Box::new(self.store.rows()),
        };
        let scope = Scope { township: filter.township.clone(), village: filter.village.clone() };
        let with_entries = filter.entries;
        Box::new(
            rows.filter(move |row| {
                row.as_ref().map_or(true, |row| {
                    let place = &row.record.household.place;
                    scope.contains(place) && self.access.sees(place)
                })
            })
            .map(move |row| {
                let mut row = row?;
                if with_entries {
                    row.entries = self.store.entries(row.key)?;
                }
                Ok(row)
            }),
        )
    }

    fn verify_audit(&self) -> Result<AuditCheck> {
        self.store.verify_audit()
    }

    fn verify_records(&self) -> Result<crate::store::RecordsCheck> {
        self.store.verify_records()
    }

    fn audit_entries(&self) -> Result<u64> {
        Ok(self.store.audit_entries())
    }

    fn form_definitions(&self) -> Result<Vec<(crate::form::FormRef, String)>> {
        let mut out = Vec::new();
        for form in self.store.definitions()? {
            if let Some(text) = self.store.definition_text(&form)? {
                out.push((form, text));
            }
        }
        Ok(out)
    }

    fn for_each_raw(&self, visit: &mut crate::backend::RawVisitor<'_>) -> Result<RawCounts> {
        self.access.check_admin("做整库快照")?;
        self.store.for_each_raw(|t, k, v| visit(t, k, v))
    }

    fn open_form(&self, key: u64) -> Result<Opened> {
        let record = self.check_key(key)?;
        if self.access.role == Role::Review {
            return Ok(Opened { record, held_by: self.shared.leases.other(key, self.conn) });
        }
        match self.shared.leases.acquire(key, self.conn, &self.access.who) {
            Ok(new) => {
                if new {
                    let view = LeaseView { name: self.access.who.clone(), since: Timestamp::now() };
                    self.shared.publish_lease(&self.store, self.conn, key, Some(view));
                }
                Ok(Opened { record, held_by: None })
            }
            Err(other) => Ok(Opened { record, held_by: Some(other) }),
        }
    }

    fn take_over(&self, key: u64) -> Result<Opened> {
        self.access.check_role(EDIT, "接手别人正在填写的采集表")?;
        let record = self.check_key(key)?;
        let before = self.shared.leases.take(key, self.conn, &self.access.who);
        if let Some(before) = &before {
            self.store.audit_event(key, "lease", before.label(), format!("由{}接手", self.access.who), &self.access.who)?;
        }
        let view = LeaseView { name: self.access.who.clone(), since: Timestamp::now() };
        self.shared.publish_lease(&self.store, self.conn, key, Some(view));
        Ok(Opened { record, held_by: None })
    }

    fn close_form(&self, key: u64) -> Result<()> {
        if self.shared.leases.release(key, self.conn) {
            self.shared.publish_lease(&self.store, self.conn, key, None);
        }
        Ok(())
    }

    fn leases(&self) -> Result<Vec<(u64, LeaseView)>> {
        let mut out = self.shared.leases.list(self.conn);
        if !self.access.is_everywhere() {
            out.retain(|(k, _)| self.store.summary(*k).ok().flatten().is_some_and(|s| self.in_scope(&s)));
        }
        Ok(out)
    }

    fn entries(&self, key: u64) -> Result<Vec<crate::model::Entry>> {
        self.check_key(key)?;
        self.store.entries(key)
    }

    fn add_entry(&self, key: u64, form: &crate::form::FormRef, answers: &Answers) -> Result<crate::model::Entry> {
        self.access.check_role(EDIT, "填写监测手册")?;
        self.check_key(key)?;
        self.store.add_entry(key, form, answers, &self.access.who)
    }

    fn save_entry(&self, key: u64, form: &str, seq: u32, base: Option<&Answers>, answers: &Answers) -> Result<crate::model::Entry> {
        self.access.check_role(EDIT, "填写监测手册")?;
        self.check_key(key)?;
        self.store.save_entry(key, form, seq, base, answers, &self.access.who)
    }

    fn void_entry(&self, key: u64, form: &str, seq: u32, reason: &str) -> Result<crate::model::Entry> {
        self.access.check_role(EDIT, "作废监测手册记录")?;
        self.check_key(key)?;
        self.store.void_entry(key, form, seq, reason, &self.access.who)
    }

    fn save_draft(&self, key: u64, base: Option<&Answers>, answers: &Answers) -> Result<usize> {
        self.check_write(key, EDIT, "修改采集表")?;
        let n = self.store.save_draft_on(key, base, answers, &self.access.who)?;
        self.changed(key);
        Ok(n)
    }

    fn submit(&self, key: u64, base: Option<&Answers>, answers: &Answers, confirmed: &[String]) -> Result<()> {
        self.check_write(key, EDIT, "提交采集表")?;
        self.store.submit_on(key, base, answers, confirmed, &self.access.who)?;
        self.changed(key);
        Ok(())
    }

    fn reopen(&self, key: u64) -> Result<()> {
        self.check_write(key, &[Role::Entry, Role::Review, Role::Admin], "重新打开采集表")?;
        self.store.reopen(key, &self.access.who)?;
        self.changed(key);
        Ok(())
    }

    fn set_verified(&self, key: u64, verified: bool) -> Result<()> {
        self.check_write(key, EDIT, "核实基础信息")?;
        self.store.set_verified(key, verified, &self.access.who)?;
        self.changed(key);
        Ok(())
    }

    fn correct_section_a(&self, key: u64, code: &str, value: Option<Value>) -> Result<()> {
        self.check_write(key, EDIT, "更正基础信息")?;
        self.store.correct_section_a(key, code, value, &self.access.who)?;
        self.changed(key);
        Ok(())
    }

    fn plan_upsert(&self, rows: &[(Place, SectionA)]) -> Result<UpsertOutcome> {
        self.access.check_admin("导入名单")?;
        self.store.plan_upsert(rows)
    }

    fn upsert_households(&self, rows: &[(Place, SectionA)]) -> Result<UpsertOutcome> {
        self.access.check_admin("导入名单")?;
        let out = self.store.upsert_households(rows, &self.access.who)?;
        self.shared.publish(self.conn, None, Event::Reload);
        Ok(out)
    }

    fn upsert_entries(
        &self,
        form: &crate::form::FormRef,
        rows: &[(String, Answers)],
        dry_run: bool,
    ) -> Result<crate::store::EntriesOutcome> {
        self.access.check_admin("导入家庭成员名单")?;
        // Members change no summary or count: the other clients need not reload.
        self.store.upsert_entries(form, rows, dry_run, &self.access.who)
    }

    fn insert_entries(&self, entries: &[(u64, Vec<crate::model::Entry>)]) -> Result<()> {
        self.access.check_admin("导入手册记录")?;
        self.store.insert_entries(entries, &self.access.who)
    }

    fn insert_records(&self, records: &[LookBack], note: &str) -> Result<Vec<u64>> {
        self.access.check_admin("写入整批数据")?;
        let keys = self.store.insert_records(records, &self.access.who, note)?;
        self.shared.publish(self.conn, None, Event::Reload);
        Ok(keys)
    }

    fn clerks(&self) -> Result<Vec<Clerk>> {
        self.access.check_admin("查看经办人员名单")?;
        self.store.clerks()
    }

    fn add_clerk(&self, clerk: &Clerk) -> Result<()> {
        self.access.check_admin("登记经办人员")?;
        self.store.put_clerk(clerk, &self.access.who)
    }

    fn remove_clerk(&self, login: &str) -> Result<bool> {
        self.access.check_admin("注销经办人员")?;
        self.store.remove_clerk(login, &self.access.who)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::PlaceScope;

    /// What the scan over every summary finds: the answer the indexes must
    /// give (text, when a name has it, is looked for in names only).
    fn scanned(l: &Local, q: &Query, within: &Scope, limit: usize) -> Found {
        crate::backend::find_scanning(&mut || Box::new(l.store.summaries_streamed()), q, limit, &|s| {
            l.in_scope(s) && within.contains(&s.place)
        })
        .unwrap()
    }

    #[test]
    fn find_through_the_indexes_answers_as_the_scan_did_within_the_clerks_places() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("db")).unwrap());
        crate::demo::fill(&store, 600, 7, |_| {}).unwrap();
        let all = store.summaries().unwrap();
        let one = all[123].clone();
        let village = PlaceScope { township: one.place.township.clone(), village: Some(one.place.village.clone()) };
        let everywhere = Local::shared(store.clone(), "t");
        let scoped = Local::for_connection(
            store.clone(),
            Access { who: "t".into(), role: Role::Entry, scopes: vec![village] },
            1,
            Arc::new(Shared::new(LEASE_IDLE)),
        );
        let township = Scope { township: Some(one.place.township.clone()), village: None };
        let village_scope = Scope { township: Some(one.place.township.clone()), village: Some(one.place.village.clone()) };
        let other = all.iter().find(|s| s.place.township != one.place.township).unwrap();
        let other_township = Scope { township: Some(other.place.township.clone()), village: None };
        let surname: String = one.head.chars().take(1).collect();
        let given: String = one.head.chars().skip(1).collect();
        let (initials, full) = crate::search::pinyin_keys(&one.head);
        let tail = &one.id_number[one.id_number.len() - 4..];
        let queries = [one.head.clone(), surname, given, initials, full[..3].to_string(), tail.to_string(), one.id_number[8..].to_string()];
        for l in [&everywhere, &scoped] {
            for q in &queries {
                let q = Query::parse(q).unwrap();
                for limit in [1, 5, 1000] {
                    let found = l.find(&q, limit).unwrap();
                    assert_eq!(found, scanned(l, &q, &Scope::default(), limit), "{q:?} limit {limit}");
                    assert!(found.total >= 1, "{q:?}");
                    for within in [township.clone(), village_scope.clone(), other_township.clone()] {
                        let found = l.find_in(&q, &within, limit).unwrap();
                        assert_eq!(found, scanned(l, &q, &within, limit), "{q:?} in {within:?} limit {limit}");
                    }
                }
            }
        }
        // Outside the clerk's village: not found, nor counted.
        let elsewhere = all.iter().find(|s| s.place != one.place).unwrap();
        let q = Query::parse(&elsewhere.id_number).unwrap();
        assert_eq!(scoped.find(&q, 5).unwrap().total, 0);
        assert_eq!(everywhere.find(&q, 5).unwrap().total, 1);
        // Part of an address that no name has, within a township.
        let q = Query::parse("组").unwrap();
        for l in [&everywhere, &scoped] {
            for within in [Scope::default(), township.clone(), village_scope.clone()] {
                let found = l.find_in(&q, &within, 7).unwrap();
                assert_eq!(found, scanned(l, &q, &within, 7), "{within:?}");
                assert!(found.total > 0);
            }
        }
    }

    #[test]
    fn places_come_from_the_kept_totals_and_villages_from_the_index_within_the_clerks_places() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("db")).unwrap());
        crate::demo::fill(&store, 600, 7, |_| {}).unwrap();
        let all = store.summaries().unwrap();
        let everywhere = Local::shared(store.clone(), "t");
        let want = crate::backend::count_villages(&all, &Scope::default());
        assert_eq!(everywhere.places(&Scope::default()).unwrap(), want);
        assert!(store.village_totals(None).unwrap().is_some(), "read from the totals, not counted");
        let one = &all[77];
        let village = PlaceScope { township: one.place.township.clone(), village: Some(one.place.village.clone()) };
        let scoped = Local::for_connection(
            store.clone(),
            Access { who: "t".into(), role: Role::Entry, scopes: vec![village] },
            1,
            Arc::new(Shared::new(LEASE_IDLE)),
        );
        let mine = scoped.places(&Scope::default()).unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].place, one.place);
        let rows = scoped.village(&one.place).unwrap();
        assert_eq!(rows.len(), mine[0].counts.households);
        assert!(rows.iter().all(|s| s.place == one.place));
        let elsewhere = all.iter().find(|s| s.place != one.place).unwrap();
        assert!(matches!(scoped.village(&elsewhere.place), Err(StoreError::Refused(_))));
        let t = Scope { township: Some(elsewhere.place.township.clone()), village: None };
        assert!(scoped.places(&t).unwrap().iter().all(|v| v.place == one.place));
    }
}
