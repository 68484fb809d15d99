//! Frozen bytes of the stored record format, so that a later release can
//! prove it still reads a store written today.
//!
//! `tests/fixtures/v1/*.bin` hold `store::codec::encode` of the fixed values
//! below, as written by format version 1. They are committed and must never
//! change: a test that fails here means this build writes or reads records
//! differently from the stores already on clerks' disks.
//!
//! When the record format changes on purpose (a new `codec::FORMAT_VERSION`):
//! keep the v1 files and `v1_values()` as they are (old stores must still
//! decode), add the new version's values, and write its files once with
//!
//! ```sh
//! HUITOUKAN_WRITE_FIXTURES=1 cargo test --test format_fixture
//! ```
//!
//! The switch only creates files that do not exist yet; it never overwrites
//! frozen bytes. Timestamps are fixed so the bytes are stable.

use huitoukan::form::value::{Value, YearMonth};
use huitoukan::form::{FormRef, Round};
use huitoukan::model::{
    AuditEntry, Confirmation, FormRecord, FormRecordV1, FormRecordV2, FormState, Household, Place, SectionA, Summary, Timestamp,
};
use huitoukan::store::codec::{self, DecodeError};
use std::path::PathBuf;

fn ym(year: u16, month: u8) -> YearMonth {
    YearMonth::new(year, month).unwrap()
}

fn place() -> Place {
    Place { township: "石盘乡".into(), village: "石盘村".into() }
}

fn household() -> Household {
    Household {
        place: place(),
        a: SectionA {
            address: "重庆市彭水县石盘乡石盘村3组".into(),
            head: "阿卜杜·热合曼".into(),
            id_number: "11010519491231002X34".into(),
            size: 5,
            category: 1,
            enrol_risk: 6,
            enrolled: ym(2020, 6),
            eliminated: Some(ym(2021, 3)),
        },
        verified: true,
        imported_at: Timestamp(1_618_800_000_000),
    }
}

/// A form record holding every `Value` variant.
fn form_record() -> FormRecord {
    let mut answers = std::collections::BTreeMap::new();
    let mut put = |k: &str, v: Value| {
        answers.insert(k.to_string(), v);
    };
    // The store keeps B–D answers only and none of them is an integer today;
    // A4 is here so that the `Int` variant's bytes are frozen as well.
    put("A4", Value::Int(-7));
    put("B4", Value::Bool(true));
    put("C1", Value::Bool(false));
    put("C2", Value::Choice(1));
    put("D1", Value::List(vec!["李四".into(), "王五".into()]));
    put("D2", Value::List(vec!["13812345678".into(), "023-78865441".into()]));
    put("D5", Value::Choice(3));
    put("D6", Value::Multi(vec![0, 7]));
    put("D7", Value::Text("户主患慢性病，每月自付医药费约600元，家庭主要收入来源为务工。".into()));
    put("D10", Value::Month(ym(2021, 12)));
    FormRecord {
        answers,
        state: FormState::Submitted,
        saved_by: Some("clerk01".into()),
        saved_at: Some(Timestamp(1_619_000_123_456)),
        confirmed: vec!["new_four_kinds".into(), "far_plan".into()],
        confirmations: Vec::new(),
        form: FormRef::look_back_2021(),
    }
}

/// The same form record as version 1 wrote it (no `confirmations`).
fn form_record_v1() -> FormRecordV1 {
    let f = form_record();
    FormRecordV1 { answers: f.answers, state: f.state, saved_by: f.saved_by, saved_at: f.saved_at, confirmed: f.confirmed }
}

/// Version 2 of the form record: with the confirmations remembered at
/// submit; read back as a record of the 2021 look-back form.
fn form_record_v2() -> FormRecord {
    let mut f = form_record();
    f.confirmations = vec![
        Confirmation { rule: "new_four_kinds".into(), code: "C1".into(), values: vec![("C1".into(), Some(Value::Bool(true)))] },
        Confirmation {
            rule: "far_plan".into(),
            code: "D10".into(),
            values: vec![("D10".into(), Some(Value::Month(ym(2025, 6)))), ("X".into(), None)],
        },
    ];
    f
}

/// The same record as version 2 wrote it (it did not name its form).
fn form_record_v2_layout() -> FormRecordV2 {
    FormRecordV2::from(form_record_v2())
}

/// Version 3: the record names its form (here a later round's).
fn form_record_v3() -> FormRecord {
    FormRecord { form: FormRef { id: "huitoukan".into(), version: 2022 }, ..form_record_v2() }
}

fn summary() -> Summary {
    Summary {
        key: 4_242,
        place: place(),
        head: "张三".into(),
        id_number: "11010519491231002X".into(),
        address: "重庆市彭水县石盘乡石盘村3组".into(),
        category: 0,
        eliminated: None,
        verified: false,
        state: FormState::Draft,
        errors: 2,
        warnings: 300,
        saved_by: None,
        saved_at: Some(Timestamp(1_619_000_000_000)),
    }
}

fn audit_entry() -> AuditEntry {
    let mut prev_hash = [0u8; 32];
    for (i, b) in prev_hash.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37);
    }
    AuditEntry {
        seq: 1_000_000,
        at: Timestamp(1_619_000_999_000),
        who: "clerk01".into(),
        household: 4_242,
        field: "D10".into(),
        old: "2021-12".into(),
        new: String::new(),
        prev_hash,
    }
}

/// The survey round as the store keeps it under `m/round` (written out, not
/// `Round::default()`, so a later change of defaults cannot move the bytes).
fn round() -> Round {
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    Round {
        name: "2021年防止返贫监测回头看".into(),
        reference: date(2021, 4, 21).and_hms_opt(0, 0, 0).unwrap(),
        period_start: date(2020, 4, 21),
        period_end: date(2021, 4, 20),
        income_lines: [6000, 9000, 13500],
        income_year: 2021,
        plan_warn_months: 36,
    }
}

/// Each fixture: its file name, today's encoding, and a check that the
/// frozen bytes decode back to the value.
struct Fixture {
    name: &'static str,
    encoded: Vec<u8>,
    decodes: fn(&[u8]) -> Result<(), String>,
}

fn roundtrip<T>(bytes: &[u8], want: T) -> Result<(), String>
where
    T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug + 'static,
{
    match codec::decode::<T>(bytes) {
        Ok(got) if got == want => Ok(()),
        Ok(got) => Err(format!("decoded {got:#?}\nwanted {want:#?}")),
        Err(e) => Err(e.to_string()),
    }
}

fn v1_values() -> Vec<Fixture> {
    vec![
        Fixture { name: "household", encoded: codec::encode(&household()), decodes: |b| roundtrip(b, household()) },
        // Written by version 1 (this release writes version 2, below): still decoded, `confirmations` empty.
        Fixture { name: "form_record", encoded: codec::encode(&form_record_v1()), decodes: |b| roundtrip(b, form_record()) },
        Fixture { name: "summary", encoded: codec::encode(&summary()), decodes: |b| roundtrip(b, summary()) },
        Fixture { name: "audit_entry", encoded: codec::encode(&audit_entry()), decodes: |b| roundtrip(b, audit_entry()) },
        Fixture { name: "round", encoded: codec::encode(&round()), decodes: |b| roundtrip(b, round()) },
        Fixture {
            name: "form_states",
            encoded: codec::encode(&FormState::ALL),
            decodes: |b| roundtrip(b, [FormState::Empty, FormState::Draft, FormState::Submitted]),
        },
    ]
}

#[test]
fn frozen_v2_form_records_decode_as_records_of_the_2021_form() {
    let mut fresh = b"HK\x02".to_vec();
    fresh.extend(postcard::to_allocvec(&form_record_v2_layout()).unwrap());
    let bytes = frozen(2, "form_record", &fresh);
    assert_eq!(&bytes[..3], b"HK\x02");
    assert!(fresh == bytes, "version 2 encodes\n{fresh:02x?}\nbut v2 stores hold\n{bytes:02x?}");
    assert_eq!(codec::decode::<FormRecord>(&bytes), Ok(form_record_v2()));
    assert_eq!(codec::decode::<FormRecord>(&bytes).unwrap().form, FormRef::look_back_2021());
}

#[test]
fn form_records_are_written_as_v3_naming_their_form_and_its_frozen_bytes_decode() {
    let fresh = codec::encode_form(&form_record_v3());
    let bytes = frozen(3, "form_record", &fresh);
    assert_eq!(&bytes[..3], b"HK\x03");
    assert!(fresh == bytes, "this build encodes\n{fresh:02x?}\nbut v3 stores hold\n{bytes:02x?}");
    assert_eq!(codec::decode::<FormRecord>(&bytes), Ok(form_record_v3()));
    // A later form record version is refused with a message, never misread.
    let mut newer = bytes.clone();
    newer[2] = 4;
    assert_eq!(codec::decode::<FormRecord>(&newer), Err(DecodeError::Newer(4)));
    for len in 3..bytes.len() {
        assert!(matches!(codec::decode::<FormRecord>(&bytes[..len]), Err(DecodeError::Corrupt(_))), "cut at {len}");
    }
}

fn fixture_path(version: u8, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/v{version}/{name}.bin"))
}

/// The committed bytes; with `HUITOUKAN_WRITE_FIXTURES=1`, first writes
/// `fresh` if (and only if) the file does not exist yet.
fn frozen(version: u8, name: &str, fresh: &[u8]) -> Vec<u8> {
    let path = fixture_path(version, name);
    if std::env::var_os("HUITOUKAN_WRITE_FIXTURES").is_some() && !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, fresh).unwrap();
        eprintln!("wrote {}", path.display());
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (see the top of tests/format_fixture.rs)", path.display()))
}

#[test]
fn this_release_writes_the_frozen_v1_bytes() {
    assert_eq!(
        codec::FORMAT_VERSION,
        1,
        "the record format changed: freeze the new version's bytes in tests/fixtures/v{} and keep the v1 files decoding",
        codec::FORMAT_VERSION
    );
    for f in v1_values() {
        let bytes = frozen(1, f.name, &f.encoded);
        assert_eq!(&bytes[..3], b"HK\x01", "{}: envelope", f.name);
        assert!(f.encoded == bytes, "{}: this build encodes\n{:02x?}\nbut v1 stores hold\n{:02x?}", f.name, f.encoded, bytes);
    }
}

#[test]
fn frozen_v1_bytes_decode_to_the_same_values() {
    for f in v1_values() {
        let bytes = frozen(1, f.name, &f.encoded);
        if let Err(e) = (f.decodes)(&bytes) {
            panic!("{}: {e}", f.name);
        }
    }
}

#[test]
fn a_newer_version_byte_is_refused_with_a_message() {
    let mut bytes = frozen(1, "household", &codec::encode(&household()));
    for v in [codec::FORMAT_VERSION + 1, 200, u8::MAX] {
        bytes[2] = v;
        let err = codec::decode::<Household>(&bytes).unwrap_err();
        assert_eq!(err, DecodeError::Newer(v));
        assert!(err.to_string().contains("请升级huitoukan"), "{err}");
    }
    bytes[2] = 0;
    assert!(matches!(codec::decode::<Household>(&bytes), Err(DecodeError::Corrupt(_))), "version 0 was never written");
}

#[test]
fn garbage_is_not_a_record_or_corrupt_never_a_panic() {
    for junk in [&b""[..], b"H", b"HK", b"hk\x01\x00", b"XY\x01\x00\x00", b"{\"head\":\"x\"}", b"\xff\xfe\x00\x01"] {
        assert_eq!(codec::decode::<Household>(junk), Err(DecodeError::NotARecord), "{junk:02x?}");
    }
    let corrupt = |r: Result<Household, DecodeError>| matches!(r, Err(DecodeError::Corrupt(_)));
    assert!(corrupt(codec::decode(b"HK\x01")));
    assert!(corrupt(codec::decode(b"HK\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")), "absurd length prefix");
    for f in v1_values() {
        let bytes = frozen(1, f.name, &f.encoded);
        // Every cut-off record is corrupt: a crash mid-write must read as damage, not as data.
        for len in 3..bytes.len() {
            let r = (f.decodes)(&bytes[..len]);
            assert!(r.as_ref().is_err_and(|e| e.starts_with("记录内容损坏")), "{} cut at {len}: {r:?}", f.name);
        }
        // Any one damaged byte: an error or some value, never a panic.
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0xa5;
            let _ = (f.decodes)(&damaged);
        }
    }
}
