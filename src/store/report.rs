//! Streaming reads for reports and lookups: every household is decoded as
//! the scan reaches it and handed on, so a million records are never held
//! at once. No sled type leaves this module.

use super::{be_u64, codec, Result, Store, StoreError};
use crate::model::{FormRecord, Household, LookBack, Summary};
use serde::de::DeserializeOwned;
use std::iter::Peekable;

/// One household as a report reads it: the full record and the summary the
/// lists show (so a report's progress figures agree with the lists').
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub key: u64,
    pub record: LookBack,
    pub summary: Summary,
    /// The household's handbook entries, when the rows were asked for with
    /// them ([`crate::backend::RowFilter::entries`]); empty otherwise.
    pub entries: Vec<crate::model::Entry>,
}

/// The store key that follows a two-byte prefix such as `h/`.
fn key_after_prefix(raw: &[u8]) -> Option<u64> {
    be_u64(raw.get(2..)?)
}

fn decode<T: DeserializeOwned + 'static>(bytes: &[u8], what: &str) -> Result<T> {
    codec::decode(bytes).map_err(|source| StoreError::Decode { what: what.to_string(), source })
}

/// `v/` township 0: the place-index prefix of one township.
fn township_prefix(township: &str) -> Vec<u8> {
    let mut v = b"v/".to_vec();
    v.extend_from_slice(township.as_bytes());
    v.push(0);
    v
}

/// A scan over one key prefix (`f/` or `s/`) that is read in step with the
/// household scan: both are in key order, so finding the entry for a key
/// only ever moves forward.
struct Follower<'a> {
    store: &'a Store,
    scan: Peekable<super::Scan>,
}

impl<'a> Follower<'a> {
    fn new(store: &'a Store, prefix: &[u8]) -> Self {
        Follower { store, scan: store.scan_prefix(prefix).peekable() }
    }

    /// The entry stored under `key`, skipping entries of keys without a household.
    fn take<T: DeserializeOwned + 'static>(&mut self, key: u64, what: &str) -> Result<Option<T>> {
        loop {
            let at = match self.scan.peek() {
                None => return Ok(None),
                Some(Err(_)) => match self.scan.next() {
                    Some(Err(e)) => return Err(self.store.sled_err(e)),
                    _ => continue,
                },
                Some(Ok((k, _))) => key_after_prefix(k),
            };
            match at {
                Some(at) if at > key => return Ok(None),
                Some(at) if at == key => {
                    let Some(Ok((_, v))) = self.scan.next() else { return Ok(None) };
                    return decode(&v, what).map(Some);
                }
                _ => {
                    self.scan.next();
                }
            }
        }
    }
}

impl Store {
    /// Every household with its form and summary, in key order, decoded one
    /// at a time as the scan goes.
    pub fn rows(&self) -> impl Iterator<Item = Result<Row>> + '_ {
        let mut forms = Follower::new(self, b"f/");
        let mut summaries = Follower::new(self, b"s/");
        self.scan_prefix(b"h/").filter_map(move |item| {
            let read = || -> Result<Option<Row>> {
                let (k, v) = item.map_err(|e| self.sled_err(e))?;
                let Some(key) = key_after_prefix(&k) else { return Ok(None) };
                let household: Household = decode(&v, "户信息")?;
                let form: FormRecord = forms.take(key, "采集表")?.unwrap_or_default();
                let summary = summaries.take(key, "户摘要")?;
                Ok(Some(self.row(key, LookBack { household, form }, summary)))
            };
            read().transpose()
        })
    }

    /// The households of one township (and, when given, one of its
    /// villages), through the place index: only their records are read.
    pub fn rows_in<'a>(&'a self, township: &str, village: Option<&str>) -> impl Iterator<Item = Result<Row>> + 'a {
        let mut prefix = township_prefix(township);
        if let Some(v) = village {
            prefix.extend_from_slice(v.as_bytes());
            prefix.push(0);
        }
        self.scan_prefix(prefix).filter_map(move |item| {
            let read = || -> Result<Option<Row>> {
                let (k, _) = item.map_err(|e| self.sled_err(e))?;
                let Some(key) = k.len().checked_sub(8).and_then(|i| be_u64(&k[i..])) else { return Ok(None) };
                let Some(record) = self.get(key)? else { return Ok(None) };
                let summary = self.summary(key)?;
                Ok(Some(self.row(key, record, summary)))
            };
            read().transpose()
        })
    }

    fn row(&self, key: u64, record: LookBack, summary: Option<Summary>) -> Row {
        let summary = summary.unwrap_or_else(|| Summary::of(key, &record, &self.round));
        Row { key, record, summary, entries: Vec::new() }
    }

    /// Every household's summary, in key order, one at a time (for searching
    /// a large store without holding every summary).
    pub fn summaries_streamed(&self) -> impl Iterator<Item = Result<Summary>> + '_ {
        self.scan_prefix(b"s/").map(move |item| item.map_err(|e| self.sled_err(e)).and_then(|(_, v)| decode(&v, "户摘要")))
    }

    /// The names of the townships that have households, sorted; one index
    /// seek per township, whatever the number of households.
    pub fn township_names(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut from = b"v/".to_vec();
        loop {
            let next = self.range(from.clone()..).next().transpose().map_err(|e| self.sled_err(e))?;
            let Some((k, _)) = next else { break };
            let Some(rest) = k.strip_prefix(b"v/") else { break };
            let Some(end) = rest.iter().position(|b| *b == 0) else { break };
            let name = String::from_utf8_lossy(&rest[..end]).into_owned();
            // The next township's entries start after every key of this one.
            from = township_prefix(&name);
            if let Some(last) = from.last_mut() {
                *last = 1;
            }
            out.push(name);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn streams_agree_with_point_reads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        crate::demo::fill(&store, 400, 3, |_| {}).unwrap();
        let rows: Vec<_> = store.rows().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 400);
        for r in &rows {
            assert_eq!(store.get(r.key).unwrap().as_ref(), Some(&r.record));
            assert_eq!(store.summary(r.key).unwrap().as_ref(), Some(&r.summary));
        }
        let summaries: Vec<_> = store.summaries_streamed().collect::<Result<_, _>>().unwrap();
        assert_eq!(summaries, store.summaries().unwrap());

        let names = store.township_names().unwrap();
        let places = store.places().unwrap();
        assert_eq!(names, places.iter().map(|t| t.name.clone()).collect::<Vec<_>>());
        let t = &places[1];
        let in_t: Vec<_> = store.rows_in(&t.name, None).collect::<Result<_, _>>().unwrap();
        assert_eq!(in_t.len(), t.counts.households);
        assert!(in_t.iter().all(|r| r.record.household.place.township == t.name));
        let v = &t.villages[0];
        let in_v = store.rows_in(&t.name, Some(&v.name)).count();
        assert_eq!(in_v, v.counts.households);
        assert_eq!(store.rows_in("没有这个乡", None).count(), 0);
    }
}
