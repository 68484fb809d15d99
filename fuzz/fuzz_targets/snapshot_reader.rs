//! Snapshot files: any bytes are checked by `snapshot::verify_bytes` and
//! come out as the snapshot's description or a Chinese error, never a panic.
//!
//! Each input is tried twice: as given (which mostly exercises the header
//! checks, since a mutated header fails its SHA-256) and resealed, with the
//! magic, format, header length, content length and both checksums made
//! right, so the fuzzer reaches the content's framing (trees, entries,
//! lengths, counts).
#![no_main]
use huitoukan::io::snapshot::{self, SnapshotError, FORMAT, MAGIC};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

/// Layout of format 1 (see the table in `src/io/snapshot.rs`).
const HEADER_LEN: usize = 88;
const PREFIX_LEN: usize = 12 + HEADER_LEN + 32;
const CONTENT_LEN_AT: usize = 12 + 48;
const CONTENT_SHA_AT: usize = 12 + 56;

fn check(bytes: &[u8]) {
    match snapshot::verify_bytes(bytes) {
        Ok(info) => {
            assert_eq!(info.bytes, bytes.len() as u64);
            assert!(bytes.len() >= PREFIX_LEN);
            let _ = info.describe();
        }
        Err(SnapshotError::Store(e)) => panic!("verifying bytes touched a store: {e}"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() >= PREFIX_LEN {
        let mut b = data.to_vec();
        b[..8].copy_from_slice(&MAGIC);
        b[8..10].copy_from_slice(&FORMAT.to_le_bytes());
        b[10..12].copy_from_slice(&(HEADER_LEN as u16).to_le_bytes());
        let content_len = (b.len() - PREFIX_LEN) as u64;
        b[CONTENT_LEN_AT..CONTENT_LEN_AT + 8].copy_from_slice(&content_len.to_le_bytes());
        let content_sha: [u8; 32] = Sha256::digest(&b[PREFIX_LEN..]).into();
        b[CONTENT_SHA_AT..CONTENT_SHA_AT + 32].copy_from_slice(&content_sha);
        let header_sha: [u8; 32] = Sha256::digest(&b[..12 + HEADER_LEN]).into();
        b[12 + HEADER_LEN..PREFIX_LEN].copy_from_slice(&header_sha);
        check(&b);
    }
});
