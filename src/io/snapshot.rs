//! Snapshots: the whole store in one file, checked before it is trusted.
//!
//! Layout (integers little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `HTKSNAP\x1a` |
//! | 2 | snapshot format version ([`FORMAT`]) |
//! | 2 | header length `n` |
//! | n | header: created (ms since epoch, i64), store layout (u32), record format (u32), households, forms filled, audit entries, key/values, content length (u64 each), SHA-256 of the content (32) |
//! | 32 | SHA-256 of everything above (magic through header) |
//! | … | content: per tree `T` + name length (u16) + name, then per entry `E` + key length (u32) + key + value length (u32) + value |
//!
//! The first 12 bytes and the header checksum keep their meaning in every
//! format version, so a newer snapshot is recognised as newer rather than
//! as damaged. The content is written first and the header after it (the
//! counts and the checksum are known only then), into a temporary file
//! that gets its name only when complete.

use super::file::{describe, AtomicFile};
use crate::model::Timestamp;
use crate::store::bulk::{self, RawBuilder, RawCounts};
use crate::store::{Found, Store, StoreError};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const MAGIC: [u8; 8] = *b"HTKSNAP\x1a";
/// The snapshot format this release writes and reads.
pub const FORMAT: u16 = 1;
const HEADER_LEN: usize = 8 + 4 + 4 + 5 * 8 + 32;
const PREFIX_LEN: usize = 8 + 2 + 2 + HEADER_LEN + 32;
/// Longest key or tree name a snapshot may hold; longer means damage.
const MAX_KEY: usize = 64 * 1024;
/// Longest value a snapshot may hold; longer means damage.
const MAX_VALUE: usize = 64 * 1024 * 1024;

/// What a snapshot holds, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub format: u16,
    pub created: Timestamp,
    /// The store layout (`store::STORE_FORMAT`) and record format (`codec::FORMAT_VERSION`) it was taken from.
    pub store_format: u32,
    pub record_format: u32,
    pub households: u64,
    pub forms_filled: u64,
    pub audit_entries: u64,
    pub entries: u64,
    /// Size of the whole file.
    pub bytes: u64,
}

impl SnapshotInfo {
    /// `2021-04-21 10:00:00 的快照：3000户，已填1950份，审计记录5120条`
    pub fn describe(&self) -> String {
        format!(
            "{} 的快照：{}户，已填采集表{}份，审计记录{}条（{}）",
            self.created,
            self.households,
            self.forms_filled,
            self.audit_entries,
            human_bytes(self.bytes)
        )
    }
}

pub(crate) fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} 字节"),
    }
}

/// What is wrong with a snapshot file, or with saving or restoring one.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path} 不是huitoukan的快照文件（{detail}）。请确认选对了文件。")]
    NotASnapshot { path: String, detail: String },
    #[error("快照文件 {path} 不完整：{detail}。它可能在复制或保存时被中断了；请换一份完整的快照。")]
    Truncated { path: String, detail: String },
    #[error("快照文件 {path} 已损坏：{detail}。请换一份完好的快照。")]
    Damaged { path: String, detail: String },
    #[error("快照文件 {path} 的校验和对不上：内容在保存后被改动或损坏了。请换一份完好的快照。")]
    Checksum { path: String },
    #[error("快照文件 {path} 由更新版本的huitoukan保存（{what}），本程序读不了。请升级huitoukan后再试。")]
    Newer { path: String, what: String },
    #[error("读写快照文件 {path} 失败：{reason}")]
    File { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SnapshotError {
    fn file(path: &Path, e: &io::Error) -> Self {
        SnapshotError::File { path: path.display().to_string(), reason: describe(e) }
    }
}

/// The header, written after the content.
struct Header {
    created: i64,
    store_format: u32,
    record_format: u32,
    counts: RawCounts,
    content_len: u64,
    content_sha: [u8; 32],
}

impl Header {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PREFIX_LEN);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&(HEADER_LEN as u16).to_le_bytes());
        out.extend_from_slice(&self.created.to_le_bytes());
        out.extend_from_slice(&self.store_format.to_le_bytes());
        out.extend_from_slice(&self.record_format.to_le_bytes());
        let c = &self.counts;
        for n in [c.households, c.forms_filled, c.audit_entries, c.entries, self.content_len] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&self.content_sha);
        let sum: [u8; 32] = Sha256::digest(&out).into();
        out.extend_from_slice(&sum);
        out
    }
}

/// Counts bytes and hashes them on the way through.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// Saves everything in `store` to `path`, atomically and owner-only.
/// Writers of this process wait while the store is read; other processes
/// cannot have the store open at the same time.
pub fn save(store: &Store, path: &Path) -> Result<SnapshotInfo, SnapshotError> {
    save_with(path, &mut |visit| store.for_each_raw(|t, k, v| visit(t, k, v)))
}

/// [`save`] through any backend (the store server streams the entries; 管理 only).
pub fn save_via(backend: &dyn crate::backend::Backend, path: &Path) -> Result<SnapshotInfo, SnapshotError> {
    save_with(path, &mut |visit| {
        // The backend's visitor speaks store errors: a file error is kept aside and given back.
        let mut failed = None;
        let counts = backend.for_each_raw(&mut |t, k, v| {
            visit(t, k, v).map_err(|e| {
                failed = Some(e);
                crate::store::StoreError::Internal("快照文件写入失败".into())
            })
        });
        match (counts, failed) {
            (_, Some(e)) => Err(e),
            (Ok(c), None) => Ok(c),
            (Err(e), None) => Err(e.into()),
        }
    })
}

type RawVisit<'a> = dyn FnMut(&[u8], &[u8], &[u8]) -> Result<(), SnapshotError> + 'a;

fn save_with(
    path: &Path,
    for_each: &mut dyn FnMut(&mut RawVisit<'_>) -> Result<crate::store::bulk::RawCounts, SnapshotError>,
) -> Result<SnapshotInfo, SnapshotError> {
    let io_err = |e: io::Error| SnapshotError::file(path, &e);
    let mut out = AtomicFile::create(path).map_err(io_err)?;
    let mut store_format = crate::store::STORE_FORMAT;
    let (counts, content_len, content_sha) = {
        let mut w = Hashing { inner: io::BufWriter::with_capacity(1 << 20, out.file()), sha: Sha256::new(), len: 0 };
        w.inner.write_all(&[0; PREFIX_LEN]).map_err(io_err)?;
        let mut tree: Option<Vec<u8>> = None;
        let counts = for_each(&mut |t, k, v| -> Result<(), SnapshotError> {
            // The header records the format of the store as copied (a
            // store of an older format is snapshotted before it is migrated).
            if k == b"m/format" {
                if let Ok(b) = <[u8; 4]>::try_from(v) {
                    store_format = u32::from_be_bytes(b);
                }
            }
            if tree.as_deref() != Some(t) {
                w.write_all(b"T")
                    .and_then(|_| w.write_all(&(t.len() as u16).to_le_bytes()))
                    .and_then(|_| w.write_all(t))
                    .map_err(io_err)?;
                tree = Some(t.to_vec());
            }
            w.write_all(b"E").map_err(io_err)?;
            w.write_all(&(k.len() as u32).to_le_bytes()).map_err(io_err)?;
            w.write_all(k).map_err(io_err)?;
            w.write_all(&(v.len() as u32).to_le_bytes()).map_err(io_err)?;
            w.write_all(v).map_err(io_err)?;
            Ok(())
        })?;
        w.flush().map_err(io_err)?;
        (counts, w.len, w.sha.finalize().into())
    };
    let created = Timestamp::now();
    let header = Header {
        created: created.0,
        store_format,
        record_format: crate::store::codec::FORMAT_VERSION as u32,
        counts,
        content_len,
        content_sha,
    };
    let f = out.file();
    f.seek(SeekFrom::Start(0)).map_err(io_err)?;
    f.write_all(&header.encode()).map_err(io_err)?;
    out.commit().map_err(io_err)?;
    Ok(info(&header, PREFIX_LEN as u64 + content_len))
}

fn info(h: &Header, bytes: u64) -> SnapshotInfo {
    SnapshotInfo {
        format: FORMAT,
        created: Timestamp(h.created),
        store_format: h.store_format,
        record_format: h.record_format,
        households: h.counts.households,
        forms_filled: h.counts.forms_filled,
        audit_entries: h.counts.audit_entries,
        entries: h.counts.entries,
        bytes,
    }
}

/// Reads a snapshot's header and checks it; the content is read next.
fn read_header(r: &mut impl Read, path: &Path) -> Result<Header, SnapshotError> {
    let p = || path.display().to_string();
    let mut start = [0u8; 12];
    let got = read_full(r, &mut start).map_err(|e| SnapshotError::file(path, &e))?;
    if got < start.len() {
        let magic_so_far = got > 0 && start[..got.min(8)] == MAGIC[..got.min(8)];
        return Err(if got == 0 {
            SnapshotError::NotASnapshot { path: p(), detail: "文件是空的".into() }
        } else if magic_so_far {
            SnapshotError::Truncated { path: p(), detail: format!("只有{got}字节，连文件头都不完整") }
        } else {
            SnapshotError::NotASnapshot { path: p(), detail: "文件开头没有快照标记".into() }
        });
    }
    if start[..8] != MAGIC {
        return Err(SnapshotError::NotASnapshot { path: p(), detail: "文件开头没有快照标记".into() });
    }
    let version = u16::from_le_bytes([start[8], start[9]]);
    let len = u16::from_le_bytes([start[10], start[11]]) as usize;
    let mut rest = vec![0u8; len + 32];
    let got = read_full(r, &mut rest).map_err(|e| SnapshotError::file(path, &e))?;
    if got < rest.len() {
        return Err(SnapshotError::Truncated { path: p(), detail: "文件头不完整".into() });
    }
    let (body, sum) = rest.split_at(len);
    let mut sha = Sha256::new();
    sha.update(start);
    sha.update(body);
    if sha.finalize().as_slice() != sum {
        return Err(SnapshotError::Damaged { path: p(), detail: "文件头的校验和对不上".into() });
    }
    if version > FORMAT {
        return Err(SnapshotError::Newer { path: p(), what: format!("快照格式第{version}版，本程序只认到第{FORMAT}版") });
    }
    if version != FORMAT || len != HEADER_LEN {
        return Err(SnapshotError::Damaged { path: p(), detail: format!("未知的快照格式第{version}版") });
    }
    let u32_at = |i: usize| u32::from_le_bytes(body[i..i + 4].try_into().unwrap_or([0; 4]));
    let u64_at = |i: usize| u64::from_le_bytes(body[i..i + 8].try_into().unwrap_or([0; 8]));
    let header = Header {
        created: u64_at(0) as i64,
        store_format: u32_at(8),
        record_format: u32_at(12),
        counts: RawCounts { households: u64_at(16), forms_filled: u64_at(24), audit_entries: u64_at(32), entries: u64_at(40) },
        content_len: u64_at(48),
        content_sha: body[56..88].try_into().unwrap_or([0; 32]),
    };
    if header.store_format > crate::store::STORE_FORMAT {
        return Err(SnapshotError::Newer { path: p(), what: format!("数据库结构第{}版", header.store_format) });
    }
    if header.record_format > crate::store::codec::FORMAT_VERSION as u32 {
        return Err(SnapshotError::Newer { path: p(), what: format!("记录格式第{}版", header.record_format) });
    }
    Ok(header)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Walks the content after the header, handing each key/value to `entry`,
/// and checks the length, the framing, the counts and the checksum.
fn read_content<R: Read>(
    r: R,
    header: &Header,
    path: &Path,
    mut entry: impl FnMut(&[u8], &[u8], &[u8]) -> Result<(), SnapshotError>,
) -> Result<(), SnapshotError> {
    let p = || path.display().to_string();
    let mut r = Hashing { inner: r, sha: Sha256::new(), len: 0 };
    let total = header.content_len;
    let truncated = |at: u64| SnapshotError::Truncated { path: p(), detail: format!("内容应有{total}字节，只读到{at}字节") };
    let damaged = |detail: String| SnapshotError::Damaged { path: p(), detail };
    let mut tree: Option<Vec<u8>> = None;
    let mut key = Vec::new();
    let mut value = Vec::new();
    let mut entries = 0u64;
    // Reads exactly `n` bytes into `buf`: a length running past the content
    // is damage, a file ending before the content does is truncation.
    let take = |r: &mut Hashing<R>, buf: &mut Vec<u8>, n: usize| -> Result<(), SnapshotError> {
        let at = r.len;
        if at + n as u64 > total {
            return Err(damaged(format!("第{}字节处的长度{n}超出了内容的范围", PREFIX_LEN as u64 + at)));
        }
        buf.resize(n, 0);
        if read_full(r, buf).map_err(|e| SnapshotError::file(path, &e))? < n {
            return Err(truncated(r.len));
        }
        Ok(())
    };
    let mut small = Vec::with_capacity(8);
    while r.len < total {
        let at = PREFIX_LEN as u64 + r.len;
        take(&mut r, &mut small, 1)?;
        match small[0] {
            b'T' => {
                take(&mut r, &mut small, 2)?;
                let n = u16::from_le_bytes([small[0], small[1]]) as usize;
                let mut name = Vec::new();
                take(&mut r, &mut name, n)?;
                tree = Some(name);
            }
            b'E' => {
                let Some(t) = tree.as_deref() else {
                    return Err(damaged(format!("第{at}字节处的记录不属于任何数据表")));
                };
                for (buf, max) in [(&mut key, MAX_KEY), (&mut value, MAX_VALUE)] {
                    take(&mut r, &mut small, 4)?;
                    let n = u32::from_le_bytes([small[0], small[1], small[2], small[3]]) as usize;
                    if n > max {
                        return Err(damaged(format!("第{}字节处记录的长度{n}不合理", PREFIX_LEN as u64 + r.len)));
                    }
                    take(&mut r, buf, n)?;
                }
                entries += 1;
                entry(t, &key, &value)?;
            }
            other => return Err(damaged(format!("第{at}字节处有无法识别的标记0x{other:02x}"))),
        }
    }
    // Nothing may follow the content.
    let mut extra = [0u8; 1];
    if read_full(&mut r.inner, &mut extra).map_err(|e| SnapshotError::file(path, &e))? > 0 {
        return Err(damaged("内容之后还有多余的数据".into()));
    }
    if r.sha.finalize().as_slice() != header.content_sha {
        return Err(SnapshotError::Checksum { path: p() });
    }
    if entries != header.counts.entries {
        return Err(damaged(format!("文件头记着{}条记录，实际有{entries}条", header.counts.entries)));
    }
    Ok(())
}

fn open(path: &Path) -> Result<(BufReader<File>, u64), SnapshotError> {
    let f = File::open(path).map_err(|e| SnapshotError::file(path, &e))?;
    let meta = f.metadata().map_err(|e| SnapshotError::file(path, &e))?;
    if meta.is_dir() {
        return Err(SnapshotError::NotASnapshot { path: path.display().to_string(), detail: "这是一个目录".into() });
    }
    Ok((BufReader::with_capacity(1 << 20, f), meta.len()))
}

/// Checks a snapshot file completely (header, framing, counts, checksum)
/// without touching any store.
pub fn verify(path: &Path) -> Result<SnapshotInfo, SnapshotError> {
    let (mut r, bytes) = open(path)?;
    let header = read_header(&mut r, path)?;
    read_content(r, &header, path, |_, _, _| Ok(()))?;
    Ok(info(&header, bytes))
}

/// Checks a snapshot file as [`verify`] does, handing every entry (tree,
/// key, value) to `visit` as it streams past.
pub fn visit(path: &Path, mut visit: impl FnMut(&[u8], &[u8], &[u8])) -> Result<SnapshotInfo, SnapshotError> {
    let (mut r, bytes) = open(path)?;
    let header = read_header(&mut r, path)?;
    read_content(r, &header, path, |t, k, v| {
        visit(t, k, v);
        Ok(())
    })?;
    Ok(info(&header, bytes))
}

/// Checks snapshot bytes as [`verify`] checks a file (for fuzzing and tests).
pub fn verify_bytes(bytes: &[u8]) -> Result<SnapshotInfo, SnapshotError> {
    let path = Path::new("<内存>");
    let mut r = bytes;
    let header = read_header(&mut r, path)?;
    read_content(r, &header, path, |_, _, _| Ok(()))?;
    Ok(info(&header, bytes.len() as u64))
}

/// One key/value of a snapshot: (tree name, key, value).
pub type RawEntry = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Every entry of snapshot bytes, checked as [`verify_bytes`] checks them
/// (for tests and fuzzing: edit, then [`seal`] again).
#[doc(hidden)]
pub fn entries_of(bytes: &[u8]) -> Result<Vec<RawEntry>, SnapshotError> {
    let path = Path::new("<内存>");
    let mut r = bytes;
    let header = read_header(&mut r, path)?;
    let mut out = Vec::new();
    read_content(r, &header, path, |t, k, v| {
        out.push((t.to_vec(), k.to_vec(), v.to_vec()));
        Ok(())
    })?;
    Ok(out)
}

/// A snapshot of `entries` with a valid header and checksums, as an editor
/// who knows the format would reseal one (for tests and fuzzing). Entries
/// of one tree must be together.
#[doc(hidden)]
pub fn seal(entries: &[RawEntry]) -> Vec<u8> {
    let mut content = Vec::new();
    let mut counts = RawCounts::default();
    let mut tree: Option<&[u8]> = None;
    for (t, k, v) in entries {
        if tree != Some(t.as_slice()) {
            content.push(b'T');
            content.extend_from_slice(&(t.len() as u16).to_le_bytes());
            content.extend_from_slice(t);
            tree = Some(t);
        }
        content.push(b'E');
        content.extend_from_slice(&(k.len() as u32).to_le_bytes());
        content.extend_from_slice(k);
        content.extend_from_slice(&(v.len() as u32).to_le_bytes());
        content.extend_from_slice(v);
        counts.add(k, v);
    }
    let store_format = entries
        .iter()
        .find(|(_, k, _)| k.as_slice() == b"m/format")
        .and_then(|(_, _, v)| <[u8; 4]>::try_from(v.as_slice()).ok())
        .map_or(crate::store::STORE_FORMAT, u32::from_be_bytes);
    let header = Header {
        created: Timestamp::now().0,
        store_format,
        record_format: crate::store::codec::FORMAT_VERSION as u32,
        counts,
        content_len: content.len() as u64,
        content_sha: Sha256::digest(&content).into(),
    };
    let mut out = header.encode();
    out.extend_from_slice(&content);
    out
}

/// How a restore goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Keep the replaced store beside the new one (`NAME.before-restore-<time>`).
    pub keep_previous: bool,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions { keep_previous: true }
    }
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub info: SnapshotInfo,
    /// Households in the store that was replaced (`None`: there was none, or it could not be opened).
    pub replaced_households: Option<usize>,
    /// Why the old store could not be opened, when it could not (it is replaced all the same).
    pub replaced_unreadable: Option<String>,
    /// Where the replaced store was kept.
    pub previous: Option<PathBuf>,
}

/// Replaces the store at `store_dir` with the snapshot's content.
///
/// The snapshot is read and checked as it is copied into a new store
/// beside the old one; only a complete, checked new store is swapped in
/// (see `store::bulk`), so a failure or a kill at any point leaves a
/// working store. The old store must not be open (in this process either);
/// a damaged old store that cannot be opened is replaced all the same.
pub fn restore(snapshot: &Path, store_dir: &Path, options: RestoreOptions) -> Result<Restored, SnapshotError> {
    let (mut r, bytes) = open(snapshot)?;
    let header = read_header(&mut r, snapshot)?;
    // Finish a swap an earlier restore left half-done, then hold the old store.
    bulk::finish_interrupted_restore(store_dir)?;
    let (held, replaced_unreadable) = match crate::store::inspect(store_dir) {
        Found::Missing => (None, None),
        // Replaced by the rename: nothing of it is lost.
        Found::Empty => (None, None),
        Found::Store | Found::Emptied => match Store::open_existing(store_dir, "huitoukan snapshot restore") {
            Ok(s) => (Some(s), None),
            Err(e @ StoreError::Locked { .. }) => return Err(e.into()),
            Err(e) => (None, Some(e.to_string())),
        },
        Found::NotAStore(detail) => return Err(StoreError::NotAStore { path: store_dir.to_path_buf(), detail }.into()),
    };
    // A damaged old store is replaced all the same (that is what a restore is for).
    let (replaced_households, replaced_unreadable) = match held.as_ref().map(Store::household_count) {
        Some(Err(e)) => (None, Some(e.to_string())),
        Some(Ok(n)) => (Some(n), replaced_unreadable),
        None => (None, replaced_unreadable),
    };
    let staging = bulk::staging_path(store_dir);
    bulk::clear_staging(&staging)?;
    let built = build(r, &header, snapshot, &staging);
    if let Err(e) = built {
        let _ = bulk::clear_staging(&staging);
        return Err(e);
    }
    let previous = bulk::swap_in(store_dir, &staging, held, options.keep_previous)?;
    Ok(Restored { info: info(&header, bytes), replaced_households, replaced_unreadable, previous })
}

/// Copies the content into a new store at `staging`, then opens it as a
/// store and checks it holds what the header says.
fn build<R: Read>(r: R, header: &Header, snapshot: &Path, staging: &Path) -> Result<(), SnapshotError> {
    let mut builder = RawBuilder::create(staging)?;
    read_content(r, header, snapshot, |t, k, v| Ok(builder.insert(t, k, v)?))?;
    let counts = builder.finish()?;
    if counts != header.counts {
        return Err(SnapshotError::Damaged {
            path: snapshot.display().to_string(),
            detail: format!("恢复出{}户、{}条审计记录，与文件头记的不一致，数据库没有改动", counts.households, counts.audit_entries),
        });
    }
    // A snapshot of an older store format is migrated by this open.
    let check = Store::open_restored(staging, "huitoukan snapshot restore")?;
    let households = check.household_count()? as u64;
    if households != header.counts.households {
        return Err(SnapshotError::Damaged {
            path: snapshot.display().to_string(),
            detail: format!("恢复出的数据库有{households}户，快照记的是{}户，数据库没有改动", header.counts.households),
        });
    }
    // Checksums prove the file is as saved, not that what was saved hangs
    // together: a snapshot edited and resealed is caught here, before the
    // swap, with the old store untouched.
    let problems = check.check_consistency()?;
    if !problems.is_empty() {
        return Err(SnapshotError::Damaged {
            path: snapshot.display().to_string(),
            detail: format!("内容前后矛盾（{}），数据库没有改动", problems.join("；")),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_is_checked() {
        let h = Header {
            created: 1_618_000_000_000,
            store_format: 1,
            record_format: 1,
            counts: RawCounts { entries: 9, households: 2, forms_filled: 1, audit_entries: 3 },
            content_len: 0,
            content_sha: Sha256::digest(b"").into(),
        };
        let bytes = h.encode();
        assert_eq!(bytes.len(), PREFIX_LEN);
        let back = read_header(&mut bytes.as_slice(), Path::new("x")).unwrap();
        assert_eq!(back.counts, h.counts);
        assert_eq!(back.created, h.created);
        // Entries counted in the header but absent from the content.
        assert!(matches!(verify_bytes(&bytes), Err(SnapshotError::Damaged { .. })));
        let mut bad = bytes.clone();
        bad[20] ^= 1;
        assert!(matches!(verify_bytes(&bad), Err(SnapshotError::Damaged { .. })));
        assert!(matches!(verify_bytes(&bytes[..5]), Err(SnapshotError::Truncated { .. })));
        assert!(matches!(verify_bytes(b""), Err(SnapshotError::NotASnapshot { .. })));
        assert!(matches!(verify_bytes(b"PK\x03\x04 not a snapshot"), Err(SnapshotError::NotASnapshot { .. })));
    }
}
