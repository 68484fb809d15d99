use super::*;
use crate::form::value::YearMonth;
use crate::model::Place;

fn section_a(id: &str, head: &str) -> SectionA {
    SectionA {
        address: "石盘乡石盘村1组".into(),
        head: head.into(),
        id_number: id.into(),
        size: 3,
        category: 1,
        enrol_risk: 0,
        enrolled: YearMonth::new(2020, 5).unwrap(),
        eliminated: None,
    }
}

fn place(v: &str) -> Place {
    Place { township: "石盘乡".into(), village: v.into() }
}

const ID1: &str = "11010519491231002X";

fn id2() -> String {
    crate::form::idnum::complete("50024319800101123").unwrap()
}

#[test]
fn upsert_list_get_and_reimport_keeps_answers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    let out = s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三")), (place("龙门村"), section_a(&id2(), "李四"))], "t").unwrap();
    assert_eq!(out, UpsertOutcome { added: 2, updated: 0, unchanged: 0 });
    let places = s.places().unwrap();
    assert_eq!(places.len(), 1);
    assert_eq!(places[0].villages.len(), 2);
    assert_eq!(places[0].counts.households, 2);
    let v = s.village(&place("石盘村")).unwrap();
    assert_eq!(v.len(), 1);
    let key = v[0].key;
    assert_eq!(s.key_of(ID1).unwrap(), Some(key));

    let mut answers = Answers::new();
    answers.insert("B1".into(), Value::Bool(false));
    assert_eq!(s.save_draft(key, &answers, "clerk").unwrap(), 1);
    let lb = s.get(key).unwrap().unwrap();
    assert_eq!(lb.form.state, FormState::Draft);
    assert_eq!(lb.form.saved_by.as_deref(), Some("clerk"));

    // Re-import with a changed size: answers stay, change audited, then idempotent.
    let mut a = section_a(ID1, "张三");
    a.size = 5;
    let out = s.upsert_households(&[(place("石盘村"), a.clone())], "t").unwrap();
    assert_eq!(out.updated, 1);
    let out = s.upsert_households(&[(place("石盘村"), a)], "t").unwrap();
    assert_eq!(out, UpsertOutcome { added: 0, updated: 0, unchanged: 1 });
    let lb = s.get(key).unwrap().unwrap();
    assert_eq!(lb.household.a.size, 5);
    assert_eq!(lb.form.answers.get("B1"), Some(&Value::Bool(false)));
    let hist = s.history(key).unwrap();
    let fields: Vec<_> = hist.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["import", "B1", "state", "A4"]);
    assert_eq!(hist[3].old, "3");
    assert_eq!(hist[3].new, "5");
    assert_eq!(s.verify_audit().unwrap(), AuditCheck { entries: 5, first_broken: None });
}

#[test]
fn submit_refuses_errors_and_unconfirmed_warnings_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三"))], "t").unwrap();
    let key = s.key_of(ID1).unwrap().unwrap();
    let mut answers: Answers = crate::form::rules::tests::clean_not_eliminated().into_iter().filter(|(k, _)| !k.starts_with('A')).collect();
    answers.remove("D7");
    let e = s.submit(key, &answers, &[], "c").unwrap_err().to_string();
    assert!(e.contains("D7"), "{e}");
    answers.insert("D7".into(), Value::Text("家".repeat(30)));
    answers.insert("C1".into(), Value::Bool(true));
    let e = s.submit(key, &answers, &[], "c").unwrap_err().to_string();
    assert!(e.contains("新四类"), "{e}");
    s.submit(key, &answers, &["new_four_kinds".into()], "c").unwrap();
    assert_eq!(s.get(key).unwrap().unwrap().form.state, FormState::Submitted);
    assert!(s.save_draft(key, &answers, "c").is_err(), "submitted needs reopen");
    s.reopen(key, "c").unwrap();
    assert_eq!(s.get(key).unwrap().unwrap().form.state, FormState::Draft);
    let last = s.history(key).unwrap().pop().unwrap();
    assert_eq!(last.field, "state");
}

#[test]
fn correct_section_a_validates_and_audits() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三")), (place("石盘村"), section_a(&id2(), "李四"))], "t").unwrap();
    let key = s.key_of(ID1).unwrap().unwrap();
    assert!(s.correct_section_a(key, "A4", Some(Value::Int(0)), "c").is_err());
    assert!(s.correct_section_a(key, "A3", Some(Value::Text(id2())), "c").is_err(), "duplicate id");
    s.correct_section_a(key, "A2", Some(Value::Text("张叁".into())), "c").unwrap();
    assert_eq!(s.get(key).unwrap().unwrap().household.a.head, "张叁");
    let e = s.history(key).unwrap().pop().unwrap();
    assert_eq!((e.field.as_str(), e.old.as_str(), e.new.as_str()), ("A2", "张三", "张叁"));
    s.set_verified(key, true, "c").unwrap();
    assert!(s.summary(key).unwrap().unwrap().verified);
}

#[test]
fn reopen_persists_across_processes_and_second_open_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let s = Store::open(&path).unwrap();
        s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三"))], "t").unwrap();
        let err = match Store::open(&path) {
            Err(e) => e,
            Ok(_) => panic!("second open must fail"),
        };
        let msg = err.to_string();
        assert!(matches!(err, StoreError::Locked { .. }), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains(&std::process::id().to_string()), "{msg}");
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.household_count().unwrap(), 1);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

/// The server's background check of the whole store: quiet on a sound
/// store, names the link on an edited audit entry and the records on an
/// edited record.
#[test]
fn check_whole_finds_edits_behind_the_programs_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三")), (place("石盘村"), section_a(&id2(), "李四"))], "t").unwrap();
    let key = s.key_of(ID1).unwrap().unwrap();
    s.set_verified(key, true, "c").unwrap();
    assert_eq!(s.check_whole().unwrap(), None);
    let db = s.db().unwrap();
    let rec_key = [&b"h/"[..], &key.to_be_bytes()].concat();
    let mut bytes = db.get(&rec_key).unwrap().expect("the household's record").to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    db.insert(&rec_key, bytes).unwrap();
    let problem = s.check_whole().unwrap().expect("an edited record is found");
    assert!(problem.contains("摘要对不上"), "{problem}");
    let mut e: AuditEntry = codec::decode(&db.get(audit_key(1)).unwrap().unwrap()).unwrap();
    e.who = "mallory".into();
    db.insert(audit_key(1), codec::encode(&e)).unwrap();
    let problem = s.check_whole().unwrap().expect("an edited audit entry is found");
    assert!(problem.contains("第2条"), "{problem}");
}

#[test]
fn audit_chain_detects_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三")), (place("石盘村"), section_a(&id2(), "李四"))], "t").unwrap();
    let key = s.key_of(ID1).unwrap().unwrap();
    s.set_verified(key, true, "c").unwrap();
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
    // Change entry 1 behind the program's back.
    let mut e: AuditEntry = codec::decode(&s.db().unwrap().get(audit_key(1)).unwrap().unwrap()).unwrap();
    e.who = "mallory".into();
    s.db().unwrap().insert(audit_key(1), codec::encode(&e)).unwrap();
    assert_eq!(s.verify_audit().unwrap().first_broken, Some(2));
}

#[test]
fn blank_old_answers_are_not_audited_as_changes() {
    let household =
        Household { place: place("石盘村"), a: section_a(ID1, "张三"), verified: false, imported_at: crate::model::Timestamp(0) };
    let mut old = LookBack { household, form: FormRecord::default() };
    old.form.answers.insert("D4".into(), Value::Multi(vec![]));
    old.form.answers.insert("D7".into(), Value::Text(String::new()));
    assert!(answer_changes(schema::shipped(), &old, &Answers::new()).is_empty());
    let mut new = Answers::new();
    new.insert("B1".into(), Value::Bool(true));
    new.insert("D4".into(), Value::Multi(vec![]));
    let changes = answer_changes(schema::shipped(), &old, &new);
    assert_eq!(changes, vec![("B1", String::new(), "是".to_string())]);
}

/// A new store at `path` holding 张三 (ID1), and his key.
fn with_zhang_san(path: &Path) -> (Store, u64) {
    let s = Store::open(path).unwrap();
    s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三"))], "t").unwrap();
    let key = s.key_of(ID1).unwrap().unwrap();
    (s, key)
}

/// Valid, distinct ID numbers for bulk tests.
fn ids(n: usize) -> Vec<String> {
    assert!(n <= 1000);
    (0..n).map(|i| crate::form::idnum::complete(&format!("50024319800101{i:03}")).unwrap()).collect()
}

#[test]
fn a_large_commit_goes_through_the_journal_and_leaves_none_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let rows: Vec<_> = ids(400).iter().map(|id| (place("石盘村"), section_a(id, "王五"))).collect();
    {
        let s = Store::open(&path).unwrap();
        // 400 households write more than JOURNAL_ABOVE entries.
        assert_eq!(s.upsert_households(&rows, "t").unwrap().added, 400);
        let db = s.db().unwrap();
        assert!(db.get(K_JOURNAL).unwrap().is_none());
        assert_eq!(db.scan_prefix(JOURNAL_PREFIX).count(), 0);
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.household_count().unwrap(), 400);
    assert_eq!(s.verify_audit().unwrap(), AuditCheck { entries: 400, first_broken: None });
}

#[test]
fn an_unfinished_journaled_commit_is_rolled_back_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (key, before, head_before) = {
        let (s, key) = with_zhang_san(&path);
        let db = s.db().unwrap();
        let head_before = db.get(K_AUDIT_HEAD).unwrap().unwrap();
        // What a killed commit leaves: the journal of old values, the flag,
        // and only some of its writes (one changed, one new key).
        let changed = household_key(key);
        let added = household_key(key + 1000);
        let before = db.get(&changed).unwrap().unwrap();
        db.insert(journal_key(&changed), encode_old(Some(&before))).unwrap();
        db.insert(journal_key(&added), encode_old(None)).unwrap();
        db.insert(journal_key(K_AUDIT_HEAD), encode_old(Some(&head_before))).unwrap();
        db.flush().unwrap();
        db.insert(K_JOURNAL, &[1u8][..]).unwrap();
        db.insert(&changed, &b"half-written"[..]).unwrap();
        db.insert(&added, &b"half-written"[..]).unwrap();
        db.insert(K_AUDIT_HEAD, &b"half-written"[..]).unwrap();
        db.flush().unwrap();
        (key, before, head_before)
    };
    let s = Store::open(&path).expect("the store opens and rolls the commit back");
    assert!(s.recovery_note().is_some_and(|n| n.contains("中断")));
    let db = s.db().unwrap();
    assert_eq!(db.get(household_key(key)).unwrap().unwrap(), before);
    assert!(db.get(household_key(key + 1000)).unwrap().is_none());
    assert_eq!(db.get(K_AUDIT_HEAD).unwrap().unwrap(), head_before);
    assert!(db.get(K_JOURNAL).unwrap().is_none());
    assert_eq!(db.scan_prefix(JOURNAL_PREFIX).count(), 0);
    assert_eq!(s.get(key).unwrap().unwrap().household.a.head, "张三");
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
}

#[test]
fn a_finished_commits_leftover_journal_is_cleared_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let key = {
        let (s, key) = with_zhang_san(&path);
        // Killed after the flag was removed but before the journal was cleared.
        let db = s.db().unwrap();
        db.insert(journal_key(&household_key(key)), encode_old(None)).unwrap();
        db.flush().unwrap();
        key
    };
    let s = Store::open(&path).unwrap();
    assert_eq!(s.recovery_note(), None, "nothing was undone");
    assert!(s.get(key).unwrap().is_some(), "the committed household stays");
    assert_eq!(s.db().unwrap().scan_prefix(JOURNAL_PREFIX).count(), 0);
}

/// What a write refused by the disk leaves (sled's error state is internal,
/// so the flag is set by hand): the next write reopens sled, rereads the
/// audit head from disk and saves; the chain stays whole.
#[test]
fn the_write_after_a_disk_failure_reopens_the_store_and_saves() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (s, key) = with_zhang_san(&path);
    let mut answers = Answers::new();
    answers.insert("B1".into(), Value::Bool(false));
    s.save_draft(key, &answers, "t").unwrap();
    let before = s.audit_entries();

    s.broken.store(true, Ordering::SeqCst);
    answers.insert("B1".into(), Value::Bool(true));
    assert_eq!(s.save_draft(key, &answers, "t").unwrap(), 1);
    assert!(!s.broken.load(Ordering::SeqCst));
    assert_eq!(s.audit_entries(), before + 1);
    assert_eq!(s.verify_audit().unwrap().first_broken, None);

    // And when the reopen itself fails, the store says so and tries again next time.
    *s.db.write().unwrap() = None;
    assert!(s.household_count().is_err(), "an error is not a household, nor no household");
    let e = s.get(key).unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert!(e.to_string().contains("重新打开"), "{e}");
    answers.insert("B1".into(), Value::Bool(false));
    assert_eq!(s.save_draft(key, &answers, "t").unwrap(), 1);
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.get(key).unwrap().unwrap().form.answers.get("B1"), Some(&Value::Bool(false)));
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
}

#[test]
fn a_damaged_journal_entry_stops_the_open_instead_of_deleting_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let key = {
        let (s, key) = with_zhang_san(&path);
        let db = s.db().unwrap();
        db.insert(journal_key(&household_key(key)), &[7u8, 1, 2][..]).unwrap();
        db.insert(K_JOURNAL, &[1u8][..]).unwrap();
        db.flush().unwrap();
        key
    };
    assert!(matches!(Store::open(&path), Err(StoreError::Corrupt { .. })));
    // The household is still there for whoever repairs the store.
    // (sled lets go of its lock a moment after the failed open: sled#1234.)
    let started = std::time::Instant::now();
    let db = loop {
        match sled::open(&path) {
            Ok(db) => break db,
            Err(_) if started.elapsed().as_secs() < 5 => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert!(db.get(household_key(key)).unwrap().is_some());
}

#[test]
fn a_snapshot_pass_reopens_a_broken_store_first() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三"))], "t").unwrap();
    s.broken.store(true, Ordering::SeqCst);
    let counts = s.for_each_raw::<StoreError>(|_, _, _| Ok(())).unwrap();
    assert_eq!(counts.households, 1);
    assert!(!s.broken.load(Ordering::SeqCst));
}

/// sled 0.34 returns the same error again and again from an iterator over
/// a damaged page: restore and `show` spun forever at 100 % CPU in
/// `household_count`. Every scan ends after its first error.
#[test]
fn a_scan_ends_at_the_first_error_of_an_iterator_that_repeats_it() {
    let forever = std::iter::repeat_with(|| -> sled::Result<u8> { Err(sled::Error::Corruption { at: None, bt: () }) });
    let items: Vec<_> = UntilError::new(std::iter::once(Ok(1u8)).chain(forever)).take(10).collect();
    assert_eq!(items.len(), 2, "one good item, one error, then the end");
    assert!(items[0].is_ok() && items[1].is_err());
    let mut clean = UntilError::new(vec![Ok::<u8, sled::Error>(1), Ok(2)].into_iter());
    assert_eq!(clean.by_ref().count(), 2);
    assert!(clean.next().is_none(), "stays ended");
}

thread_local! {
    /// Makes a journaled commit stop, as a kill would, after its writes and
    /// before clearing the flag that commits them.
    pub(super) static KILL_BEFORE_COMMIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Chunks written by commits that write as they go (see `Tx::spill`).
    pub(super) static CHUNKS_WRITTEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[test]
fn new_households_are_journaled_as_a_list_of_absent_keys_and_undone_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let rows: Vec<_> = ids(400).iter().map(|id| (place("龙门村"), section_a(id, "王五"))).collect();
    let head_before = {
        let (s, _) = with_zhang_san(&path);
        let db = s.db().unwrap();
        let head_before = db.get(K_AUDIT_HEAD).unwrap().unwrap();
        KILL_BEFORE_COMMIT.with(|k| k.set(true));
        let cut = s.upsert_households(&rows, "t");
        KILL_BEFORE_COMMIT.with(|k| k.set(false));
        assert!(cut.is_err());
        // 400 new households write about 4,800 keys: none needs its own journal entry.
        let journal = db.scan_prefix(JOURNAL_PREFIX).count();
        assert!(journal <= 8, "{journal} journal entries for 400 new households");
        assert!(db.get(K_JOURNAL).unwrap().is_some(), "the flag is still set");
        assert!(db.get(id_key(&rows[0].1.id_number)).unwrap().is_some(), "the writes went in");
        head_before
    };
    let s = Store::open(&path).unwrap();
    assert!(s.recovery_note().is_some());
    assert_eq!(s.household_count().unwrap(), 1);
    assert_eq!(s.key_of(&rows[0].1.id_number).unwrap(), None);
    assert_eq!(s.keys_by_name("王").unwrap(), Vec::<u64>::new(), "the new index keys are gone too");
    assert_eq!(s.keys_by_name("张三").unwrap().len(), 1);
    let db = s.db().unwrap();
    assert_eq!(db.get(K_AUDIT_HEAD).unwrap().unwrap(), head_before);
    assert_eq!(db.scan_prefix(JOURNAL_PREFIX).count(), 0);
    assert_eq!(db.scan_prefix(b"a/").count(), 1);
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
    // And the same import, not cut, commits whole.
    assert_eq!(s.upsert_households(&rows, "t").unwrap().added, 400);
    assert_eq!(s.keys_by_name("王五").unwrap().len(), 400);
}

#[test]
fn an_import_that_writes_in_chunks_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    // 1,000 new households and one update: about 12,000 writes, three
    // chunks and more of SPILL_WRITES (4,000 in tests).
    let mut rows: Vec<_> = ids(1000).iter().map(|id| (place("龙门村"), section_a(id, "王五"))).collect();
    let mut zhang = section_a(ID1, "张三");
    zhang.size = 5;
    rows.insert(500, (place("石盘村"), zhang));
    let (head_before, records_before) = {
        let (s, key) = with_zhang_san(&path);
        let records_before = s.get(key).unwrap();
        let db = s.db().unwrap();
        let head_before = db.get(K_AUDIT_HEAD).unwrap().unwrap();
        KILL_BEFORE_COMMIT.with(|k| k.set(true));
        CHUNKS_WRITTEN.with(|n| n.set(0));
        let cut = s.upsert_households(&rows, "t");
        KILL_BEFORE_COMMIT.with(|k| k.set(false));
        assert!(cut.is_err());
        let chunks = CHUNKS_WRITTEN.with(std::cell::Cell::get);
        assert!(chunks >= 3, "{chunks} chunks");
        assert!(db.get(K_JOURNAL).unwrap().is_some(), "the flag is still set");
        assert!(db.get(id_key(&rows[999].1.id_number)).unwrap().is_some(), "the last chunk went in");
        assert!(db.get(id_key(&rows[0].1.id_number)).unwrap().is_some(), "the first chunk went in");
        (head_before, records_before)
    };
    let s = Store::open(&path).unwrap();
    assert!(s.recovery_note().is_some());
    assert_eq!(s.household_count().unwrap(), 1);
    let key = s.key_of(ID1).unwrap().unwrap();
    assert_eq!(s.get(key).unwrap(), records_before, "the update is undone");
    assert_eq!(s.key_of(&rows[0].1.id_number).unwrap(), None);
    assert_eq!(s.keys_by_name("王五").unwrap(), Vec::<u64>::new());
    let db = s.db().unwrap();
    assert_eq!(db.get(K_AUDIT_HEAD).unwrap().unwrap(), head_before);
    assert_eq!(db.scan_prefix(JOURNAL_PREFIX).count(), 0);
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
    assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
    // Not cut, it commits whole, its digest matches the records, and no
    // journal is left behind.
    let out = s.upsert_households(&rows, "t").unwrap();
    assert_eq!(out, UpsertOutcome { added: 1000, updated: 1, unchanged: 0 });
    assert_eq!(s.keys_by_name("王五").unwrap().len(), 1000);
    assert_eq!(s.get(key).unwrap().unwrap().household.a.size, 5);
    assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
    assert!(s.check_consistency().unwrap().is_empty());
    assert_eq!(db.scan_prefix(JOURNAL_PREFIX).count(), 0);
    assert!(db.get(K_JOURNAL).unwrap().is_none());
    drop(db);
    drop(s);
    let s = Store::open(&path).unwrap();
    assert!(s.recovery_note().is_none());
    assert_eq!(s.household_count().unwrap(), 1001);
}

#[test]
fn a_damaged_list_of_absent_keys_stops_the_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let (s, _) = with_zhang_san(&path);
        let db = s.db().unwrap();
        let mut k = JOURNAL_PREFIX.to_vec();
        k.push(0);
        k.extend_from_slice(&0u64.to_be_bytes());
        // A length that runs past the end.
        db.insert(k, &[ABSENT_TAG, 0, 9, b'h'][..]).unwrap();
        db.insert(K_JOURNAL, &[1u8][..]).unwrap();
        db.flush().unwrap();
    }
    let e = Store::open(&path).err().expect("a damaged journal is not applied");
    assert!(e.to_string().contains("撤销记录已损坏"), "{e}");
}

#[test]
fn lookups_by_id_tail_name_and_pinyin_follow_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    let two = id2();
    s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三")), (place("龙门村"), section_a(&two, "张小三"))], "t").unwrap();
    let k1 = s.key_of(ID1).unwrap().unwrap();
    let k2 = s.key_of(&two).unwrap().unwrap();
    assert_eq!(s.keys_by_id_tail("002X").unwrap(), vec![k1]);
    assert_eq!(s.keys_by_id_tail(&two[two.len() - 4..]).unwrap(), vec![k2]);
    assert_eq!(s.keys_by_id_tail(&two[two.len() - 6..]).unwrap(), vec![k2]);
    assert_eq!(s.keys_by_id_tail(&two[two.len() - 10..]).unwrap(), vec![k2], "past the indexed tail, checked on the summary");
    assert_eq!(s.keys_by_name("张").unwrap(), vec![k1, k2]);
    assert_eq!(s.keys_by_name("三").unwrap(), vec![k1, k2]);
    assert_eq!(s.keys_by_name("小三").unwrap(), vec![k2]);
    assert_eq!(s.keys_by_pinyin("zs").unwrap(), vec![k1]);
    assert_eq!(s.keys_by_pinyin("zx").unwrap(), vec![k2]);
    assert_eq!(s.keys_by_pinyin("zhangx").unwrap(), vec![k2]);
    assert_eq!(s.keys_by_pinyin("z").unwrap(), vec![k1, k2]);
    // A corrected name and ID number: the old entries go in the same commit.
    s.correct_section_a(k1, "A2", Some(Value::Text("李四".into())), "t").unwrap();
    assert_eq!(s.keys_by_name("张").unwrap(), vec![k2]);
    assert_eq!(s.keys_by_name("李四").unwrap(), vec![k1]);
    assert_eq!(s.keys_by_pinyin("zs").unwrap(), Vec::<u64>::new());
    assert_eq!(s.keys_by_pinyin("ls").unwrap(), vec![k1]);
    let three = crate::form::idnum::complete("50024319800101567").unwrap();
    s.correct_section_a(k1, "A3", Some(Value::Text(three.clone())), "t").unwrap();
    assert_eq!(s.keys_by_id_tail("002X").unwrap(), Vec::<u64>::new());
    assert_eq!(s.keys_by_id_tail(&three[three.len() - 5..]).unwrap(), vec![k1]);
}

#[test]
fn an_open_of_a_store_without_indexes_builds_them_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let (s, _) = with_zhang_san(&path);
        // What a store written before the indexes holds.
        let db = s.db().unwrap();
        for prefix in [&b"t/"[..], b"n/", b"p/", b"q/"] {
            for k in db.scan_prefix(prefix).keys() {
                db.remove(k.unwrap()).unwrap();
            }
        }
        db.remove(index::K_INDEX).unwrap();
        db.flush().unwrap();
        assert_eq!(s.keys_by_name("张三").unwrap(), Vec::<u64>::new());
    }
    let s = Store::open(&path).unwrap();
    let key = s.key_of(ID1).unwrap().unwrap();
    assert_eq!(s.keys_by_name("张三").unwrap(), vec![key]);
    assert_eq!(s.keys_by_pinyin("zs").unwrap(), vec![key]);
    assert_eq!(s.keys_by_id_tail("1002X").unwrap(), vec![key]);
    assert!(s.db().unwrap().get(index::K_INDEX).unwrap().is_some());
    assert!(!s.ensure_indexes().unwrap(), "built once");
}

/// The shipped form's text under another version, with one more warning
/// that every begun record of it gets.
fn round_text(version: u32) -> String {
    let text = crate::form::registry::LOOK_BACK_2021_TOML.replace("version = 2021", &format!("version = {version}"));
    format!(
        "{text}\n[[warnings]]\nid = \"only_in_{version}\"\nfield = \"D7\"\nwhen = \"A4 > 0\"\nmessage = \"第{version}版才有的提示\"\nshort = \"第{version}版\"\n"
    )
}

fn round_form(version: u32) -> &'static crate::form::file::Form {
    crate::form::registry::register(&round_text(version)).unwrap()
}

fn rules_of(lb: &LookBack, round: &Round) -> Vec<&'static str> {
    lb.findings(round).into_iter().map(|f| f.rule).collect()
}

#[test]
fn a_definition_is_kept_in_the_commit_of_its_first_record_and_old_records_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (old_form, new_form) = (round_form(3101), round_form(3102));
    let mut answers = Answers::new();
    answers.insert("B1".into(), Value::Bool(false));
    let key = {
        let mut s = Store::open(&path).unwrap();
        s.use_form(old_form);
        s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三"))], "t").unwrap();
        // An import writes no form record, so it keeps no definition.
        assert_eq!(s.definitions().unwrap(), Vec::<FormRef>::new());
        let key = s.key_of(ID1).unwrap().unwrap();
        assert!(s.get(key).unwrap().unwrap().form.is_blank());
        // The first save writes the record and the definition in one batch.
        s.save_draft(key, &answers, "t").unwrap();
        assert_eq!(s.definitions().unwrap(), vec![old_form.reference()]);
        assert_eq!(s.definition_text(&old_form.reference()).unwrap().as_deref(), Some(old_form.source));
        key
    };
    // The next round ships another form: the old record keeps its own.
    let mut s = Store::open(&path).unwrap();
    s.use_form(new_form);
    let old = s.get(key).unwrap().unwrap();
    assert_eq!(old.form.form, old_form.reference());
    assert!(rules_of(&old, s.round()).contains(&"only_in_3101"));
    assert!(!rules_of(&old, s.round()).contains(&"only_in_3102"));
    // Saved again, it is still of its own form, validated by it.
    answers.insert("B2".into(), Value::Bool(false));
    s.save_draft(key, &answers, "t").unwrap();
    let old = s.get(key).unwrap().unwrap();
    assert_eq!(old.form.form, old_form.reference());
    assert_eq!(s.summary(key).unwrap().unwrap().warnings as usize, lb_warnings(&old, s.round()));
    // A household begun now gets the new form.
    let id = id2();
    s.upsert_households(&[(place("石盘村"), section_a(&id, "李四"))], "t").unwrap();
    let new_key = s.key_of(&id).unwrap().unwrap();
    assert_eq!(s.get(new_key).unwrap().unwrap().form.form, new_form.reference());
    s.save_draft(new_key, &answers, "t").unwrap();
    let new = s.get(new_key).unwrap().unwrap();
    assert!(rules_of(&new, s.round()).contains(&"only_in_3102"));
    assert!(!rules_of(&new, s.round()).contains(&"only_in_3101"));
    let mut kept = s.definitions().unwrap();
    kept.sort();
    assert_eq!(kept, vec![old_form.reference(), new_form.reference()]);
    assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
}

fn lb_warnings(lb: &LookBack, round: &Round) -> usize {
    crate::form::rules::counts(&lb.findings(round)).1
}

#[test]
fn a_record_of_an_unknown_form_version_gets_a_message_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (s, key) = with_zhang_san(&path);
    let mut answers = Answers::new();
    answers.insert("B1".into(), Value::Bool(false));
    answers.insert("D7".into(), Value::Text("户主患慢性病，家庭主要收入来源为务工。".into()));
    s.save_draft(key, &answers, "t").unwrap();
    // The record names a version no one has a definition of (written by
    // hand: the program never writes one).
    let unknown = FormRef { id: "huitoukan".into(), version: 9999 };
    let mut rec = s.get(key).unwrap().unwrap().form;
    rec.form = unknown.clone();
    let bytes = codec::encode_form(&rec);
    s.db().unwrap().insert(form_key(key), bytes.clone()).unwrap();
    let lb = s.get(key).unwrap().unwrap();
    assert_eq!(lb.form, rec, "read back whole");
    let findings = lb.findings(s.round());
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(findings[0].message.contains("表单huitoukan第9999版") && findings[0].message.contains("原样保留"), "{}", findings[0].message);
    // A save is refused with that message; the record stays byte for byte.
    let mut more = answers.clone();
    more.insert("B2".into(), Value::Bool(false));
    let err = s.save_draft(key, &more, "t").unwrap_err().to_string();
    assert!(err.contains("第9999版"), "{err}");
    assert!(s.submit(key, &more, &[], "t").is_err());
    assert_eq!(s.db().unwrap().get(form_key(key)).unwrap().unwrap().as_ref(), bytes.as_slice());
    // Other acts on the household keep the record as it is.
    s.set_verified(key, true, "t").unwrap();
    assert_eq!(s.get(key).unwrap().unwrap().form, rec);
    assert_eq!(s.summary(key).unwrap().unwrap().errors, 1);
}

/// A format-1 store as the release before format 2 left it: form records
/// of version 2 (naming no form), no definitions, `m/format` 1.
fn downgrade_to_format_1(path: &Path) {
    let db = sled::open(path).unwrap();
    for item in db.scan_prefix(b"f/") {
        let (k, v) = item.unwrap();
        let f: FormRecord = codec::decode(&v).unwrap();
        let v2 = crate::model::FormRecordV2::from(f);
        let mut bytes = b"HK\x02".to_vec();
        bytes.extend(postcard::to_allocvec(&v2).unwrap());
        db.insert(k, bytes).unwrap();
    }
    // Format 1 kept no definitions and no handbook entries.
    for prefix in [DEFINITION_PREFIX, b"e/", b"u/"] {
        for item in db.scan_prefix(prefix) {
            db.remove(item.unwrap().0).unwrap();
        }
    }
    db.insert(K_FORMAT, &1u32.to_be_bytes()[..]).unwrap();
    let mut sum = [0u64; 4];
    for prefix in [&b"f/"[..], b"h/"] {
        for item in db.scan_prefix(prefix) {
            let (k, v) = item.unwrap();
            lanes(&mut sum, record_hash(&k, &v), true);
        }
    }
    let mut digest: RecordsDigest = codec::decode(&db.get(K_RECORDS_DIGEST).unwrap().unwrap()).unwrap();
    digest.sum = sum;
    db.insert(K_RECORDS_DIGEST, codec::encode(&digest)).unwrap();
    db.flush().unwrap();
}

#[test]
fn a_migration_cut_off_by_a_kill_leaves_format_1_and_the_next_open_migrates_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let s = Store::open(&path).unwrap();
        crate::demo::fill(&s, 3500, 3, |_| {}).unwrap();
    }
    downgrade_to_format_1(&path);
    let raw_before = |path: &Path| -> Vec<(Vec<u8>, Vec<u8>)> {
        let db = sled::open(path).unwrap();
        db.iter().map(|i| i.unwrap()).map(|(k, v)| (k.to_vec(), v.to_vec())).filter(|(k, _)| !k.starts_with(b"m/index")).collect()
    };
    let before = raw_before(&path);
    let forms = before.iter().filter(|(k, _)| k.starts_with(b"f/")).count();
    assert!(forms > JOURNAL_ABOVE, "{forms} form records: the migration is a journaled commit");
    KILL_BEFORE_COMMIT.with(|k| k.set(true));
    let cut = Store::open(&path);
    KILL_BEFORE_COMMIT.with(|k| k.set(false));
    assert!(cut.is_err());
    drop(cut);
    {
        // What the kill left: the flag and the new writes on disk.
        let db = sled::open(&path).unwrap();
        assert!(db.get(K_JOURNAL).unwrap().is_some());
        assert_eq!(db.get(K_FORMAT).unwrap().unwrap().as_ref(), STORE_FORMAT.to_be_bytes());
    }
    // The next open puts format 1 back first, then migrates it whole.
    let s = Store::open(&path).unwrap();
    assert_eq!(s.format(), STORE_FORMAT);
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
    assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
    assert_eq!(s.definitions().unwrap(), vec![FormRef::look_back_2021()]);
    let db = s.db().unwrap();
    assert_eq!(db.scan_prefix(JOURNAL_PREFIX).count(), 0);
    let mut migrated = 0;
    for (k, v) in before.iter().filter(|(k, _)| k.starts_with(b"f/")) {
        let now = db.get(k).unwrap().unwrap();
        assert_eq!(&now[..3], b"HK\x03");
        assert_eq!(codec::decode::<FormRecord>(&now).unwrap(), codec::decode::<FormRecord>(v).unwrap());
        migrated += 1;
    }
    assert_eq!(migrated, forms);
    // Everything but the form records, the metadata and the one audit entry is as it was.
    for (k, v) in before.iter().filter(|(k, _)| !k.starts_with(b"f/") && !k.starts_with(b"m/")) {
        assert_eq!(db.get(k).unwrap().as_deref(), Some(v.as_slice()), "{:?}", String::from_utf8_lossy(k));
    }
    // Two automatic snapshots of the format-1 store: one per open that began the migration.
    assert_eq!(crate::backup::list(&path).len(), 2);
}

#[test]
fn a_damaged_kept_definition_opens_with_its_records_kept_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let form = round_form(3201);
    let key = {
        let mut s = Store::open(&path).unwrap();
        s.use_form(form);
        s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三"))], "t").unwrap();
        let key = s.key_of(ID1).unwrap().unwrap();
        let mut answers = Answers::new();
        answers.insert("B1".into(), Value::Bool(false));
        s.save_draft(key, &answers, "t").unwrap();
        // The kept text damaged behind the program's back.
        s.db().unwrap().insert(definition_key(&form.reference()), codec::encode(&"id = \"huitoukan\"".to_string())).unwrap();
        s.flush().unwrap();
        key
    };
    let s = Store::open(&path).unwrap();
    assert_eq!(s.broken_definitions().len(), 1);
    assert_eq!(s.broken_definitions()[0].0, form.reference());
    // The record is read whole (this process still knows the form from before).
    assert_eq!(s.get(key).unwrap().unwrap().form.answers.get("B1"), Some(&Value::Bool(false)));
    let problems = s.check_consistency().unwrap();
    assert!(problems.iter().any(|p| p.contains("第3201版") && p.contains("无法读取")), "{problems:?}");
    let whole = s.check_whole().unwrap().unwrap_or_default();
    assert!(whole.contains("第3201版"), "{whole}");
}

#[test]
fn an_empty_format_1_store_migrates_without_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    drop(Store::open(&path).unwrap());
    downgrade_to_format_1(&path);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.format(), STORE_FORMAT);
    assert!(crate::backup::list(&path).is_empty(), "nothing to keep: no snapshot");
    assert_eq!(s.definitions().unwrap(), vec![FormRef::look_back_2021()]);
    let note = s.recovery_note().unwrap_or_default();
    assert!(note.contains("格式1升级为格式3") && note.contains("不需要快照"), "{note}");
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
}

/// A format-2 store (before the handbook) opens as format 3 with its
/// records as they were and one audit entry; a release of format 2 would
/// refuse it rather than misread the handbook's entries.
#[test]
fn a_format_2_store_becomes_format_3_with_nothing_else_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let s = Store::open(&path).unwrap();
        s.upsert_households(&[(place("石盘村"), section_a(ID1, "张三"))], "t").unwrap();
    }
    let records = |path: &Path| -> Vec<(Vec<u8>, Vec<u8>)> {
        let db = sled::open(path).unwrap();
        let mut out = Vec::new();
        for item in db.scan_prefix(b"h/").chain(db.scan_prefix(b"f/")) {
            let (k, v) = item.unwrap();
            out.push((k.to_vec(), v.to_vec()));
        }
        out
    };
    {
        let db = sled::open(&path).unwrap();
        db.insert(K_FORMAT, &2u32.to_be_bytes()[..]).unwrap();
        db.flush().unwrap();
    }
    let before = records(&path);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.format(), 3);
    assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
    assert_eq!(s.verify_audit().unwrap().first_broken, None);
    let last = s.history(0).unwrap().pop().unwrap();
    assert_eq!((last.field.as_str(), last.old.as_str(), last.new.as_str()), ("store_format", "2", "3"));
    drop(s);
    assert_eq!(records(&path), before);
    // A store newer than the release is refused with what to do.
    {
        let db = sled::open(&path).unwrap();
        db.insert(K_FORMAT, &4u32.to_be_bytes()[..]).unwrap();
        db.flush().unwrap();
    }
    let e = Store::open(&path).err().expect("refused").to_string();
    assert!(e.contains("更新版本") && e.contains("升级"), "{e}");
}
