//! The report totals of every village, kept in the same commit as the
//! records they count, so that a report reads one entry per village
//! instead of every household (a million households: milliseconds, not
//! the tens of seconds a scan with every form's rules takes).
//!
//! - `g/h/` key → the household's [`Share`] (what it adds to its village);
//! - `g/v/` township 0 village → that village's [`Totals`];
//! - `m/totals` → a digest of the layout version and of what a share
//!   depends on besides the record (the shipped form and the round), then
//!   the audit sequence number of the last commit that kept them. Only
//!   while the digest matches are the totals read. An open that finds it
//!   missing or different (a store written before the totals, a new
//!   release's form, a restored snapshot), or the audit log gone on past
//!   that number (an older release saved without keeping them), counts
//!   them again from every household.
//!
//! A save takes the household's old share out of its old village and puts
//! the new one in ([`Tx::keep_totals`]). Should taking out ever find a
//! count already at zero, the commit removes the marker: reports go back to
//! reading every household until the next open counts again. No total is
//! ever shown that the records do not give.

use super::{codec, Result, Store, Tx};
use crate::model::{FormState, Place};
use crate::report::{Share, Totals};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// The layout of the kept totals; a release that counts differently raises it.
const TOTALS_VERSION: u32 = 1;
pub(super) const K_TOTALS: &[u8] = b"m/totals";
const PREFIX: &[u8] = b"g/";
const SHARE_PREFIX: &[u8] = b"g/h/";
const VILLAGE_PREFIX: &[u8] = b"g/v/";

fn share_key(key: u64) -> Vec<u8> {
    let mut v = SHARE_PREFIX.to_vec();
    v.extend_from_slice(&key.to_be_bytes());
    v
}

fn village_key(place: &Place) -> Vec<u8> {
    let mut v = VILLAGE_PREFIX.to_vec();
    v.extend_from_slice(place.township.as_bytes());
    v.push(0);
    v.extend_from_slice(place.village.as_bytes());
    v
}

fn place_of(key: &[u8]) -> Option<Place> {
    let rest = std::str::from_utf8(key.strip_prefix(VILLAGE_PREFIX)?).ok()?;
    let (township, village) = rest.split_once('\0')?;
    Some(Place { township: township.to_string(), village: village.to_string() })
}

/// What the kept totals of a store with `round` were counted under.
fn counted_under(round: &crate::form::Round) -> [u8; 32] {
    let mut sha = Sha256::new();
    sha.update(TOTALS_VERSION.to_be_bytes());
    sha.update(crate::form::schema::SHIPPED_TOML.as_bytes());
    sha.update(codec::encode(round));
    sha.finalize().into()
}

/// The marker: [`counted_under`], then the audit sequence number they are kept up to.
fn marker(round: &crate::form::Round, next_seq: u64) -> Vec<u8> {
    let mut v = counted_under(round).to_vec();
    v.extend_from_slice(&next_seq.to_be_bytes());
    v
}

/// What a commit has changed of the kept totals so far.
#[derive(Default)]
pub(super) struct Kept {
    /// Shares written by this commit (a later write of the same household
    /// takes out this one, not the stored one).
    shares: HashMap<u64, Share>,
    /// Every village totals this commit touched, as they now are.
    villages: HashMap<Vec<u8>, Totals>,
    /// A share taken out was not in its village's totals.
    broken: bool,
}

impl Tx<'_> {
    /// Keeps the totals in step with a household's new record: its old
    /// share (none for a new household) out of `previous`'s village, its new
    /// one into `place`'s. Does nothing while the store keeps no totals.
    pub(super) fn keep_totals(&mut self, key: u64, share: Share, previous: Option<&Place>, place: &Place) {
        if !self.store.totals_kept.load(Ordering::SeqCst) {
            return;
        }
        if let Some(prev_place) = previous {
            let old = match self.kept.shares.remove(&key) {
                Some(s) => Some(s),
                None => self.stored::<Share>(&share_key(key)).ok().flatten(),
            };
            match old {
                Some(old) => {
                    let whole = self.village(prev_place).count(&old, false);
                    self.kept.broken |= !whole;
                }
                None => self.kept.broken = true,
            }
        }
        self.kept.broken |= !self.village(place).count(&share, true);
        let bytes = codec::encode(&share);
        if previous.is_some() {
            self.put(share_key(key), bytes);
            self.kept.shares.insert(key, share);
        } else {
            self.put_fresh(share_key(key), bytes);
        }
    }

    /// Queues the touched villages' totals, or, if they went wrong, the
    /// marker's removal (then true). Called once, at the commit.
    pub(super) fn finish_totals(&mut self) -> bool {
        let kept = std::mem::take(&mut self.kept);
        if !self.store.totals_kept.load(Ordering::SeqCst) {
            return false;
        }
        if kept.broken {
            self.del(K_TOTALS.to_vec());
            return true;
        }
        for (k, totals) in kept.villages {
            self.put(k, codec::encode(&totals));
        }
        // Every commit moves the audit log on: the marker goes with it.
        self.put(K_TOTALS.to_vec(), marker(&self.store.round, self.head.next_seq));
        false
    }

    /// A commit that writes as it goes writes each household once: the
    /// shares it has written need not be remembered.
    pub(super) fn forget_shares(&mut self) {
        self.kept.shares.clear();
    }

    fn village(&mut self, place: &Place) -> &mut Totals {
        let k = village_key(place);
        if !self.kept.villages.contains_key(&k) {
            // A village not seen before starts at zero; one that cannot be read breaks them.
            let stored = self.stored::<Totals>(&k);
            self.kept.broken |= stored.is_err();
            self.kept.villages.insert(k.clone(), stored.ok().flatten().unwrap_or_default());
        }
        self.kept.villages.entry(k).or_default()
    }

    /// The value before this commit: `Ok(None)` when absent, `Err` when it
    /// cannot be read.
    fn stored<T: serde::de::DeserializeOwned + 'static>(&self, k: &[u8]) -> std::result::Result<Option<T>, ()> {
        let db = self.store.db().map_err(|_| ())?;
        match db.get(k).map_err(|_| ())? {
            None => Ok(None),
            Some(bytes) => codec::decode(&bytes).map(Some).map_err(|_| ()),
        }
    }
}

impl Store {
    /// The marker as stored: what they were counted under, and the audit
    /// sequence number they are kept up to.
    fn totals_marker(&self) -> Result<Option<([u8; 32], u64)>> {
        let db = self.db().map_err(|e| self.sled_err(e))?;
        let Some(v) = db.get(K_TOTALS).map_err(|e| self.sled_err(e))? else { return Ok(None) };
        let (Some(under), Some(seq)) = (v.get(..32).and_then(|b| b.try_into().ok()), v.get(32..).and_then(super::be_u64)) else {
            return Ok(None);
        };
        Ok(Some((under, seq)))
    }

    /// Whether the kept totals may be read: counted under this release's form and round.
    fn totals_current(&self) -> Result<bool> {
        Ok(self.totals_marker()?.is_some_and(|(under, _)| under == counted_under(&self.round)))
    }

    /// Every village's kept totals (of `township` only, when given), in key
    /// order; `None` when the store keeps none it can vouch for (the caller
    /// then reads every household).
    pub fn village_totals(&self, township: Option<&str>) -> Result<Option<Vec<(Place, Totals)>>> {
        if !self.totals_current()? {
            return Ok(None);
        }
        let mut prefix = VILLAGE_PREFIX.to_vec();
        if let Some(t) = township {
            prefix.extend_from_slice(t.as_bytes());
            prefix.push(0);
        }
        let mut out = Vec::new();
        for item in self.scan_prefix(&prefix) {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            let (Some(place), Ok(totals)) = (place_of(&k), codec::decode::<Totals>(&v)) else { return Ok(None) };
            out.push((place, totals));
        }
        Ok(Some(out))
    }

    /// Counts the totals again from every household when the marker does
    /// not match (see the module doc): the old ones go, every share and
    /// village total is written with plain inserts, flushed, then the
    /// marker. A kill meanwhile leaves no marker, so the next open counts
    /// again. True when it counted.
    pub(super) fn ensure_totals(&self) -> Result<bool> {
        let head = self.head.lock().unwrap_or_else(|p| p.into_inner()).next_seq;
        if self.totals_marker()? == Some((counted_under(&self.round), head)) {
            self.totals_kept.store(true, Ordering::SeqCst);
            return Ok(false);
        }
        self.totals_kept.store(false, Ordering::SeqCst);
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let db = self.db().map_err(|e| self.sled_err(e))?;
        db.remove(K_TOTALS).map_err(|e| self.sled_err(e))?;
        for item in self.scan_prefix(PREFIX) {
            let (k, _) = item.map_err(|e| self.sled_err(e))?;
            db.remove(k).map_err(|e| self.sled_err(e))?;
        }
        let mut villages: HashMap<Vec<u8>, Totals> = HashMap::new();
        for row in self.rows() {
            let row = row?;
            let lb = &row.record;
            let findings = (lb.form.state != FormState::Empty).then(|| lb.findings(&self.round));
            let share = Share::of(lb, &row.summary, findings.as_deref());
            villages.entry(village_key(&lb.household.place)).or_default().count(&share, true);
            db.insert(share_key(row.key), codec::encode(&share)).map_err(|e| self.sled_err(e))?;
        }
        for (k, totals) in villages {
            db.insert(k, codec::encode(&totals)).map_err(|e| self.sled_err(e))?;
        }
        db.flush().map_err(|e| self.sled_err(e))?;
        db.insert(K_TOTALS, marker(&self.round, head)).map_err(|e| self.sled_err(e))?;
        db.flush().map_err(|e| self.sled_err(e))?;
        self.totals_kept.store(true, Ordering::SeqCst);
        Ok(true)
    }

    /// Whether the kept totals hold what their shares add up to, village by
    /// village as many households as the village index lists: a check for
    /// the background reading of the whole store (`check_whole`). True when
    /// the store keeps none. Reads every share and index entry once; runs
    /// no rule.
    pub(super) fn totals_agree(&self) -> Result<bool> {
        if !self.totals_current()? {
            return Ok(true);
        }
        let mut from_shares = Totals::default();
        let mut shares = 0usize;
        for item in self.scan_prefix(SHARE_PREFIX) {
            let (_, v) = item.map_err(|e| self.sled_err(e))?;
            let Ok(share) = codec::decode::<Share>(&v) else { return Ok(false) };
            from_shares.count(&share, true);
            shares += 1;
        }
        let mut kept = Totals::default();
        let Some(villages) = self.village_totals(None)? else { return Ok(true) };
        for (place, totals) in &villages {
            kept.merge(totals);
            let listed = self.scan_prefix(super::village_prefix(place)).count();
            if listed != totals.progress.households {
                return Ok(false);
            }
        }
        Ok(shares == self.household_count()? && same_totals(&from_shares, &kept))
    }

    /// Stops the use of the kept totals until the next open counts them again.
    /// Under the writer lock, so that no commit under way puts the marker back.
    pub(super) fn drop_totals(&self) -> Result<()> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        self.totals_kept.store(false, Ordering::SeqCst);
        let db = self.db().map_err(|e| self.sled_err(e))?;
        db.remove(K_TOTALS).and_then(|_| db.flush()).map_err(|e| self.sled_err(e))?;
        Ok(())
    }

    /// After a commit that removed the marker: stop keeping totals in this handle.
    pub(super) fn totals_dropped(&self) {
        self.totals_kept.store(false, Ordering::SeqCst);
    }
}

/// Equal as figures: warnings compared by kind, whatever order they were first met in.
fn same_totals(a: &Totals, b: &Totals) -> bool {
    let warnings =
        |t: &Totals| -> std::collections::BTreeMap<_, _> { t.figures.warnings.iter().filter(|(_, n)| *n > 0).copied().collect() };
    let bare = |t: &Totals| {
        let mut t = t.clone();
        t.figures.warnings.clear();
        t
    };
    bare(a) == bare(b) && warnings(a) == warnings(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, PlaceScope, Role};
    use crate::demo::{self, Rng};
    use crate::form::Value;
    use crate::model::{Answers, SectionA};
    use crate::report::{self, Report, Scope};

    fn scan(s: &Store, scope: &Scope, access: &Access) -> Report {
        report::compute_by_scan_for(s, scope, access).unwrap()
    }

    /// Every report the kept totals give equals the one a scan gives: the
    /// whole store, each township, one village of each, and a clerk of two villages.
    fn assert_agree(s: &Store) {
        assert!(s.village_totals(None).unwrap().is_some(), "the store keeps its totals");
        let head = s.head.lock().unwrap().next_seq;
        assert_eq!(s.totals_marker().unwrap().map(|(_, seq)| seq), Some(head), "kept up to the last commit: the next open need not count");
        let everywhere = Access::full("t");
        let mut scopes = vec![Scope::default()];
        for t in s.places().unwrap() {
            scopes.push(Scope { township: Some(t.name.clone()), village: None });
            scopes.push(Scope { township: Some(t.name.clone()), village: Some(t.villages[0].name.clone()) });
        }
        for scope in &scopes {
            assert_eq!(report::compute(s, scope).unwrap(), scan(s, scope, &everywhere), "{scope:?}");
        }
        let places = s.places().unwrap();
        let clerk = Access {
            who: "李".into(),
            role: Role::Entry,
            scopes: vec![
                PlaceScope { township: places[0].name.clone(), village: Some(places[0].villages[0].name.clone()) },
                PlaceScope { township: places[0].name.clone(), village: None },
                PlaceScope { township: places[1].name.clone(), village: Some(places[1].villages[0].name.clone()) },
            ],
        };
        for scope in &scopes[..3] {
            assert_eq!(report::compute_for(s, scope, &clerk).unwrap(), scan(s, scope, &clerk), "{scope:?}, a clerk");
        }
    }

    fn demo_store(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db")).unwrap();
        demo::fill(&s, n, 7, |_| {}).unwrap();
        (dir, s)
    }

    #[test]
    fn the_kept_totals_give_what_a_scan_gives_after_every_kind_of_write() {
        let (_dir, s) = demo_store(300);
        assert_agree(&s);
        let mut rng = Rng::new(11);
        let places: Vec<Place> = s.summaries().unwrap().into_iter().map(|x| x.place).collect();
        let mut done = [0usize; 7];
        for round in 0..6 {
            for _ in 0..25 {
                let key = 1 + rng.below(300);
                let lb = s.get(key).unwrap().unwrap();
                let kind = rng.below(7) as usize;
                let ok = match kind {
                    0 => {
                        let mut a: Answers = lb.form.answers.clone();
                        a.insert("C2".into(), Value::Choice(rng.below(4) as u16));
                        a.remove("D5");
                        s.save_draft(key, &a, "t").is_ok()
                    }
                    1 => s.submit(key, &demo::submittable_answers(&"家".repeat(30)), &[], "t").is_ok(),
                    2 => s.reopen(key, "t").is_ok(),
                    3 => s.set_verified(key, !lb.household.verified, "t").is_ok(),
                    4 => {
                        let m = crate::form::value::YearMonth::new(2021, 1 + rng.below(5) as u8).unwrap();
                        let v = lb.household.a.eliminated.is_none().then_some(Value::Month(m));
                        s.correct_section_a(key, "A8", v, "t").is_ok()
                    }
                    5 => {
                        // The roster moves the household to another village.
                        let to = rng.pick(&places).clone();
                        s.upsert_households(&[(to, lb.household.a.clone())], "t").is_ok()
                    }
                    _ => {
                        let a = SectionA { id_number: demo::id_number(10_000 + round * 100 + rng.below(100)), ..lb.household.a.clone() };
                        s.upsert_households(&[(rng.pick(&places).clone(), a)], "t").is_ok()
                    }
                };
                done[kind] += ok as usize;
            }
            assert_agree(&s);
        }
        assert!(done.iter().all(|n| *n > 0), "every kind of write went in at least once: {done:?}");
    }

    #[test]
    fn a_save_by_a_release_that_does_not_keep_them_is_counted_at_the_next_open() {
        let (dir, s) = demo_store(60);
        // As an older release saves: records and audit log, no totals.
        s.totals_kept.store(false, Ordering::SeqCst);
        s.set_verified(3, !s.get(3).unwrap().unwrap().household.verified, "old release").unwrap();
        let open = s.summaries().unwrap().into_iter().find(|x| x.state != FormState::Submitted).unwrap().key;
        s.submit(open, &demo::submittable_answers(&"家".repeat(30)), &[], "old release").unwrap();
        drop(s);
        let s = Store::open(&dir.path().join("db")).unwrap();
        assert_agree(&s);
    }

    #[test]
    fn an_import_written_in_chunks_keeps_them_and_a_cut_one_leaves_them_as_before() {
        let (dir, s) = demo_store(60);
        let places: Vec<Place> = s.summaries().unwrap().into_iter().map(|x| x.place).collect();
        // 600 new households and every old one moved: several chunks (SPILL_WRITES is small in tests).
        let mut rows: Vec<(Place, SectionA)> = s
            .summaries()
            .unwrap()
            .iter()
            .map(|x| (places[(x.key as usize * 7) % places.len()].clone(), s.get(x.key).unwrap().unwrap().household.a))
            .collect();
        let template = rows[0].1.clone();
        rows.extend(
            (0..600).map(|i| {
                (places[i % places.len()].clone(), SectionA { id_number: demo::id_number(50_000 + i as u64), ..template.clone() })
            }),
        );
        let before = report::compute(&s, &Scope::default()).unwrap();
        super::super::tests::KILL_BEFORE_COMMIT.with(|k| k.set(true));
        assert!(s.upsert_households(&rows, "t").is_err());
        super::super::tests::KILL_BEFORE_COMMIT.with(|k| k.set(false));
        drop(s);
        let s = Store::open(&dir.path().join("db")).unwrap();
        assert!(s.recovery_note().is_some());
        assert_eq!(report::compute(&s, &Scope::default()).unwrap(), before, "rolled back with the records");
        assert_agree(&s);
        s.upsert_households(&rows, "t").unwrap();
        assert_eq!(report::compute(&s, &Scope::default()).unwrap().households, 660);
        assert_agree(&s);
    }

    #[test]
    fn a_store_without_them_counts_them_at_open_and_a_wrong_share_stops_their_use() {
        let (dir, s) = demo_store(120);
        let path = dir.path().join("db");
        let want = report::compute_by_scan(&s, &Scope::default()).unwrap();
        {
            // A store written before the totals (or by another release's form): no marker, no g/ keys.
            let db = s.db().unwrap();
            db.remove(K_TOTALS).unwrap();
            for k in db.scan_prefix(PREFIX).keys() {
                db.remove(k.unwrap()).unwrap();
            }
            db.flush().unwrap();
        }
        drop(s);
        let s = Store::open(&path).unwrap();
        assert_eq!(report::compute(&s, &Scope::default()).unwrap(), want);
        assert_agree(&s);
        // A share that went missing behind the program's back: the next save
        // of that household cannot take it out, so the totals are no longer read.
        let key = 5;
        s.db().unwrap().remove(share_key(key)).unwrap();
        s.set_verified(key, !s.get(key).unwrap().unwrap().household.verified, "t").unwrap();
        assert!(s.village_totals(None).unwrap().is_none(), "the marker went with that commit");
        assert_eq!(report::compute(&s, &Scope::default()).unwrap(), report::compute_by_scan(&s, &Scope::default()).unwrap());
        // Later saves in this handle do not keep them; the next open counts again.
        assert!(s.totals_agree().unwrap(), "a store that keeps none has nothing to disagree with");
        s.set_verified(key + 1, true, "t").unwrap();
        drop(s);
        let s = Store::open(&path).unwrap();
        assert_agree(&s);
    }

    #[test]
    fn the_whole_store_check_finds_totals_that_disagree_and_stops_their_use() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db")).unwrap();
        demo::fill(&s, 80, 3, |_| {}).unwrap();
        assert!(s.totals_agree().unwrap());
        assert_eq!(s.check_whole().unwrap(), None);
        assert!(s.village_totals(None).unwrap().is_some());
        // One village's totals edited behind the program's back (or a bug): the
        // check is no damage alarm (the records are whole), but reports go back
        // to reading every household.
        let (place, mut totals) = s.village_totals(None).unwrap().unwrap().remove(0);
        totals.progress.submitted += 1;
        s.db().unwrap().insert(village_key(&place), codec::encode(&totals)).unwrap();
        assert!(!s.totals_agree().unwrap());
        assert_eq!(s.check_whole().unwrap(), None);
        assert!(s.village_totals(None).unwrap().is_none(), "no longer read");
        let scope = Scope::default();
        assert_eq!(report::compute(&s, &scope).unwrap(), report::compute_by_scan(&s, &scope).unwrap());
    }
}
