//! The handbook's repeating forms: a household's members, measures and
//! visits, each a list of [`Entry`] records under `e/`.
//!
//! Nothing here is ever removed: an entry is added, changed field by field,
//! or voided (作废) with a reason, and every change is an audit entry in the
//! same commit. An ID number in an entry (a member's 证件号码) is unique in
//! the store: `u/` ID → the entry holding it, checked against the other
//! entries and against every household's 户主 (`i/`).

use super::{be_u64, household_key, Result, Store, StoreError, Tx};
use crate::form::file::Form;
use crate::form::schema::Kind;
use crate::form::{idnum, registry, FormRef};
use crate::model::{Answers, Entry, Household, Voided};

pub(super) const ENTRY_PREFIX: &[u8] = b"e/";

/// What an import of entries did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntriesOutcome {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows (by index) the store could not file, with the reason.
    pub refused: Vec<(usize, String)>,
}
const UNIQUE_PREFIX: &[u8] = b"u/";
/// The longest reason for voiding an entry, in characters.
pub const VOID_REASON_MAX: usize = 200;

/// `e/` key: every entry of one household sorts together, by form then number.
fn entry_key(key: u64, form: &str, seq: u32) -> Vec<u8> {
    let mut v = entry_prefix(key);
    v.extend_from_slice(form.as_bytes());
    v.push(0);
    v.extend_from_slice(&seq.to_be_bytes());
    v
}

fn entry_prefix(key: u64) -> Vec<u8> {
    let mut v = ENTRY_PREFIX.to_vec();
    v.extend_from_slice(&key.to_be_bytes());
    v
}

fn unique_key(id: &str) -> Vec<u8> {
    let mut v = UNIQUE_PREFIX.to_vec();
    v.extend_from_slice(id.as_bytes());
    v
}

/// Where an ID is held: household key, form id, entry number.
fn holder_bytes(key: u64, form: &str, seq: u32) -> Vec<u8> {
    let mut v = key.to_be_bytes().to_vec();
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(form.as_bytes());
    v
}

fn holder_of(bytes: &[u8]) -> Option<(u64, u32, String)> {
    if bytes.len() < 12 {
        return None;
    }
    let key = be_u64(&bytes[..8])?;
    let seq = u32::from_be_bytes(bytes[8..12].try_into().ok()?);
    Some((key, seq, String::from_utf8_lossy(&bytes[12..]).into_owned()))
}

/// The ID numbers an entry's answers hold (fields of the ID kind), normalised.
fn ids_of(form: &Form, answers: &Answers) -> Vec<String> {
    form.fields
        .iter()
        .filter(|f| matches!(f.kind, Kind::IdNumber))
        .filter_map(|f| match answers.get(f.code) {
            Some(crate::form::Value::Text(t)) => idnum::validate(t).ok(),
            _ => None,
        })
        .collect()
}

/// The repeating form `form` names, known to this process.
fn repeating(form: &FormRef) -> Result<&'static Form> {
    match registry::get(form) {
        Some(f) if f.repeating => Ok(f),
        Some(f) => Err(StoreError::Refused(format!("{}不是可以逐条添加的表单", f.title))),
        None => Err(StoreError::Refused(registry::unknown_message(form))),
    }
}

/// Answers without blanks and without codes the form does not have.
fn clean(form: &Form, answers: &Answers) -> Answers {
    answers
        .iter()
        .filter(|(k, v)| form.field(k).is_some() && !v.is_blank())
        .map(|(k, v)| (k.clone(), super::clean_value(form.field(k).expect("filtered"), v)))
        .collect()
}

impl Store {
    /// Every entry of household `key`'s repeating forms (voided ones
    /// included), by form id and number.
    pub fn entries(&self, key: u64) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        for item in self.scan_prefix(entry_prefix(key)) {
            let (_, v) = item.map_err(|e| self.sled_err(e))?;
            out.push(
                super::codec::decode::<Entry>(&v)
                    .map_err(|source| StoreError::Decode { what: format!("第{key}户的手册记录"), source })?,
            );
        }
        Ok(out)
    }

    fn entry(&self, key: u64, form: &str, seq: u32) -> Result<Option<Entry>> {
        self.get_decoded(&entry_key(key, form, seq), "手册记录")
    }

    fn household_of(&self, key: u64) -> Result<Household> {
        self.get_decoded::<Household>(&household_key(key), "户信息")?.ok_or(StoreError::NotFound(key))
    }

    /// Refuses an ID that another household's head or another entry holds.
    fn check_unique(&self, key: u64, form: &str, seq: u32, ids: &[String]) -> Result<()> {
        for id in ids {
            let masked = idnum::mask(id);
            if let Some(other) = self.key_of(id)? {
                if other != key {
                    let who = self.household_of(other).map(|h| format!("{}（{}{}）", h.a.head, h.place.township, h.place.village));
                    return Err(StoreError::Refused(format!(
                        "证件号码{masked}已是另一户{}的户主，不能再登记为本户成员；请核对号码",
                        who.unwrap_or_default()
                    )));
                }
            }
            let held = self.db().and_then(|db| db.get(unique_key(id))).map_err(|e| self.sled_err(e))?;
            if let Some((k, s, f)) = held.as_deref().and_then(holder_of) {
                if (k, s, f.as_str()) != (key, seq, form) {
                    let whose = if k == key {
                        "本户的另一名成员".to_string()
                    } else {
                        self.household_of(k)
                            .map(|h| format!("另一户{}（{}{}）的成员", h.a.head, h.place.township, h.place.village))
                            .unwrap_or_else(|_| "另一户的成员".into())
                    };
                    return Err(StoreError::Refused(format!("证件号码{masked}已登记为{whose}，不能重复登记；请核对号码")));
                }
            }
        }
        Ok(())
    }

    /// Keeps `u/` in step with an entry's IDs before and after a change.
    fn index_ids(tx: &mut Tx<'_>, key: u64, form: &str, seq: u32, before: &[String], after: &[String]) {
        for id in before.iter().filter(|i| !after.contains(i)) {
            tx.del(unique_key(id));
        }
        for id in after.iter().filter(|i| !before.contains(i)) {
            tx.put(unique_key(id), holder_bytes(key, form, seq));
        }
    }

    /// Adds an entry to household `key`'s repeating form `form`; returns it
    /// as stored (its number is the next one of that form).
    pub fn add_entry(&self, key: u64, form: &FormRef, answers: &Answers, who: &str) -> Result<Entry> {
        let def = repeating(form)?;
        super::check_text_sizes(def, answers)?;
        let (_g, mut tx) = self.begin(who)?;
        self.household_of(key)?;
        let seq = self.entries(key)?.iter().filter(|e| e.form.id == def.id).map(|e| e.seq).max().unwrap_or(0) + 1;
        let answers = clean(def, answers);
        let ids = ids_of(def, &answers);
        self.check_unique(key, def.id, seq, &ids)?;
        let entry = Entry { form: form.clone(), seq, answers, voided: None, created_at: tx.at, saved_at: tx.at, saved_by: who.to_string() };
        tx.audit(key, &entry.audit_field("new"), String::new(), format!("新增{}", entry.label()));
        for (code, v) in &entry.answers {
            if let Some(f) = def.field(code) {
                tx.audit(key, &entry.audit_field(code), String::new(), crate::form::rules::display_value(f, v));
            }
        }
        Self::index_ids(&mut tx, key, def.id, seq, &[], &ids);
        tx.keep_definition(form)?;
        tx.put_fresh(entry_key(key, def.id, seq), super::codec::encode(&entry));
        tx.commit()?;
        Ok(entry)
    }

    /// Saves entry `seq` of `form`. `base` is what the clerk's screen was
    /// based on: a field changed on screen that another save changed since
    /// is refused with both values; fields not changed on screen keep what
    /// is stored. A voided entry cannot be changed.
    pub fn save_entry(&self, key: u64, form: &str, seq: u32, base: Option<&Answers>, answers: &Answers, who: &str) -> Result<Entry> {
        let (_g, mut tx) = self.begin(who)?;
        let old = self.entry(key, form, seq)?.ok_or_else(|| StoreError::Refused(format!("第{key}户没有{form}第{seq}条记录")))?;
        let def = repeating(&old.form)?;
        super::check_text_sizes(def, answers)?;
        if old.voided.is_some() {
            return Err(StoreError::Refused(format!("{}已作废，不能再修改；如需要请新增一条", old.label())));
        }
        let answers = clean(def, answers);
        let mut merged = old.answers.clone();
        for f in def.fields {
            let (now, was) = (answers.get(f.code), base.map_or(old.answers.get(f.code), |b| b.get(f.code)));
            if now == was {
                continue; // not changed on screen: what is stored stays
            }
            let stored = old.answers.get(f.code);
            if base.is_some() && stored != was && stored != now {
                let show =
                    |v: Option<&crate::form::Value>| v.map(|v| crate::form::rules::display_value(f, v)).unwrap_or_else(|| "（空）".into());
                return Err(StoreError::Conflict(format!(
                    "{}的{}刚被别人改成“{}”，你改的是“{}”；请看过后再改",
                    old.label(),
                    f.label,
                    show(stored),
                    show(now)
                )));
            }
            match now {
                Some(v) => merged.insert(f.code.to_string(), v.clone()),
                None => merged.remove(f.code),
            };
        }
        if merged == old.answers {
            return Ok(old);
        }
        let (before, after) = (ids_of(def, &old.answers), ids_of(def, &merged));
        self.check_unique(key, def.id, seq, &after)?;
        for f in def.fields {
            let (o, n) = (old.answers.get(f.code), merged.get(f.code));
            if o != n {
                let show = |v: Option<&crate::form::Value>| v.map(|v| crate::form::rules::display_value(f, v)).unwrap_or_default();
                tx.audit(key, &old.audit_field(f.code), show(o), show(n));
            }
        }
        Self::index_ids(&mut tx, key, def.id, seq, &before, &after);
        let entry = Entry { answers: merged, saved_at: tx.at, saved_by: who.to_string(), ..old };
        tx.put(entry_key(key, def.id, seq), super::codec::encode(&entry));
        tx.commit()?;
        Ok(entry)
    }

    /// Voids entry `seq` of `form` with a reason (required): it stays in
    /// the list and the history, shown as 作废, and its ID numbers are free again.
    pub fn void_entry(&self, key: u64, form: &str, seq: u32, reason: &str, who: &str) -> Result<Entry> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Refused("作废要写明原因（如“重复录入”“号码录错，已另录”）".into()));
        }
        if reason.chars().count() > VOID_REASON_MAX {
            return Err(StoreError::Refused(format!("作废原因最多{VOID_REASON_MAX}个字")));
        }
        let (_g, mut tx) = self.begin(who)?;
        let old = self.entry(key, form, seq)?.ok_or_else(|| StoreError::Refused(format!("第{key}户没有{form}第{seq}条记录")))?;
        if old.voided.is_some() {
            return Err(StoreError::Refused(format!("{}已经作废了", old.label())));
        }
        let ids = old.definition().map(|d| ids_of(d, &old.answers)).unwrap_or_default();
        Self::index_ids(&mut tx, key, form, seq, &ids, &[]);
        tx.audit(key, &old.audit_field("voided"), String::new(), format!("作废：{reason}"));
        let entry = Entry { voided: Some(Voided { reason: reason.to_string(), at: tx.at, by: who.to_string() }), ..old };
        tx.put(entry_key(key, form, seq), super::codec::encode(&entry));
        tx.commit()?;
        Ok(entry)
    }

    /// Inserts complete entries for new households (demo data) in one
    /// commit, audited as one act.
    pub fn insert_entries(&self, entries: &[(u64, Vec<Entry>)], who: &str) -> Result<()> {
        let (_g, mut tx) = self.begin(who)?;
        let mut count = 0;
        for (key, list) in entries {
            self.household_of(*key)?;
            count += list.len();
            if list.is_empty() {
                continue;
            }
            let mut forms = std::collections::BTreeSet::new();
            for e in list {
                let def = repeating(&e.form)?;
                if forms.insert(e.form.clone()) {
                    tx.keep_definition(&e.form)?;
                }
                let ids = ids_of(def, &e.answers);
                if e.voided.is_none() {
                    Self::index_ids(&mut tx, *key, def.id, e.seq, &[], &ids);
                }
                tx.put(entry_key(*key, def.id, e.seq), super::codec::encode(e));
            }
        }
        if count > 0 {
            tx.audit(0, "handbook", String::new(), format!("{}户的监测手册记录{count}条（演示数据）", entries.len()));
        }
        tx.commit()
    }

    /// Files people of a members roster (household head's ID, answers)
    /// under their households, all in one commit: a person whose ID is
    /// already a member of that household is updated (each change audited),
    /// anyone else is added. Rows that cannot be filed (no household with
    /// that head's ID, an ID that is another household's) are refused with
    /// the reason, by index; nothing is written for a dry run.
    pub fn upsert_entries(&self, form: &FormRef, rows: &[(String, Answers)], dry_run: bool, who: &str) -> Result<EntriesOutcome> {
        let def = repeating(form)?;
        let (_g, mut tx) = self.begin(who)?;
        let mut out = EntriesOutcome::default();
        let mut next: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
        // An ID filed by an earlier row of this batch (the roster reader refuses
        // a person twice, but a request over the socket need not come from it).
        let mut filed: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut adds: Vec<(u64, Entry)> = Vec::new();
        for (i, (head, answers)) in rows.iter().enumerate() {
            let Some(key) = self.key_of(head)? else {
                out.refused.push((i, format!("数据库中没有户主证件号码为{}的户，请先导入户的名单或核对号码", idnum::mask(head))));
                continue;
            };
            let answers = clean(def, answers);
            let ids = ids_of(def, &answers);
            if let Some(first) = ids.iter().find_map(|id| filed.get(id)) {
                out.refused.push((i, format!("与第{}条是同一个证件号码，同一个人只能登记一次", first + 1)));
                continue;
            }
            for id in &ids {
                filed.insert(id.clone(), i);
            }
            // The same person already in this household: update.
            let existing = match ids.first() {
                Some(id) => {
                    let held = self.db().and_then(|db| db.get(unique_key(id))).map_err(|e| self.sled_err(e))?;
                    held.as_deref().and_then(holder_of).filter(|(k, _, f)| *k == key && f == def.id)
                }
                None => None,
            };
            if let Some((_, seq, _)) = existing {
                let Some(old) = self.entry(key, def.id, seq)? else { continue };
                if old.answers == answers {
                    out.unchanged += 1;
                    continue;
                }
                for f in def.fields {
                    let (o, n) = (old.answers.get(f.code), answers.get(f.code));
                    if o != n {
                        let show = |v: Option<&crate::form::Value>| v.map(|v| crate::form::rules::display_value(f, v)).unwrap_or_default();
                        tx.audit(key, &old.audit_field(f.code), show(o), show(n));
                    }
                }
                let entry = Entry { answers, saved_at: tx.at, saved_by: who.to_string(), ..old };
                tx.put(entry_key(key, def.id, seq), super::codec::encode(&entry));
                out.updated += 1;
                continue;
            }
            if let Err(StoreError::Refused(why)) = self.check_unique(key, def.id, 0, &ids) {
                out.refused.push((i, why));
                continue;
            }
            let seq = match next.get(&key) {
                Some(s) => *s,
                None => self.entries(key)?.iter().filter(|e| e.form.id == def.id).map(|e| e.seq).max().unwrap_or(0) + 1,
            };
            next.insert(key, seq + 1);
            let entry =
                Entry { form: form.clone(), seq, answers, voided: None, created_at: tx.at, saved_at: tx.at, saved_by: who.to_string() };
            tx.audit(key, &entry.audit_field("new"), String::new(), format!("导入{}", entry.label()));
            Self::index_ids(&mut tx, key, def.id, seq, &[], &ids);
            adds.push((key, entry));
            out.added += 1;
        }
        if dry_run || (out.added == 0 && out.updated == 0) {
            return Ok(out);
        }
        tx.keep_definition(form)?;
        for (key, entry) in adds {
            tx.put_fresh(entry_key(key, def.id, entry.seq), super::codec::encode(&entry));
        }
        tx.commit()?;
        Ok(out)
    }

    /// Households whose entries hold this ID number (a member), for lookups.
    pub fn entry_holding(&self, id_number: &str) -> Result<Option<(u64, String, u32)>> {
        let Ok(id) = idnum::validate(id_number) else { return Ok(None) };
        let held = self.db().and_then(|db| db.get(unique_key(&id))).map_err(|e| self.sled_err(e))?;
        Ok(held.as_deref().and_then(holder_of).map(|(k, s, f)| (k, f, s)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{RecordsCheck, Store};
    use crate::form::schema::handbook_form;
    use crate::form::value::{Day, YearMonth};
    use crate::form::{rules, Round, Value};
    use crate::model::{Answers, Place, SectionA};
    use crate::store::StoreError;

    const ID1: &str = "11010519491231002X";

    fn id(prefix17: &str) -> String {
        crate::form::idnum::complete(prefix17).unwrap()
    }

    fn store_with_two() -> (tempfile::TempDir, Store, u64, u64) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db")).unwrap();
        let a = |id: &str, head: &str| SectionA {
            address: "石盘乡石盘村1组".into(),
            head: head.into(),
            id_number: id.into(),
            size: 3,
            category: 1,
            enrol_risk: 0,
            enrolled: YearMonth::new(2020, 5).unwrap(),
            eliminated: None,
        };
        let p = Place { township: "石盘乡".into(), village: "石盘村".into() };
        s.upsert_households(&[(p.clone(), a(ID1, "张三")), (p, a(&id("50024319800101123"), "李四"))], "t").unwrap();
        let keys: Vec<u64> = s.summaries().unwrap().iter().map(|x| x.key).collect();
        (dir, s, keys[0], keys[1])
    }

    fn member(name: &str, relation: u16, id: &str) -> Answers {
        let mut m = Answers::new();
        m.insert("M1".into(), Value::Text(name.into()));
        m.insert("M2".into(), Value::Choice(relation));
        m.insert("M3".into(), Value::Text(id.into()));
        for (c, v) in [("M4", 0), ("M5", 1), ("M6", 0), ("M7", 0)] {
            m.insert(c.into(), Value::Choice(v));
        }
        m
    }

    #[test]
    fn entries_are_added_changed_and_voided_never_removed_and_every_change_is_audited() {
        let (_d, s, k1, _) = store_with_two();
        let members = handbook_form("members").unwrap().reference();
        let head = s.add_entry(k1, &members, &member("张三", 0, ID1), "clerk").unwrap();
        assert_eq!(head.seq, 1);
        let wife = s.add_entry(k1, &members, &member("王芳", 1, &id("11010519520101002")), "clerk").unwrap();
        assert_eq!(wife.seq, 2);
        let round = Round::default();
        let a = s.get(k1).unwrap().unwrap().household.a;
        assert!(wife.findings(&a, &round).is_empty(), "{:?}", wife.findings(&a, &round));

        let mut changed = wife.answers.clone();
        changed.insert("M4".into(), Value::Choice(1));
        let saved = s.save_entry(k1, "members", 2, Some(&wife.answers), &changed, "clerk").unwrap();
        assert_eq!(saved.answers.get("M4"), Some(&Value::Choice(1)));

        // Voiding needs a reason; the entry stays, shown as voided, and cannot change.
        assert!(matches!(s.void_entry(k1, "members", 2, "  ", "clerk"), Err(StoreError::Refused(_))));
        let voided = s.void_entry(k1, "members", 2, "重复录入", "clerk").unwrap();
        assert_eq!(voided.voided.as_ref().map(|v| v.reason.as_str()), Some("重复录入"));
        assert!(s.save_entry(k1, "members", 2, None, &changed, "clerk").is_err());
        let all = s.entries(k1).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[1].voided.is_some());
        // A new entry after a void gets the next number, never a reused one.
        let again = s.add_entry(k1, &members, &member("王芳", 1, &id("11010519520101002")), "clerk").unwrap();
        assert_eq!(again.seq, 3, "the voided entry's ID is free again");

        let hist = s.history(k1).unwrap();
        let fields: Vec<&str> = hist.iter().map(|h| h.field.as_str()).collect();
        assert!(fields.contains(&"members#2 M4"), "{fields:?}");
        assert!(fields.contains(&"members#2 voided"));
        assert!(hist.iter().any(|h| h.field == "members#2 voided" && h.new.contains("重复录入")));
        // The records digest covers the entries: audit verify agrees.
        assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
    }

    /// A batch of people sent over the socket with one ID twice files it
    /// once: the second row is refused, as the roster reader would.
    #[test]
    fn one_id_twice_in_a_batch_is_filed_once() {
        let (_d, s, k1, _) = store_with_two();
        let members = handbook_form("members").unwrap().reference();
        let child = id("11010520100101003");
        let rows = vec![(ID1.to_string(), member("张小", 2, &child)), (ID1.to_string(), member("张小", 2, &child))];
        let out = s.upsert_entries(&members, &rows, false, "t").unwrap();
        assert_eq!(out.added, 1);
        assert_eq!(out.refused.len(), 1);
        assert_eq!(out.refused[0].0, 1);
        assert!(out.refused[0].1.contains("同一个证件号码"), "{:?}", out.refused);
        assert_eq!(s.entries(k1).unwrap().len(), 1);
    }

    /// An entry changed behind the program's back is found by `audit verify`.
    #[test]
    fn an_entry_edited_outside_the_program_breaks_the_records_digest() {
        let (_d, s, k1, _) = store_with_two();
        let members = handbook_form("members").unwrap().reference();
        s.add_entry(k1, &members, &member("张三", 0, ID1), "clerk").unwrap();
        assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
        let db = s.db().unwrap();
        let (k, v) = db.scan_prefix(super::ENTRY_PREFIX).next().unwrap().unwrap();
        let mut e: crate::model::Entry = super::super::codec::decode(&v).unwrap();
        e.answers.insert("M1".into(), Value::Text("李四".into()));
        db.insert(k, super::super::codec::encode(&e)).unwrap();
        db.flush().unwrap();
        assert_eq!(s.verify_records().unwrap(), RecordsCheck::RecordsDiffer);
    }

    #[test]
    fn an_id_number_belongs_to_one_person_in_the_store() {
        let (_d, s, k1, k2) = store_with_two();
        let members = handbook_form("members").unwrap().reference();
        s.add_entry(k1, &members, &member("张三", 0, ID1), "clerk").unwrap();
        // The head of household 1 cannot be a member of household 2.
        let err = s.add_entry(k2, &members, &member("张三", 2, ID1), "clerk").unwrap_err().to_string();
        assert!(err.contains("另一户") && err.contains("户主"), "{err}");
        let child = id("11010520100101003");
        s.add_entry(k1, &members, &member("张小", 2, &child), "clerk").unwrap();
        let err = s.add_entry(k2, &members, &member("张小", 2, &child), "clerk").unwrap_err().to_string();
        assert!(err.contains("另一户张三") && err.contains("成员"), "{err}");
        let err = s.add_entry(k1, &members, &member("张小", 2, &child), "clerk").unwrap_err().to_string();
        assert!(err.contains("本户的另一名成员"), "{err}");
        // Changing a member's ID moves the index: the old number is free again.
        let e = s.entries(k1).unwrap().into_iter().find(|e| e.seq == 2).unwrap();
        let mut m = e.answers.clone();
        let other = id("11010520120101004");
        m.insert("M3".into(), Value::Text(other.clone()));
        s.save_entry(k1, "members", 2, Some(&e.answers), &m, "clerk").unwrap();
        s.add_entry(k2, &members, &member("李小", 2, &child), "clerk").unwrap();
        assert_eq!(s.entry_holding(&other).unwrap().map(|h| h.0), Some(k1));
    }

    #[test]
    fn a_stale_save_is_refused_with_both_values_and_unchanged_fields_merge() {
        let (_d, s, k1, _) = store_with_two();
        let visits = handbook_form("visits").unwrap().reference();
        let mut v = Answers::new();
        v.insert("V1".into(), Value::Date(Day::new(2021, 4, 8).unwrap()));
        v.insert("V2".into(), Value::List(vec!["王五".into()]));
        v.insert("V3".into(), Value::Choice(0));
        v.insert("V4".into(), Value::Text("入户了解到户主住院，家中收入减少".into()));
        let e = s.add_entry(k1, &visits, &v, "a").unwrap();
        let mut mine = e.answers.clone();
        mine.insert("V6".into(), Value::Text("联系医保局".into()));
        let mut theirs = e.answers.clone();
        theirs.insert("V6".into(), Value::Text("申请临时救助".into()));
        theirs.insert("V3".into(), Value::Choice(1));
        s.save_entry(k1, "visits", 1, Some(&e.answers), &theirs, "b").unwrap();
        let err = s.save_entry(k1, "visits", 1, Some(&e.answers), &mine, "a").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StoreError::Conflict(_)) && msg.contains("申请临时救助") && msg.contains("联系医保局"), "{msg}");
        // A field the other clerk did not touch merges.
        let mut other = e.answers.clone();
        other.insert("V5".into(), Value::Multi(vec![0]));
        let merged = s.save_entry(k1, "visits", 1, Some(&e.answers), &other, "a").unwrap();
        assert_eq!(merged.answers.get("V3"), Some(&Value::Choice(1)), "theirs kept");
        assert_eq!(merged.answers.get("V5"), Some(&Value::Multi(vec![0])), "mine added");
    }

    #[test]
    fn entry_rules_read_the_household_and_the_clock() {
        let (_d, s, k1, _) = store_with_two();
        let a = s.get(k1).unwrap().unwrap().household.a;
        let form = handbook_form("visits").unwrap();
        let mut v = Answers::new();
        v.insert("V1".into(), Value::Date(Day::new(2019, 4, 8).unwrap()));
        let view = crate::model::View { a: &a, answers: &v };
        let f = rules::validate_in(form, &view, &Round::default());
        assert!(f.iter().any(|x| x.code == "V1" && x.message.contains("纳入系统时间")), "{f:?}");
        let tomorrow = Day::from_naive(Day::today().naive() + chrono::Duration::days(1)).unwrap();
        v.insert("V1".into(), Value::Date(tomorrow));
        v.insert("V7".into(), Value::Date(Day::new(2021, 1, 1).unwrap()));
        let view = crate::model::View { a: &a, answers: &v };
        let f = rules::validate_in(form, &view, &Round::default());
        assert!(f.iter().any(|x| x.code == "V1" && x.message.contains("晚于今天")), "{f:?}");
        assert!(f.iter().any(|x| x.code == "V7" && x.message.contains("应晚于走访日期")), "{f:?}");
        // A form that is not repeating, or unknown, takes no entries.
        let look_back = crate::form::schema::shipped().reference();
        assert!(s.add_entry(k1, &look_back, &v, "a").is_err());
    }
}
