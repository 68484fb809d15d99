//! `audit verify` covers the records' current state (issue 12 item 15): an
//! edit of a household or form record behind the program's back, and a tail
//! of the log cut off with the head and the count file rewritten, are found;
//! the output says what the check can and cannot prove.

use huitoukan::form::Value;
use huitoukan::model::{Answers, AuditEntry, FormRecord};
use huitoukan::store::{codec, RecordsCheck, Store};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

fn verify(db: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan")).arg("--db").arg(db).args(["audit", "verify"]).output().unwrap();
    (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn store_with_edits(db: &Path) {
    let s = Store::open(db).unwrap();
    huitoukan::demo::fill(&s, 20, 4, |_| {}).unwrap();
    for key in 1..=5 {
        s.set_verified(key, true, "clerk").unwrap();
    }
    let draft = s.summaries().unwrap().into_iter().find(|x| x.state != huitoukan::model::FormState::Submitted).unwrap().key;
    let mut a = Answers::new();
    a.insert("B1".into(), Value::Bool(true));
    s.save_draft(draft, &a, "clerk").unwrap();
    assert_eq!(s.verify_records().unwrap(), RecordsCheck::Match);
}

/// sled's own handle on the store, as someone editing behind the program's back would use.
fn raw(db: &Path) -> sled::Db {
    let started = std::time::Instant::now();
    loop {
        match sled::open(db) {
            Ok(d) => return d,
            Err(_) if started.elapsed().as_secs() < 5 => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => panic!("{e}"),
        }
    }
}

#[derive(serde::Serialize)]
struct Head {
    next_seq: u64,
    last_hash: [u8; 32],
}

#[test]
fn a_clean_store_verifies_and_says_what_the_check_proves() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    store_with_edits(&db);
    let (code, text) = verify(&db);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("链条无断点") && text.contains("摘要一致"), "{text}");
    assert!(text.contains("不能发现") && text.contains("重新计算"), "says what it cannot prove: {text}");
}

#[test]
fn a_record_edited_behind_the_programs_back_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    store_with_edits(&db);
    {
        let d = raw(&db);
        let k = [b"f/".as_slice(), &3u64.to_be_bytes()].concat();
        let mut f: FormRecord = codec::decode(&d.get(&k).unwrap().unwrap()).unwrap();
        f.answers.insert("D7".into(), Value::Text("改过的内容".into()));
        d.insert(k, codec::encode(&f)).unwrap();
        d.flush().unwrap();
    }
    let (code, text) = verify(&db);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("链条无断点"), "the chain itself is whole: {text}");
    assert!(text.contains("在程序之外被改动过"), "{text}");
}

#[test]
fn a_cut_tail_with_the_head_and_count_rewritten_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("store");
    store_with_edits(&db);
    {
        let d = raw(&db);
        let entries: Vec<(sled::IVec, sled::IVec)> = d.scan_prefix(b"a/").map(|r| r.unwrap()).collect();
        let keep = entries.len() - 3;
        for (k, v) in &entries[keep..] {
            let e: AuditEntry = codec::decode(v).unwrap();
            d.remove(k).unwrap();
            d.remove([b"x/".as_slice(), &e.household.to_be_bytes(), &e.seq.to_be_bytes()].concat()).unwrap();
        }
        let last_hash: [u8; 32] = Sha256::digest(&entries[keep - 1].1).into();
        d.insert(b"m/audit_head", codec::encode(&Head { next_seq: keep as u64, last_hash })).unwrap();
        d.flush().unwrap();
        std::fs::write(db.join("huitoukan.check"), format!("audit_entries={keep}\n")).unwrap();
    }
    let (code, text) = verify(&db);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("链条无断点"), "the shortened chain is whole in itself: {text}");
    assert!(text.contains("末尾被截掉"), "{text}");
}
