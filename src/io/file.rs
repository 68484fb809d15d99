//! Files that hold personal data: created owner-only (0600) and written
//! atomically (temp file in the same directory + fsync + rename), so a
//! half-written file never carries the final name.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file being written under a temporary name beside its destination.
/// Dropped without [`AtomicFile::commit`], the temporary file is removed and
/// the destination is left as it was.
pub struct AtomicFile {
    file: Option<File>,
    tmp: PathBuf,
    dest: PathBuf,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl AtomicFile {
    /// Creates `.NAME.PID.N.tmp` (0600) in the destination's directory.
    pub fn create(dest: &Path) -> io::Result<AtomicFile> {
        let dir = parent_dir(dest);
        let name =
            dest.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "没有文件名"))?.to_string_lossy().into_owned();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            match OpenOptions::new().write(true).read(true).create_new(true).mode(0o600).open(&tmp) {
                Ok(file) => return Ok(AtomicFile { file: Some(file), tmp, dest: dest.to_path_buf() }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The file under its temporary name.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("the file is only taken by commit")
    }

    /// A buffered writer over the temporary file.
    pub fn writer(&mut self) -> BufWriter<&mut File> {
        BufWriter::with_capacity(1 << 20, self.file())
    }

    /// Flushes to disk, then gives the file its final name (replacing any
    /// file of that name) and syncs the directory so the rename survives a
    /// power cut.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("commit is called once");
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest)?;
        sync_dir(&parent_dir(&self.dest))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes a whole file atomically and owner-only.
pub fn write_atomic(dest: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut f = AtomicFile::create(dest)?;
    {
        let mut w = f.writer();
        write(&mut w)?;
        w.flush()?;
    }
    f.commit()
}

/// Refuses an output file inside a store directory (where it could
/// overwrite sled's own files: `export STORE/db` left a store that no
/// longer opened) or inside a store's automatic snapshots folder. Checked on
/// the real directory, so `..` and symlinks do not get around it.
pub fn refuse_inside_store(dest: &Path) -> io::Result<()> {
    let Ok(dir) = parent_dir(dest).canonicalize() else {
        // A missing directory: the write itself fails and says so.
        return Ok(());
    };
    for a in dir.ancestors() {
        let name = a.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let store_dir = crate::store::inspect(a) == crate::store::Found::Store;
        let snapshots = name.strip_suffix(".snapshots").is_some_and(|s| {
            !s.is_empty()
                && (crate::store::inspect(&a.with_file_name(s)) == crate::store::Found::Store
                    || !crate::backup::list(&a.with_file_name(s)).is_empty())
        });
        if store_dir || snapshots {
            let what = if store_dir { "数据库目录" } else { "数据库的自动快照目录" };
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} 在{what} {} 里面，写在那里会损坏数据库或快照；请换一个目录（例如 ~/导出）", dest.display(), a.display()),
            ));
        }
    }
    Ok(())
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// fsync on a directory, so renames and creations in it are durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A system error in words a clerk can act on.
pub fn describe(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(28) => return "磁盘已满，请清理磁盘空间后再试".into(),
        Some(30) => return "磁盘或目录是只读的，请换一个可写的位置".into(),
        Some(21) => return "这是一个目录，不是文件".into(),
        Some(20) => return "路径中有一部分不是目录".into(),
        Some(36) => return "文件名太长".into(),
        _ => {}
    }
    match e.kind() {
        io::ErrorKind::NotFound => "文件或目录不存在，请检查路径".into(),
        io::ErrorKind::PermissionDenied => "没有权限，请检查文件和目录的权限".into(),
        io::ErrorKind::UnexpectedEof => "文件在中途结束了".into(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => format!("{e}"),
        _ => format!("系统错误：{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn commit_is_owner_only_and_drop_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.csv");
        std::fs::write(&dest, "old").unwrap();
        {
            let mut f = AtomicFile::create(&dest).unwrap();
            f.file().write_all(b"half").unwrap();
            // Dropped without commit: the old file stays, no temp file is left.
        }
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomic(&dest, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_directory_is_described_in_chinese() {
        let e = AtomicFile::create(Path::new("/nonexistent-dir-huitoukan/x.csv")).err().unwrap();
        assert!(describe(&e).contains("不存在"), "{}", describe(&e));
    }
}
